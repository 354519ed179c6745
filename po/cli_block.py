"""cli_block - the command line's block of a catalog (po/update.sh).

A catalog is the console's entries, then MARKER, then the command line's
entries. split writes the block with the catalog's header as a PO file of
its own, and the template without the messages the console's part already
has; join puts a merged block back after the marker, the console's part
unchanged byte for byte.
"""
import re
import sys

MARKER = ("# ==== The command line (client/nmirf.c, client/cli*.[ch]): "
          "kept by po/update.sh, below this line only ====\n")


def parts(path):
    text = open(path, encoding="utf-8").read()
    if MARKER in text:
        web, cli = text.split(MARKER, 1)
    else:
        web, cli = text.rstrip("\n") + "\n\n", ""
    return web, cli


def header(text):
    """The first entry (msgid "") of a PO text."""
    m = re.search(r'(?m)^msgid ""\nmsgstr ""\n(?:".*"\n)*', text)
    return m.group(0)


def entries(text):
    """(msgctxt, msgid) of each entry of a PO text, by its lines."""
    keys = set()
    for block in re.split(r"\n\s*\n", text):
        ctxt = re.search(r'(?ms)^msgctxt (".*?")\n(?=msgid)', block)
        mid = re.search(r'(?ms)^msgid (".*?")\n(?=msgstr)', block)
        if mid and not block.lstrip().startswith("#~"):
            keys.add((ctxt.group(1) if ctxt else None,
                      "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', mid.group(1)))))
    return keys


def split(po, pot, out_po, out_pot):
    web, cli = parts(po)
    with open(out_po, "w", encoding="utf-8") as f:
        f.write(header(web) + "\n" + cli)
    have = entries(web)
    pot_text = open(pot, encoding="utf-8").read()
    blocks = re.split(r"\n\s*\n", pot_text)
    kept = [b for i, b in enumerate(blocks)
            if i == 0 or not (entries(b) & have)]
    with open(out_pot, "w", encoding="utf-8") as f:
        f.write("\n\n".join(kept).rstrip("\n") + "\n")


def join(po, merged):
    web, _ = parts(po)
    text = open(merged, encoding="utf-8").read()
    body = text[text.index(header(text)) + len(header(text)):].lstrip("\n")
    with open(po, "w", encoding="utf-8") as f:
        f.write(web + MARKER + "\n" + body)


if __name__ == "__main__":
    {"split": split, "join": join}[sys.argv[1]](*sys.argv[2:])
