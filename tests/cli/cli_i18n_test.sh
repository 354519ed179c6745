#!/usr/bin/env bash
# cli_i18n_test - the command line in its reader's language, against a real
# nmirfd: LANG=fr_FR.UTF-8 speaks French (messages, help, usage errors,
# table headers, status names), ar_MA.UTF-8 Arabic, LANG=C English; --json
# does not change with the language; --lang picks the text shown, with
# French then English when a text is missing; entity names per language;
# a long id printed whole; keygen --dir with a trailing slash; a submit
# through an agent that is not there says nothing was sent; rec list in
# Arabic is one request (the summaries carry every text); stats names
# statuses, mechanisms and positions in the reader's language, its CSV
# unchanged; withdraw, merge, entity update and report speak French and
# Arabic.
#
# The catalogs are the build tree's ($NMIRF_LOCALEDIR, set by ctest); the
# locales must exist on the machine (tests/setup.sh makes them).
#
# usage: cli_i18n_test.sh NMIRFD NMIRF FIXTURES_DIR
set -euo pipefail

NMIRFD=${1:?usage: cli_i18n_test.sh NMIRFD NMIRF FIXTURES_DIR}
NMIRF=${2:?usage: cli_i18n_test.sh NMIRFD NMIRF FIXTURES_DIR}
unset NMIRF_KEY NMIRF_BROKER NMIRF_EVENTS NMIRF_SERVER_KEY NMIRF_AGENT LC_ALL LANGUAGE
: "${NMIRF_LOCALEDIR:?NMIRF_LOCALEDIR: the po/locale of the build tree}"
export NMIRF_LOCALEDIR

T=$(mktemp -d)
DATA=$T/data
KEYS=$T/keys
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$0")/../harness/lib.sh"

cleanup() {
    local rc=$?
    broker_cleanup "$rc"
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    echo "--- stdout"
    cat "$T/out" 2>/dev/null || true
    echo "--- stderr"
    cat "$T/err" 2>/dev/null || true
    exit 1
}

step() {
    echo "== $*"
}

for loc in fr_FR ar_MA; do
    locale -a 2>/dev/null | grep -qx "$loc.utf8" ||
        fail "the locale $loc.UTF-8 is missing: run tests/setup.sh (as root)"
done

# run LANG WHO STATUS ARGS...: nmirf in locale LANG as WHO ("-" for no
# key), output in $T/out and $T/err, exit status checked.
run() {
    local lang=$1 who=$2 want=$3
    shift 3
    local key=()
    if [ "$who" = COORD ]; then key=(-k "$DATA/keys/COORD.key"); fi
    local rc=0
    LANG=$lang "$NMIRF" -b "$REQ" -e "$EVT" -t 5000 "${key[@]}" "$@" >"$T/out" 2>"$T/err" ||
        rc=$?
    [ "$rc" = "$want" ] || fail "LANG=$lang nmirf $*: exit $rc, expected $want"
}
out_has() { grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1'"; }
out_lacks() { ! grep -qF -- "$1" "$T/out" || fail "stdout has '$1'"; }
err_has() { grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1'"; }
err_lacks() { ! grep -qF -- "$1" "$T/err" || fail "stderr has '$1'"; }

FR=fr_FR.UTF-8
AR=ar_MA.UTF-8

step "start the broker"
broker_start "$NMIRFD"
export NMIRF_SERVER_KEY=$DATA/keys/NMIRFD.pub

# An id as long as ids get (64 bytes), texts in three languages, in one
# only, and in English only.
LONG_ID=CRPD/C/MAR/CO/1:Add.1/recommendation-45-subparagraph-b-and-c.123
[ ${#LONG_ID} = 64 ] || fail "the long id is ${#LONG_ID} bytes"
cat >"$T/recs.json" <<JSON
[
 {"id": "$LONG_ID", "mechanism": "CRPD", "session": "27",
  "source_updated": "2024-05-02",
  "text": {"fr": "Garantir l'accessibilité des bureaux de vote",
           "ar": "ضمان إمكانية الوصول إلى مكاتب التصويت",
           "en": "Ensure that polling stations are accessible"}},
 {"id": "A/HRC/52/7:125.48", "mechanism": "UPR",
  "text": {"fr": "Renforcer l'indépendance du pouvoir judiciaire"}},
 {"id": "A/HRC/52/7:125.90", "mechanism": "UPR",
  "text": {"en": "Reduce prison overcrowding"}}
]
JSON

step "help and usage errors in each language"
run C - 0 --help
out_has "usage: nmirf"
out_has "commands:"
run $FR - 0 --help
out_has "utilisation : nmirf"
out_has "commandes :"
out_has "Suivre les recommandations"
run $AR - 0 --help
out_has "الاستعمال: nmirf"
out_has "الأوامر:"
run $FR - 0 rec --help
out_has "au plus N lignes (1000 par défaut)"
out_has "la langue des textes affichés"
run $AR - 0 rec list --help
out_has "حالة التنفيذ"
run $FR - 2 rec list --limit x
err_has "--limit : « x » n'est pas un nombre entier"
err_has "essayez « nmirf help rec »"
run $AR - 2 rec list --limit x
err_has "ليس عددًا صحيحًا"
run C - 2 rec list --limit x
err_has "--limit: 'x' is not a whole number"
err_has "try 'nmirf help rec'"
run $FR - 2 rec bogus
err_has "pas de sous-commande « bogus »"
run $FR - 2 rec list --lang de
err_has "« de » ne fait pas partie de fr, ar, en"

step "import, enroll, assign"
run C COORD 0 rec import "$T/recs.json"
out_has "3 added"
for id in MJ MEN; do
    run C - 0 keygen "$id" --dir "$KEYS/"
    # One slash between the directory and the file, however --dir is written.
    out_has "$KEYS/$id.key"
    out_lacks "$KEYS//$id.key"
done
run C COORD 0 entity enroll "$KEYS/MJ.pub" --role ministry --name-fr 'Ministère de la Justice' \
    --name-ar 'وزارة العدل' --name-en 'Ministry of Justice'
run C COORD 0 entity enroll "$KEYS/MEN.pub" --role ministry \
    --name-fr "Ministère de l'Éducation nationale"
run C COORD 0 rec assign "$LONG_ID" --lead MJ --deadline 2030-01-31

step "rec list: headers, statuses and texts per language; ids whole"
run C COORD 0 rec list
out_has "ID"
out_has "STATUS"
out_has "not_started"
out_has "$LONG_ID"
out_has "Ensure that polling stations are accessible"
# A text in French only is shown in French; in English only, in English.
out_has "Renforcer l'indépendance du pouvoir judiciaire"
out_has "Reduce prison overcrowding"
run $FR COORD 0 rec list
out_has "STATUT"
out_has "MÉCANISME"
out_has "Non commencée"
out_lacks "not_started"
out_has "$LONG_ID"
out_has "Garantir l'accessibilité des bureaux de vote"
out_has "Reduce prison overcrowding"
run $AR COORD 0 rec list
out_has "الحالة"
out_has "لم يبدأ تنفيذها"
out_has "$LONG_ID"
out_has "ضمان إمكانية الوصول إلى مكاتب التصويت"
# Arabic missing: French before English.
out_has "Renforcer l'indépendance du pouvoir judiciaire"
run C COORD 0 rec list --lang ar
out_has "STATUS"
out_has "ضمان إمكانية الوصول إلى مكاتب التصويت"
out_lacks "Ensure that polling stations"
run $AR COORD 0 rec list --lang en
out_has "Ensure that polling stations are accessible"
out_has "الحالة"

step "rec list in Arabic: one request, the summaries carry every text"
# requests COUNTER: the broker's count of requests, from ping.
requests() {
    run C COORD 0 --json ping
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$T/out"
}
r0=$(requests)
run $AR COORD 0 rec list
out_has "ضمان إمكانية الوصول إلى مكاتب التصويت"
r1=$(requests)
# The list, then the second ping: no rec.show a row.
[ $((r1 - r0)) = 2 ] || fail "rec list in Arabic took $((r1 - r0 - 1)) requests, not 1"
run C COORD 0 --json rec list
python3 - "$T/out" "$LONG_ID" <<'PY' || fail "rec.list summaries lack texts"
import json, sys
recs = {r["id"]: r for r in json.load(open(sys.argv[1]))["recs"]}
t = recs[sys.argv[2]]
assert set(t["texts"]) == {"fr", "ar", "en"}, t
assert t["text"] == t["texts"]["en"], t
assert recs["A/HRC/52/7:125.48"]["texts"] == {"fr": "Renforcer l'indépendance du pouvoir judiciaire"}
PY

step "stats: statuses, mechanisms and positions named in the language; CSV unchanged"
run C COORD 0 stats
out_has "NOT_STARTED"
out_has "CRPD"
run $FR COORD 0 stats
out_has "Non commencée"
out_has "Examen périodique universel (EPU)"
out_has "toutes"
out_lacks "NOT_STARTED"
run $AR COORD 0 stats --by position
out_has "الموقف"
out_has "لا ينطبق"
out_has "قيد الدراسة"
out_lacks "not_applicable"
run $FR COORD 0 stats --by overdue --today 2031-01-01
out_has "JOURS DE RETARD"
out_has "Garantir l'accessibilité des bureaux de vote"
out_has "en retard : 1"
for view in "" "--by position" "--by mechanism" "--by overdue"; do
    # shellcheck disable=SC2086
    run C COORD 0 stats --csv --today 2031-01-01 $view
    cp "$T/out" "$T/csv.C"
    for lang in $FR $AR; do
        # shellcheck disable=SC2086
        run "$lang" COORD 0 stats --csv --today 2031-01-01 $view
        cmp -s "$T/out" "$T/csv.C" || fail "stats --csv $view differs under LANG=$lang"
    done
done
run $FR - 0 stats --help
out_has "seulement celles du cycle ou de la session C"
run $AR - 0 stats --help
out_has "احتساب التوصيات المسحوبة أيضًا"

step "--json is the same in every language"
# json_same ARGS...: nmirf --json ARGS prints the same bytes in every locale.
json_same() {
    run C COORD 0 --json "$@"
    cp "$T/out" "$T/json.C"
    for lang in $FR $AR; do
        run "$lang" COORD 0 --json "$@"
        cmp -s "$T/out" "$T/json.C" || fail "--json $* differs under LANG=$lang"
    done
}
json_same rec list
json_same rec list --lang ar
json_same rec show "$LONG_ID" --lang fr
json_same entity list

step "rec show: the reader's text first, labels and status in the language"
run $FR COORD 0 rec show "$LONG_ID" --lang ar
out_has "statut"
out_has "Non commencée"
head -n 30 "$T/out" | grep -n "texte (" | head -1 | grep -qF "texte (ar)" ||
    fail "the Arabic text is not the first shown"
out_has "mise à jour de la source"
out_has "2024-05-02"
run $AR COORD 0 rec show "$LONG_ID"
out_has "الدورة"
out_has "27"
out_has "تحديث المصدر"
run C COORD 0 rec show "$LONG_ID"
out_has "not_started"
grep "text (" "$T/out" | head -1 | grep -qF "text (en)" || fail "English is not first"

step "entity list: names in the reader's language"
run C COORD 0 entity list
out_has "Ministry of Justice"
out_has "ministry"
run $FR COORD 0 entity list
out_has "Ministère de la Justice"
out_has "NOM"
out_has "Ministère"
run $AR COORD 0 entity list
out_has "وزارة العدل"
out_has "الاسم"
out_has "نشطة"
# No Arabic name: the French one.
out_has "Ministère de l'Éducation nationale"

step "withdraw, merge, entity update and report in French and Arabic"
run $FR - 0 rec --help
out_has "pourquoi elle quitte la liste"
out_has "fond FROM dans INTO"
run $AR - 0 entity --help
out_has "اسمها بالعربية، يحل محل الاسم السابق"
run $FR - 0 report --help
out_has "l'annexe par mécanisme (par défaut)"
run $FR COORD 2 rec withdraw A/HRC/52/7:125.90
err_has "--reason est obligatoire"
run $AR COORD 2 rec withdraw A/HRC/52/7:125.90
err_has "الخيار --reason إلزامي"
run $FR COORD 2 entity update MJ
err_has "donnez un nom (--name-fr, --name-ar, --name-en) ou --contact"
run $AR COORD 0 entity update MEN --name-ar 'وزارة التربية الوطنية' --contact dajg@men.gov.ma
out_has "عنوان الاتصال"
out_has "وزارة التربية الوطنية"
run $FR COORD 0 rec merge A/HRC/52/7:125.90 A/HRC/52/7:125.48
out_has "vers"
out_has "rapports déplacés"
out_has "assignation déplacée"
out_has "non"
run $AR COORD 0 rec show A/HRC/52/7:125.90
out_has "مسحوبة"
out_has "دُمجت في"
run $FR COORD 0 rec list --withdrawn
out_has "retirée"

step "a submit through an agent that is not there: nothing was sent"
rc=0
LANG=C "$NMIRF" -a "$T/no-agent" -t 500 report submit "$LONG_ID" --status in_progress \
    --narrative x >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "submit through no agent: exit $rc, expected 3"
err_has "nothing was sent"
err_lacks "may still be queued"
rc=0
LANG=$FR "$NMIRF" -a "$T/no-agent" -t 500 report submit "$LONG_ID" --status in_progress \
    --narrative x >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "submit through no agent (fr): exit $rc, expected 3"
err_has "rien n'a été envoyé"

broker_stop
echo "cli_i18n_test: ok"
