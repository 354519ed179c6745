/*  web_form - the form checks (web_form.h). */
#include <stdio.h>
#include <string.h>

#include "nmirf_fields.h"
#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "web_form.h"

#define S_FORM(op_, table_)                                                              \
    {                                                                                    \
        op_, &table_, NULL, NULL                                                         \
    }

/* PROTOCOL.md section 6: the measure's bodies, whose indicator is an
   object checked against nmirf_fields_indicator (object_key). Its row is
   a bin, which no JSON value packs to: the checker always reports it
   where it is given, at its place in the table, and web_form checks it
   there against its own table. */
static const nmirf_field_t s_measure_add[] = {
    {"recs", NMIRF_FIELD_STR_LIST, true, NMIRF_REC_ID_MAX, NULL},
    {"title", NMIRF_FIELD_STR, true, NMIRF_SHORT_MAX, NULL},
    {"description", NMIRF_FIELD_STR, false, NMIRF_TEXT_MAX, NULL},
    {"indicator", NMIRF_FIELD_BIN, false, 0, NULL},
};
static const nmirf_field_t s_measure_update[] = {
    {"id", NMIRF_FIELD_UINT, true, 0, NULL},
    {"recs", NMIRF_FIELD_STR_LIST, false, NMIRF_REC_ID_MAX, NULL},
    {"title", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"description", NMIRF_FIELD_STR, false, NMIRF_TEXT_MAX, NULL},
    {"indicator", NMIRF_FIELD_BIN, false, 0, NULL},
};
#define S_TABLE(name_, a_)                                                               \
    {                                                                                    \
        name_, a_, (int)(sizeof a_ / sizeof a_[0])                                       \
    }
static const nmirf_fields_t s_fields_measure_add = S_TABLE("measure.add", s_measure_add);
static const nmirf_fields_t s_fields_measure_update =
    S_TABLE("measure.update", s_measure_update);

const web_form_t web_form_report_submit =
    S_FORM("report.submit", nmirf_fields_report_submit);
const web_form_t web_form_report_validate =
    S_FORM("report.validate", nmirf_fields_report_validate);
const web_form_t web_form_report_return =
    S_FORM("report.return", nmirf_fields_report_return);
const web_form_t web_form_rec_assign = S_FORM("rec.assign", nmirf_fields_rec_assign);
const web_form_t web_form_rec_withdraw =
    S_FORM("rec.withdraw", nmirf_fields_rec_withdraw);
const web_form_t web_form_rec_merge = S_FORM("rec.merge", nmirf_fields_rec_merge);
const web_form_t web_form_entity_update =
    S_FORM("entity.update", nmirf_fields_entity_update);
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

/* A failure of the checker as a form's code (docs/WEB.md section 2), its
   max into *max (0: none). A value inside a list, a text map or a point
   is the field's; a date's every failure is bad_date, a number's
   not_number, a value set's bad_value. */
static const char *
s_code(const nmirf_fail_t *fail, size_t *max)
{
    const nmirf_field_t *f = fail->field;
    *max = 0;
    if (!f)
        return "bad_value"; /* a map that is not one, a key it does not take */
    if (fail->reason == NMIRF_FAIL_MISSING)
        return fail->in ? "bad_value" : "required";
    if (f->type == NMIRF_FIELD_DATE)
        return "bad_date";
    if (f->type == NMIRF_FIELD_NUMBER || f->type == NMIRF_FIELD_UINT)
        return "not_number";
    if (f->type == NMIRF_FIELD_ENUM)
        return "bad_value";
    switch (fail->reason) {
    case NMIRF_FAIL_EMPTY:
        return "required";
    case NMIRF_FAIL_TOO_LONG:
        *max = f->max;
        return "too_long";
    case NMIRF_FAIL_BAD_ID:
        /* An id past its own limit: too long, as a person reads it. */
        if (fail->len > f->max) {
            *max = f->max;
            return "too_long";
        }
        return "bad_value";
    case NMIRF_FAIL_TOO_MANY:
        *max = f->type == NMIRF_FIELD_STR_LIST ? fail->limit : 0;
        return "too_many";
    default:
        return "bad_value";
    }
}

static size_t s_check(const web_form_t *form, const nmirf_fields_t *fields,
                      const char *prefix, const json_t *in, json_t *errors);

/* What a check collects: the errors of the fields in the table's order,
   then those of the keys it does not take (keys). */
typedef struct {
    const web_form_t *form;
    const char *prefix; /* "indicator" inside the object, else NULL */
    const json_t *in;
    json_t *errors, *keys;
    size_t bad;
} s_check_t;

/* nmirf_fail_cb: one {field, code, max?} per failure. */
static bool
s_on_fail(const nmirf_fail_t *fail, void *arg)
{
    s_check_t *c = arg;
    char name[128], key[128];
    if (fail->in)
        snprintf(key, sizeof key, "%s", fail->in->key);
    else if (fail->key)
        snprintf(key, sizeof key, "%.*s", (int)fail->keylen, fail->key);
    else
        key[0] = 0;
    snprintf(name, sizeof name, "%s%s%s", c->prefix ? c->prefix : "",
             c->prefix && key[0] ? "." : "", key);
    /* A long key cut by the buffer may end inside a UTF-8 sequence, which
       no JSON string holds (the error would be lost, not counted): back
       to the last whole character. */
    size_t len = strlen(name);
    for (int cut = 0; cut < 4 && len && !nmirf_utf8_valid((const uint8_t *)name, len); cut++)
        name[--len] = '\0';
    if (!c->prefix && !fail->in && fail->field && c->form->object_key &&
        strcmp(fail->field->key, c->form->object_key) == 0) {
        c->bad += s_check(c->form, c->form->object, name, json_object_get(c->in, key),
                          c->errors);
        return true;
    }
    size_t max;
    const char *code = s_code(fail, &max);
    s_err(fail->field || fail->in ? c->errors : c->keys, name, code, max);
    c->bad++;
    return true;
}

/* Checks in against fields with proto's checker (nmirf_fields.h), the
   form packed as msgpack as it will be sent; null members are absent.
   Errors named PREFIX.KEY when prefix. */
static size_t
s_check(const web_form_t *form, const nmirf_fields_t *fields, const char *prefix,
        const json_t *in, json_t *errors)
{
    if (!json_is_object(in)) {
        s_err(errors, prefix ? prefix : "", "bad_value", 0);
        return 1;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    const char *k;
    json_t *v;
    uint32_t n = 0;
    json_object_foreach((json_t *)in, k, v) n += !json_is_null(v);
    msgpack_pack_map(&pk, n);
    json_object_foreach((json_t *)in, k, v)
    {
        if (json_is_null(v))
            continue;
        nmirf_mp_pack_str(&pk, k);
        nmirf_json_to_mp(v, &pk);
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    s_check_t c = {form, prefix, in, errors, json_array(), 0};
    if (msgpack_unpack_next(&u, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS)
        nmirf_fields_check(fields, &u.data, 0, s_on_fail, &c);
    json_array_extend(errors, c.keys);
    json_decref(c.keys);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&buf);
    return c.bad;
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
