#!/usr/bin/env bash
# service_installed_test.sh BUILD_DIR
# The sample configs as installed (`cmake --install` into a temporary
# prefix; the Debian package holds the same files under /etc/nmirf) pass
# `-n` as shipped, with the command lines of the installed units: nmirfd
# as nmirfd.service runs it (STATE_DIRECTORY set), nmirf-agent with the
# flags of nmirf-agent@.service's ExecStart. -n touches nothing: no data
# directory appears.
set -u
build=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmirf-inst-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
root=$tmp/prefix

cmake --install "$build" --prefix "$root" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; echo "FAIL: cmake --install"; exit 1; }
for f in bin/nmirfd bin/nmirf-agent etc/nmirf/nmirfd.conf etc/nmirf/nmirf-agent.conf \
         lib/systemd/system/nmirfd.service lib/systemd/system/nmirf-agent@.service; do
    [ -f "$root/$f" ] || fail "cmake --install made no $f"
done
[ "$fails" -eq 0 ] || exit 1
echo "ok - installed into a temporary prefix"

# check NAME WANT_TEXT CMD...: exit 0, WANT_TEXT on stdout, nothing on
# stderr, no data directory made.
check() {
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne 0 ] || ! grep -qxF -- "$want" "$tmp/out" || [ -s "$tmp/err" ]; then
        fail "$name: $* exited $rc; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
    elif [ -e "$tmp/state" ]; then
        fail "$name: -n made $tmp/state"
    else
        echo "ok - $name: $want"
    fi
}

# nmirfd.service: ExecStart=/usr/bin/nmirfd (no flags), data in
# $STATE_DIRECTORY; the config is the installed sample.
exec_d=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/nmirfd.service")
[ "$exec_d" = /usr/bin/nmirfd ] || fail "nmirfd.service ExecStart is '$exec_d'"
conf=$root/etc/nmirf/nmirfd.conf
STATE_DIRECTORY=$tmp/state check "nmirfd -n, installed nmirfd.conf" \
    "$conf: configuration ok" "$root/bin/nmirfd" -n -c "$conf"

# nmirf-agent@.service: its ExecStart with systemd's variables filled in
# as systemd would for nmirf-agent@MJ, then -n and the installed sample.
exec_a=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/nmirf-agent@.service")
case "$exec_a" in
/usr/bin/nmirf-agent\ *) ;;
*) fail "nmirf-agent@.service ExecStart is '$exec_a'" ;;
esac
conf=$root/etc/nmirf/nmirf-agent.conf
line=${exec_a//'${CREDENTIALS_DIRECTORY}'/$tmp/credentials}
line=${line//'${STATE_DIRECTORY}'/$tmp/state/MJ}
line=${line/#\/usr\/bin\/nmirf-agent/$root/bin/nmirf-agent}
read -r -a argv <<<"$line"
check "nmirf-agent -n, installed nmirf-agent.conf, the unit's flags" \
    "$conf: configuration ok" "${argv[@]}" -n -c "$conf"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
