/*  body - typed, checked reads of request body fields. */
#include "body.h"
#include "nmirf_fields.h"
#include "nmirf_mp.h"

#include <stdio.h>
#include <string.h>

/* Words fail as the broker's refusal (PROTOCOL.md section 5): the
   messages the readers have always given. what names the body's map. */
static int
s_refuse(op_ctx_t *ctx, const nmirf_fail_t *fail, const char *what)
{
    char in[96];
    if (fail->in)
        snprintf(in, sizeof in,
                 fail->in->type == NMIRF_FIELD_POINTS ? "an item of '%s'" : "field '%s'",
                 fail->in->key);
    const char *map = fail->in ? in : what, *key = fail->key, *v = fail->value;
    int kn = (int)fail->keylen, vn = (int)fail->len;
    nmirf_code_t bad = NMIRF_E_BAD_REQUEST;
    switch (fail->reason) {
    case NMIRF_FAIL_NONE:
        return 0;
    case NMIRF_FAIL_NOT_MAP:
        return op_refuse(ctx, bad, "%s must be a map", map);
    case NMIRF_FAIL_KEY_TYPE:
        return op_refuse(ctx, bad, "%s has a key that is not a string", map);
    case NMIRF_FAIL_UNKNOWN:
        return op_refuse(ctx, bad, "%s has unknown field '%.*s'", map, kn, key);
    case NMIRF_FAIL_REPEATED:
        return op_refuse(ctx, bad, "%s repeats field '%.*s'", map, kn, key);
    case NMIRF_FAIL_MISSING:
        return op_refuse(ctx, bad, "field '%s' is required", key);
    case NMIRF_FAIL_TYPE:
        switch (fail->item ? NMIRF_FIELD_STR : fail->field->type) {
        case NMIRF_FIELD_UINT:
            return op_refuse(ctx, bad, "field '%s' must be an unsigned integer", key);
        case NMIRF_FIELD_STR_LIST:
            return op_refuse(ctx, bad, "field '%s' must be a list of strings", key);
        case NMIRF_FIELD_NUMBER:
            return op_refuse(ctx, bad, "field '%s' must be a number", key);
        case NMIRF_FIELD_POINTS:
            return op_refuse(ctx, bad, "field '%s' must be a list of {date, value}", key);
        case NMIRF_FIELD_BIN:
            return op_refuse(ctx, bad, "field '%s' must be %zu bytes of bin", key,
                             fail->limit);
        case NMIRF_FIELD_BOOL:
            return op_refuse(ctx, bad, "field '%s' must be true or false", key);
        default:
            return op_refuse(ctx, bad, "field '%s' must be a string", key);
        }
    case NMIRF_FAIL_EMPTY:
        return op_refuse(ctx, bad, "field '%s' must not be empty", key);
    case NMIRF_FAIL_TOO_LONG:
        return op_refuse(ctx, NMIRF_E_TOO_LARGE, "field '%s' is %u bytes, over %zu", key,
                         (unsigned)fail->size, fail->limit);
    case NMIRF_FAIL_NUL:
        return op_refuse(ctx, bad, "field '%s' contains a NUL byte", key);
    case NMIRF_FAIL_CONTROL:
        return op_refuse(ctx, bad, "field '%s' contains a control character", key);
    case NMIRF_FAIL_NOT_IN_SET: {
        char list[512] = "";
        for (const char *const *n = fail->field->set->names; *n; n++) {
            strncat(list, *n, sizeof list - strlen(list) - 1);
            if (n[1])
                strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        return op_refuse(ctx, bad, "field '%s': '%.*s' is not one of %s", key, vn, v,
                         list);
    }
    case NMIRF_FAIL_BAD_DATE:
        return op_refuse(ctx, bad, "field '%s': '%.*s' is not a date YYYY-MM-DD", key, vn,
                         v);
    case NMIRF_FAIL_BAD_ID:
        if (fail->field->type == NMIRF_FIELD_ENTITY_ID)
            return op_refuse(ctx, bad,
                             "field '%s': '%.*s' is not an entity id ([A-Z0-9_-]{1,16})",
                             key, vn, v);
        return op_refuse(ctx, bad,
                         "field '%s': '%.*s' is not a recommendation id "
                         "([A-Za-z0-9._/:-]{1,64})",
                         key, vn, v);
    case NMIRF_FAIL_TOO_MANY:
        return op_refuse(ctx, NMIRF_E_TOO_LARGE, "field '%s' has %u items, over %d", key,
                         (unsigned)fail->size, NMIRF_LIST_MAX);
    case NMIRF_FAIL_NOT_NUMBER:
        return op_refuse(ctx, bad,
                         "field '%s' must be a finite number of magnitude at most 1e15",
                         key);
    case NMIRF_FAIL_DUP_DATE:
        return op_refuse(ctx, bad, "field '%s' gives date %.*s twice", key, vn, v);
    }
    return op_refuse(ctx, NMIRF_E_INTERNAL, "field '%s' has no check", key);
}

int
body_only(op_ctx_t *ctx, const msgpack_object *map, const char *const *allowed,
          const char *what)
{
    nmirf_valueset_t keys = {what, allowed, 0};
    while (allowed[keys.count])
        keys.count++;
    nmirf_fail_t fail;
    return nmirf_keys_first(map, &keys, &fail) ? s_refuse(ctx, &fail, what) : 0;
}

/* Checks the value under row->key of map against row: the value, NULL
   if absent or nil, into *v. */
static int
s_read(op_ctx_t *ctx, const msgpack_object *map, nmirf_field_t row,
       const msgpack_object **v)
{
    nmirf_fail_t fail;
    *v = body_get(map, row.key);
    return nmirf_field_check(&row, nmirf_mp_get(map, row.key), 0, &fail)
               ? s_refuse(ctx, &fail, "body")
               : 0;
}

/* A string row's value into *out, {NULL, 0} if absent. */
static int
s_read_str(op_ctx_t *ctx, const msgpack_object *map, nmirf_field_t row, strv_t *out)
{
    const msgpack_object *v;
    *out = (strv_t){NULL, 0};
    if (s_read(ctx, map, row, &v))
        return -1;
    if (v)
        *out = (strv_t){v->via.str.ptr, v->via.str.size};
    return 0;
}

int
body_str(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
         size_t max, strv_t *out)
{
    return s_read_str(ctx, map,
                      (nmirf_field_t){key, NMIRF_FIELD_STR, required, max, NULL}, out);
}

int
body_line(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
          size_t max, strv_t *out)
{
    return s_read_str(ctx, map,
                      (nmirf_field_t){key, NMIRF_FIELD_LINE, required, max, NULL}, out);
}

int
body_enum(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
          const nmirf_valueset_t *set, strv_t *out)
{
    return s_read_str(
        ctx, map, (nmirf_field_t){key, NMIRF_FIELD_ENUM, required, NMIRF_ENUM_MAX, set},
        out);
}

int
body_date(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
          strv_t *out)
{
    return s_read_str(
        ctx, map, (nmirf_field_t){key, NMIRF_FIELD_DATE, required, NMIRF_DATE_LEN, NULL},
        out);
}

int
body_entity_id(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
               strv_t *out)
{
    return s_read_str(
        ctx, map,
        (nmirf_field_t){key, NMIRF_FIELD_ENTITY_ID, required, NMIRF_ENTITY_ID_MAX, NULL},
        out);
}

int
body_rec_id(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
            strv_t *out)
{
    return s_read_str(
        ctx, map,
        (nmirf_field_t){key, NMIRF_FIELD_REC_ID, required, NMIRF_REC_ID_MAX, NULL}, out);
}

int
body_uint(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
          uint64_t *out, bool *present)
{
    const msgpack_object *v;
    *present = false;
    if (s_read(ctx, map, (nmirf_field_t){key, NMIRF_FIELD_UINT, required, 0, NULL}, &v))
        return -1;
    if (v) {
        *out = v->via.u64;
        *present = true;
    }
    return 0;
}

int
body_str_list(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t max,
              const msgpack_object **out)
{
    return s_read(ctx, map, (nmirf_field_t){key, NMIRF_FIELD_STR_LIST, false, max, NULL},
                  out);
}

int
body_langs(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t max,
           const msgpack_object **out)
{
    return s_read(ctx, map, (nmirf_field_t){key, NMIRF_FIELD_LANGS, false, max, NULL},
                  out);
}

int
body_bin(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t len,
         const uint8_t **out)
{
    const msgpack_object *v;
    if (s_read(ctx, map, (nmirf_field_t){key, NMIRF_FIELD_BIN, true, len, NULL}, &v))
        return -1;
    *out = (const uint8_t *)v->via.bin.ptr;
    return 0;
}

int
body_number(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
            double *out, bool *present)
{
    const msgpack_object *v;
    *present = false;
    if (s_read(ctx, map, (nmirf_field_t){key, NMIRF_FIELD_NUMBER, required, 0, NULL}, &v))
        return -1;
    if (v) {
        *out = v->type == MSGPACK_OBJECT_POSITIVE_INTEGER   ? (double)v->via.u64
               : v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? (double)v->via.i64
                                                            : v->via.f64;
        *present = true;
    }
    return 0;
}

int
body_points(op_ctx_t *ctx, const msgpack_object *map, const char *key,
            const msgpack_object **out)
{
    return s_read(ctx, map, (nmirf_field_t){key, NMIRF_FIELD_POINTS, false, 0, NULL},
                  out);
}

int
body_fields(op_ctx_t *ctx, const msgpack_object *map, const nmirf_fields_t *fields,
            const char *what)
{
    nmirf_fail_t fail;
    return nmirf_fields_first(fields, map, 0, &fail) ? s_refuse(ctx, &fail, what) : 0;
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
