/*  changelog_file - a test hook: every commit record into a file.

    With NMIRFD_TEST_CHANGELOG=1 in its environment, nmirfd turns its
    store's changelog on (store.h) and appends each commit record, signed
    with the broker's key, to DATADIR/changelog.mp, one msgpack object
    after the other, as each commit syncs. Used only by tests
    (tests/integration/standby_test.c), until the replication stream ships
    records to a standby: the file is not synced, never trimmed, and a
    broker that cannot write it only logs a warning.
*/
#ifndef CHANGELOG_FILE_H
#define CHANGELOG_FILE_H

#include "store.h"

/* If NMIRFD_TEST_CHANGELOG is "1": turns store's changelog on, signing
   with sign_sk (borrowed, must outlive the store), and appends records to
   datadir/changelog.mp from now on. Returns 0 (also when unset), or -1
   with why if the file cannot be opened. */
int changelog_file_open(store_t *store, const char *datadir, const uint8_t *sign_sk,
                        char *why, size_t whylen);

/* Stops appending (the store's hook is cleared) and closes the file. */
void changelog_file_close(store_t *store);

#endif
