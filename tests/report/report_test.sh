#!/usr/bin/env bash
# report_test - the follow-up report (`nmirf report html|odt`) against a
# real nmirfd: imports recommendations over several mechanisms, cycles,
# themes and positions, assigns them to two ministries, has them report
# (narratives in French and Arabic, evidence, `by`, a measure's indicator
# values), validates most, returns one, leaves one submitted; then reads
# the HTML (html.parser) and the ODT (zipfile, content.xml with
# xml.etree) and checks them against what the test itself did: every
# validated narrative and indicator value there, nothing returned or
# pending, each filter's and grouping's rows exactly the set computed
# here, nothing cut without --limit, --limit 2 cutting and saying so, the
# mimetype entry first and stored. Finally the French and Arabic pages in
# headless Chromium (Selenium): loaded, the annex laid out, no horizontal
# overflow; screenshots kept in SHOTS.
#
# usage: report_test.sh NMIRFD NMIRF SHOTS
# Exit 77 (skip) only when python3-selenium or chromium-driver is absent,
# after every check of the files has passed.
set -euo pipefail

NMIRFD=${1:?usage: report_test.sh NMIRFD NMIRF SHOTS}
NMIRF=${2:?usage: report_test.sh NMIRFD NMIRF SHOTS}
SHOTS=${3:?usage: report_test.sh NMIRFD NMIRF SHOTS}
unset NMIRF_KEY NMIRF_BROKER NMIRF_EVENTS NMIRF_SERVER_KEY NMIRF_AGENT

T=$(mktemp -d)
DATA=$T/data
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$0")/../harness/lib.sh"

cleanup() {
    broker_cleanup $? 200
    rm -rf "$T"
}
trap cleanup EXIT

echo "== start the broker"
broker_start "$NMIRFD"
mkdir -p "$SHOTS"

/usr/bin/python3 "$(dirname "$0")/report_check.py" "$NMIRF" "$DATA" "$T" "$SHOTS"
