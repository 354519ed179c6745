/*  writer - the thread that owns the store's write transaction: group
    commit.

    The broker's thread hands it checked requests (verifier.c), in arrival
    order. The writer takes every request already waiting (up to
    BROKER_BATCH_MAX, or until the replies hold BROKER_BATCH_BYTES) into
    one LMDB write transaction, applies each (dispatch_apply: a write in a
    nested transaction), commits once (synced: the durability point), and
    hands the batch back: the requests with their replies and the events the
    commit holds (a batch that appended events also commits a signed
    checkpoint of the new head, checkpoint_put). The broker's thread then
    sends the replies, then publishes the events. So no reply and no event
    leaves before its commit, and while the writer waits for the disk the
    broker's thread keeps reading and verifying the next batch. A lone
    request, when the thread is idle, is run on the broker's thread itself
    (writer_run): with nothing to overlap, a thread hand-off is only
    latency.
*/
#ifndef WRITER_H
#define WRITER_H

#include <czmq.h>
#include <stdbool.h>

#include "events.h"
#include "nmirf_keys.h"
#include "stats.h"
#include "store.h"
#include "request.h"

/* A committed (or refused) batch, back from the writer. */
typedef struct {
    request_t **requests;  /* the requests, replies filled in (owned) */
    size_t count;          /* how many */
    event_batch_t events;  /* what the commit holds, to publish */
    msgpack_sbuffer record; /* its commit record (store.h, the changelog), empty
                               if the changelog is off or nothing committed;
                               for the replication sender (a later task) */
} writer_batch_t;

typedef struct _writer_t writer_t;

/* Starts the writer thread on store; it counts in stats (which ping
   reads, on the same thread), and signs a checkpoint into each batch that
   grows the log with key (borrowed; must outlive the writer). Returns
   NULL on failure. */
writer_t *writer_new(store_t *store, broker_stats_t *stats, const nmirf_key_t *key);

/* Stops the thread once its current batch is done, and frees the requests it
   had not begun and the batches not taken back (unanswered). */
void writer_destroy(writer_t **self_p);

/* Queues a checked request (the writer takes it). Returns 0 or -1. */
int writer_submit(writer_t *self, request_t *req);

/* True if the thread has nothing of ours: no request handed to it is
   unanswered. */
bool writer_idle(writer_t *self);

/* Runs a batch of reqs[0..n) (1 <= n <= BROKER_BATCH_MAX) on the calling
   thread, as the writer thread would, and returns it. Only while
   writer_idle: then the thread waits and the write transaction is free.
   For a lone request, this saves two thread wake-ups. */
writer_batch_t *writer_run(writer_t *self, request_t **reqs, size_t n);

/* The descriptor that turns readable when batches come back. */
int writer_done(writer_t *self);

/* A batch that came back, or NULL. Never blocks. Caller destroys. */
writer_batch_t *writer_next(writer_t *self);

/* Destroys the batch's remaining requests and events. */
void writer_batch_destroy(writer_batch_t **batch_p);

#endif
