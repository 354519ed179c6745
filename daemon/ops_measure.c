/*  ops_measure - measures (planned actions) linked to recommendations,
    with an optional quantitative indicator, and the progress that
    validated reports give it.

    A measure is numbered by the broker (meta "measure") and stored under
    its id in `measures`; `rec_measures` indexes it by each linked
    recommendation. Who may write one: the coordinator, and a ministry that
    leads every recommendation the measure is (or would be) linked to: a
    lead plans the actions for what it leads, a contributor reports on them
    but does not reshape another ministry's plan.

    The stored form is canonical, so that an unchanged update is seen as
    unchanged and a replica holds the broker's bytes: keys in a fixed
    order, optional keys left out when absent, schedule and progress sorted
    by date, and each number an integer when it is one (|v| <= 1e15),
    else a float64.
*/
#include "body.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "ops.h"
#include "records.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO_MAX 512 /* entities one measure event names, at most */
/* Bytes of one item of `recs` (each a recommendation id): as body_rec_id,
   twice the id's limit, so that an id past its limit but short is
   refused as no id (s_check_rec_ids), not as too long. */
#define RECS_ITEM_MAX (2 * NMIRF_REC_ID_MAX)

void
ops_pack_number(msgpack_packer *pk, double v)
{
    if (v == trunc(v) && fabs(v) <= NMIRF_NUMBER_MAX) {
        if (v >= 0)
            msgpack_pack_uint64(pk, (uint64_t)v); /* -0.0 too */
        else
            msgpack_pack_int64(pk, (int64_t)v);
    } else
        msgpack_pack_double(pk, v);
}

/* The value of a number object (already checked by body_number). */
static double
s_number(const msgpack_object *v)
{
    if (!v)
        return 0;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (double)v->via.u64;
    if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return (double)v->via.i64;
    return v->via.f64;
}

/* qsort order of point maps by their date string. */
static int
s_by_date(const void *a, const void *b)
{
    const msgpack_object *da = nmirf_mp_get(*(const msgpack_object *const *)a, "date");
    const msgpack_object *db = nmirf_mp_get(*(const msgpack_object *const *)b, "date");
    /* Dates are YYYY-MM-DD: byte order is date order. */
    return memcmp(da->via.str.ptr, db->via.str.ptr, 10);
}

int
ops_pack_points(msgpack_packer *pk, const msgpack_object *points, const char *extra,
                uint64_t extra_val)
{
    uint32_t n = points ? points->via.array.size : 0;
    const msgpack_object **sorted = calloc(n ? n : 1, sizeof *sorted);
    if (!sorted)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        sorted[i] = &points->via.array.ptr[i];
    qsort(sorted, n, sizeof *sorted, s_by_date);
    msgpack_pack_array(pk, n);
    for (uint32_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, extra ? 3 : 2);
        nmirf_mp_pack_str(pk, "date");
        nmirf_mp_pack_object(pk, nmirf_mp_get(sorted[i], "date"));
        nmirf_mp_pack_str(pk, "value");
        ops_pack_number(pk, s_number(nmirf_mp_get(sorted[i], "value")));
        if (extra)
            nmirf_mp_pack_kv_uint(pk, extra, extra_val);
    }
    free(sorted);
    return 0;
}

/* Reads and checks an indicator map {name, unit?, baseline?, target,
   schedule?}. */
static int
s_read_indicator(op_ctx_t *ctx, const msgpack_object *ind)
{
    return body_fields(ctx, ind, &nmirf_fields_indicator, "field 'indicator'");
}

/* Packs an indicator in canonical form. */
static int
s_pack_indicator(msgpack_packer *pk, const msgpack_object *ind)
{
    const msgpack_object *unit = nmirf_mp_get(ind, "unit"),
                         *baseline = nmirf_mp_get(ind, "baseline"),
                         *schedule = nmirf_mp_get(ind, "schedule");
    if (unit && unit->type == MSGPACK_OBJECT_NIL)
        unit = NULL;
    if (baseline && baseline->type == MSGPACK_OBJECT_NIL)
        baseline = NULL;
    if (schedule && schedule->type == MSGPACK_OBJECT_NIL)
        schedule = NULL;
    msgpack_pack_map(pk, 3 + (unit ? 1 : 0) + (baseline ? 1 : 0));
    nmirf_mp_pack_str(pk, "name");
    nmirf_mp_pack_object(pk, nmirf_mp_get(ind, "name"));
    if (unit) {
        nmirf_mp_pack_str(pk, "unit");
        nmirf_mp_pack_object(pk, unit);
    }
    if (baseline) {
        nmirf_mp_pack_str(pk, "baseline");
        ops_pack_number(pk, s_number(baseline));
    }
    nmirf_mp_pack_str(pk, "target");
    ops_pack_number(pk, s_number(nmirf_mp_get(ind, "target")));
    nmirf_mp_pack_str(pk, "schedule");
    return ops_pack_points(pk, schedule, NULL, 0);
}

/* Checks a list of recommendation ids: at least one, each valid, none
   twice (bad_request). */
static int
s_check_rec_ids(op_ctx_t *ctx, const msgpack_object *recs)
{
    if (recs->via.array.size == 0)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field 'recs' must name at least one recommendation");
    for (uint32_t i = 0; i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        strv_t id = {r->via.str.ptr, r->via.str.size};
        if (!nmirf_rec_id_valid(id.p, id.n))
            return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                             "field 'recs': '%.*s' is not a recommendation id", (int)id.n,
                             id.p);
        for (uint32_t j = 0; j < i; j++) {
            const msgpack_object *o = &recs->via.array.ptr[j];
            if (o->via.str.size == id.n && memcmp(o->via.str.ptr, id.p, id.n) == 0)
                return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                                 "field 'recs' names '%.*s' twice", (int)id.n, id.p);
        }
    }
    return 0;
}

/* Refuses with not_found unless every recommendation of recs exists. */
static int
s_recs_exist(op_ctx_t *ctx, const msgpack_object *recs)
{
    for (uint32_t i = 0; i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        msgpack_object rec;
        if (op_load(ctx, DB_RECS, (strv_t){r->via.str.ptr, r->via.str.size},
                    "recommendation", &rec))
            return -1;
    }
    return 0;
}

/* True if the array list (may be NULL) holds the string o. */
static bool
s_list_has(const msgpack_object *list, const msgpack_object *o)
{
    for (uint32_t i = 0; list && i < list->via.array.size; i++) {
        const msgpack_object *x = &list->via.array.ptr[i];
        if (x->type == MSGPACK_OBJECT_STR && x->via.str.size == o->via.str.size &&
            memcmp(x->via.str.ptr, o->via.str.ptr, o->via.str.size) == 0)
            return true;
    }
    return false;
}

/* Refuses with conflict if recs links a withdrawn recommendation that
   linked (the measure's recs before an update; may be NULL) does not
   already hold: no new work is planned on a recommendation that left the
   list, while a measure that linked it before its withdrawal can still be
   edited without dropping it (PROTOCOL.md section 6, measure.add). */
static int
s_recs_live(op_ctx_t *ctx, const msgpack_object *recs, const msgpack_object *linked)
{
    for (uint32_t i = 0; i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        if (s_list_has(linked, r))
            continue;
        msgpack_object rec;
        if (op_load(ctx, DB_RECS, (strv_t){r->via.str.ptr, r->via.str.size},
                    "recommendation", &rec))
            return -1;
        if (op_refuse_withdrawn(ctx, (strv_t){r->via.str.ptr, r->via.str.size}, &rec,
                                "link the one it was merged into"))
            return -1;
    }
    return 0;
}

/* Refuses unless the author is the coordinator, or a ministry that leads
   every recommendation in recs (may be NULL). */
static int
s_may_write(op_ctx_t *ctx, const msgpack_object *recs)
{
    if (op_role_is(ctx, "coordinator"))
        return 0;
    if (!op_role_is(ctx, "ministry"))
        return op_refuse(ctx, NMIRF_E_FORBIDDEN,
                         "%s needs the coordinator or the lead ministry; %s has role %s",
                         ctx->env->op, ctx->env->author, ctx->role);
    for (uint32_t i = 0; recs && i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        msgpack_object asg;
        int rc = store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, r->via.str.ptr,
                           r->via.str.size, ctx->zone, &asg);
        if (rc && rc != MDB_NOTFOUND)
            return op_store_error(ctx, rc, "reading an assignment");
        if (rc || !nmirf_mp_str_is(nmirf_mp_get(&asg, "lead"), ctx->env->author))
            return op_refuse(ctx, NMIRF_E_FORBIDDEN,
                             "%s does not lead recommendation '%.*s': only its lead or "
                             "the coordinator plans its measures",
                             ctx->env->author, (int)r->via.str.size, r->via.str.ptr);
    }
    return 0;
}

/* Adds the lead and contributors of every recommendation in recs to who. */
static void
s_concerned(op_ctx_t *ctx, const msgpack_object *recs, const char **who, size_t *n)
{
    for (uint32_t i = 0; recs && i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        msgpack_object asg;
        if (r->type == MSGPACK_OBJECT_STR &&
            store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, r->via.str.ptr,
                      r->via.str.size, ctx->zone, &asg) == 0)
            record_assignees(ctx, &asg, who, n, WHO_MAX);
    }
}

/* Adds (or with del, removes) the index entries rec -> id for recs. */
static int
s_index(op_ctx_t *ctx, const msgpack_object *recs, uint64_t id, bool del)
{
    uint8_t key[8];
    nmirf_be64_encode(id, key);
    for (uint32_t i = 0; recs && i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        int rc = del ? store_del_dup(ctx->store, ctx->txn, DB_REC_MEASURES,
                                     r->via.str.ptr, r->via.str.size, key, sizeof key)
                     : store_put(ctx->store, ctx->txn, DB_REC_MEASURES, r->via.str.ptr,
                                 r->via.str.size, key, sizeof key);
        if (rc && !(del && rc == MDB_NOTFOUND))
            return op_store_error(ctx, rc, "indexing a measure");
    }
    return 0;
}

/* The fields of a measure record, from a request or a stored record. */
typedef struct {
    uint64_t id;                     /* measure id */
    const msgpack_object *recs;      /* [str] */
    strv_t title;                    /* required */
    strv_t description;              /* p NULL if absent */
    const msgpack_object *indicator; /* map or NULL */
    const msgpack_object *progress;  /* stored [{date, value, report}] or NULL */
    const char *author;              /* who created it */
    uint64_t created, updated;       /* ms */
} s_measure_t;

/* Packs m in canonical form into buf (cleared first). */
static int
s_pack_measure(msgpack_sbuffer *buf, const s_measure_t *m)
{
    msgpack_sbuffer_clear(buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7 + (m->description.p ? 1 : 0) + (m->indicator ? 1 : 0));
    nmirf_mp_pack_kv_uint(&pk, "id", m->id);
    nmirf_mp_pack_str(&pk, "recs");
    nmirf_mp_pack_object(&pk, m->recs);
    nmirf_mp_pack_str(&pk, "title");
    nmirf_mp_pack_strn(&pk, m->title.p, m->title.n);
    if (m->description.p) {
        nmirf_mp_pack_str(&pk, "description");
        nmirf_mp_pack_strn(&pk, m->description.p, m->description.n);
    }
    if (m->indicator) {
        nmirf_mp_pack_str(&pk, "indicator");
        if (s_pack_indicator(&pk, m->indicator))
            return -1;
    }
    /* Progress is already canonical: only validated reports write it. */
    nmirf_mp_pack_str(&pk, "progress");
    if (m->progress)
        nmirf_mp_pack_object(&pk, m->progress);
    else
        msgpack_pack_array(&pk, 0);
    nmirf_mp_pack_kv_str(&pk, "author", m->author);
    nmirf_mp_pack_kv_uint(&pk, "created", m->created);
    nmirf_mp_pack_kv_uint(&pk, "updated", m->updated);
    return 0;
}

/* Reads a stored measure record into m (borrowing from rec). */
static void
s_measure_of(op_ctx_t *ctx, const msgpack_object *rec, s_measure_t *m)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *v;
    if ((v = nmirf_mp_get(rec, "id")) && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        m->id = v->via.u64;
    m->recs = nmirf_mp_get(rec, "recs");
    m->title = record_field(rec, "title");
    m->description = record_field(rec, "description");
    m->indicator = nmirf_mp_get(rec, "indicator");
    m->progress = nmirf_mp_get(rec, "progress");
    m->author = op_strdup(ctx, record_field(rec, "author"));
    if ((v = nmirf_mp_get(rec, "created")) && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        m->created = v->via.u64;
    if ((v = nmirf_mp_get(rec, "updated")) && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        m->updated = v->via.u64;
}

/* Loads measure id into rec; 0, or -1 with not_found / storage set. */
int
ops_measure_load(op_ctx_t *ctx, uint64_t id, msgpack_object *rec)
{
    uint8_t key[8];
    nmirf_be64_encode(id, key);
    int rc = store_get(ctx->store, ctx->txn, DB_MEASURES, key, 8, ctx->zone, rec);
    if (rc == MDB_NOTFOUND)
        return op_refuse(ctx, NMIRF_E_NOT_FOUND, "no measure %llu",
                         (unsigned long long)id);
    if (rc)
        return op_store_error(ctx, rc, "reading a measure");
    return 0;
}

/* Stores a packed measure and emits kind for it, naming the assignees of
   recs and of old_recs (may be NULL). */
static int
s_write(op_ctx_t *ctx, uint64_t id, const msgpack_sbuffer *buf, const char *kind,
        const msgpack_object *recs, const msgpack_object *old_recs)
{
    uint8_t key[8];
    nmirf_be64_encode(id, key);
    int rc = store_put(ctx->store, ctx->txn, DB_MEASURES, key, 8, buf->data, buf->size);
    if (rc)
        return op_store_error(ctx, rc, "writing a measure");
    const char **who = msgpack_zone_malloc(ctx->zone, WHO_MAX * sizeof *who);
    if (!who)
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    size_t n = 0;
    s_concerned(ctx, recs, who, &n);
    s_concerned(ctx, old_recs, who, &n);
    char subject[24];
    snprintf(subject, sizeof subject, "%llu", (unsigned long long)id);
    return op_emit(ctx, kind, subject, who, n, buf->data, buf->size);
}

int
op_measure_add(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"recs", "title", "description", "indicator",
                                          NULL};
    const msgpack_object *body = &ctx->env->body;
    s_measure_t m = {
        .author = ctx->env->author, .created = ctx->now, .updated = ctx->now};
    if (body_only(ctx, body, allowed, "body") ||
        body_str_list(ctx, body, "recs", RECS_ITEM_MAX, &m.recs) ||
        body_str(ctx, body, "title", true, NMIRF_SHORT_MAX, &m.title) ||
        body_str(ctx, body, "description", false, NMIRF_TEXT_MAX, &m.description))
        return -1;
    if (!m.recs)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field 'recs' is required");
    m.indicator = nmirf_mp_get(body, "indicator");
    if (m.indicator && m.indicator->type == MSGPACK_OBJECT_NIL)
        m.indicator = NULL;
    if ((m.indicator && s_read_indicator(ctx, m.indicator)) ||
        s_check_rec_ids(ctx, m.recs))
        return -1;
    if (s_may_write(ctx, NULL) || s_recs_exist(ctx, m.recs) || s_may_write(ctx, m.recs) ||
        s_recs_live(ctx, m.recs, NULL))
        return -1;
    int rc;
    m.id = store_next_measure_id(ctx->store, ctx->txn, &rc);
    if (!m.id)
        return op_store_error(ctx, rc, "numbering a measure");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int result = s_pack_measure(&buf, &m)
                     ? op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory")
                 : s_index(ctx, m.recs, m.id, false)
                     ? -1
                     : s_write(ctx, m.id, &buf, "measure.added", m.recs, NULL);
    if (!result) {
        msgpack_pack_map(&ctx->pk, 1);
        nmirf_mp_pack_str(&ctx->pk, "measure");
        msgpack_sbuffer_write(ctx->reply, buf.data, buf.size);
    }
    msgpack_sbuffer_destroy(&buf);
    return result;
}

int
op_measure_update(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"id",          "recs",      "title",
                                          "description", "indicator", NULL};
    const msgpack_object *body = &ctx->env->body, *recs, *indicator;
    uint64_t id;
    bool present;
    strv_t title, description;
    if (body_only(ctx, body, allowed, "body") ||
        body_uint(ctx, body, "id", true, &id, &present) ||
        body_str_list(ctx, body, "recs", RECS_ITEM_MAX, &recs) ||
        body_str(ctx, body, "title", false, NMIRF_SHORT_MAX, &title) ||
        body_str(ctx, body, "description", false, NMIRF_TEXT_MAX, &description))
        return -1;
    /* nil clears an optional field (PROTOCOL.md section 6): left out
       keeps it. title and recs are required in a measure: nil is
       refused, not taken as "not given". */
    const msgpack_object *nil_title = nmirf_mp_get(body, "title"),
                         *nil_recs = nmirf_mp_get(body, "recs"),
                         *nil_desc = nmirf_mp_get(body, "description");
    if ((nil_title && nil_title->type == MSGPACK_OBJECT_NIL) ||
        (nil_recs && nil_recs->type == MSGPACK_OBJECT_NIL))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field '%s' cannot be cleared (nil): a measure needs it",
                         nil_title && nil_title->type == MSGPACK_OBJECT_NIL ? "title"
                                                                            : "recs");
    bool clear_desc = nil_desc && nil_desc->type == MSGPACK_OBJECT_NIL;
    indicator = nmirf_mp_get(body, "indicator");
    bool clear_ind = indicator && indicator->type == MSGPACK_OBJECT_NIL;
    if (clear_ind)
        indicator = NULL;
    if ((indicator && s_read_indicator(ctx, indicator)) ||
        (recs && s_check_rec_ids(ctx, recs)))
        return -1;
    if (s_may_write(ctx, NULL) || (recs && s_recs_exist(ctx, recs)))
        return -1;
    msgpack_object stored;
    if (ops_measure_load(ctx, id, &stored))
        return -1;
    s_measure_t old, m;
    s_measure_of(ctx, &stored, &old);
    /* A ministry must lead what the measure covers now and what it would
       cover: it cannot take another lead's measure, nor give its own away. */
    if (s_may_write(ctx, old.recs) || (recs && s_may_write(ctx, recs)) ||
        (recs && s_recs_live(ctx, recs, old.recs)))
        return -1;
    m = old;
    if (recs)
        m.recs = recs;
    if (title.p)
        m.title = title;
    if (description.p)
        m.description = description;
    else if (clear_desc)
        m.description = (strv_t){NULL, 0};
    if (indicator)
        m.indicator = indicator;
    else if (clear_ind)
        m.indicator = NULL;

    msgpack_sbuffer before, after;
    msgpack_sbuffer_init(&before);
    msgpack_sbuffer_init(&after);
    int result = 0;
    if (s_pack_measure(&before, &old) || s_pack_measure(&after, &m))
        result = op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    bool changed = !result && (before.size != after.size ||
                               memcmp(before.data, after.data, before.size) != 0);
    if (changed) {
        m.updated = ctx->now;
        s_pack_measure(&after, &m);
        if (recs && (s_index(ctx, old.recs, id, true) || s_index(ctx, recs, id, false)))
            result = -1;
        else
            result = s_write(ctx, id, &after, "measure.updated", m.recs, old.recs);
    }
    if (!result) {
        /* An update that changes nothing is answered, not recorded: a
           resent edit makes no event. */
        msgpack_pack_map(&ctx->pk, 2);
        nmirf_mp_pack_str(&ctx->pk, "measure");
        msgpack_sbuffer_write(ctx->reply, after.data, after.size);
        nmirf_mp_pack_str(&ctx->pk, "changed");
        if (changed)
            msgpack_pack_true(&ctx->pk);
        else
            msgpack_pack_false(&ctx->pk);
    }
    msgpack_sbuffer_destroy(&before);
    msgpack_sbuffer_destroy(&after);
    return result;
}

bool
ops_measure_linked(const msgpack_object *measure, strv_t rec)
{
    const msgpack_object *recs = nmirf_mp_get(measure, "recs");
    for (uint32_t i = 0;
         recs && recs->type == MSGPACK_OBJECT_ARRAY && i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        if (r->type == MSGPACK_OBJECT_STR && r->via.str.size == rec.n &&
            memcmp(r->via.str.ptr, rec.p, rec.n) == 0)
            return true;
    }
    return false;
}

int
ops_measure_progress(op_ctx_t *ctx, const msgpack_object *report)
{
    const msgpack_object *mid = nmirf_mp_get(report, "measure"),
                         *values = nmirf_mp_get(report, "indicator_values"),
                         *rid = nmirf_mp_get(report, "id");
    if (!mid || mid->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !values ||
        values->type != MSGPACK_OBJECT_ARRAY || values->via.array.size == 0 || !rid ||
        rid->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return 0;
    msgpack_object stored;
    if (ops_measure_load(ctx, mid->via.u64, &stored))
        return -1;
    /* An update between submission and validation may have unlinked the
       report's recommendation or dropped the indicator: then the values
       stay in the report and the measure's progress is left alone. */
    if (!ops_measure_linked(&stored, record_field(report, "rec")) ||
        !nmirf_mp_get(&stored, "indicator"))
        return 0;
    s_measure_t m;
    s_measure_of(ctx, &stored, &m);
    /* Merge: the latest validated report's value for a date wins. */
    uint32_t nold = m.progress && m.progress->type == MSGPACK_OBJECT_ARRAY
                        ? m.progress->via.array.size
                        : 0,
             nnew = values->via.array.size;
    msgpack_object *merged =
        msgpack_zone_malloc(ctx->zone, (nold + nnew) * sizeof *merged);
    if (!merged)
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    uint32_t n = 0;
    for (uint32_t i = 0; i < nold; i++) {
        const msgpack_object *p = &m.progress->via.array.ptr[i];
        strv_t d = record_field(p, "date");
        bool replaced = false;
        for (uint32_t j = 0; j < nnew && d.p; j++)
            if (record_field(&values->via.array.ptr[j], "date").n == d.n &&
                memcmp(record_field(&values->via.array.ptr[j], "date").p, d.p, d.n) == 0)
                replaced = true;
        if (!replaced)
            merged[n++] = *p;
    }
    /* The new points, with the report that gave them. */
    msgpack_sbuffer pts;
    msgpack_sbuffer_init(&pts);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &pts, msgpack_sbuffer_write);
    int result = ops_pack_points(&pk, values, "report", rid->via.u64);
    msgpack_object fresh;
    if (!result && nmirf_mp_unpack((const uint8_t *)pts.data, pts.size, ctx->zone, &fresh,
                                   NULL, 0) != NMIRF_OK)
        result = -1;
    for (uint32_t j = 0; !result && j < fresh.via.array.size; j++)
        merged[n++] = fresh.via.array.ptr[j];
    if (result) {
        msgpack_sbuffer_destroy(&pts);
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    }
    /* Sort the merged list by date (stored points are already canonical,
       so this packs them through unchanged). */
    const msgpack_object **order =
        msgpack_zone_malloc(ctx->zone, (n ? n : 1) * sizeof *order);
    if (!order) {
        msgpack_sbuffer_destroy(&pts);
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    }
    for (uint32_t i = 0; i < n; i++)
        order[i] = &merged[i];
    qsort(order, n, sizeof *order, s_by_date);
    msgpack_sbuffer prog;
    msgpack_sbuffer_init(&prog);
    msgpack_packer_init(&pk, &prog, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, n);
    for (uint32_t i = 0; i < n; i++)
        nmirf_mp_pack_object(&pk, order[i]);
    /* The fresh points live in pts until here. */
    msgpack_object progress;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    if (nmirf_mp_unpack((const uint8_t *)prog.data, prog.size, ctx->zone, &progress, NULL,
                        0) != NMIRF_OK)
        result = op_refuse(ctx, NMIRF_E_INTERNAL, "progress does not pack");
    m.progress = &progress;
    m.updated = ctx->now;
    if (!result)
        result = s_pack_measure(&buf, &m)
                     ? op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory")
                     : s_write(ctx, m.id, &buf, "measure.updated", m.recs, NULL);
    msgpack_sbuffer_destroy(&buf);
    msgpack_sbuffer_destroy(&prog);
    msgpack_sbuffer_destroy(&pts);
    return result;
}

int
op_measure_show(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"id", NULL};
    const msgpack_object *body = &ctx->env->body;
    uint64_t id;
    bool present;
    if (body_only(ctx, body, allowed, "body") ||
        body_uint(ctx, body, "id", true, &id, &present))
        return -1;
    msgpack_object stored;
    if (ops_measure_load(ctx, id, &stored))
        return -1;
    /* The reports that name this measure, found through its recs' index. */
    msgpack_sbuffer items;
    msgpack_sbuffer_init(&items);
    size_t count = 0;
    const msgpack_object *recs = nmirf_mp_get(&stored, "recs");
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_REC_REPORTS), &cur);
    if (rc) {
        msgpack_sbuffer_destroy(&items);
        return op_store_error(ctx, rc, "listing reports");
    }
    msgpack_zone *zone = msgpack_zone_new(4096);
    for (uint32_t i = 0; zone && recs && i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        MDB_val k = {r->via.str.size, (void *)r->via.str.ptr}, v;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
            MDB_val rv;
            if (mdb_get(ctx->txn, store_dbi(ctx->store, DB_REPORTS), &v, &rv))
                continue;
            msgpack_zone_clear(zone);
            msgpack_object rep;
            const msgpack_object *mid;
            if (nmirf_mp_unpack(rv.mv_data, rv.mv_size, zone, &rep, NULL, 0) ==
                    NMIRF_OK &&
                (mid = nmirf_mp_get(&rep, "measure")) &&
                mid->type == MSGPACK_OBJECT_POSITIVE_INTEGER && mid->via.u64 == id) {
                msgpack_sbuffer_write(&items, rv.mv_data, rv.mv_size);
                count++;
            }
        }
    }
    if (zone)
        msgpack_zone_free(zone);
    mdb_cursor_close(cur);
    msgpack_pack_map(&ctx->pk, 2);
    nmirf_mp_pack_str(&ctx->pk, "measure");
    nmirf_mp_pack_object(&ctx->pk, &stored);
    op_pack_items(ctx, "reports", count, &items);
    return 0;
}

int
op_measure_list(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"rec", "limit", NULL};
    const msgpack_object *body = &ctx->env->body;
    strv_t rec;
    uint64_t limit = NMIRF_LIST_DEFAULT;
    bool has_limit;
    if (body_only(ctx, body, allowed, "body") ||
        body_rec_id(ctx, body, "rec", false, &rec) ||
        body_uint(ctx, body, "limit", false, &limit, &has_limit))
        return -1;
    if (limit > NMIRF_LIST_LIMIT_MAX)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "limit %llu is over %d",
                         (unsigned long long)limit, NMIRF_LIST_LIMIT_MAX);
    msgpack_sbuffer items;
    msgpack_sbuffer_init(&items);
    uint64_t shown = 0, total = 0;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(
        ctx->txn, store_dbi(ctx->store, rec.p ? DB_REC_MEASURES : DB_MEASURES), &cur);
    if (rc) {
        msgpack_sbuffer_destroy(&items);
        return op_store_error(ctx, rc, "listing measures");
    }
    if (rec.p) {
        /* By recommendation: its index entries, in id order. */
        k = (MDB_val){rec.n, (void *)rec.p};
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
            MDB_val mv;
            total++;
            if (shown < limit &&
                mdb_get(ctx->txn, store_dbi(ctx->store, DB_MEASURES), &v, &mv) == 0) {
                msgpack_sbuffer_write(&items, mv.mv_data, mv.mv_size);
                shown++;
            }
        }
    } else
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            total++;
            if (shown < limit) {
                msgpack_sbuffer_write(&items, v.mv_data, v.mv_size);
                shown++;
            }
        }
    mdb_cursor_close(cur);
    msgpack_pack_map(&ctx->pk, 2);
    op_pack_items(ctx, "measures", shown, &items);
    nmirf_mp_pack_kv_uint(&ctx->pk, "total", total);
    return 0;
}
