/*  witness_claim_test - the witness's judgment of a failover claim
    (witness.h, docs/REPLICATION.md "Clients and several brokers") through
    its header alone, on a real LMDB environment, with two broker keys A
    and B and logs made here; no broker, no link.

    Usage: witness_claim_unit

    The witness keeps A's checkpoint at seq 5 of a log 1..5. Then:
    - B's checkpoint at 4 over a log 1..3 + broker.promoted {epoch 2, B}
      is a claim (nothing refused meanwhile); judged with B's events it is
      taken: lost from 4, B's checkpoint kept, epoch 2 in meta; reopened,
      the witness keeps both;
    - a claim whose events hold no promotion, a promotion of another key,
      one to an epoch not above the agent's, or events that do not reach
      the signed head: refused, with the reason;
    - B having written past the kept seq (its checkpoint at 7, a
      candidate): its event 6, which does not follow A's 5 the agent
      applied, makes the candidate a claim instead of a refusal, taken;
    - the same, B's event 6 before any checkpoint of B's: nothing refused
      until one comes; B's makes the claim, one of A's key refuses
      ("forked");
    - a checkpoint behind the kept one under A's own key: refused ("went
      back") at once, no claim; the agent moving to the other broker
      (witness_moved) clears the refusal, the kept checkpoint unchanged;
    - a checkpoint of A's key relayed by B (witness_take's own = B's key):
      not judged, nothing refused.
    Prints "file:line: case: what" per failed check, one summary line.
*/
#include "witness.h"
#include "unit.h"

#include "nmirf_checkpoint.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static agent_conf_t s_conf;          /* two brokers, A and B */
static uint8_t s_ask[64], s_bsk[64]; /* their signing secret keys */

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A log: events 1..n, each a bin of its bytes, and their hashes. */
typedef struct {
    msgpack_sbuffer ev[8];
    uint8_t hash[8][NMIRF_HASH_LEN];
    size_t n;
} s_log_t;

/* Appends event n + 1 of kind to log; promoted_pk: a broker.promoted
   {epoch, broker} event with that key. */
static void
s_append(s_log_t *log, const char *kind, uint64_t epoch, const uint8_t *promoted_pk)
{
    msgpack_sbuffer data;
    msgpack_sbuffer_init(&data);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, promoted_pk ? 2 : 1);
    nmirf_mp_pack_kv_uint(&pk, "epoch", epoch);
    if (promoted_pk) {
        nmirf_mp_pack_str(&pk, "broker");
        nmirf_mp_pack_bin(&pk, promoted_pk, NMIRF_SIGN_PK_LEN);
    }
    static const uint8_t zero[NMIRF_HASH_LEN];
    size_t i = log->n;
    nmirf_event_fields_t f = {.seq = i + 1,
                              .ts = 1000 + i,
                              .kind = kind,
                              .subject = "-",
                              .author = "COORD",
                              .prev = i ? log->hash[i - 1] : zero,
                              .data = (const uint8_t *)data.data,
                              .data_len = data.size};
    msgpack_sbuffer_init(&log->ev[i]);
    nmirf_event_encode(&log->ev[i], &f);
    nmirf_hash2(log->hash[i], (const uint8_t *)log->ev[i].data, log->ev[i].size, NULL, 0);
    msgpack_sbuffer_destroy(&data);
    log->n++;
}

static void
s_log_free(s_log_t *log)
{
    for (size_t i = 0; i < log->n; i++)
        msgpack_sbuffer_destroy(&log->ev[i]);
    log->n = 0;
}

/* A log of n plain events (the same bytes each time). */
static void
s_plain(s_log_t *log, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_append(log, "rec.imported", 1, NULL);
}

/* Unpacks sb (destroyed) into obj, its bytes copied into zone: the
   object's bins and strs point into them. */
static void
s_unpack(msgpack_sbuffer *sb, msgpack_zone *zone, msgpack_object *obj)
{
    char *bytes = msgpack_zone_malloc(zone, sb->size);
    memcpy(bytes, sb->data, sb->size);
    size_t off = 0;
    msgpack_unpack(bytes, sb->size, &off, zone, obj);
    msgpack_sbuffer_destroy(sb);
}

/* The checkpoint at event seq of log signed by sk, unpacked into obj
   (zone given). */
static void
s_checkpoint(const s_log_t *log, uint64_t seq, const uint8_t *sk, msgpack_zone *zone,
             msgpack_object *obj)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_checkpoint_encode(&sb, seq, log->hash[seq - 1], 5000 + seq, sk);
    s_unpack(&sb, zone, obj);
}

/* events.since's "events" array after since, up to the end of log,
   unpacked into obj (zone given). */
static void
s_events(const s_log_t *log, uint64_t since, msgpack_zone *zone, msgpack_object *obj)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, (uint32_t)(log->n - since));
    for (size_t i = since; i < log->n; i++)
        nmirf_mp_pack_bin(&pk, log->ev[i].data, log->ev[i].size);
    s_unpack(&sb, zone, obj);
}

/* A fresh environment in dir whose witness keeps A's checkpoint at 5 of
   a plain log (through witness_take and the event judged). */
static witness_t *
s_fresh(const char *dir, MDB_env **env, MDB_dbi *meta)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "%s/w", dir);
    nftw(cmd, s_rm, 8, FTW_DEPTH | FTW_PHYS);
    CHECK(mkdir(cmd, 0700) == 0);
    MDB_txn *txn;
    CHECK(mdb_env_create(env) == 0 && mdb_env_set_maxdbs(*env, 4) == 0 &&
          mdb_env_open(*env, cmd, 0, 0600) == 0);
    CHECK(mdb_txn_begin(*env, NULL, 0, &txn) == 0 &&
          mdb_dbi_open(txn, "meta", MDB_CREATE, meta) == 0 && mdb_txn_commit(txn) == 0);
    witness_t *w = witness_new(&s_conf, *env, *meta);
    CHECK(w);
    s_log_t a = {0};
    s_plain(&a, 5);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object cp;
    s_checkpoint(&a, 5, s_ask, &zone, &cp);
    witness_take(w, &cp, s_conf.brokers.at[0].sign_pk);
    witness_check(w, 5, true);
    CHECK(witness_judge_event(w, 5, a.hash[4], 0) == 0);
    witness_check(w, 5, true);
    CHECK(witness_seq(w) == 5, "kept %llu", (unsigned long long)witness_seq(w));
    msgpack_zone_destroy(&zone);
    s_log_free(&a);
    return w;
}

/* B's log: 3 events of A's plain log, then event 4 (kind, epoch, key),
   and its checkpoint at 4 signed by sk taken from B; judged against
   B's events. Returns witness_judge_claim's result, *from the seq. */
static int
s_claim(witness_t *w, const char *kind, uint64_t epoch, const uint8_t *pk,
        const uint8_t *sk, bool bad_head, uint64_t *from)
{
    s_log_t b = {0};
    s_plain(&b, 3);
    s_append(&b, kind, epoch, pk);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object cp, evs;
    s_checkpoint(&b, 4, sk, &zone, &cp);
    if (bad_head) /* the events sent are another log's */
        b.ev[3].data[b.ev[3].size - 1] ^= 1;
    witness_take(w, &cp, s_conf.brokers.at[1].sign_pk);
    witness_check(w, 5, true);
    uint64_t seq = 0;
    CHECK(witness_claim(w, &seq) && seq == 4, "no claim at 4");
    CHECK(!witness_refused(w), "refused before judging: %s", witness_refused(w));
    s_events(&b, 0, &zone, &evs);
    int rc = witness_judge_claim(w, &evs, 0, 5, from);
    msgpack_zone_destroy(&zone);
    s_log_free(&b);
    return rc;
}

/* Ends one case: the witness and its environment. */
static void
s_close(witness_t **w, MDB_env **env)
{
    witness_destroy(w);
    mdb_env_close(*env);
    *env = NULL;
}

int
main(void)
{
    if (sodium_init() < 0)
        return 2;
    log_init("witness_claim_unit", false);
    log_set_level(NMIRF_LOG_ERROR); /* the refusals' warnings are what is checked */
    char dir[] = "/tmp/nmirf-witness-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    s_conf.dir = dir;
    s_conf.request_ep = "A,B";
    s_conf.brokers.n = 2;
    snprintf(s_conf.brokers.at[0].endpoint, NMIRF_BROKER_ENDPOINT_MAX, "tcp://a");
    snprintf(s_conf.brokers.at[1].endpoint, NMIRF_BROKER_ENDPOINT_MAX, "tcp://b");
    crypto_sign_keypair(s_conf.brokers.at[0].sign_pk, s_ask);
    crypto_sign_keypair(s_conf.brokers.at[1].sign_pk, s_bsk);
    const uint8_t *apk = s_conf.brokers.at[0].sign_pk,
                  *bpk = s_conf.brokers.at[1].sign_pk;
    MDB_env *env = NULL;
    MDB_dbi meta;
    uint64_t from = 0;

    unit_case = "failover taken";
    witness_t *w = s_fresh(dir, &env, &meta);
    CHECK(s_claim(w, "broker.promoted", 2, bpk, s_bsk, false, &from) == 0);
    CHECK(from == 4 && witness_seq(w) == 4 && !witness_refused(w));
    uint64_t seq;
    CHECK(!witness_claim(w, &seq));
    s_close(&w, &env);
    /* Reopened: B's checkpoint and epoch 2 were kept. */
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/w", dir);
    MDB_txn *txn;
    CHECK(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 4) == 0 &&
          mdb_env_open(env, path, 0, 0600) == 0);
    CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
          mdb_dbi_open(txn, "meta", 0, &meta) == 0);
    MDB_val k = {5, "epoch"}, v;
    CHECK(mdb_get(txn, meta, &k, &v) == 0 && v.mv_size == 8 &&
          nmirf_be64_decode(v.mv_data) == 2);
    mdb_txn_commit(txn);
    w = witness_new(&s_conf, env, meta);
    CHECK(w && witness_seq(w) == 4);
    s_close(&w, &env);

    unit_case = "no failover";
    static const struct {
        const char *what, *kind;
        uint64_t epoch;
        int key; /* 0: A's, 1: B's */
        bool bad_head;
        const char *says;
    } bad[] = {
        {"no promotion", "rec.imported", 2, 1, false, "no promotion of the key"},
        {"another key promoted", "broker.promoted", 2, 0, false,
         "no promotion of the key"},
        {"epoch not above", "broker.promoted", 1, 1, false, "not above epoch 1"},
        {"events off the head", "broker.promoted", 2, 1, true, "do not reach the head"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        w = s_fresh(dir, &env, &meta);
        CHECK(s_claim(w, bad[i].kind, bad[i].epoch, bad[i].key ? bpk : apk, s_bsk,
                      bad[i].bad_head, &from) == -1,
              "%s: taken", bad[i].what);
        const char *why = witness_refused(w);
        CHECK(why && strstr(why, "no failover this agent can tell") &&
                  strstr(why, bad[i].says),
              "%s: %s", bad[i].what, why ? why : "not refused");
        CHECK(witness_seq(w) == 5, "%s: the kept checkpoint moved", bad[i].what);
        s_close(&w, &env);
    }

    unit_case = "failover, written past";
    {
        /* The agent applied A's 1..5 (meta head: A's event 5); B's log is
           1..3, its promotion at 4, then 5..7, its checkpoint at 7. */
        w = s_fresh(dir, &env, &meta);
        s_log_t a5 = {0}, b = {0};
        s_plain(&a5, 5);
        s_plain(&b, 3);
        s_append(&b, "broker.promoted", 2, bpk);
        s_plain(&b, 3);
        msgpack_zone z;
        msgpack_zone_init(&z, 4096);
        msgpack_object cp7, evs;
        s_checkpoint(&b, 7, s_bsk, &z, &cp7);
        witness_take(w, &cp7, bpk);
        witness_check(w, 5, true);
        CHECK(!witness_claim(w, &seq) && !witness_refused(w), "a later one: a candidate");
        MDB_txn *t;
        CHECK(mdb_txn_begin(env, NULL, 0, &t) == 0);
        MDB_val hk = {4, "head"}, hv = {NMIRF_HASH_LEN, a5.hash[4]};
        CHECK(mdb_put(t, meta, &hk, &hv, 0) == 0);
        char why[128];
        nmirf_event_t *ev6 = nmirf_event_decode((const uint8_t *)b.ev[5].data,
                                                b.ev[5].size, why, sizeof why);
        CHECK(ev6 && witness_on_event(w, t, ev6) == -1);
        nmirf_event_destroy(&ev6);
        mdb_txn_abort(t);
        CHECK(witness_claim(w, &seq) && seq == 7 && !witness_refused(w),
              "B's event 6 does not follow A's 5: a claim at 7, not a refusal");
        s_events(&b, 0, &z, &evs);
        CHECK(witness_judge_claim(w, &evs, 0, 5, &from) == 0 && from == 4 &&
              witness_seq(w) == 7 && !witness_refused(w));
        msgpack_zone_destroy(&z);
        s_log_free(&a5);
        s_log_free(&b);
        s_close(&w, &env);
    }

    unit_case = "failover, events first";
    for (int same_key = 0; same_key < 2; same_key++) {
        /* B's event 6 comes before any checkpoint of B's: nothing refused
           nor applied until one comes; B's own makes the claim, one of
           A's key refuses the fork. */
        w = s_fresh(dir, &env, &meta);
        s_log_t a5 = {0}, b = {0};
        s_plain(&a5, 5);
        s_plain(&b, 3);
        s_append(&b, "broker.promoted", 2, bpk);
        s_plain(&b, 3);
        MDB_txn *t;
        CHECK(mdb_txn_begin(env, NULL, 0, &t) == 0);
        MDB_val hk = {4, "head"}, hv = {NMIRF_HASH_LEN, a5.hash[4]};
        CHECK(mdb_put(t, meta, &hk, &hv, 0) == 0);
        char why[128];
        nmirf_event_t *ev6 = nmirf_event_decode((const uint8_t *)b.ev[5].data,
                                                b.ev[5].size, why, sizeof why);
        CHECK(ev6 && witness_on_event(w, t, ev6) == -1);
        nmirf_event_destroy(&ev6);
        mdb_txn_abort(t);
        CHECK(witness_claim(w, &seq) && seq == 0 && !witness_refused(w),
              "waiting for B's checkpoint");
        msgpack_zone z;
        msgpack_zone_init(&z, 4096);
        msgpack_object cp7, evs;
        s_checkpoint(&b, 7, same_key ? s_ask : s_bsk, &z, &cp7);
        witness_take(w, &cp7, same_key ? apk : bpk);
        witness_check(w, 5, true);
        if (same_key) {
            CHECK(!witness_claim(w, &seq) && witness_refused(w) &&
                      strstr(witness_refused(w), "forked"),
                  "the kept key's log forked: refused");
        } else {
            CHECK(witness_claim(w, &seq) && seq == 7, "B's checkpoint: the claim");
            s_events(&b, 0, &z, &evs);
            CHECK(witness_judge_claim(w, &evs, 0, 5, &from) == 0 && from == 4);
        }
        msgpack_zone_destroy(&z);
        s_log_free(&a5);
        s_log_free(&b);
        s_close(&w, &env);
    }

    unit_case = "same key going back";
    w = s_fresh(dir, &env, &meta);
    s_log_t a = {0};
    s_plain(&a, 3);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object cp;
    s_checkpoint(&a, 3, s_ask, &zone, &cp);
    witness_take(w, &cp, apk);
    witness_check(w, 5, true);
    CHECK(!witness_claim(w, &seq));
    CHECK(witness_refused(w) && strstr(witness_refused(w), "went back"));
    /* The agent moves to the other broker: judged afresh, the kept
       checkpoint unchanged. */
    witness_moved(w);
    CHECK(!witness_refused(w) && witness_seq(w) == 5);
    s_close(&w, &env);

    unit_case = "relayed";
    w = s_fresh(dir, &env, &meta);
    witness_take(w, &cp, bpk); /* A's checkpoint, heard from B */
    witness_check(w, 5, true);
    CHECK(!witness_claim(w, &seq) && !witness_refused(w) && witness_seq(w) == 5);
    s_close(&w, &env);
    msgpack_zone_destroy(&zone);
    s_log_free(&a);

    nftw(dir, s_rm, 8, FTW_DEPTH | FTW_PHYS);
    return unit_done("witness_claim_unit");
}
