#!/usr/bin/env bash
# readme_test.sh SRCDIR BUILDDIR
# The README's "Use it" section, run as written: its ```sh blocks (found
# by the heading, not by line numbers; plain ``` blocks are examples for
# other machines and are not run), in order, in one bash, as a newcomer
# would paste them from a clone after the build:
#  - in a fresh HOME (so ~/nmirf is the test's) and a working directory
#    standing for the clone, with `build` and `data` linked to the real
#    ones (the README's PATH line and sample file resolve through them);
#  - with exactly these changes, each printed: the README's fixed ports
#    (7710, 7711, 7780) become free loopback ports; three lines are
#    skipped, each named (the build: ctest runs on a build already made;
#    `nmirf events --follow` and `nmirf watch`, which never end); a skip
#    whose line is no longer in the README fails the test, so the list
#    follows the README;
#  - the passwords `nmirf-web user add` asks for come on stdin, one line
#    each (it reads one line when stdin is not a terminal).
# Then it checks the outcome from outside: the recommendation imported,
# assigned to MJ, its report validated, MJ notified of both in the
# agent's log, the agent's report acknowledged,
# `nmirf mine` at the agent showing it, the agent's missing parent made
# 0700, the console's two accounts and its page served, the files the
# commands wrote. Every wait is bounded; the blocks run under a 180 s
# timeout. Everything started is stopped (the blocks' background jobs,
# then each data directory's lock holder as a backstop); on failure the
# broker's, the agent's and the console's logs are printed.
set -u
src=$(cd "$1" && pwd) build=$(cd "$2" && pwd)
T=$(mktemp -d)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../harness/lib.sh
. "$here/../harness/lib.sh" # free_ports

export HOME=$T/home
mkdir -p "$HOME" "$T/clone"
ln -s "$build" "$T/clone/build"
ln -s "$src/data" "$T/clone/data"
unset NMIRF_BROKER NMIRF_EVENTS NMIRF_KEY NMIRF_SERVER_KEY NMIRF_AGENT

fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
logs() {
    for f in "$HOME"/nmirf/*.log; do
        [ -f "$f" ] && { echo "--- $f"; cat "$f"; }
    done
}
cleanup() {
    local rc=$?
    local p
    for p in $(cat "$T/jobs" 2>/dev/null); do
        kill -TERM "$p" 2>/dev/null
    done
    # A backstop for a job the list missed: the pid each daemon wrote
    # into its data directory's lock (nmirf_dirlock), if it still runs
    # from this test's HOME.
    for f in "$HOME/nmirf/agents/MJ/lock" "$HOME/nmirf/broker/lock"; do
        p=$(cat "$f" 2>/dev/null) || continue
        case $p in '' | *[!0-9]*) continue ;; esac
        if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$HOME/nmirf"; then
            kill -TERM "$p" 2>/dev/null
        fi
    done
    for _ in $(seq 50); do
        local alive=0
        for p in $(cat "$T/jobs" 2>/dev/null); do
            kill -0 "$p" 2>/dev/null && alive=1
        done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    [ "$rc" -ne 0 ] && logs
    rm -rf "$T"
}
trap cleanup EXIT

# --- the blocks -----------------------------------------------------------
awk '
    /^## / { inside = ($0 == "## Use it") ; next }
    inside && /^```sh$/ { block = 1; next }
    inside && block && /^```$/ { block = 0; print ""; next }
    inside && block { print }
' "$src/README.md" >"$T/blocks.sh"
[ -s "$T/blocks.sh" ] || { fail "no \`\`\`sh block under '## Use it' in README.md"; exit 1; }

# skip REGEX REASON: the one line matching REGEX is replaced by a message.
skip() {
    local n
    n=$(grep -cE -- "$1" "$T/blocks.sh")
    if [ "$n" != 1 ]; then
        fail "README 'Use it': $n lines match '$1' (want 1): update tests/readme/readme_test.sh"
        return
    fi
    echo "skipped ($2): $(grep -E -- "$1" "$T/blocks.sh")"
    REGEX=$1 REASON=$2 awk '
        $0 ~ ENVIRON["REGEX"] { print "echo \"skipped: " ENVIRON["REASON"] "\""; next }
        { print }' "$T/blocks.sh" >"$T/blocks.tmp" && mv "$T/blocks.tmp" "$T/blocks.sh"
}
skip '^cmake -S \. -B build' "the build: this test runs on $build"
skip '^nmirf events --follow' "never ends"
skip '^nmirf watch' "never ends"

ports=$(free_ports) || exit 1
p_req=${ports% *} p_evt=${ports#* }
ports=$(free_ports) || exit 1
p_web=${ports% *}
echo "ports: 7710 -> $p_req, 7711 -> $p_evt, 7780 -> $p_web"
sed -i -E "s/\\b7710\\b/$p_req/g; s/\\b7711\\b/$p_evt/g; s/\\b7780\\b/$p_web/g" "$T/blocks.sh"
[ "$fails" -eq 0 ] || exit 1

# The run: stops at the first failing command (-e), shows each (-x), and
# leaves the list of its background jobs for cleanup however it ends.
{
    echo "set -e -o pipefail"
    echo "trap 'jobs -p >\"$T/jobs\"' EXIT"
    echo "trap 'exit 143' TERM"
    echo "set -x"
    cat "$T/blocks.sh"
    echo "jobs -p >\"$T/jobs\""
} >"$T/run.sh"
printf 'readme-amina-pw-1\nreadme-karim-pw-2\n' >"$T/passwords"
echo "--- running README 'Use it' ($(grep -cv '^$' "$T/blocks.sh") lines)"
(cd "$T/clone" && timeout 180 bash "$T/run.sh" <"$T/passwords")
rc=$?
if [ "$rc" -ne 0 ]; then
    fail "the README's commands stopped with status $rc (the last command shown above failed)"
    exit 1
fi

# --- the outcome ------------------------------------------------------------
export PATH="$build/daemon:$build/client:$build/client/agent:$build/client/web:$PATH"
export NMIRF_BROKER=tcp://127.0.0.1:$p_req NMIRF_KEY=$HOME/nmirf/broker/keys/COORD.key
export NMIRF_SERVER_KEY=$HOME/nmirf/broker/keys/NMIRFD.pub
rec=A/HRC/52/7:125.48

nmirf --json rec list --entity MJ >"$T/recs.json" || fail "rec list --entity MJ"
grep -qF "\"$rec\"" "$T/recs.json" || fail "$rec is not assigned to MJ: $(cat "$T/recs.json")"

# report_states: the states of MJ's reports on the recommendation.
report_states() {
    nmirf --json report list --entity MJ 2>/dev/null |
        /usr/bin/python3 -c '
import json, sys
def reports(d):  # the list, wherever the reply keeps it
    if isinstance(d, list):
        return [r for r in d if isinstance(r, dict)]
    for v in d.values() if isinstance(d, dict) else []:
        if isinstance(v, list):
            return reports(v)
    return []
print(" ".join(sorted(r.get("state", "?") for r in reports(json.load(sys.stdin))
                      if r.get("rec") == sys.argv[1])))
' "$rec"
}
states=
for _ in $(seq 100); do # the agent's report: sent once its link is up
    states=$(report_states)
    [ "$states" = "submitted validated" ] && break
    sleep 0.2
done
[ "$states" = "submitted validated" ] ||
    fail "MJ's reports on $rec: '$states', want one validated (-k) and one submitted (the agent)"

mine=
for _ in $(seq 100); do # the replica: loaded from the broker
    mine=$(nmirf -a "$HOME/nmirf/agents/MJ" mine 2>&1)
    grep -qF "$rec" <<<"$mine" && break
    sleep 0.2
done
grep -qF "$rec" <<<"$mine" || fail "nmirf mine at the agent does not show $rec: $mine"

# What the README says the agent's log shows: MJ notified of the
# assignment and of the validation.
for kind in assigned validated; do
    grep -q "notification: .*$kind" "$HOME/nmirf/agent-MJ.log" ||
        fail "no '$kind' notification in ~/nmirf/agent-MJ.log"
done

mode=$(stat -c %a "$HOME/nmirf/agents")
[ "$mode" = 700 ] || fail "the agent made its missing parent ~/nmirf/agents with mode $mode, not 700"

users=$(nmirf-web -a "$HOME/nmirf/agents/MJ" user list 2>&1)
grep -qE '^amina +editor' <<<"$users" && grep -qE '^karim +viewer' <<<"$users" ||
    fail "the console's accounts: $users"
page=
for _ in $(seq 50); do
    page=$(/usr/bin/python3 -c '
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=5).status)
' "$p_web" 2>/dev/null) && break
    sleep 0.2
done
[ "$page" = 200 ] || fail "the console at 127.0.0.1:$p_web did not serve its page"

for f in recs.csv etat.html backup; do
    [ -e "$HOME/nmirf/$f" ] || fail "~/nmirf/$f was not written"
done

if [ "$fails" -eq 0 ]; then
    echo "ok - README 'Use it' ran as written: $rec imported, assigned to MJ, reported, validated; the agent's report acknowledged; mine shows it; the console's accounts made and its page served"
fi
exit $((fails > 0))
