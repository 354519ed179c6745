#!/usr/bin/env python3
"""browser_test.py - the console in a real browser: headless Debian
Chromium driven by Selenium (chromium-driver, python3-selenium), against a
real broker, the agents of the coordinator and of two ministries (MJ, MS)
and their consoles on loopback (tests/web/harness.py). Each step prints
what it checks. What the test knows of the pages (routes, data-test
hooks) is in tests/web/hooks.py.

    browser_test.py BUILD_DIR

Screenshots of the main pages in French and Arabic (login, mine, rec,
report, queue, stats: NAME-LANG.png) are kept in
BUILD_DIR/tests/web/screenshots/, and a screenshot of the page at a
failure as failure.png. Exit 0, 1 on a failed check (with every daemon's
log and the browser's console), 77 when chromium, chromedriver,
python3-selenium or nmirf-web are absent.
"""

import json
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hooks  # noqa: E402
from harness import PASSWORD, cookie_name, R_AR, R_MJ, R_MS, Client, Cluster, check, main, step, wait_for, world  # noqa: E402
from hooks import sel  # noqa: E402

XSS = '<script>alert(1)</script> "onmouseover="alert(1) <img src=x onerror=alert(1)>'
R_LATE = "T/0:4.4"  # assigned to MJ, then taken away while its form is open


def browser(lang="fr-FR", extra=()):
    """A headless Chromium 1280x900 whose Accept-Language is lang; extra:
    more Chromium flags."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", "--lang=" + lang, "--no-first-run", "--disable-extensions") + tuple(extra):
        o.add_argument(a)
    o.add_experimental_option("prefs", {"intl.accept_languages": lang})
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(60)
    d.set_script_timeout(30)
    return d


class Page:
    """One browser on one console: navigation by hash route, hooks by
    name (hooks.py), bounded waits, screenshots."""

    def __init__(self, driver, url, shots):
        self.d = driver
        self.url = url
        self.shots = shots
        self.loaded = False

    def go(self, route, reload=False):
        """Opens route (#/...). The first time a navigation; with reload,
        the page loaded again (location.reload(): a get of the same
        document with another fragment would only change the hash); else
        a hash change, as a click on a link does."""
        if not self.loaded or not self.d.current_url.startswith(self.url):
            self.d.get(self.url + route)
            self.loaded = True
        elif reload:
            self.js("window.__nmirf_reloading = 1; location.hash = arguments[0]; location.reload();", route)
            wait_for(lambda: self.js("return document.readyState === 'complete' && !window.__nmirf_reloading;"),
                     "the page loaded again")
        else:
            self.d.execute_script("location.hash = arguments[0];", route)
        view = hooks.view_of(route)
        if view != "login":
            self.wait_view(view)

    def wait_view(self, name, timeout=30):
        return self.wait("main_view", name=name, timeout=timeout)

    def q(self, hook, root=None, **kw):
        """The elements a hook names (a list, maybe empty)."""
        from selenium.webdriver.common.by import By
        return (root or self.d).find_elements(By.CSS_SELECTOR, sel(hook, **kw))

    def wait(self, hook, timeout=30, visible=False, **kw):
        """Waits for the first element a hook names; returns it."""
        def found():
            els = self.q(hook, **kw)
            if visible:
                els = [e for e in els if e.is_displayed()]
            return els[0] if els else None
        return wait_for(found, "an element %s (%s)" % (hook, sel(hook, **kw)), timeout=timeout, interval=0.1)

    def wait_attr(self, hook, attr, values, timeout=30, **kw):
        """Waits until the hook's element has attr in values; returns it."""
        def match():
            for e in self.q(hook, **kw):
                if e.get_attribute(attr) in values:
                    return e
            return None
        return wait_for(match, "%s with %s in %s" % (sel(hook, **kw), attr, values), timeout=timeout, interval=0.1)

    def act(self, css, do, what):
        """Finds css and does do(element), again if a live refresh
        replaced the element meanwhile (bounded)."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def once():
            try:
                els = self.d.find_elements(By.CSS_SELECTOR, css)
                if not els:
                    return None
                do(els[0])
                return True
            except StaleElementReferenceException:
                return None
        return wait_for(once, what, interval=0.1)

    def read(self, css, what):
        """Reads the first element css selects in one script (a live
        refresh cannot replace it between two reads): {text, lang,
        children, html}; waits for it."""
        return wait_for(lambda: self.js(
            "const e = document.querySelector(arguments[0]);"
            "return e && {text: e.textContent, lang: e.getAttribute('lang'), children: e.children.length,"
            "             html: e.outerHTML.slice(0, 400)};", css), what, interval=0.1)

    def css(self, *parts):
        """A descendant selector of hooks: css(("review_item", {"n": 3}), ("review_validate", {}))."""
        return " ".join(sel(h, **kw) for h, kw in parts)

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def mark(self):
        """Sets a marker on window: it survives anything but a reload."""
        self.js("window.__nmirf_test_marker = 'kept';")

    def not_reloaded(self):
        check(self.js("return window.__nmirf_test_marker;") == "kept", "the page was not reloaded")

    def guard_alerts(self):
        """Counts alert() calls instead of showing them."""
        self.js("window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };")

    def alerts(self):
        return self.js("return window.__alerts || [];")

    def shot(self, name):
        os.makedirs(self.shots, exist_ok=True)
        path = os.path.join(self.shots, name + ".png")
        time.sleep(0.3)  # let the fonts and a highlight settle; not a check
        self.d.save_screenshot(path)
        print("    screenshot %s" % path, flush=True)

    def login(self, user, password, expect_ok=True):
        self.go(hooks.LOGIN, reload=True)
        self.wait("login_user").clear()
        self.q("login_user")[0].send_keys(user)
        self.q("login_password")[0].send_keys(password)
        self.q("login_submit")[0].click()
        if expect_ok:
            wait_for(lambda: not self.d.current_url.endswith(hooks.LOGIN) and self.q("logout"),
                     "logged in as " + user)

    def login_error(self):
        """Waits for the login page's error text; returns it."""
        return wait_for(lambda: (self.q("login_error") or [None])[0] and self.q("login_error")[0].text.strip(),
                        "the login error")

    def set_lang(self, lang):
        self.wait("lang", name=lang).click()
        wait_for(lambda: self.js("return document.documentElement.lang;") == lang, "<html lang=%s>" % lang)

    def cookie(self):
        name = cookie_name(urllib.parse.urlsplit(self.url).port)
        c = self.d.get_cookie(name)
        check(c is not None, "the browser holds " + name)
        check(c.get("httpOnly") is True, "the session cookie is HttpOnly", c)
        return c["value"]

    def console_log(self):
        try:
            return "\n".join("%s %s" % (e.get("level"), e.get("message")) for e in self.d.get_log("browser"))
        except Exception as e:  # a driver that lost its browser
            return "(no console log: %s)" % e


def check_vocab_status(p, vocab, lang):
    """The recommendation page's status badge shows the status's name in
    lang as data/vocab/statuses.tsv gives it (GET /api/vocab)."""
    b = p.read(sel("rec_status"), "the status badge")
    m = re.search(r'data-status="([a-z_]+)"', b["html"])
    want = vocab["statuses"][m.group(1)][lang] if m else None
    check(want and b["text"].strip() == want, "the status named in %s (data/vocab)" % lang, (b, want))


def has_arabic(text):
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def run(build):
    shots = os.path.join(os.path.abspath(build), "tests", "web", "screenshots")
    if os.path.isdir(shots):  # this run's screenshots only (an old failure.png would mislead)
        for f in os.listdir(shots):
            if f.endswith(".png"):
                os.unlink(os.path.join(shots, f))
    with Cluster(build, "browser", fixed_ports=True) as c:
        step("world: a broker (fixed ports, for its restart), agents COORD MJ MS, their consoles")
        agents = world(c, extra_recs=1)
        mj_url, ms_url, co_url = agents["MJ"].url, agents["MS"].url, agents["COORD"].url
        ar_catalog = Client(mj_url).get("/api/i18n/ar").json()["messages"]
        vocab = Client(mj_url).get("/api/vocab").json()
        d = browser("fr-FR")
        p = Page(d, mj_url, shots)
        try:
            ministry_steps(c, p, ar_catalog, vocab, mj_url, ms_url)
            coordinator_steps(c, Page(d, co_url, shots), ar_catalog)
            rate_limit_steps(Page(d, ms_url, shots))
        except BaseException:
            try:
                os.makedirs(shots, exist_ok=True)
                d.save_screenshot(os.path.join(shots, "failure.png"))
                print("--- the page at the failure: %s\n%s" % (d.current_url, d.page_source[:20000]))
                print("--- the browser's console\n" + p.console_log())
            finally:
                d.quit()
            raise
        d.quit()


def ministry_steps(c, p, ar_catalog, vocab, mj_url, ms_url):
    step("login: a wrong password refused, the page stays on the login form (fr)")
    p.go(hooks.LOGIN, reload=True)
    p.wait("login_user")
    p.shot("login-fr")
    p.login("alice", "wrong password", expect_ok=False)
    msg = p.login_error()
    print("    error shown: %r" % msg)
    check(not p.q("logout"), "not logged in after a wrong password")

    step("login as alice (editor at MJ): My recommendations lists MJ's assignments (fr)")
    p.login("alice", PASSWORD)
    p.go(hooks.MINE)
    p.wait("mine_row_rec", rec=R_MJ)
    p.wait("mine_row_rec", rec=R_AR)
    check(not p.q("mine_row_rec", rec=R_MS), "MS's recommendation not in MJ's list")
    row = p.js("return arguments[0].textContent;", p.q("mine_row_rec", rec=R_MJ)[0])
    check("Recommandation de test" in row, "the list shows the French text on a French page", row)
    check(p.js("return document.documentElement.lang;") == "fr", "French page (Accept-Language fr)")
    check(p.js("return document.documentElement.dir;") in ("ltr", ""), "ltr")
    p.shot("mine-fr")

    step("the coordinator assigns from the CLI: the row appears without a reload, with a notice")
    p.mark()
    notices = len(p.q("notice"))
    c.coord("rec", "assign", R_LATE, "--lead", "MJ", "--deadline", "2031-03-31")
    p.wait("mine_row_rec", rec=R_LATE, timeout=15)
    p.not_reloaded()
    wait_for(lambda: len(p.q("notice")) > notices, "a notice of the assignment", timeout=10)
    print("    notice: %r" % p.q("notice")[-1].text)

    step("the recommendation page (fr): its text, its status")
    p.go(hooks.REC(R_MJ))
    t = p.read(sel("rec_text"), "the recommendation's text")["text"]
    check("Recommandation de test" in t, "the French text shown", t)
    check_vocab_status(p, vocab, "fr")
    p.shot("rec-fr")

    step("the report form: an empty narrative is refused beside its field, nothing sent")
    p.go(hooks.REPORT_FORM(R_MJ))
    p.wait("form_narrative")
    p.shot("report-fr")
    p.q("form_submit")[0].click()
    err = p.wait("field_error", name="narrative", visible=True, timeout=10)
    check(err.text.strip(), "an error text beside the narrative")
    check(not c.reports(rec=R_MJ), "nothing sent", c.reports(rec=R_MJ))

    step("a report sent from the form reaches the broker, by alice; its narrative holds markup")
    from selenium.webdriver.support.ui import Select
    Select(p.q("form_status")[0]).select_by_value("in_progress")
    p.q("form_narrative")[0].send_keys(XSS)
    p.guard_alerts()
    p.q("form_submit")[0].click()
    res = p.wait_attr("form_result", "data-state", ("delivered", "queued"), timeout=20)
    print("    outcome: %s %r" % (res.get_attribute("data-state"), res.text))
    got = wait_for(lambda: c.reports(rec=R_MJ), "the report in `nmirf report list`")
    check(len(got) == 1 and got[0].get("by") == "alice" and got[0]["narrative"] == XSS, "report by alice", got)
    rid = got[0]["id"]

    step("the narrative is shown as text: no alert, no element made from it")
    p.go(hooks.REC(R_MJ))
    p.guard_alerts()
    narr = p.read(p.css(("report_item", {"n": rid}), ("report_narrative", {})), "report %d's narrative" % rid)
    check(narr["text"].strip() == XSS.strip(), "the narrative's text as written", narr)
    check(narr["children"] == 0, "no element inside the narrative", narr)
    check(p.js("return document.querySelectorAll('[onmouseover],[onerror]').length;") == 0, "no handler attribute")
    check(p.js("return Array.from(document.scripts).filter(s => s.text.indexOf('alert(1)') >= 0).length;") == 0,
          "no script made")
    time.sleep(0.5)
    check(not p.alerts(), "no alert", p.alerts())

    step("the coordinator validates it (CLI): the page shows it validated without a reload")
    p.wait_attr("report_state", "data-state", ("submitted",))
    p.mark()
    c.coord("report", "validate", rid)
    p.wait_attr("report_state", "data-state", ("validated",), timeout=15)
    p.not_reloaded()

    step("a POST without the CSRF token, with the browser's session cookie: 403, nothing sent")
    api = Client(mj_url)
    api.cookie = p.cookie()
    r = api.post("/api/reports", {"rec": R_MJ, "status": "implemented", "narrative": "sans jeton"}, csrf=False)
    check(r.status == 403 and r.json().get("code") == "bad_csrf", "403 bad_csrf", r)
    check(len(c.reports(rec=R_MJ)) == 1, "nothing sent")

    step("another ministry's console refuses this session (401); MS's session is refused here")
    other = Client(ms_url)
    other.cookie = api.cookie
    r = other.get("/api/mine")
    check(r.status == 401, "MJ's cookie on MS's console 401", r)
    sam = Client(ms_url)
    sam.login("sam", PASSWORD)
    here = Client(mj_url)
    here.cookie, here.csrf = sam.cookie, sam.csrf
    r = here.post("/api/reports", {"rec": R_MJ, "status": "implemented", "narrative": "par MS"})
    check(r.status == 401, "MS's cookie on MJ's console 401", r)

    step("a report on a recommendation no longer assigned to MJ: refused by the broker, shown as refused")
    p.go(hooks.REPORT_FORM(R_LATE))
    p.wait("form_narrative")
    c.coord("rec", "assign", R_LATE, "--lead", "MS")
    Select(p.q("form_status")[0]).select_by_value("implemented")
    p.q("form_narrative")[0].send_keys("Trop tard.")
    p.q("form_submit")[0].click()
    res = p.wait_attr("form_result", "data-state", ("refused",), timeout=20)
    print("    shown: %r" % res.text)
    check(not c.reports(rec=R_LATE), "no report on R_LATE", c.reports(rec=R_LATE))
    p.go(hooks.REPORT_FORM(R_MS))
    e = p.wait("form_error", visible=True)
    check(not p.q("form_submit"), "no form for a recommendation not assigned to MJ", e.text)

    step("Arabic: dir=rtl, labels in Arabic, French text for a recommendation with no Arabic text")
    p.go(hooks.MINE)
    p.set_lang("ar")
    check(p.js("return document.documentElement.dir;") == "rtl", "<html dir=rtl>")
    for name, kw, msgid in hooks.I18N_CHECKS:
        shown = p.wait(name, **kw).text.strip()
        want = ar_catalog.get(msgid)
        check(want and shown == want.strip(), "%s in Arabic (%r)" % (msgid, want), shown)
    p.wait("mine_row_rec", rec=R_MJ)
    p.shot("mine-ar")
    p.go(hooks.REC(R_MJ))
    t = p.read(sel("rec_text"), "the recommendation's text")
    check(t["lang"] == "fr" and "Recommandation de test" in t["text"], "French fallback, lang=fr", t)
    p.shot("rec-ar")
    p.go(hooks.REC(R_AR))
    t = p.read(sel("rec_text"), "the recommendation's text")
    check(has_arabic(t["text"]) and t["lang"] in (None, "", "ar"), "the Arabic text", t)
    # A treaty body's recommendation imported without a position: not
    # applicable (no answer is asked), not "pending", in Arabic.
    pos = p.read(sel("rec_response"), "the State's position")
    want = vocab["positions"]["not_applicable"]["ar"]
    check(want and pos["text"].strip() == want.strip(), "not_applicable in Arabic (%r)" % want, pos)
    shown = p.read(sel("rec_mechanism"), "the mechanism")["text"].strip()
    check(shown == vocab["mechanisms"]["CAT"]["ar"], "the mechanism named in Arabic (data/vocab)", shown)
    check_vocab_status(p, vocab, "ar")
    p.go(hooks.REPORT_FORM(R_AR))
    p.wait("form_narrative")
    p.shot("report-ar")

    step("a viewer (victor) is not offered the form, and his submit is refused (403)")
    p.q("logout")[0].click()
    p.wait("login_user")
    check(p.js("return document.documentElement.dir;") == "rtl", "the login page stays Arabic")
    p.shot("login-ar")
    p.login("victor", PASSWORD)
    p.go(hooks.REC(R_MJ))
    p.wait("rec_text")
    check(not p.q("write_report"), "no 'write a report' for a viewer")
    v = Client(mj_url)
    v.cookie = p.cookie()
    v.csrf = v.get("/api/session").json()["csrf"]
    r = v.post("/api/reports", {"rec": R_MJ, "status": "implemented", "narrative": "viewer"})
    check(r.status == 403 and r.json().get("code") == "forbidden", "viewer 403 forbidden", r)
    p.q("logout")[0].click()
    p.wait("login_user")

    step("the broker stopped: pages still served, marked not current; a report sent then is queued")
    p.login("alice", PASSWORD)
    p.set_lang("fr")
    p.go(hooks.MINE)
    p.wait_attr("stale_badge", "data-stale", ("false",))
    c.stop_broker()
    p.wait_attr("stale_badge", "data-stale", ("true",), timeout=40)
    print("    badge: %r" % p.q("stale_badge")[0].text)
    p.go(hooks.MINE, reload=True)
    p.wait("mine_row_rec", rec=R_MJ)
    p.wait_attr("stale_badge", "data-stale", ("true",))
    p.go(hooks.REPORT_FORM(R_MJ))
    Select(p.wait("form_status")).select_by_value("implemented")
    p.q("form_narrative")[0].send_keys("Envoyé pendant la panne.")
    p.q("form_submit")[0].click()
    p.wait_attr("form_result", "data-state", ("queued",), timeout=20)

    step("the broker restarted (same data, same ports): the queued report lands exactly once")
    c.restart_broker()
    wait_for(lambda: [x for x in c.reports(rec=R_MJ) if x["narrative"] == "Envoyé pendant la panne."],
             "the queued report at the broker", timeout=40)
    p.wait_attr("stale_badge", "data-stale", ("false",), timeout=40)
    time.sleep(1.0)
    n = len([x for x in c.reports(rec=R_MJ) if x["narrative"] == "Envoyé pendant la panne."])
    check(n == 1, "exactly once", n)
    p.q("logout")[0].click()
    p.wait("login_user")


def coordinator_steps(c, p, ar_catalog):
    step("the coordinator's console: import preview, then confirm")
    p.login("coord", PASSWORD)
    p.set_lang("fr")
    path = os.path.join(c.t, "import-browser.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump([{"id": "T/BR:1", "mechanism": "CRC", "text": {"fr": "Importée depuis le navigateur."}},
                   {"id": "T/BR:2", "mechanism": "CRC", "text": {"fr": "Et une autre."}}], f, ensure_ascii=False)
    p.go(hooks.IMPORT)
    p.wait("import_file").send_keys(path)
    p.q("import_preview_button")[0].click()
    wait_for(lambda: len(p.q("import_added_row")) == 2, "2 rows added in the preview")
    check(c.coord("rec", "show", "T/BR:1", ok=False).returncode != 0, "nothing imported by the preview")
    p.wait("import_confirm").click()
    p.wait("import_counts")
    wait_for(lambda: c.coord("rec", "show", "T/BR:1", ok=False).returncode == 0, "T/BR:1 imported")

    step("the queue: validate one report and return another with a reason")
    c.coord("rec", "assign", "T/BR:1", "--lead", "MJ")
    c.coord("rec", "assign", "T/BR:2", "--lead", "MJ")
    mj = c.agents["MJ"]
    c.wait_agent_synced(mj)
    for rec in ("T/BR:1", "T/BR:2"):
        c.nmirf("report", "submit", rec, "--status", "in_progress", "--narrative", "pour la file " + rec, agent=mj)
    ids = {x["rec"]: x["id"] for x in wait_for(lambda: len(c.reports(state="submitted")) >= 2 and
                                               c.reports(state="submitted"), "two submitted reports")}
    p.go(hooks.REVIEW)
    p.wait("review_item", n=ids["T/BR:1"])
    p.wait("review_item", n=ids["T/BR:2"])
    p.shot("queue-fr")
    p.act(p.css(("review_item", {"n": ids["T/BR:1"]}), ("review_validate", {})), lambda e: e.click(),
          "click validate on report %d" % ids["T/BR:1"])
    wait_for(lambda: c.reports(rec="T/BR:1")[0]["state"] == "validated", "validated at the broker")
    # the queue refreshes live: the validated report leaves it
    wait_for(lambda: not p.q("review_item", n=ids["T/BR:1"]), "report %d gone from the queue" % ids["T/BR:1"])
    two = p.css(("review_item", {"n": ids["T/BR:2"]}))
    p.act(two + " " + sel("review_reason"), lambda e: e.send_keys("Joindre les preuves."), "type the reason")
    p.act(two + " " + sel("review_return"), lambda e: e.click(), "click return")
    wait_for(lambda: c.reports(rec="T/BR:2")[0]["state"] == "returned", "returned at the broker")
    check(c.reports(rec="T/BR:2")[0].get("reason") == "Joindre les preuves.", "the reason", c.reports(rec="T/BR:2"))

    step("statistics (fr), then the queue and statistics in Arabic")
    p.go(hooks.STATS)
    p.wait("stats_summary")
    p.shot("stats-fr")
    p.set_lang("ar")
    check(p.js("return document.documentElement.dir;") == "rtl", "rtl")
    p.wait("stats_summary")
    p.shot("stats-ar")
    p.go(hooks.REVIEW)
    p.wait_view("review")
    p.shot("queue-ar")
    p.set_lang("fr")
    repair_steps(c, p)
    p.set_lang("fr")
    p.q("logout")[0].click()
    p.wait("login_user")


def select_value(p, hook, value, **kw):
    """Chooses value in a <select> (a change event, as a person's click)."""
    from selenium.webdriver.support.ui import Select
    p.act(sel(hook, **kw), lambda e: Select(e).select_by_value(value), "choose %s in %s" % (value, sel(hook, **kw)))


def repair_steps(c, p):
    step("the coordinator withdraws T/BR:2 (fr): reason required, confirm; it leaves the list, its page says why")
    p.go(hooks.RECS)
    p.wait("rec_row_rec", rec="T/BR:2")
    p.go(hooks.REC("T/BR:2"))
    p.wait("withdraw_rec").click()
    p.wait_view("repair")
    p.wait("repair_send").click()
    p.wait("field_error", name="reason", visible=True)
    check(not p.q("repair_confirm"), "no confirmation without a reason")
    p.wait("repair_reason").send_keys("Doublon de T/BR:1 (test du navigateur)")
    p.wait("repair_send").click()
    p.wait("repair_confirm", visible=True)
    p.shot("withdraw-confirm-fr")
    check(c.coord("rec", "show", "T/BR:2", json_out=True)["rec"].get("withdrawn") is None,
          "nothing withdrawn before the confirmation")
    p.wait("repair_confirm").click()
    p.wait_view("rec")
    p.wait("rec_withdrawn", visible=True)
    check("Doublon de T/BR:1" in p.read(sel("withdrawn_reason"), "the reason")["text"], "the reason shown")
    check(not p.q("write_report") and not p.q("withdraw_rec"), "no report form, no withdraw on a withdrawn one")
    w = c.coord("rec", "show", "T/BR:2", json_out=True)["rec"].get("withdrawn") or {}
    check(w.get("reason") == "Doublon de T/BR:1 (test du navigateur)", "withdrawn at the broker", w)
    p.shot("rec-withdrawn-fr")
    p.go(hooks.RECS)
    p.wait("rec_row_rec", rec="T/BR:1")
    check(not p.q("rec_row_rec", rec="T/BR:2"), "T/BR:2 gone from the list")
    p.act(sel("filter_withdrawn"), lambda e: e.click(), "tick show withdrawn")
    p.act("#recs-filters [data-test=filter-apply]", lambda e: e.click(), "click apply")
    row = p.wait("rec_row_rec", rec="T/BR:2")
    check(row.find_elements("css selector", sel("withdrawn_badge")), "listed with its badge when asked")
    p.shot("recs-withdrawn-fr")
    p.set_lang("ar")
    p.go(hooks.REC("T/BR:2"))
    p.wait("rec_withdrawn")
    p.shot("rec-withdrawn-ar")
    p.set_lang("fr")

    step("merge into…: the target's preview (what moves), then cancel: nothing merged")
    p.go(hooks.REPAIR("T/BR:1", "merge"))
    p.wait("merge_into").send_keys(R_AR)
    p.wait("repair_reason").click()  # leaves the id's field: the preview
    p.wait("merge_preview")
    check("1" in p.read(sel("merge_reports"), "the reports that move")["text"], "T/BR:1's one report moves")
    p.wait("repair_send").click()
    p.wait("repair_confirm", visible=True)
    p.shot("merge-preview-fr")
    p.wait("repair_cancel").click()
    check(c.coord("rec", "show", "T/BR:1", json_out=True)["rec"].get("withdrawn") is None, "nothing merged")

    step("entities: the coordinator gives MS a new Arabic name; the Arabic pages show it")
    new_ar = "وزارة الصحة والحماية الاجتماعية"
    p.go(hooks.ENTITIES)
    p.wait("entity_edit", name="MS").click()
    inp = p.wait("entity_name_input", name="ar")
    inp.clear()
    inp.send_keys(new_ar)
    p.wait("entity_contact_input").send_keys("contact@sante.gov.ma")
    p.shot("entity-edit-fr")
    p.wait("entity_save").click()
    wait_for(lambda: p.read(sel("entity_name_cell", rec="MS", name="ar"), "MS's Arabic name")["text"] == new_ar,
             "the table shows the new Arabic name")
    ent = [e for e in c.coord("entity", "list", json_out=True)["entities"] if e["id"] == "MS"][0]
    check(ent["names"]["ar"] == new_ar and ent.get("contact") == "contact@sante.gov.ma", "at the broker", ent)
    p.set_lang("ar")
    p.go(hooks.REC(R_AR))  # MS contributes to R_AR
    wait_for(lambda: new_ar in p.read("[data-test=rec]", "the recommendation page")["text"],
             "MS's new Arabic name on the Arabic page")
    p.shot("rec-entity-ar")
    p.go(hooks.ENTITIES)
    p.wait("entity_edit", name="MS")
    p.shot("entities-ar")
    p.set_lang("fr")

    step("statistics filtered in two clicks: CAT, then the Ministry of Justice; the report link carries them")
    p.go(hooks.STATS)
    p.wait_attr("stats_scope", "data-filtered", ("false",))
    select_value(p, "stats_filter", "CAT", name="mechanism")
    p.wait_attr("stats_scope", "data-filtered", ("true",))
    select_value(p, "stats_filter", "MJ", name="entity")
    wait_for(lambda: "entity=MJ" in p.d.current_url and "mechanism=CAT" in p.d.current_url, "both in the route")
    p.wait_attr("stats_scope", "data-filtered", ("true",))
    want = c.coord("stats", "--mechanism", "CAT", "--entity", "MJ", json_out=True)["total"]
    wait_for(lambda: p.read(sel("stats_total"), "the total")["text"].strip() == str(want),
             "the filtered total (%d, as the CLI's)" % want)
    href = p.wait("report_html").get_attribute("href")
    check("mechanism=CAT" in href and "entity=MJ" in href, "the report link has the filters", href)
    scope = p.read(sel("stats_scope"), "what is filtered")["text"]
    check("Ministère de la Justice" in scope, "the page says what is filtered", scope)
    p.shot("stats-filtered-fr")
    p.set_lang("ar")
    p.wait_attr("stats_scope", "data-filtered", ("true",))
    p.shot("stats-filtered-ar")


def rate_limit_steps(p):
    step("login rate limit (MS's console): after 5 failures even the right password is refused")
    bad = None
    for i in range(5):
        p.login("sam", "wrong password %d" % i, expect_ok=False)
        bad = p.login_error()
    p.login("sam", PASSWORD, expect_ok=False)
    msg = p.login_error()
    print("    a wrong password: %r; then the right one: %r" % (bad, msg))
    check(msg != bad, "the rate limit told apart from a wrong password")
    check(not p.q("logout"), "not logged in while rate-limited")


if __name__ == "__main__":
    main(run, need_browser=True)
