/*  follower - the standby's side of the replication stream. */
#include "follower.h"
#include "nmirf_client.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "nmirf_wire.h"
#include "repl_sender.h"
#include "standby_apply.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the standby is in its primary's stream (follow.pos). */
typedef struct {
    uint8_t ring[REPL_RING_ID_LEN]; /* the primary's ring */
    uint64_t n;                     /* the last record applied */
    uint64_t seq;                   /* the store's seq after it */
} s_pos_t;

struct _follower_t {
    store_t *store;    /* borrowed */
    role_t *role;      /* borrowed */
    follower_opts_t o; /* borrowed strings */
    pthread_t thread;  /* the follower's */
    atomic_bool stop;  /* follower_stop asks it to end */
    s_pos_t pos;       /* the thread's */
};

/* For status and main (one follower per process). */
static atomic_bool s_running, s_wants_copy, s_following;
static _Atomic uint64_t s_applied, s_primary_seq, s_last_ts;
/* ms from the primary's commit of the last record applied to its commit
   here: what the standby trails by when records arrive faster than the
   heartbeat that names the primary's seq can overtake them. */
static _Atomic uint64_t s_replay_ms;
/* When the primary was last heard (zclock_mono ms): any message on the
   follower's connection, or the follower's start if none since. */
static _Atomic int64_t s_heard_mono;

static void
s_pos_path(const follower_opts_t *o, char *out, size_t len, const char *suffix)
{
    snprintf(out, len, "%s/follow.pos%s", o->datadir, suffix);
}

static int
s_pos_read(const follower_opts_t *o, s_pos_t *pos)
{
    char path[4096];
    s_pos_path(o, path, sizeof path, "");
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t buf[REPL_RING_ID_LEN + 16];
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (got != sizeof buf)
        return -1;
    memcpy(pos->ring, buf, REPL_RING_ID_LEN);
    pos->n = nmirf_be64_decode(buf + REPL_RING_ID_LEN);
    pos->seq = nmirf_be64_decode(buf + REPL_RING_ID_LEN + 8);
    return 0;
}

/* Written to a new file, then renamed: follow.pos is the old position or
   the new one, never half of each. Not synced: after a power loss an old
   position asks again for a record the store holds, which standby_apply
   refuses (or, one without events, applies again to the same values). */
static int
s_pos_write(const follower_opts_t *o, const s_pos_t *pos)
{
    char path[4096], tmp[4096];
    s_pos_path(o, path, sizeof path, "");
    s_pos_path(o, tmp, sizeof tmp, ".new");
    uint8_t buf[REPL_RING_ID_LEN + 16];
    memcpy(buf, pos->ring, REPL_RING_ID_LEN);
    nmirf_be64_encode(pos->n, buf + REPL_RING_ID_LEN);
    nmirf_be64_encode(pos->seq, buf + REPL_RING_ID_LEN + 8);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    bool ok = write(fd, buf, sizeof buf) == (ssize_t)sizeof buf;
    close(fd);
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

void
follower_forget(const follower_opts_t *o)
{
    char path[4096];
    s_pos_path(o, path, sizeof path, "");
    unlink(path);
}

bool
follower_position_ok(const follower_opts_t *o, store_t *store)
{
    s_pos_t pos;
    MDB_txn *txn;
    if (s_pos_read(o, &pos) || store_begin(store, NULL, false, &txn))
        return false;
    uint64_t seq = store_seq(store, txn);
    mdb_txn_abort(txn);
    return seq > 0 && seq == pos.seq;
}

/* A bin field of exactly len bytes (len 0: any), or NULL. */
static const msgpack_object *
s_bin(const msgpack_object *body, const char *key, size_t len)
{
    const msgpack_object *v = nmirf_mp_get(body, key);
    if (!v || v->type != MSGPACK_OBJECT_BIN || (len && v->via.bin.size != len))
        return NULL;
    return v;
}

static const msgpack_object *
s_uint(const msgpack_object *body, const char *key)
{
    const msgpack_object *v = nmirf_mp_get(body, key);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v : NULL;
}

int
follower_prepare(const follower_opts_t *o, char *why, size_t whylen)
{
    char storefile[4096], path[4200];
    snprintf(storefile, sizeof storefile, "%s/store/data.mdb", o->datadir);
    s_pos_t pos;
    struct stat st;
    if (stat(storefile, &st) == 0 && st.st_size > 0 && s_pos_read(o, &pos) == 0)
        return 0; /* follows from follow.pos */
    log_info("standby: taking a full copy of the primary's store from %s", o->endpoint);
    nmirf_client_t *client =
        nmirf_client_new(o->endpoint, o->key, o->server_pk, FOLLOWER_COPY_TIMEOUT_MS);
    if (!client) {
        snprintf(why, whylen, "cannot connect to %s", o->endpoint);
        return -1;
    }
    char cwhy[512];
    nmirf_reply_t *reply =
        nmirf_client_call(client, "repl.copy", NULL, 0, cwhy, sizeof cwhy);
    nmirf_client_destroy(&client);
    if (!reply) {
        snprintf(why, whylen, "no full copy from %s: %s", o->endpoint, cwhy);
        return -1;
    }
    int rc = -1;
    if (reply->code != NMIRF_OK) {
        snprintf(why, whylen, "the primary refused repl.copy: %s: %s",
                 nmirf_code_name(reply->code), reply->message ? reply->message : "");
        goto done;
    }
    const msgpack_object *seq = s_uint(&reply->body, "seq"),
                         *n = s_uint(&reply->body, "n");
    const msgpack_object *head = s_bin(&reply->body, "head", NMIRF_HASH_LEN);
    const msgpack_object *ring = s_bin(&reply->body, "ring", REPL_RING_ID_LEN);
    const msgpack_object *store = s_bin(&reply->body, "store", 0);
    if (!seq || !n || !head || !ring || !store) {
        snprintf(why, whylen, "repl.copy's reply lacks seq, n, head, ring or store");
        goto done;
    }
    /* Staged beside the store, checked, then renamed in place. */
    char staging[4120];
    snprintf(staging, sizeof staging, "%s/standby.new", o->datadir);
    snprintf(path, sizeof path, "%s/store", staging);
    if ((mkdir(staging, 0700) && errno != EEXIST) ||
        (mkdir(path, 0700) && errno != EEXIST)) {
        snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
        goto done;
    }
    snprintf(path, sizeof path, "%s/store/data.mdb", staging);
    if (nmirf_write_file(path, store->via.bin.ptr, store->via.bin.size, 0600)) {
        snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    if (standby_check_copy(staging, o->primary_pk, seq->via.u64,
                           (const uint8_t *)head->via.bin.ptr, cwhy, sizeof cwhy)) {
        snprintf(why, whylen, "the primary's full copy does not check: %s", cwhy);
        goto done;
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/store", o->datadir);
    if (mkdir(dir, 0700) && errno != EEXIST) {
        snprintf(why, whylen, "cannot create %s: %s", dir, strerror(errno));
        goto done;
    }
    snprintf(dir, sizeof dir, "%s/store/lock.mdb", o->datadir);
    unlink(dir);
    if (rename(path, storefile)) {
        snprintf(why, whylen, "cannot rename %s to %s: %s", path, storefile,
                 strerror(errno));
        goto done;
    }
    snprintf(path, sizeof path, "%s/store/lock.mdb", staging);
    unlink(path);
    snprintf(path, sizeof path, "%s/store", staging);
    rmdir(path);
    rmdir(staging);
    memcpy(pos.ring, ring->via.bin.ptr, REPL_RING_ID_LEN);
    pos.n = n->via.u64;
    pos.seq = seq->via.u64;
    if (s_pos_write(o, &pos)) {
        snprintf(why, whylen, "cannot write %s/follow.pos", o->datadir);
        goto done;
    }
    log_info("standby: full copy in place at seq %llu (%zu bytes), record %llu",
             (unsigned long long)pos.seq, (size_t)store->via.bin.size,
             (unsigned long long)pos.n);
    rc = 0;
done:
    nmirf_reply_destroy(&reply);
    return rc;
}

/* Sends repl.follow from pos on dealer. Returns 0, or -1. */
static int
s_send_follow(follower_t *self, zsock_t *dealer, uint8_t id[NMIRF_ID_LEN])
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_str(&pk, "ring");
    nmirf_mp_pack_bin(&pk, self->pos.ring, REPL_RING_ID_LEN);
    nmirf_mp_pack_kv_uint(&pk, "n", self->pos.n);
    randombytes_buf(id, NMIRF_ID_LEN);
    uint8_t *env;
    size_t env_len;
    uint8_t sig[NMIRF_SIG_LEN];
    int rc = nmirf_request_encode("repl.follow", id, self->o.key->entity, nmirf_now_ms(),
                                  (const uint8_t *)sb.data, sb.size, self->o.key->sign_sk,
                                  &env, &env_len, sig);
    msgpack_sbuffer_destroy(&sb);
    if (rc)
        return -1;
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, env, env_len);
    zmsg_addmem(msg, sig, sizeof sig);
    free(env);
    return zmsg_send(&msg, dealer);
}

/* Acknowledges record n, and so every record before it, applied and
   synced (s_apply_group commits synced): ["rack"][n], which a primary
   in synchronous mode waits for before it answers the writes of those
   commits (PROTOCOL.md section 11). Best effort: a lost one is covered
   by the next, or by the position of the next repl.follow. */
static void
s_send_ack(zsock_t *dealer, uint64_t n)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_uint64(&pk, n);
    void *sock = zsock_resolve(dealer);
    if (zmq_send(sock, "rack", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 4)
        zmq_send(sock, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
}

/* True while the store's epoch says the broker is still a standby. */
static bool
s_still_standby(follower_t *self)
{
    MDB_txn *txn;
    if (store_begin(self->store, NULL, false, &txn))
        return true;
    bool standby = role_standby(self->role, store_epoch(self->store, txn));
    uint64_t seq = store_seq(self->store, txn);
    mdb_txn_abort(txn);
    atomic_store(&s_applied, seq);
    return standby;
}

/* A test hook (docs/TESTING.md, async_loss_test): while the file named
   by NMIRFD_TEST_FOLLOW_PAUSE_FILE exists, pushed records are dropped
   unapplied (the heartbeats still count), so a test makes the standby
   fall behind as status shows it. The next record after it is gone is a
   gap, and the follower asks again from its position. */
static bool
s_test_paused(void)
{
    const char *path = getenv("NMIRFD_TEST_FOLLOW_PAUSE_FILE");
    return path && *path && access(path, F_OK) == 0;
}

/* Records applied in one write transaction, committed once. */
typedef struct {
    MDB_txn *txn;   /* the group's top-level write transaction */
    size_t count;   /* records applied in it */
    size_t bytes;   /* their sizes */
    uint64_t first; /* the first one's n */
    uint64_t last;  /* the last one's n */
    uint64_t ts;    /* the last one's commit on the primary (ms) */
} s_group_t;

/* True if msg is a pushed record: ["repl"][n, ts][record]. */
static bool
s_is_record(zmsg_t *msg)
{
    return zmsg_size(msg) == 3 && zframe_streq(zmsg_first(msg), "repl");
}

/* One pushed record: [n, ts][record], checked then applied into the
   group's transaction (standby_apply_in: a refused one changes nothing,
   the records before it stay). Returns 0 (applied, or dropped by the test
   hook), 1 (to connect again), 2 (stop: promoted). */
static int
s_on_record(follower_t *self, s_group_t *g, zframe_t *hdr, zframe_t *rec)
{
    if (zframe_size(hdr) != 16)
        return 1;
    if (s_test_paused())
        return 0;
    uint64_t n = nmirf_be64_decode(zframe_data(hdr));
    uint64_t ts = nmirf_be64_decode(zframe_data(hdr) + 8);
    uint64_t after = g->count ? g->last : self->pos.n;
    if (n != after + 1) {
        log_warnx("standby: record %llu after %llu: a gap in the stream; following "
                  "again",
                  (unsigned long long)n, (unsigned long long)after);
        return 1;
    }
    /* Read in the group's transaction, which holds the write lock: no
       promotion commits between this check and the record's apply. */
    if (!role_standby(self->role, store_epoch(self->store, g->txn)))
        return 2;
    char why[512];
    if (standby_apply_in(self->store, g->txn, zframe_data(rec), zframe_size(rec),
                         self->o.primary_pk, why, sizeof why)) {
        log_warnx("standby: record %llu refused: %s", (unsigned long long)n, why);
        return 1;
    }
    if (!g->count)
        g->first = n;
    g->count++;
    g->last = n;
    g->bytes += zframe_size(rec);
    g->ts = ts;
    return 0;
}

/* The record msg and those already waiting behind it on dealer, up to
   FOLLOWER_GROUP_RECORDS records or FOLLOWER_GROUP_BYTES bytes, applied
   in one write transaction committed once (one sync), then follow.pos
   written once and the last record acknowledged once: a synchronous
   primary that sent several records while the standby synced the
   previous one releases all their replies with one acknowledgement.
   Never waits for a record: the group is what is there. Takes msg; a
   message that is not a record ends the group and is left in *next for
   the caller. A refused record ends it too, the ones before it kept.
   Returns as s_on_record for the last record taken. */
static int
s_apply_group(follower_t *self, zsock_t *dealer, zmsg_t *msg, zmsg_t **next)
{
    s_group_t g = {0};
    int rc = store_begin(self->store, NULL, true, &g.txn);
    if (rc) {
        log_warnx("standby: cannot begin a transaction: %s", store_strerror(rc));
        zmsg_destroy(&msg);
        return 1;
    }
    int step = 0;
    while (msg) {
        zmsg_first(msg); /* "repl" (s_is_record) */
        zframe_t *hdr = zmsg_next(msg);
        step = s_on_record(self, &g, hdr, zmsg_next(msg));
        zmsg_destroy(&msg);
        if (step || g.count >= FOLLOWER_GROUP_RECORDS ||
            g.bytes >= FOLLOWER_GROUP_BYTES || !(zsock_events(dealer) & ZMQ_POLLIN))
            break;
        if ((msg = zmsg_recv(dealer)) != NULL && !s_is_record(msg)) {
            *next = msg;
            msg = NULL;
        }
    }
    if (!g.count) {
        store_abort(g.txn);
        return step;
    }
    uint64_t seq = store_seq(self->store, g.txn);
    if ((rc = store_commit(g.txn)) != 0) {
        log_warnx("standby: cannot commit records %llu..%llu: %s",
                  (unsigned long long)g.first, (unsigned long long)g.last,
                  store_strerror(rc));
        return 1;
    }
    if (g.count > 1)
        log_debug("standby: applied records %llu..%llu in one commit",
                  (unsigned long long)g.first, (unsigned long long)g.last);
    self->pos.n = g.last;
    self->pos.seq = seq;
    if (s_pos_write(&self->o, &self->pos))
        log_warnx("standby: cannot write %s/follow.pos: %s", self->o.datadir,
                  strerror(errno));
    s_send_ack(dealer, g.last);
    atomic_store(&s_applied, seq);
    atomic_store(&s_last_ts, g.ts);
    uint64_t now = (uint64_t)nmirf_now_ms();
    atomic_store(&s_replay_ms, now > g.ts ? now - g.ts : 0);
    if (seq > atomic_load(&s_primary_seq))
        atomic_store(&s_primary_seq, seq);
    return step;
}

/* One connection: follow until silence, a refusal, a bad record, a stop
   or a promotion. Returns 0 (connect again), 1 (stop following). */
static int
s_follow_once(follower_t *self)
{
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    if (!dealer)
        return 0;
    zsock_set_linger(dealer, 0);
    zsock_set_rcvhwm(dealer, 0); /* records are not dropped on our side */
    if (nmirf_client_curve(dealer, self->o.key, self->o.server_pk) ||
        zsock_connect(dealer, "%s", self->o.endpoint)) {
        zsock_destroy(&dealer);
        return 1;
    }
    uint8_t id[NMIRF_ID_LEN];
    int result = 0;
    if (s_send_follow(self, dealer, id)) {
        zsock_destroy(&dealer);
        return 0;
    }
    zpoller_t *poller = zpoller_new(dealer, NULL);
    int64_t heard = zclock_mono();
    zmsg_t *next = NULL; /* the message a group of records ended at */
    while (!atomic_load(&self->stop)) {
        zmsg_t *msg = next;
        next = NULL;
        if (!msg) {
            if (zclock_mono() - heard > FOLLOWER_SILENCE_MS) {
                log_info("standby: nothing from %s for %d ms: connecting again",
                         self->o.endpoint, FOLLOWER_SILENCE_MS);
                break;
            }
            if (!zpoller_wait(poller, 200))
                continue;
            if (!(msg = zmsg_recv(dealer)))
                break;
        }
        heard = zclock_mono();
        atomic_store(&s_heard_mono, heard);
        zframe_t *first = zmsg_first(msg);
        int step = 0;
        if (s_is_record(msg)) {
            step = s_apply_group(self, dealer, msg, &next);
            msg = NULL; /* taken */
        } else if (zmsg_size(msg) == 2 && zframe_streq(first, "rhb")) {
            msgpack_zone zone;
            msgpack_zone_init(&zone, 256);
            msgpack_object obj;
            zframe_t *f = zmsg_next(msg);
            if (msgpack_unpack((const char *)zframe_data(f), zframe_size(f), NULL, &zone,
                               &obj) == MSGPACK_UNPACK_SUCCESS) {
                const msgpack_object *seq = s_uint(&obj, "seq");
                if (seq)
                    atomic_store(&s_primary_seq, seq->via.u64);
            }
            msgpack_zone_destroy(&zone);
            if (!s_still_standby(self))
                step = 2;
        } else if (zmsg_size(msg) == 1) {
            char why[256];
            nmirf_reply_t *r = nmirf_reply_decode(zframe_data(first), zframe_size(first),
                                                  why, sizeof why);
            if (r && r->has_id && memcmp(r->id, id, NMIRF_ID_LEN) == 0) {
                if (r->code == NMIRF_OK) {
                    atomic_store(&s_following, true);
                    log_info("standby: following %s after record %llu (seq %llu)",
                             self->o.endpoint, (unsigned long long)self->pos.n,
                             (unsigned long long)self->pos.seq);
                } else if (r->code == NMIRF_E_NOT_FOUND) {
                    log_warnx("standby: %s: restart for a full copy",
                              r->message ? r->message : "position unknown");
                    follower_forget(&self->o);
                    atomic_store(&s_wants_copy, true);
                    kill(getpid(), SIGTERM);
                    step = 2;
                } else {
                    log_warnx("standby: the primary refused repl.follow: %s: %s",
                              nmirf_code_name(r->code), r->message ? r->message : "");
                    step = 1;
                }
            }
            nmirf_reply_destroy(&r);
        }
        zmsg_destroy(&msg);
        if (step == 2) {
            result = 1;
            break;
        }
        if (step == 1) {
            zclock_sleep(1000);
            break;
        }
    }
    zmsg_destroy(&next);
    atomic_store(&s_following, false);
    zpoller_destroy(&poller);
    zsock_destroy(&dealer);
    return result;
}

static void *
s_run(void *arg)
{
    follower_t *self = arg;
    while (!atomic_load(&self->stop)) {
        if (!s_still_standby(self)) {
            log_info("standby: promoted: no longer following %s", self->o.endpoint);
            break;
        }
        if (s_follow_once(self))
            break;
    }
    return NULL;
}

follower_t *
follower_start(store_t *store, role_t *role, const follower_opts_t *o)
{
    follower_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->role = role;
    self->o = *o;
    if (s_pos_read(o, &self->pos)) {
        free(self);
        return NULL;
    }
    atomic_store(&s_applied, self->pos.seq);
    atomic_store(&s_primary_seq, self->pos.seq);
    atomic_store(&s_heard_mono, zclock_mono());
    if (pthread_create(&self->thread, NULL, s_run, self)) {
        free(self);
        return NULL;
    }
    atomic_store(&s_running, true);
    return self;
}

void
follower_stop(follower_t **self_p)
{
    follower_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stop, true);
    pthread_join(self->thread, NULL);
    atomic_store(&s_running, false);
    free(self);
    *self_p = NULL;
}

bool
follower_wants_copy(void)
{
    return atomic_load(&s_wants_copy);
}

uint64_t
follower_silent_ms(void)
{
    if (!atomic_load(&s_running))
        return 0;
    int64_t silent = zclock_mono() - atomic_load(&s_heard_mono);
    return silent > 0 ? (uint64_t)silent : 0;
}

int
follower_pack_entries(void)
{
    return atomic_load(&s_running) ? 1 : 0;
}

void
follower_pack(msgpack_packer *pk)
{
    if (!atomic_load(&s_running))
        return;
    uint64_t applied = atomic_load(&s_applied), primary = atomic_load(&s_primary_seq);
    uint64_t lag = primary > applied ? primary - applied : 0;
    uint64_t ts = atomic_load(&s_last_ts), now = nmirf_now_ms();
    nmirf_mp_pack_str(pk, "standby");
    msgpack_pack_map(pk, 6);
    nmirf_mp_pack_kv_uint(pk, "applied_seq", applied);
    nmirf_mp_pack_kv_uint(pk, "primary_seq", primary);
    nmirf_mp_pack_kv_uint(pk, "lag_events", lag);
    /* ms since the commit of the last record applied, while behind; 0
       when caught up with what the primary last said. */
    nmirf_mp_pack_kv_uint(pk, "lag_ms", lag && ts && now > ts ? now - ts : 0);
    nmirf_mp_pack_kv_uint(pk, "replay_ms", atomic_load(&s_replay_ms));
    nmirf_mp_pack_str(pk, "following");
    if (atomic_load(&s_following))
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}
