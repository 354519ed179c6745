/*  broker - the sockets, the event loop, the flow between threads. */
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
#include "ops.h"
#include "readers.h"
#include "repl_sender.h"
#include "role.h"
#include "subscribers.h"
#include "sync_wait.h"
#include "verifier.h"
#include "writer.h"
#include "zap.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct _broker_t {
    store_t *store;          /* borrowed */
    zap_t *zap;              /* who may connect; bound before the servers */
    zsock_t *router;         /* requests (CURVE server) */
    zsock_t *pub;            /* events (CURVE server) */
    zloop_t *loop;           /* reactor */
    verifier_t *verifier;    /* signature checks on other threads */
    writer_t *writer;        /* the store's writer thread: group commit */
    readers_t *readers;      /* read-only operations on threads of their own */
    uint64_t published;      /* sequence of the last event published */
    size_t in_flight;        /* requests read and not yet answered */
    bool reading;            /* the ROUTER is in the loop (not paused) */
    broker_stats_t stats;    /* counters, for ping (the writer's) */
    char curve_sk[41];       /* our CURVE secret key, Z85 (NMIRFD.key) */
    char req_ep[256];        /* request endpoint as bound ("*" resolved) */
    char ev_ep[256];         /* events endpoint as bound */
    broker_opts_t opts;      /* settings (reloadable ones: broker_configure) */
    int checkpoint_timer;    /* zloop timer id of the checkpoint timer */
    bool deadlines_due;      /* a deadline scan waits for the writer to idle */
    bool checkpoint_due;     /* so does a checkpoint */
    size_t stopped_answered; /* requests in flight at the stop, answered */
    subscribers_t *subs;     /* connections that get events pushed (subscribe) */
    sync_wait_t *held;       /* synchronous mode: batches waiting for a standby */
    bool changelog_due;      /* synchronous switched on with the changelog off */
    int64_t sync_warned;     /* when held replies were last logged (mono ms) */
    uint64_t shed;           /* messages dropped unread since the last warning */
};

static void
s_free_reply(void *data, void *hint)
{
    free(data);
}

/* Sends the request's reply and destroys the request. The reply's buffer goes to
   ZeroMQ as it is (a snapshot is tens of MiB: no copy). */
static void
s_send_reply(broker_t *self, request_t **req_p)
{
    request_t *req = *req_p;
    void *router = zsock_resolve(self->router);
    /* To a gone peer: dropped, by design (ROUTER drops unroutable). */
    zmq_send(router, zmq_msg_data(&req->identity), zmq_msg_size(&req->identity),
             ZMQ_SNDMORE);
    if (req->delimiter)
        zmq_send(router, "", 0, ZMQ_SNDMORE);
    /* An OK `subscribe` takes effect here: the events published after
       this reply are pushed to it. */
    subscribers_on_reply(self->subs, zmq_msg_data(&req->identity),
                         zmq_msg_size(&req->identity), req->checked.env.op,
                         req->checked.env.author, (const uint8_t *)req->reply.data,
                         req->reply.size, nmirf_now_ms());
    /* An OK `repl.follow` makes it a follower of the stream, likewise. */
    if (repl_sender_global())
        repl_sender_on_reply(repl_sender_global(), zmq_msg_data(&req->identity),
                             zmq_msg_size(&req->identity), req->checked.env.op,
                             (const uint8_t *)req->reply.data, req->reply.size);
    size_t size = req->reply.size;
    zmq_msg_t msg;
    if (zmq_msg_init_data(&msg, msgpack_sbuffer_release(&req->reply), size, s_free_reply,
                          NULL) == 0 &&
        zmq_msg_send(&msg, router, 0) < 0)
        zmq_msg_close(&msg);
    request_sent(req, &self->stats); /* the latency split (stats.h) */
    request_destroy(req_p);
}

/* Binds sock to ep, the name endpoint. A broker restarted on the same
   endpoints may find a port still held for a moment by the old listener:
   retry for up to two seconds. Returns 0 with the bound endpoint (a "*"
   port resolved) in out, or -1 with a reason. */
static int
s_bind(zsock_t *sock, const char *name, const char *ep, char *out, size_t outlen,
       char *why, size_t whylen)
{
    for (int tries = 0; zsock_bind(sock, "%s", ep) < 0; tries++) {
        if (tries >= 200 || zmq_errno() != EADDRINUSE) {
            snprintf(why, whylen, "cannot bind %s endpoint %s: %s", name, ep,
                     zmq_strerror(zmq_errno()));
            return -1;
        }
        zclock_sleep(10);
    }
    char *last = zsock_last_endpoint(sock);
    snprintf(out, outlen, "%s", last ? last : ep);
    zstr_free(&last);
    return 0;
}

static int s_on_requests(zloop_t *loop, zsock_t *reader, void *arg);

/* Makes the ROUTER and PUB as CURVE servers and binds them to req and ev
   (s_bind: a port still held by an old listener is retried). Returns 0,
   or -1 with a reason. */
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
        /* With no ZAP handler bound, refuse rather than let in (libzmq's
           default): zap_renew rebinds it while the broker serves. */
        int enforce = 1;
        if (zmq_setsockopt(zsock_resolve(servers[i]), ZMQ_ZAP_ENFORCE_DOMAIN, &enforce,
                           sizeof enforce) != 0) {
            snprintf(why, whylen, "cannot enforce the ZAP domain: %s",
                     zmq_strerror(zmq_errno()));
            return -1;
        }
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
    /* Events pushed to subscribed connections queue here (replies too). */
    zsock_set_sndhwm(self->router, BROKER_PUSH_HWM);
    /* Watched before they bind: a connection accepted before its monitor
       would not count against max_sessions_per_entity (sessions.h), and
       after a restart the agents connect again at once. */
    if (self->stats.health)
        health_watch(self->stats.health, self->loop, self->router, self->pub);
    if (s_bind(self->router, "request", req, self->req_ep, sizeof self->req_ep, why,
               whylen) ||
        s_bind(self->pub, "events", ev, self->ev_ep, sizeof self->ev_ep, why, whylen))
        return -1;
    return 0;
}

/* Reads the ROUTER or stops: past BROKER_QUEUE_MAX requests in flight it
   stops until half of them are answered, so ZeroMQ's per-peer queues keep
   bounding what clients can make us hold; but never while replies wait
   for a standby, whose acknowledgements come on the ROUTER (then
   s_on_requests drops what is not one). */
static void
s_flow(broker_t *self)
{
    bool held = sync_wait_count(self->held) > 0;
    if (self->reading && self->in_flight >= BROKER_QUEUE_MAX && !held) {
        zloop_reader_end(self->loop, self->router);
        self->reading = false;
    } else if (!self->reading && (self->in_flight < BROKER_QUEUE_MAX / 2 || held)) {
        zloop_reader(self->loop, self->router, s_on_requests, self);
        self->reading = true;
    }
}

/* count requests were answered (or dropped): once few enough are in
   flight, the ROUTER is read again. */
static void
s_answered(broker_t *self, size_t count)
{
    self->in_flight -= count;
    s_flow(self);
}

/* The figures of synchronous mode that status shows (stats.h). */
static void
s_sync_stats(broker_t *self)
{
    repl_sender_t *repl = repl_sender_global();
    atomic_store(&self->stats.sync_on, self->opts.synchronous);
    atomic_store(&self->stats.sync_followers, repl ? repl_sender_followers(repl) : 0);
    atomic_store(&self->stats.sync_acked, repl ? repl_sender_acked(repl) : 0);
    atomic_store(&self->stats.sync_waiting, sync_wait_replies(self->held));
    atomic_store(&self->stats.sync_oldest_ms, (uint64_t)sync_wait_oldest_ms(self->held));
}

/* A batch's replies, then its events. Guarantee 5 needs no
   step of its own here, and no session is dropped: from the revoking
   (or rotating) commit on, dispatch refuses every request of the revoked
   entity or the rotated-out key, subscribers_push_events ends that
   entity's subscriptions at the event itself, ZAP refuses its new
   connections, and the PUB carries only the public feed. */
static void
s_release(broker_t *self, writer_batch_t **wb_p)
{
    writer_batch_t *wb = *wb_p;
    for (size_t i = 0; i < wb->count; i++)
        s_send_reply(self, &wb->requests[i]);
    event_batch_publish(&wb->events, self->pub);
    subscribers_push_events(self->subs, zsock_resolve(self->router), &wb->events);
    if (wb->events.count)
        self->published = wb->events.items[wb->events.count - 1].seq;
    /* The batch's commit record, after its replies (docs/REPLICATION.md,
       The stream: asynchronous). */
    if (repl_sender_global())
        repl_sender_drain(repl_sender_global(), zsock_resolve(self->router));
    size_t count = wb->count;
    writer_batch_destroy(wb_p);
    s_answered(self, count);
}

/* Releases, in order, every held batch a standby's acknowledgement
   covers; all of them when synchronous mode is off. */
static void
s_sync_release(broker_t *self)
{
    repl_sender_t *repl = repl_sender_global();
    uint64_t acked = repl ? repl_sender_acked(repl) : 0;
    writer_batch_t *wb;
    while ((wb = self->opts.synchronous ? sync_wait_release(self->held, acked)
                                        : sync_wait_take(self->held)) != NULL)
        s_release(self, &wb);
    s_sync_stats(self);
}

/* True if req's reply acknowledges nothing the store holds: a read
   (`ping`, `status`, `repl.follow`...). Every other reply waits in
   synchronous mode: a write's, a replayed write's (its stored reply
   names a commit at or before now), a refusal's. */
static bool
s_reply_is_read(const request_t *req)
{
    if (req->check_rc != 0 || !req->checked.env.op[0])
        return false;
    const op_def_t *op = ops_find(req->checked.env.op);
    return op && !op->write;
}

/* True if req's reply goes out at once in synchronous mode: a read's, or
   `broker.promote`'s. A standby promoted has no standby of its own yet
   (the one that could follow it is the old primary, gone, which the
   operator starts --standby-of it once told of the promotion): held, the
   promotion's reply would wait for ever. The writes after it wait. */
static bool
s_reply_at_once(const request_t *req)
{
    return s_reply_is_read(req) ||
           (req->check_rc == 0 && strcmp(req->checked.env.op, "broker.promote") == 0);
}

/* True if this broker is a standby now: started --standby-of and not
   promoted since (its store's epoch says, role.h), with the store's seq,
   what the follower applied, into *seq if seq is not NULL. A broker
   started as a primary never is one, and reads nothing to say so (this
   runs for every batch in synchronous mode): epoch 0 is below any, so
   role_standby tells how it started. */
static bool
s_standby_now(broker_t *self, uint64_t *seq)
{
    MDB_txn *txn;
    if (!role_standby(self->opts.role, 0) ||
        store_begin(self->store, NULL, false, &txn) != 0)
        return false;
    bool standby = role_standby(self->opts.role, store_epoch(self->store, txn));
    if (seq)
        *seq = store_seq(self->store, txn);
    mdb_txn_abort(txn);
    return standby;
}

/* Synchronous mode: the batch's records go to the standbys now; its
   reads are answered now; its writes' replies and its events wait for a
   standby's acknowledgement of the last record made by now (which holds
   the batch's commit, and any earlier one a replayed write names). */
static void
s_hold(broker_t *self, writer_batch_t **wb_p)
{
    writer_batch_t *wb = *wb_p;
    repl_sender_t *repl = repl_sender_global();
    void *router = zsock_resolve(self->router);
    repl_sender_drain(repl, router);
    size_t kept = 0, sent = 0;
    for (size_t i = 0; i < wb->count; i++) {
        if (s_reply_at_once(wb->requests[i])) {
            s_send_reply(self, &wb->requests[i]);
            sent++;
        } else
            wb->requests[kept++] = wb->requests[i];
    }
    wb->count = kept;
    if (sync_wait_push(self->held, repl_sender_last(repl), wb, kept, nmirf_now_ms())) {
        /* No memory to hold it: not answered, as at a stop (its clients
           resend, idempotent); its events are fetched with events.since. */
        log_warnx("synchronous: no memory to hold %zu replies: dropped", kept);
        writer_batch_destroy(wb_p);
        s_answered(self, sent + kept);
        return;
    }
    *wb_p = NULL;
    s_answered(self, sent);
    s_sync_release(self);
}

/* A batch is back: its replies, then its events (at once, or in
   synchronous mode once a standby holds its commit). */
static void
s_finish(broker_t *self, writer_batch_t **wb_p)
{
    /* A standby's replies are refusals and stored replies of writes its
       store holds, and nothing follows it: synchronous mode holds none. */
    if (self->opts.synchronous && repl_sender_global() && !s_standby_now(self, NULL))
        s_hold(self, wb_p);
    else
        s_release(self, wb_p);
}

/* Reads answered by the reader threads: their replies. A request that
   comes back unanswered (a stop, readers_stop) is dropped: its client
   resends. */
static void
s_finish_reads(broker_t *self)
{
    request_t *req;
    size_t count = 0;
    while ((req = readers_next(self->readers)) != NULL) {
        if (req->reply.size)
            s_send_reply(self, &req);
        else
            request_destroy(&req);
        count++;
    }
    s_answered(self, count);
}

/* Hands a checked request to a reader thread if it is a reader-safe read,
   else to the writer thread. */
static void
s_hand_on(broker_t *self, request_t *req)
{
    if (readers_wants(self->readers, req)) {
        readers_submit(self->readers, req);
        return;
    }
    if (writer_submit(self->writer, req)) {
        log_warnx("cannot hand a request to the writer: dropped");
        request_destroy(&req);
        self->in_flight--;
    }
}

/* True if nothing else is on its way: no request waiting on the ROUTER,
   none at the verifier threads or the writer thread. */
static bool
s_quiet(broker_t *self)
{
    return writer_idle(self->writer) && verifier_idle(self->verifier) &&
           !(self->reading && (zsock_events(self->router) & ZMQ_POLLIN));
}

/* Hands every checked request, in arrival order, to the writer, or a read
   to the readers; a few lone writes, when nothing else is on its way, are
   run here at once (a hand-off would only add two thread wake-ups to
   their latency). Reads never run here when there are reader threads: a
   long one would stop this thread reading, and so the writes behind it. */
static void s_run_deadlines(broker_t *self);

static void
s_forward_ready(broker_t *self)
{
    request_t *reqs[BROKER_INLINE_MAX], *req;
    size_t n = 0;
    if (self->changelog_due && writer_idle(self->writer)) {
        /* No write transaction is open (the writer idles, and this thread
           writes only here): every commit from the next on has a record. */
        self->changelog_due = false;
        store_changelog_start(self->store);
    }
    if (self->deadlines_due || self->checkpoint_due) {
        /* Checked requests wait until the writer is idle: then the scan
           runs and its events are out (s_run_deadlines), and a checkpoint
           takes the write lock without blocking this thread behind a
           batch. */
        if (!writer_idle(self->writer))
            return;
        if (self->deadlines_due)
            s_run_deadlines(self);
        if (self->checkpoint_due) {
            self->checkpoint_due = false;
            checkpoint_write(self->store, self->opts.key);
        }
    }
    if (s_quiet(self)) {
        while (n < BROKER_INLINE_MAX && verifier_ready(self->verifier)) {
            req = verifier_next(self->verifier);
            if (readers_wants(self->readers, req))
                readers_submit(self->readers, req);
            else
                reqs[n++] = req;
        }
        if (n && !verifier_ready(self->verifier)) {
            writer_batch_t *wb = writer_run(self->writer, reqs, n);
            s_finish(self, &wb);
            return;
        }
    }
    for (size_t i = 0; i < n; i++)
        s_hand_on(self, reqs[i]);
    while ((req = verifier_next(self->verifier)) != NULL)
        s_hand_on(self, req);
}

/* True if req is a standby's acknowledgement, ["rack"][n] from a
   connection that follows (repl_sender_on_ack), taken. Anything else,
   that shape from another connection too, goes on as a request (and is
   refused as a bad one). */
static bool
s_on_ack(const request_t *req)
{
    repl_sender_t *repl = repl_sender_global();
    return repl && req->count == 2 && req->kept == 2 && !req->delimiter &&
           req->sizes[0] == 4 && memcmp(req->frames[0], "rack", 4) == 0 &&
           repl_sender_on_ack(repl, zmq_msg_data((zmq_msg_t *)&req->identity),
                              zmq_msg_size((zmq_msg_t *)&req->identity), req->frames[1],
                              req->sizes[1]);
}

/* Reader: hands every waiting request to the verifiers. Past
   BROKER_QUEUE_MAX requests in flight it stops reading the ROUTER until
   the writer has caught up (s_on_committed), so ZeroMQ's per-peer queues
   keep bounding what clients can make us hold. */
static int
s_on_requests(zloop_t *loop, zsock_t *reader, void *arg)
{
    broker_t *self = arg;
    /* All that waits first (up to a batch): then a request is known to be
       alone, and the ROUTER is asked only once whether more waits. */
    request_t *reqs[BROKER_BATCH_MAX];
    size_t n = 0, acks = 0;
    void *router = zsock_resolve(reader);
    int64_t now = nmirf_now_ms();
    /* Read only for a standby's acknowledgements (s_flow). */
    bool acks_only = self->in_flight >= BROKER_QUEUE_MAX;
    while (n < BROKER_BATCH_MAX && (reqs[n] = request_recv(router)) != NULL) {
        if (s_on_ack(reqs[n])) {
            request_destroy(&reqs[n]);
            acks++;
            continue;
        }
        if (acks_only) {
            request_destroy(&reqs[n]);
            self->shed++;
            continue;
        }
        subscribers_touch(self->subs, zmq_msg_data(&reqs[n]->identity),
                          zmq_msg_size(&reqs[n]->identity), now);
        /* Which connection is whose, for the cap on sessions. */
        if (reqs[n]->peer)
            sessions_seen(zap_sessions(self->zap), 0,
                          zmq_msg_get(&reqs[n]->parts[0], ZMQ_SRCFD), reqs[n]->peer);
        n++;
    }
    /* A lone request is checked here, at once, unless the verifiers are
       busy anyway. */
    for (size_t i = 0; i < n; i++)
        verifier_submit(self->verifier, &reqs[i], n == 1);
    self->in_flight += n;
    if (acks)
        s_sync_release(self);
    s_flow(self);
    s_forward_ready(self); /* with no verifier threads, all are checked */
    return 0;
}

/* Poller: checked requests came back from the verifiers. */
static int
s_on_verified(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    broker_t *self = arg;
    verifier_collect(self->verifier);
    s_forward_ready(self);
    return 0;
}

/* Poller: reads came back from the reader threads. */
static int
s_on_read(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_finish_reads(arg);
    return 0;
}

/* Poller: committed batches came back from the writer. */
static int
s_on_committed(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    broker_t *self = arg;
    writer_batch_t *wb;
    while ((wb = writer_next(self->writer)) != NULL)
        s_finish(self, &wb);
    s_forward_ready(self); /* checked meanwhile, held back for the writer */
    return 0;
}

/* Every BROKER_SYNC_WARN_MS while replies wait for a standby: says so,
   and how many messages were dropped unread meanwhile (s_flow). */
static void
s_sync_warn(broker_t *self)
{
    s_sync_stats(self);
    int64_t now = zclock_mono();
    size_t waiting = sync_wait_replies(self->held);
    if ((!waiting && !self->shed) || now - self->sync_warned < BROKER_SYNC_WARN_MS)
        return;
    self->sync_warned = now;
    repl_sender_t *repl = repl_sender_global();
    log_warnx("synchronous: %zu replies wait for a standby (the oldest for %lld ms; %zu "
              "following, record %llu acknowledged of %llu)",
              waiting,
              waiting ? (long long)(nmirf_now_ms() - sync_wait_oldest_ms(self->held))
                      : 0LL,
              repl ? repl_sender_followers(repl) : 0,
              (unsigned long long)(repl ? repl_sender_acked(repl) : 0),
              (unsigned long long)(repl ? repl_sender_last(repl) : 0));
    if (self->shed)
        log_warnx("synchronous: %llu requests dropped unread: %d in flight, read only "
                  "for a standby's acknowledgements",
                  (unsigned long long)self->shed, BROKER_QUEUE_MAX);
    self->shed = 0;
}

/* Timer: a heartbeat with the latest sequence number and checkpoint. */
static int
s_on_heartbeat(zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = arg;
    uint64_t seq_applied = 0;
    /* A standby's events come from its follower's commits (follower.c),
       which the broker does not see: the heartbeat names the store's seq,
       and its subscribers fetch them with events.since.
       The last event published, not the store's last: the writer may have
       committed events whose batch is not back yet, and a heartbeat ahead
       of them would send every subscriber to events.since for nothing. */
    if (s_standby_now(self, &seq_applied) && seq_applied > self->published)
        self->published = seq_applied;
    uint64_t seq = self->published;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_uint(&pk, "seq", seq);
    nmirf_mp_pack_kv_uint(&pk, "ts", nmirf_now_ms());
    /* The latest signed checkpoint at or below seq: agents keep it and
       refuse a broker whose log goes back or forks (PROTOCOL.md section
       10). Never one ahead of seq: the writer commits a batch's checkpoint
       with it, before the batch is published (and before s_finish ends
       the subscriptions its entity.revoked or entity.rotated ends), and a
       heartbeat must tell nobody of events not pushed to them. */
    nmirf_mp_pack_str(&pk, "checkpoint");
    if (checkpoint_at_most(self->store, seq, &sb))
        msgpack_pack_nil(&pk);
    zmq_send(zsock_resolve(self->pub), "hb", 2, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(zsock_resolve(self->pub), sb.data, sb.size, ZMQ_DONTWAIT);
    subscribers_push(self->subs, zsock_resolve(self->router), "hb", sb.data, sb.size);
    subscribers_expire(self->subs, nmirf_now_ms());
    /* Records of the broker's own commits (checkpoints, the deadline
       scan), and the stream's heartbeat. */
    if (repl_sender_global()) {
        repl_sender_drain(repl_sender_global(), zsock_resolve(self->router));
        repl_sender_heartbeat(repl_sender_global(), zsock_resolve(self->router), seq);
    }
    msgpack_sbuffer_destroy(&sb);
    s_sync_warn(self);
    zap_renew(self->zap, loop);
    if (sessions_trim(zap_sessions(self->zap)))
        log_debug("many connections closed: freed memory returned to the system");
    return 0;
}

/* The deadline scan (deadlines.c) writes events of its own, so it must
   not interleave with a writer batch: their sequence numbers would reach
   subscribers out of order. It runs here, on the broker's thread, only
   while the writer is idle (every batch it committed is published), and
   holds checked requests back until then (s_forward_ready). A checkpoint
   follows at once: these events have no signed request behind them, and
   the checkpoint's signature is what vouches for them in an audit. */
static void
s_run_deadlines(broker_t *self)
{
    self->deadlines_due = false;
    event_batch_t events = {0};
    if (deadlines_scan(self->store, &events, atomic_load(&self->stats.due_soon_days),
                       deadlines_now_ms()) > 0) {
        checkpoint_write(self->store, self->opts.key);
        /* A batch of events and no reply: published now, or in
           synchronous mode behind the held batches, in seq order. */
        writer_batch_t *wb = calloc(1, sizeof *wb);
        if (wb) {
            wb->events = events;
            s_finish(self, &wb);
            return;
        }
        event_batch_publish(&events, self->pub);
        subscribers_push_events(self->subs, zsock_resolve(self->router), &events);
        self->published = events.items[events.count - 1].seq;
    }
    event_batch_free(&events);
}

/* True while the broker takes no writes (role.h): a standby, whose
   store is to stay the primary's (a promotion ends it), or an old primary
   fenced by a higher epoch, whose log a new primary continues. It writes
   nothing of its own then: no checkpoint, no deadline event. */
static bool
s_standby(broker_t *self)
{
    MDB_txn *txn;
    if (!self->opts.role)
        return false;
    if (store_begin(self->store, NULL, false, &txn) != 0)
        return true; /* unreadable now: write nothing */
    char primary[ROLE_ENDPOINT_MAX], why[256];
    bool standby = !role_may_write(self->opts.role, store_epoch(self->store, txn),
                                   primary, sizeof primary, why, sizeof why);
    mdb_txn_abort(txn);
    return standby;
}

/* Timer: asks for a checkpoint, at once if the writer is idle. */
static int
s_on_checkpoint(zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = arg;
    if (s_standby(self))
        return 0;
    self->checkpoint_due = true;
    s_forward_ready(self);
    return 0;
}

/* Timer: asks for a deadline scan, at once if the writer is idle. */
static int
s_on_deadlines(zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = arg;
    if (s_standby(self))
        return 0;
    self->deadlines_due = true;
    s_forward_ready(self);
    return 0;
}

broker_t *
broker_new(store_t *store, const broker_opts_t *opts, char *why, size_t whylen)
{
    broker_t *self = zmalloc(sizeof *self);
    self->store = store;
    self->stats.started = nmirf_now_ms();
    self->stats.health = health_new();
    self->stats.role = opts->role;
    self->subs = subscribers_new(subscribers_ttl_ms());
    self->held = sync_wait_new();
    self->opts = *opts;
    if (!self->opts.slow_commit_ms)
        self->opts.slow_commit_ms = BROKER_SLOW_COMMIT_MS;
    if (!self->opts.checkpoint_interval_ms)
        self->opts.checkpoint_interval_ms = CHECKPOINT_INTERVAL_MS;
    if (!self->opts.due_soon_days)
        self->opts.due_soon_days = DEADLINES_DUE_SOON_DAYS;
    atomic_init(&self->stats.slow_commit_ms, self->opts.slow_commit_ms);
    atomic_init(&self->stats.due_soon_days, self->opts.due_soon_days);
    atomic_init(&self->stats.request_window_s, self->opts.request_window_s);
    char path[4096], text[600];
    memcpy(self->curve_sk, opts->key->curve_sk, sizeof self->curve_sk);
    /* The handler first: a CURVE server with no ZAP handler bound would
       let any CURVE client in. */
    self->zap = zap_new(store, why, whylen);
    if (!self->zap)
        goto fail;
    /* The cap on sessions per entity counts the connections the monitors
       see (sessions.h). */
    sessions_set_cap(zap_sessions(self->zap), opts->max_sessions);
    if (self->stats.health) {
        health_set_sessions(self->stats.health, zap_sessions(self->zap));
        sessions_set_drain(zap_sessions(self->zap), health_drain, self->stats.health);
    }
    self->loop = zloop_new();
    if (s_sockets_open(self, opts->request_ep, opts->events_ep, why, whylen))
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
    MDB_txn *txn;
    if (store_begin(store, NULL, false, &txn) == 0) {
        self->published = store_seq(store, txn); /* all of it, before us */
        mdb_txn_abort(txn);
    }
    if (!self->held) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    s_sync_stats(self);
    self->verifier = verifier_new(store, opts->verifiers);
    self->writer = writer_new(store, &self->stats, self->opts.key);
    self->readers = readers_new(store, &self->stats, opts->readers);
    if (!self->verifier || !self->writer || !self->readers) {
        snprintf(why, whylen,
                 "cannot start the writer, %d verifier threads and %d reader threads",
                 opts->verifiers, opts->readers);
        goto fail;
    }
    zloop_reader(self->loop, zap_sock(self->zap), zap_on_request, self->zap);
    zloop_reader(self->loop, self->router, s_on_requests, self);
    self->reading = true;
    zmq_pollitem_t verified = {NULL, verifier_results(self->verifier), ZMQ_POLLIN, 0};
    zmq_pollitem_t committed = {NULL, writer_done(self->writer), ZMQ_POLLIN, 0};
    if (verified.fd >= 0)
        zloop_poller(self->loop, &verified, s_on_verified, self);
    zmq_pollitem_t read = {NULL, readers_done(self->readers), ZMQ_POLLIN, 0};
    if (read.fd >= 0)
        zloop_poller(self->loop, &read, s_on_read, self);
    zloop_poller(self->loop, &committed, s_on_committed, self);
    zloop_timer(self->loop, BROKER_HEARTBEAT_MS, 0, s_on_heartbeat, self);
    self->checkpoint_timer = zloop_timer(self->loop, self->opts.checkpoint_interval_ms, 0,
                                         s_on_checkpoint, self);
    zloop_timer(self->loop, deadlines_period_ms(), 0, s_on_deadlines, self);
    return self;
fail:
    broker_destroy(&self);
    return NULL;
}

/* At a stop, in synchronous mode, for at most BROKER_STOP_ACK_MS while
   replies are held: reads the ROUTER for a standby's acknowledgements
   (the records went to it as their batches came back) and sends what
   they release. Every other message read is dropped, as at any stop
   (its client resends). */
static void
s_stop_acks(broker_t *self)
{
    void *router = zsock_resolve(self->router);
    zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
    int64_t deadline = zclock_mono() + BROKER_STOP_ACK_MS;
    while (self->opts.synchronous && sync_wait_count(self->held)) {
        int64_t left = deadline - zclock_mono();
        int rc = left > 0 ? zmq_poll(&item, 1, (long)left) : 0;
        if (rc < 0 && zmq_errno() == EINTR)
            continue;
        if (rc <= 0)
            break;
        request_t *req;
        while ((req = request_recv(router)) != NULL) {
            s_on_ack(req);
            request_destroy(&req);
        }
        s_sync_release(self);
    }
}

/* sync_wait's free function: a held batch, unanswered. */
static void
s_batch_free(void *item)
{
    writer_batch_t *wb = item;
    writer_batch_destroy(&wb);
}

int
broker_run(broker_t *self)
{
    zloop_start(self->loop); /* returns on SIGINT/SIGTERM (CZMQ's handler) */
    /* From here on a second signal must not cut a wait short on this
       thread: not the drain below, not zactor_destroy's wait for the
       writer and verifier threads in broker_destroy (freeing them while
       they run). The signals go to other threads, which ignore them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    /* Stop: batches the writer holds commit; answer and publish them
       before closing. The reads the reader threads are running are
       answered too; the reads waiting for them, and requests not yet
       handed to a thread, get no answer (their clients resend the same
       bytes: idempotent). */
    size_t answered = 0, held_before = sync_wait_replies(self->held);
    readers_stop(self->readers);
    zmq_pollitem_t items[2] = {{NULL, writer_done(self->writer), ZMQ_POLLIN, 0},
                               {NULL, readers_done(self->readers), ZMQ_POLLIN, 0}};
    int nitems = items[1].fd >= 0 ? 2 : 1;
    int64_t deadline = zclock_mono() + BROKER_STOP_WAIT_MS;
    while (!writer_idle(self->writer) || !readers_idle(self->readers)) {
        int64_t left = deadline - zclock_mono();
        int rc = left > 0 ? zmq_poll(items, nitems, (long)left) : 0;
        if (rc < 0 && zmq_errno() == EINTR)
            continue;
        if (rc <= 0) {
            log_warnx("stopping: the writer or a reader did not hand back its "
                      "requests within %d ms",
                      BROKER_STOP_WAIT_MS);
            break;
        }
        writer_batch_t *wb;
        while ((wb = writer_next(self->writer)) != NULL) {
            answered += wb->count;
            s_finish(self, &wb);
        }
        s_finish_reads(self);
    }
    s_stop_acks(self);
    /* Replies no standby acknowledged are not given: their writes may be
       lost with this machine; their clients resend (idempotent). */
    size_t dropped = sync_wait_replies(self->held);
    if (dropped) {
        size_t ours = dropped > held_before ? dropped - held_before : 0;
        answered -= ours < answered ? ours : answered;
        log_warnx("stopping: %zu replies no standby acknowledged are not sent", dropped);
    }
    sync_wait_destroy(&self->held, s_batch_free);
    self->stopped_answered = answered;
    if (writer_idle(self->writer)) /* else the writer still counts */
        log_info("stopping: %llu requests answered, %llu writes in %llu commits",
                 (unsigned long long)self->stats.requests,
                 (unsigned long long)self->stats.writes,
                 (unsigned long long)self->stats.commits);
    return 0;
}

size_t
broker_stop_answered(const broker_t *self)
{
    return self->stopped_answered;
}

zloop_t *
broker_loop(broker_t *self)
{
    return self->loop;
}

void
broker_configure(broker_t *self, const broker_opts_t *opts)
{
    if (opts->slow_commit_ms) {
        self->opts.slow_commit_ms = opts->slow_commit_ms;
        atomic_store(&self->stats.slow_commit_ms, opts->slow_commit_ms);
    }
    if (opts->due_soon_days) {
        self->opts.due_soon_days = opts->due_soon_days;
        atomic_store(&self->stats.due_soon_days, opts->due_soon_days);
    }
    self->opts.request_window_s = opts->request_window_s;
    atomic_store(&self->stats.request_window_s, opts->request_window_s);
    if (opts->synchronous != self->opts.synchronous) {
        self->opts.synchronous = opts->synchronous;
        log_info("synchronous replication %s", opts->synchronous ? "on" : "off");
        if (opts->synchronous && !store_changelog_on(self->store)) {
            self->changelog_due = true;
            s_forward_ready(self);
        }
        s_sync_release(self); /* off: everything held goes now */
        s_flow(self);
    }
    if (opts->max_sessions)
        sessions_set_cap(zap_sessions(self->zap), opts->max_sessions);
    if (opts->checkpoint_interval_ms &&
        opts->checkpoint_interval_ms != self->opts.checkpoint_interval_ms) {
        /* zloop cannot change a timer's period: replace it. */
        zloop_timer_end(self->loop, self->checkpoint_timer);
        self->opts.checkpoint_interval_ms = opts->checkpoint_interval_ms;
        self->checkpoint_timer = zloop_timer(
            self->loop, self->opts.checkpoint_interval_ms, 0, s_on_checkpoint, self);
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
    writer_destroy(&self->writer); /* first: it may be using the verifier's requests */
    readers_destroy(&self->readers);
    verifier_destroy(&self->verifier);
    sync_wait_destroy(&self->held, s_batch_free);
    zsock_destroy(&self->router);
    zsock_destroy(&self->pub);
    subscribers_destroy(&self->subs);
    health_destroy(&self->stats.health); /* after the sockets it monitors */
    zap_destroy(&self->zap);             /* last: it vets the servers' handshakes */
    sodium_memzero(self->curve_sk, sizeof self->curve_sk);
    free(self);
    *self_p = NULL;
}
