/*  subscribers - the request connections that asked for events
    (`subscribe`, PROTOCOL.md sections 6 and 7).

    An agent gets its events on the same CurveZMQ connection as its
    requests instead of a SUB of its own: libzmq holds tens of KiB per
    CURVE connection, and one connection per agent instead of two halves
    the broker's memory per agent. This is the table of those connections,
    keyed by the ROUTER routing id, with the entity and the time a request
    last came from it. The broker's main thread is its only user: it adds
    a connection when an OK `subscribe` reply goes out, touches it on every
    request, pushes each event and heartbeat to every entry, and expires
    entries that sent nothing for the TTL.

    Guarantee 5: pushing a batch's events, the table meets an
    `entity.revoked` or `entity.rotated` event in sequence order and drops
    every entry of that entity before pushing it, so nothing the revoking
    (or rotating) commit made, nor anything later, is pushed to a session
    of that entity. An entry cannot come back: `subscribe` is refused to a
    revoked entity and to a rotated-out key (dispatch.c). What libzmq
    already queued for the peer before that (events it was entitled to
    see) cannot be recalled: libzmq has no call to drop one ROUTER peer.

    Pushes are best-effort like the PUB's: sent with ZMQ_DONTWAIT on a
    ROUTER without ZMQ_ROUTER_MANDATORY, so a peer whose queue is full or
    that is gone loses the message and the main thread never blocks; the
    subscriber sees a gap, or a heartbeat ahead of it, and catches up with
    `events.since`.
*/
#ifndef SUBSCRIBERS_H
#define SUBSCRIBERS_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

#define SUBSCRIBERS_TTL_MS 30000 /* a subscription with no request this long ends */

typedef struct _subscribers_t subscribers_t;

/* An empty table whose entries expire after ttl_ms without a request.
   Returns NULL out of memory. */
subscribers_t *subscribers_new(int64_t ttl_ms);
void subscribers_destroy(subscribers_t **self_p);

/* The TTL: SUBSCRIBERS_TTL_MS, or NMIRFD_SUBSCRIBER_TTL_MS from the
   environment (10 ms to a day; a test hook, ARCHITECTURE.md). */
int64_t subscribers_ttl_ms(void);

/* Called for every reply about to be sent: if op is `subscribe` and the
   reply frame says ok, the connection (routing id id/id_len) is added, or
   its entry refreshed, for entity at now (ms). The reply bytes are the
   final word (a storage failure turns every reply of a batch into a
   refusal), so they are what is read. Returns true if it was added. */
bool subscribers_on_reply(subscribers_t *self, const uint8_t *id, size_t id_len,
                          const char *op, const char *entity, const uint8_t *reply,
                          size_t reply_len, int64_t now);

/* A request came from routing id: its entry, if any, lives on. */
void subscribers_touch(subscribers_t *self, const uint8_t *id, size_t id_len,
                       int64_t now);

/* Ends the subscriptions that sent no request for the TTL. Returns how
   many. */
size_t subscribers_expire(subscribers_t *self, int64_t now);

/* Ends every subscription of entity. Returns how many. */
size_t subscribers_drop_entity(subscribers_t *self, const char *entity);

/* Sends [topic][bytes] to every subscribed connection on router (a
   libzmq ROUTER socket): the bytes go into one message that each peer's
   copy shares (zmq_msg_copy), never blocking, dropped for a peer that
   cannot take it. */
void subscribers_push(subscribers_t *self, void *router, const char *topic,
                      const void *bytes, size_t len);

/* Pushes every event of a published batch under "ev/KIND", in order,
   dropping an entity's entries (subscribers_drop_entity) at its
   `entity.revoked` or `entity.rotated` event, before pushing that event. */
void subscribers_push_events(subscribers_t *self, void *router,
                             const event_batch_t *events);

#endif
