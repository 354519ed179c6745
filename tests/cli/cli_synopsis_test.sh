#!/usr/bin/env bash
# cli_synopsis_test - nmirf's help and its man page agree with the
# commands' tables (client/cli_spec.h): the SYNOPSIS of nmirf(1), from its
# marker comment to DESCRIPTION, is exactly what `nmirf --print-man-synopsis`
# writes from the tables, every command's --help lists its usage line
# as `nmirf --print-synopsis` gives it, and the page's COMMANDS section
# (written by hand) has an entry for every command that names every one of
# its options. Needs python3; no broker.
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
# COMMANDS: each usage line of the tables has an entry (a .TP, its .TQ tags
# and its text) with a tag that starts with the command's path, and that
# entry names every option of the line (--json aside: a global option,
# documented in OPTIONS).
def plain(line):
    """A roff line as the words it shows: no macro, fonts, quotes."""
    if line.startswith("."):
        line = line.split(None, 1)[1] if " " in line else ""
    for esc in ("\\fB", "\\fI", "\\fR", "\\fP", "\\&", '"'):
        line = line.replace(esc, "")
    line = line.replace("\\-", "-").replace("\\ ", " ")
    return " ".join(line.split())

section = text[text.index(".SH COMMANDS\n"):]
section = section[len(".SH COMMANDS\n"):]
section = section[:section.index("\n.SH ")]
entries = []  # (tags, text)
tag_next = False
for l in section.split("\n"):
    if l.startswith('.\\"'):
        continue
    if l in (".TP", ".TQ"):
        if l == ".TP":
            entries.append(([], ""))
        tag_next = True
        continue
    if l.startswith(".SS") or not entries:
        if l.startswith(".SS"):
            entries.append(([], ""))
        continue
    tags, body = entries[-1]
    if tag_next:
        tags.append(plain(l))
        tag_next = False
    entries[-1] = (tags, body + " " + plain(l))

def has_opt(body, opt):
    return re.search(re.escape(opt) + r"(?![a-z-])", body) is not None

entry_lines = 0
for line in lines:
    words = line.split()[1:]
    if words and words[0].startswith("-"):
        words = words[2:]  # a global option the command needs: "-a DIR"
    path = []
    for w in words:
        if not re.fullmatch(r"[a-z][a-z-]*", w):
            break
        path.append(w)
    opts = sorted({re.sub(r"[\[\]|.]", "", w) for w in line.split()
                   if re.sub(r"^\[", "", w).startswith("--")} - {"--json"})
    cands = [(tags, body) for tags, body in entries
             if any(t.split()[:len(path)] == path for t in tags)]
    if not cands:
        fail(f"{manpage}: COMMANDS has no entry for 'nmirf {' '.join(path)}'")
        continue
    best = max(cands, key=lambda e: sum(has_opt(e[1], o) for o in opts))
    missing = [o for o in opts if not has_opt(best[1], o)]
    if missing:
        fail(f"{manpage}: COMMANDS entry '{best[0][0]}' does not name "
             f"{', '.join(missing)} (of '{line}')")
    entry_lines += 1

print(f"cli_synopsis_test: {len(lines)} usage lines, {entry_lines} with an entry, "
      f"{failures} failures")
sys.exit(1 if failures else 0)
PY
