/*  health - what `status` reports beyond the counters: the open
    connections on the broker's two sockets, and each agent's outbox as it
    last reported it (PROTOCOL.md, status).

    Connections are counted with a ZeroMQ socket monitor on the ROUTER and
    on the PUB, read by the broker's own zloop: ACCEPTED adds one,
    DISCONNECTED takes one away. A handshake that ZAP refuses is closed at
    once, so it leaves the count within milliseconds; what stays counted is
    a CurveZMQ session of an entity that was enrolled when it connected
    (a session stays open after a revocation: the broker refuses its
    requests, libzmq cannot drop it). The sockets live as long as the
    broker, so they are watched once: a monitor whose events nobody reads
    would block libzmq's I/O thread, and there is never a second one.

    Agents report with a periodic `ping` whose body carries `outbox`; the
    table is in memory only (a restarted broker learns it again within one
    report period) and holds at most one row per enrolled entity, since
    only authenticated requests reach it.
*/
#ifndef HEALTH_H
#define HEALTH_H

#include <czmq.h>
#include <msgpack.h>
#include <stdint.h>

#include "sessions.h"

typedef struct _health_t health_t;

/* A fresh table with nothing watched. NULL on allocation failure. */
health_t *health_new(void);

/* Frees the table and closes the monitors; call after the zloop that read
   them and the sockets they watch are destroyed. */
void health_destroy(health_t **self_p);

/* Starts monitoring router and pub, reading the monitors on loop. Call
   once, for the broker's lifetime sockets. Returns 0 or -1. */
int health_watch(health_t *self, zloop_t *loop, zsock_t *router, zsock_t *pub);

/* Tells sessions (borrowed; NULL: nobody) of every connection accepted
   and disconnected on the watched sockets, and resets it whenever the
   sockets are watched anew. */
void health_set_sessions(health_t *self, sessions_t *sessions);

/* Reads every monitor event already waiting, without blocking (the ZAP
   handler calls it through sessions_set_drain, so that a connection's
   ACCEPTED is counted before its handshake is decided). arg is the
   health_t. */
void health_drain(void *arg);

/* Notes that entity reported outbox pending submissions at time now (ms).
   A NULL self is ignored (a dispatch outside the broker, e.g. the fuzzer). */
void health_agent_report(health_t *self, const char *entity, uint64_t outbox,
                         uint64_t now);

/* Packs two map entries: "connections" {requests, events, handshakes_ok,
   handshakes_refused} and "agents" [{entity, reported, outbox}] sorted by
   entity. A NULL self packs zeros and an empty array. */
void health_pack(health_t *self, msgpack_packer *pk);

#endif
