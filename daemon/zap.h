/*  zap - the broker's ZAP handler (ZeroMQ RFC 27): who may connect.

    libzmq asks the handler on inproc://zeromq.zap.01 about every CURVE
    handshake on a socket with a ZAP domain. We allow a connection iff its
    mechanism is CURVE and its client public key is the curve_key of an
    entity whose state is "active", and we name that entity as the
    connection's User-Id, which dispatch then binds to the envelope's
    author, unless that entity holds max_sessions_per_entity sessions
    already (sessions.h), and give the key itself as the connection's
    ZAP_KEY_PROPERTY, which dispatch compares with the entity's current key
    on every request (a session opened before a rotation is refused from
    the rotation on). Anything else, malformed requests included, is
    refused.

    The handler is a REP socket read by the broker's own zloop: the thread
    that commits enrolments and revocations is the one that answers, so a
    connection made right after a commit sees it. The socket must be bound
    before any CURVE server socket accepts: with no handler bound, libzmq
    lets every CURVE client in unless the server socket enforces its ZAP
    domain (ZMQ_ZAP_ENFORCE_DOMAIN, which the broker's servers set).

    Memory. libzmq gives each connection's session a pipe to this socket
    for its handshake and keeps it until the connection closes: two queue
    chunks of 256 messages (32 KiB allocated, about 8 KiB touched) per
    connected agent, for nothing after the handshake. The only way to free
    them is to close this end, so zap_renew binds a fresh socket and
    closes the old one a tick later, once enough handshakes were answered.

    Cost: each handshake scans the entities database in a read transaction
    (O(entities), a few hundred at most for one government). Handshakes
    happen once per connection, not per request, so no index is kept.
*/
#ifndef ZAP_H
#define ZAP_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#include "sessions.h"
#include "store.h"

#define ZAP_DOMAIN "nmirf"                    /* zsock_set_zap_domain of our servers */
#define ZAP_ENDPOINT "inproc://zeromq.zap.01" /* fixed by RFC 27 */
#define ZAP_KEY_PROPERTY "X-Curve-Key"        /* metadata: the client's key, Z85 */

/* zmq.h 4.3.4 lists it among the draft options, but the stable library
   takes it (Debian's libzmq 4.3.4: setsockopt returns 0, and a handshake
   with no handler bound is refused; zap_renew_test checks the refusal). */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

typedef struct _zap_t zap_t;

/* Binds the handler in the process's ZeroMQ context. The store is
   borrowed. Returns NULL with a reason (another handler is bound, ...). */
zap_t *zap_new(store_t *store, char *why, size_t whylen);

/* The REP socket, for the caller's reactor. */
zsock_t *zap_sock(zap_t *self);

/* The live sessions per entity and their cap (sessions.h), owned by the
   handler: the broker wires the socket monitors to it and sets the cap. */
sessions_t *zap_sessions(zap_t *self);

/* zloop reader: answers one waiting ZAP request. arg is the zap_t.
   Always returns 0 (a bad request is refused, never fatal). */
int zap_on_request(zloop_t *loop, zsock_t *sock, void *arg);

/* Call from a timer (the heartbeat, every second). Once S_RENEW_AFTER
   requests were answered, unbinds the socket and binds a fresh one, read
   on loop; on the next call closes the old one (answering what it still
   holds), which frees the ZAP pipes of every connection that finished its
   handshake. Established connections are not touched: libzmq's session
   only forgets its pipe. A handshake that looks for the handler in the
   instant between the unbind and the bind is refused and retried by its
   client. Returns true if it renewed or closed a socket. fatalx if the
   endpoint can be bound by neither socket again (it is ours alone). */
bool zap_renew(zap_t *self, zloop_t *loop);

/* The entity whose active curve_key is key (32 raw bytes), into id.
   Returns 0, 1 if none (or two active entities share it), or -1 if the
   store cannot be read (ZAP then answers 300, temporary, not 400). */
int zap_lookup(store_t *store, const uint8_t key[32], char *id, size_t idlen);

void zap_destroy(zap_t **self_p);

#endif
