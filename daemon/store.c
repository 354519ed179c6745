/*  store - the broker's LMDB environment. */
#include "store.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_repl.h"
#include "nmirf_store_check.h"
#include "nmirf_util.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(DB_COUNT == NMIRF_REPL_DBS, "a commit record names every database");

/* Where a nested write transaction began in the changelog. */
typedef struct {
    MDB_txn *txn; /* the nested transaction */
    size_t size;  /* the changelog's bytes when it began */
    size_t count; /* and its changes */
} s_mark_t;

struct _store_t {
    MDB_env *env;          /* the environment */
    MDB_dbi dbi[DB_COUNT]; /* named databases */
    size_t map_size;       /* bytes */
    store_reqkey_t reqkey; /* how `requests` is keyed (meta "reqkey") */
    /* The changelog. Only the holder of LMDB's write lock touches what
       follows (the thread inside the one write transaction), so it needs
       no lock of its own. */
    bool changelog_on;          /* set before any transaction, or under
                                   the write lock (store_changelog_start) */
    const uint8_t *sign_sk;     /* signs each record (borrowed), or NULL */
    MDB_txn *wtxn;              /* the open top-level write txn, or NULL */
    uint64_t seq0;              /* its seq when it began */
    msgpack_sbuffer log;        /* its changes, packed (nmirf_repl_pack_change) */
    msgpack_packer logpk;       /* packs into log */
    size_t log_count;           /* how many */
    size_t cp_off, cp_len;      /* the last checkpoint put: its value in log */
    bool log_lost;              /* out of memory logging a change: no record */
    bool commit_put;            /* it puts meta "commit" (store_commits) */
    s_mark_t *marks;            /* nested transactions open, innermost last */
    size_t nmarks, marks_cap;   /* how many, room */
    store_commit_hook_fn *hook; /* called with each commit record, or NULL */
    pthread_mutex_t hook_lock;  /* held from a commit to its hook's return, so
                                   hooks see records in commit order */
    void *hook_arg;             /* its argument */
};

/* Refuses a damaged store before LMDB maps it (DESIGN.md: a damaged store
   is named as damaged, never a crash): the meta pages against the file,
   then the walk of every database (nmirf_store_check.h). A store the walk
   cannot check at all (it could not fork) is opened anyway, with a
   warning: LMDB's own open says what is wrong with it. Returns 0, or -1
   with why. */
static int
s_check(const char *dir, char *why, size_t whylen)
{
    char what[512] = "";
    nmirf_store_meta_t meta;
    nmirf_store_walk_t sum;
    nmirf_store_rc_t rc = nmirf_store_check_open(dir, &meta, what, sizeof what);
    if (rc == NMIRF_STORE_OK && meta.file_size == 0)
        return 0; /* no data.mdb yet: a new store */
    uint64_t t0 = nmirf_mono_us();
    if (rc == NMIRF_STORE_OK) {
        rc = nmirf_store_check_walk(dir, NULL, NULL, &sum, what, sizeof what);
        if (rc == NMIRF_STORE_DAMAGED)
            snprintf(what, sizeof what, "%s", sum.first);
    }
    if (rc == NMIRF_STORE_DAMAGED) {
        snprintf(why, whylen,
                 "%s/data.mdb is damaged (%s): restore the last backup "
                 "(docs/OPERATIONS.md, A damaged store)",
                 dir, what);
        return -1;
    }
    if (rc == NMIRF_STORE_ERROR) {
        log_warnx("store %s not checked: %s", dir, what);
        return 0;
    }
    log_info("store %s checked in %.2f s: %u databases, %llu entries, %llu events "
             "chained, %llu pages of %llu bytes",
             dir, (double)(nmirf_mono_us() - t0) / 1e6, sum.dbs,
             (unsigned long long)sum.entries, (unsigned long long)sum.events,
             (unsigned long long)meta.last_pg + 1, (unsigned long long)meta.page_size);
    return 0;
}

static const char *const s_db_names[DB_COUNT] = {
    "meta",        "entities",     "recs",      "assignments", "reports",
    "rec_reports", "status",       "events",    "requests",    "checkpoints",
    "measures",    "rec_measures", "deadlines", "agg",
};

/* Reads meta "reqkey" in txn, writing it first if the store has none: a
   store opened for the first time by a broker that keys requests by time.
   Whatever `requests` holds then was keyed by the id alone (legacy). Not
   migrated: rewriting every request of a large store would hold the
   first start for minutes, and the lookup by id costs nothing once the
   window has passed (dispatch.c). Returns an LMDB error code. */
static int
s_reqkey(store_t *self, MDB_txn *txn)
{
    MDB_val k = {6, "reqkey"}, v;
    int rc = mdb_get(txn, self->dbi[DB_META], &k, &v);
    if (rc == 0) {
        const uint8_t *p = v.mv_data;
        if (v.mv_size != 10 || p[0] != STORE_REQKEY_VERSION || p[1] > 1)
            return MDB_CORRUPTED;
        self->reqkey.legacy = p[1] == 1;
        self->reqkey.since = nmirf_be64_decode(p + 2);
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    MDB_stat st;
    if ((rc = mdb_stat(txn, self->dbi[DB_REQUESTS], &st)) != 0)
        return rc;
    self->reqkey.legacy = st.ms_entries > 0;
    /* The old requests' ts were at most the skew ahead of their broker's
       clock then; the latest event's ts stands for that clock if this
       host's was stepped back since (else the bound would fall short of
       them and their resends would apply again). */
    uint64_t last = 0;
    if (self->reqkey.legacy && store_last_event_ts(self, txn, &last) != 0)
        last = 0; /* an unreadable event is the store check's to name */
    self->reqkey.since = nmirf_now_ms();
    if (last > self->reqkey.since)
        self->reqkey.since = last;
    uint8_t buf[10] = {STORE_REQKEY_VERSION, self->reqkey.legacy ? 1 : 0};
    nmirf_be64_encode(self->reqkey.since, buf + 2);
    v = (MDB_val){sizeof buf, buf};
    /* Not in a changelog: this is the open's own transaction, before
       store_set_changelog can be called (a standby gets it in its copy). */
    rc = mdb_put(txn, self->dbi[DB_META], &k, &v, 0);
    if (!rc && self->reqkey.legacy)
        log_info("store: %llu requests keyed by id from before; new ones keyed by time",
                 (unsigned long long)st.ms_entries);
    return rc;
}

store_t *
store_open(const char *dir, size_t map_mb, char *why, size_t whylen)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    if (s_check(dir, why, whylen) != 0)
        return NULL;
    store_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->map_size = map_mb * 1024 * 1024;
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&self->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(self->env, DB_COUNT);
    if (!rc)
        rc = mdb_env_set_mapsize(self->env, self->map_size);
    /* Default flags: every top-level commit is synced (durability); no
       WRITEMAP so that nested transactions work (one per request inside a
       group commit). NOTLS lets read transactions move between threads. */
    if (!rc)
        rc = mdb_env_open(self->env, dir, MDB_NOTLS, 0600);
    if (!rc)
        rc = mdb_env_set_userctx(self->env, self); /* store_commit(txn) finds us */
    msgpack_sbuffer_init(&self->log);
    pthread_mutex_init(&self->hook_lock, NULL);
    msgpack_packer_init(&self->logpk, &self->log, msgpack_sbuffer_write);
    if (!rc)
        rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    for (int i = 0; !rc && i < DB_COUNT; i++) {
        unsigned flags = MDB_CREATE;
        if (i == DB_REC_REPORTS || i == DB_REC_MEASURES)
            flags |= MDB_DUPSORT | MDB_DUPFIXED;
        rc = mdb_dbi_open(txn, s_db_names[i], flags, &self->dbi[i]);
    }
    if (!rc)
        rc = s_reqkey(self, txn);
    if (!rc) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (rc) {
        snprintf(why, whylen, "cannot open store %s: %s", dir, mdb_strerror(rc));
        if (txn)
            mdb_txn_abort(txn);
        store_close(&self);
        return NULL;
    }
    /* Readers left by killed processes would pin old pages forever. */
    int dead = 0;
    if (mdb_reader_check(self->env, &dead) == 0 && dead > 0)
        log_info("cleared %d stale reader slot%s left by killed processes", dead,
                 dead == 1 ? "" : "s");
    return self;
}

void
store_close(store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    if (self->env)
        mdb_env_close(self->env);
    msgpack_sbuffer_destroy(&self->log);
    pthread_mutex_destroy(&self->hook_lock);
    free(self->marks);
    free(self);
    *self_p = NULL;
}

/* The store a transaction belongs to. */
static store_t *
s_of(MDB_txn *txn)
{
    return mdb_env_get_userctx(mdb_txn_env(txn));
}

/* Cuts the changelog back to what it held at mark i, and forgets the
   marks from i on: nested transaction i ended without its changes. */
static void
s_truncate(store_t *self, size_t i)
{
    self->log.size = self->marks[i].size;
    self->log_count = self->marks[i].count;
    if (self->cp_off + self->cp_len > self->log.size)
        self->cp_off = self->cp_len = 0;
    self->nmarks = i;
}

/* The index of txn's mark, or -1 if txn is no open nested write
   transaction of ours. */
static long
s_mark_of(store_t *self, MDB_txn *txn)
{
    for (size_t i = self->nmarks; i-- > 0;)
        if (self->marks[i].txn == txn)
            return (long)i;
    return -1;
}

int
store_begin(store_t *self, MDB_txn *parent, bool write, MDB_txn **txn)
{
    int rc = mdb_txn_begin(self->env, parent, write ? 0 : MDB_RDONLY, txn);
    if (rc || !write)
        return rc;
    if (!parent) {
        /* We hold the write lock from here to the commit or abort. */
        self->wtxn = *txn;
        self->log.size = 0;
        self->log_count = 0;
        self->cp_off = self->cp_len = 0;
        self->log_lost = false;
        self->commit_put = false;
        self->nmarks = 0;
        self->seq0 = self->changelog_on ? store_seq(self, *txn) : 0;
        return 0;
    }
    if (self->nmarks == self->marks_cap) {
        size_t cap = self->marks_cap ? self->marks_cap * 2 : 8;
        s_mark_t *m = realloc(self->marks, cap * sizeof *m);
        if (!m) {
            mdb_txn_abort(*txn);
            *txn = NULL;
            return ENOMEM;
        }
        self->marks = m;
        self->marks_cap = cap;
    }
    self->marks[self->nmarks++] = (s_mark_t){*txn, self->log.size, self->log_count};
    return 0;
}

/* The meta u64 under name, 0 if absent, and its put (defined below). */
static uint64_t s_meta_u64(store_t *self, MDB_txn *txn, const char *name);
static int s_meta_put_u64(store_t *self, MDB_txn *txn, const char *name, uint64_t value);

/* Packs the commit record of the top-level write transaction txn (still
   open) into out. Returns 0 or an LMDB error code. */
static int
s_record(store_t *self, MDB_txn *txn, msgpack_sbuffer *out)
{
    uint8_t head[NMIRF_HASH_LEN];
    int rc = store_head(self, txn, head);
    if (rc)
        return rc;
    nmirf_repl_encode(
        out, store_epoch(self, txn), self->seq0 + 1, store_seq(self, txn), head,
        self->cp_len ? (const uint8_t *)self->log.data + self->cp_off : NULL,
        self->cp_len, self->log.data, self->log.size, self->log_count, self->sign_sk);
    return 0;
}

int
store_commit_record(MDB_txn *txn, msgpack_sbuffer *record)
{
    store_t *self = s_of(txn);
    if (txn != self->wtxn) {
        long i = s_mark_of(self, txn);
        int rc = mdb_txn_commit(txn);
        if (i >= 0) {
            if (rc)
                s_truncate(self, (size_t)i); /* LMDB ended it unapplied */
            else
                self->nmarks = (size_t)i; /* its changes are its parent's */
        }
        return rc;
    }
    self->wtxn = NULL;
    self->nmarks = 0;
    if (!self->changelog_on || (self->log_count == 0 && !self->log_lost))
        return mdb_txn_commit(txn);
    /* The commit's number, the last change of its record, unless the
       record already sets it (a standby applying its primary's record):
       event-less records follow the same seq, and this is what tells a
       standby that one was replayed, reordered or left out. */
    int rc = 0;
    if (!self->commit_put)
        rc = s_meta_put_u64(self, txn, "commit", s_meta_u64(self, txn, "commit") + 1);
    if (rc || self->log_lost) {
        /* Committing would leave a change no standby hears of. */
        mdb_txn_abort(txn);
        return rc ? rc : ENOMEM;
    }
    /* Framed before the commit, while we still hold the write lock: the
       next writer clears the changelog as soon as it begins. */
    msgpack_sbuffer local;
    msgpack_sbuffer_init(&local);
    msgpack_sbuffer *out = record ? record : &local;
    size_t at = out->size;
    rc = s_record(self, txn, out);
    if (rc) {
        mdb_txn_abort(txn);
        msgpack_sbuffer_destroy(&local);
        return rc;
    }
    /* Taken while we hold LMDB's write lock, so the next commit's hook
       waits for this one's: no deadlock (only the write lock's holder
       takes it), and the hook sees records in commit order. */
    uint64_t seq_after = store_seq(self, txn);
    pthread_mutex_lock(&self->hook_lock);
    rc = mdb_txn_commit(txn);
    if (!rc && self->hook)
        self->hook(self->hook_arg, (const uint8_t *)out->data + at, out->size - at,
                   self->seq0, seq_after);
    pthread_mutex_unlock(&self->hook_lock);
    if (rc)
        out->size = at;
    msgpack_sbuffer_destroy(&local);
    return rc;
}

int
store_commit(MDB_txn *txn)
{
    return store_commit_record(txn, NULL);
}

void
store_abort(MDB_txn *txn)
{
    store_t *self = s_of(txn);
    if (txn == self->wtxn) {
        self->wtxn = NULL;
        self->nmarks = 0;
    } else {
        long i = s_mark_of(self, txn);
        if (i >= 0)
            s_truncate(self, (size_t)i);
    }
    mdb_txn_abort(txn);
}

void
store_set_changelog(store_t *self, bool on, const uint8_t *sign_sk)
{
    self->changelog_on = on;
    self->sign_sk = sign_sk;
}

void
store_changelog_start(store_t *self)
{
    self->changelog_on = true;
}

bool
store_changelog_on(const store_t *self)
{
    return self->changelog_on;
}

void
store_set_commit_hook(store_t *self, store_commit_hook_fn *fn, void *arg)
{
    self->hook = fn;
    self->hook_arg = arg;
}

size_t
store_changelog(const store_t *self, const uint8_t **data, size_t *len)
{
    *data = (const uint8_t *)self->log.data;
    *len = self->log.size;
    return self->log_count;
}

/* Logs a change the transaction made (it succeeded). Room is made
   first: a change that could not be logged fails the top-level commit
   (log_lost), so a record is exact or none is made. */
static void
s_log(store_t *self, nmirf_repl_op_t op, store_db_t db, const MDB_val *k,
      const MDB_val *v)
{
    if (!self->changelog_on)
        return;
    /* An array, two small uints and two bin headers take at most 16. */
    size_t need = self->log.size + (k ? k->mv_size : 0) + (v ? v->mv_size : 0) + 16;
    if (need > self->log.alloc) {
        size_t cap = self->log.alloc ? self->log.alloc : 8192;
        while (cap < need)
            cap *= 2;
        char *p = realloc(self->log.data, cap);
        if (!p) {
            self->log_lost = true;
            return;
        }
        self->log.data = p;
        self->log.alloc = cap;
    }
    nmirf_repl_pack_change(&self->logpk, op, (unsigned)db, k ? k->mv_data : NULL,
                           k ? k->mv_size : 0, v ? v->mv_data : NULL, v ? v->mv_size : 0);
    self->log_count++;
    if (op == NMIRF_REPL_PUT && db == DB_META && k->mv_size == 6 &&
        memcmp(k->mv_data, "commit", 6) == 0)
        self->commit_put = true;
    if (op == NMIRF_REPL_PUT && db == DB_CHECKPOINTS) {
        self->cp_len = v->mv_size; /* the value's bytes end the change */
        self->cp_off = self->log.size - v->mv_size;
    }
}

MDB_dbi
store_dbi(store_t *self, store_db_t db)
{
    return self->dbi[db];
}

int
store_get(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen,
          msgpack_zone *zone, msgpack_object *obj)
{
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_get(txn, self->dbi[db], &k, &v);
    if (rc)
        return rc;
    void *copy = msgpack_zone_malloc(zone, v.mv_size ? v.mv_size : 1);
    if (!copy)
        return ENOMEM;
    memcpy(copy, v.mv_data, v.mv_size);
    if (nmirf_mp_unpack(copy, v.mv_size, zone, obj, NULL, 0) != NMIRF_OK)
        return MDB_CORRUPTED;
    return 0;
}

int
store_put_flags(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen,
                const void *val, size_t vlen, unsigned flags)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int rc = mdb_put(txn, self->dbi[db], &k, &v, flags);
    if (!rc)
        s_log(self, NMIRF_REPL_PUT, db, &k, &v);
    return rc;
}

int
store_put(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen,
          const void *val, size_t vlen)
{
    return store_put_flags(self, txn, db, key, klen, val, vlen, 0);
}

int
store_del(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key};
    int rc = mdb_del(txn, self->dbi[db], &k, NULL);
    if (!rc)
        s_log(self, NMIRF_REPL_DEL, db, &k, NULL);
    return rc;
}

int
store_del_dup(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen,
              const void *val, size_t vlen)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int rc = mdb_del(txn, self->dbi[db], &k, &v);
    if (!rc)
        s_log(self, NMIRF_REPL_DEL_DUP, db, &k, &v);
    return rc;
}

int
store_drop(store_t *self, MDB_txn *txn, store_db_t db)
{
    int rc = mdb_drop(txn, self->dbi[db], 0);
    if (!rc)
        s_log(self, NMIRF_REPL_DROP, db, NULL, NULL);
    return rc;
}

bool
store_has(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key}, v;
    return mdb_get(txn, self->dbi[db], &k, &v) == 0;
}

/* Reads a u64 counter from meta; 0 if absent. */
static uint64_t
s_meta_u64(store_t *self, MDB_txn *txn, const char *name)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    if (mdb_get(txn, self->dbi[DB_META], &k, &v) || v.mv_size != 8)
        return 0;
    return nmirf_be64_decode(v.mv_data);
}

static int
s_meta_put_u64(store_t *self, MDB_txn *txn, const char *name, uint64_t value)
{
    uint8_t buf[8];
    nmirf_be64_encode(value, buf);
    return store_put(self, txn, DB_META, name, strlen(name), buf, 8);
}

uint64_t
store_seq(store_t *self, MDB_txn *txn)
{
    return s_meta_u64(self, txn, "seq");
}

int
store_append_event(store_t *self, MDB_txn *txn, nmirf_event_fields_t *ev,
                   uint8_t prev[NMIRF_HASH_LEN], msgpack_sbuffer *out)
{
    ev->seq = store_seq(self, txn) + 1;
    MDB_val k = {4, "head"}, v;
    if (mdb_get(txn, self->dbi[DB_META], &k, &v) == 0 && v.mv_size == NMIRF_HASH_LEN)
        memcpy(prev, v.mv_data, NMIRF_HASH_LEN);
    else
        memset(prev, 0, NMIRF_HASH_LEN);
    ev->prev = prev;
    msgpack_sbuffer_clear(out);
    nmirf_event_encode(out, ev);
    uint8_t key[8], head[NMIRF_HASH_LEN];
    nmirf_be64_encode(ev->seq, key);
    nmirf_hash2(head, (const uint8_t *)out->data, out->size, NULL, 0);
    /* APPEND: keys only grow, so LMDB can skip the search. */
    int rc = store_put_flags(self, txn, DB_EVENTS, key, sizeof key, out->data, out->size,
                             MDB_APPEND);
    if (!rc)
        rc = s_meta_put_u64(self, txn, "seq", ev->seq);
    if (!rc)
        rc = store_put(self, txn, DB_META, "head", 4, head, sizeof head);
    return rc;
}

int
store_head(store_t *self, MDB_txn *txn, uint8_t head[NMIRF_HASH_LEN])
{
    MDB_val k = {4, "head"}, v;
    int rc = mdb_get(txn, self->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        memset(head, 0, NMIRF_HASH_LEN);
        return 0;
    }
    if (!rc && v.mv_size != NMIRF_HASH_LEN)
        rc = MDB_CORRUPTED;
    if (!rc)
        memcpy(head, v.mv_data, NMIRF_HASH_LEN);
    return rc;
}

int
store_copy_fd(store_t *self, int fd, uint64_t *seq, uint8_t head[NMIRF_HASH_LEN],
              char *why, size_t whylen)
{
    return store_copy_fd_at(self, fd, seq, head, NULL, NULL, NULL, why, whylen);
}

int
store_copy_fd_at(store_t *self, int fd, uint64_t *seq, uint8_t head[NMIRF_HASH_LEN],
                 store_copy_at_fn *at, void *arg, uint64_t *pos, char *why, size_t whylen)
{
    /* mdb_env_copyfd2 reads in a read transaction of its own, which we
       cannot name. Holding the write lock across it (a write transaction
       that writes nothing) makes that snapshot the one we read seq and
       head in: no commit can fall between them. A compacting copy takes
       no lock of LMDB's own, so this does not deadlock; the writer waits
       for the copy (docs/REPLICATION.md, Initial sync). */
    MDB_txn *txn;
    int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (rc) {
        snprintf(why, whylen, "cannot begin the copy: %s", store_strerror(rc));
        return -1;
    }
    *seq = store_seq(self, txn);
    rc = store_head(self, txn, head);
    if (at) {
        /* The last commit's hook may still run (its commit released the
           write lock first): its lock waits for it, so at sees every
           record the copy holds. */
        pthread_mutex_lock(&self->hook_lock);
        at(arg, pos);
        pthread_mutex_unlock(&self->hook_lock);
    }
    if (!rc)
        rc = mdb_env_copyfd2(self->env, fd, MDB_CP_COMPACT);
    mdb_txn_abort(txn);
    if (rc) {
        snprintf(why, whylen, "cannot copy the store: %s", store_strerror(rc));
        return -1;
    }
    return 0;
}

int
store_digest(store_t *self, MDB_txn *txn, uint8_t out[NMIRF_HASH_LEN])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, NMIRF_HASH_LEN);
    for (int db = 0; db < DB_COUNT; db++) {
        MDB_cursor *cur;
        MDB_val k, v;
        int rc = mdb_cursor_open(txn, self->dbi[db], &cur);
        if (rc)
            return rc;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint8_t sizes[17] = {(uint8_t)db};
            nmirf_be64_encode(k.mv_size, sizes + 1);
            nmirf_be64_encode(v.mv_size, sizes + 9);
            crypto_generichash_update(&h, sizes, sizeof sizes);
            crypto_generichash_update(&h, k.mv_data, k.mv_size);
            crypto_generichash_update(&h, v.mv_data, v.mv_size);
        }
        mdb_cursor_close(cur);
        if (rc != MDB_NOTFOUND)
            return rc;
    }
    crypto_generichash_final(&h, out, NMIRF_HASH_LEN);
    return 0;
}

uint64_t
store_next_report_id(store_t *self, MDB_txn *txn, int *err)
{
    uint64_t id = s_meta_u64(self, txn, "report") + 1;
    *err = s_meta_put_u64(self, txn, "report", id);
    return *err ? 0 : id;
}

uint64_t
store_next_measure_id(store_t *self, MDB_txn *txn, int *err)
{
    uint64_t id = s_meta_u64(self, txn, "measure") + 1;
    *err = s_meta_put_u64(self, txn, "measure", id);
    return *err ? 0 : id;
}

uint64_t
store_stale_floor(store_t *self, MDB_txn *txn)
{
    return s_meta_u64(self, txn, "stale");
}

int
store_raise_stale_floor(store_t *self, MDB_txn *txn, uint64_t floor)
{
    if (floor <= s_meta_u64(self, txn, "stale"))
        return 0;
    return s_meta_put_u64(self, txn, "stale", floor);
}

uint64_t
store_commits(store_t *self, MDB_txn *txn)
{
    return s_meta_u64(self, txn, "commit");
}

uint64_t
store_epoch(store_t *self, MDB_txn *txn)
{
    uint64_t epoch = s_meta_u64(self, txn, "epoch");
    return epoch ? epoch : 1;
}

int
store_set_epoch(store_t *self, MDB_txn *txn, uint64_t epoch)
{
    return s_meta_put_u64(self, txn, "epoch", epoch);
}

const store_reqkey_t *
store_reqkey(const store_t *self)
{
    return &self->reqkey;
}

void
store_request_key(uint64_t ts, const uint8_t id[NMIRF_ID_LEN],
                  uint8_t key[STORE_REQKEY_LEN])
{
    nmirf_be64_encode(ts, key);
    memcpy(key + 8, id, NMIRF_ID_LEN);
}

int
store_last_event_ts(store_t *self, MDB_txn *txn, uint64_t *ts)
{
    *ts = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->dbi[DB_EVENTS], &cur);
    if (rc)
        return rc;
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    else if (!rc) {
        /* The event's own bytes, read in place: nothing is kept. */
        msgpack_zone zone;
        msgpack_object ev;
        msgpack_zone_init(&zone, 512);
        const msgpack_object *t = NULL;
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, &zone, &ev, NULL, 0) == NMIRF_OK)
            t = nmirf_mp_get(&ev, "ts");
        if (t && t->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            *ts = t->via.u64;
        else
            rc = MDB_CORRUPTED;
        msgpack_zone_destroy(&zone);
    }
    mdb_cursor_close(cur);
    return rc;
}

const char *
store_strerror(int rc)
{
    /* LMDB reports a write the disk could not take as EIO: say what an
       operator should look at first. */
    if (rc == EIO)
        return "Input/output error (is the disk full, or failing?)";
    if (rc == ENOSPC)
        return "No space left on device";
    return mdb_strerror(rc);
}

size_t
store_map_size(store_t *self)
{
    return self->map_size;
}
