/*  nmirf_rec - the rules a recommendation must meet (PROTOCOL.md section
    6), checked on the client before anything is sent.

    The rules are the schema's table (nmirf_fields_recommendation in
    proto/nmirf_schema.c), which the broker checks imports against too
    (daemon/ops_rec.c, body_fields) and stays the authority; reading it
    here over JSON lets `nmirf rec import` name the file line of every bad
    row and refuse the file before the first request.
*/
#ifndef NMIRF_REC_H
#define NMIRF_REC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Checks a recommendation given as a JSON object (no `updated`). Returns
   0, or -1 with why filled ("field 'date' is not a date YYYY-MM-DD"). */
int nmirf_rec_check(const json_t *rec, char *why, size_t whylen);

#endif
