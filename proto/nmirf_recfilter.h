/*  nmirf_recfilter - which recommendations a report or a count is about:
    one predicate for the broker's `stats` and the command line's report
    annex, so that a figure and the rows under it select the same
    recommendations (PROTOCOL.md section 6, stats; docs/REPORTS.md).

    A filter is a value: it owns copies of its strings, so it outlives the
    body it was read from. An empty field selects everything.
*/
#ifndef NMIRF_RECFILTER_H
#define NMIRF_RECFILTER_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "nmirf_mp.h"
#include "nmirf_schema.h"

typedef struct {
    char mechanism[NMIRF_ENUM_MAX + 1]; /* exact: UPR, CAT, ..., SP; "" any */
    char cycle[NMIRF_SHORT_MAX + 1];    /* exact `cycle`; "" any */
    char theme[NMIRF_SHORT_MAX + 1];    /* one of `themes`, ASCII case ignored; "" any */
    char entity[NMIRF_ENTITY_ID_MAX + 1]; /* the lead or a contributor; "" any */
    char position[NMIRF_ENUM_MAX + 1];    /* exact `response`; "" any */
    bool withdrawn;                       /* also withdrawn recommendations */
} nmirf_recfilter_t;

/* The filter that selects every recommendation not withdrawn. */
void nmirf_recfilter_init(nmirf_recfilter_t *f);

/* Reads the filter fields of a request body (mechanism?, cycle?, theme?,
   entity?, position?: str; withdrawn?: bool) into f, after
   nmirf_recfilter_init. Other keys are left to the caller's field table.
   Returns 0, or -1 with why set when a field has the wrong type, is
   longer than its limit, or mechanism/position is not in its value set.
   The broker checks the lengths first (ops_stats.c), so that a string
   over its limit is refused too_large there, as in every body. */
int nmirf_recfilter_read(nmirf_recfilter_t *f, const msgpack_object *body, char *why,
                         size_t whylen);

/* Adds f's non-empty fields (and withdrawn when true) to a body map. */
void nmirf_recfilter_pack(const nmirf_recfilter_t *f, nmirf_mp_map_t *m);

/* True if f selects nothing out: every field empty (withdrawn aside). */
bool nmirf_recfilter_is_all(const nmirf_recfilter_t *f);

/* True if the recommendation record rec (a map, PROTOCOL.md section 6),
   with its assignment record (a map, or NULL / nil when unassigned),
   passes f. A recommendation with a `withdrawn` key passes only when
   f->withdrawn. */
bool nmirf_recfilter_match(const nmirf_recfilter_t *f, const msgpack_object *rec,
                           const msgpack_object *assignment);

#endif
