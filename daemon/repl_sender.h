/*  repl_sender - the primary's side of the replication stream
    (docs/REPLICATION.md, "The stream"; PROTOCOL.md section 11).

    The store's commit hook (store_set_commit_hook) hands every commit
    record here, on the committing thread, in commit order. Each gets a
    number, n, counted from 1 in this process, and goes into a ring
    bounded by bytes (REPL_RING_BYTES): the oldest records leave it first.
    The ring has an id (16 random bytes made at start): a position is
    (ring, n), "every record after n of that ring", so a commit that
    appended no event still has a place of its own (a seq alone cannot
    tell two such commits apart), and a position from an earlier run of
    the primary is unknown, never mistaken for one of this run.

    Two operations for an entity of role `standby` (ops_repl.c):
    `repl.copy` (a full copy of the store with the position it holds,
    repl_sender_copy) and `repl.follow` (the records after a position).
    An OK `repl.follow` reply makes its connection a follower
    (repl_sender_on_reply, on the broker's thread as the reply goes out);
    then repl_sender_drain, after each answered batch and on the heartbeat
    timer, pushes each follower every record it has not had, in order, as
    [routing id]["repl"][n, ts: 16 bytes big-endian][record]. A follower
    whose next record has left the ring (it could not keep up) is dropped:
    it hears nothing more, and its own silence timer makes it follow
    again, which is refused not_found, and it takes a full copy.

    Pushes are best-effort (ZMQ_DONTWAIT on a ROUTER without
    ZMQ_ROUTER_MANDATORY): a record ZeroMQ cannot queue for a follower
    is dropped, silently; the follower sees the gap in n and follows
    again from its position (follower.c). At most REPL_FOLLOWERS_MAX
    followers; a new one past that drops the oldest.

    A follower acknowledges each record once its store holds it, synced
    (["rack"][n], repl_sender_on_ack); the OK reply to `repl.follow` from
    n says the same of n. The highest record acknowledged is what a
    primary in synchronous mode waits for before it answers (broker.c,
    sync_wait.h).

    Threads: the hook appends on the committing thread (the writer's, or
    the broker's), repl_sender_copy runs on a reader thread, the rest on
    the broker's thread; the ring has a mutex. One sender per process
    (repl_sender_global, for the operations' handlers).
*/
#ifndef REPL_SENDER_H
#define REPL_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_wire.h"
#include "store.h"

#define REPL_RING_BYTES (64u << 20) /* records kept for followers that return */
#define REPL_FOLLOWERS_MAX 8        /* connections following at once */
#define REPL_RING_ID_LEN 16         /* the ring's id, random at start */
#define REPL_COPY_MAX (1024u << 20) /* a full copy is one reply: at most this */

typedef struct _repl_sender_t repl_sender_t;

/* A sender for store whose ring keeps at most max_bytes of records (0:
   REPL_RING_BYTES). Sets the store's commit hook and makes it the
   process's sender (repl_sender_global). Returns NULL out of memory. */
repl_sender_t *repl_sender_new(store_t *store, size_t max_bytes);
void repl_sender_destroy(repl_sender_t **self_p);

/* The process's sender, or NULL (a standby, or none made). */
repl_sender_t *repl_sender_global(void);

/* The ring's id. */
void repl_sender_ring_id(const repl_sender_t *self, uint8_t id[REPL_RING_ID_LEN]);

/* Whether the records after (ring, n) are all in the ring: 0, or -1
   with why (another ring, n ahead of the last record, or records after
   n gone from the ring). */
int repl_sender_check_position(repl_sender_t *self, const uint8_t ring[REPL_RING_ID_LEN],
                               uint64_t n, char *why, size_t whylen);

/* Writes a compacted copy of the store to fd (store_copy_fd_at) with the
   seq and head it holds and n, the last record it holds: the records
   after n are the ones it lacks. Returns 0, or -1 with why. */
int repl_sender_copy(repl_sender_t *self, int fd, uint64_t *seq,
                     uint8_t head[NMIRF_HASH_LEN], uint64_t *n, char *why, size_t whylen);

/* Called for every reply about to be sent (broker's thread): an OK
   `repl.follow` reply (reply bytes as sent; its body's n) makes the
   connection id/id_len a follower from n + 1. Returns true if it did. */
bool repl_sender_on_reply(repl_sender_t *self, const uint8_t *id, size_t id_len,
                          const char *op, const uint8_t *reply, size_t reply_len);

/* Pushes each follower the records it has not had, on router (a libzmq
   ROUTER). Broker's thread. */
void repl_sender_drain(repl_sender_t *self, void *router);

/* Pushes ["rhb"][{n, seq, ts}] to every follower (the primary's last
   record, its seq, its time): a follower that hears nothing for a while
   follows again. Broker's thread. */
void repl_sender_heartbeat(repl_sender_t *self, void *router, uint64_t seq);

/* Followers now, and the last record number. */
size_t repl_sender_followers(repl_sender_t *self);
uint64_t repl_sender_last(repl_sender_t *self);

/* A standby's acknowledgement (PROTOCOL.md section 11): the message
   [routing id]["rack"][n] read on the ROUTER, frame the bytes after
   "rack". Taken only from a connection that follows (its routing id)
   with one msgpack uint at most the last record: then the highest record
   a standby holds on disk (repl_sender_acked) is raised to it and true
   is returned. False for anything else, which the caller refuses as any
   other bad request. Broker's thread. */
bool repl_sender_on_ack(repl_sender_t *self, const uint8_t *id, size_t id_len,
                        const uint8_t *frame, size_t len);

/* The standby's lag as the primary sees it, acked being the highest
   record a standby holds: *lag_ms, the ms since the commit of the oldest
   record after acked, at now_ms, and *lag_events, the events the records
   after acked appended (what a failover now would lose in asynchronous
   mode); both 0 if every record is acknowledged. Records that left the
   ring are not counted (the standby then needs a full copy anyway). A
   standby's own figures (follower.c) cannot see records still on their
   way to it. Any thread. */
void repl_sender_lag(repl_sender_t *self, uint64_t acked, uint64_t now_ms,
                     uint64_t *lag_ms, uint64_t *lag_events);

/* The highest record a standby has said it holds on disk in this run
   (an acknowledgement, or the position of an OK `repl.follow`): what
   synchronous mode waits for (broker.c). Broker's thread. */
uint64_t repl_sender_acked(const repl_sender_t *self);

#endif
