/*  request - one request on its way through the broker. */
#include "request.h"
#include "nmirf_log.h"
#include "nmirf_util.h"
#include "zap.h"

#include <stdlib.h>

/* Receives the rest of a message whose first frame was read: closes its
   frames. */
static void
s_discard_rest(void *router, bool more)
{
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, router, 0) < 0)
            break;
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
}

request_t *
request_recv(void *router)
{
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&part);
        return NULL;
    }
    uint64_t now = nmirf_mono_us();
    request_t *req = calloc(1, sizeof *req);
    if (!req) {
        bool more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        s_discard_rest(router, more);
        log_warnx("out of memory: a request was dropped");
        return NULL;
    }
    req->recv_us = now;
    zmq_msg_init(&req->identity);
    zmq_msg_move(&req->identity, &part);
    zmq_msg_close(&part);
    /* The rest of a message is there at once: ZeroMQ delivers whole
       messages. */
    bool more = zmq_msg_more(&req->identity), first = true;
    while (more) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, router, 0) < 0) {
            /* (Interrupted between frames: not expected.) The rest must
               not be taken for the next message's routing id. */
            zmq_msg_close(&part);
            s_discard_rest(router, true);
            break;
        }
        more = zmq_msg_more(&part);
        if (first && zmq_msg_size(&part) == 0)
            req->delimiter = true; /* a REQ client's, echoed in the reply */
        else if (req->kept < 3) {
            zmq_msg_init(&req->parts[req->kept]);
            zmq_msg_move(&req->parts[req->kept], &part);
            req->frames[req->kept] = zmq_msg_data(&req->parts[req->kept]);
            req->sizes[req->kept] = zmq_msg_size(&req->parts[req->kept]);
            req->kept++;
            req->count++;
        } else
            req->count++; /* too many frames: refused by count alone */
        first = false;
        zmq_msg_close(&part);
    }
    /* The entity ZAP authenticated this connection as (zap.c); libzmq puts
       it on every message the connection delivers. */
    req->peer = req->kept ? zmq_msg_gets(&req->parts[0], "User-Id") : NULL;
    /* And the key it connected with (zap.c), to catch a rotated-out one. */
    req->peer_key = req->kept ? zmq_msg_gets(&req->parts[0], ZAP_KEY_PROPERTY) : NULL;
    msgpack_sbuffer_init(&req->reply);
    return req;
}

/* Adds one to the bucket of us. The broker's thread is the only one to
   add: a load and a store, no read-modify-write. */
static void
s_hist_add(stats_hist_t *h, uint64_t us)
{
    atomic_uint_least64_t *c = &h->counts[nmirf_hist_bucket(us)];
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

void
request_sent(const request_t *req, broker_stats_t *stats)
{
    if (!req->synced_us)
        return;
    uint64_t now = nmirf_mono_us();
    /* Monotonic stamps from three threads: never backwards, but clamp
       anyway rather than count a wrapped difference. */
    uint64_t taken = req->writer_us > req->recv_us ? req->writer_us : req->recv_us;
    uint64_t synced = req->synced_us > taken ? req->synced_us : taken;
    s_hist_add(&stats->lat_queue, taken - req->recv_us);
    s_hist_add(&stats->lat_commit, synced - taken);
    s_hist_add(&stats->lat_reply, now > synced ? now - synced : 0);
}

void
request_destroy(request_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    request_t *req = *self_p;
    dispatch_checked_free(&req->checked);
    msgpack_sbuffer_destroy(&req->reply);
    zmq_msg_close(&req->identity);
    for (size_t i = 0; i < req->kept; i++)
        zmq_msg_close(&req->parts[i]);
    free(req);
    *self_p = NULL;
}
