/*  writer - the thread that owns the store's write transaction. */
#include "writer.h"
#include "checkpoint.h"
#include "jobq.h"
#include "worker.h"
#include "broker.h"
#include "nmirf_log.h"
#include "nmirf_util.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _writer_t {
    store_t *store;         /* the store (its one writer is this thread) */
    broker_stats_t *stats;  /* counters, written here only */
    const nmirf_key_t *key; /* the broker's keys: each batch's checkpoint (borrowed) */
    pthread_t thread;       /* the thread */
    bool started;           /* it runs */
    atomic_bool stopping;   /* writer_destroy: drop what is not begun */
    jobq_t *jobs;           /* checked requests to the thread */
    jobq_t *done;           /* batches back */
    int begin_failures;     /* transactions refused in a row */
    size_t pending;         /* requests handed to the thread, not back yet */
    unsigned delay_ms;      /* NMIRFD_WRITER_DELAY_MS: a test's pause before
                               each batch (0: none) */
    unsigned hold_ms;       /* NMIRFD_WRITER_HOLD_MS: a test's pause between
                               a batch's commit and its hand-back (0: none) */
};

/* The test hooks (1 to 10000 ms, read once at start; unset or invalid: no
   pause). NMIRFD_WRITER_DELAY_MS: the writer waits that long before each
   batch, so a test can have requests verified (against the state
   committed then) while an earlier request waits for its commit.
   NMIRFD_WRITER_HOLD_MS: the writer thread waits that long after each
   batch that committed events before handing it back, so a test sees the
   broker between a commit and its publication (heartbeats meanwhile);
   lone requests the broker runs itself (writer_run) are not held. */
static unsigned
s_delay_ms(const char *name, const char *what)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > 10000) {
        log_warnx("%s '%s' is not 1 to 10000 ms; no pause", name, s);
        return 0;
    }
    log_info("%s: the writer pauses %ld ms %s (a test hook)", name, v, what);
    return (unsigned)v;
}

/* Replaces every reply of a failed commit with a storage refusal. */
static void
s_fail_all(writer_batch_t *wb, int rc, uint64_t seq)
{
    char why[256];
    snprintf(why, sizeof why, "the store could not commit: %s", store_strerror(rc));
    for (size_t i = 0; i < wb->count; i++) {
        msgpack_sbuffer *reply = &wb->requests[i]->reply;
        uint8_t ids[NMIRF_ID_LEN];
        bool has_id = false;
        nmirf_reply_t *r =
            nmirf_reply_decode((const uint8_t *)reply->data, reply->size, NULL, 0);
        if (r && r->has_id) {
            memcpy(ids, r->id, NMIRF_ID_LEN);
            has_id = true;
        }
        nmirf_reply_destroy(&r);
        msgpack_sbuffer_clear(reply);
        nmirf_reply_encode(reply, has_id ? ids : NULL, NMIRF_E_STORAGE, why, seq, NULL,
                           0);
    }
}

/* Begins the batch's transaction, retrying while the store refuses: the
   requests wait (nothing can be answered without one). A store that keeps
   refusing (MDB_PANIC after a failed sync) will not heal in this process:
   exit, and let the service manager restart us on a store LMDB recovers
   at open. */
static MDB_txn *
s_begin(writer_t *self)
{
    MDB_txn *txn;
    int rc;
    while ((rc = store_begin(self->store, NULL, true, &txn)) != 0) {
        log_warnx("cannot begin a transaction: %s", store_strerror(rc));
        if (++self->begin_failures >= 100)
            fatalx("the store refuses every transaction (%s); stopping",
                   store_strerror(rc));
        zclock_sleep(10);
    }
    self->begin_failures = 0;
    return txn;
}

/* Where a batch takes its requests from: the next one, or NULL. */
typedef request_t *(s_next_fn)(void *source);

/* The thread's source: what is already waiting in its queue. */
static request_t *
s_next_waiting(void *source)
{
    return jobq_take_one(source);
}

/* Applies first and every request next gives (up to the batch's limits),
   commits once, and returns the batch. */
static writer_batch_t *
s_batch(writer_t *self, request_t *first, s_next_fn *next, void *source)
{
    writer_batch_t *wb = calloc(1, sizeof *wb);
    request_t **reqs = calloc(BROKER_BATCH_MAX, sizeof *reqs);
    if (!wb || !reqs)
        fatalx("out of memory for a batch"); /* nothing half-done yet */
    wb->requests = reqs;
    if (self->delay_ms)
        usleep(self->delay_ms * 1000);
    batch_t batch = {.store = self->store,
                     .events = &wb->events,
                     .now = nmirf_now_ms(),
                     .stats = self->stats,
                     .txn = s_begin(self)};
    /* A batch ends at BROKER_BATCH_MAX requests, or once its replies hold
       BROKER_BATCH_BYTES: replies wait for the commit, so this bounds the
       memory a burst of large reads can pin. */
    size_t bytes = 0;
    request_t *req = first;
    unsigned writes = 0;
    while (req) {
        req->writer_us = nmirf_mono_us(); /* the latency split: queue ends */
        if (req->check_rc == 0) {
            dispatch_apply(&batch, &req->checked, &req->reply);
            /* A write is marked (1), and stamped once its commit synced;
               a read or a refusal stays 0 and is not in the split. */
            req->synced_us = batch.writes > writes;
            writes = batch.writes;
        } else
            nmirf_reply_encode(&req->reply, NULL, NMIRF_E_INTERNAL, "out of memory",
                               store_seq(self->store, batch.txn), NULL, 0);
        bytes += req->reply.size;
        reqs[wb->count++] = req;
        req = wb->count < BROKER_BATCH_MAX && bytes < BROKER_BATCH_BYTES ? next(source)
                                                                         : NULL;
    }
    if (!batch.writes && !batch.floor_moved) {
        store_abort(batch.txn); /* reads only: nothing to sync */
        self->stats->requests += wb->count;
        return wb;
    }
    /* The log grew: the same commit carries the broker's signature of its
       new head, so no crash can leave a head without one (PROTOCOL.md
       section 10). A signature, not a sync: about 20 us per batch. */
    if (wb->events.count)
        checkpoint_put(self->store, batch.txn, self->key);
    uint64_t t0 = nmirf_mono_us();
    /* synced: the durability point */
    int rc = store_commit_record(batch.txn, &wb->record);
    uint64_t took = nmirf_mono_us() - t0;
    if (rc) {
        log_warnx("commit of %zu requests failed: %s; all refused", wb->count,
                  store_strerror(rc));
        event_batch_truncate(&wb->events, 0);
        MDB_txn *rtxn;
        uint64_t seq = 0;
        if (!store_begin(self->store, NULL, false, &rtxn)) {
            seq = store_seq(self->store, rtxn);
            mdb_txn_abort(rtxn);
        }
        s_fail_all(wb, rc, seq);
    }
    for (size_t i = 0; i < wb->count; i++) /* refused all: not in the split */
        if (reqs[i]->synced_us)
            reqs[i]->synced_us = rc ? 0 : t0 + took;
    if (!rc) {
        self->stats->commits++;
        self->stats->commit_us += took;
        self->stats->writes += batch.writes;
        self->stats->last_commit = nmirf_now_ms();
        self->stats->last_batch = batch.writes;
        unsigned slow_ms = atomic_load(&self->stats->slow_commit_ms);
        if (slow_ms && took >= (uint64_t)slow_ms * 1000)
            log_warnx("slow commit: %llu ms for %zu requests",
                      (unsigned long long)(took / 1000), wb->count);
    }
    self->stats->requests += wb->count;
    return wb;
}

/* The thread: a batch per wake-up (whatever waits, up to the batch's
   limits), until the queue closes and is empty. */
static void *
s_thread(void *arg)
{
    writer_t *self = arg;
    while (jobq_wait(self->jobs)) {
        request_t *req = jobq_take_one(self->jobs);
        if (!req)
            continue;
        if (atomic_load(&self->stopping)) {
            /* The broker gave up waiting for us (broker_run): nobody
               would answer these; their clients resend. */
            request_destroy(&req);
            continue;
        }
        writer_batch_t *wb = s_batch(self, req, s_next_waiting, self->jobs);
        if (self->hold_ms && wb->events.count)
            usleep(self->hold_ms * 1000); /* the test hook: committed, not back */
        /* The batch cannot be dropped (its requests are in flight): out
           of memory waits for memory. */
        while (jobq_push(self->done, wb)) {
            log_warnx("out of memory handing a batch back; retrying");
            usleep(10000);
        }
    }
    return NULL;
}

writer_t *
writer_new(store_t *store, broker_stats_t *stats, const nmirf_key_t *key)
{
    writer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->stats = stats;
    self->delay_ms = s_delay_ms("NMIRFD_WRITER_DELAY_MS", "before each batch");
    self->hold_ms = s_delay_ms("NMIRFD_WRITER_HOLD_MS",
                               "between a batch's commit of events and its hand-back");
    self->key = key;
    self->jobs = jobq_new();
    self->done = jobq_new();
    if (!self->jobs || !self->done || worker_start(&self->thread, s_thread, self))
        goto fail;
    self->started = true;
    return self;
fail:
    writer_destroy(&self);
    return NULL;
}

void
writer_destroy(writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    writer_t *self = *self_p;
    if (self->started) {
        /* The batch it is in finishes; requests not begun are dropped. */
        atomic_store(&self->stopping, true);
        jobq_close(self->jobs);
        pthread_join(self->thread, NULL);
    }
    writer_batch_t *wb;
    while (self->done && (wb = writer_next(self)) != NULL)
        writer_batch_destroy(&wb);
    jobq_destroy(&self->jobs);
    jobq_destroy(&self->done);
    free(self);
    *self_p = NULL;
}

int
writer_submit(writer_t *self, request_t *req)
{
    if (jobq_push(self->jobs, req))
        return -1;
    self->pending++;
    return 0;
}

/* The inline source: an array. */
typedef struct {
    request_t **reqs;      /* the requests */
    size_t n, i;           /* how many, the next */
} s_array_t;

static request_t *
s_next_in_array(void *source)
{
    s_array_t *a = source;
    return a->i < a->n ? a->reqs[a->i++] : NULL;
}

writer_batch_t *
writer_run(writer_t *self, request_t **reqs, size_t n)
{
    assert(self->pending == 0 && n > 0 && n <= BROKER_BATCH_MAX);
    s_array_t a = {reqs, n, 1};
    return s_batch(self, reqs[0], s_next_in_array, &a);
}

bool
writer_idle(writer_t *self)
{
    return self->pending == 0;
}

int
writer_done(writer_t *self)
{
    return jobq_fd(self->done);
}

writer_batch_t *
writer_next(writer_t *self)
{
    writer_batch_t *wb = jobq_take_one(self->done);
    if (!wb)
        return NULL;
    self->pending -= wb->count;
    return wb;
}

void
writer_batch_destroy(writer_batch_t **batch_p)
{
    if (!batch_p || !*batch_p)
        return;
    writer_batch_t *wb = *batch_p;
    for (size_t i = 0; i < wb->count; i++)
        request_destroy(&wb->requests[i]);
    free(wb->requests);
    event_batch_free(&wb->events);
    msgpack_sbuffer_destroy(&wb->record);
    free(wb);
    *batch_p = NULL;
}
