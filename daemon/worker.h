/*  worker - starting a broker worker thread (verifier.c, writer.c,
    readers.c), and a pool of them between two job queues.

    A worker runs with the asynchronous signals blocked (faults are not:
    a sanitizer must still see them), so that nothing cuts its waits
    short: SIGTERM must reach the broker's main thread (which stops
    reading and drains, broker_run), while the workers keep going until
    the broker has answered what they hold; then their owner closes their
    queue (jobq_close) and joins them.
*/
#ifndef WORKER_H
#define WORKER_H

#include "jobq.h"

#include <pthread.h>

/* Starts fn(arg) on a new thread with SIGINT, SIGTERM, SIGHUP, SIGQUIT,
   SIGUSR1/2, SIGPIPE, SIGALRM and SIGCHLD blocked. Returns 0, or an errno
   value. */
int worker_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/* N threads that take jobs from one queue and hand them back on another
   (the verifiers, the readers). The pool owns the threads; its owner
   owns the queues' contents. */
typedef struct {
    int threads;     /* threads started */
    pthread_t *tids; /* the threads */
    jobq_t *jobs;    /* out to the threads */
    jobq_t *results; /* back from them */
} worker_pool_t;

/* Makes both queues and starts n threads running fn(arg) (worker_start).
   Returns 0, or -1 with what was started left for worker_pool_stop. */
int worker_pool_start(worker_pool_t *pool, int n, void *(*fn)(void *), void *arg);

/* Closes the jobs queue, so each thread ends after what it holds, and
   joins them. The queues stay, with what they hold, for the owner to
   empty; then worker_pool_free. Safe on a pool never started. */
void worker_pool_stop(worker_pool_t *pool);

/* Destroys both queues (empty them first: jobs are the owner's). */
void worker_pool_free(worker_pool_t *pool);

#endif
