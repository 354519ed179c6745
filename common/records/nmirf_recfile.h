/*  nmirf_recfile - recommendation files in and out: the project's JSON,
    the project's CSV, and a UHRI export saved as CSV (nmirf_uhri).

    Reading gives one row per recommendation, each either a recommendation
    that passed nmirf_rec_check or what is wrong with it, so a caller can
    refuse the whole file naming every bad line, or skip the bad rows.
    An id given twice in one file makes its second row bad.

    A reader (nmirf_recreader) gives the rows one at a time and can start
    again from the first (a checking pass, then a sending pass). Over a
    file, CSV is streamed: the reader holds a 64 KiB window, one record of
    at most NMIRF_IMPORT_RECORD_MAX bytes and the ids seen (to find one
    given twice), whatever the file's size. JSON is parsed whole (an array
    is one value), so a JSON file may have at most NMIRF_IMPORT_JSON_MAX
    bytes and its tree at most NMIRF_IMPORT_JSON_TREE_MAX (counted by
    allocator functions given to jansson for the parse alone: a process
    must not parse JSON in another thread meanwhile). Only regular files
    are read: a pipe or a device cannot be read twice, and /dev/zero would
    never end.

    Writing gives the two formats that read back as the same
    recommendations (docs/DATA.md); the CSV neutralises would-be formulas
    with an apostrophe that its reading drops again (nmirf_csv_put).
*/
#ifndef NMIRF_RECFILE_H
#define NMIRF_RECFILE_H

#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A CSV record's largest size, decoded: three texts of 32 KiB and four
   lists of 256 items of 512 bytes make about 700 KiB. */
#define NMIRF_IMPORT_RECORD_MAX (4 * 1024 * 1024)

/* A JSON import's largest file. JSON is parsed whole (an array is one
   value): 32 MiB holds some 25,000 recommendations of real size, whose
   tree takes about 4 times the file's size. Larger sets go by CSV, which
   is streamed (docs/DATA.md). */
#define NMIRF_IMPORT_JSON_MAX (32 * 1024 * 1024)

/* The most memory a JSON import's parsed tree may take (jansson's
   allocations, counted while it parses). The file's size alone does not
   bound it: 32 MiB of tiny values ([{},{},...]) is 11 million objects and
   2.5 GB; such a file is refused when the count passes this budget. */
#define NMIRF_IMPORT_JSON_TREE_MAX ((size_t)640 * 1024 * 1024)

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

/* A file read one recommendation at a time. */
typedef struct _nmirf_recreader_t nmirf_recreader_t;

/* Opens path, a regular file, for reading. format is "json", "csv" (the
   project's CSV or a UHRI export, told by the header), "uhri", or NULL to
   decide from path's extension (.json, .csv) or else the first bytes.
   lang is the language of a UHRI plain "Text" column, NULL to detect it
   per row. Returns NULL with why filled, without the path ("is a
   directory", "line 1: ...", "3:7: ..." for JSON), if the file cannot be
   opened or its start cannot be read (JSON: the whole document). */
nmirf_recreader_t *nmirf_recreader_open(const char *path, const char *format,
                                        const char *lang, char *why, size_t whylen);

/* The same over data[0..len), which must outlive the reader; name gives
   the extension, if any. */
nmirf_recreader_t *nmirf_recreader_new(const char *data, size_t len, const char *name,
                                       const char *format, const char *lang, char *why,
                                       size_t whylen);

/* Frees the reader (closing its file) and sets *self_p to NULL; safe on
   NULL. */
void nmirf_recreader_destroy(nmirf_recreader_t **self_p);

/* Reads the next row into row: 1 with a row (row->rec is the caller's to
   decref, NULL for a bad row with row->why), 0 at the end, -1 if the file
   as a whole is bad from there on (CSV syntax or encoding, a record over
   the limit, a JSON item that is not an object, out of memory:
   nmirf_recreader_error says why). */
int nmirf_recreader_next(nmirf_recreader_t *self, nmirf_recrow_t *row);

/* Starts again from the first row, for a second pass that sees the same
   rows. Returns 0, or -1 (nmirf_recreader_error) if the file changed
   since it was opened (size or modification time) or cannot be read. */
int nmirf_recreader_rewind(nmirf_recreader_t *self);

/* "json", "csv" (the project's) or "uhri", as found. */
const char *nmirf_recreader_format(const nmirf_recreader_t *self);

/* True if rows are numbered by item (JSON has no lines). */
bool nmirf_recreader_by_item(const nmirf_recreader_t *self);

/* Why the last call failed. */
const char *nmirf_recreader_error(const nmirf_recreader_t *self);

/* Reads a file's bytes whole, every row in memory (tests and fuzzers; the
   command line streams with nmirf_recreader). format is "json", "csv" (the project's CSV
   or a UHRI export, told by the header), "uhri", or NULL to decide from name's extension
   (.json, .csv) or else the content. lang is the language of a UHRI plain "Text" column,
   NULL to detect it per row. Returns NULL with why filled if the file as a whole cannot
   be read (not JSON, CSV syntax or encoding, no usable header); bad rows are not such a
   failure. */
nmirf_recfile_t *nmirf_recfile_read(const char *data, size_t len, const char *name,
                                    const char *format, const char *lang, char *why,
                                    size_t whylen);

/* Frees the file and sets *self_p to NULL; safe on NULL. */
void nmirf_recfile_destroy(nmirf_recfile_t **self_p);

/* Recommendations batched into rec.import requests, as the command line
   and nmirf-web import them: each request's body is {recs: [...]} of at
   most NMIRF_IMPORT_MAX recommendations and about NMIRF_IMPORT_BATCH_BYTES
   of packed recommendations (well under the broker's 1 MiB envelope). */
#define NMIRF_IMPORT_BATCH_BYTES (512 * 1024)

/* Sends one rec.import body (borrowed) holding count recommendations.
   Returns 0, or non-zero to stop the import (given back by the batch's
   calls). */
typedef int(nmirf_import_send_fn)(const msgpack_sbuffer *body, size_t count, void *arg);

typedef struct {
    msgpack_sbuffer recs; /* the batch so far: packed recommendations */
    msgpack_sbuffer one;  /* the one being added */
    msgpack_packer pk;    /* into one */
    size_t count;         /* recommendations in recs */
    nmirf_import_send_fn *send;
    void *arg; /* send's */
} nmirf_import_batch_t;

/* An empty batch sending through send(body, count, arg). */
void nmirf_import_batch_init(nmirf_import_batch_t *self, nmirf_import_send_fn *send,
                             void *arg);

/* Adds rec (a recommendation object, borrowed), sending the batch first
   if rec would take it over a limit. Returns 0 or send's non-zero. */
int nmirf_import_batch_add(nmirf_import_batch_t *self, const json_t *rec);

/* Sends what the batch holds, if anything. Returns 0 or send's non-zero. */
int nmirf_import_batch_flush(nmirf_import_batch_t *self);

/* Frees the batch's buffers (what it holds is not sent). */
void nmirf_import_batch_destroy(nmirf_import_batch_t *self);

/* Writes recs (a JSON array of recommendation objects; `updated` and
   unknown keys are left out) as the project's CSV: a UTF-8 BOM, a header,
   one CRLF-ended record per recommendation, lists one item per line
   within their cell, a cell that a spreadsheet would run as a formula
   neutralised with a leading apostrophe (nmirf_csv_put). An item that itself holds a line
   break is written with spaces instead and counted in *lossy. Returns 0, or -1 if out
   failed. */
int nmirf_recfile_write_csv(FILE *out, const json_t *recs, size_t *lossy);

/* Writes recs as the project's JSON: {"recommendations": [...]}, keys in
   the broker's canonical order, `updated` left out. Returns 0 or -1. */
int nmirf_recfile_write_json(FILE *out, const json_t *recs);

#endif
