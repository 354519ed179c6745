/*  ops_entity - enroll, revoke, rotate, update, list and show entities. */
#include "body.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "ops.h"
#include "records.h"

#include <string.h>

/* True if bin object o holds exactly the 32 bytes key. */
static bool
s_same_key(const msgpack_object *o, const uint8_t *key)
{
    return o && o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == 32 &&
           memcmp(o->via.bin.ptr, key, 32) == 0;
}

/* True if the key pair map m (an entity record, or one of its
   previous_keys) holds a or b as its sign_key or curve_key. */
static bool
s_pair_holds(const msgpack_object *m, const uint8_t *a, const uint8_t *b)
{
    const msgpack_object *sk = nmirf_mp_get(m, "sign_key");
    const msgpack_object *ck = nmirf_mp_get(m, "curve_key");
    return s_same_key(sk, a) || s_same_key(sk, b) || s_same_key(ck, a) ||
           s_same_key(ck, b);
}

/* One key, one entity: refuses (key_in_use) if an entity other than self
   (self.p NULL: none excepted) holds or held sign_key or curve_key, in
   any state, as a current or a retired key. A CURVE key held twice would
   make ZAP choose which entity a connection speaks for (the other one is
   then locked out: author_mismatch on every request), and a signing key
   held twice would make two authors of one signature. Both kinds are
   compared with both, which costs nothing and leaves no doubt. Reads the
   request's write transaction, so an enrolment earlier in the same batch
   counts. A scan: O(entities x keys), a few hundred records at most for
   one government, once per enrol or rotate (PERFORMANCE.md). Returns 0,
   or -1 with the refusal set. */
static int
s_keys_unused(op_ctx_t *ctx, strv_t self, const uint8_t *sign_key,
              const uint8_t *curve_key)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(ctx->txn, store_dbi(ctx->store, DB_ENTITIES), &cur);
    if (rc)
        return op_store_error(ctx, rc, "checking keys");
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    MDB_val k, v;
    int result = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !result;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (self.p && k.mv_size == self.n && memcmp(k.mv_data, self.p, self.n) == 0)
            continue;
        if (msgpack_unpack_next(&up, v.mv_data, v.mv_size, NULL) !=
            MSGPACK_UNPACK_SUCCESS)
            continue;
        bool held = s_pair_holds(&up.data, sign_key, curve_key);
        const msgpack_object *prev = nmirf_mp_get(&up.data, "previous_keys");
        if (prev && prev->type == MSGPACK_OBJECT_ARRAY)
            for (uint32_t i = 0; i < prev->via.array.size && !held; i++)
                held = s_pair_holds(&prev->via.array.ptr[i], sign_key, curve_key);
        if (held)
            result = op_refuse(ctx, NMIRF_E_KEY_IN_USE,
                               "a key given is held or was held by entity '%.*s'",
                               (int)k.mv_size, (const char *)k.mv_data);
    }
    msgpack_unpacked_destroy(&up);
    mdb_cursor_close(cur);
    return result;
}

/* Refuses (bad_request) a name of names (a map of language -> str, may
   be NULL) that is not one line: a name is printed in tables, logs and
   terminals, where a line break or an escape sequence would forge what
   follows it. */
static int
s_names_lines(op_ctx_t *ctx, const msgpack_object *names)
{
    for (uint32_t i = 0; names && i < names->via.map.size; i++) {
        const msgpack_object_kv *kv = &names->via.map.ptr[i];
        if (kv->val.type == MSGPACK_OBJECT_STR &&
            !nmirf_line_valid(kv->val.via.str.ptr, kv->val.via.str.size))
            return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                             "field 'names.%.*s' contains a control character",
                             (int)kv->key.via.str.size, kv->key.via.str.ptr);
    }
    return 0;
}

/* Writes entity record rec under id, emits event kind carrying it, and
   answers {entity: rec}: the common end of enroll, revoke and rotate.
   Returns 0, or -1 with the refusal set. */
static int
s_commit_entity(op_ctx_t *ctx, strv_t id, const msgpack_sbuffer *rec, const char *kind)
{
    const char *eid = op_strdup(ctx, id);
    int rc =
        store_put(ctx->store, ctx->txn, DB_ENTITIES, id.p, id.n, rec->data, rec->size);
    if (rc)
        return op_store_error(ctx, rc, kind);
    if (op_emit(ctx, kind, eid, &eid, 1, rec->data, rec->size))
        return -1;
    msgpack_pack_map(&ctx->pk, 1);
    nmirf_mp_pack_str(&ctx->pk, "entity");
    msgpack_sbuffer_write(ctx->reply, rec->data, rec->size);
    return 0;
}

int
op_entity_enroll(op_ctx_t *ctx)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body, &nmirf_fields_entity_enroll, "body"))
        return -1;
    strv_t id = body_sv(body, "id"), role = body_sv(body, "role");
    const msgpack_object *names = body_get(body, "names");
    const uint8_t *sign_key = (const uint8_t *)body_get(body, "sign_key")->via.bin.ptr;
    const uint8_t *curve_key = (const uint8_t *)body_get(body, "curve_key")->via.bin.ptr;
    if (s_names_lines(ctx, names) || op_need_coordinator(ctx))
        return -1;
    /* The broker's key files are DATADIR/keys/NMIRFD.*; an entity of that
       name would be confused with the broker in logs and key directories. */
    if (id.n == 6 && memcmp(id.p, "NMIRFD", 6) == 0)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "'NMIRFD' is the broker's own name");
    if (store_has(ctx->store, ctx->txn, DB_ENTITIES, id.p, id.n))
        return op_refuse(ctx, NMIRF_E_CONFLICT, "entity '%.*s' is already enrolled",
                         (int)id.n, id.p);
    strv_t nobody = {NULL, 0};
    if (s_keys_unused(ctx, nobody, sign_key, curve_key))
        return -1;

    msgpack_sbuffer rec;
    msgpack_sbuffer_init(&rec);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rec, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    nmirf_mp_pack_str(&pk, "id");
    nmirf_mp_pack_strn(&pk, id.p, id.n);
    nmirf_mp_pack_str(&pk, "role");
    nmirf_mp_pack_strn(&pk, role.p, role.n);
    nmirf_mp_pack_str(&pk, "names");
    if (names)
        msgpack_pack_object(&pk, *names);
    else
        msgpack_pack_map(&pk, 0);
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, sign_key, NMIRF_SIGN_PK_LEN);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve_key, 32);
    nmirf_mp_pack_kv_str(&pk, "state", "active");
    nmirf_mp_pack_kv_uint(&pk, "enrolled", ctx->now);

    int result = s_commit_entity(ctx, id, &rec, "entity.enrolled");
    if (!result)
        log_info("enrolled %.*s as %.*s (by %s)", (int)id.n, id.p, (int)role.n, role.p,
                 ctx->env->author);
    msgpack_sbuffer_destroy(&rec);
    return result;
}

int
op_entity_revoke(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"id", NULL};
    const msgpack_object *body = &ctx->env->body;
    strv_t id;
    if (body_only(ctx, body, allowed, "body") ||
        body_entity_id(ctx, body, "id", true, &id))
        return -1;
    if (op_need_coordinator(ctx))
        return -1;
    msgpack_object ent;
    if (op_load(ctx, DB_ENTITIES, id, "entity", &ent))
        return -1;
    strv_t state = record_field(&ent, "state");
    if (state.p && state.n == 7 && memcmp(state.p, "revoked", 7) == 0)
        return op_refuse(ctx, NMIRF_E_CONFLICT, "entity '%.*s' is already revoked",
                         (int)id.n, id.p);
    /* The author revoking itself would lock the coordinator out. */
    if (id.n == strlen(ctx->env->author) && memcmp(id.p, ctx->env->author, id.n) == 0)
        return op_refuse(ctx, NMIRF_E_CONFLICT, "an entity cannot revoke itself");

    msgpack_sbuffer rec;
    msgpack_sbuffer_init(&rec);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rec, msgpack_sbuffer_write);
    msgpack_object revoked = record_str("revoked");
    record_pack_edit(&pk, &ent, "state", &revoked);

    int result = s_commit_entity(ctx, id, &rec, "entity.revoked");
    if (!result)
        log_info("revoked %.*s (by %s)", (int)id.n, id.p, ctx->env->author);
    msgpack_sbuffer_destroy(&rec);
    return result;
}

/* Packs previous_keys: the nprev entries of prev, then the record's
   current pair, retired from event until on. */
static void
s_pack_previous_keys(msgpack_packer *pk, const msgpack_object *ent,
                     const msgpack_object *prev, uint32_t nprev, uint64_t until)
{
    msgpack_pack_array(pk, nprev + 1);
    for (uint32_t k = 0; k < nprev; k++)
        msgpack_pack_object(pk, prev->via.array.ptr[k]);
    msgpack_pack_map(pk, 3);
    nmirf_mp_pack_str(pk, "sign_key");
    msgpack_pack_object(pk, *nmirf_mp_get(ent, "sign_key"));
    nmirf_mp_pack_str(pk, "curve_key");
    msgpack_pack_object(pk, *nmirf_mp_get(ent, "curve_key"));
    nmirf_mp_pack_kv_uint(pk, "until_seq", until);
}

/* entity.rotate: new keys for an active entity, the old ones kept in
   previous_keys with the seq of the rotation, so that the requests they
   signed stay verifiable. Only the coordinator rotates in this version: a
   ministry that could replace its own key could also take over its
   identity with a stolen key, and the coordinator checks a new key's
   origin out of band, as at enrolment. */
int
op_entity_rotate(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"id", "sign_key", "curve_key", NULL};
    const msgpack_object *body = &ctx->env->body;
    strv_t id;
    const uint8_t *sign_key, *curve_key;
    if (body_only(ctx, body, allowed, "body") ||
        body_entity_id(ctx, body, "id", true, &id) ||
        body_bin(ctx, body, "sign_key", NMIRF_SIGN_PK_LEN, &sign_key) ||
        body_bin(ctx, body, "curve_key", 32, &curve_key))
        return -1;
    if (op_need_coordinator(ctx))
        return -1;
    msgpack_object ent;
    if (op_load(ctx, DB_ENTITIES, id, "entity", &ent))
        return -1;
    strv_t state = record_field(&ent, "state");
    if (!state.p || state.n != 6 || memcmp(state.p, "active", 6) != 0)
        return op_refuse(ctx, NMIRF_E_CONFLICT, "entity '%.*s' is not active", (int)id.n,
                         id.p);
    /* A key used before stays retired: taking it back would let whoever
       holds the old secret sign again. */
    const msgpack_object *prev = nmirf_mp_get(&ent, "previous_keys");
    bool reused = s_same_key(nmirf_mp_get(&ent, "sign_key"), sign_key);
    if (prev && prev->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < prev->via.array.size; i++)
            reused =
                reused ||
                s_same_key(nmirf_mp_get(&prev->via.array.ptr[i], "sign_key"), sign_key);
    if (reused)
        return op_refuse(ctx, NMIRF_E_CONFLICT,
                         "entity '%.*s' has used this signing key before", (int)id.n,
                         id.p);
    uint32_t nprev =
        prev && prev->type == MSGPACK_OBJECT_ARRAY ? prev->via.array.size : 0;
    if (nprev >= 256)
        return op_refuse(ctx, NMIRF_E_CONFLICT,
                         "entity '%.*s' has rotated its keys 256 times; enroll a new id",
                         (int)id.n, id.p);
    if (s_keys_unused(ctx, id, sign_key, curve_key))
        return -1;

    /* The rotation's own event is the first the old key no longer covers. */
    uint64_t until = store_seq(ctx->store, ctx->txn) + 1;
    msgpack_sbuffer rec;
    msgpack_sbuffer_init(&rec);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rec, msgpack_sbuffer_write);
    /* A copy of the record with the keys replaced and the old pair
       appended to previous_keys (made if absent). */
    msgpack_pack_map(&pk, ent.via.map.size + (prev ? 0 : 1));
    for (uint32_t i = 0; i < ent.via.map.size; i++) {
        const msgpack_object_kv *kv = &ent.via.map.ptr[i];
        msgpack_pack_object(&pk, kv->key);
        if (nmirf_mp_str_is(&kv->key, "sign_key"))
            nmirf_mp_pack_bin(&pk, sign_key, NMIRF_SIGN_PK_LEN);
        else if (nmirf_mp_str_is(&kv->key, "curve_key"))
            nmirf_mp_pack_bin(&pk, curve_key, 32);
        else if (nmirf_mp_str_is(&kv->key, "previous_keys"))
            s_pack_previous_keys(&pk, &ent, prev, nprev, until);
        else
            msgpack_pack_object(&pk, kv->val);
    }
    if (!prev) {
        nmirf_mp_pack_str(&pk, "previous_keys");
        s_pack_previous_keys(&pk, &ent, NULL, 0, until);
    }

    int result = s_commit_entity(ctx, id, &rec, "entity.rotated");
    if (!result)
        log_info("rotated the keys of %.*s (by %s)", (int)id.n, id.p, ctx->env->author);
    msgpack_sbuffer_destroy(&rec);
    return result;
}

int
op_entity_list(op_ctx_t *ctx)
{
    static const char *const allowed[] = {NULL};
    if (body_only(ctx, &ctx->env->body, allowed, "body"))
        return -1;
    msgpack_pack_map(&ctx->pk, 1);
    return op_pack_all(ctx, "entities", DB_ENTITIES, "listing entities");
}

int
op_entity_show(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"id", NULL};
    const msgpack_object *body = &ctx->env->body;
    strv_t id;
    msgpack_object ent;
    if (body_only(ctx, body, allowed, "body") ||
        body_entity_id(ctx, body, "id", true, &id) ||
        op_load(ctx, DB_ENTITIES, id, "entity", &ent))
        return -1;
    msgpack_pack_map(&ctx->pk, 1);
    nmirf_mp_pack_str(&ctx->pk, "entity");
    msgpack_pack_object(&ctx->pk, ent);
    return 0;
}

/* Packs the names map: each language of nmirf_langs in its order, the
   name given in names (may be NULL) or else the one old holds. */
static void
s_pack_names(msgpack_packer *pk, const msgpack_object *old, const msgpack_object *names)
{
    const msgpack_object *v[NMIRF_LANG_COUNT];
    uint32_t n = 0;
    for (int i = 0; i < NMIRF_LANG_COUNT; i++) {
        const char *lang = nmirf_langs.names[i];
        v[i] = names ? nmirf_mp_get(names, lang) : NULL;
        if (!v[i])
            v[i] = old ? nmirf_mp_get(old, lang) : NULL;
        n += v[i] != NULL;
    }
    msgpack_pack_map(pk, n);
    for (int i = 0; i < NMIRF_LANG_COUNT; i++)
        if (v[i]) {
            nmirf_mp_pack_str(pk, nmirf_langs.names[i]);
            msgpack_pack_object(pk, *v[i]);
        }
}

/* entity.update: new names (a language given replaces that language's
   name; the others stay) and a contact line, for a ministry renamed or
   named in another language later. Keys, role and state are not touched:
   those have their own operations. Every update makes an event, even one
   that gives the names the entity has: the coordinator asked for it. */
int
op_entity_update(op_ctx_t *ctx)
{
    const msgpack_object *body = &ctx->env->body;
    if (body_fields(ctx, body, &nmirf_fields_entity_update, "body"))
        return -1;
    strv_t id = body_sv(body, "id"), contact = body_sv(body, "contact");
    const msgpack_object *names = body_get(body, "names");
    if ((!names || names->via.map.size == 0) && !contact.p)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "give field 'names' or field 'contact': nothing to update");
    if (s_names_lines(ctx, names) || op_need_coordinator(ctx))
        return -1;
    msgpack_object ent;
    if (op_load(ctx, DB_ENTITIES, id, "entity", &ent))
        return -1;

    /* A copy with names merged and contact set; contact goes right after
       names when the record had none (PROTOCOL.md section 6, Records). */
    bool had_contact = nmirf_mp_get(&ent, "contact") != NULL;
    msgpack_sbuffer rec;
    msgpack_sbuffer_init(&rec);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rec, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, ent.via.map.size + (contact.p && !had_contact ? 1 : 0));
    for (uint32_t i = 0; i < ent.via.map.size; i++) {
        const msgpack_object_kv *kv = &ent.via.map.ptr[i];
        msgpack_pack_object(&pk, kv->key);
        if (nmirf_mp_str_is(&kv->key, "names")) {
            s_pack_names(&pk, &kv->val, names);
            if (contact.p && !had_contact) {
                nmirf_mp_pack_str(&pk, "contact");
                nmirf_mp_pack_strn(&pk, contact.p, contact.n);
            }
        } else if (nmirf_mp_str_is(&kv->key, "contact") && contact.p)
            nmirf_mp_pack_strn(&pk, contact.p, contact.n);
        else
            msgpack_pack_object(&pk, kv->val);
    }

    int result = s_commit_entity(ctx, id, &rec, "entity.updated");
    if (!result)
        log_info("updated the names or contact of %.*s (by %s)", (int)id.n, id.p,
                 ctx->env->author);
    msgpack_sbuffer_destroy(&rec);
    return result;
}
