/*  stats - the broker's running counters, read by `ping` and `status` (and so
    by the benchmark, which derives the mean number of writes per commit),
    and the few settings that the writer thread and the operations read
    while SIGHUP may change them on the broker's thread (atomics). */
#ifndef STATS_H
#define STATS_H

#include <stdatomic.h>
#include <stdint.h>

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
    atomic_uint slow_commit_ms; /* log a commit slower than this (0: never) */
    atomic_uint due_soon_days;  /* the deadline horizon, for stats (0: default) */
    atomic_uint request_window_s; /* a write whose ts is older is `stale` (0: no
                                     bound in the past; dispatch.c) */
} broker_stats_t;

#endif
