/*  nmirf_csv - an RFC 4180 CSV reader over a buffer in memory.

    Fields are separated by commas and records by CRLF or LF (a lone CR
    too). A field may be quoted with '"': then it may hold commas, line
    breaks and doubled quotes ("" is one "). A UTF-8 byte order mark at
    the start is skipped. The whole input must be valid UTF-8: the first
    call to nmirf_csv_next refuses it otherwise, naming the line. An empty
    line is skipped, not read as a record of one empty field.

    Refused, with the line where the field began: a quoted field never
    closed, and anything but a comma or a line break right after a closing
    quote. A quote inside an unquoted field is kept as a character (what
    spreadsheets do). The reader does not care whether records have the
    same number of fields; the caller decides (nmirf_uhri does).

    The reader never allocates more than the input's size plus the field
    table, and never reads outside [data, data + len).
*/
#ifndef NMIRF_CSV_H
#define NMIRF_CSV_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

typedef struct _nmirf_csv_t nmirf_csv_t;

/* A reader over data[0..len), which stays the caller's and must outlive
   the reader. Returns NULL only when out of memory. */
nmirf_csv_t *nmirf_csv_new(const char *data, size_t len);

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

/* Writes one field of n bytes to out, quoted (quotes doubled) when it
   holds a comma, a quote or a line end, or a NUL. With for_sheet, a field
   that a spreadsheet would run as a formula (it starts with = + - @, tab
   or CR, and is more than that one character) gets a leading apostrophe, which
   spreadsheets show as text: for reports people open; never for files meant to be
   imported again. */
void nmirf_csv_put(FILE *out, const char *s, size_t n, bool for_sheet);

/* Self-test; returns the number of failures. */
int nmirf_csv_test(bool verbose);

#endif
