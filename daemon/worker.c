/*  worker - the sockets and the wait of a broker worker thread. */
#include "worker.h"

int
worker_open(worker_t *w, zsock_t *pipe, const char *in_ep, const char *out_ep)
{
    *w = (worker_t){.pipe = pipe, .in = zsock_new(ZMQ_PULL), .out = zsock_new(ZMQ_PUSH)};
    if (w->in && w->out) {
        zsock_set_rcvhwm(w->in, 0); /* before connect: a pipe takes them then */
        zsock_set_sndhwm(w->out, 0);
        if (zsock_connect(w->in, "%s", in_ep) == 0 &&
            zsock_connect(w->out, "%s", out_ep) == 0)
            w->poller = zpoller_new(pipe, w->in, NULL);
        if (w->poller)
            zpoller_set_nonstop(w->poller, true); /* see worker.h */
    }
    zsock_signal(pipe, w->poller ? 0 : 1);
    if (w->poller)
        return 0;
    worker_close(w);
    return -1;
}

bool
worker_wait(worker_t *w)
{
    for (;;) {
        zsock_t *which = zpoller_wait(w->poller, -1);
        if (which == w->pipe)
            return false; /* $TERM: the broker is destroying us */
        if (which == w->in)
            return true;
        /* else a signal interrupted the wait: the broker says when we stop */
    }
}

void
worker_close(worker_t *w)
{
    zpoller_destroy(&w->poller);
    zsock_destroy(&w->in);
    zsock_destroy(&w->out);
}
