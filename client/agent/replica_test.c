/*  replica_test - the agent's replica through its header alone, on a real
    LMDB environment, with no broker and no other part of the agent.

    Usage: replica_unit

    Works in a fresh mkdtemp() directory, removed at the end: a new
    replica's state (replica_status), the query interface other files use
    (replica_read_begin, replica_dbis) with the `mine` query over it
    (replica_pack_mine: roles, statuses, deadlines), the sequence read
    back on reopening, --forget-checkpoint (replica_new's
    forget_checkpoint), an unreadable kept checkpoint refused at
    start, and a snapshot body stored as its bytes (replica_snapshot_put:
    keys out of order, sections of the wrong shape refused). Prints "file:line: case:
   what" per failed check, one summary line at the end.
*/
#include "replica.h"
#include "replica_snapshot.h"
#include "unit.h"

#include "nmirf_log.h"
#include "nmirf_mp.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static agent_conf_t s_conf;                   /* the configuration: dir only */
static const replica_events_t s_events = {0}; /* no event is applied here */

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Puts key -> val (len bytes) into db, in one write transaction (the
   test writes what the broker's events would). Returns an LMDB error
   code. */
static int
s_put(replica_t *r, agent_db_t db, const char *key, const void *val, size_t len)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(replica_env(r), NULL, 0, &txn);
    if (rc)
        return rc;
    MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
    rc = mdb_put(txn, replica_dbis(r)[db], &k, &v, 0);
    return rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
}

/* An assignment record {rec, lead, contributors, deadline?, assigned}. */
static int
s_put_assignment(replica_t *r, const char *rec, const char *lead, const char *contrib,
                 const char *deadline)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, deadline ? 5 : 4);
    nmirf_mp_pack_kv_str(&pk, "rec", rec);
    nmirf_mp_pack_kv_str(&pk, "lead", lead);
    nmirf_mp_pack_str(&pk, "contributors");
    msgpack_pack_array(&pk, contrib ? 1 : 0);
    if (contrib)
        nmirf_mp_pack_str(&pk, contrib);
    if (deadline)
        nmirf_mp_pack_kv_str(&pk, "deadline", deadline);
    nmirf_mp_pack_kv_uint(&pk, "assigned", 1767225600000ULL);
    int rc = s_put(r, AG_DB_ASSIGNMENTS, rec, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* The item of `mine` for rec in the array arr, or NULL. */
static const msgpack_object *
s_item(const msgpack_object *arr, const char *rec)
{
    for (uint32_t i = 0; arr && i < arr->via.array.size; i++)
        if (nmirf_mp_str_is(nmirf_mp_get(&arr->via.array.ptr[i], "rec"), rec))
            return &arr->via.array.ptr[i];
    return NULL;
}

/* The int under key of map m, or 9999 if there is none. */
static int64_t
s_int(const msgpack_object *m, const char *key)
{
    const msgpack_object *o = nmirf_mp_get(m, key);
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (int64_t)o->via.u64;
    if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return 9999;
}

static void
s_new_replica(const char *dir)
{
    unit_case = "new";
    replica_t *r = replica_new(&s_conf, NULL, false, &s_events);
    CHECK(r != NULL, "replica_new failed in %s", dir);
    if (!r)
        return;
    replica_status_t st;
    replica_status(r, &st);
    CHECK(st.seq == 0 && st.broker_seq == 0 && !st.loaded, "an empty replica is at 0");
    CHECK(st.checkpoint_seq == 0 && st.refused == NULL, "no checkpoint, not refused");
    const MDB_dbi *dbi = replica_dbis(r);
    CHECK(dbi != NULL && dbi[AG_DB_META] != dbi[AG_DB_ASSIGNMENTS], "one database each");
    replica_on_seq(r, 12);
    replica_on_seq(r, 5); /* never backwards */
    replica_status(r, &st);
    CHECK(st.broker_seq == 12, "broker_seq %llu, want 12",
          (unsigned long long)st.broker_seq);
    uint8_t digest[NMIRF_HASH_LEN];
    uint64_t seq = 1;
    CHECK(replica_digest(r, digest, &seq) == 0 && seq == 0, "the digest of an empty one");
    replica_destroy(&r);
    CHECK(r == NULL, "replica_destroy NULLs the handle");
    replica_destroy(&r); /* twice: safe */
}

static void
s_mine(void)
{
    unit_case = "mine";
    replica_t *r = replica_new(&s_conf, NULL, false, &s_events);
    CHECK(r != NULL, "replica_new");
    if (!r)
        return;
    /* Ours: R1 (lead, implemented, 10 days late), R2 (contributor, due in
       5 days), R3 (lead, undated); not ours: R4. */
    CHECK(s_put_assignment(r, "R1", "MJ", NULL, "2026-01-10") == 0, "put R1");
    CHECK(s_put_assignment(r, "R2", "MI", "MJ", "2026-01-25") == 0, "put R2");
    CHECK(s_put_assignment(r, "R3", "MJ", "MI", NULL) == 0, "put R3");
    CHECK(s_put_assignment(r, "R4", "MI", "MS", "2026-01-01") == 0, "put R4");
    CHECK(s_put(r, AG_DB_STATUS, "R1", "implemented", 11) == 0, "put status");
    static const uint8_t rec2[] = {
        0x81, 0xa4, 't', 'e',  'x', 't', 0x81,
        0xa2, 'f',  'r', 0xa3, 'd', 'e', 'u'}; /* {text: {fr: deu}} */
    CHECK(s_put(r, AG_DB_RECS, "R2", rec2, sizeof rec2) == 0, "put rec R2");

    MDB_txn *txn;
    CHECK(replica_read_begin(r, &txn) == 0, "replica_read_begin");
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    CHECK(replica_pack_mine(txn, replica_dbis(r), "MJ", "2026-01-20", 14, &pk) == 0,
          "replica_pack_mine");
    mdb_txn_abort(txn);

    msgpack_zone zone;
    msgpack_object arr;
    msgpack_zone_init(&zone, 4096);
    int got = nmirf_mp_unpack((const uint8_t *)sb.data, sb.size, &zone, &arr, NULL, 0);
    CHECK(got == NMIRF_OK && arr.type == MSGPACK_OBJECT_ARRAY, "an array");
    if (got == NMIRF_OK && arr.type == MSGPACK_OBJECT_ARRAY) {
        CHECK(arr.via.array.size == 3, "%u items, want 3", arr.via.array.size);
        const msgpack_object *r1 = s_item(&arr, "R1"), *r2 = s_item(&arr, "R2"),
                             *r3 = s_item(&arr, "R3");
        CHECK(r1 && r2 && r3 && !s_item(&arr, "R4"), "R1, R2, R3, not R4");
        if (r1 && r2 && r3) {
            CHECK(nmirf_mp_str_is(nmirf_mp_get(r1, "role"), "lead"), "R1 lead");
            CHECK(nmirf_mp_str_is(nmirf_mp_get(r1, "status"), "implemented"),
                  "R1 implemented");
            CHECK(s_int(r1, "days_left") == -10, "R1 10 days late");
            CHECK(!nmirf_mp_get(r1, "due"), "implemented: not overdue");
            CHECK(nmirf_mp_str_is(nmirf_mp_get(r2, "role"), "contributor"),
                  "R2 contributor");
            CHECK(nmirf_mp_str_is(nmirf_mp_get(r2, "status"), "not_started"),
                  "R2 not started");
            CHECK(s_int(r2, "days_left") == 5, "R2 in 5 days");
            CHECK(nmirf_mp_str_is(nmirf_mp_get(r2, "due"), "due_soon"), "R2 due soon");
            CHECK(nmirf_mp_str_is(nmirf_mp_get(r2, "text"), "deu"), "R2's text");
            CHECK(!nmirf_mp_get(r3, "days_left") && !nmirf_mp_get(r3, "due"),
                  "undated: no deadline marks");
            CHECK(nmirf_mp_str_is(nmirf_mp_get(r3, "text"), ""),
                  "R3: no record, no text");
        }
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);

    /* A horizon of 4 days: R2 (5 days left) is not due soon. */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    CHECK(replica_read_begin(r, &txn) == 0, "replica_read_begin");
    CHECK(replica_pack_mine(txn, replica_dbis(r), "MJ", "2026-01-20", 4, &pk) == 0,
          "replica_pack_mine");
    mdb_txn_abort(txn);
    msgpack_zone_init(&zone, 4096);
    if (nmirf_mp_unpack((const uint8_t *)sb.data, sb.size, &zone, &arr, NULL, 0) ==
            NMIRF_OK &&
        arr.type == MSGPACK_OBJECT_ARRAY)
        CHECK(s_item(&arr, "R2") && !nmirf_mp_get(s_item(&arr, "R2"), "due"),
              "R2 not due soon within 4 days");
    else
        CHECK(0, "an array");
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    replica_destroy(&r);
}

static void
s_reopen_and_forget(void)
{
    unit_case = "reopen";
    replica_t *r = replica_new(&s_conf, NULL, false, &s_events);
    CHECK(r != NULL, "replica_new");
    if (!r)
        return;
    static const uint8_t seven[8] = {0, 0, 0, 0, 0, 0, 0, 7};
    CHECK(s_put(r, AG_DB_META, "seq", seven, 8) == 0, "put seq");
    replica_destroy(&r);
    r = replica_new(&s_conf, NULL, false, &s_events);
    CHECK(r != NULL, "replica_new again");
    if (!r)
        return;
    replica_status_t st;
    replica_status(r, &st);
    CHECK(st.seq == 7 && st.loaded, "at 7, loaded (seq %llu)",
          (unsigned long long)st.seq);
    /* replica_on_subscribed behind the broker: nothing to see from
       outside without a link; it must not disturb the state. */
    replica_on_subscribed(r, 9);
    replica_status(r, &st);
    CHECK(st.seq == 7, "still at 7");

    unit_case = "checkpoint";
    static const uint8_t junk[] = {0xc1}; /* never valid msgpack */
    CHECK(s_put(r, AG_DB_META, "checkpoint", junk, sizeof junk) == 0, "put junk");
    replica_destroy(&r);
    r = replica_new(&s_conf, NULL, false, &s_events);
    CHECK(r == NULL, "an unreadable kept checkpoint is refused at start");
    replica_destroy(&r);

    unit_case = "forget";
    r = replica_new(&s_conf, NULL, true, &s_events);
    CHECK(r != NULL, "--forget-checkpoint drops it");
    if (!r)
        return;
    replica_status(r, &st);
    CHECK(st.seq == 0 && !st.loaded && st.checkpoint_seq == 0,
          "forgotten: the replica reloads from a snapshot");
    MDB_txn *txn;
    MDB_val k = {3, "seq"}, v;
    CHECK(replica_read_begin(r, &txn) == 0, "replica_read_begin");
    CHECK(mdb_get(txn, replica_dbis(r)[AG_DB_META], &k, &v) == MDB_NOTFOUND,
          "meta seq dropped");
    mdb_txn_abort(txn);
    replica_destroy(&r);
}

/* Packs a record {key: id, text: t} (a string key) into pk. */
static void
s_pack_rec(msgpack_packer *pk, const char *key, const char *id, const char *t)
{
    msgpack_pack_map(pk, 2);
    nmirf_mp_pack_kv_str(pk, key, id);
    nmirf_mp_pack_kv_str(pk, "text", t);
}

/* A snapshot body; bad: 0 well formed, 1 a rec without its id, 2 recs
   not an array, 3 no assignments section. */
static void
s_pack_snapshot(msgpack_sbuffer *sb, int bad)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, bad == 3 ? 7 : 8);
    nmirf_mp_pack_kv_uint(&pk, "seq", 42);
    nmirf_mp_pack_str(&pk, "entities");
    msgpack_pack_array(&pk, 1);
    s_pack_rec(&pk, "id", "MJ", "justice");
    nmirf_mp_pack_str(&pk, "recs");
    if (bad == 2)
        msgpack_pack_map(&pk, 0);
    else {
        msgpack_pack_array(&pk, 3); /* R3 out of order: appended, then put */
        s_pack_rec(&pk, "id", "R1", "one");
        s_pack_rec(&pk, "id", "R3", "three");
        s_pack_rec(&pk, bad == 1 ? "nid" : "id", "R2", "two");
    }
    if (bad != 3) {
        nmirf_mp_pack_str(&pk, "assignments");
        msgpack_pack_array(&pk, 1);
        s_pack_rec(&pk, "rec", "R1", "MJ leads");
    }
    nmirf_mp_pack_str(&pk, "reports");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_uint(&pk, "id", 300);
    nmirf_mp_pack_kv_str(&pk, "rec", "R1");
    nmirf_mp_pack_str(&pk, "status");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "R1", "implemented");
    nmirf_mp_pack_str(&pk, "measures");
    msgpack_pack_array(&pk, 0);
    nmirf_mp_pack_kv_str(&pk, "later", "an unknown key is skipped");
}

static void
s_snapshot_put(void)
{
    unit_case = "snapshot put";
    replica_t *r = replica_new(&s_conf, NULL, false, &s_events);
    CHECK(r != NULL, "replica_new");
    if (!r)
        return;
    for (int bad = 0; bad <= 3; bad++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        s_pack_snapshot(&sb, bad);
        const uint8_t *body = (const uint8_t *)sb.data;
        CHECK(nmirf_mp_check(body, sb.size, NULL, 0) == NMIRF_OK, "%d: valid msgpack",
              bad);
        uint64_t seq = 0;
        CHECK(replica_snapshot_seq(body, sb.size, &seq) == 0 && seq == 42, "%d: seq 42",
              bad);
        MDB_txn *txn;
        size_t records = 0;
        CHECK(mdb_txn_begin(replica_env(r), NULL, 0, &txn) == 0, "begin");
        int rc = replica_snapshot_put(txn, replica_dbis(r), body, sb.size, &records);
        if (bad) {
            CHECK(rc == EINVAL, "%d: refused (%d)", bad, rc);
            mdb_txn_abort(txn);
            msgpack_sbuffer_destroy(&sb);
            continue;
        }
        CHECK(rc == 0 && records == 7, "stored (%d), %zu records", rc, records);
        /* R2 is stored as the bytes it was sent as. */
        msgpack_sbuffer want;
        msgpack_sbuffer_init(&want);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &want, msgpack_sbuffer_write);
        s_pack_rec(&pk, "id", "R2", "two");
        MDB_val k = {2, "R2"}, v;
        CHECK(mdb_get(txn, replica_dbis(r)[AG_DB_RECS], &k, &v) == 0 &&
                  v.mv_size == want.size && !memcmp(v.mv_data, want.data, want.size),
              "R2's bytes");
        uint8_t k8[8] = {0, 0, 0, 0, 0, 0, 1, 44}; /* report 300 */
        k = (MDB_val){8, k8};
        CHECK(mdb_get(txn, replica_dbis(r)[AG_DB_REPORTS], &k, &v) == 0, "report 300");
        k = (MDB_val){2, "R1"};
        CHECK(mdb_get(txn, replica_dbis(r)[AG_DB_STATUS], &k, &v) == 0 &&
                  v.mv_size == 11 && !memcmp(v.mv_data, "implemented", 11),
              "R1 implemented");
        MDB_stat st;
        CHECK(mdb_stat(txn, replica_dbis(r)[AG_DB_RECS], &st) == 0 && st.ms_entries == 3,
              "three recs");
        mdb_txn_abort(txn);
        msgpack_sbuffer_destroy(&want);
        msgpack_sbuffer_destroy(&sb);
    }
    uint64_t seq;
    static const uint8_t nil = 0xc0;
    CHECK(replica_snapshot_seq(&nil, 1, &seq) == -1, "no seq in nil");
    size_t records;
    CHECK(replica_snapshot_seq(NULL, 0, &seq) == -1 &&
              replica_snapshot_put(NULL, replica_dbis(r), NULL, 0, &records) == EINVAL,
          "a reply with no body");
    replica_destroy(&r);
}

int
main(void)
{
    log_init("replica_unit", false);
    log_set_level(NMIRF_LOG_ERROR);
    char dir[] = "/tmp/nmirf-replica-unit-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    s_conf.dir = dir;
    s_new_replica(dir);
    s_mine();
    s_reopen_and_forget();
    s_snapshot_put();
    nftw(dir, s_rm, 8, FTW_DEPTH | FTW_PHYS);
    return unit_done("replica_unit");
}
