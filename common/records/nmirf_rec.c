/*  nmirf_rec - the rules a recommendation must meet, on the client: the
    schema's field table, read over JSON. */
#include "nmirf_rec.h"
#include "nmirf_schema.h"
#include "nmirf_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Fills why. Returns -1. */
static int
s_bad(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A string of 1..max bytes without NUL, as body.c's s_str_ok. */
static int
s_str(const json_t *v, const char *key, size_t max, char *why, size_t whylen)
{
    if (!json_is_string(v))
        return s_bad(why, whylen, "field '%s' must be a string", key);
    size_t n = json_string_length(v);
    if (n == 0)
        return s_bad(why, whylen, "field '%s' must not be empty", key);
    if (n > max)
        return s_bad(why, whylen, "field '%s' is %zu bytes, over %zu", key, n, max);
    if (memchr(json_string_value(v), 0, n))
        return s_bad(why, whylen, "field '%s' contains a NUL byte", key);
    return 0;
}

/* Writes set's names into out joined by ", ": a long set as a list ("one
   of A, B, C, D"), a short one as a phrase ("A, B or C"). */
static void
s_join(const nmirf_valueset_t *set, char *out, size_t outlen)
{
    bool phrase = set->count <= 3;
    out[0] = 0;
    size_t used = 0;
    for (int i = 0; i < set->count && used < outlen; i++) {
        const char *sep = i == 0                          ? (phrase ? "" : "one of ")
                          : phrase && i == set->count - 1 ? " or "
                                                          : ", ";
        int n = snprintf(out + used, outlen - used, "%s%s", sep, set->names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Checks the value v (not null) of field f. */
static int
s_value(const nmirf_field_t *f, const json_t *v, char *why, size_t whylen)
{
    const char *key = f->key;
    switch (f->type) {
    case NMIRF_FIELD_REC_ID:
        if (!json_is_string(v) ||
            !nmirf_rec_id_valid(json_string_value(v), json_string_length(v)))
            return s_bad(why, whylen,
                         "field '%s' is not a recommendation id ([A-Za-z0-9._/:-], 1 to "
                         "64)",
                         key);
        return 0;
    case NMIRF_FIELD_ENUM:
        if (!json_is_string(v) || !nmirf_valueset_has(f->set, json_string_value(v))) {
            char list[256];
            s_join(f->set, list, sizeof list);
            return s_bad(why, whylen, "field '%s' must be %s", key, list);
        }
        return 0;
    case NMIRF_FIELD_STR:
        return s_str(v, key, f->max, why, whylen);
    case NMIRF_FIELD_DATE:
        if (!json_is_string(v) ||
            !nmirf_date_valid(json_string_value(v), json_string_length(v)))
            return s_bad(why, whylen, "field '%s' is not a date YYYY-MM-DD", key);
        return 0;
    case NMIRF_FIELD_LANGS: {
        if (!json_is_object(v)) {
            char list[64] = "";
            for (int i = 0; i < nmirf_langs.count; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         i ? ", " : "", nmirf_langs.names[i]);
            return s_bad(why, whylen, "field '%s' must be a map {%s}", key, list);
        }
        const char *lang;
        const json_t *t;
        json_object_foreach((json_t *)v, lang, t)
        {
            if (!nmirf_valueset_has(&nmirf_langs, lang))
                return s_bad(why, whylen, "field '%s' has unknown language '%s'", key,
                             lang);
            if (s_str(t, key, f->max, why, whylen))
                return -1;
        }
        return 0;
    }
    case NMIRF_FIELD_STR_LIST: {
        if (!json_is_array(v))
            return s_bad(why, whylen, "field '%s' must be a list of strings", key);
        if (json_array_size(v) > NMIRF_LIST_MAX)
            return s_bad(why, whylen, "field '%s' has %zu items, over %d", key,
                         json_array_size(v), NMIRF_LIST_MAX);
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            if (s_str(item, key, f->max, why, whylen))
                return -1;
        }
        return 0;
    }
    default: /* not in a recommendation */
        return s_bad(why, whylen, "field '%s' cannot be checked here", key);
    }
}

int
nmirf_rec_check(const json_t *rec, char *why, size_t whylen)
{
    const nmirf_fields_t *fields = &nmirf_fields_recommendation;
    if (!json_is_object(rec))
        return s_bad(why, whylen, "not a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)rec, key, v)
    {
        if (!nmirf_fields_find(fields, key))
            return s_bad(why, whylen, "unknown field '%s'", key);
    }
    /* The required fields first, in the table's order (id, mechanism),
       then the others in the order the file gives them. */
    for (int i = 0; i < fields->count; i++) {
        const nmirf_field_t *f = &fields->fields[i];
        if (!f->required)
            continue;
        v = json_object_get(rec, f->key);
        if (!v || json_is_null(v))
            return s_bad(why, whylen, "field '%s' is required", f->key);
        if (s_value(f, v, why, whylen))
            return -1;
    }
    json_object_foreach((json_t *)rec, key, v)
    {
        const nmirf_field_t *f = nmirf_fields_find(fields, key);
        if (json_is_null(v) || f->required)
            continue; /* nil means absent for optional fields */
        if (s_value(f, v, why, whylen))
            return -1;
    }
    return 0;
}
