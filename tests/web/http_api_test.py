#!/usr/bin/env python3
"""http_api_test.py - every endpoint of docs/WEB.md section 2 over real
HTTP, no browser: a good request and each of its refusals (no session
401, bad CSRF 403, viewer 403, bad arguments 400, bad fields 422 with
`errors`, 404, 413, 405), against a real broker, the agents of the
coordinator and two ministries (MJ, MS) and their consoles
(tests/web/harness.py). Each step prints what it checks.

    http_api_test.py BUILD_DIR

Exit 0, 1 on a failed check (with every daemon's log), 77 when nmirf-web
is not built.
"""

import http.cookiejar
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PASSWORD, cookie_name, R_AR, R_FREE, R_MJ, R_MS, Client, Cluster, check, main, rec_path,  # noqa: E402
                     step, wait_for, world)


def err(r, status, code=None):
    """Checks an error answer: its status and, if given, its code."""
    check(r.status == status, "expected %d%s" % (status, "" if code is None else " " + code), r)
    if code is not None:
        try:
            body = r.json()
        except ValueError:
            raise AssertionError("not JSON: %r" % r)
        check(body.get("code") == code, "expected code %s" % code, r)
        return body
    return None


def ok(r, status=200):
    check(r.status == status, "expected %d" % status, r)
    return r.json() if r.body else None


def field_max(schema, op, name, default=32768):
    """The limit of a form field as GET /api/schema gives it."""
    for f in schema.get("fields", {}).get(op, []):
        if f.get("name") == name and f.get("max"):
            return int(f["max"])
    return default


def sse_first(url, cookie, want, timeout=20.0):
    """Opens GET /api/events with cookie and reads until a message whose
    event is want arrives (or timeout); returns (headers, text read)."""
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    s.sendall(("GET /api/events HTTP/1.1\r\nHost: %s:%d\r\nCookie: %s=%s\r\n"
               "Accept: text/event-stream\r\n\r\n" % (u.hostname, u.port, cookie_name(u.port), cookie)).encode())
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and ("event: " + want).encode() not in buf:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest.decode("utf-8", "replace")


def run(build):
    with Cluster(build, "api", fixed_ports=True) as c:
        step("world: a broker, agents COORD MJ MS, their consoles, accounts coord alice victor sam")
        agents = world(c)
        mj, ms, co = agents["MJ"].url, agents["MS"].url, agents["COORD"].url

        step("without a session: /api/schema, /api/vocab and /api/i18n/LANG answer, the rest 401 no_session")
        anon = Client(mj)
        for path in ("/api/status", "/api/mine", "/api/recs", rec_path(R_MJ), "/api/measures?rec=" + R_MJ,
                     "/api/outbox", "/api/reports", "/api/entities", "/api/stats", "/api/session"):
            err(anon.get(path), 401, "no_session")
        err(anon.post("/api/reports", {"rec": R_MJ, "status": "in_progress", "narrative": "x"}), 401, "no_session")
        sch = ok(anon.get("/api/schema"))
        for k in ("statuses", "mechanisms", "responses", "report_states", "limits", "fields"):
            check(k in sch, "schema has " + k, sorted(sch))
        check("in_progress" in sch["statuses"], "schema statuses", sch["statuses"])
        voc = ok(anon.get("/api/vocab"))
        check(voc["mechanisms"]["CAT"]["fr"] == "Comité contre la torture" and
              voc["themes"]["Death penalty"]["ar"] == "عقوبة الإعدام", "vocab names", voc.get("mechanisms"))
        ar = ok(anon.get("/api/i18n/ar"))
        check(ar.get("dir") == "rtl" and ar.get("lang") == "ar" and ar.get("messages"), "i18n ar rtl", ar.get("dir"))
        check(ok(anon.get("/api/i18n/fr")).get("dir") == "ltr", "i18n fr ltr")
        r = anon.get("/")
        check(r.status == 200 and "text/html" in r.headers.get("content-type", ""), "/ serves the page", r)
        check("default-src 'self'" in r.headers.get("content-security-policy", ""), "CSP header", r.headers)
        check(r.headers.get("x-frame-options", "").upper() == "DENY", "X-Frame-Options", r.headers)

        step("login: an unknown user and a wrong password both 401 bad_login; the right one sets the cookie")
        err(anon.post("/api/login", {"user": "nobody", "password": PASSWORD}, csrf=False), 401, "bad_login")
        err(anon.post("/api/login", {"user": "alice", "password": "wrong password"}, csrf=False), 401, "bad_login")
        err(anon.post("/api/login", raw_body=b"{not json", headers={"Content-Type": "application/json"},
                      csrf=False), 400)
        alice = Client(mj)
        r = alice.login("alice", PASSWORD)
        s = r.json()
        check(s["user"] == "alice" and s["role"] == "editor" and s["entity"] == "MJ" and
              s["entity_role"] == "ministry" and len(s["csrf"]) >= 32, "login answer", s)
        cookie = [v for k, v in r.header_list if k.lower() == "set-cookie" and v.startswith(alice.cookie_name + "=")][0]
        for flag in ("HttpOnly", "SameSite=Strict", "Path=/"):
            check(flag.lower() in cookie.lower(), "cookie has " + flag, cookie)
        check("secure" not in cookie.lower().split("; "), "no Secure without TLS", cookie)

        step("GET/PUT /api/session: the session, its language changed and kept")
        s = ok(alice.get("/api/session"))
        check(s["user"] == "alice" and "expires" in s and s["csrf"] == alice.csrf, "session", s)
        s = ok(alice.put("/api/session", {"lang": "ar"}))
        check(s["lang"] == "ar", "lang ar", s)
        r = alice.put("/api/session", {"lang": "xx"})
        check(r.status in (400, 422), "lang xx refused", r)
        err(alice.put("/api/session", {"lang": "fr"}, csrf=False), 403, "bad_csrf")
        ok(alice.put("/api/session", {"lang": "fr"}))

        step("reads: status, mine, recs (filters, bad arguments 400), a rec (404), measures, outbox, reports, "
             "entities")
        st = ok(alice.get("/api/status"))
        check("contact_at" in st and st.get("entity") == "MJ", "status", st)
        mine = ok(alice.get("/api/mine"))
        ids = [x["rec"] for x in mine["assignments"]]
        check(R_MJ in ids and R_AR in ids and R_MS not in ids, "mine", ids)
        ok(alice.get("/api/mine?today=2030-06-20&due_soon_days=30"))
        err(alice.get("/api/mine?today=2030-13-40"), 400)
        err(alice.get("/api/mine?due_soon_days=-1"), 400)
        recs = ok(alice.get("/api/recs?limit=2"))
        check(len(recs["recs"]) == 2, "recs limit 2", recs)
        ok(alice.get("/api/recs?mechanism=CAT&status=not_started&q=avocat&offset=0&limit=10"))
        for bad in ("limit=abc", "limit=-1", "offset=x", "scope=bogus", "status=bogus", "mechanism=XYZ", "due=later"):
            err(alice.get("/api/recs?" + bad), 400)
        rec = ok(alice.get(rec_path(R_MJ)))
        check(rec["rec"]["id"] == R_MJ, "rec show", rec)
        err(alice.get(rec_path("T/none:0")), 404, "not_found")
        ok(alice.get("/api/measures?rec=" + urllib.parse.quote(R_MJ, safe="")))
        ok(alice.get("/api/outbox"))
        reps = ok(alice.get("/api/reports"))
        check("total" in reps and "reports" in reps, "reports", reps)
        err(alice.get("/api/reports?state=bogus"), 400)
        ents = ok(alice.get("/api/entities"))
        check({"COORD", "MJ", "MS"} <= {e["id"] for e in ents["entities"]}, "entities", ents)

        step("unknown path 404, wrong method 405")
        err(alice.get("/api/nothing-here"), 404, "not_found")
        check(alice.request("DELETE", "/api/mine").status == 405, "DELETE /api/mine 405")
        check(alice.put("/api/reports", {}).status == 405, "PUT /api/reports 405")
        check(alice.get("/api/assign").status == 405, "GET /api/assign 405")

        step("POST /api/reports: CSRF missing or wrong 403, nothing sent")
        good = {"rec": R_MJ, "status": "in_progress", "narrative": "API test: premier rapport."}
        err(alice.post("/api/reports", good, csrf=False), 403, "bad_csrf")
        err(alice.post("/api/reports", good, csrf="0" * 64), 403, "bad_csrf")
        check(not c.reports(rec=R_MJ), "no report after CSRF refusals", c.reports(rec=R_MJ))

        step("POST /api/reports: bad fields 422 with errors per field; bad JSON 400; over 4 MiB 413")
        r = alice.post("/api/reports", {"rec": R_MJ, "status": "bogus"})
        b = err(r, 422, "bad_field")
        fields = {e["field"]: e["code"] for e in b.get("errors", [])}
        check(fields.get("status") == "bad_value" and fields.get("narrative") == "required", "errors", b)
        r = alice.post("/api/reports", dict(good, date="2024-02-30", evidence=["https://example.org/a"] * 300))
        b = err(r, 422, "bad_field")
        fields = {e["field"]: e["code"] for e in b.get("errors", [])}
        check(fields.get("date") == "bad_date" and fields.get("evidence") == "too_many", "errors", b)
        r = alice.post("/api/reports", dict(good, narrative="x" * (field_max(sch, "report.submit", "narrative") + 1)))
        check(r.status in (413, 422), "narrative over its limit refused", r)
        err(alice.post("/api/reports", raw_body=b'{"rec": ', headers={"Content-Type": "application/json"}), 400)
        err(alice.post("/api/reports", raw_body=b"[1,2]", headers={"Content-Type": "application/json"}), 400)
        big = b'{"rec":"' + b"a" * (4 * 1024 * 1024 + 16) + b'"}'
        err(alice.post("/api/reports", raw_body=big, headers={"Content-Type": "application/json"}), 413, "too_large")
        check(not c.reports(rec=R_MJ), "no report after refusals", c.reports(rec=R_MJ))

        step("POST /api/reports: delivered (200) with the broker's reply; by = alice in the broker's record")
        rid = secrets.token_hex(16)
        r = alice.post("/api/reports", dict(good, id=rid, evidence=["https://example.org/loi"]))
        check(r.status in (200, 202), "report accepted", r)
        a = r.json()
        check(a["id"] == rid and a["state"] in ("delivered", "queued"), "answer", a)
        got = wait_for(lambda: c.reports(rec=R_MJ), "the report at the broker")
        check(len(got) == 1 and got[0].get("by") == "alice" and got[0]["entity"] == "MJ", "report by alice", got)
        first = got[0]["id"]

        step("the same request id again: the same outcome, still one report")
        r2 = alice.post("/api/reports", dict(good, id=rid, evidence=["https://example.org/loi"]))
        check(r2.status in (200, 202) and r2.json()["id"] == rid, "same id answered", r2)
        time.sleep(0.5)
        check(len(c.reports(rec=R_MJ)) == 1, "one report for one id", c.reports(rec=R_MJ))

        step("a report on a recommendation not assigned to MJ: 502 with the broker's forbidden")
        r = alice.post("/api/reports", {"rec": R_MS, "status": "implemented", "narrative": "pas à nous"})
        err(r, 502, "forbidden")
        r = alice.post("/api/reports", {"rec": R_FREE, "status": "implemented", "narrative": "pas à nous"})
        check(r.status == 502, "unassigned rec refused by the broker", r)

        step("a viewer reads but may not submit (403 forbidden)")
        victor = Client(mj)
        victor.login("victor", PASSWORD)
        ok(victor.get("/api/mine"))
        err(victor.post("/api/reports", good), 403, "forbidden")

        step("an editor of a ministry may not take the coordinator's actions (403 forbidden)")
        err(alice.post("/api/assign", {"rec": R_FREE, "lead": "MJ"}), 403, "forbidden")
        err(alice.post("/api/reports/%d/validate" % first, {}), 403, "forbidden")
        err(alice.post("/api/reports/%d/return" % first, {"reason": "x"}), 403, "forbidden")
        err(alice.post("/api/import/preview?format=json", raw_body=b"[]"), 403, "forbidden")
        err(alice.post("/api/import?format=json", raw_body=b"[]"), 403, "forbidden")
        err(alice.post("/api/measures", {"recs": [R_MJ], "title": "t"}), 403, "forbidden")
        err(alice.get("/api/report.html?lang=fr"), 403, "forbidden")

        step("a coordinator account on a ministry's console is refused by `user add`")
        cp = subprocess.run([c.web_bin, "-a", agents["MJ"].dir, "user", "add", "boss", "--role", "coordinator"],
                            input=(PASSWORD + "\n").encode(), capture_output=True, timeout=60)
        check(cp.returncode != 0, "user add --role coordinator on MJ refused", cp)

        step("one console's session cookie is refused by another's (401)")
        sam = Client(ms)
        sam.login("sam", PASSWORD)
        stolen = Client(mj)
        stolen.cookie, stolen.csrf = sam.cookie, sam.csrf
        err(stolen.get("/api/mine"), 401, "no_session")
        err(stolen.post("/api/reports", good), 401, "no_session")
        other = Client(ms)
        other.cookie, other.csrf = alice.cookie, alice.csrf
        err(other.get("/api/mine"), 401, "no_session")

        step("two consoles on one host, one browser: a login to one keeps the other's session")
        # A browser keeps cookies by host, not by port (as http.cookiejar
        # does): one jar for both consoles, as one browser would have.
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def jar_login(url, user):
            req = urllib.request.Request(url.rstrip("/") + "/api/login", method="POST",
                                         data=json.dumps({"user": user, "password": PASSWORD}).encode(),
                                         headers={"Content-Type": "application/json"})
            return browser.open(req, timeout=30).status

        check(jar_login(mj, "alice") == 200 and jar_login(ms, "sam") == 200, "both logins")
        check(browser.open(mj.rstrip("/") + "/api/session", timeout=30).status == 200,
              "MJ's session still open after a login to MS's console in the same browser", [c.name for c in jar])

        step("the coordinator: assign (MJ's mine follows), validate, return (reason required)")
        coord = Client(co)
        s = coord.login("coord", PASSWORD)
        b = s.json()
        check(b["role"] == "coordinator" and b["entity_role"] == "coordinator", "coordinator session", b)
        err(coord.post("/api/assign", {"rec": R_FREE}), 422, "bad_field")
        err(coord.post("/api/assign", {"rec": R_FREE, "lead": "MJ", "deadline": "soon"}), 422, "bad_field")
        r = coord.post("/api/assign", {"rec": R_FREE, "lead": "MJ", "contributors": ["MS"], "deadline": "2031-01-31",
                                       "note": "API"})
        check(r.status in (200, 202), "assign", r)
        wait_for(lambda: R_FREE in [x["rec"] for x in ok(alice.get("/api/mine"))["assignments"]],
                 "R_FREE in MJ's mine")
        r = coord.post("/api/assign", {"rec": "T/none:0", "lead": "MJ"})
        err(r, 502, "not_found")
        check(ok(coord.get("/api/reports?state=submitted"))["total"] >= 1, "coordinator sees the submitted report")
        err(coord.post("/api/reports/%d/return" % first, {}), 422, "bad_field")
        r = coord.post("/api/reports/%d/validate" % first, {})
        check(r.status in (200, 202), "validate", r)
        wait_for(lambda: c.reports(rec=R_MJ)[0]["state"] == "validated", "validated at the broker")
        err(coord.post("/api/reports/%d/validate" % first, {}), 502, "conflict")
        err(coord.post("/api/reports/999999/validate", {}), 502, "not_found")
        r = coord.post("/api/reports/abc/validate", {})
        check(r.status in (400, 404), "a report number that is not one: 400 or 404", r)
        r = alice.post("/api/reports", {"rec": R_AR, "status": "implemented", "narrative": "second"})
        check(r.status in (200, 202), "second report", r)
        second = wait_for(lambda: c.reports(rec=R_AR), "the second report")[0]["id"]
        r = coord.post("/api/reports/%d/return" % second, {"reason": "Joindre les preuves."})
        check(r.status in (200, 202), "return", r)
        wait_for(lambda: c.reports(rec=R_AR)[0]["state"] == "returned", "returned at the broker")
        err(sam.post("/api/reports/%d/validate" % second, {}), 403, "forbidden")

        step("the coordinator: import preview (added, changed, unchanged, errors), then the import")
        body = ('[{"id": "T/IMP:1", "mechanism": "UPR", "text": {"fr": "Nouvelle."}},'
                ' {"id": "%s", "mechanism": "UPR", "text": {"fr": "Texte changé."}, "symbol": "A/HRC/TEST/0",'
                ' "cycle": "4"}]' % R_MJ).encode()
        pv = ok(coord.post("/api/import/preview?format=json&name=t.json", raw_body=body,
                           headers={"Content-Type": "application/json"}))
        check([x["id"] for x in pv["added"]] == ["T/IMP:1"], "preview added", pv)
        check([x["id"] for x in pv["changed"]] == [R_MJ] and "text" in pv["changed"][0]["fields"], "changed", pv)
        check(not pv["errors"] and pv["format"] == "json", "no errors", pv)
        err(coord.get(rec_path("T/IMP:1")), 404, "not_found")  # the preview imported nothing
        bad = ok(coord.post("/api/import/preview?format=csv&name=t.csv", raw_body=b"id,mechanism\n,UPR\n"))
        check(bad["errors"], "a bad CSV row named", bad)
        err(coord.post("/api/import/preview?format=pdf", raw_body=body), 400)
        r = coord.post("/api/import?format=json&name=t.json", raw_body=body,
                       headers={"Content-Type": "application/json"})
        check(r.status in (200, 202), "import", r)
        wait_for(lambda: coord.get(rec_path("T/IMP:1")).status == 200, "T/IMP:1 in the coordinator's replica")
        # No response given: stored pending for the UPR, not_applicable for a
        # treaty body, and the preview of the same file again sees no change.
        tb = b'[{"id": "T/IMP:2", "mechanism": "CAT", "text": {"en": "A treaty body\'s."}}]'
        r = coord.post("/api/import?format=json&name=tb.json", raw_body=tb,
                       headers={"Content-Type": "application/json"})
        check(r.status in (200, 202), "import of a treaty body's recommendation", r)
        wait_for(lambda: coord.get(rec_path("T/IMP:2")).status == 200, "T/IMP:2 in the coordinator's replica")
        check(ok(coord.get(rec_path("T/IMP:2")))["rec"]["response"] == "not_applicable", "not_applicable")
        check(ok(coord.get(rec_path("T/IMP:1")))["rec"]["response"] == "pending", "pending")
        pv = ok(coord.post("/api/import/preview?format=json&name=tb.json", raw_body=tb,
                           headers={"Content-Type": "application/json"}))
        check(not pv["added"] and not pv["changed"] and pv["unchanged"] == 1, "preview: unchanged", pv)

        step("the coordinator: measures add and update; stats; the HTML report as an attachment")
        err(coord.post("/api/measures", {"recs": [R_MJ]}), 422, "bad_field")
        r = coord.post("/api/measures", {"recs": [R_MJ], "title": "Former les magistrats",
                                         "indicator": {"name": "magistrats formés", "unit": "persons",
                                                       "baseline": 0, "target": 1200}})
        check(r.status in (200, 202), "measure add", r)
        ms_list = wait_for(lambda: ok(coord.get("/api/measures?rec=" + urllib.parse.quote(R_MJ, safe="")))
                           .get("measures"), "the measure in the replica")
        mid = ms_list[0]["id"]
        r = coord.put("/api/measures/%d" % mid, {"title": "Former 1 200 magistrats"})
        check(r.status in (200, 202), "measure update", r)
        err(coord.put("/api/measures/%d" % mid, {"title": ""}), 422, "bad_field")
        st = ok(coord.get("/api/stats"))
        check("total" in st or "summary" in st or st, "stats body", st)
        err(coord.get("/api/stats?due_soon_days=abc"), 400)
        r = coord.get("/api/report.html?lang=ar")
        check(r.status == 200 and "text/html" in r.headers.get("content-type", ""), "report.html", r)
        check("attachment" in r.headers.get("content-disposition", ""), "as an attachment", r.headers)
        check(b'dir="rtl"' in r.body, "the Arabic report is rtl")

        step("the coordinator's repairs: withdraw, merge, entity update (editor 403, CSRF 403, "
             "bad body 422 naming the field); /api/recs?withdrawn; stats and the report filtered")
        rep = json.dumps([{"id": "T/REP:%d" % i, "mechanism": "UPR", "text": {"fr": "Réparation %d." % i}}
                          for i in (1, 2, 3)]).encode()
        r = coord.post("/api/import?format=json&name=rep.json", raw_body=rep,
                       headers={"Content-Type": "application/json"})
        check(r.status in (200, 202), "import of T/REP:1..3", r)
        wait_for(lambda: coord.get(rec_path("T/REP:3")).status == 200, "T/REP:3 in the coordinator's replica")
        err(alice.post("/api/withdraw", {"rec": "T/REP:1", "reason": "x"}), 403, "forbidden")
        err(alice.post("/api/merge", {"from": "T/REP:2", "into": "T/REP:3"}), 403, "forbidden")
        err(alice.put("/api/entities/MJ", {"contact": "x@y"}), 403, "forbidden")
        err(coord.post("/api/withdraw", {"rec": "T/REP:1", "reason": "x"}, csrf=False), 403, "bad_csrf")
        err(coord.post("/api/merge", {"from": "T/REP:2", "into": "T/REP:3"}, csrf="0" * 64), 403, "bad_csrf")
        err(coord.put("/api/entities/MS", {"contact": "x@y"}, csrf=False), 403, "bad_csrf")

        def fields_of(r):
            return sorted(e.get("field") for e in (err(r, 422, "bad_field") or {}).get("errors", []))
        f = fields_of(coord.post("/api/withdraw", {"rec": "T/REP:1"}))
        check(f == ["reason"], "withdraw without reason: 422 naming reason", f)
        f = fields_of(coord.post("/api/merge", {"from": "T/REP:2"}))
        check(f == ["into"], "merge without into: 422 naming into", f)
        f = fields_of(coord.put("/api/entities/MS", {"names": {"de": "Gesundheit"}}))
        check(f and f[0].startswith("names"), "entity names in German: 422 naming names", f)
        f = fields_of(coord.put("/api/entities/MS", {}))
        check(f == ["names"], "entity update with nothing to change: 422", f)
        err(coord.put("/api/entities/MS/x", {"contact": "x@y"}), 404)
        err(coord.put("/api/entities", {"contact": "x@y"}), 404)
        f = fields_of(coord.put("/api/entities/ms", {"contact": "x@y"}))
        check(f == ["id"], "a path that is not an entity id: 422 naming id", f)
        check(ok(coord.get(rec_path("T/REP:1")))["rec"].get("withdrawn") is None, "nothing withdrawn by refusals")
        # The writes, delivered.
        r = coord.post("/api/withdraw", {"rec": "T/REP:1", "reason": "Doublon de T/REP:3"})
        check(r.status in (200, 202), "withdraw", r)
        r = coord.post("/api/merge", {"from": "T/REP:2", "into": "T/REP:3", "reason": "Même texte"})
        check(r.status in (200, 202), "merge", r)
        r = coord.put("/api/entities/MS", {"names": {"en": "Ministry of Public Health"}, "contact": "ms@sante.gov.ma"})
        check(r.status in (200, 202), "entity update", r)
        w = wait_for(lambda: ok(coord.get(rec_path("T/REP:2")))["rec"].get("withdrawn"), "T/REP:2 merged")
        check(w.get("into") == "T/REP:3" and w.get("reason") == "Même texte", "merged into T/REP:3", w)
        w = wait_for(lambda: ok(coord.get(rec_path("T/REP:1")))["rec"].get("withdrawn"), "T/REP:1 withdrawn")
        check(w.get("reason") == "Doublon de T/REP:3" and not w.get("into"), "withdrawn with its reason", w)
        listed = [x["id"] for x in ok(coord.get("/api/recs?q=R%C3%A9paration&limit=500"))["recs"]]
        check(listed == ["T/REP:3"], "withdrawn ones left out of /api/recs", listed)
        listed = [x["id"] for x in ok(coord.get("/api/recs?q=R%C3%A9paration&withdrawn=true&limit=500"))["recs"]]
        check(sorted(listed) == ["T/REP:1", "T/REP:2", "T/REP:3"], "?withdrawn=true lists them", listed)
        err(coord.get("/api/recs?withdrawn=maybe"), 400, "bad_request")
        ent = wait_for(lambda: [e for e in ok(coord.get("/api/entities"))["entities"]
                                if e["id"] == "MS" and e.get("contact") == "ms@sante.gov.ma"], "MS updated")[0]
        check(ent["names"]["en"] == "Ministry of Public Health" and ent["names"]["fr"] == "Ministère de la Santé",
              "MS's English name changed, its French name kept", ent)
        # Stats filtered: the counts of CAT's recommendations, the report saying so.
        all_st = ok(coord.get("/api/stats"))
        cat = ok(coord.get("/api/stats?mechanism=CAT&entity=MJ"))
        check(cat["total"] == 1 and all_st["total"] > cat["total"], "stats CAT of MJ: 1 (R_AR)",
              (cat["total"], all_st["total"]))
        check(ok(coord.get("/api/stats?position=not_applicable"))["total"] >= 1, "stats by position")
        err(coord.get("/api/stats?mechanism=NOPE"), 400, "bad_request")
        err(coord.get("/api/stats?entity=mj"), 400, "bad_request")
        r = coord.get("/api/report.html?lang=fr&mechanism=CAT&entity=MJ")
        check(r.status == 200 and "Recommandations retenues".encode() in r.body, "the report says what it covers", r)
        r = coord.get("/api/report.html?lang=fr")
        check(r.status == 200 and "Recommandations retenues".encode() not in r.body, "unfiltered: no scope line")

        step("the event stream: text/event-stream, an `applied` event after an assignment")
        got = {}
        th = threading.Thread(target=lambda: got.update(zip(("head", "text"), sse_first(mj, alice.cookie, "applied"))))
        th.start()
        time.sleep(1.0)
        c.coord("rec", "assign", R_FREE, "--lead", "MJ", "--note", "again")
        th.join(30)
        check("text/event-stream" in got.get("head", ""), "SSE content type", got.get("head"))
        check("event: applied" in got.get("text", "") and "assignment.set" in got.get("text", ""),
              "an applied assignment.set", got.get("text", "")[:2000])
        h, _ = sse_first(mj, "", "state", timeout=5)
        check(" 401 " in h.split("\r\n")[0], "SSE without a session 401", h[:200])

        step("the broker stopped: reads from the replica, stats 503 broker_down, a report 202 queued, "
             "delivered once after the restart")
        c.stop_broker()
        wait_for(lambda: ok(alice.get("/api/status")).get("connected") is False or
                 ok(alice.get("/api/status")).get("stale"), "MJ's agent sees the broker gone")
        ok(alice.get("/api/mine"))
        ok(alice.get(rec_path(R_MJ)))
        err(coord.get("/api/stats"), 503, "broker_down")
        err(coord.get("/api/report.html?lang=fr"), 503, "broker_down")
        rid = secrets.token_hex(16)
        r = alice.post("/api/reports", {"rec": R_MJ, "status": "implemented", "narrative": "pendant la panne",
                                        "id": rid})
        check(r.status == 202 and r.json().get("state") == "queued" and r.json().get("id") == rid, "queued", r)
        ob = ok(alice.get("/api/outbox"))
        check(rid in str(ob), "the outbox holds it", ob)
        c.restart_broker()
        wait_for(lambda: [x for x in c.reports(rec=R_MJ) if x["narrative"] == "pendant la panne"],
                 "the queued report at the broker")
        time.sleep(1.0)
        check(len([x for x in c.reports(rec=R_MJ) if x["narrative"] == "pendant la panne"]) == 1,
              "exactly once", c.reports(rec=R_MJ))

        step("logout: the session is gone (401), the cookie cleared")
        ok(alice.post("/api/logout", {}))
        err(alice.get("/api/session"), 401, "no_session")

        step("login rate limit: 5 failures, then 429 rate_limited with Retry-After, even with the password")
        rl = Client(ms)
        for _ in range(5):
            r = rl.post("/api/login", {"user": "sam", "password": "nope nope"}, csrf=False)
            if r.status == 429:
                break
            err(r, 401, "bad_login")
        r = rl.post("/api/login", {"user": "sam", "password": PASSWORD}, csrf=False)
        err(r, 429, "rate_limited")
        check(int(r.headers.get("retry-after", "0")) > 0, "Retry-After", r.headers)

        step("SIGTERM: every console exits 0")
        for a in agents.values():
            check(a.web.stop(signal.SIGTERM) == 0, "nmirf-web %s exit status" % a.entity)


if __name__ == "__main__":
    main(run)
