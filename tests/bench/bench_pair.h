/*  bench_pair - a bare CurveZMQ (or plaintext) DEALER/ROUTER echo pair in
    this process, timed: the round trip every request to the broker pays
    before any work of ours. bench_curve prints its mean beside the
    broker's; nmirf-bench counts its median in the floor of one submitter.
    No ZAP handler: the crypto and the sockets alone. */
#ifndef BENCH_PAIR_H
#define BENCH_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sends n messages of bytes bytes (at most 4096), one at a time, through
   a fresh DEALER to a ROUTER that echoes them, with CURVE or in plaintext,
   after one round trip for the handshake. Fills took_us[0..n) with each
   round trip, if not NULL. Returns the mean, us. Fails the program (the
   harness's H_ASSERT) if an echo is missing. */
double bench_pair_round_trips(bool curve, size_t bytes, int n, uint64_t *took_us);

#endif
