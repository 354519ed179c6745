/*  readers - read-only operations on threads of their own, beside the
    writer.

    A read (an operation marked .reader in ops.c: stats, snapshot,
    rec.list, events.since, ...) used to run in the writer's batch
    transaction, so a 100,000-recommendation `stats` held every commit
    behind it for its whole run. LMDB readers never block the writer: here
    each read runs on a reader thread in a read transaction of its own,
    begun after the request was taken (dispatch_read), and the request
    comes back to the broker's thread with its reply filled in, which
    sends it. The checks (author, key, signature, request id) are the
    writer's, in that read transaction.

    What a read sees: its transaction begins after the broker received
    the request, and a write's reply leaves only after its commit, so a
    read sees every write whose reply was sent before the read was
    received (PROTOCOL.md section 3). Replies on one connection may come
    back in another order than the requests: they carry the request id.

    Bounded: at most READERS_QUEUE_PER_THREAD requests per thread wait at
    the threads; past that they wait here, on the broker's thread, and go
    to the threads as these hand answers back. The broker's own bound on
    requests in flight (BROKER_QUEUE_MAX) bounds both. Nothing here blocks
    the caller.

    Ownership: readers_submit takes the request; readers_next gives it
    back (the caller sends and destroys it). After readers_stop a request
    may come back unanswered (its reply empty): the caller destroys it
    without a reply, and its client resends.

    All functions but the threads' own are called on the broker's thread.
*/
#ifndef READERS_H
#define READERS_H

#include <stdbool.h>

#include "request.h"
#include "stats.h"
#include "store.h"

#define READERS_QUEUE_PER_THREAD 256 /* requests waiting at each thread */

typedef struct _readers_t readers_t;

/* Starts threads reader threads (0: none; every request then goes to the
   writer, as before) on store; stats is borrowed (the threads read its
   atomics only). Returns NULL if a thread or queue cannot be made. */
readers_t *readers_new(store_t *store, broker_stats_t *stats, int threads);

/* Stops the threads (each finishes the request it runs) and frees every
   request still held, unanswered. */
void readers_destroy(readers_t **self_p);

/* True if req should go to the readers: there are reader threads, the
   request passed the checks that need no transaction, and its operation
   is marked reader-safe. */
bool readers_wants(const readers_t *self, const request_t *req);

/* Takes req (checked, readers_wants true) for a reader thread. Never
   fails, never blocks: past the threads' queue it waits here. */
void readers_submit(readers_t *self, request_t *req);

/* The descriptor that turns readable when answered requests come back
   (then readers_next). -1 with no threads. */
int readers_done(const readers_t *self);

/* An answered request, or NULL (never blocks). The caller sends its reply
   (empty after readers_stop: none) and destroys it. Each call also moves
   waiting requests to the threads as room frees. */
request_t *readers_next(readers_t *self);

/* True if no request is held: none at the threads, none waiting. */
bool readers_idle(const readers_t *self);

/* From now on the threads answer only the request they are running; the
   others come back unanswered, and those waiting here are freed. For a
   stop (broker_run). */
void readers_stop(readers_t *self);

#endif
