/*  push_test - events pushed on the request connection (PROTOCOL.md
    sections 6 and 7, `subscribe`), against a real broker:

    - a `subscribe` whose body has an unknown key is refused bad_request
      and pushes nothing;
    - after an OK `subscribe` (its reply is the first message), every
      event after the reply's seq arrives pushed as [ev/KIND][event], in
      order, gap-free, byte for byte as events.since returns it, while
      one-frame replies to other requests on the same socket still come
      (told apart by frame count); heartbeats come as [hb][{seq, ts}] and
      never announce an event that was not pushed before them;
    - a revocation ends the revoked entity's subscriptions at its
      `entity.revoked` event: nothing at or after it is pushed to it, its
      open connection is refused `revoked` (subscribe included), and every
      other subscription goes on with no gap; a rotation likewise ends the
      old key's subscription, refuses its open connection `key_retired`,
      and the new key subscribes;
    - a second broker with NMIRFD_SUBSCRIBER_TTL_MS small: a connection
      that keeps sending requests stays subscribed; one that stops is
      dropped (heartbeats stop) and can subscribe again. No time bound is
      asserted: the test waits for the silence, the watchdog bounds it;
    - no heartbeat carries a checkpoint beyond its own seq (the last event
      published): a third broker with NMIRFD_WRITER_HOLD_MS holds each
      committed batch (its checkpoint committed with it) before publishing
      it, and the heartbeats of that window tell of the old head only.
*/
#include "harness.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_util.h"

#define IMPORTS 40       /* imports of two recommendations: 80 events */
#define RECV_STEP_MS 100 /* one receive waits at most this */
#define SILENCE_MS                                                                       \
    2500              /* heartbeats come every second: this long without                 \
                         one means no subscription */
#define TTL_MS "1500" /* the second broker's subscription TTL */

#define HOLD_MS "1500" /* the third broker's hold of committed batches */
#define HOLD_BURST 8   /* imports pipelined a round */
#define HOLD_ROUNDS 4  /* rounds at most */

static h_broker_t *b; /* the broker under test */

/* One message from a DEALER: a reply (one frame) or a push (two). */
typedef struct {
    nmirf_reply_t *reply; /* a reply, or NULL */
    bool hb;              /* a heartbeat */
    uint64_t hb_seq;      /* its seq */
    uint64_t hb_cp_seq;   /* its checkpoint's seq (0: none) */
    nmirf_event_t *ev;    /* a pushed event, or NULL */
} msg_t;

static void
msg_free(msg_t *m)
{
    nmirf_reply_destroy(&m->reply);
    nmirf_event_destroy(&m->ev);
    memset(m, 0, sizeof *m);
}

/* Receives one message within wait_ms into *m (checked: one frame is a
   reply, two are a push whose topic is "hb" or "ev/" + its kind).
   Returns false if nothing came. */
static bool
recv_msg(zsock_t *d, int wait_ms, msg_t *m)
{
    memset(m, 0, sizeof *m);
    zsock_set_rcvtimeo(d, wait_ms);
    zmsg_t *msg = zmsg_recv(d);
    if (!msg)
        return false;
    char why[256] = "";
    if (zmsg_size(msg) == 1) {
        zframe_t *f = zmsg_first(msg);
        m->reply = nmirf_reply_decode(zframe_data(f), zframe_size(f), why, sizeof why);
        H_ASSERTF(m->reply, "a one-frame message is not a reply: %s", why);
        zmsg_destroy(&msg);
        return true;
    }
    H_ASSERTF(zmsg_size(msg) == 2, "pushed message has %zu frames", zmsg_size(msg));
    char *topic = zframe_strdup(zmsg_first(msg));
    zframe_t *body = zmsg_next(msg);
    if (strcmp(topic, "hb") == 0) {
        msgpack_zone zone;
        msgpack_object obj;
        msgpack_zone_init(&zone, 256);
        H_ASSERTF(nmirf_mp_unpack(zframe_data(body), zframe_size(body), &zone, &obj, why,
                                  sizeof why) == NMIRF_OK,
                  "heartbeat does not decode: %s", why);
        m->hb = true;
        m->hb_seq = h_u(&obj, "seq");
        H_ASSERT(m->hb_seq != UINT64_MAX && h_u(&obj, "ts") != UINT64_MAX);
        /* Its checkpoint tells of published events only: one ahead of
           the heartbeat's seq would be about a batch not pushed yet
           (maybe one revoking this very subscriber). */
        if (!h_nil(&obj, "checkpoint")) {
            m->hb_cp_seq = h_u(&obj, "checkpoint.seq");
            H_ASSERTF(m->hb_cp_seq != UINT64_MAX, "heartbeat's checkpoint has no seq");
            H_ASSERTF(m->hb_cp_seq <= m->hb_seq,
                      "heartbeat at seq %llu carries a checkpoint at seq %llu: it "
                      "tells of events not published",
                      (unsigned long long)m->hb_seq, (unsigned long long)m->hb_cp_seq);
        }
        msgpack_zone_destroy(&zone);
    } else {
        m->ev = nmirf_event_decode(zframe_data(body), zframe_size(body), why, sizeof why);
        H_ASSERTF(m->ev, "event on topic %s does not decode: %s", topic, why);
        char want[128];
        snprintf(want, sizeof want, "ev/%s", m->ev->kind);
        H_ASSERTF(strcmp(topic, want) == 0, "event %llu on topic %s, expected %s",
                  (unsigned long long)m->ev->seq, topic, want);
    }
    free(topic);
    zmsg_destroy(&msg);
    return true;
}

/* Sends op with a JSON body as e on d; its request id into id. */
static void
send_req(zsock_t *d, h_entity_t *e, const char *op, const char *body,
         uint8_t id[NMIRF_ID_LEN])
{
    h_request_t *r = h_request_make(e, op, "%s", body);
    memcpy(id, r->id, NMIRF_ID_LEN);
    h_request_post(d, r);
    h_request_free(&r);
}

/* Sends `subscribe` with body on d and returns its reply, which must be
   the next message (nothing is pushed before the subscription's reply);
   the caller checks its code and destroys it. */
static nmirf_reply_t *
subscribe(zsock_t *d, h_entity_t *e, const char *body)
{
    uint8_t id[NMIRF_ID_LEN];
    send_req(d, e, "subscribe", body, id);
    msg_t m;
    H_ASSERTF(recv_msg(d, H_CALL_TIMEOUT_MS, &m), "no reply to subscribe");
    H_ASSERTF(m.reply, "a push came before the subscribe reply");
    H_ASSERT(m.reply->has_id && memcmp(m.reply->id, id, NMIRF_ID_LEN) == 0);
    nmirf_reply_t *r = m.reply;
    m.reply = NULL;
    msg_free(&m);
    return r;
}

/* Reads d until SILENCE_MS pass with no message; true if a push came
   meanwhile (replies are dropped). Bounded by the test's watchdog. */
static bool
pushed_until_silence(zsock_t *d)
{
    bool pushed = false;
    msg_t m;
    while (recv_msg(d, SILENCE_MS, &m)) {
        pushed |= !m.reply;
        msg_free(&m);
    }
    return pushed;
}

/* Reads d until a heartbeat comes (bounded by the watchdog). */
static void
await_heartbeat(zsock_t *d)
{
    msg_t m;
    for (;;) {
        H_ASSERTF(recv_msg(d, 10 * SILENCE_MS, &m), "no heartbeat pushed");
        bool hb = m.hb;
        msg_free(&m);
        if (hb)
            return;
    }
}

/* A refused subscribe pushes nothing; an accepted one pushes every later
   event in order, byte for byte, heartbeats behind them, replies among
   them. */
static void
test_push(h_entity_t *mj, zsock_t *d)
{
    nmirf_reply_t *r = subscribe(d, mj, "{'extra': 1}");
    H_EXPECT(r, "bad_request");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", h_coord(b), "rec.import",
                 "{'recs': [{'id': 'P/0', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    H_ASSERTF(!pushed_until_silence(d), "a refused subscribe got pushes");
    h_note("subscribe {extra} refused bad_request, nothing pushed");

    r = subscribe(d, mj, "{}");
    H_EXPECT(r, "ok");
    uint64_t since = r->seq;
    nmirf_reply_destroy(&r);

    uint8_t ping_id[NMIRF_ID_LEN];
    for (int i = 0; i < IMPORTS; i++) {
        H_CALL_CHECK(
            "ok", h_coord(b), "rec.import",
            "{'recs': [{'id': 'P/%d/a', 'mechanism': 'UPR', 'text': {'en': 'x'}}, "
            "{'id': 'P/%d/b', 'mechanism': 'CAT', 'text': {'en': 'y'}}]}",
            i, i);
        if (i == IMPORTS / 2)
            send_req(d, mj, "ping", "{}", ping_id);
    }
    uint64_t last = h_seq(b);
    H_ASSERT(last >= since + 2 * IMPORTS);
    nmirf_event_t **evs;
    size_t n = h_events(h_coord(b), since, &evs);
    H_ASSERTF(n == last - since, "events.since gave %zu events after %llu", n,
              (unsigned long long)since);
    uint64_t seq = since;
    size_t hbs = 0;
    bool pinged = false;
    while (seq < last) {
        msg_t m;
        H_ASSERTF(recv_msg(d, H_CALL_TIMEOUT_MS, &m), "pushes stopped at %llu of %llu",
                  (unsigned long long)seq, (unsigned long long)last);
        if (m.reply) {
            H_ASSERTF(!pinged && m.reply->has_id &&
                          memcmp(m.reply->id, ping_id, NMIRF_ID_LEN) == 0,
                      "an unexpected reply among the pushes");
            H_EXPECT(m.reply, "ok");
            pinged = true;
        } else if (m.hb) {
            /* Published before it, so pushed before it. */
            H_ASSERTF(m.hb_seq <= seq || seq == since,
                      "heartbeat at %llu before event %llu was pushed",
                      (unsigned long long)m.hb_seq, (unsigned long long)seq + 1);
            hbs++;
        } else if (m.ev->seq <= since) {
            /* Allowed (committed in the subscribe's batch), not expected. */
        } else {
            H_ASSERTF(m.ev->seq == seq + 1, "pushed event %llu after %llu",
                      (unsigned long long)m.ev->seq, (unsigned long long)seq);
            const nmirf_event_t *want = evs[seq - since];
            H_ASSERTF(m.ev->len == want->len &&
                          memcmp(m.ev->bytes, want->bytes, want->len) == 0,
                      "pushed event %llu differs from events.since's",
                      (unsigned long long)m.ev->seq);
            seq++;
        }
        msg_free(&m);
    }
    h_events_free(&evs, n);
    if (!pinged) {
        msg_t m;
        H_ASSERTF(recv_msg(d, H_CALL_TIMEOUT_MS, &m) && m.reply &&
                      memcmp(m.reply->id, ping_id, NMIRF_ID_LEN) == 0,
                  "the ping on the subscribed connection was not answered");
        msg_free(&m);
    }
    await_heartbeat(d);
    h_note("after subscribe at %llu: %llu events pushed in order as stored, a "
           "one-frame ping reply among them, heartbeats (%zu during the burst)",
           (unsigned long long)since, (unsigned long long)(last - since), hbs);
}

/* Reads d until SILENCE_MS pass with no message, checking that nothing
   pushed is at or after seq `from` (a heartbeat's seq included: one that
   high means the subscription lives on). Replies are dropped. */
static void
nothing_from(zsock_t *d, uint64_t from, const char *who)
{
    msg_t m;
    while (recv_msg(d, SILENCE_MS, &m)) {
        H_ASSERTF(!m.ev || m.ev->seq < from, "%s got event %llu (%s), cut off at %llu",
                  who, (unsigned long long)m.ev->seq, m.ev->kind,
                  (unsigned long long)from);
        H_ASSERTF(!m.hb || m.hb_seq < from, "%s got a heartbeat at %llu, cut off at %llu",
                  who, (unsigned long long)m.hb_seq, (unsigned long long)from);
        msg_free(&m);
    }
}

/* Receives on d until the event with seq `want` comes; every event before
   it must be gap-free from *next (updated). Bounded by the watchdog. */
static void
await_event(zsock_t *d, uint64_t want, uint64_t *next)
{
    msg_t m;
    for (;;) {
        H_ASSERTF(recv_msg(d, 10 * SILENCE_MS, &m), "event %llu never pushed",
                  (unsigned long long)want);
        if (m.ev && m.ev->seq >= *next) {
            H_ASSERTF(m.ev->seq == *next, "gap: event %llu, expected %llu",
                      (unsigned long long)m.ev->seq, (unsigned long long)*next);
            (*next)++;
        }
        msg_free(&m);
        if (*next > want)
            return;
    }
}

/* Sends op as e on d and returns the reply, skipping pushes. */
static nmirf_reply_t *
call_on(zsock_t *d, h_entity_t *e, const char *op, const char *body)
{
    uint8_t id[NMIRF_ID_LEN];
    send_req(d, e, op, body, id);
    msg_t m;
    for (;;) {
        H_ASSERTF(recv_msg(d, H_CALL_TIMEOUT_MS, &m), "no reply to %s", op);
        if (m.reply && m.reply->has_id && memcmp(m.reply->id, id, NMIRF_ID_LEN) == 0) {
            nmirf_reply_t *r = m.reply;
            m.reply = NULL;
            msg_free(&m);
            return r;
        }
        msg_free(&m);
    }
}

/* A revocation ends the revoked entity's subscription at its own event and
   refuses its open connection; MJ's subscription on the same broker goes
   on, gap-free, without subscribing again. Then a rotation does the same
   to the old key's connection, and the new key subscribes. */
static void
test_revocation(h_entity_t *mj, zsock_t *d)
{
    h_entity_t *rv = h_enroll(b, "RV", "ministry");
    zsock_t *rd = h_dealer_new(b, rv);
    nmirf_reply_t *r = subscribe(rd, rv, "{}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    await_heartbeat(rd);
    r = call_on(d, mj, "subscribe", "{}"); /* renews MJ's: pushed from its seq on */
    H_EXPECT(r, "ok");
    uint64_t next = r->seq + 1;
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", h_coord(b), "entity.revoke", "{'id': 'RV'}");
    uint64_t revoked = r->seq; /* the entity.revoked event */
    nmirf_reply_destroy(&r);
    H_CALL_CHECK(
        "ok", h_coord(b), "rec.import",
        "{'recs': [{'id': 'P/after', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    uint64_t last = h_seq(b);
    await_event(d, last, &next);
    h_note("MJ's subscription heard events %llu..%llu across RV's revocation, no gap",
           (unsigned long long)revoked, (unsigned long long)last);
    nothing_from(rd, revoked, "revoked RV");
    h_note("RV's connection: nothing pushed from its entity.revoked (%llu) on, "
           "no heartbeat",
           (unsigned long long)revoked);

    /* Its open connection: every request refused revoked, subscribe too,
       and nothing pushed after it. A new connection: refused by ZAP. */
    r = call_on(rd, rv, "subscribe", "{}");
    H_EXPECT(r, "revoked");
    nmirf_reply_destroy(&r);
    r = call_on(rd, rv, "ping", "{}");
    H_EXPECT(r, "revoked");
    nmirf_reply_destroy(&r);
    nothing_from(rd, revoked, "revoked RV after subscribe");
    zsock_t *rd2 = h_dealer_new(b, rv);
    h_request_t *req = h_request_make(rv, "subscribe", "{}");
    zsock_set_sndtimeo(rd2, 0);
    zmq_send(zsock_resolve(rd2), req->env, req->env_len, ZMQ_SNDMORE);
    zmq_send(zsock_resolve(rd2), req->sig, NMIRF_SIG_LEN, 0);
    h_request_free(&req);
    msg_t m;
    H_ASSERTF(!recv_msg(rd2, SILENCE_MS, &m), "a new connection of RV was answered");
    zsock_destroy(&rd);
    zsock_destroy(&rd2);
    h_note("RV's open connection refused revoked (subscribe too), a new one unanswered");

    /* Rotation: the old key's subscription ends at entity.rotated, its
       open connection is refused key_retired; the new key subscribes. */
    h_entity_t *rt = h_enroll(b, "RT", "ministry");
    zsock_t *old = h_dealer_new(b, rt);
    r = subscribe(old, rt, "{}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    await_heartbeat(old);
    h_entity_t *rt2 = h_entity_new(b, "RT"); /* the new pair; its client is refused */
    uint8_t curve[32];
    H_ASSERT(nmirf_key_curve_raw(&rt2->key, curve) == 0);
    msgpack_sbuffer rot;
    msgpack_sbuffer_init(&rot);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rot, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", "RT");
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, rt2->key.sign_pk, 32);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, 32);
    r = h_call_packed(h_coord(b), NULL, "entity.rotate", (uint8_t *)rot.data, rot.size);
    H_EXPECT(r, "ok");
    uint64_t rotated = r->seq;
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_destroy(&rot);
    H_CALL_CHECK(
        "ok", h_coord(b), "rec.import",
        "{'recs': [{'id': 'P/rotated', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    nothing_from(old, rotated, "RT's old key");
    /* Signed with either key, a request on the old key's connection is
       refused: the connection's CURVE key is what is retired. */
    r = call_on(old, rt, "ping", "{}");
    H_EXPECT(r, "key_retired");
    nmirf_reply_destroy(&r);
    r = call_on(old, rt2, "subscribe", "{}");
    H_EXPECT(r, "key_retired");
    nmirf_reply_destroy(&r);
    nothing_from(old, rotated, "RT's old key after subscribe");
    zsock_t *fresh = h_dealer_new(b, rt2);
    r = subscribe(fresh, rt2, "{}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    await_heartbeat(fresh);
    zsock_destroy(&old);
    zsock_destroy(&fresh);
    h_note("RT rotated: old key's connection cut off at %llu and refused key_retired; "
           "the new key subscribes",
           (unsigned long long)rotated);
}

/* A second broker whose subscriptions expire fast: requests keep one
   alive, silence ends it, a new subscribe restarts it. */
static void
test_expiry(void)
{
    setenv("NMIRFD_SUBSCRIBER_TTL_MS", TTL_MS, 1);
    h_broker_t *b2 = h_broker_start(NULL);
    unsetenv("NMIRFD_SUBSCRIBER_TTL_MS");
    h_broker_t *keep = b;
    b = b2;
    h_entity_t *co = h_coord(b2);
    zsock_t *d = h_dealer_new(b2, co);
    nmirf_reply_t *r = subscribe(d, co, "{}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    /* Kept alive by requests: several heartbeats over more than the TTL. */
    int hbs = 0;
    uint8_t id[NMIRF_ID_LEN];
    while (hbs < 4) {
        send_req(d, co, "ping", "{}", id);
        msg_t m;
        if (recv_msg(d, 200, &m)) {
            hbs += m.hb;
            msg_free(&m);
        }
    }
    h_note("requests every 200 ms kept a %s ms subscription through 4 heartbeats",
           TTL_MS);
    /* Silence from us: the broker drops it and the heartbeats stop. */
    pushed_until_silence(d);
    H_ASSERTF(!pushed_until_silence(d), "pushes went on after the subscription expired");
    send_req(d, co, "ping", "{}", id);
    msg_t m;
    H_ASSERTF(recv_msg(d, H_CALL_TIMEOUT_MS, &m) && m.reply, "ping after expiry");
    H_EXPECT(m.reply, "ok");
    msg_free(&m);
    r = subscribe(d, co, "{}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    await_heartbeat(d);
    h_note("an idle subscription expired; the connection still answers and "
           "subscribes again");
    zsock_destroy(&d);
    h_broker_destroy(&b2);
    b = keep;
}

/* A third broker whose writer thread holds each batch of events HOLD_MS
   between its commit (its checkpoint in it) and its hand-back:
   heartbeats fire before the batch is published. Imports are pipelined
   on the subscribed connection so that most go through the writer thread
   (a lone request the broker runs itself is not held); recv_msg checks
   every heartbeat, and this checks none tells of events not pushed yet.
   Rounds repeat (up to HOLD_ROUNDS) until a heartbeat came in a hold. */
static void
test_heartbeat_window(void)
{
    setenv("NMIRFD_WRITER_HOLD_MS", HOLD_MS, 1);
    h_broker_t *b3 = h_broker_start(NULL);
    unsetenv("NMIRFD_WRITER_HOLD_MS");
    h_entity_t *co = h_coord(b3);
    zsock_t *d = h_dealer_new(b3, co);
    nmirf_reply_t *r = subscribe(d, co, "{}");
    H_EXPECT(r, "ok");
    uint64_t pushed = r->seq;
    nmirf_reply_destroy(&r);
    int held = 0, round;
    for (round = 0; round < HOLD_ROUNDS && !held; round++) {
        uint8_t id[NMIRF_ID_LEN];
        char body[160];
        for (int i = 0; i < HOLD_BURST; i++) {
            snprintf(body, sizeof body,
                     "{'recs': [{'id': 'H/%d/%d', 'mechanism': 'UPR', 'text': {'en': "
                     "'x'}}]}",
                     round, i);
            send_req(d, co, "rec.import", body, id);
        }
        uint64_t want = pushed + HOLD_BURST; /* one event an import */
        int replies = 0, hbs = 0;
        while (replies < HOLD_BURST || pushed < want || hbs < 1) {
            msg_t m;
            H_ASSERTF(recv_msg(d, 10 * SILENCE_MS, &m), "nothing pushed or answered");
            if (m.reply) {
                H_EXPECT(m.reply, "ok");
                replies++;
            }
            if (m.ev)
                pushed = m.ev->seq;
            if (m.hb) {
                H_ASSERTF(m.hb_cp_seq <= pushed,
                          "heartbeat carries a checkpoint at seq %llu, events pushed "
                          "up to %llu",
                          (unsigned long long)m.hb_cp_seq, (unsigned long long)pushed);
                hbs += pushed >= want;
                held += pushed < want; /* mid-round: in a hold */
            }
            msg_free(&m);
        }
    }
    H_ASSERTF(held, "no heartbeat came while a batch was held in %d rounds", round);
    h_note("writer thread holding batches of events %s ms: %d rounds of %d pipelined "
           "imports, %d heartbeats mid-round, none with a checkpoint beyond the events "
           "pushed",
           HOLD_MS, round, HOLD_BURST, held);
    zsock_destroy(&d);
    h_broker_destroy(&b3);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 130);
    b = h_broker_start(NULL);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    zsock_t *d = h_dealer_new(b, mj);
    test_push(mj, d);
    test_revocation(mj, d);
    zsock_destroy(&d);
    test_expiry();
    test_heartbeat_window();
    h_broker_destroy(&b);
    printf("push_test: all passed\n");
    return 0;
}
