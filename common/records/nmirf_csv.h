/*  nmirf_csv - an RFC 4180 CSV reader, over a buffer in memory or a
    stream read in bounded memory, and the writer of one field.

    Fields are separated by commas and records by CRLF or LF (a lone CR
    too). A field may be quoted with '"': then it may hold commas, line
    breaks and doubled quotes ("" is one "). A UTF-8 byte order mark at
    the start is skipped. Every field must be valid UTF-8 with no NUL
    byte: the record that holds one is refused, naming the line of the
    bad byte ("not a text file" for a NUL). An empty line is skipped, not
    read as a record of one empty field.

    Refused, with the line where the field began: a quoted field never
    closed, and anything but a comma or a line break right after a closing
    quote. A quote inside an unquoted field is kept as a character (what
    spreadsheets do). The reader does not care whether records have the
    same number of fields; the caller decides (nmirf_uhri does), but a
    record of more than NMIRF_CSV_FIELDS_MAX fields is refused.

    Over a buffer, the reader never allocates more than the input's size
    plus the field table, and never reads outside [data, data + len). Over
    a stream it holds a 64 KiB window and one record, refused past the
    record limit it was given: its memory does not grow with the file.
*/
#ifndef NMIRF_CSV_H
#define NMIRF_CSV_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

typedef struct _nmirf_csv_t nmirf_csv_t;

/* The most fields a record may have: far more than any CSV of
   recommendations (a UHRI export has about 20 columns). */
#define NMIRF_CSV_FIELDS_MAX 1024

/* A reader over data[0..len), which stays the caller's and must outlive
   the reader. Returns NULL only when out of memory. */
nmirf_csv_t *nmirf_csv_new(const char *data, size_t len);

/* A reader over a stream, read from its current position; file stays
   the caller's and must outlive the reader. A record (its fields
   decoded) of more than record_max bytes is refused. Returns NULL only
   when out of memory. */
nmirf_csv_t *nmirf_csv_new_file(FILE *file, size_t record_max);

/* Frees the reader and sets *self_p to NULL; safe on NULL. */
void nmirf_csv_destroy(nmirf_csv_t **self_p);

/* Reads the next record: 1 with a record, 0 at the end of the input, -1
   if the input is bad (nmirf_csv_error says why; every later call returns
   -1 too). */
int nmirf_csv_next(nmirf_csv_t *self);

/* The current record's number of fields (at least 1). */
size_t nmirf_csv_count(const nmirf_csv_t *self);

/* Field i of the current record, NUL-terminated (the text may hold NULs
   only if the input did; *len, if not NULL, gets the true length), or
   NULL past the last field. Valid until the next nmirf_csv_next. */
const char *nmirf_csv_field(const nmirf_csv_t *self, size_t i, size_t *len);

/* The line (from 1) where the current record began. */
size_t nmirf_csv_line(const nmirf_csv_t *self);

/* Why the last nmirf_csv_next returned -1 ("line N: ..."), or "". */
const char *nmirf_csv_error(const nmirf_csv_t *self);

/* True if a spreadsheet would run the n-byte value as a formula, or if
   the value is one that nmirf_csv_unformula would change: zero or more
   apostrophes, then one of = + - @ TAB CR, and more than that one
   character ("-" alone is text). */
bool nmirf_csv_formula(const char *s, size_t n);

/* How many bytes to drop from the front of a field written with neutral
   (1 for the apostrophe nmirf_csv_put added, else 0): a field that starts
   with an apostrophe followed by what nmirf_csv_formula calls a formula.
   So a value written and read back is the same bytes, apostrophes
   included (docs/DATA.md). */
size_t nmirf_csv_unformula(const char *s, size_t n);

/* Writes one field of n bytes to out, quoted (quotes doubled) when it
   holds a comma, a quote, a line end or a NUL. With neutral, a value
   nmirf_csv_formula names gets a leading apostrophe (inside the quotes),
   which spreadsheets show as text instead of running it: for every CSV
   people may open (exports, reports); the project's CSV import drops it
   again with nmirf_csv_unformula. */
void nmirf_csv_put(FILE *out, const char *s, size_t n, bool neutral);

/* Self-test; returns the number of failures. */
int nmirf_csv_test(bool verbose);

#endif
