/*  harness_store - a broker's store digest, read beside it
    (harness_store.h).
*/
#include "harness_store.h"

#include <stdio.h>

#include "harness.h"
#include "store.h"

void
h_store_digest(const char *dir, uint8_t out[32], uint64_t *seq)
{
    char path[PATH_MAX + 16], why[256];
    snprintf(path, sizeof path, "%s/store", dir);
    store_t *st = store_open(path, 64, why, sizeof why);
    H_ASSERTF(st, "open %s: %s", path, why);
    MDB_txn *txn;
    H_ASSERT(store_begin(st, NULL, false, &txn) == 0);
    *seq = store_seq(st, txn);
    H_ASSERT(store_digest(st, txn, out) == 0);
    mdb_txn_abort(txn);
    store_close(&st);
}
