#!/usr/bin/env bash
# agent_datadir_test.sh NMIRF-AGENT NMIRF
# The agent's data directory (-d), made or found (client/agent/agent_main.c,
# s_make_dir):
#  - missing parents are made 0700 and the directory 0750 (umask 022);
#  - a symbolic link among existing parents is followed (the operator's);
#  - '..' after a name is refused before anything is made; a leading one
#    is kept;
#  - a directory writable by every user, or another user's (when run as
#    root: chown 65534), is refused with its reason, nothing started;
#  - a directory made inside another user's parent is this user's.
# No broker: the agent makes its directory and its control socket before
# it reaches one (-b names a port nothing listens on). Every wait is
# bounded (20 s); each agent's log is printed on failure.
set -u
agent=$1 nmirf=$2
T=$(mktemp -d)
PIDS=()
umask 022

fail() {
    echo "FAIL: $*"
    for log in "$T"/log-*; do
        [ -f "$log" ] && { echo "--- $log"; cat "$log"; }
    done
    exit 1
}
cleanup() {
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

"$nmirf" keygen MJ --dir "$T/keys" >/dev/null || fail "keygen MJ"
"$nmirf" keygen NMIRFD --dir "$T/keys" >/dev/null || fail "keygen NMIRFD"

# runs NAME DIR: an agent on DIR until its control socket appears.
runs() {
    "$agent" -k "$T/keys/MJ.key" -S "$T/keys/NMIRFD.pub" -d "$2" \
        -b tcp://127.0.0.1:1 2>"$T/log-$1" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 200); do
        [ -S "$2/agent.sock" ] && break
        kill -0 "$pid" 2>/dev/null || fail "$1: the agent exited"
        sleep 0.1
    done
    [ -S "$2/agent.sock" ] || fail "$1: no control socket in $2 within 20 s"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
    echo "ok - $1"
}

# refused NAME DIR TEXT: the agent exits non-zero saying TEXT, starts nothing.
refused() {
    "$agent" -k "$T/keys/MJ.key" -S "$T/keys/NMIRFD.pub" -d "$2" \
        -b tcp://127.0.0.1:1 2>"$T/log-$1" &
    local pid=$! rc=
    for _ in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        wait "$pid"
        fail "$1: the agent on $2 still runs after 20 s"
    fi
    wait "$pid"
    rc=$?
    [ "$rc" -ne 0 ] || fail "$1: exit status 0"
    grep -qF -- "$3" "$T/log-$1" || fail "$1: the log does not say '$3'"
    [ ! -e "$2/agent.sock" ] || fail "$1: a control socket was made"
    echo "ok - $1: $3"
}

mode() { stat -c %a "$1"; }

# Missing parents: 0700, the directory 0750.
runs nested "$T/a/b/data"
[ "$(mode "$T/a")" = 700 ] && [ "$(mode "$T/a/b")" = 700 ] ||
    fail "parents made $(mode "$T/a") and $(mode "$T/a/b"), not 700"
[ "$(mode "$T/a/b/data")" = 750 ] || fail "data directory made $(mode "$T/a/b/data")"
grep -qF "made directory $T/a/b/data (mode 0750)" "$T/log-nested" ||
    fail "the log does not name the directory made"

# A link among the existing parents is followed.
mkdir "$T/real"
ln -s "$T/real" "$T/link"
runs "link parent" "$T/link/data"
[ -d "$T/real/data" ] || fail "the data directory is not under the link's target"

# '..' after a name: refused, nothing made; a leading '..' is kept.
refused "dotdot" "$T/x/../y" "'..' after a directory name"
[ ! -e "$T/x" ] && [ ! -e "$T/y" ] || fail "dotdot: something was made"
mkdir "$T/sub"
(cd "$T/sub" && runs "leading dotdot" "../up")
[ -d "$T/up" ] || fail "leading dotdot: $T/up not made"

# Writable by every user: refused.
mkdir "$T/open" && chmod 0777 "$T/open"
refused "world-writable" "$T/open" "writable by every user"

# Another user's: refused. Made inside another user's parent: ours.
if [ "$(id -u)" = 0 ]; then
    mkdir "$T/theirs" && chown 65534 "$T/theirs"
    refused "another user's" "$T/theirs" "owned by another user"
    mkdir "$T/parent" && chown 65534 "$T/parent" && chmod 0755 "$T/parent"
    runs "in another user's parent" "$T/parent/data"
    [ "$(stat -c %u "$T/parent/data")" = 0 ] || fail "made data is not root's"
else
    echo "ok - another user's: skipped (not root: cannot chown)"
fi
exit 0
