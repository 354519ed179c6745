/*  txnshim - an LD_PRELOAD library for damage_test: widens the window
    between the store walk's open check, which reads the meta page, and its
    read transaction, so that a broker committing beside it lands there.

    With NMIRF_TXNSHIM_DELAY_MS (1 to 10000) every mdb_txn_begin of a
    read-only transaction waits that long, then goes on to liblmdb with its
    arguments, and its result comes back. Nothing else changes. Built
    without sanitizers (tests/ops/CMakeLists.txt): in the ASan build the process gets
    ASAN_OPTIONS=verify_asan_link_order=0, since this library is loaded
    ahead of the ASan runtime.
*/
#include <dlfcn.h>
#include <lmdb.h>
#include <stdlib.h>
#include <time.h>

int
mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn)
{
    static int (*real)(MDB_env *, MDB_txn *, unsigned int, MDB_txn **);
    if (!real)
        real = (int (*)(MDB_env *, MDB_txn *, unsigned int, MDB_txn **))dlsym(
            RTLD_NEXT, "mdb_txn_begin");
    if (!real)
        abort();
    const char *s = getenv("NMIRF_TXNSHIM_DELAY_MS");
    long ms = s ? strtol(s, NULL, 10) : 0;
    if ((flags & MDB_RDONLY) && ms >= 1 && ms <= 10000) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    return real(env, parent, flags, txn);
}
