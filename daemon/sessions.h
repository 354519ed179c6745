/*  sessions - live CurveZMQ sessions per entity, for the cap on them
    (max_sessions_per_entity, nmirfd.conf(5)) that the ZAP handler
    enforces.

    Why this is not simple. Each session costs the broker about 40 KiB in
    libzmq (buffers, CURVE state), so one key opening thousands of them
    costs the broker hundreds of MiB and slows everyone. libzmq 4.3.4's
    stable API never says which connection a ZAP request is about: the
    request carries the peer's IP address (no port) and no file
    descriptor; the socket monitor's ACCEPTED and DISCONNECTED events carry
    the connection's fd, and HANDSHAKE_SUCCEEDED carries neither fd nor
    address. So we tie them together by address:

    - ACCEPTED(fd): the connection is noted with its peer's numeric IP
      address (getpeername, formatted as libzmq formats the ZAP Address
      frame), unattributed.
    - ZAP allows entity E from address A: E is charged one session. If
      exactly one connection from A is live and unattributed, and nothing
      from A is charged without a connection, that connection is E's:
      exact. Otherwise (several handshakes from one address at once) the
      charge is held against A, not a connection.
    - DISCONNECTED(fd): an attributed connection gives its entity's
      charge back. An unattributed one from A lowers A's count of live
      unattributed connections; when A holds more charges than it has such
      connections, as many charges are surely dead: given back if all of
      A's charges are one entity's, else held until A has no unattributed
      connection left (then all are given back).
    - A request on the ROUTER names its connection's fd (ZMQ_SRCFD) and
      entity (User-Id): a charge of that entity held against A becomes
      that connection's (sessions_seen). So what stays held against an
      address is only sessions that never sent a request.

    So a live session is never uncounted (the cap cannot be bypassed by
    mixing refused and allowed handshakes from one address), and an
    entity is over-counted only while different entities handshake at the
    same instant from one address and their sessions live on without
    sending a request (a subscriber; an attacker's idle sessions). The ZAP
    handler drains the monitors first (sessions_set_drain), and libzmq
    emits a connection's ACCEPTED before its handshake starts on the same
    I/O thread (the broker keeps ZeroMQ's default of one), so a connection
    in ZAP is already noted. The monitors start before the sockets bind
    (broker.c): a connection accepted before them would not be counted,
    and after a restart the clients connect again at once.

    All calls on the broker's thread (the monitors and ZAP are read by its
    zloop). Cost: O(1) per event, plus a scan of the noted connections when
    an exact attribution is made (O(open connections) per handshake).
*/
#ifndef SESSIONS_H
#define SESSIONS_H

#include <stdbool.h>
#include <stddef.h>

#define SESSIONS_CAP_DEFAULT 64 /* max_sessions_per_entity's default */
#define SESSIONS_SOCKETS 2      /* the request (0) and events (1) sockets */

typedef struct _sessions_t sessions_t;

/* An empty table with the default cap. NULL on allocation failure. */
sessions_t *sessions_new(void);

void sessions_destroy(sessions_t **self_p);

/* Sets the cap (at least 1). Sessions over a lowered cap stay until they
   close; only new handshakes are refused. */
void sessions_set_cap(sessions_t *self, unsigned cap);

/* Calls drain(arg) before each sessions_admit, to read every monitor
   event already emitted (health_drain). */
void sessions_set_drain(sessions_t *self, void (*drain)(void *arg), void *arg);

/* Monitor of socket sock (0 or 1): a connection was accepted on fd / fd
   was disconnected. Each socket's connections are kept apart: the two
   monitors are read in no fixed order between them, and an fd closed on
   one socket may be reused at once on the other. */
void sessions_accepted(sessions_t *self, int sock, int fd);
void sessions_closed(sessions_t *self, int sock, int fd);

/* A request came on fd of socket sock from entity (its ZAP User-Id): if the connection
   is still unattributed and entity holds a charge against its address,
   that charge becomes this connection's. Sessions that send requests
   (agents, the CLI) are so attributed exactly at their first request,
   whatever handshakes ran at the same time. */
void sessions_seen(sessions_t *self, int sock, int fd, const char *entity);

/* ZAP: entity (an active entity's id) handshakes from address (the ZAP
   Address frame). Returns true and charges the entity one session, or
   false if it holds the cap already (nothing charged). */
bool sessions_admit(sessions_t *self, const char *entity, const char *address);

/* Sessions charged to entity now. */
size_t sessions_count(sessions_t *self, const char *entity);

/* Gives freed memory back to the system (malloc_trim) if many
   connections opened or closed since the last time; returns true if it
   did. Call from a timer: each connection's buffers are freed by libzmq's
   I/O thread when it closes, and each handshake leaves freed blocks
   behind (its messages, the ZAP request and reply), but glibc keeps freed
   heap below its top, so without this the broker's RSS stays at its
   peak (1,000 agents connecting: about 3 MiB less). Costs a walk of the
   heaps (milliseconds), at most once per call. */
bool sessions_trim(sessions_t *self);

/* The cap in force. */
unsigned sessions_cap(const sessions_t *self);

#endif
