/*  stats - the broker's running counters, read by `ping` and `status` (and so
    by the benchmark, which derives the mean number of writes per commit),
    and the few settings that the writer thread and the operations read
    while SIGHUP may change them on the broker's thread (atomics), and the
    latency split of acknowledged writes (`status`, "latency"). */
#ifndef STATS_H
#define STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "nmirf_hist.h"

/* A histogram of durations (nmirf_hist.h buckets). Only the broker's
   thread adds to it (request_sent); `status`, on whichever thread runs
   it, reads it: relaxed atomics, no lock, a count at most a request
   behind. */
typedef struct {
    atomic_uint_least64_t counts[NMIRF_HIST_BUCKETS];
} stats_hist_t;

typedef struct {
    uint64_t started;           /* start time, ms */
    uint64_t requests;          /* requests answered */
    uint64_t writes;            /* writes committed */
    uint64_t commits;           /* synced commits that held them */
    uint64_t commit_us;         /* time spent in those commits (page writes and
                                   syncs), microseconds */
    uint64_t last_commit;       /* time of the last synced commit, ms (0: none yet) */
    uint64_t last_batch;        /* writes committed by the latest commit */
    struct _health_t *health;   /* connections and agents' outboxes (health.h), for
                                   status; NULL outside the broker */
    struct _role_t *role;       /* primary or standby, the epoch heard (role.h);
                                   NULL outside the broker: a primary */
    /* Where an acknowledged write's time goes (request.h's stamps), since
       start: queue (receipt to the writer taking it, verification
       included), commit (the writer taking it to its commit synced: the
       rest of its batch and the sync) and reply (synced to the reply
       handed to ZeroMQ). A sum of the three per write is its ack time in
       the broker. */
    stats_hist_t lat_queue, lat_commit, lat_reply;
    atomic_uint slow_commit_ms; /* log a commit slower than this (0: never) */
    atomic_uint due_soon_days;  /* the deadline horizon, for stats (0: default) */
    atomic_uint_least64_t reads;  /* requests answered by the reader threads
                                     (readers.c), beside requests */
    atomic_uint request_window_s; /* a write whose ts is older is `stale` (0: no
                                     bound in the past; dispatch.c) */
    /* Synchronous replication (broker.c, sync_wait.h), for status: set on
       the broker's thread, read on any. */
    atomic_bool sync_on;                  /* synchronous = on */
    atomic_uint_least64_t sync_followers; /* standbys following now */
    atomic_uint_least64_t sync_acked;     /* highest record a standby holds */
    atomic_uint_least64_t sync_waiting;   /* replies held for a standby */
    atomic_uint_least64_t sync_oldest_ms; /* when the oldest held was queued
                                             (wall-clock ms; 0: none) */
} broker_stats_t;

#endif
