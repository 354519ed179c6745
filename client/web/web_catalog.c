/*  web_catalog - GNU .mo files into the pages' JSON (web_catalog.h).

    The .mo layout (GNU gettext manual, "The Format of GNU MO Files"): a
    magic 0x950412de in the file's byte order, a revision (major 0 or 1),
    the number of strings N, the offsets of the original and the
    translation tables; each table is N pairs (length, offset) of a string
    that is NUL-terminated in the file.
*/
#include "web_catalog.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_parse.h"

#define MO_MAGIC 0x950412deu

static uint32_t
s_u32(const uint8_t *p, bool swap)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    if (swap)
        v = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
    return v;
}

/* The string of table entry i at table (length, offset), bounds-checked:
   its first form (up to the first NUL, for plurals) in *s and *slen.
   Returns 0, or -1 with why. */
static int
s_string(const uint8_t *mo, size_t len, uint32_t table, uint32_t i, bool swap,
         const char **s, size_t *slen, char *why, size_t whylen)
{
    uint64_t at = (uint64_t)table + (uint64_t)i * 8;
    if (at + 8 > len) {
        snprintf(why, whylen, "string table entry %u past the end", i);
        return -1;
    }
    uint32_t l = s_u32(mo + at, swap), off = s_u32(mo + at + 4, swap);
    if ((uint64_t)off + l + 1 > len || mo[off + l] != '\0') {
        snprintf(why, whylen, "string %u past the end or not terminated", i);
        return -1;
    }
    *s = (const char *)mo + off;
    *slen = strnlen(*s, l);
    return 0;
}

char *
web_catalog_json(const char *lang, const uint8_t *mo, size_t len, char *why,
                 size_t whylen)
{
    json_t *messages = json_object();
    json_t *root =
        json_pack("{s:s, s:s, s:o}", "lang", lang, "dir",
                  strcmp(lang, "ar") == 0 ? "rtl" : "ltr", "messages", messages);
    if (!root) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (mo && len) {
        if (len < 20) {
            snprintf(why, whylen, "%zu bytes: shorter than a .mo header", len);
            goto fail;
        }
        bool swap;
        if (s_u32(mo, false) == MO_MAGIC)
            swap = false;
        else if (s_u32(mo, true) == MO_MAGIC)
            swap = true;
        else {
            snprintf(why, whylen, "not a .mo file (bad magic)");
            goto fail;
        }
        uint32_t rev = s_u32(mo + 4, swap);
        if ((rev >> 16) > 1) {
            snprintf(why, whylen, "unknown .mo revision %u", rev >> 16);
            goto fail;
        }
        uint32_t n = s_u32(mo + 8, swap), orig = s_u32(mo + 12, swap),
                 trans = s_u32(mo + 16, swap);
        if ((uint64_t)n * 8 > len) {
            snprintf(why, whylen, "%u strings: more than the file holds", n);
            goto fail;
        }
        for (uint32_t i = 0; i < n; i++) {
            const char *k, *t;
            size_t klen, tlen;
            if (s_string(mo, len, orig, i, swap, &k, &klen, why, whylen) ||
                s_string(mo, len, trans, i, swap, &t, &tlen, why, whylen))
                goto fail;
            if (klen == 0 || tlen == 0)
                continue; /* the header, or an entry without translation */
            if (!web_utf8_valid((const uint8_t *)k, klen) ||
                !web_utf8_valid((const uint8_t *)t, tlen)) {
                snprintf(why, whylen, "string %u: not UTF-8", i);
                goto fail;
            }
            char *key = strndup(k, klen);
            if (!key || json_object_set_new(messages, key, json_stringn(t, tlen))) {
                free(key);
                snprintf(why, whylen, "out of memory");
                goto fail;
            }
            free(key);
        }
    }
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        snprintf(why, whylen, "out of memory");
    return text;
fail:
    json_decref(root);
    return NULL;
}
