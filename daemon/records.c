/*  records - small helpers over stored records. */
#include "records.h"
#include "nmirf_mp.h"

#include <string.h>

void
record_pack_edit(msgpack_packer *pk, const msgpack_object *map, const char *key,
                 const msgpack_object *val)
{
    bool present = nmirf_mp_get(map, key) != NULL;
    bool remove = val->type == MSGPACK_OBJECT_NIL;
    uint32_t size = map->via.map.size + (present ? 0 : 1) - (remove ? 1 : 0);
    if (remove && !present)
        size = map->via.map.size;
    msgpack_pack_map(pk, size);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (nmirf_mp_str_is(&kv->key, key)) {
            if (remove)
                continue;
            msgpack_pack_object(pk, kv->key);
            msgpack_pack_object(pk, *val);
        } else {
            msgpack_pack_object(pk, kv->key);
            msgpack_pack_object(pk, kv->val);
        }
    }
    if (!present && !remove) {
        nmirf_mp_pack_str(pk, key);
        msgpack_pack_object(pk, *val);
    }
}

msgpack_object
record_str(const char *s)
{
    msgpack_object o = {.type = MSGPACK_OBJECT_STR};
    o.via.str.ptr = s;
    o.via.str.size = (uint32_t)strlen(s);
    return o;
}

msgpack_object
record_uint(uint64_t v)
{
    msgpack_object o = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER};
    o.via.u64 = v;
    return o;
}

strv_t
record_field(const msgpack_object *map, const char *key)
{
    const msgpack_object *v = nmirf_mp_get(map, key);
    strv_t s = {NULL, 0};
    if (v && v->type == MSGPACK_OBJECT_STR) {
        s.p = v->via.str.ptr;
        s.n = v->via.str.size;
    }
    return s;
}

static bool
s_is(const msgpack_object *o, strv_t s)
{
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == s.n &&
           memcmp(o->via.str.ptr, s.p, s.n) == 0;
}

bool
record_assigned_to(const msgpack_object *assignment, strv_t entity)
{
    const msgpack_object *lead = nmirf_mp_get(assignment, "lead");
    if (lead && s_is(lead, entity))
        return true;
    const msgpack_object *cs = nmirf_mp_get(assignment, "contributors");
    if (cs && cs->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < cs->via.array.size; i++)
            if (s_is(&cs->via.array.ptr[i], entity))
                return true;
    return false;
}

void
record_add_unique(const char **list, size_t *count, size_t max, const char *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < *count; i++)
        if (strcmp(list[i], s) == 0)
            return;
    if (*count < max)
        list[(*count)++] = s;
}

void
record_assignees(op_ctx_t *ctx, const msgpack_object *assignment, const char **list,
                 size_t *count, size_t max)
{
    if (!assignment)
        return;
    record_add_unique(list, count, max, op_strdup(ctx, record_field(assignment, "lead")));
    const msgpack_object *cs = nmirf_mp_get(assignment, "contributors");
    if (cs && cs->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < cs->via.array.size; i++) {
            const msgpack_object *c = &cs->via.array.ptr[i];
            if (c->type == MSGPACK_OBJECT_STR) {
                strv_t s = {c->via.str.ptr, c->via.str.size};
                record_add_unique(list, count, max, op_strdup(ctx, s));
            }
        }
}

bool
record_withdrawn(const msgpack_object *rec)
{
    return nmirf_mp_get(rec, "withdrawn") != NULL;
}

int
record_unpack(op_ctx_t *ctx, const void *data, size_t n, msgpack_object *obj)
{
    void *copy = msgpack_zone_malloc(ctx->zone, n ? n : 1);
    if (!copy)
        return op_refuse(ctx, NMIRF_E_INTERNAL, "out of memory");
    memcpy(copy, data, n);
    if (nmirf_mp_unpack(copy, n, ctx->zone, obj, NULL, 0) != NMIRF_OK)
        return op_refuse(ctx, NMIRF_E_INTERNAL, "a record just packed does not unpack");
    return 0;
}
