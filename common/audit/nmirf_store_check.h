/*  nmirf_store_check - is an LMDB store whole? (DESIGN.md: a damaged store
    is named as damaged, never a crash.)

    LMDB maps data.mdb and trusts it: a file cut short makes the first read
    past its end die of SIGBUS, and a damaged page makes LMDB follow wild
    offsets. Two checks stand before it.

    The open check reads the two meta pages of data.mdb itself, with
    pread, before anything maps the file: magic, format version, page size,
    and in the newer meta (the greater txnid, the one LMDB uses) that the
    file holds every page up to the last one in use and that the map size
    covers them. It costs two small reads; nmirfd, nmirf-agent and the
    tools that open a store read-only (nmirf_store_ro) run it first.

    The walk reads the whole store in one read-only transaction: every
    named database with a cursor, entry by entry, so LMDB reaches each page
    in use; the free list; for the broker's databases, that each value is
    the msgpack (or the fixed-size number) it should be, that the events
    run 1, 2, 3... each naming the hash of the one before, and that meta's
    seq and head match the last event. LMDB does not check a page's insides
    before it follows them, so a damaged branch page can crash the reader:
    the walk runs in a forked child, and a child that dies (a signal, or
    any end without its last line) is reported by the parent as damage in
    the database it was reading. The parent never maps the store.
*/
#ifndef NMIRF_STORE_CHECK_H
#define NMIRF_STORE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    NMIRF_STORE_OK = 0,      /* intact (or, for the open check, not made yet) */
    NMIRF_STORE_DAMAGED = 1, /* damaged: why (or the report) says what */
    NMIRF_STORE_ERROR = 2,   /* could not be checked (permissions, fork...) */
} nmirf_store_rc_t;

/* What the open check read from the meta pages. */
typedef struct {
    uint64_t file_size; /* bytes of data.mdb */
    uint64_t page_size; /* LMDB page size */
    uint64_t last_pg;   /* last page in use */
    uint64_t map_size;  /* map size the store was written with */
    uint64_t txnid;     /* last committed transaction */
} nmirf_store_meta_t;

/* Checks DIR/data.mdb against its meta pages without mapping it. Returns
   OK (meta filled; also OK with meta zeroed when there is no data.mdb
   yet: LMDB makes a new store), DAMAGED with why saying what ("the file
   is 8192 bytes but its last page, 40, ends at 167936"), or ERROR (it
   could not be read) with why. meta may be NULL. */
nmirf_store_rc_t nmirf_store_check_open(const char *dir, nmirf_store_meta_t *meta,
                                        char *why, size_t whylen);

/* What a walk found. */
typedef struct {
    nmirf_store_meta_t meta; /* from the open check */
    unsigned damages;        /* damage reports made */
    unsigned dbs;            /* named databases walked */
    uint64_t entries;        /* entries read in them */
    uint64_t events;         /* events found chained */
    char first[512];         /* the first damage, "" if none */
} nmirf_store_walk_t;

/* Called once per damage found, with what is wrong ("events: seq 12: prev
   is not the hash of event 11"). */
typedef void nmirf_store_report_fn(void *arg, const char *what);

/* Walks the store in DIR (the directory holding data.mdb), read-only, in
   a child process: the open check, then every database as above. Calls
   report (may be NULL) for each damage, at most a few per database.
   Returns OK, DAMAGED (sum->first is the first damage) or ERROR with why
   (the store could not be read at all: no such directory, permission).
   The caller must hold no LMDB environment of this store open (POSIX
   locks do not pass to a child) and should flush its stdio first. */
nmirf_store_rc_t nmirf_store_check_walk(const char *dir, nmirf_store_report_fn *report,
                                        void *arg, nmirf_store_walk_t *sum, char *why,
                                        size_t whylen);

/* True if the LMDB return code rc says the store is damaged: MDB_CORRUPTED,
   MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_VERSION_MISMATCH. False for 0,
   errno values and LMDB's other codes (MDB_READERS_FULL, MDB_MAP_RESIZED
   and the like say nothing of the file: an error, not a damage). */
bool nmirf_store_mdb_damage(int rc);

#endif
