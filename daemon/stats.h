/*  stats - the broker's running counters, read by `ping` and `status` (and so
    by the benchmark, which derives the mean number of writes per commit). */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

typedef struct {
    uint64_t started;         /* start time, ms */
    uint64_t requests;        /* requests answered */
    uint64_t writes;          /* writes committed */
    uint64_t commits;         /* synced commits that held them */
    uint64_t last_commit;     /* time of the last synced commit, ms (0: none yet) */
    struct _health_t *health; /* connections and agents' outboxes (health.h), for
                                 status; NULL outside the broker */
    uint64_t last_batch;      /* writes committed by the latest commit */
} broker_stats_t;

#endif
