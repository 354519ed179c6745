/*  web_api_reads - the reads any role may make (docs/WEB.md section 2,
    Reads): the agent's status, our assignments, the recommendations,
    measures, outbox, reports and entities of the replica, and the forms'
    schema. Query args are checked here (400 naming the bad one) before
    the agent is asked, with the control protocol's limits.
*/
#include <stdlib.h>
#include <string.h>

#include "nmirf_control.h"
#include "nmirf_json.h"
#include "nmirf_util.h"
#include "web_api_int.h"
#include "web_form.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const s_scope_names[] = {"all", "ours", "lead", "contributor", NULL};
static const nmirf_valueset_t s_scopes = {"scope", s_scope_names, 4};
static const char *const s_due_names[] = {"overdue", "due_soon", NULL};
static const nmirf_valueset_t s_dues = {"due", s_due_names, 2};

#define S_CLOCK_ARGS                                                                     \
    {"today", WEB_ARG_DATE, NULL, 0, 0},                                                 \
    {                                                                                    \
        "due_soon_days", WEB_ARG_UINT, NULL, 0, NMIRF_DUE_SOON_MAX                       \
    }
#define S_PAGE_ARGS                                                                      \
    {"offset", WEB_ARG_UINT, NULL, 0, NMIRF_CONTROL_OFFSET_MAX},                         \
    {                                                                                    \
        "limit", WEB_ARG_UINT, NULL, 1, NMIRF_CONTROL_LIMIT_MAX                          \
    }

/* Checks the args, asks op, answers its body (or the refusal). */
static void
s_query(web_api_t *api, const web_request_t *req, web_response_t *resp, const char *op,
        const web_arg_t *args, size_t n, json_t *body)
{
    if (!body)
        body = json_object();
    nmirf_reply_t *r;
    if (web_api_args(req, args, n, body, resp) == 0 &&
        web_api_call(api, resp, op, body, &r) == 0) {
        web_api_reply(resp, r);
        nmirf_reply_destroy(&r);
    }
    json_decref(body);
}

void
web_api_status(web_api_t *api, const web_request_t *req, const char *rest,
               web_response_t *resp)
{
    (void)req, (void)rest;
    nmirf_reply_t *r;
    if (web_api_call(api, resp, "status", NULL, &r))
        return;
    /* contact_at, as the queries give it: when the broker was last heard. */
    json_t *j = nmirf_json_from_mp(&r->body);
    json_t *ago = json_object_get(j, "heard_ms_ago");
    json_object_set_new(
        j, "contact_at",
        json_is_integer(ago)
            ? json_integer(
                  (json_int_t)(nmirf_now_ms() - (uint64_t)json_integer_value(ago)))
            : json_null());
    nmirf_reply_destroy(&r);
    web_api_json(resp, 200, j);
}

void
web_api_mine(web_api_t *api, const web_request_t *req, const char *rest,
             web_response_t *resp)
{
    (void)rest;
    static const web_arg_t args[] = {S_CLOCK_ARGS};
    s_query(api, req, resp, "mine", args, N(args), NULL);
}

void
web_api_recs(web_api_t *api, const web_request_t *req, const char *rest,
             web_response_t *resp)
{
    if (*rest) { /* /recs/ID: the path is percent-decoded already */
        static const web_arg_t args[] = {S_CLOCK_ARGS};
        const char *id = rest + 1;
        if (strlen(id) > NMIRF_REC_ID_MAX) {
            web_api_error(resp, 404, "not_found", "no recommendation has so long an id");
            return;
        }
        s_query(api, req, resp, "rec.show", args, N(args), json_pack("{s:s}", "rec", id));
        return;
    }
    static const web_arg_t args[] = {
        {"scope", WEB_ARG_ENUM, &s_scopes, 0, 0},
        {"status", WEB_ARG_ENUM, &nmirf_statuses, 0, 0},
        {"mechanism", WEB_ARG_ENUM, &nmirf_mechanisms, 0, 0},
        {"due", WEB_ARG_ENUM, &s_dues, 0, 0},
        {"q", WEB_ARG_STR, NULL, 0, NMIRF_CONTROL_QUERY_MAX},
        {"withdrawn", WEB_ARG_BOOL, NULL, 0, 0},
        S_CLOCK_ARGS,
        S_PAGE_ARGS,
    };
    s_query(api, req, resp, "rec.list", args, N(args), NULL);
}

void
web_api_measures(web_api_t *api, const web_request_t *req, const char *rest,
                 web_response_t *resp)
{
    (void)rest;
    static const web_arg_t args[] = {{"rec", WEB_ARG_REC, NULL, 0, 0}};
    s_query(api, req, resp, "measure.list", args, N(args), NULL);
}

void
web_api_outbox(web_api_t *api, const web_request_t *req, const char *rest,
               web_response_t *resp)
{
    (void)rest;
    s_query(api, req, resp, "outbox", NULL, 0, NULL);
}

void
web_api_reports_get(web_api_t *api, const web_request_t *req, const char *rest,
                    web_response_t *resp)
{
    (void)rest;
    static const web_arg_t args[] = {
        {"state", WEB_ARG_ENUM, &nmirf_report_states, 0, 0},
        {"entity", WEB_ARG_ENTITY, NULL, 0, 0},
        {"rec", WEB_ARG_REC, NULL, 0, 0},
        S_PAGE_ARGS,
    };
    s_query(api, req, resp, "report.list", args, N(args), NULL);
}

void
web_api_entities(web_api_t *api, const web_request_t *req, const char *rest,
                 web_response_t *resp)
{
    (void)rest;
    s_query(api, req, resp, "entity.list", NULL, 0, NULL);
}

/* --- the schema ------------------------------------------------------- */

static json_t *
s_set(const nmirf_valueset_t *set)
{
    json_t *a = json_array();
    for (int i = 0; i < set->count; i++)
        json_array_append_new(a, json_string(set->names[i]));
    return a;
}

static const char *
s_kind(nmirf_field_type_t t)
{
    switch (t) {
    case NMIRF_FIELD_STR:
        return "str";
    case NMIRF_FIELD_LINE:
        return "line";
    case NMIRF_FIELD_ENUM:
        return "enum";
    case NMIRF_FIELD_DATE:
        return "date";
    case NMIRF_FIELD_REC_ID:
        return "rec_id";
    case NMIRF_FIELD_ENTITY_ID:
        return "entity_id";
    case NMIRF_FIELD_UINT:
        return "uint";
    case NMIRF_FIELD_STR_LIST:
        return "str_list";
    case NMIRF_FIELD_LANGS:
        return "langs";
    case NMIRF_FIELD_NUMBER:
        return "number";
    case NMIRF_FIELD_POINTS:
        return "points";
    case NMIRF_FIELD_BIN:
        return "bin";
    case NMIRF_FIELD_BOOL:
        return "bool";
    }
    return "?";
}

/* [{name, kind, required, max, set?}] of a table; the form's object
   field is of kind "object" with its own `fields`. */
static json_t *
s_fields(const web_form_t *form, const nmirf_fields_t *fields, bool top)
{
    json_t *a = json_array();
    for (int i = 0; i < fields->count; i++) {
        const nmirf_field_t *f = &fields->fields[i];
        bool object = top && form->object_key && strcmp(f->key, form->object_key) == 0;
        json_t *o = json_pack("{s:s, s:s, s:b, s:I}", "name", f->key, "kind",
                              object ? "object" : s_kind(f->type), "required",
                              f->required, "max", (json_int_t)f->max);
        if (f->set)
            json_object_set_new(o, "set", s_set(f->set));
        if (object)
            json_object_set_new(o, "fields", s_fields(form, form->object, false));
        json_array_append_new(a, o);
    }
    return a;
}

void
web_api_schema(web_api_t *api, const web_request_t *req, const char *rest,
               web_response_t *resp)
{
    (void)api, (void)req, (void)rest;
    static const web_form_t *const forms[] = {
        &web_form_report_submit,  &web_form_report_validate, &web_form_report_return,
        &web_form_rec_assign,     &web_form_measure_add,     &web_form_measure_update,
        &web_form_recommendation, &web_form_rec_withdraw,    &web_form_rec_merge,
        &web_form_entity_update};
    json_t *fields = json_object();
    for (size_t i = 0; i < N(forms); i++)
        json_object_set_new(fields, forms[i]->op,
                            s_fields(forms[i], forms[i]->fields, true));
    json_t *limits = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I}", "short",
        (json_int_t)NMIRF_SHORT_MAX, "text", (json_int_t)NMIRF_TEXT_MAX, "evidence",
        (json_int_t)NMIRF_EVIDENCE_MAX, "list", (json_int_t)NMIRF_LIST_MAX, "rec_id",
        (json_int_t)NMIRF_REC_ID_MAX, "entity_id", (json_int_t)NMIRF_ENTITY_ID_MAX,
        "due_soon_default", (json_int_t)NMIRF_DUE_SOON_DEFAULT, "due_soon_max",
        (json_int_t)NMIRF_DUE_SOON_MAX, "page_max", (json_int_t)NMIRF_CONTROL_LIMIT_MAX,
        "query", (json_int_t)NMIRF_CONTROL_QUERY_MAX, "number", NMIRF_NUMBER_MAX,
        "import", (json_int_t)NMIRF_IMPORT_MAX, "body", (json_int_t)WEB_BODY_MAX);
    json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "statuses",
                          s_set(&nmirf_statuses), "mechanisms", s_set(&nmirf_mechanisms),
                          "responses", s_set(&nmirf_responses), "report_states",
                          s_set(&nmirf_report_states), "langs", s_set(&nmirf_langs),
                          "limits", limits, "fields", fields);
    web_api_json(resp, 200, j);
}
