/*  checkpoint - the broker's signed statements of its log head. */
#include "checkpoint.h"
#include "nmirf_checkpoint.h"
#include "nmirf_log.h"
#include "nmirf_util.h"

#include <string.h>

/* The seq of the latest checkpoint, 0 if none. */
static uint64_t
s_last_checkpoint(store_t *store, MDB_txn *txn)
{
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t seq = 0;
    if (mdb_cursor_open(txn, store_dbi(store, DB_CHECKPOINTS), &cur) != 0)
        return 0;
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
        seq = nmirf_be64_decode(k.mv_data);
    mdb_cursor_close(cur);
    return seq;
}

/* Signs {seq, head, ts} of txn's head and puts it under seq, in txn. */
static int
s_put(store_t *store, MDB_txn *txn, uint64_t seq, const nmirf_key_t *broker_key)
{
    uint8_t head[NMIRF_HASH_LEN], key[8];
    int rc = store_head(store, txn, head);
    if (rc)
        return rc;
    msgpack_sbuffer cp;
    msgpack_sbuffer_init(&cp);
    nmirf_be64_encode(seq, key);
    nmirf_checkpoint_encode(&cp, seq, head, nmirf_now_ms(), broker_key->sign_sk);
    rc = store_put(store, txn, DB_CHECKPOINTS, key, sizeof key, cp.data, cp.size);
    msgpack_sbuffer_destroy(&cp);
    return rc;
}

int
checkpoint_write(store_t *store, const nmirf_key_t *broker_key)
{
    if (!broker_key || !broker_key->has_secret) {
        log_warnx("no broker secret key: checkpoint not written");
        return -1;
    }
    MDB_txn *txn = NULL;
    int rc = store_begin(store, NULL, true, &txn);
    if (rc) {
        log_warnx("checkpoint: cannot begin a transaction: %s", store_strerror(rc));
        return -1;
    }
    uint64_t seq = store_seq(store, txn);
    if (seq == 0 || seq <= s_last_checkpoint(store, txn)) {
        store_abort(txn);
        return 0;
    }
    rc = s_put(store, txn, seq, broker_key);
    if (!rc)
        rc = store_commit(txn); /* synced, like every top-level commit */
    else
        store_abort(txn);
    if (rc) {
        log_warnx("checkpoint at %llu not written: %s", (unsigned long long)seq,
                  store_strerror(rc));
        return -1;
    }
    log_debug("checkpoint at %llu", (unsigned long long)seq);
    return 0;
}

int
checkpoint_put(store_t *store, MDB_txn *txn, const nmirf_key_t *broker_key)
{
    if (!broker_key || !broker_key->has_secret)
        return -1;
    uint64_t seq = store_seq(store, txn);
    if (seq == 0)
        return 0;
    /* Nested: a full map refuses the checkpoint, not the batch under it
       (LMDB leaves the parent as it was when a child aborts). */
    MDB_txn *child = NULL;
    int rc = store_begin(store, txn, true, &child);
    if (!rc && !(rc = s_put(store, child, seq, broker_key)))
        rc = store_commit(child);
    else if (child)
        store_abort(child);
    if (rc) {
        log_warnx("checkpoint at %llu not written: %s", (unsigned long long)seq,
                  store_strerror(rc));
        return -1;
    }
    return 0;
}

int
checkpoint_at_most(store_t *store, uint64_t seq, msgpack_sbuffer *out)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    uint8_t key[8];
    if (seq == 0 || store_begin(store, NULL, false, &txn) != 0)
        return -1;
    int rc = mdb_cursor_open(txn, store_dbi(store, DB_CHECKPOINTS), &cur);
    if (!rc) {
        /* The first checkpoint above seq, then the one before it; none
           above: the last. Keys are big-endian, so byte order is seq
           order. */
        if (seq < UINT64_MAX) {
            nmirf_be64_encode(seq + 1, key);
            k.mv_size = sizeof key;
            k.mv_data = key;
            rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
            if (rc == 0)
                rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
            else if (rc == MDB_NOTFOUND)
                rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        } else {
            rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        }
        if (!rc && (k.mv_size != 8 || nmirf_be64_decode(k.mv_data) > seq))
            rc = MDB_NOTFOUND;
        if (!rc)
            msgpack_sbuffer_write(out, v.mv_data, v.mv_size);
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return rc ? -1 : 0;
}
