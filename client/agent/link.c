/*  link - the agent's connection to the broker.

    ONE socket: a DEALER, a CurveZMQ client with the entity's CURVE pair
    and the broker's public key (-S). Everything goes through it: the
    outbox's submissions and the pings, sent without waiting; the
    replica's reads (snapshot, events.since), sent, their replies awaited
    without blocking the loop; and the
    events and heartbeats the broker pushes after our `subscribe`
    (PROTOCOL.md section 6). libzmq holds about 41 KiB at the broker per
    CURVE connection: one per agent instead of two (a SUB and a DEALER)
    is what lets a broker carry 1,000 agents in under 64 MiB.

    A reply is one frame, a pushed message two ([topic][event], as on the
    broker's PUB), so frame counts tell them apart. Replies go to the
    reply callback (agent_main.c gives them to the outbox) or, for our
    `subscribe`, are handled here; pushes are read by the replica
    (link_next_push) when the pushed callback says they wait. A read
    (link_read_start) does not block the loop: it is sent, and its reply,
    matched by request id, or its timer ends it (the read's callback).
    Meanwhile the loop serves the control socket, pushes are stashed for
    the replica to apply after the read, in order, and other replies are
    delivered at once.

    The subscription lasts as long as the connection at the broker: a
    broker restart, or 30 s without a request, ends it while the DEALER
    reconnects by itself. So whenever nothing was pushed for
    AGENT_STALE_MS (heartbeats come every second), the agent subscribes
    again; the reply's seq tells the replica what it may have missed.
    Pings every AGENT_REPORT_MS keep the subscription from expiring (the
    broker drops one with no request for 30 s).

    A failed read (a timeout) is not retried at once: heartbeats may keep
    coming from a broker that cannot answer (or that were queued while we
    waited), and each try would keep the replica waiting its whole
    timeout. So
    after a failure the broker counts as unreachable, the messages already
    waiting are drained without counting as contact (the caller,
    replica.c, does that with link_hold_contact), and no read is tried for 1 s,
    then 2, 4 ... up to 60 s, whatever heartbeats say. A read that
    succeeds resets the wait.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link_private.h"

#include "nmirf_client.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

/* What arrives while a snapshot or a catch-up read is in flight is kept
   (in the DEALER, or stashed); past this the excess is dropped, and the
   gap is fetched again. */
#define PUSH_HWM 200000
#define READ_BATCH 1000        /* messages read per wake-up while a read is in flight */
#define SUBSCRIBE_RETRY_MS 200 /* after a subscribe that could not be sent */

/* Makes self->dealer, its monitor, and connects it. Returns 0 or -1. */
static int
s_dealer_open(link_t *self)
{
    const nmirf_broker_t *b = &self->conf->brokers.at[self->cur];
    self->opened_at = zclock_mono();
    self->dealer = zsock_new(ZMQ_DEALER);
    if (!self->dealer ||
        nmirf_client_curve(self->dealer, &self->conf->key, b->curve_pk) != 0)
        return -1;
    zsock_set_rcvhwm(self->dealer, PUSH_HWM);
    /* immediate: a send with no live connection fails at once instead of
       queueing in ZeroMQ; the outbox keeps it and resends later. */
    zsock_set_immediate(self->dealer, 1);
    zsock_set_sndtimeo(self->dealer, 0);
    zsock_set_linger(self->dealer, 0);
    link_monitor_open(self); /* before connecting: no handshake missed (only reports) */
    if (zsock_connect(self->dealer, "%s", b->endpoint) != 0) {
        log_warnx("cannot connect to request endpoint %s", b->endpoint);
        return -1;
    }
    return 0;
}

const char *
link_endpoint(const link_t *self)
{
    return self->conf->brokers.at[self->cur].endpoint;
}

static int s_on_dealer(zloop_t *loop, zsock_t *dealer, void *arg);

link_t *
link_new(const agent_conf_t *conf, zloop_t *loop, const link_events_t *events)
{
    link_t *self = calloc(1, sizeof *self);
    if (!self) {
        log_warnx("link: out of memory");
        return NULL;
    }
    self->conf = conf;
    self->loop = loop;
    self->events = *events;
    self->key_retry_timer = -1; /* link_monitor.c */
    self->zap_retry_timer = -1;
    self->hs_timer = -1;
    self->read_timer = -1;
    self->stash = zlist_new();
    self->replies = zlist_new();
    if (!self->stash || !self->replies) {
        log_warnx("link: out of memory");
        link_destroy(&self);
    }
    return self;
}

int
link_connect(link_t *self)
{
    if (s_dealer_open(self) != 0)
        return -1;
    zloop_reader(self->loop, self->dealer, s_on_dealer, self);
    return 0;
}

int
link_reopen(link_t *self)
{
    zloop_reader_end(self->loop, self->dealer);
    link_monitor_close(self);
    zsock_destroy(&self->dealer);
    self->subscribed = false; /* the subscription lived on the old connection */
    if (s_dealer_open(self) != 0)
        return -1;
    zloop_reader(self->loop, self->dealer, s_on_dealer, self);
    return 0;
}

void
link_destroy(link_t **self_p)
{
    link_t *self = *self_p;
    if (!self)
        return;
    link_monitor_close(self);
    if (self->read_timer != -1)
        zloop_timer_end(self->loop, self->read_timer);
    if (self->dealer)
        zloop_reader_end(self->loop, self->dealer);
    zsock_destroy(&self->dealer);
    zmsg_t *msg;
    while (self->stash && (msg = zlist_pop(self->stash)) != NULL)
        zmsg_destroy(&msg);
    zlist_destroy(&self->stash);
    nmirf_reply_t *r;
    while (self->replies && (r = zlist_pop(self->replies)) != NULL)
        nmirf_reply_destroy(&r);
    zlist_destroy(&self->replies);
    free(self);
    *self_p = NULL;
}

void
link_contact(link_t *self)
{
    if (!self->contact_hold)
        self->last_contact = self->last_heard = zclock_mono();
}

bool
link_may_read(const link_t *self)
{
    /* Subscribed first (Clone pattern): every event after a snapshot's or
       a page's sequence is then either pushed or fetched again. */
    return !self->reading && link_reachable(self) && self->subscribed &&
           zclock_mono() >= self->read_next;
}

void
link_read_failed(link_t *self)
{
    if (self->read_backoff_ms < AGENT_RETRY_FIRST_MS)
        self->read_backoff_ms = AGENT_RETRY_FIRST_MS;
    self->read_next = zclock_mono() + self->read_backoff_ms;
    log_info("next read from the broker in %d s", self->read_backoff_ms / 1000);
    self->read_backoff_ms = self->read_backoff_ms * 2 > AGENT_RETRY_MAX_MS
                                ? AGENT_RETRY_MAX_MS
                                : self->read_backoff_ms * 2;
}

bool
link_reachable(const link_t *self)
{
    return self->last_contact && zclock_mono() - self->last_contact < AGENT_STALE_MS;
}

/* Signs op with body (NULL: {}) as our entity under request id id and
   sends it without waiting. Returns 0, or -1 if it could not be sent (no
   connection: ZMQ_IMMEDIATE). */
static int
s_send_as(link_t *self, const char *op, const uint8_t *body, size_t len,
          const uint8_t id[NMIRF_ID_LEN], uint64_t *ts_out)
{
    uint8_t sig[NMIRF_SIG_LEN], *env = NULL;
    size_t env_len = 0;
    uint64_t ts = nmirf_now_ms();
    if (nmirf_request_encode(op, id, self->conf->key.entity, ts, body, len,
                             self->conf->key.sign_sk, &env, &env_len, sig))
        return -1;
    int rc = link_send(self, env, env_len, sig);
    free(env);
    if (rc != 0)
        return -1;
    if (ts_out)
        *ts_out = ts;
    return 0;
}

/* s_send_as under a fresh id (into id). */
static int
s_send(link_t *self, const char *op, const uint8_t *body, size_t len,
       uint8_t id[NMIRF_ID_LEN], uint64_t *ts_out)
{
    nmirf_random_id(id, NMIRF_ID_LEN);
    return s_send_as(self, op, body, len, id, ts_out);
}

/* The reply of our `subscribe`: pushes come from now on. Its seq is the
   broker's latest as of the subscription; anything after the replica's
   sequence up to it is fetched with events.since. */
static void
s_on_subscribed(link_t *self, const nmirf_reply_t *r)
{
    self->sub_pending = false;
    if (!r->ok) {
        log_warnx("subscribe refused: %s: %s", r->code_name, r->message);
        return; /* tried again after AGENT_STALE_MS (link_subscribe) */
    }
    if (!self->subscribed)
        log_info("subscribed to events at sequence %llu", (unsigned long long)r->seq);
    self->subscribed = true;
    self->last_push = zclock_mono();
    self->events.subscribed(r->seq, self->events.arg);
}

static void s_read_end(link_t *self, nmirf_reply_t *r, const char *why);

/* Decides to move to another broker (link_failover does it, from the
   tick): the one named by primary (a string: an endpoint the broker gave)
   if it is in our list and not this one, else the next in the list. */
static void
s_want_broker(link_t *self, const msgpack_object *primary, const char *why)
{
    size_t n = self->conf->brokers.n;
    if (n < 2 || self->switch_pending)
        return;
    char ep[NMIRF_BROKER_ENDPOINT_MAX] = "";
    if (primary && primary->type == MSGPACK_OBJECT_STR)
        nmirf_mp_strcpy(primary, ep, sizeof ep);
    int i = nmirf_brokers_find(&self->conf->brokers, ep);
    size_t to = i >= 0 && (size_t)i != self->cur ? (size_t)i : (self->cur + 1) % n;
    log_info("the broker at %s: %s; moving to %s", link_endpoint(self), why,
             self->conf->brokers.at[to].endpoint);
    self->switch_to = to;
    self->switch_pending = true;
}

/* Our ping's reply (link_report): which broker this is. A standby, a
   fenced broker or one at an epoch below one seen elsewhere takes no
   write: move on. The highest epoch seen goes in the next pings, which
   fence an old primary that has not heard of it (docs/REPLICATION.md). */
static void
s_on_ping(link_t *self, const nmirf_reply_t *r)
{
    if (!r->ok || r->body.type != MSGPACK_OBJECT_MAP)
        return;
    const msgpack_object *role = nmirf_mp_get(&r->body, "role");
    const msgpack_object *epoch = nmirf_mp_get(&r->body, "epoch");
    if (!role || !epoch || epoch->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return; /* a broker from before roles: a primary alone */
    bool primary = nmirf_mp_str_is(role, "primary");
    bool fenced = nmirf_mp_get(&r->body, "fenced") &&
                  nmirf_mp_get(&r->body, "fenced")->type != MSGPACK_OBJECT_NIL;
    if (primary && !fenced && epoch->via.u64 > self->epoch_seen) {
        if (self->epoch_seen)
            log_info("the broker at %s is the primary at epoch %llu", link_endpoint(self),
                     (unsigned long long)epoch->via.u64);
        self->epoch_seen = epoch->via.u64;
        snprintf(self->epoch_at, sizeof self->epoch_at, "%s", link_endpoint(self));
    }
    if (!primary || fenced)
        s_want_broker(self, nmirf_mp_get(&r->body, "primary"),
                      primary ? "it is fenced" : "it is a standby");
    else if (epoch->via.u64 < self->epoch_seen) {
        msgpack_object at = {
            .type = MSGPACK_OBJECT_STR,
            .via.str = {(uint32_t)strlen(self->epoch_at), self->epoch_at}};
        s_want_broker(self, &at, "its epoch is below one seen");
    }
}

/* A reply: the one the read in flight waits for (it ends the read), ours
   to `subscribe`, or one for the reply callback (the outbox's, a control
   `ask`'s; a ping's reply matches none and is dropped there). Takes
   *r_p. */
static void
s_deliver(link_t *self, nmirf_reply_t **r_p)
{
    nmirf_reply_t *r = *r_p;
    bool ours =
        self->reading && r->has_id && memcmp(r->id, self->read_id, NMIRF_ID_LEN) == 0;
    /* Every reply was decoded with its body packed (s_reply_of); all but
       a lazy read's get it unpacked here. */
    if (!(ours && self->read_lazy) && nmirf_reply_unpack_body(r) != 0) {
        log_warnx("unreadable reply body from the broker");
        nmirf_reply_destroy(r_p);
        return;
    }
    if (ours) {
        *r_p = NULL;
        s_read_end(self, r, NULL);
        return;
    }
    link_contact(self);
    self->events.seq(r->seq, self->events.arg);
    if (self->ping_sent && r->has_id && memcmp(r->id, self->ping_id, NMIRF_ID_LEN) == 0)
        s_on_ping(self, r);
    else if (!r->ok && r->code == NMIRF_E_NOT_PRIMARY)
        s_want_broker(self, nmirf_mp_get(&r->body, "primary"), "it is not the primary");
    if (self->sub_pending && r->has_id &&
        memcmp(r->id, self->sub_id, NMIRF_ID_LEN) == 0) {
        s_on_subscribed(self, r);
        nmirf_reply_destroy(r_p);
    } else
        self->events.reply(r_p, self->events.arg);
}

/* Frees the frame a reply was decoded from (nmirf_reply_destroy). */
static void
s_frame_free(void *frame)
{
    zframe_t *f = frame;
    zframe_destroy(&f);
}

/* Decodes a one-frame message as a reply (NULL, logged, if it is not),
   its body left packed until s_deliver knows whose it is: a snapshot's
   tens of MiB are never made a tree. */
static nmirf_reply_t *
s_reply_of(zmsg_t **msg_p)
{
    /* The reply keeps the frame (no copy of tens of MiB). */
    zframe_t *frame = zmsg_pop(*msg_p);
    zmsg_destroy(msg_p);
    char why[128] = "";
    nmirf_reply_t *r = nmirf_reply_decode_lazy(zframe_data(frame), zframe_size(frame),
                                               frame, s_frame_free, why, sizeof why);
    if (!r)
        log_warnx("unreadable reply from the broker: %s", why);
    return r;
}

/* A pushed message was read off the socket: the subscription is alive. */
static void
s_pushed(link_t *self)
{
    self->last_push = zclock_mono();
}

zmsg_t *
link_next_push(link_t *self)
{
    zmsg_t *msg = zlist_pop(self->stash);
    if (msg)
        return msg;
    while (zsock_events(self->dealer) & ZMQ_POLLIN) {
        if (!(msg = zmsg_recv(self->dealer)))
            return NULL;
        if (zmsg_size(msg) == 2) {
            s_pushed(self);
            return msg;
        }
        if (zmsg_size(msg) != 1) {
            log_warnx("a %zu-frame message from the broker dropped", zmsg_size(msg));
            zmsg_destroy(&msg);
            continue;
        }
        /* The replica may hold a write transaction now: the outbox's
           would wait for it (LMDB, one writer). Delivered by
           link_flush_replies once it has committed. */
        nmirf_reply_t *r = s_reply_of(&msg);
        if (r)
            zlist_append(self->replies, r);
    }
    return NULL;
}

bool
link_stashed(const link_t *self)
{
    return zlist_size(self->stash) > 0;
}

void
link_flush_replies(link_t *self)
{
    nmirf_reply_t *r;
    while ((r = zlist_pop(self->replies)) != NULL)
        s_deliver(self, &r);
}

static void s_stash(link_t *self, zmsg_t *msg);

/* zloop reader of the DEALER. While a read is in flight, pushes are
   stashed (the replica applies them after the read, in order) and
   replies delivered, the read's ending it: at most READ_BATCH messages a
   wake-up, so the control socket gets its turn. Otherwise pushed events
   are read by the pushed callback (the replica), then the replies met on
   the way are delivered. */
static int
s_on_dealer(zloop_t *loop, zsock_t *dealer, void *arg)
{
    (void)loop;
    (void)dealer;
    link_t *self = arg;
    for (int n = 0;
         self->reading && n < READ_BATCH && (zsock_events(self->dealer) & ZMQ_POLLIN);
         n++) {
        zmsg_t *msg = zmsg_recv(self->dealer);
        if (!msg)
            break;
        if (zmsg_size(msg) == 2) {
            s_stash(self, msg);
            continue;
        }
        if (zmsg_size(msg) != 1) {
            log_warnx("a %zu-frame message from the broker dropped", zmsg_size(msg));
            zmsg_destroy(&msg);
            continue;
        }
        nmirf_reply_t *r = s_reply_of(&msg);
        if (r)
            s_deliver(self, &r); /* no transaction is open during a read */
    }
    if (self->reading)
        return 0;
    self->events.pushed(self->events.arg); /* reads pushes, flushes the replies met */
    link_flush_replies(self);
    return 0;
}

/* Sends `subscribe` (again under the same id while one is unanswered:
   any of its replies, however late, is the answer; a fresh id each time
   would throw away every reply that came after the next resend). Returns
   0, or -1 if it could not be sent (no connection yet). */
static int
s_subscribe_send(link_t *self)
{
    if (!self->sub_pending)
        nmirf_random_id(self->sub_id, NMIRF_ID_LEN);
    if (s_send_as(self, "subscribe", NULL, 0, self->sub_id, NULL) != 0)
        return -1;
    self->sub_pending = true;
    self->sub_next = zclock_mono() + AGENT_STALE_MS; /* unanswered: again after this */
    return 0;
}

void
link_subscribe(link_t *self)
{
    int64_t now = zclock_mono();
    /* Messages not read yet (after a pause, a long snapshot) are most
       likely pushes: nothing is stale, and a reply would wait behind
       them anyway. */
    bool unread = link_stashed(self) || (zsock_events(self->dealer) & ZMQ_POLLIN);
    if (self->subscribed && !unread && now - self->last_push >= AGENT_STALE_MS) {
        log_info("nothing pushed by the broker for %d ms: subscribing again",
                 (int)(now - self->last_push));
        self->subscribed = false;
    }
    if (self->subscribed || now < self->sub_next)
        return;
    if (self->sub_pending && unread) {
        self->sub_next = now + AGENT_STALE_MS; /* its reply may be among them */
        return;
    }
    if (s_subscribe_send(self) != 0)
        self->sub_next = now + SUBSCRIBE_RETRY_MS; /* no connection yet */
}

void
link_on_handshake(link_t *self)
{
    /* A new connection: the first subscribe goes now rather than at the
       next tick (up to AGENT_TICK_MS later, on a new agent's path to its
       snapshot). A failure leaves it to the tick, with no retry delay. */
    if (!self->subscribed && !self->sub_pending)
        s_subscribe_send(self);
    /* Several brokers: which one is this? Its ping's reply says (the
       next tick sends it). */
    if (self->conf->brokers.n > 1)
        self->report_next = 0;
}

void
link_failover(link_t *self)
{
    size_t n = self->conf->brokers.n;
    if (n < 2)
        return;
    /* Any sign counts: a reply, or a push (stashed during a read, which
       counts no contact); a read in flight ends by its own timeout. */
    int64_t now = zclock_mono();
    int64_t since =
        self->last_heard > self->opened_at ? self->last_heard : self->opened_at;
    if (self->last_push > since)
        since = self->last_push;
    if (!self->switch_pending && !self->reading && now - since >= AGENT_FAILOVER_MS) {
        log_info("no sign of the broker at %s for %d ms; moving to %s",
                 link_endpoint(self), (int)(now - since),
                 self->conf->brokers.at[(self->cur + 1) % n].endpoint);
        self->switch_to = (self->cur + 1) % n;
        self->switch_pending = true;
    }
    if (!self->switch_pending)
        return;
    self->switch_pending = false;
    /* A read in flight went to the old broker: it ends now, failed (the
       replica asks again, of the new one, after its backoff). */
    if (self->reading)
        s_read_end(self, NULL, "moved to another broker");
    self->cur = self->switch_to;
    self->sub_pending = false;
    self->ping_sent = false;
    self->last_contact = 0;
    if (link_reopen(self) != 0)
        log_warnx("cannot connect to %s; trying again", link_endpoint(self));
}

/* Keeps a pushed message that came while a read waited, for the replica
   (link_next_push gives it first). */
static void
s_stash(link_t *self, zmsg_t *msg)
{
    s_pushed(self);
    if (zlist_size(self->stash) >= PUSH_HWM) {
        zmsg_destroy(&msg); /* a gap the replica will notice and fetch */
        return;
    }
    zlist_append(self->stash, msg);
}

/* Ends the read in flight with its reply r (taken), or NULL and why it
   failed, and tells its callback. */
static void
s_read_end(link_t *self, nmirf_reply_t *r, const char *why)
{
    link_read_fn *done = self->read_done;
    void *arg = self->read_arg;
    self->reading = false;
    self->read_done = NULL;
    if (self->read_timer != -1) {
        zloop_timer_end(self->loop, self->read_timer);
        self->read_timer = -1;
    }
    if (!r) {
        log_warnx("%s: %s", self->read_op, why);
        self->last_contact = 0; /* only what comes after this counts */
        link_read_failed(self);
    } else {
        link_contact(self);
        self->events.seq(r->seq, self->events.arg);
        if (link_stashed(self))
            log_debug("%s: %zu pushed messages kept while waiting", self->read_op,
                      zlist_size(self->stash));
        if (!r->ok) {
            log_warnx("%s refused: %s: %s", self->read_op, r->code_name, r->message);
            nmirf_reply_destroy(&r);
            link_read_failed(self); /* asking again at once would be refused again */
        } else
            self->read_backoff_ms = AGENT_RETRY_FIRST_MS;
    }
    done(r, arg);
}

/* zloop timer: the read in flight got no reply within its timeout. */
static int
s_on_read_timeout(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    link_t *self = arg;
    self->read_timer = -1; /* a one-shot timer: zloop ends it */
    if (self->reading) {
        char why[64];
        snprintf(why, sizeof why, "no reply within %d ms", self->read_timeout_ms);
        s_read_end(self, NULL, why);
    }
    return 0;
}

int
link_read_start(link_t *self, const char *op, const uint8_t *body, size_t len,
                int timeout_ms, bool lazy_body, link_read_fn *done, void *arg)
{
    if (self->reading) {
        log_warnx("%s: a read is already in flight", op);
        return -1;
    }
    snprintf(self->read_op, sizeof self->read_op, "%s", op);
    self->read_timeout_ms = timeout_ms;
    if (s_send(self, op, body, len, self->read_id, NULL) != 0) {
        log_warnx("%s: not connected to the broker", op);
        self->last_contact = 0;
        link_read_failed(self);
        return -1;
    }
    self->read_timer =
        zloop_timer(self->loop, (size_t)timeout_ms, 1, s_on_read_timeout, self);
    if (self->read_timer == -1) {
        log_warnx("%s: cannot set its timer", op);
        link_read_failed(self);
        return -1;
    }
    self->reading = true;
    self->read_lazy = lazy_body;
    self->read_done = done;
    self->read_arg = arg;
    return 0;
}

bool
link_reading(const link_t *self)
{
    return self->reading;
}

size_t
link_broker(const link_t *self)
{
    return self ? self->cur : 0;
}

const uint8_t *
link_sign_pk(const link_t *self)
{
    return self && self->conf->brokers.n > 1 ? self->conf->brokers.at[self->cur].sign_pk
                                             : NULL;
}

void
link_report(link_t *self, size_t pending)
{
    int64_t now = zclock_mono();
    /* A change is reported within a second (not at once: a burst of
       submissions would make a ping each); otherwise every period. */
    bool changed = pending != self->reported_outbox && self->reported_at;
    if (now < self->report_next &&
        !(changed && now >= self->report_next - AGENT_REPORT_MS + 1000))
        return;
    self->report_next = now + AGENT_REPORT_MS;
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    /* With the highest epoch seen, where: a broker below it is fenced. */
    msgpack_pack_map(&pk, self->epoch_seen ? 3 : 1);
    nmirf_mp_pack_kv_uint(&pk, "outbox", pending);
    if (self->epoch_seen) {
        nmirf_mp_pack_kv_uint(&pk, "epoch", self->epoch_seen);
        nmirf_mp_pack_kv_str(&pk, "primary", self->epoch_at);
    }
    uint64_t ts = 0;
    int rc = s_send(self, "ping", (uint8_t *)body.data, body.size, self->ping_id, &ts);
    msgpack_sbuffer_destroy(&body);
    /* No connection: dropped, and tried again in a second. */
    if (rc != 0)
        self->report_next = now + 1000;
    else {
        self->ping_sent = true;
        self->reported_at = (int64_t)ts;
        self->reported_outbox = pending;
    }
}

int
link_send(link_t *self, const uint8_t *env, size_t env_len,
          const uint8_t sig[NMIRF_SIG_LEN])
{
    zmsg_t *msg = self->dealer ? zmsg_new() : NULL;
    if (!msg)
        return -1;
    zmsg_addmem(msg, env, env_len);
    zmsg_addmem(msg, sig, NMIRF_SIG_LEN);
    if (zmsg_send(&msg, self->dealer) != 0) {
        zmsg_destroy(&msg);
        return -1;
    }
    return 0;
}

void
link_hold_contact(link_t *self, bool hold)
{
    self->contact_hold = hold;
}

void
link_status(const link_t *self, link_status_t *st)
{
    st->reachable = link_reachable(self);
    st->key_refused = self->key_refused;
    st->last_contact = self->last_contact;
    st->last_heard = self->last_heard;
    st->reported_at = self->reported_at;
}
