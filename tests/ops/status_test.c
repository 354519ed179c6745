/*  status_test - `status` (PROTOCOL.md section 6) and `nmirf agent-status`
    against real processes: a broker, an agent, raw CURVE clients.

    1. The coordinator's status: version, the sequence ping gives, the
       store's map use within its size, a commit time once a write
       committed, the latency split counting each write (and no read); a ministry is
   refused (forbidden), a body field refused.
    2. Connections: extra DEALERs and a SUB are counted while open and
       leave the count when closed; a key ZAP refuses is counted as a
       refused handshake and does not stay among the connections.
    3. Outboxes: a ministry's `ping {outbox}` shows in status; a running
       agent reports its own, and agent-status gives its replica sequence,
       lag and outbox.
    4. The CLI: `nmirf status` prints the health, --json parses, a
       ministry's key exits 1.
*/
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_common.h"
#include "nmirf_hist.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define WAIT_MS 10000 /* a count must settle within this */

static h_broker_t *b;

/* The coordinator's status reply (caller destroys). */
static nmirf_reply_t *
s_status(void)
{
    return H_CALL_EXPECT("ok", h_coord(b), "status", "{}");
}

/* Waits until status's connections.<which> equals want; returns it. */
static uint64_t
s_wait_conns(const char *which, uint64_t want)
{
    char path[64];
    snprintf(path, sizeof path, "connections.%s", which);
    uint64_t got = UINT64_MAX;
    for (int waited = 0; waited <= WAIT_MS; waited += 50) {
        nmirf_reply_t *r = s_status();
        got = h_u(&r->body, path);
        nmirf_reply_destroy(&r);
        if (got == want)
            break;
        h_sleep_ms(50);
    }
    H_ASSERTF(got == want, "%s: %llu, expected %llu", path, (unsigned long long)got,
              (unsigned long long)want);
    return got;
}

static void
test_fields(void)
{
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    nmirf_reply_t *r = s_status();
    uint64_t seq = h_seq(b);
    H_ASSERT(h_is(&r->body, "version", NMIRF_VERSION));
    H_ASSERT(h_u(&r->body, "seq") == seq);
    H_ASSERT(h_u(&r->body, "started") <= h_u(&r->body, "now"));
    H_ASSERT(h_u(&r->body, "last_commit") != 0); /* MJ's enrolment */
    H_ASSERT(h_u(&r->body, "commits") >= 1 && h_u(&r->body, "writes") >= 1);
    /* A synced commit takes time: at least the sync (no time bound). */
    H_ASSERT(h_u(&r->body, "commit_us") >= 1);
    uint64_t map = h_u(&r->body, "store.map_size"),
             used = h_u(&r->body, "store.map_used");
    H_ASSERTF(used > 0 && used <= map, "map_used %llu of map_size %llu",
              (unsigned long long)used, (unsigned long long)map);
    H_ASSERT(h_u(&r->body, "store.file_bytes") >= used);
    H_ASSERT(h_u(&r->body, "store.page_size") >= 512);
    H_ASSERT(h_len(&r->body, "agents") == 0);
    /* The latency split counts every write answered before (each stage
       once), and no read (the pings and status itself). */
    uint64_t writes = h_u(&r->body, "writes");
    static const char *const stages[] = {"queue", "commit", "reply"};
    for (int k = 0; k < 3; k++) {
        const msgpack_object *lat = nmirf_mp_get(&r->body, "latency");
        const msgpack_object *a = lat ? nmirf_mp_get(lat, stages[k]) : NULL;
        H_ASSERTF(a && a->type == MSGPACK_OBJECT_ARRAY &&
                      a->via.array.size <= NMIRF_HIST_BUCKETS,
                  "latency.%s", stages[k]);
        uint64_t sum = 0;
        for (uint32_t i = 0; i < a->via.array.size; i++)
            sum += a->via.array.ptr[i].via.u64;
        H_ASSERTF(sum == writes, "latency.%s counts %llu writes of %llu", stages[k],
                  (unsigned long long)sum, (unsigned long long)writes);
        /* Trimmed after the last non-zero bucket. */
        H_ASSERT(a->via.array.size > 0 &&
                 a->via.array.ptr[a->via.array.size - 1].via.u64 > 0);
    }
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("forbidden", mj, "status", "{}");
    H_CALL_CHECK("bad_request", h_coord(b), "status", "{'verbose': true}");
    H_CALL_CHECK("bad_request", mj, "ping", "{'outbox': 'three'}");
    H_CALL_CHECK("bad_request", mj, "ping", "{'outbox': -1}");
    H_ASSERT(h_seq(b) == seq);
    h_note("status: version, seq %llu, map %llu of %llu bytes; ministry forbidden",
           (unsigned long long)seq, (unsigned long long)used, (unsigned long long)map);
}

static void
test_connections(void)
{
    /* The coordinator's and MJ's clients are connected; nothing on events. */
    nmirf_reply_t *r = s_status();
    uint64_t base = h_u(&r->body, "connections.requests");
    nmirf_reply_destroy(&r);
    H_ASSERTF(base >= 1, "requests connections %llu", (unsigned long long)base);
    s_wait_conns("events", 0);
    enum { N = 4 };
    zsock_t *dealers[N];
    for (int i = 0; i < N; i++)
        dealers[i] = h_dealer_new(b, h_coord(b));
    zsock_t *sub = h_sub_new(b, h_coord(b), "hb");
    s_wait_conns("requests", base + N);
    s_wait_conns("events", 1);
    for (int i = 0; i < N; i++)
        zsock_destroy(&dealers[i]);
    zsock_destroy(&sub);
    s_wait_conns("requests", base);
    s_wait_conns("events", 0);

    r = s_status();
    uint64_t refused = h_u(&r->body, "connections.handshakes_refused");
    nmirf_reply_destroy(&r);
    h_entity_t *stranger = h_entity_new(b, "XX"); /* not enrolled: ZAP refuses */
    (void)stranger;
    uint64_t got = refused;
    for (int waited = 0; waited <= WAIT_MS && got == refused; waited += 50) {
        h_sleep_ms(50);
        r = s_status();
        got = h_u(&r->body, "connections.handshakes_refused");
        nmirf_reply_destroy(&r);
    }
    H_ASSERTF(got > refused, "refused handshakes %llu -> %llu",
              (unsigned long long)refused, (unsigned long long)got);
    s_wait_conns("requests", base);
    h_note("connections: %d dealers and a sub counted and uncounted; a refused key "
           "counted as refused, not connected",
           N);
}

/* Waits until status lists entity with outbox n. */
static void
s_wait_agent(const char *entity, uint64_t n)
{
    uint64_t got = UINT64_MAX;
    for (int waited = 0; waited <= WAIT_MS; waited += 100) {
        nmirf_reply_t *r = s_status();
        const msgpack_object *a = h_find(&r->body, "agents", "entity", entity);
        got = a ? h_u(a, "outbox") : UINT64_MAX;
        if (a)
            H_ASSERT(h_u(a, "reported") != 0);
        nmirf_reply_destroy(&r);
        if (got == n)
            return;
        h_sleep_ms(100);
    }
    h_fail(__FILE__, __LINE__, "agent %s outbox %llu in status, expected %llu", entity,
           (unsigned long long)got, (unsigned long long)n);
}

static void
test_outboxes(void)
{
    h_entity_t *mj = NULL;
    for (size_t i = 0; i < b->ent_count; i++)
        if (strcmp(b->ents[i].id, "MJ") == 0)
            mj = &b->ents[i];
    H_ASSERT(mj);
    H_CALL_CHECK("ok", mj, "ping", "{'outbox': 3}");
    s_wait_agent("MJ", 3);
    H_CALL_CHECK("ok", mj, "ping", "{'outbox': 0}");
    s_wait_agent("MJ", 0);

    h_entity_t *mi = ha_setup_ministry(b, "MI", "REC", 3);
    ha_agent_t *a = ha_agent_start(b, mi, NULL);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec': 'REC-1', 'lead': 'MI'}");
    uint64_t seq = h_seq(b);
    ag_wait_seq(a, seq);
    s_wait_agent("MI", 0);
    nmirf_reply_t *st = ha_ctl(a, 5000, "status", NULL);
    H_ASSERT(st->ok);
    H_ASSERT(h_u(&st->body, "seq") == seq);
    H_ASSERT(h_u(&st->body, "broker_seq") >= seq);
    H_ASSERT(h_u(&st->body, "lag") == h_u(&st->body, "broker_seq") - seq);
    H_ASSERT(h_u(&st->body, "outbox") == 0);
    H_ASSERT(h_u(&st->body, "outbox_reported") != 0);
    H_ASSERT(h_u(&st->body, "heard_ms_ago") != UINT64_MAX);
    nmirf_reply_destroy(&st);
    h_note("outboxes: a ping's outbox and a running agent's report show in status; "
           "agent-status seq %llu, lag 0, outbox 0",
           (unsigned long long)seq);
    ha_agent_destroy(&a);
}

/* Runs the CLI with args (a shell-quoted string) as entity e; returns its
   exit status and its stdout in *out (caller frees). */
static int
s_cli(h_entity_t *e, const char *args, char **out)
{
    /* The harness keeps keys in memory; the CLI reads a file. */
    char dir[PATH_MAX + 16], key[PATH_MAX + 64], why[256];
    snprintf(dir, sizeof dir, "%s/clikeys", b->dir);
    snprintf(key, sizeof key, "%s/%s.key", dir, e->id);
    H_ASSERT(mkdir(dir, 0700) == 0 || errno == EEXIST);
    if (access(key, R_OK) != 0)
        H_ASSERTF(nmirf_key_save(&e->key, dir, why, sizeof why) == 0, "save key: %s",
                  why);
    return h_sh(out, "'%s' -b '%s' -k '%s' -S '%s/keys/NMIRFD.pub' %s", ha_nmirf(),
                b->request_ep, key, b->dir, args);
}

static void
test_cli(void)
{
    char *out;
    int rc = s_cli(h_coord(b), "status", &out);
    H_ASSERTF(rc == 0 && strstr(out, "store map") && strstr(out, "connections") &&
                  strstr(out, "MI") && strstr(out, "write latency") &&
                  strstr(out, "p50/p99: queue "),
              "nmirf status exit %d:\n%s", rc, out);
    free(out);
    rc = s_cli(h_coord(b), "status --json", &out);
    json_t *j = json_loads(out, 0, NULL);
    H_ASSERTF(rc == 0 && j && json_integer_value(json_object_get(j, "seq")) > 0 &&
                  json_is_object(json_object_get(j, "store")),
              "nmirf status --json exit %d:\n%s", rc, out);
    json_decref(j);
    free(out);
    h_entity_t *mj = NULL;
    for (size_t i = 0; i < b->ent_count; i++)
        if (strcmp(b->ents[i].id, "MJ") == 0)
            mj = &b->ents[i];
    rc = s_cli(mj, "status 2>/dev/null", &out);
    H_ASSERTF(rc == 1, "nmirf status as a ministry exit %d", rc);
    free(out);
    h_note("cli: nmirf status prints the health, --json parses, a ministry exits 1");
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 110);
    b = h_broker_start(NULL);
    test_fields();
    test_connections();
    test_outboxes();
    test_cli();
    h_broker_destroy(&b);
    return 0;
}
