/*  nmirf_uhri - rows of an OHCHR Universal Human Rights Index (UHRI)
    export, saved as CSV, turned into recommendations (docs/DATA.md).

    The header is matched by name, tolerant of case, spacing, punctuation
    and the export's own spellings ("Reccomending Body" [sic]); columns it
    does not know are ignored. Values lose the export's "- " prefix, and
    list columns (recommending states, themes, affected persons, SDGs) are
    split on " - ". The recommending body (or, failing that, the document
    symbol) gives the mechanism, the UPR position the response, the UPR
    session the cycle; the session, a special procedure's mandate and the
    last updated date are kept as they are (`session`, `mandate`,
    `source_updated`). No position gives no response: the broker makes it
    pending for the UPR, not_applicable for the others. The id is stable
    across exports: SYMBOL:PARAGRAPH, else UHRI-<Annotation Id>, the hash
    of the text only as a last resort (docs/DATA.md gives the rule).
*/
#ifndef NMIRF_UHRI_H
#define NMIRF_UHRI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "nmirf_csv.h"

typedef struct _nmirf_uhri_t nmirf_uhri_t;

/* A mapping for the header record the reader is on. lang ("fr", "ar",
   "en") is the language of a plain "Text" column, NULL to detect it per
   row. Returns NULL with why filled if the header lacks a text or a
   document symbol column (or on out of memory). */
nmirf_uhri_t *nmirf_uhri_new(const nmirf_csv_t *header, const char *lang, char *why,
                             size_t whylen);

/* Frees the mapping and sets *self_p to NULL; safe on NULL. */
void nmirf_uhri_destroy(nmirf_uhri_t **self_p);

/* The record the reader is on as a new recommendation (caller decrefs),
   or NULL with why filled. The result is not yet checked against the
   protocol's limits (nmirf_rec_check does that). */
json_t *nmirf_uhri_row(const nmirf_uhri_t *self, const nmirf_csv_t *row, char *why,
                       size_t whylen);

/* The language of a text: "ar" if mostly Arabic script, else "fr" or "en"
   by common words and accents. */
const char *nmirf_uhri_lang(const char *text, size_t len);

/* The header name normalized for matching: lowercase letters and digits
   only, "reccom"/"recomm" spelled "recom". Writes at most outlen bytes. */
void nmirf_uhri_norm(const char *name, char *out, size_t outlen);

#endif
