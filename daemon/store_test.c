/*  store_test - the broker's LMDB store against a real environment.

    Usage: store_unit

    Works in a fresh mkdtemp() directory, removed at the end: records in
    and out, the event log's sequence numbers and prev-hash chain, nested
    transactions that abort, reopening, report ids, and a 1 MiB map that
    fills up. Prints "file:line: case: what" per failed check, one summary
    line at the end.
*/
#include "store.h"
#include "unit.h"
#include "nmirf_mp.h"
#include "nmirf_repl.h"
#include "nmirf_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EVENTS 20 /* events appended in the chain test */

/* The bytes of every appended event, by seq (1..), to check the chain. */
static msgpack_sbuffer s_events[2 * EVENTS + 2];

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* Packs {"id": id, "n": n} into sb (cleared first). */
static void
s_record(msgpack_sbuffer *sb, const char *id, uint64_t n)
{
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "id", id);
    nmirf_mp_pack_kv_uint(&pk, "n", n);
}

/* Appends one event in txn; keeps its bytes in s_events[seq]. */
static int
s_append(store_t *st, MDB_txn *txn, uint64_t *seq_out)
{
    static const char *const ents[] = {"MJ", "MI"};
    uint8_t data[] = {0x81, 0xa1, 'k', 0x01};
    uint8_t prev[NMIRF_HASH_LEN];
    nmirf_event_fields_t ev = {.ts = 1767225600000ULL,
                               .kind = "rec.added",
                               .subject = "A/HRC/52/7/148.12",
                               .entities = ents,
                               .entity_count = 2,
                               .author = "COORD",
                               .data = data,
                               .data_len = sizeof data};
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int rc = store_append_event(st, txn, &ev, prev, &out);
    *seq_out = ev.seq;
    if (rc == 0 && ev.seq < sizeof s_events / sizeof s_events[0]) {
        /* prev is the hash of the event before, zeros before event 1. */
        uint8_t want[NMIRF_HASH_LEN] = {0};
        if (ev.seq > 1)
            nmirf_hash2(want, (const uint8_t *)s_events[ev.seq - 1].data,
                        s_events[ev.seq - 1].size, NULL, 0);
        CHECK(memcmp(prev, want, sizeof want) == 0 && ev.prev == prev,
              "event %llu: prev is not the hash of event %llu",
              (unsigned long long)ev.seq, (unsigned long long)ev.seq - 1);
        msgpack_sbuffer_clear(&s_events[ev.seq]);
        msgpack_sbuffer_write(&s_events[ev.seq], out.data, out.size);
    }
    msgpack_sbuffer_destroy(&out);
    return rc;
}

/* Reads the whole event log and checks keys 1..n in order, bytes as
   appended, and the chain; meta "head" is the hash of event n. */
static void
s_check_log(store_t *st, uint64_t n)
{
    MDB_txn *txn;
    CHECK(store_begin(st, NULL, false, &txn) == 0, "read txn");
    CHECK(store_seq(st, txn) == n, "seq is %llu, expected %llu",
          (unsigned long long)store_seq(st, txn), (unsigned long long)n);
    MDB_cursor *cur;
    CHECK(mdb_cursor_open(txn, store_dbi(st, DB_EVENTS), &cur) == 0, "cursor");
    MDB_val k, v;
    uint64_t seq = 0;
    uint8_t prev[NMIRF_HASH_LEN] = {0};
    int op = MDB_FIRST;
    while (mdb_cursor_get(cur, &k, &v, op) == 0) {
        op = MDB_NEXT;
        seq++;
        CHECK(k.mv_size == 8 && nmirf_be64_decode(k.mv_data) == seq,
              "key %llu out of order", (unsigned long long)seq);
        CHECK(seq < sizeof s_events / sizeof s_events[0] &&
                  v.mv_size == s_events[seq].size &&
                  memcmp(v.mv_data, s_events[seq].data, v.mv_size) == 0,
              "event %llu: stored bytes differ from the appended ones",
              (unsigned long long)seq);
        char why[128] = "";
        nmirf_event_t *ev = nmirf_event_decode(v.mv_data, v.mv_size, why, sizeof why);
        CHECK(ev, "event %llu does not decode: %s", (unsigned long long)seq, why);
        if (ev) {
            CHECK(ev->seq == seq, "event %llu carries seq %llu", (unsigned long long)seq,
                  (unsigned long long)ev->seq);
            CHECK(memcmp(ev->prev, prev, sizeof prev) == 0, "event %llu: chain broken",
                  (unsigned long long)seq);
            nmirf_event_destroy(&ev);
        }
        nmirf_hash2(prev, v.mv_data, v.mv_size, NULL, 0);
    }
    mdb_cursor_close(cur);
    CHECK(seq == n, "log holds %llu events, expected %llu", (unsigned long long)seq,
          (unsigned long long)n);
    MDB_val hk = {4, "head"}, hv;
    if (n > 0)
        CHECK(mdb_get(txn, store_dbi(st, DB_META), &hk, &hv) == 0 &&
                  hv.mv_size == NMIRF_HASH_LEN && memcmp(hv.mv_data, prev, 32) == 0,
              "meta head is not the hash of event %llu", (unsigned long long)n);
    mdb_txn_abort(txn);
}

static void
s_test_records(store_t *st)
{
    unit_case = "records";
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    MDB_txn *txn;
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    CHECK(store_seq(st, txn) == 0, "a new store has seq 0");
    s_record(&sb, "MJ", 7);
    CHECK(store_put(st, txn, DB_ENTITIES, "MJ", 2, sb.data, sb.size) == 0, "put MJ");
    s_record(&sb, "MI", 8);
    CHECK(store_put(st, txn, DB_ENTITIES, "MI", 2, sb.data, sb.size) == 0, "put MI");
    s_record(&sb, "MJ", 9); /* overwrite */
    CHECK(store_put(st, txn, DB_ENTITIES, "MJ", 2, sb.data, sb.size) == 0,
          "put MJ again");
    CHECK(store_put(st, txn, DB_RECS, "bad", 3, "\xc1", 1) == 0, "put a corrupt value");
    /* The same key in another database is another record. */
    s_record(&sb, "rec", 1);
    CHECK(store_put(st, txn, DB_RECS, "MJ", 2, sb.data, sb.size) == 0, "put recs/MJ");
    CHECK(store_commit(txn) == 0, "commit");

    CHECK(store_begin(st, NULL, false, &txn) == 0, "read txn");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object obj;
    CHECK(store_get(st, txn, DB_ENTITIES, "MJ", 2, &zone, &obj) == 0, "get MJ");
    const msgpack_object *n = nmirf_mp_get(&obj, "n");
    CHECK(n && n->via.u64 == 9 && nmirf_mp_str_is(nmirf_mp_get(&obj, "id"), "MJ"),
          "MJ is not the last value put");
    CHECK(store_get(st, txn, DB_RECS, "MJ", 2, &zone, &obj) == 0 &&
              nmirf_mp_str_is(nmirf_mp_get(&obj, "id"), "rec"),
          "recs/MJ");
    CHECK(store_get(st, txn, DB_ENTITIES, "XX", 2, &zone, &obj) == MDB_NOTFOUND,
          "missing key not MDB_NOTFOUND");
    CHECK(store_get(st, txn, DB_RECS, "bad", 3, &zone, &obj) == MDB_CORRUPTED,
          "corrupt value not MDB_CORRUPTED");
    CHECK(store_has(st, txn, DB_ENTITIES, "MI", 2), "has MI");
    CHECK(!store_has(st, txn, DB_ENTITIES, "M", 1), "has M");
    CHECK(!store_has(st, txn, DB_REPORTS, "MI", 2), "has reports/MI");
    mdb_txn_abort(txn);
    /* The value was copied into the zone: still readable after the txn. */
    CHECK(nmirf_mp_str_is(nmirf_mp_get(&obj, "id"), "rec"), "value died with the txn");
    msgpack_zone_destroy(&zone);
    /* A store holding it is damaged: store_open's walk would refuse the
       reopen below. */
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    CHECK(store_del(st, txn, DB_RECS, "bad", 3) == 0, "del recs/bad");
    CHECK(store_commit(txn) == 0, "commit");

    /* An aborted write changes nothing. */
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    s_record(&sb, "ZZ", 1);
    CHECK(store_put(st, txn, DB_ENTITIES, "ZZ", 2, sb.data, sb.size) == 0, "put ZZ");
    store_abort(txn);
    CHECK(store_begin(st, NULL, false, &txn) == 0, "read txn");
    CHECK(!store_has(st, txn, DB_ENTITIES, "ZZ", 2), "aborted put is visible");
    mdb_txn_abort(txn);
    msgpack_sbuffer_destroy(&sb);
}

static void
s_test_chain(store_t *st)
{
    unit_case = "event chain";
    uint64_t seq = 0;
    /* Event 1 alone, then several per transaction. */
    for (int done = 0; done < EVENTS;) {
        MDB_txn *txn;
        CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
        int per = done == 0 ? 1 : 4;
        for (int i = 0; i < per && done < EVENTS; i++, done++) {
            CHECK(s_append(st, txn, &seq) == 0, "append");
            CHECK(seq == (uint64_t)done + 1, "append gave seq %llu, expected %d",
                  (unsigned long long)seq, done + 1);
            CHECK(store_seq(st, txn) == seq, "store_seq lags inside the txn");
        }
        CHECK(store_commit(txn) == 0, "commit");
    }
    s_check_log(st, EVENTS);

    unit_case = "nested abort";
    MDB_txn *parent, *child;
    CHECK(store_begin(st, NULL, true, &parent) == 0, "parent txn");
    CHECK(store_begin(st, parent, true, &child) == 0, "child txn");
    CHECK(s_append(st, child, &seq) == 0 && seq == EVENTS + 1, "append in child");
    CHECK(s_append(st, child, &seq) == 0 && seq == EVENTS + 2, "append in child");
    store_abort(child);
    CHECK(store_seq(st, parent) == EVENTS, "child abort left seq at %llu",
          (unsigned long long)store_seq(st, parent));
    /* A second child commits into the parent; the chain goes on from the
       last committed event, not from the aborted ones. */
    CHECK(store_begin(st, parent, true, &child) == 0, "child txn");
    CHECK(s_append(st, child, &seq) == 0 && seq == EVENTS + 1, "append after abort");
    CHECK(store_commit(child) == 0, "child commit");
    CHECK(store_seq(st, parent) == EVENTS + 1, "child commit not seen by the parent");
    CHECK(s_append(st, parent, &seq) == 0 && seq == EVENTS + 2, "append in parent");
    CHECK(store_commit(parent) == 0, "parent commit");
    s_check_log(st, EVENTS + 2);

    /* An aborted top-level transaction leaves seq too. */
    CHECK(store_begin(st, NULL, true, &parent) == 0, "write txn");
    CHECK(s_append(st, parent, &seq) == 0 && seq == EVENTS + 3, "append");
    store_abort(parent);
    s_check_log(st, EVENTS + 2);
}

static void
s_test_report_ids(store_t *st, uint64_t first)
{
    unit_case = "report ids";
    MDB_txn *txn;
    int err = -1;
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    for (uint64_t i = 0; i < 3; i++) {
        uint64_t id = store_next_report_id(st, txn, &err);
        CHECK(err == 0 && id == first + i, "report id %llu, expected %llu",
              (unsigned long long)id, (unsigned long long)(first + i));
    }
    CHECK(store_commit(txn) == 0, "commit");
    /* An aborted transaction gives its id back. */
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    CHECK(store_next_report_id(st, txn, &err) == first + 3 && err == 0, "next id");
    store_abort(txn);
}

/* meta "reqkey": a new store keys requests by time and has no legacy
   entries; a store that held requests before the marker (made here by
   deleting it) is marked legacy at its next open, and the marker, once
   written, is kept. Also the last event's ts. */
static void
s_test_reqkey(const char *dir)
{
    unit_case = "reqkey";
    char why[256] = "";
    uint64_t before = nmirf_now_ms();
    store_t *st = store_open(dir, 8, why, sizeof why);
    CHECK(st, "open %s: %s", dir, why);
    if (!st)
        return;
    const store_reqkey_t *rk = store_reqkey(st);
    CHECK(!rk->legacy && rk->since >= before && rk->since <= nmirf_now_ms(),
          "a new store: legacy %d, since %llu", rk->legacy,
          (unsigned long long)rk->since);
    uint64_t since = rk->since, ts = 1;
    MDB_txn *txn;
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    CHECK(store_last_event_ts(st, txn, &ts) == 0 && ts == 0, "no event: ts %llu",
          (unsigned long long)ts);
    uint8_t id[NMIRF_ID_LEN] = {1, 2, 3}, key[STORE_REQKEY_LEN];
    store_request_key(0x0102030405060708ULL, id, key);
    CHECK(key[0] == 1 && key[7] == 8 && key[8] == 1 && key[10] == 3, "key layout");
    /* What a broker before the marker left: a request under its id, and
       no marker. */
    uint8_t env[4] = {0x81, 0xa1, 'v', 1}, sig[NMIRF_SIG_LEN] = {0}, h[NMIRF_HASH_LEN];
    nmirf_hash2(h, env, sizeof env, sig, sizeof sig);
    msgpack_sbuffer rec;
    msgpack_sbuffer_init(&rec);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rec, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_str(&pk, "hash");
    nmirf_mp_pack_bin(&pk, h, sizeof h);
    nmirf_mp_pack_str(&pk, "envelope");
    nmirf_mp_pack_bin(&pk, env, sizeof env);
    nmirf_mp_pack_str(&pk, "sig");
    nmirf_mp_pack_bin(&pk, sig, sizeof sig);
    nmirf_mp_pack_str(&pk, "reply");
    nmirf_mp_pack_bin(&pk, env, sizeof env);
    CHECK(store_put(st, txn, DB_REQUESTS, id, sizeof id, rec.data, rec.size) == 0, "put");
    msgpack_sbuffer_destroy(&rec);
    CHECK(store_del(st, txn, DB_META, "reqkey", 6) == 0, "del reqkey");
    CHECK(store_commit(txn) == 0, "commit");
    store_close(&st);
    st = store_open(dir, 8, why, sizeof why);
    CHECK(st, "reopen: %s", why);
    if (!st)
        return;
    CHECK(store_reqkey(st)->legacy && store_reqkey(st)->since >= since,
          "an old store is not marked legacy");
    since = store_reqkey(st)->since;
    store_close(&st);
    st = store_open(dir, 8, why, sizeof why);
    CHECK(st && store_reqkey(st)->legacy && store_reqkey(st)->since == since,
          "the marker was not kept");
    if (st) {
        CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
        uint64_t seq = 0;
        CHECK(s_append(st, txn, &seq) == 0, "append");
        CHECK(store_last_event_ts(st, txn, &ts) == 0 && ts == 1767225600000ULL,
              "last event ts %llu", (unsigned long long)ts);
        store_abort(txn);
    }
    store_close(&st);
}

static void
s_test_map_full(const char *dir)
{
    unit_case = "map full";
    char why[256] = "";
    store_t *st = store_open(dir, 1, why, sizeof why);
    CHECK(st, "open with a 1 MiB map: %s", why);
    if (!st)
        return;
    CHECK(store_map_size(st) == 1024 * 1024, "map size %zu", store_map_size(st));
    char val[4000]; /* a msgpack str16 of 3997 bytes, as a record is msgpack */
    memset(val, 'v', sizeof val);
    val[0] = (char)0xda;
    val[1] = (char)((sizeof val - 3) >> 8);
    val[2] = (char)((sizeof val - 3) & 0xff);
    int rc = 0, committed = 0, i = 0;
    bool put_full = false; /* store_put itself said MDB_MAP_FULL */
    /* Fill in transactions of 8 puts until a put or a commit fails. */
    while (rc == 0 && i < 10000) {
        MDB_txn *txn;
        rc = store_begin(st, NULL, true, &txn);
        CHECK(rc == 0, "write txn: %s", store_strerror(rc));
        if (rc)
            break;
        for (int k = 0; k < 8 && rc == 0; k++, i++) {
            char key[16];
            snprintf(key, sizeof key, "k%06d", i);
            rc = store_put(st, txn, DB_RECS, key, strlen(key), val, sizeof val);
        }
        if (rc == 0) {
            rc = store_commit(txn);
            if (rc == 0)
                committed = i;
        } else {
            CHECK(rc == MDB_MAP_FULL, "put fails with %s, not MDB_MAP_FULL",
                  store_strerror(rc));
            put_full = rc == MDB_MAP_FULL;
            store_abort(txn);
        }
    }
    CHECK(rc == MDB_MAP_FULL, "filling 1 MiB ends with %d (%s)", rc, store_strerror(rc));
    /* Whether the put or the commit meets the end first depends on how the
       pages fall (the commit writes the free list too): if it was the
       commit, puts without one must meet it. */
    if (!put_full && rc == MDB_MAP_FULL) {
        MDB_txn *txn;
        rc = store_begin(st, NULL, true, &txn);
        for (int k = 0; rc == 0 && k < 1000; k++, i++) {
            char key[16];
            snprintf(key, sizeof key, "k%06d", i);
            rc = store_put(st, txn, DB_RECS, key, strlen(key), val, sizeof val);
        }
        put_full = rc == MDB_MAP_FULL;
        store_abort(txn);
    }
    CHECK(put_full, "store_put never said MDB_MAP_FULL");
    CHECK(committed > 8 && committed < 1024 * 1024 / (int)sizeof val,
          "%d values committed into 1 MiB", committed);
    CHECK(strlen(store_strerror(MDB_MAP_FULL)) > 0, "no text for MDB_MAP_FULL");

    /* Still readable in place, and after reopening. */
    for (int pass = 0; pass < 2; pass++) {
        MDB_txn *txn;
        CHECK(store_begin(st, NULL, false, &txn) == 0, "read txn (pass %d)", pass);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        MDB_val k = {7, "k000000"}, v;
        CHECK(mdb_get(txn, store_dbi(st, DB_RECS), &k, &v) == 0 &&
                  v.mv_size == sizeof val,
              "first value lost (pass %d)", pass);
        char key[16];
        snprintf(key, sizeof key, "k%06d", committed - 1);
        k = (MDB_val){strlen(key), key};
        CHECK(mdb_get(txn, store_dbi(st, DB_RECS), &k, &v) == 0,
              "last committed value lost (pass %d)", pass);
        snprintf(key, sizeof key, "k%06d", committed);
        k = (MDB_val){strlen(key), key};
        CHECK(mdb_get(txn, store_dbi(st, DB_RECS), &k, &v) == MDB_NOTFOUND,
              "a value of the failed transaction is there (pass %d)", pass);
        CHECK(store_seq(st, txn) == 0, "seq moved (pass %d)", pass);
        msgpack_zone_destroy(&zone);
        mdb_txn_abort(txn);
        if (pass == 0) {
            store_close(&st);
            CHECK(st == NULL, "close does not clear the pointer");
            st = store_open(dir, 1, why, sizeof why);
            CHECK(st, "reopen of a full store: %s", why);
            if (!st)
                return;
        }
    }
    /* A small write may still fail, but must fail cleanly, not corrupt. */
    MDB_txn *txn;
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn after full");
    rc = store_put(st, txn, DB_META, "x", 1, "y", 1);
    CHECK(rc == 0 || rc == MDB_MAP_FULL, "small put: %s", store_strerror(rc));
    if (rc == 0)
        rc = store_commit(txn);
    else
        store_abort(txn);
    CHECK(rc == 0 || rc == MDB_MAP_FULL, "small commit: %s", store_strerror(rc));
    store_close(&st);
    store_close(&st); /* twice is safe */
}

/* The commit hook's last record, copied. */
static msgpack_sbuffer s_hooked;
static int s_hook_calls;
static uint64_t s_hook_before, s_hook_after; /* the seqs it was given */

static void
s_hook(void *arg, const uint8_t *record, size_t len, uint64_t seq_before,
       uint64_t seq_after)
{
    (void)arg;
    s_hook_calls++;
    s_hook_before = seq_before;
    s_hook_after = seq_after;
    msgpack_sbuffer_clear(&s_hooked);
    msgpack_sbuffer_write(&s_hooked, (const char *)record, len);
}

/* True if change i of rec is op on db, key k, val v (NULL: none). */
static bool
s_change_is(const nmirf_repl_record_t *rec, size_t i, nmirf_repl_op_t op, store_db_t db,
            const char *k, const char *v)
{
    if (i >= rec->count)
        return false;
    const nmirf_repl_change_t *c = &rec->changes[i];
    return c->op == op && c->db == (unsigned)db && c->klen == strlen(k) &&
           memcmp(c->key, k, c->klen) == 0 &&
           (v ? c->val && c->vlen == strlen(v) && memcmp(c->val, v, c->vlen) == 0
              : c->val == NULL);
}

/* The changelog: every change in order, a nested abort cut out at its
   mark (however deep), a nested commit kept, a top-level abort leaving
   nothing for the next transaction, and the record the commit hook gets
   (seq range, head, checkpoint, changes). */
static void
s_test_changelog(const char *dir)
{
    unit_case = "changelog";
    char why[256] = "";
    store_t *st = store_open(dir, 16, why, sizeof why);
    CHECK(st, "open %s: %s", dir, why);
    if (!st)
        return;
    msgpack_sbuffer_init(&s_hooked);
    store_set_changelog(st, true, NULL);
    store_set_commit_hook(st, s_hook, NULL);
    MDB_txn *txn, *child, *grand;
    const uint8_t *data;
    size_t len;

    /* A top-level abort: the next transaction starts empty, no record. */
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    CHECK(store_put(st, txn, DB_RECS, "gone", 4, "x", 1) == 0, "put");
    CHECK(store_changelog(st, &data, &len) == 1 && len > 0, "one change logged");
    store_abort(txn);
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    CHECK(store_changelog(st, &data, &len) == 0 && len == 0,
          "a new transaction starts with the aborted one's changes");

    CHECK(store_put(st, txn, DB_RECS, "a", 1, "1", 1) == 0, "put a");
    size_t after_a;
    store_changelog(st, &data, &after_a);
    /* A nested abort two levels deep: both levels go. */
    CHECK(store_begin(st, txn, true, &child) == 0, "child");
    CHECK(store_put(st, child, DB_RECS, "b", 1, "2", 1) == 0, "put b");
    CHECK(store_begin(st, child, true, &grand) == 0, "grandchild");
    CHECK(store_put(st, grand, DB_RECS, "c", 1, "3", 1) == 0, "put c");
    CHECK(store_changelog(st, &data, &len) == 3, "three changes");
    CHECK(store_commit(grand) == 0, "grandchild commit");
    CHECK(store_changelog(st, &data, &len) == 3, "a nested commit keeps its changes");
    store_abort(child);
    CHECK(store_changelog(st, &data, &len) == 1 && len == after_a,
          "the child's abort cut the log to its mark (%zu changes, %zu bytes, want 1, "
          "%zu)",
          store_changelog(st, &data, &len), len, after_a);
    /* Kept: a nested commit, a dupsort put and delete of one value, a
       delete, a drop, an event, a checkpoint; cut: a grandchild's abort. */
    CHECK(store_begin(st, txn, true, &child) == 0, "child");
    CHECK(store_put(st, child, DB_REC_REPORTS, "r", 1, "12345678", 8) == 0, "dup put");
    CHECK(store_put(st, child, DB_REC_REPORTS, "r", 1, "87654321", 8) == 0, "dup put");
    CHECK(store_begin(st, child, true, &grand) == 0, "grandchild");
    CHECK(store_del(st, grand, DB_RECS, "a", 1) == 0, "del a");
    store_abort(grand);
    CHECK(store_del_dup(st, child, DB_REC_REPORTS, "r", 1, "12345678", 8) == 0,
          "del dup");
    CHECK(store_commit(child) == 0, "child commit");
    CHECK(store_del(st, txn, DB_RECS, "a", 1) == 0, "del a");
    CHECK(store_del(st, txn, DB_RECS, "a", 1) == MDB_NOTFOUND, "del a again");
    CHECK(store_drop(st, txn, DB_AGG) == 0, "drop agg");
    uint64_t seq = 0;
    CHECK(s_append(st, txn, &seq) == 0 && seq == 1, "append");
    CHECK(store_put(st, txn, DB_CHECKPOINTS, "\0\0\0\0\0\0\0\1", 8, "cp", 2) == 0,
          "checkpoint");
    uint8_t head[NMIRF_HASH_LEN];
    CHECK(store_head(st, txn, head) == 0, "head");
    msgpack_sbuffer rec;
    msgpack_sbuffer_init(&rec);
    CHECK(store_commit_record(txn, &rec) == 0, "commit");
    CHECK(s_hook_calls == 1, "the hook ran %d times, want 1", s_hook_calls);
    CHECK(rec.size > 0 && rec.size == s_hooked.size &&
              memcmp(rec.data, s_hooked.data, rec.size) == 0,
          "the hook and the caller got other records");
    nmirf_repl_record_t r;
    CHECK(nmirf_repl_decode((const uint8_t *)rec.data, rec.size, &r, why, sizeof why) ==
              0,
          "record refused: %s", why);
    /* put a, dup put, dup put, del dup, del a, drop, event, seq, head, cp,
       the commit's number */
    CHECK(r.count == 11, "%zu changes, want 11", r.count);
    CHECK(s_change_is(&r, 0, NMIRF_REPL_PUT, DB_RECS, "a", "1"), "change 0");
    CHECK(s_change_is(&r, 1, NMIRF_REPL_PUT, DB_REC_REPORTS, "r", "12345678"),
          "change 1");
    CHECK(s_change_is(&r, 2, NMIRF_REPL_PUT, DB_REC_REPORTS, "r", "87654321"),
          "change 2");
    CHECK(s_change_is(&r, 3, NMIRF_REPL_DEL_DUP, DB_REC_REPORTS, "r", "12345678"),
          "change 3");
    CHECK(s_change_is(&r, 4, NMIRF_REPL_DEL, DB_RECS, "a", NULL), "change 4");
    CHECK(s_change_is(&r, 5, NMIRF_REPL_DROP, DB_AGG, "", NULL), "change 5");
    CHECK(r.count > 6 && r.changes[6].db == DB_EVENTS && r.changes[6].klen == 8,
          "change 6 is the event");
    CHECK(s_change_is(&r, 9, NMIRF_REPL_PUT, DB_CHECKPOINTS, "\0\0\0\0\0\0\0\1", "cp") ||
              (r.count > 9 && r.changes[9].db == DB_CHECKPOINTS),
          "change 9 is the checkpoint");
    CHECK(r.count > 10 && r.changes[10].db == DB_META && r.changes[10].klen == 6 &&
              memcmp(r.changes[10].key, "commit", 6) == 0 && r.changes[10].vlen == 8 &&
              nmirf_be64_decode(r.changes[10].val) == 1,
          "change 10 numbers the commit (1)");
    CHECK(r.epoch == 1 && r.from_seq == 1 && r.to_seq == 1, "epoch %llu, seq %llu..%llu",
          (unsigned long long)r.epoch, (unsigned long long)r.from_seq,
          (unsigned long long)r.to_seq);
    CHECK(s_hook_before == r.from_seq - 1 && s_hook_after == r.to_seq,
          "the hook was given seqs %llu..%llu", (unsigned long long)s_hook_before,
          (unsigned long long)s_hook_after);
    CHECK(memcmp(r.head, head, sizeof head) == 0, "the record's head is not the store's");
    CHECK(r.checkpoint && r.checkpoint_len == 2 && memcmp(r.checkpoint, "cp", 2) == 0,
          "the record's checkpoint is not the one written");
    nmirf_repl_record_free(&r);

    /* A transaction that changed nothing makes no record. */
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    msgpack_sbuffer_clear(&rec);
    CHECK(store_commit_record(txn, &rec) == 0 && rec.size == 0 && s_hook_calls == 1,
          "an empty commit made a record");
    /* Off: nothing is logged. */
    store_set_changelog(st, false, NULL);
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    CHECK(store_put(st, txn, DB_RECS, "z", 1, "9", 1) == 0, "put z");
    CHECK(store_changelog(st, &data, &len) == 0, "logged while off");
    CHECK(store_commit_record(txn, &rec) == 0 && rec.size == 0 && s_hook_calls == 1,
          "a record while off");
    msgpack_sbuffer_destroy(&rec);
    msgpack_sbuffer_destroy(&s_hooked);
    store_close(&st);
}

int
main(void)
{
    char tmpl[] = "/tmp/nmirf_store_test.XXXXXX";
    char *tmp = mkdtemp(tmpl);
    if (!tmp) {
        fprintf(stderr, "%s:%d: mkdtemp: failed\n", __FILE__, __LINE__);
        return 1;
    }
    for (size_t i = 0; i < sizeof s_events / sizeof s_events[0]; i++)
        msgpack_sbuffer_init(&s_events[i]);
    char dir[512], full[512], why[256] = "";
    snprintf(dir, sizeof dir, "%s/store", tmp);
    snprintf(full, sizeof full, "%s/full", tmp);

    unit_case = "open";
    store_t *st = store_open(dir, 64, why, sizeof why);
    CHECK(st, "open %s: %s", dir, why);
    if (st) {
        s_test_records(st);
        s_test_chain(st);
        s_test_report_ids(st, 1);
        store_close(&st);

        unit_case = "reopen";
        st = store_open(dir, 64, why, sizeof why);
        CHECK(st, "reopen %s: %s", dir, why);
    }
    if (st) {
        MDB_txn *txn;
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        msgpack_object obj;
        CHECK(store_begin(st, NULL, false, &txn) == 0, "read txn");
        CHECK(store_get(st, txn, DB_ENTITIES, "MJ", 2, &zone, &obj) == 0 &&
                  nmirf_mp_get(&obj, "n")->via.u64 == 9,
              "record lost on reopen");
        mdb_txn_abort(txn);
        msgpack_zone_destroy(&zone);
        s_check_log(st, EVENTS + 2);
        /* The chain continues from the stored head. */
        CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
        uint64_t seq = 0;
        CHECK(s_append(st, txn, &seq) == 0 && seq == EVENTS + 3, "append after reopen");
        CHECK(store_commit(txn) == 0, "commit");
        s_check_log(st, EVENTS + 3);
        /* Ids 1..3 were committed, 4 aborted: the next is 4. */
        s_test_report_ids(st, 4);
        store_close(&st);
    }

    unit_case = "open errors";
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no/such/dir", tmp);
    st = store_open(bad, 1, why, sizeof why);
    CHECK(!st && why[0], "open in a missing parent succeeded or gave no reason");

    s_test_map_full(full);
    char rkdir[600];
    snprintf(rkdir, sizeof rkdir, "%s/reqkey", tmp);
    s_test_reqkey(rkdir);
    char cldir[600];
    snprintf(cldir, sizeof cldir, "%s/changelog", tmp);
    s_test_changelog(cldir);

    for (size_t i = 0; i < sizeof s_events / sizeof s_events[0]; i++)
        msgpack_sbuffer_destroy(&s_events[i]);
    nftw(tmp, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return unit_done("store_unit");
}
