/*  bench_common - what the benchmark programs share: a varied set of
    sample recommendations to import, and their flags' numbers. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>

#include "harness.h"

/* Imports recommendations PREFIX-0..m-1 through b's coordinator, 1,000 per
   rec.import: mechanisms, cycles, themes and SDG targets spread over the
   set (the groups of `stats`), texts in French and English. Fails the
   program (H_CALL_CHECK) on a refusal. */
void bench_import_recs(h_broker_t *b, const char *prefix, size_t m);

/* The number v given for flag, or exits 2 with a line on stderr naming
   prog if it is not an integer from lo to hi. */
long bench_num(const char *prog, const char *flag, const char *v, long lo, long hi);

#endif
