#!/usr/bin/env bash
# lib_test - the test library's own checks: `sanitized` tells an ASan build
# by its path or by a bare name found in PATH, with libasan linked in
# dynamically or statically (-static-libasan), and a plain build is not one
# (else `bounded` would put a 1 GiB address-space limit on an ASan build,
# which cannot start under it). Builds three small programs with CC.
#
# usage: lib_test.sh CC
set -euo pipefail

CC=${1:?usage: lib_test.sh CC}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$0")/lib.sh"

fail() {
    echo "FAIL: $*"
    exit 1
}

printf 'int main(void) { return 0; }\n' >"$T/p.c"
mkdir "$T/bin"
"$CC" -o "$T/bin/plain" "$T/p.c"
"$CC" -fsanitize=address -o "$T/bin/asan" "$T/p.c"
static=0
if "$CC" -fsanitize=address -static-libasan -o "$T/bin/asan-static" "$T/p.c" 2>/dev/null; then
    static=1
else
    echo "($CC has no -static-libasan: that case is not checked)"
fi

! sanitized "$T/bin/plain" || fail "a plain build taken for a sanitizer build"
sanitized "$T/bin/asan" || fail "an ASan build not seen by its path"
PATH=$T/bin:$PATH sanitized asan || fail "an ASan build not seen by a bare name"
! PATH=$T/bin:$PATH sanitized plain || fail "a plain build (bare name) taken for ASan"
! sanitized "$T/bin/none" || fail "a missing program taken for ASan"
if [ "$static" = 1 ]; then
    sanitized "$T/bin/asan-static" || fail "a -static-libasan build not seen"
    PATH=$T/bin:$PATH sanitized asan-static || fail "a -static-libasan build (bare name) not seen"
fi
echo "lib_test: ok"
