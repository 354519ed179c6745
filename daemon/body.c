/*  body - typed, checked reads of request body fields. */
#include "body.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <math.h>
#include <string.h>

bool
body_in(strv_t s, const char *const *values)
{
    for (; *values; values++)
        if (strlen(*values) == s.n && memcmp(*values, s.p, s.n) == 0)
            return true;
    return false;
}

int
body_only(op_ctx_t *ctx, const msgpack_object *map, const char *const *allowed,
          const char *what)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "%s must be a map", what);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                             "%s has a key that is not a string", what);
        strv_t ks = {k->via.str.ptr, k->via.str.size};
        if (!body_in(ks, allowed))
            return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "%s has unknown field '%.*s'",
                             what, (int)ks.n, ks.p);
        for (uint32_t j = 0; j < i; j++) {
            const msgpack_object *prev = &map->via.map.ptr[j].key;
            if (prev->via.str.size == ks.n && memcmp(prev->via.str.ptr, ks.p, ks.n) == 0)
                return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "%s repeats field '%.*s'",
                                 what, (int)ks.n, ks.p);
        }
    }
    return 0;
}

/* Looks key up; refuses if required and absent. *v is NULL if absent. */
static int
s_field(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
        const msgpack_object **v)
{
    *v = nmirf_mp_get(map, key);
    if (*v && (*v)->type == MSGPACK_OBJECT_NIL && !required)
        *v = NULL; /* nil means absent for optional fields */
    if (!*v && required)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field '%s' is required", key);
    return 0;
}

/* Checks one string object against 1..max bytes and no NUL. */
static int
s_str_ok(op_ctx_t *ctx, const msgpack_object *v, const char *key, size_t max)
{
    if (v->type != MSGPACK_OBJECT_STR)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field '%s' must be a string", key);
    if (v->via.str.size == 0)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field '%s' must not be empty", key);
    if (v->via.str.size > max)
        return op_refuse(ctx, NMIRF_E_TOO_LARGE, "field '%s' is %u bytes, over %zu", key,
                         v->via.str.size, max);
    if (memchr(v->via.str.ptr, 0, v->via.str.size))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field '%s' contains a NUL byte", key);
    return 0;
}

int
body_str(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
         size_t max, strv_t *out)
{
    const msgpack_object *v;
    out->p = NULL;
    out->n = 0;
    if (s_field(ctx, map, key, required, &v))
        return -1;
    if (!v)
        return 0;
    if (s_str_ok(ctx, v, key, max))
        return -1;
    out->p = v->via.str.ptr;
    out->n = v->via.str.size;
    return 0;
}

int
body_line(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
          size_t max, strv_t *out)
{
    if (body_str(ctx, map, key, required, max, out))
        return -1;
    if (out->p && !nmirf_line_valid(out->p, out->n))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field '%s' contains a control character", key);
    return 0;
}

int
body_enum(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
          const nmirf_valueset_t *set, strv_t *out)
{
    if (body_str(ctx, map, key, required, NMIRF_ENUM_MAX, out))
        return -1;
    if (out->p && nmirf_valueset_find(set, out->p, out->n) < 0) {
        char list[512] = "";
        for (const char *const *v = set->names; *v; v++) {
            strncat(list, *v, sizeof list - strlen(list) - 1);
            if (v[1])
                strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field '%s': '%.*s' is not one of %s",
                         key, (int)out->n, out->p, list);
    }
    return 0;
}

int
body_date(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
          strv_t *out)
{
    if (body_str(ctx, map, key, required, NMIRF_DATE_LEN, out))
        return -1;
    if (out->p && !nmirf_date_valid(out->p, out->n))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field '%s': '%.*s' is not a date YYYY-MM-DD", key, (int)out->n,
                         out->p);
    return 0;
}

int
body_entity_id(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
               strv_t *out)
{
    if (body_str(ctx, map, key, required, NMIRF_ENTITY_ID_MAX + 16, out))
        return -1;
    if (out->p && !nmirf_entity_id_valid(out->p, out->n))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field '%s': '%.*s' is not an entity id ([A-Z0-9_-]{1,16})", key,
                         (int)out->n, out->p);
    return 0;
}

int
body_rec_id(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
            strv_t *out)
{
    /* Past the id's limit but short: refused as no id, not as too long. */
    if (body_str(ctx, map, key, required, 2 * NMIRF_REC_ID_MAX, out))
        return -1;
    if (out->p && !nmirf_rec_id_valid(out->p, out->n))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field '%s': '%.*s' is not a recommendation id "
                         "([A-Za-z0-9._/:-]{1,64})",
                         key, (int)out->n, out->p);
    return 0;
}

int
body_uint(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
          uint64_t *out, bool *present)
{
    const msgpack_object *v;
    *present = false;
    if (s_field(ctx, map, key, required, &v))
        return -1;
    if (!v)
        return 0;
    if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field '%s' must be an unsigned integer", key);
    *out = v->via.u64;
    *present = true;
    return 0;
}

int
body_str_list(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t max,
              const msgpack_object **out)
{
    if (s_field(ctx, map, key, false, out))
        return -1;
    if (!*out)
        return 0;
    if ((*out)->type != MSGPACK_OBJECT_ARRAY)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field '%s' must be a list of strings",
                         key);
    if ((*out)->via.array.size > NMIRF_LIST_MAX)
        return op_refuse(ctx, NMIRF_E_TOO_LARGE, "field '%s' has %u items, over %d", key,
                         (*out)->via.array.size, NMIRF_LIST_MAX);
    for (uint32_t i = 0; i < (*out)->via.array.size; i++)
        if (s_str_ok(ctx, &(*out)->via.array.ptr[i], key, max))
            return -1;
    return 0;
}

int
body_langs(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t max,
           const msgpack_object **out)
{
    if (s_field(ctx, map, key, false, out))
        return -1;
    if (!*out)
        return 0;
    char what[64];
    snprintf(what, sizeof what, "field '%s'", key);
    if (body_only(ctx, *out, nmirf_langs.names, what))
        return -1;
    for (uint32_t i = 0; i < (*out)->via.map.size; i++)
        if (s_str_ok(ctx, &(*out)->via.map.ptr[i].val, key, max))
            return -1;
    return 0;
}

int
body_bin(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t len,
         const uint8_t **out)
{
    const msgpack_object *v;
    if (s_field(ctx, map, key, true, &v))
        return -1;
    if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != len)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field '%s' must be %zu bytes of bin",
                         key, len);
    *out = (const uint8_t *)v->via.bin.ptr;
    return 0;
}

/* Checks one number object; the value into *out. */
static int
s_number_ok(op_ctx_t *ctx, const msgpack_object *v, const char *key, double *out)
{
    switch (v->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *out = (double)v->via.u64;
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *out = (double)v->via.i64;
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        *out = v->via.f64;
        break;
    default:
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field '%s' must be a number", key);
    }
    /* NaN and infinities pass msgpack but mean nothing as a value; past
       1e15 a double no longer holds every integer. */
    if (!isfinite(*out) || fabs(*out) > NMIRF_NUMBER_MAX)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field '%s' must be a finite number of magnitude at most 1e15",
                         key);
    return 0;
}

int
body_number(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
            double *out, bool *present)
{
    const msgpack_object *v;
    *present = false;
    if (s_field(ctx, map, key, required, &v))
        return -1;
    if (!v)
        return 0;
    if (s_number_ok(ctx, v, key, out))
        return -1;
    *present = true;
    return 0;
}

int
body_points(op_ctx_t *ctx, const msgpack_object *map, const char *key,
            const msgpack_object **out)
{
    static const char *const allowed[] = {"date", "value", NULL};
    if (s_field(ctx, map, key, false, out))
        return -1;
    if (!*out)
        return 0;
    const msgpack_object *a = *out;
    if (a->type != MSGPACK_OBJECT_ARRAY)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field '%s' must be a list of {date, value}", key);
    if (a->via.array.size > NMIRF_LIST_MAX)
        return op_refuse(ctx, NMIRF_E_TOO_LARGE, "field '%s' has %u items, over %d", key,
                         a->via.array.size, NMIRF_LIST_MAX);
    char what[96];
    snprintf(what, sizeof what, "an item of '%s'", key);
    for (uint32_t i = 0; i < a->via.array.size; i++) {
        const msgpack_object *p = &a->via.array.ptr[i];
        strv_t date;
        double value;
        bool present;
        if (body_only(ctx, p, allowed, what) || body_date(ctx, p, "date", true, &date) ||
            body_number(ctx, p, "value", true, &value, &present))
            return -1;
        for (uint32_t j = 0; j < i; j++) {
            const msgpack_object *d = nmirf_mp_get(&a->via.array.ptr[j], "date");
            if (d->via.str.size == date.n && memcmp(d->via.str.ptr, date.p, date.n) == 0)
                return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                                 "field '%s' gives date %.*s twice", key, (int)date.n,
                                 date.p);
        }
    }
    return 0;
}

/* Checks the one field f of map. */
static int
s_check_field(op_ctx_t *ctx, const msgpack_object *map, const nmirf_field_t *f)
{
    strv_t s;
    uint64_t u;
    double d;
    bool present;
    const msgpack_object *o;
    const uint8_t *b;
    switch (f->type) {
    case NMIRF_FIELD_STR:
        return body_str(ctx, map, f->key, f->required, f->max, &s);
    case NMIRF_FIELD_LINE:
        return body_line(ctx, map, f->key, f->required, f->max, &s);
    case NMIRF_FIELD_ENUM:
        return body_enum(ctx, map, f->key, f->required, f->set, &s);
    case NMIRF_FIELD_DATE:
        return body_date(ctx, map, f->key, f->required, &s);
    case NMIRF_FIELD_REC_ID:
        return body_rec_id(ctx, map, f->key, f->required, &s);
    case NMIRF_FIELD_ENTITY_ID:
        return body_entity_id(ctx, map, f->key, f->required, &s);
    case NMIRF_FIELD_UINT:
        return body_uint(ctx, map, f->key, f->required, &u, &present);
    case NMIRF_FIELD_STR_LIST:
        return body_str_list(ctx, map, f->key, f->max, &o);
    case NMIRF_FIELD_LANGS:
        return body_langs(ctx, map, f->key, f->max, &o);
    case NMIRF_FIELD_NUMBER:
        return body_number(ctx, map, f->key, f->required, &d, &present);
    case NMIRF_FIELD_POINTS:
        return body_points(ctx, map, f->key, &o);
    case NMIRF_FIELD_BIN:
        return body_bin(ctx, map, f->key, f->max, &b);
    }
    return op_refuse(ctx, NMIRF_E_INTERNAL, "field '%s' has no check", f->key);
}

int
body_fields(op_ctx_t *ctx, const msgpack_object *map, const nmirf_fields_t *fields,
            const char *what)
{
    const char *keys[NMIRF_FIELDS_MAX + 1];
    int n = 0;
    for (; n < fields->count && n < NMIRF_FIELDS_MAX; n++)
        keys[n] = fields->fields[n].key;
    keys[n] = NULL;
    if (body_only(ctx, map, keys, what))
        return -1;
    for (int i = 0; i < fields->count; i++)
        if (s_check_field(ctx, map, &fields->fields[i]))
            return -1;
    return 0;
}

strv_t
body_sv(const msgpack_object *map, const char *key)
{
    const msgpack_object *v = body_get(map, key);
    strv_t s = {NULL, 0};
    if (v && v->type == MSGPACK_OBJECT_STR) {
        s.p = v->via.str.ptr;
        s.n = v->via.str.size;
    }
    return s;
}

const msgpack_object *
body_get(const msgpack_object *map, const char *key)
{
    const msgpack_object *v = nmirf_mp_get(map, key);
    return v && v->type != MSGPACK_OBJECT_NIL ? v : NULL;
}
