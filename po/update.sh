#!/usr/bin/env bash
# po/update.sh - re-extracts the command line's messages from its sources
# and merges them into po/fr.po and po/ar.po (docs/TRANSLATING.md).
#
# A catalog holds the web console's entries, written by hand, then, after
# the marker line below, the command line's, which this script keeps:
# msgids come from xgettext over client/nmirf.c and client/cli*.[ch] (the
# keywords are the ones cli_i18n.h documents), translations already made
# are kept, new messages are added untranslated (the ctest po_complete
# then fails until someone translates them), messages gone from the
# sources are dropped. The console's part is not touched, and a message it
# already has is not added twice. English needs no entries: the msgids are
# English. Needs gettext and python3.
#
# usage: po/update.sh            (from anywhere; rewrites po/fr.po, po/ar.po)
#        po/update.sh --pot FILE (only writes the extracted template)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$top"
xgettext --from-code=UTF-8 --language=C --no-wrap --add-location=file \
    --sort-by-file --package-name=nmirf --msgid-bugs-address=nmirf@localhost \
    --add-comments=TRANSLATORS: \
    --keyword=_ --keyword=N_ --keyword=cli_tr \
    --keyword=cli_usage:2 --keyword=cli_local_error:2 \
    --keyword=cli_kv:1 --keyword=cli_kv_field:1 \
    --keyword=CLI_OPT:6 --keyword=CLI_JSON:1 \
    --flag=cli_usage:2:c-format --flag=cli_local_error:2:c-format \
    -o "$tmp/cli.pot" client/nmirf.c client/cli*.c client/cli*.h

if [ "${1:-}" = --pot ]; then
    cp "$tmp/cli.pot" "${2:?usage: update.sh --pot FILE}"
    exit 0
fi

for lang in fr ar; do
    po=po/$lang.po
    python3 po/cli_block.py split "$po" "$tmp/cli.pot" "$tmp/$lang-cli.po" "$tmp/$lang.pot"
    msgmerge --quiet --no-fuzzy-matching --no-wrap --add-location=file --sort-by-file \
        -o "$tmp/$lang-merged.po" "$tmp/$lang-cli.po" "$tmp/$lang.pot"
    msgattrib --no-obsolete --no-wrap -o "$tmp/$lang-new.po" "$tmp/$lang-merged.po"
    python3 po/cli_block.py join "$po" "$tmp/$lang-new.po"
    msgfmt --check -o /dev/null "$po"
done
