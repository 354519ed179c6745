/*  revoke_loop_test - guarantee 5 under load, many times over: a
    revocation must cut off the revoked entity and nobody else, and must
    never stop the broker answering (the hardening issue's item 1: once,
    under load, a revocation's socket rebind left libzmq's I/O thread
    blocked and the broker answered no one).

    A writer loads the broker the whole time (a ministry submitting
    reports, not public, and a second coordinator re-importing ten
    recommendations, public rec.updated events). Then, LOOPS times, a fresh
    entity RLn is enrolled and gets everything a client can hold open: its
    nmirf-agent (connected, replica loaded), a DEALER subscribed on its
    request connection, a SUB on the PUB that has heard the public feed. The coordinator
   revokes it and at once:

    - the coordinator's `ping`, on a connection of its own, must be
      answered within 1 s (the client's receive timeout; the latency is
      measured and its worst reported as a figure, never asserted);
    - RLn's DEALER: a `ping` on it is refused `revoked`, and nothing pushed
      before that refusal, event or heartbeat, is at or after the
      `entity.revoked` event's seq;
    - RLn's SUB hears only the public feed (heartbeats and public kinds).

    Each DEALER and SUB stays open for WINDOW more loops (a heartbeat
    comes every second, so a subscription that survived would show) and is
    then read again with the same checks; the last ones after a silence.

    LOOPS is 100 by default (about 55 s under ASan on a loaded 2-core
    machine, 12 s in a release build); NMIRF_REVOKE_LOOPS=200 runs the
    issue's count (any N from 1 to 10,000). No randomness.
*/
#include "agent_harness.h"

#include <czmq.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_util.h"

/* Revocations by default (NMIRF_REVOKE_LOOPS=200: the count). */
#define LOOPS 100
#define WINDOW 6           /* loops a revoked entity's sockets stay open */
#define PING_MS 1000       /* the coordinator's ping must be answered within */
#define SILENCE_MS 1500    /* a live subscription pushes a heartbeat every 1 s */
#define WRITER_NAP_MS 5    /* between the ministry's submissions */
#define IMPORTER_NAP_MS 20 /* between the second coordinator's imports */
#define RECS 10            /* recommendations the importer rewrites */

static h_broker_t *b;       /* the broker under test */
static volatile int s_stop; /* the writers stop */
static size_t s_writes[2];  /* writes each writer made */

/* One revoked entity's open sockets, checked again later. */
typedef struct {
    char id[16];       /* RLn */
    uint64_t revoked;  /* seq of its entity.revoked event */
    zsock_t *dealer;   /* subscribed on its request connection */
    zsock_t *sub;      /* on the PUB, every topic */
    size_t sub_events; /* public events its SUB heard */
} s_revoked_t;

/* The ministry's part of the load: a report every WRITER_NAP_MS. */
static void *
s_writer(void *arg)
{
    h_entity_t *e = arg;
    for (int i = 0; !s_stop; i++) {
        H_CALL_CHECK("ok", e, "report.submit",
                     "{'rec': 'RL/0', 'status': 'in_progress', 'narrative': 'n %d'}", i);
        s_writes[0]++;
        h_sleep_ms(WRITER_NAP_MS);
    }
    return NULL;
}

/* The second coordinator's part: one of RECS recommendations imported
   again with new text (rec.updated, public; the snapshot a new agent
   loads does not grow). */
static void *
s_importer(void *arg)
{
    h_entity_t *e = arg;
    for (int i = 0; !s_stop; i++) {
        H_CALL_CHECK("ok", e, "rec.import",
                     "{'recs': [{'id': 'RL/%d', 'mechanism': 'UPR', "
                     "'text': {'en': 'version %d'}}]}",
                     i % RECS, i);
        s_writes[1]++;
        h_sleep_ms(IMPORTER_NAP_MS);
    }
    return NULL;
}

/* True if topic is on the public feed (PROTOCOL.md section 7). */
static bool
s_public(const char *topic)
{
    static const char *const ok[] = {"hb", "ev/rec.added", "ev/rec.updated",
                                     "ev/assignment.set", "ev/report.validated"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(topic, ok[i]) == 0)
            return true;
    return false;
}

/* Reads what sub holds (waiting wait_ms for the first message); fails on
   anything not public. Returns the public events read. */
static size_t
s_sub_check(zsock_t *sub, int wait_ms, const char *who)
{
    size_t events = 0;
    zsock_set_rcvtimeo(sub, wait_ms);
    zmsg_t *m;
    while ((m = zmsg_recv(sub))) {
        char *topic = zframe_strdup(zmsg_first(m));
        H_ASSERTF(s_public(topic), "%s's SUB got '%s', not the public feed", who, topic);
        events += strcmp(topic, "hb") != 0;
        free(topic);
        zmsg_destroy(&m);
        zsock_set_rcvtimeo(sub, 0);
    }
    return events;
}

/* Reads what the DEALER d holds (waiting wait_ms for the first message):
   a pushed event or heartbeat at or after seq `revoked` fails the test.
   With want_id, reads until the reply with that id comes and returns it
   (caller destroys); else returns NULL. */
static nmirf_reply_t *
s_dealer_check(zsock_t *d, uint64_t revoked, int wait_ms, const uint8_t *want_id,
               const char *who)
{
    zsock_set_rcvtimeo(d, want_id ? H_CALL_TIMEOUT_MS : wait_ms);
    zmsg_t *m;
    char why[256];
    while ((m = zmsg_recv(d))) {
        if (zmsg_size(m) == 1) {
            zframe_t *f = zmsg_first(m);
            nmirf_reply_t *r =
                nmirf_reply_decode(zframe_data(f), zframe_size(f), why, sizeof why);
            zmsg_destroy(&m);
            H_ASSERTF(r, "%s: unreadable reply: %s", who, why);
            if (want_id && r->has_id && memcmp(r->id, want_id, NMIRF_ID_LEN) == 0)
                return r;
            nmirf_reply_destroy(&r);
            continue;
        }
        H_ASSERTF(zmsg_size(m) == 2, "%s: a push of %zu frames", who, zmsg_size(m));
        char *topic = zframe_strdup(zmsg_first(m));
        zframe_t *body = zmsg_last(m);
        uint64_t seq;
        if (strcmp(topic, "hb") == 0) {
            msgpack_zone zone;
            msgpack_object obj;
            msgpack_zone_init(&zone, 256);
            H_ASSERT(nmirf_mp_unpack(zframe_data(body), zframe_size(body), &zone, &obj,
                                     why, sizeof why) == NMIRF_OK);
            seq = h_u(&obj, "seq");
            msgpack_zone_destroy(&zone);
        } else {
            nmirf_event_t *ev =
                nmirf_event_decode(zframe_data(body), zframe_size(body), why, sizeof why);
            H_ASSERTF(ev, "%s: pushed event does not decode: %s", who, why);
            seq = ev->seq;
            nmirf_event_destroy(&ev);
        }
        H_ASSERTF(seq < revoked, "%s got %s at seq %llu, revoked at %llu", who, topic,
                  (unsigned long long)seq, (unsigned long long)revoked);
        free(topic);
        zmsg_destroy(&m);
        if (!want_id)
            zsock_set_rcvtimeo(d, 0);
    }
    H_ASSERTF(!want_id, "%s: no reply within %d ms", who, H_CALL_TIMEOUT_MS);
    return NULL;
}

/* Sends a signed op with body {} as e on the DEALER d; its id into id. */
static void
s_send(zsock_t *d, h_entity_t *e, const char *op, uint8_t id[NMIRF_ID_LEN])
{
    h_request_t *r = h_request_make(e, op, "{}");
    memcpy(id, r->id, NMIRF_ID_LEN);
    h_request_post(d, r);
    h_request_free(&r);
}

/* Enrolls a fresh ministry id through coord and returns it with no
   connection of its own (h_enroll keeps at most H_MAX_ENTITIES; this
   test makes hundreds). Free with s_entity_free. */
static h_entity_t *
s_enroll(h_entity_t *coord, const char *id)
{
    h_entity_t *e = calloc(1, sizeof *e);
    H_ASSERT(e);
    snprintf(e->id, sizeof e->id, "%s", id);
    H_ASSERT(nmirf_key_generate(&e->key, id) == 0);
    msgpack_sbuffer *sb = h_pack_enroll(&e->key, "ministry");
    nmirf_reply_t *r =
        h_call_packed(coord, NULL, "entity.enroll", (uint8_t *)sb->data, sb->size);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_free(sb);
    return e;
}

static void
s_entity_free(h_entity_t **e_p)
{
    nmirf_key_wipe(&(*e_p)->key);
    free(*e_p);
    *e_p = NULL;
}

/* True if obj's key is the boolean true. */
static bool
s_true(const msgpack_object *obj, const char *key)
{
    const msgpack_object *v = h_get(obj, key);
    return v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
}

/* Waits until the agent is connected and has loaded its replica (so it
   holds its subscribed connection when the revocation comes). */
static void
s_agent_ready(ha_agent_t *a)
{
    for (int waited = 0;; waited += 10) {
        nmirf_reply_t *r = ha_ctl(a, HA_WAIT_MS, "status", NULL);
        bool ready = r->ok && s_true(&r->body, "loaded") && s_true(&r->body, "connected");
        nmirf_reply_destroy(&r);
        if (ready)
            return;
        HA_ASSERTF(waited < HA_WAIT_MS, "agent %s not loaded within %d ms", a->id,
                   HA_WAIT_MS);
        h_sleep_ms(10);
    }
}

/* The later look at a revoked entity's sockets, then closes them.
   Returns the public events its SUB heard meanwhile. */
static size_t
s_recheck(s_revoked_t *rv, int wait_ms)
{
    char who[64];
    snprintf(who, sizeof who, "revoked %s, later", rv->id);
    s_dealer_check(rv->dealer, rv->revoked, wait_ms, NULL, who);
    size_t events = s_sub_check(rv->sub, 0, who);
    zsock_destroy(&rv->dealer);
    zsock_destroy(&rv->sub);
    return events;
}

int
main(int argc, char **argv)
{
    int loops = LOOPS;
    const char *env = getenv("NMIRF_REVOKE_LOOPS");
    if (env && *env) {
        loops = atoi(env);
        if (loops < 1 || loops > 10000) {
            fprintf(stderr, "NMIRF_REVOKE_LOOPS '%s' is not 1 to 10000\n", env);
            return 2;
        }
    }
    ha_init(argc, argv, 60 + (unsigned)loops * 3);
    b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_entity_t *co2 = h_enroll(b, "CO2", "coordinator");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'RL/0', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'RL/0', 'lead': 'MJ'}");
    /* The ping on a connection of its own, given PING_MS to answer. */
    nmirf_client_t *pinger =
        nmirf_client_new(b->request_ep, &coord->key, b->server_key, PING_MS);
    H_ASSERT(pinger);
    pthread_t writer, importer;
    H_ASSERT(pthread_create(&writer, NULL, s_writer, mj) == 0);
    H_ASSERT(pthread_create(&importer, NULL, s_importer, co2) == 0);

    s_revoked_t window[WINDOW];
    memset(window, 0, sizeof window);
    uint64_t worst_us = 0, total_us = 0, t_start = nmirf_mono_us();
    size_t sub_events = 0;
    for (int n = 0; n < loops; n++) {
        s_revoked_t *rv = &window[n % WINDOW];
        if (rv->dealer)
            sub_events += s_recheck(rv, 0); /* revoked WINDOW loops ago */
        snprintf(rv->id, sizeof rv->id, "RL%d", n);
        h_entity_t *e = s_enroll(coord, rv->id);
        ha_agent_t *agent = ha_agent_start(b, e, NULL);
        s_agent_ready(agent);
        rv->dealer = h_dealer_new(b, e);
        uint8_t id[NMIRF_ID_LEN];
        s_send(rv->dealer, e, "subscribe", id);
        nmirf_reply_t *r = s_dealer_check(rv->dealer, UINT64_MAX, 0, id, rv->id);
        H_EXPECT(r, "ok");
        nmirf_reply_destroy(&r);
        rv->sub = h_sub_new(b, e, "");
        /* Its SUB is in place once it hears something (the importer's
           events come every few tens of ms, a heartbeat every second). */
        zsock_set_rcvtimeo(rv->sub, H_CALL_TIMEOUT_MS);
        zmsg_t *first = zmsg_recv(rv->sub);
        H_ASSERTF(first, "%s's SUB heard nothing before its revocation", rv->id);
        zmsg_destroy(&first);

        r = H_CALL_EXPECT("ok", coord, "entity.revoke", "{'id': '%s'}", rv->id);
        rv->revoked = r->seq; /* its entity.revoked event */
        nmirf_reply_destroy(&r);

        char why[256] = "";
        uint64_t t0 = nmirf_mono_us();
        r = nmirf_client_call(pinger, "ping", NULL, 0, why, sizeof why);
        uint64_t took = nmirf_mono_us() - t0;
        H_ASSERTF(r,
                  "revocation %d (%s): the coordinator's ping was not answered "
                  "within %d ms: %s",
                  n, rv->id, PING_MS, why);
        H_EXPECT(r, "ok");
        nmirf_reply_destroy(&r);
        worst_us = took > worst_us ? took : worst_us;
        total_us += took;

        /* Its open DEALER: refused, and nothing from its revocation on. */
        s_send(rv->dealer, e, "ping", id);
        r = s_dealer_check(rv->dealer, rv->revoked, 0, id, rv->id);
        H_EXPECT(r, "revoked");
        nmirf_reply_destroy(&r);
        sub_events += s_sub_check(rv->sub, 0, rv->id);
        ha_agent_stop(agent);
        ha_agent_destroy(&agent);
        s_entity_free(&e);
        if ((n + 1) % 50 == 0)
            h_note("%d revocations, worst ping %.2f ms so far", n + 1, worst_us / 1000.0);
    }
    /* The last ones, after a silence longer than a heartbeat period. */
    h_sleep_ms(SILENCE_MS);
    for (int i = 0; i < WINDOW; i++)
        if (window[i].dealer)
            sub_events += s_recheck(&window[i], 0);
    /* The revoked keys' SUBs went on hearing the public feed: the check
       above that they heard nothing else was not vacuous. */
    H_ASSERTF(sub_events > 0, "no revoked SUB heard a public event after its revocation");
    double secs = (nmirf_mono_us() - t_start) / 1e6;
    s_stop = 1;
    pthread_join(writer, NULL);
    pthread_join(importer, NULL);
    H_CALL_CHECK("ok", coord, "ping", "{}");
    nmirf_client_destroy(&pinger);
    h_note("%d revocations under load (%zu reports, %zu imports) in %.1f s: after each, "
           "the coordinator's ping answered within %d ms and the revoked key refused "
           "revoked, nothing pushed from its revocation on, its SUB public only "
           "(%zu public events heard)",
           loops, s_writes[0], s_writes[1], secs, PING_MS, sub_events);
    printf("FIGURE revoke_loop: %d revocations, coordinator ping after each: worst "
           "%.2f ms, mean %.2f ms\n",
           loops, worst_us / 1000.0, total_us / 1000.0 / loops);
    h_broker_destroy(&b);
    return 0;
}
