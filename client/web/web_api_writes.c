/*  web_api_writes - the writes (docs/WEB.md section 2, Writes): a report
    by an editor or a coordinator, the coordinator's validate, return,
    assign, measures, and repairs of the list (withdraw, merge, an
    entity's names and contact). Each form is checked field by field
    (web_form.c: 422 bad_field, nothing sent), packed into its op's body
    and sent with control `submit`, waiting WEB_SUBMIT_WAIT_MS for the
    broker: 200 delivered, 202 queued, 502 refused.

    The request id is the client's when it gives 32 hex digits (a page
    retrying after a network error), else a new one: the agent answers a
    submit with an id it holds or answered with that entry's outcome, so
    the same id never makes two reports.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_control.h"
#include "nmirf_json.h"
#include "nmirf_util.h"
#include "web_api_int.h"
#include "web_form.h"

int
web_api_submit(web_api_t *api, web_response_t *resp, const char *op,
               const msgpack_sbuffer *body, const uint8_t *id, nmirf_reply_t **reply_p)
{
    if (reply_p)
        *reply_p = NULL;
    char hex[2 * NMIRF_ID_LEN + 1], why[256];
    nmirf_hex(id, NMIRF_ID_LEN, hex);
    nmirf_reply_t *r;
    if (web_agent_submit(api->agent, op, body, id, WEB_SUBMIT_WAIT_MS, &r, why,
                         sizeof why)) {
        /* It may have been queued all the same: the same id again is safe. */
        web_api_error(resp, 503, "agent_down", "%s (request %s)", why, hex);
        return -1;
    }
    if (!r->ok) {
        json_t *e = json_pack("{s:s, s:s, s:s}", "code", r->code_name, "message",
                              r->message, "id", hex);
        web_api_json(resp, 502, e);
        nmirf_reply_destroy(&r);
        return -1;
    }
    nmirf_ctl_queued_t q;
    if (nmirf_ctl_queued_decode(&r->body, &q, NULL, 0) == NMIRF_OK) {
        json_t *j = json_pack("{s:s, s:s}", "state", "queued", "id", hex);
        if (q.key_refused)
            json_object_set_new(j, "key_refused", json_true());
        web_api_json(resp, 202, j);
        nmirf_reply_destroy(&r);
        return 1;
    }
    web_api_json(resp, 200,
                 json_pack("{s:s, s:s, s:o}", "state", "delivered", "id", hex, "reply",
                           nmirf_json_from_mp(&r->body)));
    if (reply_p)
        *reply_p = r;
    else
        nmirf_reply_destroy(&r);
    return 0;
}

/* The request's body (caller decrefs), or NULL (resp answered); the
   request id into id: the client's (taken out of the body), or a new
   one. */
static json_t *
s_body(const web_request_t *req, web_response_t *resp, uint8_t id[NMIRF_ID_LEN])
{
    json_t *in = web_api_body(req, resp);
    if (!in)
        return NULL;
    const json_t *v = json_object_get(in, "id");
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    bool given = s && strlen(s) == 2 * NMIRF_ID_LEN;
    for (size_t i = 0; given && s[i]; i++)
        given = isxdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]);
    if (!given || nmirf_unhex(s, id, NMIRF_ID_LEN) != 0)
        nmirf_random_id(id, NMIRF_ID_LEN);
    json_object_del(in, "id");
    return in;
}

/* Checks in (stolen) against form, packs and submits it. */
static void
s_write(web_api_t *api, web_response_t *resp, const web_form_t *form, json_t *in,
        const uint8_t *id)
{
    json_t *errors = json_array();
    if (web_form_check(form, in, errors) > 0) {
        web_api_bad_field(resp, errors);
        json_decref(in);
        return;
    }
    json_decref(errors);
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    web_form_pack(form, in, &body);
    uint8_t fresh[NMIRF_ID_LEN];
    if (!id) {
        nmirf_random_id(fresh, sizeof fresh);
        id = fresh;
    }
    web_api_submit(api, resp, form->op, &body, id, NULL);
    msgpack_sbuffer_destroy(&body);
    json_decref(in);
}

/* N of "/N" or "/N/verb" (verb into *verb, "" if none); false if rest is
   not that. */
static bool
s_number_path(const char *rest, uint64_t *n, const char **verb)
{
    if (rest[0] != '/' || !isdigit((unsigned char)rest[1]))
        return false;
    char *end;
    unsigned long long u = strtoull(rest + 1, &end, 10);
    if (end - (rest + 1) > 15 || (*end && *end != '/'))
        return false;
    *n = u;
    *verb = *end ? end + 1 : "";
    return true;
}

/* Sets key of in to value (taken): a field the console decides, never the
   form. A form that gives it is refused (422 bad_field) and false
   returned. */
static bool
s_own(json_t *in, const char *key, json_t *value, web_response_t *resp)
{
    if (json_object_get(in, key)) {
        json_decref(value);
        web_api_bad_field(resp,
                          json_pack("[{s:s, s:s}]", "field", key, "code", "bad_value"));
        return false;
    }
    json_object_set_new(in, key, value);
    return true;
}

void
web_api_reports_post(web_api_t *api, const web_request_t *req, const char *rest,
                     web_response_t *resp)
{
    const web_form_t *form = &web_form_report_submit;
    uint64_t report = 0;
    if (*rest) {
        const char *verb;
        if (!s_number_path(rest, &report, &verb) ||
            (strcmp(verb, "validate") != 0 && strcmp(verb, "return") != 0)) {
            web_api_error(resp, 404, "not_found", "no such API path: /api%s", req->path);
            return;
        }
        form = strcmp(verb, "validate") == 0 ? &web_form_report_validate
                                             : &web_form_report_return;
        if (!web_api_coordinator(api, req, resp))
            return;
    }
    uint8_t id[NMIRF_ID_LEN];
    json_t *in = s_body(req, resp, id);
    if (!in)
        return;
    bool submit = form == &web_form_report_submit;
    /* Submit: the staff member who wrote it, in the signed report.
       Validate, return: the report of the path. */
    if (!s_own(in, submit ? "by" : "report",
               submit ? json_string(req->who->user) : json_integer((json_int_t)report),
               resp)) {
        json_decref(in);
        return;
    }
    s_write(api, resp, form, in, id);
}

/* A coordinator's write whose body is the form as it is: the role, the
   body, then the signed submission. */
static void
s_coordinator_write(web_api_t *api, const web_request_t *req, web_response_t *resp,
                    const web_form_t *form)
{
    if (!web_api_coordinator(api, req, resp))
        return;
    uint8_t id[NMIRF_ID_LEN];
    json_t *in = s_body(req, resp, id);
    if (!in)
        return;
    s_write(api, resp, form, in, id);
}

void
web_api_assign(web_api_t *api, const web_request_t *req, const char *rest,
               web_response_t *resp)
{
    (void)rest;
    s_coordinator_write(api, req, resp, &web_form_rec_assign);
}

void
web_api_measures_write(web_api_t *api, const web_request_t *req, const char *rest,
                       web_response_t *resp)
{
    uint64_t n = 0;
    const char *verb = "";
    bool put = strcmp(req->method, "PUT") == 0;
    if (put && (!s_number_path(rest, &n, &verb) || *verb)) {
        web_api_error(resp, 404, "not_found", "no such API path: /api%s", req->path);
        return;
    }
    if (!web_api_coordinator(api, req, resp))
        return;
    uint8_t id[NMIRF_ID_LEN];
    json_t *in = s_body(req, resp, id);
    if (!in)
        return;
    if (put) /* the measure's id, from the path (the form's `id` is the request's) */
        json_object_set_new(in, "id", json_integer((json_int_t)n));
    s_write(api, resp, put ? &web_form_measure_update : &web_form_measure_add, in, id);
}

void
web_api_withdraw(web_api_t *api, const web_request_t *req, const char *rest,
                 web_response_t *resp)
{
    (void)rest;
    s_coordinator_write(api, req, resp, &web_form_rec_withdraw);
}

void
web_api_merge(web_api_t *api, const web_request_t *req, const char *rest,
              web_response_t *resp)
{
    (void)rest;
    s_coordinator_write(api, req, resp, &web_form_rec_merge);
}

/* PUT /entities/ID {names?, contact?}: the entity's id is the path's (the
   body's `id` is the request's, as everywhere). */
void
web_api_entity_update(web_api_t *api, const web_request_t *req, const char *rest,
                      web_response_t *resp)
{
    /* PUT /entities alone matches the route with rest "": no entity */
    const char *ent = *rest ? rest + 1 : "";
    if (!*ent || strlen(ent) > NMIRF_ENTITY_ID_MAX || strchr(ent, '/')) {
        web_api_error(resp, 404, "not_found", "no such API path: /api%s", req->path);
        return;
    }
    if (!web_api_coordinator(api, req, resp))
        return;
    uint8_t id[NMIRF_ID_LEN];
    json_t *in = s_body(req, resp, id);
    if (!in)
        return;
    /* Nothing to change is the broker's bad_request: said here as the
       form's, naming the field a person fills. */
    const json_t *names = json_object_get(in, "names");
    const json_t *contact = json_object_get(in, "contact");
    if ((!names || json_is_null(names) ||
         (json_is_object(names) && !json_object_size(names))) &&
        (!contact || json_is_null(contact))) {
        web_api_bad_field(
            resp, json_pack("[{s:s, s:s}]", "field", "names", "code", "required"));
        json_decref(in);
        return;
    }
    json_object_set_new(in, "id", json_string(ent));
    s_write(api, resp, &web_form_entity_update, in, id);
}
