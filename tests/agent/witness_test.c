/*  witness_test - a broker's log cannot lose its tail, go back or fork
    unseen, and its stored replies are bound to its events (PROTOCOL.md
    section 10; the hardening issue's item 7).

    1. Crash-restarts: a real broker is SIGKILLed and restarted several
       times, with writes between (entities, an import, assignments,
       reports, measures, a no-op measure update). After every write and
       every restart a signed checkpoint is at the head of the log
       (`audit verify --data` on the live store says so), with no timer
       having to run.
    2. A flipped byte in a stored reply (a copy of the store): audit
       verify fails naming the request; likewise in the stored reply of
       the no-op measure update, which no event names.
    3. An agent follows the broker and keeps its latest checkpoint. The
       tail events and their checkpoints are cut from a copy of the
       store: the copy alone verifies (a prefix of a log is a log), but
       `audit verify --witness AGENT_DIR` finds the cut; the command line
       exits 1 saying so. A copy whose events cannot be read (their leaf
       pages marked the wrong type) is an error, not "log truncated".
    4. A restored older broker (a backup taken earlier, restarted after
       more writes the agent saw): the agent refuses it, says why in its
       log and `status`, and applies nothing more from it.
    5. The restored broker writes past the agent's checkpoint: a restarted
       agent refuses it by the hash chain (its next event does not follow
       the one the agent applied) and keeps its checkpoint, which
       `--witness` finds forked in the broker's store; after
       --forget-checkpoint the agent reloads a snapshot and follows.
    6. A healthy broker far ahead (more than the agent's resync gap, made
       S_GAP by NMIRF_AGENT_RESYNC_GAP): the restarted agent reloads from
       a snapshot, keeps the broker's checkpoint and follows on (the chain
       goes on from the snapshot's event), its digest the broker's.
    7. A restored older broker that wrote more than the gap past the
       agent's checkpoint while the agent was away: a snapshot reload
       would skip the event where the logs part, so the agent first
       fetches the broker's event at its kept seq, finds another hash and
       refuses the broker; it keeps its own checkpoint, which `--witness`
       finds forked in the broker's store.
*/
#include "agent_harness.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define S_GAP 20 /* the agents' resync gap from section 6 on */

/* Verifies b's live store and fails unless it verifies with a checkpoint
   at its head. */
static void
s_checkpoint_at_head(h_broker_t *b, const uint8_t *broker_pk, const char *when)
{
    uint64_t seq = h_seq(b);
    nmirf_audit_summary_t sum;
    nmirf_audit_rc_t rc = nmirf_audit_verify_dir(b->dir, broker_pk, &sum);
    HA_ASSERTF(rc == NMIRF_AUDIT_OK, "%s: verify: %s", when, sum.why);
    HA_ASSERTF(sum.last_checkpoint == seq, "%s: last checkpoint at %llu, head at %llu",
               when, (unsigned long long)sum.last_checkpoint, (unsigned long long)seq);
}

/* Runs a shell command; fails unless it exits 0. */
static void
s_sh(const char *fmt, const char *a, const char *b)
{
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    HA_ASSERTF(system(cmd) == 0, "%s failed", cmd);
}

/* Opens DIR/store of a copy for writing. */
static MDB_env *
s_open_copy(const char *dir, MDB_txn **txn)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/store", dir);
    MDB_env *env;
    HA_ASSERT(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 32) == 0);
    HA_ASSERTF(mdb_env_open(env, path, 0, 0600) == 0, "open %s", path);
    HA_ASSERT(mdb_txn_begin(env, NULL, 0, txn) == 0);
    return env;
}

/* The key of request id in `requests` (ts || id, or the id alone in a
   store from before the time key; daemon/store.h) into *k, pointing into
   txn's map. Returns 0 or MDB_NOTFOUND. */
static int
s_request_key(MDB_txn *txn, MDB_dbi dbi, const uint8_t id[NMIRF_ID_LEN], MDB_val *k)
{
    MDB_cursor *cur;
    MDB_val v;
    HA_ASSERT(mdb_cursor_open(txn, dbi, &cur) == 0);
    int rc;
    for (rc = mdb_cursor_get(cur, k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, k, &v, MDB_NEXT))
        if (k->mv_size >= NMIRF_ID_LEN &&
            memcmp((const uint8_t *)k->mv_data + k->mv_size - NMIRF_ID_LEN, id,
                   NMIRF_ID_LEN) == 0)
            break;
    mdb_cursor_close(cur);
    return rc;
}

/* Flips the last byte of the stored reply of request id in the copy
   DIR. */
static void
s_flip_reply(const char *dir, const uint8_t id[NMIRF_ID_LEN])
{
    MDB_txn *txn;
    MDB_env *env = s_open_copy(dir, &txn);
    MDB_dbi dbi;
    HA_ASSERT(mdb_dbi_open(txn, "requests", 0, &dbi) == 0);
    MDB_val k, v;
    uint8_t key[8 + NMIRF_ID_LEN]; /* the key found points into the map */
    HA_ASSERT(s_request_key(txn, dbi, id, &k) == 0 && k.mv_size <= sizeof key);
    memcpy(key, k.mv_data, k.mv_size);
    k.mv_data = key;
    HA_ASSERT(mdb_get(txn, dbi, &k, &v) == 0);
    uint8_t *rec = malloc(v.mv_size);
    HA_ASSERT(rec);
    memcpy(rec, v.mv_data, v.mv_size);
    msgpack_zone *zone = msgpack_zone_new(4096);
    msgpack_object obj;
    HA_ASSERT(nmirf_mp_unpack(rec, v.mv_size, zone, &obj, NULL, 0) == NMIRF_OK);
    const msgpack_object *reply = nmirf_mp_get(&obj, "reply");
    HA_ASSERT(reply && reply->type == MSGPACK_OBJECT_BIN && reply->via.bin.size > 0);
    /* The bin points into rec: its last byte is inside the reply's body. */
    size_t at =
        (size_t)((const uint8_t *)reply->via.bin.ptr - rec) + reply->via.bin.size - 1;
    rec[at] ^= 0x01;
    MDB_val nv = {v.mv_size, rec};
    HA_ASSERT(mdb_put(txn, dbi, &k, &nv, 0) == 0);
    HA_ASSERT(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    msgpack_zone_free(zone);
    free(rec);
}

/* Deletes the events and checkpoints after seq `keep` from the copy DIR,
   with the stored requests of those events (a request left behind that
   no event names would be found by the audit's request walk), and sets
   its meta seq and head to event keep's: the cut an operator with the
   disk would make. */
static void
s_cut_tail(const char *dir, uint64_t keep)
{
    MDB_txn *txn;
    MDB_env *env = s_open_copy(dir, &txn);
    MDB_dbi events, cps, meta, reqs;
    HA_ASSERT(mdb_dbi_open(txn, "events", 0, &events) == 0 &&
              mdb_dbi_open(txn, "checkpoints", 0, &cps) == 0 &&
              mdb_dbi_open(txn, "meta", 0, &meta) == 0 &&
              mdb_dbi_open(txn, "requests", 0, &reqs) == 0);
    MDB_dbi dbs[2] = {events, cps};
    for (int d = 0; d < 2; d++) {
        MDB_cursor *cur;
        MDB_val k, v;
        HA_ASSERT(mdb_cursor_open(txn, dbs[d], &cur) == 0);
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_LAST)) {
            if (nmirf_be64_decode(k.mv_data) <= keep)
                break;
            nmirf_event_t *ev =
                d == 0 ? nmirf_event_decode(v.mv_data, v.mv_size, NULL, 0) : NULL;
            MDB_val rk;
            if (ev && ev->has_req && s_request_key(txn, reqs, ev->req, &rk) == 0) {
                uint8_t copy[8 + NMIRF_ID_LEN]; /* rk points into the map */
                memcpy(copy, rk.mv_data, rk.mv_size);
                rk.mv_data = copy;
                HA_ASSERT(mdb_del(txn, reqs, &rk, NULL) == 0);
            }
            nmirf_event_destroy(&ev);
            HA_ASSERT(mdb_cursor_del(cur, 0) == 0);
        }
        mdb_cursor_close(cur);
    }
    uint8_t key[8], head[NMIRF_HASH_LEN];
    nmirf_be64_encode(keep, key);
    MDB_val k = {8, key}, v;
    HA_ASSERT(mdb_get(txn, events, &k, &v) == 0);
    nmirf_hash2(head, v.mv_data, v.mv_size, NULL, 0);
    MDB_val sk = {3, "seq"}, hk = {4, "head"}, sv = {8, key}, hv = {NMIRF_HASH_LEN, head};
    HA_ASSERT(mdb_put(txn, meta, &sk, &sv, 0) == 0 &&
              mdb_put(txn, meta, &hk, &hv, 0) == 0);
    HA_ASSERT(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
}

/* Marks every leaf page of the copy DIR's data file that holds an event
   (the bytes a4 "prev" of its key) as an overflow page, so that reading
   the events database gives MDB_CORRUPTED: a damaged disk, not a cut
   log. */
static void
s_corrupt_events(const char *dir)
{
    /* First a tree of two levels, so that the root (read when a cursor
       opens) is a branch and only the events' leaves are damaged: filler
       keys shorter than 8 bytes, which sort before every event. */
    MDB_txn *txn;
    MDB_env *env = s_open_copy(dir, &txn);
    MDB_dbi events;
    MDB_stat st;
    HA_ASSERT(mdb_dbi_open(txn, "events", 0, &events) == 0);
    static const uint8_t zeros[8];
    static uint8_t filler[1500];
    for (size_t n = 1; n < 8; n++) {
        MDB_val k = {n, (void *)zeros}, v = {sizeof filler, filler};
        HA_ASSERT(mdb_put(txn, events, &k, &v, 0) == 0);
    }
    HA_ASSERT(mdb_stat(txn, events, &st) == 0 && st.ms_depth >= 2);
    HA_ASSERT(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/store/data.mdb", dir);
    FILE *f = fopen(path, "r+b");
    HA_ASSERTF(f, "open %s", path);
    uint8_t *page = malloc(st.ms_psize);
    HA_ASSERT(page);
    int marked = 0;
    for (long at = 0; fseek(f, at, SEEK_SET) == 0 && fread(page, st.ms_psize, 1, f) == 1;
         at += (long)st.ms_psize) {
        uint16_t flags = (uint16_t)(page[10] | page[11] << 8); /* mp_flags */
        if (!(flags & 0x02) || (flags & 0x08))                 /* a leaf, no meta */
            continue;
        if (!memmem(page, st.ms_psize, "\xa4prev", 5))
            continue;
        page[10] = 0x04; /* P_OVERFLOW: no leaf any more */
        page[11] = 0;
        HA_ASSERT(fseek(f, at, SEEK_SET) == 0 && fwrite(page, st.ms_psize, 1, f) == 1);
        marked++;
    }
    HA_ASSERT(fclose(f) == 0);
    free(page);
    HA_ASSERTF(marked > 0, "no event page found in %s", path);
}

/* The agent's status body field, as a uint (UINT64_MAX if absent). */
static uint64_t
s_status_u(ha_agent_t *a, const char *key)
{
    nmirf_reply_t *r = ha_ctl(a, 5000, "status", NULL);
    uint64_t v = h_u(&r->body, key);
    nmirf_reply_destroy(&r);
    return v;
}

/* Waits until the agent kept the broker's checkpoint at seq. */
static void
s_witnessed(ha_agent_t *a, uint64_t seq)
{
    int64_t until = zclock_mono() + HA_WAIT_MS;
    uint64_t got = 0;
    while ((got = s_status_u(a, "checkpoint_seq")) != seq && zclock_mono() < until)
        h_sleep_ms(100);
    HA_ASSERTF(got == seq, "the agent kept checkpoint %llu, not %llu",
               (unsigned long long)got, (unsigned long long)seq);
}

/* Points the running agent at b's endpoints (new after each broker
   start) and restarts it with extra arguments (NULL: none). */
static void
s_agent_follow(ha_agent_t *a, h_broker_t *b, const char *const *extra)
{
    ha_agent_stop(a);
    snprintf(a->request_ep, sizeof a->request_ep, "%s", b->request_ep);
    snprintf(a->events_ep, sizeof a->events_ep, "%s", b->events_ep);
    ha_agent_restart_with(a, extra);
}

/* The agent's refusal (status `broker_refused`), waiting up to HA_WAIT_MS for one
   if wait; NULL if none. Caller frees. */
static char *
s_refusal(ha_agent_t *a, bool wait)
{
    int64_t until = zclock_mono() + (wait ? HA_WAIT_MS : 0);
    char *refused = NULL;
    for (;;) {
        nmirf_reply_t *st = ha_ctl(a, 5000, "status", NULL);
        const msgpack_object *o = nmirf_mp_get(&st->body, "broker_refused");
        if (o && o->type == MSGPACK_OBJECT_STR)
            refused = strndup(o->via.str.ptr, o->via.str.size);
        nmirf_reply_destroy(&st);
        if (refused || zclock_mono() >= until)
            return refused;
        h_sleep_ms(100);
    }
}

/* Submits n reports of e on R-0, one event each. */
static void
s_reports(h_entity_t *e, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        H_CALL_CHECK("ok", e, "report.submit",
                     "{'rec': 'R-0', 'status': 'in_progress', 'narrative': '%s %d'}",
                     what, i);
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 170);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    char keypath[PATH_MAX + 32], why[256];
    snprintf(keypath, sizeof keypath, "%s/keys/NMIRFD.pub", b->dir);
    nmirf_key_t broker;
    HA_ASSERTF(nmirf_key_load(&broker, keypath, why, sizeof why) == 0, "%s", why);
    s_checkpoint_at_head(b, broker.sign_pk, "first start");

    /* 1. Writes between crash-restarts: a checkpoint at the head each time. */
    h_entity_t *mj = ha_setup_ministry(b, "MJ", "R", 3);
    s_checkpoint_at_head(b, broker.sign_pk, "enrolment and import");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'R-0', 'lead': 'MJ'}");
    s_checkpoint_at_head(b, broker.sign_pk, "an assignment");
    uint8_t report_req[NMIRF_ID_LEN];
    for (int run = 0; run < 4; run++) {
        h_broker_kill(b);
        h_broker_restart(b);
        s_checkpoint_at_head(b, broker.sign_pk, "a restart after SIGKILL");
        randombytes_buf(report_req, sizeof report_req);
        msgpack_sbuffer *body = h_pack_json(
            "{'rec': 'R-0', 'status': 'in_progress', 'narrative': 'run %d'}", run);
        nmirf_reply_t *r = h_call_packed(mj, report_req, "report.submit",
                                         (const uint8_t *)body->data, body->size);
        H_EXPECT(r, "ok");
        nmirf_reply_destroy(&r);
        msgpack_sbuffer_free(body);
        s_checkpoint_at_head(b, broker.sign_pk, "a report after a restart");
    }
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", mj, "measure.add", "{'recs': ['R-0'], 'title': 'Training'}");
    uint64_t measure = h_u(&r->body, "measure.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", mj, "measure.update", "{'id': %llu, 'title': 'Training 2'}",
                 (unsigned long long)measure);
    /* A no-op update makes no event: the log does not grow. */
    uint64_t before = h_seq(b);
    r = H_CALL_EXPECT("ok", mj, "measure.update", "{'id': %llu, 'title': 'Training 2'}",
                      (unsigned long long)measure);
    HA_ASSERT(h_seq(b) == before && r->has_id);
    uint8_t noop_req[NMIRF_ID_LEN]; /* its request: no event names it */
    memcpy(noop_req, r->id, NMIRF_ID_LEN);
    nmirf_reply_destroy(&r);
    /* An import of nothing new makes no event either: its stored reply
       is checked by the request walk (s_checkpoint_at_head verifies). */
    for (int i = 0; i < 2; i++)
        H_CALL_CHECK(
            "ok", coord, "rec.import",
            "{'recs': [{'id': 'W-0', 'mechanism': 'UPR', 'text': {'en': 'w'}}]}");
    s_checkpoint_at_head(b, broker.sign_pk, "measures");
    h_note("a signed checkpoint is at the head after every write and every restart "
           "(4 SIGKILLs)");

    /* 3, first half: an agent follows and keeps the latest checkpoint. */
    ha_agent_t *a = ha_agent_start(b, mj, NULL);
    s_witnessed(a, h_seq(b));
    for (int i = 0; i < 3; i++)
        H_CALL_CHECK("ok", mj, "report.submit",
                     "{'rec': 'R-0', 'status': 'in_progress', 'narrative': 'seen %d'}",
                     i);
    uint64_t seen = h_seq(b);
    s_witnessed(a, seen);
    h_note("the agent kept the checkpoint at %llu", (unsigned long long)seen);

    /* Copies of the store, the broker stopped (its stop signs nothing new:
       the head is signed already). */
    h_broker_stop(b);
    char copy[PATH_MAX + 32], cut[PATH_MAX + 32], backup[PATH_MAX + 32];
    snprintf(copy, sizeof copy, "%s-copy", b->dir);
    snprintf(cut, sizeof cut, "%s-cut", b->dir);
    snprintf(backup, sizeof backup, "%s-backup", b->dir);
    s_sh("cp -a '%s' '%s'", b->dir, copy);
    s_sh("cp -a '%s' '%s'", b->dir, cut);
    s_sh("cp -a '%s' '%s'", b->dir, backup);
    nmirf_audit_summary_t sum;
    HA_ASSERTF(nmirf_audit_verify_dir(copy, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
               "copy: %s", sum.why);
    HA_ASSERTF(nmirf_audit_check_witness(copy, a->data, broker.sign_pk, &sum) ==
                       NMIRF_AUDIT_OK &&
                   sum.witness_seq == seen,
               "witness on the whole log: %s", sum.why);

    /* 2. A flipped byte in the stored reply of the last report of the
       crash runs. */
    s_flip_reply(copy, report_req);
    nmirf_audit_rc_t arc = nmirf_audit_verify_dir(copy, broker.sign_pk, &sum);
    char hex[2 * NMIRF_ID_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, report_req, sizeof report_req);
    HA_ASSERTF(arc == NMIRF_AUDIT_FAILED && strstr(sum.why, hex) &&
                   strstr(sum.why, "stored reply"),
               "a flipped reply byte: verify gave %d: %s", arc, sum.why);
    h_note("flipped reply byte detected: %s", sum.why);

    /* 2, no event: a flipped byte in the stored reply of the no-op
       measure.update, which no event names (its changed: false becomes
       true); the copy verified untouched above. */
    char noop[PATH_MAX + 32];
    snprintf(noop, sizeof noop, "%s-noop", b->dir);
    s_sh("cp -a '%s' '%s'", backup, noop);
    HA_ASSERTF(nmirf_audit_verify_dir(noop, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
               "noop copy: %s", sum.why);
    s_flip_reply(noop, noop_req);
    arc = nmirf_audit_verify_dir(noop, broker.sign_pk, &sum);
    sodium_bin2hex(hex, sizeof hex, noop_req, sizeof noop_req);
    HA_ASSERTF(arc == NMIRF_AUDIT_FAILED && strstr(sum.why, hex) &&
                   strstr(sum.why, "stored reply"),
               "a flipped reply byte of a write with no event: verify gave %d: %s", arc,
               sum.why);
    h_note("flipped reply byte of a no-event write detected: %s", sum.why);

    /* 3, second half: the tail cut with its checkpoints. */
    uint64_t keep = seen - 2;
    s_cut_tail(cut, keep);
    HA_ASSERTF(nmirf_audit_verify_dir(cut, broker.sign_pk, &sum) == NMIRF_AUDIT_OK &&
                   sum.last_checkpoint == keep,
               "the cut log alone: %s", sum.why);
    arc = nmirf_audit_check_witness(cut, a->data, broker.sign_pk, &sum);
    HA_ASSERTF(arc == NMIRF_AUDIT_FAILED && strstr(sum.why, "log truncated"),
               "the witness missed the cut: %d %s", arc, sum.why);
    h_note("cut tail: alone it verifies; with the agent as witness: %s", sum.why);
    const char *nmirf = ha_nmirf();
    if (nmirf) {
        char *out = NULL;
        int st = h_sh(&out, "'%s' audit verify --data '%s' --witness '%s' 2>&1", nmirf,
                      cut, a->data);
        HA_ASSERTF(st == 1 && out && strstr(out, "log truncated"),
                   "nmirf audit verify --witness on the cut log: status %d: %s", st,
                   out ? out : "");
        free(out);
        st = h_sh(&out, "'%s' audit verify --data '%s' --witness '%s' 2>&1", nmirf,
                  b->dir, a->data);
        HA_ASSERTF(st == 0 && out && strstr(out, "witness"),
                   "nmirf audit verify --witness on the whole log: status %d: %s", st,
                   out ? out : "");
        free(out);
        h_note("nmirf audit verify --witness exits 1 on the cut log, 0 on the whole");
    }

    /* 3, end: a store whose events cannot be read is no cut log: an error
       (the disk), not a finding. */
    char broken[PATH_MAX + 32];
    snprintf(broken, sizeof broken, "%s-broken", b->dir);
    s_sh("cp -a '%s' '%s'", backup, broken);
    s_corrupt_events(broken);
    arc = nmirf_audit_check_witness(broken, a->data, broker.sign_pk, &sum);
    HA_ASSERTF(arc == NMIRF_AUDIT_ERROR && !strstr(sum.why, "log truncated"),
               "an unreadable events database: the witness check gave %d: %s", arc,
               sum.why);
    h_note("unreadable events: the witness check is an error: %s", sum.why);

    /* 4. A restored older broker: the backup is at `seen`; more writes the
       agent sees; then the backup comes back. */
    h_broker_restart(b);
    s_agent_follow(a, b, NULL);
    for (int i = 0; i < 2; i++)
        H_CALL_CHECK("ok", mj, "report.submit",
                     "{'rec': 'R-0', 'status': 'in_progress', 'narrative': 'later %d'}",
                     i);
    uint64_t later = h_seq(b);
    s_witnessed(a, later);
    h_broker_stop(b);
    char store[PATH_MAX + 16];
    snprintf(store, sizeof store, "%s/store", b->dir);
    s_sh("rm -rf '%s'%s", store, "");
    s_sh("cp -a '%s/store' '%s'", backup, store);
    h_broker_restart(b);
    HA_ASSERT(h_seq(b) == seen);
    s_agent_follow(a, b, NULL);
    char *refused = s_refusal(a, true);
    HA_ASSERTF(refused && strstr(refused, "went back"), "the agent did not refuse: %s",
               refused ? refused : "(no refusal)");
    h_note("restored older broker refused: %s", refused);
    free(refused);
    /* Nothing more is applied from it. */
    uint64_t at = s_status_u(a, "seq");
    /* Past the agent's own seq: events it would apply from a broker it
       trusts. */
    for (int i = 0; i < 4; i++)
        H_CALL_CHECK(
            "ok", mj, "report.submit",
            "{'rec': 'R-0', 'status': 'in_progress', 'narrative': 'restored %d'}", i);
    HA_ASSERT(h_seq(b) > at);
    h_sleep_ms(1500); /* a heartbeat or two: nothing to wait for */
    HA_ASSERT(s_status_u(a, "seq") == at);
    HA_ASSERT(s_status_u(a, "checkpoint_seq") == later);
    size_t loglen;
    char *log = nmirf_read_file(a->log_path, &loglen);
    HA_ASSERT(log && strstr(log, "REFUSING the broker"));
    free(log);
    h_note("the agent applied nothing from the refused broker");

    /* 5. The restored broker has now written past the agent's checkpoint
       (a broker that went back while the agent was away): its checkpoint
       is ahead, but its next event does not follow the one the agent
       applied. A restarted agent refuses it by the chain, keeps its own
       checkpoint, and the witness check names the fork. */
    HA_ASSERT(h_seq(b) > later);
    s_agent_follow(a, b, NULL);
    refused = s_refusal(a, true);
    HA_ASSERTF(refused && strstr(refused, "forked"), "the agent did not refuse: %s",
               refused ? refused : "(no refusal)");
    h_note("a restored broker past the agent's checkpoint refused: %s", refused);
    free(refused);
    HA_ASSERT(s_status_u(a, "checkpoint_seq") == later);
    HA_ASSERT(s_status_u(a, "seq") == at);
    arc = nmirf_audit_check_witness(b->dir, a->data, broker.sign_pk, &sum);
    HA_ASSERTF(arc == NMIRF_AUDIT_FAILED && strstr(sum.why, "the log forked"),
               "the witness missed the fork: %d %s", arc, sum.why);
    h_note("with the agent as witness: %s", sum.why);

    /* The operator's way out, once the restored broker is known to be the
       one to follow: --forget-checkpoint. The agent reloads its replica
       from the broker's snapshot and keeps the broker's checkpoints again,
       from this one on. */
    static const char *const forget[] = {"--forget-checkpoint", NULL};
    s_agent_follow(a, b, forget);
    s_witnessed(a, h_seq(b));
    refused = s_refusal(a, false);
    HA_ASSERTF(!refused, "still refused after --forget-checkpoint: %s", refused);
    HA_ASSERT(s_status_u(a, "seq") == h_seq(b));
    uint8_t d1[NMIRF_HASH_LEN], d2[NMIRF_HASH_LEN];
    uint64_t s1, s2;
    ha_broker_digest(mj, d1, &s1);
    ha_agent_digest(a, d2, &s2);
    HA_ASSERT(s1 == s2 && memcmp(d1, d2, sizeof d1) == 0);
    h_note("--forget-checkpoint: the agent reloads and follows the restored broker");

    /* 6. A healthy broker far ahead: the agent, away while more than the
       gap was written, reloads from a snapshot and follows on. */
    char gap[16];
    snprintf(gap, sizeof gap, "%d", S_GAP);
    HA_ASSERT(setenv("NMIRF_AGENT_RESYNC_GAP", gap, 1) == 0);
    s_agent_follow(a, b, NULL);
    s_witnessed(a, h_seq(b));
    ha_agent_stop(a);
    int loads = h_log_count(a->log_path, "replica loaded from a snapshot");
    s_reports(mj, S_GAP + 5, "far");
    uint64_t far = h_seq(b);
    ha_agent_restart(a);
    s_witnessed(a, far);
    HA_ASSERTF(h_log_count(a->log_path, "replica loaded from a snapshot") == loads + 1,
               "the agent %llu behind did not reload a snapshot",
               (unsigned long long)(S_GAP + 5));
    s_reports(mj, 3, "then");
    s_witnessed(a, h_seq(b));
    refused = s_refusal(a, false);
    HA_ASSERTF(!refused, "a healthy broker refused: %s", refused);
    HA_ASSERT(s_status_u(a, "seq") == h_seq(b));
    ha_broker_digest(mj, d1, &s1);
    ha_agent_digest(a, d2, &s2);
    HA_ASSERT(s1 == s2 && memcmp(d1, d2, sizeof d1) == 0);
    h_note("%d events ahead (gap %d): snapshot reload, checkpoint %llu kept, digest "
           "equal",
           S_GAP + 5, S_GAP, (unsigned long long)h_seq(b));

    /* 7. A restored older broker more than the gap past the agent's
       checkpoint: backup, writes the agent sees and signs off, the backup
       restored while the agent is away, then more than the gap written. */
    h_broker_stop(b);
    s_sh("rm -rf '%s'%s", backup, "");
    s_sh("cp -a '%s' '%s'", b->dir, backup);
    h_broker_restart(b);
    s_agent_follow(a, b, NULL);
    uint64_t old = h_seq(b);
    s_reports(mj, 2, "kept");
    uint64_t kept = h_seq(b);
    s_witnessed(a, kept);
    ha_agent_stop(a);
    h_broker_stop(b);
    s_sh("rm -rf '%s'%s", store, "");
    s_sh("cp -a '%s/store' '%s'", backup, store);
    h_broker_restart(b);
    HA_ASSERT(h_seq(b) == old);
    s_reports(mj, S_GAP + 5, "forked");
    HA_ASSERT(h_seq(b) > kept + S_GAP);
    snprintf(a->request_ep, sizeof a->request_ep, "%s", b->request_ep);
    snprintf(a->events_ep, sizeof a->events_ep, "%s", b->events_ep);
    ha_agent_restart(a);
    refused = s_refusal(a, true);
    HA_ASSERTF(refused && (strstr(refused, "forked") || strstr(refused, "went back")),
               "the agent followed a restored broker %llu events past its "
               "checkpoint: %s",
               (unsigned long long)(h_seq(b) - kept), refused ? refused : "(no refusal)");
    h_note("a restored broker more than the gap past the checkpoint refused: %s",
           refused);
    free(refused);
    HA_ASSERT(s_status_u(a, "checkpoint_seq") == kept);
    arc = nmirf_audit_check_witness(b->dir, a->data, broker.sign_pk, &sum);
    HA_ASSERTF(arc == NMIRF_AUDIT_FAILED && strstr(sum.why, "the log forked"),
               "the witness missed the fork: %d %s", arc, sum.why);
    h_note("with the agent as witness: %s", sum.why);

    nmirf_key_wipe(&broker);
    ha_agent_destroy(&a);
    s_sh("rm -rf '%s' '%s'", copy, cut);
    s_sh("rm -rf '%s'%s", backup, "");
    h_broker_destroy(&b);
    printf("witness_test: all passed\n");
    return 0;
}
