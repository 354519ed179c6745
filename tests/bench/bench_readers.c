/*  bench_readers - do reads hold the writers back? Writers' ack latency
    with and without a `stats` every second over many recommendations.

    Starts nmirfd in a temporary directory (more nmirfd flags after -b),
    imports M recommendations (varied as bench_stats's: mechanisms, cycles,
    themes, SDGs, ~400 bytes of text), then runs the same window twice:
    N writer connections (the coordinator's, one request in flight each)
    importing one new recommendation per request for S seconds, first
    alone, then with one more connection sending `stats` every PERIOD ms
    (the next as soon as the last is answered if it took longer). Prints,
    for each window, the writes acknowledged, their rate and their
    submit -> ack latency (p50, p99, p99.9, max), and the stats calls'
    times. With reads on reader threads (nmirfd --readers 2, the default)
    the two windows should match; with --readers 0 every stats holds the
    commits behind it. Compare binaries by giving each in turn, in the
    same minutes. Asserts no time.

    usage: bench_readers NMIRFD [-m M] [-n N] [-s S] [-p PERIOD] [-b ARG]...
           (defaults: M 100000, N 50, S 10, PERIOD 1000)
*/
#include "bench_common.h"
#include "harness.h"
#include "nmirf_util.h"

#include <czmq.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITERS_MAX 60       /* connections: the coordinator may hold 64 sessions */
#define PER_WRITER_MAX 20000 /* requests signed ahead per writer */
#define STATS_MAX 3600       /* stats calls kept per window */
#define REPLY_WAIT_MS 30000

typedef struct {
    zsock_t *d;         /* its connection (made on the main thread) */
    h_request_t **reqs; /* signed ahead */
    size_t count;       /* how many */
    uint64_t until_us;  /* end of the window */
    uint64_t *lat_us;   /* each acknowledged write's latency */
    size_t done;        /* acknowledged */
} writer_t;

/* A writer: one request in flight until the window ends. */
static void *
s_write(void *arg)
{
    writer_t *w = arg;
    for (size_t i = 0; i < w->count && nmirf_mono_us() < w->until_us; i++) {
        uint64_t t0 = nmirf_mono_us();
        h_request_post(w->d, w->reqs[i]);
        zmsg_t *m = zmsg_recv(w->d);
        H_ASSERTF(m, "a write got no reply within %d ms", REPLY_WAIT_MS);
        zframe_t *f = zmsg_last(m);
        nmirf_reply_t *r = nmirf_reply_decode(zframe_data(f), zframe_size(f), NULL, 0);
        H_ASSERTF(r && r->ok, "a write was refused: %s", r ? r->message : "no reply");
        w->lat_us[w->done++] = nmirf_mono_us() - t0;
        nmirf_reply_destroy(&r);
        zmsg_destroy(&m);
    }
    return NULL;
}

typedef struct {
    zsock_t *d;           /* the coordinator's connection for stats */
    h_entity_t *coord;    /* signs them */
    unsigned period_ms;   /* one every this (0: none) */
    uint64_t until_us;    /* end of the window */
    double ms[STATS_MAX]; /* each call's time */
    size_t count;         /* how many */
} reader_t;

/* The stats caller: one request every period (the next at once if the
   last took longer). Signs on its own thread: the main thread waits. */
static void *
s_read(void *arg)
{
    reader_t *r = arg;
    uint64_t next = nmirf_mono_us();
    while (r->period_ms && r->count < STATS_MAX && nmirf_mono_us() < r->until_us) {
        uint64_t now = nmirf_mono_us();
        if (now < next) {
            h_sleep_ms((unsigned)((next - now) / 1000));
            continue;
        }
        next = now + (uint64_t)r->period_ms * 1000;
        h_request_t *req = h_request_make(r->coord, "stats", "{}");
        uint64_t t0 = nmirf_mono_us();
        h_request_post(r->d, req);
        zmsg_t *m = zmsg_recv(r->d);
        H_ASSERTF(m, "stats got no reply within %d ms", REPLY_WAIT_MS);
        r->ms[r->count++] = (nmirf_mono_us() - t0) / 1e3;
        zmsg_destroy(&m);
        h_request_free(&req);
    }
    return NULL;
}

static int
s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
s_q(const uint64_t *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)n);
    return n ? (i >= n ? v[n - 1] : v[i]) / 1000.0 : 0;
}

/* One window: n writers for seconds, with stats every period_ms (0:
   none). tag names the requests' recommendations apart. */
static void
s_window(h_broker_t *b, zsock_t **ds, zsock_t *sd, int n, unsigned seconds,
         unsigned period_ms, const char *tag)
{
    h_entity_t *coord = h_coord(b);
    writer_t w[WRITERS_MAX];
    pthread_t wt[WRITERS_MAX], rt;
    size_t per = (size_t)seconds * 300 + 16; /* 300/s each: above what one gets */
    if (per > PER_WRITER_MAX)
        per = PER_WRITER_MAX;
    for (int i = 0; i < n; i++) {
        w[i] = (writer_t){.d = ds[i], .count = per};
        w[i].reqs = calloc(per, sizeof *w[i].reqs);
        w[i].lat_us = calloc(per, sizeof *w[i].lat_us);
        for (size_t k = 0; k < per; k++)
            w[i].reqs[k] = h_request_make(coord, "rec.import",
                                          "{'recs':[{'id':'W%s-%d-%zu','mechanism':'CAT',"
                                          "'text':{'en':'A write beside the reads'}}]}",
                                          tag, i, k);
    }
    reader_t *r = calloc(1, sizeof *r);
    r->d = sd;
    r->coord = coord;
    r->period_ms = period_ms;
    uint64_t t0 = nmirf_mono_us(), until = t0 + (uint64_t)seconds * 1000000;
    r->until_us = until;
    for (int i = 0; i < n; i++) {
        w[i].until_us = until;
        pthread_create(&wt[i], NULL, s_write, &w[i]);
    }
    pthread_create(&rt, NULL, s_read, r);
    size_t done = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(wt[i], NULL);
        done += w[i].done;
    }
    pthread_join(rt, NULL);
    double took = (nmirf_mono_us() - t0) / 1e6;
    uint64_t *all = calloc(done ? done : 1, sizeof *all);
    size_t a = 0;
    for (int i = 0; i < n; i++) {
        memcpy(all + a, w[i].lat_us, w[i].done * sizeof *all);
        a += w[i].done;
        for (size_t k = 0; k < per; k++)
            h_request_free(&w[i].reqs[k]);
        free(w[i].reqs);
        free(w[i].lat_us);
    }
    qsort(all, done, sizeof *all, s_cmp_u64);
    qsort(r->ms, r->count, sizeof r->ms[0], s_cmp_double);
    printf(
        "%-18s %6zu writes %7.0f/s  ack p50 %6.2f  p99 %6.2f  p99.9 %6.2f  max %7.2f ms",
        period_ms ? "with stats" : "writes alone", done, done / took,
        s_q(all, done, 0.50), s_q(all, done, 0.99), s_q(all, done, 0.999),
        done ? all[done - 1] / 1000.0 : 0);
    if (r->count)
        printf("  | %zu stats: median %.1f  max %.1f ms", r->count, r->ms[r->count / 2],
               r->ms[r->count - 1]);
    printf("\n");
    printf(
        "BENCH {\"window\": \"%s\", \"writes\": %zu, \"rate\": %.0f, \"p50_ms\": %.2f, "
        "\"p99_ms\": %.2f, \"p999_ms\": %.2f, \"stats_calls\": %zu, "
        "\"stats_median_ms\": %.1f}\n",
        period_ms ? "stats" : "alone", done, done / took, s_q(all, done, 0.50),
        s_q(all, done, 0.99), s_q(all, done, 0.999), r->count,
        r->count ? r->ms[r->count / 2] : 0.0);
    free(all);
    free(r);
}

int
main(int argc, char **argv)
{
    size_t m = 100000;
    int n = 50;
    unsigned seconds = 10, period = 1000;
    const char *args[H_MAX_ARGS + 1] = {"--log-level=info"};
    int nargs = 1;
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: bench_readers NMIRFD [-m M] [-n N] [-s S] [-p PERIOD] "
                        "[-b ARG]...\n");
        return 2;
    }
    for (int i = 2; i < argc; i += 2) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "-m"))
            m = (size_t)bench_num("bench_readers", f, v, 1, 10000000);
        else if (!strcmp(f, "-n"))
            n = (int)bench_num("bench_readers", f, v, 1, WRITERS_MAX);
        else if (!strcmp(f, "-s"))
            seconds = (unsigned)bench_num("bench_readers", f, v, 1, 600);
        else if (!strcmp(f, "-p"))
            period = (unsigned)bench_num("bench_readers", f, v, 1, 600000);
        else if (!strcmp(f, "-b") && v && nargs < H_MAX_ARGS)
            args[nargs++] = v;
        else {
            fprintf(stderr, "bench_readers: unknown option '%s'\n", f);
            return 2;
        }
    }
    h_init(2, argv, 3600);
    h_broker_t *b = h_broker_start_with(NULL, args);
    uint64_t t0 = nmirf_mono_us();
    bench_import_recs(b, "BR", m);
    printf("bench_readers: %zu recommendations imported in %.1f s; %d writers, %u s "
           "windows, stats every %u ms\n",
           m, (nmirf_mono_us() - t0) / 1e6, n, seconds, period);
    zsock_t *ds[WRITERS_MAX];
    for (int i = 0; i < n; i++) {
        ds[i] = h_dealer_new(b, h_coord(b));
        zsock_set_rcvtimeo(ds[i], REPLY_WAIT_MS);
    }
    zsock_t *sd = h_dealer_new(b, h_coord(b));
    zsock_set_rcvtimeo(sd, REPLY_WAIT_MS);
    h_seq(b); /* every connection's handshake done */
    s_window(b, ds, sd, n, seconds, 0, "a");
    s_window(b, ds, sd, n, seconds, period, "s");
    for (int i = 0; i < n; i++)
        zsock_destroy(&ds[i]);
    zsock_destroy(&sd);
    h_broker_destroy(&b);
    return 0;
}
