#!/usr/bin/env bash
# Installs what nmirf needs to build and test, from Debian's packages, and
# only what is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
    build-essential cmake pkg-config        # toolchain
    libzmq3-dev libczmq-dev                 # sockets, reactor, CURVE
    libmsgpack-dev                          # wire format
    liblmdb-dev lmdb-utils                  # store (+ mdb_stat for operators)
    libsodium-dev                           # Ed25519, BLAKE2b
    libjansson-dev                          # JSON import and --json output
    libsystemd-dev                          # sd_notify: readiness, watchdog
    libmicrohttpd-dev                       # nmirf-web's HTTP (with GnuTLS)
    libzip-dev                              # the report's ODT document (ZIP container)
    gettext                                 # msgfmt: the catalogs (po/)
    openssl                                 # web_core's self-signed certificate
    systemd                                 # systemd-analyze, for the unit tests
    clang libclang-rt-14-dev                # libFuzzer harnesses
    python3                                 # test scripts' JSON checks
    dpkg-dev                                # dpkg-shlibdeps: the package's Depends (cpack)
    man-db groff-base                       # man -l: the man pages checked by package_test
    chromium                                # renders the HTML report in stats_test
    chromium-driver python3-selenium        # nmirf-web's browser tests
    locales                                 # localedef: the CLI's French and Arabic
    libreoffice-writer-nogui                # report_files: LibreOffice opens the ODT
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The locales the command line's tests run it in (tests/cli/cli_i18n_test.sh):
# gettext only translates in a locale the system has. Made once; `locale -a`
# writes them as fr_FR.utf8.
for loc in fr_FR ar_MA; do
    locale -a 2>/dev/null | grep -qx "$loc.utf8" && continue
    echo "setup: making the locale $loc.UTF-8"
    $sudo localedef -i "$loc" -f UTF-8 "$loc.UTF-8"
done
