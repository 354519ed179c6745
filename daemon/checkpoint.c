/*  checkpoint - the broker's signed statements of its log head. */
#include "checkpoint.h"
#include "nmirf_audit.h"
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
        seq = store_u64_of(k.mv_data);
    mdb_cursor_close(cur);
    return seq;
}

int
checkpoint_write(store_t *store, const nmirf_key_t *broker_key)
{
    if (!broker_key || !broker_key->has_secret) {
        log_warnx("no broker secret key: checkpoint not written");
        return -1;
    }
    MDB_txn *txn = NULL;
    uint8_t head[NMIRF_HASH_LEN];
    int rc = store_begin(store, NULL, true, &txn);
    if (rc) {
        log_warnx("checkpoint: cannot begin a transaction: %s", store_strerror(rc));
        return -1;
    }
    uint64_t seq = store_seq(store, txn);
    if (seq == 0 || seq <= s_last_checkpoint(store, txn)) {
        mdb_txn_abort(txn);
        return 0;
    }
    rc = store_head(store, txn, head);
    msgpack_sbuffer cp;
    msgpack_sbuffer_init(&cp);
    if (!rc) {
        uint8_t key[8];
        store_u64_key(seq, key);
        nmirf_checkpoint_encode(&cp, seq, head, nmirf_now_ms(), broker_key->sign_sk);
        rc = store_put(store, txn, DB_CHECKPOINTS, key, sizeof key, cp.data, cp.size);
    }
    if (!rc)
        rc = store_commit(txn); /* synced, like every top-level commit */
    else
        mdb_txn_abort(txn);
    msgpack_sbuffer_destroy(&cp);
    if (rc) {
        log_warnx("checkpoint at %llu not written: %s", (unsigned long long)seq,
                  store_strerror(rc));
        return -1;
    }
    log_debug("checkpoint at %llu", (unsigned long long)seq);
    return 0;
}
