/*  verifier - signature checks on threads of their own. */
#include "verifier.h"
#include "jobq.h"
#include "worker.h"
#include "nmirf_log.h"

#include <stdlib.h>
#include <unistd.h>

/* Requests a verifier thread takes per turn: small enough that two threads
   share a burst, large enough that a turn's read transaction and its
   wake-up serve many. */
#define VERIFIER_TAKE 32

struct _verifier_t {
    store_t *store;       /* read by the threads (MDB_NOTLS: any thread) */
    worker_pool_t pool;   /* the threads (none: inline); request pointers
                             out to them, checked ones back */
    request_t *head;      /* oldest queued request */
    request_t *tail;      /* newest */
    size_t at_threads;    /* of which sent to the threads, not back */
};

/* Checks request against the state committed in rtxn (NULL: the envelope
   only). */
static void
s_check(store_t *store, MDB_txn *rtxn, request_t *req)
{
    req->check_rc = dispatch_check(store, rtxn, req->peer, req->peer_key, req->frames,
                                   req->sizes, req->count, &req->checked);
}

/* Appends item to q; a request cannot be dropped here (the broker counts it
   in flight), so out of memory waits for memory. */
static void
s_push(jobq_t *q, void *item)
{
    while (jobq_push(q, item)) {
        log_warnx("out of memory handing a checked request back; retrying");
        usleep(10000);
    }
}

/* A verifier thread: takes what waits (up to VERIFIER_TAKE), checks it in
   one read transaction (a snapshot a few microseconds old, which the
   writer re-checks anyway), hands it back, until the queue closes. */
static void *
s_thread(void *arg)
{
    verifier_t *self = arg;
    request_t *reqs[VERIFIER_TAKE];
    while (jobq_wait(self->pool.jobs)) {
        size_t n = jobq_take(self->pool.jobs, (void **)reqs, VERIFIER_TAKE);
        if (!n)
            continue; /* another thread took them */
        MDB_txn *rtxn = NULL;
        if (store_begin(self->store, NULL, false, &rtxn))
            rtxn = NULL; /* the writer verifies them all itself */
        for (size_t i = 0; i < n; i++)
            s_check(self->store, rtxn, reqs[i]);
        if (rtxn)
            mdb_txn_abort(rtxn);
        for (size_t i = 0; i < n; i++)
            s_push(self->pool.results, reqs[i]);
    }
    return NULL;
}

verifier_t *
verifier_new(store_t *store, int threads)
{
    verifier_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    if (threads <= 0)
        return self;
    if (worker_pool_start(&self->pool, threads, s_thread, self))
        goto fail;
    return self;
fail:
    verifier_destroy(&self);
    return NULL;
}

void
verifier_destroy(verifier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    verifier_t *self = *self_p;
    worker_pool_stop(&self->pool); /* the threads finish what they hold, then end */
    worker_pool_free(&self->pool);
    /* The threads are gone: whatever is queued is ours alone. */
    while (self->head) {
        request_t *req = self->head;
        self->head = req->next;
        request_destroy(&req);
    }
    free(self);
    *self_p = NULL;
}

void
verifier_submit(verifier_t *self, request_t **req_p, bool alone)
{
    request_t *req = *req_p;
    *req_p = NULL;
    if (self->tail)
        self->tail->next = req;
    else
        self->head = req;
    self->tail = req;
    bool here = self->pool.threads == 0 || (alone && self->at_threads == 0);
    if (!here && jobq_push(self->pool.jobs, req) == 0)
        self->at_threads++;
    else {
        MDB_txn *rtxn = NULL;
        if (store_begin(self->store, NULL, false, &rtxn))
            rtxn = NULL; /* then the writer verifies it */
        s_check(self->store, rtxn, req);
        if (rtxn)
            mdb_txn_abort(rtxn);
        req->done = true;
    }
}

int
verifier_results(verifier_t *self)
{
    return self->pool.results ? jobq_fd(self->pool.results) : -1;
}

void
verifier_collect(verifier_t *self)
{
    request_t *reqs[256];
    size_t n;
    while (self->pool.results &&
           (n = jobq_take(self->pool.results, (void **)reqs, 256)) > 0)
        for (size_t i = 0; i < n; i++) {
            reqs[i]->done = true;
            self->at_threads--;
        }
}

request_t *
verifier_next(verifier_t *self)
{
    request_t *req = self->head;
    if (!req || !req->done)
        return NULL;
    self->head = req->next;
    if (!self->head)
        self->tail = NULL;
    req->next = NULL;
    return req;
}

bool
verifier_idle(verifier_t *self)
{
    return self->at_threads == 0;
}

bool
verifier_ready(verifier_t *self)
{
    return self->head && self->head->done;
}
