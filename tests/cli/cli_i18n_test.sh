#!/usr/bin/env bash
# cli_i18n_test - the command line in its reader's language, against a real
# nmirfd: LANG=fr_FR.UTF-8 speaks French (messages, help, usage errors,
# table headers, status names), ar_MA.UTF-8 Arabic, LANG=C English; --json
# does not change with the language; --lang picks the text shown, with
# French then English when a text is missing; entity names per language;
# a long id printed whole; keygen --dir with a trailing slash; a submit
# through an agent that is not there says nothing was sent.
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
 {"id": "$LONG_ID", "mechanism": "CRPD",
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
