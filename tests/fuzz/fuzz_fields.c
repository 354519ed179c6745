/*  fuzz_fields - the one field checker (proto/nmirf_fields.h) on any
    msgpack value: what the broker, the agent's control codec and the
    console check every body with.

    The input is unpacked as one checked msgpack value (nmirf_mp_unpack);
    it, and each map in a list
    among its values (a rec.import's recommendations), are checked against
    every field table of the schema, with and without limits. Beyond the
    sanitizers it checks: the first failure is the first one a full check
    reports; a full check reports at most one failure per key and per row;
    each failure has a known reason, a key to name (or the row it is in),
    the facts its reason promises (a value, a size over its limit), and
    without limits no length or count is judged.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_fields.h"
#include "nmirf_mp.h"

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_fields: %s\n", what);
    abort();
}

static const nmirf_fields_t *const s_tables[] = {
    &nmirf_fields_recommendation, &nmirf_fields_entity_enroll,
    &nmirf_fields_report_submit,  &nmirf_fields_report_validate,
    &nmirf_fields_report_return,  &nmirf_fields_rec_assign,
    &nmirf_fields_rec_list,       &nmirf_fields_report_list,
    &nmirf_fields_indicator};

typedef struct {
    unsigned flags;
    int n;
    nmirf_fail_t first;
} s_run_t;

static bool
s_on_fail(const nmirf_fail_t *f, void *arg)
{
    s_run_t *r = arg;
    if (f->reason <= NMIRF_FAIL_NONE || f->reason > NMIRF_FAIL_DUP_DATE)
        s_broken("an unknown reason");
    if (f->reason != NMIRF_FAIL_NOT_MAP && f->reason != NMIRF_FAIL_KEY_TYPE && !f->key)
        s_broken("a failure with no key to name");
    if (f->reason == NMIRF_FAIL_NOT_MAP && f->field)
        s_broken("a map that is not one, with a row");
    if ((f->reason == NMIRF_FAIL_NOT_IN_SET || f->reason == NMIRF_FAIL_BAD_DATE ||
         f->reason == NMIRF_FAIL_BAD_ID || f->reason == NMIRF_FAIL_DUP_DATE) &&
        !f->value)
        s_broken("a bad value not named");
    if ((f->reason == NMIRF_FAIL_TOO_LONG || f->reason == NMIRF_FAIL_TOO_MANY) &&
        ((r->flags & NMIRF_CHECK_NO_LIMITS) || f->size <= f->limit))
        s_broken("a limit judged without limits, or not passed");
    if (f->field && f->reason == NMIRF_FAIL_MISSING && (f->item || !f->field->required))
        s_broken("an optional field missing");
    if (r->n++ == 0)
        r->first = *f;
    return true;
}

static void
s_check(const nmirf_fields_t *t, const msgpack_object *o)
{
    for (unsigned flags = 0; flags <= NMIRF_CHECK_NO_LIMITS; flags++) {
        s_run_t r = {flags, 0, {0}};
        int n = nmirf_fields_check(t, o, flags, s_on_fail, &r);
        if (n != r.n)
            s_broken("the count is not the failures reported");
        int most = t->count + (o->type == MSGPACK_OBJECT_MAP ? (int)o->via.map.size : 1);
        if (n > most)
            s_broken("more than one failure per key and per row");
        nmirf_fail_t first;
        bool bad = nmirf_fields_first(t, o, flags, &first);
        if (bad != (n > 0))
            s_broken("first and check disagree");
        if (bad && (first.reason != r.first.reason || first.keylen != r.first.keylen ||
                    first.field != r.first.field || first.in != r.first.in ||
                    first.size != r.first.size))
            s_broken("the first failure is not the check's first");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object o;
    /* Checked first, as the broker and the agent unpack what they read:
       msgpack-c alone would allocate what any header claims. */
    if (nmirf_mp_unpack(data, size, &zone, &o, NULL, 0) == NMIRF_OK) {
        for (size_t t = 0; t < sizeof s_tables / sizeof s_tables[0]; t++) {
            s_check(s_tables[t], &o);
            if (o.type != MSGPACK_OBJECT_MAP)
                continue;
            for (uint32_t i = 0; i < o.via.map.size; i++) {
                const msgpack_object *v = &o.via.map.ptr[i].val;
                for (uint32_t j = 0;
                     v->type == MSGPACK_OBJECT_ARRAY && j < v->via.array.size; j++)
                    s_check(s_tables[t], &v->via.array.ptr[j]);
            }
        }
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
