/*  nmirf_store_check - is an LMDB store whole? */
#include "nmirf_store_check.h"
#include "nmirf_mp.h"
#include "nmirf_store_ro.h"
#include "nmirf_util.h"
#include "nmirf_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- the open check ----------------------------------------------------- */

/* LMDB's on-disk format (mdb.c, 0.9): a page starts with a header of
   pgno (size_t), pad (u16), flags (u16), lower and upper (u16 each); a
   meta page holds, after it, MDB_meta: magic (u32), version (u32),
   address (pointer), mapsize (size_t), two MDB_db of pad (u32), flags
   (u16), depth (u16), branch, leaf and overflow page counts, entries and
   root (size_t each), then last_pg and txnid (size_t). The first meta's
   free-list pad holds the page size. Offsets follow from size_t, as in a
   store made by this machine's LMDB. */
#define S_W sizeof(size_t)
#define S_HDR (S_W + 8)                              /* PAGEHDRSZ */
#define S_FLAGS_OFF (S_W + 2)                        /* mp_flags in the header */
#define S_P_META 0x08                                /* P_META */
#define S_MAGIC 0xBEEFC0DEu                          /* MDB_MAGIC */
#define S_VERSION 1u                                 /* MDB_DATA_VERSION */
#define S_DB_SIZE (8 + 5 * S_W)                      /* sizeof(MDB_db) */
#define S_MAPSIZE_OFF (8 + S_W)                      /* mm_mapsize */
#define S_DBS_OFF (8 + 2 * S_W)                      /* mm_dbs[FREE_DBI], then MAIN_DBI */
#define S_LAST_PG_OFF (S_DBS_OFF + 2 * S_DB_SIZE)    /* mm_last_pg */
#define S_TXNID_OFF (S_LAST_PG_OFF + S_W)            /* mm_txnid */
#define S_META_SIZE (S_TXNID_OFF + S_W)              /* sizeof(MDB_meta) */
#define S_ROOT_OFF (4 + 2 + 2 + 4 * S_W)             /* md_root in an MDB_db */
#define S_INVALID_PG ((uint64_t)(size_t) ~(size_t)0) /* P_INVALID: no root */

/* One meta page as read. */
typedef struct {
    uint32_t magic, version;
    uint64_t psize, mapsize, last_pg, txnid;
    uint64_t roots[2]; /* free-list and main database roots */
} s_meta_t;

static uint64_t
s_word(const uint8_t *p)
{
    size_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Reads and checks the meta page at off. Returns 0, DAMAGED with why, or
   ERROR. */
static nmirf_store_rc_t
s_read_meta(int fd, off_t off, int which, s_meta_t *m, char *why, size_t whylen)
{
    uint8_t buf[S_HDR + S_META_SIZE];
    ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n < 0) {
        snprintf(why, whylen, "cannot read meta page %d: %s", which, strerror(errno));
        return NMIRF_STORE_ERROR;
    }
    if ((size_t)n < sizeof buf) {
        snprintf(why, whylen, "the file ends inside meta page %d (truncated)", which);
        return NMIRF_STORE_DAMAGED;
    }
    uint16_t flags;
    memcpy(&flags, buf + S_FLAGS_OFF, 2);
    const uint8_t *mm = buf + S_HDR;
    memcpy(&m->magic, mm, 4);
    memcpy(&m->version, mm + 4, 4);
    uint32_t psize;
    memcpy(&psize, mm + S_DBS_OFF, 4);
    m->psize = psize;
    m->mapsize = s_word(mm + S_MAPSIZE_OFF);
    m->last_pg = s_word(mm + S_LAST_PG_OFF);
    m->txnid = s_word(mm + S_TXNID_OFF);
    m->roots[0] = s_word(mm + S_DBS_OFF + S_ROOT_OFF);
    m->roots[1] = s_word(mm + S_DBS_OFF + S_DB_SIZE + S_ROOT_OFF);
    if (!(flags & S_P_META) || m->magic != S_MAGIC) {
        snprintf(why, whylen,
                 "meta page %d is not an LMDB meta page (flags 0x%x, magic "
                 "0x%08x)",
                 which, flags, m->magic);
        return NMIRF_STORE_DAMAGED;
    }
    if (m->version != S_VERSION) {
        snprintf(why, whylen, "meta page %d has LMDB format version %u, not %u", which,
                 m->version, S_VERSION);
        return NMIRF_STORE_DAMAGED;
    }
    return NMIRF_STORE_OK;
}

nmirf_store_rc_t
nmirf_store_check_open(const char *dir, nmirf_store_meta_t *meta, char *why,
                       size_t whylen)
{
    nmirf_store_meta_t dummy;
    if (!meta)
        meta = &dummy;
    memset(meta, 0, sizeof *meta);
    char path[4096];
    snprintf(path, sizeof path, "%.4000s/data.mdb", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return NMIRF_STORE_OK; /* a new store: LMDB makes it */
        snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
        return NMIRF_STORE_ERROR;
    }
    s_meta_t m[2];
    nmirf_store_rc_t rc = NMIRF_STORE_OK;
    struct stat st;
    /* The metas before the size: the file only grows while a broker
       commits, so a size read after the meta covers the pages it names. */
    uint8_t probe;
    if (pread(fd, &probe, 1, 0) == 0) {
        snprintf(why, whylen, "the file is empty (0 bytes): no meta page");
        rc = NMIRF_STORE_DAMAGED;
    }
    if (!rc)
        rc = s_read_meta(fd, 0, 0, &m[0], why, whylen);
    if (!rc && (m[0].psize < 256 || m[0].psize > 65536 ||
                (m[0].psize & (m[0].psize - 1)) != 0)) {
        snprintf(why, whylen, "meta page 0 gives a page size of %llu bytes",
                 (unsigned long long)m[0].psize);
        rc = NMIRF_STORE_DAMAGED;
    }
    if (!rc)
        rc = s_read_meta(fd, (off_t)m[0].psize, 1, &m[1], why, whylen);
    if (!rc && fstat(fd, &st) != 0) {
        snprintf(why, whylen, "cannot stat %s: %s", path, strerror(errno));
        rc = NMIRF_STORE_ERROR;
    }
    close(fd);
    if (rc)
        return rc;
    /* LMDB uses the meta with the greater txnid. */
    const s_meta_t *cur = m[1].txnid > m[0].txnid ? &m[1] : &m[0];
    uint64_t psize = m[0].psize, size = (uint64_t)st.st_size;
    meta->file_size = size;
    meta->page_size = psize;
    meta->last_pg = cur->last_pg;
    meta->map_size = cur->mapsize;
    meta->txnid = cur->txnid;
    if (cur->last_pg < 1 || cur->last_pg > UINT64_MAX / psize - 1) {
        snprintf(why, whylen, "the meta page (txn %llu) names last page %llu",
                 (unsigned long long)cur->txnid, (unsigned long long)cur->last_pg);
        return NMIRF_STORE_DAMAGED;
    }
    uint64_t need = (cur->last_pg + 1) * psize;
    if (size < need) {
        snprintf(why, whylen,
                 "truncated: the file is %llu bytes but its last page in use, %llu, ends "
                 "at %llu",
                 (unsigned long long)size, (unsigned long long)cur->last_pg,
                 (unsigned long long)need);
        return NMIRF_STORE_DAMAGED;
    }
    if (cur->mapsize < need) {
        snprintf(why, whylen,
                 "the meta page's map size, %llu bytes, does not hold its %llu pages",
                 (unsigned long long)cur->mapsize, (unsigned long long)cur->last_pg + 1);
        return NMIRF_STORE_DAMAGED;
    }
    for (int i = 0; i < 2; i++)
        if (cur->roots[i] != S_INVALID_PG &&
            (cur->roots[i] < 2 || cur->roots[i] > cur->last_pg)) {
            snprintf(why, whylen,
                     "the meta page names page %llu as the %s root, "
                     "outside pages 2 to %llu",
                     (unsigned long long)cur->roots[i],
                     i ? "main database's" : "free list's",
                     (unsigned long long)cur->last_pg);
            return NMIRF_STORE_DAMAGED;
        }
    return NMIRF_STORE_OK;
}

/* --- the walk, in the child --------------------------------------------- */

#define S_MAX_DBS 64   /* named databases the walk lists */
#define S_MAX_PER_DB 5 /* damage reports per database before "and N more" */
#define S_NAME_MAX 64  /* longest database name read */

/* What the child carries through the walk. */
typedef struct {
    FILE *out;                          /* the pipe to the parent */
    MDB_txn *txn;                       /* the read transaction */
    uint64_t last_pg;                   /* last page in the txn's view, or past it */
    const char *db;                     /* the database being walked */
    unsigned db_damages;                /* damages found in it */
    uint64_t entries;                   /* entries read, all databases */
    uint64_t events;                    /* events chained so far */
    uint8_t prev[NMIRF_HASH_LEN];       /* hash of the last event */
    bool meta_seq_seen, meta_head_seen; /* meta's seq, head found */
    uint64_t meta_seq;                  /* meta's seq */
    uint8_t meta_head[NMIRF_HASH_LEN];  /* meta's head */
} s_walk_t;

/* Sends one line "TAG text" to the parent, newlines in text blanked. */
static void
s_line(FILE *out, char tag, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(out, "%c %s\n", tag, buf);
    fflush(out);
}

/* Reports a damage in the current database (the first S_MAX_PER_DB). */
static void
s_damage(s_walk_t *w, const char *fmt, ...)
{
    if (++w->db_damages > S_MAX_PER_DB)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s_line(w->out, 'D', "%s: %s", w->db, buf);
}

/* True for LMDB's error codes that say the file is not a whole store
   (nmirf_store_check.h); false for errno and for LMDB's other codes (a
   full reader table, a map the broker grew, a bad argument), which say
   nothing of the file. */
bool
nmirf_store_mdb_damage(int rc)
{
    return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID ||
           rc == MDB_VERSION_MISMATCH;
}

/* Checks one event against the chain: key k holds seq events+1, decodes,
   and names the hash of the event before. */
static void
s_check_event(s_walk_t *w, const MDB_val *k, const MDB_val *v)
{
    uint64_t want = w->events + 1;
    if (k->mv_size != 8) {
        s_damage(w, "an entry with a %zu-byte key", k->mv_size);
        return;
    }
    uint64_t seq = nmirf_be64_decode(k->mv_data);
    if (seq != want) {
        s_damage(w, "seq %llu where %llu was due (a gap in the log)",
                 (unsigned long long)seq, (unsigned long long)want);
        w->events = seq; /* go on from here: one gap, one report */
    }
    char why[256] = "";
    nmirf_event_t *ev = nmirf_event_decode(v->mv_data, v->mv_size, why, sizeof why);
    if (!ev)
        s_damage(w, "seq %llu does not decode as an event: %s", (unsigned long long)seq,
                 why);
    else if (ev->seq != seq)
        s_damage(w, "the event stored at seq %llu says seq %llu", (unsigned long long)seq,
                 (unsigned long long)ev->seq);
    else if (seq == want && memcmp(ev->prev, w->prev, NMIRF_HASH_LEN) != 0)
        s_damage(w,
                 "seq %llu: prev is not the hash of event %llu (one of the two was "
                 "changed)",
                 (unsigned long long)seq, (unsigned long long)(seq - 1));
    nmirf_event_destroy(&ev);
    nmirf_hash2(w->prev, v->mv_data, v->mv_size, NULL, 0);
    w->events = seq;
}

/* The bin under name in the map obj, or NULL. */
static const msgpack_object *
s_bin(const msgpack_object *obj, const char *name)
{
    const msgpack_object *o = nmirf_mp_get(obj, name);
    return o && o->type == MSGPACK_OBJECT_BIN ? o : NULL;
}

/* Checks a stored request {hash, envelope, sig, reply}: its hash is the
   BLAKE2b of envelope||sig, as the broker computed it when it took the
   request (a change in its bytes, which msgpack alone cannot see). */
static void
s_check_request(s_walk_t *w, const MDB_val *k, const MDB_val *v)
{
    msgpack_zone *zone = msgpack_zone_new(1024);
    msgpack_object obj;
    const msgpack_object *hash = NULL, *env = NULL, *sig = NULL, *reply = NULL;
    if (zone &&
        nmirf_mp_unpack(v->mv_data, v->mv_size, zone, &obj, NULL, 0) == NMIRF_OK) {
        hash = s_bin(&obj, "hash");
        env = s_bin(&obj, "envelope");
        sig = s_bin(&obj, "sig");
        reply = s_bin(&obj, "reply");
    }
    const uint8_t *id = (const uint8_t *)k->mv_data + (k->mv_size > NMIRF_ID_LEN ? 8 : 0);
    if (!zone)
        ;
    else if (!hash || !env || !sig || !reply || hash->via.bin.size != NMIRF_HASH_LEN)
        s_damage(w, "request %02x%02x%02x%02x...: not a stored request", id[0], id[1],
                 id[2], id[3]);
    else {
        uint8_t h[NMIRF_HASH_LEN];
        nmirf_hash2(h, (const uint8_t *)env->via.bin.ptr, env->via.bin.size,
                    (const uint8_t *)sig->via.bin.ptr, sig->via.bin.size);
        if (memcmp(h, hash->via.bin.ptr, NMIRF_HASH_LEN) != 0)
            s_damage(w,
                     "request %02x%02x%02x%02x...: its bytes do not hash to its stored "
                     "hash",
                     id[0], id[1], id[2], id[3]);
        else if (nmirf_mp_check((const uint8_t *)reply->via.bin.ptr, reply->via.bin.size,
                                NULL, 0) != NMIRF_OK)
            s_damage(w, "request %02x%02x%02x%02x...: its stored reply is not msgpack",
                     id[0], id[1], id[2], id[3]);
    }
    if (zone)
        msgpack_zone_free(zone);
}

/* Checks one entry of the broker's database w->db (docs/ARCHITECTURE.md,
   The store); databases it does not know are only walked. */
static void
s_check_entry(s_walk_t *w, const MDB_val *k, const MDB_val *v)
{
    const char *db = w->db;
    char why[256] = "";
    if (strcmp(db, "events") == 0) {
        s_check_event(w, k, v);
    } else if (strcmp(db, "meta") == 0) {
        bool is_seq = k->mv_size == 3 && memcmp(k->mv_data, "seq", 3) == 0;
        bool is_head = k->mv_size == 4 && memcmp(k->mv_data, "head", 4) == 0;
        bool is_reqkey = k->mv_size == 6 && memcmp(k->mv_data, "reqkey", 6) == 0;
        bool is_u64 = is_seq ||
                      (k->mv_size == 6 && memcmp(k->mv_data, "report", 6) == 0) ||
                      (k->mv_size == 7 && memcmp(k->mv_data, "measure", 7) == 0) ||
                      (k->mv_size == 5 && memcmp(k->mv_data, "epoch", 5) == 0);
        if (is_u64 && v->mv_size != 8)
            s_damage(w, "%.*s holds %zu bytes, not 8", (int)k->mv_size,
                     (const char *)k->mv_data, v->mv_size);
        else if (is_head && v->mv_size != NMIRF_HASH_LEN)
            s_damage(w, "head holds %zu bytes, not %d", v->mv_size, NMIRF_HASH_LEN);
        else if (is_reqkey && v->mv_size != 10)
            s_damage(w, "reqkey holds %zu bytes, not 10", v->mv_size);
        else if (is_seq) {
            w->meta_seq = nmirf_be64_decode(v->mv_data);
            w->meta_seq_seen = true;
        } else if (is_head) {
            memcpy(w->meta_head, v->mv_data, NMIRF_HASH_LEN);
            w->meta_head_seen = true;
        }
    } else if (strcmp(db, "agg") == 0) {
        /* stats' figures (daemon/stats_agg.h): a count, a long name after it. */
        if (v->mv_size < 8)
            s_damage(w, "a count of %zu bytes, not 8", v->mv_size);
    } else if (strcmp(db, "rec_reports") == 0 || strcmp(db, "rec_measures") == 0) {
        if (v->mv_size != 8)
            s_damage(w, "an index value of %zu bytes, not 8", v->mv_size);
    } else if (strcmp(db, "status") == 0) {
        bool ok = v->mv_size > 0 && v->mv_size <= 32;
        for (size_t i = 0; ok && i < v->mv_size; i++) {
            char c = ((const char *)v->mv_data)[i];
            ok = (c >= 'a' && c <= 'z') || c == '_';
        }
        if (!ok)
            s_damage(w, "a value that is not a status name (%zu bytes)", v->mv_size);
    } else if (strcmp(db, "entities") == 0 || strcmp(db, "recs") == 0 ||
               strcmp(db, "assignments") == 0 || strcmp(db, "reports") == 0 ||
               strcmp(db, "requests") == 0 || strcmp(db, "checkpoints") == 0 ||
               strcmp(db, "measures") == 0 || strcmp(db, "deadlines") == 0) {
        size_t klen = (strcmp(db, "reports") == 0 || strcmp(db, "checkpoints") == 0 ||
                       strcmp(db, "measures") == 0)
                          ? 8
                          : 0;
        /* requests: ts (u64 BE) || id, or the id alone in a store from
           before the index was keyed by time (daemon/store.h). */
        if (strcmp(db, "requests") == 0 && k->mv_size != NMIRF_ID_LEN &&
            k->mv_size != 8 + NMIRF_ID_LEN)
            s_damage(w, "a key of %zu bytes, not %d or %d", k->mv_size, NMIRF_ID_LEN,
                     8 + NMIRF_ID_LEN);
        else if (klen && k->mv_size != klen)
            s_damage(w, "a key of %zu bytes, not %zu", k->mv_size, klen);
        else if (nmirf_mp_check(v->mv_data, v->mv_size, why, sizeof why) != NMIRF_OK)
            s_damage(w, "the value under a %zu-byte key is not msgpack: %s", k->mv_size,
                     why);
        else if (strcmp(db, "requests") == 0)
            s_check_request(w, k, v);
    }
}

/* Walks one database entry by entry: LMDB's errors, key order, the
   entry count against the database's own, and each entry's value. */
static void
s_walk_db(s_walk_t *w, MDB_dbi dbi, const char *name, bool dupsort)
{
    w->db = name;
    w->db_damages = 0;
    s_line(w->out, 'A', "%s", name);
    MDB_stat st;
    MDB_cursor *cur = NULL;
    int rc = mdb_stat(w->txn, dbi, &st);
    if (!rc)
        rc = mdb_cursor_open(w->txn, dbi, &cur);
    if (rc) {
        s_damage(w, "cannot be read: %s", mdb_strerror(rc));
        return;
    }
    MDB_val k, v, pk = {0, NULL}, pv = {0, NULL};
    uint64_t count = 0;
    bool is_free = dbi == 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (count > 0) {
            int c = mdb_cmp(w->txn, dbi, &pk, &k);
            if (c > 0 || (c == 0 && (!dupsort || mdb_dcmp(w->txn, dbi, &pv, &v) >= 0)))
                s_damage(w, "entry %llu is out of order", (unsigned long long)count + 1);
        }
        if (is_free) {
            /* A free-list entry: a count, then that many page numbers. */
            /* LMDB aligns a value to 2 bytes only: memcpy, not a cast. */
            const uint8_t *ids = v.mv_data;
            size_t n = 0;
            if (v.mv_size >= sizeof(size_t))
                memcpy(&n, ids, sizeof n);
            if (v.mv_size < sizeof(size_t) || v.mv_size != (n + 1) * sizeof(size_t))
                s_damage(w, "an entry of %zu bytes", v.mv_size);
            else
                for (size_t i = 1; i <= n; i++) {
                    size_t pg;
                    memcpy(&pg, ids + i * sizeof pg, sizeof pg);
                    if (pg < 2 || pg > w->last_pg) {
                        s_damage(w, "names page %zu, outside 2 to %llu", pg,
                                 (unsigned long long)w->last_pg);
                        break;
                    }
                }
        } else
            s_check_entry(w, &k, &v);
        pk = k;
        pv = v;
        count++;
    }
    if (rc != MDB_NOTFOUND)
        s_damage(w, "reading entry %llu: %s", (unsigned long long)count + 1,
                 mdb_strerror(rc));
    else if (count != st.ms_entries)
        s_damage(w, "%llu entries read, its header says %llu", (unsigned long long)count,
                 (unsigned long long)st.ms_entries);
    mdb_cursor_close(cur);
    if (!is_free)
        w->entries += count;
    if (w->db_damages > S_MAX_PER_DB)
        s_line(w->out, 'D', "%s: and %u more damages", name,
               w->db_damages - S_MAX_PER_DB);
}

/* The child: checks, walks, and tells the parent line by line; "END" last.
   Returns the child's exit status. */
static int
s_child(const char *dir, FILE *out)
{
    char why[512] = "";
    nmirf_store_meta_t meta;
    nmirf_store_rc_t src = nmirf_store_check_open(dir, &meta, why, sizeof why);
    if (src == NMIRF_STORE_ERROR) {
        s_line(out, 'E', "%s", why);
        return 0;
    }
    if (src == NMIRF_STORE_DAMAGED) {
        s_line(out, 'D', "%s", why);
        s_line(out, 'Z', "END");
        return 0;
    }
    s_line(out, 'M', "%llu %llu %llu %llu %llu", (unsigned long long)meta.file_size,
           (unsigned long long)meta.page_size, (unsigned long long)meta.last_pg,
           (unsigned long long)meta.map_size, (unsigned long long)meta.txnid);
    if (meta.file_size == 0) {
        s_line(out, 'E', "%s/data.mdb: no such file", dir);
        return 0;
    }
    s_walk_t w = {.out = out, .last_pg = meta.last_pg};
    MDB_env *env = NULL;
    MDB_dbi main_dbi;
    MDB_cursor *cur = NULL;
    int rc = nmirf_store_ro_open(dir, &env, &w.txn);
    if (!rc)
        rc = mdb_dbi_open(w.txn, NULL, 0, &main_dbi);
    /* The open check's meta may be older than the transaction's snapshot:
       a broker beside the walk commits in between, and the snapshot's free
       list may name pages past the old last page. The newest meta, read
       after mdb_txn_begin, bounds the snapshot's pages (LMDB has no call
       for a read transaction's own last page). */
    MDB_envinfo info;
    if (!rc && (rc = mdb_env_info(env, &info)) == 0 && info.me_last_pgno > w.last_pg)
        w.last_pg = info.me_last_pgno;
    if (rc) {
        s_line(out, nmirf_store_mdb_damage(rc) ? 'D' : 'E', "LMDB cannot open it: %s",
               mdb_strerror(rc));
        if (nmirf_store_mdb_damage(rc))
            s_line(out, 'Z', "END");
        mdb_txn_abort(w.txn);
        mdb_env_close(env);
        return 0;
    }
    s_walk_db(&w, 0, "(free list)", false);
    /* The main database names the others. */
    static char names[S_MAX_DBS][S_NAME_MAX + 1];
    unsigned n = 0;
    MDB_val k, v;
    w.db = "(main)";
    w.db_damages = 0;
    s_line(out, 'A', "(main)");
    rc = mdb_cursor_open(w.txn, main_dbi, &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size == 0 || k.mv_size > S_NAME_MAX || memchr(k.mv_data, 0, k.mv_size))
            s_damage(&w, "a database name of %zu bytes", k.mv_size);
        else if (n < S_MAX_DBS) {
            memcpy(names[n], k.mv_data, k.mv_size);
            names[n++][k.mv_size] = '\0';
        }
    }
    if (rc != MDB_NOTFOUND)
        s_damage(&w, "reading the list of databases: %s", mdb_strerror(rc));
    mdb_cursor_close(cur);
    unsigned dbs = 0;
    for (unsigned i = 0; i < n; i++) {
        MDB_dbi dbi;
        unsigned flags = 0;
        w.db = names[i];
        w.db_damages = 0;
        rc = mdb_dbi_open(w.txn, names[i], 0, &dbi);
        if (!rc)
            rc = mdb_dbi_flags(w.txn, dbi, &flags);
        if (rc) {
            s_damage(&w, "cannot be opened: %s", mdb_strerror(rc));
            continue;
        }
        s_walk_db(&w, dbi, names[i], (flags & MDB_DUPSORT) != 0);
        dbs++;
    }
    /* meta's seq and head name the last event. */
    w.db = "meta";
    w.db_damages = 0;
    if (w.meta_seq_seen && w.meta_seq != w.events)
        s_damage(&w, "seq is %llu but the last event is %llu",
                 (unsigned long long)w.meta_seq, (unsigned long long)w.events);
    else if (w.meta_head_seen && w.events &&
             memcmp(w.meta_head, w.prev, NMIRF_HASH_LEN) != 0)
        s_damage(&w, "head is not the hash of the last event (%llu)",
                 (unsigned long long)w.events);
    s_line(out, 'S', "%u %llu %llu", dbs, (unsigned long long)w.entries,
           (unsigned long long)w.events);
    mdb_txn_abort(w.txn);
    mdb_env_close(env);
    s_line(out, 'Z', "END");
    return 0;
}

/* --- the walk, in the parent -------------------------------------------- */

/* Records one damage in sum and passes it on. */
static void
s_found(nmirf_store_walk_t *sum, nmirf_store_report_fn *report, void *arg,
        const char *what)
{
    if (sum->damages++ == 0)
        snprintf(sum->first, sizeof sum->first, "%.500s", what);
    if (report)
        report(arg, what);
}

nmirf_store_rc_t
nmirf_store_check_walk(const char *dir, nmirf_store_report_fn *report, void *arg,
                       nmirf_store_walk_t *sum, char *why, size_t whylen)
{
    memset(sum, 0, sizeof *sum);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(why, whylen, "cannot make a pipe: %s", strerror(errno));
        return NMIRF_STORE_ERROR;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "cannot fork the store walk: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return NMIRF_STORE_ERROR;
    }
    if (pid == 0) {
        /* A crash here is a finding, reported by the parent: no core dump
           (prctl, not setrlimit: the units' SystemCallFilter refuses
           @resources). */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        close(fds[0]);
        FILE *out = fdopen(fds[1], "w");
        int st = out ? s_child(dir, out) : 1;
        if (out)
            fflush(out);
        _exit(st);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    if (!in) {
        close(fds[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        snprintf(why, whylen, "cannot read the store walk: %s", strerror(errno));
        return NMIRF_STORE_ERROR;
    }
    char line[1024], at[S_NAME_MAX + 16] = "", error[600] = "";
    bool ended = false;
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        if (strlen(line) < 2)
            continue;
        const char *text = line + 2;
        unsigned long long a, b, c, d, e;
        switch (line[0]) {
        case 'A':
            snprintf(at, sizeof at, "%.64s", text);
            break;
        case 'D':
            s_found(sum, report, arg, text);
            break;
        case 'E':
            snprintf(error, sizeof error, "%.590s", text);
            break;
        case 'M':
            if (sscanf(text, "%llu %llu %llu %llu %llu", &a, &b, &c, &d, &e) == 5)
                sum->meta = (nmirf_store_meta_t){a, b, c, d, e};
            break;
        case 'S':
            if (sscanf(text, "%llu %llu %llu", &a, &b, &c) == 3) {
                sum->dbs = (unsigned)a;
                sum->entries = b;
                sum->events = c;
            }
            break;
        case 'Z':
            ended = true;
            break;
        }
    }
    fclose(in);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (error[0]) {
        snprintf(why, whylen, "%s", error);
        return NMIRF_STORE_ERROR;
    }
    if (!ended || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char what[600];
        if (WIFSIGNALED(status))
            snprintf(what, sizeof what,
                     "%s%sreading it crashed LMDB (signal %d, %s): a page there is "
                     "damaged",
                     at, at[0] ? ": " : "", WTERMSIG(status),
                     strsignal(WTERMSIG(status)));
        else
            snprintf(what, sizeof what,
                     "%s%sthe walk stopped before its end (exit status %d): a page "
                     "there is damaged",
                     at, at[0] ? ": " : "", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        s_found(sum, report, arg, what);
    }
    return sum->damages ? NMIRF_STORE_DAMAGED : NMIRF_STORE_OK;
}
