/*  ops_report - submit, validate, return and list progress reports. */
#include "body.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "ops.h"
#include "records.h"
#include "stats_agg.h"

#include <stdio.h>
#include <string.h>

/* A report date after the broker's tomorrow is refused. */
#define REPORT_DATE_AHEAD_MS (86400ull * 1000)

/* Writes a report record and its event; the report reply on success. */
static int
s_write_report(op_ctx_t *ctx, uint64_t id, const void *rec, size_t len, const char *kind,
               const char *const *who, size_t nwho)
{
    uint8_t key[8];
    nmirf_be64_encode(id, key);
    int rc = store_put(ctx->store, ctx->txn, DB_REPORTS, key, 8, rec, len);
    if (rc)
        return op_store_error(ctx, rc, "writing a report");
    char subject[24];
    snprintf(subject, sizeof subject, "%llu", (unsigned long long)id);
    if (op_emit(ctx, kind, subject, who, nwho, rec, len))
        return -1;
    msgpack_pack_map(&ctx->pk, 1);
    nmirf_mp_pack_str(&ctx->pk, "report");
    msgpack_sbuffer_write(ctx->reply, rec, len);
    return 0;
}

/* The entities a report event concerns: its author and the lead of its
   recommendation. */
static size_t
s_concerned(op_ctx_t *ctx, const msgpack_object *report, const char **who)
{
    size_t n = 0;
    record_add_unique(who, &n, 2, op_strdup(ctx, record_field(report, "entity")));
    strv_t rec = record_field(report, "rec");
    msgpack_object asg;
    if (rec.p && store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, rec.p, rec.n, ctx->zone,
                           &asg) == 0)
        record_add_unique(who, &n, 2, op_strdup(ctx, record_field(&asg, "lead")));
    return n;
}

/* Checks the measure a report names: it exists, covers the report's
   recommendation, and has an indicator if values are given. */
static int
s_check_measure(op_ctx_t *ctx, uint64_t id, strv_t rec, bool values)
{
    msgpack_object m;
    if (ops_measure_load(ctx, id, &m))
        return -1;
    if (!ops_measure_linked(&m, rec))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "measure %llu is not linked to recommendation '%.*s'",
                         (unsigned long long)id, (int)rec.n, rec.p);
    if (values && !nmirf_mp_get(&m, "indicator"))
        return op_refuse(ctx, NMIRF_E_CONFLICT,
                         "measure %llu has no indicator to give values for",
                         (unsigned long long)id);
    return 0;
}

int
op_report_submit(op_ctx_t *ctx)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body, &nmirf_fields_report_submit, "body"))
        return -1;
    strv_t rec = body_sv(body, "rec"), status = body_sv(body, "status"),
           narrative = body_sv(body, "narrative"), date = body_sv(body, "date"),
           by = body_sv(body, "by");
    const msgpack_object *evidence = body_get(body, "evidence"),
                         *values = body_get(body, "indicator_values"),
                         *m = body_get(body, "measure");
    bool has_measure = m != NULL;
    uint64_t measure = m ? m->via.u64 : 0;
    if (values && !has_measure)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field 'indicator_values' needs field 'measure'");
    /* A report tells what was done: its date is at most the broker's
       tomorrow (UTC), a day of margin for senders east of UTC. */
    char tomorrow[11];
    nmirf_date_of(ctx->now + REPORT_DATE_AHEAD_MS, tomorrow);
    if (date.p && (date.n != 10 || memcmp(date.p, tomorrow, 10) > 0))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field 'date' %.*s is in the future (the broker's clock allows "
                         "up to %s)",
                         (int)date.n, date.p, tomorrow);
    if (values && values->via.array.size == 0)
        values = NULL; /* no values is no values: stored as absent */
    if (!op_role_is(ctx, "ministry"))
        return op_refuse(ctx, NMIRF_E_FORBIDDEN,
                         "only ministries submit progress reports; %s has role %s",
                         ctx->env->author, ctx->role);
    msgpack_object recobj, asg;
    if (op_load(ctx, DB_RECS, rec, "recommendation", &recobj))
        return -1;
    /* Checked before the assignment: a merge takes FROM's away, and the
       ministry should hear where its work went, not that it has none. */
    if (op_refuse_withdrawn(ctx, rec, &recobj, "report on that one"))
        return -1;
    strv_t author = {ctx->env->author, strlen(ctx->env->author)};
    int rc =
        store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, rec.p, rec.n, ctx->zone, &asg);
    if (rc && rc != MDB_NOTFOUND)
        return op_store_error(ctx, rc, "reading an assignment");
    if (rc == MDB_NOTFOUND || !record_assigned_to(&asg, author))
        return op_refuse(ctx, NMIRF_E_FORBIDDEN,
                         "recommendation '%.*s' is not assigned to %s", (int)rec.n, rec.p,
                         ctx->env->author);
    if (has_measure && s_check_measure(ctx, measure, rec, values != NULL))
        return -1;

    uint64_t id = store_next_report_id(ctx->store, ctx->txn, &rc);
    if (!id)
        return op_store_error(ctx, rc, "numbering a report");
    char today[11];
    if (!date.p) {
        nmirf_date_of(ctx->now, today);
        date.p = today;
        date.n = 10;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 9 + (by.p ? 1 : 0) + (has_measure ? 1 : 0) + (values ? 1 : 0));
    nmirf_mp_pack_kv_uint(&pk, "id", id);
    nmirf_mp_pack_str(&pk, "rec");
    nmirf_mp_pack_strn(&pk, rec.p, rec.n);
    nmirf_mp_pack_kv_str(&pk, "entity", ctx->env->author);
    /* Who at the entity wrote it, only when the submission says: a report
       without it is stored byte for byte as before `by` existed. */
    if (by.p) {
        nmirf_mp_pack_str(&pk, "by");
        nmirf_mp_pack_strn(&pk, by.p, by.n);
    }
    nmirf_mp_pack_str(&pk, "status");
    nmirf_mp_pack_strn(&pk, status.p, status.n);
    nmirf_mp_pack_str(&pk, "narrative");
    nmirf_mp_pack_strn(&pk, narrative.p, narrative.n);
    nmirf_mp_pack_str(&pk, "evidence");
    if (evidence)
        msgpack_pack_object(&pk, *evidence);
    else
        msgpack_pack_array(&pk, 0);
    nmirf_mp_pack_str(&pk, "date");
    nmirf_mp_pack_strn(&pk, date.p, date.n);
    nmirf_mp_pack_kv_str(&pk, "state", "submitted");
    nmirf_mp_pack_kv_uint(&pk, "submitted", ctx->now);
    if (has_measure)
        nmirf_mp_pack_kv_uint(&pk, "measure", measure);
    if (values) {
        nmirf_mp_pack_str(&pk, "indicator_values");
        if (ops_pack_points(&pk, values, NULL, 0)) {
            msgpack_sbuffer_destroy(&buf);
            return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
        }
    }

    uint8_t key[8];
    nmirf_be64_encode(id, key);
    rc = store_put(ctx->store, ctx->txn, DB_REC_REPORTS, rec.p, rec.n, key, sizeof key);
    int result;
    if (rc)
        result = op_store_error(ctx, rc, "indexing a report");
    else {
        msgpack_object report;
        nmirf_mp_unpack((const uint8_t *)buf.data, buf.size, ctx->zone, &report, NULL, 0);
        const char *who[2];
        size_t nwho = s_concerned(ctx, &report, who);
        result =
            s_write_report(ctx, id, buf.data, buf.size, "report.submitted", who, nwho);
    }
    msgpack_sbuffer_destroy(&buf);
    return result;
}

/* validate and return share everything but the new state and a reason. */
static int
s_decide(op_ctx_t *ctx, bool validate)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body,
                    validate ? &nmirf_fields_report_validate
                             : &nmirf_fields_report_return,
                    "body"))
        return -1;
    uint64_t id = body_get(body, "report")->via.u64;
    strv_t reason = body_sv(body, "reason");
    if (op_need_coordinator(ctx))
        return -1;
    uint8_t key[8];
    nmirf_be64_encode(id, key);
    msgpack_object report;
    int rc = store_get(ctx->store, ctx->txn, DB_REPORTS, key, 8, ctx->zone, &report);
    if (rc == MDB_NOTFOUND)
        return op_refuse(ctx, NMIRF_E_NOT_FOUND, "no report %llu",
                         (unsigned long long)id);
    if (rc)
        return op_store_error(ctx, rc, "reading a report");
    strv_t state = record_field(&report, "state");
    if (state.n != 9 || memcmp(state.p, "submitted", 9) != 0)
        return op_refuse(ctx, NMIRF_E_CONFLICT, "report %llu is %.*s, not submitted",
                         (unsigned long long)id, (int)state.n, state.p);

    /* Two edits: state, then decided (and reason). */
    msgpack_sbuffer a, b;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_object val = record_str(validate ? "validated" : "returned"), tmp;
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    record_pack_edit(&pk, &report, "state", &val);
    nmirf_mp_unpack((const uint8_t *)a.data, a.size, ctx->zone, &tmp, NULL, 0);
    val = record_uint(ctx->now);
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    record_pack_edit(&pk, &tmp, "decided", &val);
    if (!validate) {
        nmirf_mp_unpack((const uint8_t *)b.data, b.size, ctx->zone, &tmp, NULL, 0);
        msgpack_sbuffer_clear(&a);
        msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
        val.type = MSGPACK_OBJECT_STR;
        val.via.str.ptr = reason.p;
        val.via.str.size = (uint32_t)reason.n;
        record_pack_edit(&pk, &tmp, "reason", &val);
    }
    msgpack_sbuffer *final = validate ? &b : &a;

    int result = 0;
    /* A validation moves the figures of `stats` (the status and by_month);
       a return does not (only validated reports count). */
    strv_t rec = record_field(&report, "rec");
    agg_view_t before;
    if (validate && op_agg_before(ctx, rec, &before))
        result = -1;
    if (validate && !result) {
        /* The recommendation's status is its latest validated report's. */
        strv_t status = record_field(&report, "status");
        rc = store_put(ctx->store, ctx->txn, DB_STATUS, rec.p, rec.n, status.p, status.n);
        if (rc)
            result = op_store_error(ctx, rc, "setting a status");
    }
    if (!result) {
        const char *who[2];
        size_t nwho = s_concerned(ctx, &report, who);
        result =
            s_write_report(ctx, id, final->data, final->size,
                           validate ? "report.validated" : "report.returned", who, nwho);
    }
    if (!result && validate)
        result = op_agg_after(ctx, rec, &before);
    /* Validated indicator values become the measure's progress. */
    if (!result && validate)
        result = ops_measure_progress(ctx, &report);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    return result;
}

int
op_report_validate(op_ctx_t *ctx)
{
    return s_decide(ctx, true);
}

int
op_report_return(op_ctx_t *ctx)
{
    return s_decide(ctx, false);
}

int
ops_pack_rec_reports(op_ctx_t *ctx, strv_t rec)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_REC_REPORTS), &cur);
    if (rc)
        return op_store_error(ctx, rc, "listing reports");
    MDB_val k = {rec.n, (void *)rec.p}, v;
    size_t count = 0;
    if (mdb_cursor_get(cur, &k, &v, MDB_SET) == 0)
        mdb_cursor_count(cur, &count);
    msgpack_pack_array(&ctx->pk, count);
    for (rc = count ? mdb_cursor_get(cur, &k, &v, MDB_FIRST_DUP) : MDB_NOTFOUND; rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
        MDB_val rk = v, rv;
        if (mdb_get(ctx->txn, store_dbi(ctx->store, DB_REPORTS), &rk, &rv) == 0)
            msgpack_sbuffer_write(ctx->reply, rv.mv_data, rv.mv_size);
        else
            msgpack_pack_nil(&ctx->pk); /* an index without its report: keep the count */
    }
    mdb_cursor_close(cur);
    return 0;
}

int
op_report_list(op_ctx_t *ctx)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body, &nmirf_fields_report_list, "body"))
        return -1;
    strv_t rec = body_sv(body, "rec"), entity = body_sv(body, "entity"),
           state = body_sv(body, "state");
    const msgpack_object *l = body_get(body, "limit");
    uint64_t limit = l ? l->via.u64 : NMIRF_LIST_DEFAULT;
    if (limit > NMIRF_LIST_LIMIT_MAX)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "limit %llu is over %d",
                         (unsigned long long)limit, NMIRF_LIST_LIMIT_MAX);
    const char *rec_s = op_strdup(ctx, rec), *entity_s = op_strdup(ctx, entity),
               *state_s = op_strdup(ctx, state);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_REPORTS), &cur);
    if (rc)
        return op_store_error(ctx, rc, "listing reports");
    msgpack_sbuffer items;
    msgpack_sbuffer_init(&items);
    msgpack_zone *zone = msgpack_zone_new(4096);
    uint64_t shown = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && shown < limit;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(zone);
        msgpack_object r;
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &r, NULL, 0) != NMIRF_OK)
            continue;
        if ((rec_s && !nmirf_mp_str_is(nmirf_mp_get(&r, "rec"), rec_s)) ||
            (entity_s && !nmirf_mp_str_is(nmirf_mp_get(&r, "entity"), entity_s)) ||
            (state_s && !nmirf_mp_str_is(nmirf_mp_get(&r, "state"), state_s)))
            continue;
        msgpack_sbuffer_write(&items, v.mv_data, v.mv_size);
        shown++;
    }
    msgpack_zone_free(zone);
    mdb_cursor_close(cur);
    msgpack_pack_map(&ctx->pk, 1);
    op_pack_items(ctx, "reports", shown, &items);
    return 0;
}
