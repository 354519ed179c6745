/*  replica - the agent's copy of the broker's records (replica.c), kept
    by the ZeroMQ Guide's Clone pattern, and the `mine` view over it
    (replica_mine.c).

    The replica owns the LMDB environment DIR/replica (the outbox's
    database lives there too: outbox.c gets it from replica_env) and the
    witness (witness.h). It reads from the broker through the link (link.h:
    asynchronous reads, pushed messages) and hands the events that concern us
    to the callbacks given to replica_new (agent_main.c wires them to
    notify.h). Readers of its records open a read-only transaction with
    replica_read_begin and find its databases with replica_dbis.
*/
#ifndef REPLICA_H
#define REPLICA_H

#include <czmq.h>
#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "link.h"

/* The replica's named databases. */
typedef enum {
    AG_DB_META,        /* "seq" -> u64 BE: the last event applied */
    AG_DB_ENTITIES,    /* entity id -> entity record (as the broker's) */
    AG_DB_RECS,        /* recommendation id -> record */
    AG_DB_ASSIGNMENTS, /* recommendation id -> assignment record */
    AG_DB_REPORTS,     /* report id (u64 BE) -> report record */
    AG_DB_OUTBOX,      /* enqueue counter (u64 BE) -> queued signed request */
    AG_DB_STATUS,      /* recommendation id -> implementation status (str), as the
                          broker's: set by report.validated, loaded from snapshots */
    AG_DB_MEASURES,    /* measure id (u64 BE) -> measure record, as the broker's */
    AG_DB_COUNT
} agent_db_t;

typedef struct _replica_t replica_t;

/* Where the replica hands the events it applies (never those a snapshot
   loads: a snapshot says what is, not what happened), and the snapshots
   it loads. arg is given back to each. */
typedef struct {
    /* ev was just applied in txn (the write transaction, not committed
       yet; dbi: the replica's databases): add what is to be published
       of it to pending (a zlist that copies what it is given). */
    void (*collect)(MDB_txn *txn, const MDB_dbi *dbi, const nmirf_event_t *ev,
                    zlist_t *pending, void *arg);
    /* The transaction committed: deliver what was collected (borrowed). */
    void (*deliver)(zlist_t *pending, void *arg);
    /* A snapshot replaced the replica at seq (committed): what a reader
       built from events is to be read again. May be NULL. */
    void (*loaded)(uint64_t seq, void *arg);
    /* A failover lost the events from_seq..to_seq this replica had (the
       witness logged it; witness_judge_claim): the replica reloads from a
       snapshot next. May be NULL. */
    void (*lost)(uint64_t from_seq, uint64_t to_seq, void *arg);
    void *arg;
} replica_events_t;

/* What `status` and `mine` show of the replica (replica_status). */
typedef struct {
    uint64_t seq;            /* the last event applied */
    uint64_t broker_seq;     /* the broker's latest sequence seen */
    bool loaded;             /* the replica holds a snapshot (or events) */
    uint64_t checkpoint_seq; /* the broker checkpoint kept (witness), 0 none */
    const char *refused;     /* why the broker is refused, NULL if not
                                (borrowed, valid until the next tick) */
} replica_status_t;

/* Opens DIR/replica (creating it), reads the replica's sequence, drops
   the kept checkpoint if forget_checkpoint (--forget-checkpoint:
   witness_forget), and reads the kept one (witness_new). Reads through
   link (borrowed; NULL only where no read is ever made); events as
   given (copied). Returns NULL on failure (logged). */
replica_t *replica_new(const agent_conf_t *conf, link_t *link, bool forget_checkpoint,
                       const replica_events_t *events);
void replica_destroy(replica_t **self_p);

/* Applies the pushed events and heartbeats waiting (link_next_push), and
   starts a catch-up if they show a gap. Returns at once: a catch-up is a
   chain of reads (link_read_start), each reply applied when it comes,
   and nothing is applied from the socket while one is in flight (the link
   stashes it for after). */
void replica_on_pushed(replica_t *self);

/* Housekeeping: applies what was stashed, starts loading the first
   snapshot, or a catch-up when behind. Does nothing while a read is in
   flight. */
void replica_tick(replica_t *self);

/* The broker showed it is at seq (a reply's): catch up if behind. */
void replica_on_seq(replica_t *self, uint64_t seq);

/* Our subscription was answered at the broker's seq: what lies between
   ours and it is fetched. */
void replica_on_subscribed(replica_t *self, uint64_t seq);

/* The digest of the replica (nmirf_digest.h) and the sequence it is at.
   Returns 0 or -1. */
int replica_digest(replica_t *self, uint8_t out[NMIRF_HASH_LEN], uint64_t *seq);

/* Begins a read-only transaction on the replica into *txn; the caller
   aborts it (mdb_txn_abort). Returns 0 or an LMDB error code. */
int replica_read_begin(replica_t *self, MDB_txn **txn);

/* The replica's databases, indexed by agent_db_t (AG_DB_COUNT of them),
   valid as long as the replica. */
const MDB_dbi *replica_dbis(const replica_t *self);

/* The replica's LMDB environment (the outbox keeps its database there),
   valid as long as the replica. */
MDB_env *replica_env(const replica_t *self);

/* Fills st with the replica's state, for `status` and `mine`. */
void replica_status(const replica_t *self, replica_status_t *st);

/* --- replica_mine.c ------------------------------------------------------ */

/* Packs the array of assignments that name entity (the `mine` body's
   `assignments`), read in txn (a replica_read_begin transaction; dbi:
   replica_dbis). today (a valid YYYY-MM-DD) and due_soon_days mark each
   deadline: `days_left` (negative when late) and `due` "overdue" or
   "due_soon" as the broker's deadline events would, none for an
   implemented recommendation. Returns 0 or -1. */
int replica_pack_mine(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], const char *entity,
                      const char *today, uint64_t due_soon_days, msgpack_packer *pk);

#endif
