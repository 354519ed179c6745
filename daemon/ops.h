/*  ops - the operations of PROTOCOL.md section 6.

    The broker has already checked the frames, the envelope, the author and
    the signature when a handler runs. A handler reads and checks its body,
    checks authorization and state, and only then writes: records through
    the store, events through op_emit(). It answers 0 with the reply body
    packed into ctx->reply, or -1 after op_refuse() set the code and reason.
    Write handlers run in a nested transaction that the broker aborts on
    -1, so a refusal never leaves half a change behind.
*/
#ifndef OPS_H
#define OPS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "events.h"
#include "nmirf_keys.h"
#include "stats.h"
#include "nmirf_wire.h"
#include "store.h"

/* A borrowed byte string: p is NULL when the field was absent. */
typedef struct {
    const char *p; /* first byte, not NUL-terminated */
    size_t n;      /* length */
} strv_t;

typedef struct {
    store_t *store;              /* the broker's store */
    MDB_txn *txn;                /* the transaction the op runs in */
    const nmirf_envelope_t *env; /* the request */
    const char *role;            /* the author's role */
    const uint8_t *req_hash;     /* BLAKE2b(envelope || sig) */
    uint64_t now;                /* broker time of this batch, ms */
    msgpack_zone *zone;          /* scratch memory for this request */
    msgpack_sbuffer *reply;      /* the reply body (a packed map) */
    msgpack_packer pk;           /* packs into reply */
    event_batch_t *events;       /* where emitted events go */
    const broker_stats_t *stats; /* the broker's counters (may be NULL) */
    bool reader;                 /* on a reader thread (dispatch_read), in a read
                                    transaction of its own */
    nmirf_code_t code;           /* the refusal's code */
    char why[512];               /* and its reason */
} op_ctx_t;

typedef int (*op_fn_t)(op_ctx_t *ctx);

typedef struct {
    const char *name; /* wire name */
    bool write;       /* changes state: runs in a nested write transaction */
    op_fn_t fn;       /* the handler */
    bool reader;      /* a read that may run on a reader thread (readers.c),
                         in a read transaction of its own: it touches only
                         the store and the atomics of ctx->stats, nothing of
                         the broker's thread or the writer's */
    bool standby;     /* a write a standby takes: `broker.promote` alone
                         (role.h; every other write is `not_primary` there) */
} op_def_t;

/* The operation named name, or NULL. */
const op_def_t *ops_find(const char *name);

/* Sets the refusal code and reason; returns -1 for the handler to return. */
int op_refuse(op_ctx_t *ctx, nmirf_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Refuses with code storage (or internal) for an LMDB error rc. */
int op_store_error(op_ctx_t *ctx, int rc, const char *what);

/* Appends an event to the store and the batch. data is a packed map.
   Returns 0 or -1 (refusal set). */
int op_emit(op_ctx_t *ctx, const char *kind, const char *subject,
            const char *const *entities, size_t entity_count, const void *data,
            size_t data_len);

/* True if the author's role is role. */
bool op_role_is(op_ctx_t *ctx, const char *role);

/* Refuses unless the author is the coordinator. */
int op_need_coordinator(op_ctx_t *ctx);

/* Loads a record by string id; 0, or -1 with not_found / storage set. */
int op_load(op_ctx_t *ctx, store_db_t db, strv_t id, const char *what,
            msgpack_object *obj);

/* If recommendation rec (its record, id) is withdrawn, refuses with
   conflict: "recommendation 'ID' was withdrawn" and, when it was merged,
   where it lives now (`into` followed through a chain of merges to the
   recommendation that is not withdrawn; PROTOCOL.md section 6), then
   what, if not NULL, says what to do instead ("report on that one").
   Returns 0 when rec is live, -1 when refused. */
int op_refuse_withdrawn(op_ctx_t *ctx, strv_t id, const msgpack_object *rec,
                        const char *what);

/* Opens *cur on the whole of db in ctx's transaction and counts its
   entries into *count (walk at most that many: the count is the reply's
   array or map header). Returns 0 (the caller closes *cur), or -1 with a
   store error while what set. */
int op_cursor_all(op_ctx_t *ctx, store_db_t db, const char *what, MDB_cursor **cur,
                  size_t *count);

/* Packs name, then every value of db in key order as an array: each
   stored value is a packed record, copied as it is. Returns 0, or -1 with
   a store error while what set. */
int op_pack_all(op_ctx_t *ctx, const char *name, store_db_t db, const char *what);

/* Packs name, then the array of the count items packed one after another
   in *items (a list gathered while counting), and destroys *items. */
void op_pack_items(op_ctx_t *ctx, const char *name, size_t count, msgpack_sbuffer *items);

/* Copies a strv into a zone-allocated NUL-terminated string. */
char *op_strdup(op_ctx_t *ctx, strv_t s);

/* The implementation status of a recommendation: the status of its
   latest validated report, "not_started" if none. */
strv_t ops_rec_status(op_ctx_t *ctx, strv_t rec);

/* Packs the array of a recommendation's reports, oldest first. */
int ops_pack_rec_reports(op_ctx_t *ctx, strv_t rec);

/* Measures (ops_measure.c), shared with ops_report.c. */

/* Packs a number in the canonical stored form: an integer when it is one
   (|v| <= 1e15), else a float64. */
void ops_pack_number(msgpack_packer *pk, double v);

/* Packs a checked list of points {date, value} sorted by date, each value
   canonical, each with extra: extra_val added if extra is not NULL.
   Returns 0 or -1 (out of memory). */
int ops_pack_points(msgpack_packer *pk, const msgpack_object *points, const char *extra,
                    uint64_t extra_val);

/* Loads measure id; 0, or -1 with not_found / storage set. */
int ops_measure_load(op_ctx_t *ctx, uint64_t id, msgpack_object *rec);

/* Feeds a just validated report's indicator values (if it has any) into
   its measure's progress and emits measure.updated. 0 or -1. */
int ops_measure_progress(op_ctx_t *ctx, const msgpack_object *report);

/* True if the stored measure is linked to recommendation rec. */
bool ops_measure_linked(const msgpack_object *measure, strv_t rec);

/* Handlers, by file. */
int op_entity_enroll(op_ctx_t *ctx);
int op_entity_revoke(op_ctx_t *ctx);
int op_entity_rotate(op_ctx_t *ctx);
int op_entity_list(op_ctx_t *ctx);
int op_entity_show(op_ctx_t *ctx);
int op_entity_update(op_ctx_t *ctx);
int op_rec_import(op_ctx_t *ctx);
int op_rec_assign(op_ctx_t *ctx);
int op_rec_list(op_ctx_t *ctx);
int op_rec_show(op_ctx_t *ctx);
int op_rec_withdraw(op_ctx_t *ctx); /* ops_repair.c */
int op_rec_merge(op_ctx_t *ctx);    /* ops_repair.c */
int op_report_submit(op_ctx_t *ctx);
int op_report_validate(op_ctx_t *ctx);
int op_report_return(op_ctx_t *ctx);
int op_report_list(op_ctx_t *ctx);
int op_measure_add(op_ctx_t *ctx);
int op_measure_update(op_ctx_t *ctx);
int op_measure_list(op_ctx_t *ctx);
int op_measure_show(op_ctx_t *ctx);
int op_ping(op_ctx_t *ctx);
/* `subscribe`: checks its body is {} and answers OK; the broker's thread
   registers the connection when it sends that reply (subscribers.c). */
int op_subscribe(op_ctx_t *ctx);
int op_events_since(op_ctx_t *ctx);
int op_snapshot(op_ctx_t *ctx);
int op_stats(op_ctx_t *ctx);
int op_status(op_ctx_t *ctx);
int op_broker_promote(op_ctx_t *ctx); /* ops_broker.c */
/* The request of an automatic promotion: `broker.promote {auto: true}`
   by the standby entity of key (its secret half), at ts now, under a
   fresh id; the envelope into *env (caller frees) and its signature.
   0, or -1. */
int ops_broker_auto_request(const nmirf_key_t *key, uint64_t now, uint8_t **env,
                            size_t *env_len, uint8_t sig[NMIRF_SIG_LEN]);
int op_repl_copy(op_ctx_t *ctx);      /* ops_repl.c */
int op_repl_follow(op_ctx_t *ctx);

#endif
