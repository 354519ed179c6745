/*  report_vocab_stub - a stand-in for common/vocab (nmirf_vocab.h) until
    it is built in this tree: stored keys as their own labels, ISO dates,
    plain counts, and the language order. Linked only when the target
    nmirf_vocab does not exist (client/CMakeLists.txt).
*/
#include <stdio.h>
#include <string.h>

#include "nmirf_vocab.h"

const char *
nmirf_vocab_find(nmirf_vocab_kind_t kind, const char *key, size_t keylen,
                 const char *lang)
{
    (void)kind, (void)key, (void)keylen, (void)lang;
    return NULL;
}

char *
nmirf_vocab_label(nmirf_vocab_kind_t kind, const char *key, size_t keylen,
                  const char *lang, char *out, size_t outlen)
{
    (void)kind, (void)lang;
    snprintf(out, outlen, "%.*s", (int)keylen, key);
    return out;
}

size_t
nmirf_lang_order(const char *lang, const char *fallback, const char *order[3])
{
    static const char *const codes[] = {"fr", "ar", "en"};
    size_t n = 0;
    const char *first = "fr";
    for (int i = 0; i < 3; i++)
        if (lang && strcmp(lang, codes[i]) == 0)
            first = codes[i];
    order[n++] = first;
    const char *p = fallback && *fallback ? fallback : "fr,en";
    while (*p && n < 3) {
        size_t len = strcspn(p, ",");
        for (int i = 0; i < 3; i++)
            if (len == 2 && memcmp(p, codes[i], 2) == 0) {
                bool seen = false;
                for (size_t k = 0; k < n; k++)
                    seen |= order[k] == codes[i];
                if (!seen)
                    order[n++] = codes[i];
            }
        p += len + (p[len] == ',');
    }
    return n;
}

char *
nmirf_fmt_count(uint64_t n, const char *lang, char *out, size_t outlen)
{
    (void)lang;
    snprintf(out, outlen, "%llu", (unsigned long long)n);
    return out;
}

char *
nmirf_fmt_percent(double share, const char *lang, char *out, size_t outlen)
{
    (void)lang;
    snprintf(out, outlen, "%.1f%%", share * 100);
    return out;
}

char *
nmirf_fmt_date(const char *iso, size_t isolen, const char *lang, char *out, size_t outlen)
{
    (void)lang;
    snprintf(out, outlen, "%.*s", (int)isolen, iso);
    return out;
}
