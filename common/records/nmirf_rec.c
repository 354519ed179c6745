/*  nmirf_rec - the rules a recommendation must meet, on the client. */
#include "nmirf_rec.h"
#include "nmirf_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const nmirf_rec_fields[] = {
    "id",   "mechanism", "symbol",        "paragraph", "cycle",   "date", "states",
    "text", "response",  "response_text", "themes",    "persons", "sdgs", NULL};

const char *const nmirf_rec_mechanisms[] = {"UPR",   "CAT",  "CCPR", "CESCR",
                                            "CEDAW", "CERD", "CRC",  "CRPD",
                                            "CMW",   "CED",  "SP",   NULL};
const char *const nmirf_rec_responses[] = {"supported", "noted", "pending", NULL};

bool
nmirf_rec_in(const char *s, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

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

int
nmirf_rec_check(const json_t *rec, char *why, size_t whylen)
{
    if (!json_is_object(rec))
        return s_bad(why, whylen, "not a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)rec, key, v)
    {
        if (!nmirf_rec_in(key, nmirf_rec_fields))
            return s_bad(why, whylen, "unknown field '%s'", key);
    }
    const json_t *id = json_object_get(rec, "id");
    if (!id || json_is_null(id))
        return s_bad(why, whylen, "field 'id' is required");
    if (!json_is_string(id) ||
        !nmirf_rec_id_valid(json_string_value(id), json_string_length(id)))
        return s_bad(why, whylen,
                     "field 'id' is not a recommendation id ([A-Za-z0-9._/:-], 1 to 64)");
    const json_t *mech = json_object_get(rec, "mechanism");
    if (!mech || json_is_null(mech))
        return s_bad(why, whylen, "field 'mechanism' is required");
    if (!json_is_string(mech) ||
        !nmirf_rec_in(json_string_value(mech), nmirf_rec_mechanisms))
        return s_bad(why, whylen,
                     "field 'mechanism' must be one of UPR, CAT, CCPR, CESCR, "
                     "CEDAW, CERD, CRC, CRPD, CMW, CED, SP");
    json_object_foreach((json_t *)rec, key, v)
    {
        if (json_is_null(v) || !strcmp(key, "id") || !strcmp(key, "mechanism"))
            continue; /* nil means absent for optional fields */
        if (!strcmp(key, "symbol") || !strcmp(key, "paragraph") ||
            !strcmp(key, "cycle")) {
            if (s_str(v, key, NMIRF_REC_SHORT_MAX, why, whylen))
                return -1;
        } else if (!strcmp(key, "date")) {
            if (!json_is_string(v) ||
                !nmirf_date_valid(json_string_value(v), json_string_length(v)))
                return s_bad(why, whylen, "field 'date' is not a date YYYY-MM-DD");
        } else if (!strcmp(key, "response")) {
            if (!json_is_string(v) ||
                !nmirf_rec_in(json_string_value(v), nmirf_rec_responses))
                return s_bad(why, whylen,
                             "field 'response' must be supported, noted or pending");
        } else if (!strcmp(key, "response_text")) {
            if (s_str(v, key, NMIRF_REC_TEXT_MAX, why, whylen))
                return -1;
        } else if (!strcmp(key, "text")) {
            if (!json_is_object(v))
                return s_bad(why, whylen, "field 'text' must be a map {fr, ar, en}");
            const char *lang;
            const json_t *t;
            json_object_foreach((json_t *)v, lang, t)
            {
                if (strcmp(lang, "fr") && strcmp(lang, "ar") && strcmp(lang, "en"))
                    return s_bad(why, whylen, "field 'text' has unknown language '%s'",
                                 lang);
                if (s_str(t, "text", NMIRF_REC_TEXT_MAX, why, whylen))
                    return -1;
            }
        } else { /* states, themes, persons, sdgs */
            if (!json_is_array(v))
                return s_bad(why, whylen, "field '%s' must be a list of strings", key);
            if (json_array_size(v) > NMIRF_REC_LIST_MAX)
                return s_bad(why, whylen, "field '%s' has %zu items, over %d", key,
                             json_array_size(v), NMIRF_REC_LIST_MAX);
            size_t i;
            const json_t *item;
            json_array_foreach(v, i, item)
            {
                if (s_str(item, key, NMIRF_REC_SHORT_MAX, why, whylen))
                    return -1;
            }
        }
    }
    return 0;
}
