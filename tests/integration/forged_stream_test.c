/*  forged_stream_test - a real standby nmirfd following a fake primary
    over the wire refuses a forged or reordered stream, says why, and
    changes nothing (issue 17; docs/REPLICATION.md, "How the standby
    checks it"; proto/PROTOCOL.md section 11).

    A real primary A and a standby B that follows it (an entity SB of
    role standby on A, nmirfd --standby-of A -S A.pub --standby-key
    SB.key) give B a store and DATADIR/follow.pos. B stops; the test
    follows A itself as SB from B's position (repl.follow on a DEALER, as
    follower.c does) and captures the records of two writes, then stops
    A. In A's place (its endpoint, its CURVE key pair) the test binds a
    ROUTER of its own: it answers each repl.follow of B, started again,
    with OK and pushes ([routing id]["repl"][n, ts][record]):

    - the first record with a byte of a value changed after signing;
    - the first record signed again with another key (a ministry's);
    - the second record first, as if it were the first (reordered);
    - the first record numbered n + 2 (a skipped number);
    - the first record as it is: applied;
    - the first record again, numbered as the next (a replay);
    - the second record: applied.
    B acknowledges (["rack"][n]) the good records and never a forged one.

    Each bad one: B's log says "record N refused" with its reason (or "a
    gap in the stream"), B's store is unchanged (its digest, opened beside
    the daemon), B still runs and answers. Each good one: B's seq is the
    record's to_seq. At the end B's log verifies with A's key.
*/
#include "harness.h"
#include "harness_store.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"
#include "nmirf_repl.h"
#include "nmirf_util.h"
#include "repl_sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_WAIT_MS 15000 /* a step of B (a refusal, a new follow) within this */

/* A record captured from A: its bytes and what it says. */
typedef struct {
    uint8_t *bytes;
    size_t len;
    uint64_t from_seq, to_seq;
} s_record_t;

/* The fake primary: a ROUTER on A's endpoint with A's CURVE key. */
typedef struct {
    zsock_t *router;
    zframe_t *rid;  /* the routing id of B's latest repl.follow */
    uint64_t good;  /* the last record B may acknowledge (it was sent as signed) */
    uint64_t acked; /* the highest record B acknowledged (["rack"][n]) */
} s_fake_t;

/* The seq and digest of the store in dir, opened beside its broker. */
static uint64_t
s_digest(const char *dir, uint8_t out[NMIRF_HASH_LEN])
{
    uint64_t seq;
    h_store_digest(dir, out, &seq);
    return seq;
}

/* B's position in DATADIR/follow.pos (follower.c): ring, n. */
static void
s_read_pos(const h_broker_t *b, uint8_t ring[REPL_RING_ID_LEN], uint64_t *n)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/follow.pos", b->dir);
    size_t len;
    char *buf = nmirf_read_file(path, &len);
    H_ASSERTF(buf && len == REPL_RING_ID_LEN + 16, "read %s", path);
    memcpy(ring, buf, REPL_RING_ID_LEN);
    *n = nmirf_be64_decode((const uint8_t *)buf + REPL_RING_ID_LEN);
    free(buf);
}

/* The packed body {ring, n} of repl.follow. Caller frees. */
static msgpack_sbuffer *
s_follow_body(const uint8_t ring[REPL_RING_ID_LEN], uint64_t n)
{
    msgpack_sbuffer *sb = msgpack_sbuffer_new();
    H_ASSERT(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_str(&pk, "ring");
    nmirf_mp_pack_bin(&pk, ring, REPL_RING_ID_LEN);
    nmirf_mp_pack_kv_uint(&pk, "n", n);
    return sb;
}

/* Receives on dealer (a follower of A) until the pushed record n comes;
   keeps it in *rec. Fails after S_WAIT_MS. */
static void
s_capture(zsock_t *dealer, uint64_t n, s_record_t *rec)
{
    zpoller_t *poller = zpoller_new(dealer, NULL);
    for (int waited = 0; waited < S_WAIT_MS; waited += 100) {
        if (!zpoller_wait(poller, 100))
            continue;
        zmsg_t *msg = zmsg_recv(dealer);
        H_ASSERT(msg);
        zframe_t *first = zmsg_first(msg);
        if (zmsg_size(msg) == 3 && zframe_streq(first, "repl")) {
            zframe_t *hdr = zmsg_next(msg), *body = zmsg_next(msg);
            H_ASSERT(zframe_size(hdr) == 16);
            if (nmirf_be64_decode(zframe_data(hdr)) == n) {
                nmirf_repl_record_t r;
                char why[256];
                H_ASSERTF(nmirf_repl_decode(zframe_data(body), zframe_size(body), &r, why,
                                            sizeof why) == 0,
                          "record %llu: %s", (unsigned long long)n, why);
                rec->from_seq = r.from_seq;
                rec->to_seq = r.to_seq;
                nmirf_repl_record_free(&r);
                rec->len = zframe_size(body);
                rec->bytes = malloc(rec->len);
                H_ASSERT(rec->bytes);
                memcpy(rec->bytes, zframe_data(body), rec->len);
                zmsg_destroy(&msg);
                zpoller_destroy(&poller);
                return;
            }
        }
        zmsg_destroy(&msg);
    }
    h_fail(__FILE__, __LINE__, "record %llu never pushed", (unsigned long long)n);
}

/* Notes B's acknowledgement n (a msgpack uint): never a record it was
   not sent as signed. */
static void
s_on_ack(s_fake_t *f, zframe_t *frame)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 64);
    msgpack_object n;
    size_t off = 0;
    H_ASSERT(msgpack_unpack((const char *)zframe_data(frame), zframe_size(frame), &off,
                            &zone, &n) == MSGPACK_UNPACK_SUCCESS &&
             n.type == MSGPACK_OBJECT_POSITIVE_INTEGER);
    H_ASSERTF(n.via.u64 <= f->good, "B acknowledged record %llu; it applied up to %llu",
              (unsigned long long)n.via.u64, (unsigned long long)f->good);
    if (n.via.u64 > f->acked)
        f->acked = n.via.u64;
    msgpack_zone_destroy(&zone);
}

/* Waits for B's next repl.follow on the fake (those queued before are
   answered too; B's acknowledgements are passed over), checks it asks
   from record n, answers it OK {n} and keeps its routing id. */
static void
s_answer_follow(s_fake_t *f, uint64_t n)
{
    zpoller_t *poller = zpoller_new(f->router, NULL);
    bool got = false;
    for (int waited = 0; waited < S_WAIT_MS; waited += 100) {
        if (!zpoller_wait(poller, got ? 0 : 100)) {
            if (got)
                break; /* none queued after it: the latest answered */
            continue;
        }
        zmsg_t *msg = zmsg_recv(f->router);
        H_ASSERT(msg);
        zframe_t *rid = zmsg_pop(msg), *env = zmsg_first(msg);
        if (zmsg_size(msg) != 2 || zframe_streq(env, "rack")) {
            /* not a request: B's acknowledgement of a record applied,
               ["rack"][n] (PROTOCOL.md section 11), never of a forged one */
            if (zmsg_size(msg) == 2)
                s_on_ack(f, zmsg_next(msg));
            zframe_destroy(&rid);
            zmsg_destroy(&msg);
            continue;
        }
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        nmirf_envelope_t e;
        bool has_id;
        char why[256];
        H_ASSERTF(nmirf_envelope_decode(zframe_data(env), zframe_size(env), &zone, &e,
                                        &has_id, why, sizeof why) == NMIRF_OK,
                  "B's request: %s", why);
        H_ASSERTF(strcmp(e.op, "repl.follow") == 0, "B sent %s", e.op);
        H_ASSERTF(h_u(&e.body, "n") == n, "B follows from %llu, not %llu",
                  (unsigned long long)h_u(&e.body, "n"), (unsigned long long)n);
        msgpack_sbuffer body, reply;
        msgpack_sbuffer_init(&body);
        msgpack_sbuffer_init(&reply);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_kv_uint(&pk, "n", n);
        nmirf_reply_encode(&reply, e.id, NMIRF_OK, NULL, 0, (const uint8_t *)body.data,
                           body.size);
        msgpack_zone_destroy(&zone);
        zmsg_t *out = zmsg_new();
        zmsg_append(out, &(zframe_t *){zframe_dup(rid)});
        zmsg_addmem(out, reply.data, reply.size);
        H_ASSERT(zmsg_send(&out, f->router) == 0);
        msgpack_sbuffer_destroy(&body);
        msgpack_sbuffer_destroy(&reply);
        zframe_destroy(&f->rid);
        f->rid = rid;
        zmsg_destroy(&msg);
        got = true;
    }
    zpoller_destroy(&poller);
    H_ASSERTF(got, "B sent no repl.follow within %d ms", S_WAIT_MS);
}

/* Pushes bytes as record n to B's latest follow: [rid]["repl"][n, ts][bytes]. */
static void
s_push(s_fake_t *f, uint64_t n, const uint8_t *bytes, size_t len)
{
    uint8_t hdr[16];
    nmirf_be64_encode(n, hdr);
    nmirf_be64_encode(nmirf_now_ms(), hdr + 8);
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, &(zframe_t *){zframe_dup(f->rid)});
    zmsg_addstr(msg, "repl");
    zmsg_addmem(msg, hdr, sizeof hdr);
    zmsg_addmem(msg, bytes, len);
    H_ASSERT(zmsg_send(&msg, f->router) == 0);
}

/* Waits until b's log holds text more than before times. */
static void
s_wait_log(const h_broker_t *b, const char *text, int before)
{
    for (int waited = 0; h_log_count(b->log_path, text) <= before; waited += 50) {
        H_ASSERTF(waited < S_WAIT_MS, "B's log never says \"%s\"", text);
        h_sleep_ms(50);
    }
}

/* One bad record: answers B's follow from n, pushes bytes as record
   number, and checks B's log says refused (with why) and its store is
   as it was; B still answers. */
static void
s_refused(s_fake_t *f, h_broker_t *b, uint64_t n, uint64_t number, const uint8_t *bytes,
          size_t len, const char *says, const char *what)
{
    uint8_t d0[NMIRF_HASH_LEN], d1[NMIRF_HASH_LEN];
    uint64_t seq0 = s_digest(b->dir, d0);
    int before = h_log_count(b->log_path, says);
    s_answer_follow(f, n);
    s_push(f, number, bytes, len);
    s_wait_log(b, says, before);
    uint64_t seq1 = s_digest(b->dir, d1);
    H_ASSERTF(seq1 == seq0 && memcmp(d0, d1, sizeof d0) == 0,
              "%s changed B's store (seq %llu to %llu)", what, (unsigned long long)seq0,
              (unsigned long long)seq1);
    int status;
    H_ASSERTF(waitpid(b->pid, &status, WNOHANG) == 0, "B stopped after %s", what);
    H_ASSERT(h_seq(b) == seq0);
    h_note("%s: refused (\"%s\"), B's store unchanged at seq %llu, B answers", what, says,
           (unsigned long long)seq0);
}

/* One good record: answers B's follow from n, pushes rec as n + 1, and
   waits until B's store holds it. */
static void
s_applied(s_fake_t *f, h_broker_t *b, uint64_t n, const s_record_t *rec)
{
    s_answer_follow(f, n);
    f->good = n + 1;
    s_push(f, n + 1, rec->bytes, rec->len);
    uint8_t d[NMIRF_HASH_LEN];
    for (int waited = 0; s_digest(b->dir, d) != rec->to_seq; waited += 50) {
        H_ASSERTF(waited < S_WAIT_MS, "B never applied record %llu",
                  (unsigned long long)n + 1);
        h_sleep_ms(50);
    }
    H_ASSERT(h_seq(b) == rec->to_seq);
    h_note("record %llu as signed: applied, B at seq %llu", (unsigned long long)n + 1,
           (unsigned long long)rec->to_seq);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 170);

    /* A with a ministry's work and a standby entity. */
    h_broker_t *a = h_broker_start(NULL);
    h_entity_t *coord = h_coord(a);
    h_entity_t *mj = h_enroll(a, "MJ", "ministry");
    h_entity_t *sb = h_enroll(a, "SB", "standby");
    for (int i = 0; i < 3; i++) {
        H_CALL_CHECK("ok", coord, "rec.import",
                     "{'recs': [{'id': 'F-%d', 'mechanism': 'UPR', 'text': {'en': "
                     "'r%d'}}]}",
                     i, i);
        H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'F-%d', 'lead': 'MJ'}", i);
    }

    /* B follows A, then stops: a store and its follow.pos. */
    h_broker_t *b = h_standby_start(a, sb, NULL);
    char why[256], a_ep[H_ENDPOINT_MAX], a_key[PATH_MAX + 32];
    snprintf(a_ep, sizeof a_ep, "%s", a->request_ep);
    snprintf(a_key, sizeof a_key, "%s/keys/NMIRFD.key", a->dir);
    H_CALL_CHECK("ok", mj, "report.submit",
                 "{'rec': 'F-0', 'status': 'in_progress', 'narrative': 'before'}");
    uint64_t seq = h_seq(a);
    for (int waited = 0; h_seq(b) != seq; waited += 50) {
        H_ASSERTF(waited < S_WAIT_MS, "B never reached A's seq %llu",
                  (unsigned long long)seq);
        h_sleep_ms(50);
    }
    h_broker_stop(b);
    uint8_t ring[REPL_RING_ID_LEN];
    uint64_t n0;
    s_read_pos(b, ring, &n0);
    h_note("B followed A to seq %llu (record %llu) and stopped", (unsigned long long)seq,
           (unsigned long long)n0);

    /* The test follows A from B's position and captures the records of
       two writes. */
    zsock_t *dealer = h_dealer_new(a, sb);
    msgpack_sbuffer *body = s_follow_body(ring, n0);
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    h_request_t *req =
        h_request_make_packed(sb, id, "repl.follow", (uint8_t *)body->data, body->size);
    msgpack_sbuffer_free(body);
    h_request_post(dealer, req);
    h_request_free(&req);
    H_CALL_CHECK("ok", mj, "report.submit",
                 "{'rec': 'F-1', 'status': 'in_progress', 'narrative': 'forge-me'}");
    H_CALL_CHECK("ok", mj, "report.submit",
                 "{'rec': 'F-2', 'status': 'in_progress', 'narrative': 'second'}");
    s_record_t rec1, rec2;
    s_capture(dealer, n0 + 1, &rec1);
    s_capture(dealer, n0 + 2, &rec2);
    zsock_destroy(&dealer);
    H_ASSERTF(rec1.from_seq == seq + 1 && rec1.to_seq >= rec1.from_seq &&
                  rec2.from_seq == rec1.to_seq + 1 && rec2.to_seq >= rec2.from_seq,
              "records %llu..%llu and %llu..%llu after seq %llu",
              (unsigned long long)rec1.from_seq, (unsigned long long)rec1.to_seq,
              (unsigned long long)rec2.from_seq, (unsigned long long)rec2.to_seq,
              (unsigned long long)seq);
    h_note("captured records %llu and %llu (events %llu..%llu)",
           (unsigned long long)n0 + 1, (unsigned long long)n0 + 2,
           (unsigned long long)rec1.from_seq, (unsigned long long)rec2.to_seq);

    /* A stops; the fake primary takes its endpoint and CURVE key. */
    h_broker_stop(a);
    nmirf_key_t akey;
    H_ASSERTF(nmirf_key_load(&akey, a_key, why, sizeof why) == 0, "%s", why);
    s_fake_t fake = {.router = zsock_new(ZMQ_ROUTER), .good = n0};
    H_ASSERT(fake.router);
    zsock_set_linger(fake.router, 0);
    zsock_set_curve_server(fake.router, 1);
    zsock_set_curve_secretkey(fake.router, akey.curve_sk);
    H_ASSERTF(zsock_bind(fake.router, "%s", a_ep) >= 0, "bind %s", a_ep);
    h_broker_restart(b);

    /* (a) a value changed after signing. */
    uint8_t *bad = malloc(rec1.len);
    H_ASSERT(bad);
    memcpy(bad, rec1.bytes, rec1.len);
    uint8_t *at = memmem(bad, rec1.len, "forge-me", 8);
    H_ASSERTF(at, "the narrative is not in the record");
    at[0] = 'F';
    char says[256];
    snprintf(says, sizeof says,
             "record %llu refused: the record is not signed by the primary's key",
             (unsigned long long)n0 + 1);
    s_refused(&fake, b, n0, n0 + 1, bad, rec1.len, says, "a value changed after signing");

    /* (b) signed with another key. */
    memcpy(bad, rec1.bytes, rec1.len);
    H_ASSERT(nmirf_repl_resign(bad, rec1.len, mj->key.sign_sk) == 0);
    s_refused(&fake, b, n0, n0 + 1, bad, rec1.len, says, "a record signed by a ministry");
    free(bad);

    /* (c) reordered: the second record first; then a skipped number. */
    snprintf(says, sizeof says, "record %llu refused: the record follows event %llu",
             (unsigned long long)n0 + 1, (unsigned long long)rec1.to_seq);
    s_refused(&fake, b, n0, n0 + 1, rec2.bytes, rec2.len, says,
              "the second record in the first's place");
    snprintf(says, sizeof says, "record %llu after %llu: a gap in the stream",
             (unsigned long long)n0 + 2, (unsigned long long)n0);
    s_refused(&fake, b, n0, n0 + 2, rec1.bytes, rec1.len, says, "a skipped number");

    /* The first record as signed: applied. (d) it again: a replay. */
    s_applied(&fake, b, n0, &rec1);
    snprintf(says, sizeof says,
             "record %llu refused: the record follows event %llu, this store holds "
             "events to %llu (a replay or a reordering)",
             (unsigned long long)n0 + 2, (unsigned long long)rec1.from_seq - 1,
             (unsigned long long)rec1.to_seq);
    s_refused(&fake, b, n0 + 1, n0 + 2, rec1.bytes, rec1.len, says, "a replayed record");
    s_applied(&fake, b, n0 + 1, &rec2);
    /* B acknowledged the good records, and only them (s_on_ack). */
    zpoller_t *poller = zpoller_new(fake.router, NULL);
    for (int waited = 0; fake.acked < n0 + 2; waited += 100) {
        H_ASSERTF(waited < S_WAIT_MS, "B acknowledged up to %llu, not %llu",
                  (unsigned long long)fake.acked, (unsigned long long)n0 + 2);
        if (!zpoller_wait(poller, 100))
            continue;
        zmsg_t *msg = zmsg_recv(fake.router);
        H_ASSERT(msg);
        if (zmsg_size(msg) == 3) {
            zmsg_first(msg); /* the routing id */
            zframe_t *kind = zmsg_next(msg);
            if (zframe_streq(kind, "rack"))
                s_on_ack(&fake, zmsg_next(msg));
        }
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&poller);
    h_note("B acknowledged records %llu and %llu, none of the forged ones",
           (unsigned long long)n0 + 1, (unsigned long long)n0 + 2);

    /* B's log verifies with A's key. */
    h_broker_stop(b);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, akey.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify B's store: %s", sum.why);
    h_note("B's store, after the forged stream, verifies with A's key");

    zframe_destroy(&fake.rid);
    zsock_destroy(&fake.router);
    nmirf_key_wipe(&akey);
    free(rec1.bytes);
    free(rec2.bytes);
    h_broker_destroy(&a);
    b->ents[0].key = (nmirf_key_t){0}; /* A's, wiped with A */
    h_broker_destroy(&b);
    printf("forged_stream_test: all passed\n");
    return 0;
}
