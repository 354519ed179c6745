/*  request - one request on its way through the broker, from the ROUTER
    to its reply.

    Every stage works on the same request, in place; none copies it:
    1. request_recv (the broker's thread) makes it from the next message on
       the ROUTER: the routing id, the REQ delimiter and the request frames
       split, each frame kept as the zmq_msg_t it arrived in. The broker
       owns it.
    2. verifier_submit takes it into the verifier's queue, in arrival order
       (linked through next). A verifier thread, or the broker's thread
       with no thread free, fills checked and check_rc; the broker's thread
       then marks it done (verifier_collect).
    3. verifier_next gives it back to the broker, checked, strictly in
       arrival order; the broker hands it on to the writer (writer_submit,
       or writer_run on its own thread), which fills reply and returns it
       in a writer_batch_t (the batch owns it); or, a reader-safe read, to
       a reader thread (readers_submit), which fills reply in a read
       transaction of its own and hands it back (readers_next).
    4. The broker sends the reply (the reply's buffer goes to ZeroMQ as it
       is), counts its times (request_sent) and destroys the request
       (request_destroy).
    Four stamps (monotonic microseconds) follow a write through these
    stages, for the latency split `status` gives (stats.h): received
    (request_recv), taken by the writer and synced (writer.c), sent
    (request_sent).
    Whoever holds it may destroy it: a request dropped on the way (out of
    memory, a stopping writer) is never answered, and its client resends.
*/
#ifndef REQUEST_H
#define REQUEST_H

#include <czmq.h>
#include <stdbool.h>

#include "dispatch.h"
#include "stats.h"

typedef struct _request_t {
    zmq_msg_t identity;         /* ROUTER routing id */
    zmq_msg_t parts[3];         /* the first request frames, as received */
    size_t kept;                /* how many of parts hold a frame */
    bool delimiter;             /* came from a REQ socket */
    const char *peer;           /* the connection's ZAP User-Id (in parts) */
    const char *peer_key;       /* its CURVE key, Z85 (ZAP metadata, in parts) */
    const uint8_t *frames[3];   /* request frames, in parts */
    size_t sizes[3];            /* their sizes */
    size_t count;               /* how many frames there were */
    dispatch_checked_t checked; /* dispatch_check's result (the verifier's) */
    int check_rc;               /* dispatch_check's return (-1: no memory) */
    bool done;                  /* checked (broker thread's view) */
    msgpack_sbuffer reply;      /* the reply frame, once applied (the writer's) */
    uint64_t recv_us;           /* stamps, monotonic us: received (request_recv) */
    uint64_t writer_us;         /* taken into a batch by the writer */
    uint64_t synced_us;         /* its commit synced (0: not a write, or refused) */
    struct _request_t *next;    /* next in arrival order (the verifier's queue) */
} request_t;

/* Receives the next message waiting on router (a ROUTER socket) as a
   request: routing id, REQ delimiter and request frames split, no copy.
   Never blocks. Returns the request (caller owns it), or NULL if nothing
   waits (or no memory: then the message is dropped, and logged). */
request_t *request_recv(void *router);

/* Counts a request whose reply was just handed to ZeroMQ in stats's
   latency histograms, if it is a write that committed (synced_us set).
   The broker's thread only. */
void request_sent(const request_t *req, broker_stats_t *stats);

/* Frees the request, its frames, its check's result and its reply (if not
   released to ZeroMQ), and sets *self_p to NULL. Safe on NULL. */
void request_destroy(request_t **self_p);

#endif
