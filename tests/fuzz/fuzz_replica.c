/*  fuzz_replica - the agent's replica (client/agent/replica.c, and
    notify.c behind it) fed whatever the broker's side of the link could
    send: snapshot replies, events.since pages, and the events and
    heartbeats pushed on its connection.

    The real replica code runs on a real LMDB environment in a temporary
    directory (on /dev/shm when it exists, so the synced commits are
    cheap). link.c is replaced by the stubs below (the replica knows no
    other part; its notifications go to notify.c, wired here as
    agent_main.c wires them): each read (link_read_start: the snapshot,
    then events.since pages) is answered, after the call returned as on
    the real loop, with the next reply of the input (s_answer), and
    link_next_push takes the pushed messages from an inproc PULL fed with
    the input's events. Each run empties the replica first, so runs do
    not depend on each other.

    Input: records of [kind byte][2-byte big-endian length][bytes].
      kind % 3 == 0  a reply frame, the answer to the next read
      kind % 3 == 1  an event frame, pushed under topic ev/x
      kind % 3 == 2  a heartbeat frame, pushed under topic hb
    Then replica_tick and replica_on_pushed run, and the read started
    meanwhile is answered (bounded), until no reply is left and nothing
    pushed waits.

    Checks beyond the sanitizers: the replica's digest can be computed
    and is at the sequence the replica believes (replica_status), and
    that sequence never goes past the highest the input announced.

    Seeds: make_seeds.py (corpus/replica/), from the same events and
    replies as the event and reply harnesses.
*/
#include "notify.h"
#include "replica.h"

#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLIES_MAX 64 /* replies one input may hold */
#define ROUNDS_MAX 32  /* tick + push rounds per run */

static agent_conf_t s_conf;                   /* the agent's configuration */
static replica_t *s_replica;                  /* the replica fuzzed */
static notify_t *s_notify;                    /* its notifications */
static char s_dir[64];                        /* its temporary directory */
static zsock_t *s_push;                       /* feeds s_pull: what the broker pushes */
static zsock_t *s_pull;                       /* where link_next_push takes it from */
static FILE *s_err;                           /* the real stderr */
static const uint8_t *s_replies[REPLIES_MAX]; /* this run's replies... */
static size_t s_reply_len[REPLIES_MAX];       /* ...their sizes */
static size_t s_reply_count, s_reply_next;    /* how many, the next one */
static link_read_fn *s_read_done;             /* the read in flight's, NULL if none */
static void *s_read_arg;                      /* ...given back to it */
static bool s_read_lazy;                      /* its reply's body stays packed */

static void
s_broken(const char *what, const char *detail)
{
    fprintf(s_err, "fuzz_replica: %s: %s\n", what, detail ? detail : "");
    fflush(s_err);
    abort();
}

/* --- the stubs of link.c ---------------------------------------------- */

void
link_contact(link_t *link)
{
    (void)link;
}

void
link_hold_contact(link_t *link, bool hold)
{
    (void)link;
    (void)hold;
}

bool
link_reachable(const link_t *link)
{
    (void)link;
    return true;
}

bool
link_may_read(const link_t *link)
{
    (void)link;
    return !s_read_done && s_reply_next < s_reply_count;
}

void
link_read_failed(link_t *link)
{
    (void)link;
}

int
link_read_start(link_t *link, const char *op, const uint8_t *body, size_t len,
                int timeout_ms, bool lazy_body, link_read_fn *done, void *arg)
{
    (void)link;
    (void)op;
    (void)body;
    (void)len;
    (void)timeout_ms;
    if (s_read_done || s_reply_next >= s_reply_count)
        return -1; /* as the real one with no connection */
    s_read_lazy = lazy_body;
    s_read_done = done;
    s_read_arg = arg;
    return 0;
}

bool
link_reading(const link_t *link)
{
    (void)link;
    return s_read_done != NULL;
}

/* Ends the read in flight with the input's next reply, as the link's
   loop would: an ok reply, or NULL for a refusal or an unreadable one. */
static void
s_answer(void)
{
    link_read_fn *done = s_read_done;
    s_read_done = NULL;
    size_t i = s_reply_next++;
    char why[128];
    /* As the real link: decoded with the body packed, unpacked unless the
       read asked for it packed (the snapshot: replica_snapshot.c walks it). */
    nmirf_reply_t *r = nmirf_reply_decode_lazy(s_replies[i], s_reply_len[i], NULL, NULL,
                                               why, sizeof why);
    if (r && !s_read_lazy && nmirf_reply_unpack_body(r) != 0)
        nmirf_reply_destroy(&r);
    if (r && !r->ok)
        nmirf_reply_destroy(&r); /* the real link ends a read with ok replies only */
    done(r, s_read_arg);
}

zmsg_t *
link_next_push(link_t *link)
{
    (void)link;
    return (zsock_events(s_pull) & ZMQ_POLLIN) ? zmsg_recv(s_pull) : NULL;
}

bool
link_stashed(const link_t *link)
{
    (void)link;
    return false; /* no read stashes what a real socket brings here */
}

void
link_flush_replies(link_t *link)
{
    (void)link; /* link_next_push meets no replies here */
}

size_t
link_broker(const link_t *link)
{
    (void)link;
    return 0; /* one broker: it never moves */
}

const uint8_t *
link_sign_pk(const link_t *link)
{
    (void)link;
    return NULL; /* one broker: the witness judges every checkpoint */
}

/* --- the harness ----------------------------------------------------- */

/* The replica's notifications, to notify.c as agent_main.c wires them. */
static void
s_collect(MDB_txn *txn, const MDB_dbi *dbi, const nmirf_event_t *ev, zlist_t *pending,
          void *arg)
{
    (void)arg;
    notify_collect(s_notify, txn, dbi[AG_DB_ASSIGNMENTS], ev, pending);
}

static void
s_deliver(zlist_t *pending, void *arg)
{
    (void)arg;
    notify_deliver(s_notify, pending);
}

static const replica_events_t s_events = {.collect = s_collect, .deliver = s_deliver};

static int
s_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void
s_cleanup(void)
{
    notify_destroy(&s_notify);
    replica_destroy(&s_replica);
    zsock_destroy(&s_pull);
    zsock_destroy(&s_push);
    nftw(s_dir, s_remove, 8, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    s_err = stderr;
    if (sodium_init() < 0)
        s_broken("sodium_init failed", NULL);
    if (!getenv("NMIRF_FUZZ_LOG")) {
        FILE *null = fopen("/dev/null", "w"); /* the agent's warnings, one a run */
        if (null)
            stderr = null;
    }
    log_init("fuzz_replica", false);
    zsys_init();
    zsys_set_logstream(NULL);
    snprintf(s_dir, sizeof s_dir, "%s/nmirf-fuzz-replica-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(s_dir))
        s_broken("mkdtemp", s_dir);
    atexit(s_cleanup);
    s_conf.dir = s_dir;
    s_conf.notify_log = "/dev/null";
    if (nmirf_key_generate(&s_conf.key, "MJ") != 0)
        s_broken("cannot make a key", NULL);
    if (!(s_replica = replica_new(&s_conf, NULL, false, &s_events)))
        s_broken("replica_new failed", s_dir);
    s_notify = notify_new(&s_conf);
    s_pull = zsock_new_pull("@inproc://fuzz-replica-pushed");
    s_push = zsock_new_push(">inproc://fuzz-replica-pushed");
    if (!s_notify || !s_pull || !s_push)
        s_broken("cannot make the sockets", NULL);
    return 0;
}

/* Empties the replica (never the outbox) and forgets its state in memory
   (the witness's too): it is opened again on the emptied environment. */
static void
s_reset(void)
{
    MDB_txn *txn;
    const MDB_dbi *dbi = replica_dbis(s_replica);
    int rc = mdb_txn_begin(replica_env(s_replica), NULL, 0, &txn);
    for (int i = 0; !rc && i < AG_DB_COUNT; i++)
        if (i != AG_DB_OUTBOX)
            rc = mdb_drop(txn, dbi[i], 0);
    if (!rc)
        rc = mdb_txn_commit(txn);
    if (rc)
        s_broken("cannot empty the replica", mdb_strerror(rc));
    replica_destroy(&s_replica);
    if (!(s_replica = replica_new(&s_conf, NULL, false, &s_events)))
        s_broken("replica_new failed", s_dir);
    s_reply_count = s_reply_next = 0;
    s_read_done = NULL; /* the replica it was for is gone */
}

/* The highest seq a frame announces (an event's, a heartbeat's, or a
   reply's `seq`, `last` and the seqs of its events), for the bound
   check; 0 if none. */
static uint64_t
s_announced(const uint8_t *data, size_t len)
{
    msgpack_zone zone;
    msgpack_object top;
    msgpack_zone_init(&zone, 1024);
    uint64_t max = 0;
    /* Checked first (nmirf_mp): a raw unpack would believe any count. */
    if (nmirf_mp_unpack(data, len, &zone, &top, NULL, 0) == NMIRF_OK) {
        /* Any uint anywhere: generous, never below what the replica may
           legitimately reach. */
        const msgpack_object *stack[64];
        size_t n = 0;
        stack[n++] = &top;
        while (n) {
            const msgpack_object *o = stack[--n];
            if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 > max)
                max = o->via.u64;
            else if (o->type == MSGPACK_OBJECT_ARRAY)
                for (uint32_t i = 0; i < o->via.array.size && n < 64; i++)
                    stack[n++] = &o->via.array.ptr[i];
            else if (o->type == MSGPACK_OBJECT_MAP)
                for (uint32_t i = 0; i < o->via.map.size && n < 64; i++)
                    stack[n++] = &o->via.map.ptr[i].val;
            else if (o->type == MSGPACK_OBJECT_BIN) {
                uint64_t inner =
                    s_announced((const uint8_t *)o->via.bin.ptr, o->via.bin.size);
                max = inner > max ? inner : max;
            }
        }
    }
    msgpack_zone_destroy(&zone);
    return max;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_reset();
    uint64_t announced = 0;
    while (size >= 3) {
        uint8_t kind = data[0] % 3;
        size_t len = (size_t)data[1] << 8 | data[2];
        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        uint64_t a = s_announced(data, len);
        announced = a > announced ? a : announced;
        if (kind == 0) {
            if (s_reply_count < REPLIES_MAX) {
                s_replies[s_reply_count] = data;
                s_reply_len[s_reply_count++] = len;
            }
        } else {
            zmsg_t *msg = zmsg_new();
            zmsg_addstr(msg, kind == 1 ? "ev/x" : "hb");
            zmsg_addmem(msg, data, len);
            if (zmsg_send(&msg, s_push) != 0)
                s_broken("cannot feed the pushed messages", NULL);
        }
        data += len;
        size -= len;
    }
    for (int round = 0; round < ROUNDS_MAX; round++) {
        bool waiting = zsock_events(s_pull) & ZMQ_POLLIN;
        if (!waiting && !link_may_read(NULL))
            break;
        replica_tick(s_replica);
        if (waiting)
            replica_on_pushed(s_replica);
        while (s_read_done) /* each read takes a reply: at most REPLIES_MAX */
            s_answer();
    }
    while (zsock_events(s_pull) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv(s_pull);
        zmsg_destroy(&msg);
    }

    uint8_t digest[NMIRF_HASH_LEN];
    uint64_t seq;
    if (replica_digest(s_replica, digest, &seq) != 0)
        s_broken("replica_digest failed", NULL);
    replica_status_t st;
    replica_status(s_replica, &st);
    if (seq != st.seq)
        s_broken("the replica's stored seq is not the one it believes", NULL);
    if (seq > announced)
        s_broken("the replica is past every seq the input named", NULL);
    return 0;
}
