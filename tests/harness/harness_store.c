/*  harness_store - a broker's store digest, read beside it
    (harness_store.h).
*/
#include "harness_store.h"

#include <stdio.h>
#include <string.h>

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

uint64_t
h_wait_stores_equal(const h_broker_t *a, const h_broker_t *b)
{
    uint8_t da[32], db[32];
    uint64_t sa = 0, sb = 0;
    for (int i = 0; i < 400; i++) {
        h_store_digest(a->dir, da, &sa);
        h_store_digest(b->dir, db, &sb);
        if (sa == sb && memcmp(da, db, 32) == 0)
            return sa;
        h_sleep_ms(50);
    }
    h_fail(__FILE__, __LINE__,
           "the standby's store never equals the primary's (seq %llu "
           "and %llu)",
           (unsigned long long)sa, (unsigned long long)sb);
}
