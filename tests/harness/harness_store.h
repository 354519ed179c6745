/*  harness_store - reading a broker's store beside it, with the daemon's
    own store code (daemon/store.c): the nmirf_it_store library, which
    only the tests that compare stores link (tests/harness/CMakeLists.txt).
*/
#ifndef NMIRF_HARNESS_STORE_H
#define NMIRF_HARNESS_STORE_H

#include <stdint.h>

#include "harness.h"

/* A digest of every database of the store in dir/store (store_digest:
   entry for entry, byte for byte) in out, and its seq in *seq, read in
   one read transaction beside the running broker (LMDB serves several
   processes); fails the test on any error. */
void h_store_digest(const char *dir, uint8_t out[32], uint64_t *seq);

/* Waits (at most 20 s) until the stores of a and b are equal, database
   by database (h_store_digest); fails if they never are. Returns their
   seq. */
uint64_t h_wait_stores_equal(const h_broker_t *a, const h_broker_t *b);

#endif
