/*  window_test - the request window and the time-keyed request index
    (PROTOCOL.md section 3) against a real nmirfd started with
    --request-window=3:

    - a write whose ts is 10 s old is refused `stale` with nothing
      changed, however often it is sent; a read as old is answered (the
      window bounds writes only);
    - the same operation, body and id signed again inside the window is
      applied, once;
    - that write resent as the same bytes after the window has passed
      gets its stored reply, not `stale`: the replay lookup comes first;
    - a store from before the index was keyed by time (its request moved
      under the id alone and meta "reqkey" removed with raw LMDB while the
      broker is stopped) is marked legacy at the restart, and a resend of
      that request gets its stored reply from the old key (with the window
      at 0, no bound: without the legacy lookup it would be applied again);
    - with the window at 0, the write refused `stale` before is still
      refused (the stale floor survives a restart and a window change),
      and an old write above the floor is applied;
    - the log, with entries under both keys, verifies offline.
*/
#include "harness.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC "W-1"

static h_broker_t *b;
static h_entity_t *coord, *mj;

/* Fails unless reply again is byte for byte what first said. */
static void
same_reply(const nmirf_reply_t *first, const nmirf_reply_t *again)
{
    H_ASSERT(again && again->ok && again->seq == first->seq);
    H_ASSERT(again->has_id && memcmp(again->id, first->id, NMIRF_ID_LEN) == 0);
    H_ASSERT(h_same(&again->body, &first->body));
}

/* True if the broker's log holds needle. */
static bool
log_has(const char *needle)
{
    FILE *f = fopen(b->log_path, "r");
    H_ASSERT(f);
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* With the broker stopped: moves request (ts, id) under id alone and
   removes meta "reqkey", as a store written before the time key. */
static void
make_legacy(const uint8_t id[NMIRF_ID_LEN], uint64_t ts)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/store", b->dir);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi reqs, meta;
    H_ASSERT(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 32) == 0);
    H_ASSERTF(mdb_env_open(env, path, 0, 0600) == 0, "open %s", path);
    H_ASSERT(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    H_ASSERT(mdb_dbi_open(txn, "requests", 0, &reqs) == 0 &&
             mdb_dbi_open(txn, "meta", 0, &meta) == 0);
    uint8_t key[8 + NMIRF_ID_LEN];
    nmirf_be64_encode(ts, key);
    memcpy(key + 8, id, NMIRF_ID_LEN);
    MDB_val k = {sizeof key, key}, v;
    H_ASSERTF(mdb_get(txn, reqs, &k, &v) == 0, "no request under (ts, id)");
    void *rec = malloc(v.mv_size);
    H_ASSERT(rec);
    memcpy(rec, v.mv_data, v.mv_size);
    MDB_val old = {NMIRF_ID_LEN, (void *)id}, nv = {v.mv_size, rec};
    H_ASSERT(mdb_put(txn, reqs, &old, &nv, 0) == 0);
    H_ASSERT(mdb_del(txn, reqs, &k, NULL) == 0);
    MDB_val mk = {6, "reqkey"};
    H_ASSERT(mdb_del(txn, meta, &mk, NULL) == 0);
    H_ASSERT(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    free(rec);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 50);
    static const char *args[] = {"--request-window=3", NULL};
    b = h_broker_start_with(NULL, args);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': '" REC
                 "', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': '" REC "', 'lead': 'MJ'}");

    msgpack_sbuffer *body =
        h_pack_json("{'rec': '" REC "', 'status': 'in_progress', 'narrative': 'waited'}");
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);

    /* 10 s old: stale, nothing changed, and again. */
    uint64_t seq = h_seq(b);
    h_request_t *old = h_request_make_at(mj, id, nmirf_now_ms() - 10000, "report.submit",
                                         (uint8_t *)body->data, body->size);
    for (int i = 0; i < 2; i++) {
        nmirf_reply_t *r = h_request_send(mj, old);
        H_EXPECT(r, "stale");
        H_ASSERTF(strstr(r->message, "request window of 3 s"), "message: %s", r->message);
        nmirf_reply_destroy(&r);
        H_ASSERT(h_seq(b) == seq);
    }
    H_ASSERT(log_has("refused report.submit from MJ: stale"));
    /* Another write as old, with an id of its own (so that after the
       legacy move below it is judged by the stale floor alone). */
    uint8_t id3[NMIRF_ID_LEN];
    nmirf_random_id(id3, sizeof id3);
    h_request_t *old2 = h_request_make_at(mj, id3, old->ts, "report.submit",
                                          (uint8_t *)body->data, body->size);
    {
        nmirf_reply_t *r2 = h_request_send(mj, old2);
        H_EXPECT(r2, "stale");
        nmirf_reply_destroy(&r2);
    }
    /* A read as old is answered. */
    msgpack_sbuffer *empty = h_pack_json("{}");
    uint8_t rid[NMIRF_ID_LEN];
    nmirf_random_id(rid, sizeof rid);
    h_request_t *read = h_request_make_at(mj, rid, nmirf_now_ms() - 10000, "ping",
                                          (uint8_t *)empty->data, empty->size);
    nmirf_reply_t *r = h_request_send(mj, read);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    h_request_free(&read);
    msgpack_sbuffer_free(empty);
    h_note("a write 10 s old: stale, nothing changed; a read as old answered");

    /* Signed again inside the window, same id: applied once. */
    h_request_t *fresh = h_request_make_at(mj, id, nmirf_now_ms() - 1000, "report.submit",
                                           (uint8_t *)body->data, body->size);
    nmirf_reply_t *first = h_request_send(mj, fresh);
    H_EXPECT(first, "ok");
    H_ASSERT(first->seq == seq + 1 && h_seq(b) == seq + 1);
    r = h_request_send(mj, fresh);
    same_reply(first, r);
    nmirf_reply_destroy(&r);
    h_note("the same write signed again inside the window: applied once");

    /* The window passes (3 s after its ts, by the broker's clock): the
       same bytes get their stored reply; the never-applied ones stay
       stale. */
    while (nmirf_now_ms() < fresh->ts + 4500)
        h_sleep_ms(100);
    r = h_request_send(mj, fresh);
    same_reply(first, r);
    nmirf_reply_destroy(&r);
    r = h_request_send(mj, old);
    H_EXPECT(r, "stale");
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(b) == seq + 1);
    h_note("past the window: the applied write's stored reply, not stale; the other "
           "still stale");

    /* A store from before the time key: the request under its id alone. */
    h_broker_stop(b);
    make_legacy(id, fresh->ts);
    b->args[0] = "--request-window=0";
    h_broker_restart(b);
    H_ASSERT(log_has("requests keyed by id from before; new ones keyed by time"));
    r = h_request_send(mj, fresh);
    same_reply(first, r);
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(b) == seq + 1);
    /* Window 0: no bound, yet the write refused `stale` before stays
       refused (the stale floor: its sender has signed it again). */
    r = h_request_send(mj, old2);
    H_EXPECT(r, "stale");
    H_ASSERTF(strstr(r->message, "refused stale before"), "message: %s", r->message);
    nmirf_reply_destroy(&r);
    /* A write older than the old window of 3 s but above the floor is
       taken (another id, so that the legacy entry is not its judge):
       the floor is the refused write's ts + 1, at least 5.5 s ago. */
    uint8_t id2[NMIRF_ID_LEN];
    nmirf_random_id(id2, sizeof id2);
    h_request_t *older = h_request_make_at(mj, id2, old->ts + 1, "report.submit",
                                           (uint8_t *)body->data, body->size);
    H_ASSERT(nmirf_now_ms() > older->ts + 5000);
    r = h_request_send(mj, older);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(b) == seq + 2);
    h_note("an old store's request under its id: the stored reply after a restart; "
           "window 0 takes an old write above the stale floor, not the one refused");

    /* The log, with requests under both keys, verifies offline. */
    h_broker_stop(b);
    char keypath[PATH_MAX + 32], why[256];
    snprintf(keypath, sizeof keypath, "%s/keys/NMIRFD.pub", b->dir);
    nmirf_key_t broker;
    H_ASSERTF(nmirf_key_load(&broker, keypath, why, sizeof why) == 0, "%s", why);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify the data directory: %s", sum.why);
    nmirf_key_wipe(&broker);
    h_note("audit verify --data: both keys");

    nmirf_reply_destroy(&first);
    h_request_free(&old);
    h_request_free(&old2);
    h_request_free(&fresh);
    h_request_free(&older);
    msgpack_sbuffer_free(body);
    h_broker_destroy(&b);
    return 0;
}
