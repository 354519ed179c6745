/*  nmirf_recfile - recommendation files in and out: the project's JSON,
    the project's CSV, and a UHRI export saved as CSV (nmirf_uhri).

    Reading gives one row per recommendation, each either a recommendation
    that passed nmirf_rec_check or what is wrong with it, so a caller can
    refuse the whole file naming every bad line, or skip the bad rows.
    An id given twice in one file makes its second row bad. Writing gives
    the two formats that read back as the same recommendations
    (docs/DATA.md).
*/
#ifndef NMIRF_RECFILE_H
#define NMIRF_RECFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One recommendation of a file. */
typedef struct {
    size_t line;   /* CSV: the line where the row begins; JSON: the item number */
    json_t *rec;   /* the recommendation, checked; NULL if the row is bad */
    char why[256]; /* what is wrong with a bad row */
} nmirf_recrow_t;

/* A file read. */
typedef struct {
    const char *format;   /* "json", "csv" (the project's) or "uhri" */
    bool by_item;         /* row lines are item numbers (JSON has no lines) */
    nmirf_recrow_t *rows; /* the rows, in file order */
    size_t count;         /* how many */
    size_t bad;           /* how many are bad */
} nmirf_recfile_t;

/* Reads a file's bytes. format is "json", "csv" (the project's CSV or a
   UHRI export, told by the header), "uhri", or NULL to decide from name's
   extension (.json, .csv) or else the content. lang is the language of a
   UHRI plain "Text" column, NULL to detect it per row. Returns NULL with
   why filled if the file as a whole cannot be read (not JSON, CSV
   syntax or encoding, no usable header); bad rows are not such a failure. */
nmirf_recfile_t *nmirf_recfile_read(const char *data, size_t len, const char *name,
                                    const char *format, const char *lang, char *why,
                                    size_t whylen);

/* Frees the file and sets *self_p to NULL; safe on NULL. */
void nmirf_recfile_destroy(nmirf_recfile_t **self_p);

/* Writes recs (a JSON array of recommendation objects; `updated` and
   unknown keys are left out) as the project's CSV: a UTF-8 BOM, a header,
   one CRLF-ended record per recommendation, lists one item per line
   within their cell. An item that itself holds a line break is written
   with spaces instead and counted in *lossy. Returns 0, or -1 if out
   failed. */
int nmirf_recfile_write_csv(FILE *out, const json_t *recs, size_t *lossy);

/* Writes recs as the project's JSON: {"recommendations": [...]}, keys in
   the broker's canonical order, `updated` left out. Returns 0 or -1. */
int nmirf_recfile_write_json(FILE *out, const json_t *recs);

#endif
