/*  ops_rec - import, assign, list and show recommendations (withdraw and
    merge: ops_repair.c). */
#include "body.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "ops.h"
#include "records.h"
#include "stats_agg.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>

/* Packs a language map in the canonical order fr, ar, en. */
static void
s_pack_langs(msgpack_packer *pk, const msgpack_object *langs)
{
    const char *const *order = nmirf_langs.names;
    uint32_t n = 0;
    for (int i = 0; i < nmirf_langs.count; i++)
        n += nmirf_mp_get(langs, order[i]) != NULL;
    msgpack_pack_map(pk, n);
    for (int i = 0; i < nmirf_langs.count; i++) {
        const msgpack_object *v = nmirf_mp_get(langs, order[i]);
        if (v) {
            nmirf_mp_pack_str(pk, order[i]);
            msgpack_pack_object(pk, *v);
        }
    }
}

/* The stored fields of a recommendation, in canonical order, and their
   checks: the schema's table, which `nmirf rec import` checks files
   against too (common/records/nmirf_rec.c), so the two cannot disagree. */
static const nmirf_fields_t *const s_rec = &nmirf_fields_recommendation;

/* Checks one imported recommendation. */
static int
s_check_rec(op_ctx_t *ctx, const msgpack_object *rec, strv_t *id)
{
    if (body_fields(ctx, rec, s_rec, "recommendation"))
        return -1;
    *id = body_sv(rec, "id");
    return 0;
}

/* True if the field should be stored: present, not nil, not an empty list. */
static bool
s_keep(const msgpack_object *v)
{
    return v && v->type != MSGPACK_OBJECT_NIL &&
           !(v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 0);
}

/* Packs a checked recommendation canonically; with updated > 0 the
   `updated` time is added (the stored form), without it the result is the
   content that decides whether an import changed anything. */
static void
s_pack_rec(msgpack_packer *pk, const msgpack_object *rec, uint64_t updated)
{
    uint32_t n = 0;
    for (int i = 0; i < s_rec->count; i++) {
        const char *name = s_rec->fields[i].key;
        n += s_keep(nmirf_mp_get(rec, name)) || strcmp(name, "text") == 0 ||
             strcmp(name, "response") == 0;
    }
    msgpack_pack_map(pk, n + (updated ? 1 : 0));
    for (int i = 0; i < s_rec->count; i++) {
        const char *name = s_rec->fields[i].key;
        const msgpack_object *v = nmirf_mp_get(rec, name);
        if (strcmp(name, "text") == 0) {
            nmirf_mp_pack_str(pk, name);
            if (s_keep(v))
                s_pack_langs(pk, v);
            else
                msgpack_pack_map(pk, 0);
        } else if (strcmp(name, "response") == 0) {
            nmirf_mp_pack_str(pk, name);
            if (s_keep(v))
                msgpack_pack_object(pk, *v);
            else {
                /* Only the UPR asks the State for an answer: pending until
                   it gives one. Treaty bodies and special procedures ask
                   for none (PROTOCOL.md section 6). */
                strv_t mech = record_field(rec, "mechanism");
                bool upr = mech.n == 3 && memcmp(mech.p, "UPR", 3) == 0;
                nmirf_mp_pack_str(pk, upr ? "pending" : "not_applicable");
            }
        } else if (s_keep(v)) {
            nmirf_mp_pack_str(pk, name);
            msgpack_pack_object(pk, *v);
        }
    }
    if (updated)
        nmirf_mp_pack_kv_uint(pk, "updated", updated);
}

/* Imports one checked recommendation: 0 unchanged, 1 added, 2 updated,
   -1 refused. */
static int
s_import_one(op_ctx_t *ctx, const msgpack_object *rec, strv_t id)
{
    msgpack_sbuffer content, stored;
    msgpack_sbuffer_init(&content);
    msgpack_sbuffer_init(&stored);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &content, msgpack_sbuffer_write);
    s_pack_rec(&pk, rec, 0);

    int result = 1;
    msgpack_object old;
    int rc = store_get(ctx->store, ctx->txn, DB_RECS, id.p, id.n, ctx->zone, &old);
    const msgpack_object *withdrawn = NULL;
    if (rc == 0) {
        /* A withdrawn recommendation stays withdrawn: its content is
           compared without the withdrawal, and kept with a new one
           (rec.restore does not exist; PROTOCOL.md section 6). */
        msgpack_object nil = {.type = MSGPACK_OBJECT_NIL}, bare = old;
        withdrawn = nmirf_mp_get(&old, "withdrawn");
        if (withdrawn) {
            msgpack_packer_init(&pk, &stored, msgpack_sbuffer_write);
            record_pack_edit(&pk, &old, "withdrawn", &nil);
            if (record_unpack(ctx, stored.data, stored.size, &bare)) {
                msgpack_sbuffer_destroy(&content);
                msgpack_sbuffer_destroy(&stored);
                return -1;
            }
            msgpack_sbuffer_clear(&stored);
        }
        msgpack_packer_init(&pk, &stored, msgpack_sbuffer_write);
        record_pack_edit(&pk, &bare, "updated", &nil);
        result = stored.size == content.size &&
                         memcmp(stored.data, content.data, content.size) == 0
                     ? 0
                     : 2;
    } else if (rc != MDB_NOTFOUND)
        result = op_store_error(ctx, rc, "reading a recommendation");

    if (result > 0) {
        msgpack_sbuffer_clear(&stored);
        msgpack_packer_init(&pk, &stored, msgpack_sbuffer_write);
        s_pack_rec(&pk, rec, ctx->now);
        msgpack_object fresh;
        if (withdrawn && record_unpack(ctx, stored.data, stored.size, &fresh)) {
            msgpack_sbuffer_destroy(&content);
            msgpack_sbuffer_destroy(&stored);
            return -1;
        }
        if (withdrawn) {
            msgpack_sbuffer_clear(&stored);
            msgpack_packer_init(&pk, &stored, msgpack_sbuffer_write);
            record_pack_edit(&pk, &fresh, "withdrawn", withdrawn);
        }
        const char *rid = op_strdup(ctx, id);
        const char *who[NMIRF_LIST_MAX + 1];
        size_t nwho = 0;
        msgpack_object asg;
        if (store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, id.p, id.n, ctx->zone,
                      &asg) == 0)
            record_assignees(ctx, &asg, who, &nwho, NMIRF_LIST_MAX + 1);
        agg_view_t before;
        if (op_agg_before(ctx, id, &before))
            result = -1;
        else if ((rc = store_put(ctx->store, ctx->txn, DB_RECS, id.p, id.n, stored.data,
                                 stored.size)))
            result = op_store_error(ctx, rc, "writing a recommendation");
        else if (op_agg_after(ctx, id, &before))
            result = -1;
        else if (op_emit(ctx, result == 1 ? "rec.added" : "rec.updated", rid, who, nwho,
                         stored.data, stored.size))
            result = -1;
    }
    msgpack_sbuffer_destroy(&content);
    msgpack_sbuffer_destroy(&stored);
    return result;
}

int
op_rec_import(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"recs", NULL};
    const msgpack_object *body = &ctx->env->body;
    if (body_only(ctx, body, allowed, "body"))
        return -1;
    const msgpack_object *recs = nmirf_mp_get(body, "recs");
    if (!recs || recs->type != MSGPACK_OBJECT_ARRAY)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field 'recs' must be a list");
    if (recs->via.array.size > NMIRF_IMPORT_MAX)
        return op_refuse(ctx, NMIRF_E_TOO_LARGE,
                         "%u recommendations in one import, over %d; split the file",
                         recs->via.array.size, NMIRF_IMPORT_MAX);
    /* Check every recommendation before writing any: all or nothing. An id
       twice in one import is a mistake in the file, not an update. */
    zhashx_t *seen = zhashx_new();
    for (uint32_t i = 0; i < recs->via.array.size; i++) {
        strv_t id;
        int bad = s_check_rec(ctx, &recs->via.array.ptr[i], &id);
        if (!bad && zhashx_insert(seen, op_strdup(ctx, id), (void *)1) != 0)
            bad = op_refuse(ctx, NMIRF_E_BAD_REQUEST, "id '%.*s' appears twice",
                            (int)id.n, id.p);
        if (bad) {
            zhashx_destroy(&seen);
            /* Prefix the reason with which recommendation it is. */
            char head[32];
            size_t h = (size_t)snprintf(head, sizeof head, "recommendation %u: ", i + 1);
            memmove(ctx->why + h, ctx->why, sizeof ctx->why - h - 1);
            memcpy(ctx->why, head, h);
            ctx->why[sizeof ctx->why - 1] = 0;
            return -1;
        }
    }
    zhashx_destroy(&seen);
    if (op_need_coordinator(ctx))
        return -1;
    uint64_t counts[3] = {0, 0, 0}; /* unchanged, added, updated */
    for (uint32_t i = 0; i < recs->via.array.size; i++) {
        const msgpack_object *rec = &recs->via.array.ptr[i];
        strv_t id = record_field(rec, "id");
        int r = s_import_one(ctx, rec, id);
        if (r < 0)
            return -1;
        counts[r]++;
    }
    msgpack_pack_map(&ctx->pk, 3);
    nmirf_mp_pack_kv_uint(&ctx->pk, "added", counts[1]);
    nmirf_mp_pack_kv_uint(&ctx->pk, "updated", counts[2]);
    nmirf_mp_pack_kv_uint(&ctx->pk, "unchanged", counts[0]);
    return 0;
}

/* Refuses unless id names an active ministry. */
static int
s_check_ministry(op_ctx_t *ctx, strv_t id)
{
    msgpack_object ent;
    if (op_load(ctx, DB_ENTITIES, id, "entity", &ent))
        return -1;
    strv_t role = record_field(&ent, "role"), state = record_field(&ent, "state");
    if (role.n != 8 || memcmp(role.p, "ministry", 8) != 0)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "'%.*s' has role %.*s, not ministry",
                         (int)id.n, id.p, (int)role.n, role.p);
    if (state.n != 6 || memcmp(state.p, "active", 6) != 0)
        return op_refuse(ctx, NMIRF_E_CONFLICT, "'%.*s' is %.*s", (int)id.n, id.p,
                         (int)state.n, state.p);
    return 0;
}

int
op_rec_assign(op_ctx_t *ctx)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body, &nmirf_fields_rec_assign, "body"))
        return -1;
    strv_t rec = body_sv(body, "rec"), lead = body_sv(body, "lead"),
           deadline = body_sv(body, "deadline"), note = body_sv(body, "note");
    const msgpack_object *contributors = body_get(body, "contributors");
    uint32_t nc = contributors ? contributors->via.array.size : 0;
    for (uint32_t i = 0; i < nc; i++) {
        const msgpack_object *c = &contributors->via.array.ptr[i];
        strv_t cid = {c->via.str.ptr, c->via.str.size};
        if (!nmirf_entity_id_valid(cid.p, cid.n))
            return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                             "contributor '%.*s' is not an entity id", (int)cid.n, cid.p);
        if (cid.n == lead.n && memcmp(cid.p, lead.p, lead.n) == 0)
            return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                             "'%.*s' cannot be both lead and contributor", (int)cid.n,
                             cid.p);
        for (uint32_t j = 0; j < i; j++)
            if (nmirf_mp_str_is(&contributors->via.array.ptr[j], op_strdup(ctx, cid)))
                return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                                 "contributor '%.*s' is repeated", (int)cid.n, cid.p);
    }
    if (op_need_coordinator(ctx))
        return -1;
    msgpack_object recobj, previous;
    if (op_load(ctx, DB_RECS, rec, "recommendation", &recobj))
        return -1;
    if (record_withdrawn(&recobj))
        return op_refuse(ctx, NMIRF_E_CONFLICT,
                         "recommendation '%.*s' was withdrawn: it takes no assignment",
                         (int)rec.n, rec.p);
    if (s_check_ministry(ctx, lead))
        return -1;
    for (uint32_t i = 0; i < nc; i++) {
        const msgpack_object *c = &contributors->via.array.ptr[i];
        strv_t cid = {c->via.str.ptr, c->via.str.size};
        if (s_check_ministry(ctx, cid))
            return -1;
    }
    int rc = store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, rec.p, rec.n, ctx->zone,
                       &previous);
    if (rc && rc != MDB_NOTFOUND)
        return op_store_error(ctx, rc, "reading an assignment");
    bool had = rc == 0;

    /* The stored assignment, then the event data: it plus `previous`. */
    msgpack_sbuffer asg, data;
    msgpack_sbuffer_init(&asg);
    msgpack_sbuffer_init(&data);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &asg, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4 + (deadline.p ? 1 : 0) + (note.p ? 1 : 0));
    nmirf_mp_pack_str(&pk, "rec");
    nmirf_mp_pack_strn(&pk, rec.p, rec.n);
    nmirf_mp_pack_str(&pk, "lead");
    nmirf_mp_pack_strn(&pk, lead.p, lead.n);
    nmirf_mp_pack_str(&pk, "contributors");
    msgpack_pack_array(&pk, nc);
    for (uint32_t i = 0; i < nc; i++)
        msgpack_pack_object(&pk, contributors->via.array.ptr[i]);
    if (deadline.p) {
        nmirf_mp_pack_str(&pk, "deadline");
        nmirf_mp_pack_strn(&pk, deadline.p, deadline.n);
    }
    if (note.p) {
        nmirf_mp_pack_str(&pk, "note");
        nmirf_mp_pack_strn(&pk, note.p, note.n);
    }
    nmirf_mp_pack_kv_uint(&pk, "assigned", ctx->now);

    msgpack_object stored;
    nmirf_mp_unpack((const uint8_t *)asg.data, asg.size, ctx->zone, &stored, NULL, 0);
    msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
    msgpack_object prev_obj = {.type = MSGPACK_OBJECT_NIL};
    msgpack_pack_map(&pk, stored.via.map.size + 1);
    for (uint32_t i = 0; i < stored.via.map.size; i++) {
        msgpack_pack_object(&pk, stored.via.map.ptr[i].key);
        msgpack_pack_object(&pk, stored.via.map.ptr[i].val);
    }
    nmirf_mp_pack_str(&pk, "previous");
    msgpack_pack_object(&pk, had ? previous : prev_obj);

    const char *who[2 * (NMIRF_LIST_MAX + 1)];
    size_t nwho = 0;
    record_assignees(ctx, &stored, who, &nwho, 2 * (NMIRF_LIST_MAX + 1));
    if (had)
        record_assignees(ctx, &previous, who, &nwho, 2 * (NMIRF_LIST_MAX + 1));
    int result;
    agg_view_t before;
    if (op_agg_before(ctx, rec, &before))
        result = -1;
    else if ((rc = store_put(ctx->store, ctx->txn, DB_ASSIGNMENTS, rec.p, rec.n, asg.data,
                             asg.size)))
        result = op_store_error(ctx, rc, "writing an assignment");
    else if (op_agg_after(ctx, rec, &before))
        result = -1;
    else
        result = op_emit(ctx, "assignment.set", op_strdup(ctx, rec), who, nwho, data.data,
                         data.size);
    if (!result) {
        msgpack_pack_map(&ctx->pk, 1);
        nmirf_mp_pack_str(&ctx->pk, "assignment");
        msgpack_sbuffer_write(ctx->reply, asg.data, asg.size);
    }
    msgpack_sbuffer_destroy(&asg);
    msgpack_sbuffer_destroy(&data);
    return result;
}

/* The implementation status of a recommendation (its latest validated
   report's status), as a strv; not_started if none. */
strv_t
ops_rec_status(op_ctx_t *ctx, strv_t rec)
{
    MDB_val k = {rec.n, (void *)rec.p}, v;
    strv_t s = {"not_started", 11};
    if (mdb_get(ctx->txn, store_dbi(ctx->store, DB_STATUS), &k, &v) == 0) {
        s.p = op_strdup(ctx, (strv_t){v.mv_data, v.mv_size});
        s.n = v.mv_size;
    }
    return s;
}

/* True if any language of the recommendation's text contains needle. */
static bool
s_text_has(const msgpack_object *rec, strv_t needle)
{
    const msgpack_object *text = nmirf_mp_get(rec, "text");
    if (!text || text->type != MSGPACK_OBJECT_MAP)
        return false;
    for (uint32_t i = 0; i < text->via.map.size; i++) {
        const msgpack_object *v = &text->via.map.ptr[i].val;
        if (v->type == MSGPACK_OBJECT_STR &&
            memmem(v->via.str.ptr, v->via.str.size, needle.p, needle.n))
            return true;
    }
    return false;
}

/* Packs a one-line summary of a recommendation: `text` its first present
   of en, fr, ar (what clients before `texts` show), `texts` the record's
   whole {fr?, ar?, en?} map, so that a client shows its reader's language
   without asking rec.show for each row (absent if the record has none). */
static void
s_pack_summary(msgpack_packer *pk, const msgpack_object *rec, const msgpack_object *asg,
               strv_t status)
{
    static const char *const copied[] = {"id", "mechanism", "symbol", "paragraph"};
    const msgpack_object *text = nmirf_mp_get(rec, "text");
    const msgpack_object *first = NULL;
    static const char *const langs[] = {"en", "fr", "ar"};
    for (int i = 0; i < 3 && !first; i++)
        first = nmirf_mp_get(text, langs[i]);
    const msgpack_object *lead = asg ? nmirf_mp_get(asg, "lead") : NULL;
    const msgpack_object *deadline = asg ? nmirf_mp_get(asg, "deadline") : NULL;
    bool withdrawn = record_withdrawn(rec);
    bool has_texts = text && text->type == MSGPACK_OBJECT_MAP;
    uint32_t n = 2 + (lead ? 1 : 0) + (deadline ? 1 : 0) + (withdrawn ? 1 : 0) +
                 (has_texts ? 1 : 0);
    for (int i = 0; i < 4; i++)
        n += nmirf_mp_get(rec, copied[i]) != NULL;
    msgpack_pack_map(pk, n);
    for (int i = 0; i < 4; i++) {
        const msgpack_object *v = nmirf_mp_get(rec, copied[i]);
        if (v) {
            nmirf_mp_pack_str(pk, copied[i]);
            msgpack_pack_object(pk, *v);
        }
    }
    if (lead) {
        nmirf_mp_pack_str(pk, "lead");
        msgpack_pack_object(pk, *lead);
    }
    if (deadline) {
        nmirf_mp_pack_str(pk, "deadline");
        msgpack_pack_object(pk, *deadline);
    }
    nmirf_mp_pack_str(pk, "status");
    nmirf_mp_pack_strn(pk, status.p, status.n);
    nmirf_mp_pack_str(pk, "text");
    if (first)
        msgpack_pack_object(pk, *first);
    else
        nmirf_mp_pack_str(pk, "");
    if (has_texts) {
        nmirf_mp_pack_str(pk, "texts");
        msgpack_pack_object(pk, *text);
    }
    /* Only listed when asked (rec.list withdrawn: true). */
    if (withdrawn) {
        nmirf_mp_pack_str(pk, "withdrawn");
        msgpack_pack_true(pk);
    }
}

int
op_rec_list(op_ctx_t *ctx)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body, &nmirf_fields_rec_list, "body"))
        return -1;
    strv_t mech = body_sv(body, "mechanism"), entity = body_sv(body, "entity"),
           status = body_sv(body, "status"), text = body_sv(body, "text");
    const msgpack_object *l = body_get(body, "limit");
    uint64_t limit = l ? l->via.u64 : NMIRF_LIST_DEFAULT;
    if (limit > NMIRF_LIST_LIMIT_MAX)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "limit %llu is over %d",
                         (unsigned long long)limit, NMIRF_LIST_LIMIT_MAX);
    const msgpack_object *w = body_get(body, "withdrawn");
    bool with_withdrawn = w && w->via.boolean;

    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_RECS), &cur);
    if (rc)
        return op_store_error(ctx, rc, "listing recommendations");
    msgpack_sbuffer items;
    msgpack_sbuffer_init(&items);
    msgpack_packer ipk;
    msgpack_packer_init(&ipk, &items, msgpack_sbuffer_write);
    uint64_t total = 0, shown = 0;
    MDB_val k, v;
    msgpack_zone *zone = msgpack_zone_new(4096);
    const char *mech_s = op_strdup(ctx, mech);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(zone);
        msgpack_object rec, asg;
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &rec, NULL, 0) != NMIRF_OK)
            continue;
        if (!with_withdrawn && record_withdrawn(&rec))
            continue;
        if (mech_s && !nmirf_mp_str_is(nmirf_mp_get(&rec, "mechanism"), mech_s))
            continue;
        if (text.p && !s_text_has(&rec, text))
            continue;
        MDB_val ak = k, av;
        bool assigned =
            mdb_get(ctx->txn, store_dbi(ctx->store, DB_ASSIGNMENTS), &ak, &av) == 0 &&
            nmirf_mp_unpack(av.mv_data, av.mv_size, zone, &asg, NULL, 0) == NMIRF_OK;
        if (entity.p && !(assigned && record_assigned_to(&asg, entity)))
            continue;
        strv_t st = {"not_started", 11};
        MDB_val sk = k, sv;
        if (mdb_get(ctx->txn, store_dbi(ctx->store, DB_STATUS), &sk, &sv) == 0) {
            st.p = sv.mv_data;
            st.n = sv.mv_size;
        }
        if (status.p && !(st.n == status.n && memcmp(st.p, status.p, st.n) == 0))
            continue;
        total++;
        if (shown < limit) {
            s_pack_summary(&ipk, &rec, assigned ? &asg : NULL, st);
            shown++;
        }
    }
    msgpack_zone_free(zone);
    mdb_cursor_close(cur);
    msgpack_pack_map(&ctx->pk, 2);
    op_pack_items(ctx, "recs", shown, &items);
    nmirf_mp_pack_kv_uint(&ctx->pk, "total", total);
    return 0;
}

int
op_rec_show(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"id", NULL};
    const msgpack_object *body = &ctx->env->body;
    strv_t id;
    msgpack_object rec, asg;
    if (body_only(ctx, body, allowed, "body") ||
        body_rec_id(ctx, body, "id", true, &id) ||
        op_load(ctx, DB_RECS, id, "recommendation", &rec))
        return -1;
    int rc = store_get(ctx->store, ctx->txn, DB_ASSIGNMENTS, id.p, id.n, ctx->zone, &asg);
    if (rc && rc != MDB_NOTFOUND)
        return op_store_error(ctx, rc, "reading an assignment");
    strv_t status = ops_rec_status(ctx, id);
    msgpack_pack_map(&ctx->pk, rc == 0 ? 4 : 3);
    nmirf_mp_pack_str(&ctx->pk, "rec");
    msgpack_pack_object(&ctx->pk, rec);
    if (rc == 0) {
        nmirf_mp_pack_str(&ctx->pk, "assignment");
        msgpack_pack_object(&ctx->pk, asg);
    }
    nmirf_mp_pack_str(&ctx->pk, "status");
    nmirf_mp_pack_strn(&ctx->pk, status.p, status.n);
    nmirf_mp_pack_str(&ctx->pk, "reports");
    return ops_pack_rec_reports(ctx, id);
}
