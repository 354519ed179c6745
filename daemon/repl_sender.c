/*  repl_sender - the primary's side of the replication stream. */
#include "repl_sender.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <czmq.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One record in the ring. */
typedef struct s_entry {
    struct s_entry *next; /* the next record, NULL for the last */
    uint64_t n;           /* its number */
    uint64_t ts;          /* wall-clock ms of its commit */
    uint64_t seq_before;  /* the store's seq before the commit */
    uint64_t seq_after;   /* and after it */
    size_t len;           /* record bytes */
    uint8_t data[];       /* the record */
} s_entry_t;

/* One following connection. */
typedef struct {
    uint8_t id[256]; /* ROUTER routing id */
    size_t id_len;   /* 0: a free slot */
    uint64_t next;   /* the next record it gets */
    uint64_t since;  /* order it began following, to drop the oldest */
} s_follower_t;

struct _repl_sender_t {
    store_t *store;          /* borrowed */
    pthread_mutex_t lock;    /* guards the ring (first..last, bytes) */
    s_entry_t *first, *last; /* the ring, oldest first */
    uint64_t n;              /* the last record's number (0: none yet) */
    uint64_t dropped;        /* the last number that left the ring */
    size_t bytes, max_bytes; /* held, and the bound */
    uint8_t ring[REPL_RING_ID_LEN];
    s_follower_t followers[REPL_FOLLOWERS_MAX]; /* the broker's thread's */
    uint64_t began;                             /* follow order counter */
    uint64_t acked; /* the highest record a standby holds (broker's thread) */
};

static repl_sender_t *s_global;

/* The store's commit hook: the committing thread, in commit order. */
static void
s_on_commit(void *arg, const uint8_t *record, size_t len, uint64_t seq_before,
            uint64_t seq_after)
{
    repl_sender_t *self = arg;
    s_entry_t *e = malloc(sizeof *e + len);
    pthread_mutex_lock(&self->lock);
    self->n++;
    if (!e) {
        /* Out of memory: the record is lost to the ring, so every
           follower must start again from a copy. */
        log_warnx("replication: no memory for record %llu: followers will need a "
                  "full copy",
                  (unsigned long long)self->n);
        while (self->first) {
            s_entry_t *f = self->first;
            self->first = f->next;
            free(f);
        }
        self->last = NULL;
        self->bytes = 0;
        self->dropped = self->n;
        pthread_mutex_unlock(&self->lock);
        return;
    }
    e->next = NULL;
    e->n = self->n;
    e->ts = (uint64_t)nmirf_now_ms();
    e->seq_before = seq_before;
    e->seq_after = seq_after;
    e->len = len;
    memcpy(e->data, record, len);
    if (self->last)
        self->last->next = e;
    else
        self->first = e;
    self->last = e;
    self->bytes += len;
    while (self->bytes > self->max_bytes && self->first != self->last) {
        s_entry_t *f = self->first;
        self->first = f->next;
        self->bytes -= f->len;
        self->dropped = f->n;
        free(f);
    }
    pthread_mutex_unlock(&self->lock);
}

repl_sender_t *
repl_sender_new(store_t *store, size_t max_bytes)
{
    repl_sender_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->max_bytes = max_bytes ? max_bytes : REPL_RING_BYTES;
    pthread_mutex_init(&self->lock, NULL);
    randombytes_buf(self->ring, sizeof self->ring);
    store_set_commit_hook(store, s_on_commit, self);
    s_global = self;
    return self;
}

void
repl_sender_destroy(repl_sender_t **self_p)
{
    repl_sender_t *self = *self_p;
    if (!self)
        return;
    store_set_commit_hook(self->store, NULL, NULL);
    while (self->first) {
        s_entry_t *f = self->first;
        self->first = f->next;
        free(f);
    }
    pthread_mutex_destroy(&self->lock);
    if (s_global == self)
        s_global = NULL;
    free(self);
    *self_p = NULL;
}

repl_sender_t *
repl_sender_global(void)
{
    return s_global;
}

void
repl_sender_ring_id(const repl_sender_t *self, uint8_t id[REPL_RING_ID_LEN])
{
    memcpy(id, self->ring, REPL_RING_ID_LEN);
}

int
repl_sender_check_position(repl_sender_t *self, const uint8_t ring[REPL_RING_ID_LEN],
                           uint64_t n, char *why, size_t whylen)
{
    if (sodium_memcmp(ring, self->ring, REPL_RING_ID_LEN) != 0) {
        snprintf(why, whylen, "position of another run of the primary: take a full copy");
        return -1;
    }
    pthread_mutex_lock(&self->lock);
    uint64_t last = self->n, dropped = self->dropped;
    pthread_mutex_unlock(&self->lock);
    if (n > last) {
        snprintf(why, whylen, "position %llu is ahead of the last record %llu",
                 (unsigned long long)n, (unsigned long long)last);
        return -1;
    }
    if (n < dropped) {
        snprintf(why, whylen,
                 "the records after %llu have left the ring (it starts after %llu): take "
                 "a full copy",
                 (unsigned long long)n, (unsigned long long)dropped);
        return -1;
    }
    return 0;
}

/* Under the write lock and the hook's lock (store_copy_fd_at): no record
   is on its way into the ring, none can follow until the copy ends. The
   first copy turns the changelog on: a primary no standby ever copied
   makes no records (their packing and signing cost the write path; see
   docs/PERFORMANCE.md), and every commit after the copy is in one. */
static void
s_at_copy(void *arg, uint64_t *n)
{
    repl_sender_t *self = arg;
    store_changelog_start(self->store);
    pthread_mutex_lock(&self->lock);
    *n = self->n;
    pthread_mutex_unlock(&self->lock);
}

int
repl_sender_copy(repl_sender_t *self, int fd, uint64_t *seq, uint8_t head[NMIRF_HASH_LEN],
                 uint64_t *n, char *why, size_t whylen)
{
    return store_copy_fd_at(self->store, fd, seq, head, s_at_copy, self, n, why, whylen);
}

bool
repl_sender_on_reply(repl_sender_t *self, const uint8_t *id, size_t id_len,
                     const char *op, const uint8_t *reply, size_t reply_len)
{
    if (!op || strcmp(op, "repl.follow") != 0 || id_len == 0 ||
        id_len > sizeof self->followers[0].id)
        return false;
    char why[128];
    nmirf_reply_t *r = nmirf_reply_decode(reply, reply_len, why, sizeof why);
    if (!r)
        return false;
    const msgpack_object *n = r->code == NMIRF_OK ? nmirf_mp_get(&r->body, "n") : NULL;
    bool ok = n && n->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
    uint64_t from = ok ? n->via.u64 : 0;
    nmirf_reply_destroy(&r);
    if (!ok)
        return false;
    s_follower_t *slot = NULL;
    for (size_t i = 0; i < REPL_FOLLOWERS_MAX; i++) {
        s_follower_t *f = &self->followers[i];
        if (f->id_len == id_len && memcmp(f->id, id, id_len) == 0) {
            slot = f;
            break;
        }
        if (!slot || (slot->id_len && (!f->id_len || f->since < slot->since)))
            slot = f; /* a free slot, else the oldest follower */
    }
    if (slot->id_len && (slot->id_len != id_len || memcmp(slot->id, id, id_len)))
        log_info("replication: %d followers already: the oldest is dropped",
                 REPL_FOLLOWERS_MAX);
    memcpy(slot->id, id, id_len);
    slot->id_len = id_len;
    slot->next = from + 1;
    slot->since = ++self->began;
    /* Its position is what its store holds: an acknowledgement of it
       (check_position refused any n past the last record). */
    if (from > self->acked)
        self->acked = from;
    return true;
}

/* The follower whose routing id is id, or NULL. */
static s_follower_t *
s_follower(repl_sender_t *self, const uint8_t *id, size_t id_len)
{
    for (size_t i = 0; i < REPL_FOLLOWERS_MAX; i++) {
        s_follower_t *f = &self->followers[i];
        if (f->id_len && f->id_len == id_len && memcmp(f->id, id, id_len) == 0)
            return f;
    }
    return NULL;
}

bool
repl_sender_on_ack(repl_sender_t *self, const uint8_t *id, size_t id_len,
                   const uint8_t *frame, size_t len)
{
    if (!s_follower(self, id, id_len))
        return false;
    nmirf_mp_reader_t r = {frame, frame + len};
    uint64_t n;
    if (nmirf_mp_read_uint(&r, &n) || r.p != r.end)
        return false;
    uint64_t last = repl_sender_last(self);
    if (n > last) {
        /* A standby cannot hold a record not made yet. */
        log_warnx("replication: a follower acknowledged record %llu, past the last "
                  "(%llu): ignored",
                  (unsigned long long)n, (unsigned long long)last);
        return true;
    }
    if (n > self->acked)
        self->acked = n;
    return true;
}

void
repl_sender_lag(repl_sender_t *self, uint64_t acked, uint64_t now_ms, uint64_t *lag_ms,
                uint64_t *lag_events)
{
    *lag_ms = *lag_events = 0;
    pthread_mutex_lock(&self->lock);
    const s_entry_t *oldest = NULL; /* the oldest record not acknowledged */
    for (const s_entry_t *e = self->first; e && !oldest; e = e->next)
        if (e->n > acked)
            oldest = e;
    if (oldest) {
        *lag_ms = now_ms > oldest->ts ? now_ms - oldest->ts : 0;
        *lag_events = self->last->seq_after - oldest->seq_before;
    }
    pthread_mutex_unlock(&self->lock);
}

uint64_t
repl_sender_acked(const repl_sender_t *self)
{
    return self->acked;
}

/* Sends one multipart message to a follower without blocking; false if
   ZeroMQ could not take it (a full queue, a gone peer). */
static bool
s_send(void *router, const s_follower_t *f, const char *topic, const void *a, size_t alen,
       const void *b, size_t blen)
{
    if (zmq_send(router, f->id, f->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return false;
    /* Once the routing frame went, the rest of the message goes with it. */
    zmq_send(router, topic, strlen(topic), ZMQ_SNDMORE);
    if (b) {
        zmq_send(router, a, alen, ZMQ_SNDMORE);
        return zmq_send(router, b, blen, 0) >= 0;
    }
    return zmq_send(router, a, alen, 0) >= 0;
}

void
repl_sender_drain(repl_sender_t *self, void *router)
{
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < REPL_FOLLOWERS_MAX; i++) {
        s_follower_t *f = &self->followers[i];
        if (!f->id_len || f->next > self->n)
            continue;
        if (f->next <= self->dropped) {
            log_warnx("replication: a follower fell behind the ring (record %llu is "
                      "gone): dropped",
                      (unsigned long long)f->next);
            f->id_len = 0;
            continue;
        }
        s_entry_t *e = self->first;
        while (e && e->n < f->next)
            e = e->next;
        for (; e; e = e->next) {
            uint8_t hdr[16];
            nmirf_be64_encode(e->n, hdr);
            nmirf_be64_encode(e->ts, hdr + 8);
            if (!s_send(router, f, "repl", hdr, sizeof hdr, e->data, e->len)) {
                log_warnx("replication: a follower's queue is full at record %llu: "
                          "dropped",
                          (unsigned long long)e->n);
                f->id_len = 0;
                break;
            }
            f->next = e->n + 1;
        }
    }
    pthread_mutex_unlock(&self->lock);
}

void
repl_sender_heartbeat(repl_sender_t *self, void *router, uint64_t seq)
{
    pthread_mutex_lock(&self->lock);
    uint64_t n = self->n;
    pthread_mutex_unlock(&self->lock);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_uint(&pk, "n", n);
    nmirf_mp_pack_kv_uint(&pk, "seq", seq);
    nmirf_mp_pack_kv_uint(&pk, "ts", (uint64_t)nmirf_now_ms());
    for (size_t i = 0; i < REPL_FOLLOWERS_MAX; i++) {
        s_follower_t *f = &self->followers[i];
        if (f->id_len && !s_send(router, f, "rhb", sb.data, sb.size, NULL, 0))
            f->id_len = 0;
    }
    msgpack_sbuffer_destroy(&sb);
}

size_t
repl_sender_followers(repl_sender_t *self)
{
    size_t count = 0;
    for (size_t i = 0; i < REPL_FOLLOWERS_MAX; i++)
        count += self->followers[i].id_len != 0;
    return count;
}

uint64_t
repl_sender_last(repl_sender_t *self)
{
    pthread_mutex_lock(&self->lock);
    uint64_t n = self->n;
    pthread_mutex_unlock(&self->lock);
    return n;
}
