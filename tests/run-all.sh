#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing,
# builds, runs every test; then the same suite built with AddressSanitizer
# and UBSan; then each libFuzzer harness for a short, bounded time.
#
#   tests/run-all.sh            everything (what CI runs)
#   tests/run-all.sh --quick    the normal build's suite only
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)

tests/setup.sh

step() { printf '\n==== %s\n' "$*"; }

step "build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j2)
[ "$quick" = 1 ] && exit 0

step "build with AddressSanitizer + UBSan and test"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNMIRF_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j2 -E '^fuzz_')

step "fuzz every decoder briefly (clang, libFuzzer)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNMIRF_FUZZ=ON -DNMIRF_FUZZ_SECONDS="${NMIRF_FUZZ_SECONDS:-15}" >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzzers
(cd build-fuzz && ctest --output-on-failure -R '^fuzz_')
