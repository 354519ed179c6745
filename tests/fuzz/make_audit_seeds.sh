#!/bin/sh
# Writes the seed corpus of fuzz_audit (tests/fuzz/corpus/audit/): real
# audit exports of a real broker's log, made with the built binaries.
#
#   tests/fuzz/make_audit_seeds.sh [BUILD-DIR]    (default: build)
#
# A broker in a temporary directory gets an enrolment, an import, an
# assignment, a report submitted and validated, a key rotation, a report
# signed with the new key, and a
# checkpoint (its clean stop writes one); `nmirf audit export` writes the
# file. Its prefixes (header only, header and one event) are seeds too.
# Signatures and keys are fresh each run, so the files change each time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
nmirfd=$build/daemon/nmirfd
nmirf=$build/client/nmirf
out=$here/corpus/audit
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$out"

"$nmirfd" -d "$tmp/data" -r 'tcp://127.0.0.1:*' -e 'tcp://127.0.0.1:*' >"$tmp/log" 2>&1 &
pid=$!
i=0
until [ -s "$tmp/data/endpoints" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
ep=$(sed -n 's/^request *= *//p' "$tmp/data/endpoints")
c="$nmirf -k $tmp/data/keys/COORD.key -S $tmp/data/keys/NMIRFD.pub -b $ep"
$nmirf keygen MJ --dir "$tmp/keys" >/dev/null
$nmirf keygen MJ --dir "$tmp/keys2" >/dev/null
$c entity enroll "$tmp/keys/MJ.pub" --role ministry >/dev/null
printf '{"recommendations": [{"id": "UPR-1", "mechanism": "UPR", "text": {"en": "Ratify OPCAT."}},
  {"id": "UPR-2", "mechanism": "UPR", "text": {"fr": "Presse libre."}}]}' >"$tmp/recs.json"
$c rec import "$tmp/recs.json" >/dev/null
$c rec assign UPR-1 --lead MJ >/dev/null
m="$nmirf -k $tmp/keys/MJ.key -S $tmp/data/keys/NMIRFD.pub -b $ep"
$m report submit UPR-1 --status in_progress --narrative 'Draft law.' >/dev/null
$c report validate 1 >/dev/null
$c entity rotate "$tmp/keys2/MJ.pub" >/dev/null
sleep 1 # the broker drops every session after a rotation
m="$nmirf -k $tmp/keys2/MJ.key -S $tmp/data/keys/NMIRFD.pub -b $ep"
$m report submit UPR-1 --status implemented --narrative 'Law passed.' >/dev/null
kill -TERM $pid
wait $pid || true
$nmirf audit export --data "$tmp/data" --out "$out/export-small" >/dev/null
$nmirf audit verify "$out/export-small" -S "$tmp/data/keys/NMIRFD.pub" >/dev/null
# Prefixes: the header alone, then the header and event 1.
head -c 60 "$out/export-small" >"$out/export-header"
head -c 400 "$out/export-small" >"$out/export-prefix"
ls -l "$out"
