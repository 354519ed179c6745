/*  ops_status - status: the broker's health for the coordinator (uptime,
    counters, the latency split of writes, the store's size and map use,
    open connections, agents' outboxes as last reported). PROTOCOL.md
    section 6 gives the reply. */
#include "follower.h"
#include "body.h"
#include "health.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "ops.h"
#include "repl_sender.h"
#include "role.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Packs "store": the data file's size, the map's size and how much of it
   the last committed transaction used. LMDB never shrinks its file, so
   map_used (pages in use up to the last page number), not file_bytes, is
   what tells how close the map is to full. */
static int
s_pack_store(op_ctx_t *ctx)
{
    MDB_env *env = mdb_txn_env(ctx->txn);
    MDB_envinfo info;
    MDB_stat st;
    const char *dir = NULL;
    int rc = mdb_env_info(env, &info);
    if (!rc)
        rc = mdb_env_stat(env, &st);
    if (!rc)
        rc = mdb_env_get_path(env, &dir);
    if (rc)
        return op_store_error(ctx, rc, "reading the store's size");
    char path[4096];
    struct stat fst;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    uint64_t file_bytes = stat(path, &fst) == 0 ? (uint64_t)fst.st_size : 0;
    uint64_t used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    nmirf_mp_pack_str(&ctx->pk, "store");
    msgpack_pack_map(&ctx->pk, 4);
    nmirf_mp_pack_kv_uint(&ctx->pk, "file_bytes", file_bytes);
    nmirf_mp_pack_kv_uint(&ctx->pk, "map_size", info.me_mapsize);
    nmirf_mp_pack_kv_uint(&ctx->pk, "map_used", used);
    nmirf_mp_pack_kv_uint(&ctx->pk, "page_size", st.ms_psize);
    return 0;
}

/* Packs one latency histogram as its counts up to the last non-zero one
   (nmirf_hist.h buckets). */
static void
s_pack_hist(op_ctx_t *ctx, const char *name, const stats_hist_t *h)
{
    uint64_t counts[NMIRF_HIST_BUCKETS];
    size_t n = 0;
    for (size_t i = 0; i < NMIRF_HIST_BUCKETS; i++) {
        counts[i] = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
        if (counts[i])
            n = i + 1;
    }
    nmirf_mp_pack_str(&ctx->pk, name);
    msgpack_pack_array(&ctx->pk, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        msgpack_pack_uint64(&ctx->pk, counts[i]);
}

/* Packs "latency": where acknowledged writes spent their time since start
   (stats.h), three histograms of microseconds. */
static void
s_pack_latency(op_ctx_t *ctx, const broker_stats_t *st)
{
    nmirf_mp_pack_str(&ctx->pk, "latency");
    msgpack_pack_map(&ctx->pk, 3);
    s_pack_hist(ctx, "queue", &st->lat_queue);
    s_pack_hist(ctx, "commit", &st->lat_commit);
    s_pack_hist(ctx, "reply", &st->lat_reply);
}

/* Packs "replication", on a primary that sends a stream (repl_sender.h):
   whether it answers writes only once a standby holds them, how many
   standbys follow, its last record and the highest a standby holds, the
   lag those make (records, ms), and the replies held for one with how
   long the oldest has waited
   (docs/REPLICATION.md, "Synchronous mode"). */
static void
s_pack_replication(op_ctx_t *ctx, const broker_stats_t *st)
{
    repl_sender_t *repl = repl_sender_global();
    uint64_t oldest = atomic_load(&st->sync_oldest_ms);
    nmirf_mp_pack_str(&ctx->pk, "replication");
    uint64_t last = repl_sender_last(repl), acked = atomic_load(&st->sync_acked);
    uint64_t lag_ms = 0, lag_events = 0;
    if (last > acked)
        repl_sender_lag(repl, acked, ctx->now, &lag_ms, &lag_events);
    msgpack_pack_map(&ctx->pk, 9);
    nmirf_mp_pack_str(&ctx->pk, "synchronous");
    if (atomic_load(&st->sync_on))
        msgpack_pack_true(&ctx->pk);
    else
        msgpack_pack_false(&ctx->pk);
    nmirf_mp_pack_kv_uint(&ctx->pk, "followers", atomic_load(&st->sync_followers));
    nmirf_mp_pack_kv_uint(&ctx->pk, "last_record", last);
    nmirf_mp_pack_kv_uint(&ctx->pk, "acked_record", acked);
    /* The standby's lag as the primary sees it: records made and not
       acknowledged, and the age of the oldest of them. */
    nmirf_mp_pack_kv_uint(&ctx->pk, "lag_records", last > acked ? last - acked : 0);
    nmirf_mp_pack_kv_uint(&ctx->pk, "lag_events", lag_events);
    nmirf_mp_pack_kv_uint(&ctx->pk, "lag_ms", lag_ms);
    nmirf_mp_pack_kv_uint(&ctx->pk, "waiting", atomic_load(&st->sync_waiting));
    nmirf_mp_pack_kv_uint(&ctx->pk, "oldest_wait_ms",
                          oldest && ctx->now > oldest ? ctx->now - oldest : 0);
}

int
op_status(op_ctx_t *ctx)
{
    static const char *const allowed[] = {NULL};
    if (body_only(ctx, &ctx->env->body, allowed, "body") || op_need_coordinator(ctx))
        return -1;
    static const broker_stats_t none;
    const broker_stats_t *st = ctx->stats ? ctx->stats : &none;
    /* A standby that follows says how long its primary has been silent,
       and after how long a write would promote it (0: never, manual). */
    uint64_t epoch = store_epoch(ctx->store, ctx->txn);
    bool failover = follower_pack_entries() && role_standby(st->role, epoch);
    bool sender = repl_sender_global() != NULL && ctx->stats;
    msgpack_pack_map(&ctx->pk, 14 + ROLE_PACK_ENTRIES + follower_pack_entries() +
                                   (failover ? 2 : 0) + (sender ? 1 : 0));
    nmirf_mp_pack_kv_str(&ctx->pk, "version", NMIRF_VERSION);
    nmirf_mp_pack_kv_uint(&ctx->pk, "now", ctx->now);
    nmirf_mp_pack_kv_uint(&ctx->pk, "started", st->started);
    nmirf_mp_pack_kv_uint(&ctx->pk, "seq", store_seq(ctx->store, ctx->txn));
    nmirf_mp_pack_kv_uint(&ctx->pk, "last_commit", st->last_commit);
    nmirf_mp_pack_kv_uint(&ctx->pk, "requests", st->requests + atomic_load(&st->reads));
    nmirf_mp_pack_kv_uint(&ctx->pk, "writes", st->writes);
    nmirf_mp_pack_kv_uint(&ctx->pk, "commits", st->commits);
    nmirf_mp_pack_kv_uint(&ctx->pk, "commit_us", st->commit_us);
    nmirf_mp_pack_kv_uint(&ctx->pk, "pid", (uint64_t)getpid());
    if (s_pack_store(ctx))
        return -1;
    s_pack_latency(ctx, st);
    health_pack(st->health, &ctx->pk); /* connections, agents */
    role_pack(st->role, epoch, &ctx->pk);
    follower_pack(&ctx->pk); /* a standby's lag (follower.h) */
    if (failover) {
        nmirf_mp_pack_kv_uint(&ctx->pk, "failover_after", role_failover_after(st->role));
        nmirf_mp_pack_kv_uint(&ctx->pk, "primary_silent_ms", follower_silent_ms());
    }
    if (sender)
        s_pack_replication(ctx, st);
    return 0;
}
