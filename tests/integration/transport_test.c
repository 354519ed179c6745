/*  transport_test - guarantee 5 from outside: every connection to nmirfd is
    CurveZMQ, only enrolled, active entities get in, a connection speaks
    only for its own entity, and a revocation cuts the entity off without
    touching anyone else's session: its open request session is refused
    `revoked`, its open SUB hears only the public feed (as it did before),
    and new connections with its key are refused.

    CurveZMQ tells a refused client nothing (the handshake just fails), so
    "refused" here means "no reply within a short wait", with the broker's
    log saying why and the broker still answering everyone else.
*/
#include "harness.h"

#include <string.h>

#include "nmirf_util.h"

#define SHORT_MS 800 /* a refused client waits this long for nothing */

static h_broker_t *b;          /* the broker under test */
static h_entity_t *coord, *mj; /* enrolled */
static h_entity_t *ms;         /* enrolled; MJ tries to speak for it */

/* True if the broker's log holds text. */
static bool
log_has(const char *text)
{
    size_t len;
    char *log = nmirf_read_file(b->log_path, &len);
    bool has = log && strstr(log, text) != NULL;
    free(log);
    return has;
}

/* Sends a signed ping as e on sock and returns true if anything came back
   within ms. */
static bool
answered(zsock_t *sock, h_entity_t *e, int ms_wait)
{
    h_request_t *req = h_request_make(e, "ping", "{}");
    zsock_set_rcvtimeo(sock, ms_wait);
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, req->env, req->env_len);
    zmsg_addmem(msg, req->sig, sizeof req->sig);
    zsock_set_sndtimeo(sock, ms_wait); /* no peer at all: the send fails */
    if (zmsg_send(&msg, sock) != 0) {
        zmsg_destroy(&msg);
        h_request_free(&req);
        return false;
    }
    zmsg_t *reply = zmsg_recv(sock);
    bool got = reply != NULL;
    zmsg_destroy(&reply);
    h_request_free(&req);
    return got;
}

/* A client as key with a short timeout, against server key server_pk. */
static bool
client_answered(const nmirf_key_t *key, const char *server_pk)
{
    nmirf_client_t *c = nmirf_client_new(b->request_ep, key, server_pk, SHORT_MS);
    H_ASSERT(c);
    char why[256];
    nmirf_reply_t *r = nmirf_client_call(c, "ping", NULL, 0, why, sizeof why);
    bool got = r != NULL;
    nmirf_reply_destroy(&r);
    nmirf_client_destroy(&c);
    return got;
}

/* An unknown CURVE key, a plaintext client and a wrong server key all get
   nothing; the broker logs the ZAP refusal and goes on serving. */
static void
test_strangers(void)
{
    nmirf_key_t stranger;
    H_ASSERT(nmirf_key_generate(&stranger, "STRANGER") == 0);
    H_ASSERTF(!client_answered(&stranger, b->server_key), "an unknown key was answered");
    H_ASSERTF(log_has("ZAP: refused"), "the broker did not log the ZAP refusal");
    h_seq(b);
    h_note("unknown CURVE key: no reply, ZAP refusal logged, broker serves on");

    zsock_t *plain = zsock_new(ZMQ_DEALER);
    H_ASSERT(plain);
    zsock_set_linger(plain, 0);
    H_ASSERT(zsock_connect(plain, "%s", b->request_ep) == 0);
    H_ASSERTF(!answered(plain, coord, SHORT_MS), "a plaintext client was answered");
    zsock_destroy(&plain);
    h_seq(b);
    h_note("plaintext client (no CURVE, coordinator's signed request): no reply");

    nmirf_key_t other; /* a key pair that is not the broker's */
    H_ASSERT(nmirf_key_generate(&other, "NOTBROKER") == 0);
    H_ASSERTF(!client_answered(&coord->key, other.curve_pk),
              "a client with a wrong server key was answered");
    H_ASSERTF(client_answered(&coord->key, b->server_key), "the right key is answered");
    nmirf_key_wipe(&stranger);
    nmirf_key_wipe(&other);
    h_note("wrong server key: no reply; the right one: answered");
}

/* MJ's connection carrying a request authored and correctly signed by
   MS: the broker refuses it before looking at the author. */
static void
test_author_mismatch(void)
{
    uint64_t seq = h_seq(b);
    h_request_t *req = h_request_make(ms, "report.submit",
                                      "{'rec': 'T/1', 'status': 'implemented', "
                                      "'narrative': 'not mine to send'}");
    nmirf_reply_t *r = h_request_send(mj, req);
    H_EXPECT(r, "author_mismatch");
    nmirf_reply_destroy(&r);
    r = h_request_send(ms, req); /* the same bytes on MS's own connection */
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    h_request_free(&req);
    H_ASSERT(h_seq(b) == seq + 1);
    h_note("author_mismatch: MJ's connection, MS's signed request; ok on MS's");
}

/* An entity connects right after its enrolment commits, no restart. */
static void
test_enrolled_at_once(void)
{
    h_entity_t *fresh = h_enroll(b, "FRESH", "ministry"); /* connects after the ack */
    H_CALL_CHECK("ok", fresh, "ping", "{}");
    h_note("an entity enrolled a moment ago connects at once");
}

/* Reads sub until nothing comes for SHORT_MS; fails on a message that is
   not on the public feed (PROTOCOL.md section 7: a heartbeat, or
   ev/KIND of a public kind). Returns how many public events came. */
static size_t
public_only(zsock_t *sub, const char *who)
{
    static const char *const public[] = {"ev/rec.added", "ev/rec.updated",
                                         "ev/assignment.set", "ev/report.validated"};
    size_t events = 0;
    zsock_set_rcvtimeo(sub, SHORT_MS);
    zmsg_t *msg;
    while ((msg = zmsg_recv(sub))) {
        char *topic = zframe_strdup(zmsg_first(msg));
        bool ok = strcmp(topic, "hb") == 0;
        for (size_t i = 0; !ok && i < sizeof public / sizeof public[0]; i++)
            if (strcmp(topic, public[i]) == 0)
                ok = true, events++;
        H_ASSERTF(ok, "%s's SUB got '%s', not on the public feed", who, topic);
        free(topic);
        zmsg_destroy(&msg);
    }
    return events;
}

/* A revocation drops nobody's session: the revoked entity's open request
   session is refused `revoked`, its open SUB (which cannot be refused)
   goes on hearing the public feed and nothing else, new connections with
   its key are refused, and the others are served on the same sessions. */
static void
test_revoked_session(void)
{
    h_entity_t *rv = h_enroll(b, "RV", "ministry");
    H_CALL_CHECK("ok", rv, "ping", "{}");
    zsock_t *rv_sub = h_sub_new(b, rv, ""); /* every topic there is */
    zsock_t *co_sub = h_sub_new(b, coord, "");
    /* Both subscriptions are live once an event reaches both. */
    int tries = 0;
    bool rv_got = false, co_got = false;
    while ((!rv_got || !co_got) && tries++ < 20) {
        H_CALL_CHECK("ok", coord, "rec.import",
                     "{'recs': [{'id': 'T/W%d', 'mechanism': 'CAT', "
                     "'text': {'en': 'x'}}]}",
                     tries);
        h_sleep_ms(100);
        zsock_set_rcvtimeo(rv_sub, 0);
        zsock_set_rcvtimeo(co_sub, 0);
        zmsg_t *m;
        while ((m = zmsg_recv(rv_sub)))
            rv_got = true, zmsg_destroy(&m);
        while ((m = zmsg_recv(co_sub)))
            co_got = true, zmsg_destroy(&m);
    }
    H_ASSERTF(rv_got && co_got, "subscribers never heard an event");
    h_note("RV and the coordinator subscribed, RV connected");

    H_CALL_CHECK("ok", coord, "entity.revoke", "{'id': 'RV'}");
    /* Not public: an enrolment, a submitted report. Public: an import. */
    h_enroll(b, "RV2", "observer");
    H_CALL_CHECK("ok", ms, "report.submit",
                 "{'rec': 'T/1', 'status': 'in_progress', 'narrative': 'not public'}");
    H_CALL_CHECK(
        "ok", coord, "rec.import",
        "{'recs': [{'id': 'T/AFTER', 'mechanism': 'CAT', 'text': {'en': 'x'}}]}");
    size_t co_n = public_only(co_sub, "the coordinator");
    size_t rv_n = public_only(rv_sub, "RV");
    H_ASSERTF(co_n >= 1, "the coordinator's SUB heard nothing after the revocation");
    h_note("after revoke: both SUBs, on the same sessions, hear the public feed only "
           "(%zu and %zu public events, no enrolment, no submitted report)",
           co_n, rv_n);

    char why[256];
    nmirf_reply_t *r = nmirf_client_call(rv->client, "ping", NULL, 0, why, sizeof why);
    H_EXPECT(r, "revoked");
    nmirf_reply_destroy(&r);
    H_ASSERTF(!client_answered(&rv->key, b->server_key),
              "a revoked entity connected anew");
    H_CALL_CHECK("ok", mj, "ping", "{}");
    H_CALL_CHECK("ok", coord, "ping", "{}");
    H_ASSERTF(!log_has("dropped every session"), "the broker dropped sessions");
    zsock_destroy(&rv_sub);
    zsock_destroy(&co_sub);
    h_note("RV's open session refused revoked, new connections unanswered; MJ and "
           "COORD served on their sessions");
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 55);
    b = h_broker_start(NULL);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    ms = h_enroll(b, "MS", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'T/1', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'T/1', 'lead': 'MS'}");
    test_strangers();
    test_author_mismatch();
    test_enrolled_at_once();
    test_revoked_session();
    h_broker_destroy(&b);
    printf("transport_test: all passed\n");
    return 0;
}
