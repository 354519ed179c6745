/*  deadlines - the broker's deadline reminders. */
#include "deadlines.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_schema.h"
#include "nmirf_util.h"
#include "ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000ULL
#define WHO_MAX (NMIRF_LIST_MAX + 4) /* a lead and up to NMIRF_LIST_MAX contributors */

uint64_t
deadlines_now_ms(void)
{
    const char *path = getenv("NMIRFD_CLOCK_FILE");
    if (!path || !*path)
        return nmirf_now_ms();
    size_t len;
    char *text = nmirf_read_file(path, &len);
    char *end = NULL;
    errno = 0;
    unsigned long long ms = text ? strtoull(text, &end, 10) : 0;
    bool ok = text && end != text && errno == 0 && (*end == 0 || *end == '\n');
    free(text);
    if (!ok) {
        log_warnx("NMIRFD_CLOCK_FILE %s does not hold epoch ms; using the real time",
                  path);
        return nmirf_now_ms();
    }
    return ms;
}

int
deadlines_period_ms(void)
{
    const char *s = getenv("NMIRFD_DEADLINE_SCAN_MS");
    if (!s || !*s)
        return DEADLINES_PERIOD_MS;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 10 || v > (long)DAY_MS) {
        log_warnx("NMIRFD_DEADLINE_SCAN_MS '%s' is not 10 to 86400000 ms; using %d", s,
                  DEADLINES_PERIOD_MS);
        return DEADLINES_PERIOD_MS;
    }
    return (int)v;
}

/* True if the marker stored for (rec, kind) names this assignment
   version: the same `assigned` time and deadline. */
static bool
s_already(store_t *store, MDB_txn *txn, const void *key, size_t klen, uint64_t assigned,
          strv_t deadline, msgpack_zone *zone)
{
    msgpack_object m;
    if (store_get(store, txn, DB_DEADLINES, key, klen, zone, &m))
        return false;
    const msgpack_object *a = nmirf_mp_get(&m, "assigned"),
                         *d = nmirf_mp_get(&m, "deadline");
    return a && a->type == MSGPACK_OBJECT_POSITIVE_INTEGER && a->via.u64 == assigned &&
           d && d->type == MSGPACK_OBJECT_STR && d->via.str.size == deadline.n &&
           memcmp(d->via.str.ptr, deadline.p, deadline.n) == 0;
}

/* A zone copy of a str object as a C string, or NULL. */
static const char *
s_zstr(msgpack_zone *zone, const msgpack_object *o)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    char *s = msgpack_zone_malloc(zone, o->via.str.size + 1);
    if (s) {
        memcpy(s, o->via.str.ptr, o->via.str.size);
        s[o->via.str.size] = 0;
    }
    return s;
}

/* Emits one deadline event for assignment asg of rec and stores its
   marker. Returns an LMDB error code. */
static int
s_emit(store_t *store, MDB_txn *txn, event_batch_t *events, const char *rec,
       const msgpack_object *asg, const char *kind, const char *today, int64_t days_left,
       strv_t status, const void *mkey, size_t mklen, msgpack_zone *zone)
{
    const char *who[WHO_MAX];
    size_t nwho = 0;
    const char *lead = s_zstr(zone, nmirf_mp_get(asg, "lead"));
    if (lead)
        who[nwho++] = lead;
    const msgpack_object *cs = nmirf_mp_get(asg, "contributors");
    for (uint32_t i = 0; cs && cs->type == MSGPACK_OBJECT_ARRAY &&
                         i < cs->via.array.size && nwho < WHO_MAX;
         i++) {
        const char *c = s_zstr(zone, &cs->via.array.ptr[i]);
        if (c)
            who[nwho++] = c;
    }
    const msgpack_object *deadline = nmirf_mp_get(asg, "deadline"),
                         *assigned = nmirf_mp_get(asg, "assigned");
    msgpack_sbuffer data, bytes;
    msgpack_sbuffer_init(&data);
    msgpack_sbuffer_init(&bytes);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    nmirf_mp_pack_kv_str(&pk, "rec", rec);
    nmirf_mp_pack_str(&pk, "lead");
    nmirf_mp_pack_object(&pk, nmirf_mp_get(asg, "lead"));
    nmirf_mp_pack_str(&pk, "contributors");
    if (cs)
        nmirf_mp_pack_object(&pk, cs);
    else
        msgpack_pack_array(&pk, 0);
    nmirf_mp_pack_str(&pk, "deadline");
    nmirf_mp_pack_object(&pk, deadline);
    nmirf_mp_pack_str(&pk, "assigned");
    nmirf_mp_pack_object(&pk, assigned);
    nmirf_mp_pack_kv_str(&pk, "today", today);
    nmirf_mp_pack_str(&pk, "days_left");
    msgpack_pack_int64(&pk, days_left);
    nmirf_mp_pack_str(&pk, "status");
    nmirf_mp_pack_strn(&pk, status.p, status.n);
    /* Nobody signed this change: the broker made it from its clock. Its
       author is "-", the broker itself (not an entity id, so it cannot be
       confused with one), and it has no request; checkpoints sign it. */
    nmirf_event_fields_t ev = {.ts = nmirf_now_ms(),
                               .kind = kind,
                               .subject = rec,
                               .entities = who,
                               .entity_count = nwho,
                               .author = "-",
                               .data = (const uint8_t *)data.data,
                               .data_len = data.size};
    uint8_t prev[NMIRF_HASH_LEN];
    int rc = store_append_event(store, txn, &ev, prev, &bytes);
    if (!rc && event_batch_add(events, ev.seq, kind, who, nwho, bytes.data, bytes.size))
        rc = ENOMEM;
    if (!rc) {
        msgpack_sbuffer_clear(&data);
        msgpack_pack_map(&pk, 2);
        nmirf_mp_pack_str(&pk, "assigned");
        nmirf_mp_pack_object(&pk, assigned);
        nmirf_mp_pack_str(&pk, "deadline");
        nmirf_mp_pack_object(&pk, deadline);
        rc = store_put(store, txn, DB_DEADLINES, mkey, mklen, data.data, data.size);
    }
    msgpack_sbuffer_destroy(&data);
    msgpack_sbuffer_destroy(&bytes);
    return rc;
}

int
deadlines_scan(store_t *store, event_batch_t *events, unsigned due_soon_days,
               uint64_t now)
{
    size_t first = events->count;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = store_begin(store, NULL, true, &txn);
    if (rc) {
        log_warnx("deadline scan: cannot begin a transaction: %s", store_strerror(rc));
        return -1;
    }
    rc = mdb_cursor_open(txn, store_dbi(store, DB_ASSIGNMENTS), &cur);
    msgpack_zone *zone = msgpack_zone_new(8192);
    if (!rc && !zone)
        rc = ENOMEM;
    int64_t today = (int64_t)(now / DAY_MS);
    char today_s[11];
    nmirf_date_of(now, today_s);
    int made = 0;
    MDB_val k, v;
    int crc;
    for (crc = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         !rc && crc == 0 && made < DEADLINES_SCAN_MAX;
         crc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(zone);
        /* Copies: LMDB's pointers die at our first write. */
        char rec[512];
        if (k.mv_size == 0 || k.mv_size >= sizeof rec)
            continue;
        memcpy(rec, k.mv_data, k.mv_size);
        rec[k.mv_size] = 0;
        void *copy = msgpack_zone_malloc(zone, v.mv_size ? v.mv_size : 1);
        msgpack_object asg;
        if (!copy)
            continue;
        memcpy(copy, v.mv_data, v.mv_size);
        if (nmirf_mp_unpack(copy, v.mv_size, zone, &asg, NULL, 0) != NMIRF_OK)
            continue;
        const msgpack_object *d = nmirf_mp_get(&asg, "deadline"),
                             *a = nmirf_mp_get(&asg, "assigned");
        if (!d || d->type != MSGPACK_OBJECT_STR ||
            !nmirf_date_valid(d->via.str.ptr, d->via.str.size) || !a ||
            a->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            continue;
        strv_t deadline = {d->via.str.ptr, d->via.str.size};
        int64_t left = nmirf_date_days(deadline.p) - today;
        const char *kind = left < 0                         ? "deadline.overdue"
                           : left <= (int64_t)due_soon_days ? "deadline.due_soon"
                                                            : NULL;
        if (!kind)
            continue;
        /* A withdrawn recommendation keeps its assignment as history, and
           has no deadline any more (rec.withdraw, rec.merge). */
        MDB_val rk = {k.mv_size, rec}, rv;
        msgpack_object recobj;
        if (mdb_get(txn, store_dbi(store, DB_RECS), &rk, &rv) == 0 &&
            nmirf_mp_unpack(rv.mv_data, rv.mv_size, zone, &recobj, NULL, 0) == NMIRF_OK &&
            nmirf_mp_get(&recobj, "withdrawn"))
            continue;
        /* Only `implemented` settles a deadline: `not_implemented` is an
           assessment that the work is not done, so it is still overdue. */
        MDB_val sk = {k.mv_size, rec}, sv;
        strv_t status = {"not_started", 11};
        char sbuf[64];
        if (mdb_get(txn, store_dbi(store, DB_STATUS), &sk, &sv) == 0 &&
            sv.mv_size < sizeof sbuf) {
            memcpy(sbuf, sv.mv_data, sv.mv_size);
            status = (strv_t){sbuf, sv.mv_size};
        }
        if (status.n == 11 && memcmp(status.p, "implemented", 11) == 0)
            continue;
        char mkey[600];
        size_t mklen = k.mv_size + 1 + strlen(kind);
        memcpy(mkey, rec, k.mv_size);
        mkey[k.mv_size] = 0;
        memcpy(mkey + k.mv_size + 1, kind, strlen(kind));
        if (s_already(store, txn, mkey, mklen, a->via.u64, deadline, zone))
            continue;
        rc = s_emit(store, txn, events, rec, &asg, kind, today_s, left, status, mkey,
                    mklen, zone);
        if (!rc)
            made++;
    }
    if (!rc && crc && crc != MDB_NOTFOUND)
        rc = crc;
    if (cur)
        mdb_cursor_close(cur);
    if (zone)
        msgpack_zone_free(zone);
    if (!rc && made == 0) {
        store_abort(txn);
        return 0;
    }
    rc = rc ? (store_abort(txn), rc) : store_commit(txn); /* synced */
    if (rc) {
        log_warnx("deadline scan: %s; no deadline event this time", store_strerror(rc));
        event_batch_truncate(events, first);
        return -1;
    }
    log_info("deadline scan (%s, horizon %u days): %d events", today_s, due_soon_days,
             made);
    return made;
}
