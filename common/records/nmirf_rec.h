/*  nmirf_rec - the rules a recommendation must meet (PROTOCOL.md section
    6), checked on the client before anything is sent.

    The broker checks the same rules in daemon/ops_rec.c (body.c readers)
    and stays the authority; this copy lets `nmirf rec import` name the
    file line of every bad row and refuse the file before the first
    request. The limits and value sets below are the protocol's.
*/
#ifndef NMIRF_REC_H
#define NMIRF_REC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define NMIRF_REC_SHORT_MAX 512        /* symbol, cycle, theme, state ... */
#define NMIRF_REC_TEXT_MAX (32 * 1024) /* a text, the response text */
#define NMIRF_REC_LIST_MAX 256         /* items in states, themes ... */

/* The fields of a recommendation as the broker stores them, in its
   canonical order; NULL-terminated. */
extern const char *const nmirf_rec_fields[];

/* The value sets, NULL-terminated. */
extern const char *const nmirf_rec_mechanisms[];
extern const char *const nmirf_rec_responses[];

/* True if s is one of the NULL-terminated set. */
bool nmirf_rec_in(const char *s, const char *const *set);

/* Checks a recommendation given as a JSON object (no `updated`). Returns
   0, or -1 with why filled ("field 'date' is not a date YYYY-MM-DD"). */
int nmirf_rec_check(const json_t *rec, char *why, size_t whylen);

#endif
