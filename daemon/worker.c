/*  worker - starting a broker worker thread. */
#include "worker.h"

#include <signal.h>

int
worker_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    /* The new thread inherits the mask in force here: block everything
       around the create, then restore this thread's own. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
