/*  readers - read-only operations on threads of their own. */
#include "readers.h"
#include "dispatch.h"
#include "jobq.h"
#include "nmirf_log.h"
#include "ops.h"
#include "worker.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How much nicer than the broker a reader thread runs. LMDB keeps a read
   from blocking the writer's lock, but not from taking its CPU: on two
   cores a 100,000-recommendation `stats` (a few hundred ms of CPU) beside
   the verifiers, the writer and the broker's thread took their share and
   halved the writers' rate. A nicer reader gets the CPU the write path
   leaves (a quarter of a core when a thread at nice 0 wants it too), so
   a read under heavy writing takes longer, not the writes. */
#define READERS_NICE 5

struct _readers_t {
    store_t *store;        /* read by the threads, one read transaction each */
    broker_stats_t *stats; /* the broker's counters: reads counted (an atomic) */
    worker_pool_t pool;    /* the threads (none: reads go to the writer);
                              checked requests out, answered ones back */
    atomic_bool stopping;  /* readers_stop: answer nothing more */
    size_t at_threads;     /* requests sent to the threads, not back (broker's) */
    size_t limit;          /* at most this many at the threads */
    request_t *wait_head;  /* requests waiting for room at the threads (broker's) */
    request_t *wait_tail;  /* the newest of them */
};

/* Answers req in a read transaction of its own, begun now: after the
   broker received it, so it sees every write answered before that. */
static void
s_answer(readers_t *self, request_t *req)
{
    MDB_txn *rtxn;
    int rc = store_begin(self->store, NULL, false, &rtxn);
    if (rc) {
        /* MDB_READERS_FULL, or a store gone bad: refused, the broker goes
           on. */
        char why[256];
        snprintf(why, sizeof why, "the store could not begin a read: %s",
                 store_strerror(rc));
        log_warnx("%s from %s: %s", req->checked.env.op, req->checked.env.author, why);
        nmirf_reply_encode(&req->reply, req->checked.has_id ? req->checked.env.id : NULL,
                           NMIRF_E_STORAGE, why, 0, NULL, 0);
    } else {
        dispatch_read(self->store, rtxn, self->stats, &req->checked, &req->reply);
        mdb_txn_abort(rtxn);
    }
    atomic_fetch_add(&self->stats->reads, 1);
}

/* A reader thread: one request at a time (a long `stats` must not hold
   the short reads behind it while another thread is free), until the
   queue closes. */
static void *
s_thread(void *arg)
{
    readers_t *self = arg;
    /* Linux: a thread's own nice value, through its thread id. */
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0 && setpriority(PRIO_PROCESS, (id_t)tid, nice + READERS_NICE) != 0)
        log_debug("reader thread: cannot lower its priority: %s", strerror(errno));
    while (jobq_wait(self->pool.jobs)) {
        request_t *req = jobq_take_one(self->pool.jobs);
        if (!req)
            continue; /* another thread took it */
        if (!atomic_load(&self->stopping))
            s_answer(self, req);
        /* Back to the broker, answered or (stopping) not. It cannot be
           dropped here (the broker counts it in flight): out of memory
           waits for memory. */
        while (jobq_push(self->pool.results, req)) {
            log_warnx("out of memory handing a read back; retrying");
            usleep(10000);
        }
    }
    return NULL;
}

readers_t *
readers_new(store_t *store, broker_stats_t *stats, int threads)
{
    readers_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->stats = stats;
    if (threads <= 0)
        return self;
    self->limit = (size_t)threads * READERS_QUEUE_PER_THREAD;
    if (worker_pool_start(&self->pool, threads, s_thread, self))
        goto fail;
    return self;
fail:
    readers_destroy(&self);
    return NULL;
}

/* Frees the requests waiting here (unanswered). */
static void
s_drop_waiting(readers_t *self)
{
    while (self->wait_head) {
        request_t *req = self->wait_head;
        self->wait_head = req->next;
        request_destroy(&req);
    }
    self->wait_tail = NULL;
}

void
readers_destroy(readers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    readers_t *self = *self_p;
    atomic_store(&self->stopping, true);
    worker_pool_stop(&self->pool); /* the threads finish the one they run, then end */
    /* The threads are gone: what the queues hold is ours alone. */
    request_t *req;
    while (self->pool.jobs && (req = jobq_take_one(self->pool.jobs)) != NULL)
        request_destroy(&req);
    while (self->pool.results && (req = jobq_take_one(self->pool.results)) != NULL)
        request_destroy(&req);
    s_drop_waiting(self);
    worker_pool_free(&self->pool);
    free(self);
    *self_p = NULL;
}

bool
readers_wants(const readers_t *self, const request_t *req)
{
    if (self->pool.threads == 0 || req->check_rc != 0 || req->checked.code != NMIRF_OK)
        return false;
    const op_def_t *op = ops_find(req->checked.env.op);
    return op && op->reader;
}

/* Appends req to the requests waiting for room at the threads. */
static void
s_wait(readers_t *self, request_t *req)
{
    req->next = NULL;
    if (self->wait_tail)
        self->wait_tail->next = req;
    else
        self->wait_head = req;
    self->wait_tail = req;
}

void
readers_submit(readers_t *self, request_t *req)
{
    /* Behind others waiting, it waits too: reads keep their arrival order
       to the threads. */
    if (self->wait_head || self->at_threads >= self->limit ||
        jobq_push(self->pool.jobs, req) != 0) {
        s_wait(self, req);
        return;
    }
    self->at_threads++;
}

/* Moves waiting requests to the threads while there is room. */
static void
s_refill(readers_t *self)
{
    while (self->wait_head && self->at_threads < self->limit) {
        request_t *req = self->wait_head;
        if (jobq_push(self->pool.jobs, req) != 0)
            return; /* out of memory: stays waiting, tried at the next answer */
        self->wait_head = req->next;
        if (!self->wait_head)
            self->wait_tail = NULL;
        req->next = NULL;
        self->at_threads++;
    }
}

int
readers_done(const readers_t *self)
{
    return self->pool.results ? jobq_fd(self->pool.results) : -1;
}

request_t *
readers_next(readers_t *self)
{
    request_t *req = self->pool.results ? jobq_take_one(self->pool.results) : NULL;
    if (req) {
        self->at_threads--;
        if (!atomic_load(&self->stopping))
            s_refill(self);
    }
    return req;
}

bool
readers_idle(const readers_t *self)
{
    return self->at_threads == 0 && !self->wait_head;
}

void
readers_stop(readers_t *self)
{
    atomic_store(&self->stopping, true);
    s_drop_waiting(self);
}
