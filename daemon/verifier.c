/*  verifier - signature checks on threads of their own. */
#include "verifier.h"
#include "worker.h"
#include "nmirf_log.h"

#include <stdlib.h>
#include <string.h>

struct _verifier_t {
    store_t *store;       /* read by the threads (MDB_NOTLS: any thread) */
    int threads;          /* verifier threads, 0: inline */
    zactor_t **actors;    /* the threads */
    zsock_t *jobs;        /* PUSH: job pointers out to the threads */
    zsock_t *results;     /* PULL: checked job pointers back */
    char jobs_ep[64];     /* inproc endpoints, unique per instance */
    char results_ep[64];  /* */
    verifier_job_t *head; /* oldest queued job */
    verifier_job_t *tail; /* newest */
    size_t queued;        /* jobs in the queue */
    size_t at_threads;    /* of which sent to the threads, not back */
};

/* Checks job against the state committed in rtxn (NULL: the envelope
   only). */
static void
s_check(store_t *store, MDB_txn *rtxn, verifier_job_t *job)
{
    job->check_rc = dispatch_check(store, rtxn, job->peer, job->frames, job->sizes,
                                   job->count, &job->checked);
}

/* A verifier thread: takes jobs, checks them, sends them back. Every job
   waiting when it wakes shares one read transaction (a snapshot a few
   microseconds old, which the writer re-checks anyway). */
static void
s_actor(zsock_t *pipe, void *arg)
{
    verifier_t *self = arg;
    worker_t w;
    if (worker_open(&w, pipe, self->jobs_ep, self->results_ep)) {
        log_warnx("a verifier thread cannot start: %s", zmq_strerror(zmq_errno()));
        return;
    }
    while (worker_wait(&w)) {
        MDB_txn *rtxn = NULL;
        if (store_begin(self->store, NULL, false, &rtxn))
            rtxn = NULL; /* the writer verifies them all itself */
        for (int n = 0; n < 256 && (zsock_events(w.in) & ZMQ_POLLIN); n++) {
            verifier_job_t *job;
            if (zsock_recv(w.in, "p", &job) || !job)
                break;
            s_check(self->store, rtxn, job);
            zsock_send(w.out, "p", job);
        }
        if (rtxn)
            mdb_txn_abort(rtxn);
    }
    worker_close(&w);
}

verifier_t *
verifier_new(store_t *store, int threads)
{
    verifier_t *self = zmalloc(sizeof *self);
    self->store = store;
    if (threads <= 0)
        return self;
    snprintf(self->jobs_ep, sizeof self->jobs_ep, "inproc://verifier-jobs-%p",
             (void *)self);
    snprintf(self->results_ep, sizeof self->results_ep, "inproc://verifier-results-%p",
             (void *)self);
    /* The queue here bounds what is in flight (the broker stops reading
       the ROUTER past BROKER_QUEUE_MAX), so the pipes need no limit of
       their own, and a send never blocks the broker. */
    self->jobs = zsock_new(ZMQ_PUSH);
    self->results = zsock_new(ZMQ_PULL);
    if (!self->jobs || !self->results)
        goto fail;
    zsock_set_sndhwm(self->jobs, 0);
    zsock_set_rcvhwm(self->results, 0);
    if (zsock_bind(self->jobs, "%s", self->jobs_ep) < 0 ||
        zsock_bind(self->results, "%s", self->results_ep) < 0)
        goto fail;
    self->actors = calloc((size_t)threads, sizeof *self->actors);
    if (!self->actors)
        goto fail;
    for (int i = 0; i < threads; i++) {
        self->actors[i] = zactor_new(s_actor, self);
        if (!self->actors[i])
            goto fail;
        self->threads++;
    }
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
    for (int i = 0; i < self->threads; i++)
        zactor_destroy(&self->actors[i]);
    free(self->actors);
    zsock_destroy(&self->jobs);
    zsock_destroy(&self->results);
    /* The threads are gone: whatever is queued is ours alone. */
    while (self->head) {
        verifier_job_t *job = self->head;
        self->head = job->next;
        verifier_job_destroy(&job);
    }
    free(self);
    *self_p = NULL;
}

int
verifier_submit(verifier_t *self, zmsg_t **msg_p, bool alone)
{
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    verifier_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        zmsg_destroy(&msg);
        return -1;
    }
    job->msg = msg;
    job->identity = zmsg_pop(msg);
    zframe_t *first = zmsg_first(msg);
    if (first && zframe_size(first) == 0) {
        job->delimiter = true;
        zframe_t *empty = zmsg_pop(msg);
        zframe_destroy(&empty);
    }
    job->count = zmsg_size(msg);
    size_t i = 0;
    for (zframe_t *f = zmsg_first(msg); f && i < 3; f = zmsg_next(msg), i++) {
        job->frames[i] = zframe_data(f);
        job->sizes[i] = zframe_size(f);
    }
    /* The entity ZAP authenticated this connection as (zap.c); libzmq puts
       it on every message the connection delivers. */
    job->peer = zmsg_first(msg) ? zframe_meta(zmsg_first(msg), "User-Id") : NULL;
    msgpack_sbuffer_init(&job->reply);
    if (self->tail)
        self->tail->next = job;
    else
        self->head = job;
    self->tail = job;
    self->queued++;
    bool here = self->threads == 0 || (alone && self->at_threads == 0);
    if (!here && zsock_send(self->jobs, "p", job) == 0)
        self->at_threads++;
    else {
        MDB_txn *rtxn = NULL;
        if (store_begin(self->store, NULL, false, &rtxn))
            rtxn = NULL; /* then the writer verifies it */
        s_check(self->store, rtxn, job);
        if (rtxn)
            mdb_txn_abort(rtxn);
        job->done = true;
    }
    return 0;
}

zsock_t *
verifier_results(verifier_t *self)
{
    return self->results;
}

void
verifier_collect(verifier_t *self)
{
    while (self->results && (zsock_events(self->results) & ZMQ_POLLIN)) {
        verifier_job_t *job;
        if (zsock_recv(self->results, "p", &job) || !job)
            break;
        job->done = true;
        self->at_threads--;
    }
}

verifier_job_t *
verifier_next(verifier_t *self)
{
    verifier_job_t *job = self->head;
    if (!job || !job->done)
        return NULL;
    self->head = job->next;
    if (!self->head)
        self->tail = NULL;
    job->next = NULL;
    self->queued--;
    return job;
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

size_t
verifier_queued(verifier_t *self)
{
    return self->queued;
}

void
verifier_job_destroy(verifier_job_t **job_p)
{
    if (!job_p || !*job_p)
        return;
    verifier_job_t *job = *job_p;
    dispatch_checked_free(&job->checked);
    msgpack_sbuffer_destroy(&job->reply);
    zframe_destroy(&job->identity);
    zmsg_destroy(&job->msg);
    free(job);
    *job_p = NULL;
}
