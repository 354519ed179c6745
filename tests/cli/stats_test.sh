#!/usr/bin/env bash
# stats_test - `nmirf stats` and `nmirf report --html` against a real
# nmirfd: imports a varied set of recommendations, assigns them, has
# ministries report and the coordinator validate or return, then checks
# every aggregate against counts computed here, independently, from what
# the test itself did; CSV output parses; the HTML report escapes the data
# and renders in headless Chromium (charts drawn, Arabic right to left),
# with screenshots kept in $STATS_TEST_KEEP if set.
#
# usage: stats_test.sh NMIRFD NMIRF
# Needs bash, python3 and Debian's chromium (tests/setup.sh installs them).
set -euo pipefail

NMIRFD=${1:?usage: stats_test.sh NMIRFD NMIRF}
NMIRF=${2:?usage: stats_test.sh NMIRFD NMIRF}
unset NMIRF_KEY NMIRF_BROKER NMIRF_EVENTS NMIRF_SERVER_KEY NMIRF_AGENT

T=$(mktemp -d)
DATA=$T/data
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$0")/../harness/lib.sh"

cleanup() {
    broker_cleanup $? 200
    rm -rf "$T"
}
trap cleanup EXIT

echo "== start the broker"
broker_start "$NMIRFD"

# The rest is Python: it drives the built nmirf and computes the expected
# counts from its own records of what it did.
/usr/bin/python3 - "$NMIRF" "$DATA" "$T" <<'EOF'
import csv, io, json, os, random, shutil, struct, subprocess, sys

NMIRF, DATA, T = sys.argv[1:4]
ep = dict(l.split(" = ") for l in open(DATA + "/endpoints").read().split("\n") if " = " in l)
KEYS = T + "/keys"
os.makedirs(KEYS)
STATUSES = ["not_started", "in_progress", "partially_implemented", "implemented",
            "not_implemented"]
MECHS = ["UPR", "CAT", "CCPR", "CESCR", "CEDAW", "CERD", "CRC", "CRPD", "CMW", "CED", "SP"]
TODAY = "2026-03-15"     # the stats "today": never the machine's clock
HORIZON = 45


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def nmirf(who, *args, want=0):
    key = DATA + "/keys/COORD.key" if who == "COORD" else KEYS + "/" + who + ".key"
    cmd = [NMIRF, "-b", ep["request"], "-e", ep["events"], "-S", DATA + "/keys/NMIRFD.pub",
           "-t", "20000", "-k", key] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != want:
        fail("%s: exit %d, expected %d\nstdout: %s\nstderr: %s"
             % (" ".join(args), p.returncode, want, p.stdout[-2000:], p.stderr[-2000:]))
    return p.stdout


def step(s):
    print("==", s, flush=True)


step("entities")
for e, name in [("MJ", "وزارة العدل"), ("MS", "Ministère de la Santé"), ("ME", "Education")]:
    subprocess.run([NMIRF, "keygen", e, "--dir", KEYS], check=True, capture_output=True)
    nmirf("COORD", "entity", "enroll", KEYS + "/" + e + ".pub", "--role", "ministry",
          "--name-fr", name)

step("import a varied set")
rng = random.Random(5)
THEMES = ["justice", "women", "children", "torture", "education", "health", "migrants"]
recs = []
for i in range(240):
    mech = MECHS[i % len(MECHS)]
    r = {"id": "ST-%03d" % i, "mechanism": mech, "symbol": "A/HRC/55/%d" % (i % 7),
         "paragraph": str(i), "text": {"en": "Recommendation %d" % i}}
    if mech == "UPR":
        r["cycle"] = str(1 + i % 4)
        r["response"] = ["supported", "noted", "supported", "pending"][i % 4]
    else:
        r["response"] = "not_applicable"
    if i % 9:
        r["themes"] = rng.sample(THEMES, 1 + i % 3)
    if i % 4:
        r["sdgs"] = sorted(rng.sample(["5.1", "16.3", "10.2", "4.1"], 1 + i % 2))
    if i % 5 == 0:
        r["text"]["ar"] = "توصية رقم %d" % i
    if i == 7:
        r["text"]["en"] = "<script>alert('x')</script> & \"quoted\" text"
    recs.append(r)
with open(T + "/recs.json", "w") as f:
    json.dump({"recommendations": recs}, f, ensure_ascii=False)
nmirf("COORD", "rec", "import", T + "/recs.json")

step("assign")
assign = {}     # rec -> (lead, contributors, deadline or None)
for i, r in enumerate(recs):
    if i % 3 == 2:
        continue
    lead = ["MJ", "MS", "ME"][i % 3 if i % 7 else 0]
    contribs = [e for e in ["MS", "ME"] if e != lead][: i % 3]
    deadline = None
    if i % 4:
        deadline = ["2025-12-31", "2026-03-14", "2026-03-15", "2026-04-29",
                    "2026-04-30", "2027-01-01"][i % 6]
    args = ["rec", "assign", r["id"], "--lead", lead]
    for c in contribs:
        args += ["--contributor", c]
    if deadline:
        args += ["--deadline", deadline]
    nmirf("COORD", *args)
    assign[r["id"]] = (lead, contribs, deadline)

step("reports: submit, then validate or return")
status = {}     # rec -> status of its latest validated report
assigned = sorted(assign)
for n, rid in enumerate(assigned[:90]):
    lead = assign[rid][0]
    for k in range(1 + n % 3):      # up to three reports each
        st = STATUSES[(n + k) % 5]
        out = nmirf(lead, "--json", "report", "submit", rid, "--status", st,
                    "--narrative", "step %d" % k)
        rep = json.loads(out)["report"]["id"]
        if (n + k) % 4 == 3:
            nmirf("COORD", "report", "return", str(rep), "--reason", "incomplete")
        elif (n + k) % 7 != 6:
            nmirf("COORD", "report", "validate", str(rep))
            status[rid] = st
        # else: left submitted, counts nowhere

step("expected counts, computed here")
def zero():
    return {s: 0 for s in STATUSES}
def days(d):
    import datetime
    return datetime.date.fromisoformat(d).toordinal()
def expect(keep=lambda r: True):
    """The counts stats must give over the recommendations keep passes."""
    exp = {k: {} for k in ["by_entity", "by_contributor", "by_mechanism", "by_treaty",
                           "by_cycle", "by_theme", "by_sdg"]}
    by_status = zero()
    def add(group, key, st):
        exp[group].setdefault(key, zero())[st] += 1
    overdue, due_soon = {}, {}
    for r in recs:
        if not keep(r):
            continue
        st = status.get(r["id"], "not_started")
        by_status[st] += 1
        add("by_mechanism", r["mechanism"], st)
        if r["mechanism"] not in ("UPR", "SP"):
            add("by_treaty", r["mechanism"], st)
        if r["mechanism"] == "UPR":
            add("by_cycle", r.get("cycle", "-"), st)
        for t in r.get("themes") or ["-"]:
            add("by_theme", t, st)
        for s in r.get("sdgs") or ["-"]:
            add("by_sdg", s, st)
        a = assign.get(r["id"])
        add("by_entity", a[0] if a else "-", st)
        if a:
            for c in a[1]:
                add("by_contributor", c, st)
            if a[2] and st != "implemented":
                d = days(a[2]) - days(TODAY)
                if d < 0:
                    overdue[r["id"]] = -d
                elif d <= HORIZON:
                    due_soon[r["id"]] = d
    return exp, by_status, overdue, due_soon
exp, by_status, overdue, due_soon = expect()

step("stats --json against them")
got = json.loads(nmirf("COORD", "--json", "stats", "--today", TODAY, "--due-soon",
                       str(HORIZON)))
if got["total"] != len(recs):
    fail("total %s, expected %d" % (got["total"], len(recs)))
if got["by_status"] != by_status:
    fail("by_status %s, expected %s" % (got["by_status"], by_status))
for g, want in exp.items():
    if got[g] != want:
        fail("%s:\n got %s\nwant %s" % (g, got[g], want))
if got["today"] != TODAY or got["due_soon_days"] != HORIZON:
    fail("today/due_soon_days echoed wrong")
for name, want in [("overdue", overdue), ("due_soon", due_soon)]:
    have = {it["rec"]: it["days"] for it in got[name]}
    if have != want or got[name + "_total"] != len(want):
        fail("%s: got %s, expected %s" % (name, have, want))
    for it in got[name]:
        if it["lead"] != assign[it["rec"]][0] or it["deadline"] != assign[it["rec"]][2]:
            fail("%s item %s: lead/deadline wrong" % (name, it))
        if it["status"] != status.get(it["rec"], "not_started"):
            fail("%s item %s: status wrong" % (name, it))
if [it["days"] for it in got["overdue"]] != sorted(overdue.values(), reverse=True):
    fail("overdue is not latest first")
if [it["days"] for it in got["due_soon"]] != sorted(due_soon.values()):
    fail("due_soon is not nearest first")
# Progress: every validation happened this month (the broker's clock), so
# the last month's end is today's state, and the month's changes are the
# recommendations that left not_started.
months = got["by_month"]
if not months or months[-1]["at_end"] != by_status:
    fail("by_month last at_end %s, expected %s" % (months[-1:] , by_status))
changed = sum(1 for s in status.values() if s != "not_started")
if sum(months[-1]["reached"].values()) != changed:
    fail("by_month reached %s, expected %d changes" % (months[-1]["reached"], changed))
print("   %d recommendations, %d validated statuses, %d overdue, %d due soon"
      % (len(recs), len(status), len(overdue), len(due_soon)))

step("filters: each one's counts against counts computed here")
def involved(r, e):
    a = assign.get(r["id"])
    return bool(a) and (a[0] == e or e in a[1])
FILTERS = [
    (["--mechanism", "CAT"], lambda r: r["mechanism"] == "CAT"),
    (["--mechanism", "UPR"], lambda r: r["mechanism"] == "UPR"),
    (["--cycle", "2"], lambda r: r.get("cycle") == "2"),
    (["--theme", "Women"], lambda r: "women" in (r.get("themes") or [])),
    (["--entity", "MS"], lambda r: involved(r, "MS")),
    (["--entity", "ME"], lambda r: involved(r, "ME")),
    (["--position", "noted"], lambda r: r["response"] == "noted"),
    (["--position", "not_applicable"], lambda r: r["response"] == "not_applicable"),
    (["--mechanism", "UPR", "--entity", "MJ", "--position", "supported"],
     lambda r: r["mechanism"] == "UPR" and involved(r, "MJ") and
     r["response"] == "supported"),
    (["--theme", "no-such-theme"], lambda r: False),
]
for flags, keep in FILTERS:
    fexp, fstatus, fover, fsoon = expect(keep)
    n = sum(1 for r in recs if keep(r))
    g = json.loads(nmirf("COORD", "--json", "stats", "--today", TODAY, "--due-soon",
                         str(HORIZON), *flags))
    what = " ".join(flags)
    if g["total"] != n or g["by_status"] != fstatus:
        fail("%s: total %s by_status %s, expected %d %s"
             % (what, g["total"], g["by_status"], n, fstatus))
    for k, want in fexp.items():
        if g[k] != want:
            fail("%s: %s\n got %s\nwant %s" % (what, k, g[k], want))
    for k, want in [("overdue", fover), ("due_soon", fsoon)]:
        if {it["rec"]: it["days"] for it in g[k]} != want or g[k + "_total"] != len(want):
            fail("%s: %s %s, expected %s" % (what, k, g[k], want))
    # by_month: only the validated reports of the recommendations kept.
    fchanged = sum(1 for r in recs
                   if keep(r) and status.get(r["id"], "not_started") != "not_started")
    validated = any(keep(r) and r["id"] in status for r in recs)
    m = g["by_month"]
    if not validated:
        if m:
            fail("%s: by_month %s, expected none" % (what, m))
    elif m[-1]["at_end"] != fstatus or sum(m[-1]["reached"].values()) != fchanged:
        fail("%s: by_month last %s, expected at_end %s and %d changes"
             % (what, m[-1], fstatus, fchanged))
    print("   %-50s %3d recommendations, %2d overdue" % (what, n, len(fover)))
# The filter options are checked by their value sets before anything is sent.
nmirf("COORD", "stats", "--mechanism", "XYZ", want=2)
nmirf("COORD", "stats", "--position", "maybe", want=2)
nmirf("COORD", "stats", "--entity", "not an id", want=2)

step("stats --by VIEW --json gives that part; a limit cuts the lists")
if json.loads(nmirf("COORD", "--json", "stats", "--by", "theme")) != exp["by_theme"]:
    fail("--by theme --json")
cut = json.loads(nmirf("COORD", "--json", "stats", "--today", TODAY, "--limit", "2"))
if len(cut["overdue"]) != 2 or cut["overdue_total"] != len(overdue):
    fail("--limit 2: %d items, total %s" % (len(cut["overdue"]), cut["overdue_total"]))

step("tables")
out = nmirf("COORD", "stats", "--today", TODAY, "--due-soon", str(HORIZON))
for line in ["STATUS", "ENTITY", "MECHANISM", "overdue: %d" % len(overdue)]:
    if line not in out:
        fail("stats table lacks %r:\n%s" % (line, out))
out = nmirf("COORD", "stats", "--by", "overdue", "--today", TODAY)
if "DAYS LATE" not in out or max(overdue, key=lambda k: (overdue[k], k)) not in out:
    fail("--by overdue table:\n" + out)
for view in ["status", "entity", "contributor", "mechanism", "treaty", "cycle", "theme",
             "sdg", "month", "due-soon"]:
    nmirf("COORD", "stats", "--by", view)

step("CSV parses and matches")
rows = list(csv.DictReader(io.StringIO(nmirf("COORD", "stats", "--csv"))))
for row in rows:
    g = "by_" + row["group"] if row["group"] != "all" else None
    counts = {s: int(row[s]) for s in STATUSES}
    want = by_status if g is None else exp[g][row["key"]]
    if counts != want or int(row["total"]) != sum(want.values()):
        fail("csv row %s, expected %s" % (row, want))
if len(rows) != 1 + sum(len(v) for v in exp.values()):
    fail("csv has %d rows" % len(rows))
rows = list(csv.DictReader(io.StringIO(nmirf("COORD", "stats", "--by", "overdue", "--csv",
                                             "--today", TODAY))))
if {r["rec"]: int(r["days_late"]) for r in rows} != overdue:
    fail("overdue csv")
texts = {r["rec"]: r["text"] for r in rows}
if "ST-007" in texts and texts["ST-007"] != recs[7]["text"]["en"]:
    fail("csv text not round-tripped: %r" % texts["ST-007"])
rows = list(csv.DictReader(io.StringIO(nmirf("COORD", "stats", "--by", "month", "--csv"))))
if {s: int(rows[-1][s]) for s in STATUSES} != by_status:
    fail("month csv")

step("usage errors")
nmirf("COORD", "stats", "--by", "colour", want=2)
nmirf("COORD", "stats", "--today", "2026-02-30", want=2)
nmirf("COORD", "stats", "--due-soon", "99999", want=2)
nmirf("COORD", "stats", "--csv", "--json", want=2)
nmirf("COORD", "report", "--html", want=2)
nmirf("COORD", "report", "--html", T + "/x.html", "--lang", "de", want=2)
nmirf("COORD", "report", "--html", T + "/nodir/x.html", want=4)

step("HTML report: fr, ar, en")
pages = {}
for lang in ["fr", "ar", "en"]:
    path = T + "/report-%s.html" % lang
    args = ["report", "--html", path, "--lang", lang, "--today", TODAY]
    if lang == "en":
        args = ["report", "html", path, "--lang", "en", "--title", "<b>Q1</b> & co"]
    nmirf("COORD", *args)
    pages[lang] = open(path, encoding="utf-8").read()
fr, ar, en = pages["fr"], pages["ar"], pages["en"]
if '<html lang="fr" dir="ltr">' not in fr or '<html lang="ar" dir="rtl">' not in ar:
    fail("html lang/dir")
for lang, page in pages.items():
    if "<script" in page.lower():
        fail("%s page has a <script>: data not escaped" % lang)
    if "http://" in page.replace('xmlns="http://www.w3.org/2000/svg"', "") or \
       "https://" in page or "<link" in page or "src=" in page:
        fail("%s page needs the network" % lang)
if "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;" not in fr:
    fail("the <script> text is not shown escaped in the overdue list")
if "&lt;b&gt;Q1&lt;/b&gt; &amp; co" not in en:
    fail("title not escaped")
for word in ["Statut par entité responsable", "Recommandations en retard", "Mise en œuvre"]:
    if word not in fr:
        fail("fr page lacks %r" % word)
for word in ["الحالة حسب الجهة المسؤولة", "التوصيات المتأخرة", "وزارة العدل"]:
    if word not in ar:
        fail("ar page lacks %r" % word)

step("HTML report in headless chromium")
chromium = shutil.which("chromium")
if not chromium:
    fail("chromium is not installed (tests/setup.sh installs it)")
keep = os.environ.get("STATS_TEST_KEEP")
def browser(*args):
    prof = T + "/chrome-profile"
    os.makedirs(prof, exist_ok=True)
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--user-data-dir=" + prof,
           "--run-all-compositor-stages-before-draw", "--virtual-time-budget=2000"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail("chromium %s: exit %d\n%s" % (args, p.returncode, p.stderr[-3000:]))
    return p.stdout
for lang in ["fr", "ar"]:
    url = "file://" + T + "/report-%s.html" % lang
    dom = browser("--dump-dom", url)
    bars = dom.count('<rect class="bar ')
    layers = dom.count('<path class="layer ')
    if bars < 5 or layers != 5:
        fail("%s: rendered DOM has %d bars and %d area layers" % (lang, bars, layers))
    want_dir = "rtl" if lang == "ar" else "ltr"
    if '<html lang="%s" dir="%s">' % (lang, want_dir) not in dom:
        fail("%s: rendered document is not dir=%s" % (lang, want_dir))
    png = T + "/report-%s.png" % lang
    browser("--screenshot=" + png, "--window-size=1200,1600", "--hide-scrollbars", url)
    data = open(png, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: screenshot is not a PNG" % lang)
    w, h = struct.unpack(">II", data[16:24])
    if (w, h) != (1200, 1600) or len(data) < 20000:
        fail("%s: screenshot %dx%d, %d bytes" % (lang, w, h, len(data)))
    print("   %s: %d bars, %d area layers, dir=%s, screenshot %dx%d %d bytes"
          % (lang, bars, layers, want_dir, w, h, len(data)))
    if keep:
        shutil.copy(png, keep)
        shutil.copy(T + "/report-%s.html" % lang, keep)
print("stats_test: all passed")
EOF
