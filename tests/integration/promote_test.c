/*  promote_test - roles, promotion and fencing (docs/REPLICATION.md,
    "Roles, promotion and fencing") with real brokers, before any log
    shipping: the standby starts from a copy of the primary's store taken
    while the primary is stopped, with keys of its own.

    - the primary's ping says role primary, epoch 1;
    - the standby (nmirfd --standby-of A -S A.pub) says role standby,
      epoch 1, primary A, at the primary's seq; it serves reads, refuses a
      write `not_primary` naming A (reply body {primary}) with nothing
      changed, and answers a resend of a write A applied with A's stored
      reply (the idempotency records came with the store);
    - broker.promote: refused to a ministry (forbidden) and with an epoch
      not above 1 (bad_request); from the coordinator through `nmirf
      promote` (argv[2]) it makes the standby the primary: event
      broker.promoted {epoch 2, broker: its own key} at seq + 1, the chain
      whole; a second promote is a conflict; writes are taken, the seq
      continuing;
    - the old primary, started again without --standby-of, takes writes
      until a ping tells it of epoch 2: then it refuses them `not_primary`
      naming the new primary, and says FENCED in its log and status;
    - the command line with both brokers (-b A,B -S A.pub,B.pub) finds the
      new primary, fences the old one on the way (started again, it had
      forgotten), and its write lands on the new primary;
    - the old primary started --standby-of the new one is a standby;
    - the promoted store verifies offline with the first primary's key
      (checkpoints after the promotion with the key its event names), and
      not with the standby's own key alone.
*/
#include "harness.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *s_nmirf; /* the CLI (argv[2]) */

/* Pings b as e with body (JSON, NULL: {}) and checks role and epoch. */
static nmirf_reply_t *
s_ping_is(h_entity_t *e, const char *body, const char *role, uint64_t epoch)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", e, "ping", "%s", body ? body : "{}");
    H_ASSERTF(h_is(&r->body, "role", role), "role is not %s", role);
    H_ASSERTF(h_u(&r->body, "epoch") == epoch, "epoch %llu, not %llu",
              (unsigned long long)h_u(&r->body, "epoch"), (unsigned long long)epoch);
    return r;
}

/* The signing public key in a key file. */
static void
s_sign_pk(const char *path, uint8_t pk[NMIRF_SIGN_PK_LEN])
{
    nmirf_key_t key;
    char why[256];
    H_ASSERTF(nmirf_key_load(&key, path, why, sizeof why) == 0, "%s", why);
    memcpy(pk, key.sign_pk, NMIRF_SIGN_PK_LEN);
    nmirf_key_wipe(&key);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 170);
    s_nmirf = argc > 2 ? argv[2] : NULL;
    H_ASSERTF(s_nmirf, "usage: standby_test NMIRFD NMIRF");

    /* A, the primary, with a few writes. */
    h_broker_t *a = h_broker_start(NULL);
    h_entity_t *coord = h_coord(a);
    h_entity_t *mj = h_enroll(a, "MJ", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'S-1', 'mechanism': 'UPR', 'text': {'en': 'x'}},"
                 " {'id': 'S-2', 'mechanism': 'UPR', 'text': {'en': 'y'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'S-1', 'lead': 'MJ'}");
    h_request_t *first =
        h_request_make(mj, "report.submit",
                       "{'rec': 'S-1', 'status': 'in_progress', 'narrative': 'on A'}");
    nmirf_reply_t *on_a = h_request_send(mj, first);
    H_EXPECT(on_a, "ok");
    nmirf_reply_t *r = s_ping_is(coord, NULL, "primary", 1);
    H_ASSERT(h_nil(&r->body, "primary") && h_nil(&r->body, "fenced"));
    nmirf_reply_destroy(&r);
    uint64_t seq = h_seq(a);
    h_note("the primary says role primary, epoch 1, at seq %llu",
           (unsigned long long)seq);

    /* B: its own keys from a first start, then A's store (A stopped) and
       A's coordinator and ministry as its clients. */
    h_broker_t *b = h_broker_start(NULL);
    h_broker_stop(b);
    h_broker_stop(a);
    char *out = NULL;
    H_ASSERTF(h_sh(&out, "rm -rf '%s/store' && cp -a '%s/store' '%s/store' 2>&1", b->dir,
                   a->dir, b->dir) == 0,
              "copy the store: %s", out ? out : "");
    free(out);
    b->ent_count = 0; /* A's clients, as its store is A's */
    h_entity_add(b, coord);
    h_entity_add(b, mj);
    h_entity_t *bcoord = &b->ents[0], *bmj = &b->ents[1];
    char a_ep[H_ENDPOINT_MAX], a_pub[PATH_MAX + 32], b_pub[PATH_MAX + 32];
    snprintf(a_ep, sizeof a_ep, "%s", a->request_ep);
    snprintf(a_pub, sizeof a_pub, "%s/keys/NMIRFD.pub", a->dir);
    snprintf(b_pub, sizeof b_pub, "%s/keys/NMIRFD.pub", b->dir);
    const char *standby_args[] = {"--standby-of", a_ep, "-S", a_pub, NULL};
    memcpy(b->args, standby_args, sizeof standby_args);
    h_broker_restart(b);

    r = s_ping_is(bcoord, NULL, "standby", 1);
    H_ASSERT(h_is(&r->body, "primary", a_ep));
    H_ASSERT(r->seq == seq);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", bcoord, "status", "{}");
    H_ASSERT(h_is(&r->body, "role", "standby") && h_is(&r->body, "primary", a_ep));
    nmirf_reply_destroy(&r);
    h_note("the standby says role standby, epoch 1, primary %s, at the same seq", a_ep);

    /* Reads served; writes refused naming the primary, nothing changed. */
    H_CALL_CHECK("ok", bmj, "rec.show", "{'id': 'S-1'}");
    H_CALL_CHECK("ok", bcoord, "snapshot", "{}");
    r = H_CALL_EXPECT("ok", bcoord, "events.since", "{'since': 0}");
    H_ASSERT(h_len(&r->body, "events") == seq);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("not_primary", bmj, "report.submit",
                      "{'rec': 'S-1', 'status': 'implemented', 'narrative': 'on B'}");
    H_ASSERT(h_is(&r->body, "primary", a_ep));
    H_ASSERTF(strstr(r->message, a_ep), "the message names %s: %s", a_ep, r->message);
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("not_primary", bcoord, "rec.assign", "{'rec': 'S-2', 'lead': 'MJ'}");
    H_ASSERT(h_seq(b) == seq);
    H_ASSERT(h_log_count(b->log_path, "refused report.submit from MJ: not_primary") > 0);
    nmirf_reply_t *again = h_request_send(bmj, first);
    H_ASSERTF(again->ok && again->seq == on_a->seq && h_same(&again->body, &on_a->body),
              "a resend of A's write gets A's stored reply from the standby");
    nmirf_reply_destroy(&again);
    h_note("reads served, writes refused not_primary naming the primary, replays "
           "answered from the copied idempotency records");

    /* Promotion: the coordinator's, once, above epoch 1. */
    H_CALL_CHECK("forbidden", bmj, "broker.promote", "{}");
    H_CALL_CHECK("bad_request", bcoord, "broker.promote", "{'epoch': 1}");
    H_CALL_CHECK("bad_request", bcoord, "broker.promote", "{'nope': 1}");
    H_ASSERT(h_seq(b) == seq);
    /* A promote two days old (past the window): refused `stale`, and the
       standby, which writes nothing of its own, raises no stale floor. */
    H_ASSERT(!h_store_meta_has(b->dir, "stale"));
    {
        uint8_t id[NMIRF_ID_LEN];
        nmirf_random_id(id, sizeof id);
        h_request_t *old =
            h_request_make_at(bcoord, id, nmirf_now_ms() - 2 * 86400000ULL,
                              "broker.promote", (const uint8_t *)"\x80", 1);
        r = h_request_send(bcoord, old);
        H_EXPECT(r, "stale");
        nmirf_reply_destroy(&r);
        h_request_free(&old);
    }
    H_ASSERTF(!h_store_meta_has(b->dir, "stale"), "a stale promote raised the standby's floor");
    H_ASSERT(h_seq(b) == seq);
    char akey[PATH_MAX + 32];
    snprintf(akey, sizeof akey, "%s/keys/COORD.key", a->dir);
    int st = h_sh(&out,
                  "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s' -S '%s' -b '%s' "
                  "promote 2>&1",
                  s_nmirf, akey, b_pub, b->request_ep);
    H_ASSERTF(st == 0 && strstr(out, "epoch 2"), "nmirf promote: %d\n%s", st, out);
    free(out);
    r = s_ping_is(bcoord, NULL, "primary", 2);
    H_ASSERT(h_nil(&r->body, "primary") && r->seq == seq + 1);
    nmirf_reply_destroy(&r);
    nmirf_event_t **evs;
    size_t n = h_events(bcoord, 0, &evs);
    H_ASSERT(n == seq + 1);
    H_CHECK_CHAIN(evs, n, NULL);
    const nmirf_event_t *promoted = evs[n - 1];
    uint8_t a_pk[NMIRF_SIGN_PK_LEN], b_pk[NMIRF_SIGN_PK_LEN];
    s_sign_pk(a_pub, a_pk);
    s_sign_pk(b_pub, b_pk);
    H_ASSERT(strcmp(promoted->kind, "broker.promoted") == 0);
    H_ASSERT(h_u(&promoted->data, "epoch") == 2);
    H_ASSERT(h_bin_is(&promoted->data, "broker", b_pk, sizeof b_pk));
    H_ASSERT(strcmp(promoted->author, coord->id) == 0);
    h_events_free(&evs, n);
    H_CALL_CHECK("conflict", bcoord, "broker.promote", "{}");
    r = H_CALL_EXPECT("ok", bmj, "report.submit",
                      "{'rec': 'S-1', 'status': 'implemented', 'narrative': 'on B'}");
    H_ASSERT(r->seq == seq + 2);
    nmirf_reply_destroy(&r);
    h_note("nmirf promote made the standby the primary at epoch 2 (event %llu, its own "
           "key); writes taken, the seq continuing",
           (unsigned long long)seq + 1);

    /* The old primary, back without --standby-of: fenced by a ping. */
    h_broker_restart(a);
    r = s_ping_is(coord, NULL, "primary", 1);
    nmirf_reply_destroy(&r);
    char fence[512];
    snprintf(fence, sizeof fence, "{'epoch': 2, 'primary': '%s'}", b->request_ep);
    r = s_ping_is(mj, fence, "primary", 1);
    H_ASSERT(h_u(&r->body, "fenced") == 2 && h_is(&r->body, "primary", b->request_ep));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("not_primary", mj, "report.submit",
                      "{'rec': 'S-1', 'status': 'implemented', 'narrative': 'on A'}");
    H_ASSERT(h_is(&r->body, "primary", b->request_ep));
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(a) == seq);
    H_ASSERT(h_log_count(a->log_path, "FENCED: MJ has seen epoch 2") > 0);
    r = H_CALL_EXPECT("ok", coord, "status", "{}");
    H_ASSERT(h_u(&r->body, "fenced") == 2);
    nmirf_reply_destroy(&r);
    /* A ping that says less (no epoch, a lower one) changes nothing. */
    H_CALL_CHECK("ok", mj, "ping", "{'epoch': 1}");
    H_CALL_CHECK("not_primary", coord, "rec.assign", "{'rec': 'S-2', 'lead': 'MJ'}");
    H_CALL_CHECK("bad_request", mj, "ping", "{'epoch': 'two'}");
    h_note("the old primary back: fenced by a ping with epoch 2, refuses writes naming "
           "the new primary");

    /* The command line with both brokers: the old primary (started again,
       it forgot) is fenced on the way, the write goes to the new one. */
    h_broker_stop(a);
    h_broker_restart(a);
    st = h_sh(&out,
              "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s' -S '%s,%s' -b '%s,%s' "
              "rec assign S-2 --lead MJ 2>&1",
              s_nmirf, akey, a_pub, b_pub, a->request_ep, b->request_ep);
    H_ASSERTF(st == 0, "nmirf -b A,B rec assign: %d\n%s", st, out);
    free(out);
    r = H_CALL_EXPECT("ok", bcoord, "rec.show", "{'id': 'S-2'}");
    H_ASSERT(h_is(&r->body, "assignment.lead", "MJ"));
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("not_primary", coord, "rec.assign", "{'rec': 'S-2', 'lead': 'MJ'}");
    H_ASSERT(h_seq(a) == seq);
    st = h_sh(&out,
              "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s' -S '%s,%s' -b '%s,%s' "
              "ping 2>&1",
              s_nmirf, akey, a_pub, b_pub, a->request_ep, b->request_ep);
    H_ASSERTF(st == 0 && strstr(out, b->request_ep) && strstr(out, "primary at epoch 2"),
              "nmirf -b A,B ping: %d\n%s", st, out);
    free(out);
    /* One endpoint with two key files: told so, before any connection. */
    st = h_sh(&out,
              "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s' -S '%s,%s' -b '%s' "
              "ping 2>&1",
              s_nmirf, akey, a_pub, b_pub, b->request_ep);
    H_ASSERTF(st != 0 && strstr(out, "1 endpoints but 2 key files"),
              "nmirf -b B -S A.pub,B.pub: %d\n%s", st, out);
    free(out);
    h_note("nmirf -b A,B found the primary at epoch 2 and fenced the old one");

    /* The old primary started --standby-of the new one. */
    h_broker_stop(a);
    char b_ep[H_ENDPOINT_MAX];
    snprintf(b_ep, sizeof b_ep, "%s", b->request_ep);
    const char *follow_args[] = {"--standby-of", b_ep, "-S", b_pub, NULL};
    memcpy(a->args, follow_args, sizeof follow_args);
    h_broker_restart(a);
    r = s_ping_is(coord, NULL, "standby", 1);
    H_ASSERT(h_is(&r->body, "primary", b_ep));
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("not_primary", coord, "rec.assign", "{'rec': 'S-2', 'lead': 'MJ'}");
    h_note("the old primary started --standby-of the new one is a standby");

    /* Promoted in its turn (as if B were lost), and the same bytes sent
       again: the stored reply, no second promotion. */
    uint64_t a_seq = h_seq(a);
    h_request_t *promote = h_request_make(coord, "broker.promote", "{}");
    nmirf_reply_t *p1 = h_request_send(coord, promote);
    H_EXPECT(p1, "ok");
    H_ASSERT(p1->seq == a_seq + 1);
    nmirf_reply_t *p2 = h_request_send(coord, promote);
    H_ASSERTF(p2->ok && p2->seq == p1->seq && h_same(&p2->body, &p1->body),
              "a resent broker.promote gets its stored reply");
    nmirf_reply_destroy(&p1);
    nmirf_reply_destroy(&p2);
    h_request_free(&promote);
    r = s_ping_is(coord, NULL, "primary", 2);
    H_ASSERT(r->seq == a_seq + 1);
    nmirf_reply_destroy(&r);
    h_note("a resent broker.promote: its stored reply, one promotion");

    /* The promoted log verifies, rooted at the first primary's key. */
    h_broker_stop(b);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, a_pk, &sum) == NMIRF_AUDIT_OK,
              "verify the promoted store: %s", sum.why);
    H_ASSERT(sum.events == seq + 3);
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, b_pk, &sum) == NMIRF_AUDIT_FAILED,
              "the standby's key alone did not sign A's checkpoints");
    st = h_sh(&out, "LANG=C '%s' audit verify --data '%s' -S '%s' 2>&1", s_nmirf, b->dir,
              a_pub);
    H_ASSERTF(st == 0, "nmirf audit verify: %d\n%s", st, out);
    free(out);
    h_note("the promoted store verifies with the first primary's key");

    nmirf_reply_destroy(&on_a);
    h_request_free(&first);
    h_broker_destroy(&a);
    b->ents[0].key = (nmirf_key_t){0}; /* A's, wiped with A */
    b->ents[1].key = (nmirf_key_t){0};
    h_broker_destroy(&b);
    printf("promote_test: all passed\n");
    return 0;
}
