/*  store - the broker's LMDB environment.

    One environment in DATADIR/store holds every named database below. The
    event log is keyed by big-endian u64 sequence numbers, so LMDB's key
    order is sequence order and the last key is the head. The sequence
    number and the hash of the last event live in `meta`, written in the
    same transaction as every event, so a commit either holds a change and
    its event or neither.

    Values read through store_get() are copied into a msgpack zone before
    use: LMDB's pointers die at the next write in a write transaction.
*/
#ifndef STORE_H
#define STORE_H

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "nmirf_wire.h"

typedef enum {
    DB_META,         /* "seq" -> u64 BE; "head" -> hash of the last event; "report",
                        "measure" -> u64 BE: the last ids given; "reqkey" -> how
                        `requests` is keyed (store_reqkey_t); "stale" -> u64 BE:
                        the stale floor (store_stale_floor); "epoch" -> u64 BE
                        (store_epoch); "commit" -> u64 BE (store_commits) */
    DB_ENTITIES,     /* entity id -> entity record */
    DB_RECS,         /* recommendation id -> recommendation record */
    DB_ASSIGNMENTS,  /* recommendation id -> assignment record */
    DB_REPORTS,      /* report id (u64 BE) -> report record */
    DB_REC_REPORTS,  /* recommendation id -> report ids (u64 BE, dupsort) */
    DB_STATUS,       /* recommendation id -> implementation status (str) */
    DB_EVENTS,       /* seq (u64 BE) -> event bytes */
    DB_REQUESTS,     /* ts (u64 BE) || request id (24 bytes), or a request id alone
                        (16 bytes) in a store from before meta "reqkey" ->
                        {hash, envelope, sig, reply} */
    DB_CHECKPOINTS,  /* seq (u64 BE) -> signed checkpoint {seq, head, ts, sig} */
    DB_MEASURES,     /* measure id (u64 BE) -> measure record */
    DB_REC_MEASURES, /* recommendation id -> measure ids (u64 BE, dupsort) */
    DB_DEADLINES,    /* "REC\0KIND" -> {assigned, deadline} of the assignment a
                        deadline event was emitted for (deadlines.c) */
    DB_AGG,          /* the figures of an unfiltered `stats` (stats_agg.h) */
    DB_COUNT
} store_db_t;

typedef struct _store_t store_t;

/* Opens (creating if needed) the store in dir with a map of map_mb MiB.
   Returns NULL with a reason in why. */
store_t *store_open(const char *dir, size_t map_mb, char *why, size_t whylen);
void store_close(store_t **self_p);

/* Begins a transaction: a write transaction if write, nested in parent if
   parent is not NULL. Returns an LMDB error code (0 on success). */
int store_begin(store_t *self, MDB_txn *parent, bool write, MDB_txn **txn);

/* Commits txn; for a top-level write transaction this syncs it to disk.
   Returns an LMDB error code. With the changelog on, a top-level commit
   that changed anything makes a commit record, handed to the commit
   hook once the commit synced. */
int store_commit(MDB_txn *txn);

/* As store_commit; with the changelog on, the commit record of a
   top-level commit that changed anything is also appended to record
   (nothing appended if the commit fails, or changed nothing). */
int store_commit_record(MDB_txn *txn, msgpack_sbuffer *record);

/* Aborts a write transaction from store_begin (top-level or nested): its
   changes leave the changelog with it. Every write transaction ends
   through store_commit or store_abort; a read transaction may end with
   mdb_txn_abort. */
void store_abort(MDB_txn *txn);

/* The handle of a named database. */
MDB_dbi store_dbi(store_t *self, store_db_t db);

/* Reads key from db and unpacks the value into obj, copying the bytes into
   zone. Returns 0, MDB_NOTFOUND, or another LMDB error (a corrupt value is
   MDB_CORRUPTED). */
int store_get(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen,
              msgpack_zone *zone, msgpack_object *obj);

/* Writes key -> value into db. Returns an LMDB error code. */
int store_put(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen,
              const void *val, size_t vlen);

/* As store_put with LMDB's put flags (MDB_APPEND, MDB_NODUPDATA...). */
int store_put_flags(store_t *self, MDB_txn *txn, store_db_t db, const void *key,
                    size_t klen, const void *val, size_t vlen, unsigned flags);

/* Deletes key from db (every value of a dupsort key). Returns an LMDB
   error code (MDB_NOTFOUND if db has no key). */
int store_del(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen);

/* Deletes the one value val of key from the dupsort db. Returns an LMDB
   error code (MDB_NOTFOUND if it has no such pair). */
int store_del_dup(store_t *self, MDB_txn *txn, store_db_t db, const void *key,
                  size_t klen, const void *val, size_t vlen);

/* Empties db (it stays open). Returns an LMDB error code. */
int store_drop(store_t *self, MDB_txn *txn, store_db_t db);

/* True if db holds key (an LMDB error reads as absent). */
bool store_has(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen);

/* The latest event sequence number (0 before the first event). */
uint64_t store_seq(store_t *self, MDB_txn *txn);

/* Appends an event: fills ev->seq with the next number and ev->prev with
   the head hash, encodes it into out (cleared first), writes it and moves
   seq and head. Returns an LMDB error code. */
int store_append_event(store_t *self, MDB_txn *txn, nmirf_event_fields_t *ev,
                       uint8_t prev[NMIRF_HASH_LEN], msgpack_sbuffer *out);

/* The hash of the latest event (32 zero bytes before the first) into
   head. Returns 0 or an LMDB error code. */
int store_head(store_t *self, MDB_txn *txn, uint8_t head[NMIRF_HASH_LEN]);

/* BLAKE2b-256 over every database's entries in key order, each framed
   by its database's index and its key's and value's sizes: two stores
   with one digest hold the same keys and values in every database (a
   standby and its primary). Returns an LMDB error code. */
int store_digest(store_t *self, MDB_txn *txn, uint8_t out[NMIRF_HASH_LEN]);

/* Takes the next report id. Returns 0 on error. */
uint64_t store_next_report_id(store_t *self, MDB_txn *txn, int *err);

/* Takes the next measure id (meta "measure"). Returns 0 on error. */
uint64_t store_next_measure_id(store_t *self, MDB_txn *txn, int *err);

/* How `requests` is keyed (meta "reqkey", written at the first open by a
   broker that keys by time): entries made since are keyed by the
   envelope's ts (u64 BE) then the request id, so new entries land at the
   tree's right edge instead of a random leaf. A store that held requests
   before (keyed by the id alone) keeps them as they are: both forms live
   in one database, and only a request whose ts could be that old needs
   the lookup by id (dispatch.c). Its meta value is 10 bytes: the version
   (2), legacy (0 or 1), since (u64 BE). */
typedef struct {
    uint64_t since; /* ms: when this broker first keyed by time */
    bool legacy;    /* requests keyed by the id alone exist (made before since) */
} store_reqkey_t;

#define STORE_REQKEY_VERSION 2 /* meta "reqkey"'s first byte */
#define STORE_REQKEY_LEN 24    /* ts (8, big-endian) || request id (16) */

/* The store's request keying, read at store_open (constant afterwards). */
const store_reqkey_t *store_reqkey(const store_t *self);

/* The key of a request in `requests`: ts (big-endian) then id, into key. */
void store_request_key(uint64_t ts, const uint8_t id[NMIRF_ID_LEN],
                       uint8_t key[STORE_REQKEY_LEN]);

/* The ts of the latest event into *ts (0 before the first event). Returns 0
   or an LMDB error code (an unreadable event is MDB_CORRUPTED). */
int store_last_event_ts(store_t *self, MDB_txn *txn, uint64_t *ts);

/* The stale floor (meta "stale"): one more than the greatest ts of a
   write ever refused `stale`, 0 before the first. A write whose ts is
   below it stays `stale` whatever the window or the clock says later
   (dispatch.c s_stale): the sender has signed that write again, so its
   old bytes must never apply. */
uint64_t store_stale_floor(store_t *self, MDB_txn *txn);

/* Raises the stale floor to floor in txn (never lowers it). Returns an
   LMDB error code. */
int store_raise_stale_floor(store_t *self, MDB_txn *txn, uint64_t floor);

/* How many commits the changelog numbered (meta "commit", u64 BE; 0 if
   none): with the changelog on, each top-level commit that changed
   anything puts the next number as the last change of its record, so a
   standby applies the records in one order only, event-less ones too
   (a checkpoint, a stale floor), which share their seq with the commits
   around them (docs/REPLICATION.md). */
uint64_t store_commits(store_t *self, MDB_txn *txn);

/* The store's epoch (meta "epoch", u64 BE): 1 for a store that never saw
   a promotion (the key absent), then the epoch of its latest
   `broker.promoted` event (docs/REPLICATION.md). */
uint64_t store_epoch(store_t *self, MDB_txn *txn);

/* Sets the epoch in txn (a promotion: never lower). Returns an LMDB error
   code. */
int store_set_epoch(store_t *self, MDB_txn *txn, uint64_t epoch);

/* --- the changelog (docs/REPLICATION.md, What is shipped) ---

   Every change to the store goes through the functions above; with the
   changelog on, each successful put, delete and drop of the open write
   transaction is packed, in order, as a change of a commit record
   (proto/nmirf_repl.h). A nested transaction marks where it began: its
   abort (or its failed commit) cuts the changelog back to its mark. The
   top-level commit frames the changes into one commit record {epoch,
   from_seq, to_seq, head, checkpoint, changes, sig} before it commits (still
   holding LMDB's write lock), and, once synced, hands it to the hook.
   Off (the default), nothing is packed: the write path pays one test per
   change. */

/* Turns the changelog on or off; each record is signed with the Ed25519
   secret key sign_sk (borrowed: it must outlive the store; NULL: records
   go unsigned, which a standby refuses). Call before any transaction
   begins (no lock: the writer thread reads it). */
void store_set_changelog(store_t *self, bool on, const uint8_t *sign_sk);
bool store_changelog_on(const store_t *self);

/* Turns the changelog on, with the key store_set_changelog gave, from the
   next write transaction. Call only while holding the write lock outside
   any logged transaction: from store_copy_fd_at's at, so that the copy
   holds every commit before the first record and none after. */
void store_changelog_start(store_t *self);

/* Called on the committing thread with each commit record once its
   commit synced, with the store's seq before and after the commit; the
   bytes are borrowed for the call. */
typedef void(store_commit_hook_fn)(void *arg, const uint8_t *record, size_t len,
                                   uint64_t seq_before, uint64_t seq_after);

/* Sets (fn NULL: clears) the hook. Call before any transaction begins. */
void store_set_commit_hook(store_t *self, store_commit_hook_fn *fn, void *arg);

/* The changes logged so far in the open write transaction, packed
   (*data borrowed until the next change), and returns how many: for the
   holder of the write transaction (tests). */
size_t store_changelog(const store_t *self, const uint8_t **data, size_t *len);

/* Writes a compacted copy of the store (LMDB's data.mdb) to fd, and the
   seq and head that copy holds into *seq and head. Blocks writers for the
   copy's time (the writer waits; reads go on). Returns 0, or -1 with why. */
int store_copy_fd(store_t *self, int fd, uint64_t *seq, uint8_t head[NMIRF_HASH_LEN],
                  char *why, size_t whylen);

/* As store_copy_fd, and calls at(arg, pos) once no commit is on its way
   (under the write lock, after the last commit's hook returned): what it
   reads of the records handed to the hook is exactly what the copy holds
   (repl_sender.c). */
typedef void(store_copy_at_fn)(void *arg, uint64_t *pos);
int store_copy_fd_at(store_t *self, int fd, uint64_t *seq, uint8_t head[NMIRF_HASH_LEN],
                     store_copy_at_fn *at, void *arg, uint64_t *pos, char *why,
                     size_t whylen);

/* Human-readable text for an LMDB error, for log lines and replies. */
const char *store_strerror(int rc);

/* Store size facts for status and logs. */
size_t store_map_size(store_t *self);

#endif
