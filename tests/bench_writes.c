/*  bench_writes - durable signed writes per second against a real broker.

    Starts nmirfd in a temporary directory on loopback, enrolls one
    ministry per submitter, gives each its own recommendation, and has N
    submitter threads send report.submit requests, one in flight each,
    each request signed before the timed window (so the figure is the
    broker's, not the client's signing). Every write is acknowledged only
    after its synced commit; the broker's own counters (ping) give the mean
    number of writes per commit.

    usage: bench_writes NMIRFD [--seconds S] [N ...]     (default: 1 20)
    Prints one readable line and one `bench:` key=value line per N.
*/
#include "harness.h"
#include "nmirf_util.h"

#include <czmq.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBMITTERS 30    /* the harness enrolls at most 31 entities */
#define MAX_PER_THREAD 50000 /* requests signed ahead per submitter */

typedef struct {
    h_broker_t *broker;       /* the broker (endpoint, CURVE key) */
    h_entity_t *author;       /* whose CURVE connection the requests use */
    h_request_t **reqs;       /* pre-signed requests */
    size_t count;             /* how many */
    double seconds;           /* time budget */
    pthread_barrier_t *start; /* all begin together */
    uint64_t *lat_us;         /* per-request latency, out */
    size_t done;              /* acknowledged, out */
    size_t failed;            /* refused or timed out, out */
} submitter_t;

static void *
s_submit(void *arg)
{
    submitter_t *s = arg;
    zsock_t *dealer = h_dealer_new(s->broker, s->author); /* CURVE, as the author */
    zsock_set_rcvtimeo(dealer, 5000);
    pthread_barrier_wait(s->start);
    uint64_t t_end = nmirf_mono_us() + (uint64_t)(s->seconds * 1e6);
    for (size_t i = 0; i < s->count && nmirf_mono_us() < t_end; i++) {
        h_request_t *r = s->reqs[i];
        uint64_t t0 = nmirf_mono_us();
        zmsg_t *m = zmsg_new();
        zmsg_addmem(m, r->env, r->env_len);
        zmsg_addmem(m, r->sig, sizeof r->sig);
        zmsg_send(&m, dealer);
        zmsg_t *reply = zmsg_recv(dealer);
        if (!reply) {
            s->failed++;
            break;
        }
        zframe_t *f = zmsg_last(reply);
        nmirf_reply_t *rep = nmirf_reply_decode(zframe_data(f), zframe_size(f), NULL, 0);
        if (rep && rep->ok)
            s->lat_us[s->done++] = nmirf_mono_us() - t0;
        else
            s->failed++;
        nmirf_reply_destroy(&rep);
        zmsg_destroy(&reply);
    }
    zsock_destroy(&dealer);
    return NULL;
}

static int
s_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The broker's counters through ping. */
static void
s_counters(h_broker_t *b, uint64_t *writes, uint64_t *commits)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(b), "ping", "{}");
    *writes = h_u(&r->body, "writes");
    *commits = h_u(&r->body, "commits");
    nmirf_reply_destroy(&r);
}

static void
s_run(h_broker_t *b, h_entity_t **ms, size_t n, double seconds)
{
    size_t per = MAX_PER_THREAD / n;
    submitter_t subs[MAX_SUBMITTERS];
    pthread_t threads[MAX_SUBMITTERS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n + 1);
    for (size_t i = 0; i < n; i++) {
        submitter_t *s = &subs[i];
        memset(s, 0, sizeof *s);
        s->broker = b;
        s->author = ms[i];
        s->count = per;
        s->seconds = seconds;
        s->start = &start;
        s->reqs = calloc(per, sizeof *s->reqs);
        s->lat_us = calloc(per, sizeof *s->lat_us);
        for (size_t k = 0; k < per; k++)
            s->reqs[k] = h_request_make(ms[i], "report.submit",
                                        "{'rec':'BENCH-%zu','status':'in_progress',"
                                        "'narrative':'benchmark report %zu'}",
                                        i, k);
    }
    uint64_t w0, c0, w1, c1;
    s_counters(b, &w0, &c0);
    for (size_t i = 0; i < n; i++)
        pthread_create(&threads[i], NULL, s_submit, &subs[i]);
    uint64_t t0 = nmirf_mono_us();
    pthread_barrier_wait(&start);
    size_t done = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        done += subs[i].done;
        failed += subs[i].failed;
    }
    double took = (double)(nmirf_mono_us() - t0) / 1e6;
    s_counters(b, &w1, &c1);
    uint64_t *all = calloc(done ? done : 1, sizeof *all);
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(all + a, subs[i].lat_us, subs[i].done * sizeof *all);
        a += subs[i].done;
        for (size_t k = 0; k < subs[i].count; k++)
            h_request_free(&subs[i].reqs[k]);
        free(subs[i].reqs);
        free(subs[i].lat_us);
    }
    qsort(all, done, sizeof *all, s_cmp);
    double p50 = done ? all[done / 2] / 1000.0 : 0,
           p99 = done ? all[done * 99 / 100] / 1000.0 : 0;
    double batch = c1 > c0 ? (double)(w1 - w0) / (double)(c1 - c0) : 0;
    printf("%3zu submitters: %8.0f durable signed writes/s  (%zu in %.2f s, %zu failed), "
           "mean %.1f writes/commit, ack p50 %.2f ms p99 %.2f ms\n",
           n, done / took, done, took, failed, batch, p50, p99);
    printf("bench: submitters=%zu writes=%zu seconds=%.3f writes_per_s=%.0f "
           "writes_per_commit=%.2f ack_p50_ms=%.3f ack_p99_ms=%.3f failed=%zu\n",
           n, done, took, done / took, batch, p50, p99, failed);
    fflush(stdout);
    free(all);
    pthread_barrier_destroy(&start);
    H_ASSERTF(failed == 0, "%zu writes failed", failed);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 600);
    double seconds = 5;
    size_t ns[16], nn = 0, maxn = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (nn < 16 && atoi(argv[i]) >= 1 && atoi(argv[i]) <= MAX_SUBMITTERS)
            ns[nn++] = (size_t)atoi(argv[i]);
        else {
            fprintf(stderr,
                    "usage: bench_writes NMIRFD [--seconds S] [N ...] (1 <= N <= %d)\n",
                    MAX_SUBMITTERS);
            return 2;
        }
    }
    if (nn == 0) {
        ns[nn++] = 1;
        ns[nn++] = 20;
    }
    for (size_t i = 0; i < nn; i++)
        maxn = ns[i] > maxn ? ns[i] : maxn;

    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *ms[MAX_SUBMITTERS];
    for (size_t i = 0; i < maxn; i++) {
        char id[24];
        snprintf(id, sizeof id, "M%02zu", i);
        ms[i] = h_enroll(b, id, "ministry");
        H_CALL_CHECK(
            "ok", h_coord(b), "rec.import",
            "{'recs':[{'id':'BENCH-%zu','mechanism':'UPR','text':{'en':'bench'}}]}", i);
        H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'BENCH-%zu','lead':'%s'}", i,
                     id);
    }
    printf("bench_writes: broker in %s, %.0f s per run, one request in flight per "
           "submitter\n",
           b->dir, seconds);
    for (size_t i = 0; i < nn; i++)
        s_run(b, ms, ns[i], seconds);
    h_broker_destroy(&b);
    return 0;
}
