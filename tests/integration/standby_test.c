/*  standby_test - a standby's store built from a real broker's commit
    records equals the broker's, and forged records change nothing
    (docs/REPLICATION.md).

    nmirfd runs with NMIRFD_TEST_CHANGELOG=1: each commit record goes to
    DATADIR/changelog.mp. A first run enrolls, imports, assigns, submits,
    validates and adds a measure; the broker stops and this test takes a
    full copy of its store (store_copy_fd, at seq k) into a staging
    directory, which standby_check_copy accepts. A second run returns a
    report, pipelines three submits of which the middle one is refused
    (in one batch: its nested transaction's changes are cut out of the
    record), rotates a ministry's key, merges and renames; the broker
    stops. Then the copy plus the records written after it are applied
    with standby_apply, and every database of the standby equals the
    broker's byte for byte, and the audit verifier passes on it.

    On the way, at the first record with events after the copy, forged
    records are refused with their reason and the standby's store left
    as it was (its digest): a value changed (unsigned), an event changed
    (signed again with the primary's key: the chain breaks), the next
    record before this one (a gap), this one twice (a replay), a
    checkpoint with a bad signature, a record signed by another key, an
    event whose request has a bad signature, an event whose request is
    not in the record, a lower epoch.

    After them, the records with events are applied in groups of up to 4
    in one transaction (standby_apply_in, as the follower applies the
    records waiting on its socket): in the first group, a replay of the
    record just applied and the record after the next are refused, and
    the records before them stay in the group, which commits; the stores
    still end equal byte for byte.
*/
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "nmirf_audit.h"
#include "nmirf_checkpoint.h"
#include "nmirf_mp.h"
#include "nmirf_repl.h"
#include "nmirf_util.h"
#include "standby_apply.h"
#include "store.h"

#define MAX_RECORDS 4096 /* records one run of this test writes, with room */

static nmirf_key_t s_broker; /* the primary's keys (its secret signs forgeries) */

/* The commit records of changelog.mp from byte from on: their offsets and
   sizes into s_file. */
static uint8_t *s_file;
static size_t s_off[MAX_RECORDS], s_len[MAX_RECORDS], s_count;

/* Reads path whole into *buf; returns its size. */
static size_t
s_read_file(const char *path, uint8_t **buf)
{
    FILE *f = fopen(path, "rb");
    H_ASSERTF(f, "cannot open %s", path);
    H_ASSERT(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    H_ASSERT(n >= 0 && fseek(f, 0, SEEK_SET) == 0);
    *buf = malloc((size_t)n + 1);
    H_ASSERT(*buf && fread(*buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    return (size_t)n;
}

/* Splits changelog.mp's records from byte from on. */
static void
s_split(const char *path, size_t from)
{
    size_t n = s_read_file(path, &s_file);
    char why[256];
    for (size_t off = from; off < n;) {
        size_t used = 0;
        H_ASSERTF(nmirf_mp_check_prefix(s_file + off, n - off, &used, why, sizeof why) ==
                      NMIRF_OK,
                  "changelog.mp at %zu: %s", off, why);
        H_ASSERT(s_count < MAX_RECORDS);
        s_off[s_count] = off;
        s_len[s_count++] = used;
        off += used;
    }
}

/* A digest of every database of st: what "left as it was" compares. */
static void
s_digest(store_t *st, uint8_t out[32])
{
    MDB_txn *txn;
    H_ASSERT(store_begin(st, NULL, false, &txn) == 0);
    H_ASSERT(store_digest(st, txn, out) == 0);
    mdb_txn_abort(txn);
}

/* Fails unless every database of a and b holds the same entries, in the
   same order, byte for byte. Returns the entries compared. */
static size_t
s_compare(store_t *a, store_t *b)
{
    MDB_txn *ta, *tb;
    size_t entries = 0;
    H_ASSERT(store_begin(a, NULL, false, &ta) == 0 &&
             store_begin(b, NULL, false, &tb) == 0);
    for (int db = 0; db < DB_COUNT; db++) {
        MDB_cursor *ca, *cb;
        MDB_val ka, va, kb, vb;
        H_ASSERT(mdb_cursor_open(ta, store_dbi(a, db), &ca) == 0 &&
                 mdb_cursor_open(tb, store_dbi(b, db), &cb) == 0);
        int ra = mdb_cursor_get(ca, &ka, &va, MDB_FIRST),
            rb = mdb_cursor_get(cb, &kb, &vb, MDB_FIRST);
        for (size_t i = 0; ra == 0 || rb == 0; i++) {
            H_ASSERTF(ra == 0 && rb == 0, "database %d: entry %zu only in the %s", db, i,
                      ra == 0 ? "primary" : "standby");
            H_ASSERTF(ka.mv_size == kb.mv_size && va.mv_size == vb.mv_size &&
                          memcmp(ka.mv_data, kb.mv_data, ka.mv_size) == 0 &&
                          memcmp(va.mv_data, vb.mv_data, va.mv_size) == 0,
                      "database %d: entry %zu differs", db, i);
            entries++;
            ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
            rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
        }
        mdb_cursor_close(ca);
        mdb_cursor_close(cb);
    }
    mdb_txn_abort(ta);
    mdb_txn_abort(tb);
    return entries;
}

/* Packs rec again with changes (rec's own if NULL), signed with sk. */
static void
s_encode(const nmirf_repl_record_t *rec, const nmirf_repl_change_t *changes, size_t count,
         const uint8_t *sk, msgpack_sbuffer *out)
{
    msgpack_sbuffer cs;
    msgpack_sbuffer_init(&cs);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &cs, msgpack_sbuffer_write);
    if (!changes) {
        changes = rec->changes;
        count = rec->count;
    }
    for (size_t i = 0; i < count; i++)
        nmirf_repl_pack_change(&pk, changes[i].op, changes[i].db, changes[i].key,
                               changes[i].klen, changes[i].val, changes[i].vlen);
    msgpack_sbuffer_clear(out);
    nmirf_repl_encode(out, rec->epoch, rec->from_seq, rec->to_seq, rec->head,
                      rec->checkpoint, rec->checkpoint_len, cs.data, cs.size, count, sk);
    msgpack_sbuffer_destroy(&cs);
}

/* Applies a forged record to st: it must be refused with a reason
   holding want, and leave st as it was. */
static void
s_refused(store_t *st, const char *what, const void *buf, size_t len, const char *want)
{
    uint8_t before[32], after[32];
    char why[512] = "";
    s_digest(st, before);
    H_ASSERTF(standby_apply(st, buf, len, s_broker.sign_pk, why, sizeof why) != 0,
              "%s: applied", what);
    s_digest(st, after);
    H_ASSERTF(memcmp(before, after, 32) == 0, "%s: refused (%s) but the store changed",
              what, why);
    H_ASSERTF(strstr(why, want), "%s: refused with '%s', not '%s'", what, why, want);
    h_note("forged record refused: %s (%s)", what, why);
}

/* Applies a forged record into the open group grp (standby_apply_in,
   as the follower applies the records waiting for it): it must be
   refused with a reason holding want, and leave grp as it was (its seq
   and its commit number), the records before it in grp kept. */
static void
s_refused_in(store_t *st, MDB_txn *grp, const char *what, const void *buf, size_t len,
             const char *want)
{
    uint64_t seq = store_seq(st, grp), commits = store_commits(st, grp);
    char why[512] = "";
    H_ASSERTF(standby_apply_in(st, grp, buf, len, s_broker.sign_pk, why, sizeof why) != 0,
              "%s in a group: applied", what);
    H_ASSERTF(store_seq(st, grp) == seq && store_commits(st, grp) == commits,
              "%s in a group: refused (%s) but the group changed", what, why);
    H_ASSERTF(strstr(why, want), "%s in a group: refused with '%s', not '%s'", what, why,
              want);
    h_note("forged record refused in a group: %s (%s)", what, why);
}

/* Commits the open group *grp, if any: the records applied in it, in one
   commit. Counts the groups of more than one record in *multi. */
static void
s_group_end(MDB_txn **grp, size_t *in_group, size_t *multi)
{
    if (!*grp)
        return;
    H_ASSERT(store_commit(*grp) == 0);
    *grp = NULL;
    if (*in_group > 1)
        (*multi)++;
    *in_group = 0;
}

/* The index of the first change of rec in db, or -1. */
static long
s_first(const nmirf_repl_record_t *rec, store_db_t db)
{
    for (size_t i = 0; i < rec->count; i++)
        if (rec->changes[i].db == (unsigned)db)
            return (long)i;
    return -1;
}

/* A record appending one event by MJ to st's head whose request is
   signed with sk (bad if it is not MJ's), kept in the record if
   with_request; a checkpoint of the new head signed with the primary's
   key; the record signed with it too. */
static void
s_forge_event(store_t *st, const uint8_t *mj_sk, bool with_request, msgpack_sbuffer *out)
{
    MDB_txn *txn;
    H_ASSERT(store_begin(st, NULL, false, &txn) == 0);
    uint64_t seq = store_seq(st, txn);
    uint8_t prev[NMIRF_HASH_LEN], head[NMIRF_HASH_LEN];
    H_ASSERT(store_head(st, txn, prev) == 0);
    uint64_t epoch = store_epoch(st, txn), commits = store_commits(st, txn);
    mdb_txn_abort(txn);

    uint8_t id[NMIRF_ID_LEN], sig[NMIRF_SIG_LEN], req_hash[NMIRF_HASH_LEN];
    randombytes_buf(id, sizeof id);
    uint8_t *env;
    size_t env_len;
    uint64_t ts = nmirf_now_ms();
    msgpack_sbuffer *body = h_pack_json("{'rec': 'R1', 'status': 'implemented', "
                                        "'narrative': 'forged'}");
    H_ASSERT(nmirf_request_encode("report.submit", id, "MJ", ts,
                                  (const uint8_t *)body->data, body->size, mj_sk, &env,
                                  &env_len, sig) == 0);
    msgpack_sbuffer_free(body);
    nmirf_hash2(req_hash, env, env_len, sig, sizeof sig);
    const char *ents[] = {"MJ"};
    uint8_t data[] = {0x80};
    nmirf_event_fields_t f = {.seq = seq + 1,
                              .ts = ts,
                              .kind = "report.submitted",
                              .subject = "999",
                              .entities = ents,
                              .entity_count = 1,
                              .author = "MJ",
                              .req = id,
                              .req_hash = req_hash,
                              .prev = prev,
                              .data = data,
                              .data_len = sizeof data};
    msgpack_sbuffer ev, req, cp, cs;
    msgpack_sbuffer_init(&ev);
    msgpack_sbuffer_init(&req);
    msgpack_sbuffer_init(&cp);
    msgpack_sbuffer_init(&cs);
    nmirf_event_encode(&ev, &f);
    nmirf_hash2(head, (const uint8_t *)ev.data, ev.size, NULL, 0);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &req, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_str(&pk, "hash");
    nmirf_mp_pack_bin(&pk, req_hash, sizeof req_hash);
    nmirf_mp_pack_str(&pk, "envelope");
    nmirf_mp_pack_bin(&pk, env, env_len);
    nmirf_mp_pack_str(&pk, "sig");
    nmirf_mp_pack_bin(&pk, sig, sizeof sig);
    nmirf_mp_pack_str(&pk, "reply");
    nmirf_mp_pack_bin(&pk, "", 0);
    nmirf_checkpoint_encode(&cp, seq + 1, head, ts, s_broker.sign_sk);
    uint8_t ekey[8], rkey[STORE_REQKEY_LEN], seqv[8], commitv[8];
    nmirf_be64_encode(commits + 1, commitv);
    nmirf_be64_encode(seq + 1, ekey);
    nmirf_be64_encode(seq + 1, seqv);
    store_request_key(ts, id, rkey);
    msgpack_packer_init(&pk, &cs, msgpack_sbuffer_write);
    size_t n = 0;
    nmirf_repl_pack_change(&pk, NMIRF_REPL_PUT, DB_EVENTS, ekey, 8, ev.data, ev.size);
    nmirf_repl_pack_change(&pk, NMIRF_REPL_PUT, DB_META, "seq", 3, seqv, 8);
    nmirf_repl_pack_change(&pk, NMIRF_REPL_PUT, DB_META, "head", 4, head, sizeof head);
    n += 3;
    if (with_request) {
        nmirf_repl_pack_change(&pk, NMIRF_REPL_PUT, DB_REQUESTS, rkey, sizeof rkey,
                               req.data, req.size);
        n++;
    }
    nmirf_repl_pack_change(&pk, NMIRF_REPL_PUT, DB_CHECKPOINTS, ekey, 8, cp.data,
                           cp.size);
    nmirf_repl_pack_change(&pk, NMIRF_REPL_PUT, DB_META, "commit", 6, commitv, 8);
    n += 2;
    msgpack_sbuffer_clear(out);
    nmirf_repl_encode(out, epoch, seq + 1, seq + 1, head, (const uint8_t *)cp.data,
                      cp.size, cs.data, cs.size, n, s_broker.sign_sk);
    free(env);
    msgpack_sbuffer_destroy(&ev);
    msgpack_sbuffer_destroy(&req);
    msgpack_sbuffer_destroy(&cp);
    msgpack_sbuffer_destroy(&cs);
}

/* The forged records, against st holding everything before record i
   (which has events, a request and a checkpoint; record i + 1 exists). */
static void
s_forgeries(store_t *st, size_t i, const uint8_t *mj_sk)
{
    const uint8_t *buf = s_file + s_off[i];
    size_t len = s_len[i];
    nmirf_repl_record_t rec;
    char why[256];
    H_ASSERTF(nmirf_repl_decode(buf, len, &rec, why, sizeof why) == 0, "record %zu: %s",
              i, why);
    nmirf_repl_change_t *ch = malloc(rec.count * sizeof *ch);
    H_ASSERT(ch);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    uint8_t *copy = malloc(len);
    H_ASSERT(copy);

    /* A value changed, not signed again: the signature covers every byte. */
    long r = s_first(&rec, DB_REQUESTS);
    H_ASSERT(r >= 0 && rec.changes[r].vlen > 0);
    memcpy(copy, buf, len);
    copy[rec.changes[r].val - buf + rec.changes[r].vlen - 1] ^= 1;
    s_refused(st, "a value changed", copy, len, "the record is not signed");
    /* Signed by another key than the primary's. */
    s_encode(&rec, NULL, 0, mj_sk, &out);
    s_refused(st, "signed by a ministry", out.data, out.size, "the record is not signed");

    /* An event changed, signed again: its hash is no longer the next
       event's prev, or the record's head. */
    long e = s_first(&rec, DB_EVENTS);
    H_ASSERT(e >= 0);
    memcpy(ch, rec.changes, rec.count * sizeof *ch);
    uint8_t *ev = malloc(ch[e].vlen);
    H_ASSERT(ev);
    memcpy(ev, ch[e].val, ch[e].vlen);
    ev[ch[e].vlen - 1] ^= 1; /* inside its data, the last field */
    ch[e].val = ev;
    s_encode(&rec, ch, rec.count, s_broker.sign_sk, &out);
    s_refused(st, "an event changed (signed again)", out.data, out.size, "event");
    free(ev);

    /* The checkpoint with a bad signature, the record signed again. */
    long c = s_first(&rec, DB_CHECKPOINTS);
    H_ASSERT(c >= 0);
    memcpy(ch, rec.changes, rec.count * sizeof *ch);
    uint8_t *cpv = malloc(ch[c].vlen);
    H_ASSERT(cpv);
    memcpy(cpv, ch[c].val, ch[c].vlen);
    cpv[ch[c].vlen - 1] ^= 1; /* sig is the map's last value */
    ch[c].val = cpv;
    nmirf_repl_record_t bad = rec;
    bad.checkpoint = cpv;
    s_encode(&bad, ch, rec.count, s_broker.sign_sk, &out);
    s_refused(st, "a checkpoint's signature", out.data, out.size,
              "is not signed by the primary's key");
    free(cpv);

    /* Out of order: the next record first (a gap), and a lower epoch. */
    s_refused(st, "the next record first", s_file + s_off[i + 1], s_len[i + 1], "a gap");
    MDB_txn *txn;
    H_ASSERT(store_begin(st, NULL, true, &txn) == 0);
    uint8_t two[8];
    nmirf_be64_encode(2, two);
    H_ASSERT(store_put(st, txn, DB_META, "epoch", 5, two, 8) == 0);
    H_ASSERT(store_commit(txn) == 0);
    s_refused(st, "an old epoch", buf, len, "below this store's 2");
    H_ASSERT(store_begin(st, NULL, true, &txn) == 0);
    H_ASSERT(store_del(st, txn, DB_META, "epoch", 5) == 0);
    H_ASSERT(store_commit(txn) == 0);

    /* Events whose request is signed by someone else, or missing. */
    uint8_t other_pk[NMIRF_SIGN_PK_LEN], other_sk[NMIRF_SIGN_SK_LEN];
    crypto_sign_keypair(other_pk, other_sk);
    s_forge_event(st, other_sk, true, &out);
    s_refused(st, "a request with a bad signature", out.data, out.size,
              "does not verify with MJ's key before or after");
    s_forge_event(st, mj_sk, false, &out);
    s_refused(st, "an event without its request", out.data, out.size,
              "its request is not in the record");
    /* The genuine record applies, once. */
    H_ASSERTF(standby_apply(st, buf, len, s_broker.sign_pk, why, sizeof why) == 0,
              "record %zu refused: %s", i, why);
    s_refused(st, "a replay", buf, len, "a replay or a reordering");

    free(copy);
    free(ch);
    msgpack_sbuffer_destroy(&out);
    nmirf_repl_record_free(&rec);
}

/* The write paths the first workload lacks, each a commit the standby
   must copy exactly: the deadline scan's events (no request, no
   checkpoint in their commit), a measure update, a withdrawal, an
   enrolment and its revocation, and a `stale` refusal, whose only change
   is the stale floor it raises. */
static void
s_more_paths(h_broker_t *b, h_entity_t *coord, h_entity_t *mj, uint64_t measure)
{
    uint64_t seq = h_seq(b);
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'R1', 'lead': 'MJ', 'contributors': ['MI'], "
                 "'deadline': '2000-01-05'}");
    size_t overdue = 0;
    for (int i = 0; i < 200 && !overdue; i++) {
        h_sleep_ms(50);
        nmirf_event_t **evs;
        size_t n = h_events(coord, seq, &evs);
        overdue = h_count_kind(evs, n, "deadline.overdue");
        h_events_free(&evs, n);
    }
    H_ASSERTF(overdue > 0, "the deadline scan made no deadline.overdue event");
    H_CALL_CHECK("ok", coord, "measure.update", "{'id': %llu, 'title': 'Train all'}",
                 (unsigned long long)measure);
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'R4', 'mechanism': 'UPR', 'text': {'en': 'Four'}}]}");
    H_CALL_CHECK("ok", coord, "rec.withdraw", "{'rec': 'R4', 'reason': 'duplicate'}");
    h_enroll(b, "X1", "ministry");
    H_CALL_CHECK("ok", coord, "entity.revoke", "{'id': 'X1'}");
    /* Two days old: past the default window of one day. */
    msgpack_sbuffer *body =
        h_pack_json("{'rec': 'R2', 'status': 'in_progress', 'narrative': 'late'}");
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    h_request_t *old =
        h_request_make_at(mj, id, nmirf_now_ms() - 2 * 86400000ULL, "report.submit",
                          (uint8_t *)body->data, body->size);
    nmirf_reply_t *r = h_request_send(mj, old);
    H_EXPECT(r, "stale");
    nmirf_reply_destroy(&r);
    h_request_free(&old);
    msgpack_sbuffer_free(body);
    h_note("more paths: %zu deadline event(s), events %llu to %llu", overdue,
           (unsigned long long)seq + 1, (unsigned long long)h_seq(b));
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 110);
    setenv("NMIRFD_TEST_CHANGELOG", "1", 1); /* for the restart too */
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_enroll(b, "MI", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'R1', 'mechanism': 'UPR', 'text': {'en': 'One'}},"
                 "{'id': 'R2', 'mechanism': 'CAT', 'text': {'fr': 'Deux'}},"
                 "{'id': 'R3', 'mechanism': 'CRC', 'text': {'en': 'Three'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'R1', 'lead': 'MJ', 'contributors': ['MI']}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'R2', 'lead': 'MJ'}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'R3', 'lead': 'MI'}");
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", mj, "report.submit",
                      "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'first'}");
    uint64_t report1 = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)report1);
    r = H_CALL_EXPECT(
        "ok", coord, "measure.add",
        "{'recs': ['R1', 'R3'], 'title': 'Train staff', 'description': 'Yearly'}");
    uint64_t measure = h_u(&r->body, "measure.id");
    nmirf_reply_destroy(&r);
    h_broker_stop(b);

    /* The full copy at seq k, taken while the broker is stopped, so the
       records in changelog.mp now are all in it. */
    char path[PATH_MAX + 64], staging[PATH_MAX + 64], why[512] = "";
    snprintf(path, sizeof path, "%s/keys/NMIRFD.key", b->dir);
    H_ASSERTF(nmirf_key_load(&s_broker, path, why, sizeof why) == 0, "%s", why);
    snprintf(path, sizeof path, "%s/changelog.mp", b->dir);
    struct stat stt;
    H_ASSERT(stat(path, &stt) == 0);
    size_t copied_to = (size_t)stt.st_size;
    snprintf(staging, sizeof staging, "%s/standby", b->dir);
    H_ASSERT(mkdir(staging, 0700) == 0);
    snprintf(path, sizeof path, "%s/standby/store", b->dir);
    H_ASSERT(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/standby/store/data.mdb", b->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    H_ASSERT(fd >= 0);
    snprintf(path, sizeof path, "%s/store", b->dir);
    store_t *primary = store_open(path, 64, why, sizeof why);
    H_ASSERTF(primary, "%s", why);
    uint64_t k;
    uint8_t head[NMIRF_HASH_LEN];
    H_ASSERTF(store_copy_fd(primary, fd, &k, head, why, sizeof why) == 0, "%s", why);
    store_close(&primary);
    H_ASSERT(close(fd) == 0);
    H_ASSERT(k > 10);
    H_ASSERTF(standby_check_copy(staging, s_broker.sign_pk, k, head, why, sizeof why) ==
                  0,
              "the copy: %s", why);
    H_ASSERT(standby_check_copy(staging, s_broker.sign_pk, k + 1, head, why,
                                sizeof why) != 0 &&
             strstr(why, "not the seq"));
    /* Another broker's key: the log, with no promotion in it, does not
       end in that broker's hands, whichever way it is read. */
    uint8_t other_pk[NMIRF_SIGN_PK_LEN], other_sk[64];
    crypto_sign_keypair(other_pk, other_sk);
    H_ASSERTF(standby_check_copy(staging, other_pk, k, head, why, sizeof why) != 0 &&
                  strstr(why, "another broker"),
              "a copy checked with another broker's key: %s", why);
    h_note("full copy at seq %llu checked (and refused to another broker's key)",
           (unsigned long long)k);
    /* The figures of `stats` emptied in both stores (a store from before
       them): the second run's start rebuilds them in a commit of its own,
       which the standby must get too. */
    const char *dirs[] = {"store", "standby/store"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", b->dir, dirs[i]);
        store_t *st = store_open(path, 64, why, sizeof why);
        H_ASSERTF(st, "%s", why);
        MDB_txn *txn;
        H_ASSERT(store_begin(st, NULL, true, &txn) == 0);
        H_ASSERT(store_drop(st, txn, DB_AGG) == 0);
        H_ASSERT(store_commit(txn) == 0);
        store_close(&st);
    }

    /* The second run, with the deadline scan every 100 ms: its commits
       are the broker's own, with events and no request. */
    setenv("NMIRFD_DEADLINE_SCAN_MS", "100", 1);
    h_broker_restart(b);
    mj = &b->ents[1];
    h_entity_t *mi = &b->ents[2];
    s_more_paths(b, coord, mj, measure);
    r = H_CALL_EXPECT("ok", mj, "report.submit",
                      "{'rec': 'R2', 'status': 'implemented', 'narrative': 'done'}");
    uint64_t report2 = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "report.return",
                 "{'report': %llu, 'reason': 'No evidence'}",
                 (unsigned long long)report2);
    /* Three at once, the middle one refused: one batch, most likely; its
       nested transaction's changes must not be in the record. */
    zsock_t *sock = h_dealer_new(b, mi);
    zsock_set_rcvtimeo(sock, H_CALL_TIMEOUT_MS);
    h_request_t *reqs[3] = {
        h_request_make(mi, "report.submit",
                       "{'rec': 'R3', 'status': 'in_progress', 'narrative': 'a'}"),
        h_request_make(mi, "report.submit",
                       "{'rec': 'NOPE', 'status': 'in_progress', 'narrative': 'b'}"),
        h_request_make(mi, "report.submit",
                       "{'rec': 'R3', 'status': 'implemented', 'narrative': 'c'}")};
    for (int i = 0; i < 3; i++)
        h_request_post(sock, reqs[i]);
    int oks = 0;
    for (int i = 0; i < 3; i++) {
        zmsg_t *msg = zmsg_recv(sock);
        H_ASSERTF(msg, "a pipelined request got no reply");
        zframe_t *frame = zmsg_last(msg);
        nmirf_reply_t *rr =
            nmirf_reply_decode(zframe_data(frame), zframe_size(frame), why, sizeof why);
        H_ASSERTF(rr, "%s", why);
        oks += rr->ok;
        nmirf_reply_destroy(&rr);
        zmsg_destroy(&msg);
    }
    H_ASSERT(oks == 2);
    for (int i = 0; i < 3; i++)
        h_request_free(&reqs[i]);
    zsock_destroy(&sock);
    /* A rotation, a merge, a rename. */
    h_entity_t *mj2 = h_entity_new(b, "MJ");
    uint8_t curve[32];
    H_ASSERT(nmirf_key_curve_raw(&mj2->key, curve) == 0);
    msgpack_sbuffer rot;
    msgpack_sbuffer_init(&rot);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rot, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", "MJ");
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, mj2->key.sign_pk, 32);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, 32);
    r = h_call_packed(coord, NULL, "entity.rotate", (uint8_t *)rot.data, rot.size);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_destroy(&rot);
    H_CALL_CHECK("ok", coord, "rec.merge", "{'from': 'R3', 'into': 'R2'}");
    H_CALL_CHECK("ok", coord, "entity.update", "{'id': 'MJ', 'contact': 'dajg@x.ma'}");
    uint64_t last = h_seq(b);
    h_broker_stop(b);
    h_note("workload: %llu events, the copy at %llu", (unsigned long long)last,
           (unsigned long long)k);

    /* The standby: the copy, then every record after it. */
    snprintf(path, sizeof path, "%s/changelog.mp", b->dir);
    s_split(path, copied_to);
    H_ASSERT(s_count > 5);
    /* NMIRF_REPL_SEEDS=DIR: the records also into DIR/record-N, the seed
       corpus of fuzz_repl (tests/fuzz/README.md). */
    const char *seeds = getenv("NMIRF_REPL_SEEDS");
    for (size_t i = 0; seeds && i < s_count; i++) {
        snprintf(path, sizeof path, "%s/record-%zu", seeds, i);
        FILE *f = fopen(path, "wb");
        H_ASSERTF(f && fwrite(s_file + s_off[i], 1, s_len[i], f) == s_len[i] &&
                      fclose(f) == 0,
                  "cannot write %s", path);
    }
    snprintf(path, sizeof path, "%s/standby/store", b->dir);
    store_t *standby = store_open(path, 64, why, sizeof why);
    H_ASSERTF(standby, "%s", why);
    bool forged = false, forged_in_group = false;
    MDB_txn *grp = NULL; /* an open group of records (standby_apply_in) */
    size_t in_group = 0, multi = 0;
    size_t eventless_seen = 0;
    size_t events = 0, most = 0;
    for (size_t i = 0; i < s_count; i++) {
        nmirf_repl_record_t rec;
        H_ASSERTF(nmirf_repl_decode(s_file + s_off[i], s_len[i], &rec, why, sizeof why) ==
                      0,
                  "record %zu: %s", i, why);
        bool candidate = !forged && rec.to_seq >= rec.from_seq && rec.checkpoint &&
                         s_first(&rec, DB_REQUESTS) >= 0 && i + 1 < s_count;
        bool eventless = rec.to_seq < rec.from_seq;
        events += rec.to_seq + 1 - rec.from_seq;
        if (rec.to_seq + 1 - rec.from_seq > most)
            most = rec.to_seq + 1 - rec.from_seq;
        nmirf_repl_record_free(&rec);
        if (candidate) {
            s_forgeries(standby, i, mj->key.sign_sk);
            forged = true;
            continue;
        }
        /* After the forgeries, records with events go in groups of up
           to 4 in one transaction (standby_apply_in, as the follower
           applies what waits on its socket), each seeing the ones before
           it: in the first group, a replay of the record just applied
           and the record after the next are refused, the group kept. */
        if (forged && !eventless) {
            if (!grp)
                H_ASSERT(store_begin(standby, NULL, true, &grp) == 0);
            H_ASSERTF(standby_apply_in(standby, grp, s_file + s_off[i], s_len[i],
                                       s_broker.sign_pk, why, sizeof why) == 0,
                      "record %zu refused in a group: %s", i, why);
            in_group++;
            if (!forged_in_group && i + 2 < s_count) {
                s_refused_in(standby, grp, "a replay", s_file + s_off[i], s_len[i],
                             "a replay or a reordering");
                s_refused_in(standby, grp, "the record after the next",
                             s_file + s_off[i + 2], s_len[i + 2], "(a gap)");
                forged_in_group = true;
            }
            if (in_group == 4)
                s_group_end(&grp, &in_group, &multi);
            continue;
        }
        s_group_end(&grp, &in_group, &multi);
        /* A record without events follows the same seq as the next one:
           its commit's number alone says it comes first, and once. */
        if (eventless && i + 1 < s_count)
            s_refused(standby, "the record after one without events, first",
                      s_file + s_off[i + 1], s_len[i + 1], "(a gap)");
        H_ASSERTF(standby_apply(standby, s_file + s_off[i], s_len[i], s_broker.sign_pk,
                                why, sizeof why) == 0,
                  "record %zu refused: %s", i, why);
        if (eventless) {
            s_refused(standby, "a record without events, again", s_file + s_off[i],
                      s_len[i], "a replay or a reordering");
            eventless_seen++;
        }
    }
    s_group_end(&grp, &in_group, &multi);
    H_ASSERT(forged);
    H_ASSERTF(forged_in_group && multi > 0, "no group of records applied in one commit");
    h_note("%zu groups of several records applied in one commit each", multi);
    H_ASSERTF(eventless_seen > 0, "no record without events in the workload");
    H_ASSERTF(k + events == last, "the records hold %zu events after %llu, not to %llu",
              events, (unsigned long long)k, (unsigned long long)last);
    /* Not asserted: whether the three pipelined submits shared a batch
       is the broker's timing (store_unit checks the cut-out itself). */
    h_note("%zu records applied after the copy (the most events in one: %zu)", s_count,
           most);

    snprintf(path, sizeof path, "%s/store", b->dir);
    store_t *primary2 = store_open(path, 64, why, sizeof why);
    H_ASSERTF(primary2, "%s", why);
    size_t entries = s_compare(primary2, standby);
    store_close(&primary2);
    store_close(&standby);
    h_note("every database equal byte for byte (%zu entries)", entries);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_verify_dir(staging, s_broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "the standby's log: %s", sum.why);
    H_ASSERT(sum.events == last);
    h_note("the audit verifier passes on the standby (%llu events)",
           (unsigned long long)sum.events);

    free(s_file);
    nmirf_key_wipe(&s_broker);
    h_broker_destroy(&b);
    printf("standby_test: ok\n");
    return 0;
}
