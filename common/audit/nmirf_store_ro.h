/*  nmirf_store_ro - a broker's live LMDB store, opened read-only.

    The tools that read a store the broker may be writing (nmirf audit,
    nmirf backup) open it the same way: MDB_RDONLY, so they never write it,
    and MDB_NOTLS, so their read transaction takes a reader slot of the
    store's lock file beside the broker's and sees one committed state
    that the broker's commits do not move.
*/
#ifndef NMIRF_STORE_RO_H
#define NMIRF_STORE_RO_H

#include <lmdb.h>

/* Opens the store in dir (the directory holding data.mdb) read-only into
   *env_p and, if txn_p is not NULL, begins a read transaction in *txn_p.
   The file is first checked against its meta pages
   (nmirf_store_check_open): a damaged one gives MDB_CORRUPTED and is never
   mapped. Returns 0, or an LMDB error code (mdb_strerror) with nothing left open
   and *env_p (and *txn_p) NULL. The caller aborts the transaction and
   closes the environment. */
int nmirf_store_ro_open(const char *dir, MDB_env **env_p, MDB_txn **txn_p);

#endif
