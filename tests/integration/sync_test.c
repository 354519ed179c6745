/*  sync_test - every acknowledged write is on disk, not only in the page
    cache: a SIGKILL keeps the page cache, so the durability tests would
    pass on a store opened with MDB_NOSYNC; this one would not.

    nmirfd runs with tests/integration/syncshim.c preloaded, which logs (one byte per
    call, NMIRF_SYNCSHIM_LOG) each fdatasync of the store's data.mdb and
    each meta page written through the O_DSYNC fd LMDB opens for it. The
    test sends WRITES acknowledged writes one after another and, after
    each OK reply, reads the log: since the request was sent, the data
    file was synced (D) and a meta page was written through the O_DSYNC
    fd (M), and no meta page went out through an unsynced fd (m). With
    MDB_NOSYNC or MDB_NOMETASYNC the counts do not grow and the test fails.

    The shim holds each of those calls DELAY_MS before it goes to libc and
    logs it once done (NMIRF_SYNCSHIM_DELAY_MS), so the records of a
    commit are written well after any reply sent ahead of its sync: a
    broker that answers first and syncs after (the sync a few
    microseconds later, on the same thread) fails here too, where without
    the delay the records would beat the test to the log.

    usage: sync_test PATH-TO-NMIRFD PATH-TO-SYNCSHIM.so
*/
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nmirf_util.h"

#define WRITES 20      /* acknowledged writes, each checked */
#define DELAY_MS "300" /* the shim's wait before each sync and synced meta write */

static char s_log[PATH_MAX];

typedef struct {
    size_t data_syncs;    /* D and S */
    size_t meta_synced;   /* M */
    size_t meta_unsynced; /* m */
    size_t opened, dsync; /* o, O */
} s_counts_t;

static s_counts_t
s_read(void)
{
    s_counts_t c = {0};
    size_t len = 0;
    char *text = nmirf_read_file(s_log, &len);
    for (size_t i = 0; text && i < len; i++)
        switch (text[i]) {
        case 'D':
        case 'S':
            c.data_syncs++;
            break;
        case 'M':
            c.meta_synced++;
            break;
        case 'm':
            c.meta_unsynced++;
            break;
        case 'o':
            c.opened++;
            break;
        case 'O':
            c.dsync++;
            break;
        }
    free(text);
    return c;
}

int
main(int argc, char **argv)
{
    if (argc < 3 || access(argv[2], R_OK) != 0) {
        fprintf(stderr, "usage: %s PATH-TO-NMIRFD PATH-TO-SYNCSHIM.so\n", argv[0]);
        return 2;
    }
    char shim[PATH_MAX];
    H_ASSERT(realpath(argv[2], shim));
    h_init(argc, argv, 80);
    snprintf(s_log, sizeof s_log, "/tmp/nmirf_sync_test.%d.log", (int)getpid());
    unlink(s_log);

    /* Only nmirfd gets the shim (the harness execs it with this
       environment); under ASan it is loaded ahead of the runtime. */
    const char *asan = getenv("ASAN_OPTIONS");
    char asan_opts[1024];
    snprintf(asan_opts, sizeof asan_opts, "%s%sverify_asan_link_order=0",
             asan ? asan : "", asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", asan_opts, 1);
    setenv("NMIRF_SYNCSHIM_LOG", s_log, 1);
    setenv("NMIRF_SYNCSHIM_DELAY_MS", DELAY_MS, 1);
    setenv("LD_PRELOAD", shim, 1);
    h_broker_t *b = h_broker_start(NULL);
    unsetenv("LD_PRELOAD");
    unsetenv("NMIRF_SYNCSHIM_DELAY_MS");
    unsetenv("NMIRF_SYNCSHIM_LOG");
    if (asan)
        setenv("ASAN_OPTIONS", asan, 1);
    else
        unsetenv("ASAN_OPTIONS");

    s_counts_t c = s_read();
    H_ASSERTF(c.opened >= 1, "the shim saw no data.mdb opened (not preloaded?): log %s",
              s_log);
    H_ASSERTF(c.dsync >= 1, "nmirfd opened no O_DSYNC fd on data.mdb (its meta pages "
                            "would not be synced)");
    h_note("the shim sees nmirfd's store: %zu fd(s) on data.mdb, %zu with O_DSYNC; "
           "each sync held %s ms",
           c.opened, c.dsync, DELAY_MS);

    h_entity_t *coord = h_coord(b);
    for (int i = 0; i < WRITES; i++) {
        s_counts_t before = s_read();
        H_CALL_CHECK("ok", coord, "rec.import",
                     "{'recs': [{'id': 'S%d', 'mechanism': 'UPR', 'text': {'en': 'Write "
                     "%d'}}]}",
                     i, i);
        s_counts_t after = s_read();
        H_ASSERTF(after.data_syncs > before.data_syncs,
                  "write %d acknowledged with no fdatasync of data.mdb since it was sent "
                  "(%zu syncs before and after)",
                  i, after.data_syncs);
        H_ASSERTF(
            after.meta_synced > before.meta_synced,
            "write %d acknowledged with no meta page written through the O_DSYNC fd "
            "since it was sent (%zu before and after)",
            i, after.meta_synced);
        H_ASSERTF(after.meta_unsynced == before.meta_unsynced,
                  "write %d: %zu meta page(s) written through an fd without O_DSYNC", i,
                  after.meta_unsynced - before.meta_unsynced);
    }
    c = s_read();
    h_note("%d acknowledged writes, each after a data sync and a synced meta page (%zu "
           "data syncs, %zu synced meta writes in all)",
           WRITES, c.data_syncs, c.meta_synced);
    h_broker_destroy(&b);
    unlink(s_log);
    return 0;
}
