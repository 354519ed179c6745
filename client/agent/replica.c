/*  replica - the agent's copy of the broker's records, kept by the
    ZeroMQ Guide's Clone pattern.

    Events come pushed on the agent's one connection to the broker, after
    its `subscribe` (link.c), and nothing is asked before that is
    answered. An empty replica loads a snapshot and takes its sequence; events then apply
   one by one when each is the next number, each in one LMDB transaction with the new
    sequence, so the replica is always exactly the broker's state at some
    sequence. Anything else (an event past the next number, a heartbeat
    ahead of us) means we missed events: they are fetched with events.since
    in pages and applied in order; from more than AGENT_RESYNC_GAP behind a
    fresh snapshot is cheaper. A snapshot skips events, so the witness
    (witness.c) checks the broker's event at its kept checkpoint's seq
    before one is loaded, and the snapshot's own event after (fetched with
    events.since, one each). The reply to a (re)subscription says the
    broker's sequence then, and counts like a heartbeat. Events pushed
    while a read is in flight are stashed by link.c and applied right
    after, like those still waiting on the socket. Records are stored with
    the broker's keys and bytes (daemon/store.h), which is what makes the
    digest comparable.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replica.h"
#include "nmirf_digest.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_store_check.h"
#include "nmirf_util.h"
#include "replica_snapshot.h"
#include "witness.h"

#define MAP_SIZE ((size_t)4 << 30) /* sparse: only what is used takes disk */
#define PUSH_BATCH 1000            /* events applied per transaction, at most */
#define PUSH_DRAIN_MAX 200000      /* drained after a failed read: link.c's HWM */

/* What the read in flight is for. A catch-up is a chain of reads, each
   started by the reply of the one before (s_on_read): with a snapshot,
   RD_CHECKPOINT (when the witness keeps a checkpoint), RD_SNAPSHOT,
   RD_SNAP_EVENT (when the snapshot's seq is another), then RD_PAGE until
   the broker's latest; the witness's own check is RD_WITNESS. */
typedef enum {
    RD_NONE,
    RD_CHECKPOINT, /* the broker's event at the witness's checkpoint */
    RD_SNAPSHOT,   /* a snapshot */
    RD_SNAP_EVENT, /* the broker's event at the snapshot's seq */
    RD_PAGE,       /* a page of events.since */
    RD_WITNESS,    /* the event at the witness's candidate (witness_unseen) */
    RD_CLAIM       /* the events up to a failover claim (witness_claim) */
} read_t;

struct _replica_t {
    const agent_conf_t *conf; /* the configuration (borrowed) */
    link_t *link;             /* the broker connection (borrowed) */
    witness_t *witness;       /* the broker's checkpoints (owned) */
    replica_events_t events;  /* where applied events go */
    MDB_env *env;             /* DIR/replica */
    MDB_dbi dbi[AG_DB_COUNT]; /* its databases */
    uint64_t seq;             /* replica sequence (mirrors meta "seq") */
    uint64_t broker_seq;      /* latest broker sequence seen (heartbeat, event, reply) */
    bool loaded;              /* the replica holds a snapshot (or events) */
    bool catchup;             /* behind the broker: fetch what is missing */
    bool resync;              /* an event could not be applied: reload a snapshot */
    uint64_t resync_gap;      /* further behind than this: a snapshot (AGENT_RESYNC_GAP;
                                 NMIRF_AGENT_RESYNC_GAP, read at start, for tests) */
    read_t reading;           /* the read in flight (link_read_start), RD_NONE if none */
    uint64_t read_seq;        /* the event it fetches (RD_CHECKPOINT, RD_SNAP_EVENT,
                                 RD_WITNESS); RD_CLAIM: the seq it reads after */
    uint8_t head[NMIRF_HASH_LEN]; /* the hash of the event at the snapshot's seq,
                                     judged by the witness before it is stored */
    nmirf_reply_t *snap;          /* a snapshot waiting for the judgment of its
                                     event (RD_SNAP_EVENT; owned, its body packed) */
    uint64_t snap_seq;            /* its seq */
    size_t broker_at;             /* the broker of the list talked to (link_broker) */
};

static const char *const s_db_names[AG_DB_COUNT] = {
    "meta", "entities", "recs", "assignments", "reports", "outbox", "status", "measures"};

/* The key of a record numbered by its event's subject (a measure's or a
   report's decimal id). Returns 0, or -1 if subject is not a number. */
static int
s_subject_key(const char *subject, uint8_t key[8])
{
    char *end;
    errno = 0;
    unsigned long long id = strtoull(subject, &end, 10);
    if (errno || end == subject || *end)
        return -1;
    nmirf_be64_encode(id, key);
    return 0;
}

/* True if the witness refused the broker, or judges its failover claim:
   nothing more is applied from it (meanwhile). */
static bool
s_refused(const replica_t *self)
{
    uint64_t seq;
    return witness_refused(self->witness) != NULL || witness_claim(self->witness, &seq);
}

/* If the link moved to another broker of the list since we last looked,
   the witness judges the new one afresh (witness_moved). */
static void
s_moved(replica_t *self)
{
    size_t at = link_broker(self->link);
    if (at != self->broker_at) {
        self->broker_at = at;
        witness_moved(self->witness);
    }
}

/* A list of notification texts; the list owns copies of what it is
   given. Out of memory is fatal: an event applied must not lose its
   notification silently. */
static zlist_t *
s_pending_new(void)
{
    zlist_t *l = zlist_new();
    if (!l)
        fatalx("replica: out of memory");
    zlist_autofree(l);
    return l;
}

/* Writes the replica's sequence number in txn. */
static int
s_put_seq(replica_t *self, MDB_txn *txn, uint64_t seq)
{
    uint8_t v[8];
    nmirf_be64_encode(seq, v);
    MDB_val k = {3, "seq"}, val = {8, v};
    return mdb_put(txn, self->dbi[AG_DB_META], &k, &val, 0);
}

/* Packs obj and writes it under key in db. */
static int
s_put_obj(replica_t *self, MDB_txn *txn, agent_db_t db, const void *key, size_t klen,
          const msgpack_object *obj)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    nmirf_mp_pack_object(&pk, obj);
    MDB_val k = {klen, (void *)key}, v = {buf.size, buf.data};
    int rc = mdb_put(txn, self->dbi[db], &k, &v, 0);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* The assignment record of an assignment.set event's data: the map
   without `previous`, packed back in the broker's order, which gives the
   broker's stored bytes. */
static int
s_put_assignment(replica_t *self, MDB_txn *txn, const char *rec,
                 const msgpack_object *data)
{
    if (data->type != MSGPACK_OBJECT_MAP)
        return EINVAL;
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    uint32_t n = 0;
    for (uint32_t i = 0; i < data->via.map.size; i++)
        n += !nmirf_mp_str_is(&data->via.map.ptr[i].key, "previous");
    msgpack_pack_map(&pk, n);
    for (uint32_t i = 0; i < data->via.map.size; i++) {
        if (nmirf_mp_str_is(&data->via.map.ptr[i].key, "previous"))
            continue;
        nmirf_mp_pack_object(&pk, &data->via.map.ptr[i].key);
        nmirf_mp_pack_object(&pk, &data->via.map.ptr[i].val);
    }
    MDB_val k = {strlen(rec), (void *)rec}, v = {buf.size, buf.data};
    int rc = mdb_put(txn, self->dbi[AG_DB_ASSIGNMENTS], &k, &v, 0);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* Sets the implementation status of a recommendation (both str objects):
   a validated report's status becomes its recommendation's. */
static int
s_put_status(replica_t *self, MDB_txn *txn, const msgpack_object *rec,
             const msgpack_object *status)
{
    if (!rec || rec->type != MSGPACK_OBJECT_STR || rec->via.str.size == 0 ||
        rec->via.str.size >= 512 || !status || status->type != MSGPACK_OBJECT_STR)
        return EINVAL;
    MDB_val k = {rec->via.str.size, (void *)rec->via.str.ptr},
            v = {status->via.str.size, (void *)status->via.str.ptr};
    return mdb_put(txn, self->dbi[AG_DB_STATUS], &k, &v, 0);
}

/* Deletes key from db; absent is fine. */
static int
s_del(replica_t *self, MDB_txn *txn, agent_db_t db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key};
    int rc = mdb_del(txn, self->dbi[db], &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Points report key at recommendation into: the broker's move of a
   report in a merge (the record with its `rec` replaced, in place). */
static int
s_move_report(replica_t *self, MDB_txn *txn, const uint8_t key[8],
              const msgpack_object *into)
{
    MDB_val k = {8, (void *)key}, v;
    int rc = mdb_get(txn, self->dbi[AG_DB_REPORTS], &k, &v);
    if (rc)
        return rc;
    msgpack_zone *zone = msgpack_zone_new(4096);
    if (!zone)
        return ENOMEM;
    msgpack_object r;
    /* Copied: LMDB's pointer dies at our first write. */
    void *copy = msgpack_zone_malloc(zone, v.mv_size ? v.mv_size : 1);
    rc = copy ? 0 : ENOMEM;
    if (copy) {
        memcpy(copy, v.mv_data, v.mv_size);
        if (nmirf_mp_unpack(copy, v.mv_size, zone, &r, NULL, 0) != NMIRF_OK ||
            r.type != MSGPACK_OBJECT_MAP)
            rc = EINVAL;
    }
    if (!rc) {
        for (uint32_t i = 0; i < r.via.map.size; i++)
            if (nmirf_mp_str_is(&r.via.map.ptr[i].key, "rec"))
                r.via.map.ptr[i].val = *into;
        rc = s_put_obj(self, txn, AG_DB_REPORTS, key, 8, &r);
    }
    msgpack_zone_free(zone);
    return rc;
}

/* rec.merged {rec, into, moved, assignment, reports, status}
   (PROTOCOL.md section 7): FROM (subject) withdrawn and without its
   assignment or status; INTO's new assignment if it changed; the moved
   reports pointing at INTO; INTO's status as given (nil: none). The
   measures relinked follow as measure.updated events. */
static int
s_apply_merged(replica_t *self, MDB_txn *txn, const char *from,
               const msgpack_object *data)
{
    const msgpack_object *rec = nmirf_mp_get(data, "rec"),
                         *into_rec = nmirf_mp_get(data, "into"),
                         *asg = nmirf_mp_get(data, "assignment"),
                         *reports = nmirf_mp_get(data, "reports"),
                         *status = nmirf_mp_get(data, "status");
    const msgpack_object *into = into_rec ? nmirf_mp_get(into_rec, "id") : NULL;
    if (!rec || rec->type != MSGPACK_OBJECT_MAP || !into ||
        into->type != MSGPACK_OBJECT_STR || into->via.str.size == 0 ||
        into->via.str.size >= 512 || !asg || !reports ||
        reports->type != MSGPACK_OBJECT_ARRAY || !status)
        return EINVAL;
    size_t flen = strlen(from);
    int rc = s_put_obj(self, txn, AG_DB_RECS, from, flen, rec);
    if (!rc)
        rc = s_del(self, txn, AG_DB_ASSIGNMENTS, from, flen);
    if (!rc && asg->type == MSGPACK_OBJECT_MAP)
        rc = s_put_obj(self, txn, AG_DB_ASSIGNMENTS, into->via.str.ptr,
                       into->via.str.size, asg);
    for (uint32_t i = 0; !rc && i < reports->via.array.size; i++) {
        const msgpack_object *id = &reports->via.array.ptr[i];
        if (id->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return EINVAL;
        uint8_t key[8];
        nmirf_be64_encode(id->via.u64, key);
        rc = s_move_report(self, txn, key, into);
    }
    if (!rc)
        rc = s_del(self, txn, AG_DB_STATUS, from, flen);
    if (!rc && status->type == MSGPACK_OBJECT_STR)
        rc = s_put_status(self, txn, into, status);
    else if (!rc)
        rc = s_del(self, txn, AG_DB_STATUS, into->via.str.ptr, into->via.str.size);
    return rc;
}

/* Applies one event's change (not its sequence) in txn. Unknown kinds
   change nothing: a newer broker's events still advance the sequence. */
static int
s_apply(replica_t *self, MDB_txn *txn, const nmirf_event_t *ev)
{
    const char *k = ev->kind, *subj = ev->subject;
    if (strncmp(k, "entity.", 7) == 0)
        return s_put_obj(self, txn, AG_DB_ENTITIES, subj, strlen(subj), &ev->data);
    if (strcmp(k, "rec.added") == 0 || strcmp(k, "rec.updated") == 0 ||
        strcmp(k, "rec.withdrawn") == 0)
        return s_put_obj(self, txn, AG_DB_RECS, subj, strlen(subj), &ev->data);
    if (strcmp(k, "rec.merged") == 0)
        return s_apply_merged(self, txn, subj, &ev->data);
    if (strcmp(k, "assignment.set") == 0)
        return s_put_assignment(self, txn, subj, &ev->data);
    uint8_t key[8];
    if (strcmp(k, "measure.added") == 0 || strcmp(k, "measure.updated") == 0) {
        if (s_subject_key(subj, key))
            return EINVAL;
        return s_put_obj(self, txn, AG_DB_MEASURES, key, 8, &ev->data);
    }
    /* deadline.* change no record: they only notify (notify.c). */
    if (strncmp(k, "report.", 7) == 0) {
        if (s_subject_key(subj, key))
            return EINVAL;
        int rc = s_put_obj(self, txn, AG_DB_REPORTS, key, 8, &ev->data);
        if (!rc && strcmp(k, "report.validated") == 0)
            rc = s_put_status(self, txn, nmirf_mp_get(&ev->data, "rec"),
                              nmirf_mp_get(&ev->data, "status"));
        return rc;
    }
    return 0;
}

/* Applies ev as the next event in txn: its change and the new sequence,
   then its notification (if it concerns us). An event that cannot be
   applied (a record LMDB refuses, e.g. MDB_BAD_VALSIZE, or a full map)
   would fail the same way every time: it is logged once and the replica
   is reloaded from a snapshot (self->resync), which holds its effect. On a
   failure txn may hold part of the event: the caller aborts it, with the
   batch's earlier events, as after a failed commit. (No nested
   transaction per event: LMDB allocates 3 MiB for each, the agent's
   main cost when it works through a backlog.) Returns an LMDB/errno
   code. */
static int
s_apply_next(replica_t *self, MDB_txn *txn, const nmirf_event_t *ev, zlist_t *pending)
{
    /* The chain first (witness.c): an event that does not follow the one
       we applied is a forked log, refused, and nothing is reloaded. */
    int rc = witness_on_event(self->witness, txn, ev);
    if (rc < 0)
        return rc;
    if (!rc)
        rc = s_apply(self, txn, ev);
    if (!rc)
        rc = s_put_seq(self, txn, ev->seq);
    if (rc) {
        log_warnx("cannot apply event %llu (%s %s): %s; resync from a snapshot",
                  (unsigned long long)ev->seq, ev->kind, ev->subject, mdb_strerror(rc));
        self->resync = true;
        return rc;
    }
    self->events.collect(txn, self->dbi, ev, pending, self->events.arg);
    return 0;
}

/* Opens DIR/replica (creating it) and reads the replica's sequence.
   Returns 0 or -1 (logged). */
static int
s_open(replica_t *self)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/replica", self->conf->dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        log_warn("mkdir %s", path);
        return -1;
    }
    /* Never map a file its meta pages say is cut short (SIGBUS). */
    char what[512];
    if (nmirf_store_check_open(path, NULL, what, sizeof what) == NMIRF_STORE_DAMAGED) {
        log_warnx("%s/data.mdb is damaged (%s): stop the agent, move %s aside and "
                  "start it again; it fetches a new replica from the broker, but "
                  "submissions still in the outbox there are lost (docs/AGENT.md)",
                  path, what, path);
        return -1;
    }
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&self->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(self->env, AG_DB_COUNT + 2);
    if (!rc)
        rc = mdb_env_set_mapsize(self->env, MAP_SIZE);
    if (!rc)
        rc = mdb_env_open(self->env, path, 0, 0600);
    if (rc) {
        log_warnx("cannot open LMDB %s: %s", path, mdb_strerror(rc));
        return -1;
    }
    int dead;
    mdb_reader_check(self->env, &dead); /* slots of a killed agent */
    rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    for (int i = 0; !rc && i < AG_DB_COUNT; i++)
        rc = mdb_dbi_open(txn, s_db_names[i], MDB_CREATE, &self->dbi[i]);
    MDB_val k = {3, "seq"}, v;
    if (!rc) {
        int got = mdb_get(txn, self->dbi[AG_DB_META], &k, &v);
        if (got == 0 && v.mv_size == 8)
            self->seq = nmirf_be64_decode(v.mv_data);
        else if (got != MDB_NOTFOUND)
            rc = got ? got : MDB_CORRUPTED;
    }
    rc = rc ? rc : mdb_txn_commit(txn);
    if (rc) {
        if (txn && rc != MDB_CORRUPTED)
            mdb_txn_abort(txn);
        log_warnx("cannot open the replica's databases: %s", mdb_strerror(rc));
        return -1;
    }
    self->loaded = self->seq > 0;
    /* Tests make a snapshot reload cheap to reach (docs/TESTING.md). */
    const char *gap = getenv("NMIRF_AGENT_RESYNC_GAP");
    long long g = gap ? strtoll(gap, NULL, 10) : 0;
    self->resync_gap = g > 0 && g <= AGENT_RESYNC_GAP ? (uint64_t)g : AGENT_RESYNC_GAP;
    log_info("replica %s at sequence %llu", path, (unsigned long long)self->seq);
    return 0;
}

replica_t *
replica_new(const agent_conf_t *conf, link_t *link, bool forget_checkpoint,
            const replica_events_t *events)
{
    replica_t *self = calloc(1, sizeof *self);
    if (!self) {
        log_warnx("replica: out of memory");
        return NULL;
    }
    self->conf = conf;
    self->link = link;
    self->events = *events;
    if (s_open(self) != 0)
        goto fail;
    if (forget_checkpoint) {
        if (witness_forget(self->env, self->dbi[AG_DB_META]) != 0)
            goto fail;
        self->seq = 0;
        self->loaded = false;
    }
    if (!(self->witness = witness_new(conf, self->env, self->dbi[AG_DB_META])))
        goto fail;
    return self;
fail:
    replica_destroy(&self);
    return NULL;
}

void
replica_destroy(replica_t **self_p)
{
    replica_t *self = *self_p;
    if (!self)
        return;
    witness_destroy(&self->witness);
    nmirf_reply_destroy(&self->snap);
    if (self->env)
        mdb_env_close(self->env);
    free(self);
    *self_p = NULL;
}

static void s_on_read(nmirf_reply_t *r, void *arg);

/* Starts the read what (op with a packed body, NULL for {}); its end
   comes to s_on_read. Returns 0, or -1 if it failed at once (logged, the
   link's backoff applied). */
static int
s_read(replica_t *self, read_t what, const char *op, const uint8_t *body, size_t len,
       int timeout_ms)
{
    self->reading = what;
    /* A snapshot's body stays packed: replica_snapshot.c walks it. */
    if (link_read_start(self->link, op, body, len, timeout_ms, what == RD_SNAPSHOT,
                        s_on_read, self) == 0)
        return 0;
    self->reading = RD_NONE;
    return -1;
}

/* Starts the read what of events.since {since, limit}. As s_read. */
static int
s_read_since(replica_t *self, read_t what, uint64_t since, uint64_t limit)
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_uint(&pk, "since", since);
    nmirf_mp_pack_kv_uint(&pk, "limit", limit);
    int rc = s_read(self, what, "events.since", (const uint8_t *)body.data, body.size,
                    AGENT_READ_TIMEOUT_MS);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* Starts the read what of the broker's event at seq (s_event_hash takes
   its reply). As s_read. */
static int
s_read_event(replica_t *self, read_t what, uint64_t seq)
{
    self->read_seq = seq;
    return s_read_since(self, what, seq - 1, 1);
}

/* Hashes the bytes of the broker's event at seq, from the reply r of its
   read (taken; NULL: the read failed) into hash. Returns 0; 1 if the
   broker has no event there (*last: its latest sequence); -1 if the read
   failed or its reply is unusable (logged; tried again after the
   backoff). */
static int
s_event_hash(replica_t *self, nmirf_reply_t *r, uint64_t seq,
             uint8_t hash[NMIRF_HASH_LEN], uint64_t *last)
{
    if (!r)
        return -1;
    const msgpack_object *evs = nmirf_mp_get(&r->body, "events");
    const msgpack_object *lasto = nmirf_mp_get(&r->body, "last");
    int rc = -1;
    char why[128] = "not one event";
    if (evs && evs->type == MSGPACK_OBJECT_ARRAY && lasto &&
        lasto->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        *last = lasto->via.u64;
        if (evs->via.array.size == 0 && *last < seq)
            rc = 1;
        else if (evs->via.array.size == 1 &&
                 evs->via.array.ptr[0].type == MSGPACK_OBJECT_BIN) {
            const msgpack_object *b = &evs->via.array.ptr[0];
            nmirf_event_t *ev = nmirf_event_decode((const uint8_t *)b->via.bin.ptr,
                                                   b->via.bin.size, why, sizeof why);
            if (ev && ev->seq == seq) {
                nmirf_hash2(hash, ev->bytes, ev->len, NULL, 0);
                rc = 0;
            } else if (ev)
                snprintf(why, sizeof why, "event %llu instead",
                         (unsigned long long)ev->seq);
            nmirf_event_destroy(&ev);
        }
    }
    if (rc < 0) {
        log_warnx("events.since: unusable reply for event %llu: %s",
                  (unsigned long long)seq, why);
        link_read_failed(self->link);
    }
    nmirf_reply_destroy(&r);
    return rc;
}

/* Judges the broker's event at seq against the witness (witness.c),
   from the reply r of its read (taken; NULL: the read failed); hash gets
   its hash. Returns 0, or -1 if it must be tried again later or the
   broker was refused. */
static int
s_judge_event(replica_t *self, nmirf_reply_t *r, uint64_t seq,
              uint8_t hash[NMIRF_HASH_LEN])
{
    uint64_t last = 0;
    int got = s_event_hash(self, r, seq, hash, &last);
    if (got < 0)
        return -1;
    return witness_judge_event(self->witness, seq, got ? NULL : hash, last);
}

/* Replaces the replica with the snapshot r (taken; lazily decoded, its
   seq checked by s_on_snapshot), in one transaction, one sync at its
   commit (no notifications: a snapshot says what is, not what happened);
   its records go in as the broker sent them (replica_snapshot.c). A
   crash before the commit leaves the replica as it was, and the next
   start loads a snapshot again. The witness (witness.c) came first:
   the broker's event at the kept checkpoint's seq hashed to its head, and
   the snapshot is not older; meta "head" becomes the hash of the event at
   the snapshot's seq (self->head, judged), so the hash chain goes on from
   it. Returns 0 or -1. */
static int
s_store_snapshot(replica_t *self, nmirf_reply_t *r, uint64_t snap_seq)
{
    uint8_t *head = self->head;
    size_t records = 0;
    int64_t t0 = zclock_mono();
    MDB_txn *txn;
    int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (rc) {
        log_warnx("snapshot: %s", mdb_strerror(rc));
        nmirf_reply_destroy(&r);
        link_read_failed(self->link);
        return -1;
    }
    for (int i = 0; !rc && i < 5; i++)
        rc = mdb_drop(txn, self->dbi[i], 0); /* meta..reports; never the outbox */
    if (!rc)
        rc = mdb_drop(txn, self->dbi[AG_DB_STATUS], 0);
    if (!rc)
        rc = mdb_drop(txn, self->dbi[AG_DB_MEASURES], 0);
    if (!rc)
        rc = replica_snapshot_put(txn, self->dbi, r->body_raw, r->body_len, &records);
    if (!rc)
        rc = s_put_seq(self, txn, snap_seq);
    if (!rc && snap_seq) { /* the chain goes on from the snapshot's event */
        MDB_val hk = {4, "head"}, hv = {NMIRF_HASH_LEN, head};
        rc = mdb_put(txn, self->dbi[AG_DB_META], &hk, &hv, 0);
    }
    if (!rc) /* meta was dropped with the rest: the witness's checkpoint stays */
        rc = witness_put(self->witness, txn);
    if (!rc)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    size_t bytes = r->body_len;
    nmirf_reply_destroy(&r);
    if (rc) {
        log_warnx("snapshot: cannot store it: %s",
                  rc == EINVAL ? "a section or record is malformed" : mdb_strerror(rc));
        link_read_failed(self->link); /* it would fail again at once */
        return -1;
    }
    self->seq = snap_seq;
    self->loaded = true;
    self->resync = false;
    log_info("replica loaded from a snapshot at sequence %llu (%zu records, %.1f MiB, "
             "stored in %lld ms)",
             (unsigned long long)self->seq, records, bytes / 1048576.0,
             (long long)(zclock_mono() - t0));
    if (self->events.loaded) /* committed: a reader reloads what it shows */
        self->events.loaded(self->seq, self->events.arg);
    return 0;
}

static void s_drain(replica_t *self);
static void s_read_pushed(replica_t *self, bool drain);
static void s_witness(replica_t *self);

/* A catch-up (or the witness's read) ended, done or failed: after a
   failed read (drain) what waits arrived while we waited and is taken
   without counting as contact (s_drain); then the witness's candidate is
   judged (which may start its read). */
static void
s_end(replica_t *self, bool drain)
{
    if (drain)
        s_drain(self);
    s_witness(self);
}

/* Starts the read of the next events.since page after ours. Returns 0,
   or -1 (as s_read). */
static int
s_read_page(replica_t *self)
{
    return s_read_since(self, RD_PAGE, self->seq, AGENT_PAGE);
}

/* Starts a catch-up: a snapshot first when the replica is empty, must be
   reloaded, or is far behind (the witness judges the broker's event at
   its checkpoint before it is read, and the snapshot's own event after);
   then every event after ours up to the broker's latest, one page and one
   transaction at a time. Each read's reply starts the next (s_on_read);
   nothing blocks the loop meanwhile. */
static void
s_catch_up(replica_t *self)
{
    int rc;
    if (!self->loaded || self->resync ||
        self->broker_seq > self->seq + self->resync_gap) {
        if (self->loaded && !self->resync)
            log_info("%llu events behind: resync from a snapshot",
                     (unsigned long long)(self->broker_seq - self->seq));
        if (witness_seq(self->witness))
            rc = s_read_event(self, RD_CHECKPOINT, witness_seq(self->witness));
        else
            rc =
                s_read(self, RD_SNAPSHOT, "snapshot", NULL, 0, AGENT_SNAPSHOT_TIMEOUT_MS);
    } else
        rc = s_read_page(self);
    if (rc)
        s_end(self, true);
}

/* The snapshot r at snap_seq is judged: stored, then the pages after it
   are read. */
static void
s_snapshot_judged(replica_t *self, nmirf_reply_t *r, uint64_t snap_seq)
{
    if (s_store_snapshot(self, r, snap_seq) || s_read_page(self))
        s_end(self, true);
}

/* The reply r of the snapshot read (NULL: it failed). An older snapshot
   than the witness's checkpoint means the log went back (refused); a
   snapshot at another seq than the checkpoint's waits for the judgment of
   its own event (another read). */
static void
s_on_snapshot(replica_t *self, nmirf_reply_t *r)
{
    if (!r)
        return s_end(self, true);
    uint64_t snap_seq;
    if (replica_snapshot_seq(r->body_raw, r->body_len, &snap_seq)) {
        log_warnx("snapshot: unusable reply (no seq)");
        nmirf_reply_destroy(&r);
        link_read_failed(self->link);
        return s_end(self, true);
    }
    if (snap_seq <
        witness_seq(self->witness)) { /* an older snapshot: the log went back */
        witness_judge_event(self->witness, witness_seq(self->witness), NULL, snap_seq);
        nmirf_reply_destroy(&r);
        return s_end(self, true);
    }
    if (snap_seq && snap_seq != witness_seq(self->witness)) {
        self->snap = r; /* until its event is judged */
        self->snap_seq = snap_seq;
        if (s_read_event(self, RD_SNAP_EVENT, snap_seq)) {
            nmirf_reply_destroy(&self->snap);
            s_end(self, true);
        }
        return;
    }
    s_snapshot_judged(self, r, snap_seq);
}

/* Applies the events.since page r (NULL: the read failed) in one
   transaction, then reads the next page, or ends the catch-up at the
   broker's latest: the events pushed while we read (stashed by the link)
   are applied then, in order. */
static void
s_on_page(replica_t *self, nmirf_reply_t *r)
{
    if (!r)
        return s_end(self, true);
    const msgpack_object *evs = nmirf_mp_get(&r->body, "events");
    const msgpack_object *last = nmirf_mp_get(&r->body, "last");
    if (!evs || evs->type != MSGPACK_OBJECT_ARRAY || !last ||
        last->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        log_warnx("events.since: unusable reply");
        nmirf_reply_destroy(&r);
        link_read_failed(self->link);
        return s_end(self, false);
    }
    uint64_t target = last->via.u64;
    if (target > self->broker_seq)
        self->broker_seq = target;
    zlist_t *pending = s_pending_new();
    MDB_txn *txn;
    int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    uint64_t seq = self->seq;
    bool failed = false; /* an event could not be applied */
    for (uint32_t i = 0; !rc && i < evs->via.array.size; i++) {
        const msgpack_object *b = &evs->via.array.ptr[i];
        char why[128] = "";
        nmirf_event_t *ev = b->type == MSGPACK_OBJECT_BIN
                                ? nmirf_event_decode((const uint8_t *)b->via.bin.ptr,
                                                     b->via.bin.size, why, sizeof why)
                                : NULL;
        bool bad = false;
        if (!ev || ev->seq != seq + 1) {
            log_warnx("events.since: event after %llu unusable: %s; resync from a "
                      "snapshot",
                      (unsigned long long)seq, ev ? "out of order" : why);
            self->resync = true;
            bad = true;
        } else if (s_apply_next(self, txn, ev, pending) == 0)
            seq = ev->seq;
        else
            failed = bad = true; /* s_apply_next set self->resync */
        nmirf_event_destroy(&ev);
        if (bad)
            break; /* keep what applied before it, unless it failed */
    }
    size_t got = evs->via.array.size;
    nmirf_reply_destroy(&r);
    if (failed) { /* txn may hold part of it: none of the page stays */
        mdb_txn_abort(txn);
        zlist_destroy(&pending);
        self->catchup = true;
        return s_end(self, false); /* the snapshot (self->resync) holds it all */
    }
    rc = rc ? rc : mdb_txn_commit(txn); /* rc here: mdb_txn_begin failed */
    if (rc) {
        log_warnx("events.since: cannot store the page: %s", mdb_strerror(rc));
        zlist_destroy(&pending);
        link_read_failed(self->link); /* a replica that cannot commit: not every tick */
        return s_end(self, false);
    }
    self->seq = seq;
    self->events.deliver(pending, self->events.arg);
    zlist_destroy(&pending);
    if (self->resync) { /* a bad event: the snapshot holds its effect */
        self->catchup = true;
        return s_end(self, false);
    }
    if (self->seq < target && got > 0) {
        if (s_read_page(self))
            s_end(self, true);
        return;
    }
    self->catchup = self->seq < self->broker_seq;
    if (link_stashed(self->link)) /* pushed while we read: the events after ours */
        s_read_pushed(self, false);
    s_end(self, false);
}

/* Starts the read of the broker's events up to the witness's failover
   claim, if one waits and nothing is read (a page back from its seq: a
   promotion further back is not looked for). Returns true if a claim
   waits. */
static bool
s_claim_read(replica_t *self)
{
    uint64_t seq;
    if (!witness_claim(self->witness, &seq))
        return false;
    if (seq && self->reading == RD_NONE && link_may_read(self->link)) {
        self->read_seq = seq > AGENT_PAGE ? seq - AGENT_PAGE : 0;
        s_read_since(self, RD_CLAIM, self->read_seq, seq - self->read_seq);
    }
    return true;
}

/* The reply r (taken; NULL: the read failed, tried again after the
   backoff) of the events up to the claim: judged by the witness; taken,
   the submissions of this agent acknowledged from the promotion's seq on
   are named lost (events.lost) and the replica reloads from a snapshot
   (the outbox stays). */
static void
s_on_claim(replica_t *self, nmirf_reply_t *r)
{
    if (!r)
        return;
    const msgpack_object *evs = nmirf_mp_get(&r->body, "events");
    uint64_t from = 0;
    if (!evs || evs->type != MSGPACK_OBJECT_ARRAY) {
        log_warnx("events.since: unusable reply for a failover claim");
        link_read_failed(self->link);
    } else if (witness_judge_claim(self->witness, evs, self->read_seq, self->seq,
                                   &from) == 0) {
        if (self->events.lost)
            self->events.lost(from, self->seq, self->events.arg);
        self->resync = true;
        self->catchup = true;
        self->broker_seq = 0; /* the old primary's, which this broker never had */
    }
    nmirf_reply_destroy(&r);
    if (self->resync && link_may_read(self->link))
        s_catch_up(self);
}

/* The end of the read in flight (link.c): its ok reply r (taken), or NULL
   if it failed (logged, the link's backoff applied). Continues what the
   read was for. Called from the zloop, with no transaction open. */
static void
s_on_read(nmirf_reply_t *r, void *arg)
{
    replica_t *self = arg;
    read_t what = self->reading;
    self->reading = RD_NONE;
    uint8_t hash[NMIRF_HASH_LEN];
    switch (what) {
    case RD_CHECKPOINT:
        if (s_judge_event(self, r, self->read_seq, self->head) ||
            s_read(self, RD_SNAPSHOT, "snapshot", NULL, 0, AGENT_SNAPSHOT_TIMEOUT_MS))
            s_end(self, true);
        break;
    case RD_SNAPSHOT:
        s_on_snapshot(self, r);
        break;
    case RD_SNAP_EVENT: {
        nmirf_reply_t *snap = self->snap;
        self->snap = NULL;
        if (s_judge_event(self, r, self->read_seq, self->head)) {
            nmirf_reply_destroy(&snap);
            s_end(self, true);
        } else
            s_snapshot_judged(self, snap, self->snap_seq);
        break;
    }
    case RD_PAGE:
        s_on_page(self, r);
        break;
    case RD_WITNESS:
        if (s_judge_event(self, r, self->read_seq, hash) == 0)
            witness_check(self->witness, self->seq, self->loaded);
        break;
    case RD_CLAIM:
        s_on_claim(self, r);
        break;
    case RD_NONE:
        nmirf_reply_destroy(&r);
        break;
    }
}

/* Handles a heartbeat {seq, ts, checkpoint}: the broker is alive, and may
   be ahead; its checkpoint goes to the witness. */
static void
s_on_heartbeat(replica_t *self, zframe_t *frame)
{
    msgpack_zone zone;
    msgpack_object obj;
    msgpack_zone_init(&zone, 256);
    if (nmirf_mp_unpack(zframe_data(frame), zframe_size(frame), &zone, &obj, NULL, 0) ==
        NMIRF_OK) {
        const msgpack_object *seq = nmirf_mp_get(&obj, "seq");
        const msgpack_object *cp = nmirf_mp_get(&obj, "checkpoint");
        if (cp)
            witness_take(self->witness, cp, link_sign_pk(self->link));
        if (seq && seq->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            link_contact(self->link);
            self->broker_seq = seq->via.u64;
            if (self->loaded && seq->via.u64 > self->seq)
                self->catchup = true;
        }
    }
    msgpack_zone_destroy(&zone);
}

/* Reads the pushed messages that wait (up to PUSH_BATCH, or all of them
   when draining) and applies the events in one transaction: one sync for
   a burst instead of one per event. The replies met on the way are
   delivered after the commit (the outbox writes LMDB too). */
static void
s_read_pushed(replica_t *self, bool drain)
{
    zlist_t *pending = s_pending_new();
    MDB_txn *txn = NULL;
    int rc = 0;
    bool failed = false; /* an event could not be applied */
    zmsg_t *msg;
    for (int n = 0;
         n < (drain ? PUSH_DRAIN_MAX : PUSH_BATCH) && (msg = link_next_push(self->link));
         n++) {
        zframe_t *topic = zmsg_first(msg), *body = zmsg_next(msg);
        if (!topic || !body) {
            zmsg_destroy(&msg);
            continue;
        }
        if (zframe_streq(topic, "hb")) {
            s_on_heartbeat(self, body);
            zmsg_destroy(&msg);
            continue;
        }
        char why[128] = "";
        nmirf_event_t *ev =
            nmirf_event_decode(zframe_data(body), zframe_size(body), why, sizeof why);
        zmsg_destroy(&msg);
        if (!ev) {
            log_warnx("unreadable event dropped: %s", why);
            continue;
        }
        link_contact(self->link);
        if (ev->seq > self->broker_seq)
            self->broker_seq = ev->seq;
        if (s_refused(self) || !self->loaded || self->catchup || ev->seq <= self->seq) {
            /* Refused (witness.c), not loaded yet, or already had: the
               snapshot or the catch-up covers it. */
        } else if (ev->seq != self->seq + 1) {
            log_debug("gap: event %llu after %llu", (unsigned long long)ev->seq,
                      (unsigned long long)self->seq);
            self->catchup = true;
        } else {
            if (!txn && (rc = mdb_txn_begin(self->env, NULL, 0, &txn)) != 0) {
                log_warnx("replica: %s", mdb_strerror(rc));
                self->catchup = true;
            } else if (s_apply_next(self, txn, ev, pending) == 0)
                self->seq = ev->seq;
            else
                self->catchup = failed = true; /* self->resync too */
        }
        nmirf_event_destroy(&ev);
        if (failed || (self->catchup && !drain))
            break;
    }
    if (txn) {
        if (failed) /* txn may hold part of that event: drop the batch */
            mdb_txn_abort(txn);
        rc = failed ? MDB_BAD_TXN : mdb_txn_commit(txn);
        if (rc) {
            /* Nothing applied: read the sequence back and fetch again. */
            if (!failed)
                log_warnx("replica commit: %s", mdb_strerror(rc));
            self->seq = 0;
            MDB_txn *rt;
            MDB_val k = {3, "seq"}, v;
            if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &rt) == 0) {
                if (mdb_get(rt, self->dbi[AG_DB_META], &k, &v) == 0 && v.mv_size == 8)
                    self->seq = nmirf_be64_decode(v.mv_data);
                mdb_txn_abort(rt);
            }
            self->catchup = true;
            zlist_destroy(&pending);
            pending = s_pending_new();
        }
    }
    self->events.deliver(pending, self->events.arg);
    zlist_destroy(&pending);
    witness_check(self->witness, self->seq, self->loaded); /* no transaction open here */
    link_flush_replies(self->link);
}

/* After a failed read: what waits (stashed or on the DEALER)
   arrived (mostly) while we waited, so it is taken now without counting
   as contact; the broker is reachable again only from what comes next. */
static void
s_drain(replica_t *self)
{
    link_hold_contact(self->link, true);
    s_read_pushed(self, true);
    link_hold_contact(self->link, false);
}

/* Judges the witness's candidate checkpoint, then, if the replica passed
   its seq without hashing the event there (witness_unseen), starts the
   read of that event, whose reply judges it and the candidate again
   (s_on_read). */
static void
s_witness(replica_t *self)
{
    witness_check(self->witness, self->seq, self->loaded);
    uint64_t seq;
    if (self->reading == RD_NONE &&
        witness_unseen(self->witness, self->seq, self->loaded, &seq) &&
        link_may_read(self->link))
        s_read_event(self, RD_WITNESS, seq); /* a failure: tried after the backoff */
}

void
replica_on_pushed(replica_t *self)
{
    s_moved(self);
    if (self->reading != RD_NONE) /* the link stashes what comes meanwhile */
        return;
    s_read_pushed(self, false);
    if (s_claim_read(self))
        return;
    if ((self->catchup || self->resync) && !s_refused(self) && link_may_read(self->link))
        s_catch_up(self);
    else
        s_witness(self); /* the replica may have reached its candidate */
}

void
replica_tick(replica_t *self)
{
    s_moved(self);
    if (self->reading != RD_NONE) /* its reply, or its timer, goes on */
        return;
    if (link_stashed(self->link)) /* zloop sees the socket, not the stash */
        s_read_pushed(self, false);
    if (s_claim_read(self))
        return;
    if (!link_may_read(self->link) || s_refused(self))
        return;
    if (!self->loaded || self->catchup || self->resync)
        s_catch_up(self);
    else
        s_witness(self);
}

int
replica_digest(replica_t *self, uint8_t out[NMIRF_HASH_LEN], uint64_t *seq)
{
    /* nmirf_digest.h's order: the record sections, then status. */
    static const agent_db_t dbs[NMIRF_DIGEST_RECORD_SECTIONS + 1] = {
        AG_DB_ENTITIES, AG_DB_RECS,     AG_DB_ASSIGNMENTS,
        AG_DB_REPORTS,  AG_DB_MEASURES, AG_DB_STATUS};
    MDB_txn *txn;
    if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn))
        return -1;
    nmirf_digest_t d;
    nmirf_digest_init(&d);
    int rc = 0;
    for (int s = 0; !rc && s <= NMIRF_DIGEST_RECORD_SECTIONS; s++) {
        MDB_stat st;
        MDB_cursor *cur;
        if ((rc = mdb_stat(txn, self->dbi[dbs[s]], &st)) ||
            (rc = mdb_cursor_open(txn, self->dbi[dbs[s]], &cur)))
            break;
        nmirf_digest_section(&d, st.ms_entries);
        MDB_val k, v;
        for (int c = mdb_cursor_get(cur, &k, &v, MDB_FIRST); c == 0;
             c = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if (dbs[s] == AG_DB_STATUS)
                nmirf_digest_status(&d, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
            else
                nmirf_digest_record(&d, v.mv_data, v.mv_size);
        mdb_cursor_close(cur);
    }
    *seq = self->seq;
    mdb_txn_abort(txn);
    nmirf_digest_final(&d, out);
    return rc ? -1 : 0;
}

void
replica_on_seq(replica_t *self, uint64_t seq)
{
    if (seq > self->broker_seq)
        self->broker_seq = seq;
}

void
replica_on_subscribed(replica_t *self, uint64_t seq)
{
    s_moved(self);
    if (self->loaded && seq > self->seq)
        self->catchup = true;
    /* Started now rather than at the next tick (up to AGENT_TICK_MS
       later: a new agent waits for nothing else before its snapshot).
       No transaction is open here (link.c delivers replies outside
       them). */
    if ((!self->loaded || self->catchup || self->resync) && self->reading == RD_NONE &&
        self->link && !s_refused(self) && link_may_read(self->link))
        s_catch_up(self);
}

int
replica_read_begin(replica_t *self, MDB_txn **txn)
{
    return mdb_txn_begin(self->env, NULL, MDB_RDONLY, txn);
}

const MDB_dbi *
replica_dbis(const replica_t *self)
{
    return self->dbi;
}

MDB_env *
replica_env(const replica_t *self)
{
    return self->env;
}

void
replica_status(const replica_t *self, replica_status_t *st)
{
    st->seq = self->seq;
    st->broker_seq = self->broker_seq;
    st->loaded = self->loaded;
    st->checkpoint_seq = witness_seq(self->witness);
    st->refused = witness_refused(self->witness);
}
