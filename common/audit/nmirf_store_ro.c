/*  nmirf_store_ro - a broker's live LMDB store, opened read-only. */
#include "nmirf_store_ro.h"
#include "nmirf_store_check.h"

#include <stddef.h>

/* Named databases the environment may open: room for the broker's own
   (daemon/store.h) and more. */
#define S_MAX_DBS 32

int
nmirf_store_ro_open(const char *dir, MDB_env **env_p, MDB_txn **txn_p)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    char why[512];
    /* Never map a file its meta pages say is cut short (SIGBUS). */
    int rc = nmirf_store_check_open(dir, NULL, why, sizeof why) == NMIRF_STORE_DAMAGED
                 ? MDB_CORRUPTED
                 : 0;
    if (!rc)
        rc = mdb_env_create(&env);
    if (!rc)
        rc = mdb_env_set_maxdbs(env, S_MAX_DBS);
    if (!rc)
        rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600);
    if (!rc && txn_p)
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc) {
        mdb_env_close(env); /* LMDB takes NULL */
        env = NULL;
    }
    *env_p = env;
    if (txn_p)
        *txn_p = txn;
    return rc;
}
