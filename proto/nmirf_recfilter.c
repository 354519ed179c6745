/*  nmirf_recfilter - the recommendation filter of stats and the report. */
#include "nmirf_recfilter.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void
nmirf_recfilter_init(nmirf_recfilter_t *f)
{
    memset(f, 0, sizeof *f);
}

/* Copies the string field key of body into dst (size bytes with the NUL),
   checked against set when set is not NULL. An absent or nil field leaves
   dst empty. */
static int
s_read_str(const msgpack_object *body, const char *key, char *dst, size_t size,
           const nmirf_valueset_t *set, char *why, size_t whylen)
{
    const msgpack_object *v = nmirf_mp_get(body, key);
    if (!v || v->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (v->type != MSGPACK_OBJECT_STR) {
        snprintf(why, whylen, "%s: not a string", key);
        return -1;
    }
    if (v->via.str.size == 0 || v->via.str.size >= size) {
        snprintf(why, whylen, "%s: %s", key, v->via.str.size ? "too long" : "empty");
        return -1;
    }
    if (set && nmirf_valueset_find(set, v->via.str.ptr, v->via.str.size) < 0) {
        snprintf(why, whylen, "%s: not a known value", key);
        return -1;
    }
    memcpy(dst, v->via.str.ptr, v->via.str.size);
    dst[v->via.str.size] = '\0';
    return 0;
}

int
nmirf_recfilter_read(nmirf_recfilter_t *f, const msgpack_object *body, char *why,
                     size_t whylen)
{
    if (!body || body->type != MSGPACK_OBJECT_MAP)
        return 0;
    if (s_read_str(body, "mechanism", f->mechanism, sizeof f->mechanism,
                   &nmirf_mechanisms, why, whylen) ||
        s_read_str(body, "cycle", f->cycle, sizeof f->cycle, NULL, why, whylen) ||
        s_read_str(body, "theme", f->theme, sizeof f->theme, NULL, why, whylen) ||
        s_read_str(body, "entity", f->entity, sizeof f->entity, NULL, why, whylen) ||
        s_read_str(body, "position", f->position, sizeof f->position, &nmirf_responses,
                   why, whylen))
        return -1;
    const msgpack_object *w = nmirf_mp_get(body, "withdrawn");
    if (w && w->type != MSGPACK_OBJECT_NIL) {
        if (w->type != MSGPACK_OBJECT_BOOLEAN) {
            snprintf(why, whylen, "withdrawn: not a boolean");
            return -1;
        }
        f->withdrawn = w->via.boolean;
    }
    return 0;
}

void
nmirf_recfilter_pack(const nmirf_recfilter_t *f, nmirf_mp_map_t *m)
{
    if (f->mechanism[0])
        nmirf_mp_map_str(m, "mechanism", f->mechanism);
    if (f->cycle[0])
        nmirf_mp_map_str(m, "cycle", f->cycle);
    if (f->theme[0])
        nmirf_mp_map_str(m, "theme", f->theme);
    if (f->entity[0])
        nmirf_mp_map_str(m, "entity", f->entity);
    if (f->position[0])
        nmirf_mp_map_str(m, "position", f->position);
    if (f->withdrawn)
        nmirf_mp_map_bool(m, "withdrawn", true);
}

bool
nmirf_recfilter_is_all(const nmirf_recfilter_t *f)
{
    return !f->mechanism[0] && !f->cycle[0] && !f->theme[0] && !f->entity[0] &&
           !f->position[0];
}

/* True if obj is the string s (exactly, or ignoring ASCII case). */
static bool
s_str_eq(const msgpack_object *obj, const char *s, bool nocase)
{
    if (!obj || obj->type != MSGPACK_OBJECT_STR)
        return false;
    size_t n = strlen(s);
    if (obj->via.str.size != n)
        return false;
    return nocase ? strncasecmp(obj->via.str.ptr, s, n) == 0
                  : memcmp(obj->via.str.ptr, s, n) == 0;
}

/* True if the array obj holds the string s. */
static bool
s_list_has(const msgpack_object *obj, const char *s, bool nocase)
{
    if (!obj || obj->type != MSGPACK_OBJECT_ARRAY)
        return false;
    for (uint32_t i = 0; i < obj->via.array.size; i++)
        if (s_str_eq(&obj->via.array.ptr[i], s, nocase))
            return true;
    return false;
}

bool
nmirf_recfilter_match(const nmirf_recfilter_t *f, const msgpack_object *rec,
                      const msgpack_object *assignment)
{
    if (!rec || rec->type != MSGPACK_OBJECT_MAP)
        return false;
    const msgpack_object *w = nmirf_mp_get(rec, "withdrawn");
    if (w && w->type != MSGPACK_OBJECT_NIL && !f->withdrawn)
        return false;
    if (f->mechanism[0] && !s_str_eq(nmirf_mp_get(rec, "mechanism"), f->mechanism, false))
        return false;
    if (f->cycle[0] && !s_str_eq(nmirf_mp_get(rec, "cycle"), f->cycle, false))
        return false;
    if (f->position[0] && !s_str_eq(nmirf_mp_get(rec, "response"), f->position, false))
        return false;
    if (f->theme[0] && !s_list_has(nmirf_mp_get(rec, "themes"), f->theme, true))
        return false;
    if (f->entity[0]) {
        if (!assignment || assignment->type != MSGPACK_OBJECT_MAP)
            return false;
        if (!s_str_eq(nmirf_mp_get(assignment, "lead"), f->entity, false) &&
            !s_list_has(nmirf_mp_get(assignment, "contributors"), f->entity, false))
            return false;
    }
    return true;
}
