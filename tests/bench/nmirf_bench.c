/*  nmirf-bench - the figures of docs/PERFORMANCE.md, against real
    processes on loopback.

    Starts nmirfd in a temporary directory (more nmirfd flags with
    --broker-arg), enrolls one ministry per submitter, each with its own
    keys, CURVE connection and assigned recommendation, and measures:

    1. throughput: N submitter threads, each with W report.submit requests
       in flight, every request signed before the timed window; durable
       signed updates/s, the mean writes per commit (the broker's own ping
       counters) and submit -> acknowledgement latency; K subscribers
       count the events meanwhile;
    2. fan-out latency (--rate R): one submitter paced at R updates/s; the
       time from each submit to its event reaching each subscriber;
    3. replication (--replicate M): M recommendations imported, a tenth
       assigned; a fresh nmirf-agent timed from launch until its replica
       holds the broker's sequence, its digest checked;
    With --standby async|sync a second nmirfd follows the broker as its
    standby (docs/REPLICATION.md: an entity of role standby, --standby-of,
    -S, --standby-key), in synchronous mode or not; during the throughput
    window a thread samples the standby's lag every LAG_EVERY_MS (its own
    `status` standby.lag_events and lag_ms, the primary's
    replication.lag_records and lag_ms, and the primary's seq less the
    standby's: max and p50 of each), and after it the standby is waited
    for until its seq is the broker's.

    4. connected clients (--clients C): C more enrolled entities, each
       modelled on a real nmirf-agent: ONE CurveZMQ DEALER that sends
       `subscribe` and then receives the events the broker pushes on it;
       events published then, checked to reach every client; the broker's
       RSS before and with them, and its peak (VmHWM), read from /proc.

    First it measures the floors every figure rests on, where the broker
    keeps its store: one Ed25519 verification, one 4 KiB O_DSYNC write,
    one synced LMDB commit of a report.submit's few puts in an environment
    of its own, and one round trip on a bare CurveZMQ DEALER/ROUTER pair
    (p50 and p99); their sum is the floor of one submitter with one request
    in flight, which the 1 x 1 run is compared with ("ratio to floor").

    The throughput phase also reports, from the broker itself: where the
    writes' ack time went (`status` latency histograms before and after:
    queue / commit / reply p99 of this run), and the bytes it wrote
    (/proc/PID/io wchar before and after: pages per commit, and the disk
    time per write). With --stats-every MS a thread sends `stats` every MS
    meanwhile (over the -M recommendations imported first) and times it.

    Prints readable lines and one `BENCH {json}` line. Fails (exit 1, the
    broker's log printed) if a write is refused or an event is missing;
    never on a time.

    usage: nmirf-bench NMIRFD NMIRF-AGENT [options]   (--help)
*/
#include "agent_harness.h"
#include "bench_common.h"
#include "bench_pair.h"
#include "nmirf_hist.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IMPORT_CHUNK 250      /* recommendations per rec.import request */
#define MAX_SUBMITTERS 256    /* submitter threads */
#define MAX_SUBSCRIBERS 64    /* subscriber threads */
#define PER_THREAD_MAX 200000 /* requests signed ahead per submitter */
#define REPLY_WAIT_MS 10000   /* a reply slower than this fails the run */
#define MAX_INFLIGHT 64       /* the broker queues 64 messages per client */
#define MACHINE_VERIFIES 2000 /* Ed25519 verifications timed */
#define MACHINE_SYNCS 300     /* 4 KiB O_DSYNC writes timed */
#define MACHINE_COMMITS 200   /* synced LMDB commits timed (after as many untimed) */
#define MACHINE_TRIPS 2000    /* CurveZMQ round trips timed */
#define REQUEST_BYTES 400     /* about a signed report.submit on the wire */
#define LAG_EVERY_MS 100      /* the standby's lag sampled this often */
#define LAG_MAX 100000        /* lag samples kept */
#define CATCH_UP_MS 60000     /* the standby must catch up within this */

/* --standby: none, one following asynchronously, or synchronously. */
typedef enum { STANDBY_OFF, STANDBY_ASYNC, STANDBY_SYNC } standby_mode_t;

typedef struct {
    int submitters;                   /* N */
    int inflight;                     /* W */
    double seconds;                   /* throughput window */
    int subscribers;                  /* K */
    int rate;                         /* paced updates/s, 0: no paced phase */
    size_t replicate;                 /* M, 0: no replication phase */
    int clients;                      /* C, 0: no clients phase */
    int stats_every;                  /* ms between `stats` during throughput, 0: none */
    size_t stats_recs;                /* -M: recommendations imported first */
    const char *args[H_MAX_ARGS + 1]; /* more nmirfd flags */
    int nargs;                        /* how many */
    standby_mode_t standby;           /* --standby */
    h_entity_t *standby_coord;        /* the coordinator on the standby, or NULL */
} opts_t;

/* --- helpers ------------------------------------------------------------ */

static int
s_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of sorted[0..n), in ms. */
static double
s_pct(const uint64_t *sorted, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(q * (double)n);
    return (i >= n ? sorted[n - 1] : sorted[i]) / 1000.0;
}

/* A request id that names its submitter and index (bytes 0-3, 4-7), so a
   reply or an event leads back to its send time. */
static void
s_make_id(uint8_t id[NMIRF_ID_LEN], uint32_t who, uint32_t index)
{
    nmirf_random_id(id, NMIRF_ID_LEN);
    memcpy(id, &who, 4);
    memcpy(id + 4, &index, 4);
}

static void
s_read_id(const uint8_t id[NMIRF_ID_LEN], uint32_t *who, uint32_t *index)
{
    memcpy(who, id, 4);
    memcpy(index, id + 4, 4);
}

/* The broker's own counters, through ping. */
typedef struct {
    uint64_t writes;    /* writes committed */
    uint64_t commits;   /* synced commits that held them */
    uint64_t commit_us; /* time those commits took */
} counters_t;

static counters_t
s_counters(h_broker_t *b)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(b), "ping", "{}");
    counters_t c = {h_u(&r->body, "writes"), h_u(&r->body, "commits"),
                    h_u(&r->body, "commit_us")};
    nmirf_reply_destroy(&r);
    return c;
}

/* A field of /proc/PID/status in KiB (VmHWM: peak RSS, VmRSS), or 0. */
static unsigned long
s_proc_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long kib = 0;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kib = strtoul(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* The bytes process pid has written (/proc/PID/io wchar: write and
   pwrite calls, page writes and syncs of its store included; not its
   socket sends), or 0. */
static uint64_t
s_proc_wchar(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    FILE *f = fopen(path, "r");
    uint64_t bytes = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "wchar:", 6) == 0)
            bytes = strtoull(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return bytes;
}

/* The broker's latency split of writes since it started (`status`,
   "latency": queue, commit, reply; nmirf_hist.h buckets). */
typedef struct {
    uint64_t counts[3][NMIRF_HIST_BUCKETS];
} split_t;

static const char *const s_stages[3] = {"queue", "commit", "reply"};

/* Fills out from `status`; returns false (all zero) if the broker gives
   no latency (an older nmirfd, measured A/B against a newer one). */
static bool
s_split(h_broker_t *b, split_t *out)
{
    memset(out, 0, sizeof *out);
    nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(b), "status", "{}");
    const msgpack_object *lat = nmirf_mp_get(&r->body, "latency");
    if (!lat) {
        nmirf_reply_destroy(&r);
        return false;
    }
    for (int k = 0; k < 3; k++) {
        const msgpack_object *a = nmirf_mp_get(lat, s_stages[k]);
        H_ASSERTF(a && a->type == MSGPACK_OBJECT_ARRAY &&
                      a->via.array.size <= NMIRF_HIST_BUCKETS,
                  "status: latency.%s is not an array of buckets", s_stages[k]);
        for (uint32_t i = 0; i < a->via.array.size; i++)
            out->counts[k][i] = a->via.array.ptr[i].via.u64;
    }
    nmirf_reply_destroy(&r);
    return true;
}

/* An entity of our own (the harness keeps at most H_MAX_ENTITIES):
   fresh keys, no client. Enrolled by s_enroll_all. */
static h_entity_t *
s_entity(const char *id)
{
    h_entity_t *e = calloc(1, sizeof *e);
    H_ASSERT(e);
    H_ASSERT(nmirf_key_generate(&e->key, id) == 0);
    snprintf(e->id, sizeof e->id, "%s", id);
    return e;
}

/* Sends reqs[0..n) on dealer with up to window in flight, bounded by
   until_us (0: none). Fills lat_us[i] (0 if not sent) and returns how
   many were acknowledged ok; *failed counts the rest that were sent. */
static size_t
s_drive(zsock_t *dealer, h_request_t **reqs, size_t n, int window, uint64_t until_us,
        uint64_t *sent_us, uint64_t *lat_us, size_t *failed)
{
    size_t next = 0, got = 0, ok = 0;
    while (got < next || (next < n && (!until_us || nmirf_mono_us() < until_us))) {
        while (next < n && (int)(next - got) < window &&
               (!until_us || nmirf_mono_us() < until_us)) {
            h_request_t *r = reqs[next];
            sent_us[next] = nmirf_mono_us();
            zmq_send(zsock_resolve(dealer), r->env, r->env_len, ZMQ_SNDMORE);
            zmq_send(zsock_resolve(dealer), r->sig, sizeof r->sig, 0);
            next++;
        }
        zmsg_t *reply = zmsg_recv(dealer); /* rcvtimeo bounds it */
        H_ASSERTF(reply, "no reply within %d ms (%zu sent, %zu answered)", REPLY_WAIT_MS,
                  next, got);
        uint64_t now = nmirf_mono_us();
        zframe_t *f = zmsg_last(reply);
        nmirf_reply_t *rep = nmirf_reply_decode(zframe_data(f), zframe_size(f), NULL, 0);
        uint32_t who, idx;
        if (rep && rep->has_id) {
            s_read_id(rep->id, &who, &idx);
            if (idx < next && rep->ok) {
                lat_us[idx] = now - sent_us[idx];
                ok++;
            } else if (!rep->ok) {
                fprintf(stderr, "refused: %s: %s\n", rep->code_name, rep->message);
                (*failed)++;
            }
        } else
            (*failed)++;
        got++;
        nmirf_reply_destroy(&rep);
        zmsg_destroy(&reply);
    }
    return ok;
}

static zsock_t *
s_dealer(h_broker_t *b, const h_entity_t *e)
{
    zsock_t *d = h_dealer_new(b, e);
    zsock_set_rcvtimeo(d, REPLY_WAIT_MS);
    return d;
}

/* Enrolls es[0..n) as role through the coordinator, pipelined. */
static void
s_enroll_all(h_broker_t *b, h_entity_t **es, size_t n, const char *role)
{
    h_request_t **reqs = calloc(n, sizeof *reqs);
    uint64_t *sent = calloc(n, sizeof *sent), *lat = calloc(n, sizeof *lat);
    H_ASSERT(reqs && sent && lat);
    for (size_t i = 0; i < n; i++) {
        msgpack_sbuffer *sb = h_pack_enroll(&es[i]->key, role);
        uint8_t id[NMIRF_ID_LEN];
        s_make_id(id, 0, (uint32_t)i);
        reqs[i] = h_request_make_packed(h_coord(b), id, "entity.enroll",
                                        (uint8_t *)sb->data, sb->size);
        msgpack_sbuffer_free(sb);
    }
    zsock_t *d = s_dealer(b, h_coord(b));
    size_t failed = 0;
    size_t ok = s_drive(d, reqs, n, 32, 0, sent, lat, &failed);
    H_ASSERTF(ok == n && failed == 0, "enrolled %zu of %zu", ok, n);
    zsock_destroy(&d);
    for (size_t i = 0; i < n; i++)
        h_request_free(&reqs[i]);
    free(reqs);
    free(sent);
    free(lat);
}

/* Sends one signed ping as e through d and waits for its answer: the
   CURVE handshake is then behind us. */
static void
s_ping(zsock_t *d, h_entity_t *e)
{
    uint8_t id[NMIRF_ID_LEN];
    s_make_id(id, 0x7069, 0);
    h_request_t *r = h_request_make_packed(e, id, "ping", NULL, 0);
    uint64_t sent, lat = 0;
    size_t failed = 0;
    H_ASSERTF(s_drive(d, &r, 1, 1, 0, &sent, &lat, &failed) == 1, "ping as %s", e->id);
    h_request_free(&r);
}

/* --- subscribers ---------------------------------------------------------- */

typedef struct {
    h_broker_t *broker;      /* where */
    h_entity_t *as;          /* whose CURVE key */
    volatile int *stop;      /* set by the main thread */
    const uint64_t *sent_us; /* paced phase: send time by index, else NULL */
    uint32_t who;            /* paced phase: the submitter whose events count */
    size_t max_index;        /* size of sent_us */
    uint64_t *lat_us;        /* paced phase: latency per index, out */
    size_t events;           /* events received, out */
    zsock_t *sub;            /* a DEALER subscribed before the phase starts */
} subscriber_t;

#define SUB_PING_MS 5000 /* a subscribed connection pings this often (TTL 30 s) */

/* Sends a signed request as e on the DEALER d (its reply is dropped). */
static void
s_send_on(zsock_t *d, h_entity_t *e, const char *op)
{
    h_request_t *r = h_request_make(e, op, "{}");
    zmq_send(zsock_resolve(d), r->env, r->env_len, ZMQ_SNDMORE);
    zmq_send(zsock_resolve(d), r->sig, NMIRF_SIG_LEN, 0);
    h_request_free(&r);
}

/* A subscriber is an agent's kind: events pushed on its request
   connection after `subscribe` (the PUB carries only the public feed,
   not the submitted reports measured here). */
static void *
s_subscribe(void *arg)
{
    subscriber_t *s = arg;
    zsock_set_rcvtimeo(s->sub, 100);
    int64_t pinged = zclock_mono();
    while (!*s->stop) {
        if (zclock_mono() - pinged >= SUB_PING_MS) {
            s_send_on(s->sub, s->as, "ping"); /* keeps the subscription */
            pinged = zclock_mono();
        }
        zmsg_t *m = zmsg_recv(s->sub);
        if (!m)
            continue;
        uint64_t now = nmirf_mono_us();
        zframe_t *f = zmsg_last(m);
        if (zmsg_size(m) == 2 && s->sent_us) {
            nmirf_event_t *ev =
                nmirf_event_decode(zframe_data(f), zframe_size(f), NULL, 0);
            uint32_t who, idx;
            if (ev && ev->has_req) {
                s_read_id(ev->req, &who, &idx);
                uint64_t t0 = idx < s->max_index
                                  ? __atomic_load_n(&s->sent_us[idx], __ATOMIC_ACQUIRE)
                                  : 0;
                if (who == s->who && t0 && !s->lat_us[idx])
                    s->lat_us[idx] = now - t0;
            }
            nmirf_event_destroy(&ev);
        }
        zframe_t *topic = zmsg_first(m);
        if (zframe_size(topic) > 3 && memcmp(zframe_data(topic), "ev/", 3) == 0)
            s->events++;
        zmsg_destroy(&m);
    }
    return NULL;
}

/* --- stats under load ------------------------------------------------------ */

#define STATS_MAX 100000 /* `stats` requests timed in one phase */

typedef struct {
    h_broker_t *broker; /* where (as the coordinator) */
    int every_ms;       /* one `stats` this often */
    volatile int *stop; /* set by the main thread */
    uint64_t *took_us;  /* each one's round trip */
    size_t count;       /* how many, out */
    zsock_t *dealer;    /* connected before the phase */
} stats_probe_t;

/* Sends `stats` every every_ms (or right after the last answer, if that
   took longer), until stop: each a fresh signed request, timed from its
   send to its reply. */
static void *
s_stats_probe(void *arg)
{
    stats_probe_t *p = arg;
    h_entity_t *coord = h_coord(p->broker);
    while (!*p->stop && p->count < STATS_MAX) {
        uint64_t t0 = nmirf_mono_us();
        uint8_t id[NMIRF_ID_LEN];
        s_make_id(id, 0x7374, 0);
        h_request_t *r = h_request_make_packed(coord, id, "stats", NULL, 0);
        uint64_t sent, lat = 0;
        size_t failed = 0;
        H_ASSERTF(s_drive(p->dealer, &r, 1, 1, 0, &sent, &lat, &failed) == 1,
                  "stats under load: refused");
        h_request_free(&r);
        p->took_us[p->count++] = lat;
        uint64_t next = t0 + (uint64_t)p->every_ms * 1000;
        while (!*p->stop && nmirf_mono_us() < next)
            h_sleep_ms(1);
    }
    return NULL;
}

/* --- a standby beside the broker ------------------------------------------- */

static char s_conf[PATH_MAX + 32]; /* the broker's config file (--standby sync) */

/* The broker's config file saying synchronous = value. */
static void
s_write_conf(const char *value)
{
    char text[64];
    int n = snprintf(text, sizeof text, "synchronous = %s\n", value);
    H_ASSERT(nmirf_write_file(s_conf, text, (size_t)n, 0600) == 0);
}

/* A bool under path in e's `status`. */
static bool
s_status_bool(h_entity_t *e, const char *path)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", e, "status", "{}");
    const msgpack_object *v = h_get(&r->body, path);
    bool on = v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
    nmirf_reply_destroy(&r);
    return on;
}

/* Starts a standby of a (docs/REPLICATION.md, The stream): an entity of
   role standby enrolled on a, a second nmirfd with its own keys from a
   first start, its store removed, started --standby-of a -S a's key
   --standby-key; waits until it follows; with STANDBY_SYNC switches a to
   synchronous = on (its config file, SIGHUP) and waits until its status
   says so. Returns the standby; *coord is a's coordinator on it. */
static h_broker_t *
s_standby_start(h_broker_t *a, standby_mode_t mode, h_entity_t **coord)
{
    h_entity_t *sb = h_enroll(a, "SB", "standby");
    h_broker_t *b = h_broker_start(NULL);
    h_broker_stop(b);
    char *out = NULL;
    H_ASSERTF(h_sh(&out, "rm -rf '%s/store' 2>&1", b->dir) == 0, "rm: %s", out);
    free(out);
    static char keydir[PATH_MAX + 16], sbkey[PATH_MAX + 32], a_ep[H_ENDPOINT_MAX],
        a_pub[PATH_MAX + 32];
    char why[256];
    snprintf(keydir, sizeof keydir, "%s/keys", b->dir);
    H_ASSERTF(nmirf_key_save(&sb->key, keydir, why, sizeof why) == 0, "%s", why);
    snprintf(sbkey, sizeof sbkey, "%s/SB.key", keydir);
    b->ents[0].key = h_coord(a)->key;
    snprintf(b->ents[0].id, sizeof b->ents[0].id, "%s", h_coord(a)->id);
    b->ent_count = 1;
    snprintf(a_ep, sizeof a_ep, "%s", a->request_ep);
    snprintf(a_pub, sizeof a_pub, "%s/keys/NMIRFD.pub", a->dir);
    const char *args[] = {"--log-level=info", "--standby-of", a_ep, "-S", a_pub,
                          "--standby-key",    sbkey,          NULL};
    memcpy(b->args, args, sizeof args);
    h_broker_restart(b);
    *coord = &b->ents[0];
    bool following = false;
    for (int i = 0; i < 400 && !following; i++) {
        following = s_status_bool(*coord, "standby.following");
        if (!following)
            h_sleep_ms(50);
    }
    H_ASSERTF(following, "the standby never follows");
    if (mode == STANDBY_SYNC) {
        s_write_conf("on");
        H_ASSERT(kill(a->pid, SIGHUP) == 0);
        bool on = false;
        for (int i = 0; i < 200 && !on; i++) {
            on = s_status_bool(h_coord(a), "replication.synchronous");
            if (!on)
                h_sleep_ms(50);
        }
        H_ASSERTF(on, "the broker never says synchronous after SIGHUP");
    }
    printf("nmirf-bench: standby pid %d in %s follows %s%s\n", (int)b->pid, b->dir, a_ep,
           mode == STANDBY_SYNC ? ", synchronous" : ", asynchronous");
    return b;
}

/* What the lag probe samples: the standby's own `status` (standby.
   lag_events, lag_ms), the primary's view of it (replication.lag_records,
   lag_ms: records made and not acknowledged, the age of the oldest), and
   the events between the two stores (the primary's seq, then the
   standby's applied_seq, asked one after the other). */
enum {
    LAG_OWN_EVENTS,
    LAG_OWN_MS,
    LAG_PRIMARY_RECORDS,
    LAG_PRIMARY_MS,
    LAG_EVENTS,
    LAGS
};
static const char *const s_lag_names[LAGS] = {"standby_lag_events", "standby_lag_ms",
                                              "primary_lag_records", "primary_lag_ms",
                                              "seq_lag_events"};

typedef struct {
    h_entity_t *standby; /* the coordinator on the standby */
    h_entity_t *primary; /* the coordinator on the primary */
    volatile int *stop;  /* set by the main thread */
    uint64_t *v[LAGS];   /* each figure per sample */
    size_t count;        /* samples, out */
} lag_probe_t;

/* Samples the lag every LAG_EVERY_MS until stop. */
static void *
s_lag_probe(void *arg)
{
    lag_probe_t *p = arg;
    while (!*p->stop && p->count < LAG_MAX) {
        uint64_t next = nmirf_mono_us() + LAG_EVERY_MS * 1000;
        nmirf_reply_t *a = H_CALL_EXPECT("ok", p->primary, "status", "{}");
        nmirf_reply_t *b = H_CALL_EXPECT("ok", p->standby, "status", "{}");
        uint64_t seq = h_u(&a->body, "seq"),
                 applied = h_u(&b->body, "standby.applied_seq");
        p->v[LAG_OWN_EVENTS][p->count] = h_u(&b->body, "standby.lag_events");
        p->v[LAG_OWN_MS][p->count] = h_u(&b->body, "standby.lag_ms");
        p->v[LAG_PRIMARY_RECORDS][p->count] = h_u(&a->body, "replication.lag_records");
        p->v[LAG_PRIMARY_MS][p->count] = h_u(&a->body, "replication.lag_ms");
        p->v[LAG_EVENTS][p->count] = seq > applied ? seq - applied : 0;
        p->count++;
        nmirf_reply_destroy(&a);
        nmirf_reply_destroy(&b);
        while (!*p->stop && nmirf_mono_us() < next)
            h_sleep_ms(1);
    }
    return NULL;
}

/* Prints each lag figure's max and p50, into out too. */
static void
s_lag_report(lag_probe_t *p, json_t *out)
{
    size_t n = p->count;
    unsigned long long max[LAGS], p50[LAGS];
    for (int k = 0; k < LAGS; k++) {
        qsort(p->v[k], n, sizeof *p->v[k], s_cmp);
        max[k] = n ? p->v[k][n - 1] : 0;
        p50[k] = n ? p->v[k][n / 2] : 0;
        char key[64];
        snprintf(key, sizeof key, "%s_max", s_lag_names[k]);
        json_object_set_new(out, key, json_integer((json_int_t)max[k]));
        snprintf(key, sizeof key, "%s_p50", s_lag_names[k]);
        json_object_set_new(out, key, json_integer((json_int_t)p50[k]));
    }
    json_object_set_new(out, "lag_samples", json_integer((json_int_t)n));
    printf("standby: lag during the window (%zu samples every %d ms, max/p50): its "
           "status %llu/%llu events, %llu/%llu ms; the primary's view %llu/%llu records, "
           "%llu/%llu ms; seq difference %llu/%llu events\n",
           n, LAG_EVERY_MS, max[LAG_OWN_EVENTS], p50[LAG_OWN_EVENTS], max[LAG_OWN_MS],
           p50[LAG_OWN_MS], max[LAG_PRIMARY_RECORDS], p50[LAG_PRIMARY_RECORDS],
           max[LAG_PRIMARY_MS], p50[LAG_PRIMARY_MS], max[LAG_EVENTS], p50[LAG_EVENTS]);
}

/* Waits (at most CATCH_UP_MS) until the standby's seq is a's; fails the
   run if it never is. */
static void
s_standby_caught_up(h_broker_t *a, h_entity_t *bcoord, json_t *out)
{
    uint64_t seq = h_seq(a), applied = 0, t0 = nmirf_mono_us();
    for (int i = 0; i < CATCH_UP_MS / 10; i++) {
        nmirf_reply_t *r = H_CALL_EXPECT("ok", bcoord, "status", "{}");
        applied = h_u(&r->body, "standby.applied_seq");
        nmirf_reply_destroy(&r);
        if (applied >= seq)
            break;
        h_sleep_ms(10);
    }
    H_ASSERTF(applied >= seq, "the standby is at seq %llu, the broker at %llu",
              (unsigned long long)applied, (unsigned long long)seq);
    double took = (nmirf_mono_us() - t0) / 1e3;
    printf("standby: caught up: seq %llu, the broker's, %.0f ms after the last ack\n",
           (unsigned long long)applied, took);
    json_object_set_new(out, "standby_seq", json_integer((json_int_t)applied));
    json_object_set_new(out, "standby_catch_up_ms", json_real(took));
}

/* --- phase 1: throughput ---------------------------------------------------- */

typedef struct {
    h_broker_t *broker;       /* where */
    h_entity_t *author;       /* whose connection */
    h_request_t **reqs;       /* pre-signed */
    size_t count;             /* how many */
    int window;               /* in flight */
    double seconds;           /* budget */
    pthread_barrier_t *start; /* all begin together */
    uint64_t *sent_us;        /* send times */
    uint64_t *lat_us;         /* latencies, out (0: none) */
    size_t done;              /* acknowledged ok, out */
    size_t failed;            /* refused, out */
} submitter_t;

static void *
s_submit(void *arg)
{
    submitter_t *s = arg;
    zsock_t *d = s_dealer(s->broker, s->author);
    s_ping(d, s->author); /* the CURVE handshake, outside the window */
    pthread_barrier_wait(s->start);
    uint64_t until = nmirf_mono_us() + (uint64_t)(s->seconds * 1e6);
    s->done = s_drive(d, s->reqs, s->count, s->window, until, s->sent_us, s->lat_us,
                      &s->failed);
    zsock_destroy(&d);
    return NULL;
}

/* Signs count report.submit requests for each of the n submitters ms[i]
   (on rec BENCH-i, ids (who + i, k)) into reqs[i], round-robin: request k
   of every submitter before request k + 1 of any. An agent signs when its
   user submits and sends at once, so the ts of the requests that reach
   the broker together are close (and the request index, keyed by ts,
   takes them at one place); signing each submitter's in one block would
   give each its own range of ts instead. */
static void
s_sign_reports(h_entity_t **ms, size_t n, uint32_t who, size_t count, h_request_t ***reqs)
{
    msgpack_sbuffer **bodies = calloc(n, sizeof *bodies);
    H_ASSERT(bodies);
    for (size_t i = 0; i < n; i++) {
        reqs[i] = calloc(count, sizeof *reqs[i]);
        H_ASSERT(reqs[i]);
        bodies[i] = h_pack_json(
            "{'rec':'BENCH-%zu','status':'in_progress','narrative':'benchmark report'}",
            i);
    }
    for (size_t k = 0; k < count; k++)
        for (size_t i = 0; i < n; i++) {
            uint8_t id[NMIRF_ID_LEN];
            s_make_id(id, who + (uint32_t)i, (uint32_t)k);
            reqs[i][k] = h_request_make_packed(
                ms[i], id, "report.submit", (uint8_t *)bodies[i]->data, bodies[i]->size);
        }
    for (size_t i = 0; i < n; i++)
        msgpack_sbuffer_free(bodies[i]);
    free(bodies);
}

static void
s_free_reqs(h_request_t **reqs, size_t count)
{
    for (size_t k = 0; k < count; k++)
        h_request_free(&reqs[k]);
    free(reqs);
}

/* Starts K subscriber threads, each a DEALER that sent `subscribe`,
   waits until each sees a pushed heartbeat (so its subscription is in
   place). */
static void
s_subs_start(h_broker_t *b, subscriber_t *subs, pthread_t *threads, int k,
             volatile int *stop)
{
    for (int i = 0; i < k; i++) {
        subs[i].broker = b;
        subs[i].as = h_coord(b);
        subs[i].stop = stop;
        subs[i].sub = h_dealer_new(b, h_coord(b));
        zsock_set_rcvhwm(subs[i].sub, 100000);
        s_send_on(subs[i].sub, h_coord(b), "subscribe");
        zsock_set_rcvtimeo(subs[i].sub, 3000);
        for (;;) { /* the reply (one frame), then a heartbeat every second */
            zmsg_t *m = zmsg_recv(subs[i].sub);
            H_ASSERTF(m, "subscriber %d saw no heartbeat", i);
            char *topic = zmsg_size(m) == 2 ? zframe_strdup(zmsg_first(m)) : NULL;
            bool hb = topic && strcmp(topic, "hb") == 0;
            free(topic);
            zmsg_destroy(&m);
            if (hb)
                break;
        }
    }
    for (int i = 0; i < k; i++)
        pthread_create(&threads[i], NULL, s_subscribe, &subs[i]);
}

static void
s_subs_stop(subscriber_t *subs, pthread_t *threads, int k, volatile int *stop)
{
    *stop = 1;
    for (int i = 0; i < k; i++) {
        pthread_join(threads[i], NULL);
        zsock_destroy(&subs[i].sub);
    }
}

static void
s_throughput(h_broker_t *b, h_entity_t **ms, const opts_t *o, json_t *out)
{
    int n = o->submitters;
    /* Enough requests for the window at a generous rate, capped. */
    double per_s =
        40000.0 / n < 4000.0 * o->inflight ? 40000.0 / n : 4000.0 * o->inflight;
    size_t per = (size_t)(o->seconds * per_s) + (size_t)o->inflight + 16;
    if (per > PER_THREAD_MAX)
        per = PER_THREAD_MAX;
    submitter_t *subs = calloc((size_t)n, sizeof *subs);
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n + 1);
    h_request_t ***reqs = calloc((size_t)n, sizeof *reqs);
    H_ASSERT(subs && threads && reqs);
    s_sign_reports(ms, (size_t)n, 1, per, reqs);
    for (int i = 0; i < n; i++) {
        submitter_t *s = &subs[i];
        s->broker = b;
        s->author = ms[i];
        s->count = per;
        s->window = o->inflight;
        s->seconds = o->seconds;
        s->start = &start;
        s->reqs = reqs[i];
        s->sent_us = calloc(per, sizeof *s->sent_us);
        s->lat_us = calloc(per, sizeof *s->lat_us);
    }
    volatile int stop = 0;
    subscriber_t ks[MAX_SUBSCRIBERS];
    pthread_t kt[MAX_SUBSCRIBERS];
    memset(ks, 0, sizeof ks);
    s_subs_start(b, ks, kt, o->subscribers, &stop);
    volatile int probe_stop = 0;
    stats_probe_t probe = {.broker = b, .every_ms = o->stats_every, .stop = &probe_stop};
    pthread_t probe_thread;
    if (o->stats_every) {
        probe.took_us = calloc(STATS_MAX, sizeof *probe.took_us);
        probe.dealer = s_dealer(b, h_coord(b));
        H_ASSERT(probe.took_us);
        s_ping(probe.dealer, h_coord(b)); /* the handshake, outside the window */
    }
    uint64_t seq0 = h_seq(b);
    counters_t c0 = s_counters(b);
    static split_t split0, split1; /* 4 KiB each: not on the stack */
    s_split(b, &split0);
    uint64_t wchar0 = s_proc_wchar(b->pid);
    for (int i = 0; i < n; i++)
        pthread_create(&threads[i], NULL, s_submit, &subs[i]);
    pthread_barrier_wait(&start);
    uint64_t t0 = nmirf_mono_us();
    if (o->stats_every)
        pthread_create(&probe_thread, NULL, s_stats_probe, &probe);
    volatile int lag_stop = 0;
    lag_probe_t lag = {
        .standby = o->standby_coord, .primary = h_coord(b), .stop = &lag_stop};
    pthread_t lag_thread;
    if (o->standby_coord) {
        for (int k = 0; k < LAGS; k++) {
            lag.v[k] = calloc(LAG_MAX, sizeof *lag.v[k]);
            H_ASSERT(lag.v[k]);
        }
        pthread_create(&lag_thread, NULL, s_lag_probe, &lag);
    }
    size_t done = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        done += subs[i].done;
        failed += subs[i].failed;
    }
    double took = (double)(nmirf_mono_us() - t0) / 1e6;
    if (o->standby_coord) {
        lag_stop = 1;
        pthread_join(lag_thread, NULL);
    }
    if (o->stats_every) {
        probe_stop = 1;
        pthread_join(probe_thread, NULL);
        zsock_destroy(&probe.dealer);
    }
    uint64_t wchar1 = s_proc_wchar(b->pid);
    counters_t c1 = s_counters(b);
    bool has_split = s_split(b, &split1);
    uint64_t events = h_seq(b) - seq0;
    /* Every event reaches every subscriber: wait for the stragglers. */
    for (int tries = 0; tries < 100; tries++) {
        bool all = true;
        for (int i = 0; i < o->subscribers; i++)
            all = all && ks[i].events >= events;
        if (all)
            break;
        h_sleep_ms(50);
    }
    s_subs_stop(ks, kt, o->subscribers, &stop);
    uint64_t *all = calloc(done ? done : 1, sizeof *all);
    size_t a = 0;
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < subs[i].count; k++)
            if (subs[i].lat_us[k] && a < done)
                all[a++] = subs[i].lat_us[k];
        s_free_reqs(subs[i].reqs, subs[i].count);
        free(subs[i].sent_us);
        free(subs[i].lat_us);
    }
    qsort(all, a, sizeof *all, s_cmp);
    double rate = done / took;
    uint64_t commits = c1.commits - c0.commits;
    double per_commit = commits ? (double)(c1.writes - c0.writes) / (double)commits : 0;
    double commit_ms =
        commits ? (double)(c1.commit_us - c0.commit_us) / (double)commits / 1000.0 : 0;
    size_t min_seen = SIZE_MAX;
    for (int i = 0; i < o->subscribers; i++)
        min_seen = ks[i].events < min_seen ? ks[i].events : min_seen;
    printf("throughput: %d submitters x %d in flight: %.0f durable signed updates/s "
           "(%zu in %.2f s, %zu failed), %.1f writes/commit of %.2f ms each, ack p50 "
           "%.2f ms p99 %.2f ms p99.9 %.2f ms\n",
           n, o->inflight, rate, done, took, failed, per_commit, commit_ms,
           s_pct(all, a, 0.5), s_pct(all, a, 0.99), s_pct(all, a, 0.999));
    /* The broker's own split of this run's writes: after minus before. */
    double split_p50[3], split_p99[3];
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < NMIRF_HIST_BUCKETS; i++)
            split1.counts[k][i] -= split0.counts[k][i];
        split_p50[k] =
            nmirf_hist_quantile(split1.counts[k], NMIRF_HIST_BUCKETS, 0.5) / 1e3;
        split_p99[k] =
            nmirf_hist_quantile(split1.counts[k], NMIRF_HIST_BUCKETS, 0.99) / 1e3;
    }
    if (has_split)
        printf(
            "throughput: ack p99 %.2f ms = queue p99 %.2f / commit p99 %.2f / reply p99 "
            "%.2f ms (p50 %.2f / %.2f / %.2f ms; the broker's stamps)\n",
            s_pct(all, a, 0.99), split_p99[0], split_p99[1], split_p99[2], split_p50[0],
            split_p50[1], split_p50[2]);
    else
        printf("throughput: no p99 split (this nmirfd's status has no latency)\n");
    /* What the broker wrote per commit, and the disk time per write. */
    double pages = commits ? (double)(wchar1 - wchar0) / 4096.0 / (double)commits : 0;
    double disk_us = per_commit > 0 ? commit_ms * 1000.0 / per_commit : 0;
    printf(
        "throughput: %.1f pages written per commit (wchar), disk time per write %.1f us "
        "(commit %.2f ms / %.1f writes)\n",
        pages, disk_us, commit_ms, per_commit);
    json_t *floor_rate = json_object_get(out, "floor_per_s");
    if (n == 1 && o->inflight == 1 && floor_rate && json_real_value(floor_rate) > 0) {
        double ratio = rate / json_real_value(floor_rate);
        printf("throughput: ratio to floor %.2f (%.0f/s of %.0f/s)\n", ratio, rate,
               json_real_value(floor_rate));
        json_object_set_new(out, "ratio_to_floor", json_real(ratio));
    }
    for (int k = 0; k < 3 && has_split; k++) {
        char key[32];
        snprintf(key, sizeof key, "%s_p50_ms", s_stages[k]);
        json_object_set_new(out, key, json_real(split_p50[k]));
        snprintf(key, sizeof key, "%s_p99_ms", s_stages[k]);
        json_object_set_new(out, key, json_real(split_p99[k]));
    }
    json_object_set_new(out, "pages_per_commit", json_real(pages));
    json_object_set_new(out, "disk_us_per_write", json_real(disk_us));
    if (o->stats_every) {
        qsort(probe.took_us, probe.count, sizeof *probe.took_us, s_cmp);
        double sp50 = s_pct(probe.took_us, probe.count, 0.5),
               smax = probe.count ? probe.took_us[probe.count - 1] / 1000.0 : 0;
        printf(
            "throughput: with `stats` every %d ms over %zu recommendations: writers' ack "
            "p99 %.2f ms; stats p50 %.2f ms max %.2f ms (%zu of them)\n",
            o->stats_every, o->stats_recs, s_pct(all, a, 0.99), sp50, smax, probe.count);
        json_object_set_new(out, "stats_every_ms", json_integer(o->stats_every));
        json_object_set_new(out, "stats_recs", json_integer((json_int_t)o->stats_recs));
        json_object_set_new(out, "stats_count", json_integer((json_int_t)probe.count));
        json_object_set_new(out, "stats_p50_ms", json_real(sp50));
        json_object_set_new(out, "stats_max_ms", json_real(smax));
        free(probe.took_us);
    }
    if (o->subscribers)
        printf("throughput: %d subscribers each got %zu of %llu events\n", o->subscribers,
               min_seen, (unsigned long long)events);
    json_object_set_new(out, "submitters", json_integer(n));
    json_object_set_new(out, "inflight", json_integer(o->inflight));
    json_object_set_new(out, "updates", json_integer((json_int_t)done));
    json_object_set_new(out, "seconds", json_real(took));
    json_object_set_new(out, "updates_per_s", json_real(rate));
    json_object_set_new(out, "writes_per_commit", json_real(per_commit));
    json_object_set_new(out, "commit_ms", json_real(commit_ms));
    json_object_set_new(out, "ack_p50_ms", json_real(s_pct(all, a, 0.5)));
    json_object_set_new(out, "ack_p99_ms", json_real(s_pct(all, a, 0.99)));
    json_object_set_new(out, "ack_p999_ms", json_real(s_pct(all, a, 0.999)));
    json_object_set_new(out, "failed", json_integer((json_int_t)failed));
    json_object_set_new(out, "subscribers", json_integer(o->subscribers));
    if (o->standby_coord) {
        s_lag_report(&lag, out);
        for (int k = 0; k < LAGS; k++)
            free(lag.v[k]);
    }
    free(all);
    free(subs);
    free(threads);
    free(reqs);
    pthread_barrier_destroy(&start);
    H_ASSERTF(failed == 0, "%zu writes failed", failed);
    H_ASSERTF(o->subscribers == 0 || min_seen >= events,
              "a subscriber got %zu of %llu events", min_seen,
              (unsigned long long)events);
}

/* --- the machine: what every figure rests on ----------------------------- */

/* p50 and p99 of took[0..n) (sorted here), ms. */
static void
s_p50_p99(uint64_t *took, size_t n, double *p50, double *p99)
{
    qsort(took, n, sizeof *took, s_cmp);
    *p50 = s_pct(took, n, 0.50);
    *p99 = s_pct(took, n, 0.99);
}

/* One synced LMDB commit as the broker's writer makes for one
   report.submit: an environment of its own in dir (the broker's
   filesystem, LMDB's default synced mode), four puts per transaction of
   about a request's sizes (the signed request in the log, its id in an
   index at a random place, the report's record, its event), begin to
   commit. MACHINE_COMMITS untimed first, so the trees have some depth.
   Fills *p50 and *p99, ms. */
static void
s_machine_commit(const char *dir, double *p50, double *p99)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/commit-probe", dir);
    H_ASSERTF(mkdir(path, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", path,
              strerror(errno));
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi[4];
    static const char *const names[4] = {"log", "requests", "records", "events"};
    H_ASSERT(mdb_env_create(&env) == 0);
    H_ASSERT(mdb_env_set_mapsize(env, 64u << 20) == 0);
    H_ASSERT(mdb_env_set_maxdbs(env, 4) == 0);
    int rc = mdb_env_open(env, path, 0, 0600); /* synced: no NOSYNC flag */
    H_ASSERTF(rc == 0, "mdb_env_open %s: %s", path, mdb_strerror(rc));
    H_ASSERT(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    for (int i = 0; i < 4; i++)
        H_ASSERT(mdb_dbi_open(txn, names[i], MDB_CREATE, &dbi[i]) == 0);
    H_ASSERT(mdb_txn_commit(txn) == 0);
    static const size_t sizes[4] = {REQUEST_BYTES, 8, 200, 300};
    uint8_t value[REQUEST_BYTES];
    memset(value, 'v', sizeof value);
    uint64_t *took = calloc(MACHINE_COMMITS, sizeof *took);
    H_ASSERT(took);
    for (int i = 0; i < 2 * MACHINE_COMMITS; i++) {
        uint64_t t0 = nmirf_mono_us();
        H_ASSERT(mdb_txn_begin(env, NULL, 0, &txn) == 0);
        uint8_t seq[8], id[32];
        for (int b = 0; b < 8; b++)
            seq[b] = (uint8_t)((uint64_t)i >> (56 - 8 * b)); /* appends */
        randombytes_buf(id, sizeof id);
        MDB_val keys[4] = {{8, seq}, {sizeof id, id}, {7, "BENCH-0"}, {8, seq}};
        for (int k = 0; k < 4; k++) {
            MDB_val v = {sizes[k], value};
            H_ASSERT(mdb_put(txn, dbi[k], &keys[k], &v, 0) == 0);
        }
        rc = mdb_txn_commit(txn);
        H_ASSERTF(rc == 0, "mdb_txn_commit: %s", mdb_strerror(rc));
        if (i >= MACHINE_COMMITS)
            took[i - MACHINE_COMMITS] = nmirf_mono_us() - t0;
    }
    mdb_env_close(env);
    char file[PATH_MAX + 64];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    unlink(file);
    snprintf(file, sizeof file, "%s/lock.mdb", path);
    unlink(file);
    rmdir(path);
    s_p50_p99(took, MACHINE_COMMITS, p50, p99);
    free(took);
}

/* Measures this machine's floors, where the broker keeps its store: one
   Ed25519 verification (libsodium, what the broker runs per request), one
   4 KiB O_DSYNC write, one synced LMDB commit of a report.submit's puts
   (s_machine_commit) and one round trip of a request's size on a bare
   CurveZMQ pair (bench_pair.h). Prints them with the ceilings they imply
   and the floor of one submitter with one request in flight (commit +
   round trip + verification, medians), and records them in out. */
static void
s_machine(const char *dir, json_t *out)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    unsigned char msg[300], sig[crypto_sign_BYTES];
    randombytes_buf(msg, sizeof msg);
    crypto_sign_keypair(pk, sk);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
    int ok = 0;
    uint64_t t0 = nmirf_mono_us();
    for (int i = 0; i < MACHINE_VERIFIES; i++)
        ok += crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0;
    double verify_us = (double)(nmirf_mono_us() - t0) / MACHINE_VERIFIES;
    H_ASSERTF(ok == MACHINE_VERIFIES, "a good signature failed to verify");

    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/dsync-probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DSYNC | O_CLOEXEC, 0600);
    H_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
    char page[4096];
    memset(page, 'x', sizeof page);
    uint64_t *took = calloc(MACHINE_TRIPS, sizeof *took);
    H_ASSERTF(took, "out of memory");
    for (int i = 0; i < MACHINE_SYNCS; i++) {
        t0 = nmirf_mono_us();
        H_ASSERTF(pwrite(fd, page, sizeof page, (off_t)(i % 64) * 4096) ==
                      (ssize_t)sizeof page,
                  "pwrite: %s", strerror(errno));
        took[i] = nmirf_mono_us() - t0;
    }
    close(fd);
    unlink(path);
    double sync_p50, sync_p99, commit_p50, commit_p99, trip_p50, trip_p99;
    s_p50_p99(took, MACHINE_SYNCS, &sync_p50, &sync_p99);
    s_machine_commit(dir, &commit_p50, &commit_p99);
    bench_pair_round_trips(true, REQUEST_BYTES, MACHINE_TRIPS, took);
    s_p50_p99(took, MACHINE_TRIPS, &trip_p50, &trip_p99);
    free(took);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("machine: %ld cores; Ed25519 verify %.1f us: at most %.0f verified requests/s "
           "on all cores before any other work\n",
           cores, verify_us, (double)cores * 1e6 / verify_us);
    printf("machine: 4 KiB O_DSYNC write p50 %.2f ms p99 %.2f ms: an LMDB commit syncs "
           "twice, so one request in flight is at most %.0f/s before any other work\n",
           sync_p50, sync_p99, 1000.0 / (2 * sync_p50));
    printf("machine: synced LMDB commit of a report.submit's 4 puts p50 %.2f ms p99 %.2f "
           "ms; CurveZMQ round trip of %d B p50 %.3f ms p99 %.3f ms\n",
           commit_p50, commit_p99, REQUEST_BYTES, trip_p50, trip_p99);
    double floor_ms = commit_p50 + trip_p50 + verify_us / 1000.0;
    printf("floor: commit %.3f ms + round trip %.3f ms + verify %.3f ms = %.3f ms -> "
           "%.0f/s (one submitter, one in flight)\n",
           commit_p50, trip_p50, verify_us / 1000.0, floor_ms, 1000.0 / floor_ms);
    json_object_set_new(out, "machine_cores", json_integer(cores));
    json_object_set_new(out, "machine_verify_us", json_real(verify_us));
    json_object_set_new(out, "machine_dsync_p50_ms", json_real(sync_p50));
    json_object_set_new(out, "machine_dsync_p99_ms", json_real(sync_p99));
    json_object_set_new(out, "machine_commit_p50_ms", json_real(commit_p50));
    json_object_set_new(out, "machine_commit_p99_ms", json_real(commit_p99));
    json_object_set_new(out, "machine_trip_p50_ms", json_real(trip_p50));
    json_object_set_new(out, "machine_trip_p99_ms", json_real(trip_p99));
    json_object_set_new(out, "floor_ms", json_real(floor_ms));
    json_object_set_new(out, "floor_per_s", json_real(1000.0 / floor_ms));
}

/* --- phase 2: submit -> event at a paced rate -------------------------------- */

static void
s_paced(h_broker_t *b, h_entity_t *m, const opts_t *o, json_t *out)
{
    size_t count = (size_t)(o->rate * o->seconds);
    if (count < 10)
        count = 10;
    int k = o->subscribers > 0 ? o->subscribers : 1;
    uint32_t who = 0x7061; /* any tag the throughput phase did not use */
    h_request_t **reqs;
    s_sign_reports(&m, 1, who, count, &reqs);
    uint64_t *sent = calloc(count, sizeof *sent), *ack = calloc(count, sizeof *ack);
    volatile int stop = 0;
    subscriber_t ks[MAX_SUBSCRIBERS];
    pthread_t kt[MAX_SUBSCRIBERS];
    memset(ks, 0, sizeof ks);
    for (int i = 0; i < k; i++) {
        ks[i].sent_us = sent;
        ks[i].who = who;
        ks[i].max_index = count;
        ks[i].lat_us = calloc(count, sizeof(uint64_t));
    }
    s_subs_start(b, ks, kt, k, &stop);
    zsock_t *d = s_dealer(b, m);
    s_ping(d, m);
    zpoller_t *poller = zpoller_new(d, NULL);
    uint64_t t0 = nmirf_mono_us(), period = (uint64_t)(1e6 / o->rate);
    size_t next = 0, got = 0, failed = 0;
    while (got < count) {
        uint64_t now = nmirf_mono_us();
        /* Open loop: each request leaves at its time, answered or not. */
        while (next < count && now >= t0 + next * period) {
            __atomic_store_n(&sent[next], nmirf_mono_us(), __ATOMIC_RELEASE);
            zmq_send(zsock_resolve(d), reqs[next]->env, reqs[next]->env_len, ZMQ_SNDMORE);
            zmq_send(zsock_resolve(d), reqs[next]->sig, NMIRF_SIG_LEN, 0);
            next++;
        }
        int wait_ms = next < count ? (int)((t0 + next * period - now) / 1000) : 1000;
        if (zpoller_wait(poller, wait_ms) == d) {
            zmsg_t *reply = zmsg_recv(d);
            zframe_t *f = zmsg_last(reply);
            nmirf_reply_t *r =
                nmirf_reply_decode(zframe_data(f), zframe_size(f), NULL, 0);
            uint32_t w, idx;
            if (r && r->ok && r->has_id) {
                s_read_id(r->id, &w, &idx);
                if (idx < count)
                    ack[idx] = nmirf_mono_us() - sent[idx];
            } else
                failed++;
            nmirf_reply_destroy(&r);
            zmsg_destroy(&reply);
            got++;
        } else if (next == count) {
            H_ASSERTF(nmirf_mono_us() - t0 < (uint64_t)(o->seconds * 1e6) + 30000000,
                      "paced phase: %zu of %zu answered", got, count);
        } else if (wait_ms == 0) {
            /* Under a millisecond to the next send, which zmq_poll cannot
               wait for: nap 100 us rather than spin on a core the broker
               needs (a reply waits at most that long to be read). */
            struct timespec nap = {0, 100000};
            nanosleep(&nap, NULL);
        }
    }
    double took = (nmirf_mono_us() - t0) / 1e6;
    /* Wait (bounded) for the last events to reach every subscriber. */
    for (int tries = 0; tries < 100; tries++) {
        bool all = true;
        for (int i = 0; i < k; i++)
            all = all && ks[i].lat_us[count - 1] != 0;
        if (all)
            break;
        h_sleep_ms(20);
    }
    s_subs_stop(ks, kt, k, &stop);
    uint64_t *ev = calloc(count * (size_t)k, sizeof *ev);
    size_t ne = 0, missing = 0;
    for (int i = 0; i < k; i++) {
        for (size_t j = 0; j < count; j++)
            if (ks[i].lat_us[j])
                ev[ne++] = ks[i].lat_us[j];
            else
                missing++;
        free(ks[i].lat_us);
    }
    qsort(ev, ne, sizeof *ev, s_cmp);
    qsort(ack, count, sizeof *ack, s_cmp);
    printf(
        "paced: %zu updates at %d/s in %.2f s, %d subscribers: submit->event p50 "
        "%.2f ms p99 %.2f ms p99.9 %.2f ms (%zu deliveries, %zu missing); ack p50 %.2f "
        "ms p99 %.2f ms\n",
        count, o->rate, took, k, s_pct(ev, ne, 0.5), s_pct(ev, ne, 0.99),
        s_pct(ev, ne, 0.999), ne, missing, s_pct(ack, count, 0.5),
        s_pct(ack, count, 0.99));
    json_object_set_new(out, "rate", json_integer(o->rate));
    json_object_set_new(out, "event_p50_ms", json_real(s_pct(ev, ne, 0.5)));
    json_object_set_new(out, "event_p99_ms", json_real(s_pct(ev, ne, 0.99)));
    json_object_set_new(out, "event_p999_ms", json_real(s_pct(ev, ne, 0.999)));
    json_object_set_new(out, "event_missing", json_integer((json_int_t)missing));
    json_object_set_new(out, "paced_ack_p99_ms", json_real(s_pct(ack, count, 0.99)));
    zpoller_destroy(&poller);
    zsock_destroy(&d);
    s_free_reqs(reqs, count);
    free(sent);
    free(ack);
    free(ev);
    H_ASSERTF(failed == 0 && missing == 0, "%zu refused, %zu events missing", failed,
              missing);
}

/* --- phase 3: a new agent replicates M recommendations ------------------------ */

/* Imports recs PREFIX-0..m-1 with realistic texts (fr/en, about 400
   bytes each), in chunks. */
static void
s_import(h_broker_t *b, const char *prefix, size_t m)
{
    for (size_t i = 0; i < m; i += IMPORT_CHUNK) {
        size_t end = i + IMPORT_CHUNK < m ? i + IMPORT_CHUNK : m;
        char *json = NULL;
        size_t cap = 0;
        FILE *f = open_memstream(&json, &cap);
        fprintf(f, "{'recs':[");
        for (size_t j = i; j < end; j++)
            fprintf(
                f,
                "%s{'id':'%s-%zu','mechanism':'UPR','symbol':'A/HRC/55/12',"
                "'paragraph':'%zu','cycle':'4','themes':['justice'],"
                "'text':{'fr':'Renforcer les garanties procedurales des personnes "
                "privees de liberte, notamment l acces a un avocat des le debut de la "
                "garde a vue (%zu).','en':'Strengthen procedural safeguards for persons "
                "deprived of liberty, including access to a lawyer from the outset of "
                "police custody (%zu).'}}",
                j > i ? "," : "", prefix, j, j, j, j);
        fprintf(f, "]}");
        fclose(f);
        H_CALL_CHECK("ok", h_coord(b), "rec.import", "%s", json);
        free(json);
    }
}

static void
s_replicate(h_broker_t *b, h_entity_t *m, size_t count, json_t *out)
{
    uint64_t t0 = nmirf_mono_us();
    s_import(b, "BR", count);
    for (size_t j = 0; j < count; j += 10)
        H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'BR-%zu','lead':'%s'}", j,
                     m->id);
    uint64_t seq = h_seq(b);
    printf("replicate: %zu recommendations, %zu assigned to %s, broker at seq %llu "
           "(loaded in %.1f s)\n",
           count, (count + 9) / 10, m->id, (unsigned long long)seq,
           (nmirf_mono_us() - t0) / 1e6);
    t0 = nmirf_mono_us();
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    uint64_t deadline = t0 + 600u * 1000000u, got = 0;
    while (nmirf_mono_us() < deadline) {
        /* The agent answers its control socket between steps: a snapshot of
           100,000 records holds it for seconds on a loaded machine. */
        nmirf_reply_t *r = ha_ctl(a, 60000, "status", NULL);
        got = h_u(&r->body, "seq");
        nmirf_reply_destroy(&r);
        if (got >= seq)
            break;
        h_sleep_ms(5);
    }
    double took = (nmirf_mono_us() - t0) / 1e6;
    HA_ASSERTF(got >= seq, "replica at %llu, broker at %llu", (unsigned long long)got,
               (unsigned long long)seq);
    uint8_t want[NMIRF_HASH_LEN], have[NMIRF_HASH_LEN];
    uint64_t s1, s2;
    ha_broker_digest(h_coord(b), want, &s1);
    ha_agent_digest(a, have, &s2);
    HA_ASSERT(s1 == s2 && memcmp(want, have, sizeof want) == 0);
    printf("replicate: a new agent caught up with %zu recommendations (seq %llu) in "
           "%.3f s from launch; digest matches the broker's\n",
           count, (unsigned long long)seq, took);
    json_object_set_new(out, "replicate_recs", json_integer((json_int_t)count));
    json_object_set_new(out, "replicate_s", json_real(took));
    ha_agent_destroy(&a);
}

/* --- phase 4: C connected clients --------------------------------------------- */

/* Reads what waits on a client's DEALER without blocking: pushed events
   ([ev/KIND][event], two frames) are counted into *events; heartbeats and
   replies (one frame) are dropped. */
static void
s_client_drain(zsock_t *d, size_t *events)
{
    zmsg_t *m;
    while ((m = zmsg_recv(d)) != NULL) {
        if (zmsg_size(m) == 2) {
            char *topic = zframe_strdup(zmsg_first(m));
            *events += strncmp(topic, "ev/", 3) == 0;
            free(topic);
        }
        zmsg_destroy(&m);
    }
}

static void
s_clients(h_broker_t *b, int c, json_t *out)
{
    unsigned long rss0 = s_proc_kib(b->pid, "VmRSS");
    h_entity_t **es = calloc((size_t)c, sizeof *es);
    zsock_t **dealers = calloc((size_t)c, sizeof *dealers);
    H_ASSERT(es && dealers);
    uint64_t t0 = nmirf_mono_us();
    for (int i = 0; i < c; i++) {
        char id[24];
        snprintf(id, sizeof id, "C%04d", i);
        es[i] = s_entity(id);
    }
    s_enroll_all(b, es, (size_t)c, "ministry");
    printf("clients: %d entities enrolled in %.1f s\n", c, (nmirf_mono_us() - t0) / 1e6);
    t0 = nmirf_mono_us();
    /* Each client as an agent holds it: ONE DEALER, which sends `subscribe`
       and then gets its events pushed on it (PROTOCOL.md section 6). The
       OK reply proves the session and the subscription both. */
    for (int i = 0; i < c; i++)
        dealers[i] = s_dealer(b, es[i]);
    for (int i = 0; i < c; i++) {
        uint8_t id[NMIRF_ID_LEN];
        s_make_id(id, 0x636c, (uint32_t)i);
        h_request_t *r = h_request_make_packed(es[i], id, "subscribe", NULL, 0);
        zmq_send(zsock_resolve(dealers[i]), r->env, r->env_len, ZMQ_SNDMORE);
        zmq_send(zsock_resolve(dealers[i]), r->sig, NMIRF_SIG_LEN, 0);
        h_request_free(&r);
    }
    for (int i = 0; i < c; i++) {
        /* Nothing is pushed before the reply: the first message is it. */
        zmsg_t *reply = zmsg_recv(dealers[i]);
        H_ASSERTF(reply && zmsg_size(reply) == 1, "client %d: no answer to its subscribe",
                  i);
        char why[128] = "";
        nmirf_reply_t *r =
            nmirf_reply_decode(zframe_data(zmsg_first(reply)),
                               zframe_size(zmsg_first(reply)), why, sizeof why);
        H_ASSERTF(r && r->ok, "client %d: subscribe: %s", i, r ? r->code_name : why);
        nmirf_reply_destroy(&r);
        zmsg_destroy(&reply);
        zsock_set_rcvtimeo(dealers[i], 0);
    }
    printf("clients: %d DEALERs connected and subscribed in %.1f s\n", c,
           (nmirf_mono_us() - t0) / 1e6);
    /* Events now: every client must get all of them. */
    const size_t rounds = 20;
    uint64_t seq0 = h_seq(b);
    for (size_t k = 0; k < rounds; k++)
        H_CALL_CHECK("ok", h_coord(b), "rec.import",
                     "{'recs':[{'id':'CLI-%zu','mechanism':'UPR','text':{'en':'fan-out "
                     "check'}}]}",
                     k);
    uint64_t events = h_seq(b) - seq0;
    size_t *got = calloc((size_t)c, sizeof *got);
    zpoller_t *poller = zpoller_new(NULL);
    for (int i = 0; i < c; i++)
        zpoller_add(poller, dealers[i]);
    uint64_t deadline = nmirf_mono_us() + 30000000;
    size_t complete = 0;
    while (complete < (size_t)c && nmirf_mono_us() < deadline) {
        if (!zpoller_wait(poller, 200) && zpoller_terminated(poller))
            break;
        complete = 0;
        for (int i = 0; i < c; i++) {
            s_client_drain(dealers[i], &got[i]);
            complete += got[i] >= events;
        }
    }
    unsigned long hwm = s_proc_kib(b->pid, "VmHWM"), rss = s_proc_kib(b->pid, "VmRSS");
    printf(
        "clients: %llu events reached %zu of %d subscribed clients; broker RSS %.1f MiB "
        "before, %.1f MiB with them, peak (VmHWM) %.1f MiB\n",
        (unsigned long long)events, complete, c, rss0 / 1024.0, rss / 1024.0,
        hwm / 1024.0);
    json_object_set_new(out, "clients", json_integer(c));
    json_object_set_new(out, "clients_delivered", json_integer((json_int_t)complete));
    json_object_set_new(out, "broker_rss_kib", json_integer((json_int_t)rss));
    json_object_set_new(out, "broker_vmhwm_kib", json_integer((json_int_t)hwm));
    zpoller_destroy(&poller);
    for (int i = 0; i < c; i++) {
        zsock_destroy(&dealers[i]);
        nmirf_key_wipe(&es[i]->key);
        free(es[i]);
    }
    free(got);
    free(es);
    free(dealers);
    H_ASSERTF(complete == (size_t)c, "only %zu of %d clients got all %llu events",
              complete, c, (unsigned long long)events);
}

/* --- main ---------------------------------------------------------------------- */

static void
s_usage(FILE *f)
{
    fprintf(f,
            "usage: nmirf-bench NMIRFD NMIRF-AGENT [options]\n"
            "  -n, --submitters N   submitter threads, each its own entity (default 1)\n"
            "  -w, --inflight W     requests in flight per submitter (default 1)\n"
            "  -s, --seconds S      length of the throughput and paced phases (default "
            "3)\n"
            "  -k, --subscribers K  subscriber threads on ev/ (default 1)\n"
            "  -r, --rate R         paced phase at R updates/s, 0 to skip (default "
            "1000)\n"
            "  -m, --replicate M    a new agent replicates M recommendations (default 0: "
            "skip)\n"
            "  -c, --clients C      C clients, one subscribed DEALER each, broker RSS "
            "(default "
            "0: skip)\n"
            "  -M, --recs M         import M more recommendations first (for stats)\n"
            "  -S, --stats-every MS during throughput, a `stats` every MS ms, timed\n"
            "                       (default 0: none)\n"
            "  -b, --broker-arg A   one more nmirfd argument (e.g. --verifiers=1); the\n"
            "                       broker logs at info unless -b --log-level=debug\n"
            "      --standby MODE   off (default), async or sync: a second nmirfd\n"
            "                       follows the broker as its standby, synchronously\n"
            "                       or not; its lag is sampled during the window\n");
}

int
main(int argc, char **argv)
{
    /* The broker logs at info, as in production: the harness's -v would
       write a line per request (-b --log-level=debug brings it back). */
    opts_t o = {.submitters = 1,
                .inflight = 1,
                .seconds = 3,
                .subscribers = 1,
                .rate = 1000,
                .args = {"--log-level=info"},
                .nargs = 1};
    if (argc < 3 || argv[1][0] == '-') {
        s_usage(stderr);
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "-n") || !strcmp(f, "--submitters"))
            o.submitters = (int)bench_num("nmirf-bench", f, v, 1, MAX_SUBMITTERS);
        else if (!strcmp(f, "-w") || !strcmp(f, "--inflight"))
            o.inflight = (int)bench_num("nmirf-bench", f, v, 1, MAX_INFLIGHT);
        else if (!strcmp(f, "-s") || !strcmp(f, "--seconds"))
            o.seconds = (double)bench_num("nmirf-bench", f, v, 1, 3600);
        else if (!strcmp(f, "-k") || !strcmp(f, "--subscribers"))
            o.subscribers = (int)bench_num("nmirf-bench", f, v, 0, MAX_SUBSCRIBERS);
        else if (!strcmp(f, "-r") || !strcmp(f, "--rate"))
            o.rate = (int)bench_num("nmirf-bench", f, v, 0, 100000);
        else if (!strcmp(f, "-m") || !strcmp(f, "--replicate"))
            o.replicate = (size_t)bench_num("nmirf-bench", f, v, 0, 10000000);
        else if (!strcmp(f, "-c") || !strcmp(f, "--clients"))
            o.clients = (int)bench_num("nmirf-bench", f, v, 0, 10000);
        else if (!strcmp(f, "-M") || !strcmp(f, "--recs"))
            o.stats_recs = (size_t)bench_num("nmirf-bench", f, v, 0, 10000000);
        else if (!strcmp(f, "-S") || !strcmp(f, "--stats-every"))
            o.stats_every = (int)bench_num("nmirf-bench", f, v, 0, 3600000);
        else if ((!strcmp(f, "-b") || !strcmp(f, "--broker-arg")) && v &&
                 o.nargs < H_MAX_ARGS)
            o.args[o.nargs++] = v;
        else if (!strcmp(f, "--standby") && v && !strcmp(v, "off"))
            o.standby = STANDBY_OFF;
        else if (!strcmp(f, "--standby") && v && !strcmp(v, "async"))
            o.standby = STANDBY_ASYNC;
        else if (!strcmp(f, "--standby") && v && !strcmp(v, "sync"))
            o.standby = STANDBY_SYNC;
        else if (!strcmp(f, "--standby")) {
            fprintf(stderr, "nmirf-bench: --standby takes off, async or sync, not '%s'\n",
                    v ? v : "");
            return 2;
        } else if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            s_usage(stdout);
            return 0;
        } else {
            s_usage(stderr);
            return 2;
        }
        i++;
    }
    char *hargv[] = {argv[0], argv[1], argv[2], NULL};
    ha_init(3, hargv, 3600);
    /* C clients need C sockets here and C descriptors in the broker (one
       DEALER each); twice that leaves room. */
    zsys_set_max_sockets(2 * (size_t)o.clients + 256);
    /* Synchronous from a config file switched by SIGHUP once the standby
       follows: on from the start, the enrolments would wait for it. */
    char confdir[PATH_MAX] = "";
    if (o.standby == STANDBY_SYNC) {
        H_ASSERTF(o.nargs + 2 <= H_MAX_ARGS, "too many -b arguments with --standby sync");
        const char *tmp = getenv("TMPDIR");
        snprintf(confdir, sizeof confdir, "%s/nmirf-bench-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        H_ASSERT(mkdtemp(confdir));
        snprintf(s_conf, sizeof s_conf, "%s/nmirfd.conf", confdir);
        s_write_conf("off");
        o.args[o.nargs++] = "-c";
        o.args[o.nargs++] = s_conf;
    }
    h_broker_t *b = h_broker_start_with(NULL, o.args);
    h_entity_t **ms = calloc((size_t)o.submitters, sizeof *ms);
    for (int i = 0; i < o.submitters; i++) {
        char id[24];
        snprintf(id, sizeof id, "M%03d", i);
        ms[i] = s_entity(id);
    }
    s_enroll_all(b, ms, (size_t)o.submitters, "ministry");
    for (int i = 0; i < o.submitters; i++) {
        H_CALL_CHECK(
            "ok", h_coord(b), "rec.import",
            "{'recs':[{'id':'BENCH-%d','mechanism':'UPR','text':{'en':'bench'}}]}", i);
        H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'BENCH-%d','lead':'%s'}", i,
                     ms[i]->id);
    }
    if (o.stats_recs) {
        uint64_t t0 = nmirf_mono_us();
        s_import(b, "ST", o.stats_recs);
        printf("nmirf-bench: %zu more recommendations imported in %.1f s\n", o.stats_recs,
               (nmirf_mono_us() - t0) / 1e6);
    }
    h_broker_t *standby = NULL;
    if (o.standby != STANDBY_OFF)
        standby = s_standby_start(b, o.standby, &o.standby_coord);
    printf("nmirf-bench: broker pid %d in %s; %d submitters, %d in flight, %d "
           "subscribers\n",
           (int)b->pid, b->dir, o.submitters, o.inflight, o.subscribers);
    fflush(stdout);
    json_t *out = json_object();
    s_machine(b->dir, out);
    if (o.clients)
        s_clients(b, o.clients, out); /* first: VmHWM is the peak since start */
    s_throughput(b, ms, &o, out);
    if (standby)
        s_standby_caught_up(b, o.standby_coord, out);
    json_object_set_new(out, "standby",
                        json_string(o.standby == STANDBY_SYNC    ? "sync"
                                    : o.standby == STANDBY_ASYNC ? "async"
                                                                 : "off"));
    fflush(stdout);
    if (o.rate)
        s_paced(b, ms[0], &o, out);
    fflush(stdout);
    if (o.replicate)
        s_replicate(b, ms[0], o.replicate, out);
    if (!json_object_get(out, "broker_vmhwm_kib"))
        json_object_set_new(out, "broker_vmhwm_kib",
                            json_integer((json_int_t)s_proc_kib(b->pid, "VmHWM")));
    char *line = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(6));
    printf("BENCH %s\n", line);
    fflush(stdout);
    free(line);
    json_decref(out);
    if (standby) {
        standby->ents[0].key = (nmirf_key_t){0}; /* the broker's coordinator's */
        h_broker_destroy(&standby);
    }
    h_broker_destroy(&b);
    if (confdir[0]) {
        unlink(s_conf);
        rmdir(confdir);
    }
    for (int i = 0; i < o.submitters; i++) {
        nmirf_key_wipe(&ms[i]->key);
        free(ms[i]);
    }
    free(ms);
    return 0;
}
