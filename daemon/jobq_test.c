/*  jobq_test - the thread hand-off queue, with real threads.

    Usage: jobq_unit

    Order and growth across the ring's wrap; the descriptor readable
    exactly while items wait (it is what the broker's zloop polls);
    jobq_wait across threads, signals that must not end it, and close;
    two producers and two consumers moving 200,000 items, each taken
    exactly once. Prints "file:line: case: what" per failed check, one
    summary line at the end.
*/
#include "jobq.h"
#include "unit.h"
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ITEMS 100000 /* per producer in the threads case */

/* True if fd polls readable now. */
static bool
s_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void
s_order(void)
{
    unit_case = "order";
    jobq_t *q = jobq_new();
    CHECK(q, "jobq_new failed");
    CHECK(!s_readable(jobq_fd(q)), "an empty queue polls readable");
    CHECK(jobq_take_one(q) == NULL, "an empty queue gave an item");
    /* Wrap the ring several times while it grows: take 3, push 5. */
    uintptr_t next_in = 1, next_out = 1;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 5; i++)
            CHECK(jobq_push(q, (void *)next_in++) == 0, "push failed");
        CHECK(s_readable(jobq_fd(q)), "round %d: items wait but fd is idle", round);
        void *got[3];
        size_t n = jobq_take(q, got, 3);
        CHECK(n == 3, "round %d: took %zu of 3", round, n);
        for (size_t i = 0; i < n; i++)
            CHECK((uintptr_t)got[i] == next_out++, "round %d: out of order", round);
    }
    void *rest[512];
    size_t n = jobq_take(q, rest, 512);
    CHECK(n == 400, "left %zu, want 400", n);
    for (size_t i = 0; i < n; i++)
        CHECK((uintptr_t)rest[i] == next_out++, "rest out of order at %zu", i);
    CHECK(!s_readable(jobq_fd(q)), "emptied, fd still readable");
    CHECK(jobq_push(q, (void *)7) == 0 && s_readable(jobq_fd(q)),
          "a push after emptying did not wake");
    CHECK(jobq_take_one(q) == (void *)7, "take_one");
    CHECK(!s_readable(jobq_fd(q)), "emptied by take_one, fd still readable");
    jobq_destroy(&q);
    CHECK(q == NULL, "destroy did not clear the pointer");
    jobq_destroy(&q); /* NULL: no-op */
}

/* --- threads ------------------------------------------------------------ */

typedef struct {
    jobq_t *q;
    atomic_int *seen;     /* per item value: times taken */
    atomic_size_t *taken; /* total taken, all consumers */
} s_shared_t;

static void *
s_producer(void *arg)
{
    s_shared_t *s = arg;
    static atomic_uint base;
    uintptr_t first = atomic_fetch_add(&base, 1) * ITEMS;
    for (uintptr_t i = 0; i < ITEMS; i++)
        while (jobq_push(s->q, (void *)(first + i + 1)))
            usleep(100);
    return NULL;
}

static void *
s_consumer(void *arg)
{
    s_shared_t *s = arg;
    void *got[64];
    while (jobq_wait(s->q)) {
        size_t n = jobq_take(s->q, got, 64);
        for (size_t i = 0; i < n; i++)
            atomic_fetch_add(&s->seen[(uintptr_t)got[i] - 1], 1);
        atomic_fetch_add(s->taken, n);
    }
    return NULL;
}

static void
s_on_usr1(int sig)
{
    (void)sig;
}

static void
s_threads(void)
{
    unit_case = "threads";
    s_shared_t s = {.q = jobq_new(), .seen = calloc(2 * ITEMS, sizeof(atomic_int))};
    atomic_size_t taken = 0;
    s.taken = &taken;
    CHECK(s.q && s.seen, "setup");
    pthread_t c[2], p[2];
    /* Consumer 0 starts as the broker's workers do (signals blocked);
       consumer 1 takes signals, and gets some while it waits: jobq_wait
       must go on past EINTR, or it would end and leave items behind. */
    struct sigaction sa = {.sa_handler = s_on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    CHECK(worker_start(&c[0], s_consumer, &s) == 0, "consumer 0 did not start");
    CHECK(pthread_create(&c[1], NULL, s_consumer, &s) == 0, "consumer 1 did not start");
    for (int i = 0; i < 5; i++) {
        usleep(2000);
        pthread_kill(c[1], SIGUSR1);
    }
    usleep(2000);
    CHECK(pthread_tryjoin_np(c[1], NULL) == EBUSY, "a signal ended consumer 1's wait");
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&p[i], NULL, s_producer, &s) == 0, "producer %d", i);
    for (int i = 0; i < 2; i++)
        pthread_join(p[i], NULL);
    /* Every item is taken before close ends the consumers: close only
       ends a wait on an empty queue. */
    jobq_close(s.q);
    for (int i = 0; i < 2; i++)
        pthread_join(c[i], NULL);
    CHECK(atomic_load(&taken) == 2 * ITEMS, "taken %zu, want %d", atomic_load(&taken),
          2 * ITEMS);
    int wrong = 0;
    for (int i = 0; i < 2 * ITEMS; i++)
        wrong += atomic_load(&s.seen[i]) != 1;
    CHECK(wrong == 0, "%d items not taken exactly once", wrong);
    CHECK(!jobq_wait(s.q), "a closed empty queue still waits");
    jobq_destroy(&s.q);
    free(s.seen);
}

int
main(void)
{
    s_order();
    s_threads();
    return unit_done("jobq_unit");
}
