/*  ops_read - ping, subscribe, events since a sequence number, snapshot (stats is
    ops_stats.c). */
#include "body.h"
#include "health.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "ops.h"
#include "records.h"
#include "role.h"

#include <stdlib.h>
#include <string.h>

#define EVENTS_BYTES_MAX (16u << 20) /* one events.since reply's event bytes */
/* An outbox length no agent reaches: each pending submission is a signed
   request of up to 1 MiB on the agent's disk. Above it, a ping is refused
   rather than shown in `status` as if it were true. */
#define OUTBOX_MAX 10000000

int
op_ping(op_ctx_t *ctx)
{
    /* An agent's periodic ping carries its outbox length (status shows it),
       and clients with several brokers the highest epoch they have seen
       with the endpoint they saw it at: a broker below it is fenced
       (role.h). */
    static const char *const allowed[] = {"outbox", "epoch", "primary", NULL};
    uint64_t outbox, epoch_seen;
    bool present, seen;
    strv_t primary = {0};
    if (body_only(ctx, &ctx->env->body, allowed, "body") ||
        body_uint(ctx, &ctx->env->body, "epoch", false, &epoch_seen, &seen) ||
        body_line(ctx, &ctx->env->body, "primary", false, ROLE_ENDPOINT_MAX - 1,
                  &primary) ||
        body_uint(ctx, &ctx->env->body, "outbox", false, &outbox, &present))
        return -1;
    if (present && outbox > OUTBOX_MAX)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field 'outbox' is %llu, more than %d",
                         (unsigned long long)outbox, OUTBOX_MAX);
    role_t *role = ctx->stats ? ctx->stats->role : NULL;
    uint64_t epoch = store_epoch(ctx->store, ctx->txn);
    if (seen)
        role_hear(role, epoch_seen, op_strdup(ctx, primary), epoch, ctx->env->author);
    if (present && ctx->stats)
        health_agent_report(ctx->stats->health, ctx->env->author, outbox, ctx->now);
    static const broker_stats_t none;
    const broker_stats_t *st = ctx->stats ? ctx->stats : &none;
    msgpack_pack_map(&ctx->pk, 7 + ROLE_PACK_ENTRIES);
    nmirf_mp_pack_kv_str(&ctx->pk, "version", NMIRF_VERSION);
    nmirf_mp_pack_kv_uint(&ctx->pk, "seq", store_seq(ctx->store, ctx->txn));
    nmirf_mp_pack_kv_uint(&ctx->pk, "started", st->started);
    nmirf_mp_pack_kv_uint(&ctx->pk, "requests", st->requests + atomic_load(&st->reads));
    nmirf_mp_pack_kv_uint(&ctx->pk, "writes", st->writes);
    nmirf_mp_pack_kv_uint(&ctx->pk, "commits", st->commits);
    nmirf_mp_pack_kv_uint(&ctx->pk, "commit_us", st->commit_us);
    role_pack(role, epoch, &ctx->pk);
    return 0;
}

int
op_subscribe(op_ctx_t *ctx)
{
    /* Nothing to do here but check: the subscription is a property of the
       connection, which only the broker's thread knows; it takes effect
       when this reply is sent (broker.c, subscribers.c). The reply's seq,
       the store's latest in this batch, bounds what was committed before:
       every later event is pushed. */
    static const char *const allowed[] = {NULL};
    if (body_only(ctx, &ctx->env->body, allowed, "body"))
        return -1;
    msgpack_pack_map(&ctx->pk, 0);
    return 0;
}

int
op_events_since(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"since", "limit", NULL};
    const msgpack_object *body = &ctx->env->body;
    uint64_t since, limit = NMIRF_EVENTS_DEFAULT;
    bool present;
    if (body_only(ctx, body, allowed, "body") ||
        body_uint(ctx, body, "since", true, &since, &present) ||
        body_uint(ctx, body, "limit", false, &limit, &present))
        return -1;
    if (limit > NMIRF_EVENTS_MAX)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "limit %llu is over %d",
                         (unsigned long long)limit, NMIRF_EVENTS_MAX);
    uint64_t last = store_seq(ctx->store, ctx->txn);
    uint64_t count = since >= last ? 0 : last - since;
    if (count > limit)
        count = limit;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_EVENTS), &cur);
    if (rc)
        return op_store_error(ctx, rc, "reading events");
    /* First pass: how many fit the byte budget (at least one, so a client
       always moves on); the second packs them. */
    uint8_t key[8];
    nmirf_be64_encode(since + 1, key);
    MDB_val k = {8, key}, v;
    uint64_t n = 0, bytes = 0, expect = since + 1;
    for (rc = count ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : MDB_NOTFOUND;
         rc == 0 && n < count && (n == 0 || bytes + v.mv_size <= EVENTS_BYTES_MAX);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++, expect++) {
        if (nmirf_be64_decode(k.mv_data) != expect)
            break; /* a hole in the log: never expected, refused below */
        bytes += v.mv_size;
    }
    if (n == 0 && count) {
        mdb_cursor_close(cur);
        return op_refuse(ctx, NMIRF_E_INTERNAL, "event log is missing event %llu",
                         (unsigned long long)(since + 1));
    }
    msgpack_pack_map(&ctx->pk, 2);
    nmirf_mp_pack_str(&ctx->pk, "events");
    msgpack_pack_array(&ctx->pk, n);
    nmirf_be64_encode(since + 1, key);
    k.mv_size = 8;
    k.mv_data = key;
    uint64_t i = 0;
    for (rc = n ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : MDB_NOTFOUND;
         rc == 0 && i < n; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++)
        nmirf_mp_pack_bin(&ctx->pk, v.mv_data, v.mv_size);
    mdb_cursor_close(cur);
    nmirf_mp_pack_kv_uint(&ctx->pk, "last", last);
    return 0;
}

/* Packs every value of db as an array under name. */
static int
s_pack_all(op_ctx_t *ctx, const char *name, store_db_t db)
{
    return op_pack_all(ctx, name, db, "taking a snapshot");
}

/* Packs the implementation status map {rec: status}: it cannot be derived
   from the reports alone, since two validations may share a timestamp. */
static int
s_pack_status(op_ctx_t *ctx)
{
    MDB_cursor *cur;
    size_t count;
    if (op_cursor_all(ctx, DB_STATUS, "taking a snapshot", &cur, &count))
        return -1;
    nmirf_mp_pack_str(&ctx->pk, "status");
    msgpack_pack_map(&ctx->pk, count);
    MDB_val k, v;
    size_t n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < count;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
        nmirf_mp_pack_strn(&ctx->pk, k.mv_data, k.mv_size);
        nmirf_mp_pack_strn(&ctx->pk, v.mv_data, v.mv_size);
    }
    mdb_cursor_close(cur);
    return 0;
}

int
op_snapshot(op_ctx_t *ctx)
{
    static const char *const allowed[] = {NULL};
    if (body_only(ctx, &ctx->env->body, allowed, "body"))
        return -1;
    msgpack_pack_map(&ctx->pk, 7);
    nmirf_mp_pack_kv_uint(&ctx->pk, "seq", store_seq(ctx->store, ctx->txn));
    return s_pack_all(ctx, "entities", DB_ENTITIES) || s_pack_all(ctx, "recs", DB_RECS) ||
                   s_pack_all(ctx, "assignments", DB_ASSIGNMENTS) ||
                   s_pack_all(ctx, "reports", DB_REPORTS) || s_pack_status(ctx) ||
                   s_pack_all(ctx, "measures", DB_MEASURES)
               ? -1
               : 0;
}
