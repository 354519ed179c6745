# shellcheck shell=bash
# lib.sh - what the shell tests share: a real nmirfd started in a
# temporary directory on free loopback ports, waited for, stopped, and its
# log shown when the test fails.
#
# Sourced (". tests/harness/lib.sh") by a test that sets T (its temporary
# directory) and DATA (the broker's data directory, under T). The broker
# logs to $T/broker.log. A test that defines fail() has its failures told
# through it (with its own output); otherwise "FAIL: ..." and exit 1.

BROKER_PID=

# Fails the test with message $1: through the test's fail() if it has one.
broker_fail() {
    if declare -F fail >/dev/null; then
        fail "$1"
    fi
    echo "FAIL: $1"
    exit 1
}

# broker_start NMIRFD: starts the broker (-v, so its log tells every
# request), waits at most 10 s for $DATA/endpoints to name both endpoints
# and sets BROKER_PID, REQ and EVT. Fails the test if the broker exits or
# the endpoints do not come.
# Two free loopback ports, at random below the kernel's ephemeral range
# (as tests/harness/harness.c's h_free_port, which says why: a revocation makes the
# broker bind its ports again, and a port from the ephemeral range can be
# taken meanwhile by any test's outgoing connection).
free_ports() {
    /usr/bin/python3 - <<'PY'
import random, socket
ports = []
for _ in range(1000):
    if len(ports) == 2:
        break
    p = random.randint(20000, 32767)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        if p not in ports:
            ports.append(p)
    except OSError:
        pass
    finally:
        s.close()
if len(ports) < 2:
    raise SystemExit("no two free loopback ports in 20000-32767")
print(*ports)
PY
}

broker_start() {
    local ports req_port ev_port
    ports=$(free_ports)
    req_port=${ports% *}
    ev_port=${ports#* }
    "$1" -d "$DATA" -r "tcp://127.0.0.1:$req_port" -e "tcp://127.0.0.1:$ev_port" -v \
        2>"$T/broker.log" &
    BROKER_PID=$!
    for _ in $(seq 100); do
        [ -s "$DATA/endpoints" ] && grep -q '^events' "$DATA/endpoints" && break
        kill -0 "$BROKER_PID" 2>/dev/null || broker_fail "the broker exited at start"
        sleep 0.1
    done
    [ -s "$DATA/endpoints" ] || broker_fail "no $DATA/endpoints within 10 s"
    REQ=$(sed -n 's/^request *= *//p' "$DATA/endpoints")
    EVT=$(sed -n 's/^events *= *//p' "$DATA/endpoints")
    if [ -z "$REQ" ] || [ -z "$EVT" ]; then
        broker_fail "endpoints file lacks request or events"
    fi
}

# broker_stop: SIGTERM, then fails the test unless the broker exits 0.
broker_stop() {
    local rc=0
    kill -TERM "$BROKER_PID"
    wait "$BROKER_PID" || rc=$?
    BROKER_PID=
    [ "$rc" = 0 ] || broker_fail "the broker exited $rc on SIGTERM"
}

# broker_cleanup RC [LINES]: for the test's EXIT trap. Stops the broker if
# it still runs and, if the test failed (RC not 0), prints its log: all of
# it, or its last LINES lines.
broker_cleanup() {
    local rc=$1 lines=${2:-}
    if [ -n "$BROKER_PID" ]; then
        kill -TERM "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] && [ -f "$T/broker.log" ]; then
        if [ -n "$lines" ]; then
            echo "--- broker log (last $lines lines)"
            tail -n "$lines" "$T/broker.log"
        else
            echo "--- broker log"
            cat "$T/broker.log"
        fi
    fi
}

# sanitized PROGRAM: true if PROGRAM is a sanitizer build (ASan), which
# reserves terabytes of shadow memory and runs several times slower.
sanitized() {
    # The program's file (a bare name is looked up in PATH), then its
    # bytes: a build with ASan, its runtime linked in dynamically or
    # statically (-static-libasan), names __asan_init, which ldd alone
    # does not see in the second case. grep reads the file itself: no pipe.
    local path
    path=$(command -v -- "$1" 2>/dev/null) || return 1
    [ -f "$path" ] && grep -qaF __asan_init -- "$path"
}

# bounded PROGRAM ARGS...: runs PROGRAM with at most 1 GiB of address
# space and 30 s, to prove a command stops early on endless or huge input
# (exit 124 is the timeout; running out of memory fails as the program
# does). In a sanitizer build the address-space limit is left out and only
# the time bound stays.
bounded() {
    if sanitized "$1"; then
        timeout 30 "$@"
    else
        (ulimit -v 1048576 && exec timeout 30 "$@")
    fi
}
