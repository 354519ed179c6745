/*  nmirf_hist - log-linear histograms of durations in microseconds, as the
    broker keeps them for its latency split (daemon/stats.h) and sends them
    in `status` (PROTOCOL.md section 6, "latency"), and as the benchmark
    reads them: two snapshots subtracted give one run's own percentiles.
    Header only: the bucket of a duration, a bucket's bounds, a quantile of
    a count array. Nothing here allocates.

    Eight buckets per power of two, so a bucket is at most 1/8 of its
    values wide: bucket i < 8 holds exactly i us; bucket i >= 8, with
    e = i / 8 and m = i % 8, holds [(8 + m) << (e - 1), (9 + m) << (e - 1))
    us. NMIRF_HIST_BUCKETS of them reach 2^24 us (16.8 s); the last also
    holds everything slower.
*/
#ifndef NMIRF_HIST_H
#define NMIRF_HIST_H

#include <stddef.h>
#include <stdint.h>

#define NMIRF_HIST_BUCKETS 184

/* The bucket that holds us. */
static inline unsigned
nmirf_hist_bucket(uint64_t us)
{
    if (us < 8)
        return (unsigned)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us); /* >= 3 */
    unsigned i = (msb - 2) * 8 + (unsigned)((us >> (msb - 3)) & 7);
    return i < NMIRF_HIST_BUCKETS ? i : NMIRF_HIST_BUCKETS - 1;
}

/* The smallest value bucket i holds, us. */
static inline uint64_t
nmirf_hist_lower(unsigned i)
{
    if (i < 8)
        return i;
    return (uint64_t)(8 + i % 8) << (i / 8 - 1);
}

/* The q-quantile (0 < q <= 1) of counts[0..n) (a bucket's count each, n
   at most NMIRF_HIST_BUCKETS), us: the middle of the bucket that holds
   it, so within 1/16 of the true value. 0 when counts are all zero. */
static inline double
nmirf_hist_quantile(const uint64_t *counts, size_t n, double q)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += counts[i];
    if (!total)
        return 0;
    /* The rank of the quantile, 1-based: the smallest that covers q. */
    uint64_t rank = (uint64_t)(q * (double)total);
    if ((double)rank < q * (double)total)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        seen += counts[i];
        if (seen >= rank) {
            if (i < 8)
                return (double)i;
            return (double)nmirf_hist_lower((unsigned)i) +
                   (double)(nmirf_hist_lower((unsigned)i + 1) -
                            nmirf_hist_lower((unsigned)i)) /
                       2.0;
        }
    }
    return (double)nmirf_hist_lower((unsigned)n - 1);
}

#endif
