/*  ops_repair - repairing the list of recommendations: rec.withdraw and
    rec.merge (PROTOCOL.md section 6, Writes; section 7 for their events).

    Nothing is deleted: a withdrawn recommendation keeps its record, which
    gains a last key `withdrawn: {reason, at, into?}`, so the log, the
    audit and `rec.show` still tell what it was and why it went. Reads
    hide it unless asked (ops_rec.c, ops_stats.c through nmirf_recfilter).

    A merge moves what hangs on FROM to INTO in one transaction: its
    reports (their ids unchanged, their `rec` now INTO), the measures
    linking it (INTO linked instead, once), its assignment (moved if INTO
    has none, else FROM's lead and contributors join INTO's contributors),
    and recomputes INTO's implementation status over the union. Its events
    are one `rec.merged`, which carries everything a replica needs that no
    other kind says (FROM's record, INTO's new assignment, the moved
    report ids, INTO's status), then a `measure.updated` per measure
    relinked: the kind every reader of measures already follows (the
    replica, the audit's record of measures).
*/
#include "body.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "ops.h"
#include "records.h"
#include "stats_agg.h"

#include <stdio.h>
#include <string.h>

/* Entities one merge's events name, at most: two assignments' lead and
   contributors, and the linked recommendations' of each measure. */
#define WHO_MAX (4 * (NMIRF_LIST_MAX + 1))

/* Packs the record rec with `withdrawn: {reason, at, into?}` added as its
   last key into out (cleared first). Returns 0 or -1 (refusal set). */
static int
s_pack_withdrawn(op_ctx_t *ctx, const msgpack_object *rec, strv_t reason, strv_t into,
                 msgpack_sbuffer *out)
{
    msgpack_sbuffer w;
    msgpack_sbuffer_init(&w);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &w, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, into.p ? 3 : 2);
    nmirf_mp_pack_str(&pk, "reason");
    nmirf_mp_pack_strn(&pk, reason.p, reason.n);
    nmirf_mp_pack_kv_uint(&pk, "at", ctx->now);
    if (into.p) {
        nmirf_mp_pack_str(&pk, "into");
        nmirf_mp_pack_strn(&pk, into.p, into.n);
    }
    msgpack_object wobj;
    int rc = record_unpack(ctx, w.data, w.size, &wobj);
    msgpack_sbuffer_destroy(&w);
    if (rc)
        return -1;
    msgpack_sbuffer_clear(out);
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    record_pack_edit(&pk, rec, "withdrawn", &wobj);
    return 0;
}

/* Loads recommendation id and refuses (conflict) if it is withdrawn. */
static int
s_load_live(op_ctx_t *ctx, strv_t id, msgpack_object *rec)
{
    if (op_load(ctx, DB_RECS, id, "recommendation", rec))
        return -1;
    return op_refuse_withdrawn(ctx, id, rec, NULL);
}

/* Reads the assignment of rec into *asg: 1 if there is one, 0 if none,
   -1 on a store error (refusal set). */
static int
s_load_assignment(op_ctx_t *ctx, strv_t rec, msgpack_object *asg)
{
    int rc =
        store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, rec.p, rec.n, ctx->zone, asg);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return op_store_error(ctx, rc, "reading an assignment");
    return 1;
}

int
op_rec_withdraw(op_ctx_t *ctx)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body, &nmirf_fields_rec_withdraw, "body"))
        return -1;
    strv_t id = body_sv(body, "rec"), reason = body_sv(body, "reason");
    if (op_need_coordinator(ctx))
        return -1;
    msgpack_object rec, asg;
    if (s_load_live(ctx, id, &rec))
        return -1;
    int had = s_load_assignment(ctx, id, &asg);
    if (had < 0)
        return -1;

    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    strv_t none = {NULL, 0};
    int result = s_pack_withdrawn(ctx, &rec, reason, none, &out);
    /* The assignment stays, as history: the deadline scan and
       report.submit and rec.assign know a withdrawn recommendation. */
    const char *who[NMIRF_LIST_MAX + 1];
    size_t nwho = 0;
    if (had)
        record_assignees(ctx, &asg, who, &nwho, NMIRF_LIST_MAX + 1);
    agg_view_t before;
    if (!result && op_agg_before(ctx, id, &before))
        result = -1;
    if (!result) {
        int rc = store_put(ctx->store, ctx->txn, DB_RECS, id.p, id.n, out.data, out.size);
        if (rc)
            result = op_store_error(ctx, rc, "withdrawing a recommendation");
    }
    if (!result)
        result = op_agg_after(ctx, id, &before);
    if (!result)
        result = op_emit(ctx, "rec.withdrawn", op_strdup(ctx, id), who, nwho, out.data,
                         out.size);
    if (!result) {
        msgpack_pack_map(&ctx->pk, 1);
        nmirf_mp_pack_str(&ctx->pk, "rec");
        msgpack_sbuffer_write(ctx->reply, out.data, out.size);
        log_info("withdrew recommendation %.*s (by %s)", (int)id.n, id.p,
                 ctx->env->author);
    }
    msgpack_sbuffer_destroy(&out);
    return result;
}

/* The 8-byte keys under rec in a dupsort index (DB_REC_REPORTS,
   DB_REC_MEASURES), copied into ctx's zone: *keys holds *count of them.
   Returns 0 or -1 (refusal set). */
static int
s_index_keys(op_ctx_t *ctx, store_db_t db, strv_t rec, uint8_t **keys, size_t *count)
{
    MDB_cursor *cur;
    *keys = NULL;
    *count = 0;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, db), &cur);
    if (rc)
        return op_store_error(ctx, rc, "reading an index");
    MDB_val k = {rec.n, (void *)rec.p}, v;
    size_t n = 0;
    if (mdb_cursor_get(cur, &k, &v, MDB_SET) == 0)
        mdb_cursor_count(cur, &n);
    uint8_t *out = n ? msgpack_zone_malloc(ctx->zone, n * 8) : NULL;
    if (n && !out) {
        mdb_cursor_close(cur);
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    }
    size_t got = 0;
    for (rc = n ? mdb_cursor_get(cur, &k, &v, MDB_FIRST_DUP) : MDB_NOTFOUND;
         rc == 0 && got < n; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP))
        if (v.mv_size == 8)
            memcpy(out + 8 * got++, v.mv_data, 8);
    mdb_cursor_close(cur);
    *keys = out;
    *count = got;
    return 0;
}

/* Moves index entries rec -> key from `from` to `into` (an entry INTO
   already has is kept once: LMDB's dupsort holds one of each). */
static int
s_index_move(op_ctx_t *ctx, store_db_t db, strv_t from, strv_t into, const uint8_t *key)
{
    int rc = store_del_dup(ctx->store, ctx->txn, db, from.p, from.n, key, 8);
    if (rc && rc != MDB_NOTFOUND)
        return op_store_error(ctx, rc, "moving an index entry");
    rc = store_put_flags(ctx->store, ctx->txn, db, into.p, into.n, key, 8, MDB_NODUPDATA);
    if (rc && rc != MDB_KEYEXIST)
        return op_store_error(ctx, rc, "moving an index entry");
    return 0;
}

/* Moves FROM's reports to INTO: each report's `rec` becomes INTO, its id
   stays. Packs the moved ids as a msgpack array into ids. Returns the
   count, or -1 (refusal set). */
static int64_t
s_move_reports(op_ctx_t *ctx, strv_t from, strv_t into, msgpack_packer *ids)
{
    uint8_t *keys;
    size_t n;
    if (s_index_keys(ctx, DB_REC_REPORTS, from, &keys, &n))
        return -1;
    msgpack_pack_array(ids, n);
    msgpack_object into_str = {.type = MSGPACK_OBJECT_STR};
    into_str.via.str.ptr = op_strdup(ctx, into);
    into_str.via.str.size = (uint32_t)into.n;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *key = keys + 8 * i;
        msgpack_object report;
        int rc = store_get(ctx->store, ctx->txn, DB_REPORTS, key, 8, ctx->zone, &report);
        if (rc)
            return op_store_error(ctx, rc, "reading a report to move");
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        record_pack_edit(&pk, &report, "rec", &into_str);
        rc = store_put(ctx->store, ctx->txn, DB_REPORTS, key, 8, buf.data, buf.size);
        msgpack_sbuffer_destroy(&buf);
        if (rc)
            return op_store_error(ctx, rc, "moving a report");
        if (s_index_move(ctx, DB_REC_REPORTS, from, into, key))
            return -1;
        msgpack_pack_uint64(ids, nmirf_be64_decode(key));
    }
    return (int64_t)n;
}

/* Sets rec's implementation status to that of its latest validated
   report (the greatest `decided`, then the greatest id: the order stats
   counts validations in), or removes it when none is validated. The
   status found is packed into pk, nil if none. Returns 0 or -1. */
static int
s_recompute_status(op_ctx_t *ctx, strv_t rec, msgpack_packer *pk)
{
    uint8_t *keys;
    size_t n;
    if (s_index_keys(ctx, DB_REC_REPORTS, rec, &keys, &n))
        return -1;
    strv_t best = {NULL, 0};
    uint64_t best_decided = 0, best_id = 0;
    for (size_t i = 0; i < n; i++) {
        msgpack_object r;
        int rc =
            store_get(ctx->store, ctx->txn, DB_REPORTS, keys + 8 * i, 8, ctx->zone, &r);
        if (rc)
            return op_store_error(ctx, rc, "reading a report");
        strv_t state = record_field(&r, "state");
        const msgpack_object *d = nmirf_mp_get(&r, "decided");
        if (state.n != 9 || memcmp(state.p, "validated", 9) != 0 || !d ||
            d->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            continue;
        uint64_t id = nmirf_be64_decode(keys + 8 * i);
        if (!best.p || d->via.u64 > best_decided ||
            (d->via.u64 == best_decided && id > best_id)) {
            best = record_field(&r, "status");
            best_decided = d->via.u64;
            best_id = id;
        }
    }
    int rc;
    if (best.p) {
        rc = store_put(ctx->store, ctx->txn, DB_STATUS, rec.p, rec.n, best.p, best.n);
        nmirf_mp_pack_strn(pk, best.p, best.n);
    } else {
        rc = store_del(ctx->store, ctx->txn, DB_STATUS, rec.p, rec.n);
        if (rc == MDB_NOTFOUND)
            rc = 0;
        msgpack_pack_nil(pk);
    }
    return rc ? op_store_error(ctx, rc, "setting a status") : 0;
}

/* True if the str object o is the n bytes at p. */
static bool
s_str_is(const msgpack_object *o, strv_t s)
{
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == s.n &&
           memcmp(o->via.str.ptr, s.p, s.n) == 0;
}

/* True if entity id is enrolled, active and a ministry: who may join an
   assignment (rec.assign's rule). */
static bool
s_active_ministry(op_ctx_t *ctx, strv_t id)
{
    msgpack_object ent;
    if (store_get(ctx->store, ctx->txn, DB_ENTITIES, id.p, id.n, ctx->zone, &ent))
        return false;
    strv_t role = record_field(&ent, "role"), state = record_field(&ent, "state");
    return role.n == 8 && memcmp(role.p, "ministry", 8) == 0 && state.n == 6 &&
           memcmp(state.p, "active", 6) == 0;
}

/* INTO's assignment after the merge, packed into out (left empty when it
   does not change): FROM's, renamed, when INTO has none; else INTO's with
   FROM's lead and contributors added to its contributors (active
   ministries only, none twice, not INTO's lead), so that those who
   reported on FROM go on reporting on INTO. *moved tells if FROM's moved
   whole. Returns 0 or -1. */
static int
s_merge_assignment(op_ctx_t *ctx, strv_t into, const msgpack_object *from_asg,
                   const msgpack_object *into_asg, msgpack_sbuffer *out, bool *moved)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    *moved = false;
    if (!from_asg)
        return 0;
    if (!into_asg) {
        msgpack_object s = {.type = MSGPACK_OBJECT_STR};
        s.via.str.ptr = op_strdup(ctx, into);
        s.via.str.size = (uint32_t)into.n;
        record_pack_edit(&pk, from_asg, "rec", &s);
        *moved = true;
        return 0;
    }
    const msgpack_object *lead = nmirf_mp_get(into_asg, "lead");
    const msgpack_object *cs = nmirf_mp_get(into_asg, "contributors");
    uint32_t had = cs && cs->type == MSGPACK_OBJECT_ARRAY ? cs->via.array.size : 0;
    const char *add[NMIRF_LIST_MAX + 1];
    size_t nadd = 0;
    const char *cand[NMIRF_LIST_MAX + 1];
    size_t ncand = 0;
    record_assignees(ctx, from_asg, cand, &ncand, NMIRF_LIST_MAX + 1);
    for (size_t i = 0; i < ncand; i++) {
        strv_t c = {cand[i], strlen(cand[i])};
        bool present = s_str_is(lead, c);
        for (uint32_t j = 0; j < had && !present; j++)
            present = s_str_is(&cs->via.array.ptr[j], c);
        if (!present && s_active_ministry(ctx, c))
            add[nadd++] = cand[i];
    }
    if (nadd == 0)
        return 0;
    if (had + nadd > NMIRF_LIST_MAX)
        return op_refuse(ctx, NMIRF_E_CONFLICT,
                         "'%.*s' would have %zu contributors, over %d: reassign it first",
                         (int)into.n, into.p, had + nadd, NMIRF_LIST_MAX);
    msgpack_sbuffer list;
    msgpack_sbuffer_init(&list);
    msgpack_packer lpk;
    msgpack_packer_init(&lpk, &list, msgpack_sbuffer_write);
    msgpack_pack_array(&lpk, had + nadd);
    for (uint32_t j = 0; j < had; j++)
        msgpack_pack_object(&lpk, cs->via.array.ptr[j]);
    for (size_t i = 0; i < nadd; i++)
        nmirf_mp_pack_str(&lpk, add[i]);
    msgpack_object lobj;
    int rc = record_unpack(ctx, list.data, list.size, &lobj);
    msgpack_sbuffer_destroy(&list);
    if (rc)
        return -1;
    record_pack_edit(&pk, into_asg, "contributors", &lobj);
    return 0;
}

/* A measure relinked by a merge, to emit after rec.merged. */
typedef struct {
    uint64_t id;         /* measure id */
    const void *data;    /* its new record (zone) */
    size_t len;          /* its size */
    msgpack_object recs; /* its new recs (zone) */
} s_relinked_t;

/* Links every measure linking FROM to INTO instead (once), with `updated`
   now. Fills *out with *count relinked measures. Returns 0 or -1. */
static int
s_relink_measures(op_ctx_t *ctx, strv_t from, strv_t into, s_relinked_t **out,
                  size_t *count)
{
    uint8_t *keys;
    size_t n;
    if (s_index_keys(ctx, DB_REC_MEASURES, from, &keys, &n))
        return -1;
    *out = n ? msgpack_zone_malloc(ctx->zone, n * sizeof **out) : NULL;
    *count = 0;
    if (n && !*out)
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const uint8_t *key = keys + 8 * i;
        msgpack_object m;
        int rc = store_get(ctx->store, ctx->txn, DB_MEASURES, key, 8, ctx->zone, &m);
        if (rc)
            return op_store_error(ctx, rc, "reading a measure to relink");
        const msgpack_object *recs = nmirf_mp_get(&m, "recs");
        if (!recs || recs->type != MSGPACK_OBJECT_ARRAY)
            return op_refuse(ctx, NMIRF_E_INTERNAL, "measure without recs");
        bool has_into = false;
        for (uint32_t j = 0; j < recs->via.array.size; j++)
            has_into = has_into || s_str_is(&recs->via.array.ptr[j], into);
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        uint32_t left = 0;
        for (uint32_t j = 0; j < recs->via.array.size; j++)
            left += !(has_into && s_str_is(&recs->via.array.ptr[j], from));
        msgpack_pack_array(&pk, left);
        for (uint32_t j = 0; j < recs->via.array.size; j++) {
            const msgpack_object *r = &recs->via.array.ptr[j];
            if (s_str_is(r, from)) {
                if (!has_into)
                    nmirf_mp_pack_strn(&pk, into.p, into.n);
            } else
                msgpack_pack_object(&pk, *r);
        }
        s_relinked_t *rl = &(*out)[*count];
        rc = record_unpack(ctx, buf.data, buf.size, &rl->recs);
        msgpack_sbuffer_clear(&buf);
        if (rc) {
            msgpack_sbuffer_destroy(&buf);
            return -1;
        }
        /* Two edits: recs, then updated. */
        msgpack_object tmp, upd = record_uint(ctx->now);
        record_pack_edit(&pk, &m, "recs", &rl->recs);
        rc = record_unpack(ctx, buf.data, buf.size, &tmp);
        msgpack_sbuffer_clear(&buf);
        if (!rc)
            record_pack_edit(&pk, &tmp, "updated", &upd);
        void *copy = rc ? NULL : msgpack_zone_malloc(ctx->zone, buf.size);
        if (copy)
            memcpy(copy, buf.data, buf.size);
        size_t len = buf.size;
        msgpack_sbuffer_destroy(&buf);
        if (rc || !copy)
            return rc ? -1 : op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
        rc = store_put(ctx->store, ctx->txn, DB_MEASURES, key, 8, copy, len);
        if (rc)
            return op_store_error(ctx, rc, "relinking a measure");
        if (s_index_move(ctx, DB_REC_MEASURES, from, into, key))
            return -1;
        rl->id = nmirf_be64_decode(key);
        rl->data = copy;
        rl->len = len;
        (*count)++;
    }
    return 0;
}

/* Emits measure.updated for a relinked measure: the leads and
   contributors of its recommendations now, and those the merge named. */
static int
s_emit_relinked(op_ctx_t *ctx, const s_relinked_t *rl, const char **who, size_t nwho)
{
    const char **all = msgpack_zone_malloc(ctx->zone, WHO_MAX * sizeof *all);
    if (!all)
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < nwho; i++)
        record_add_unique(all, &n, WHO_MAX, who[i]);
    for (uint32_t i = 0; i < rl->recs.via.array.size; i++) {
        const msgpack_object *r = &rl->recs.via.array.ptr[i];
        msgpack_object asg;
        if (r->type == MSGPACK_OBJECT_STR &&
            store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, r->via.str.ptr,
                      r->via.str.size, ctx->zone, &asg) == 0)
            record_assignees(ctx, &asg, all, &n, WHO_MAX);
    }
    char subject[24];
    snprintf(subject, sizeof subject, "%llu", (unsigned long long)rl->id);
    return op_emit(ctx, "measure.updated", subject, all, n, rl->data, rl->len);
}

int
op_rec_merge(op_ctx_t *ctx)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body, &nmirf_fields_rec_merge, "body"))
        return -1;
    strv_t from = body_sv(body, "from"), into = body_sv(body, "into"),
           reason = body_sv(body, "reason");
    /* A body fault: checked before the author's role (PROTOCOL.md 3). */
    if (from.n == into.n && memcmp(from.p, into.p, from.n) == 0)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "a recommendation cannot be merged into itself");
    if (op_need_coordinator(ctx))
        return -1;
    msgpack_object from_rec, into_rec, from_asg, into_asg;
    if (s_load_live(ctx, from, &from_rec) || s_load_live(ctx, into, &into_rec))
        return -1;
    int has_from = s_load_assignment(ctx, from, &from_asg);
    int has_into = has_from < 0 ? -1 : s_load_assignment(ctx, into, &into_asg);
    if (has_from < 0 || has_into < 0)
        return -1;
    char dflt[NMIRF_REC_ID_MAX + 16];
    if (!reason.p) {
        snprintf(dflt, sizeof dflt, "merged into %.*s", (int)into.n, into.p);
        reason = (strv_t){op_strdup(ctx, (strv_t){dflt, strlen(dflt)}), strlen(dflt)};
    }

    /* Who hears: the people of both assignments, as they were. */
    const char *who[2 * (NMIRF_LIST_MAX + 1)];
    size_t nwho = 0;
    if (has_from)
        record_assignees(ctx, &from_asg, who, &nwho, 2 * (NMIRF_LIST_MAX + 1));
    if (has_into)
        record_assignees(ctx, &into_asg, who, &nwho, 2 * (NMIRF_LIST_MAX + 1));

    msgpack_sbuffer asg, ids, status, from_new, data;
    msgpack_sbuffer_init(&asg);
    msgpack_sbuffer_init(&ids);
    msgpack_sbuffer_init(&status);
    msgpack_sbuffer_init(&from_new);
    msgpack_sbuffer_init(&data);
    msgpack_packer ipk, spk, pk;
    msgpack_packer_init(&ipk, &ids, msgpack_sbuffer_write);
    msgpack_packer_init(&spk, &status, msgpack_sbuffer_write);
    s_relinked_t *relinked = NULL;
    size_t nrelinked = 0;
    bool moved_asg = false;
    int result = 0, rc;
    /* Both recommendations' figures move: FROM's leave, INTO's change. */
    agg_view_t from_before, into_before;
    if (op_agg_before(ctx, from, &from_before) || op_agg_before(ctx, into, &into_before))
        result = -1;
    int64_t nreports = result ? -1 : s_move_reports(ctx, from, into, &ipk);
    if (nreports < 0)
        result = -1;
    if (!result)
        result = s_relink_measures(ctx, from, into, &relinked, &nrelinked);
    if (!result)
        result = s_merge_assignment(ctx, into, has_from ? &from_asg : NULL,
                                    has_into ? &into_asg : NULL, &asg, &moved_asg);
    if (!result && asg.size &&
        (rc = store_put(ctx->store, ctx->txn, DB_ASSIGNMENTS, into.p, into.n, asg.data,
                        asg.size)))
        result = op_store_error(ctx, rc, "writing an assignment");
    if (!result && has_from) {
        rc = store_del(ctx->store, ctx->txn, DB_ASSIGNMENTS, from.p, from.n);
        if (rc)
            result = op_store_error(ctx, rc, "removing an assignment");
    }
    /* FROM has no report left: no status; INTO's comes from the union. */
    if (!result) {
        rc = store_del(ctx->store, ctx->txn, DB_STATUS, from.p, from.n);
        if (rc && rc != MDB_NOTFOUND)
            result = op_store_error(ctx, rc, "removing a status");
    }
    if (!result)
        result = s_recompute_status(ctx, into, &spk);
    if (!result)
        result = s_pack_withdrawn(ctx, &from_rec, reason, into, &from_new);
    if (!result && (rc = store_put(ctx->store, ctx->txn, DB_RECS, from.p, from.n,
                                   from_new.data, from_new.size)))
        result = op_store_error(ctx, rc, "withdrawing a recommendation");
    if (!result)
        result = op_agg_after(ctx, from, &from_before);
    if (!result)
        result = op_agg_after(ctx, into, &into_before);

    /* {rec, into, moved, assignment, reports, status} (PROTOCOL.md 7). */
    msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    nmirf_mp_pack_str(&pk, "rec");
    msgpack_sbuffer_write(&data, from_new.data, from_new.size);
    nmirf_mp_pack_str(&pk, "into");
    msgpack_pack_object(&pk, into_rec);
    size_t moved_at = data.size;
    nmirf_mp_pack_str(&pk, "moved");
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_uint(&pk, "reports", nreports < 0 ? 0 : (uint64_t)nreports);
    nmirf_mp_pack_kv_uint(&pk, "measures", nrelinked);
    nmirf_mp_pack_str(&pk, "assignment");
    if (moved_asg)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    size_t moved_end = data.size;
    nmirf_mp_pack_str(&pk, "assignment");
    if (asg.size)
        msgpack_sbuffer_write(&data, asg.data, asg.size);
    else
        msgpack_pack_nil(&pk);
    nmirf_mp_pack_str(&pk, "reports");
    msgpack_sbuffer_write(&data, ids.data, ids.size);
    nmirf_mp_pack_str(&pk, "status");
    msgpack_sbuffer_write(&data, status.data, status.size);

    if (!result)
        result = op_emit(ctx, "rec.merged", op_strdup(ctx, from), who, nwho, data.data,
                         data.size);
    for (size_t i = 0; !result && i < nrelinked; i++)
        result = s_emit_relinked(ctx, &relinked[i], who, nwho);
    if (!result) {
        msgpack_pack_map(&ctx->pk, 2);
        nmirf_mp_pack_str(&ctx->pk, "rec");
        msgpack_pack_object(&ctx->pk, into_rec);
        msgpack_sbuffer_write(ctx->reply, data.data + moved_at, moved_end - moved_at);
        log_info("merged recommendation %.*s into %.*s: %lld reports, %zu measures "
                 "(by %s)",
                 (int)from.n, from.p, (int)into.n, into.p, (long long)nreports, nrelinked,
                 ctx->env->author);
    }
    msgpack_sbuffer_destroy(&asg);
    msgpack_sbuffer_destroy(&ids);
    msgpack_sbuffer_destroy(&status);
    msgpack_sbuffer_destroy(&from_new);
    msgpack_sbuffer_destroy(&data);
    return result;
}
