#!/usr/bin/env bash
# package_test - the Debian package: `cpack -G DEB` in the build directory,
# its control file (dpkg-deb -I), then the package unpacked with dpkg -x
# into a temporary root: every expected file there, the binaries run
# --help, the man pages render with man -l. Files the service work adds
# (sample configs, sysusers, tmpfiles, nmirfd.conf.5) are expected when
# the source tree has them, and then /etc/nmirf/* must be conffiles;
# nmirf-web, its unit and its libmicrohttpd dependency once the build
# holds client/web/nmirf-web (its man page always).
#
# usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmirf-pkg-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

for tool in cpack dpkg-deb dpkg man; do
    command -v "$tool" >/dev/null || fail "$tool is missing (tests/setup.sh installs it)"
done

# 1. Build the package into tmp, so the build directory keeps no .deb.
(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) ||
    { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
debs=("$tmp"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb, got: ${debs[*]}"
deb=${debs[0]}
ok "cpack made $(basename "$deb") ($(stat -c %s "$deb") bytes)"

# 2. The control file.
info=$(dpkg-deb -I "$deb")
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = nmirf ] || fail "Package: $(field Package)"
# The project's version with the Debian revision, as the changelog's top entry.
version=$(sed -n 's/^project(nmirf VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ "$(field Version)" = "$version-1" ] || fail "Version: $(field Version), want $version-1"
top=$(sed -n '1s/^nmirf (\([^)]*\)).*/\1/p' "$src/packaging/changelog")
[ "$top" = "$(field Version)" ] || fail "packaging/changelog's top entry is $top, the package $(field Version)"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
web=no
[ -x "$build/client/web/nmirf-web" ] && web=yes
libs=(libzmq5 libczmq4 liblmdb0 libsodium23 libjansson4 libzip4 libc6)
[ "$web" = yes ] && libs+=(libmicrohttpd)
for lib in "${libs[@]}"; do
    grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
grep -q postinst <<<"$info" || fail "no postinst: $info"
ok "control: nmirf $(field Version) $(field Architecture), Depends: $depends"

# 3. The files, unpacked into a temporary root.
root=$tmp/root
dpkg -x "$deb" "$root"
expect=(
    usr/bin/nmirfd usr/bin/nmirf usr/bin/nmirf-agent
    lib/systemd/system/nmirfd.service lib/systemd/system/nmirf-agent@.service
    usr/share/man/man1/nmirf.1.gz usr/share/man/man8/nmirfd.8.gz
    usr/share/man/man8/nmirf-agent.8.gz
    usr/share/doc/nmirf/README.md usr/share/doc/nmirf/OPERATIONS.md
    usr/share/doc/nmirf/PROTOCOL.md usr/share/doc/nmirf/AGENT.md
    usr/share/doc/nmirf/REPORTS.md usr/share/doc/nmirf/WEB.md usr/share/doc/nmirf/DATA.md
    usr/share/doc/nmirf/copyright usr/share/doc/nmirf/changelog.Debian.gz
)
conffiles=()
[ -f "$src/systemd/nmirf.sysusers" ] && expect+=(usr/lib/sysusers.d/nmirf.conf)
[ -f "$src/systemd/nmirf.tmpfiles" ] && expect+=(usr/lib/tmpfiles.d/nmirf.conf)
[ -f "$src/man/nmirfd.conf.5" ] && expect+=(usr/share/man/man5/nmirfd.conf.5.gz)
[ -f "$src/man/nmirf-web.8" ] && expect+=(usr/share/man/man8/nmirf-web.8.gz)
[ "$web" = yes ] && expect+=(usr/bin/nmirf-web lib/systemd/system/nmirf-web@.service)
for c in nmirfd.conf nmirf-agent.conf; do
    if [ -f "$src/conf/$c" ]; then
        expect+=("etc/nmirf/$c")
        conffiles+=("/etc/nmirf/$c")
    fi
done
for f in "${expect[@]}"; do
    [ -f "$root/$f" ] || fail "missing /$f; the package holds:
$(dpkg-deb -c "$deb")"
done
ok "${#expect[@]} expected files present"

# The copyright file in the machine-readable format, the changelog
# gzipped without a name or time in its header (gzip -9n) and parsed by
# dpkg as a Debian changelog.
head -1 "$root/usr/share/doc/nmirf/copyright" |
    grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
    fail "copyright: not the machine-readable format"
grep -q '^Files: \*$' "$root/usr/share/doc/nmirf/copyright" || fail "copyright: no 'Files: *' paragraph"
gzip -t "$root/usr/share/doc/nmirf/changelog.Debian.gz" || fail "changelog.Debian.gz is not gzip"
[ "$(od -An -tu1 -j4 -N4 "$root/usr/share/doc/nmirf/changelog.Debian.gz" | tr -d ' ')" = 0000 ] ||
    fail "changelog.Debian.gz carries a time in its header (gzip without -n)"
if command -v dpkg-parsechangelog >/dev/null; then
    zcat "$root/usr/share/doc/nmirf/changelog.Debian.gz" >"$tmp/changelog"
    [ "$(dpkg-parsechangelog -l "$tmp/changelog" -S Version)" = "$(field Version)" ] ||
        fail "changelog.Debian.gz: its version is not the package's"
fi
ok "copyright (format 1.0) and changelog.Debian.gz"

# Nothing outside the places a Debian package may use.
stray=$(cd "$root" && find . -type f | grep -Ev '^\./(usr/(bin|share|lib/(sysusers|tmpfiles)\.d)|lib/systemd/system|etc/nmirf)/' || true)
[ -z "$stray" ] || fail "files in unexpected places: $stray"

# conffiles: exactly the sample configs.
dpkg-deb -e "$deb" "$tmp/control"
if [ ${#conffiles[@]} -gt 0 ]; then
    for c in "${conffiles[@]}"; do
        grep -qx "$c" "$tmp/control/conffiles" || fail "$c is not a conffile"
    done
    ok "conffiles: ${conffiles[*]}"
else
    [ ! -s "$tmp/control/conffiles" ] || fail "conffiles without configs: $(cat "$tmp/control/conffiles")"
fi
for f in "$tmp"/control/postinst; do
    sh -n "$f" || fail "postinst does not parse"
done

# 4. The binaries run (their libraries are the system's, as Depends says).
bins=(nmirfd nmirf nmirf-agent)
[ "$web" = yes ] && bins+=(nmirf-web)
for b in "${bins[@]}"; do
    "$root/usr/bin/$b" --help >"$tmp/help" 2>&1 || fail "$b --help exits $?"
    grep -qi usage "$tmp/help" || fail "$b --help says no usage: $(cat "$tmp/help")"
done
ok "${bins[*]} run --help"

# The command line finds the package's own catalogs beside it (usr/bin ->
# usr/share/locale), wherever the package is unpacked, although the build
# was configured for another prefix; where the system has the French
# locale (tests/setup.sh makes it), it speaks French.
if locale -a 2>/dev/null | grep -qi '^fr_FR\.utf-\?8$'; then
    LC_ALL=fr_FR.UTF-8 NMIRF_LOCALEDIR= "$root/usr/bin/nmirf" rec --help >"$tmp/help-fr" 2>&1 ||
        fail "nmirf rec --help in French exits $?"
    grep -q '^utilisation : ' "$tmp/help-fr" ||
        fail "the packaged nmirf does not find its French catalog: $(head -3 "$tmp/help-fr")"
    ok "the packaged nmirf speaks French from usr/share/locale"
else
    echo "skipped: no fr_FR.UTF-8 locale here (tests/setup.sh makes it)"
fi

# 5. The man pages render, without warnings.
for page in "$root"/usr/share/man/man*/*.gz; do
    out=$(MANWIDTH=80 man -l "$page" 2>"$tmp/man.err") || fail "man -l $page failed: $(cat "$tmp/man.err")"
    [ ! -s "$tmp/man.err" ] || fail "man -l $page warns: $(cat "$tmp/man.err")"
    grep -q "NAME" <<<"$out" || fail "$page renders no NAME section"
done
ok "man pages render: $(cd "$root/usr/share/man" && echo man*/*.gz)"

# 6. The units name the installed binaries.
for u in "$root"/lib/systemd/system/*.service; do
    exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
    [ -n "$exe" ] || fail "$u has no ExecStart"
    case "$exe" in
    /usr/bin/*) [ -f "$root$exe" ] || fail "$u runs $exe, which the package does not hold" ;;
    *) echo "note: $(basename "$u") runs $exe, not a packaged /usr/bin binary" ;;
    esac
done
# 7. lintian, where installed (tests/setup.sh does not install it): no
# error; its warnings and notes are printed, not judged.
if command -v lintian >/dev/null; then
    lintian --tag-display-limit 0 "$deb" >"$tmp/lintian" 2>&1 || true
    sed 's/^/lintian: /' "$tmp/lintian"
    ! grep -q '^E: ' "$tmp/lintian" || fail "lintian reports errors"
    ok "lintian: no error"
else
    echo "note: lintian is not installed; not run"
fi
ok "package checked"
