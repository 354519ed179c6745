#!/usr/bin/env bash
# data_test - recommendation data in and out against a real nmirfd: UHRI
# CSV import with every quirk checked field by field, idempotent re-import,
# update by a newer export, a file with bad rows refused whole (line
# numbers, nothing changed) or imported with --skip-bad, and JSON and CSV
# round trips compared byte for byte (export, import, export).
#
# usage: data_test.sh NMIRFD NMIRF NMIRF_GEN FIXTURES_DIR SAMPLES_DIR
set -euo pipefail

NMIRFD=${1:?usage: data_test.sh NMIRFD NMIRF NMIRF_GEN FIXTURES_DIR SAMPLES_DIR}
NMIRF=${2:?}
GEN=${3:?}
FIXTURES=${4:?}
SAMPLES=${5:?}
PY=/usr/bin/python3
unset NMIRF_KEY NMIRF_BROKER NMIRF_EVENTS NMIRF_SERVER_KEY

T=$(mktemp -d)
DATA=$T/data
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$0")/../harness/lib.sh"

cleanup() {
    broker_cleanup $?
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    echo "--- stdout"
    head -c 4000 "$T/out" 2>/dev/null || true
    echo "--- stderr"
    head -c 4000 "$T/err" 2>/dev/null || true
    exit 1
}
step() { echo "== $*"; }

# run STATUS ARGS...: nmirf as the coordinator; output in $T/out, $T/err.
run() {
    local want=$1
    shift
    local rc=0
    "$NMIRF" -b "$REQ" -e "$EVT" -t 20000 -k "$DATA/keys/COORD.key" "$@" \
        >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" = "$want" ] || fail "nmirf $*: exit $rc, expected $want"
}
out_has() { grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1'"; }
err_has() { grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1'"; }
err_lacks() { ! grep -qF -- "$1" "$T/err" || fail "stderr has '$1'"; }
# total: the broker's number of recommendations.
total() {
    run 0 --json rec list --limit 1
    $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$T/out"
}

step "start the broker"
broker_start "$NMIRFD"
export NMIRF_SERVER_KEY=$DATA/keys/NMIRFD.pub

step "a file with bad rows is refused whole, naming every bad line"
run 1 rec import "$FIXTURES/uhri-bad.csv"
for l in \
    "uhri-bad.csv:6: date '31/02/2023' is not a date" \
    "uhri-bad.csv:7: UPR position 'Maybe' is not Supported, Noted or Supported/Noted" \
    "uhri-bad.csv:8: no document symbol" \
    "uhri-bad.csv:9: 3 fields, the header has 13" \
    "uhri-bad.csv:10: id 'A/HRC/52/7:125.48' already given by line 2" \
    "uhri-bad.csv:11: unknown recommending body 'Committee of Stars'" \
    "6 of 9 recommendations in"; do
    err_has "$l"
done
err_lacks "uhri-bad.csv:2:"
err_lacks "uhri-bad.csv:3:"
[ "$(total)" = 0 ] || fail "a refused file imported something"

step "JSON: bad recommendations named by their number"
printf '[{"id":"J1","mechanism":"UPR","text":{"en":"ok"}},{"id":"J2","mechanism":"XYZ"},{"id":"J3","mechanism":"CAT","date":"2023-13-01"},{"id":"J1","mechanism":"CAT"},{"id":"J4","mechanism":"CAT","colour":"red"}]' >"$T/bad.json"
run 1 rec import "$T/bad.json"
err_has "bad.json: recommendation 2: field 'mechanism' must be one of"
err_has "bad.json: recommendation 3: field 'date' is not a date YYYY-MM-DD"
err_has "bad.json: recommendation 4: id 'J1' already given by recommendation 1"
err_has "bad.json: recommendation 5: unknown field 'colour'"
err_lacks "recommendation 1:"
[ "$(total)" = 0 ] || fail "a refused JSON file imported something"

step "--skip-bad imports the good rows and lists the skipped ones"
run 0 rec import "$FIXTURES/uhri-bad.csv" --skip-bad
out_has "imported 3 recommendations"
out_has "3 added, 0 updated, 0 unchanged; 6 bad rows skipped"
err_has "skipped $FIXTURES/uhri-bad.csv:6: date"
err_has "skipped $FIXTURES/uhri-bad.csv:11: unknown recommending body"
[ "$(total)" = 3 ] || fail "--skip-bad: 3 recommendations expected"

step "UHRI export: every quirk, field by field"
run 0 rec import "$FIXTURES/uhri-export.csv"
out_has "imported 8 recommendations from $FIXTURES/uhri-export.csv (uhri): 5 added, 0 updated, 3 unchanged"
run 0 rec export --out "$T/uhri.json"
$PY - "$T/uhri.json" <<'PY' || fail "UHRI fields"
import json, sys
recs = {r["id"]: r for r in json.load(open(sys.argv[1]))["recommendations"]}
def eq(rid, key, want):
    got = recs[rid].get(key)
    if got != want:
        sys.exit(f"{rid} {key}: got {got!r}, want {want!r}")
ids = sorted(recs)
crc = [i for i in ids if i.startswith("CRC/C/MAR/CO/5-6:")]
want = sorted(["A/HRC/52/7:125.48", "A/HRC/52/7:125.112", "A/HRC/52/7:125.77",
               "CAT/C/MAR/CO/5:21", "CEDAW/C/MAR/CO/5-6:34", "A/HRC/56/40/Add.1:87",
               "A/HRC/52/7:125.3"] + crc)
if ids != want or len(crc) != 1 or len(crc[0]) != len("CRC/C/MAR/CO/5-6:") + 16:
    sys.exit(f"ids {ids}")
u = "A/HRC/52/7:125.48"
eq(u, "mechanism", "UPR"); eq(u, "symbol", "A/HRC/52/7"); eq(u, "paragraph", "125.48")
eq(u, "cycle", "4"); eq(u, "date", "2023-01-04"); eq(u, "states", ["France", "Spain"])
eq(u, "response", "supported"); eq(u, "response_text", None)
eq(u, "text", {"en": "Strengthen the independence of the judiciary by reforming the "
                     "procedure for appointing judges (France);"})
eq(u, "themes", ["Administration of justice & fair trial", "Judiciary"])
eq(u, "persons", ["Judges and lawyers"])
eq(u, "sdgs", ["16.3 Promote the rule of law", "16.6 Develop effective institutions"])
f = "A/HRC/52/7:125.112"
eq(f, "response", "noted"); eq(f, "states", ["Portugal"]); eq(f, "persons", None)
eq(f, "text", {"fr": "Abolir la peine de mort et ratifier le deuxième Protocole facultatif, "
                     "dit \"de New York\", se rapportant au Pacte (Portugal) ;"})
a = "A/HRC/52/7:125.77"
eq(a, "response", "supported"); eq(a, "response_text", "Supported/Noted")
eq(a, "states", ["Tunisia", "Egypt"]); eq(a, "persons", ["Women & girls"])
eq(a, "text", {"ar": "تعزيز تمثيل المرأة في مواقع صنع القرار في القطاعين العام والخاص (تونس)؛"})
c = "CAT/C/MAR/CO/5:21"
eq(c, "mechanism", "CAT"); eq(c, "paragraph", "21"); eq(c, "date", "2023-12-20")
eq(c, "response", "not_applicable"); eq(c, "cycle", None); eq(c, "states", None)
eq(c, "themes", ["Torture and other cruel, inhuman or degrading treatment", "Law enforcement"])
w = "CEDAW/C/MAR/CO/5-6:34"
eq(w, "mechanism", "CEDAW"); eq(w, "date", "2022-07-12")
eq(w, "text", {"en": "The Committee recommends that the State party:\n(a) Amend the Family "
                     "Code to abolish child marriage without exception;\n(b) Collect data on "
                     "the exceptions granted by judges."})
eq(w, "persons", ["Girls", "Women & girls"])
r = crc[0]
eq(r, "mechanism", "CRC"); eq(r, "date", "2023-10-12"); eq(r, "paragraph", None)
eq(r, "text", {"fr": "Garantir l'enregistrement gratuit et universel des naissances, y compris "
                     "pour les enfants nés hors mariage et les enfants de migrants."})
s = "A/HRC/56/40/Add.1:87"
eq(s, "mechanism", "SP"); eq(s, "persons", ["Persons with disabilities", "Rural population"])
g = "A/HRC/52/7:125.3"
eq(g, "mechanism", "UPR"); eq(g, "response", "supported"); eq(g, "sdgs", None)
for rid, r in recs.items():
    if "updated" in r:
        sys.exit(f"{rid}: export carries 'updated'")
PY

step "re-import is idempotent"
run 0 rec import "$FIXTURES/uhri-export.csv"
out_has "0 added, 0 updated, 8 unchanged"
run 0 --json rec import "$FIXTURES/uhri-export.csv" --format uhri
[ "$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["unchanged"], j["format"])' "$T/out")" = "8 uhri" ] ||
    fail "--json re-import"

step "a newer export updates what changed and adds what is new"
run 0 rec import "$FIXTURES/uhri-newer.csv"
out_has "imported 10 recommendations"
out_has "2 added, 2 updated, 6 unchanged"
run 0 rec show "A/HRC/52/7:125.3"
out_has "noted"
run 0 rec show "A/HRC/52/7:125.48"
out_has "appointing and promoting judges"
[ "$(total)" = 10 ] || fail "10 recommendations after the newer export"

step "language flag"
printf 'Document Symbol,Text\nCCPR/C/MAR/CO/7,"12. Whatever the words, this text is French."\n' >"$T/lang.csv"
run 0 rec import "$T/lang.csv" --lang fr
run 0 --json rec show "CCPR/C/MAR/CO/7:12"
[ "$($PY -c 'import json,sys; print(list(json.load(open(sys.argv[1]))["rec"]["text"]))' "$T/out")" = "['fr']" ] ||
    fail "--lang fr"

step "sample data"
run 0 rec import "$SAMPLES/recs.json"
out_has "(json)"
run 0 rec import "$SAMPLES/recs.json"
out_has " 0 added, 0 updated, "

step "UHRI export with Annotation Id re-imported after a text correction adds nothing"
# A store made before positions depended on the mechanism: a treaty
# body's recommendation stored as pending. Re-importing the export makes
# it not_applicable (docs/DATA.md).
printf '[{"id":"CERD/C/MAR/CO/19-21:14","mechanism":"CERD","symbol":"CERD/C/MAR/CO/19-21","paragraph":"14","text":{"en":"old"},"response":"pending"}]' >"$T/old.json"
run 0 rec import "$T/old.json"
N0=$(total)
run 0 rec import "$FIXTURES/uhri-annotated.csv"
out_has "imported 5 recommendations from $FIXTURES/uhri-annotated.csv (uhri): 4 added, 1 updated, 0 unchanged"
[ "$(total)" = "$((N0 + 4))" ] || fail "uhri-annotated.csv: 4 new recommendations expected"
run 0 rec export --out "$T/annotated.json"
$PY - "$T/annotated.json" <<'PY' || fail "UHRI annotated fields"
import json, sys
recs = {r["id"]: r for r in json.load(open(sys.argv[1]))["recommendations"]}
def eq(rid, key, want):
    got = recs.get(rid, {}).get(key)
    if got != want:
        sys.exit(f"{rid} {key}: got {got!r}, want {want!r}")
u = "A/HRC/52/7:125.215"  # a paragraph: SYMBOL:PARAGRAPH, whatever the annotation id
eq(u, "response", "pending"); eq(u, "cycle", "4"); eq(u, "session", "41")
eq(u, "source_updated", "2023-03-30"); eq(u, "mandate", None)
c = "UHRI-8d41e7b2-5c6a-4f3e-a0b1-7c2d9e8f1a02"  # no paragraph: the annotation id
eq(c, "mechanism", "CAT"); eq(c, "response", "not_applicable"); eq(c, "paragraph", None)
eq(c, "session", "78th session"); eq(c, "cycle", None); eq(c, "source_updated", "2024-02-15")
s = "UHRI-c27f5d10-9e3a-4b6c-8d7e-1f2a3b4c5d03"
eq(s, "mechanism", "SP"); eq(s, "response", "not_applicable")
eq(s, "mandate", "Special Rapporteur on the rights of persons with disabilities")
eq(s, "session", "58"); eq(s, "source_updated", "2025-03-15")
d = "CERD/C/MAR/CO/19-21:14"  # was stored pending: now not_applicable
eq(d, "response", "not_applicable"); eq(d, "session", "77th session")
ced = [i for i in recs if i.startswith("CED/C/MAR/CO/1:")]  # neither: the hash
if len(ced) != 1 or len(ced[0]) != len("CED/C/MAR/CO/1:") + 16:
    sys.exit(f"CED ids {ced}")
eq(ced[0], "response", "not_applicable")
PY
# OHCHR corrects one space in the treaty body's text (a row without a
# paragraph): the same id, so an update and no duplicate.
$PY - "$FIXTURES/uhri-annotated.csv" "$T/corrected.csv" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
assert text.count("liberty,  including") == 1
open(sys.argv[2], "w", encoding="utf-8", newline="").write(
    text.replace("liberty,  including", "liberty, including"))
PY
run 0 rec import "$T/corrected.csv"
out_has "(uhri): 0 added, 1 updated, 4 unchanged"
[ "$(total)" = "$((N0 + 4))" ] || fail "the corrected export added a recommendation"
run 0 --json rec show "UHRI-8d41e7b2-5c6a-4f3e-a0b1-7c2d9e8f1a02"
grep -qF "liberty, including" "$T/out" || fail "the corrected text is not the stored one"
run 0 --json rec show "UHRI-c27f5d10-9e3a-4b6c-8d7e-1f2a3b4c5d03"
out_has '"mandate": "Special Rapporteur on the rights of persons with disabilities"'
out_has '"source_updated": "2025-03-15"'

step "JSON round trip: export, import (all unchanged), export: same bytes"
N=$(total)
run 0 rec export --format json --out "$T/a.json"
run 0 rec import "$T/a.json"
out_has "0 added, 0 updated, $N unchanged"
run 0 rec export --format json --out "$T/b.json"
cmp "$T/a.json" "$T/b.json" || fail "JSON export differs after a round trip"

step "CSV round trip"
run 0 rec export --format csv --out "$T/a.csv"
run 0 rec import "$T/a.csv"
out_has "(csv): 0 added, 0 updated, $N unchanged"
run 0 rec export --format csv --out "$T/b.csv"
cmp "$T/a.csv" "$T/b.csv" || fail "CSV export differs after a round trip"
run 0 rec export --format json --out "$T/c.json"
cmp "$T/a.json" "$T/c.json" || fail "CSV import changed what JSON export shows"

step "a fresh broker gets the same from either export"
# Into a second, empty store through the CSV: same JSON export.
run 0 rec export --mechanism CAT --format csv --out "$T/cat.csv"
$PY -c 'import sys; print(sum(1 for _ in open(sys.argv[1], encoding="utf-8-sig")) - 1)' "$T/cat.csv" >/dev/null
run 0 --json rec list --mechanism CAT
ncat=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$T/out")
run 0 --json rec import "$T/cat.csv"
[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["unchanged"])' "$T/out")" = "$ncat" ] ||
    fail "export --mechanism CAT"

step "generated recommendations: JSON and CSV of the same seed import the same"
"$GEN" 300 --seed 7 --format csv >"$T/gen.csv"
"$GEN" 300 --seed 7 --format json >"$T/gen.json"
"$GEN" 300 --seed 7 --format json | cmp - "$T/gen.json" || fail "the generator is not deterministic"
run 0 rec import "$T/gen.csv"
out_has "300 added, 0 updated, 0 unchanged"
run 0 rec import "$T/gen.json"
out_has "0 added, 0 updated, 300 unchanged"

step "bad files"
run 2 rec import "$T/nonexistent.csv"
err_has "nonexistent.csv"
printf 'Document Symbol,Text\n"open,\n' >"$T/syntax.csv"
run 2 rec import "$T/syntax.csv"
err_has "syntax.csv: line 2: a quoted field is never closed"
printf 'Document Symbol,Text\nCAT/C/1,\xff\xfe bad\n' >"$T/latin1.csv"
run 2 rec import "$T/latin1.csv"
err_has "latin1.csv: line 2: invalid UTF-8"
printf 'Country,Body\nMorocco,CAT\n' >"$T/noheader.csv"
run 2 rec import "$T/noheader.csv"
err_has "no 'Document Symbol' column"
run 2 rec import "$T/gen.json" --format xml
run 2 rec import "$T/gen.json" --lang de
[ "$(total)" = "$((N + 300))" ] || fail "bad files changed the store"

step "files that are not regular: refused at once, in bounded memory"
run 2 rec import "$T"
err_has "$T: is a directory"
for f in json csv; do
    rc=0
    bounded "$NMIRF" -b "$REQ" -e "$EVT" -k "$DATA/keys/COORD.key" rec import \
        --format "$f" /dev/zero >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" = 2 ] || fail "rec import --format $f /dev/zero: exit $rc, expected 2"
    err_has "/dev/zero: not a regular file"
done
rc=0
bounded "$NMIRF" -b "$REQ" -e "$EVT" -k "$DATA/keys/COORD.key" rec import \
    --format csv /dev/urandom >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "rec import --format csv /dev/urandom: exit $rc, expected 2"
err_has "/dev/urandom: not a regular file"
# A regular file of NULs stops at its first byte, not at the end of 1 GB.
truncate -s 1G "$T/zeros.csv"
rc=0
bounded "$NMIRF" -b "$REQ" -e "$EVT" -k "$DATA/keys/COORD.key" rec import \
    "$T/zeros.csv" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "a file of NULs: exit $rc, expected 2"
err_has "zeros.csv: line 1: a NUL byte: this is not a text file"
printf 'id,mechanism,text_en\r\nN1,CAT,ok\r\nN2,CAT,"two\r\nlines, then \0"\r\n' >"$T/nul.csv"
run 2 rec import "$T/nul.csv"
err_has "nul.csv: line 4: a NUL byte"
# JSON is parsed whole: a file over 32 MiB is refused by its size.
truncate -s 40M "$T/big.json"
rc=0
bounded "$NMIRF" -b "$REQ" -e "$EVT" -k "$DATA/keys/COORD.key" rec import \
    "$T/big.json" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "a 40 MiB JSON file: exit $rc, expected 2"
err_has "big.json: the file has 41943040 bytes, more than the 32 MiB a JSON import may have"
# Under the size cap, tiny values still make a huge tree: 32 MiB of
# [{},{},...] is 11 million objects, 2.5 GB parsed. The parse has a
# memory budget, and passing it refuses the file cleanly.
$PY - "$T/tiny.json" <<'PY'
import sys
n = (32 * 1024 * 1024 - 3) // 3
with open(sys.argv[1], "w") as f:
    f.write("[" + "{}," * n + "{}]")
PY
rc=0
bounded "$NMIRF" -b "$REQ" -e "$EVT" -k "$DATA/keys/COORD.key" rec import \
    "$T/tiny.json" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "32 MiB of empty objects: exit $rc, expected 2"
err_has "tiny.json: too many values: at most 640 MiB of parsed JSON; split the file or use CSV"
rm -f "$T/zeros.csv" "$T/big.json" "$T/tiny.json"

step "a CSV of a million rows is checked in bounded memory"
# The last row is bad, so the whole file is checked and nothing is sent;
# reading it whole used to take 1.4 GB (the bound here is 1 GiB). A
# sanitizer build has no memory bound and is slow: 100,000 rows there.
rows=1000000
if sanitized "$NMIRF"; then rows=100000; fi
$PY - "$T/million.csv" "$rows" <<'PY'
import sys
with open(sys.argv[1], "w", newline="") as f:
    f.write("\ufeffid,mechanism,text_en\r\n")
    for i in range(1, int(sys.argv[2]) + 1):
        f.write("M-%07d,CAT,Recommendation %d\r\n" % (i, i))
    f.write("M-BAD,XYZ,bad\r\n")
PY
rc=0
bounded "$NMIRF" -b "$REQ" -e "$EVT" -k "$DATA/keys/COORD.key" rec import \
    "$T/million.csv" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "the million-row CSV: exit $rc, expected 1"
err_has "million.csv:$((rows + 2)): field 'mechanism' must be one of"
err_has "1 of $((rows + 1)) recommendations in $T/million.csv are bad; nothing imported"
rm -f "$T/million.csv"
[ "$(total)" = "$((N + 300))" ] || fail "refused files changed the store"

step "JSON with a UTF-8 byte order mark, as CSV with one"
printf '\xef\xbb\xbf[{"id":"BOM-1","mechanism":"CAT","text":{"en":"bom"}}]' >"$T/bom.json"
run 0 rec import "$T/bom.json"
out_has "1 added"

step "CSV export neutralises formulas; its import gives back the same bytes"
cat >"$T/formula.json" <<'JSON'
{"recommendations": [
 {"id": "F-1", "mechanism": "CAT", "paragraph": "-12",
  "text": {"en": "=HYPERLINK(\"http://x\",\"y\")", "fr": "'=already quoted", "ar": "-"},
  "themes": ["+1", "@x"], "persons": ["'=a", "b"]},
 {"id": "F-2", "mechanism": "CAT", "symbol": "@SUM(1)",
  "text": {"en": "\ttab", "fr": "'", "ar": "''-x"},
  "response_text": "\rcr", "themes": ["'plain"]}
]}
JSON
run 0 rec import "$T/formula.json"
out_has "2 added"
run 0 rec export --format json --out "$T/f1.json"
run 0 rec export --format csv --out "$T/f1.csv"
$PY - "$T/f1.csv" <<'PY' || fail "a formula cell left as is in the CSV export"
import csv, sys
rows = {r["id"]: r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline=""))}
want = {
    ("F-1", "paragraph"): "'-12", ("F-1", "text_en"): "'=HYPERLINK(\"http://x\",\"y\")",
    ("F-1", "text_fr"): "''=already quoted", ("F-1", "text_ar"): "-",
    ("F-1", "themes"): "'+1\n@x", ("F-1", "persons"): "''=a\nb",
    ("F-2", "symbol"): "'@SUM(1)", ("F-2", "text_en"): "'\ttab", ("F-2", "text_fr"): "'",
    ("F-2", "text_ar"): "'''-x", ("F-2", "response_text"): "'\rcr",
    ("F-2", "themes"): "'plain",
}
bad = [(i, c, rows[i][c], w) for (i, c), w in want.items() if rows[i][c] != w]
for cell in bad:
    print("cell %s.%s is %r, want %r" % cell)
sys.exit(1 if bad else 0)
PY
run 0 rec import "$T/f1.csv"
out_has " 0 added, 0 updated, "
run 0 rec export --format csv --out "$T/f2.csv"
cmp "$T/f1.csv" "$T/f2.csv" || fail "the CSV export differs after its own import"
run 0 rec export --format json --out "$T/f2.json"
cmp "$T/f1.json" "$T/f2.json" || fail "CSV import of neutralised cells changed a value"

step "stop the broker"
broker_stop
echo "data_test: all passed"
