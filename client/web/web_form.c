/*  web_form - the form checks (web_form.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "web_form.h"

#define S_FORM(op_, table_)                                                              \
    {                                                                                    \
        op_, &table_, NULL, NULL                                                         \
    }

/* PROTOCOL.md section 6: bodies the schema has no table of (yet). The
   indicator's row is checked as an object against nmirf_fields_indicator
   (object_key); its type here is only a placeholder. */
static const nmirf_field_t s_report_validate[] = {
    {"report", NMIRF_FIELD_UINT, true, 0, NULL},
};
static const nmirf_field_t s_report_return[] = {
    {"report", NMIRF_FIELD_UINT, true, 0, NULL},
    {"reason", NMIRF_FIELD_STR, true, NMIRF_TEXT_MAX, NULL},
};
static const nmirf_field_t s_measure_add[] = {
    {"recs", NMIRF_FIELD_STR_LIST, true, NMIRF_REC_ID_MAX, NULL},
    {"title", NMIRF_FIELD_STR, true, NMIRF_SHORT_MAX, NULL},
    {"description", NMIRF_FIELD_STR, false, NMIRF_TEXT_MAX, NULL},
    {"indicator", NMIRF_FIELD_STR, false, 0, NULL},
};
static const nmirf_field_t s_measure_update[] = {
    {"id", NMIRF_FIELD_UINT, true, 0, NULL},
    {"recs", NMIRF_FIELD_STR_LIST, false, NMIRF_REC_ID_MAX, NULL},
    {"title", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"description", NMIRF_FIELD_STR, false, NMIRF_TEXT_MAX, NULL},
    {"indicator", NMIRF_FIELD_STR, false, 0, NULL},
};
#define S_TABLE(name_, a_)                                                               \
    {                                                                                    \
        name_, a_, (int)(sizeof a_ / sizeof a_[0])                                       \
    }
static const nmirf_fields_t s_fields_report_validate =
    S_TABLE("report.validate", s_report_validate);
static const nmirf_fields_t s_fields_report_return =
    S_TABLE("report.return", s_report_return);
static const nmirf_fields_t s_fields_measure_add = S_TABLE("measure.add", s_measure_add);
static const nmirf_fields_t s_fields_measure_update =
    S_TABLE("measure.update", s_measure_update);

const web_form_t web_form_report_submit =
    S_FORM("report.submit", nmirf_fields_report_submit);
const web_form_t web_form_report_validate =
    S_FORM("report.validate", s_fields_report_validate);
const web_form_t web_form_report_return = S_FORM("report.return", s_fields_report_return);
const web_form_t web_form_rec_assign = S_FORM("rec.assign", nmirf_fields_rec_assign);
const web_form_t web_form_measure_add = {"measure.add", &s_fields_measure_add,
                                         "indicator", &nmirf_fields_indicator};
const web_form_t web_form_measure_update = {"measure.update", &s_fields_measure_update,
                                            "indicator", &nmirf_fields_indicator};
const web_form_t web_form_recommendation =
    S_FORM("rec.import", nmirf_fields_recommendation);

/* Appends {field, code, max?}. */
static void
s_err(json_t *errors, const char *field, const char *code, size_t max)
{
    json_t *e = json_pack("{s:s, s:s}", "field", field, "code", code);
    if (max)
        json_object_set_new(e, "max", json_integer((json_int_t)max));
    json_array_append_new(errors, e);
}

/* A string of 1..max bytes: NULL if fine, else the error code. */
static const char *
s_str(const json_t *v, size_t max)
{
    if (!json_is_string(v))
        return "bad_value";
    size_t n = json_string_length(v);
    if (n == 0)
        return "required";
    if (max && n > max)
        return "too_long";
    if (memchr(json_string_value(v), 0, n))
        return "bad_value";
    return NULL;
}

/* A string made of the bytes of allowed, 1..max of them. */
static const char *
s_id(const json_t *v, size_t max, const char *allowed)
{
    const char *code = s_str(v, max);
    if (code)
        return code;
    const char *s = json_string_value(v);
    return strspn(s, allowed) == strlen(s) ? NULL : "bad_value";
}

static bool
s_number(const json_t *v)
{
    if (json_is_integer(v))
        return fabs((double)json_integer_value(v)) <= NMIRF_NUMBER_MAX;
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return isfinite(d) && fabs(d) <= NMIRF_NUMBER_MAX;
    }
    return false;
}

/* [{date, value}], dates real and unique. */
static const char *
s_points(const json_t *v)
{
    if (!json_is_array(v))
        return "bad_value";
    if (json_array_size(v) > NMIRF_LIST_MAX)
        return "too_many";
    size_t i, j;
    json_t *p;
    json_array_foreach(v, i, p)
    {
        const json_t *d = json_object_get(p, "date"), *n = json_object_get(p, "value");
        if (!json_is_object(p) || json_object_size(p) != 2 || !d || !n)
            return "bad_value";
        if (!json_is_string(d) ||
            !nmirf_date_valid(json_string_value(d), json_string_length(d)))
            return "bad_date";
        if (!s_number(n))
            return "not_number";
        for (j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(v, j), "date"), d))
                return "bad_value";
    }
    return NULL;
}

/* The error code of v against f, or NULL if it passes. */
static const char *
s_field(const nmirf_field_t *f, const json_t *v, size_t *max)
{
    *max = 0;
    const char *code;
    size_t i;
    const char *k;
    json_t *item;
    switch (f->type) {
    case NMIRF_FIELD_STR:
        code = s_str(v, f->max);
        *max = code && strcmp(code, "too_long") == 0 ? f->max : 0;
        return code;
    case NMIRF_FIELD_LINE:
        code = s_str(v, f->max);
        *max = code && strcmp(code, "too_long") == 0 ? f->max : 0;
        if (!code && !nmirf_line_valid(json_string_value(v), json_string_length(v)))
            code = "bad_value";
        return code;
    case NMIRF_FIELD_ENUM:
        return json_is_string(v) && f->set &&
                       nmirf_valueset_has(f->set, json_string_value(v))
                   ? NULL
                   : "bad_value";
    case NMIRF_FIELD_DATE:
        return json_is_string(v) &&
                       nmirf_date_valid(json_string_value(v), json_string_length(v))
                   ? NULL
                   : "bad_date";
    case NMIRF_FIELD_REC_ID:
        code =
            s_id(v, f->max,
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/:-");
        *max = code && strcmp(code, "too_long") == 0 ? f->max : 0;
        return code;
    case NMIRF_FIELD_ENTITY_ID:
        code = s_id(v, f->max, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
        *max = code && strcmp(code, "too_long") == 0 ? f->max : 0;
        return code;
    case NMIRF_FIELD_UINT:
        return json_is_integer(v) && json_integer_value(v) >= 0 ? NULL : "not_number";
    case NMIRF_FIELD_STR_LIST:
        if (!json_is_array(v))
            return "bad_value";
        if (json_array_size(v) > NMIRF_LIST_MAX) {
            *max = NMIRF_LIST_MAX;
            return "too_many";
        }
        json_array_foreach(v, i, item)
        {
            if ((code = s_str(item, f->max)) != NULL) {
                *max = strcmp(code, "too_long") == 0 ? f->max : 0;
                return code;
            }
        }
        return NULL;
    case NMIRF_FIELD_LANGS:
        if (!json_is_object(v) || json_object_size(v) == 0)
            return "bad_value";
        json_object_foreach((json_t *)v, k, item)
        {
            if (!nmirf_valueset_has(&nmirf_langs, k))
                return "bad_value";
            if ((code = s_str(item, f->max)) != NULL) {
                *max = strcmp(code, "too_long") == 0 ? f->max : 0;
                return code;
            }
        }
        return NULL;
    case NMIRF_FIELD_NUMBER:
        return s_number(v) ? NULL : "not_number";
    case NMIRF_FIELD_POINTS:
        return s_points(v);
    case NMIRF_FIELD_BIN:
        return "bad_value"; /* no form carries bytes */
    }
    return "bad_value";
}

/* Checks in against fields, errors named PREFIX.KEY when prefix. */
static size_t
s_check(const web_form_t *form, const nmirf_fields_t *fields, const char *prefix,
        const json_t *in, json_t *errors)
{
    char name[128];
    size_t bad = 0;
    if (!json_is_object(in)) {
        s_err(errors, prefix ? prefix : "", "bad_value", 0);
        return 1;
    }
    for (int i = 0; i < fields->count; i++) {
        const nmirf_field_t *f = &fields->fields[i];
        snprintf(name, sizeof name, "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
                 f->key);
        const json_t *v = json_object_get(in, f->key);
        if (!v || json_is_null(v)) {
            if (f->required) {
                s_err(errors, name, "required", 0);
                bad++;
            }
            continue;
        }
        if (!prefix && form->object_key && strcmp(f->key, form->object_key) == 0) {
            bad += s_check(form, form->object, name, v, errors);
            continue;
        }
        size_t max;
        const char *code = s_field(f, v, &max);
        if (code) {
            s_err(errors, name, code, max);
            bad++;
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v)
    {
        if (nmirf_fields_find(fields, k))
            continue;
        snprintf(name, sizeof name, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", k);
        s_err(errors, name, "bad_value", 0);
        bad++;
    }
    return bad;
}

size_t
web_form_check(const web_form_t *form, const json_t *in, json_t *errors)
{
    return s_check(form, form->fields, NULL, in, errors);
}

void
web_form_pack(const web_form_t *form, const json_t *in, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    uint32_t n = 0;
    for (int i = 0; i < form->fields->count; i++) {
        const json_t *v = json_object_get(in, form->fields->fields[i].key);
        n += v && !json_is_null(v);
    }
    msgpack_pack_map(&pk, n);
    for (int i = 0; i < form->fields->count; i++) {
        const char *key = form->fields->fields[i].key;
        const json_t *v = json_object_get(in, key);
        if (!v || json_is_null(v))
            continue;
        nmirf_mp_pack_str(&pk, key);
        nmirf_json_to_mp(v, &pk);
    }
}
