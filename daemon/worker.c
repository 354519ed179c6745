/*  worker - starting a broker worker thread, and a pool of them. */
#include "worker.h"

#include <signal.h>
#include <stdlib.h>

int
worker_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    /* The new thread inherits the mask in force here: block the
       asynchronous signals around the create, then restore this thread's
       own. Faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL) stay unblocked: a
       fault in a worker must still reach its handler (a sanitizer's
       report), not kill the process silently. */
    static const int async[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
                                SIGUSR2, SIGPIPE, SIGALRM, SIGCHLD};
    sigset_t set, old;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof async / sizeof async[0]; i++)
        sigaddset(&set, async[i]);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int rc = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int
worker_pool_start(worker_pool_t *pool, int n, void *(*fn)(void *), void *arg)
{
    pool->jobs = jobq_new();
    pool->results = jobq_new();
    pool->tids = calloc((size_t)n, sizeof *pool->tids);
    if (!pool->jobs || !pool->results || !pool->tids)
        return -1;
    for (int i = 0; i < n; i++) {
        if (worker_start(&pool->tids[i], fn, arg))
            return -1;
        pool->threads++;
    }
    return 0;
}

void
worker_pool_stop(worker_pool_t *pool)
{
    if (pool->jobs)
        jobq_close(pool->jobs);
    for (int i = 0; i < pool->threads; i++)
        pthread_join(pool->tids[i], NULL);
    pool->threads = 0;
    free(pool->tids);
    pool->tids = NULL;
}

void
worker_pool_free(worker_pool_t *pool)
{
    jobq_destroy(&pool->jobs);
    jobq_destroy(&pool->results);
}
