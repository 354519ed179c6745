/*  dispatch - one request, from its frames to its reply.

    Runs the checks of PROTOCOL.md section 3 in their order (frames, size,
    msgpack, envelope, peer = author, author, the connection's key = the
    author's current key, signature, request id, operation), then the
    operation's handler: a write in a transaction nested in the batch's, a
    read in the batch's transaction itself. Nothing here touches a socket:
    the broker owns the sockets and the batch's commit.

    The checks come in two halves so a verifier thread (verifier.c) can
    take the Ed25519 work off the writer: dispatch_check needs no write
    transaction, dispatch_apply runs in the batch's. The order a client
    sees is the same: a refusal found early is answered only in its place.
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
    uint64_t floor;              /* the stale floor (store_stale_floor)... */
    bool floor_read;             /* ...once read from txn */
    bool floor_moved;            /* a `stale` refusal raised it in txn: commit
                                    it before any reply goes (dispatch.c) */
    unsigned writes;             /* writes applied to txn: commit it if any */
    const broker_stats_t *stats; /* the broker's counters, for ping */
    bool reader;                 /* a reader thread's read (dispatch_read) */
} batch_t;

/* A request after the checks that need no write transaction (dispatch_
   check), waiting for the writer (dispatch_apply). The frames are
   borrowed: they must outlive it. */
typedef struct {
    const uint8_t *frames[2];                /* envelope, signature (borrowed) */
    size_t sizes[2];                         /* their sizes */
    msgpack_zone *zone;                      /* env's memory, and the handler's */
    nmirf_envelope_t env;                    /* the decoded envelope */
    bool has_id;                             /* env.id was read (even if refused) */
    nmirf_code_t code;                       /* NMIRF_OK, or a final refusal */
    char why[512];                           /* the refusal's reason */
    uint8_t peer_key[32];                    /* the connection's CURVE key */
    bool has_peer_key;                       /* the transport gave it */
    bool verified;                           /* signature verified with verified_key */
    uint8_t verified_key[NMIRF_SIGN_PK_LEN]; /* the author's key it verified with */
} dispatch_checked_t;

/* The checks of one request up to the signature, safe on any thread:
   frames, envelope, signature frame and peer = author (final: c->code),
   then, if rtxn (a read transaction) is given, the signature against the
   author's key committed in it (c->verified and the key, for the writer
   to trust if the key has not changed). peer is the entity the transport
   authenticated (the ZAP User-Id of the connection; NULL if none, which
   is refused with author_mismatch like any peer other than the envelope's
   author). peer_key is the connection's CURVE public key in Z85 (the ZAP
   metadata ZAP_KEY_PROPERTY, zap.h; NULL if none or unreadable, which
   dispatch_apply refuses with key_retired: fail closed). frames/sizes
   are the frames after the routing envelope (identity and REQ delimiter
   removed); count may be anything. Returns 0, or -1 out of memory. Free
   with dispatch_checked_free. */
int dispatch_check(store_t *store, MDB_txn *rtxn, const char *peer, const char *peer_key,
                   const uint8_t *const *frames, const size_t *sizes, size_t count,
                   dispatch_checked_t *c);

/* The rest, in the batch's write transaction: a refusal found by
   dispatch_check, the author (enrolled, active: else revoked), the
   connection's key (the author's current curve_key: else key_retired, a
   session opened before the key was rotated), the signature (unless
   verified with the author's current key), the request id, the
   operation, a write's ts against the request window (else stale). The reply is appended
   to reply. */
void dispatch_apply(batch_t *batch, dispatch_checked_t *c, msgpack_sbuffer *reply);

/* dispatch_apply for a read (an operation marked .reader, ops.h) on a
   reader thread (readers.c): the same checks in the same order, then the
   operation, all in rtxn, a read transaction the caller begun after the
   request arrived and aborts afterwards; the reply's seq is rtxn's. stats
   is borrowed (a reader-safe operation reads only its atomics). A write
   operation is refused (internal): it never reaches here. */
void dispatch_read(store_t *store, MDB_txn *rtxn, const broker_stats_t *stats,
                   dispatch_checked_t *c, msgpack_sbuffer *reply);

void dispatch_checked_free(dispatch_checked_t *c);

/* Answers one request: dispatch_check without a read transaction, then
   dispatch_apply (the fuzzer's whole pipeline). */
void dispatch_request(batch_t *batch, const char *peer, const char *peer_key,
                      const uint8_t *const *frames, const size_t *sizes, size_t count,
                      msgpack_sbuffer *reply);

#endif
