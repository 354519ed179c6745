/*  broker - the sockets, the event loop and group commit. */
#include "broker.h"
#include "deadlines.h"
#include "dispatch.h"
#include "events.h"
#include "health.h"
#include "nmirf_keys.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "nmirf_wire.h"
#include "zap.h"

#include <czmq.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct _broker_t {
    store_t *store;              /* borrowed */
    zap_t *zap;                  /* who may connect; bound before the servers */
    zsock_t *router;             /* requests (CURVE server) */
    zsock_t *pub;                /* events (CURVE server) */
    zloop_t *loop;               /* reactor */
    event_batch_t events;        /* events of the batch in progress */
    broker_stats_t stats;        /* counters, for ping and the log */
    int begin_failures;          /* transactions refused in a row */
    char curve_sk[41];           /* our CURVE secret key, Z85 (NMIRFD.key) */
    checkpoint_ctx_t checkpoint; /* what the checkpoint timer signs with */
    char req_ep[256];            /* request endpoint as bound ("*" resolved) */
    char ev_ep[256];             /* events endpoint as bound */
    broker_opts_t opts;          /* settings (reloadable ones: broker_configure) */
    int checkpoint_timer;        /* zloop timer id of the checkpoint timer */
};

/* One request of a batch: who to answer, and the answer. */
typedef struct {
    zframe_t *identity;    /* ROUTER routing id */
    bool delimiter;        /* came from a REQ socket */
    msgpack_sbuffer reply; /* the reply frame */
} s_slot_t;

/* Splits a received message into routing and request frames and answers
   it into slot. */
static void
s_take(broker_t *self, batch_t *batch, zmsg_t *msg, s_slot_t *slot)
{
    slot->identity = zmsg_pop(msg);
    zframe_t *first = zmsg_first(msg);
    if (first && zframe_size(first) == 0) {
        slot->delimiter = true;
        zframe_t *empty = zmsg_pop(msg);
        zframe_destroy(&empty);
    }
    const uint8_t *frames[3];
    size_t sizes[3], count = zmsg_size(msg);
    size_t i = 0;
    for (zframe_t *f = zmsg_first(msg); f && i < 3; f = zmsg_next(msg), i++) {
        frames[i] = zframe_data(f);
        sizes[i] = zframe_size(f);
    }
    /* The entity ZAP authenticated this connection as (zap.c); libzmq puts
       it on every message the connection delivers. */
    const char *peer = zmsg_first(msg) ? zframe_meta(zmsg_first(msg), "User-Id") : NULL;
    msgpack_sbuffer_init(&slot->reply);
    dispatch_request(batch, peer, frames, sizes, count, &slot->reply);
}

/* Replaces every reply of a failed commit with a storage refusal. */
static void
s_fail_all(s_slot_t *slots, size_t n, int rc, uint64_t seq)
{
    char why[256];
    snprintf(why, sizeof why, "the store could not commit: %s", store_strerror(rc));
    for (size_t i = 0; i < n; i++) {
        char ids[NMIRF_ID_LEN];
        bool has_id = false;
        nmirf_reply_t *r = nmirf_reply_decode((const uint8_t *)slots[i].reply.data,
                                              slots[i].reply.size, NULL, 0);
        if (r && r->has_id) {
            memcpy(ids, r->id, NMIRF_ID_LEN);
            has_id = true;
        }
        nmirf_reply_destroy(&r);
        msgpack_sbuffer_clear(&slots[i].reply);
        nmirf_reply_encode(&slots[i].reply, has_id ? (uint8_t *)ids : NULL,
                           NMIRF_E_STORAGE, why, seq, NULL, 0);
    }
}

static void
s_send_reply(broker_t *self, s_slot_t *slot)
{
    zmsg_t *out = zmsg_new();
    zmsg_append(out, &slot->identity);
    if (slot->delimiter)
        zmsg_addmem(out, "", 0);
    zmsg_addmem(out, slot->reply.data, slot->reply.size);
    zmsg_send(&out, self->router); /* to a gone peer: dropped, by design */
    msgpack_sbuffer_destroy(&slot->reply);
}

/* True if the committed batch holds an event of kind. */
static bool
s_has_kind(const event_batch_t *events, const char *kind)
{
    for (size_t i = 0; i < events->count; i++)
        if (strcmp(events->items[i].kind, kind) == 0)
            return true;
    return false;
}

/* Binds sock to ep; returns the bound endpoint (a "*" port resolved) into
   out. */
static int
s_bind(zsock_t *sock, const char *ep, char *out, size_t outlen)
{
    if (zsock_bind(sock, "%s", ep) < 0)
        return -1;
    char *last = zsock_last_endpoint(sock);
    snprintf(out, outlen, "%s", last ? last : ep);
    zstr_free(&last);
    return 0;
}

static int s_on_requests(zloop_t *loop, zsock_t *reader, void *arg);

/* Makes the ROUTER and PUB as CURVE servers and binds them to req and ev.
   A rebind right after a close may find the port still held for a moment
   by the old listener (libzmq closes it in its I/O thread): retry for up
   to two seconds. Returns 0, or -1 with a reason. */
static int
s_sockets_open(broker_t *self, const char *req, const char *ev, char *why, size_t whylen)
{
    self->router = zsock_new(ZMQ_ROUTER);
    self->pub = zsock_new(ZMQ_PUB);
    if (!self->router || !self->pub) {
        snprintf(why, whylen, "cannot create sockets: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    zsock_t *servers[2] = {self->router, self->pub};
    for (int i = 0; i < 2; i++) {
        /* Only CURVE, only through our ZAP handler: no plaintext mode. */
        zsock_set_curve_server(servers[i], 1);
        zsock_set_curve_secretkey(servers[i], self->curve_sk);
        zsock_set_zap_domain(servers[i], ZAP_DOMAIN);
        zsock_set_linger(servers[i], 1000);
    }
    /* Bigger messages than any valid request are dropped by ZeroMQ before
       they reach memory; up to this size we answer too_large ourselves. */
    zsock_set_maxmsgsize(self->router, BROKER_MAX_MESSAGE);
    /* libzmq buffers a whole multipart message, and counts the limit per
       frame: a small per-peer queue bounds what one client can make us
       hold. */
    zsock_set_rcvhwm(self->router, BROKER_PEER_QUEUE);
    zsock_set_sndhwm(self->pub, 100000);
    for (int tries = 0;; tries++) {
        if (s_bind(self->router, req, self->req_ep, sizeof self->req_ep) == 0)
            break;
        if (tries >= 200 || zmq_errno() != EADDRINUSE) {
            snprintf(why, whylen, "cannot bind request endpoint %s: %s", req,
                     zmq_strerror(zmq_errno()));
            return -1;
        }
        zclock_sleep(10);
    }
    for (int tries = 0;; tries++) {
        if (s_bind(self->pub, ev, self->ev_ep, sizeof self->ev_ep) == 0)
            break;
        if (tries >= 200 || zmq_errno() != EADDRINUSE) {
            snprintf(why, whylen, "cannot bind events endpoint %s: %s", ev,
                     zmq_strerror(zmq_errno()));
            return -1;
        }
        zclock_sleep(10);
    }
    return 0;
}

/* Guarantee 5 for open sessions: after a revocation commits, closes the
   ROUTER and PUB and binds new ones on the same endpoints. libzmq has no
   call to drop one peer, so every client is dropped; each reconnects on
   its own and passes ZAP again, and the revoked one is refused. The
   batch's replies and events were handed to the old sockets first, and
   their linger lets them out. A request in flight at that instant is lost:
   its caller times out and resends (idempotent by request id). */
static void
s_drop_sessions(broker_t *self)
{
    char why[512], req[256], ev[256];
    snprintf(req, sizeof req, "%s", self->req_ep);
    snprintf(ev, sizeof ev, "%s", self->ev_ep);
    zloop_reader_end(self->loop, self->router);
    zsock_destroy(&self->router);
    zsock_destroy(&self->pub);
    if (s_sockets_open(self, req, ev, why, sizeof why))
        fatalx("after a key change, %s; stopping", why); /* restarted clean */
    zloop_reader(self->loop, self->router, s_on_requests, self);
    if (self->stats.health)
        health_watch(self->stats.health, self->loop, self->router, self->pub);
    log_info("an entity was revoked or its keys rotated: dropped every session on %s "
             "and %s; clients "
             "reconnect through ZAP",
             self->req_ep, self->ev_ep);
}

/* Reader: takes every waiting request into one batch and commits once. */
static int
s_on_requests(zloop_t *loop, zsock_t *reader, void *arg)
{
    broker_t *self = arg;
    static s_slot_t slots[BROKER_BATCH_MAX];
    batch_t batch = {.store = self->store,
                     .events = &self->events,
                     .now = nmirf_now_ms(),
                     .stats = &self->stats};
    int rc = store_begin(self->store, NULL, true, &batch.txn);
    if (rc) {
        /* Without a transaction nothing can be answered; the requests stay
           queued. A store that keeps refusing (MDB_PANIC after a failed
           sync) will not heal in this process: exit, and let the service
           manager restart us on a store LMDB recovers at open. */
        log_warnx("cannot begin a transaction: %s", store_strerror(rc));
        if (++self->begin_failures >= 100)
            fatalx("the store refuses every transaction (%s); stopping",
                   store_strerror(rc));
        zclock_sleep(10);
        return 0;
    }
    self->begin_failures = 0;
    /* A batch ends at BROKER_BATCH_MAX requests, or once its replies hold
       BROKER_BATCH_BYTES: replies wait for the commit, so this bounds the
       memory a burst of large reads can pin. */
    size_t n = 0, bytes = 0;
    while (n < BROKER_BATCH_MAX && bytes < BROKER_BATCH_BYTES &&
           (zsock_events(reader) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv(reader);
        if (!msg)
            break;
        memset(&slots[n], 0, sizeof slots[n]);
        s_take(self, &batch, msg, &slots[n]);
        zmsg_destroy(&msg);
        bytes += slots[n].reply.size;
        n++;
    }
    if (batch.writes) {
        uint64_t t0 = nmirf_mono_us();
        rc = store_commit(batch.txn); /* synced: the durability point */
        uint64_t took = nmirf_mono_us() - t0;
        if (rc) {
            log_warnx("commit of %zu requests failed: %s; all refused", n,
                      store_strerror(rc));
            event_batch_truncate(&self->events, 0);
            MDB_txn *rtxn;
            uint64_t seq = 0;
            if (!store_begin(self->store, NULL, false, &rtxn)) {
                seq = store_seq(self->store, rtxn);
                mdb_txn_abort(rtxn);
            }
            s_fail_all(slots, n, rc, seq);
        } else {
            self->stats.commits++;
            self->stats.writes += batch.writes;
            self->stats.last_commit = nmirf_now_ms();
            self->stats.last_batch = batch.writes;
            if (took >= (uint64_t)self->opts.slow_commit_ms * 1000)
                log_warnx("slow commit: %llu ms for %zu requests",
                          (unsigned long long)(took / 1000), n);
        }
    } else
        mdb_txn_abort(batch.txn);
    self->stats.requests += n;
    for (size_t i = 0; i < n; i++)
        s_send_reply(self, &slots[i]);
    event_batch_publish(&self->events, self->pub);
    /* A revoked or rotated CURVE key must not keep its open sessions. */
    bool drop = s_has_kind(&self->events, "entity.revoked") ||
                s_has_kind(&self->events, "entity.rotated");
    event_batch_truncate(&self->events, 0);
    if (drop)
        s_drop_sessions(self);
    return 0;
}

/* Timer: a heartbeat with the latest sequence number. */
static int
s_on_heartbeat(zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = arg;
    MDB_txn *txn;
    if (store_begin(self->store, NULL, false, &txn))
        return 0;
    uint64_t seq = store_seq(self->store, txn);
    mdb_txn_abort(txn);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_uint(&pk, "seq", seq);
    nmirf_mp_pack_kv_uint(&pk, "ts", nmirf_now_ms());
    zmq_send(zsock_resolve(self->pub), "hb", 2, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(zsock_resolve(self->pub), sb.data, sb.size, ZMQ_DONTWAIT);
    msgpack_sbuffer_destroy(&sb);
    return 0;
}

/* Timer: the deadline scan (deadlines.c) commits its own transaction
   between batches; its events are published like a batch's. */
static int
s_on_deadlines(zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = arg;
    if (deadlines_scan(self->store, &self->events, self->opts.due_soon_days,
                       deadlines_now_ms()) > 0)
        event_batch_publish(&self->events, self->pub);
    event_batch_truncate(&self->events, 0);
    return 0;
}

broker_t *
broker_new(store_t *store, const broker_opts_t *opts, char *why, size_t whylen)
{
    broker_t *self = zmalloc(sizeof *self);
    self->store = store;
    self->stats.started = nmirf_now_ms();
    self->stats.health = health_new();
    self->opts = *opts;
    if (!self->opts.slow_commit_ms)
        self->opts.slow_commit_ms = BROKER_SLOW_COMMIT_MS;
    if (!self->opts.checkpoint_interval_ms)
        self->opts.checkpoint_interval_ms = CHECKPOINT_INTERVAL_MS;
    if (!self->opts.due_soon_days)
        self->opts.due_soon_days = DEADLINES_DUE_SOON_DAYS;
    char path[4096], text[600];
    memcpy(self->curve_sk, opts->key->curve_sk, sizeof self->curve_sk);
    self->checkpoint.store = store;
    self->checkpoint.broker_key = opts->key;
    /* The handler first: a CURVE server with no ZAP handler bound would
       let any CURVE client in. */
    self->zap = zap_new(store, why, whylen);
    if (!self->zap ||
        s_sockets_open(self, opts->request_ep, opts->events_ep, why, whylen))
        goto fail;
    snprintf(path, sizeof path, "%s/endpoints", opts->datadir);
    int n = snprintf(text, sizeof text, "request = %s\nevents = %s\n", self->req_ep,
                     self->ev_ep);
    if (nmirf_write_file(path, text, (size_t)n, 0644)) {
        snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
        goto fail;
    }
    log_info("requests on %s, events on %s (CURVE, ZAP domain %s)", self->req_ep,
             self->ev_ep, ZAP_DOMAIN);
    self->loop = zloop_new();
    zloop_reader(self->loop, zap_sock(self->zap), zap_on_request, self->zap);
    zloop_reader(self->loop, self->router, s_on_requests, self);
    if (self->stats.health)
        health_watch(self->stats.health, self->loop, self->router, self->pub);
    zloop_timer(self->loop, BROKER_HEARTBEAT_MS, 0, s_on_heartbeat, self);
    self->checkpoint_timer = zloop_timer(self->loop, self->opts.checkpoint_interval_ms, 0,
                                         checkpoint_on_timer, &self->checkpoint);
    zloop_timer(self->loop, deadlines_period_ms(), 0, s_on_deadlines, self);
    return self;
fail:
    broker_destroy(&self);
    return NULL;
}

int
broker_run(broker_t *self)
{
    zloop_start(self->loop); /* returns on SIGINT/SIGTERM (CZMQ's handler) */
    log_info("stopping: %llu requests answered, %llu writes in %llu commits",
             (unsigned long long)self->stats.requests,
             (unsigned long long)self->stats.writes,
             (unsigned long long)self->stats.commits);
    return 0;
}

zloop_t *
broker_loop(broker_t *self)
{
    return self->loop;
}

void
broker_configure(broker_t *self, const broker_opts_t *opts)
{
    if (opts->slow_commit_ms)
        self->opts.slow_commit_ms = opts->slow_commit_ms;
    if (opts->due_soon_days)
        self->opts.due_soon_days = opts->due_soon_days;
    if (opts->checkpoint_interval_ms &&
        opts->checkpoint_interval_ms != self->opts.checkpoint_interval_ms) {
        /* zloop cannot change a timer's period: replace it. */
        zloop_timer_end(self->loop, self->checkpoint_timer);
        self->opts.checkpoint_interval_ms = opts->checkpoint_interval_ms;
        self->checkpoint_timer =
            zloop_timer(self->loop, self->opts.checkpoint_interval_ms, 0,
                        checkpoint_on_timer, &self->checkpoint);
    }
}

const broker_stats_t *
broker_stats(const broker_t *self)
{
    return &self->stats;
}

void
broker_destroy(broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_t *self = *self_p;
    zloop_destroy(&self->loop);
    zsock_destroy(&self->router);
    zsock_destroy(&self->pub);
    health_destroy(&self->stats.health); /* after the sockets it monitors */
    zap_destroy(&self->zap);             /* last: it vets the servers' handshakes */
    event_batch_free(&self->events);
    sodium_memzero(self->curve_sk, sizeof self->curve_sk);
    free(self);
    *self_p = NULL;
}
