#!/usr/bin/env bash
# service_units_test.sh SRCDIR NMIRFD NMIRF-AGENT [NMIRF-WEB]
# The systemd units: `systemd-analyze verify` passes with nothing to say
# (ExecStart pointed at the built binaries, since the installed paths do
# not exist here), and `systemd-analyze security --offline=true` scores
# each unit under 2.0. Until nmirf-web is built (client/web/), its unit is
# verified with the agent's binary standing in for it: verify needs only
# an executable. Skipped (exit 77) without systemd-analyze.
set -u
src=$1 nmirfd=$2 agent=$3 web=${4:-}
if [ -z "$web" ]; then
    echo "note: nmirf-web is not built; its unit is verified with $agent as ExecStart"
    web=$agent
fi
if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze is not installed (package systemd)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
grep -q '^ExecStart=/usr/bin/nmirfd\b' "$src/systemd/nmirfd.service" || { echo "FAIL: nmirfd ExecStart"; fails=1; }
grep -q '^ExecStart=/usr/bin/nmirf-agent ' "$src/systemd/nmirf-agent@.service" || { echo "FAIL: agent ExecStart"; fails=1; }
grep -q '^ExecStart=/usr/bin/nmirf-web ' "$src/systemd/nmirf-web@.service" || { echo "FAIL: web ExecStart"; fails=1; }
sed "s|/usr/bin/nmirfd|$nmirfd|" "$src/systemd/nmirfd.service" >"$tmp/nmirfd.service"
sed "s|/usr/bin/nmirf-agent|$agent|" "$src/systemd/nmirf-agent@.service" >"$tmp/nmirf-agent@.service"
sed "s|/usr/bin/nmirf-web|$web|" "$src/systemd/nmirf-web@.service" >"$tmp/nmirf-web@.service"
for unit in nmirfd.service nmirf-agent@.service nmirf-web@.service; do
    if ! systemd-analyze verify --man=no "$tmp/$unit" >"$tmp/out" 2>&1 || [ -s "$tmp/out" ]; then
        echo "FAIL: systemd-analyze verify $unit:"; cat "$tmp/out"; fails=$((fails + 1))
    else
        echo "ok - systemd-analyze verify $unit"
    fi
    score=$(systemd-analyze security --offline=true "$src/systemd/$unit" 2>&1 |
            sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
    if [ -z "$score" ] || ! awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'; then
        echo "FAIL: exposure of $unit is '${score:-?}', want under 2.0"; fails=$((fails + 1))
    else
        echo "ok - exposure of $unit: $score"
    fi
done
[ "$fails" -eq 0 ]
