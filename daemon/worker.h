/*  worker - starting a broker worker thread (verifier.c, writer.c).

    A worker runs with the asynchronous signals blocked (faults are not:
    a sanitizer must still see them), so that nothing cuts its waits
    short: SIGTERM must reach the broker's main thread (which stops
    reading and drains, broker_run), while the workers keep going until
    the broker has answered what they hold; then their owner closes their
    queue (jobq_close) and joins them.
*/
#ifndef WORKER_H
#define WORKER_H

#include <pthread.h>

/* Starts fn(arg) on a new thread with SIGINT, SIGTERM, SIGHUP, SIGQUIT,
   SIGUSR1/2, SIGPIPE, SIGALRM and SIGCHLD blocked. Returns 0, or an errno
   value. */
int worker_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
