#!/usr/bin/env bash
# cli_synopsis_test - nmirf's help and its man page agree with the
# commands' tables (client/cli_spec.h): the SYNOPSIS of nmirf(1), from its
# marker comment to DESCRIPTION, is exactly what `nmirf --print-man-synopsis`
# writes from the tables, and every command's --help lists its usage line
# as `nmirf --print-synopsis` gives it. Needs python3; no broker.
#
# usage: cli_synopsis_test.sh NMIRF MANPAGE
set -euo pipefail

NMIRF=${1:?usage: cli_synopsis_test.sh NMIRF MANPAGE}
MANPAGE=${2:?usage: cli_synopsis_test.sh NMIRF MANPAGE}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$NMIRF" --print-man-synopsis >"$T/man-synopsis"
"$NMIRF" --print-synopsis >"$T/synopsis"
[ -s "$T/synopsis" ] || { echo "FAIL: nmirf --print-synopsis printed nothing"; exit 1; }
# The hidden options share no prefix with a global option people type:
# `--s` is still --server-key, `--t` --timeout (getopt_long takes unique
# prefixes, and a hidden --synopsis once made `--s` ambiguous).
if "$NMIRF" --s /nonexistent.pub --t 100 ping 2>&1 | grep -q "unknown option"; then
    echo "FAIL: a hidden option makes a global option's prefix ambiguous"
    exit 1
fi

python3 - "$NMIRF" "$MANPAGE" "$T" <<'PY'
import re, subprocess, sys

nmirf, manpage, tmp = sys.argv[1:4]
failures = 0

def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)

# The man page: the generated part of SYNOPSIS, byte for byte.
marker = '.\\" writes them, and tests/cli/cli_synopsis_test.sh fails when they differ.\n'
text = open(manpage, encoding="utf-8").read()
if marker not in text:
    fail(f"{manpage}: no marker comment before the generated synopsis")
else:
    block = text[text.index(marker) + len(marker):]
    block = block[:block.index(".SH ")]
    want = open(f"{tmp}/man-synopsis", encoding="utf-8").read()
    if block != want:
        fail(f"{manpage}: SYNOPSIS differs from `nmirf --print-man-synopsis`; paste its "
             "output after the marker comment")
        import difflib
        sys.stdout.writelines(difflib.unified_diff(
            block.splitlines(True), want.splitlines(True), "man page", "tables"))

# Every command: its --help holds its usage line, as one of the usage
# entries (a line "usage: nmirf ..." or "       nmirf ...", continued by
# deeper lines), whitespace folded.
lines = open(f"{tmp}/synopsis", encoding="utf-8").read().splitlines()
for line in lines:
    words = line.split()
    path = []
    # A global option the command needs comes before its path: "-a DIR".
    first = 3 if words[1].startswith("-") else 1
    for w in words[first:]:
        if not re.fullmatch(r"[a-z][a-z-]*", w):
            break
        path.append(w)
    for helpflag in ("--help", "-h"):
        r = subprocess.run([nmirf] + path + [helpflag], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"nmirf {' '.join(path)} {helpflag}: exit {r.returncode}")
            continue
        entries = []
        for l in r.stdout.split("\n"):
            if l == "":
                break
            if l.startswith("usage: nmirf ") or l.startswith("       nmirf "):
                entries.append(l.split(None, 1)[1] if l.startswith("usage:") else l.strip())
            elif entries:
                entries[-1] += " " + l.strip()
        entries = [" ".join(e.split()) for e in entries]
        if " ".join(words) not in entries:
            fail(f"nmirf {' '.join(path)} {helpflag}: no usage line '{line}' "
                 f"(it has: {entries})")
print(f"cli_synopsis_test: {len(lines)} commands, {failures} failures")
sys.exit(1 if failures else 0)
PY
