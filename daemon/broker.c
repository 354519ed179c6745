/*  broker - the sockets, the event loop and group commit. */
#include "broker.h"
#include "dispatch.h"
#include "events.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "nmirf_wire.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>

struct _broker_t {
    store_t *store;       /* borrowed */
    zsock_t *router;      /* requests */
    zsock_t *pub;         /* events */
    zloop_t *loop;        /* reactor */
    event_batch_t events; /* events of the batch in progress */
    broker_stats_t stats; /* counters, for ping and the log */
    int begin_failures;   /* transactions refused in a row */
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
    msgpack_sbuffer_init(&slot->reply);
    dispatch_request(batch, frames, sizes, count, &slot->reply);
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
            if (took > 100000)
                log_warnx("slow commit: %llu ms for %zu requests",
                          (unsigned long long)(took / 1000), n);
        }
    } else
        mdb_txn_abort(batch.txn);
    self->stats.requests += n;
    for (size_t i = 0; i < n; i++)
        s_send_reply(self, &slots[i]);
    event_batch_publish(&self->events, self->pub);
    event_batch_truncate(&self->events, 0);
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

broker_t *
broker_new(store_t *store, const broker_opts_t *opts, char *why, size_t whylen)
{
    broker_t *self = zmalloc(sizeof *self);
    self->store = store;
    self->stats.started = nmirf_now_ms();
    self->router = zsock_new(ZMQ_ROUTER);
    self->pub = zsock_new(ZMQ_PUB);
    char req_ep[256], ev_ep[256];
    if (!self->router || !self->pub) {
        snprintf(why, whylen, "cannot create sockets: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    /* Bigger messages than any valid request are dropped by ZeroMQ before
       they reach memory; up to this size we answer too_large ourselves. */
    zsock_set_maxmsgsize(self->router, BROKER_MAX_MESSAGE);
    /* libzmq buffers a whole multipart message, and counts the limit per
       frame: a small per-peer queue bounds what one unauthenticated peer
       can make us hold until CurveZMQ keeps strangers out. */
    zsock_set_rcvhwm(self->router, BROKER_PEER_QUEUE);
    zsock_set_sndhwm(self->pub, 100000);
    zsock_set_linger(self->router, 1000);
    zsock_set_linger(self->pub, 1000);
    if (s_bind(self->router, opts->request_ep, req_ep, sizeof req_ep)) {
        snprintf(why, whylen, "cannot bind request endpoint %s: %s", opts->request_ep,
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (s_bind(self->pub, opts->events_ep, ev_ep, sizeof ev_ep)) {
        snprintf(why, whylen, "cannot bind events endpoint %s: %s", opts->events_ep,
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    char path[4096], text[600];
    snprintf(path, sizeof path, "%s/endpoints", opts->datadir);
    int n = snprintf(text, sizeof text, "request = %s\nevents = %s\n", req_ep, ev_ep);
    if (nmirf_write_file(path, text, (size_t)n, 0644)) {
        snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
        goto fail;
    }
    log_info("requests on %s, events on %s", req_ep, ev_ep);
    self->loop = zloop_new();
    zloop_reader(self->loop, self->router, s_on_requests, self);
    zloop_timer(self->loop, BROKER_HEARTBEAT_MS, 0, s_on_heartbeat, self);
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

void
broker_destroy(broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_t *self = *self_p;
    zloop_destroy(&self->loop);
    zsock_destroy(&self->router);
    zsock_destroy(&self->pub);
    event_batch_free(&self->events);
    free(self);
    *self_p = NULL;
}
