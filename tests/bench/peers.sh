#!/usr/bin/env bash
# tests/bench/peers.sh - nmirf-bench beside its peers, in the same minutes
# (docs/PERFORMANCE.md, "Peers"): a private Redis (appendfsync always,
# XADD through redis-benchmark) and a private PostgreSQL cluster
# (synchronous_commit=on, an INSERT + NOTIFY transaction through pgbench),
# at 1 and 50 clients, and nmirf-bench's 1 x 1, 50 x 1 and 50 x 8,
# interleaved, ROUNDS rounds; then one table: median (min-max) of each
# figure, with the machine line and the floors nmirf-bench printed.
#
# Not run by ctest: it installs packages if missing (apt-get: redis-server,
# redis-tools, postgresql), needs root (PostgreSQL runs as the postgres
# user) and a few minutes. Servers listen on 127.0.0.1 only, on free
# ports, in a temporary directory; all are stopped and removed on any
# exit.
#
# usage: tests/bench/peers.sh [--rounds N] [--seconds S] [--build DIR]
#                             [--keep FILE]
#   --rounds N   rounds (default 3)
#   --seconds S  length of each nmirf-bench window (default 3); the peers
#                run a fixed count sized for a few seconds
#   --build DIR  where nmirfd, nmirf-agent and nmirf-bench are (default
#                build, from the top of the tree)
#   --keep FILE  also write every run's figures there (TSV)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=3
seconds=3
build="$top/build"
keep=""
while [ $# -gt 0 ]; do
    case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "peers.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
case "$rounds$seconds" in *[!0-9]*) echo "peers.sh: --rounds and --seconds take numbers" >&2; exit 2 ;; esac

bench="$build/tests/bench/nmirf-bench"
for f in "$bench" "$build/daemon/nmirfd" "$build/client/agent/nmirf-agent"; do
    [ -x "$f" ] || { echo "peers.sh: $f is missing: build first" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "peers.sh: run as root (PostgreSQL runs as postgres)" >&2; exit 2; }

# The peers' programs, installed if missing.
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null ||
    [ -z "$pgbin" ] || [ ! -x "$pgbin/pgbench" ]; then
    echo "peers.sh: installing redis-server, redis-tools, postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        redis-server redis-tools postgresql >/dev/null
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

tmp=$(mktemp -d /tmp/nmirf-peers.XXXXXX)
chmod 755 "$tmp"
redis_pid=""
pg_started=""
cleanup() {
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    [ -n "$pg_started" ] &&
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Redis: durable on every write (appendfsync always), no snapshots.
rport=$(free_port)
mkdir -p "$tmp/redis"
redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp/redis" --appendonly yes \
    --appendfsync always --save '' --protected-mode yes --daemonize no \
    --logfile "$tmp/redis/log" &
redis_pid=$!
for _ in $(seq 100); do
    redis-cli -p "$rport" ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -p "$rport" ping >/dev/null || { echo "peers.sh: redis did not start" >&2; exit 1; }

# PostgreSQL: a cluster of our own, synchronous_commit=on (fsync on).
pport=$(free_port)
mkdir -p "$tmp/pg" "$tmp/pgsock" "$tmp/pglogs"
chown postgres: "$tmp/pg" "$tmp/pgsock" "$tmp/pglogs"
runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/log" -w -o \
    "-p $pport -k $tmp/pgsock -c listen_addresses=127.0.0.1 -c synchronous_commit=on -c fsync=on -c max_connections=120" \
    start >/dev/null
pg_started=1
psql_() { runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p "$pport" -U postgres -qAt "$@"; }
psql_ -c "CREATE TABLE updates (id bigserial PRIMARY KEY, rec text, status text, narrative text, at timestamptz DEFAULT now())"
cat >"$tmp/insert_notify.sql" <<'EOF'
\set rec random(1, 1000)
BEGIN;
INSERT INTO updates (rec, status, narrative) VALUES ('BENCH-' || :rec, 'in_progress', 'benchmark report');
NOTIFY updates, 'submitted';
END;
EOF
chmod 644 "$tmp/insert_notify.sql"

runs="$tmp/runs.tsv" # round, figure, updates/s, p99 ms
: >"$runs"

# redis CLIENTS PIPELINE COUNT: XADD to one stream.
redis_run() {
    local out
    out=$(timeout 120 redis-benchmark -p "$rport" -c "$1" -P "$2" -n "$3" --csv \
        XADD bench '*' rec BENCH-1 status in_progress narrative benchmark-report 2>/dev/null |
        tail -1)
    # "test","rps","avg","min","p50","p95","p99","max"
    python3 - "$out" <<'EOF'
import csv, sys
row = next(csv.reader([sys.argv[1]]))
print(f"{float(row[1]):.0f}\t{float(row[6]):.3f}")
EOF
}

# pgbench CLIENTS: the INSERT + NOTIFY transaction for $seconds s; p99
# from its per-transaction log.
pg_run() {
    rm -f "$tmp"/pglogs/*
    local out
    out=$(cd "$tmp/pglogs" && timeout 120 runuser -u postgres -- "$pgbin/pgbench" -h 127.0.0.1 \
        -p "$pport" -U postgres -n -f "$tmp/insert_notify.sql" -c "$1" -j "$(( $1 < 2 ? 1 : 2 ))" \
        -T "$seconds" -l --log-prefix="$tmp/pglogs/pglog" postgres 2>&1)
    local tps
    tps=$(printf '%s\n' "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    local p99
    p99=$(cat "$tmp"/pglogs/pglog* | awk '{print $3}' | sort -n |
        awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "%.3f", a[i]/1000}')
    printf '%.0f\t%s\n' "$tps" "$p99"
}

# nmirf-bench N W: the throughput phase only; its BENCH line.
nmirf_run() {
    local out
    out=$(timeout 300 "$bench" "$build/daemon/nmirfd" "$build/client/agent/nmirf-agent" \
        -n "$1" -w "$2" -s "$seconds" -r 0 2>&1)
    printf '%s\n' "$out" | grep '^machine: .*cores' | head -1 >"$tmp/machine" || true
    printf '%s\n' "$out" | grep '^floor: ' >>"$tmp/floors" || true
    printf '%s\n' "$out" | sed -n 's/^BENCH //p' | tail -1
}

record() { # round figure "rate<TAB>p99"
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$runs"
}

record_nmirf() { # round figure json
    local f
    f=$(python3 - "$3" <<'EOF'
import json, sys
j = json.loads(sys.argv[1])
keys = [("updates_per_s", 0), ("ack_p99_ms", 3), ("queue_p99_ms", 3), ("commit_p99_ms", 3),
        ("reply_p99_ms", 3), ("disk_us_per_write", 1), ("pages_per_commit", 1),
        ("floor_per_s", 0), ("ratio_to_floor", 2)]
print("\t".join(f"{j.get(k, 0):.{d}f}" for k, d in keys))
EOF
)
    printf '%s\t%s\t%s\n' "$1" "$2" "$f" >>"$runs"
}

start=$(date +%s)
for r in $(seq "$rounds"); do
    echo "peers.sh: round $r of $rounds" >&2
    record "$r" "redis XADD, 1 client" "$(redis_run 1 1 3000)"
    record "$r" "postgres INSERT+NOTIFY, 1 client" "$(pg_run 1)"
    record_nmirf "$r" "nmirf 1 x 1" "$(nmirf_run 1 1)"
    record "$r" "redis XADD, 50 clients" "$(redis_run 50 1 30000)"
    record "$r" "postgres INSERT+NOTIFY, 50 clients" "$(pg_run 50)"
    record_nmirf "$r" "nmirf 50 x 1" "$(nmirf_run 50 1)"
    record "$r" "redis XADD, 50 clients, pipeline 8" "$(redis_run 50 8 100000)"
    record_nmirf "$r" "nmirf 50 x 8" "$(nmirf_run 50 8)"
done
[ -n "$keep" ] && cp "$runs" "$keep"

echo
echo "peers.sh: $rounds interleaved rounds in $(( $(date +%s) - start )) s on $(uname -n), $(date -u +%FT%TZ)"
cat "$tmp/machine" 2>/dev/null || true
python3 - "$runs" "$tmp/floors" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
order, figs = [], {}
for r in rows:
    if r[1] not in figs:
        order.append(r[1])
        figs[r[1]] = []
    figs[r[1]].append([float(x) if x else 0.0 for x in r[2:]])
def cell(vals, fmt):
    m = statistics.median(vals)
    return f"{fmt.format(m)} ({fmt.format(min(vals))}-{fmt.format(max(vals))})"
print()
print(f"| {'figure':36} | {'updates/s':22} | {'p99 ms':22} | {'queue / commit / reply p99 ms':30} | {'disk us/write':14} | {'pages/commit':12} |")
print("|" + "---|" * 6)
for name in order:
    v = figs[name]
    cols = list(zip(*v))
    rate, p99 = cell(cols[0], "{:.0f}"), cell(cols[1], "{:.2f}")
    split = disk = pages = ""
    if len(cols) > 2:
        split = " / ".join(f"{statistics.median(c):.2f}" for c in cols[2:5])
        disk, pages = cell(cols[5], "{:.1f}"), cell(cols[6], "{:.1f}")
    print(f"| {name:36} | {rate:22} | {p99:22} | {split:30} | {disk:14} | {pages:12} |")
for name in order:
    v = figs[name]
    if name == "nmirf 1 x 1" and len(v[0]) > 8:
        cols = list(zip(*v))
        print(f"\nnmirf 1 x 1 against the floor: floor {cell(cols[7], '{:.0f}')}/s, "
              f"ratio {cell(cols[8], '{:.2f}')}")
try:
    floors = [l.strip() for l in open(sys.argv[2]) if l.strip()]
except OSError:
    floors = []
if floors:
    print("floors, each nmirf run:")
    for l in floors:
        print("  " + l)
EOF
