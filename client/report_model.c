/*  report_model - the annex of the follow-up report (report_model.h).

    Everything is found by sorting pointers and binary search: a snapshot
    of 100,000 recommendations and 25,000 reports is sorted in a few tens
    of milliseconds, and nothing is copied but the group keys.
*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_schema.h"
#include "nmirf_vocab.h"
#include "report_model.h"

const char *const report_by_names[] = {"mechanism", "cycle", "theme", "entity", NULL};

/* qsort, but for an empty array (a NULL base is undefined to qsort). */
static void
s_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* A string object's bytes compared as memcmp then length; a missing or
   non-string object sorts first. */
static int
s_cmp_str(const msgpack_object *a, const msgpack_object *b)
{
    size_t al = a && a->type == MSGPACK_OBJECT_STR ? a->via.str.size : 0;
    size_t bl = b && b->type == MSGPACK_OBJECT_STR ? b->via.str.size : 0;
    int c = memcmp(al ? a->via.str.ptr : "", bl ? b->via.str.ptr : "", al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

/* A record's uint field, 0 if absent. */
static uint64_t
s_uint(const msgpack_object *o, const char *key)
{
    const msgpack_object *v = nmirf_mp_get(o, key);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
}

/* qsort on arrays of record pointers, by one field. */
static int
s_by_id(const void *a, const void *b)
{
    return s_cmp_str(nmirf_mp_get(*(const msgpack_object *const *)a, "id"),
                     nmirf_mp_get(*(const msgpack_object *const *)b, "id"));
}

static int
s_by_rec(const void *a, const void *b)
{
    return s_cmp_str(nmirf_mp_get(*(const msgpack_object *const *)a, "rec"),
                     nmirf_mp_get(*(const msgpack_object *const *)b, "rec"));
}

/* Reports by rec, then date, then id: a recommendation's story in order. */
static int
s_by_rec_date(const void *a, const void *b)
{
    const msgpack_object *x = *(const msgpack_object *const *)a;
    const msgpack_object *y = *(const msgpack_object *const *)b;
    int c = s_cmp_str(nmirf_mp_get(x, "rec"), nmirf_mp_get(y, "rec"));
    if (!c)
        c = s_cmp_str(nmirf_mp_get(x, "date"), nmirf_mp_get(y, "date"));
    if (!c) {
        uint64_t i = s_uint(x, "id"), j = s_uint(y, "id");
        c = (i > j) - (i < j);
    }
    return c;
}

/* A measure linked to a recommendation: one pair per link. */
typedef struct {
    const msgpack_object *rec;     /* the recommendation id (a str) */
    const msgpack_object *measure; /* the measure record */
} s_link_t;

static int
s_link_cmp(const void *a, const void *b)
{
    const s_link_t *x = a, *y = b;
    int c = s_cmp_str(x->rec, y->rec);
    if (!c) {
        uint64_t i = s_uint(x->measure, "id"), j = s_uint(y->measure, "id");
        c = (i > j) - (i < j);
    }
    return c;
}

/* The first index in a sorted array of n records whose field key is >= id
   (a lower bound). */
static size_t
s_lower(const msgpack_object **v, size_t n, const char *key, const msgpack_object *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s_cmp_str(nmirf_mp_get(v[mid], key), id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The list under key of the snapshot, as an array of pointers to its
   items (maps). Returns 0 (*v NULL when empty), or -1 with why. */
static int
s_list(const msgpack_object *snap, const char *key, const msgpack_object ***v, size_t *n,
       char *why, size_t whylen)
{
    const msgpack_object *l = nmirf_mp_get(snap, key);
    *v = NULL;
    *n = 0;
    if (!l || l->type != MSGPACK_OBJECT_ARRAY) {
        snprintf(why, whylen, "the snapshot has no %s list", key);
        return -1;
    }
    if (!l->via.array.size)
        return 0;
    *v = malloc(l->via.array.size * sizeof **v);
    if (!*v) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < l->via.array.size; i++) {
        if (l->via.array.ptr[i].type != MSGPACK_OBJECT_MAP) {
            free(*v);
            *v = NULL;
            snprintf(why, whylen, "an item of the snapshot's %s is not a map", key);
            return -1;
        }
        (*v)[(*n)++] = &l->via.array.ptr[i];
    }
    return 0;
}

/* One row of the annex before grouping: a key and its recommendation. */
typedef struct {
    int order;                 /* the mechanism's place in the protocol's order; 0 else */
    const msgpack_object *key; /* the group key (a str), NULL for "-" */
    const char *lit;           /* or a literal key (the lead id when unassigned: "-") */
    size_t rec;                /* index in the model's recs */
    const msgpack_object *id;  /* its id (a str), for the natural order */
} s_row_t;

/* Two ids in the order a reader expects paragraphs in: runs of digits
   compared as numbers ("125.12" before "125.104"), the rest bytewise;
   equal by that, bytewise (a leading zero). */
static int
s_cmp_natural(const msgpack_object *a, const msgpack_object *b)
{
    if (!a || !b || a->type != MSGPACK_OBJECT_STR || b->type != MSGPACK_OBJECT_STR)
        return s_cmp_str(a, b); /* a record without an id: only a fuzzer's */
    const char *p = a->via.str.ptr, *q = b->via.str.ptr;
    const char *pe = p + a->via.str.size, *qe = q + b->via.str.size;
    while (p < pe && q < qe) {
        if (isdigit((unsigned char)*p) && isdigit((unsigned char)*q)) {
            while (p < pe && *p == '0')
                p++;
            while (q < qe && *q == '0')
                q++;
            const char *ps = p, *qs = q;
            while (p < pe && isdigit((unsigned char)*p))
                p++;
            while (q < qe && isdigit((unsigned char)*q))
                q++;
            if (p - ps != q - qs)
                return p - ps < q - qs ? -1 : 1;
            int c = memcmp(ps, qs, (size_t)(p - ps));
            if (c)
                return c;
        } else if (*p != *q)
            return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
        else
            p++, q++;
    }
    if ((p < pe) != (q < qe))
        return p < pe ? 1 : -1;
    return s_cmp_str(a, b);
}

/* Rows by group (mechanism order, then key, "-" last), then by id in
   the natural order. */
static int
s_row_cmp(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    if (x->order != y->order)
        return x->order - y->order;
    if (!x->key != !y->key)
        return x->key ? -1 : 1; /* "-" last */
    int c = x->key ? s_cmp_str(x->key, y->key) : 0;
    if (c)
        return c;
    return s_cmp_natural(x->id, y->id);
}

static bool
s_same_group(const s_row_t *x, const s_row_t *y)
{
    return x->order == y->order && !x->key == !y->key &&
           (!x->key || s_cmp_str(x->key, y->key) == 0);
}

/* The place of a mechanism in the protocol's value set, so that the
   annex follows the order people know (UPR first, SP last). */
static int
s_mech_order(const msgpack_object *m)
{
    for (int i = 0; i < nmirf_mechanisms.count; i++)
        if (nmirf_mp_str_is(m, nmirf_mechanisms.names[i]))
            return i;
    return nmirf_mechanisms.count;
}

/* Appends a row; rows grows as needed. Returns 0 or -1 (out of memory). */
static int
s_row_add(s_row_t **rows, size_t *n, size_t *cap, s_row_t row)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        s_row_t *r = realloc(*rows, c * sizeof *r);
        if (!r)
            return -1;
        *rows = r;
        *cap = c;
    }
    (*rows)[(*n)++] = row;
    return 0;
}

/* The rows of recommendation i under the grouping. */
static int
s_rows_of(const report_model_t *self, size_t i, s_row_t **rows, size_t *n, size_t *cap)
{
    const report_rec_t *r = &self->recs[i];
    s_row_t row = {.rec = i, .id = nmirf_mp_get(r->rec, "id")};
    switch (self->by) {
    case REPORT_BY_MECHANISM:
        row.key = nmirf_mp_get(r->rec, "mechanism");
        row.order = s_mech_order(row.key);
        return s_row_add(rows, n, cap, row);
    case REPORT_BY_CYCLE:
        row.key = nmirf_mp_get(r->rec, "cycle");
        return s_row_add(rows, n, cap, row);
    case REPORT_BY_ENTITY:
        row.key = r->assignment ? nmirf_mp_get(r->assignment, "lead") : NULL;
        return s_row_add(rows, n, cap, row);
    case REPORT_BY_THEME: {
        const msgpack_object *t = nmirf_mp_get(r->rec, "themes");
        if (!t || t->type != MSGPACK_OBJECT_ARRAY || !t->via.array.size)
            return s_row_add(rows, n, cap, row);
        for (uint32_t k = 0; k < t->via.array.size; k++) {
            /* A theme given twice is one row. */
            bool dup = false;
            for (uint32_t j = 0; j < k && !dup; j++)
                dup = s_cmp_str(&t->via.array.ptr[j], &t->via.array.ptr[k]) == 0;
            if (dup)
                continue;
            row.key = &t->via.array.ptr[k];
            if (s_row_add(rows, n, cap, row))
                return -1;
        }
        return 0;
    }
    }
    return -1;
}

/* Groups the selected recommendations' rows, cut at limit. */
static int
s_group(report_model_t *self, size_t limit)
{
    s_row_t *rows = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < self->nrecs; i++)
        if (s_rows_of(self, i, &rows, &n, &cap)) {
            free(rows);
            return -1;
        }
    s_sort(rows, n, sizeof *rows, s_row_cmp);
    self->rows_total = n;
    self->rows = limit && limit < n ? limit : n;
    /* Every row shown points into one array, sliced by group. */
    const report_rec_t **flat = self->rows ? malloc(self->rows * sizeof *flat) : NULL;
    size_t ngroups = 0;
    for (size_t i = 0; i < self->rows; i++)
        if (i == 0 || !s_same_group(&rows[i - 1], &rows[i]))
            ngroups++;
    self->groups = ngroups ? calloc(ngroups, sizeof *self->groups) : NULL;
    if ((self->rows && !flat) || (ngroups && !self->groups)) {
        free(flat);
        free(rows);
        return -1;
    }
    size_t g = 0;
    for (size_t i = 0; i < self->rows; i++) {
        if (i == 0 || !s_same_group(&rows[i - 1], &rows[i])) {
            report_group_t *grp = &self->groups[g++];
            grp->recs = &flat[i];
            grp->key = rows[i].key ? nmirf_mp_strdup(rows[i].key) : strdup("-");
            self->ngroups = g;
            if (!grp->key) {
                free(rows);
                return -1;
            }
        }
        const report_rec_t *r = &self->recs[rows[i].rec];
        flat[i] = r;
        self->groups[g - 1].n++;
        self->narratives += r->nreports;
        for (size_t k = 0; k < r->nmeasures; k++) {
            const msgpack_object *p = nmirf_mp_get(r->measures[k], "progress");
            if (p && p->type == MSGPACK_OBJECT_ARRAY)
                for (uint32_t j = 0; j < p->via.array.size; j++)
                    self->values += report_model_dated_in(
                        self, nmirf_mp_get(&p->via.array.ptr[j], "date"));
        }
    }
    free(rows);
    return 0;
}

/* Status entries {REC: STATUS} by key. */
static int
s_by_kv_key(const void *a, const void *b)
{
    return s_cmp_str(&(*(const msgpack_object_kv *const *)a)->key,
                     &(*(const msgpack_object_kv *const *)b)->key);
}

/* The arrays report_model_new works with, freed at its end but for those
   the model keeps (reports, links' measures). */
typedef struct {
    const msgpack_object **recs, **assigns, **reports;
    size_t nrecs, nassigns, nreports;
    s_link_t *links;
    size_t nlinks;
} s_work_t;

report_model_t *
report_model_new(const msgpack_object *snap, const report_model_opts_t *opts, char *why,
                 size_t whylen)
{
    report_model_t *self = calloc(1, sizeof *self);
    s_work_t w = {0};
    const msgpack_object **measures = NULL, **shown_measures = NULL;
    size_t nmeasures = 0;
    if (!self) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    self->by = opts->by;
    if (opts->since)
        snprintf(self->since, sizeof self->since, "%s", opts->since);
    self->seq = s_uint(snap, "seq");
    const msgpack_object *ents = nmirf_mp_get(snap, "entities");
    self->entities = ents && ents->type == MSGPACK_OBJECT_ARRAY ? ents : NULL;
    const msgpack_object *status = nmirf_mp_get(snap, "status");
    if (!status || status->type != MSGPACK_OBJECT_MAP) {
        snprintf(why, whylen, "the snapshot has no status map");
        goto fail;
    }
    if (s_list(snap, "recs", &w.recs, &w.nrecs, why, whylen) ||
        s_list(snap, "assignments", &w.assigns, &w.nassigns, why, whylen) ||
        s_list(snap, "reports", &w.reports, &w.nreports, why, whylen) ||
        s_list(snap, "measures", &measures, &nmeasures, why, whylen))
        goto fail;
    s_sort(w.recs, w.nrecs, sizeof *w.recs, s_by_id);
    s_sort(w.assigns, w.nassigns, sizeof *w.assigns, s_by_rec);

    /* The reports the annex tells: validated, and on or after since. */
    size_t nshown = 0;
    for (size_t i = 0; i < w.nreports; i++)
        if (nmirf_mp_str_is(nmirf_mp_get(w.reports[i], "state"), "validated") &&
            report_model_dated_in(self, nmirf_mp_get(w.reports[i], "date")))
            w.reports[nshown++] = w.reports[i];
    w.nreports = nshown;
    s_sort(w.reports, w.nreports, sizeof *w.reports, s_by_rec_date);

    /* One link per (measure, recommendation). */
    for (size_t i = 0; i < nmeasures; i++) {
        const msgpack_object *r = nmirf_mp_get(measures[i], "recs");
        if (r && r->type == MSGPACK_OBJECT_ARRAY)
            w.nlinks += r->via.array.size;
    }
    if (w.nlinks && !(w.links = malloc(w.nlinks * sizeof *w.links)))
        goto oom;
    w.nlinks = 0;
    for (size_t i = 0; i < nmeasures; i++) {
        const msgpack_object *r = nmirf_mp_get(measures[i], "recs");
        if (r && r->type == MSGPACK_OBJECT_ARRAY)
            for (uint32_t k = 0; k < r->via.array.size; k++)
                w.links[w.nlinks++] = (s_link_t){&r->via.array.ptr[k], measures[i]};
    }
    s_sort(w.links, w.nlinks, sizeof *w.links, s_link_cmp);
    if (w.nlinks && !(shown_measures = malloc(w.nlinks * sizeof *shown_measures)))
        goto oom;
    for (size_t i = 0; i < w.nlinks; i++)
        shown_measures[i] = w.links[i].measure;

    /* The selected recommendations, in id order. */
    if (w.nrecs && !(self->recs = calloc(w.nrecs, sizeof *self->recs)))
        goto oom;
    nmirf_recfilter_t all;
    nmirf_recfilter_init(&all);
    const nmirf_recfilter_t *f = opts->filter ? opts->filter : &all;
    for (size_t i = 0; i < w.nrecs; i++) {
        const msgpack_object *rec = w.recs[i], *id = nmirf_mp_get(rec, "id");
        size_t a = s_lower(w.assigns, w.nassigns, "rec", id);
        const msgpack_object *asg =
            a < w.nassigns && s_cmp_str(nmirf_mp_get(w.assigns[a], "rec"), id) == 0
                ? w.assigns[a]
                : NULL;
        if (!nmirf_recfilter_match(f, rec, asg)) {
            self->filtered = true;
            continue;
        }
        report_rec_t *r = &self->recs[self->nrecs++];
        r->rec = rec;
        r->assignment = asg;
        r->status = "not_started";
        size_t lo = s_lower(w.reports, w.nreports, "rec", id), hi = lo;
        while (hi < w.nreports && s_cmp_str(nmirf_mp_get(w.reports[hi], "rec"), id) == 0)
            hi++;
        r->reports = &w.reports[lo];
        r->nreports = hi - lo;
        size_t mlo = 0, mhi = w.nlinks;
        while (mlo < mhi) {
            size_t mid = mlo + (mhi - mlo) / 2;
            if (s_cmp_str(w.links[mid].rec, id) < 0)
                mlo = mid + 1;
            else
                mhi = mid;
        }
        mhi = mlo;
        while (mhi < w.nlinks && s_cmp_str(w.links[mhi].rec, id) == 0)
            mhi++;
        r->measures = shown_measures ? &shown_measures[mlo] : NULL;
        r->nmeasures = mhi - mlo;
    }
    /* Each selected recommendation's status: the map {REC: STATUS}, sorted
       once by key and merged with the recs (both in id order). */
    {
        size_t ns = status->via.map.size;
        const msgpack_object_kv **kvs = ns ? malloc(ns * sizeof *kvs) : NULL;
        if (ns && !kvs)
            goto oom;
        for (size_t k = 0; k < ns; k++)
            kvs[k] = &status->via.map.ptr[k];
        /* Sort by key: the kv's key is its first member. */
        s_sort(kvs, ns, sizeof *kvs, s_by_kv_key);
        size_t k = 0;
        for (size_t i = 0; i < self->nrecs; i++) {
            const msgpack_object *id = nmirf_mp_get(self->recs[i].rec, "id");
            while (k < ns && s_cmp_str(&kvs[k]->key, id) < 0)
                k++;
            if (k < ns && s_cmp_str(&kvs[k]->key, id) == 0 &&
                kvs[k]->val.type == MSGPACK_OBJECT_STR) {
                int s = -1;
                for (int j = 0; j < nmirf_statuses.count && s < 0; j++)
                    if (nmirf_mp_str_is(&kvs[k]->val, nmirf_statuses.names[j]))
                        s = j;
                if (s >= 0)
                    self->recs[i].status = nmirf_statuses.names[s];
            }
        }
        free(kvs);
    }
    if (s_group(self, opts->limit))
        goto oom;
    self->keep_reports = w.reports;
    self->keep_measures = shown_measures;
    free(w.recs);
    free(w.assigns);
    free(w.links);
    free(measures);
    return self;
oom:
    snprintf(why, whylen, "out of memory");
fail:
    free(w.recs);
    free(w.assigns);
    free(w.reports);
    free(w.links);
    free(measures);
    free(shown_measures);
    report_model_destroy(&self);
    return NULL;
}

void
report_model_destroy(report_model_t **self_p)
{
    report_model_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->ngroups; i++)
        free(self->groups[i].key);
    free(self->groups ? (void *)self->groups[0].recs : NULL);
    free(self->groups);
    free(self->recs);
    free(self->keep_reports);
    free(self->keep_measures);
    free(self);
    *self_p = NULL;
}

bool
report_model_dated_in(const report_model_t *self, const msgpack_object *date)
{
    if (!self->since[0])
        return true;
    if (!date || date->type != MSGPACK_OBJECT_STR)
        return false;
    /* YYYY-MM-DD compares as text. */
    size_t n = date->via.str.size < 10 ? date->via.str.size : 10;
    int c = memcmp(date->via.str.ptr, self->since, n);
    return c > 0 || (c == 0 && n == 10);
}

const msgpack_object *
report_model_entity(const report_model_t *self, const msgpack_object *id)
{
    if (!self->entities || !id)
        return NULL;
    for (uint32_t i = 0; i < self->entities->via.array.size; i++) {
        const msgpack_object *e = &self->entities->via.array.ptr[i];
        if (s_cmp_str(nmirf_mp_get(e, "id"), id) == 0)
            return e;
    }
    return NULL;
}

const msgpack_object *
report_text_pick(const msgpack_object *text, const char *lang, const char *fallback,
                 const char **shown)
{
    const char *order[3];
    size_t n = nmirf_lang_order(lang, fallback, order);
    *shown = NULL;
    if (!text || text->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *t = nmirf_mp_get(text, order[i]);
        if (t && t->type == MSGPACK_OBJECT_STR && t->via.str.size) {
            *shown = order[i];
            return t;
        }
    }
    return NULL;
}
