/*  verifier - signature checks on threads of their own, ahead of the
    writer.

    The broker's thread reads requests off the ROUTER (request.c) and hands
    each to a verifier thread (a jobq: pointers only), which runs
    dispatch_check(): the envelope and the Ed25519 signature against the
    author's key in a read transaction. The request comes back marked done and
    the broker's thread, the only writer, applies requests strictly in the
    order they arrived (the queue here is that order), so pipelined
    requests still see each other in order. The writer trusts a
    verification only if the author's key in its own transaction is the
    very key verified against (dispatch_apply), so a key rotated or
    revoked in between is caught.

    With 0 threads a request is checked at once on the caller's thread, as a
    one-thread broker did.
*/
#ifndef VERIFIER_H
#define VERIFIER_H

#include <czmq.h>
#include <stdbool.h>

#include "request.h"
#include "store.h"

typedef struct _verifier_t verifier_t;

/* Starts threads verifier threads (0: check inline) reading store.
   Returns NULL if a thread or socket cannot be made. */
verifier_t *verifier_new(store_t *store, int threads);

/* Stops the threads and frees every request still queued. */
void verifier_destroy(verifier_t **self_p);

/* Queues *req_p (taken, set to NULL) for checking. A request the caller
   says is alone (nothing behind it) is checked at once on the caller's
   thread if no thread is busy with ours: a hand-off would only add
   latency. */
void verifier_submit(verifier_t *self, request_t **req_p, bool alone);

/* True if no request is at the threads. */
bool verifier_idle(verifier_t *self);

/* The descriptor that turns readable when checked requests come back: read
   it with verifier_collect. -1 with 0 threads. */
int verifier_results(verifier_t *self);

/* Marks every request that came back as done. Never blocks. */
void verifier_collect(verifier_t *self);

/* The oldest request if it is checked, taken off the queue (caller destroys),
   or NULL: requests leave strictly in arrival order. */
request_t *verifier_next(verifier_t *self);

/* True if the oldest request is checked (verifier_next would return it). */
bool verifier_ready(verifier_t *self);

#endif
