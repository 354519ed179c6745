/*  ops_stats - the stats operation: implementation status aggregated over
    the recommendations a filter selects (proto/nmirf_recfilter: every one
    not withdrawn by default), the overdue and due-soon lists, progress by
    month.

    Without a filter (and without `scan: true`), the answer is read from
    the figures kept in the write transaction (stats_agg.h): a few
    thousand entries, whatever the number of recommendations, as of the
    reader's transaction. With a filter: one read-only pass over recs
    (with the assignment and status of each, looked up by the same key)
    and one over reports (the validated ones give the dates statuses
    changed), which costs what docs/REPORTS.md measures. The pass is the
    reference: the figures must answer its bytes (stats_agg_test), so both
    pack the names of a group in the byte order of their keys in the
    figures.

    Progress over time is derived from the reports, not stored: a validated
    report's `decided` time is when its recommendation took the report's
    status (the status database holds the latest one, PROTOCOL.md section
    6). Replaying each recommendation's validations in order gives, per
    month, how many reached each status and how many stood in each status
    at the month's end.
*/
#include "body.h"
#include "deadlines.h"
#include "nmirf_mp.h"
#include "nmirf_recfilter.h"
#include "nmirf_util.h"
#include "ops.h"
#include "records.h"
#include "stats_agg.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DUE_SOON_DEFAULT                                                                 \
    DEADLINES_DUE_SOON_DAYS         /* the broker's default reminder horizon */
#define STATS_LIST_BYTES (4u << 20) /* bytes of one list's items, about */
#define MONTHS_MAX 600              /* months of progress kept (fifty years) */
#define MS_PER_DAY 86400000ULL      /* a UTC day */

/* Status counts per name of one grouping (entity, mechanism, theme...). */
typedef struct {
    zhashx_t *index;   /* name -> position + 1 in names/counts */
    char **names;      /* in first-seen order, owned */
    uint64_t *counts;  /* NMIRF_STATUS_COUNT per name */
    size_t count, cap; /* names used and allocated */
    bool sorted;       /* names already in key order (read from the figures) */
} s_group_t;

/* A recommendation with a deadline, for the overdue and due-soon lists. */
typedef struct {
    char rec[NMIRF_REC_ID_MAX + 1];     /* recommendation id */
    char lead[NMIRF_ENTITY_ID_MAX + 1]; /* its lead */
    char deadline[11];                  /* YYYY-MM-DD */
    int64_t days;                       /* late (overdue) or left (due soon) */
    int status;                         /* nmirf_statuses index */
} s_due_t;

typedef struct {
    s_due_t *items;    /* unsorted until packed */
    size_t count, cap; /* used and allocated */
    uint64_t total;    /* items in all (the figures list only the first) */
} s_dues_t;

/* One validated report: when its recommendation took its status. */
typedef struct {
    char rec[NMIRF_REC_ID_MAX + 1]; /* recommendation id */
    uint64_t decided;         /* ms */
    uint64_t id;              /* report id: orders equal times */
    int status;               /* nmirf_statuses index */
} s_change_t;

/* Everything one stats call counts. */
typedef struct {
    s_group_t lead, contributor, mechanism, treaty, cycle, theme, sdg, position;
    uint64_t by_status[NMIRF_STATUS_COUNT]; /* over every recommendation */
    uint64_t total;              /* recommendations */
    s_dues_t overdue, due_soon;  /* recommendations with a deadline */
    const nmirf_recfilter_t *filter; /* which recommendations count */
    /* The ids by_month must tell apart, so that it counts the reports of
       the recommendations counted: those left out when the filter selects
       everything (withdrawn ones only: usually none, and no cost to the
       unfiltered pass), those that pass otherwise (usually few). */
    zhashx_t *ids;               /* id -> non-NULL; NULL if none to tell */
    bool ids_pass;               /* ids holds those that pass, not those left out */
    bool oom;                    /* an allocation failed: refuse */
} s_stats_t;

/* Months since 1970-01 of a ms time (UTC). */
#define s_month_of stats_agg_month_of

static int
s_status_index(strv_t s)
{
    int i = nmirf_valueset_find(&nmirf_statuses, s.p, s.n);
    return i < 0 ? 0 : i;
}

static void
s_group_init(s_group_t *g)
{
    memset(g, 0, sizeof *g);
    g->index = zhashx_new();
}

static void
s_group_free(s_group_t *g)
{
    zhashx_destroy(&g->index);
    for (size_t i = 0; i < g->count; i++)
        free(g->names[i]);
    free(g->names);
    free(g->counts);
}

/* Counts count recommendations of status under name ("-" when empty). */
static void
s_group_count(s_stats_t *st, s_group_t *g, strv_t name, int status, uint64_t count)
{
    char key[NMIRF_SHORT_MAX + 1];
    if (!name.p || name.n == 0)
        name = (strv_t){"-", 1};
    size_t n = name.n < NMIRF_SHORT_MAX ? name.n : NMIRF_SHORT_MAX;
    memcpy(key, name.p, n);
    key[n] = '\0';
    if (!g->index) {
        st->oom = true;
        return;
    }
    size_t at = (size_t)(uintptr_t)zhashx_lookup(g->index, key);
    if (!at) {
        if (g->count == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 16;
            char **names = realloc(g->names, cap * sizeof *names);
            if (names)
                g->names = names;
            uint64_t *counts =
                realloc(g->counts, cap * NMIRF_STATUS_COUNT * sizeof *counts);
            if (counts)
                g->counts = counts;
            if (!names || !counts) {
                st->oom = true;
                return;
            }
            g->cap = cap;
        }
        if (!(g->names[g->count] = strdup(key))) {
            st->oom = true;
            return;
        }
        memset(&g->counts[g->count * NMIRF_STATUS_COUNT], 0,
               NMIRF_STATUS_COUNT * sizeof *g->counts);
        at = ++g->count;
        zhashx_insert(g->index, key, (void *)(uintptr_t)at);
    }
    g->counts[(at - 1) * NMIRF_STATUS_COUNT + (size_t)status] += count;
}

/* Counts one recommendation of status under name ("-" when empty). */
static void
s_group_add(s_stats_t *st, s_group_t *g, strv_t name, int status)
{
    s_group_count(st, g, name, status, 1);
}

/* Counts the recommendation under each string of list (or "-" if none). */
static void
s_group_add_list(s_stats_t *st, s_group_t *g, const msgpack_object *list, int status)
{
    size_t added = 0;
    if (list && list->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < list->via.array.size; i++) {
            const msgpack_object *o = &list->via.array.ptr[i];
            if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0)
                continue;
            s_group_add(st, g, (strv_t){o->via.str.ptr, o->via.str.size}, status);
            added++;
        }
    if (!added)
        s_group_add(st, g, (strv_t){NULL, 0}, status);
}

/* Packs a status counts map {STATUS: n}. */
static void
s_pack_counts(msgpack_packer *pk, const uint64_t *counts)
{
    msgpack_pack_map(pk, NMIRF_STATUS_COUNT);
    for (int s = 0; s < NMIRF_STATUS_COUNT; s++)
        nmirf_mp_pack_kv_uint(pk, nmirf_statuses.names[s], counts[s]);
}

/* A name of a group and where its counts are, in key order. */
typedef struct {
    uint8_t key[AGG_NAME_KEY_MAX]; /* stats_agg_name_key */
    size_t n;                      /* its bytes */
    size_t at;                     /* index in names/counts */
} s_order_t;

static int
s_order_cmp(const void *a, const void *b)
{
    const s_order_t *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->n < y->n ? x->n : y->n);
    return c ? c : x->n < y->n ? -1 : x->n > y->n;
}

/* Packs the group's names in the order of their keys in the figures
   (stats_agg_name_key: byte order), so that the scan and the figures
   answer the same bytes. */
static void
s_pack_group(msgpack_packer *pk, const char *key, const s_group_t *g)
{
    s_order_t *order = g->sorted || !g->count ? NULL : malloc(g->count * sizeof *order);
    for (size_t i = 0; order && i < g->count; i++) {
        order[i].n = stats_agg_name_key(g->names[i], strlen(g->names[i]), order[i].key);
        order[i].at = i;
    }
    if (order)
        qsort(order, g->count, sizeof *order, s_order_cmp);
    nmirf_mp_pack_str(pk, key);
    msgpack_pack_map(pk, g->count);
    for (size_t i = 0; i < g->count; i++) {
        size_t at = order ? order[i].at : i;
        nmirf_mp_pack_str(pk, g->names[at]);
        s_pack_counts(pk, &g->counts[at * NMIRF_STATUS_COUNT]);
    }
    free(order);
}

static void
s_copy(char *dst, size_t size, strv_t s)
{
    size_t n = s.p ? (s.n < size - 1 ? s.n : size - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static void
s_dues_add(s_stats_t *st, s_dues_t *d, strv_t rec, strv_t lead, strv_t deadline,
           int64_t days, int status)
{
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        s_due_t *items = realloc(d->items, cap * sizeof *items);
        if (!items) {
            st->oom = true;
            return;
        }
        d->items = items;
        d->cap = cap;
    }
    s_due_t *it = &d->items[d->count++];
    s_copy(it->rec, sizeof it->rec, rec);
    s_copy(it->lead, sizeof it->lead, lead);
    s_copy(it->deadline, sizeof it->deadline, deadline);
    it->days = days;
    it->status = status;
    d->total++;
}

/* Overdue: the latest first; due soon: the nearest first; then by id. */
static int
s_due_cmp_late(const void *a, const void *b)
{
    const s_due_t *x = a, *y = b;
    if (x->days != y->days)
        return x->days > y->days ? -1 : 1;
    return strcmp(x->rec, y->rec);
}

static int
s_due_cmp_soon(const void *a, const void *b)
{
    const s_due_t *x = a, *y = b;
    if (x->days != y->days)
        return x->days < y->days ? -1 : 1;
    return strcmp(x->rec, y->rec);
}

/* Packs key: [{rec, lead, deadline, days, status, mechanism, symbol?,
   text}] for the first limit items, and key_total. A list stops early once
   its items take STATS_LIST_BYTES (each text may be 3 x 32 KiB): the reply
   is built on the broker's only thread and must stay a sane size; the
   total still counts every item. */
static void
s_pack_dues(op_ctx_t *ctx, const char *key, s_dues_t *d, bool late, uint64_t limit)
{
    if (d->count) /* qsort needs a valid array even for none */
        qsort(d->items, d->count, sizeof *d->items,
              late ? s_due_cmp_late : s_due_cmp_soon);
    size_t max = d->count < limit ? d->count : (size_t)limit, n = 0;
    msgpack_zone *zone = msgpack_zone_new(4096);
    msgpack_sbuffer items;
    msgpack_sbuffer_init(&items);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &items, msgpack_sbuffer_write);
    for (; n < max && items.size < STATS_LIST_BYTES; n++) {
        const s_due_t *it = &d->items[n];
        msgpack_object rec = {.type = MSGPACK_OBJECT_NIL};
        MDB_val k = {strlen(it->rec), (void *)it->rec}, v;
        if (zone && mdb_get(ctx->txn, store_dbi(ctx->store, DB_RECS), &k, &v) == 0)
            nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &rec, NULL, 0);
        const msgpack_object *mech = nmirf_mp_get(&rec, "mechanism"),
                             *symbol = nmirf_mp_get(&rec, "symbol"),
                             *text = nmirf_mp_get(&rec, "text");
        msgpack_pack_map(&pk, 5 + !!mech + !!symbol + !!text);
        nmirf_mp_pack_kv_str(&pk, "rec", it->rec);
        nmirf_mp_pack_kv_str(&pk, "lead", it->lead);
        nmirf_mp_pack_kv_str(&pk, "deadline", it->deadline);
        nmirf_mp_pack_kv_uint(&pk, "days", (uint64_t)it->days);
        nmirf_mp_pack_kv_str(&pk, "status", nmirf_statuses.names[it->status]);
        if (mech) {
            nmirf_mp_pack_str(&pk, "mechanism");
            nmirf_mp_pack_object(&pk, mech);
        }
        if (symbol) {
            nmirf_mp_pack_str(&pk, "symbol");
            nmirf_mp_pack_object(&pk, symbol);
        }
        if (text) {
            nmirf_mp_pack_str(&pk, "text");
            nmirf_mp_pack_object(&pk, text);
        }
        if (zone)
            msgpack_zone_clear(zone);
    }
    msgpack_zone_free(zone);
    nmirf_mp_pack_str(&ctx->pk, key);
    msgpack_pack_array(&ctx->pk, n);
    msgpack_sbuffer_write(ctx->reply, items.data, items.size);
    msgpack_sbuffer_destroy(&items);
    char total[32];
    snprintf(total, sizeof total, "%s_total", key);
    nmirf_mp_pack_kv_uint(&ctx->pk, total, d->total);
}

static bool
s_is_treaty_body(strv_t mech)
{
    return mech.p && !(mech.n == 3 && memcmp(mech.p, "UPR", 3) == 0) &&
           !(mech.n == 2 && memcmp(mech.p, "SP", 2) == 0);
}

/* Notes id (not NUL-terminated) in st->ids, made on first use. */
static void
s_ids_add(s_stats_t *st, strv_t id)
{
    char key[NMIRF_REC_ID_MAX + 1];
    s_copy(key, sizeof key, id);
    if (!st->ids && !(st->ids = zhashx_new())) {
        st->oom = true;
        return;
    }
    /* zhashx_insert copies the key (its default duplicator). */
    if (zhashx_insert(st->ids, key, (void *)1) == -1 && !zhashx_lookup(st->ids, key))
        st->oom = true;
}

/* True if the validated reports of recommendation rec (a NUL-terminated
   id) count in by_month: it passed the filter in s_scan_recs. */
static bool
s_id_counts(const s_stats_t *st, const char *rec)
{
    bool noted = st->ids && zhashx_lookup(st->ids, rec);
    return st->ids_pass ? noted : !noted;
}

/* The pass over recommendations: every grouping and the deadline lists,
   over the recommendations that pass st->filter. */
static int
s_scan_recs(op_ctx_t *ctx, s_stats_t *st, int64_t today, uint64_t horizon)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_RECS), &cur);
    if (rc)
        return op_store_error(ctx, rc, "counting");
    MDB_dbi asg_db = store_dbi(ctx->store, DB_ASSIGNMENTS),
            status_db = store_dbi(ctx->store, DB_STATUS);
    msgpack_zone *zone = msgpack_zone_new(8192);
    if (!zone) {
        mdb_cursor_close(cur);
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !st->oom;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(zone);
        msgpack_object rec, asg = {.type = MSGPACK_OBJECT_NIL};
        /* Stored records were checked when written: unpack without the
           full check would do, but a damaged record is skipped, not
           trusted. */
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &rec, NULL, 0) != NMIRF_OK)
            continue;
        strv_t id = {k.mv_data, k.mv_size}, status = {"not_started", 11};
        MDB_val ak = k, av, sk = k, sv;
        bool assigned =
            mdb_get(ctx->txn, asg_db, &ak, &av) == 0 &&
            nmirf_mp_unpack(av.mv_data, av.mv_size, zone, &asg, NULL, 0) == NMIRF_OK;
        if (!nmirf_recfilter_match(st->filter, &rec, assigned ? &asg : NULL)) {
            if (!st->ids_pass)
                s_ids_add(st, id);
            continue;
        }
        if (st->ids_pass)
            s_ids_add(st, id);
        if (mdb_get(ctx->txn, status_db, &sk, &sv) == 0)
            status = (strv_t){sv.mv_data, sv.mv_size};
        int si = s_status_index(status);
        strv_t mech = record_field(&rec, "mechanism"), lead = {NULL, 0};
        st->total++;
        st->by_status[si]++;
        s_group_add(st, &st->mechanism, mech, si);
        if (s_is_treaty_body(mech))
            s_group_add(st, &st->treaty, mech, si);
        if (mech.n == 3 && memcmp(mech.p, "UPR", 3) == 0)
            s_group_add(st, &st->cycle, record_field(&rec, "cycle"), si);
        s_group_add_list(st, &st->theme, nmirf_mp_get(&rec, "themes"), si);
        s_group_add_list(st, &st->sdg, nmirf_mp_get(&rec, "sdgs"), si);
        s_group_add(st, &st->position, record_field(&rec, "response"), si);
        if (assigned) {
            lead = record_field(&asg, "lead");
            const msgpack_object *contribs = nmirf_mp_get(&asg, "contributors");
            if (contribs && contribs->type == MSGPACK_OBJECT_ARRAY)
                for (uint32_t i = 0; i < contribs->via.array.size; i++) {
                    const msgpack_object *c = &contribs->via.array.ptr[i];
                    if (c->type == MSGPACK_OBJECT_STR)
                        s_group_add(st, &st->contributor,
                                    (strv_t){c->via.str.ptr, c->via.str.size}, si);
                }
            /* A deadline matters until the recommendation is implemented;
               a validated "not_implemented" is not done. */
            strv_t deadline = record_field(&asg, "deadline");
            if (deadline.p && nmirf_date_valid(deadline.p, deadline.n) &&
                si != NMIRF_STATUS_IMPLEMENTED) {
                int64_t due = nmirf_date_days(deadline.p);
                if (due < today)
                    s_dues_add(st, &st->overdue, id, lead, deadline, today - due, si);
                else if ((uint64_t)(due - today) <= horizon)
                    s_dues_add(st, &st->due_soon, id, lead, deadline, due - today, si);
            }
        }
        s_group_add(st, &st->lead, lead, si);
    }
    msgpack_zone_free(zone);
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND && rc != 0)
        return op_store_error(ctx, rc, "counting");
    if (st->oom)
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory counting");
    return 0;
}

static int
s_change_cmp(const void *a, const void *b)
{
    const s_change_t *x = a, *y = b;
    int c = strcmp(x->rec, y->rec);
    if (c)
        return c;
    if (x->decided != y->decided)
        return x->decided < y->decided ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Packs by_month's months from first: delta[m][s] the recommendations
   entering (+) and leaving (-) status s in month m, reached[m][s] those
   entering; every one of total stood not_started before the first. */
static void
s_pack_month_table(op_ctx_t *ctx, uint64_t total, int64_t first, size_t months,
                   const int64_t *delta, const uint64_t *reached)
{
    nmirf_mp_pack_str(&ctx->pk, "by_month");
    msgpack_pack_array(&ctx->pk, months);
    int64_t level[NMIRF_STATUS_COUNT] = {(int64_t)total};
    for (size_t m = 0; m < months; m++) {
        char label[16];
        int64_t mm = first + (int64_t)m;
        snprintf(label, sizeof label, "%04d-%02d", (int)(1970 + mm / 12),
                 (int)(mm % 12 + 1));
        uint64_t at_end[NMIRF_STATUS_COUNT];
        for (int s = 0; s < NMIRF_STATUS_COUNT; s++) {
            level[s] += delta[m * NMIRF_STATUS_COUNT + (size_t)s];
            at_end[s] = level[s] > 0 ? (uint64_t)level[s] : 0;
        }
        msgpack_pack_map(&ctx->pk, 3);
        nmirf_mp_pack_kv_str(&ctx->pk, "month", label);
        nmirf_mp_pack_str(&ctx->pk, "reached");
        s_pack_counts(&ctx->pk, &reached[m * NMIRF_STATUS_COUNT]);
        nmirf_mp_pack_str(&ctx->pk, "at_end");
        s_pack_counts(&ctx->pk, at_end);
    }
}

/* Packs by_month: [{month: "YYYY-MM", reached: {S: n}, at_end: {S: n}}]
   from the first month a report was validated to the month of today.
   reached counts the recommendations whose status became S that month
   (once each, with the status they had at the month's end); at_end counts
   every recommendation by the status it had at the month's end, taking
   today's recommendations as not_started before their first validation. */
static int
s_pack_months(op_ctx_t *ctx, const s_stats_t *st, uint64_t now_ms)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_REPORTS), &cur);
    if (rc)
        return op_store_error(ctx, rc, "counting reports");
    s_change_t *ch = NULL;
    size_t n = 0, cap = 0;
    msgpack_zone *zone = msgpack_zone_new(4096);
    bool oom = !zone;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !oom;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(zone);
        msgpack_object r;
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &r, NULL, 0) != NMIRF_OK ||
            !nmirf_mp_str_is(nmirf_mp_get(&r, "state"), "validated"))
            continue;
        const msgpack_object *decided = nmirf_mp_get(&r, "decided");
        if (!decided || decided->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            continue;
        char rec[NMIRF_REC_ID_MAX + 1];
        s_copy(rec, sizeof rec, record_field(&r, "rec"));
        if (!s_id_counts(st, rec))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            s_change_t *more = realloc(ch, ncap * sizeof *more);
            if (!more) {
                oom = true;
                break;
            }
            ch = more;
            cap = ncap;
        }
        memcpy(ch[n].rec, rec, sizeof rec);
        ch[n].decided = decided->via.u64;
        ch[n].id = k.mv_size == 8 ? nmirf_be64_decode(k.mv_data) : 0;
        ch[n].status = s_status_index(record_field(&r, "status"));
        n++;
    }
    msgpack_zone_free(zone);
    mdb_cursor_close(cur);
    if (oom) {
        free(ch);
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory counting reports");
    }
    if (n)
        qsort(ch, n, sizeof *ch, s_change_cmp);

    int64_t last = s_month_of(now_ms), first = last;
    for (size_t i = 0; i < n; i++) {
        int64_t m = s_month_of(ch[i].decided);
        if (m < first)
            first = m;
        if (m > last)
            last = m; /* decided after "now": a now asked in the past */
    }
    if (last - first + 1 > MONTHS_MAX)
        first = last - MONTHS_MAX + 1; /* older changes count in the first month */
    size_t months = n ? (size_t)(last - first + 1) : 0;
    /* delta[m][s]: recommendations entering (+) and leaving (-) status s in
       month m; reached[m][s]: entering only. */
    int64_t *delta = calloc(months * NMIRF_STATUS_COUNT + 1, sizeof *delta);
    uint64_t *reached = calloc(months * NMIRF_STATUS_COUNT + 1, sizeof *reached);
    if (!delta || !reached) {
        free(ch);
        free(delta);
        free(reached);
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory counting months");
    }
    for (size_t i = 0; i < n;) {
        int prev = 0; /* not_started before the first validation */
        size_t j = i;
        while (j < n && strcmp(ch[j].rec, ch[i].rec) == 0) {
            int64_t m = s_month_of(ch[j].decided);
            /* The month's last validation is the month's status. */
            while (j + 1 < n && strcmp(ch[j + 1].rec, ch[i].rec) == 0 &&
                   s_month_of(ch[j + 1].decided) == m)
                j++;
            if (m < first)
                m = first;
            int s = ch[j].status;
            if (s != prev) {
                size_t at = (size_t)(m - first) * NMIRF_STATUS_COUNT;
                delta[at + (size_t)prev]--;
                delta[at + (size_t)s]++;
                reached[at + (size_t)s]++;
                prev = s;
            }
            j++;
        }
        i = j;
    }
    s_pack_month_table(ctx, st->total, first, months, delta, reached);
    free(ch);
    free(delta);
    free(reached);
    return 0;
}

/* The answer from the figures (stats_agg.h) ------------------------------ */

/* A count in the figures (0 if the value is not one). */
static uint64_t
s_agg_count(const MDB_val *v)
{
    int64_t c = v->mv_size >= 8 ? (int64_t)nmirf_be64_decode(v->mv_data) : 0;
    return c > 0 ? (uint64_t)c : 0;
}

static bool
s_agg_at(const MDB_val *k, uint8_t first, size_t min)
{
    return k->mv_size >= min && ((const uint8_t *)k->mv_data)[0] == first;
}

/* Reads group g (its key byte) into grp: each key "G" g NAME 0 ST. */
static int
s_agg_group(s_stats_t *st, MDB_cursor *cur, char g, s_group_t *grp)
{
    uint8_t seek[2] = {'G', (uint8_t)g};
    MDB_val k = {2, seek}, v;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && s_agg_at(&k, 'G', 4) && ((const uint8_t *)k.mv_data)[1] == (uint8_t)g;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *key = k.mv_data;
        int si = key[k.mv_size - 1] - 'a';
        if (si < 0 || si >= NMIRF_STATUS_COUNT)
            continue;
        /* A long name is whole in the value, after its count. */
        strv_t name = v.mv_size > 8 ? (strv_t){(const char *)v.mv_data + 8, v.mv_size - 8}
                                    : (strv_t){(const char *)key + 2, k.mv_size - 4};
        if (name.n == 0) /* a name cut to nothing at a NUL: not "-" */
            name = (strv_t){"", 1};
        s_group_count(st, grp, name, si, s_agg_count(&v));
    }
    grp->sorted = true;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Adds the recommendation of the index key "D" DEADLINE REC to d. */
static void
s_agg_due(op_ctx_t *ctx, s_stats_t *st, s_dues_t *d, const MDB_val *k, int64_t days,
          msgpack_zone *zone)
{
    strv_t rec = {(const char *)k->mv_data + 11, k->mv_size - 11},
           deadline = {(const char *)k->mv_data + 1, 10}, lead = {NULL, 0};
    MDB_val rk = {rec.n, (void *)rec.p}, v;
    msgpack_object asg;
    msgpack_zone_clear(zone);
    if (mdb_get(ctx->txn, store_dbi(ctx->store, DB_ASSIGNMENTS), &rk, &v) == 0 &&
        nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &asg, NULL, 0) == NMIRF_OK)
        lead = record_field(&asg, "lead");
    strv_t status = {"not_started", 11};
    if (mdb_get(ctx->txn, store_dbi(ctx->store, DB_STATUS), &rk, &v) == 0)
        status = (strv_t){v.mv_data, v.mv_size};
    s_dues_add(st, d, rec, lead, deadline, days, s_status_index(status));
}

/* Days from 1970-01-01 of the date at p (10 bytes). */
static int64_t
s_agg_days(const void *p)
{
    char date[11];
    memcpy(date, p, 10);
    date[10] = '\0';
    return nmirf_date_days(date);
}

/* The overdue and due-soon lists: their totals from the counts per
   deadline, their first limit items from the index in the lists' order. */
static int
s_agg_dues(op_ctx_t *ctx, s_stats_t *st, MDB_cursor *cur, const char *today, int64_t day,
           uint64_t horizon, uint64_t limit)
{
    uint64_t overdue = 0, soon = 0;
    MDB_val k = {1, "d"}, v;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && s_agg_at(&k, 'd', 11); rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int64_t due = s_agg_days((const char *)k.mv_data + 1);
        if (due < day)
            overdue += s_agg_count(&v);
        else if ((uint64_t)(due - day) <= horizon)
            soon += s_agg_count(&v);
        else
            break;
    }
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    msgpack_zone *zone = msgpack_zone_new(2048);
    if (!zone)
        return ENOMEM;
    k = (MDB_val){1, "D"};
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && s_agg_at(&k, 'D', 12) && st->overdue.count < limit && !st->oom;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int64_t due = s_agg_days((const char *)k.mv_data + 1);
        if (due >= day)
            break;
        s_agg_due(ctx, st, &st->overdue, &k, day - due, zone);
    }
    uint8_t seek[11] = {'D'};
    memcpy(seek + 1, today, 10);
    k = (MDB_val){sizeof seek, seek};
    if (!rc || rc == MDB_NOTFOUND)
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             rc == 0 && s_agg_at(&k, 'D', 12) && st->due_soon.count < limit && !st->oom;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            int64_t due = s_agg_days((const char *)k.mv_data + 1);
            if (due < day)
                continue;
            if ((uint64_t)(due - day) > horizon)
                break;
            s_agg_due(ctx, st, &st->due_soon, &k, due - day, zone);
        }
    msgpack_zone_free(zone);
    st->overdue.total = overdue;
    st->due_soon.total = soon;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Everything s_scan_recs counts, from the figures: in proportion to the
   number of names, deadlines and listed items, not of recommendations. */
static int
s_agg_recs(op_ctx_t *ctx, s_stats_t *st, const char *today, int64_t day, uint64_t horizon,
           uint64_t limit)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_AGG), &cur);
    if (rc)
        return op_store_error(ctx, rc, "reading the figures");
    MDB_val k = {1, "S"}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && s_agg_at(&k, 'S', 2);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int si = ((const uint8_t *)k.mv_data)[1] - 'a';
        if (k.mv_size != 2 || si < 0 || si >= NMIRF_STATUS_COUNT)
            continue;
        st->by_status[si] += s_agg_count(&v);
        st->total += s_agg_count(&v);
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    const struct {
        char g;
        s_group_t *grp;
    } groups[] = {{AGG_GROUP_LEAD, &st->lead},
                  {AGG_GROUP_CONTRIBUTOR, &st->contributor},
                  {AGG_GROUP_MECHANISM, &st->mechanism},
                  {AGG_GROUP_TREATY, &st->treaty},
                  {AGG_GROUP_CYCLE, &st->cycle},
                  {AGG_GROUP_THEME, &st->theme},
                  {AGG_GROUP_SDG, &st->sdg},
                  {AGG_GROUP_POSITION, &st->position}};
    for (size_t i = 0; !rc && i < sizeof groups / sizeof groups[0]; i++)
        rc = s_agg_group(st, cur, groups[i].g, groups[i].grp);
    if (!rc)
        rc = s_agg_dues(ctx, st, cur, today, day, horizon, limit);
    mdb_cursor_close(cur);
    if (rc)
        return op_store_error(ctx, rc, "reading the figures");
    if (st->oom)
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory counting");
    return 0;
}

/* One month of the figures' by_month rows. */
typedef struct {
    int64_t month;
    uint64_t reports;                     /* validated that month */
    uint64_t reached[NMIRF_STATUS_COUNT]; /* entering each status */
    int64_t delta[NMIRF_STATUS_COUNT];    /* entering minus leaving */
} s_agg_month_t;

/* by_month from the figures' rows per month, folded as s_pack_months
   folds the reports: from the first month (or today's) to today's (or the
   last), at most MONTHS_MAX, older ones counting in the first. */
static int
s_agg_months(op_ctx_t *ctx, const s_stats_t *st, uint64_t now_ms)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_AGG), &cur);
    if (rc)
        return op_store_error(ctx, rc, "reading the figures");
    s_agg_month_t *rows = NULL;
    size_t n = 0, cap = 0;
    uint64_t reports = 0;
    MDB_val k = {1, "M"}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && s_agg_at(&k, 'M', 6);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *key = k.mv_data;
        int64_t month = (int64_t)((uint32_t)key[1] << 24 | (uint32_t)key[2] << 16 |
                                  (uint32_t)key[3] << 8 | key[4]);
        if (!n || rows[n - 1].month != month) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                s_agg_month_t *more = realloc(rows, ncap * sizeof *more);
                if (!more) {
                    rc = ENOMEM;
                    break;
                }
                rows = more;
                cap = ncap;
            }
            rows[n++] = (s_agg_month_t){.month = month};
        }
        s_agg_month_t *r = &rows[n - 1];
        int si = k.mv_size == 7 ? key[6] - 'a' : -1;
        int64_t c = v.mv_size >= 8 ? (int64_t)nmirf_be64_decode(v.mv_data) : 0;
        if (key[5] == 'n' && k.mv_size == 6) {
            r->reports += (uint64_t)c;
            reports += (uint64_t)c;
        } else if (si >= 0 && si < NMIRF_STATUS_COUNT && key[5] == 'r')
            r->reached[si] += (uint64_t)c;
        else if (si >= 0 && si < NMIRF_STATUS_COUNT && key[5] == 'x')
            r->delta[si] += c;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) {
        free(rows);
        return rc == ENOMEM ? op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory")
                            : op_store_error(ctx, rc, "reading the figures");
    }
    int64_t last = s_month_of(now_ms), first = last;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].reports)
            continue;
        if (rows[i].month < first)
            first = rows[i].month;
        if (rows[i].month > last)
            last = rows[i].month;
    }
    if (last - first + 1 > MONTHS_MAX)
        first = last - MONTHS_MAX + 1;
    size_t months = reports ? (size_t)(last - first + 1) : 0;
    int64_t *delta = calloc(months * NMIRF_STATUS_COUNT + 1, sizeof *delta);
    uint64_t *reached = calloc(months * NMIRF_STATUS_COUNT + 1, sizeof *reached);
    if (!delta || !reached) {
        free(rows);
        free(delta);
        free(reached);
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory counting months");
    }
    for (size_t i = 0; i < n && months; i++) {
        int64_t m = rows[i].month < first ? first : rows[i].month;
        if (m > last)
            continue;
        size_t at = (size_t)(m - first) * NMIRF_STATUS_COUNT;
        for (int s = 0; s < NMIRF_STATUS_COUNT; s++) {
            delta[at + (size_t)s] += rows[i].delta[s];
            reached[at + (size_t)s] += rows[i].reached[s];
        }
    }
    s_pack_month_table(ctx, st->total, first, months, delta, reached);
    free(rows);
    free(delta);
    free(reached);
    return 0;
}

int
op_stats(op_ctx_t *ctx)
{
    static const char *const allowed[] = {
        "today",  "due_soon_days", "limit",     "mechanism", "cycle", "theme",
        "entity", "position",      "withdrawn", "scan",      NULL};
    const msgpack_object *body = &ctx->env->body;
    strv_t today_s;
    /* The horizon the broker's reminders use (SIGHUP may change it). */
    unsigned configured = ctx->stats ? atomic_load(&ctx->stats->due_soon_days) : 0;
    uint64_t horizon = configured ? configured : DUE_SOON_DEFAULT,
             limit = NMIRF_STATS_LIST_DEFAULT;
    bool present;
    if (body_only(ctx, body, allowed, "body") ||
        body_date(ctx, body, "today", false, &today_s) ||
        body_uint(ctx, body, "due_soon_days", false, &horizon, &present) ||
        body_uint(ctx, body, "limit", false, &limit, &present))
        return -1;
    if (horizon > NMIRF_DUE_SOON_MAX)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "due_soon_days %llu is over %d",
                         (unsigned long long)horizon, NMIRF_DUE_SOON_MAX);
    if (limit > NMIRF_STATS_LIST_MAX)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "limit %llu is over %d",
                         (unsigned long long)limit, NMIRF_STATS_LIST_MAX);
    /* The filter's lengths first, by the rule every body follows
       (PROTOCOL.md section 5): a string over its limit is too_large;
       nmirf_recfilter_read then checks the values (bad_request). */
    strv_t unused;
    if (body_str(ctx, body, "mechanism", false, NMIRF_ENUM_MAX, &unused) ||
        body_str(ctx, body, "cycle", false, NMIRF_SHORT_MAX, &unused) ||
        body_str(ctx, body, "theme", false, NMIRF_SHORT_MAX, &unused) ||
        body_str(ctx, body, "entity", false, NMIRF_ENTITY_ID_MAX, &unused) ||
        body_str(ctx, body, "position", false, NMIRF_ENUM_MAX, &unused))
        return -1;
    /* `scan: true` counts over every recommendation even without a
       filter: the reference the figures are checked against (stats_test,
       docs/REPORTS.md). */
    const msgpack_object *scan = body_get(body, "scan");
    if (scan && scan->type != MSGPACK_OBJECT_BOOLEAN)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "scan must be true or false");
    nmirf_recfilter_t filter;
    char why[128];
    nmirf_recfilter_init(&filter);
    if (nmirf_recfilter_read(&filter, body, why, sizeof why))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "%s", why);
    /* "today" is the broker's date unless the request names one (reports
       as of a day, and deterministic tests); the broker's date is the one
       its deadline reminders use (deadlines_now_ms: the test clock too). */
    uint64_t broker_now = deadlines_now_ms();
    char today[11];
    if (today_s.p)
        s_copy(today, sizeof today, today_s);
    else
        nmirf_date_of(broker_now, today);
    int64_t day = nmirf_date_days(today);
    uint64_t now_ms = today_s.p ? (uint64_t)(day > 0 ? day : 0) * MS_PER_DAY : broker_now;

    s_stats_t st = {.filter = &filter, .ids_pass = !nmirf_recfilter_is_all(&filter)};
    s_group_t *groups[] = {&st.lead,  &st.contributor, &st.mechanism, &st.treaty,
                           &st.cycle, &st.theme,       &st.sdg,       &st.position};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        s_group_init(groups[i]);
    /* Without a filter, the figures kept in every write answer (the
       dashboard's and the report's case); a filter counts in one pass. */
    bool figures = !(scan && scan->via.boolean) && nmirf_recfilter_is_all(&filter) &&
                   !filter.withdrawn && stats_agg_ready(ctx->store, ctx->txn);
    int rc = figures ? s_agg_recs(ctx, &st, today, day, horizon, limit)
                     : s_scan_recs(ctx, &st, day, horizon);
    if (!rc) {
        msgpack_pack_map(&ctx->pk, 17);
        s_pack_group(&ctx->pk, "by_entity", &st.lead);
        s_pack_group(&ctx->pk, "by_mechanism", &st.mechanism);
        nmirf_mp_pack_kv_uint(&ctx->pk, "total", st.total);
        nmirf_mp_pack_str(&ctx->pk, "by_status");
        s_pack_counts(&ctx->pk, st.by_status);
        s_pack_group(&ctx->pk, "by_contributor", &st.contributor);
        s_pack_group(&ctx->pk, "by_treaty", &st.treaty);
        s_pack_group(&ctx->pk, "by_cycle", &st.cycle);
        s_pack_group(&ctx->pk, "by_theme", &st.theme);
        s_pack_group(&ctx->pk, "by_sdg", &st.sdg);
        s_pack_group(&ctx->pk, "by_position", &st.position);
        nmirf_mp_pack_kv_str(&ctx->pk, "today", today);
        nmirf_mp_pack_kv_uint(&ctx->pk, "due_soon_days", horizon);
        s_pack_dues(ctx, "overdue", &st.overdue, true, limit);
        s_pack_dues(ctx, "due_soon", &st.due_soon, false, limit);
        rc = figures ? s_agg_months(ctx, &st, now_ms) : s_pack_months(ctx, &st, now_ms);
    }
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        s_group_free(groups[i]);
    free(st.overdue.items);
    free(st.due_soon.items);
    zhashx_destroy(&st.ids);
    return rc;
}
