/*  durability_test - what the broker keeps: idempotent resends (PROTOCOL.md
    section 3), all state across a clean restart with the sequence going on
    without a gap, and every acknowledged write across SIGKILL, with and
    without load (DESIGN.md guarantees 1-3).
*/
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"

#define REC_MJ "UPR4/1.1"      /* assigned to MJ */
#define REC_MI "UPR4/1.2"      /* assigned to MI */
#define KILL_ROUNDS 3          /* SIGKILLs under load */
#define WRITER_MAX 20000       /* writes one writer may make in a round */
#define WRITER_TIMEOUT_MS 1000 /* a write to a killed broker gives up after */
#define WRITER_MIN_ACKS 5      /* kill only after this many acks in a round */
#define ACK_WAIT_MS 10000      /* ... which must come within this */

static h_broker_t *b;               /* the broker under test */
static h_entity_t *coord, *mj, *mi; /* its entities */

/* The report.submit body MJ sends, numbered so each differs. */
static msgpack_sbuffer *
report_body(const char *rec, int n)
{
    return h_pack_json("{'rec': '%s', 'status': 'in_progress', 'narrative': 'step %d'}",
                       rec, n);
}

/* Imports two recommendations and assigns them to MJ and MI. */
static void
setup(void)
{
    b = h_broker_start(NULL);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    mi = h_enroll(b, "MI", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': '" REC_MJ
                 "', 'mechanism': 'UPR', 'text': {'en': 'A'}},"
                 "{'id': '" REC_MI "', 'mechanism': 'UPR', 'text': {'en': 'B'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': '" REC_MJ "', 'lead': 'MJ'}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': '" REC_MI "', 'lead': 'MI'}");
}

/* Fails unless two replies are the same answer. */
static void
same_reply(const nmirf_reply_t *a, const nmirf_reply_t *c)
{
    H_ASSERT(a->ok == c->ok && a->code == c->code && a->seq == c->seq);
    H_ASSERT(a->has_id && c->has_id && memcmp(a->id, c->id, NMIRF_ID_LEN) == 0);
    H_ASSERT(h_same(&a->body, &c->body));
}

/* The same two frames again get the stored reply and no event; the same
   id with other bytes is id_reused; refused requests and reads are not
   stored. Returns the stored write (for the restart test) and its reply. */
static h_request_t *
test_idempotency(nmirf_reply_t **first_p)
{
    msgpack_sbuffer *body = report_body(REC_MJ, 0);
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    h_request_t *req =
        h_request_make_packed(mj, id, "report.submit", (uint8_t *)body->data, body->size);
    nmirf_reply_t *first = h_request_send(mj, req);
    H_EXPECT(first, "ok");
    uint64_t seq = h_seq(b);
    H_ASSERT(first->seq == seq);

    for (int i = 0; i < 3; i++) {
        nmirf_reply_t *again = h_request_send(mj, req);
        same_reply(first, again);
        nmirf_reply_destroy(&again);
    }
    H_ASSERTF(h_seq(b) == seq, "a resend made an event");

    /* The same id and ts with other bytes: another body, or the same body
       with another signature (a flipped bit is bad_signature, checked
       first: refusal_test). A write is (ts, id): the same id under another
       ts is another request (PROTOCOL.md section 3, Idempotency). */
    msgpack_sbuffer *other = report_body(REC_MJ, 1);
    h_request_t *reuse = h_request_make_at(mj, id, req->ts, "report.submit",
                                           (uint8_t *)other->data, other->size);
    nmirf_reply_t *r = h_request_send(mj, reuse);
    h_request_free(&reuse);
    H_EXPECT(r, "id_reused");
    H_ASSERT(r->has_id && memcmp(r->id, id, NMIRF_ID_LEN) == 0);
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_free(other);
    H_ASSERT(h_seq(b) == seq);

    /* A refused write is not stored: the same bytes are judged again. */
    h_request_t *early = h_request_make(mi, "report.submit",
                                        "{'rec': '" REC_MJ "', 'status': 'implemented', "
                                        "'narrative': 'too early'}");
    r = h_request_send(mi, early);
    H_EXPECT(r, "forbidden");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': '" REC_MJ "', 'lead': 'MJ', 'contributors': ['MI']}");
    r = h_request_send(mi, early);
    H_EXPECT(r, "ok");
    H_ASSERT(r->seq == seq + 2);
    nmirf_reply_destroy(&r);
    h_request_free(&early);

    /* A read is not stored: its id may be used again, by a write too. */
    h_request_t *ping = h_request_make(mi, "ping", "{}");
    for (int i = 0; i < 2; i++) {
        r = h_request_send(mi, ping);
        H_EXPECT(r, "ok");
        nmirf_reply_destroy(&r);
    }
    msgpack_sbuffer *mi_body = report_body(REC_MI, 2);
    r = h_call_packed(mi, ping->id, "report.submit", (uint8_t *)mi_body->data,
                      mi_body->size);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_free(mi_body);
    h_request_free(&ping);

    /* A stored write resent after the state changed under it (its author
       is no longer assigned) still gets its first reply, not a refusal. */
    h_request_t *mine = h_request_make(mi, "report.submit",
                                       "{'rec': '" REC_MI "', 'status': 'implemented', "
                                       "'narrative': 'before reassignment'}");
    nmirf_reply_t *mine_first = h_request_send(mi, mine);
    H_EXPECT(mine_first, "ok");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': '" REC_MI "', 'lead': 'MJ'}");
    uint64_t after = h_seq(b);
    r = h_request_send(mi, mine);
    same_reply(mine_first, r);
    H_ASSERT(h_seq(b) == after);
    nmirf_reply_destroy(&r);
    nmirf_reply_destroy(&mine_first);
    h_request_free(&mine);

    msgpack_sbuffer_free(body);
    *first_p = first;
    h_note("idempotency: resend, id_reused, refusals and reads not stored, "
           "resend after the state changed");
    return req;
}

/* A clean restart keeps everything: the same snapshot and event bytes,
   stored replies, and the sequence goes on from where it was. */
static void
test_restart(const h_request_t *stored, const nmirf_reply_t *stored_reply)
{
    uint64_t seq = h_seq(b);
    nmirf_reply_t *before = H_CALL_EXPECT("ok", coord, "snapshot", "{}");
    nmirf_event_t **evs;
    size_t n = h_events(coord, 0, &evs);
    H_ASSERT(n == seq);
    H_CHECK_CHAIN(evs, n, NULL);

    h_broker_stop(b);
    h_broker_restart(b);

    H_ASSERTF(h_seq(b) == seq, "seq %llu after restart, was %llu",
              (unsigned long long)h_seq(b), (unsigned long long)seq);
    nmirf_reply_t *after = H_CALL_EXPECT("ok", coord, "snapshot", "{}");
    H_ASSERTF(h_same(&before->body, &after->body), "snapshot changed across a restart");
    nmirf_event_t **evs2;
    size_t n2 = h_events(coord, 0, &evs2);
    H_ASSERT(n2 == n);
    for (size_t i = 0; i < n; i++)
        H_ASSERTF(evs[i]->len == evs2[i]->len &&
                      memcmp(evs[i]->bytes, evs2[i]->bytes, evs[i]->len) == 0,
                  "event %zu changed across a restart", i + 1);

    nmirf_reply_t *again = h_request_send(mj, stored);
    same_reply(stored_reply, again);
    nmirf_reply_destroy(&again);
    H_ASSERT(h_seq(b) == seq);

    H_CALL_CHECK("ok", mj, "report.submit",
                 "{'rec': '" REC_MJ "', 'status': 'implemented', 'narrative': 'after'}");
    nmirf_event_t **next;
    size_t n3 = h_events(coord, seq, &next);
    H_ASSERT(n3 == 1 && next[0]->seq == seq + 1);
    H_CHECK_CHAIN(next, n3, evs[n - 1]);

    h_events_free(&next, n3);
    h_events_free(&evs2, n2);
    h_events_free(&evs, n);
    nmirf_reply_destroy(&after);
    nmirf_reply_destroy(&before);
    h_note("restart: snapshot, events, stored replies kept; seq %llu -> %llu",
           (unsigned long long)seq, (unsigned long long)seq + 1);
}

/* The writes a writer got acknowledged. */
typedef struct {
    nmirf_client_t *client;                /* MJ's own client (short timeout) */
    uint8_t ids[WRITER_MAX][NMIRF_ID_LEN]; /* request ids acknowledged */
    uint64_t reports[WRITER_MAX];          /* their report ids */
    atomic_size_t acked;                   /* how many */
} writer_t;

/* Submits reports as MJ until a call gets no reply (the broker died). */
static void *
writer_run(void *arg)
{
    writer_t *w = arg;
    for (int i = 0; i < WRITER_MAX; i++) {
        msgpack_sbuffer *body = report_body(REC_MJ, i);
        uint8_t id[NMIRF_ID_LEN];
        nmirf_random_id(id, sizeof id);
        char why[256];
        nmirf_reply_t *r =
            nmirf_client_call_id(w->client, id, "report.submit", (uint8_t *)body->data,
                                 body->size, why, sizeof why);
        msgpack_sbuffer_free(body);
        if (!r)
            break;
        h_remember("report.submit (writer)", r);
        H_EXPECT(r, "ok");
        size_t k = atomic_load(&w->acked);
        memcpy(w->ids[k], id, NMIRF_ID_LEN);
        w->reports[k] = h_u(&r->body, "report.id");
        atomic_store(&w->acked, k + 1);
        nmirf_reply_destroy(&r);
    }
    return NULL;
}

/* Fails unless every acknowledged write of w is in the broker exactly
   once: one event carrying its request id, one report with its id. */
static void
check_acked(const writer_t *w, nmirf_event_t *const *evs, size_t n)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", coord, "report.list",
                                     "{'rec': '" REC_MJ "', 'limit': 100000}");
    size_t acked = atomic_load(&w->acked);
    for (size_t k = 0; k < acked; k++) {
        size_t found = 0;
        for (size_t i = 0; i < n; i++)
            if (evs[i]->has_req && memcmp(evs[i]->req, w->ids[k], NMIRF_ID_LEN) == 0)
                found++;
        H_ASSERTF(found == 1, "acknowledged write %zu has %zu events after SIGKILL", k,
                  found);
        const msgpack_object *list = h_get(&r->body, "reports");
        size_t reports = 0;
        for (uint32_t i = 0; list && i < list->via.array.size; i++)
            if (h_u(&list->via.array.ptr[i], "id") == w->reports[k])
                reports++;
        H_ASSERTF(reports == 1, "acknowledged report %llu found %zu times after SIGKILL",
                  (unsigned long long)w->reports[k], reports);
    }
    nmirf_reply_destroy(&r);
}

/* Restarts the broker and fails unless every write w got acknowledged is
   there exactly once and the log is gap-free with its chain verifying. */
static void
restart_and_check(const writer_t *w)
{
    h_broker_restart(b);
    nmirf_event_t **evs;
    size_t n = h_events(coord, 0, &evs);
    H_ASSERTF(n == h_seq(b), "%zu events, seq %llu", n, (unsigned long long)h_seq(b));
    H_CHECK_CHAIN(evs, n, NULL);
    check_acked(w, evs, n);
    h_events_free(&evs, n);
}

/* Ten acknowledged writes, then SIGKILL at once: all there after the
   restart, and the last one resent gets its first reply. */
static void
test_kill_after_acks(writer_t *w)
{
    atomic_store(&w->acked, 0);
    h_request_t *req = NULL;
    nmirf_reply_t *r = NULL;
    for (int i = 0; i < 10; i++) {
        h_request_free(&req);
        nmirf_reply_destroy(&r);
        req = h_request_make(mj, "report.submit",
                             "{'rec': '" REC_MJ "', 'status': 'in_progress', "
                             "'narrative': 'sync %d'}",
                             i);
        r = h_request_send(mj, req);
        H_EXPECT(r, "ok");
        memcpy(w->ids[i], req->id, NMIRF_ID_LEN);
        w->reports[i] = h_u(&r->body, "report.id");
        atomic_store(&w->acked, (size_t)i + 1);
    }
    h_broker_kill(b);
    restart_and_check(w);
    nmirf_reply_t *again = h_request_send(mj, req);
    same_reply(r, again);
    nmirf_reply_destroy(&again);
    nmirf_reply_destroy(&r);
    h_request_free(&req);
    h_note("SIGKILL right after 10 acknowledged writes: all present once, "
           "resend answered from the store");
}

/* A writer going on while the broker is ended (SIGKILL, or SIGTERM that
   must exit 0) at a random moment after WRITER_MIN_ACKS acks. */
static void
test_end_under_load(writer_t *w, bool clean, int round)
{
    atomic_store(&w->acked, 0);
    w->client =
        nmirf_client_new(b->request_ep, &mj->key, b->server_key, WRITER_TIMEOUT_MS);
    H_ASSERT(w->client);
    pthread_t thread;
    H_ASSERT(pthread_create(&thread, NULL, writer_run, w) == 0);
    for (int waited = 0; atomic_load(&w->acked) < WRITER_MIN_ACKS && waited < ACK_WAIT_MS;
         waited += 5)
        h_sleep_ms(5);
    H_ASSERTF(atomic_load(&w->acked) >= WRITER_MIN_ACKS, "writer got %zu acks in %d ms",
              atomic_load(&w->acked), ACK_WAIT_MS);
    h_sleep_ms((unsigned)(rand() % 200));
    if (clean)
        h_broker_stop(b);
    else
        h_broker_kill(b);
    H_ASSERT(pthread_join(thread, NULL) == 0);
    nmirf_client_destroy(&w->client);
    restart_and_check(w);
    h_note("%s under load, round %d: %zu acknowledged writes all present once",
           clean ? "SIGTERM" : "SIGKILL", round, atomic_load(&w->acked));
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 85);
    srand(h_seed("durability_test")); /* the kill moments */
    setup();
    nmirf_reply_t *stored_reply;
    h_request_t *stored = test_idempotency(&stored_reply);
    test_restart(stored, stored_reply);
    nmirf_reply_destroy(&stored_reply);
    h_request_free(&stored);
    writer_t *w = calloc(1, sizeof *w);
    H_ASSERT(w);
    test_kill_after_acks(w);
    for (int round = 1; round <= KILL_ROUNDS; round++)
        test_end_under_load(w, false, round);
    test_end_under_load(w, true, KILL_ROUNDS + 1);
    free(w);
    h_broker_destroy(&b);
    return 0;
}
