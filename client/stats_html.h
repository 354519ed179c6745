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

/* Lays out the page from a stats reply body and, if not NULL, an
   entity.list reply body (for entity names). lang is "fr", "ar" or "en";
   title NULL gives the default. On success returns 0 and the page in
   *html (caller frees), *len its bytes; -1 when out of memory. */
int stats_html_render(const msgpack_object *stats, const msgpack_object *entities,
                      const char *lang, const char *title, char **html, size_t *len);

/* The label key in lang (fr, ar, en), falling back to English, then to
   the key itself. Borrowed, static. Some labels are printf formats (their
   arguments are documented in stats_i18n.c). */
const char *stats_i18n(const char *lang, const char *key);

/* Writes s HTML-escaped (& < > " ') to f: safe in text and in attribute
   values. */
void stats_html_escape(FILE *f, const char *s, size_t len);

#endif
