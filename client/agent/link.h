/*  link - the agent's one connection to the broker (link.c, and
    link_monitor.c for its handshakes).

    The link owns the DEALER (CurveZMQ), the subscription to pushed events,
    what is known of the broker's reachability, and the replica's reads. It
    knows no other part: what it receives goes out through the callbacks
    given to link_new (agent_main.c wires them), and what others send goes
    through link_send and link_read_start.
*/
#ifndef LINK_H
#define LINK_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

typedef struct _link_t link_t;

/* Where the link hands what it receives. Each is called from the zloop
   thread, never from inside a link_* call that the receiver made for the
   same purpose (see each). arg is given back to every one. */
typedef struct {
    /* Pushed messages wait on the DEALER (its zloop reader fired): the
       receiver reads them with link_next_push. The replies met meanwhile
       are delivered right after (link_flush_replies). Not called while a
       read is in flight: what comes then is stashed. */
    void (*pushed)(void *arg);
    /* A reply that is neither a read's nor our `subscribe`'s: an
       answer to something sent with link_send (or a ping's). Takes
       *reply_p. Called with no replica transaction open. */
    void (*reply)(nmirf_reply_t **reply_p, void *arg);
    /* The broker's sequence a reply carried (any reply, before it is
       delivered): the broker is at least there. */
    void (*seq)(uint64_t seq, void *arg);
    /* Our `subscribe` was answered ok: pushes come from now on; seq is the
       broker's latest then. */
    void (*subscribed)(uint64_t seq, void *arg);
    /* A handshake with the broker succeeded (a connection came up). */
    void (*connected)(void *arg);
    /* The broker's ZAP handler refused our key in the handshake (once per
       series of refusals; zap_status is its status code). The link tries
       a new connection on its own, later. */
    void (*key_refused)(unsigned zap_status, void *arg);
    void *arg;
} link_events_t;

/* What `status` shows of the link (link_status). */
typedef struct {
    bool reachable;       /* the broker was heard from within AGENT_STALE_MS */
    bool key_refused;     /* the broker's ZAP refused our key at the last handshake */
    int64_t last_contact; /* monotonic ms of the last sign of the broker; 0 never,
                             or none since a read failed (that marks
                             the broker unreachable) */
    int64_t last_heard;   /* monotonic ms of the last sign of the broker; 0
                             never since the agent started (never reset) */
    int64_t reported_at;  /* wall-clock ms of the last outbox report sent, 0 never */
} link_status_t;

/* A link for the configuration conf (borrowed) on loop (borrowed), with
   the callbacks of events (copied). Nothing is connected yet: link_connect
   does that, once the parts the callbacks reach are made. Returns NULL on
   failure (logged). */
link_t *link_new(const agent_conf_t *conf, zloop_t *loop, const link_events_t *events);

/* Makes the DEALER (CurveZMQ, connecting on its own) and its monitor,
   and registers its reader on the loop. Returns 0 or -1 (logged). */
int link_connect(link_t *self);

/* Closes the DEALER, drops what was stashed, frees the link; NULLs
 *self_p. Safe on NULL. */
void link_destroy(link_t **self_p);

/* Sends `subscribe` when not subscribed: at start, and again after
   AGENT_STALE_MS with nothing pushed (the broker restarted or rebound
   its sockets; the DEALER reconnects, the subscription does not come
   back by itself). Called by the housekeeping timer. */
void link_subscribe(link_t *self);

/* The next pushed message ([topic][event] or [hb][...]): first those
   stashed during a read, then those on the DEALER. Replies met
   on the way are kept for link_flush_replies (the caller may hold a
   replica transaction). NULL when nothing waits. Caller destroys. */
zmsg_t *link_next_push(link_t *self);

/* True if pushed messages wait in the stash (zloop does not see them). */
bool link_stashed(const link_t *self);

/* Delivers the replies link_next_push kept: to the subscription or the
   reply callback. Call with no replica transaction open. */
void link_flush_replies(link_t *self);

/* Notes that the broker just showed it is alive (unless held). */
void link_contact(link_t *self);

/* While hold is true, messages read do not count as contact: after a
   failed read, what waits arrived (mostly) while we waited. */
void link_hold_contact(link_t *self, bool hold);

/* True if the broker was heard from within AGENT_STALE_MS. */
bool link_reachable(const link_t *self);

/* True if a read may be started now: none is in flight, the broker is
   reachable, we are subscribed, and the backoff after the last failed
   read has run out. */
bool link_may_read(const link_t *self);

/* The index in the list (-b) of the broker talked to: it changes when
   the link moves (link_failover). */
size_t link_broker(const link_t *self);

/* With several brokers, the signing key of the one talked to (its -S
   file), else NULL (self NULL too): the witness judges only the
   checkpoints a broker signed itself (witness_take). */
const uint8_t *link_sign_pk(const link_t *self);

/* Notes a failed read (or a reply that could not be used): no
   read is tried for the backoff (1, 2, 4 ... 60 s), whatever heartbeats
   say meanwhile. */
void link_read_failed(link_t *self);

/* How a read (link_read_start) ended: reply is its ok reply (the callee
   takes it), or NULL if it failed (logged: no reply within its timeout,
   or a refusal), after which the broker counts as unreachable until a
   message read after this call, and link_read_failed() is applied. On
   success the backoff is reset. Called once per read, from the zloop
   thread with no replica transaction open, never from inside
   link_read_start. */
typedef void(link_read_fn)(nmirf_reply_t *reply, void *arg);

/* Sends a signed read (op with a packed body, NULL for {}) on the DEALER
   and returns at once: its reply, matched by request id, or the end of
   timeout_ms (a zloop timer) goes to done(reply, arg). Until then the
   loop runs on (control requests are answered), pushes that come are
   stashed for the replica to apply after the read, in order, and other
   replies are delivered (the reply callback). One read at a time.
   Returns 0 (done will be called), or -1 if it could not be sent (no
   connection, or a read already in flight: logged, the failure applied
   as for a timeout; done is not called). With lazy_body the reply comes
   with its body left packed (nmirf_reply_decode_lazy: body_raw), for a
   reader that walks it in place (the replica's snapshot). */
int link_read_start(link_t *self, const char *op, const uint8_t *body, size_t len,
                    int timeout_ms, bool lazy_body, link_read_fn *done, void *arg);

/* True while a read is in flight. */
bool link_reading(const link_t *self);

/* Sends an already signed request (its envelope and signature, borrowed)
   without waiting; its answer comes through the reply callback. Returns
   0, or -1 if it could not be sent now (no connection: ZMQ_IMMEDIATE). */
int link_send(link_t *self, const uint8_t *env, size_t env_len,
              const uint8_t sig[NMIRF_SIG_LEN]);

/* Every AGENT_REPORT_MS, and soon after the outbox length (pending)
   changes, sends a signed `ping {outbox}` without waiting, so that the
   broker's `status` shows what this agent still holds. Its reply goes to
   the reply callback, which finds no entry of its id. It also keeps the
   subscription alive (the broker drops one silent for 30 s). */
void link_report(link_t *self, size_t pending);

/* With several brokers (conf->brokers, -b EP,EP): moves the connection
   to another broker when one said it is not the primary (a `not_primary`
   reply, a ping's reply with role standby, fenced, or an epoch below one
   seen) or when the one it talks to has given no sign for
   AGENT_FAILOVER_MS: to the primary it named if that is in the list,
   else the next. The DEALER is made anew (link_reopen); the outbox
   resends its pending entries there (the connected callback), the same
   signed bytes. Called by the housekeeping timer: a move decided while
   a reply was being delivered waits for it, never inside the DEALER's
   own reader. With one broker, nothing. */
void link_failover(link_t *self);

/* Fills st with the link's state, for `status`. */
void link_status(const link_t *self, link_status_t *st);

#endif
