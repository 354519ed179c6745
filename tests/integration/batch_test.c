/*  batch_test - requests pipelined without waiting, so that the broker's
    group commit takes many into one transaction: each still sees the ones
    before it (a replay, a second validation, a revoked author, a replaced
    lead), each write's reply seq is its own event, and each event's
    req_hash binds it to the exact signed bytes (PROTOCOL.md sections 3, 4
    and 7).
*/
#include "harness.h"

#include <czmq.h>
#include <string.h>

#include "nmirf_util.h"

#define REC "UPR4/9.1" /* MJ leads it */
#define PIPELINE 100   /* report.submit requests sent before any reply */
#define COPIES 10      /* copies of one request, per socket */

static h_broker_t *b;               /* the broker under test */
static h_entity_t *coord, *mj, *ms; /* its entities */

/* A DEALER socket to the broker as e: the broker answers only requests
   whose author is the connection's entity (caller destroys). */
static zsock_t *
dealer(h_entity_t *e)
{
    zsock_t *sock = h_dealer_new(b, e);
    zsock_set_rcvtimeo(sock, H_CALL_TIMEOUT_MS);
    return sock;
}

/* Receives the next reply on sock; fails after H_CALL_TIMEOUT_MS. */
static nmirf_reply_t *
recv_reply(zsock_t *sock)
{
    zmsg_t *msg = zmsg_recv(sock);
    H_ASSERTF(msg, "a pipelined request got no reply");
    char why[256];
    zframe_t *frame = zmsg_last(msg);
    nmirf_reply_t *r =
        nmirf_reply_decode(zframe_data(frame), zframe_size(frame), why, sizeof why);
    H_ASSERTF(r, "reply does not decode: %s", why);
    zmsg_destroy(&msg);
    h_remember("(pipelined)", r);
    return r;
}

/* The index in reqs[0..n) of the request with r's id; fails if none. */
static size_t
match(nmirf_reply_t *r, h_request_t *const *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r->has_id && memcmp(r->id, reqs[i]->id, NMIRF_ID_LEN) == 0)
            return i;
    h_fail(__FILE__, __LINE__, "a reply for a request never sent");
}

/* PIPELINE submits at once: all ok, each reply's seq is the event that
   carries its request id and the hash of its exact bytes. */
static void
test_pipeline(void)
{
    uint64_t since = h_seq(b);
    h_request_t *reqs[PIPELINE];
    zsock_t *sock = dealer(mj);
    for (int i = 0; i < PIPELINE; i++) {
        reqs[i] = h_request_make(mj, "report.submit",
                                 "{'rec': '" REC "', 'status': 'in_progress', "
                                 "'narrative': 'pipelined %d'}",
                                 i);
        h_request_post(sock, reqs[i]);
    }
    uint64_t reply_seq[PIPELINE] = {0};
    for (int k = 0; k < PIPELINE; k++) {
        nmirf_reply_t *r = recv_reply(sock);
        H_EXPECT(r, "ok");
        size_t i = match(r, reqs, PIPELINE);
        H_ASSERTF(reply_seq[i] == 0, "two replies to request %zu", i);
        reply_seq[i] = r->seq;
        nmirf_reply_destroy(&r);
    }
    nmirf_event_t **evs;
    size_t n = h_events(coord, since, &evs);
    H_ASSERT(n == PIPELINE);
    H_CHECK_CHAIN(evs, n, NULL);
    for (int i = 0; i < PIPELINE; i++) {
        H_ASSERTF(reply_seq[i] > since && reply_seq[i] <= since + PIPELINE,
                  "reply seq %llu out of the batch", (unsigned long long)reply_seq[i]);
        const nmirf_event_t *ev = evs[reply_seq[i] - since - 1];
        H_ASSERTF(ev->has_req && memcmp(ev->req, reqs[i]->id, NMIRF_ID_LEN) == 0,
                  "request %d's reply seq %llu is another request's event", i,
                  (unsigned long long)reply_seq[i]);
        uint8_t hash[NMIRF_HASH_LEN];
        nmirf_hash2(hash, reqs[i]->env, reqs[i]->env_len, reqs[i]->sig, NMIRF_SIG_LEN);
        H_ASSERTF(memcmp(ev->req_hash, hash, sizeof hash) == 0,
                  "event %llu's req_hash is not BLAKE2b(envelope || signature)",
                  (unsigned long long)ev->seq);
        H_ASSERT(strcmp(ev->author, "MJ") == 0);
        h_request_free(&reqs[i]);
    }
    h_events_free(&evs, n);
    zsock_destroy(&sock);
    h_note("%d pipelined writes: reply seq = own event, req_hash binds the bytes",
           PIPELINE);
}

/* COPIES of one request on each of two sockets: one event, one answer. */
static void
test_copies(void)
{
    uint64_t since = h_seq(b);
    h_request_t *req = h_request_make(mj, "report.submit",
                                      "{'rec': '" REC "', 'status': 'implemented', "
                                      "'narrative': 'once'}");
    zsock_t *a = dealer(mj), *c = dealer(mj);
    for (int i = 0; i < COPIES; i++) {
        h_request_post(a, req);
        h_request_post(c, req);
    }
    nmirf_reply_t *first = NULL;
    for (int i = 0; i < 2 * COPIES; i++) {
        nmirf_reply_t *r = recv_reply(i % 2 ? c : a);
        H_EXPECT(r, "ok");
        if (!first) {
            first = r;
            continue;
        }
        H_ASSERT(r->seq == first->seq && h_same(&r->body, &first->body));
        nmirf_reply_destroy(&r);
    }
    H_ASSERTF(h_seq(b) == since + 1, "%d copies of one request made %llu events",
              2 * COPIES, (unsigned long long)(h_seq(b) - since));
    nmirf_reply_destroy(&first);
    zsock_destroy(&c);
    zsock_destroy(&a);
    h_request_free(&req);
    h_note("%d copies of one request in flight: one event, one answer", 2 * COPIES);
}

/* Sends first then second, both by author, on one socket before reading
   either reply, and checks their codes. */
static void
pair(h_entity_t *author, h_request_t *first, const char *first_code, h_request_t *second,
     const char *second_code)
{
    zsock_t *sock = dealer(author);
    h_request_post(sock, first);
    h_request_post(sock, second);
    h_request_t *reqs[2] = {first, second};
    for (int k = 0; k < 2; k++) {
        nmirf_reply_t *r = recv_reply(sock);
        H_EXPECT(r, match(r, reqs, 2) == 0 ? first_code : second_code);
        nmirf_reply_destroy(&r);
    }
    zsock_destroy(&sock);
    h_request_free(&reqs[0]);
    h_request_free(&reqs[1]);
}

/* As pair, with each request on its own author's connection: requests of
   two connections have no order on the wire, so second is sent only once
   first is answered. */
static void
pair_of_two(h_entity_t *a, h_request_t *first, const char *first_code, h_entity_t *c,
            h_request_t *second, const char *second_code)
{
    zsock_t *sa = dealer(a), *sc = dealer(c);
    h_request_post(sa, first);
    nmirf_reply_t *r = recv_reply(sa);
    H_EXPECT(r, first_code);
    nmirf_reply_destroy(&r);
    h_request_post(sc, second);
    r = recv_reply(sc);
    H_EXPECT(r, second_code);
    nmirf_reply_destroy(&r);
    zsock_destroy(&sa);
    zsock_destroy(&sc);
    h_request_free(&first);
    h_request_free(&second);
}

/* Conflicting requests in flight together: the second sees the first. */
static void
test_pairs(void)
{
    nmirf_reply_t *r = H_CALL_EXPECT(
        "ok", mj, "report.submit",
        "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'to validate'}");
    unsigned long long report = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    uint64_t since = h_seq(b);
    pair(coord, h_request_make(coord, "report.validate", "{'report': %llu}", report),
         "ok", h_request_make(coord, "report.validate", "{'report': %llu}", report),
         "conflict");
    pair(
        coord,
        h_request_make(coord, "report.return", "{'report': %llu, 'reason': 'x'}", report),
        "conflict", h_request_make(coord, "report.validate", "{'report': %llu}", report),
        "conflict");
    H_ASSERT(h_seq(b) == since + 1);

    h_entity_t *x = h_entity_new(b, "X1");
    msgpack_sbuffer *enroll = h_pack_enroll(&x->key, "ministry");
    uint8_t id1[NMIRF_ID_LEN], id2[NMIRF_ID_LEN];
    nmirf_random_id(id1, sizeof id1);
    nmirf_random_id(id2, sizeof id2);
    pair(coord,
         h_request_make_packed(coord, id1, "entity.enroll", (uint8_t *)enroll->data,
                               enroll->size),
         "ok",
         h_request_make_packed(coord, id2, "entity.enroll", (uint8_t *)enroll->data,
                               enroll->size),
         "conflict");
    msgpack_sbuffer_free(enroll);

    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'X1/REC', 'mechanism': 'CAT', 'text': {'en': 'x'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'X1/REC', 'lead': 'X1'}");
    /* Revoke, and X1's write in flight on its own connection: if it lands
       in the revocation's batch after it, dispatch says revoked; before
       it, it is applied. Either way X1's session stays open, and its next
       request is refused revoked (transport_test has the details). */
    zsock_t *xs = dealer(x);
    zsock_set_rcvtimeo(xs, H_CALL_TIMEOUT_MS);
    h_request_t *rv = h_request_make(coord, "entity.revoke", "{'id': 'X1'}");
    h_request_t *xw =
        h_request_make(x, "report.submit",
                       "{'rec': 'X1/REC', 'status': 'implemented', 'narrative': 'x'}");
    zsock_t *cs = dealer(coord);
    /* X1's handshake must be done before the revocation commits. */
    H_CALL_CHECK("ok", coord, "ping", "{}");
    h_request_post(cs, rv);
    h_request_post(xs, xw);
    r = recv_reply(cs);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    zmsg_t *xm = zmsg_recv(xs);
    H_ASSERTF(xm, "X1's write in flight with its revocation got no reply");
    char why[256];
    r = nmirf_reply_decode(zframe_data(zmsg_last(xm)), zframe_size(zmsg_last(xm)), why,
                           sizeof why);
    H_ASSERTF(r && (strcmp(r->code_name, "revoked") == 0 || r->ok),
              "X1's write in flight with its revocation: %s", r ? r->code_name : why);
    nmirf_reply_destroy(&r);
    zmsg_destroy(&xm);
    h_request_free(&xw);
    xw = h_request_make(x, "ping", "{}");
    h_request_post(xs, xw);
    xm = zmsg_recv(xs);
    H_ASSERTF(xm, "a revoked entity's open connection got no refusal");
    r = nmirf_reply_decode(zframe_data(zmsg_last(xm)), zframe_size(zmsg_last(xm)), why,
                           sizeof why);
    H_EXPECT(r, "revoked");
    nmirf_reply_destroy(&r);
    zmsg_destroy(&xm);
    zsock_destroy(&xs);
    zsock_destroy(&cs);
    h_request_free(&rv);
    h_request_free(&xw);
    pair_of_two(
        coord, h_request_make(coord, "rec.assign", "{'rec': '" REC "', 'lead': 'MS'}"),
        "ok", mj,
        h_request_make(mj, "report.submit",
                       "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'x'}"),
        "forbidden");
    H_CALL_CHECK("ok", ms, "report.submit",
                 "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'mine now'}");

    nmirf_event_t **evs;
    size_t n = h_events(coord, 0, &evs);
    H_ASSERT(n == h_seq(b));
    H_CHECK_CHAIN(evs, n, NULL);
    H_ASSERT(h_count_kind(evs, n, "report.validated") == 1);
    H_ASSERT(h_count_kind(evs, n, "report.returned") == 0);
    h_events_free(&evs, n);
    h_note("pairs in flight: validate twice, enroll twice, revoke then write, "
           "reassign then write");
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
                 "{'recs': [{'id': '" REC
                 "', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': '" REC "', 'lead': 'MJ'}");
    test_pipeline();
    test_copies();
    test_pairs();
    h_broker_destroy(&b);
    return 0;
}
