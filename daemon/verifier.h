/*  verifier - signature checks on threads of their own, ahead of the
    writer.

    The broker's thread reads requests off the ROUTER and hands each, as a
    job, to a verifier thread (a jobq: pointers only), which runs
    dispatch_check(): the envelope and the Ed25519 signature against the
    author's key in a read transaction. The job comes back marked done and
    the broker's thread, the only writer, applies jobs strictly in the
    order they arrived (the queue here is that order), so pipelined
    requests still see each other in order. The writer trusts a
    verification only if the author's key in its own transaction is the
    very key verified against (dispatch_apply), so a key rotated or
    revoked in between is caught.

    With 0 threads a job is checked at once on the caller's thread, as a
    one-thread broker did.
*/
#ifndef VERIFIER_H
#define VERIFIER_H

#include <czmq.h>
#include <stdbool.h>

#include "dispatch.h"
#include "store.h"

/* One request on its way from the ROUTER to its reply. */
typedef struct _verifier_job_t {
    zmq_msg_t identity;           /* ROUTER routing id */
    zmq_msg_t parts[3];           /* the first request frames, as received */
    size_t kept;                  /* how many of parts hold a frame */
    bool delimiter;               /* came from a REQ socket */
    const char *peer;             /* the connection's ZAP User-Id (in parts) */
    const char *peer_key;         /* its CURVE key, Z85 (ZAP metadata, in parts) */
    const uint8_t *frames[3];     /* request frames, in parts */
    size_t sizes[3];              /* their sizes */
    size_t count;                 /* how many frames there were */
    dispatch_checked_t checked;   /* dispatch_check's result */
    int check_rc;                 /* dispatch_check's return (-1: no memory) */
    bool done;                    /* checked (broker thread's view) */
    msgpack_sbuffer reply;        /* the reply frame, once applied */
    struct _verifier_job_t *next; /* next in arrival order */
} verifier_job_t;

typedef struct _verifier_t verifier_t;

/* Starts threads verifier threads (0: check inline) reading store.
   Returns NULL if a thread or socket cannot be made. */
verifier_t *verifier_new(store_t *store, int threads);

/* Stops the threads and frees every job still queued. */
void verifier_destroy(verifier_t **self_p);

/* Receives the next message waiting on router (a ROUTER socket) as a
   job: routing id, REQ delimiter and request frames split, no copy.
   Never blocks. Returns the job (caller owns it), or NULL if nothing
   waits (or no memory: then the message is dropped, and logged). */
verifier_job_t *verifier_job_recv(void *router);

/* Queues *job_p (taken, set to NULL) for checking. A request the caller
   says is alone (nothing behind it) is checked at once on the caller's
   thread if no thread is busy with ours: a hand-off would only add
   latency. */
void verifier_submit(verifier_t *self, verifier_job_t **job_p, bool alone);

/* True if no job is at the threads. */
bool verifier_idle(verifier_t *self);

/* The descriptor that turns readable when checked jobs come back: read
   it with verifier_collect. -1 with 0 threads. */
int verifier_results(verifier_t *self);

/* Marks every job that came back as done. Never blocks. */
void verifier_collect(verifier_t *self);

/* The oldest job if it is checked, taken off the queue (caller destroys),
   or NULL: jobs leave strictly in arrival order. */
verifier_job_t *verifier_next(verifier_t *self);

/* True if the oldest job is checked (verifier_next would return it). */
bool verifier_ready(verifier_t *self);

void verifier_job_destroy(verifier_job_t **job_p);

#endif
