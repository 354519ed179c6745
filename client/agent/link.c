/*  link - the agent's connection to the broker.

    ONE socket: a DEALER, a CurveZMQ client with the entity's CURVE pair
    and the broker's public key (-S). Everything goes through it: the
    outbox's submissions and the pings, sent without waiting; the
    replica's reads (snapshot, events.since), sent and waited for; and the
    events and heartbeats the broker pushes after our `subscribe`
    (PROTOCOL.md section 6). libzmq holds about 41 KiB at the broker per
    CURVE connection: one per agent instead of two (a SUB and a DEALER)
    is what lets a broker carry 1,000 agents in under 64 MiB.

    A reply is one frame, a pushed message two ([topic][event], as on the
    broker's PUB), so frame counts tell them apart. Replies go to the
    outbox (or, for our `subscribe`, here), pushes to the replica
    (link_next_push). A blocking read waits for the reply with its request
    id; what arrives meanwhile is not lost: pushes are stashed for the
    replica to apply after, in order, and other replies are handed to the
    outbox at once.

    The subscription lasts as long as the connection at the broker: a
    broker restart, or 30 s without a request, ends it while the DEALER
    reconnects by itself. So whenever nothing was pushed for
    AGENT_STALE_MS (heartbeats come every second), the agent subscribes
    again; the reply's seq tells the replica what it may have missed.
    Pings every AGENT_REPORT_MS keep the subscription from expiring (the
    broker drops one with no request for 30 s).

    A failed read (a timeout) is not retried at once: heartbeats may keep
    coming from a broker that cannot answer (or that were queued while we
    waited), and each try would hold the loop for its whole timeout. So
    after a failure the broker counts as unreachable, the messages already
    waiting are drained without counting as contact (the caller,
    replica.c, does that with contact_hold), and no read is tried for 1 s,
    then 2, 4 ... up to 60 s, whatever heartbeats say. A read that
    succeeds resets the wait.
*/
#include <errno.h>
#include <string.h>

#include "agent.h"

#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

/* What arrives while a snapshot or a catch-up blocks the loop is kept
   (in the DEALER, or stashed by link_read); past this the excess is
   dropped, and the gap is fetched again. */
#define PUSH_HWM 200000
#define SUBSCRIBE_RETRY_MS 200 /* after a subscribe that could not be sent */

/* Makes ag->dealer, its monitor, and connects it. Returns 0 or -1. */
static int
s_dealer_open(agent_t *ag)
{
    ag->dealer = zsock_new(ZMQ_DEALER);
    if (!ag->dealer || nmirf_client_curve(ag->dealer, &ag->key, ag->server_key) != 0)
        return -1;
    zsock_set_rcvhwm(ag->dealer, PUSH_HWM);
    /* immediate: a send with no live connection fails at once instead of
       queueing in ZeroMQ; the outbox keeps it and resends later. */
    zsock_set_immediate(ag->dealer, 1);
    zsock_set_sndtimeo(ag->dealer, 0);
    zsock_set_linger(ag->dealer, 0);
    link_monitor_open(ag); /* before connecting: no handshake missed (only reports) */
    if (zsock_connect(ag->dealer, "%s", ag->request_ep) != 0) {
        log_warnx("cannot connect to request endpoint %s", ag->request_ep);
        return -1;
    }
    return 0;
}

int
link_open(agent_t *ag)
{
    ag->stash = zlist_new();
    ag->replies = zlist_new();
    ag->key_retry_timer = -1; /* link_monitor.c */
    ag->zap_retry_timer = -1;
    if (!ag->stash || !ag->replies)
        return -1;
    return s_dealer_open(ag);
}

int
link_reopen(agent_t *ag)
{
    zloop_reader_end(ag->loop, ag->dealer);
    link_monitor_close(ag);
    zsock_destroy(&ag->dealer);
    ag->subscribed = false; /* the subscription lived on the old connection */
    if (s_dealer_open(ag) != 0)
        return -1;
    zloop_reader(ag->loop, ag->dealer, link_on_dealer, ag);
    return 0;
}

void
link_close(agent_t *ag)
{
    zsock_destroy(&ag->dealer);
    zmsg_t *msg;
    while (ag->stash && (msg = zlist_pop(ag->stash)) != NULL)
        zmsg_destroy(&msg);
    zlist_destroy(&ag->stash);
    nmirf_reply_t *r;
    while (ag->replies && (r = zlist_pop(ag->replies)) != NULL)
        nmirf_reply_destroy(&r);
    zlist_destroy(&ag->replies);
}

void
link_contact(agent_t *ag)
{
    if (!ag->contact_hold)
        ag->last_contact = zclock_mono();
}

bool
link_may_read(const agent_t *ag)
{
    /* Subscribed first (Clone pattern): every event after a snapshot's or
       a page's sequence is then either pushed or fetched again. */
    return link_reachable(ag) && ag->subscribed && zclock_mono() >= ag->read_next;
}

void
link_read_failed(agent_t *ag)
{
    if (ag->read_backoff_ms < AGENT_RETRY_FIRST_MS)
        ag->read_backoff_ms = AGENT_RETRY_FIRST_MS;
    ag->read_next = zclock_mono() + ag->read_backoff_ms;
    log_info("next read from the broker in %d s", ag->read_backoff_ms / 1000);
    ag->read_backoff_ms = ag->read_backoff_ms * 2 > AGENT_RETRY_MAX_MS
                              ? AGENT_RETRY_MAX_MS
                              : ag->read_backoff_ms * 2;
}

bool
link_reachable(const agent_t *ag)
{
    return ag->last_contact && zclock_mono() - ag->last_contact < AGENT_STALE_MS;
}

/* Signs op with body (NULL: {}) as our entity under request id id and
   sends it without waiting. Returns 0, or -1 if it could not be sent (no
   connection: ZMQ_IMMEDIATE). */
static int
s_send_as(agent_t *ag, const char *op, const uint8_t *body, size_t len,
          const uint8_t id[NMIRF_ID_LEN], uint64_t *ts_out)
{
    uint8_t sig[NMIRF_SIG_LEN], *env = NULL;
    size_t env_len = 0;
    uint64_t ts = nmirf_now_ms();
    if (nmirf_request_encode(op, id, ag->key.entity, ts, body, len, ag->key.sign_sk, &env,
                             &env_len, sig))
        return -1;
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, env, env_len);
    zmsg_addmem(msg, sig, NMIRF_SIG_LEN);
    free(env);
    if (zmsg_send(&msg, ag->dealer) != 0) {
        zmsg_destroy(&msg);
        return -1;
    }
    if (ts_out)
        *ts_out = ts;
    return 0;
}

/* s_send_as under a fresh id (into id). */
static int
s_send(agent_t *ag, const char *op, const uint8_t *body, size_t len,
       uint8_t id[NMIRF_ID_LEN], uint64_t *ts_out)
{
    nmirf_random_id(id, NMIRF_ID_LEN);
    return s_send_as(ag, op, body, len, id, ts_out);
}

/* The reply of our `subscribe`: pushes come from now on. Its seq is the
   broker's latest as of the subscription; anything after the replica's
   sequence up to it is fetched with events.since. */
static void
s_on_subscribed(agent_t *ag, const nmirf_reply_t *r)
{
    ag->sub_pending = false;
    if (!r->ok) {
        log_warnx("subscribe refused: %s: %s", r->code_name, r->message);
        return; /* tried again after AGENT_STALE_MS (link_subscribe) */
    }
    if (!ag->subscribed)
        log_info("subscribed to events at sequence %llu", (unsigned long long)r->seq);
    ag->subscribed = true;
    ag->last_push = zclock_mono();
    if (ag->loaded && r->seq > ag->seq)
        ag->catchup = true;
}

/* A reply that is not the one a blocking read waits for: ours to
   `subscribe`, or the outbox's (a ping's reply matches no entry there and
   is dropped). Takes *r_p. */
static void
s_deliver(agent_t *ag, nmirf_reply_t **r_p)
{
    nmirf_reply_t *r = *r_p;
    link_contact(ag);
    if (r->seq > ag->broker_seq)
        ag->broker_seq = r->seq;
    if (ag->sub_pending && r->has_id && memcmp(r->id, ag->sub_id, NMIRF_ID_LEN) == 0) {
        s_on_subscribed(ag, r);
        nmirf_reply_destroy(r_p);
    } else
        outbox_on_reply(ag, r_p);
}

/* Decodes a one-frame message as a reply (NULL, logged, if it is not). */
static nmirf_reply_t *
s_reply_of(zmsg_t **msg_p)
{
    zframe_t *frame = zmsg_first(*msg_p);
    char why[128] = "";
    nmirf_reply_t *r =
        nmirf_reply_decode(zframe_data(frame), zframe_size(frame), why, sizeof why);
    zmsg_destroy(msg_p);
    if (!r)
        log_warnx("unreadable reply from the broker: %s", why);
    return r;
}

/* A pushed message was read off the socket: the subscription is alive. */
static void
s_pushed(agent_t *ag)
{
    ag->last_push = zclock_mono();
}

zmsg_t *
link_next_push(agent_t *ag)
{
    zmsg_t *msg = zlist_pop(ag->stash);
    if (msg)
        return msg;
    while (zsock_events(ag->dealer) & ZMQ_POLLIN) {
        if (!(msg = zmsg_recv(ag->dealer)))
            return NULL;
        if (zmsg_size(msg) == 2) {
            s_pushed(ag);
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
            zlist_append(ag->replies, r);
    }
    return NULL;
}

bool
link_stashed(const agent_t *ag)
{
    return zlist_size(ag->stash) > 0;
}

void
link_flush_replies(agent_t *ag)
{
    nmirf_reply_t *r;
    while ((r = zlist_pop(ag->replies)) != NULL)
        s_deliver(ag, &r);
}

int
link_on_dealer(zloop_t *loop, zsock_t *dealer, void *arg)
{
    agent_t *ag = arg;
    replica_on_pushed(ag); /* reads pushes, and flushes the replies met */
    link_flush_replies(ag);
    return 0;
}

void
link_subscribe(agent_t *ag)
{
    int64_t now = zclock_mono();
    /* Messages not read yet (after a pause, a long snapshot) are most
       likely pushes: nothing is stale, and a reply would wait behind
       them anyway. */
    bool unread = link_stashed(ag) || (zsock_events(ag->dealer) & ZMQ_POLLIN);
    if (ag->subscribed && !unread && now - ag->last_push >= AGENT_STALE_MS) {
        log_info("nothing pushed by the broker for %d ms: subscribing again",
                 (int)(now - ag->last_push));
        ag->subscribed = false;
    }
    if (ag->subscribed || now < ag->sub_next)
        return;
    if (ag->sub_pending && unread) {
        ag->sub_next = now + AGENT_STALE_MS; /* its reply may be among them */
        return;
    }
    /* An unanswered subscribe is sent again under the same id: any of its
       replies, however late, is the answer (a fresh id each time would
       throw away every reply that came after the next resend). */
    if (!ag->sub_pending)
        nmirf_random_id(ag->sub_id, NMIRF_ID_LEN);
    if (s_send_as(ag, "subscribe", NULL, 0, ag->sub_id, NULL) != 0) {
        ag->sub_next = now + SUBSCRIBE_RETRY_MS; /* no connection yet */
        return;
    }
    ag->sub_pending = true;
    ag->sub_next = now + AGENT_STALE_MS; /* unanswered: again after this */
}

/* Keeps a pushed message that came while a read waited, for the replica
   (link_next_push gives it first). */
static void
s_stash(agent_t *ag, zmsg_t *msg)
{
    s_pushed(ag);
    if (zlist_size(ag->stash) >= PUSH_HWM) {
        zmsg_destroy(&msg); /* a gap the replica will notice and fetch */
        return;
    }
    zlist_append(ag->stash, msg);
}

/* Waits up to timeout_ms for the reply with request id id, stashing
   pushes and delivering other replies as they come. Returns it, or NULL
   with a reason. */
static nmirf_reply_t *
s_wait_reply(agent_t *ag, const uint8_t id[NMIRF_ID_LEN], int timeout_ms, char *why,
             size_t whylen)
{
    int64_t deadline = zclock_mono() + timeout_ms;
    void *sock = zsock_resolve(ag->dealer);
    for (;;) {
        while (zsock_events(ag->dealer) & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv(ag->dealer);
            if (!msg)
                break;
            if (zmsg_size(msg) == 2) {
                s_stash(ag, msg);
                continue;
            }
            if (zmsg_size(msg) != 1) {
                zmsg_destroy(&msg);
                continue;
            }
            nmirf_reply_t *r = s_reply_of(&msg);
            if (r && r->has_id && memcmp(r->id, id, NMIRF_ID_LEN) == 0)
                return r;
            if (r)
                s_deliver(ag, &r); /* no transaction is open during a read */
        }
        int64_t left = deadline - zclock_mono();
        if (left <= 0) {
            snprintf(why, whylen, "no reply within %d ms", timeout_ms);
            return NULL;
        }
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, (long)left) < 0 &&
            (zmq_errno() != EINTR || zsys_interrupted)) {
            snprintf(why, whylen, "interrupted");
            return NULL;
        }
    }
}

nmirf_reply_t *
link_read(agent_t *ag, const char *op, const uint8_t *body, size_t len, int timeout_ms)
{
    char why[256] = "";
    uint8_t id[NMIRF_ID_LEN];
    nmirf_reply_t *r = NULL;
    if (s_send(ag, op, body, len, id, NULL) != 0)
        snprintf(why, sizeof why, "not connected to the broker");
    else
        r = s_wait_reply(ag, id, timeout_ms, why, sizeof why);
    if (!r) {
        log_warnx("%s: %s", op, why);
        ag->last_contact = 0; /* only what comes after this counts */
        link_read_failed(ag);
        return NULL;
    }
    link_contact(ag);
    if (r->seq > ag->broker_seq)
        ag->broker_seq = r->seq;
    if (link_stashed(ag))
        log_debug("%s: %zu pushed messages kept while waiting", op,
                  zlist_size(ag->stash));
    if (!r->ok) {
        log_warnx("%s refused: %s: %s", op, r->code_name, r->message);
        nmirf_reply_destroy(&r);
        link_read_failed(ag); /* asking again at once would be refused again */
    } else
        ag->read_backoff_ms = AGENT_RETRY_FIRST_MS;
    return r;
}

void
link_report(agent_t *ag)
{
    int64_t now = zclock_mono();
    size_t pending = outbox_pending(ag->outbox);
    /* A change is reported within a second (not at once: a burst of
       submissions would make a ping each); otherwise every period. */
    bool changed = pending != ag->reported_outbox && ag->reported_at;
    if (now < ag->report_next &&
        !(changed && now >= ag->report_next - AGENT_REPORT_MS + 1000))
        return;
    ag->report_next = now + AGENT_REPORT_MS;
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "outbox", pending);
    uint8_t id[NMIRF_ID_LEN];
    uint64_t ts = 0;
    int rc = s_send(ag, "ping", (uint8_t *)body.data, body.size, id, &ts);
    msgpack_sbuffer_destroy(&body);
    /* No connection: dropped, and tried again in a second. */
    if (rc != 0)
        ag->report_next = now + 1000;
    else {
        ag->reported_at = (int64_t)ts;
        ag->reported_outbox = pending;
    }
}
