/*  nmirf_vocab_data - between nmirf_vocab.c and the C file that
    vocab_embed.cmake generates from the .tsv files of data/vocab at build time. Not
    for other modules: they use nmirf_vocab.h.

    One source per kind, in the order of nmirf_vocab_kind_t: the file's
    bytes (writable, NUL-terminated beyond size) and room for its rows
    (one per line of the file, more than it can have), filled by the
    parser in nmirf_vocab.c with pointers into the blob.
*/
#ifndef NMIRF_VOCAB_DATA_H
#define NMIRF_VOCAB_DATA_H

#include <stddef.h>

typedef struct {
    const char *key;
    const char *name[3]; /* fr, ar, en; NULL for an empty cell */
    size_t keylen;
} nmirf_vocab_row_t;

typedef struct {
    const char *kind; /* the file's name without .tsv */
    char *blob;
    size_t size;
    nmirf_vocab_row_t *rows;
    size_t maxrows;
} nmirf_vocab_src_t;

extern const nmirf_vocab_src_t nmirf_vocab_srcs[];
extern const size_t nmirf_vocab_nsrcs;

/* Parses src->blob in place into src->rows (the blob is changed: cells
   are cut with NULs, so parse a blob once). Returns the rows kept; the
   first fault, if none is in why yet (why[0] == 0 before the first
   call), is written to why. nmirf_vocab.c calls it once per kind; the
   unit test feeds it broken files. */
size_t nmirf_vocab_parse(const nmirf_vocab_src_t *src, char *why, size_t whylen);

/* For the unit test alone: lookups of kind use rows[0..n) from now on
   (after the built-in files are parsed), so that a missing translation's
   fallback can be seen though the shipped files have none. Not
   thread-safe. */
#include "nmirf_vocab.h"
void nmirf_vocab_set_rows(nmirf_vocab_kind_t kind, const nmirf_vocab_row_t *rows,
                          size_t n);

#endif
