#!/usr/bin/env bash
# cli_test - drives the nmirf command line against a real nmirfd, end to
# end: keys, enrolment, import, assignment, reports, events, snapshot, and
# the exit status of every kind of refusal.
#
# usage: cli_test.sh NMIRFD NMIRF FIXTURES_DIR
set -euo pipefail

NMIRFD=${1:?usage: cli_test.sh NMIRFD NMIRF FIXTURES_DIR}
NMIRF=${2:?usage: cli_test.sh NMIRFD NMIRF FIXTURES_DIR}
FIXTURES=${3:?usage: cli_test.sh NMIRFD NMIRF FIXTURES_DIR}
unset NMIRF_KEY NMIRF_BROKER NMIRF_EVENTS NMIRF_SERVER_KEY

T=$(mktemp -d)
DATA=$T/data
KEYS=$T/keys
FOLLOW_PID=
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$0")/../harness/lib.sh"

cleanup() {
    local rc=$?
    if [ -n "$FOLLOW_PID" ]; then
        kill "$FOLLOW_PID" 2>/dev/null || true
        wait "$FOLLOW_PID" 2>/dev/null || true
    fi
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

# The key file of an entity: the broker made the coordinator's.
keyfile() {
    if [ "$1" = COORD ]; then echo "$DATA/keys/COORD.key"; else echo "$KEYS/$1.key"; fi
}

# run WHO STATUS ARGS...: runs nmirf as WHO ("-" for no key) against the
# test broker, output in $T/out and $T/err, and checks its exit status.
run() {
    local who=$1 want=$2
    shift 2
    local key=()
    if [ "$who" != - ]; then key=(-k "$(keyfile "$who")"); fi
    local rc=0
    "$NMIRF" -b "$REQ" -e "$EVT" -t 5000 "${key[@]}" "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" = "$want" ] || fail "nmirf $* (as $who): exit $rc, expected $want"
}

# Output checks: fixed strings, on stdout or stderr.
out_has() { grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1'"; }
out_lacks() { ! grep -qF -- "$1" "$T/out" || fail "stdout has '$1'"; }
err_has() { grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1'"; }

# json EXPR: evaluates a Python expression over the JSON on stdout (as j)
# and prints it.
json() {
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
        "$T/out" "$1" || fail "stdout is not the JSON expected ($1)"
}

# --- the broker ----------------------------------------------------------

step "start the broker"
broker_start "$NMIRFD"

# --- help and usage ------------------------------------------------------

step "help"
run - 0 --help
out_has "commands:"
out_has "exit status:"
run - 0 help rec
out_has "rec import FILE.json"
run - 0 rec --help
out_has "--contributor"
run - 0 report submit --help
out_has "--narrative"
run - 0 events --help
out_has "--follow"
run - 2 help nosuchcommand
err_has "no command 'nosuchcommand'"
run - 2
err_has "no command given"

step "usage errors exit 2"
run - 2 frobnicate
err_has "no command 'frobnicate'"
run - 2 rec list --bogus
err_has "unknown option '--bogus'"
run - 2 rec assign UPR-4-125.12 --lead
err_has "'--lead' needs a value"
run - 2 entity
err_has "missing subcommand"
run - 2 -t soon ping
err_has "--timeout"
run COORD 2 rec assign UPR-4-125.12 --lead MJ --deadline 2024-13-45
err_has "--deadline: '2024-13-45' is not a date"
run COORD 2 rec assign UPR-4-125.12 --deadline 2025-01-01
err_has "--lead is required"
run COORD 2 rec list --mechanism XYZ
err_has "--mechanism: 'XYZ' is not one of"
run COORD 2 report validate seven
err_has "N: 'seven' is not a whole number"
run COORD 2 report return 3
err_has "--reason is required"
run COORD 2 entity show 'lower-case'
err_has "is not an entity id"
run - 2 ping
err_has "give -k FILE or set NMIRF_KEY"
run COORD 2 ping
err_has "the broker's public key is needed: -S DATA/keys/NMIRFD.pub or NMIRF_SERVER_KEY"
run COORD 4 -S "$T/nonexistent.pub" ping
err_has "server key:"
# Every connection is CurveZMQ: from here on the broker's public key comes
# from the environment, as an operator would set it.
export NMIRF_SERVER_KEY=$DATA/keys/NMIRFD.pub
run COORD 0 -S "$DATA/keys/NMIRFD.pub" ping

step "bad import files exit 2"
run COORD 2 rec import "$T/missing.json"
err_has "missing.json"
printf '{"recommendations": [ {"id": "X",, } ] }' >"$T/broken.json"
run COORD 2 rec import "$T/broken.json"
err_has "broken.json:1:"
printf '{"items": []}' >"$T/wrong.json"
run COORD 2 rec import "$T/wrong.json"
err_has "expected an array of recommendations"
printf '[1, 2]' >"$T/scalars.json"
run COORD 2 rec import "$T/scalars.json"
err_has "recommendation 1 is not a JSON object"

# --- keys ----------------------------------------------------------------

step "keygen"
for id in MJ MEN OBS; do
    run - 0 keygen "$id" --dir "$KEYS"
    out_has "$KEYS/$id.key"
    out_has "$KEYS/$id.pub"
    [ "$(stat -c %a "$KEYS/$id.key")" = 600 ] || fail "$id.key is not mode 0600"
done
grep -q '^sign-secret' "$KEYS/MJ.pub" && fail "MJ.pub holds a secret"
run - 4 keygen MJ --dir "$KEYS"
err_has "refusing to overwrite"
run - 2 keygen lowercase --dir "$KEYS"
err_has "is not an entity id"
run - 0 --json keygen MX --dir "$T/keys2"
[ "$(json 'j["entity"]')" = MX ] || fail "keygen --json"

step "local key errors exit 4"
cp "$KEYS/MJ.key" "$T/loose.key"
chmod 0644 "$T/loose.key"
rc=0
"$NMIRF" -b "$REQ" -k "$T/loose.key" ping >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || fail "a 0644 key file: exit $rc, expected 4"
err_has "mode 0644"
rc=0
"$NMIRF" -b "$REQ" -k "$T/nokey.key" ping >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || fail "a missing key file: exit $rc, expected 4"
err_has "nokey.key"
rc=0
"$NMIRF" -b "$REQ" -k "$KEYS/MJ.pub" ping >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || fail "a public key file: exit $rc, expected 4"
err_has "holds no secret key"
# Not a regular file: refused at once (it used to read /dev/zero until the
# memory ran out), a directory named as such, and a huge file by its size.
rc=0
bounded "$NMIRF" -b "$REQ" -k /dev/zero rec list >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || fail "-k /dev/zero: exit $rc, expected 4"
err_has "/dev/zero: not a regular file"
rc=0
"$NMIRF" -b "$REQ" -k "$KEYS" ping >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || fail "-k DIR: exit $rc, expected 4"
err_has "$KEYS: is a directory"
truncate -s 2G "$T/huge.key"
chmod 0600 "$T/huge.key"
rc=0
bounded "$NMIRF" -b "$REQ" -k "$T/huge.key" ping >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || fail "a 2 GB key file: exit $rc, expected 4"
err_has "huge.key: 2147483648 bytes, more than the 65536 allowed"
rm -f "$T/huge.key"

step "unreachable broker exits 3"
# A port nothing listens on: bind one, note it, let it go.
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rc=0
"$NMIRF" -b "tcp://127.0.0.1:$DEAD" -k "$(keyfile COORD)" -t 500 ping >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "unreachable broker: exit $rc, expected 3"
err_has "no reply from tcp://127.0.0.1:$DEAD within 500 ms"

# --- entities ------------------------------------------------------------

step "ping"
run COORD 0 ping
out_has "version"
out_has "$REQ"
run COORD 0 --json ping
json 'j["seq"]' >/dev/null

step "enroll"
run COORD 0 entity enroll "$KEYS/MJ.pub" --role ministry --name-fr 'Ministère de la Justice' \
    --name-ar 'وزارة العدل' --name-en 'Ministry of Justice'
out_has "MJ"
out_has "ministry"
out_has "وزارة العدل"
run COORD 0 entity enroll "$KEYS/MEN.pub" --role ministry \
    --name-fr "Ministère de l'Éducation nationale" --name-ar 'وزارة التربية الوطنية'
run COORD 0 --json entity enroll "$KEYS/OBS.key" --role observer --name-en 'Human rights institution'
[ "$(json 'j["entity"]["role"]')" = observer ] || fail "OBS enrolled as observer"
[ "$(json 'len(j["entity"]["sign_key"])')" = 64 ] || fail "sign_key is 32 bytes"
run COORD 1 entity enroll "$KEYS/MJ.pub" --role ministry
err_has "nmirf: conflict:"
run COORD 2 entity enroll "$KEYS/MJ.pub" --role king
err_has "--role: 'king' is not one of"
run COORD 2 entity enroll "$KEYS/MJ.pub"
err_has "--role is required"
run OBS 1 entity enroll "$T/keys2/MX.pub" --role ministry
err_has "nmirf: forbidden:"

step "entity list and show"
run OBS 0 entity list
for id in COORD MJ MEN OBS; do out_has "$id"; done
out_has "Ministry of Justice"
out_has "Ministère de l'Éducation nationale"
run MJ 0 entity show MJ
out_has "Ministère de la Justice"
out_has "وزارة العدل"
out_has "$(sed -n 's/^curve-public *= *//p' "$KEYS/MJ.pub")"
run MJ 1 entity show NOBODY
err_has "nmirf: not_found:"

# --- recommendations -----------------------------------------------------

step "import"
run COORD 0 rec import "$FIXTURES/recs-small.json"
out_has "imported 6 recommendations"
out_has "6 added, 0 updated, 0 unchanged"
run COORD 0 ping
out_has "mean commit" # the import was synced: its commit's cost shows
run COORD 0 --json rec import "$FIXTURES/recs-small.json"
[ "$(json 'j["unchanged"]')" = 6 ] || fail "a second import leaves all 6 unchanged"
run MJ 1 rec import "$FIXTURES/recs-small.json"
err_has "nmirf: forbidden:"
# An array at the top level, and a changed text: one updated.
python3 - "$FIXTURES/recs-small.json" "$T/changed.json" <<'EOF'
import json, sys
recs = json.load(open(sys.argv[1]))["recommendations"]
recs[1]["text"]["en"] += " (revised)"
json.dump(recs, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
run COORD 0 rec import "$T/changed.json"
out_has "0 added, 1 updated, 5 unchanged"

step "rec list"
run OBS 0 rec list
for id in UPR-4-125.12 UPR-4-125.48 UPR-4-125.90 CAT-CO4-21b CRC-CO5-33a SP-EDU-2024-87; do
    out_has "$id"
done
out_has "not_started"
run OBS 0 rec list --mechanism CAT
out_has "CAT-CO4-21b"
out_lacks "UPR-4-125.12"
run OBS 0 rec list --text 'prisons'
out_has "UPR-4-125.90"
out_lacks "CAT-CO4-21b"
run OBS 0 rec list --text 'الريفية'
out_has "SP-EDU-2024-87"
run OBS 0 rec list --limit 2
out_has "(2 of 6 shown"
run OBS 0 --json rec list
[ "$(json 'j["total"]')" = 6 ] || fail "rec list --json total"
[ "$(json 'len(j["recs"])')" = 6 ] || fail "rec list --json recs"

step "rec show"
run OBS 0 rec show UPR-4-125.12
out_has "discrimination directe et indirecte"
out_has "اعتماد قانون شامل لمكافحة جميع أشكال التمييز، يتضمن تعريفاً للتمييز المباشر وغير المباشر."
out_has "Adopt a comprehensive law"
out_has "(not assigned)"
out_has "Canada, Chile"
run OBS 0 rec show UPR-4-125.90
out_has "noted"
out_has "cost of alternative sentences"
run OBS 1 rec show UPR-9-999
err_has "nmirf: not_found:"

step "assign"
run COORD 0 rec assign UPR-4-125.12 --lead MJ --contributor MEN --deadline 2025-06-30 \
    --note 'Coordonner avec le Parlement'
out_has "MJ"
out_has "MEN"
out_has "2025-06-30"
run COORD 0 rec assign CRC-CO5-33a --lead MEN
run COORD 0 rec assign CAT-CO4-21b --lead MJ
run COORD 1 rec assign UPR-4-125.48 --lead OBS
err_has "nmirf: bad_request:"
run MJ 1 rec assign UPR-4-125.48 --lead MJ
err_has "nmirf: forbidden:"
run OBS 0 rec list --entity MEN
out_has "UPR-4-125.12"
out_has "CRC-CO5-33a"
out_lacks "CAT-CO4-21b"

# --- reports -------------------------------------------------------------

step "submit"
run MJ 0 --json report submit UPR-4-125.12 --status in_progress \
    --narrative 'Avant-projet de loi transmis au Secrétariat général du gouvernement.' \
    --evidence https://example.org/avant-projet --evidence https://example.org/communique \
    --date 2024-03-01
R1=$(json 'j["report"]["id"]')
[ "$(json 'j["report"]["state"]')" = submitted ] || fail "a new report is submitted"
run MEN 0 report submit UPR-4-125.12 --status partially_implemented \
    --narrative 'تم إدماج مبدأ عدم التمييز في المناهج الدراسية.'
out_has "submitted"
out_has "تم إدماج مبدأ عدم التمييز في المناهج الدراسية."
run MEN 0 --json report list --entity MEN
R2=$(json 'j["reports"][0]["id"]')
run MJ 0 --json report submit CAT-CO4-21b --status implemented \
    --narrative 'Circular on access to a lawyer issued.'
R3=$(json 'j["report"]["id"]')

step "refused submissions"
run MJ 1 report submit SP-EDU-2024-87 --status in_progress --narrative 'Not ours'
err_has "nmirf: forbidden:"
run MEN 1 report submit CAT-CO4-21b --status in_progress --narrative 'Not ours either'
err_has "nmirf: forbidden:"
run OBS 1 report submit UPR-4-125.12 --status in_progress --narrative 'Observers do not report'
err_has "nmirf: forbidden:"
run MJ 2 report submit UPR-4-125.12 --status finished --narrative x
err_has "--status: 'finished' is not one of"
run MJ 2 report submit UPR-4-125.12 --status in_progress --narrative x --date 2024-02-30
err_has "--date: '2024-02-30' is not a date"

step "report list"
run OBS 0 report list --state submitted
out_has "UPR-4-125.12"
out_has "CAT-CO4-21b"
run OBS 0 report list --rec CAT-CO4-21b
out_has "Circular on access"
out_lacks "UPR-4-125.12"

step "validate and return"
run MJ 1 report validate "$R1"
err_has "nmirf: forbidden:"
run COORD 0 report validate "$R1"
out_has "validated"
run COORD 0 report return "$R2" --reason 'Préciser les établissements concernés.'
out_has "returned"
out_has "Préciser les établissements concernés."
run COORD 1 report validate "$R2"
err_has "nmirf: conflict:"
run COORD 1 report validate 999
err_has "nmirf: not_found:"
run COORD 0 report validate "$R3"
run OBS 0 report list --state returned
out_has "$R2"
out_lacks "CAT-CO4-21b"

step "status follows validated reports"
run OBS 0 rec show UPR-4-125.12
out_has "in_progress"
out_has "Avant-projet de loi"
run OBS 0 rec list --status implemented
out_has "CAT-CO4-21b"
out_lacks "UPR-4-125.12"

step "stats"
run OBS 0 stats
out_has "IN_PROGRESS"
grep -qE '^MJ +0 +1 +0 +1 +0 +2$' "$T/out" || fail "stats: MJ row"
grep -qE '^UPR +2 +1 +0 +0 +0 +3$' "$T/out" || fail "stats: UPR row"
grep -qE '^all +4 +1 +0 +1 +0 +6$' "$T/out" || fail "stats: total row"
run OBS 0 --json stats
[ "$(json 'j["by_mechanism"]["CAT"]["implemented"]')" = 1 ] || fail "stats --json"

# --- events --------------------------------------------------------------

step "events"
run OBS 0 events
for kind in entity.enrolled rec.added rec.updated assignment.set report.submitted \
    report.validated report.returned; do
    out_has "$kind"
done
run OBS 0 events --since 2 --limit 3
[ "$(grep -cE '^ *[0-9]+  ' "$T/out")" = 3 ] || fail "events --limit 3 shows 3 rows"
grep -qE '^ *3  ' "$T/out" || fail "events --since 2 starts at 3"
out_has "(more events up to"
run OBS 0 --json events
python3 - "$T/out" <<'EOF' || fail "events --json: sequence 1..last without gaps"
import json, sys
j = json.load(open(sys.argv[1]))
seqs = [e["seq"] for e in j["events"]]
assert seqs == list(range(1, j["last"] + 1)), seqs
assert all(len(e["prev"]) == 64 for e in j["events"])
EOF
LAST=$(json 'j["last"]')

step "events --follow"
"$NMIRF" -b "$REQ" -e "$EVT" -k "$(keyfile OBS)" --json events --follow --since $((LAST - 2)) \
    >"$T/follow" 2>"$T/follow.err" &
FOLLOW_PID=$!
# The two old events come from the log; the new one from the subscription
# (or from the log after a heartbeat, if the subscription was late).
for _ in $(seq 100); do
    [ "$(wc -l <"$T/follow")" -ge 2 ] && break
    sleep 0.1
done
run COORD 0 rec assign SP-EDU-2024-87 --lead MEN --contributor MJ
for _ in $(seq 100); do
    [ "$(wc -l <"$T/follow")" -ge 3 ] && break
    sleep 0.1
done
kill -INT "$FOLLOW_PID"
rc=0
wait "$FOLLOW_PID" || rc=$?
FOLLOW_PID=
[ "$rc" = 0 ] || fail "events --follow: exit $rc after SIGINT: $(cat "$T/follow.err")"
python3 - "$T/follow" "$LAST" <<'EOF' || fail "events --follow: $(cat "$T/follow")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
last = int(sys.argv[2])
events = [json.loads(line) for line in lines]
assert [e["seq"] for e in events] == [last - 1, last, last + 1], lines
assert events[-1]["kind"] == "assignment.set"
assert events[-1]["subject"] == "SP-EDU-2024-87"
EOF

step "events --follow from now, text lines"
"$NMIRF" -b "$REQ" -e "$EVT" -k "$(keyfile OBS)" events --follow >"$T/follow" 2>"$T/follow.err" &
FOLLOW_PID=$!
# "Now" is when the follower asked the broker, which the test cannot see:
# write until one write shows, then check that nothing older did.
sleep 0.3
for lead in MJ MEN MJ MEN MJ; do
    run COORD 0 rec assign UPR-4-125.48 --lead "$lead"
    for _ in $(seq 20); do
        [ -s "$T/follow" ] && break
        sleep 0.1
    done
    [ -s "$T/follow" ] && break
done
kill -TERM "$FOLLOW_PID"
rc=0
wait "$FOLLOW_PID" || rc=$?
FOLLOW_PID=
[ "$rc" = 0 ] || fail "events --follow: exit $rc after SIGTERM"
grep -qE "^ +[0-9]+  .*assignment\.set +UPR-4-125\.48 +COORD +M" "$T/follow" ||
    fail "events --follow text line: $(cat "$T/follow")"
awk -v old=$((LAST + 1)) '$1 <= old { bad = 1 } END { exit bad }' "$T/follow" ||
    fail "events --follow from now printed old events: $(cat "$T/follow")"

# --- snapshot ------------------------------------------------------------

step "snapshot"
run OBS 0 snapshot
python3 -m json.tool "$T/out" >/dev/null || fail "snapshot is not JSON"
[ "$(json 'len(j["recs"])')" = 6 ] || fail "snapshot recs"
[ "$(json 'len(j["entities"])')" = 4 ] || fail "snapshot entities"
[ "$(json 'len(j["reports"])')" = 3 ] || fail "snapshot reports"
cp "$T/out" "$T/snapshot.json"
run COORD 0 rec import "$T/snapshot.json"
out_has "0 added, 0 updated, 6 unchanged"

# --- revocation ----------------------------------------------------------

step "events --follow ends at its entity's revocation"
"$NMIRF" -b "$REQ" -e "$EVT" -k "$(keyfile OBS)" --json events --follow \
    >"$T/follow" 2>"$T/follow.err" &
FOLLOW_PID=$!
# A submitted report is not on the public PUB feed: it can only come
# pushed on the follow's own request connection (subscribe).
sleep 0.3
for i in 1 2 3 4 5; do
    run MJ 0 report submit UPR-4-125.12 --status in_progress --narrative "follow $i"
    for _ in $(seq 20); do
        grep -q report.submitted "$T/follow" && break
        sleep 0.1
    done
    grep -q report.submitted "$T/follow" && break
done
grep -q report.submitted "$T/follow" ||
    fail "events --follow: no submitted report pushed: $(cat "$T/follow" "$T/follow.err")"

step "revoke"
run COORD 0 entity revoke OBS
out_has "revoked"
# The follow's subscription ended with the revocation; its next request
# (a ping every 5 s, or a new subscribe when heartbeats stop) is refused.
for _ in $(seq 150); do
    kill -0 "$FOLLOW_PID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$FOLLOW_PID" 2>/dev/null; then
    kill -TERM "$FOLLOW_PID"
    fail "events --follow still runs 15 s after its entity's revocation"
fi
rc=0
wait "$FOLLOW_PID" || rc=$?
FOLLOW_PID=
[ "$rc" = 1 ] || fail "events --follow after revocation: exit $rc, not 1"
grep -q "revoked" "$T/follow.err" ||
    fail "events --follow after revocation: $(cat "$T/follow.err")"
# A revoked entity is refused at the handshake (ZAP): no reply at all.
run OBS 3 -t 500 ping
err_has "no reply from"
run COORD 1 entity revoke COORD
err_has "nmirf: conflict:"

step "rotate"
# New keys for MEN from its own keygen: the id comes from the file.
run - 0 keygen MEN --dir "$T/newkeys"
run COORD 0 --json entity rotate "$T/newkeys/MEN.pub"
[ "$(json 'j["entity"]["id"]')" = MEN ] || fail "rotate: not MEN's record"
[ "$(json 'len(j["entity"]["previous_keys"])')" = 1 ] || fail "rotate: no previous key kept"
rc=0
"$NMIRF" -b "$REQ" -t 5000 -k "$T/newkeys/MEN.key" ping >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 0 ] || fail "MEN's new key: exit $rc, expected 0"
run COORD 4 entity rotate "$T/nonexistent.pub"
err_has "nonexistent.pub"
run MJ 1 entity rotate "$T/newkeys/MEN.pub"

step "who wrote a report (--by)"
BY='Fatima Zahra El Idrissi / فاطمة الزهراء'
run MJ 0 report submit UPR-4-125.12 --status in_progress --narrative 'Signed by name' \
    --by "$BY"
grep -qE "^by +$BY\$" "$T/out" || fail "report submit --by: no 'by' line"
run MJ 0 --json report submit UPR-4-125.12 --status in_progress --narrative 'JSON by' \
    --by "$BY"
[ "$(json 'j["report"]["by"]')" = "$BY" ] || fail "report submit --by --json"
[ "$(json 'list(j["report"])[3]')" = by ] || fail "by is not stored after entity"
run MJ 0 --json report submit UPR-4-125.12 --status in_progress --narrative 'No by'
[ "$(json '"by" in j["report"]')" = False ] || fail "a report without --by has a by"
run COORD 0 report list --entity MJ
grep -qE '^ *ID +REC +ENTITY +BY +DATE +STATUS' "$T/out" || fail "report list: no BY column"
out_has "Fatima Zahra El Idrissi"
run COORD 0 --json report list --entity MJ
[ "$(json 'len([r for r in j["reports"] if "by" in r])')" = 2 ] ||
    fail "report list --json: two reports with by"
run COORD 0 report list --rec CAT-CO4-21b
grep -qE '^ *ID +REC +ENTITY +DATE +STATUS' "$T/out" ||
    fail "report list without by: not the columns it always had"
run COORD 0 rec show UPR-4-125.12
grep -qE '^ *ID +REC +ENTITY +BY +DATE' "$T/out" || fail "rec show: no BY column"
out_has "Fatima Zahra El Idrissi"
run COORD 0 rec show CAT-CO4-21b
out_lacks " BY "
run MJ 2 report submit UPR-4-125.12 --status in_progress --narrative x --by ''
err_has "--by: the text is empty"
run MJ 2 report submit UPR-4-125.12 --status in_progress --narrative x --by $'two\nlines'
err_has "--by: the text holds a control character"
run MJ 2 report submit UPR-4-125.12 --status in_progress --narrative x \
    --by "$(printf 'x%.0s' $(seq 129))"
err_has "--by: the text is 129 bytes, over the limit of 128"

step "repairing the list: rec withdraw, rec merge, entity update"
run MJ 1 rec withdraw CAT-CO4-21b --reason duplicate
err_has "forbidden"
run COORD 2 rec withdraw CAT-CO4-21b
err_has "--reason is required"
run COORD 0 rec withdraw SP-EDU-2024-87 --reason "not addressed to the country"
out_has "not addressed to the country"
run COORD 0 rec list
out_lacks "SP-EDU-2024-87"
run COORD 0 rec list --withdrawn
out_has "SP-EDU-2024-87"
out_has "withdrawn"
run COORD 0 rec show SP-EDU-2024-87
out_has "not addressed to the country"
run COORD 0 rec export
out_lacks "SP-EDU-2024-87"
run COORD 1 rec withdraw SP-EDU-2024-87 --reason again
err_has "conflict"
run COORD 0 rec merge CRC-CO5-33a UPR-4-125.48
out_has "reports moved"
run COORD 0 rec show CRC-CO5-33a
out_has "merged into"
out_has "UPR-4-125.48"
run COORD 2 entity update MJ
err_has "give a name"
run COORD 2 entity update MJ --contact $'two\nlines'
err_has "control character"
run COORD 0 entity update MJ --name-ar 'وزارة العدل' --contact dajg@justice.gov.ma
out_has "dajg@justice.gov.ma"
out_has "وزارة العدل"
run COORD 0 entity show MJ
out_has "dajg@justice.gov.ma"

step "stop the broker"
broker_stop

step "the log with reports naming who wrote them verifies"
run - 0 audit verify --data "$DATA"
out_has "ok: the event log verifies"
echo "cli_test: all passed"
