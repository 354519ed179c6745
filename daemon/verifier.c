/*  verifier - signature checks on threads of their own. */
#include "verifier.h"
#include "jobq.h"
#include "worker.h"
#include "nmirf_log.h"
#include "zap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Jobs a verifier thread takes per turn: small enough that two threads
   share a burst, large enough that a turn's read transaction and its
   wake-up serve many. */
#define VERIFIER_TAKE 32

struct _verifier_t {
    store_t *store;       /* read by the threads (MDB_NOTLS: any thread) */
    int threads;          /* verifier threads started, 0: inline */
    pthread_t *tids;      /* the threads */
    jobq_t *jobs;         /* job pointers out to the threads */
    jobq_t *results;      /* checked job pointers back */
    verifier_job_t *head; /* oldest queued job */
    verifier_job_t *tail; /* newest */
    size_t at_threads;    /* of which sent to the threads, not back */
};

/* Checks job against the state committed in rtxn (NULL: the envelope
   only). */
static void
s_check(store_t *store, MDB_txn *rtxn, verifier_job_t *job)
{
    job->check_rc = dispatch_check(store, rtxn, job->peer, job->peer_key, job->frames,
                                   job->sizes, job->count, &job->checked);
}

/* Appends item to q; a job cannot be dropped here (the broker counts it
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
    verifier_job_t *jobs[VERIFIER_TAKE];
    while (jobq_wait(self->jobs)) {
        size_t n = jobq_take(self->jobs, (void **)jobs, VERIFIER_TAKE);
        if (!n)
            continue; /* another thread took them */
        MDB_txn *rtxn = NULL;
        if (store_begin(self->store, NULL, false, &rtxn))
            rtxn = NULL; /* the writer verifies them all itself */
        for (size_t i = 0; i < n; i++)
            s_check(self->store, rtxn, jobs[i]);
        if (rtxn)
            mdb_txn_abort(rtxn);
        for (size_t i = 0; i < n; i++)
            s_push(self->results, jobs[i]);
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
    self->jobs = jobq_new();
    self->results = jobq_new();
    self->tids = calloc((size_t)threads, sizeof *self->tids);
    if (!self->jobs || !self->results || !self->tids)
        goto fail;
    for (int i = 0; i < threads; i++) {
        if (worker_start(&self->tids[i], s_thread, self))
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
    if (self->jobs)
        jobq_close(self->jobs); /* the threads finish what they hold, then end */
    for (int i = 0; i < self->threads; i++)
        pthread_join(self->tids[i], NULL);
    free(self->tids);
    jobq_destroy(&self->jobs);
    jobq_destroy(&self->results);
    /* The threads are gone: whatever is queued is ours alone. */
    while (self->head) {
        verifier_job_t *job = self->head;
        self->head = job->next;
        verifier_job_destroy(&job);
    }
    free(self);
    *self_p = NULL;
}

/* Receives the rest of a message whose first frame was read: closes its
   frames. */
static void
s_discard_rest(void *router, bool more)
{
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, router, 0) < 0)
            break;
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
}

verifier_job_t *
verifier_job_recv(void *router)
{
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&part);
        return NULL;
    }
    verifier_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        bool more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        s_discard_rest(router, more);
        log_warnx("out of memory: a request was dropped");
        return NULL;
    }
    zmq_msg_init(&job->identity);
    zmq_msg_move(&job->identity, &part);
    zmq_msg_close(&part);
    /* The rest of a message is there at once: ZeroMQ delivers whole
       messages. */
    bool more = zmq_msg_more(&job->identity), first = true;
    while (more) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, router, 0) < 0) {
            /* (Interrupted between frames: not expected.) The rest must
               not be taken for the next message's routing id. */
            zmq_msg_close(&part);
            s_discard_rest(router, true);
            break;
        }
        more = zmq_msg_more(&part);
        if (first && zmq_msg_size(&part) == 0)
            job->delimiter = true; /* a REQ client's, echoed in the reply */
        else if (job->kept < 3) {
            zmq_msg_init(&job->parts[job->kept]);
            zmq_msg_move(&job->parts[job->kept], &part);
            job->frames[job->kept] = zmq_msg_data(&job->parts[job->kept]);
            job->sizes[job->kept] = zmq_msg_size(&job->parts[job->kept]);
            job->kept++;
            job->count++;
        } else
            job->count++; /* too many frames: refused by count alone */
        first = false;
        zmq_msg_close(&part);
    }
    /* The entity ZAP authenticated this connection as (zap.c); libzmq puts
       it on every message the connection delivers. */
    job->peer = job->kept ? zmq_msg_gets(&job->parts[0], "User-Id") : NULL;
    /* And the key it connected with (zap.c), to catch a rotated-out one. */
    job->peer_key = job->kept ? zmq_msg_gets(&job->parts[0], ZAP_KEY_PROPERTY) : NULL;
    msgpack_sbuffer_init(&job->reply);
    return job;
}

void
verifier_submit(verifier_t *self, verifier_job_t **job_p, bool alone)
{
    verifier_job_t *job = *job_p;
    *job_p = NULL;
    if (self->tail)
        self->tail->next = job;
    else
        self->head = job;
    self->tail = job;
    bool here = self->threads == 0 || (alone && self->at_threads == 0);
    if (!here && jobq_push(self->jobs, job) == 0)
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
}

int
verifier_results(verifier_t *self)
{
    return self->results ? jobq_fd(self->results) : -1;
}

void
verifier_collect(verifier_t *self)
{
    verifier_job_t *jobs[256];
    size_t n;
    while (self->results && (n = jobq_take(self->results, (void **)jobs, 256)) > 0)
        for (size_t i = 0; i < n; i++) {
            jobs[i]->done = true;
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

void
verifier_job_destroy(verifier_job_t **job_p)
{
    if (!job_p || !*job_p)
        return;
    verifier_job_t *job = *job_p;
    dispatch_checked_free(&job->checked);
    msgpack_sbuffer_destroy(&job->reply);
    zmq_msg_close(&job->identity);
    for (size_t i = 0; i < job->kept; i++)
        zmq_msg_close(&job->parts[i]);
    free(job);
    *job_p = NULL;
}
