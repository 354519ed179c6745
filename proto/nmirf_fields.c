/*  nmirf_fields - the one field checker (nmirf_fields.h). */
#include "nmirf_fields.h"
#include "nmirf_mp.h"

#include <math.h>
#include <string.h>

/* The two keys of a point {date, value}, checked as rows of their own. */
static const nmirf_field_t s_point[] = {
    {"date", NMIRF_FIELD_DATE, true, NMIRF_DATE_LEN, NULL},
    {"value", NMIRF_FIELD_NUMBER, true, 0, NULL},
};
static const nmirf_fields_t s_point_fields = {"point", s_point, 2};

/* Fills *fail and returns its reason. */
static nmirf_fail_reason_t
s_fail(nmirf_fail_t *fail, nmirf_fail_reason_t reason, const nmirf_field_t *f,
       const nmirf_field_t *in)
{
    fail->reason = reason;
    fail->field = f;
    fail->in = in;
    fail->key = f ? f->key : NULL;
    fail->keylen = f ? strlen(f->key) : 0;
    return reason;
}

/* The same, naming the string value that failed. */
static nmirf_fail_reason_t
s_fail_value(nmirf_fail_t *fail, nmirf_fail_reason_t reason, const nmirf_field_t *f,
             const nmirf_field_t *in, const msgpack_object *v)
{
    fail->value = v->via.str.ptr;
    fail->len = v->via.str.size;
    return s_fail(fail, reason, f, in);
}

/* True if the n bytes at s are an id: 1..max of [A-Z0-9_-], and for a
   recommendation also [a-z./:] (PROTOCOL.md section 6). */
static bool
s_id_valid(const char *s, size_t n, bool rec)
{
    size_t max = rec ? NMIRF_REC_ID_MAX : NMIRF_ENTITY_ID_MAX;
    if (n < 1 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' ||
                  (rec && ((c >= 'a' && c <= 'z') || c == '.' || c == '/' || c == ':'));
        if (!ok)
            return false;
    }
    return true;
}

/* The bytes a string of row f may hold before its syntax is judged. An
   id's is twice its own limit, so that an id past its limit but short is
   refused as no id, not as too long. */
static size_t
s_str_limit(const nmirf_field_t *f)
{
    switch (f->type) {
    case NMIRF_FIELD_ENUM:
        return NMIRF_ENUM_MAX;
    case NMIRF_FIELD_DATE:
        return NMIRF_DATE_LEN;
    case NMIRF_FIELD_ENTITY_ID:
        return 2 * NMIRF_ENTITY_ID_MAX;
    case NMIRF_FIELD_REC_ID:
        return 2 * NMIRF_REC_ID_MAX;
    default:
        return f->max;
    }
}

/* A string of row f (STR, LINE, ENUM, DATE, an id): 1..limit bytes, no
   NUL, then its syntax. */
static nmirf_fail_reason_t
s_str(const nmirf_field_t *f, const nmirf_field_t *in, const msgpack_object *v,
      unsigned flags, nmirf_fail_t *fail)
{
    if (v->type != MSGPACK_OBJECT_STR)
        return s_fail(fail, NMIRF_FAIL_TYPE, f, in);
    const char *s = v->via.str.ptr;
    size_t n = v->via.str.size;
    if (n == 0)
        return s_fail(fail, NMIRF_FAIL_EMPTY, f, in);
    if (n > s_str_limit(f) && !(flags & NMIRF_CHECK_NO_LIMITS)) {
        fail->size = n;
        fail->limit = s_str_limit(f);
        return s_fail(fail, NMIRF_FAIL_TOO_LONG, f, in);
    }
    if (memchr(s, 0, n))
        return s_fail(fail, NMIRF_FAIL_NUL, f, in);
    switch (f->type) {
    case NMIRF_FIELD_LINE:
        return nmirf_line_valid(s, n) ? NMIRF_FAIL_NONE
                                      : s_fail(fail, NMIRF_FAIL_CONTROL, f, in);
    case NMIRF_FIELD_ENUM:
        return nmirf_valueset_find(f->set, s, n) >= 0
                   ? NMIRF_FAIL_NONE
                   : s_fail_value(fail, NMIRF_FAIL_NOT_IN_SET, f, in, v);
    case NMIRF_FIELD_DATE:
        return nmirf_date_valid(s, n) ? NMIRF_FAIL_NONE
                                      : s_fail_value(fail, NMIRF_FAIL_BAD_DATE, f, in, v);
    case NMIRF_FIELD_REC_ID:
    case NMIRF_FIELD_ENTITY_ID:
        return s_id_valid(s, n, f->type == NMIRF_FIELD_REC_ID)
                   ? NMIRF_FAIL_NONE
                   : s_fail_value(fail, NMIRF_FAIL_BAD_ID, f, in, v);
    default:
        return NMIRF_FAIL_NONE;
    }
}

/* An item of f's list or a value of its text map: a string of f's key
   and limit. */
static nmirf_fail_reason_t
s_item(const nmirf_field_t *f, const msgpack_object *v, unsigned flags,
       nmirf_fail_t *fail)
{
    const nmirf_field_t row = {f->key, NMIRF_FIELD_STR, true, f->max, NULL};
    if (!s_str(&row, NULL, v, flags, fail))
        return NMIRF_FAIL_NONE;
    fail->field = f; /* not the local row: the failure outlives it */
    fail->item = true;
    return fail->reason;
}

/* The keys of map: each a string, known (to table, or to set when table
   is NULL), given once. Reports each bad key to cb (all of them while cb
   says so); in is the row holding map. Returns the failures reported,
   and sets *stop when cb asked to stop. */
static int
s_keys(const msgpack_object *map, const nmirf_fields_t *table,
       const nmirf_valueset_t *set, const nmirf_field_t *in, nmirf_fail_t *fail,
       nmirf_fail_cb cb, void *arg, bool *stop)
{
    int bad = 0;
    for (uint32_t i = 0; i < map->via.map.size && !*stop; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        nmirf_fail_reason_t r = NMIRF_FAIL_NONE;
        if (k->type != MSGPACK_OBJECT_STR) {
            r = s_fail(fail, NMIRF_FAIL_KEY_TYPE, NULL, in);
        } else {
            const char *ks = k->via.str.ptr;
            size_t kn = k->via.str.size;
            bool known = false;
            if (table) {
                for (int j = 0; j < table->count && !known; j++)
                    known = strlen(table->fields[j].key) == kn &&
                            memcmp(table->fields[j].key, ks, kn) == 0;
            } else
                known = nmirf_valueset_find(set, ks, kn) >= 0;
            if (!known)
                r = NMIRF_FAIL_UNKNOWN;
            for (uint32_t j = 0; j < i && !r; j++) {
                const msgpack_object *p = &map->via.map.ptr[j].key;
                if (p->type == MSGPACK_OBJECT_STR && p->via.str.size == kn &&
                    memcmp(p->via.str.ptr, ks, kn) == 0)
                    r = NMIRF_FAIL_REPEATED;
            }
            if (r) {
                s_fail(fail, r, NULL, in);
                /* An empty key has no bytes (msgpack-c may give NULL):
                   still a key to name. */
                fail->key = kn ? ks : "";
                fail->keylen = kn;
            }
        }
        if (r) {
            bad++;
            *stop = !cb(fail, arg);
        }
    }
    return bad;
}

/* Keeps the first failure (nmirf_fields_first and the nested maps). */
static bool
s_first(const nmirf_fail_t *fail, void *arg)
{
    nmirf_fail_t *to = arg;
    if (to != fail)
        *to = *fail;
    return false;
}

/* The rows of table, each against its value in map (a map). */
static int
s_rows(const nmirf_fields_t *table, const msgpack_object *map, const nmirf_field_t *in,
       unsigned flags, nmirf_fail_cb cb, void *arg, bool *stop)
{
    int bad = 0;
    for (int i = 0; i < table->count && !*stop; i++) {
        nmirf_fail_t fail = {0};
        const nmirf_field_t *f = &table->fields[i];
        if (nmirf_field_check(f, nmirf_mp_get(map, f->key), flags, &fail)) {
            if (in && !fail.in)
                fail.in = in;
            bad++;
            *stop = !cb(&fail, arg);
        }
    }
    return bad;
}

/* A number: int or float, finite, |v| <= NMIRF_NUMBER_MAX. */
static nmirf_fail_reason_t
s_number(const nmirf_field_t *f, const nmirf_field_t *in, const msgpack_object *v,
         nmirf_fail_t *fail)
{
    double d;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        d = (double)v->via.u64;
    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        d = (double)v->via.i64;
    else if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64)
        d = v->via.f64;
    else
        return s_fail(fail, NMIRF_FAIL_TYPE, f, in);
    /* NaN and infinities pass msgpack but mean nothing as a value; past
       1e15 a double no longer holds every integer. */
    return isfinite(d) && fabs(d) <= NMIRF_NUMBER_MAX
               ? NMIRF_FAIL_NONE
               : s_fail(fail, NMIRF_FAIL_NOT_NUMBER, f, in);
}

/* A list of f (a list of strings or of points): an array of at most
   NMIRF_LIST_MAX items. */
static nmirf_fail_reason_t
s_list(const nmirf_field_t *f, const msgpack_object *v, unsigned flags,
       nmirf_fail_t *fail)
{
    if (v->type != MSGPACK_OBJECT_ARRAY)
        return s_fail(fail, NMIRF_FAIL_TYPE, f, NULL);
    if (v->via.array.size > NMIRF_LIST_MAX && !(flags & NMIRF_CHECK_NO_LIMITS)) {
        fail->size = v->via.array.size;
        fail->limit = NMIRF_LIST_MAX;
        return s_fail(fail, NMIRF_FAIL_TOO_MANY, f, NULL);
    }
    return NMIRF_FAIL_NONE;
}

/* A list of points [{date, value}], dates unique. */
static nmirf_fail_reason_t
s_points(const nmirf_field_t *f, const msgpack_object *v, unsigned flags,
         nmirf_fail_t *fail)
{
    if (s_list(f, v, flags, fail))
        return fail->reason;
    for (uint32_t i = 0; i < v->via.array.size; i++) {
        const msgpack_object *p = &v->via.array.ptr[i];
        if (p->type != MSGPACK_OBJECT_MAP)
            return s_fail(fail, NMIRF_FAIL_NOT_MAP, NULL, f);
        bool stop = false;
        if (s_keys(p, &s_point_fields, NULL, f, fail, s_first, fail, &stop) ||
            s_rows(&s_point_fields, p, f, flags, s_first, fail, &stop))
            return fail->reason;
        const msgpack_object *d = nmirf_mp_get(p, "date");
        for (uint32_t j = 0; j < i; j++) {
            const msgpack_object *e = nmirf_mp_get(&v->via.array.ptr[j], "date");
            if (e->via.str.size == d->via.str.size &&
                memcmp(e->via.str.ptr, d->via.str.ptr, d->via.str.size) == 0)
                return s_fail_value(fail, NMIRF_FAIL_DUP_DATE, f, NULL, d);
        }
    }
    return NMIRF_FAIL_NONE;
}

nmirf_fail_reason_t
nmirf_field_check(const nmirf_field_t *f, const msgpack_object *v, unsigned flags,
                  nmirf_fail_t *fail)
{
    memset(fail, 0, sizeof *fail);
    /* nil is absent for an optional field; a required one given nil is of
       the wrong type, as the broker has always said. */
    if (v && v->type == MSGPACK_OBJECT_NIL && !f->required)
        v = NULL;
    if (!v)
        return f->required ? s_fail(fail, NMIRF_FAIL_MISSING, f, NULL) : NMIRF_FAIL_NONE;
    bool stop = false;
    switch (f->type) {
    case NMIRF_FIELD_STR:
    case NMIRF_FIELD_LINE:
    case NMIRF_FIELD_ENUM:
    case NMIRF_FIELD_DATE:
    case NMIRF_FIELD_REC_ID:
    case NMIRF_FIELD_ENTITY_ID:
        return s_str(f, NULL, v, flags, fail);
    case NMIRF_FIELD_UINT:
        return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                   ? NMIRF_FAIL_NONE
                   : s_fail(fail, NMIRF_FAIL_TYPE, f, NULL);
    case NMIRF_FIELD_STR_LIST:
        if (s_list(f, v, flags, fail))
            return fail->reason;
        for (uint32_t i = 0; i < v->via.array.size; i++)
            if (s_item(f, &v->via.array.ptr[i], flags, fail))
                return fail->reason;
        return NMIRF_FAIL_NONE;
    case NMIRF_FIELD_LANGS:
        if (v->type != MSGPACK_OBJECT_MAP)
            return s_fail(fail, NMIRF_FAIL_NOT_MAP, NULL, f);
        if (s_keys(v, NULL, &nmirf_langs, f, fail, s_first, fail, &stop))
            return fail->reason;
        for (uint32_t i = 0; i < v->via.map.size; i++)
            if (s_item(f, &v->via.map.ptr[i].val, flags, fail))
                return fail->reason;
        return NMIRF_FAIL_NONE;
    case NMIRF_FIELD_NUMBER:
        return s_number(f, NULL, v, fail);
    case NMIRF_FIELD_POINTS:
        return s_points(f, v, flags, fail);
    case NMIRF_FIELD_BIN:
        if (v->type == MSGPACK_OBJECT_BIN && v->via.bin.size == f->max)
            return NMIRF_FAIL_NONE;
        fail->limit = f->max;
        return s_fail(fail, NMIRF_FAIL_TYPE, f, NULL);
    case NMIRF_FIELD_BOOL:
        return v->type == MSGPACK_OBJECT_BOOLEAN ? NMIRF_FAIL_NONE
                                                 : s_fail(fail, NMIRF_FAIL_TYPE, f, NULL);
    }
    return s_fail(fail, NMIRF_FAIL_TYPE, f, NULL);
}

int
nmirf_fields_check(const nmirf_fields_t *fields, const msgpack_object *map,
                   unsigned flags, nmirf_fail_cb cb, void *arg)
{
    nmirf_fail_t fail = {0};
    if (!map || map->type != MSGPACK_OBJECT_MAP) {
        s_fail(&fail, NMIRF_FAIL_NOT_MAP, NULL, NULL);
        cb(&fail, arg);
        return 1;
    }
    bool stop = false;
    int bad = s_keys(map, fields, NULL, NULL, &fail, cb, arg, &stop);
    return bad + s_rows(fields, map, NULL, flags, cb, arg, &stop);
}

bool
nmirf_keys_first(const msgpack_object *map, const nmirf_valueset_t *keys,
                 nmirf_fail_t *fail)
{
    memset(fail, 0, sizeof *fail);
    if (!map || map->type != MSGPACK_OBJECT_MAP) {
        s_fail(fail, NMIRF_FAIL_NOT_MAP, NULL, NULL);
        return true;
    }
    bool stop = false;
    return s_keys(map, NULL, keys, NULL, fail, s_first, fail, &stop) > 0;
}

bool
nmirf_fields_first(const nmirf_fields_t *fields, const msgpack_object *map,
                   unsigned flags, nmirf_fail_t *fail)
{
    memset(fail, 0, sizeof *fail);
    return nmirf_fields_check(fields, map, flags, s_first, fail) > 0;
}
