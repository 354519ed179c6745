/*  stats_agg - the figures `stats` answers without a filter, kept up to date
    in the write transaction of every change that moves one, so that an
    unfiltered `stats` reads a few thousand small entries instead of every
    recommendation (issue 16; docs/REPORTS.md, How the figures are kept).

    What a recommendation adds to the figures is its contribution: a list
    of (key, count) in the `agg` database, computed from its state in the
    store (its record, assignment, status and validated reports) exactly as
    the full scan of ops_stats.c counts it. A writer takes the contribution
    of each recommendation it is about to change (stats_agg_view), changes
    the store, and hands the contribution before to stats_agg_apply, which
    takes the one after and applies after minus before. Both calls run in
    the request's own (nested) write transaction: a refused request is
    aborted with its figures, a committed one commits them in the same
    synced commit as its records.

    The `agg` database (keys are bytes; counts are int64 big-endian, an
    entry that falls to 0 is deleted):
      "V"                          -> the version of the layout (the marker:
                                      absent, the figures are rebuilt)
      "S" st                       -> recommendations in status st
      "G" g name 0x00 st           -> recommendations of name in group g in
                                      status st (g: AGG_GROUP_*); a name
                                      longer than AGG_NAME_LONG is keyed by
                                      its start and a hash, and its value
                                      holds the whole name after the count
      "d" deadline                 -> recommendations not implemented whose
                                      assignment has this deadline
      "D" deadline rec             -> 1: the same, one per recommendation,
                                      in the order of the overdue list
      "M" month(u32 BE) 'n'        -> validated reports decided that month
      "M" month(u32 BE) 'r' st     -> recommendations that reached st
      "M" month(u32 BE) 'x' st     -> entering (+) and leaving (-) st
    st is one byte, 'a' + the index in nmirf_statuses; a month counts from
    1970-01. Only recommendations not withdrawn count (nmirf_recfilter's
    default).

    A view is allocated in the caller's zone: nothing to free.
*/
#ifndef STATS_AGG_H
#define STATS_AGG_H

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_schema.h"
#include "ops.h"
#include "store.h"

#define AGG_VERSION 1
#define AGG_NAME_LONG 448 /* longer names: start + '#' + hash in the key */
#define AGG_NAME_KEY_MAX (AGG_NAME_LONG + 1)

/* The groups of `stats`, as their key byte. */
#define AGG_GROUP_LEAD 'e'
#define AGG_GROUP_CONTRIBUTOR 'c'
#define AGG_GROUP_MECHANISM 'm'
#define AGG_GROUP_TREATY 't'
#define AGG_GROUP_CYCLE 'y'
#define AGG_GROUP_THEME 'h'
#define AGG_GROUP_SDG 'g'
#define AGG_GROUP_POSITION 'p'

/* One (key, count) of a contribution. */
typedef struct {
    uint8_t *key;     /* zone */
    size_t klen;      /* bytes */
    int64_t delta;    /* what it adds */
    const char *name; /* a long group name, kept in the value; else NULL */
    size_t namelen;   /* its bytes */
} agg_entry_t;

/* The contribution of one or more recommendations. */
typedef struct {
    agg_entry_t *items; /* zone */
    size_t count, cap;  /* used and allocated */
    msgpack_zone *zone; /* where items and keys live (the caller's) */
    bool oom;           /* an allocation failed */
} agg_view_t;

/* True if the store holds the figures (the marker is there). */
bool stats_agg_ready(store_t *store, MDB_txn *txn);

/* Sets *view to the contribution of recommendation rec (n bytes) as the
   store in txn holds it now (empty when the figures are not kept, or the
   recommendation is absent or withdrawn), in zone. Returns 0 or an LMDB
   error code (ENOMEM when out of memory). */
int stats_agg_view(store_t *store, MDB_txn *txn, const char *rec, size_t n,
                   msgpack_zone *zone, agg_view_t *view);

/* Takes rec's contribution now and applies it minus before (taken by
   stats_agg_view before the change) to the figures in txn. Does nothing
   when the figures are not kept. Returns 0 or an LMDB error code. */
int stats_agg_apply(store_t *store, MDB_txn *txn, const char *rec, size_t n,
                    const agg_view_t *before);

/* Applies after minus before (either may be NULL) to the figures. Returns
   0 or an LMDB error code. */
int stats_agg_update(store_t *store, MDB_txn *txn, const agg_view_t *before,
                     const agg_view_t *after);

/* The two calls a write handler makes around a change of recommendation
   rec: op_agg_before before the change, op_agg_after after it, in the
   request's transaction. Return 0, or -1 with the refusal (storage) set;
   the view lives in ctx's zone. */
int op_agg_before(op_ctx_t *ctx, strv_t rec, agg_view_t *before);
int op_agg_after(op_ctx_t *ctx, strv_t rec, const agg_view_t *before);

/* Builds the figures from every recommendation in one write transaction
   if the marker is absent (a store from before them, or one just made),
   logging how long it took. Returns 0, or -1 with why. */
int stats_agg_ensure(store_t *store, char *why, size_t whylen);

/* The bytes that stand for a group name in a key (at most
   AGG_NAME_KEY_MAX): the name, or when longer than AGG_NAME_LONG its
   first 416 bytes, '#' and 32 hex digits of its hash. The order of
   these bytes is the order of the names in every `by_*` map. */
size_t stats_agg_name_key(const char *name, size_t n, uint8_t out[AGG_NAME_KEY_MAX]);

/* Month number (since 1970-01) of a ms time, UTC. */
int64_t stats_agg_month_of(uint64_t ms);

#endif
