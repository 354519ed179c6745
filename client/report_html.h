/*  report_html - the follow-up report's annex as HTML: written into the
    page stats_html lays out, through its annex hook (stats_html_opts_t),
    before the footer. One section per group, one article per
    recommendation: its id, symbol and paragraph, its text in the page's
    language (or the next in the fallback order, saying which), the
    State's position, the lead and contributing entities, the status, the
    validated narratives with their dates, authors and evidence, and the
    measures with their indicators and values.

    Every data string is HTML-escaped (stats_html_escape) and set in
    <bdi> or dir="auto", so a French name in an Arabic page keeps its
    direction. Printing: each group after the first starts a page, and no
    heading is left alone at the foot of one.
*/
#ifndef REPORT_HTML_H
#define REPORT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "report_model.h"

/* What the annex hook needs. Borrowed for the render. */
typedef struct {
    const report_model_t *model; /* the annex */
    const char *lang;            /* "fr", "ar", "en" */
    const char *fallback;        /* nmirf_lang_order's fallback, NULL for "fr,en" */
    uint64_t stats_seq;          /* the sequence the figures reflect: said beside
                                    the annex's when they differ; 0 says nothing */
} report_html_annex_t;

/* The annex hook: arg is a report_html_annex_t. Writes the annex's
   sections to f. */
void report_html_annex(FILE *f, void *arg);

#endif
