/*  report_i18n - what the annex and the document write in the reader's
    language beyond labels: the names of languages, the scope line, numbers
    (report_i18n.h). Their labels are stats_i18n's, the one table of the
    report's words.
*/
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_vocab.h"
#include "report_i18n.h"
#include "stats_html.h"

/* One label in each language. */
typedef struct {
    const char *key; /* what the code asks for */
    const char *fr;  /* French */
    const char *ar;  /* Arabic */
    const char *en;  /* English */
} s_label_t;

const char *
report_i18n_lang_name(const char *lang, const char *code)
{
    static const s_label_t names[] = {
        {"fr", "français", "الفرنسية", "French"},
        {"ar", "arabe", "العربية", "Arabic"},
        {"en", "anglais", "الإنجليزية", "English"},
    };
    for (size_t i = 0; i < 3; i++)
        if (strcmp(names[i].key, code) == 0)
            return strcmp(lang, "fr") == 0   ? names[i].fr
                   : strcmp(lang, "ar") == 0 ? names[i].ar
                                             : names[i].en;
    return code;
}

const char *
report_i18n_colon(const char *lang)
{
    return strcmp(lang, "fr") == 0 ? "\u00a0: " : ": ";
}

char *
report_i18n_scope(const char *lang, const char *fallback, const nmirf_recfilter_t *f,
                  const msgpack_object *entities, const char *since)
{
    bool has_since = since && *since;
    /* The filter's part is the page's own line (stats_html_scope): one
       wording of a filter for the page, the annex and the document. */
    char *filter = f ? stats_html_scope(f, entities, lang, fallback) : NULL;
    if (!has_since)
        return filter;
    char *text = NULL, buf[64];
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        free(filter);
        return NULL;
    }
    if (filter)
        fprintf(out, "%s · ", filter);
    fprintf(out, stats_i18n(lang, "since_fmt"),
            nmirf_fmt_date(since, strlen(since), lang, buf, sizeof buf));
    free(filter);
    if (fclose(out)) {
        free(text);
        return NULL;
    }
    return text;
}

char *
report_i18n_number(const msgpack_object *v, const char *lang, char *out, size_t outlen)
{
    if (!outlen)
        return out;
    out[0] = '\0';
    if (!v)
        return out;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(out, outlen, "%llu", (unsigned long long)v->via.u64);
    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        snprintf(out, outlen, "%lld", (long long)v->via.i64);
    else if (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32) {
        snprintf(out, outlen, "%.15g", v->via.f64);
        if (strcmp(lang, "en") != 0)
            for (char *p = out; *p; p++)
                if (*p == '.')
                    *p = ',';
    }
    return out;
}
