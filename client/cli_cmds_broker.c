/*  cli_cmds_broker - the broker as a whole: ping, snapshot, status (none
    takes arguments; stats is cli_cmds_stats.c), and promote, which makes
    a standby the primary (docs/REPLICATION.md).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_hist.h"
#include "nmirf_mp.h"

/* Runs op without a body and prints its reply through view (or as JSON
   when always_json). */
static int
s_simple(cli_t *cli, const char *op, void (*view)(const msgpack_object *body),
         bool always_json)
{
    nmirf_reply_t *reply;
    int rc;
    if ((rc = cli_call(cli, op, NULL, &reply)))
        return rc;
    if (always_json)
        rc = cli_print_json(&reply->body, false);
    else
        rc = cli_print_reply(cli, reply, view);
    nmirf_reply_destroy(&reply);
    return rc;
}

static const char *s_ping_broker; /* the endpoint, for the ping view */

/* "mean commit": commit_us over commits, when the broker says both. */
static void
s_kv_mean_commit(const msgpack_object *body)
{
    uint64_t commits = cli_mp_uint(body, "commits", 0);
    if (!commits || !nmirf_mp_get(body, "commit_us"))
        return;
    char line[128];
    snprintf(line, sizeof line, _("%.2f ms (page writes and syncs)"),
             (double)cli_mp_uint(body, "commit_us", 0) / (double)commits / 1000.0);
    cli_kv("mean commit", line);
}

/* The q-quantile of status's latency histogram stage (nmirf_hist.h
   buckets), ms; 0 if absent. */
static double
s_latency_ms(const msgpack_object *latency, const char *stage, double q)
{
    const msgpack_object *a = latency ? nmirf_mp_get(latency, stage) : NULL;
    if (!a || a->type != MSGPACK_OBJECT_ARRAY)
        return 0;
    uint64_t counts[NMIRF_HIST_BUCKETS] = {0};
    uint32_t n =
        a->via.array.size < NMIRF_HIST_BUCKETS ? a->via.array.size : NMIRF_HIST_BUCKETS;
    for (uint32_t i = 0; i < n; i++)
        if (a->via.array.ptr[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            counts[i] = a->via.array.ptr[i].via.u64;
    return nmirf_hist_quantile(counts, n, q) / 1000.0;
}

/* "write latency": where writes spent their time since start, p50/p99 of
   each stage, when the broker says (older brokers do not). */
static void
s_kv_latency(const msgpack_object *body)
{
    const msgpack_object *lat = nmirf_mp_get(body, "latency");
    if (!lat || lat->type != MSGPACK_OBJECT_MAP)
        return;
    char line[256];
    snprintf(line, sizeof line,
             _("p50/p99: queue %.2f/%.2f ms, commit %.2f/%.2f ms, reply %.2f/%.2f ms"),
             s_latency_ms(lat, "queue", 0.5), s_latency_ms(lat, "queue", 0.99),
             s_latency_ms(lat, "commit", 0.5), s_latency_ms(lat, "commit", 0.99),
             s_latency_ms(lat, "reply", 0.5), s_latency_ms(lat, "reply", 0.99));
    cli_kv("write latency", line);
}

/* "role": primary or standby, with the epoch, the primary a standby
   follows, and whether a higher epoch fenced it; older brokers say none. */
static void
s_kv_role(const msgpack_object *body)
{
    const msgpack_object *role = nmirf_mp_get(body, "role");
    if (!role || role->type != MSGPACK_OBJECT_STR)
        return;
    char line[512];
    unsigned long long epoch = (unsigned long long)cli_mp_uint(body, "epoch", 1);
    const msgpack_object *fenced = nmirf_mp_get(body, "fenced");
    if (fenced && fenced->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(line, sizeof line,
                 _("fenced at epoch %llu: epoch %llu is known elsewhere, no write is "
                   "taken"),
                 epoch, (unsigned long long)fenced->via.u64);
    else if (nmirf_mp_str_is(role, "standby"))
        snprintf(line, sizeof line, _("standby at epoch %llu: reads only"), epoch);
    else
        snprintf(line, sizeof line, _("primary at epoch %llu"), epoch);
    cli_kv("role", line);
    cli_kv_field("primary", body, "primary");
}

/* "failover": on a standby that follows its primary, how long the
   primary has been silent and whether a write then promotes it
   (failover_after, ms; 0: only `nmirf promote` does). */
static void
s_kv_failover(const msgpack_object *body)
{
    const msgpack_object *after = nmirf_mp_get(body, "failover_after");
    if (!after || after->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return;
    char line[256];
    unsigned long long silent =
        (unsigned long long)cli_mp_uint(body, "primary_silent_ms", 0);
    if (after->via.u64)
        snprintf(line, sizeof line,
                 _("automatic after %llu ms of silence; the primary has been silent "
                   "%llu ms"),
                 (unsigned long long)after->via.u64, silent);
    else
        snprintf(line, sizeof line,
                 _("manual (nmirf promote); the primary has been silent %llu ms"),
                 silent);
    cli_kv("failover", line);
}

/* "replication" on a primary that sends a stream: synchronous or not,
   the standbys following, the last record and the highest a standby
   holds, and the replies waiting for one; "standby" on a standby: its
   seq, the primary's, and how far behind. Older brokers say neither. */
static void
s_kv_replication(const msgpack_object *body)
{
    char line[512];
    const msgpack_object *repl = nmirf_mp_get(body, "replication");
    if (repl && repl->type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *sync = nmirf_mp_get(repl, "synchronous");
        unsigned long long followers = cli_mp_uint(repl, "followers", 0),
                           acked = cli_mp_uint(repl, "acked_record", 0),
                           last = cli_mp_uint(repl, "last_record", 0);
        if (sync && sync->type == MSGPACK_OBJECT_BOOLEAN && sync->via.boolean)
            snprintf(line, sizeof line,
                     _("synchronous: %llu standbys following, record %llu of %llu on a "
                       "standby's disk; %llu replies wait for a standby (the oldest "
                       "for %llu ms)"),
                     followers, acked, last,
                     (unsigned long long)cli_mp_uint(repl, "waiting", 0),
                     (unsigned long long)cli_mp_uint(repl, "oldest_wait_ms", 0));
        else
            snprintf(line, sizeof line,
                     _("asynchronous: %llu standbys following, record %llu of %llu on a "
                       "standby's disk; a failover now would lose %llu events (the "
                       "oldest record not there for %llu ms)"),
                     followers, acked, last,
                     (unsigned long long)cli_mp_uint(repl, "lag_events", 0),
                     (unsigned long long)cli_mp_uint(repl, "lag_ms", 0));
        cli_kv("replication", line);
    }
    const msgpack_object *sb = nmirf_mp_get(body, "standby");
    if (sb && sb->type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *following = nmirf_mp_get(sb, "following");
        bool on = following && following->type == MSGPACK_OBJECT_BOOLEAN &&
                  following->via.boolean;
        snprintf(line, sizeof line,
                 on ? _("following: seq %llu of the primary's %llu, %llu events and %llu "
                        "ms behind")
                    : _("not following: seq %llu of the primary's %llu, %llu events and "
                        "%llu ms behind"),
                 (unsigned long long)cli_mp_uint(sb, "applied_seq", 0),
                 (unsigned long long)cli_mp_uint(sb, "primary_seq", 0),
                 (unsigned long long)cli_mp_uint(sb, "lag_events", 0),
                 (unsigned long long)cli_mp_uint(sb, "lag_ms", 0));
        cli_kv("standby", line);
    }
}

/* ping: the endpoint asked, the version, the sequence, the counters. */
static void
s_view_ping(const msgpack_object *body)
{
    cli_kv("broker", s_ping_broker);
    cli_kv_field("version", body, "version");
    s_kv_role(body);
    cli_kv_field("seq", body, "seq");
    /* Counters since the broker started; older brokers leave them out. */
    if (nmirf_mp_get(body, "started")) {
        char when[32];
        cli_kv("started", cli_time_text(cli_mp_uint(body, "started", 0), true, when));
    }
    cli_kv_field("requests", body, "requests");
    cli_kv_field("writes", body, "writes");
    cli_kv_field("commits", body, "commits");
    s_kv_mean_commit(body);
}

static int
s_ping(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    /* With several brokers (-b EP,EP) the one in use is known once the
       keys are loaded (cli_load_keys finds the primary). */
    int rc = cli_load_keys(cli);
    if (rc)
        return rc;
    s_ping_broker = cli->broker;
    return s_simple(cli, "ping", s_view_ping, false);
}

static int
s_snapshot(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    return s_simple(cli, "snapshot", NULL, true);
}

/* A byte count as text with a binary unit ("12.3 MiB"). */
static const char *
s_bytes_text(uint64_t n, char buf[32])
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, 32, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, 32, "%.1f %s", v, units[u]);
    return buf;
}

/* A duration in ms as "3d 04:05:06". */
static const char *
s_duration_text(uint64_t ms, char buf[32])
{
    uint64_t s = ms / 1000;
    snprintf(buf, 32, "%llud %02llu:%02llu:%02llu", (unsigned long long)(s / 86400),
             (unsigned long long)(s / 3600 % 24), (unsigned long long)(s / 60 % 60),
             (unsigned long long)(s % 60));
    return buf;
}

/* status: the broker's health, then one row per agent that reported. */
static void
s_view_status(const msgpack_object *body)
{
    char a[32], b[32], line[256];
    uint64_t now = cli_mp_uint(body, "now", 0);
    uint64_t started = cli_mp_uint(body, "started", 0);
    cli_kv("broker", s_ping_broker);
    cli_kv_field("version", body, "version");
    cli_kv_field("pid", body, "pid");
    snprintf(line, sizeof line, _("%s (since %s)"),
             s_duration_text(now > started ? now - started : 0, a),
             cli_time_text(started, true, b));
    cli_kv("uptime", line);
    s_kv_role(body);
    s_kv_failover(body);
    s_kv_replication(body);
    cli_kv_field("seq", body, "seq");
    uint64_t last = cli_mp_uint(body, "last_commit", 0);
    cli_kv("last commit", last ? cli_time_text(last, true, a) : _("none since start"));
    snprintf(line, sizeof line, _("%llu requests, %llu writes in %llu commits"),
             (unsigned long long)cli_mp_uint(body, "requests", 0),
             (unsigned long long)cli_mp_uint(body, "writes", 0),
             (unsigned long long)cli_mp_uint(body, "commits", 0));
    cli_kv("counters", line);
    s_kv_mean_commit(body);
    s_kv_latency(body);
    const msgpack_object *conn = nmirf_mp_get(body, "connections");
    snprintf(line, sizeof line, _("%llu on requests, %llu on events"),
             (unsigned long long)cli_mp_uint(conn, "requests", 0),
             (unsigned long long)cli_mp_uint(conn, "events", 0));
    cli_kv("connections", line);
    snprintf(line, sizeof line, _("%llu accepted, %llu refused since start"),
             (unsigned long long)cli_mp_uint(conn, "handshakes_ok", 0),
             (unsigned long long)cli_mp_uint(conn, "handshakes_refused", 0));
    cli_kv("handshakes", line);
    const msgpack_object *store = nmirf_mp_get(body, "store");
    uint64_t map = cli_mp_uint(store, "map_size", 0),
             used = cli_mp_uint(store, "map_used", 0);
    char c[32];
    snprintf(line, sizeof line, _("%s used of %s (%.1f%%), file %s"),
             s_bytes_text(used, a), s_bytes_text(map, b),
             map ? 100.0 * (double)used / (double)map : 0.0,
             s_bytes_text(cli_mp_uint(store, "file_bytes", 0), c));
    cli_kv("store map", line);
    const msgpack_object *agents = nmirf_mp_get(body, "agents");
    if (!agents || agents->type != MSGPACK_OBJECT_ARRAY || agents->via.array.size == 0) {
        cli_kv("agents", _("none reported since start"));
        return;
    }
    fputc('\n', stdout);
    static const char *const headers[] = {N_("AGENT"), N_("OUTBOX"), N_("REPORTED")};
    cli_table_t *table = cli_table_new(headers, 3);
    if (!table)
        return;
    cli_table_right(table, 1);
    for (uint32_t i = 0; i < agents->via.array.size; i++) {
        const msgpack_object *ag = &agents->via.array.ptr[i];
        uint64_t at = cli_mp_uint(ag, "reported", 0);
        cli_table_row(table);
        cli_table_cell_field(table, ag, "entity");
        cli_table_cell_field(table, ag, "outbox");
        cli_table_cellf(table, _("%s (%llu s ago)"), cli_time_text(at, true, a),
                        (unsigned long long)(now > at ? (now - at) / 1000 : 0));
    }
    cli_table_print(table);
    cli_table_destroy(&table);
}

static int
s_status(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    int rc = cli_load_keys(cli);
    if (rc)
        return rc;
    s_ping_broker = cli->broker;
    return s_simple(cli, "status", s_view_status, false);
}

/* promote: the standby it is sent to becomes the primary. */
static void
s_view_promote(const msgpack_object *body)
{
    char line[128];
    snprintf(line, sizeof line, _("%s is the primary at epoch %llu"), s_ping_broker,
             (unsigned long long)cli_mp_uint(body, "epoch", 0));
    cli_kv("promoted", line);
}

static int
s_promote(cli_t *cli, const cli_args_t *a)
{
    /* The endpoint is known once the call has found its broker. */
    int rc = cli_load_keys(cli);
    if (rc)
        return rc;
    s_ping_broker = cli->broker;
    return cli_args_call_show(cli, a, "broker.promote", s_view_promote);
}

static const cli_opt_spec_t s_promote_opts[] = {
    {CLI_OPT("epoch", 0, "N", CLI_UINT, "epoch",
             "the new epoch (default: one above the highest this broker knows of)")},
    {CLI_JSON(NULL)},
    {0},
};

/* status takes no option but the global --json. */
static const cli_opt_spec_t s_json_opts[] = {
    {CLI_JSON(NULL)},
    {0},
};

const cli_cmd_spec_t cli_broker_cmds[] = {
    {CLI_CMD("ping", "ping", s_ping)},
    {CLI_CMD("snapshot", "snapshot", s_snapshot)},
    {CLI_CMD("status", "status", s_status), .opts = s_json_opts},
    {CLI_CMD("promote", "promote", s_promote), .opts = s_promote_opts},
    {0},
};
