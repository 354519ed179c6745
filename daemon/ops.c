/*  ops - the operation table and what the handlers share. */
#include "ops.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "records.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* { name, write, handler, reader, standby }. A read is marked reader-safe (runs on
   a reader thread, readers.c) unless it touches what only the broker's or
   the writer's thread may: `ping` and `status` read the writer's plain
   counters (and `ping` notes an agent's outbox), and `subscribe` must
   answer in order with the writer's batches (its reply's seq bounds the
   events the connection gets pushed). */
static const op_def_t s_ops[] = {
    {"ping", false, op_ping, false, false},
    {"subscribe", false, op_subscribe, false, false},
    {"entity.enroll", true, op_entity_enroll, false, false},
    {"entity.revoke", true, op_entity_revoke, false, false},
    {"entity.rotate", true, op_entity_rotate, false, false},
    {"entity.list", false, op_entity_list, true, false},
    {"entity.show", false, op_entity_show, true, false},
    {"entity.update", true, op_entity_update, false, false},
    {"rec.import", true, op_rec_import, false, false},
    {"rec.assign", true, op_rec_assign, false, false},
    {"rec.list", false, op_rec_list, true, false},
    {"rec.show", false, op_rec_show, true, false},
    {"rec.withdraw", true, op_rec_withdraw, false, false},
    {"rec.merge", true, op_rec_merge, false, false},
    {"report.submit", true, op_report_submit, false, false},
    {"report.validate", true, op_report_validate, false, false},
    {"report.return", true, op_report_return, false, false},
    {"report.list", false, op_report_list, true, false},
    {"measure.add", true, op_measure_add, false, false},
    {"measure.update", true, op_measure_update, false, false},
    {"measure.list", false, op_measure_list, true, false},
    {"measure.show", false, op_measure_show, true, false},
    {"events.since", false, op_events_since, true, false},
    {"snapshot", false, op_snapshot, true, false},
    {"stats", false, op_stats, true, false},
    {"status", false, op_status, false, false},
    {"broker.promote", true, op_broker_promote, false, true},
    {"repl.copy", false, op_repl_copy, true, false},
    {"repl.follow", false, op_repl_follow, false, false},
};

const op_def_t *
ops_find(const char *name)
{
    for (size_t i = 0; i < sizeof s_ops / sizeof s_ops[0]; i++)
        if (strcmp(s_ops[i].name, name) == 0)
            return &s_ops[i];
    return NULL;
}

int
op_refuse(op_ctx_t *ctx, nmirf_code_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->why, sizeof ctx->why, fmt, ap);
    va_end(ap);
    ctx->code = code;
    return -1;
}

int
op_store_error(op_ctx_t *ctx, int rc, const char *what)
{
    log_warnx("store error while %s: %s", what, store_strerror(rc));
    /* Space problems are the operator's to fix and change nothing;
       anything else is a bug or corruption. */
    if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL || rc == ENOSPC || rc == EIO)
        return op_refuse(ctx, NMIRF_E_STORAGE, "store cannot take the write (%s): %s",
                         what, store_strerror(rc));
    return op_refuse(ctx, NMIRF_E_INTERNAL, "store error (%s): %s", what,
                     store_strerror(rc));
}

int
op_emit(op_ctx_t *ctx, const char *kind, const char *subject, const char *const *entities,
        size_t entity_count, const void *data, size_t data_len)
{
    nmirf_event_fields_t ev = {
        .ts = ctx->now,
        .kind = kind,
        .subject = subject,
        .entities = entities,
        .entity_count = entity_count,
        .author = ctx->env->author,
        .req = ctx->env->id,
        .req_hash = ctx->req_hash,
        .data = data,
        .data_len = data_len,
    };
    uint8_t prev[NMIRF_HASH_LEN];
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int rc = store_append_event(ctx->store, ctx->txn, &ev, prev, &out);
    if (!rc && event_batch_add(ctx->events, ev.seq, kind, entities, entity_count,
                               out.data, out.size))
        rc = ENOMEM;
    msgpack_sbuffer_destroy(&out);
    return rc ? op_store_error(ctx, rc, "appending an event") : 0;
}

bool
op_role_is(op_ctx_t *ctx, const char *role)
{
    return strcmp(ctx->role, role) == 0;
}

int
op_need_coordinator(op_ctx_t *ctx)
{
    if (!op_role_is(ctx, "coordinator"))
        return op_refuse(ctx, NMIRF_E_FORBIDDEN,
                         "%s needs the coordinator role; %s has role %s", ctx->env->op,
                         ctx->env->author, ctx->role);
    return 0;
}

int
op_load(op_ctx_t *ctx, store_db_t db, strv_t id, const char *what, msgpack_object *obj)
{
    int rc = store_get(ctx->store, ctx->txn, db, id.p, id.n, ctx->zone, obj);
    if (rc == MDB_NOTFOUND)
        return op_refuse(ctx, NMIRF_E_NOT_FOUND, "no %s '%.*s'", what, (int)id.n, id.p);
    if (rc)
        return op_store_error(ctx, rc, what);
    return 0;
}

#define MERGE_CHAIN_MAX 64 /* hops followed to a live recommendation */

int
op_refuse_withdrawn(op_ctx_t *ctx, strv_t id, const msgpack_object *rec, const char *what)
{
    if (!record_withdrawn(rec))
        return 0;
    strv_t into = record_field(nmirf_mp_get(rec, "withdrawn"), "into");
    if (!into.p)
        return op_refuse(ctx, NMIRF_E_CONFLICT, "recommendation '%.*s' was withdrawn",
                         (int)id.n, id.p);
    /* A merged recommendation's target may have been merged since: the
       chain cannot loop (nothing withdrawn is merged into or from), and
       is followed a bounded number of hops all the same. */
    for (int hop = 0; hop < MERGE_CHAIN_MAX; hop++) {
        msgpack_object next;
        if (store_get(ctx->store, ctx->txn, DB_RECS, into.p, into.n, ctx->zone, &next) ||
            !record_withdrawn(&next))
            break;
        strv_t further = record_field(nmirf_mp_get(&next, "withdrawn"), "into");
        if (!further.p)
            break;
        into = further;
    }
    return op_refuse(ctx, NMIRF_E_CONFLICT,
                     "recommendation '%.*s' was withdrawn (merged into '%.*s')%s%s",
                     (int)id.n, id.p, (int)into.n, into.p, what ? ": " : "",
                     what ? what : "");
}

int
op_cursor_all(op_ctx_t *ctx, store_db_t db, const char *what, MDB_cursor **cur,
              size_t *count)
{
    MDB_stat st;
    int rc = mdb_stat(ctx->txn, store_dbi(ctx->store, db), &st);
    if (!rc)
        rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, db), cur);
    if (rc)
        return op_store_error(ctx, rc, what);
    *count = st.ms_entries;
    return 0;
}

int
op_pack_all(op_ctx_t *ctx, const char *name, store_db_t db, const char *what)
{
    MDB_cursor *cur;
    size_t count;
    if (op_cursor_all(ctx, db, what, &cur, &count))
        return -1;
    nmirf_mp_pack_str(&ctx->pk, name);
    msgpack_pack_array(&ctx->pk, count);
    MDB_val k, v;
    size_t n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < count;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++)
        msgpack_sbuffer_write(ctx->reply, v.mv_data, v.mv_size);
    mdb_cursor_close(cur);
    return 0;
}

void
op_pack_items(op_ctx_t *ctx, const char *name, size_t count, msgpack_sbuffer *items)
{
    nmirf_mp_pack_str(&ctx->pk, name);
    msgpack_pack_array(&ctx->pk, count);
    msgpack_sbuffer_write(ctx->reply, items->data, items->size);
    msgpack_sbuffer_destroy(items);
}

char *
op_strdup(op_ctx_t *ctx, strv_t s)
{
    if (!s.p)
        return NULL;
    char *copy = msgpack_zone_malloc(ctx->zone, s.n + 1);
    if (copy) {
        memcpy(copy, s.p, s.n);
        copy[s.n] = 0;
    }
    return copy;
}
