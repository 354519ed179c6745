/*  agent - what the files of nmirf-agent share: the agent's state and each
    part's entry points.

    nmirf-agent is one thread around one zloop reactor. Its parts, one per
    file: link.c (the broker: one DEALER for requests, replies and pushed
    events, the subscription, reachability, blocking reads),
    link_monitor.c (whether the broker lets our key in: a socket monitor
    on the DEALER), replica.c (the LMDB replica kept by snapshot + events),
    witness.c (the
    broker's latest signed checkpoint, kept; a broker going back refused),
    outbox.c (the
    durable queue of signed submissions and their resending), notify.c
    (notifications: log, hook, PUB socket, file), control.c (the local
    control socket the CLI talks to), agent_main.c (flags, start, stop).
*/
#ifndef AGENT_H
#define AGENT_H

#include <czmq.h>
#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "nmirf_checkpoint.h"
#include "nmirf_client.h"
#include "nmirf_keys.h"
#include "nmirf_wire.h"

#define AGENT_STALE_MS                                                                   \
    3000 /* broker unreachable after this long without contact, and                      \
           subscribe again after this long with nothing pushed */
#define AGENT_RESYNC_GAP 10000     /* further behind than this: snapshot, not events */
#define AGENT_PAGE 1000            /* events asked per events.since page */
#define AGENT_READ_TIMEOUT_MS 5000 /* one events.since call */
#define AGENT_SNAPSHOT_TIMEOUT_MS 60000 /* one snapshot call */
#define AGENT_RESULTS_MAX 100           /* broker answers kept for `nmirf outbox` */
#define AGENT_REFUSED_MAX 100           /* refused entries kept in the outbox db */
#define AGENT_TICK_MS 100               /* housekeeping timer */
#define AGENT_RETRY_FIRST_MS 1000       /* wait after a failed blocking read... */
#define AGENT_RETRY_MAX_MS 60000        /* ...doubled each failure up to this */
#define AGENT_REPORT_MS 5000            /* outbox length reported to the broker */
#define AGENT_KEY_RETRY_FIRST_MS 30000  /* a refused key: new connection after... */
#define AGENT_KEY_RETRY_MAX_MS 300000   /* ...doubled each refusal up to this */
#define AGENT_ZAP_RETRY_FIRST_MS 1000   /* ZAP 300 (store unreadable): again after... */
#define AGENT_ZAP_RETRY_MAX_MS 8000     /* ...doubled each time up to this */
#define AGENT_DUE_SOON_DAYS 14  /* `mine`: due-soon horizon, the broker's default */
#define AGENT_DUE_SOON_MAX 3650 /* ...and its limit, as the broker's */

/* The replica's named databases. */
typedef enum {
    AG_DB_META,        /* "seq" -> u64 BE: the last event applied */
    AG_DB_ENTITIES,    /* entity id -> entity record (as the broker's) */
    AG_DB_RECS,        /* recommendation id -> record */
    AG_DB_ASSIGNMENTS, /* recommendation id -> assignment record */
    AG_DB_REPORTS,     /* report id (u64 BE) -> report record */
    AG_DB_OUTBOX,      /* enqueue counter (u64 BE) -> queued signed request */
    AG_DB_STATUS,      /* recommendation id -> implementation status (str), as the
                          broker's: set by report.validated, loaded from snapshots */
    AG_DB_MEASURES,    /* measure id (u64 BE) -> measure record, as the broker's */
    AG_DB_COUNT
} agent_db_t;

/* A broker checkpoint (PROTOCOL.md section 10; its codec is proto/'s). */
typedef nmirf_checkpoint_t agent_checkpoint_t;

typedef struct _outbox_t outbox_t;
typedef struct _control_t control_t;
typedef struct _notify_t notify_t;

/* The agent: configuration, sockets and state. */
typedef struct {
    const char *dir;        /* data directory */
    const char *request_ep; /* broker's request endpoint */
    const char *events_ep;  /* broker's events endpoint (unused: events come on the
                               request connection; kept for the flag and logs) */
    const char *hook;       /* --hook command, or NULL */
    const char *notify_log; /* --notify-log file, or NULL */
    nmirf_key_t key;        /* our entity's keys (with secret) */
    char server_key[41];    /* the broker's CURVE public key, Z85 (-S) */
    uint8_t broker_sign_pk[NMIRF_SIGN_PK_LEN]; /* its checkpoint key (-S) */

    zloop_t *loop;    /* the reactor */
    zsock_t *dealer;  /* THE connection to the broker: requests, replies, pushes */
    zlist_t *stash;   /* pushed zmsg_t that came during a blocking read */
    zlist_t *replies; /* nmirf_reply_t read by link_next_push, not delivered */
    bool subscribed;  /* our `subscribe` was answered OK and pushes go on */
    bool sub_pending; /* a `subscribe` is sent, its reply awaited */
    uint8_t sub_id[NMIRF_ID_LEN]; /* its request id */
    int64_t sub_next;             /* monotonic ms before which no subscribe is sent */
    int64_t last_push;    /* monotonic ms of the last pushed message (or OK subscribe) */
    int64_t last_contact; /* monotonic ms of the last sign of the broker, 0 never */
    uint64_t broker_seq;  /* latest broker sequence seen (heartbeat, event, reply) */
    int64_t read_next;    /* monotonic ms before which no blocking read is tried */
    int read_backoff_ms;  /* wait after the next failed blocking read */
    bool contact_hold;    /* draining after a failed read: messages are not contact */
    int64_t report_next;  /* monotonic ms of the next outbox report (ping) */
    int64_t reported_at;  /* wall-clock ms of the last report sent, 0 never */
    size_t reported_outbox; /* the outbox length it carried */
    zsock_t *monitor;       /* PAIR end of the DEALER's socket monitor */
    bool key_refused;       /* the broker's ZAP refused our key at the last
                               handshake (link_monitor.c) */
    int key_retry_ms;       /* while refused: wait before a new connection */
    int key_retry_timer;    /* its zloop timer id, -1 if none */
    int zap_retry_ms;       /* ZAP 300 (the broker's store unreadable): wait
                               before a new connection, 0 if none pending */
    int zap_retry_timer;    /* its zloop timer id, -1 if none */

    MDB_env *env;             /* DIR/replica */
    MDB_dbi dbi[AG_DB_COUNT]; /* its databases */
    uint64_t seq;             /* replica sequence (mirrors meta "seq") */
    bool loaded;              /* the replica holds a snapshot (or events) */
    bool catchup;             /* behind the broker: fetch what is missing */
    bool resync;              /* an event could not be applied: reload a snapshot */
    uint64_t resync_gap;      /* further behind than this: a snapshot (AGENT_RESYNC_GAP;
                                 NMIRF_AGENT_RESYNC_GAP, read at start, for tests) */

    agent_checkpoint_t witness;      /* the latest broker checkpoint verified and
                                        kept (meta "checkpoint"); seq 0: none */
    agent_checkpoint_t witness_next; /* the one the last heartbeat carried */
    bool witness_pending;            /* ...not yet judged (witness_check) */
    agent_checkpoint_t witness_cand; /* a later one, verified, kept once the
                                        replica reaches its seq */
    bool witness_has_cand;           /* witness_cand is set */
    bool witness_cand_seen;          /* ...and the broker's event at its seq was
                                        hashed to its head (applied or fetched) */
    bool refused;                    /* the broker's log went back, forked or is
                                        signed by another key: nothing more is
                                        applied from it */
    char refused_why[384];           /* why, for the log and `status` */

    outbox_t *outbox;   /* outbox.c */
    control_t *control; /* control.c */
    notify_t *notify;   /* notify.c */
} agent_t;

/* --- link.c ------------------------------------------------------------ */

/* Makes the DEALER (CurveZMQ, connecting on its own). Returns 0 or -1. */
int link_open(agent_t *ag);
void link_close(agent_t *ag);

/* Replaces the DEALER (and its monitor) with a new one, connecting
   afresh: libzmq never retries a handshake the broker's ZAP refused
   (link_monitor.c). What was stashed stays. Returns 0 or -1 (then
   ag->dealer may be NULL until the next try). */
int link_reopen(agent_t *ag);

/* zloop reader of the DEALER: pushed events go to the replica, replies
   to the outbox (or to the subscription). */
int link_on_dealer(zloop_t *loop, zsock_t *dealer, void *arg);

/* Sends `subscribe` when not subscribed: at start, and again after
   AGENT_STALE_MS with nothing pushed (the broker restarted or rebound
   its sockets; the DEALER reconnects, the subscription does not come
   back by itself). Called by the housekeeping timer. */
void link_subscribe(agent_t *ag);

/* The next pushed message ([topic][event] or [hb][...]): first those
   stashed during a blocking read, then those on the DEALER. Replies met
   on the way are kept for link_flush_replies (the caller may hold a
   replica transaction). NULL when nothing waits. Caller destroys. */
zmsg_t *link_next_push(agent_t *ag);

/* True if pushed messages wait in the stash (zloop does not see them). */
bool link_stashed(const agent_t *ag);

/* Delivers the replies link_next_push kept: to the subscription or the
   outbox. Call with no replica transaction open. */
void link_flush_replies(agent_t *ag);

/* Notes that the broker just showed it is alive. */
void link_contact(agent_t *ag);

/* True if the broker was heard from within AGENT_STALE_MS. */
bool link_reachable(const agent_t *ag);

/* True if a blocking read may be tried now: the broker is reachable, we
   are subscribed, and the backoff after the last failed read has run
   out. */
bool link_may_read(const agent_t *ag);

/* Notes a failed blocking read (or a reply that could not be used): no
   read is tried for the backoff (1, 2, 4 ... 60 s), whatever heartbeats
   say meanwhile. */
void link_read_failed(agent_t *ag);

/* A blocking signed read (op with a packed body, NULL for {}) on the
   DEALER, waiting up to timeout_ms for its reply; pushes that come
   meanwhile are stashed, other replies delivered. Returns the ok reply
   (caller destroys) or NULL, logged.
   On a failure the broker counts as unreachable until a message read
   after this call returned (the caller drains what waits) and
   link_read_failed() is applied. On success the backoff is reset. */
nmirf_reply_t *link_read(agent_t *ag, const char *op, const uint8_t *body, size_t len,
                         int timeout_ms);

/* Every AGENT_REPORT_MS, and soon after the outbox length changes, sends
   a signed `ping {outbox}` through the DEALER without waiting, so that the
   broker's `status` shows what this agent still holds. Its reply is
   dropped by outbox_on_reply (no entry has its id). It also keeps the
   subscription alive (the broker drops one silent for 30 s). */
void link_report(agent_t *ag);

/* --- link_monitor.c ---------------------------------------------------- */

/* Watches the DEALER's handshakes (a socket monitor read on ag->loop).
   When the broker's ZAP handler refuses our CURVE key (not enrolled,
   revoked, or replaced by a rotation: the agent cannot tell which), the
   refusal is logged, delivered as a `key_refused` notification, and
   shown by `status` and `outbox` (ag->key_refused) until a handshake
   succeeds. libzmq does not retry a refused handshake on that socket:
   nothing more is sent until the agent is restarted (with an enrolled
   key). Returns 0, or -1 (logged; the agent runs without it). */
int link_monitor_open(agent_t *ag);
void link_monitor_close(agent_t *ag);

/* --- replica.c --------------------------------------------------------- */

/* Opens DIR/replica (creating it) and reads the replica's sequence.
   Returns 0 or -1 (logged). */
int replica_open(agent_t *ag);
void replica_close(agent_t *ag);

/* Applies the pushed events and heartbeats waiting (link_next_push), and
   catches up if they show a gap. */
void replica_on_pushed(agent_t *ag);

/* Housekeeping: applies what was stashed, loads the first snapshot, and
   catches up when behind. */
void replica_tick(agent_t *ag);

/* The digest of the replica (nmirf_digest.h) and the sequence it is at.
   Returns 0 or -1. */
int replica_digest(agent_t *ag, uint8_t out[NMIRF_HASH_LEN], uint64_t *seq);

/* Packs the array of assignments that name our entity (the `mine` body's
   `assignments`), from the replica alone. today (a valid YYYY-MM-DD) and
   due_soon_days mark each deadline: `days_left` (negative when late) and
   `due` "overdue" or "due_soon" as the broker's deadline events would,
   none for an implemented recommendation. Returns 0 or -1. */
int replica_pack_mine(agent_t *ag, const char *today, uint64_t due_soon_days,
                      msgpack_packer *pk);

/* --- witness.c --------------------------------------------------------- */

/* Reads the kept checkpoint (after replica_open). Returns 0 or -1
   (logged: an unreadable one). */
int witness_open(agent_t *ag);

/* Drops the kept checkpoint and the replica's sequence and chain head
   (--forget-checkpoint, after an operator decided the broker is right):
   the replica reloads from a snapshot. Returns 0 or -1. */
int witness_forget(agent_t *ag);

/* Puts the kept checkpoint into txn (after a snapshot load dropped the
   meta database). Returns an LMDB error code. */
int witness_put(agent_t *ag, MDB_txn *txn);

/* Checks that ev, the next event to apply in txn, follows the last one
   applied (its prev is meta "head", absent after a snapshot) and, at the
   candidate checkpoint's seq, hashes to its head; then makes ev the head.
   Returns 0, -1 after refusing the broker (a forked log), or an LMDB
   error code. */
int witness_on_event(agent_t *ag, MDB_txn *txn, const nmirf_event_t *ev);

/* Judges the broker's event at seq, hashed to hash (a fetched one, or
   the one being applied), against the kept checkpoint and the candidate
   at that seq; hash NULL: the broker has no event there, its log ends at
   last. A match makes the candidate seen. Returns 0, or -1 after
   refusing the broker (its log forked or went back). */
int witness_judge_event(agent_t *ag, uint64_t seq, const uint8_t *hash, uint64_t last);

/* True, with its seq, if the candidate checkpoint is at or below the
   replica's sequence but its event was never hashed (it came after the
   replica passed it, or a snapshot skipped it): replica.c fetches that
   event for witness_judge_event. */
bool witness_unseen(const agent_t *ag, uint64_t *seq);

/* Notes the checkpoint a heartbeat carried (a map or nil), to be judged
   by witness_check; safe while a replica transaction is open. */
void witness_take(agent_t *ag, const msgpack_object *cp);

/* Judges the noted checkpoint: a bad signature, a lower seq than the kept
   one (or the candidate), or the same seq with another head refuses the
   broker (ag->refused, logged); a higher one becomes the candidate, kept
   (synced) once the replica has reached it and the broker's event at its
   seq hashed to its head (witness_judge_event). Call with no replica
   transaction open. */
void witness_check(agent_t *ag);

/* --- outbox.c ---------------------------------------------------------- */

/* Loads the pending entries from the outbox db. Returns NULL on error. */
outbox_t *outbox_new(agent_t *ag);
void outbox_destroy(outbox_t **self_p);

/* Signs op/body as our entity once, with request id `id` (the caller's,
   e.g. the CLI's), stores it (synced) and queues it for sending. Returns
   0 or -1 with a reason. */
int outbox_enqueue(outbox_t *self, const char *op, const uint8_t *body, size_t len,
                   const uint8_t id[NMIRF_ID_LEN], char *why, size_t whylen);

/* What the outbox knows of request id: 1 if it is pending, 2 if it was
   answered (the answer kept in memory, the last AGENT_RESULTS_MAX; *reply_p
   is then a copy the caller destroys), 0 if unknown. */
int outbox_lookup(outbox_t *self, const uint8_t id[NMIRF_ID_LEN],
                  nmirf_reply_t **reply_p);

/* A broker reply (*reply_p, taken): the answer to a queued request, or
   nothing of ours (e.g. a ping's), dropped. Call with no replica
   transaction open (it commits the removal of the entry). */
void outbox_on_reply(agent_t *ag, nmirf_reply_t **reply_p);

/* Sends what is due (first sends and backed-off resends), in queue
   order: an entry whose last send failed goes before any later one. */
void outbox_tick(outbox_t *self);

/* A connection to the broker came up (link_monitor.c): every pending
   entry is due now, its backoff restarted, and they are sent oldest
   first. */
void outbox_on_connected(outbox_t *self);

/* How many entries wait for an answer. */
size_t outbox_pending(const outbox_t *self);

/* How many entries ended refused (kept, at most AGENT_REFUSED_MAX). */
size_t outbox_refused(const outbox_t *self);

/* Packs the `outbox` control body {key_refused, pending, refused, results,
   unreadable}. */
void outbox_pack(const outbox_t *self, msgpack_packer *pk);

/* --- notify.c ---------------------------------------------------------- */

/* Binds ipc://DIR/notify.sock and opens the --notify-log file. */
notify_t *notify_new(agent_t *ag);
void notify_destroy(notify_t **self_p);

/* Closes the notification file and opens ag->notify_log (NULL: none), as
   a SIGHUP asks (a new file name, or log rotation). Returns 0, or -1
   (logged) with no file open. */
int notify_reopen(notify_t *self);

/* If ev concerns our entity, adds its notification (a JSON text) to
   pending. txn is the replica transaction ev is applied in (read for the
   assignment of an updated recommendation). */
void notify_collect(agent_t *ag, MDB_txn *txn, const nmirf_event_t *ev, zlist_t *pending);

/* Delivers and frees the collected notifications (after the commit). */
void notify_deliver(agent_t *ag, zlist_t *pending);

/* Delivers the `refused` notification of an outbox entry (op, request
   id, its signed envelope for the recommendation it names) that the
   broker refused for good. */
void notify_refused(agent_t *ag, const char *op, const uint8_t id[NMIRF_ID_LEN],
                    const uint8_t *env, size_t env_len, const nmirf_reply_t *reply);

/* Delivers the `key_refused` notification: the broker refused our key in
   the handshake, with pending entries waiting. */
void notify_key_refused(agent_t *ag, size_t pending);

/* Reaps finished hook processes (non-blocking) and logs their failures. */
void notify_reap(notify_t *self);

/* --- control.c --------------------------------------------------------- */

/* Binds the ROUTER on ipc://DIR/agent.sock, mode 0660, and registers its
   reader on ag->loop. */
control_t *control_new(agent_t *ag);
void control_destroy(control_t **self_p);

/* zloop reader of the control ROUTER. */
int control_on_request(zloop_t *loop, zsock_t *router, void *arg);

/* The broker answered queued request id: a waiting `submit` gets it. */
void control_on_result(control_t *self, const uint8_t id[NMIRF_ID_LEN],
                       const nmirf_reply_t *reply);

/* Answers the waiting `submit`s whose time ran out with {queued}. */
void control_tick(control_t *self);

#endif
