/*  broker - the sockets, the event loop, and the flow of requests between
    the broker's threads.

    The broker's thread owns the ROUTER (requests) and the PUB (events).
    It reads every waiting request and hands it to a verifier thread
    (verifier.c: envelope and signature), then, in arrival order, to the
    writer thread (writer.c), which takes every request already waiting (up
    to BROKER_BATCH_MAX) into one batch: each runs in a transaction nested
    in the batch's, then the batch commits with one synced LMDB commit. The
    batch comes back here: every reply is sent, then every event is
    published. So no reply leaves before its write is on disk, and no event
    is published that the store does not hold. A lone request, when no
    thread is busy, is checked and committed here at once. A reader-safe
    read (ops.c) goes instead to a reader thread (readers.c), which answers
    it in a read transaction of its own and hands it back here to be sent:
    no read holds a commit back.

    Both sockets are CurveZMQ servers with the key of DATADIR/keys/
    NMIRFD.key; zap.c decides who connects. After a batch that committed a
    revocation or a key rotation the sockets are recreated on the same
    endpoints, which ends every open session (PROTOCOL.md section 1). Each
    batch that grows the log commits a signed checkpoint of its new head
    (writer.c); a timer, every CHECKPOINT_INTERVAL_MS, signs whatever else
    grew it (nothing, today: the deadline scan signs its own).

    Synchronous mode (opts.synchronous; docs/REPLICATION.md): a batch
    that comes back is not answered at once. Its commit records go to the
    standbys first (repl_sender_drain), then its writes' replies and its
    events wait in a queue (sync_wait.h) until a standby acknowledges the
    last record made by then, and leave in order; its reads' replies go at
    once (they acknowledge nothing). The writer keeps committing the next
    batches meanwhile. The acknowledgements come on the ROUTER
    (["rack"][n], PROTOCOL.md section 11), so the ROUTER is read while
    anything is held, even past BROKER_QUEUE_MAX requests in flight: then
    every message but an acknowledgement is dropped unanswered (its client
    resends). At a stop, the acknowledgements that come within
    BROKER_STOP_ACK_MS release what they cover; the replies still held
    then are dropped unanswered.
*/
#ifndef BROKER_H
#define BROKER_H

#include <stdbool.h>
#include <stddef.h>

#include "checkpoint.h"
#include "stats.h"
#include "store.h"

#define BROKER_BATCH_MAX 512                 /* requests in one commit */
#define BROKER_HEARTBEAT_MS 1000             /* "hb" event period */
#define BROKER_BATCH_BYTES (64u << 20)       /* reply bytes one batch may hold */
#define BROKER_MAX_MESSAGE (4 * 1024 * 1024) /* ZeroMQ drops bigger frames */
#define BROKER_PEER_QUEUE 64                 /* messages queued per client */
#define BROKER_PUSH_HWM 100000               /* ...sent to it: replies, pushes */
#define BROKER_SLOW_COMMIT_MS 100            /* default slow-commit threshold */
#define BROKER_QUEUE_MAX 4096                /* requests read, not yet answered */
#define BROKER_INLINE_MAX 4                  /* lone requests run without hand-off */
#define BROKER_STOP_WAIT_MS 10000            /* at a stop, for the writer's last batch */
#define BROKER_SYNC_WARN_MS 10000            /* log held replies this often */
#define BROKER_STOP_ACK_MS 1000              /* at a stop, for a standby's last acks */

typedef struct {
    const char *request_ep; /* ROUTER bind endpoint */
    const char *events_ep;  /* PUB bind endpoint */
    const char *datadir;    /* where the endpoints file goes */
    const nmirf_key_t *key; /* the broker's own keys, NMIRFD (borrowed): CURVE
                               server, checkpoint signatures */
    struct _role_t *role;   /* primary or standby (role.h; borrowed, NULL: a
                               primary): a standby signs no checkpoint and
                               runs no deadline scan, its store is the
                               primary's */
    /* Settings SIGHUP may change (broker_configure); 0 takes the default. */
    unsigned slow_commit_ms;         /* log a commit slower than this (default
                                        BROKER_SLOW_COMMIT_MS) */
    unsigned checkpoint_interval_ms; /* checkpoint timer (CHECKPOINT_INTERVAL_MS) */
    unsigned due_soon_days;          /* deadline horizon: an assignment is due soon
                                        this many days before its deadline
                                        (DEADLINES_DUE_SOON_DAYS) */
    unsigned max_sessions;           /* CURVE sessions one entity may hold at once
                                        (max_sessions_per_entity;
                                        SESSIONS_CAP_DEFAULT) */
    unsigned request_window_s;       /* writes older than this are refused `stale`;
                                        0 is no bound (always applied, even 0) */
    bool synchronous;                /* answer a write only once a standby holds
                                        its commit (docs/REPLICATION.md,
                                        "Synchronous mode"; always applied) */
    int verifiers;                   /* signature-checking threads (0: none, the
                                        broker's thread checks everything) */
    int readers;                     /* read-only operations' threads (0: none,
                                        reads run in the writer's batches) */
} broker_opts_t;

typedef struct _broker_t broker_t;

/* Binds the sockets and writes DATADIR/endpoints. The store is borrowed.
   Returns NULL with a reason. */
broker_t *broker_new(store_t *store, const broker_opts_t *opts, char *why, size_t whylen);

/* Serves until SIGINT or SIGTERM, then answers and publishes what the
   writer thread was committing. Returns 0. */
int broker_run(broker_t *self);

/* How many requests the writer held at the stop signal, committed and
   answered by broker_run before it returned. */
size_t broker_stop_answered(const broker_t *self);

/* The broker's reactor, for the service glue's timers and readers (the
   watchdog, SIGHUP). Borrowed. */
zloop_t *broker_loop(broker_t *self);

/* Applies opts' reloadable settings (slow_commit_ms,
   checkpoint_interval_ms, due_soon_days, max_sessions, request_window_s,
   synchronous: off releases every held reply at once); the others are
   ignored. */
void broker_configure(broker_t *self, const broker_opts_t *opts);

/* The broker's counters. Borrowed. */
const broker_stats_t *broker_stats(const broker_t *self);

void broker_destroy(broker_t **self_p);

#endif
