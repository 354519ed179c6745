/*  web_api - the API's routing (docs/WEB.md section 2) and what its
    groups share (web_api_int.h): answers, query args, calls to the agent
    and their refusals as HTTP statuses, the console's entity and role.

    A route is a method and a path prefix; a path that matches a route but
    not its method is 405, one that matches none 404. A role below the
    route's is 403 before anything is asked of the agent.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_json.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "web_api_int.h"

/* One route. */
typedef struct {
    const char *method;
    const char *path; /* after /api */
    bool sub;         /* also takes path/... (rest handed to fn) */
    web_role_t role;  /* the least role that may */
    web_api_fn *fn;
} s_route_t;

static const s_route_t s_routes[] = {
    {"GET", "/status", false, WEB_ROLE_VIEWER, web_api_status},
    {"GET", "/mine", false, WEB_ROLE_VIEWER, web_api_mine},
    {"GET", "/recs", true, WEB_ROLE_VIEWER, web_api_recs},
    {"GET", "/measures", false, WEB_ROLE_VIEWER, web_api_measures},
    {"POST", "/measures", false, WEB_ROLE_COORDINATOR, web_api_measures_write},
    {"PUT", "/measures", true, WEB_ROLE_COORDINATOR, web_api_measures_write},
    {"GET", "/outbox", false, WEB_ROLE_VIEWER, web_api_outbox},
    {"GET", "/reports", false, WEB_ROLE_VIEWER, web_api_reports_get},
    {"POST", "/reports", true, WEB_ROLE_EDITOR, web_api_reports_post},
    {"GET", "/entities", false, WEB_ROLE_VIEWER, web_api_entities},
    {"GET", "/schema", false, WEB_ROLE_VIEWER, web_api_schema},
    {"GET", "/vocab", false, WEB_ROLE_VIEWER, web_api_vocab},
    {"POST", "/assign", false, WEB_ROLE_COORDINATOR, web_api_assign},
    {"POST", "/withdraw", false, WEB_ROLE_COORDINATOR, web_api_withdraw},
    {"POST", "/merge", false, WEB_ROLE_COORDINATOR, web_api_merge},
    {"PUT", "/entities", true, WEB_ROLE_COORDINATOR, web_api_entity_update},
    {"POST", "/import/preview", false, WEB_ROLE_COORDINATOR, web_api_import_preview},
    {"POST", "/import", false, WEB_ROLE_COORDINATOR, web_api_import},
    {"GET", "/stats", false, WEB_ROLE_VIEWER, web_api_stats},
    {"GET", "/report.html", false, WEB_ROLE_COORDINATOR, web_api_report_html},
};

web_api_t *
web_api_new(const char *agent_dir)
{
    web_api_t *self = calloc(1, sizeof *self);
    if (!self || !(self->agent = web_agent_new(agent_dir))) {
        log_warnx("web api: out of memory");
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
web_api_destroy(web_api_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    web_agent_destroy(&(*self_p)->agent);
    pthread_mutex_destroy(&(*self_p)->lock);
    free(*self_p);
    *self_p = NULL;
}

/* The rest of path after route's path, or NULL if it does not match. */
static const char *
s_match(const s_route_t *r, const char *path)
{
    size_t n = strlen(r->path);
    if (strncmp(path, r->path, n) != 0)
        return NULL;
    if (path[n] == 0)
        return path + n;
    return r->sub && path[n] == '/' && path[n + 1] ? path + n : NULL;
}

void
web_api_handle(web_api_t *self, const web_request_t *req, web_response_t *resp)
{
    memset(resp, 0, sizeof *resp);
    bool path_known = false;
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++) {
        const s_route_t *r = &s_routes[i];
        const char *rest = s_match(r, req->path);
        if (!rest)
            continue;
        path_known = true;
        if (strcmp(r->method, req->method) != 0)
            continue;
        if (req->who->role < r->role) {
            web_api_error(resp, 403, "forbidden", "a %s may not %s /api%s",
                          req->who->role == WEB_ROLE_VIEWER ? "viewer" : "editor",
                          req->method, req->path);
            return;
        }
        r->fn(self, req, rest, resp);
        return;
    }
    if (path_known)
        web_api_error(resp, 405, "bad_method", "%s is not a method of /api%s",
                      req->method, req->path);
    else
        web_api_error(resp, 404, "not_found", "no such API path: /api%s", req->path);
}

/* --- answers ---------------------------------------------------------- */

void
web_api_json(web_response_t *resp, unsigned status, json_t *body)
{
    resp->status = status;
    resp->content_type = "application/json";
    resp->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!resp->body) {
        resp->status = 500;
        resp->body = strdup("{\"code\":\"internal\",\"message\":\"out of memory\"}");
    }
    resp->len = resp->body ? strlen(resp->body) : 0;
    json_decref(body);
}

static void
s_error(web_response_t *resp, unsigned status, const char *code, const char *message,
        json_t *errors)
{
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (errors)
        json_object_set_new(e, "errors", errors);
    web_api_json(resp, status, e);
}

void
web_api_error(web_response_t *resp, unsigned status, const char *code, const char *fmt,
              ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    s_error(resp, status, code, message, NULL);
}

void
web_api_bad_field(web_response_t *resp, json_t *errors)
{
    char message[64];
    snprintf(message, sizeof message, "%zu fields are wrong; nothing sent",
             json_array_size(errors));
    s_error(resp, 422, "bad_field", message, errors);
}

json_t *
web_api_body(const web_request_t *req, web_response_t *resp)
{
    if (!req->body || req->body_len == 0)
        return json_object();
    json_error_t err;
    json_t *j =
        json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!j || !json_is_object(j)) {
        web_api_error(resp, 400, "bad_json", "the body is not one JSON object%s%s",
                      j ? "" : ": ", j ? "" : err.text);
        json_decref(j);
        return NULL;
    }
    return j;
}

/* --- query args ------------------------------------------------------- */

int
web_api_args(const web_request_t *req, const web_arg_t *specs, size_t n, json_t *out,
             web_response_t *resp)
{
    for (size_t i = 0; i < n; i++) {
        const web_arg_t *s = &specs[i];
        const char *v = req->arg ? req->arg(req, s->key) : NULL;
        if (!v)
            continue;
        size_t len = strlen(v);
        bool ok = len > 0;
        json_t *val = NULL;
        switch (s->kind) {
        case WEB_ARG_ENUM:
            ok = nmirf_valueset_has(s->set, v);
            if (!ok) {
                char names[512] = "";
                for (int k = 0; k < s->set->count; k++)
                    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                             k ? ", " : "", s->set->names[k]);
                web_api_error(resp, 400, "bad_request", "%s: '%.64s' is not one of %s",
                              s->key, v, names);
                return -1;
            }
            val = json_string(v);
            break;
        case WEB_ARG_UINT: {
            char *end = NULL;
            unsigned long long u =
                ok && v[0] != '-' && v[0] != '+' ? strtoull(v, &end, 10) : 0;
            ok = ok && end && *end == 0 && len <= 19 && u >= s->min && u <= s->max;
            if (!ok) {
                web_api_error(resp, 400, "bad_request",
                              "%s: '%.64s' is not a number from %llu to %llu", s->key, v,
                              (unsigned long long)s->min, (unsigned long long)s->max);
                return -1;
            }
            val = json_integer((json_int_t)u);
            break;
        }
        case WEB_ARG_DATE:
            ok = nmirf_date_valid(v, len);
            val = json_string(v);
            break;
        case WEB_ARG_STR:
            ok = ok && len <= s->max;
            val = json_stringn(v, len);
            break;
        case WEB_ARG_REC:
            ok = ok && len <= NMIRF_REC_ID_MAX &&
                 strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                           "0123456789._/:-") == len;
            val = json_string(v);
            break;
        case WEB_ARG_ENTITY:
            ok = ok && len <= NMIRF_ENTITY_ID_MAX &&
                 strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
            val = json_string(v);
            break;
        case WEB_ARG_BOOL:
            ok = strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
            val = json_boolean(v[0] == 't');
            break;
        }
        if (!ok || !val) {
            json_decref(val);
            web_api_error(resp, 400, "bad_request", "%s: '%.64s' is not a %s", s->key, v,
                          s->kind == WEB_ARG_DATE     ? "date YYYY-MM-DD"
                          : s->kind == WEB_ARG_REC    ? "recommendation id"
                          : s->kind == WEB_ARG_ENTITY ? "entity id"
                          : s->kind == WEB_ARG_BOOL   ? "true or false"
                                                      : "text of the right length");
            return -1;
        }
        json_object_set_new(out, s->key, val);
    }
    return 0;
}

/* --- the agent -------------------------------------------------------- */

void
web_api_pack(const json_t *body, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    nmirf_json_to_mp(body, &pk);
}

void
web_api_refusal(web_response_t *resp, const nmirf_reply_t *reply)
{
    unsigned status = reply->code == NMIRF_E_BAD_REQUEST ? 400
                      : reply->code == NMIRF_E_NOT_FOUND ? 404
                      : reply->code == NMIRF_E_TOO_LARGE ? 413
                                                         : 502;
    s_error(resp, status, reply->code_name, reply->message, NULL);
}

int
web_api_call(web_api_t *api, web_response_t *resp, const char *op, const json_t *body,
             nmirf_reply_t **reply)
{
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    if (body)
        web_api_pack(body, &b);
    char why[256];
    int rc = web_agent_call(api->agent, op, body ? &b : NULL, WEB_AGENT_TIMEOUT_MS, reply,
                            why, sizeof why);
    msgpack_sbuffer_destroy(&b);
    if (rc) {
        web_api_error(resp, 503, "agent_down", "%s", why);
        return -1;
    }
    if (!(*reply)->ok) {
        web_api_refusal(resp, *reply);
        nmirf_reply_destroy(reply);
        return -1;
    }
    return 0;
}

void
web_api_reply(web_response_t *resp, const nmirf_reply_t *reply)
{
    web_api_json(resp, 200, nmirf_json_from_mp(&reply->body));
}

/* --- the console ------------------------------------------------------ */

/* Finds the agent's entity (status) and its role (the replica's
   entity.list). On failure code says why in a word: "agent_down" (no
   reply), or the agent's refusal ("unknown_op": an agent without
   entity.list). */
static int
s_console(web_api_t *self, char *code, size_t code_size, char *why, size_t whylen)
{
    snprintf(code, code_size, "agent_down");
    char entity[NMIRF_ENTITY_ID_MAX + 1] = "", role[NMIRF_ENUM_MAX + 1] = "";
    nmirf_reply_t *r = NULL;
    if (web_agent_call(self->agent, "status", NULL, WEB_AGENT_TIMEOUT_MS, &r, why,
                       whylen))
        return -1;
    const msgpack_object *e = r->ok ? nmirf_mp_get(&r->body, "entity") : NULL;
    if (!e || nmirf_mp_strcpy(e, entity, sizeof entity) != 0 || !entity[0]) {
        snprintf(code, code_size, "%s", r->ok ? "bad_reply" : r->code_name);
        snprintf(why, whylen, "the agent's status names no entity");
        nmirf_reply_destroy(&r);
        return -1;
    }
    nmirf_reply_destroy(&r);
    if (web_agent_call(self->agent, "entity.list", NULL, WEB_AGENT_TIMEOUT_MS, &r, why,
                       whylen))
        return -1;
    const msgpack_object *list = r->ok ? nmirf_mp_get(&r->body, "entities") : NULL;
    for (uint32_t i = 0;
         list && list->type == MSGPACK_OBJECT_ARRAY && i < list->via.array.size; i++) {
        const msgpack_object *it = &list->via.array.ptr[i];
        if (nmirf_mp_str_is(nmirf_mp_get(it, "id"), entity)) {
            nmirf_mp_strcpy(nmirf_mp_get(it, "role"), role, sizeof role);
            break;
        }
    }
    if (!role[0]) {
        snprintf(code, code_size, "%s", r->ok ? "not_found" : r->code_name);
        snprintf(why, whylen, "entity.list: %s",
                 r->ok ? "the replica does not hold the agent's entity yet" : r->message);
    }
    nmirf_reply_destroy(&r);
    if (!role[0])
        return -1;
    pthread_mutex_lock(&self->lock);
    snprintf(self->entity, sizeof self->entity, "%s", entity);
    snprintf(self->role, sizeof self->role, "%s", role);
    self->console_known = true;
    pthread_mutex_unlock(&self->lock);
    return 0;
}

/* The console's entity and role: the cached ones, else asked of the agent
   (s_console). On failure code and why say why. */
static int
s_console_get(web_api_t *self, char *entity, size_t entity_size, char *role,
              size_t role_size, char *code, size_t code_size, char *why, size_t whylen)
{
    pthread_mutex_lock(&self->lock);
    bool known = self->console_known;
    pthread_mutex_unlock(&self->lock);
    if (!known && s_console(self, code, code_size, why, whylen))
        return -1;
    pthread_mutex_lock(&self->lock);
    snprintf(entity, entity_size, "%s", self->entity);
    snprintf(role, role_size, "%s", self->role);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

int
web_api_console(web_api_t *self, char *entity, size_t entity_size, char *role,
                size_t role_size, char *why, size_t whylen)
{
    char code[32];
    return s_console_get(self, entity, entity_size, role, role_size, code, sizeof code, why,
                         whylen);
}

bool
web_api_coordinator(web_api_t *api, const web_request_t *req, web_response_t *resp)
{
    if (req->who->role != WEB_ROLE_COORDINATOR) {
        web_api_error(resp, 403, "forbidden", "only a coordinator account may");
        return false;
    }
    char entity[NMIRF_ENTITY_ID_MAX + 1], role[NMIRF_ENUM_MAX + 1], why[256], code[32];
    if (s_console_get(api, entity, sizeof entity, role, sizeof role, code, sizeof code, why,
                      sizeof why)) {
        bool down = strcmp(code, "agent_down") == 0;
        web_api_error(resp, down ? 503 : 502, code,
                      "cannot tell the role of this console's entity: %s", why);
        return false;
    }
    if (strcmp(role, "coordinator") != 0) {
        web_api_error(resp, 403, "forbidden",
                      "this console's entity %s is a %s, not the coordinator", entity,
                      role);
        return false;
    }
    return true;
}
