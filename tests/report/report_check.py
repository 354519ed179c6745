"""report_check - the checks of report_test.sh (which starts the broker):
builds the fixture through the real nmirf, writes the reports, and checks
them against what it did. Expected sets are computed here from the
fixture alone, never from the program's output.

usage: report_check.py NMIRF DATA T SHOTS
"""
import functools
import html.parser
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

NMIRF, DATA, T, SHOTS = sys.argv[1:5]
ep = dict(l.split(" = ") for l in open(DATA + "/endpoints").read().split("\n") if " = " in l)
KEYS = T + "/keys"
os.makedirs(KEYS)
MECH_ORDER = ["UPR", "CAT", "CCPR", "CESCR", "CEDAW", "CERD", "CRC", "CRPD", "CMW", "CED",
              "SP"]


def fail(msg):
    print("FAIL:", msg, flush=True)
    sys.exit(1)


def step(s):
    print("==", s, flush=True)


def nmirf(who, *args, want=0):
    key = DATA + "/keys/COORD.key" if who == "COORD" else KEYS + "/" + who + ".key"
    cmd = [NMIRF, "-b", ep["request"], "-e", ep["events"], "-S", DATA + "/keys/NMIRFD.pub",
           "-t", "20000", "-k", key] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != want:
        fail("%s: exit %d, expected %d\nstdout: %s\nstderr: %s"
             % (" ".join(args), p.returncode, want, p.stdout[-2000:], p.stderr[-2000:]))
    return p.stdout


# --- the fixture ------------------------------------------------------------

step("entities: MJ with names in three languages, MS in French only")
for e, names in [("MJ", ["--name-fr", "Ministère de la Justice", "--name-ar", "وزارة العدل",
                         "--name-en", "Ministry of Justice"]),
                 ("MS", ["--name-fr", "Ministère de la Santé"])]:
    subprocess.run([NMIRF, "keygen", e, "--dir", KEYS], check=True, capture_output=True)
    nmirf("COORD", "entity", "enroll", KEYS + "/" + e + ".pub", "--role", "ministry", *names)

step("import: UPR cycles 3 and 4, CAT, CRC, SP; themes; every position")
THEMES = ["Administration of justice & fair trial", "Women's rights", "Rights of the Child",
          "Torture and other CID treatment"]
recs = []
for i in range(30):
    mech = ["UPR", "UPR", "CAT", "CRC", "SP"][i % 5]
    # The last ten ids are paragraphs whose natural order ("RT-20.9"
    # before "RT-20.10") is not their bytes' order: the annex sorts them
    # as a reader expects.
    rid = "RT-%02d" % i if i < 20 else "RT-20.%d" % [5, 12, 100, 9, 41, 7, 300, 10, 2, 55][i - 20]
    r = {"id": rid, "mechanism": mech, "symbol": "DOC/%s/%d" % (mech, i % 3),
         "paragraph": str(100 + i), "text": {}}
    if mech == "UPR":
        r["cycle"] = "3" if i % 2 else "4"
        r["response"] = ["supported", "noted", "pending"][i % 3]
    else:
        r["response"] = "not_applicable"
    if i % 6:
        r["themes"] = sorted({THEMES[i % 4], THEMES[(i // 3) % 4]})
    # Texts: every one in English, most in French, a few in Arabic; RT-03
    # has only Arabic (an English page falls back through fr,en to none,
    # then says so), RT-07 holds markup.
    r["text"]["en"] = "Recommendation number %d in English" % i
    if i % 4:
        r["text"]["fr"] = "Recommandation numéro %d en français" % i
    if i % 5 == 0:
        r["text"]["ar"] = "التوصية رقم %d بالعربية" % i
    if i == 3:
        r["text"] = {"ar": "نص عربي فقط للتوصية 3"}
    if i == 7:
        r["text"]["fr"] = "<script>alert('x')</script> & \"texte\""
    recs.append(r)
with open(T + "/recs.json", "w") as f:
    json.dump({"recommendations": recs}, f, ensure_ascii=False)
nmirf("COORD", "rec", "import", T + "/recs.json")
by_id = {r["id"]: r for r in recs}

step("assign: MJ leads with MS contributing, MS leads, some unassigned")
assign = {}
for i, r in enumerate(recs):
    if i % 7 == 6:
        continue
    if i % 2:
        nmirf("COORD", "rec", "assign", r["id"], "--lead", "MS")
        assign[r["id"]] = ("MS", [])
    else:
        nmirf("COORD", "rec", "assign", r["id"], "--lead", "MJ", "--contributor", "MS",
              "--deadline", "2027-06-30")
        assign[r["id"]] = ("MJ", ["MS"])

step("a measure with an indicator, on RT-00 (led by MJ)")
out = json.loads(nmirf("COORD", "--json", "measure", "add", "--rec", "RT-00", "--title",
                       "Plan de formation des magistrats", "--indicator",
                       "Magistrats formés", "--unit", "personnes", "--baseline", "10",
                       "--target", "250"))
MEASURE = out["measure"]["id"]

step("reports: validated, returned, left submitted")
validated = []   # (rec, narrative, date)
hidden = []      # narratives that must appear nowhere
DATES = ["2025-02-10", "2025-07-01", "2025-11-20", "2026-01-05"]
n = 0
for i, r in enumerate(recs):
    rid = r["id"]
    if rid not in assign or i % 3 == 2:
        continue
    lead, contribs = assign[rid]
    for k in range(1 + i % 2):
        n += 1
        date = DATES[(i + k) % 4]
        narrative = "Narratif %s/%d : loi adoptée, 12 décrets publiés." % (rid, k)
        if i == 4 and k == 0:
            narrative = "سردية %s: صدر القانون ونُشرت المراسيم." % rid
        if i == 10:
            narrative = "Narratif %s/%d ligne 1\nligne 2\tavec tabulation <b>gras</b> & co" % (rid, k)
        args = ["--json", "report", "submit", rid, "--status",
                ["in_progress", "partially_implemented", "implemented"][(i + k) % 3],
                "--narrative", narrative, "--date", date]
        if i % 4 == 0:
            args += ["--evidence", "https://example.org/%s/%d" % (rid, k),
                     "--evidence", "javascript:alert(1)"]
        if k == 0 and i % 5 == 0:
            args += ["--by", "Fatima Zahra"]
        author = contribs[0] if (contribs and k == 1) else lead
        rep = json.loads(nmirf(author, *args))["report"]["id"]
        nmirf("COORD", "report", "validate", str(rep))
        validated.append((rid, narrative, date))

# The measure's values come from a validated report; a returned one's and
# a pending one's must not show.
rep = json.loads(nmirf("MJ", "--json", "report", "submit", "RT-00", "--status", "in_progress",
                       "--narrative", "Formation : deux sessions tenues.", "--date",
                       "2025-06-30", "--measure", str(MEASURE), "--value", "2025-03-31=40",
                       "--value", "2025-06-30=55.5"))["report"]["id"]
nmirf("COORD", "report", "validate", str(rep))
validated.append(("RT-00", "Formation : deux sessions tenues.", "2025-06-30"))
VALUES = [("2025-03-31", "40", "40"), ("2025-06-30", "55.5", "55,5")]  # date, en, fr
rep = json.loads(nmirf("MJ", "--json", "report", "submit", "RT-00", "--status", "implemented",
                       "--narrative", "RETURNED-NARRATIVE ne doit pas paraître", "--date",
                       "2025-08-01", "--measure", str(MEASURE), "--value",
                       "2025-08-01=999"))["report"]["id"]
nmirf("COORD", "report", "return", str(rep), "--reason", "incomplet")
hidden.append("RETURNED-NARRATIVE")
nmirf("MS", "report", "submit", "RT-01", "--status", "implemented", "--narrative",
      "PENDING-NARRATIVE ne doit pas paraître", "--date", "2025-09-09")
hidden.append("PENDING-NARRATIVE")
print("   %d recommendations, %d assigned, %d validated narratives"
      % (len(recs), len(assign), len(validated)), flush=True)


# --- reading the files ---------------------------------------------------------

class Annex(html.parser.HTMLParser):
    """The annex of a page: its groups (heading text) with their rows
    (rec ids, in order), the narratives, the value cells, the left-out
    line, the links."""

    def __init__(self):
        super().__init__()
        self.groups = []        # [(heading, [rec ids])]
        self.narratives = []
        self.values = []
        self.left_out = None
        self.links = []
        self.scripts = 0
        self.stack = []         # (tag, classes) of open elements
        self.text = None        # collecting text for one element: (kind, [parts])
        self.in_annex = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "script":
            self.scripts += 1
        if tag == "section" and "annex" in cls:
            self.in_annex = True
        if tag == "a":
            self.links.append(a.get("href"))
        kind = None
        if self.in_annex:
            if tag == "h3":
                kind = "group"
            elif tag == "bdi" and "rec-id" in cls:
                kind = "rec"
            elif tag == "div" and "narrative" in cls:
                kind = "narrative"
            elif tag == "td" and "value" in cls:
                kind = "value"
            elif tag == "p" and "left-out" in cls:
                kind = "left_out"
        if tag in ("br", "meta", "img", "hr", "input", "link"):
            return
        self.stack.append((tag, kind))
        if kind and self.text is None:
            self.text = (kind, [], len(self.stack))

    def handle_endtag(self, tag):
        if not self.stack:
            return
        depth = len(self.stack)
        self.stack.pop()
        if self.text and depth == self.text[2]:
            kind, parts, _ = self.text
            s = "".join(parts)
            self.text = None
            if kind == "group":
                self.groups.append((s, []))
            elif kind == "rec":
                self.groups[-1][1].append(s)
            elif kind == "narrative":
                self.narratives.append(s)
            elif kind == "value":
                self.values.append(s)
            elif kind == "left_out":
                self.left_out = s

    def handle_data(self, data):
        if self.text:
            self.text[1].append(data)


def report(fmt, path, *args):
    out = json.loads(nmirf("COORD", "--json", "report", fmt, path, *args))
    if out["file"] != path:
        fail("report %s: answered %s" % (fmt, out))
    return out


def read_html(path):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail("%s is not UTF-8 at byte %d: %r" % (path, e.start, raw[e.start - 120:e.start + 40]))
    a = Annex()
    a.feed(text)
    return a


def rows_of(a):
    return [(g, r) for g, rs in a.groups for r in rs]


def natural_cmp(a, b):
    """The annex's order of two ids (report_model.c, s_cmp_natural): runs
    of digits compared as numbers ("125.12" before "125.104"), other
    bytes as bytes; equal so, the bytes decide."""
    p, q = a.encode(), b.encode()
    i = j = 0
    while i < len(p) and j < len(q):
        if chr(p[i]).isdigit() and chr(q[j]).isdigit():
            while i < len(p) and p[i] == 0x30:
                i += 1
            while j < len(q) and q[j] == 0x30:
                j += 1
            si, sj = i, j
            while i < len(p) and chr(p[i]).isdigit():
                i += 1
            while j < len(q) and chr(q[j]).isdigit():
                j += 1
            if i - si != j - sj:
                return -1 if i - si < j - sj else 1
            if p[si:i] != q[sj:j]:
                return -1 if p[si:i] < q[sj:j] else 1
        elif p[i] != q[j]:
            return -1 if p[i] < q[j] else 1
        else:
            i += 1
            j += 1
    if (i < len(p)) != (j < len(q)):
        return 1 if i < len(p) else -1
    return (p > q) - (p < q)


natural = functools.cmp_to_key(natural_cmp)


def expected_groups(sel, by):
    """[(key, [rec ids])] in the annex's order, from the fixture."""
    rows = []
    for rid in sorted(sel):
        r = by_id[rid]
        if by == "mechanism":
            keys = [r["mechanism"]]
        elif by == "cycle":
            keys = [r.get("cycle")]
        elif by == "theme":
            keys = sorted(set(r.get("themes") or [])) or [None]
        else:
            keys = [assign[rid][0] if rid in assign else None]
        rows += [(k, rid) for k in keys]

    def order(row):
        k = row[0]
        place = MECH_ORDER.index(k) if by == "mechanism" else 0
        return (place, k is None, k.encode() if k else b"", natural(row[1]))
    rows.sort(key=order)
    out = []
    for k, rid in rows:
        if not out or out[-1][0] != k:
            out.append((k, []))
        out[-1][1].append(rid)
    return out


def check_groups(a, sel, by, what):
    want = expected_groups(sel, by)
    got = [rs for _, rs in a.groups]
    if got != [rs for _, rs in want]:
        fail("%s: annex rows by group\n got %s\nwant %s" % (what, got, want))


ALL = set(by_id)

# --- the page ----------------------------------------------------------------

step("HTML, French, by mechanism: every recommendation, narrative and value")
fr = report("html", T + "/fr.html")
a = read_html(T + "/fr.html")
check_groups(a, ALL, "mechanism", "fr by mechanism")
if a.left_out is not None:
    fail("a page without --limit says rows were left out: %r" % a.left_out)
if fr["rows"] != len(recs) or fr["rows_total"] != len(recs):
    fail("--json rows %s" % fr)
page = open(T + "/fr.html", encoding="utf-8").read()
for rid, narrative, _ in validated:
    if narrative not in a.narratives:
        fail("fr: validated narrative of %s missing: %r" % (rid, narrative))
if len(a.narratives) != len(validated):
    fail("fr: %d narratives shown, %d validated" % (len(a.narratives), len(validated)))
for h in hidden:
    if h in page:
        fail("fr: %s shows" % h)
if [v for v in a.values] != [fr_v for _, _, fr_v in VALUES]:
    fail("fr: indicator values %s, expected %s" % (a.values, VALUES))
if "999" in a.values:
    fail("fr: a returned report's value shows")
for word in ["Magistrats formés", "personnes", "250", "Fatima Zahra", "Ministère de la Justice",
             "Ministère de la Santé", "https://example.org/RT-00/0"]:
    if word not in page:
        fail("fr: %r not in the page" % word)
if a.scripts:
    fail("fr: a <script> in the page: data not escaped")
if "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" not in page:
    fail("fr: the markup of RT-07 is not shown escaped")
if any(l and not l.startswith("https://") for l in a.links):
    fail("fr: a link that is not http(s): %s" % a.links)
if 'class="left-out"' in page:
    fail("fr: left-out line without --limit")

step("HTML, Arabic: right to left, Arabic text first, names in Arabic")
report("html", T + "/ar.html", "--lang", "ar")
ar = open(T + "/ar.html", encoding="utf-8").read()
if '<html lang="ar" dir="rtl">' not in ar:
    fail("ar: not dir=rtl")
for word in ["التوصية رقم 0 بالعربية", "وزارة العدل", "سردية RT-04"]:
    if word not in ar:
        fail("ar: %r missing" % word)
# RT-01 has no Arabic text: French next (the default fallback), said.
if "Recommandation numéro 1 en français" not in ar:
    fail("ar: RT-01 does not fall back to French")
a_ar = read_html(T + "/ar.html")
check_groups(a_ar, ALL, "mechanism", "ar by mechanism")

step("HTML, English with --fallback ar: RT-03 (Arabic only) shown, said")
report("html", T + "/en.html", "--lang", "en", "--fallback", "ar")
en = open(T + "/en.html", encoding="utf-8").read()
if "نص عربي فقط للتوصية 3" not in en or "Text in Arabic" not in en:
    fail("en: RT-03's Arabic text or its note missing")
if [v for v in read_html(T + "/en.html").values] != [v for _, v, _ in VALUES]:
    fail("en: indicator values not written in English")
nmirf("COORD", "report", "html", T + "/x.html", "--fallback", "de", want=2)
nmirf("COORD", "report", "html", T + "/x.html", "--group", "colour", want=2)
nmirf("COORD", "report", "html", T + "/x.html", "--since", "2025-13-01", want=2)
nmirf("COORD", "report", "odt", T + "/nodir/x.odt", want=4)

step("groupings: cycle, theme (a row under each theme), entity (by lead)")
for by in ["cycle", "theme", "entity"]:
    out = report("html", T + "/g-%s.html" % by, "--group", by)
    g = read_html(T + "/g-%s.html" % by)
    check_groups(g, ALL, by, "--group " + by)
    want_rows = sum(len(rs) for _, rs in expected_groups(ALL, by))
    if out["rows"] != want_rows:
        fail("--group %s: %d rows, expected %d" % (by, out["rows"], want_rows))

step("--since: narratives and values from the date on, every recommendation")
SINCE = "2025-07-01"
report("html", T + "/since.html", "--since", SINCE)
s = read_html(T + "/since.html")
check_groups(s, ALL, "mechanism", "--since")
want = sorted(n for _, n, d in validated if d >= SINCE)
if sorted(s.narratives) != want:
    fail("--since: narratives %d, expected %d" % (len(s.narratives), len(want)))
if s.values:
    fail("--since %s: values before it show: %s" % (SINCE, s.values))
if SINCE not in open(T + "/since.html", encoding="utf-8").read() and \
        "1 juillet 2025" not in open(T + "/since.html", encoding="utf-8").read() and \
        "1er juillet 2025" not in open(T + "/since.html", encoding="utf-8").read():
    fail("--since: the scope line does not name the date")

step("--limit 2 cuts the annex and says how many were left out")
out = report("html", T + "/limit.html", "--limit", "2")
l = read_html(T + "/limit.html")
if len(rows_of(l)) != 2 or out["rows"] != 2 or out["rows_total"] != len(recs):
    fail("--limit 2: %d rows shown, json %s" % (len(rows_of(l)), out))
if not l.left_out or str(len(recs) - 2) not in l.left_out:
    fail("--limit 2: left-out line %r" % l.left_out)

# --- the document ------------------------------------------------------------

NS = {"text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
      "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
      "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
      "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0"}


def odt_read(path):
    """Checks the container; returns (content root, styles root, names)."""
    z = zipfile.ZipFile(path)
    infos = z.infolist()
    if infos[0].filename != "mimetype" or infos[0].compress_type != zipfile.ZIP_STORED:
        fail("%s: first entry %s, compression %d" % (path, infos[0].filename,
                                                     infos[0].compress_type))
    if z.read("mimetype") != b"application/vnd.oasis.opendocument.text":
        fail("%s: mimetype %r" % (path, z.read("mimetype")))
    if infos[0].extra:
        fail("%s: the mimetype entry has an extra field" % path)
    names = [i.filename for i in infos]
    for n in ["META-INF/manifest.xml", "content.xml", "styles.xml", "meta.xml"]:
        if n not in names:
            fail("%s: no %s" % (path, n))
    ET.fromstring(z.read("META-INF/manifest.xml"))
    ET.fromstring(z.read("meta.xml"))
    return ET.fromstring(z.read("content.xml")), ET.fromstring(z.read("styles.xml")), names


def odt_text(el):
    """An element's text as a reader sees it: line breaks and tabs as
    characters."""
    out = [el.text or ""]
    for c in el:
        tag = c.tag.split("}")[1]
        if tag == "line-break":
            out.append("\n")
        elif tag == "tab":
            out.append("\t")
        else:
            out.append(odt_text(c))
        out.append(c.tail or "")
    return "".join(out)


def odt_rec_ids(root):
    """The annex's recommendation ids, from its level-3 headings."""
    ids = []
    for h in root.iter("{%s}h" % NS["text"]):
        if h.get("{%s}outline-level" % NS["text"]) == "3":
            ids.append(odt_text(h).split(" — ")[0])
    return ids


step("ODT, French: container, tables, every narrative and value")
out = report("odt", T + "/fr.odt")
root, styles, _ = odt_read(T + "/fr.odt")
ids = odt_rec_ids(root)
want = [rid for _, rs in expected_groups(ALL, "mechanism") for rid in rs]
if ids != want:
    fail("odt: annex rows\n got %s\nwant %s" % (ids, want))
paras = [odt_text(p) for p in root.iter("{%s}p" % NS["text"])]
for rid, narrative, _ in validated:
    if narrative not in paras:
        fail("odt: validated narrative of %s missing: %r" % (rid, narrative))
alltext = "\n".join(paras)
for h in hidden:
    if h in alltext:
        fail("odt: %s shows" % h)
values = [c.get("{%s}value" % NS["office"]) for c in root.iter("{%s}table-cell" % NS["table"])
          if c.get("{%s}date-value" % NS["office"]) is None and
          c.get("{%s}value-type" % NS["office"]) == "float"]
dates = [c.get("{%s}date-value" % NS["office"]) for c in root.iter("{%s}table-cell" % NS["table"])
         if c.get("{%s}date-value" % NS["office"])]
if dates != [d for d, _, _ in VALUES]:
    fail("odt: value dates %s" % dates)
for _, v, _ in VALUES:
    if v not in values:
        fail("odt: indicator value %s not a number cell" % v)
if "999" in values:
    fail("odt: a returned report's value shows")
tables = list(root.iter("{%s}table" % NS["table"]))
if len(tables) < 5:
    fail("odt: %d tables (summary, three status tables, the indicator's)" % len(tables))
if "<script>alert('x')</script> & \"texte\"" not in alltext:
    fail("odt: RT-07's text not kept as text")
if out["rows"] != len(recs):
    fail("odt --json %s" % out)

step("ODT, Arabic: right to left")
report("odt", T + "/ar.odt", "--lang", "ar")
root, styles, _ = odt_read(T + "/ar.odt")
modes = {e.get("{%s}writing-mode" % NS["style"]) for e in styles.iter() if
         e.get("{%s}writing-mode" % NS["style"])}
modes |= {e.get("{%s}writing-mode" % NS["style"]) for e in root.iter() if
          e.get("{%s}writing-mode" % NS["style"])}
if modes != {"rl-tb"}:
    fail("odt ar: writing modes %s" % modes)
if "سردية RT-04: صدر القانون ونُشرت المراسيم." not in [odt_text(p) for p in
                                                     root.iter("{%s}p" % NS["text"])]:
    fail("odt ar: the Arabic narrative")

step("ODT opened by LibreOffice, where it is installed")
soffice = shutil.which("soffice")
if not soffice:
    print("  skipped: no LibreOffice here (apt-get install libreoffice-writer-nogui to run it)")
else:
    # Its own profile, so that a user's LibreOffice does not interfere.
    for lang, narrative in (("fr", "Formation : deux sessions tenues."),
                            ("ar", "سردية RT-04: صدر القانون ونُشرت المراسيم.")):
        r = subprocess.run([soffice, "-env:UserInstallation=file://" + T + "/lo", "--headless",
                            "--convert-to", "txt:Text (encoded):UTF8", "--outdir", T + "/lo-out",
                            "%s/%s.odt" % (T, lang)], capture_output=True, text=True, timeout=180)
        txt = T + "/lo-out/%s.txt" % lang
        if r.returncode != 0 or not os.path.exists(txt):
            fail("LibreOffice could not open %s.odt: %s %s" % (lang, r.stdout, r.stderr))
        if narrative not in open(txt, encoding="utf-8").read():
            fail("LibreOffice's text of %s.odt lacks the narrative %r" % (lang, narrative))

step("ODT --limit 2 and --group theme")
out = report("odt", T + "/limit.odt", "--limit", "2")
root, _, _ = odt_read(T + "/limit.odt")
if len(odt_rec_ids(root)) != 2 or str(len(recs) - 2) not in "\n".join(
        odt_text(p) for p in root.iter("{%s}p" % NS["text"])):
    fail("odt --limit 2")
report("odt", T + "/theme.odt", "--group", "theme")
root, _, _ = odt_read(T + "/theme.odt")
want = [rid for _, rs in expected_groups(ALL, "theme") for rid in rs]
if odt_rec_ids(root) != want:
    fail("odt --group theme rows")

# --- the filters: the annex rows the same set the test computes ---------------

help_text = nmirf("COORD", "report", "html", "--help")
if "--mechanism" in help_text:
    step("filters: --mechanism, --cycle, --theme, --entity, --position")
    cases = [
        (["--mechanism", "UPR"], {r for r in ALL if by_id[r]["mechanism"] == "UPR"}),
        (["--cycle", "4"], {r for r in ALL if by_id[r].get("cycle") == "4"}),
        (["--theme", THEMES[1]], {r for r in ALL if THEMES[1] in by_id[r].get("themes", [])}),
        (["--entity", "MS"], {r for r in ALL if r in assign and
                              (assign[r][0] == "MS" or "MS" in assign[r][1])}),
        (["--position", "noted"], {r for r in ALL if by_id[r]["response"] == "noted"}),
        (["--mechanism", "UPR", "--position", "supported"],
         {r for r in ALL if by_id[r]["mechanism"] == "UPR" and
          by_id[r]["response"] == "supported"}),
    ]
    for args, want in cases:
        if not want:
            fail("fixture: %s selects nothing" % args)
        path = T + "/filter.html"
        report("html", path, *args)
        check_groups(read_html(path), want, "mechanism", " ".join(args))
        odt = T + "/filter.odt"
        report("odt", odt, *args)
        root, _, _ = odt_read(odt)
        if odt_rec_ids(root) != [rid for _, rs in expected_groups(want, "mechanism")
                                 for rid in rs]:
            fail("odt %s: annex rows %s" % (" ".join(args), odt_rec_ids(root)))
else:
    print("   (no filter options in this build: skipped)")

# --- the browser ---------------------------------------------------------------

step("the French and Arabic pages in headless Chromium")
import importlib.util
if importlib.util.find_spec("selenium") is None or not os.access("/usr/bin/chromedriver",
                                                                  os.X_OK):
    print("SKIP: python3-selenium or chromium-driver is not installed (tests/setup.sh)")
    sys.exit(77)
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

o = Options()
o.binary_location = "/usr/bin/chromium"
for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1200,1600", "--no-first-run", "--disable-extensions",
            "--hide-scrollbars"):
    o.add_argument(arg)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
try:
    d.set_page_load_timeout(60)
    for lang in ["fr", "ar"]:
        d.get("file://" + T + "/%s.html" % lang)
        st = d.execute_script(
            "const a = document.querySelector('section.annex');"
            "const r = a ? a.getBoundingClientRect() : null;"
            "return {ready: document.readyState, dir: document.documentElement.dir,"
            " recs: document.querySelectorAll('article.rec').length,"
            " annex_h: r ? r.height : 0,"
            " sw: document.documentElement.scrollWidth,"
            " cw: document.documentElement.clientWidth,"
            " wide: [...document.querySelectorAll('article.rec')]"
            "   .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1"
            "             || e.getBoundingClientRect().left < -1).length};")
        want_dir = "rtl" if lang == "ar" else "ltr"
        if st["ready"] != "complete" or st["dir"] != want_dir or st["recs"] != len(recs):
            fail("%s in chromium: %s" % (lang, st))
        if st["annex_h"] < 200:
            fail("%s: the annex is not laid out: %s" % (lang, st))
        if st["sw"] > st["cw"] or st["wide"]:
            fail("%s: horizontal overflow: %s" % (lang, st))
        png = os.path.join(SHOTS, "report-%s.png" % lang)
        if not d.save_screenshot(png) or open(png, "rb").read(8) != b"\x89PNG\r\n\x1a\n":
            fail("%s: no screenshot" % lang)
        # The annex too, where the narratives are.
        d.execute_script("document.querySelector('section.annex').scrollIntoView()")
        d.save_screenshot(os.path.join(SHOTS, "report-%s-annex.png" % lang))
        print("   %s: %d recommendations laid out, dir=%s, width %d of %d, %s"
              % (lang, st["recs"], st["dir"], st["sw"], st["cw"], png), flush=True)
finally:
    d.quit()
print("report_test: all passed")
