/*  fuzz_web_form - nmirf-web's form checks (client/web/web_form.h) on any
    bytes: what POST /api/reports, /api/assign and /api/measures do with a
    page's (or a script's) JSON body.

    Beyond the sanitizers it checks, for every form: a body that is not an
    object is one error; each error is {field, code[, max]} with a
    documented code; a body that passes packs to one well-formed msgpack
    map whose keys are the table's, each at most once.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "web_form.h"

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_web_form: %s\n", what);
    abort();
}

static const web_form_t *const s_forms[] = {
    &web_form_report_submit, &web_form_report_validate, &web_form_report_return,
    &web_form_rec_assign,    &web_form_measure_add,     &web_form_measure_update,
    &web_form_recommendation};

static const char *const s_codes[] = {"required", "too_long",   "bad_value", "bad_date",
                                      "too_many", "not_number", NULL};

static void
s_check_errors(const json_t *errors, size_t n)
{
    if (json_array_size(errors) != n)
        s_broken("the count is not the errors' number");
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        const char *code = json_string_value(json_object_get(e, "code"));
        bool known = false;
        for (size_t k = 0; code && s_codes[k]; k++)
            known |= strcmp(code, s_codes[k]) == 0;
        if (!known || !json_is_string(json_object_get(e, "field")))
            s_broken("an error without a field or with an unknown code");
    }
}

static void
s_check_packed(const web_form_t *form, const msgpack_sbuffer *b)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object obj;
    if (nmirf_mp_unpack((const uint8_t *)b->data, b->size, &zone, &obj, NULL, 0) !=
            NMIRF_OK ||
        obj.type != MSGPACK_OBJECT_MAP)
        s_broken("a form that passed packs to no msgpack map");
    for (uint32_t i = 0; i < obj.via.map.size; i++) {
        const msgpack_object *k = &obj.via.map.ptr[i].key;
        char key[64];
        if (nmirf_mp_strcpy(k, key, sizeof key) != 0 ||
            !nmirf_fields_find(form->fields, key))
            s_broken("a packed key that is not the table's");
        for (uint32_t j = 0; j < i; j++)
            if (nmirf_mp_str_is(&obj.via.map.ptr[j].key, key))
                s_broken("a key packed twice");
    }
    msgpack_zone_destroy(&zone);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!in)
        return 0;
    for (size_t f = 0; f < sizeof s_forms / sizeof s_forms[0]; f++) {
        json_t *errors = json_array();
        size_t n = web_form_check(s_forms[f], in, errors);
        s_check_errors(errors, n);
        if (!json_is_object(in) && n != 1)
            s_broken("a body that is not an object is not one error");
        if (n == 0) {
            msgpack_sbuffer b;
            msgpack_sbuffer_init(&b);
            web_form_pack(s_forms[f], in, &b);
            s_check_packed(s_forms[f], &b);
            msgpack_sbuffer_destroy(&b);
        }
        json_decref(errors);
    }
    json_decref(in);
    return 0;
}
