#!/usr/bin/env bash
# service_conf_test.sh NMIRFD NMIRF-AGENT SRCDIR
# `nmirfd -n` and `nmirf-agent -n`: every setting of the sample files
# accepted, each kind of error reported as FILE:LINE with exit 1, usage
# errors exit 2; the sample files as shipped check clean.
set -u
nmirfd=$1 agent=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# run WANT_RC WANT_STDERR_SUBSTRING CMD... : checks the exit status and
# that stderr (or stdout for rc 0) holds the text.
run() {
    local want_rc=$1 want_text=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$* exited $rc, want $want_rc; stderr: $(cat "$tmp/err")"
    elif ! grep -qF -- "$want_text" "$tmp/out" "$tmp/err"; then
        fail "$*: no '$want_text' in: $(cat "$tmp/out" "$tmp/err")"
    else
        echo "ok - $want_rc: $*"
    fi
}

# The sample files, as shipped (every line commented) and with every
# setting uncommented.
run 0 "configuration ok" "$nmirfd" -n -c "$src/conf/nmirfd.conf"
sed 's/^#\([a-z_]* =\)/\1/' "$src/conf/nmirfd.conf" >"$tmp/full.conf"
[ "$(grep -c '^[a-z_]* =' "$tmp/full.conf")" -eq 18 ] || fail "nmirfd.conf sample: not 18 settings"
run 0 "configuration ok" "$nmirfd" -n -c "$tmp/full.conf"
run 0 "configuration ok" "$agent" -n -c "$src/conf/nmirf-agent.conf" -k k -S s
sed 's/^#\([a-z_]* =\)/\1/' "$src/conf/nmirf-agent.conf" >"$tmp/afull.conf"
[ "$(grep -c '^[a-z_]* =' "$tmp/afull.conf")" -eq 7 ] || fail "nmirf-agent.conf sample: not 7 settings"
run 0 "configuration ok" "$agent" -n -c "$tmp/afull.conf"
run 0 "configuration ok" "$nmirfd" -n

# Each kind of error, with its file and line.
c=$tmp/bad.conf
printf 'log_level = info\nnope = 1\n' >"$c"
run 1 "$c:2: unknown setting 'nope'" "$nmirfd" -n -c "$c"
printf '\nmap_size_mib = 10\nmap_size_mib = 20\n' >"$c"
run 1 "$c:3: map_size_mib set again (first on line 2)" "$nmirfd" -n -c "$c"
printf 'slow_commit_ms = fast\n' >"$c"
run 1 "$c:1: slow_commit_ms: 'fast' is not a number from 1 to 600000" "$nmirfd" -n -c "$c"
printf 'coordinator = coord\n' >"$c"
run 1 "$c:1: coordinator: 'coord' is not an entity id" "$nmirfd" -n -c "$c"
printf 'events_endpoint = 127.0.0.1:7711\n' >"$c"
run 1 "$c:1: events_endpoint: '127.0.0.1:7711' is not an endpoint" "$nmirfd" -n -c "$c"
printf '\nrequest_endpoint = tcp://999.1.1.1:1\n' >"$c"
run 1 "$c:2: request_endpoint: 'tcp://999.1.1.1:1' is not an endpoint: not an IPv4 address" "$nmirfd" -n -c "$c"
printf 'events_endpoint = tcp://127.0.0.1:70000\n' >"$c"
run 1 "$c:1: events_endpoint: 'tcp://127.0.0.1:70000' is not an endpoint: the port must be 1 to 65535" "$nmirfd" -n -c "$c"
printf 'due_soon_days = 0\n' >"$c"
run 1 "$c:1: due_soon_days: '0' is not a number from 1 to 3650" "$nmirfd" -n -c "$c"
printf 'checkpoint_interval_s = 86401\n' >"$c"
run 1 "$c:1: checkpoint_interval_s: '86401' is not a number from 1 to 86400" "$nmirfd" -n -c "$c"
printf 'log_level = verbose\n' >"$c"
run 1 "$c:1: log_level: 'verbose' is not a log level" "$nmirfd" -n -c "$c"
printf 'verifiers = 17\n' >"$c"
run 1 "$c:1: verifiers: '17' is not a number from 0 to 16" "$nmirfd" -n -c "$c"
printf 'data_dir /var/lib/nmirf\n' >"$c"
run 1 "$c:1: expected 'key = value'" "$nmirfd" -n -c "$c"
printf 'data_dir = /var/lib/\xe9t\xe9\n' >"$c"
run 1 "$c:1: not valid UTF-8" "$nmirfd" -n -c "$c"
printf 'data_dir = /x\r\n' >"$c"
run 1 "$c:1: control character (byte 0x0d)" "$nmirfd" -n -c "$c"
{ printf 'data_dir = /'; head -c 1100 /dev/zero | tr '\0' a; printf '\n'; } >"$c"
run 1 "$c:1: line longer than 1023 bytes" "$nmirfd" -n -c "$c"
printf 'hook = x\n' >"$c"
run 1 "$c:1: unknown setting 'hook'" "$nmirfd" -n -c "$c"
printf 'log_level = loud\nmap_size_mib = 1024\nfoo = 2\n' >"$c"
"$nmirfd" -n -c "$c" 2>"$tmp/err"
[ "$(grep -c "^$c:[0-9]*: " "$tmp/err")" -eq 2 ] || fail "not every error reported: $(cat "$tmp/err")"
run 1 "$tmp/missing.conf: No such file or directory" "$nmirfd" -n -c "$tmp/missing.conf"
run 1 "$tmp: not a regular file" "$nmirfd" -n -c "$tmp"
printf 'map_size_mib = 1024\n' >"$c"
run 1 "$c:1: unknown setting 'map_size_mib'" "$agent" -n -c "$c" -k k -S s
printf 'request_endpoint = tcp//x\n' >"$c"
run 1 "$c:1: request_endpoint: 'tcp//x' is not an endpoint" "$agent" -n -c "$c" -k k -S s

# Flags override the file, and a bad flag is a usage error.
printf 'map_size_mib = 0\n' >"$c"
run 1 "$c:1: map_size_mib" "$nmirfd" -n -c "$c" --map-size 10
run 2 "--map-size: '0' is not a number" "$nmirfd" -n --map-size 0
run 2 "--log-level: 'x' is not a log level" "$nmirfd" -n --log-level x
run 2 "--slow-commit-ms: 'x' is not a number" "$nmirfd" -n --slow-commit-ms x
run 2 "usage: nmirfd" "$nmirfd" -n --no-such-flag
run 2 "unexpected argument" "$nmirfd" -n extra
# -n names the keys a start would still need (the unit gives them as
# flags) and succeeds; a start without them is a one-line usage error.
run 0 "configuration ok; not set: key_file (-k) and server_key_file (-S)" \
    "$agent" -n -c "$src/conf/nmirf-agent.conf"
! grep -q "usage:" "$tmp/out" "$tmp/err" || fail "nmirf-agent -n on its sample printed the usage"
run 0 "configuration ok; not set: key_file (-k), to give" "$agent" -n -S s
run 2 "not set: server_key_file (-S); the agent needs" "$agent" -k k -d "$tmp/never"
! grep -q "usage:" "$tmp/err" || fail "nmirf-agent without -S printed the whole usage"
[ ! -e "$tmp/never" ] || fail "nmirf-agent without -S made its data directory"
run 2 "--broker: 'x' is not an endpoint" "$agent" -n -k k -S s -b x
run 0 "configuration ok" "$nmirfd" -n -d "$tmp/d" -r tcp://127.0.0.1:1 -e tcp://127.0.0.1:2 \
    --coordinator C1 --map-size 5 --log-level debug --checkpoint-interval 5 \
    --slow-commit-ms 10 --due-soon-days 30 -v
[ ! -e "$tmp/d" ] || fail "nmirfd -n made the data directory"
# A standby (docs/REPLICATION.md): its primary's endpoint and key go
# together; clients take a list of brokers.
run 2 "needs the primary's public key" "$nmirfd" -n --standby-of tcp://127.0.0.1:7710
run 2 "is for a standby" "$nmirfd" -n -S /nonexistent.pub
run 0 "configuration ok" "$nmirfd" -n --standby-of tcp://127.0.0.1:7710 -S p.pub
# Synchronous replication: on or off, nothing else.
run 2 "--synchronous: 'yes' is neither on nor off" "$nmirfd" -n --synchronous yes
run 0 "configuration ok" "$nmirfd" -n --synchronous on
printf 'synchronous = 1\n' >"$c"
run 1 "$c:1: synchronous: '1' is neither on nor off" "$nmirfd" -n -c "$c"
printf 'standby_of = tcp://127.0.0.1:1,tcp://127.0.0.1:2\nprimary_key_file = p\n' >"$c"
run 1 "$c:1: standby_of: 'tcp://127.0.0.1:1,tcp://127.0.0.1:2' is not an endpoint" \
    "$nmirfd" -n -c "$c"
# Automatic failover: a standby that follows, a delay of 1000 ms or more.
sb="--standby-of tcp://127.0.0.1:7710 -S p.pub --standby-key sb.key"
run 0 "configuration ok" "$nmirfd" -n $sb --failover-after 1500
run 0 "configuration ok" "$nmirfd" -n $sb --failover-after 0
run 2 "is for a standby that follows its primary" "$nmirfd" -n --failover-after 3000
run 2 "is for a standby that follows its primary" "$nmirfd" -n --standby-of \
    tcp://127.0.0.1:7710 -S p.pub --failover-after 3000
run 2 "give at least 1000" "$nmirfd" -n $sb --failover-after 999
run 2 "--failover-after" "$nmirfd" -n $sb --failover-after 3600001
run 2 "--failover-after" "$nmirfd" -n $sb --failover-after soon
printf 'failover_after = -5\n' >"$c"
run 1 "$c:1: failover_after" "$nmirfd" -n -c "$c"
run 0 "configuration ok" "$agent" -n -k k -S a,b -b tcp://127.0.0.1:1,tcp://127.0.0.1:2
run 2 "--broker: an empty or overlong endpoint" "$agent" -n -k k -S s -b tcp://127.0.0.1:1,
run 2 "--broker: 'x' is not an endpoint" "$agent" -n -k k -S s -b tcp://127.0.0.1:1,x

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
