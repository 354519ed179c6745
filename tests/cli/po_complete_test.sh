#!/usr/bin/env bash
# po_complete_test - the French and Arabic catalogs translate every message
# the command line can print, and every other entry they hold (the web
# console's): each msgid xgettext extracts from the command line's sources
# (po/update.sh --pot, the same keywords) has a non-empty translation that
# is not fuzzy in po/fr.po and po/ar.po, no entry of either is untranslated
# or fuzzy, and printf formats agree (msgfmt --check). Fails naming each
# message left to translate: run po/update.sh, translate, run again.
#
# usage: po_complete_test.sh SOURCE_DIR
set -euo pipefail

SRC=${1:?usage: po_complete_test.sh SOURCE_DIR}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$SRC/po/update.sh" --pot "$T/cli.pot" 2>"$T/xgettext.err" || {
    cat "$T/xgettext.err"
    echo "FAIL: xgettext could not read the command line's sources"
    exit 1
}
n=$(grep -c '^msgid ' "$T/cli.pot")
echo "po_complete: $((n - 1)) messages in the command line's sources"

failed=0
for lang in fr ar; do
    po=$SRC/po/$lang.po
    # Every message of the sources, translated (msgcmp counts an empty or
    # fuzzy translation as missing).
    if ! msgcmp "$po" "$T/cli.pot" 2>"$T/cmp.err"; then
        echo "FAIL: po/$lang.po does not translate these messages of the command line:"
        # msgcmp names each by its line in the template: print its msgid.
        sed -n 's/^.*cli\.pot:\([0-9]*\): this message is \(untranslated\|used but not defined\).*$/\1/p' \
            "$T/cmp.err" | while read -r line; do
            awk -v n="$line" '/^msgid / { id = $0; open = 1; next }
                /^"/ && open { id = id " " $0; next }
                { open = 0 }
                NR == n { print "  " id; exit }' "$T/cli.pot"
        done
        failed=1
    fi
    # No entry of the catalog left untranslated or fuzzy (the console's
    # included).
    for what in untranslated only-fuzzy; do
        msgattrib --"$what" --no-obsolete "$po" >"$T/$what.po"
        # msgattrib writes nothing, or the header and the entries.
        if [ "$(grep -c '^msgid ' "$T/$what.po")" -gt 1 ]; then
            echo "FAIL: po/$lang.po has entries that are ${what#only-}:"
            grep '^msgid ' "$T/$what.po" | sed -n '2,$p' | sed 's/^/  /' | head -60
            failed=1
        fi
    done
    # The formats of every c-format message agree, and the file compiles.
    if ! msgfmt --check -o /dev/null "$po" 2>"$T/fmt.err"; then
        echo "FAIL: msgfmt --check po/$lang.po:"
        cat "$T/fmt.err"
        failed=1
    fi
    msgfmt --statistics -o /dev/null "$po" 2>&1 | sed "s/^/po_complete: $lang: /"
done
[ "$failed" = 0 ] || exit 1
echo "po_complete: ok"
