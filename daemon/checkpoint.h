/*  checkpoint - the broker's signed statements of its log head.

    Every so often, and at shutdown, the broker signs {seq, head, ts} (the
    latest sequence number, the hash of that event, the time) with its own
    Ed25519 key (DATA/keys/NMIRFD.key) and keeps it in the `checkpoints`
    database (PROTOCOL.md section 10). A checkpoint commits the broker to
    its log up to seq: a copy of the log that was cut below a checkpoint,
    or changed before it, no longer matches, and only the broker's key can
    make a new one. nmirf audit verify checks them offline.
*/
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <czmq.h>

#include "nmirf_keys.h"
#include "store.h"

/* The broker's checkpoint timer: a fallback, each growing batch signs one. */
#define CHECKPOINT_INTERVAL_MS 10000

/* Writes a checkpoint of the current head, in its own synced write
   transaction, if the head advanced since the last checkpoint (an idle
   broker writes none). broker_key must hold the secret half. Returns 0
   (written, or nothing to write) or -1 after logging why; a failure
   changes nothing and the next call tries again. */
int checkpoint_write(store_t *store, const nmirf_key_t *broker_key);

/* Writes a checkpoint of txn's head into txn itself (a write transaction
   whose commit makes it durable with the events it covers): the writer's
   batch calls it before its one synced commit, so a checkpoint costs a
   signature and a put, not a sync. In a nested transaction: a refused put
   (a full map) leaves txn as it was. Returns 0 (written, or an empty log)
   or -1 after logging why. */
int checkpoint_put(store_t *store, MDB_txn *txn, const nmirf_key_t *broker_key);

/* Appends the stored bytes (the map {seq, head, ts, sig}) of the latest
   checkpoint at or below seq to out, from a read transaction of its own:
   what heartbeats carry to agents, the broker's witnesses, with seq the
   last event published (a checkpoint committed with a batch not yet
   published would tell of events its subscribers have not been sent,
   maybe one that ends their subscription). Returns 0, or -1 if there is
   none (out unchanged). */
int checkpoint_at_most(store_t *store, uint64_t seq, msgpack_sbuffer *out);

#endif
