/*  store - the broker's LMDB environment. */
#include "store.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_store_check.h"
#include "nmirf_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct _store_t {
    MDB_env *env;          /* the environment */
    MDB_dbi dbi[DB_COUNT]; /* named databases */
    size_t map_size;       /* bytes */
    store_reqkey_t reqkey; /* how `requests` is keyed (meta "reqkey") */
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
    free(self);
    *self_p = NULL;
}

int
store_begin(store_t *self, MDB_txn *parent, bool write, MDB_txn **txn)
{
    return mdb_txn_begin(self->env, parent, write ? 0 : MDB_RDONLY, txn);
}

int
store_commit(MDB_txn *txn)
{
    return mdb_txn_commit(txn);
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
store_put(store_t *self, MDB_txn *txn, store_db_t db, const void *key, size_t klen,
          const void *val, size_t vlen)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    return mdb_put(txn, self->dbi[db], &k, &v, 0);
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
    MDB_val ek = {8, key}, evv = {out->size, out->data};
    int rc = mdb_put(txn, self->dbi[DB_EVENTS], &ek, &evv, MDB_APPEND);
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
