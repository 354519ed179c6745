/*  stats_html - the stats reply as one self-contained HTML page: summary
    figures, inline SVG charts (status by lead entity and by mechanism,
    progress by month), the overdue list and the smaller groupings, with
    inline CSS and no script, in French, Arabic (right to left) or English.

    Every string that comes from the data is HTML-escaped.
*/
#ifndef STATS_HTML_H
#define STATS_HTML_H

#include <msgpack.h>
#include <stddef.h>
#include <stdio.h>

#include "nmirf_recfilter.h"

/* How the page is laid out. Zero is the default for every field but
   lang. Borrowed for the call. */
typedef struct {
    const char *lang;     /* "fr", "ar" or "en" */
    const char *fallback; /* languages tried after lang for a text, "fr,en" if NULL
                             (nmirf_lang_order) */
    const char *title;    /* NULL: the default title in lang */
    const char *scope;    /* one line saying what the figures cover (the
                             filters), shown under the title; NULL: everything */
    size_t rows_max;      /* rows of each chart and table; 0: every row */
    /* Writes more sections (the report's annex) before the footer; NULL:
       none. Called once with the page's stream. */
    void (*annex)(FILE *f, void *arg);
    void *annex_arg;
} stats_html_opts_t;

/* Lays out the page from a stats reply body and, if not NULL, an
   entity.list reply body (for entity names). On success returns 0 and the
   page in *html (caller frees), *len its bytes; -1 when out of memory. */
int stats_html_render(const msgpack_object *stats, const msgpack_object *entities,
                      const stats_html_opts_t *opts, char **html, size_t *len);

/* The line saying what a page filtered by f covers, for opts->scope, in
   lang: "Recommandations retenues : mécanisme Comité contre la torture
   (CAT), cycle 4, entité Ministère de la Justice (MJ)", names from the
   vocabularies and, if not NULL, an entity.list body (in the order of
   fallback, as the page). NULL when f selects everything not withdrawn
   (a page about everything says nothing), or when out of memory. Caller
   frees. */
char *stats_html_scope(const nmirf_recfilter_t *f, const msgpack_object *entities,
                       const char *lang, const char *fallback);

/* The label key in lang (fr, ar, en), falling back to English, then to
   the key itself. Borrowed, static. Some labels are printf formats (their
   arguments are documented in stats_i18n.c). */
const char *stats_i18n(const char *lang, const char *key);

/* Writes s HTML-escaped (& < > " ') to f: safe in text and in attribute
   values. */
void stats_html_escape(FILE *f, const char *s, size_t len);

#endif
