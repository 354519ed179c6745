/*  keyrace_test - a key rotated between a request's verification and its
    commit (docs/ARCHITECTURE.md, "The write path", step 3): the writer
    trusts a verifier's result only for the key current in its own
    transaction, so a request signed with the key a rotation just replaced
    is refused bad_signature, never applied after the rotation.

    The broker runs with NMIRFD_WRITER_DELAY_MS (the writer pauses before
    each batch). Each round, the coordinator sends a write (the blocker),
    then an entity.rotate giving MJ a new signing key (same transport key,
    so MJ's connection survives), and MJ sends a report.submit signed with
    its old key. While the blocker's batch waits, the rotation and the
    submission arrive and are verified against the committed state (the
    old key); then they are applied in arrival order. Which of the two the
    broker reads first is ZeroMQ's fair queueing: a round where the
    submission came first (its event before the rotation's) proves
    nothing and another round follows; a round where the rotation came
    first must refuse the submission. A submission applied after its
    author's rotation fails the test.

    A bad_signature alone proves nothing: a submission applied before the
    rotation whose reply the session drop lost is resent, and the resend,
    signed with the replaced key, may be refused so (or, once a replay of
    the stored bytes gets its first reply ahead of the signature check,
    answered ok). So on bad_signature the test asks report.list for the
    round's report: none is a proof; one must have been applied before the
    rotation (its report.submitted event's seq), and the round proves
    nothing.
*/
#include "harness.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_util.h"

#define ROUNDS 12      /* at most, until PROOFS rounds had the rotation first */
#define PROOFS 2       /* rounds with the rotation applied first */
#define DELAY_MS "200" /* the writer's pause before each batch */

static h_broker_t *b;

/* The next reply on sock, or NULL after H_CALL_TIMEOUT_MS. */
static nmirf_reply_t *
s_recv(zsock_t *sock)
{
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return NULL;
    char why[256];
    zframe_t *frame = zmsg_last(msg);
    nmirf_reply_t *r =
        nmirf_reply_decode(zframe_data(frame), zframe_size(frame), why, sizeof why);
    H_ASSERTF(r, "reply does not decode: %s", why);
    zmsg_destroy(&msg);
    h_remember("(raw)", r);
    return r;
}

/* The reply to req on sock, resending the same bytes if none came (a
   replay gets the first reply). */
static nmirf_reply_t *
s_reply(zsock_t *sock, const h_request_t *req)
{
    for (int tries = 0; tries < 4; tries++) {
        nmirf_reply_t *r;
        while ((r = s_recv(sock)) != NULL) {
            if (r->has_id && memcmp(r->id, req->id, NMIRF_ID_LEN) == 0)
                return r;
            nmirf_reply_destroy(&r); /* an earlier resend's answer */
        }
        h_request_post(sock, req);
    }
    H_ASSERTF(false, "no reply to a request after 4 sends");
    return NULL;
}

/* How many of MJ's reports on R1 carry narrative (report.list as the
   coordinator). */
static size_t
s_reports_with(h_entity_t *coord, const char *narrative)
{
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", coord, "report.list", "{'rec': 'R1', 'entity': 'MJ'}");
    const msgpack_object *list = h_get(&r->body, "reports");
    H_ASSERTF(list && list->type == MSGPACK_OBJECT_ARRAY, "report.list has no reports");
    size_t n = 0;
    for (uint32_t i = 0; i < list->via.array.size; i++)
        n += h_is(&list->via.array.ptr[i], "narrative", narrative);
    nmirf_reply_destroy(&r);
    return n;
}

/* The seq of the report.submitted event request id made, or 0 if the log
   has none (read as the coordinator). */
static uint64_t
s_submitted_at(h_entity_t *coord, const uint8_t id[NMIRF_ID_LEN])
{
    nmirf_event_t **evs;
    size_t n = h_events(coord, 0, &evs);
    uint64_t seq = 0;
    for (size_t i = 0; i < n && !seq; i++)
        if (evs[i]->has_req && memcmp(evs[i]->req, id, NMIRF_ID_LEN) == 0 &&
            strcmp(evs[i]->kind, "report.submitted") == 0)
            seq = evs[i]->seq;
    h_events_free(&evs, n);
    return seq;
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 100);
    setenv("NMIRFD_WRITER_DELAY_MS", DELAY_MS, 1);
    b = h_broker_start(NULL);
    unsetenv("NMIRFD_WRITER_DELAY_MS");
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'R1', 'mechanism': 'UPR', 'text': {'en': 'One'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'R1', 'lead': 'MJ'}");
    uint8_t curve[32];
    H_ASSERT(nmirf_key_curve_raw(&mj->key, curve) == 0);
    zsock_t *cs = h_dealer_new(b, coord), *ms = h_dealer_new(b, mj);
    zsock_set_rcvtimeo(cs, H_CALL_TIMEOUT_MS);
    zsock_set_rcvtimeo(ms, H_CALL_TIMEOUT_MS);

    int proofs = 0, round;
    for (round = 0; round < ROUNDS && proofs < PROOFS; round++) {
        h_request_t *blocker = h_request_make(
            coord, "rec.import",
            "{'recs': [{'id': 'B%d', 'mechanism': 'UPR', 'text': {'en': 'Blocker'}}]}",
            round);
        h_request_t *old = h_request_make(
            mj, "report.submit",
            "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'old key, round %d'}",
            round);
        /* MJ's next signing key; its transport key stays. */
        uint8_t pk[NMIRF_SIGN_PK_LEN], sk[NMIRF_SIGN_SK_LEN];
        crypto_sign_keypair(pk, sk);
        msgpack_sbuffer body;
        msgpack_sbuffer_init(&body);
        msgpack_packer mp;
        msgpack_packer_init(&mp, &body, msgpack_sbuffer_write);
        msgpack_pack_map(&mp, 3);
        nmirf_mp_pack_kv_str(&mp, "id", "MJ");
        nmirf_mp_pack_str(&mp, "sign_key");
        nmirf_mp_pack_bin(&mp, pk, sizeof pk);
        nmirf_mp_pack_str(&mp, "curve_key");
        nmirf_mp_pack_bin(&mp, curve, sizeof curve);
        uint8_t id[NMIRF_ID_LEN];
        randombytes_buf(id, sizeof id);
        h_request_t *rot = h_request_make_packed(coord, id, "entity.rotate",
                                                 (const uint8_t *)body.data, body.size);
        msgpack_sbuffer_destroy(&body);

        /* The blocker first, so that the rotation and the submission
           arrive while its batch waits; the pauses only order the sends. */
        h_request_post(cs, blocker);
        zclock_sleep(50);
        h_request_post(cs, rot);
        zclock_sleep(10);
        h_request_post(ms, old);

        nmirf_reply_t *rb = s_reply(cs, blocker);
        H_EXPECT(rb, "ok");
        nmirf_reply_t *rr = s_reply(cs, rot);
        H_EXPECT(rr, "ok");
        nmirf_reply_t *ro = s_reply(ms, old);
        memcpy(mj->key.sign_pk, pk, sizeof pk);
        memcpy(mj->key.sign_sk, sk, sizeof sk);
        sodium_memzero(sk, sizeof sk);
        if (ro->code == NMIRF_E_BAD_SIGNATURE) {
            char narrative[64];
            snprintf(narrative, sizeof narrative, "old key, round %d", round);
            size_t stored = s_reports_with(coord, narrative);
            uint64_t at = stored ? s_submitted_at(coord, old->id) : 0;
            H_ASSERTF(stored <= 1, "round %d: %zu reports of one submission", round,
                      stored);
            H_ASSERTF(!stored || (at && at < rr->seq),
                      "round %d: the submission answered bad_signature is stored, "
                      "applied at seq %llu (0: no event), the rotation at seq %llu",
                      round, (unsigned long long)at, (unsigned long long)rr->seq);
            if (stored)
                h_note("round %d: the submission (seq %llu) came before the rotation "
                       "(seq %llu), its reply lost; the resend with the replaced key "
                       "refused bad_signature: no proof, another round",
                       round, (unsigned long long)at, (unsigned long long)rr->seq);
            else {
                proofs++;
                h_note("round %d: the rotation (seq %llu) came first: the submission "
                       "signed with the replaced key refused bad_signature, no report "
                       "of the round stored",
                       round, (unsigned long long)rr->seq);
            }
        } else {
            H_EXPECT(ro, "ok");
            H_ASSERTF(ro->seq < rr->seq,
                      "round %d: a submission signed with MJ's replaced key was applied "
                      "at seq %llu, after the rotation at seq %llu",
                      round, (unsigned long long)ro->seq, (unsigned long long)rr->seq);
            h_note("round %d: the submission (seq %llu) came before the rotation (seq "
                   "%llu): no proof, another round",
                   round, (unsigned long long)ro->seq, (unsigned long long)rr->seq);
        }
        nmirf_reply_destroy(&rb);
        nmirf_reply_destroy(&rr);
        nmirf_reply_destroy(&ro);
        h_request_free(&blocker);
        h_request_free(&old);
        h_request_free(&rot);
    }
    H_ASSERTF(proofs == PROOFS, "in %d rounds the rotation came first only %d times",
              round, proofs);
    /* The latest key works (MJ's client keeps the first one: a raw
       request, signed with the key the last rotation gave). */
    h_request_t *now =
        h_request_make(mj, "report.submit",
                       "{'rec': 'R1', 'status': 'implemented', 'narrative': 'new key'}");
    h_request_post(ms, now);
    nmirf_reply_t *r = s_reply(ms, now);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    h_request_free(&now);
    h_note("MJ's latest key accepted");
    zsock_destroy(&cs);
    zsock_destroy(&ms);
    h_broker_destroy(&b);
    return 0;
}
