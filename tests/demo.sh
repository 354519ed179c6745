#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs a
# broker with a coordinator and two ministries on loopback, each ministry
# with its own agent, showing recommendations imported, assigned (the
# ministry's agent notifies it at once), reported on through the agent, and
# validated, measures with an indicator, deadline reminders, status
# statistics and a self-contained HTML report, and every change arriving as
# a numbered event. The coordinator runs an agent too, and each agent has
# its console in the browser (nmirf-web, docs/WEB.md) with a demo account;
# when run from a terminal the demo prints their addresses and logins and
# keeps them running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

tests/setup.sh
echo "demo: building (build/)..."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

work=$(mktemp -d /tmp/nmirf-demo.XXXXXX)
broker_pid="" follow_pid="" agent_pids="" watch_pids="" web_pids=""
cleanup() {
    for p in $web_pids $watch_pids $agent_pids; do kill "$p" 2>/dev/null || true; done
    [ -n "$follow_pid" ] && kill "$follow_pid" 2>/dev/null || true
    [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
    echo
    echo "demo: the broker's data, keys and log stay in $work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

say "Start the broker (nmirfd) on loopback, with its own data directory"
# The broker looks for deadlines due soon (14 days) or passed once a minute;
# the demo has it look every second (a test hook, docs/OPERATIONS.md).
NMIRFD_DEADLINE_SCAN_MS=1000 "$repo/build/daemon/nmirfd" -d "$work/data" -r 'tcp://127.0.0.1:*' -e 'tcp://127.0.0.1:*' \
    2>"$work/nmirfd.log" &
broker_pid=$!
for _ in $(seq 50); do [ -s "$work/data/endpoints" ] && break; sleep 0.1; done
cat "$work/nmirfd.log"
export NMIRF_BROKER=$(sed -n 's/^request = //p' "$work/data/endpoints")
export NMIRF_EVENTS=$(sed -n 's/^events = //p' "$work/data/endpoints")
# Every connection is CurveZMQ: clients need the broker's public key.
export NMIRF_SERVER_KEY="$work/data/keys/NMIRFD.pub"
nmirf() { "$repo/build/client/nmirf" "$@"; }
# The command line's catalogs, from the build tree (installed, they are
# found in share/locale): LANG=fr_FR.UTF-8 or ar_MA.UTF-8 picks one.
export NMIRF_LOCALEDIR="$repo/build/po/locale"
COORD="$work/data/keys/COORD.key"

say "Follow every event as it is published (in the background)"
# $! must be nmirf's pid (not a pipeline's last command) so cleanup stops it.
"$repo/build/client/nmirf" -k "$COORD" events --follow > >(sed -u 's/^/    [event] /') &
follow_pid=$!
sleep 0.5

say "Two ministries make their keys; the coordinator enrolls them"
run nmirf keygen MJ --dir "$work"
run nmirf keygen MS --dir "$work"
run nmirf -k "$COORD" entity enroll "$work/MJ.pub" --role ministry \
    --name-fr "Ministère de la Justice" --name-ar "وزارة العدل" --name-en "Ministry of Justice" >/dev/null
run nmirf -k "$COORD" entity enroll "$work/MS.pub" --role ministry \
    --name-fr "Ministère de la Santé" --name-ar "وزارة الصحة" --name-en "Ministry of Health" >/dev/null
sleep 0.2
run nmirf -k "$COORD" entity list

say "Each ministry runs its agent (its keys, a replica, an outbox) and watches its notifications"
for m in MJ MS; do
    "$repo/build/client/agent/nmirf-agent" -k "$work/$m.key" -S "$NMIRF_SERVER_KEY" -d "$work/agent-$m" \
        -b "$NMIRF_BROKER" 2>"$work/agent-$m.log" &
    agent_pids="$agent_pids $!"
done
for m in MJ MS; do
    for _ in $(seq 50); do [ -S "$work/agent-$m/agent.sock" ] && break; sleep 0.1; done
    "$repo/build/client/nmirf" -a "$work/agent-$m" watch > >(sed -u "s/^/    [$m notified] /") &
    watch_pids="$watch_pids $!"
done
sleep 0.5
echo "agents running: $work/agent-MJ, $work/agent-MS (logs: $work/agent-*.log)"

say "The coordinator runs an agent too (its key, its replica), for its console"
"$repo/build/client/agent/nmirf-agent" -k "$COORD" -S "$NMIRF_SERVER_KEY" -d "$work/agent-COORD" \
    -b "$NMIRF_BROKER" 2>"$work/agent-COORD.log" &
agent_pids="$agent_pids $!"
for _ in $(seq 50); do [ -S "$work/agent-COORD/agent.sock" ] && break; sleep 0.1; done

# The consoles: one nmirf-web beside each agent, on a free loopback port
# (it writes its address to AGENT_DIR/web/endpoint), each with a demo
# account whose password is made now and printed at the end.
web="$repo/build/client/web/nmirf-web"
consoles=""
if [ -x "$web" ]; then
    say "Each agent gets its console in the browser (nmirf-web) and a demo account"
    sleep 0.5 # the agents load their replica (a console asks its agent who it is)
    for pair in MJ:mj:editor MS:ms:editor COORD:coord:coordinator; do
        IFS=: read -r m user role <<<"$pair"
        pass=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
        printf '$ %s\n' "nmirf-web -a $work/agent-$m user add $user --role $role   # password on stdin" >&2
        added=""
        for _ in $(seq 50); do
            if printf '%s\n' "$pass" | "$web" -a "$work/agent-$m" user add "$user" --role "$role" \
                >/dev/null 2>"$work/web-$m-user.err"; then
                added=1
                break
            fi
            sleep 0.2 # the agent's replica may not know its entity yet
        done
        [ -n "$added" ] || cat "$work/web-$m-user.err" >&2
        "$web" -a "$work/agent-$m" --listen 127.0.0.1:0 2>"$work/web-$m.log" &
        web_pids="$web_pids $!"
        for _ in $(seq 50); do [ -s "$work/agent-$m/web/endpoint" ] && break; sleep 0.1; done
        consoles="$consoles $m:$user:$pass"
    done
else
    echo "(no $web: the consoles are not built; the demo goes on without them)"
fi

say "The coordinator imports sample recommendations (UPR, treaty bodies, a special procedure)"
run nmirf -k "$COORD" rec import data/samples/recs.json
sleep 0.2
run nmirf -k "$COORD" rec list --limit 12

say "Assign: Justice leads A/HRC/52/7:125.48, Health contributes; deadline in 60 days"
run nmirf -k "$COORD" rec assign A/HRC/52/7:125.48 --lead MJ --contributor MS \
    --deadline "$(date -u -d '+60 days' +%F)" --note "Report on the judicial appointments reform" >/dev/null
sleep 0.2

say "Justice sees it in its agent's replica"
run nmirf -a "$work/agent-MJ" mine

say "Justice reports progress through its agent, which signs it, keeps it on disk until acknowledged"
run nmirf -a "$work/agent-MJ" report submit A/HRC/52/7:125.48 --status in_progress \
    --narrative "Projet de loi organique transmis au Parlement." --evidence https://example.org/bill >/dev/null
sleep 0.2

say "The coordinator validates it"
run nmirf -k "$COORD" report validate 1 >/dev/null
sleep 0.2

say "Health reports too; the coordinator returns it with a reason"
run nmirf -a "$work/agent-MS" report submit A/HRC/52/7:125.48 --status implemented \
    --narrative "Formation des magistrats achevée." >/dev/null
run nmirf -k "$COORD" report return 2 --reason "Joindre la liste des sessions de formation." >/dev/null
sleep 0.2

say "Justice plans a measure with an indicator, and reports a value through its agent"
run nmirf -k "$work/MJ.key" measure add --rec A/HRC/52/7:125.48 \
    --title "Former les magistrats à la loi organique" --indicator "magistrats formés" \
    --unit persons --baseline 0 --target 1200 --milestone "$(date -u -d '+1 year' +%F)=1200"
run nmirf -a "$work/agent-MJ" report submit A/HRC/52/7:125.48 --status in_progress \
    --narrative "Première session: 300 magistrats formés." --measure 1 \
    --value "$(date -u +%F)=300" >/dev/null
sleep 0.3
run nmirf -k "$COORD" report validate 3 >/dev/null
sleep 0.2
run nmirf -k "$COORD" measure show 1

say "Deadlines: Health leads two more; the broker reminds them (due soon, then overdue)"
run nmirf -k "$COORD" rec assign A/HRC/52/7:125.12 --lead MS \
    --deadline "$(date -u -d '+7 days' +%F)" >/dev/null
run nmirf -k "$COORD" rec assign CRC/C/MAR/CO/5-6:25 --lead MS \
    --deadline "$(date -u -d '-3 days' +%F)" >/dev/null
sleep 2.5

say "Health tries to report on a recommendation not assigned to it: refused"
set +e
run nmirf -k "$work/MS.key" report submit CRC/C/MAR/CO/5-6:17 --status implemented --narrative "x"
echo "(exit status $?)"
set -e

say "Nothing left in Health's outbox; what its replica holds"
run nmirf -a "$work/agent-MS" outbox
run nmirf -a "$work/agent-MS" mine

say "Where things stand"
run nmirf -k "$COORD" rec show A/HRC/52/7:125.48
run nmirf -k "$COORD" stats
run nmirf -k "$COORD" stats --by overdue

say "The command line speaks the reader's language (here French, then Arabic)"
run env LANG=fr_FR.UTF-8 "$repo/build/client/nmirf" -k "$COORD" rec list --entity MJ
run env LANG=ar_MA.UTF-8 "$repo/build/client/nmirf" -k "$COORD" stats --by mechanism

say "The follow-up report to send with a mid-term report: figures, charts, and each recommendation with its narratives and measures; as a page (fr, ar) and as a document to edit (ODT)"
run nmirf -k "$COORD" report --html "$work/report-fr.html" --lang fr
run nmirf -k "$COORD" report --html "$work/report-ar.html" --lang ar
run nmirf -k "$COORD" report --odt "$work/suivi-epu-fr.odt" --lang fr --mechanism UPR --group cycle
ls -l "$work"/report-*.html "$work"/*.odt

say "The event log: every change, numbered without gaps"
run nmirf -k "$COORD" events

if [ -n "$consoles" ]; then
    say "The consoles (nmirf-web): open them in a browser"
    printf '  %-6s %-32s %-8s %s\n' agent address login password
    for c in $consoles; do
        IFS=: read -r m user pass <<<"$c"
        printf '  %-6s %-32s %-8s %s\n' "$m" "$(cat "$work/agent-$m/web/endpoint")" "$user" "$pass"
    done
    echo "  (logs: $work/web-*.log; accounts: nmirf-web -a $work/agent-MJ user list)"
    # From a terminal (not in CI) the demo waits here: background jobs of
    # a script ignore SIGINT, so Ctrl-C ends the wait and nothing else,
    # and the demo then stops everything as below.
    if [ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ]; then
        echo
        echo "The demo keeps running; Ctrl-C stops it."
        stop_wait=""
        trap 'stop_wait=1' INT
        while [ -z "$stop_wait" ]; do sleep 1 || true; done
        trap - INT
    fi
fi

say "Stop everything: the broker signs a checkpoint of its log head as it stops"
for p in $web_pids $watch_pids $agent_pids $follow_pid; do kill "$p" 2>/dev/null || true; done
web_pids="" watch_pids="" agent_pids="" follow_pid=""
kill "$broker_pid" && wait "$broker_pid" || true
broker_pid=""
tail -n 2 "$work/nmirfd.log"

say "Anyone with a copy of the data can check the log offline: chain, signatures, checkpoints"
run nmirf audit verify --data "$work/data"
