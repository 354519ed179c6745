/*  nmirf_fields_test - the one field checker (nmirf_fields.h): each reason
    on either side of its edge, its facts (key, limit, size, value, the row
    and the row around it), the order of the first failure, every failure
    of a body at once, and the control codec's NMIRF_CHECK_NO_LIMITS.

    Usage: codec_fields

    Values are written as JSON (jansson) and packed as msgpack the way the
    console packs a form; what JSON cannot say (nil, bin, a key that is
    not a string, a key twice, NaN) is packed by hand. Prints
    "file:line: case: what" per failed check, one summary line at the end.
*/
#include "nmirf_fields.h"
#include "nmirf_mp.h"
#include "unit.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static msgpack_sbuffer s_buf;
static msgpack_packer s_pk;
static msgpack_zone s_zone;

/* Packs JSON as msgpack (integers >= 0 as unsigned, as the console). */
static void
s_pack_json(const json_t *j)
{
    size_t i;
    const char *k;
    json_t *v;
    switch (json_typeof(j)) {
    case JSON_NULL:
        msgpack_pack_nil(&s_pk);
        break;
    case JSON_TRUE:
        msgpack_pack_true(&s_pk);
        break;
    case JSON_FALSE:
        msgpack_pack_false(&s_pk);
        break;
    case JSON_INTEGER:
        if (json_integer_value(j) >= 0)
            msgpack_pack_uint64(&s_pk, (uint64_t)json_integer_value(j));
        else
            msgpack_pack_int64(&s_pk, json_integer_value(j));
        break;
    case JSON_REAL:
        msgpack_pack_double(&s_pk, json_real_value(j));
        break;
    case JSON_STRING:
        nmirf_mp_pack_strn(&s_pk, json_string_value(j), json_string_length(j));
        break;
    case JSON_ARRAY:
        msgpack_pack_array(&s_pk, json_array_size(j));
        json_array_foreach(j, i, v) s_pack_json(v);
        break;
    case JSON_OBJECT:
        msgpack_pack_map(&s_pk, json_object_size(j));
        json_object_foreach((json_t *)j, k, v)
        {
            nmirf_mp_pack_str(&s_pk, k);
            s_pack_json(v);
        }
        break;
    }
}

/* Unpacks what s_pk holds into the zone (kept until the end), and
   empties the buffer. */
static msgpack_object
s_unpacked(void)
{
    msgpack_object o;
    size_t off = 0;
    char *copy = msgpack_zone_malloc(&s_zone, s_buf.size ? s_buf.size : 1);
    memcpy(copy, s_buf.data, s_buf.size);
    if (msgpack_unpack(copy, s_buf.size, &off, &s_zone, &o) != MSGPACK_UNPACK_SUCCESS)
        abort();
    msgpack_sbuffer_clear(&s_buf);
    return o;
}

/* The msgpack of the JSON text json (single quotes for double). */
static msgpack_object
s_mp(const char *json)
{
    char *t = strdup(json);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *j = json_loads(t, JSON_DECODE_ANY, &e);
    if (!j) {
        fprintf(stderr, "bad test JSON %s: %s\n", json, e.text);
        abort();
    }
    s_pack_json(j);
    json_decref(j);
    free(t);
    return s_unpacked();
}

/* The first failure of body (JSON) against fields, with flags. */
static nmirf_fail_t
s_first(const nmirf_fields_t *fields, const char *json, unsigned flags)
{
    nmirf_fail_t fail;
    msgpack_object o = s_mp(json);
    if (!nmirf_fields_first(fields, &o, flags, &fail))
        fail.reason = NMIRF_FAIL_NONE;
    return fail;
}

/* Checks body's first failure: reason and key ("" for none). */
#define FIRST(fields, json, want, wkey)                                                  \
    do {                                                                                 \
        nmirf_fail_t f_ = s_first(fields, json, 0);                                      \
        CHECK(f_.reason == (want), "%s: reason %d, not %d", json, f_.reason, want);      \
        CHECK(!(want) || (f_.key && strlen(wkey) == f_.keylen &&                         \
                          memcmp(f_.key, wkey, f_.keylen) == 0),                         \
              "%s: key %.*s, not %s", json, (int)f_.keylen, f_.key ? f_.key : "", wkey); \
    } while (0)

/* A string of n bytes of c, as a JSON string literal body. */
static const char *
s_long(size_t n, char c)
{
    static char buf[2][40000];
    static int which;
    char *b = buf[which ^= 1];
    memset(b, c, n);
    b[n] = 0;
    return b;
}

static void
s_strings(void)
{
    unit_case = "strings";
    char body[40100];
    const nmirf_fields_t *rs = &nmirf_fields_report_submit;
    FIRST(rs, "{'rec': 'W-0', 'status': 'implemented', 'narrative': 'n'}",
          NMIRF_FAIL_NONE, "");
    FIRST(rs, "{'status': 'implemented', 'narrative': 'n'}", NMIRF_FAIL_MISSING, "rec");
    FIRST(rs, "{'rec': 1, 'status': 'implemented', 'narrative': 'n'}", NMIRF_FAIL_TYPE,
          "rec");
    FIRST(rs, "{'rec': '', 'status': 'implemented', 'narrative': 'n'}", NMIRF_FAIL_EMPTY,
          "rec");
    FIRST(rs, "{'rec': 'W 0', 'status': 'implemented', 'narrative': 'n'}",
          NMIRF_FAIL_BAD_ID, "rec");
    FIRST(rs, "{'rec': 'W-0', 'status': 'done', 'narrative': 'n'}", NMIRF_FAIL_NOT_IN_SET,
          "status");
    FIRST(rs,
          "{'rec': 'W-0', 'status': 'implemented', 'narrative': 'n', 'date': "
          "'2027-02-29'}",
          NMIRF_FAIL_BAD_DATE, "date");
    FIRST(rs,
          "{'rec': 'W-0', 'status': 'implemented', 'narrative': 'n', 'date': "
          "'2028-02-29'}",
          NMIRF_FAIL_NONE, "");
    FIRST(rs,
          "{'rec': 'W-0', 'status': 'implemented', 'narrative': 'n', 'by': 'a\\u0007'}",
          NMIRF_FAIL_CONTROL, "by");
    FIRST(rs, "{'rec': 'W-0', 'status': 'implemented', 'narrative': 'n', 'by': ''}",
          NMIRF_FAIL_EMPTY, "by");
    FIRST(rs, "{'rec': 'W-0', 'status': 'implemented', 'narrative': 'n', 'measure': -1}",
          NMIRF_FAIL_TYPE, "measure");

    /* The narrative's limit, on either side of it. */
    snprintf(body, sizeof body,
             "{'rec': 'W-0', 'status': 'implemented', 'narrative': '%s'}",
             s_long(NMIRF_TEXT_MAX, 'x'));
    FIRST(rs, body, NMIRF_FAIL_NONE, "");
    snprintf(body, sizeof body,
             "{'rec': 'W-0', 'status': 'implemented', 'narrative': '%s'}",
             s_long(NMIRF_TEXT_MAX + 1, 'x'));
    nmirf_fail_t f = s_first(rs, body, 0);
    CHECK(f.reason == NMIRF_FAIL_TOO_LONG && f.size == NMIRF_TEXT_MAX + 1 &&
          f.limit == NMIRF_TEXT_MAX && f.field && !f.in);
    /* Without limits (the control codec's) it passes. */
    f = s_first(rs, body, NMIRF_CHECK_NO_LIMITS);
    CHECK(f.reason == NMIRF_FAIL_NONE);

    /* An id past its limit but short is no id; past twice it, too long. */
    snprintf(body, sizeof body,
             "{'rec': '%s', 'status': 'implemented', 'narrative': 'n'}",
             s_long(NMIRF_REC_ID_MAX, 'A'));
    FIRST(rs, body, NMIRF_FAIL_NONE, "");
    snprintf(body, sizeof body,
             "{'rec': '%s', 'status': 'implemented', 'narrative': 'n'}",
             s_long(NMIRF_REC_ID_MAX + 1, 'A'));
    f = s_first(rs, body, 0);
    CHECK(f.reason == NMIRF_FAIL_BAD_ID && f.len == NMIRF_REC_ID_MAX + 1 && f.value);
    snprintf(body, sizeof body,
             "{'rec': '%s', 'status': 'implemented', 'narrative': 'n'}",
             s_long(2 * NMIRF_REC_ID_MAX + 1, 'A'));
    f = s_first(rs, body, 0);
    CHECK(f.reason == NMIRF_FAIL_TOO_LONG && f.limit == 2 * NMIRF_REC_ID_MAX);
    f = s_first(rs, body, NMIRF_CHECK_NO_LIMITS);
    CHECK(f.reason == NMIRF_FAIL_BAD_ID, "no limits: still no id (%d)", f.reason);

    const nmirf_fields_t *ra = &nmirf_fields_rec_assign;
    FIRST(ra, "{'rec': 'W-0', 'lead': 'mj'}", NMIRF_FAIL_BAD_ID, "lead");
    f = s_first(ra, "{'rec': 'W-0', 'lead': 'MJ', 'contributors': ['MK', '']}", 0);
    CHECK(f.reason == NMIRF_FAIL_EMPTY && !f.in && f.field == &ra->fields[2] && f.item &&
          strcmp(f.key, "contributors") == 0);
    /* A string with a NUL, packed by hand. */
    msgpack_pack_map(&s_pk, 2);
    nmirf_mp_pack_str(&s_pk, "rec");
    nmirf_mp_pack_strn(&s_pk, "W\0", 2);
    nmirf_mp_pack_str(&s_pk, "lead");
    nmirf_mp_pack_str(&s_pk, "MJ");
    msgpack_object o = s_unpacked();
    CHECK(nmirf_fields_first(ra, &o, 0, &f) && f.reason == NMIRF_FAIL_NUL);
}

static void
s_keys_and_nil(void)
{
    unit_case = "keys";
    const nmirf_fields_t *rs = &nmirf_fields_report_submit;
    CHECK(s_first(rs, "[1]", 0).reason == NMIRF_FAIL_NOT_MAP);
    /* Keys first, in the map's order, before any field. */
    nmirf_fail_t f = s_first(rs, "{'colour': 'red'}", 0);
    CHECK(f.reason == NMIRF_FAIL_UNKNOWN && !f.field && !f.in && f.keylen == 6 &&
          memcmp(f.key, "colour", 6) == 0);
    /* An empty key is unknown, and named (fuzz_fields found it NULL). */
    f = s_first(rs, "{'': 1}", 0);
    CHECK(f.reason == NMIRF_FAIL_UNKNOWN && f.key && f.keylen == 0);
    /* A key twice, a key that is not a string: by hand. */
    msgpack_pack_map(&s_pk, 2);
    nmirf_mp_pack_str(&s_pk, "rec");
    nmirf_mp_pack_str(&s_pk, "W-0");
    nmirf_mp_pack_str(&s_pk, "rec");
    nmirf_mp_pack_str(&s_pk, "W-1");
    msgpack_object o = s_unpacked();
    CHECK(nmirf_fields_first(rs, &o, 0, &f) && f.reason == NMIRF_FAIL_REPEATED);
    msgpack_pack_map(&s_pk, 1);
    msgpack_pack_uint64(&s_pk, 1);
    nmirf_mp_pack_str(&s_pk, "W-0");
    o = s_unpacked();
    CHECK(nmirf_fields_first(rs, &o, 0, &f) && f.reason == NMIRF_FAIL_KEY_TYPE);
    /* nil: absent when optional, of the wrong type when required. */
    FIRST(rs, "{'rec': 'W-0', 'status': 'implemented', 'narrative': 'n', 'date': null}",
          NMIRF_FAIL_NONE, "");
    FIRST(rs, "{'rec': null, 'status': 'implemented', 'narrative': 'n'}", NMIRF_FAIL_TYPE,
          "rec");
    /* A bin of exactly its length, always required. */
    const nmirf_fields_t *en = &nmirf_fields_entity_enroll;
    uint8_t key[33] = {0};
    for (int len = 31; len <= 33; len++) {
        msgpack_pack_map(&s_pk, 4);
        nmirf_mp_pack_str(&s_pk, "id");
        nmirf_mp_pack_str(&s_pk, "MJ");
        nmirf_mp_pack_str(&s_pk, "role");
        nmirf_mp_pack_str(&s_pk, "ministry");
        nmirf_mp_pack_str(&s_pk, "sign_key");
        msgpack_pack_bin(&s_pk, 32);
        msgpack_pack_bin_body(&s_pk, key, 32);
        nmirf_mp_pack_str(&s_pk, "curve_key");
        msgpack_pack_bin(&s_pk, (size_t)len);
        msgpack_pack_bin_body(&s_pk, key, (size_t)len);
        o = s_unpacked();
        bool bad = nmirf_fields_first(en, &o, 0, &f);
        CHECK(bad == (len != 32), "a bin of %d bytes", len);
        CHECK(!bad || (f.reason == NMIRF_FAIL_TYPE && f.limit == 32 &&
                       strcmp(f.key, "curve_key") == 0));
    }
    FIRST(en, "{'id': 'MJ', 'role': 'ministry'}", NMIRF_FAIL_MISSING, "sign_key");
}

static void
s_lists_and_maps(void)
{
    unit_case = "lists";
    char body[8192];
    const nmirf_fields_t *rc = &nmirf_fields_recommendation;
    FIRST(rc, "{'id': 'W-0', 'mechanism': 'UPR', 'states': 'FR'}", NMIRF_FAIL_TYPE,
          "states");
    /* NMIRF_LIST_MAX items pass, one more is too many. */
    for (int n = NMIRF_LIST_MAX; n <= NMIRF_LIST_MAX + 1; n++) {
        size_t off = (size_t)snprintf(body, sizeof body,
                                      "{'id': 'W-0', 'mechanism': 'UPR', 'themes': [");
        for (int i = 0; i < n; i++)
            off += (size_t)snprintf(body + off, sizeof body - off, "%s't'", i ? "," : "");
        snprintf(body + off, sizeof body - off, "]}");
        nmirf_fail_t f = s_first(rc, body, 0);
        CHECK((n > NMIRF_LIST_MAX) == (f.reason == NMIRF_FAIL_TOO_MANY), "%d themes", n);
        CHECK(n == NMIRF_LIST_MAX || (f.size == (size_t)n && f.limit == NMIRF_LIST_MAX));
        CHECK(s_first(rc, body, NMIRF_CHECK_NO_LIMITS).reason == NMIRF_FAIL_NONE);
    }
    /* A text map: a map of the languages, each a string. */
    unit_case = "text maps";
    nmirf_fail_t f = s_first(rc, "{'id': 'W-0', 'mechanism': 'UPR', 'text': 'hello'}", 0);
    CHECK(f.reason == NMIRF_FAIL_NOT_MAP && !f.field && f.in == &rc->fields[7]);
    f = s_first(rc, "{'id': 'W-0', 'mechanism': 'UPR', 'text': {'de': 'Hallo'}}", 0);
    CHECK(f.reason == NMIRF_FAIL_UNKNOWN && f.in == &rc->fields[7] && f.keylen == 2 &&
          memcmp(f.key, "de", 2) == 0);
    f = s_first(rc, "{'id': 'W-0', 'mechanism': 'UPR', 'text': {'fr': ''}}", 0);
    CHECK(f.reason == NMIRF_FAIL_EMPTY && f.item && f.field == &rc->fields[7] && !f.in &&
          strcmp(f.key, "text") == 0);
    FIRST(rc, "{'id': 'W-0', 'mechanism': 'UPR', 'text': {}}", NMIRF_FAIL_NONE, "");

    /* Points: {date, value}, a date once. */
    unit_case = "points";
    const nmirf_fields_t *in = &nmirf_fields_indicator;
    const nmirf_field_t *sched = nmirf_fields_find(in, "schedule");
    FIRST(in,
          "{'name': 'n', 'target': 1, 'schedule': [{'date': '2026-01-01', 'value': "
          "2}, {'date': '2026-02-01', 'value': 2.5}]}",
          NMIRF_FAIL_NONE, "");
    FIRST(in, "{'name': 'n', 'target': 1, 'schedule': {}}", NMIRF_FAIL_TYPE, "schedule");
    f = s_first(in, "{'name': 'n', 'target': 1, 'schedule': [3]}", 0);
    CHECK(f.reason == NMIRF_FAIL_NOT_MAP && f.in == sched);
    f = s_first(in,
                "{'name': 'n', 'target': 1, 'schedule': [{'date': '2026-01-01', "
                "'value': 1, 'note': 'x'}]}",
                0);
    CHECK(f.reason == NMIRF_FAIL_UNKNOWN && f.in == sched && f.keylen == 4);
    f = s_first(in, "{'name': 'n', 'target': 1, 'schedule': [{'value': 1}]}", 0);
    CHECK(f.reason == NMIRF_FAIL_MISSING && f.in == sched && strcmp(f.key, "date") == 0);
    f = s_first(in,
                "{'name': 'n', 'target': 1, 'schedule': [{'date': 'soon', 'value': "
                "'x'}]}",
                0);
    CHECK(f.reason == NMIRF_FAIL_BAD_DATE && f.in == sched && strcmp(f.key, "date") == 0);
    f = s_first(in,
                "{'name': 'n', 'target': 1, 'schedule': [{'date': '2026-01-01', "
                "'value': 'x'}]}",
                0);
    CHECK(f.reason == NMIRF_FAIL_TYPE && f.in == sched && strcmp(f.key, "value") == 0);
    f = s_first(in,
                "{'name': 'n', 'target': 1, 'schedule': [{'date': '2026-01-01', "
                "'value': 1}, {'date': '2026-01-01', 'value': 2}]}",
                0);
    CHECK(f.reason == NMIRF_FAIL_DUP_DATE && f.field == sched && !f.in && f.len == 10 &&
          memcmp(f.value, "2026-01-01", 10) == 0);

    /* Numbers: finite, at most 1e15 in magnitude. */
    unit_case = "numbers";
    FIRST(in, "{'name': 'n', 'target': 1000000000000000}", NMIRF_FAIL_NONE, "");
    FIRST(in, "{'name': 'n', 'target': -1000000000000000}", NMIRF_FAIL_NONE, "");
    FIRST(in, "{'name': 'n', 'target': 1000000000000001}", NMIRF_FAIL_NOT_NUMBER,
          "target");
    FIRST(in, "{'name': 'n', 'target': 'high'}", NMIRF_FAIL_TYPE, "target");
    msgpack_pack_map(&s_pk, 2);
    nmirf_mp_pack_str(&s_pk, "name");
    nmirf_mp_pack_str(&s_pk, "n");
    nmirf_mp_pack_str(&s_pk, "target");
    msgpack_pack_double(&s_pk, NAN);
    msgpack_object o = s_unpacked();
    CHECK(nmirf_fields_first(in, &o, 0, &f) && f.reason == NMIRF_FAIL_NOT_NUMBER);
}

/* Counts failures and keeps their keys, one line each. */
typedef struct {
    int n;
    char keys[256];
} s_all_t;

static bool
s_collect(const nmirf_fail_t *fail, void *arg)
{
    s_all_t *a = arg;
    size_t off = strlen(a->keys);
    const char *k = fail->in ? fail->in->key : fail->key;
    int kn = fail->in ? (int)strlen(k) : (int)fail->keylen;
    snprintf(a->keys + off, sizeof a->keys - off, "%s%.*s:%d", a->n ? " " : "", kn, k,
             fail->reason);
    a->n++;
    return true;
}

static void
s_all(void)
{
    unit_case = "all";
    msgpack_object o = s_mp("{'colour': 'red', 'status': 'done', 'evidence': 'x', "
                            "'indicator_values': [{'date': '2026-01-01', 'value': "
                            "'ten'}]}");
    s_all_t a = {0, ""};
    int n = nmirf_fields_check(&nmirf_fields_report_submit, &o, 0, s_collect, &a);
    char want[256];
    snprintf(want, sizeof want,
             "colour:%d rec:%d status:%d narrative:%d evidence:%d "
             "indicator_values:%d",
             NMIRF_FAIL_UNKNOWN, NMIRF_FAIL_MISSING, NMIRF_FAIL_NOT_IN_SET,
             NMIRF_FAIL_MISSING, NMIRF_FAIL_TYPE, NMIRF_FAIL_TYPE);
    CHECK(n == 6 && a.n == 6 && strcmp(a.keys, want) == 0, "%d: %s, not %s", n, a.keys,
          want);
    /* A valueset of keys (the broker's bodies checked by hand). */
    static const char *const names[] = {"report", "reason", NULL};
    const nmirf_valueset_t keys = {"body", names, 2};
    nmirf_fail_t f;
    o = s_mp("{'report': 1, 'reason': 'r'}");
    CHECK(!nmirf_keys_first(&o, &keys, &f));
    o = s_mp("{'report': 1, 'why': 'r'}");
    CHECK(nmirf_keys_first(&o, &keys, &f) && f.reason == NMIRF_FAIL_UNKNOWN);
    o = s_mp("'x'");
    CHECK(nmirf_keys_first(&o, &keys, &f) && f.reason == NMIRF_FAIL_NOT_MAP);
    /* The schema's report.validate and report.return. */
    FIRST(&nmirf_fields_report_return, "{'report': 3}", NMIRF_FAIL_MISSING, "reason");
    FIRST(&nmirf_fields_report_validate, "{'report': 3, 'reason': 'r'}",
          NMIRF_FAIL_UNKNOWN, "reason");
    FIRST(&nmirf_fields_report_validate, "{'report': '3'}", NMIRF_FAIL_TYPE, "report");
}

int
main(void)
{
    msgpack_sbuffer_init(&s_buf);
    msgpack_packer_init(&s_pk, &s_buf, msgpack_sbuffer_write);
    msgpack_zone_init(&s_zone, 1 << 16);
    s_strings();
    s_keys_and_nil();
    s_lists_and_maps();
    s_all();
    msgpack_zone_destroy(&s_zone);
    msgpack_sbuffer_destroy(&s_buf);
    return unit_done("codec_fields");
}
