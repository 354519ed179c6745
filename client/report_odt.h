/*  report_odt - the follow-up report as an OpenDocument Text file (ODT,
    ISO/IEC 26300), which LibreOffice and Word open and a coordinator
    edits before sending it: the title, the scope, the summary figures,
    the status tables (by lead entity, by mechanism, by theme) as editable
    tables, and the annex (report_model.h) with the same content as the
    HTML page's, in French, Arabic (right-to-left paragraphs and tables,
    style:writing-mode="rl-tb") or English.

    The ZIP container is written with libzip (docs/DEPENDENCIES.md): the
    `mimetype` entry first and stored uncompressed, as ODF asks, then
    META-INF/manifest.xml, content.xml, styles.xml and meta.xml, deflated.
    Every data string is XML-escaped and its control characters dropped
    (XML 1.0 has no way to write them).
*/
#ifndef REPORT_ODT_H
#define REPORT_ODT_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report_model.h"

/* What goes into the document. Borrowed for the call. */
typedef struct {
    const char *lang;            /* "fr", "ar", "en" */
    const char *fallback;        /* nmirf_lang_order's fallback, NULL for "fr,en" */
    const char *title;           /* NULL: the default title in lang */
    const char *scope;           /* the scope line, or NULL */
    const msgpack_object *stats; /* the stats reply body (PROTOCOL.md section 6) */
    uint64_t stats_seq;          /* the sequence stats reflects (0: not said) */
    const report_model_t *model; /* the annex */
    size_t rows_max;             /* rows of each status table; 0: every row */
} report_odt_opts_t;

/* Writes the document to path (libzip writes a temporary file beside it
   and renames it over path when complete, so path is never left half
   written). Returns 0 and the file's size in *size, or -1 with why set
   (the file could not be written, or memory ran out). */
int report_odt_write(const char *path, const report_odt_opts_t *o, size_t *size,
                     char *why, size_t whylen);

/* Writes s (len bytes of UTF-8) XML-escaped to f: & < > " ' as
   entities, control characters dropped but tab and line feed, which
   become <text:tab/> and <text:line-break/> when in_text. */
void report_odt_escape(FILE *f, const char *s, size_t len, int in_text);

#endif
