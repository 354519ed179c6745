/*  async_loss_test - what an asynchronous failover loses, and that the
    standby's status said so before it (issue 17; docs/REPLICATION.md,
    "The stream").

    A is the primary; B a standby following it asynchronously (an entity
    of role standby on A, nmirfd --standby-of A -S A.pub --standby-key
    SB.key). Writes acknowledged while B follows; then B falls behind on
    purpose: with the test hook NMIRFD_TEST_FOLLOW_PAUSE_FILE (follower.c)
    it drops the records pushed while the file exists, and still hears
    A's heartbeats. K more writes are acknowledged by A. B's status then
    says applied_seq S_b, primary_seq A's seq, lag_events the difference
    (and `nmirf status` says so to a person), and A's status says the same
    difference in replication.lag_events.
    A is killed -9 and B promoted (`nmirf promote`). Then:

    - B's events 1..S_b are A's, byte for byte (A's store read offline);
    - every write acknowledged at or below S_b is in B's log exactly once;
    - the K writes after S_b are absent from B (their request ids in no
      event): what was lost is exactly what status named;
    - B's log verifies with A's key (`nmirf audit verify`).
*/
#include "harness.h"
#include "harness_store.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_BEFORE 5 /* writes B applies */
#define S_LOST 6   /* writes acknowledged by A while B is behind */

static const char *s_nmirf; /* the CLI (argv[2]) */

/* One acknowledged write: its request id and the seq of its event. */
typedef struct {
    uint8_t id[NMIRF_ID_LEN];
    uint64_t seq;
} s_write_t;

/* A report on rec F-i as e under a fresh id, acknowledged by the broker;
   kept in *w. */
static void
s_submit(h_entity_t *e, int i, s_write_t *w)
{
    nmirf_random_id(w->id, sizeof w->id);
    msgpack_sbuffer *sb =
        h_pack_json("{'rec': 'F-%d', 'status': 'in_progress', 'narrative': 'n%d'}", i, i);
    nmirf_reply_t *r =
        h_call_packed(e, w->id, "report.submit", (const uint8_t *)sb->data, sb->size);
    msgpack_sbuffer_free(sb);
    H_EXPECT(r, "ok");
    w->seq = r->seq;
    nmirf_reply_destroy(&r);
}

/* How many of evs[0..n) were made by the request id. */
static int
s_count_req(nmirf_event_t *const *evs, size_t n, const uint8_t id[NMIRF_ID_LEN])
{
    int count = 0;
    for (size_t i = 0; i < n; i++)
        if (evs[i]->has_req && memcmp(evs[i]->req, id, NMIRF_ID_LEN) == 0)
            count++;
    return count;
}

/* The standby's status field under key. */
static uint64_t
s_standby(const nmirf_reply_t *r, const char *key)
{
    const msgpack_object *st = nmirf_mp_get(&r->body, "standby");
    H_ASSERTF(st, "status has no standby field");
    return h_u(st, key);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 170);
    s_nmirf = argc > 2 ? argv[2] : NULL;
    H_ASSERTF(s_nmirf, "usage: async_loss_test NMIRFD NMIRF");

    /* A, with a ministry, its assignments and a standby entity. */
    h_broker_t *a = h_broker_start(NULL);
    h_entity_t *coord = h_coord(a);
    h_entity_t *mj = h_enroll(a, "MJ", "ministry");
    h_entity_t *sb = h_enroll(a, "SB", "standby");
    for (int i = 0; i < S_BEFORE + S_LOST; i++) {
        H_CALL_CHECK("ok", coord, "rec.import",
                     "{'recs': [{'id': 'F-%d', 'mechanism': 'UPR', 'text': {'en': "
                     "'r%d'}}]}",
                     i, i);
        H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'F-%d', 'lead': 'MJ'}", i);
    }

    /* B following A (h_standby_start), the pause hook named in its
       environment (a file beside A's store: B's directory is made by
       h_standby_start; the hook is inert in a broker that follows no
       one, A). */
    char pause[PATH_MAX + 16];
    snprintf(pause, sizeof pause, "%s/pause", a->dir);
    setenv("NMIRFD_TEST_FOLLOW_PAUSE_FILE", pause, 1);
    h_broker_t *b = h_standby_start(a, sb, NULL);
    h_entity_t *bcoord = &b->ents[0];
    char *out = NULL;
    char a_pub[PATH_MAX + 32], b_pub[PATH_MAX + 32];
    snprintf(a_pub, sizeof a_pub, "%s/keys/NMIRFD.pub", a->dir);
    snprintf(b_pub, sizeof b_pub, "%s/keys/NMIRFD.pub", b->dir);

    /* Writes B follows. */
    s_write_t w[S_BEFORE + S_LOST];
    for (int i = 0; i < S_BEFORE; i++)
        s_submit(mj, i, &w[i]);
    uint64_t s_b = h_wait_stores_equal(a, b);
    H_ASSERT(s_b == w[S_BEFORE - 1].seq);
    h_note("the standby follows the primary: equal at seq %llu", (unsigned long long)s_b);

    /* B stops applying; K more writes, each acknowledged by A. */
    int fd = open(pause, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    H_ASSERTF(fd >= 0, "create %s: %s", pause, strerror(errno));
    close(fd);
    for (int i = S_BEFORE; i < S_BEFORE + S_LOST; i++)
        s_submit(mj, i, &w[i]);
    uint64_t seq_a = h_seq(a);
    H_ASSERT(seq_a == w[S_BEFORE + S_LOST - 1].seq && seq_a > s_b);

    /* Its status says it before the failover: the primary's seq heard
       (heartbeats, every second), its own, the events between. */
    nmirf_reply_t *r = NULL;
    for (int i = 0; i < 100; i++) {
        nmirf_reply_destroy(&r);
        r = H_CALL_EXPECT("ok", bcoord, "status", "{}");
        if (s_standby(r, "primary_seq") == seq_a)
            break;
        h_sleep_ms(100);
    }
    H_ASSERTF(s_standby(r, "primary_seq") == seq_a, "status: primary_seq %llu, A at %llu",
              (unsigned long long)s_standby(r, "primary_seq"), (unsigned long long)seq_a);
    H_ASSERTF(s_standby(r, "applied_seq") == s_b, "status: applied_seq %llu, not %llu",
              (unsigned long long)s_standby(r, "applied_seq"), (unsigned long long)s_b);
    H_ASSERTF(s_standby(r, "lag_events") == seq_a - s_b, "status: lag_events %llu",
              (unsigned long long)s_standby(r, "lag_events"));
    nmirf_reply_destroy(&r);
    /* The primary's status says it too: the events of its records no
       standby acknowledged. */
    r = H_CALL_EXPECT("ok", coord, "status", "{}");
    H_ASSERTF(h_u(&r->body, "replication.lag_events") == seq_a - s_b,
              "A's status: replication.lag_events %llu, not %llu",
              (unsigned long long)h_u(&r->body, "replication.lag_events"),
              (unsigned long long)(seq_a - s_b));
    nmirf_reply_destroy(&r);
    char akey[PATH_MAX + 32], says[128];
    snprintf(akey, sizeof akey, "%s/keys/COORD.key", a->dir);
    int st = h_sh(&out,
                  "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s' -S '%s' -b '%s' "
                  "status 2>&1",
                  s_nmirf, akey, b_pub, b->request_ep);
    snprintf(says, sizeof says, "following: seq %llu of the primary's %llu, %llu events",
             (unsigned long long)s_b, (unsigned long long)seq_a,
             (unsigned long long)(seq_a - s_b));
    H_ASSERTF(st == 0 && strstr(out, says), "nmirf status does not say \"%s\": %d\n%s",
              says, st, out);
    free(out);
    /* And the primary's, to a person: what a failover now would lose. */
    st = h_sh(&out,
              "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s' -S '%s' -b '%s' "
              "status 2>&1",
              s_nmirf, akey, a_pub, a->request_ep);
    snprintf(says, sizeof says, "a failover now would lose %llu events",
             (unsigned long long)(seq_a - s_b));
    H_ASSERTF(st == 0 && strstr(out, says),
              "nmirf status on A does not say \"%s\": %d\n%s", says, st, out);
    free(out);
    h_note("behind on purpose, the standby's status says applied_seq %llu, primary_seq "
           "%llu, lag_events %llu (and the primary's replication.lag_events)",
           (unsigned long long)s_b, (unsigned long long)seq_a,
           (unsigned long long)(seq_a - s_b));

    /* A dies; B promoted by the command line. */
    h_broker_kill(a);
    unlink(pause);
    st = h_sh(&out,
              "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s' -S '%s' -b '%s' "
              "promote 2>&1",
              s_nmirf, akey, b_pub, b->request_ep);
    H_ASSERTF(st == 0 && strstr(out, "epoch 2"), "nmirf promote: %d\n%s", st, out);
    free(out);

    /* B's log is A's up to S_b, byte for byte, then its promotion. */
    nmirf_event_t **evs;
    size_t n = h_events(bcoord, 0, &evs);
    H_ASSERTF(n == s_b + 1, "B holds %zu events, not %llu + the promotion", n,
              (unsigned long long)s_b);
    H_CHECK_CHAIN(evs, n, NULL);
    H_ASSERT(strcmp(evs[n - 1]->kind, "broker.promoted") == 0);
    char path[PATH_MAX + 16], why[256];
    snprintf(path, sizeof path, "%s/store", a->dir);
    store_t *astore = store_open(path, 64, why, sizeof why);
    H_ASSERTF(astore, "open A's store: %s", why);
    MDB_txn *txn;
    H_ASSERT(store_begin(astore, NULL, false, &txn) == 0);
    H_ASSERT(store_seq(astore, txn) == seq_a);
    for (uint64_t s = 1; s <= s_b; s++) {
        uint8_t key[8];
        nmirf_be64_encode(s, key);
        MDB_val k = {sizeof key, key}, v;
        H_ASSERT(mdb_get(txn, store_dbi(astore, DB_EVENTS), &k, &v) == 0);
        uint8_t ha[NMIRF_HASH_LEN], hb[NMIRF_HASH_LEN];
        nmirf_hash2(ha, v.mv_data, v.mv_size, NULL, 0);
        nmirf_hash2(hb, evs[s - 1]->bytes, evs[s - 1]->len, NULL, 0);
        H_ASSERTF(evs[s - 1]->seq == s && memcmp(ha, hb, sizeof ha) == 0,
                  "B's event %llu is not A's", (unsigned long long)s);
    }
    mdb_txn_abort(txn);
    store_close(&astore);
    h_note("B's events 1..%llu have A's hashes (A's store read offline)",
           (unsigned long long)s_b);

    /* Lost: exactly the writes after S_b. */
    for (int i = 0; i < S_BEFORE + S_LOST; i++) {
        int count = s_count_req(evs, n, w[i].id);
        if (w[i].seq <= s_b)
            H_ASSERTF(count == 1, "write %d (seq %llu) is %d times in B's log", i,
                      (unsigned long long)w[i].seq, count);
        else
            H_ASSERTF(count == 0, "write %d (seq %llu, lost) is in B's log", i,
                      (unsigned long long)w[i].seq);
    }
    h_events_free(&evs, n);
    h_note("the %d writes at or below seq %llu are on B once each; the %d after it are "
           "lost, as status said",
           S_BEFORE, (unsigned long long)s_b, S_LOST);

    /* B's log verifies with A's key. */
    h_broker_stop(b);
    st = h_sh(&out, "LANG=C '%s' audit verify --data '%s' -S '%s' 2>&1", s_nmirf, b->dir,
              a_pub);
    H_ASSERTF(st == 0, "nmirf audit verify: %d\n%s", st, out);
    free(out);
    h_note("the promoted standby's log verifies with A's key");

    h_broker_destroy(&a);
    b->ents[0].key = (nmirf_key_t){0}; /* A's, wiped with A */
    h_broker_destroy(&b);
    printf("async_loss_test: all passed\n");
    return 0;
}
