/*  standby_apply - a commit record checked then applied; a full copy
    checked. */
#include "standby_apply.h"
#include "nmirf_audit.h"
#include "nmirf_checkpoint.h"
#include "nmirf_mp.h"
#include "nmirf_repl.h"
#include "nmirf_store_check.h"
#include "nmirf_store_ro.h"
#include "nmirf_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A request the record keeps, as the checks need it. */
typedef struct {
    uint8_t hash[NMIRF_HASH_LEN];         /* BLAKE2b(envelope || sig) */
    char author[NMIRF_ENTITY_ID_MAX + 1]; /* its author */
    const uint8_t *env;                   /* the envelope (into the record) */
    size_t env_len;                       /* its size */
    const uint8_t *sig;                   /* its signature (into the record) */
    bool verified;                        /* with the author's key before */
} s_req_t;

/* One application's state. */
typedef struct {
    store_t *store;                 /* the standby's store */
    MDB_txn *txn;                   /* the record's transaction */
    const nmirf_repl_record_t *rec; /* the record */
    const uint8_t *pk;              /* the primary's key */
    s_req_t *reqs;                  /* the requests it keeps */
    size_t nreqs;                   /* how many */
    msgpack_zone *zone;             /* scratch for decoding */
    char *why;                      /* the failure */
    size_t whylen;                  /* its room */
} s_apply_t;

static int
s_fail(s_apply_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->why, a->whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The signing key of entity id as txn has it into pk. Returns 0, or -1
   if there is no such entity or no key. */
static int
s_author_key(s_apply_t *a, const char *id, uint8_t pk[NMIRF_SIGN_PK_LEN])
{
    msgpack_object ent;
    if (store_get(a->store, a->txn, DB_ENTITIES, id, strlen(id), a->zone, &ent) != 0)
        return -1;
    const msgpack_object *k = nmirf_mp_get(&ent, "sign_key");
    if (!k || k->type != MSGPACK_OBJECT_BIN || k->via.bin.size != NMIRF_SIGN_PK_LEN)
        return -1;
    memcpy(pk, k->via.bin.ptr, NMIRF_SIGN_PK_LEN);
    return 0;
}

/* Reads change i, a kept request, into r; checks its hash, its key and
   its signature with its author's key as the store has it now (before the
   record). Returns 0 or -1 (why set). */
static int
s_request(s_apply_t *a, size_t i, s_req_t *r)
{
    const nmirf_repl_change_t *c = &a->rec->changes[i];
    if (c->op != NMIRF_REPL_PUT)
        return s_fail(a, "change %zu removes a kept request (never done)", i);
    msgpack_object obj;
    char what[256];
    if (nmirf_mp_unpack(c->val, c->vlen, a->zone, &obj, what, sizeof what) != NMIRF_OK)
        return s_fail(a, "change %zu: a kept request that is not msgpack: %s", i, what);
    const msgpack_object *h = nmirf_mp_get(&obj, "hash"),
                         *e = nmirf_mp_get(&obj, "envelope"),
                         *s = nmirf_mp_get(&obj, "sig");
    if (!h || h->type != MSGPACK_OBJECT_BIN || h->via.bin.size != NMIRF_HASH_LEN || !e ||
        e->type != MSGPACK_OBJECT_BIN || !s || s->type != MSGPACK_OBJECT_BIN ||
        s->via.bin.size != NMIRF_SIG_LEN)
        return s_fail(a, "change %zu: a kept request without its hash, envelope and sig",
                      i);
    r->env = (const uint8_t *)e->via.bin.ptr;
    r->env_len = e->via.bin.size;
    r->sig = (const uint8_t *)s->via.bin.ptr;
    nmirf_hash2(r->hash, r->env, r->env_len, r->sig, NMIRF_SIG_LEN);
    if (memcmp(r->hash, h->via.bin.ptr, NMIRF_HASH_LEN) != 0)
        return s_fail(a, "change %zu: a kept request does not hash to its hash", i);
    nmirf_envelope_t env;
    bool has_id;
    if (nmirf_envelope_decode(r->env, r->env_len, a->zone, &env, &has_id, what,
                              sizeof what) != NMIRF_OK)
        return s_fail(a, "change %zu: a kept request's envelope: %s", i, what);
    uint8_t key[STORE_REQKEY_LEN];
    store_request_key(env.ts, env.id, key);
    if (!(c->klen == sizeof key && memcmp(c->key, key, sizeof key) == 0) &&
        !(c->klen == NMIRF_ID_LEN && memcmp(c->key, env.id, NMIRF_ID_LEN) == 0))
        return s_fail(a, "change %zu: a request kept under another request's key", i);
    snprintf(r->author, sizeof r->author, "%s", env.author);
    uint8_t pk[NMIRF_SIGN_PK_LEN];
    r->verified = s_author_key(a, r->author, pk) == 0 &&
                  nmirf_signature_ok(r->env, r->env_len, r->sig, pk);
    return 0;
}

/* True if the record keeps a request with hash h. */
static bool
s_has_request(const s_apply_t *a, const uint8_t h[NMIRF_HASH_LEN])
{
    for (size_t i = 0; i < a->nreqs; i++)
        if (memcmp(a->reqs[i].hash, h, NMIRF_HASH_LEN) == 0)
            return true;
    return false;
}

/* The checks on the record's events and checkpoints, against the store
   before it (seq0, head0). Returns 0 or -1. */
static int
s_check_log(s_apply_t *a, uint64_t seq0, const uint8_t head0[NMIRF_HASH_LEN])
{
    const nmirf_repl_record_t *rec = a->rec;
    uint64_t next = seq0 + 1;
    uint8_t head[NMIRF_HASH_LEN];
    memcpy(head, head0, sizeof head);
    bool cp_found = false;
    for (size_t i = 0; i < rec->count; i++) {
        const nmirf_repl_change_t *c = &rec->changes[i];
        if (c->db == DB_EVENTS) {
            if (c->op != NMIRF_REPL_PUT)
                return s_fail(a, "change %zu removes events (the log only grows)", i);
            uint64_t seq = c->klen == 8 ? nmirf_be64_decode(c->key) : 0;
            if (seq != next)
                return s_fail(a,
                              "change %zu writes event %llu where event %llu comes next "
                              "(a gap, a replay or a reordering)",
                              i, (unsigned long long)seq, (unsigned long long)next);
            char what[256];
            nmirf_event_t *ev = nmirf_event_decode(c->val, c->vlen, what, sizeof what);
            if (!ev)
                return s_fail(a, "event %llu is not an event: %s",
                              (unsigned long long)seq, what);
            int bad = ev->seq != seq                                   ? 1
                      : memcmp(ev->prev, head, NMIRF_HASH_LEN) != 0    ? 2
                      : ev->has_req && !s_has_request(a, ev->req_hash) ? 3
                                                                       : 0;
            nmirf_event_destroy(&ev);
            if (bad == 1)
                return s_fail(a, "event %llu says it is another seq",
                              (unsigned long long)seq);
            if (bad == 2)
                return s_fail(a,
                              "event %llu: its prev is not the hash of event %llu (the "
                              "chain is broken)",
                              (unsigned long long)seq, (unsigned long long)seq - 1);
            if (bad == 3)
                return s_fail(a, "event %llu: its request is not in the record",
                              (unsigned long long)seq);
            nmirf_hash2(head, c->val, c->vlen, NULL, 0);
            next++;
        } else if (c->db == DB_CHECKPOINTS) {
            nmirf_checkpoint_t cp;
            char what[256];
            if (c->op != NMIRF_REPL_PUT)
                return s_fail(a, "change %zu removes a checkpoint", i);
            if (nmirf_checkpoint_decode(c->val, c->vlen, &cp, what, sizeof what))
                return s_fail(a, "change %zu: %s", i, what);
            if (c->klen != 8 || nmirf_be64_decode(c->key) != rec->to_seq ||
                cp.seq != rec->to_seq || memcmp(cp.head, rec->head, NMIRF_HASH_LEN) != 0)
                return s_fail(a,
                              "change %zu: a checkpoint of another head than the "
                              "record's",
                              i);
            if (!nmirf_checkpoint_verify(&cp, a->pk))
                return s_fail(a, "checkpoint %llu is not signed by the primary's key",
                              (unsigned long long)cp.seq);
            if (rec->checkpoint && rec->checkpoint_len == c->vlen &&
                memcmp(rec->checkpoint, c->val, c->vlen) == 0)
                cp_found = true;
        }
    }
    if (next != rec->to_seq + 1)
        return s_fail(a, "the record's events end at %llu, not at its to_seq %llu",
                      (unsigned long long)next - 1, (unsigned long long)rec->to_seq);
    if (memcmp(head, rec->head, NMIRF_HASH_LEN) != 0)
        return s_fail(a, "the record's head is not the hash of its last event");
    if (rec->checkpoint && !cp_found)
        return s_fail(a, "the record's checkpoint is not one it writes");
    return 0;
}

/* Applies change c. Returns an LMDB error code. */
static int
s_change(s_apply_t *a, const nmirf_repl_change_t *c)
{
    store_db_t db = (store_db_t)c->db;
    switch (c->op) {
    case NMIRF_REPL_PUT:
        return store_put(a->store, a->txn, db, c->key, c->klen, c->val, c->vlen);
    case NMIRF_REPL_DEL:
        return store_del(a->store, a->txn, db, c->key, c->klen);
    case NMIRF_REPL_DEL_DUP:
        return store_del_dup(a->store, a->txn, db, c->key, c->klen, c->val, c->vlen);
    case NMIRF_REPL_DROP:
        return store_drop(a->store, a->txn, db);
    default:
        return EINVAL; /* the decoder lets no other through */
    }
}

/* Every check and every change, in the record's transaction. */
static int
s_apply(s_apply_t *a)
{
    const nmirf_repl_record_t *rec = a->rec;
    uint64_t seq0 = store_seq(a->store, a->txn), epoch0 = store_epoch(a->store, a->txn);
    uint8_t head0[NMIRF_HASH_LEN], head1[NMIRF_HASH_LEN];
    int rc = store_head(a->store, a->txn, head0);
    if (rc)
        return s_fail(a, "cannot read the head: %s", store_strerror(rc));
    if (rec->epoch < epoch0)
        return s_fail(a,
                      "the record's epoch %llu is below this store's %llu (an old "
                      "primary)",
                      (unsigned long long)rec->epoch, (unsigned long long)epoch0);
    if (rec->from_seq != seq0 + 1)
        return s_fail(a,
                      "the record follows event %llu, this store holds events to %llu "
                      "(%s)",
                      (unsigned long long)rec->from_seq - 1, (unsigned long long)seq0,
                      rec->from_seq <= seq0 ? "a replay or a reordering" : "a gap");
    /* The commit's number (store_commits): the seq cannot tell the order
       of records without events (a checkpoint, a stale floor). */
    uint64_t commits0 = store_commits(a->store, a->txn), number = 0;
    size_t numbers = 0;
    for (size_t i = 0; i < rec->count; i++) {
        const nmirf_repl_change_t *c = &rec->changes[i];
        if (c->db == DB_META && c->klen == 6 && memcmp(c->key, "commit", 6) == 0) {
            numbers++;
            number =
                c->op == NMIRF_REPL_PUT && c->vlen == 8 ? nmirf_be64_decode(c->val) : 0;
        }
    }
    if (numbers != 1 || number == 0)
        return s_fail(a, "the record does not number its commit once (%zu changes of it)",
                      numbers);
    if (number != commits0 + 1)
        return s_fail(a,
                      "the record is commit %llu, this store holds commits to %llu (%s)",
                      (unsigned long long)number, (unsigned long long)commits0,
                      number <= commits0 ? "a replay or a reordering" : "a gap");
    /* The requests first: an event names its request, which the commit
       keeps after it. */
    for (size_t i = 0; i < rec->count; i++)
        if (rec->changes[i].db == DB_REQUESTS)
            a->nreqs++;
    a->reqs = calloc(a->nreqs ? a->nreqs : 1, sizeof *a->reqs);
    if (!a->reqs)
        return s_fail(a, "out of memory");
    a->nreqs = 0;
    for (size_t i = 0; i < rec->count; i++)
        if (rec->changes[i].db == DB_REQUESTS) {
            msgpack_zone_clear(a->zone);
            if (s_request(a, i, &a->reqs[a->nreqs++]))
                return -1;
        }
    if (s_check_log(a, seq0, head0))
        return -1;
    for (size_t i = 0; i < rec->count; i++)
        if ((rc = s_change(a, &rec->changes[i])) != 0)
            return s_fail(a, "change %zu: %s", i, store_strerror(rc));
    uint64_t seq1 = store_seq(a->store, a->txn);
    if ((rc = store_head(a->store, a->txn, head1)) != 0)
        return s_fail(a, "cannot read the head: %s", store_strerror(rc));
    if (seq1 != rec->to_seq || memcmp(head1, rec->head, NMIRF_HASH_LEN) != 0)
        return s_fail(a,
                      "after the record the store's seq is %llu and its head %s the "
                      "record's (to_seq %llu)",
                      (unsigned long long)seq1,
                      memcmp(head1, rec->head, NMIRF_HASH_LEN) ? "not" : "is",
                      (unsigned long long)rec->to_seq);
    /* A request its author's key did not verify before the record may be
       signed with the key the record gives it (a rotation, an enrolment
       in the same commit). */
    for (size_t i = 0; i < a->nreqs; i++) {
        s_req_t *r = &a->reqs[i];
        uint8_t pk[NMIRF_SIGN_PK_LEN];
        msgpack_zone_clear(a->zone);
        if (!r->verified && !(s_author_key(a, r->author, pk) == 0 &&
                              nmirf_signature_ok(r->env, r->env_len, r->sig, pk)))
            return s_fail(a,
                          "a request by %s does not verify with %s's key before or after "
                          "the record",
                          r->author, r->author);
    }
    return 0;
}

/* The record checked then applied in a write transaction of its own:
   top-level (parent NULL: committed, synced) or nested in parent
   (committed into it). On any failure it is aborted: the store, or
   parent, is as it was. */
static int
s_apply_record(store_t *store, MDB_txn *parent, const uint8_t *buf, size_t len,
               const uint8_t primary_pk[NMIRF_SIGN_PK_LEN], char *why, size_t whylen)
{
    nmirf_repl_record_t rec;
    if (nmirf_repl_decode(buf, len, &rec, why, whylen))
        return -1;
    if (!nmirf_repl_verify(&rec, buf, primary_pk)) {
        snprintf(why, whylen, "the record is not signed by the primary's key");
        nmirf_repl_record_free(&rec);
        return -1;
    }
    s_apply_t a = {.store = store,
                   .rec = &rec,
                   .pk = primary_pk,
                   .zone = msgpack_zone_new(8192),
                   .why = why,
                   .whylen = whylen};
    int rc = a.zone ? store_begin(store, parent, true, &a.txn) : ENOMEM;
    int result = -1;
    if (rc)
        snprintf(why, whylen, "cannot begin a transaction: %s", store_strerror(rc));
    else if (s_apply(&a))
        store_abort(a.txn);
    else if ((rc = store_commit(a.txn)) != 0)
        snprintf(why, whylen, "cannot commit the record: %s", store_strerror(rc));
    else
        result = 0;
    free(a.reqs);
    if (a.zone)
        msgpack_zone_free(a.zone);
    nmirf_repl_record_free(&rec);
    return result;
}

int
standby_apply(store_t *store, const uint8_t *buf, size_t len,
              const uint8_t primary_pk[NMIRF_SIGN_PK_LEN], char *why, size_t whylen)
{
    return s_apply_record(store, NULL, buf, len, primary_pk, why, whylen);
}

int
standby_apply_in(store_t *store, MDB_txn *parent, const uint8_t *buf, size_t len,
                 const uint8_t primary_pk[NMIRF_SIGN_PK_LEN], char *why, size_t whylen)
{
    return s_apply_record(store, parent, buf, len, primary_pk, why, whylen);
}

int
standby_check_copy(const char *datadir, const uint8_t primary_pk[NMIRF_SIGN_PK_LEN],
                   uint64_t seq, const uint8_t head[NMIRF_HASH_LEN], char *why,
                   size_t whylen)
{
    char dir[4096], what[512] = "";
    snprintf(dir, sizeof dir, "%s/store", datadir);
    nmirf_store_walk_t sum;
    nmirf_store_rc_t src =
        nmirf_store_check_walk(dir, NULL, NULL, &sum, what, sizeof what);
    if (src != NMIRF_STORE_OK) {
        snprintf(why, whylen, "the copy is %s: %s",
                 src == NMIRF_STORE_DAMAGED ? "damaged" : "unreadable",
                 src == NMIRF_STORE_DAMAGED ? sum.first : what);
        return -1;
    }
    /* From the primary's key; a log with a promotion may have begun with
       another broker's (a standby's primary is not always the first):
       then the checkpoints before the first promotion go unchecked, the
       later ones with the keys the promotions name, and either way the
       log must end in the primary's hands, whose last checkpoint signs
       the head the whole chain leads to. */
    nmirf_audit_summary_t as, promoted;
    nmirf_audit_rc_t arc = nmirf_audit_verify_dir(datadir, primary_pk, &as);
    if (arc != NMIRF_AUDIT_OK &&
        nmirf_audit_verify_dir(datadir, NULL, &promoted) == NMIRF_AUDIT_OK) {
        arc = NMIRF_AUDIT_OK;
        as = promoted;
    }
    if (arc != NMIRF_AUDIT_OK) {
        snprintf(why, whylen, "the copy's log does not verify: %s", as.why);
        return -1;
    }
    if (memcmp(as.last_key, primary_pk, NMIRF_SIGN_PK_LEN) != 0) {
        snprintf(why, whylen,
                 "the copy's log ends signed by another broker than the primary (its "
                 "last broker.promoted event names another key)");
        return -1;
    }
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = nmirf_store_ro_open(dir, &env, &txn);
    if (rc) {
        snprintf(why, whylen, "cannot open the copy: %s", mdb_strerror(rc));
        return -1;
    }
    MDB_val sk = {3, "seq"}, hk = {4, "head"}, sv, hv;
    uint64_t have = 0;
    rc = mdb_dbi_open(txn, "meta", 0, &dbi);
    if (!rc && mdb_get(txn, dbi, &sk, &sv) == 0 && sv.mv_size == 8)
        have = nmirf_be64_decode(sv.mv_data);
    bool same =
        !rc && have == seq &&
        (seq == 0 || (mdb_get(txn, dbi, &hk, &hv) == 0 && hv.mv_size == NMIRF_HASH_LEN &&
                      memcmp(hv.mv_data, head, NMIRF_HASH_LEN) == 0));
    mdb_txn_abort(txn);
    mdb_env_close(env);
    if (!same) {
        snprintf(why, whylen,
                 "the copy holds events to %llu, not the seq %llu and head the primary "
                 "named",
                 (unsigned long long)have, (unsigned long long)seq);
        return -1;
    }
    if (as.last_checkpoint != seq) {
        snprintf(why, whylen,
                 "the copy's head (event %llu) has no checkpoint (the last "
                 "is at %llu)",
                 (unsigned long long)seq, (unsigned long long)as.last_checkpoint);
        return -1;
    }
    return 0;
}
