/*  nmirf_hist_test - the latency histograms' buckets (nmirf_hist.h): every
    bucket holds its lower bound and the value just below the next one,
    none is wider than 1/8 of its values, durations past the last bucket
    land in it, and quantiles of known counts.

    Usage: codec_hist
*/
#include "nmirf_hist.h"
#include "unit.h"

#include <math.h>
#include <stdio.h>

int
main(void)
{
    for (unsigned i = 0; i + 1 < NMIRF_HIST_BUCKETS; i++) {
        uint64_t lo = nmirf_hist_lower(i), next = nmirf_hist_lower(i + 1);
        CHECK(next > lo, "bucket %u: %llu then %llu", i, (unsigned long long)lo,
              (unsigned long long)next);
        CHECK(nmirf_hist_bucket(lo) == i, "%llu us in bucket %u, not %u",
              (unsigned long long)lo, nmirf_hist_bucket(lo), i);
        CHECK(nmirf_hist_bucket(next - 1) == i, "%llu us in bucket %u, not %u",
              (unsigned long long)(next - 1), nmirf_hist_bucket(next - 1), i);
        CHECK(i < 8 || (next - lo) * 8 <= lo, "bucket %u: [%llu, %llu) too wide", i,
              (unsigned long long)lo, (unsigned long long)next);
    }
    CHECK(nmirf_hist_lower(NMIRF_HIST_BUCKETS - 1) > 10000000, "10 s is not covered");
    CHECK(nmirf_hist_bucket(UINT64_MAX) == NMIRF_HIST_BUCKETS - 1, "a huge value");
    CHECK(nmirf_hist_bucket(3600000000ull) == NMIRF_HIST_BUCKETS - 1, "an hour");

    uint64_t counts[NMIRF_HIST_BUCKETS] = {0};
    CHECK(nmirf_hist_quantile(counts, NMIRF_HIST_BUCKETS, 0.99) == 0, "empty");
    counts[nmirf_hist_bucket(5)] = 98;    /* 98 at 5 us */
    counts[nmirf_hist_bucket(1000)] = 1;  /* one at 1 ms */
    counts[nmirf_hist_bucket(20000)] = 1; /* one at 20 ms */
    CHECK(nmirf_hist_quantile(counts, NMIRF_HIST_BUCKETS, 0.5) == 5, "p50 %g",
          nmirf_hist_quantile(counts, NMIRF_HIST_BUCKETS, 0.5));
    double p99 = nmirf_hist_quantile(counts, NMIRF_HIST_BUCKETS, 0.99);
    CHECK(fabs(p99 - 1000) <= 1000 / 16.0, "p99 %g, not about 1000", p99);
    double p100 = nmirf_hist_quantile(counts, NMIRF_HIST_BUCKETS, 1.0);
    CHECK(fabs(p100 - 20000) <= 20000 / 16.0, "max %g, not about 20000", p100);
    /* A shorter array (status sends counts up to the last non-zero). */
    CHECK(nmirf_hist_quantile(counts, nmirf_hist_bucket(1000) + 1, 1.0) ==
              nmirf_hist_quantile(counts, NMIRF_HIST_BUCKETS, 0.99),
          "a trimmed array");
    return unit_done("codec_hist");
}
