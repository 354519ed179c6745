/*  stats_agg - the figures of an unfiltered `stats`, kept in the write
    transaction (stats_agg.h). What one recommendation contributes is
    computed here by the rules of the full scan in ops_stats.c, which stays
    the reference: stats_test compares the two answers byte for byte. */
#include "stats_agg.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_recfilter.h"
#include "nmirf_util.h"
#include "records.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define AGG_NAME_HEAD 416      /* bytes of a long name kept in its key */
#define AGG_REBUILD_BATCH 1024 /* recommendations summed before writing */

bool
stats_agg_ready(store_t *store, MDB_txn *txn)
{
    MDB_val k = {1, "V"}, v;
    return mdb_get(txn, store_dbi(store, DB_AGG), &k, &v) == 0;
}

int64_t
stats_agg_month_of(uint64_t ms)
{
    char d[11];
    nmirf_date_of(ms, d);
    int64_t y =
        (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    return (y - 1970) * 12 + (d[5] - '0') * 10 + (d[6] - '0') - 1;
}

size_t
stats_agg_name_key(const char *name, size_t n, uint8_t out[AGG_NAME_KEY_MAX])
{
    if (n <= AGG_NAME_LONG) {
        memcpy(out, name, n);
        return n;
    }
    /* One byte longer than any short name: the two never meet. */
    uint8_t h[16];
    static const char hex[] = "0123456789abcdef";
    crypto_generichash(h, sizeof h, (const uint8_t *)name, n, NULL, 0);
    memcpy(out, name, AGG_NAME_HEAD);
    out[AGG_NAME_HEAD] = '#';
    for (size_t i = 0; i < sizeof h; i++) {
        out[AGG_NAME_HEAD + 1 + 2 * i] = (uint8_t)hex[h[i] >> 4];
        out[AGG_NAME_HEAD + 2 + 2 * i] = (uint8_t)hex[h[i] & 15];
    }
    return AGG_NAME_KEY_MAX;
}

static int
s_status_index(const char *p, size_t n)
{
    int i = p ? nmirf_valueset_find(&nmirf_statuses, p, n) : -1;
    return i < 0 ? 0 : i;
}

/* Adds (key, delta) to the view; name is a long group name or NULL. */
static void
s_add(agg_view_t *v, const uint8_t *key, size_t klen, int64_t delta, const char *name,
      size_t namelen)
{
    if (v->oom)
        return;
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        agg_entry_t *items = msgpack_zone_malloc(v->zone, cap * sizeof *items);
        if (!items) {
            v->oom = true;
            return;
        }
        if (v->count)
            memcpy(items, v->items, v->count * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    uint8_t *k = msgpack_zone_malloc(v->zone, klen ? klen : 1);
    char *nm = name ? msgpack_zone_malloc(v->zone, namelen ? namelen : 1) : NULL;
    if (!k || (name && !nm)) {
        v->oom = true;
        return;
    }
    memcpy(k, key, klen);
    if (nm)
        memcpy(nm, name, namelen);
    v->items[v->count++] = (agg_entry_t){k, klen, delta, nm, namelen};
}

/* Counts the recommendation of status st under name in group g, naming it
   as ops_stats.c's s_group_add does: "-" when empty, at most
   NMIRF_SHORT_MAX bytes, up to a NUL. */
static void
s_group(agg_view_t *v, char g, const char *p, size_t n, int st)
{
    if (!p || n == 0) {
        p = "-";
        n = 1;
    }
    if (n > NMIRF_SHORT_MAX)
        n = NMIRF_SHORT_MAX;
    const char *nul = memchr(p, '\0', n);
    if (nul)
        n = (size_t)(nul - p);
    uint8_t key[2 + AGG_NAME_KEY_MAX + 2];
    key[0] = 'G';
    key[1] = (uint8_t)g;
    size_t kn = stats_agg_name_key(p, n, key + 2);
    key[2 + kn] = 0;
    key[3 + kn] = (uint8_t)('a' + st);
    s_add(v, key, kn + 4, 1, kn > AGG_NAME_LONG ? p : NULL, n);
}

/* Each non-empty string of list, or "-" if none. */
static void
s_group_list(agg_view_t *v, char g, const msgpack_object *list, int st)
{
    size_t added = 0;
    if (list && list->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < list->via.array.size; i++) {
            const msgpack_object *o = &list->via.array.ptr[i];
            if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0)
                continue;
            s_group(v, g, o->via.str.ptr, o->via.str.size, st);
            added++;
        }
    if (!added)
        s_group(v, g, NULL, 0, st);
}

static void
s_month_key(agg_view_t *v, int64_t month, char kind, int st, int64_t delta)
{
    uint8_t key[7] = {'M'};
    uint32_t m = (uint32_t)month;
    key[1] = (uint8_t)(m >> 24);
    key[2] = (uint8_t)(m >> 16);
    key[3] = (uint8_t)(m >> 8);
    key[4] = (uint8_t)m;
    key[5] = (uint8_t)kind;
    key[6] = (uint8_t)('a' + st);
    s_add(v, key, st < 0 ? 6 : 7, delta, NULL, 0);
}

/* A validated report of the recommendation. */
typedef struct {
    uint64_t decided, id;
    int status;
} s_change_t;

static int
s_change_cmp(const void *a, const void *b)
{
    const s_change_t *x = a, *y = b;
    if (x->decided != y->decided)
        return x->decided < y->decided ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* by_month's part: rec's validated reports in the order of their
   decisions, each month's last one the month's status (ops_stats.c,
   s_pack_months). */
static int
s_months(store_t *store, MDB_txn *txn, const char *rec, size_t n, agg_view_t *v)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbi(store, DB_REC_REPORTS), &cur);
    if (rc)
        return rc;
    MDB_val k = {n, (void *)rec}, id;
    size_t count = 0;
    if (mdb_cursor_get(cur, &k, &id, MDB_SET) == 0)
        mdb_cursor_count(cur, &count);
    s_change_t *ch = count ? msgpack_zone_malloc(v->zone, count * sizeof *ch) : NULL;
    if (count && !ch) {
        mdb_cursor_close(cur);
        return ENOMEM;
    }
    msgpack_zone *zone = msgpack_zone_new(2048);
    if (!zone) {
        mdb_cursor_close(cur);
        return ENOMEM;
    }
    size_t got = 0;
    for (rc = count ? mdb_cursor_get(cur, &k, &id, MDB_FIRST_DUP) : MDB_NOTFOUND;
         rc == 0 && got < count; rc = mdb_cursor_get(cur, &k, &id, MDB_NEXT_DUP)) {
        MDB_val rv;
        msgpack_object r;
        msgpack_zone_clear(zone);
        if (id.mv_size != 8 ||
            mdb_get(txn, store_dbi(store, DB_REPORTS), &id, &rv) != 0 ||
            nmirf_mp_unpack(rv.mv_data, rv.mv_size, zone, &r, NULL, 0) != NMIRF_OK ||
            !nmirf_mp_str_is(nmirf_mp_get(&r, "state"), "validated"))
            continue;
        const msgpack_object *decided = nmirf_mp_get(&r, "decided");
        strv_t of = record_field(&r, "rec"), status = record_field(&r, "status");
        if (!decided || decided->type != MSGPACK_OBJECT_POSITIVE_INTEGER || of.n != n ||
            memcmp(of.p, rec, n) != 0)
            continue;
        ch[got++] = (s_change_t){decided->via.u64, nmirf_be64_decode(id.mv_data),
                                 s_status_index(status.p, status.n)};
    }
    msgpack_zone_free(zone);
    mdb_cursor_close(cur);
    if (got)
        qsort(ch, got, sizeof *ch, s_change_cmp);
    int prev = 0; /* not_started before the first validation */
    for (size_t i = 0; i < got; i++) {
        int64_t m = stats_agg_month_of(ch[i].decided);
        s_month_key(v, m, 'n', -1, 1);
        if (i + 1 < got && stats_agg_month_of(ch[i + 1].decided) == m)
            continue; /* the month's last validation is the month's status */
        int s = ch[i].status;
        if (s != prev) {
            s_month_key(v, m, 'x', prev, -1);
            s_month_key(v, m, 'x', s, 1);
            s_month_key(v, m, 'r', s, 1);
            prev = s;
        }
    }
    return 0;
}

/* The contribution of rec, whether or not the figures are kept. */
static int
s_view(store_t *store, MDB_txn *txn, const char *rec, size_t n, agg_view_t *v)
{
    MDB_val k = {n, (void *)rec}, rv, av, sv;
    int rc = mdb_get(txn, store_dbi(store, DB_RECS), &k, &rv);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    msgpack_zone *zone = msgpack_zone_new(4096);
    if (!zone)
        return ENOMEM;
    msgpack_object r, asg;
    nmirf_recfilter_t all;
    nmirf_recfilter_init(&all);
    /* A record that does not unpack is skipped, as the scan skips it. */
    bool ok = nmirf_mp_unpack(rv.mv_data, rv.mv_size, zone, &r, NULL, 0) == NMIRF_OK;
    bool assigned =
        ok && mdb_get(txn, store_dbi(store, DB_ASSIGNMENTS), &k, &av) == 0 &&
        nmirf_mp_unpack(av.mv_data, av.mv_size, zone, &asg, NULL, 0) == NMIRF_OK;
    if (!ok || !nmirf_recfilter_match(&all, &r, assigned ? &asg : NULL)) {
        msgpack_zone_free(zone);
        return 0;
    }
    int si = 0;
    if (mdb_get(txn, store_dbi(store, DB_STATUS), &k, &sv) == 0)
        si = s_status_index(sv.mv_data, sv.mv_size);
    uint8_t key[1 + 10 + NMIRF_REC_ID_MAX + 1] = {'S', (uint8_t)('a' + si)};
    s_add(v, key, 2, 1, NULL, 0);
    strv_t mech = record_field(&r, "mechanism"), lead = {NULL, 0};
    s_group(v, AGG_GROUP_MECHANISM, mech.p, mech.n, si);
    bool upr = mech.n == 3 && memcmp(mech.p, "UPR", 3) == 0,
         sp = mech.n == 2 && memcmp(mech.p, "SP", 2) == 0;
    if (mech.p && !upr && !sp)
        s_group(v, AGG_GROUP_TREATY, mech.p, mech.n, si);
    if (upr) {
        strv_t cycle = record_field(&r, "cycle");
        s_group(v, AGG_GROUP_CYCLE, cycle.p, cycle.n, si);
    }
    s_group_list(v, AGG_GROUP_THEME, nmirf_mp_get(&r, "themes"), si);
    s_group_list(v, AGG_GROUP_SDG, nmirf_mp_get(&r, "sdgs"), si);
    strv_t pos = record_field(&r, "response");
    s_group(v, AGG_GROUP_POSITION, pos.p, pos.n, si);
    if (assigned) {
        lead = record_field(&asg, "lead");
        const msgpack_object *cs = nmirf_mp_get(&asg, "contributors");
        if (cs && cs->type == MSGPACK_OBJECT_ARRAY)
            for (uint32_t i = 0; i < cs->via.array.size; i++) {
                const msgpack_object *c = &cs->via.array.ptr[i];
                if (c->type == MSGPACK_OBJECT_STR)
                    s_group(v, AGG_GROUP_CONTRIBUTOR, c->via.str.ptr, c->via.str.size,
                            si);
            }
        /* A deadline matters until the recommendation is implemented. */
        strv_t deadline = record_field(&asg, "deadline");
        if (deadline.p && nmirf_date_valid(deadline.p, deadline.n) &&
            si != NMIRF_STATUS_IMPLEMENTED && n <= NMIRF_REC_ID_MAX) {
            key[0] = 'd';
            memcpy(key + 1, deadline.p, 10);
            s_add(v, key, 11, 1, NULL, 0);
            key[0] = 'D';
            memcpy(key + 11, rec, n);
            s_add(v, key, 11 + n, 1, NULL, 0);
        }
    }
    s_group(v, AGG_GROUP_LEAD, lead.p, lead.n, si);
    msgpack_zone_free(zone);
    rc = s_months(store, txn, rec, n, v);
    return rc ? rc : v->oom ? ENOMEM : 0;
}

int
stats_agg_view(store_t *store, MDB_txn *txn, const char *rec, size_t n,
               msgpack_zone *zone, agg_view_t *view)
{
    *view = (agg_view_t){.zone = zone};
    if (!rec || n == 0 || n > NMIRF_REC_ID_MAX || !stats_agg_ready(store, txn))
        return 0;
    return s_view(store, txn, rec, n, view);
}

int
stats_agg_apply(store_t *store, MDB_txn *txn, const char *rec, size_t n,
                const agg_view_t *before)
{
    agg_view_t after;
    int rc = stats_agg_view(store, txn, rec, n, before->zone, &after);
    return rc ? rc : stats_agg_update(store, txn, before, &after);
}

int
op_agg_before(op_ctx_t *ctx, strv_t rec, agg_view_t *before)
{
    int rc = stats_agg_view(ctx->store, ctx->txn, rec.p, rec.n, ctx->zone, before);
    return rc ? op_store_error(ctx, rc, "reading the stats figures") : 0;
}

int
op_agg_after(op_ctx_t *ctx, strv_t rec, const agg_view_t *before)
{
    int rc = stats_agg_apply(ctx->store, ctx->txn, rec.p, rec.n, before);
    return rc ? op_store_error(ctx, rc, "updating the stats figures") : 0;
}

static int
s_entry_cmp(const void *a, const void *b)
{
    const agg_entry_t *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* Adds delta to the count under e's key, deleting it at 0. */
static int
s_put(store_t *store, MDB_txn *txn, const agg_entry_t *e, int64_t delta)
{
    MDB_dbi dbi = store_dbi(store, DB_AGG);
    MDB_val k = {e->klen, e->key}, v;
    int64_t count = 0;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == 0 && v.mv_size >= 8)
        count = (int64_t)nmirf_be64_decode(v.mv_data);
    else if (rc && rc != MDB_NOTFOUND)
        return rc;
    count += delta;
    if (count == 0) {
        rc = store_del(store, txn, DB_AGG, e->key, e->klen);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    uint8_t buf[8 + NMIRF_SHORT_MAX];
    size_t tail = e->name && e->namelen <= NMIRF_SHORT_MAX ? e->namelen : 0;
    nmirf_be64_encode((uint64_t)count, buf);
    if (tail)
        memcpy(buf + 8, e->name, tail);
    return store_put(store, txn, DB_AGG, e->key, e->klen, buf, 8 + tail);
}

int
stats_agg_update(store_t *store, MDB_txn *txn, const agg_view_t *before,
                 const agg_view_t *after)
{
    if ((before && before->oom) || (after && after->oom))
        return ENOMEM;
    size_t nb = before ? before->count : 0, na = after ? after->count : 0;
    if (nb + na == 0)
        return 0;
    agg_entry_t *all = malloc((nb + na) * sizeof *all);
    if (!all)
        return ENOMEM;
    for (size_t i = 0; i < nb; i++) {
        all[i] = before->items[i];
        all[i].delta = -all[i].delta;
    }
    if (na)
        memcpy(all + nb, after->items, na * sizeof *all);
    qsort(all, nb + na, sizeof *all, s_entry_cmp);
    int rc = 0;
    for (size_t i = 0; i < nb + na && !rc;) {
        size_t j = i;
        int64_t sum = 0;
        const agg_entry_t *named = NULL;
        for (; j < nb + na && s_entry_cmp(&all[i], &all[j]) == 0; j++) {
            sum += all[j].delta;
            if (all[j].name)
                named = &all[j];
        }
        /* An unchanged figure is not written: most updates move none. */
        if (sum)
            rc = s_put(store, txn, named ? named : &all[i], sum);
        i = j;
    }
    free(all);
    return rc;
}

/* Builds the figures from every recommendation in txn. */
static int
s_build(store_t *store, MDB_txn *txn, size_t *recs)
{
    int rc = store_drop(store, txn, DB_AGG);
    MDB_cursor *cur = NULL;
    if (!rc)
        rc = mdb_cursor_open(txn, store_dbi(store, DB_RECS), &cur);
    msgpack_zone *zone = rc ? NULL : msgpack_zone_new(1 << 16);
    if (!rc && !zone)
        rc = ENOMEM;
    agg_view_t batch = {.zone = zone};
    size_t inbatch = 0;
    MDB_val k, v;
    int got = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; !rc && got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        rc = s_view(store, txn, k.mv_data, k.mv_size, &batch);
        (*recs)++;
        if (!rc && ++inbatch == AGG_REBUILD_BATCH) {
            rc = stats_agg_update(store, txn, NULL, &batch);
            msgpack_zone_clear(zone);
            batch = (agg_view_t){.zone = zone};
            inbatch = 0;
        }
    }
    if (!rc && got != MDB_NOTFOUND)
        rc = got;
    if (!rc)
        rc = stats_agg_update(store, txn, NULL, &batch);
    if (cur)
        mdb_cursor_close(cur);
    if (zone)
        msgpack_zone_free(zone);
    if (!rc) {
        uint8_t ver[8];
        nmirf_be64_encode(AGG_VERSION, ver);
        rc = store_put(store, txn, DB_AGG, "V", 1, ver, sizeof ver);
    }
    return rc;
}

int
stats_agg_ensure(store_t *store, char *why, size_t whylen)
{
    MDB_txn *txn;
    int rc = store_begin(store, NULL, true, &txn);
    if (rc) {
        snprintf(why, whylen, "cannot build the stats figures: %s", store_strerror(rc));
        return -1;
    }
    if (stats_agg_ready(store, txn)) {
        store_abort(txn);
        return 0;
    }
    uint64_t t0 = nmirf_mono_us();
    size_t recs = 0;
    rc = s_build(store, txn, &recs);
    if (!rc)
        rc = store_commit(txn);
    else
        store_abort(txn);
    if (rc) {
        snprintf(why, whylen, "cannot build the stats figures: %s", store_strerror(rc));
        return -1;
    }
    log_info("stats figures built from %zu recommendation%s in %.2f s", recs,
             recs == 1 ? "" : "s", (double)(nmirf_mono_us() - t0) / 1e6);
    return 0;
}
