/*  worker - what the broker's worker threads (verifier.c, writer.c) share:
    an inproc PULL for work and a PUSH for results, and a wait that ends
    only when the broker destroys the thread.

    Why the wait ignores signals: SIGTERM sets CZMQ's zsys_interrupted,
    which would end every zpoller wait at once; a worker must keep going
    until the broker has answered what it holds (broker_run), and only
    then is destroyed ($TERM on its pipe).
*/
#ifndef WORKER_H
#define WORKER_H

#include <czmq.h>
#include <stdbool.h>

typedef struct {
    zsock_t *pipe;     /* the actor's pipe (borrowed) */
    zsock_t *in;       /* PULL: work from the broker's thread */
    zsock_t *out;      /* PUSH: results back */
    zpoller_t *poller; /* on pipe and in */
} worker_t;

/* Connects in to in_ep and out to out_ep (both unbounded: the broker
   bounds what is in flight) and signals the pipe: 0 ready, 1 failed.
   Returns 0, or -1 with everything released. */
int worker_open(worker_t *w, zsock_t *pipe, const char *in_ep, const char *out_ep);

/* Waits for work: true when in is readable, false on $TERM. */
bool worker_wait(worker_t *w);

void worker_close(worker_t *w);

#endif
