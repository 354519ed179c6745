/*  dispatch - one request, from its frames to its reply.

    Runs the checks of PROTOCOL.md section 3 in their order (frames, size,
    msgpack, envelope, peer = author, author, signature, request id, operation), then the
    operation's handler: a write in a transaction nested in the batch's, a
    read in the batch's transaction itself. Nothing here touches a socket:
    the broker owns the sockets and the batch's commit.
*/
#ifndef DISPATCH_H
#define DISPATCH_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "events.h"
#include "stats.h"
#include "store.h"

typedef struct {
    store_t *store;              /* the store */
    MDB_txn *txn;                /* the batch's write transaction */
    event_batch_t *events;       /* events the batch made */
    uint64_t now;                /* batch time, ms */
    unsigned writes;             /* writes applied to txn: commit it if any */
    const broker_stats_t *stats; /* the broker's counters, for ping */
} batch_t;

/* Answers one request. peer is the entity the transport authenticated
   (the ZAP User-Id of the connection; NULL if none, which is refused with
   author_mismatch like any peer other than the envelope's author).
   frames/sizes are the frames after the routing envelope (identity and
   REQ delimiter removed); count may be anything. The reply is appended to
   reply. */
void dispatch_request(batch_t *batch, const char *peer, const uint8_t *const *frames,
                      const size_t *sizes, size_t count, msgpack_sbuffer *reply);

#endif
