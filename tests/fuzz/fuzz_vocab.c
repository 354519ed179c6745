/*  fuzz_vocab - the vocabularies' lookups and the formats of fr/ar/en
    (common/vocab/nmirf_vocab.h) on any bytes: what a record from the
    broker or an import hands the report, the command line and the
    console (a theme, an SDG target, a status, a date).

    The first byte picks the kind (low 3 bits), the language (next 2:
    fr, ar, en, or an unknown one) and the output's size (high 3 bits, 0
    to 7 bytes, or the whole buffer when 7); the rest is the key. Checks
    beyond the sanitizers:
    - every output is NUL-terminated inside its buffer (nothing with 0
      bytes), and a short buffer holds a prefix of what a large one gets;
    - a name found exists in the three languages (the files are complete)
      and is what the label shows; nmirf_vocab_sdg_goal is 0 or 1..17, and
      nmirf_vocab_find of an SDG is non-NULL exactly when it is not 0;
    - nmirf_fmt_date's output is the input (up to a NUL in it) or a date
      in words (no '-');
      nmirf_lang_order gives 1 to 3 distinct known codes, lang first.
*/
#include "nmirf_vocab.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_vocab: %s\n", what);
    abort();
}

/* Whether out is terminated within outlen and a prefix of full. */
static void
s_prefix(const char *out, size_t outlen, const char *full, const char *what)
{
    size_t n = strnlen(out, outlen);
    if (n == outlen)
        s_broken(what);
    if (strncmp(out, full, n) != 0)
        s_broken(what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const langs[4] = {"fr", "ar", "en", "xx"};
    nmirf_vocab_kind_t kind =
        (nmirf_vocab_kind_t)((data[0] & 7) % NMIRF_VOCAB_KIND_COUNT);
    const char *lang = langs[(data[0] >> 3) & 3];
    size_t small = (size_t)(data[0] >> 5);
    const char *key = (const char *)data + 1;
    size_t keylen = size - 1;

    static char full[8192], out[8];
    nmirf_vocab_label(kind, key, keylen, lang, full, sizeof full);
    if (strnlen(full, sizeof full) == sizeof full)
        s_broken("label not terminated");
    if (small < 7) {
        memset(out, 'Z', sizeof out);
        nmirf_vocab_label(kind, key, keylen, lang, out, small);
        if (small == 0 && out[0] != 'Z')
            s_broken("label wrote into an empty buffer");
        if (small)
            s_prefix(out, small, full, "label cut is not a prefix");
    }

    const char *name = nmirf_vocab_find(kind, key, keylen, lang);
    if (name) {
        for (int l = 0; l < 3; l++)
            if (!nmirf_vocab_find(kind, key, keylen, langs[l]))
                s_broken("a name missing in a language");
        if (!strstr(full, name))
            s_broken("the label is not the name found");
    }
    int goal = nmirf_vocab_sdg_goal(key, keylen);
    if (goal < 0 || goal > 17)
        s_broken("goal out of range");
    if ((nmirf_vocab_find(NMIRF_VOCAB_SDG, key, keylen, "fr") != NULL) != (goal != 0))
        s_broken("an SDG found without its goal");

    nmirf_fmt_date(key, keylen, lang, full, sizeof full);
    if (strnlen(full, sizeof full) == sizeof full)
        s_broken("date not terminated");
    size_t kl = strnlen(key, keylen); /* a copy ends at a NUL of the key */
    if (strchr(full, '-') && (strlen(full) != kl || memcmp(full, key, kl)))
        s_broken("a date neither copied nor written out");
    if (small && small < 7) {
        nmirf_fmt_date(key, keylen, lang, out, small);
        s_prefix(out, small, full, "date cut is not a prefix");
    }

    /* The key as a lang and a fallback list (NUL-terminated copies). */
    char *s = malloc(keylen + 1);
    if (!s)
        return 0;
    memcpy(s, key, keylen);
    s[keylen] = 0;
    const char *order[3];
    size_t n = nmirf_lang_order(s, s, order);
    if (n < 1 || n > 3)
        s_broken("lang order count");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(order[i], "fr") && strcmp(order[i], "ar") && strcmp(order[i], "en"))
            s_broken("unknown code in the order");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(order[i], order[j]))
                s_broken("a code twice in the order");
    }
    n = nmirf_lang_order(lang, s, order);
    if (strcmp(order[0], strcmp(lang, "xx") ? lang : "fr"))
        s_broken("the reader's language is not first");
    free(s);

    uint64_t count = 0;
    memcpy(&count, data, size < 8 ? size : 8);
    nmirf_fmt_count(count, lang, full, sizeof full);
    double share;
    memcpy(&share, &count, sizeof share);
    nmirf_fmt_percent(share, lang, full, sizeof full);
    if (strnlen(full, sizeof full) == sizeof full)
        s_broken("percent not terminated");
    return 0;
}
