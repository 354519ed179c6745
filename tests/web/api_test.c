/*  api_test - nmirf-web's API (docs/WEB.md section 2) against a real
    broker and real agents, through web_api_handle with requests built
    here (no HTTP: the core's part is not under test).

    MJ's agent (a ministry) serves a console: every read and its refused
    arguments, the form checks with their exact `errors`, the roles, a
    report written through POST /api/reports that the broker then lists
    (and the same request id twice makes one report), a path or method
    that is none, and an agent that is down (503). The coordinator's
    agent serves a second console for the coordinator's writes, the
    import preview and import, the stats and the HTML report.

    The hub is tested in hub_test (api_hub_test.c).
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent_common.h"
#include "nmirf_schema.h"
#include "web.h"

/* --- requests --------------------------------------------------------- */

/* Query args of one request: "k=v&k=v", not encoded (tests only). */
typedef struct {
    char buf[1024];
    const char *keys[16], *vals[16];
    int n;
} t_query_t;

static const char *
t_arg(const web_request_t *req, const char *key)
{
    const t_query_t *q = req->conn;
    for (int i = 0; q && i < q->n; i++)
        if (strcmp(q->keys[i], key) == 0)
            return q->vals[i];
    return NULL;
}

static web_response_t t_resp; /* the last answer */

/* Makes one request as user of role (path with an optional ?query), body
   NULL or text; fails unless the status is expect. Returns the answer
   parsed as JSON (NULL if it is not JSON), to decref. expect 0: any
   status (t_resp.status says which). */
static json_t *
t_req(web_api_t *api, web_role_t role, const char *method, const char *path_query,
      const char *body, unsigned expect)
{
    t_query_t q = {.n = 0};
    char path[512];
    snprintf(path, sizeof path, "%s", path_query);
    char *qm = strchr(path, '?');
    if (qm) {
        *qm = 0;
        snprintf(q.buf, sizeof q.buf, "%s", qm + 1);
        for (char *save = NULL, *kv = strtok_r(q.buf, "&", &save); kv && q.n < 16;
             kv = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(kv, '=');
            q.keys[q.n] = kv;
            q.vals[q.n++] = eq ? (*eq = 0, eq + 1) : "";
        }
    }
    web_who_t who = {.role = role};
    snprintf(who.user, sizeof who.user, "%s",
             role == WEB_ROLE_VIEWER   ? "vera"
             : role == WEB_ROLE_EDITOR ? "edith"
                                       : "cora");
    snprintf(who.lang, sizeof who.lang, "fr");
    web_request_t req = {.method = method,
                         .path = path,
                         .arg = t_arg,
                         .conn = &q,
                         .content_type = body ? "application/json" : NULL,
                         .body = (const uint8_t *)body,
                         .body_len = body ? strlen(body) : 0,
                         .who = &who};
    free(t_resp.body);
    free(t_resp.filename);
    web_api_handle(api, &req, &t_resp);
    json_t *j = t_resp.body && t_resp.content_type &&
                        strcmp(t_resp.content_type, "application/json") == 0
                    ? json_loadb(t_resp.body, t_resp.len, 0, NULL)
                    : NULL;
    HA_ASSERTF(!expect || t_resp.status == expect, "%s /api%s: %u, not %u: %.*s", method,
               path_query, t_resp.status, expect, (int)(t_resp.body ? t_resp.len : 0),
               t_resp.body ? t_resp.body : "");
    return j;
}

/* Expects a refusal {code} with status. */
static void
t_refused(web_api_t *api, web_role_t role, const char *method, const char *path,
          const char *body, unsigned status, const char *code)
{
    json_t *j = t_req(api, role, method, path, body, status);
    const char *got = json_string_value(json_object_get(j, "code"));
    HA_ASSERTF(got && strcmp(got, code) == 0, "%s /api%s: code %s, not %s", method, path,
               got ? got : "(none)", code);
    HA_ASSERTF(json_is_string(json_object_get(j, "message")), "%s %s: no message", method,
               path);
    json_decref(j);
}

/* The value at a dotted path ("recs.0.id"); numbers index arrays. */
static json_t *
t_at(json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); j && k;
         k = strtok_r(NULL, ".", &save))
        j = json_is_array(j) ? json_array_get(j, strtoul(k, NULL, 10))
                             : json_object_get(j, k);
    return j;
}

static bool
t_is(json_t *j, const char *path, const char *s)
{
    const char *v = json_string_value(t_at(j, path));
    return v && strcmp(v, s) == 0;
}

/* --- the ministry's console -------------------------------------------- */

static void
t_reads(web_api_t *api)
{
    json_t *j = t_req(api, WEB_ROLE_VIEWER, "GET", "/status", NULL, 200);
    HA_ASSERT(t_is(j, "entity", "MJ") && json_is_integer(t_at(j, "contact_at")));
    json_decref(j);

    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/mine?today=2026-01-20", NULL, 200);
    HA_ASSERT(t_is(j, "assignments.0.rec", "W-0") &&
              json_array_size(t_at(j, "assignments")) == 1);
    json_decref(j);

    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/recs?scope=all&limit=2&offset=1", NULL, 200);
    HA_ASSERT(json_integer_value(t_at(j, "total")) == 3 &&
              json_array_size(t_at(j, "recs")) == 2 && t_is(j, "recs.0.id", "W-0"));
    json_decref(j);
    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/recs?scope=ours&mechanism=UPR", NULL, 200);
    HA_ASSERT(json_integer_value(t_at(j, "total")) == 1 && t_is(j, "recs.0.id", "W-0"));
    json_decref(j);
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/recs?limit=0", NULL, 400, "bad_request");
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/recs?limit=501", NULL, 400, "bad_request");
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/recs?limit=ten", NULL, 400, "bad_request");
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/recs?offset=-1", NULL, 400, "bad_request");
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/recs?scope=theirs", NULL, 400,
              "bad_request");
    HA_ASSERT(strstr(t_resp.body, "scope") && strstr(t_resp.body, "contributor"));
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/recs?status=done", NULL, 400, "bad_request");
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/recs?today=2026-02-30", NULL, 400,
              "bad_request");
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/mine?due_soon_days=3651", NULL, 400,
              "bad_request");
    h_note("GET /api/status, /mine, /recs: answers and refused args");

    /* An id with slashes and a colon, as UN symbols have. */
    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/recs/A/HRC/52/7:1", NULL, 200);
    HA_ASSERT(t_is(j, "rec.id", "A/HRC/52/7:1") && t_is(j, "rec.mechanism", "UPR"));
    json_decref(j);
    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/recs/W-0", NULL, 200);
    HA_ASSERT(t_is(j, "rec.id", "W-0") && t_is(j, "role", "lead"));
    json_decref(j);
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/recs/W-9", NULL, 404, "not_found");

    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/measures?rec=W-0", NULL, 200);
    HA_ASSERT(t_is(j, "rec", "W-0") && json_is_array(t_at(j, "measures")));
    json_decref(j);
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/measures?rec=no%20such", NULL, 400,
              "bad_request");
    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/outbox", NULL, 200);
    HA_ASSERT(json_is_array(t_at(j, "pending")) && json_is_false(t_at(j, "key_refused")));
    json_decref(j);

    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/schema", NULL, 200);
    HA_ASSERT(t_is(j, "statuses.1", "in_progress") && t_is(j, "mechanisms.0", "UPR") &&
              json_integer_value(t_at(j, "limits.text")) == NMIRF_TEXT_MAX);
    json_t *f = json_object_get(json_object_get(j, "fields"), "report.submit");
    HA_ASSERT(json_array_size(f) == (size_t)nmirf_fields_report_submit.count &&
              t_is(f, "2.name", "narrative") &&
              json_integer_value(t_at(f, "2.max")) == NMIRF_TEXT_MAX &&
              t_is(f, "1.set.3", "implemented"));
    f = json_object_get(json_object_get(j, "fields"), "measure.add");
    HA_ASSERT(t_is(f, "3.kind", "object") && t_is(f, "3.fields.0.name", "name"));
    json_decref(j);

    t_refused(api, WEB_ROLE_VIEWER, "DELETE", "/status", NULL, 405, "bad_method");
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/nothing", NULL, 404, "not_found");
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/statusx", NULL, 404, "not_found");
    h_note("GET /api/recs/ID, /measures, /outbox, /schema; 404 and 405");
}

/* One HTTP thread's requests: reads and a refused form, 20 times. */
static void *
t_thread(void *arg)
{
    web_api_t *api = arg;
    web_who_t who = {.user = "edith", .role = WEB_ROLE_EDITOR, .lang = "en"};
    static const char *const paths[] = {"/status", "/recs", "/recs/W-0", "/reports"};
    long bad = 0;
    for (int i = 0; i < 20; i++) {
        web_request_t req = {.method = i % 5 == 4 ? "POST" : "GET",
                             .path = i % 5 == 4 ? "/reports" : paths[i % 4],
                             .arg = t_arg,
                             .body = (const uint8_t *)"{\"rec\": 1}",
                             .body_len = 10,
                             .who = &who};
        web_response_t resp;
        web_api_handle(api, &req, &resp);
        bool post = i % 5 == 4;
        unsigned want = post ? 422 : 200;
        bad += resp.status != want;
        free(resp.body);
        free(resp.filename);
    }
    return (void *)bad;
}

/* Four threads at once, as the core's HTTP threads call the API. */
static void
t_concurrent(web_api_t *api)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        HA_ASSERT(pthread_create(&th[i], NULL, t_thread, api) == 0);
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(th[i], &rc);
        bad += (long)rc;
    }
    HA_ASSERTF(bad == 0, "%ld answers of 80 were not the expected ones", bad);
    h_note("four threads, 80 requests at once: every answer as expected");
}

/* The form's errors, compared whole. */
static void
t_bad_form(web_api_t *api, web_role_t role, const char *method, const char *path,
           const char *body, const char *errors)
{
    json_t *j = t_req(api, role, method, path, body, 422);
    json_t *want = json_loads(errors, 0, NULL);
    HA_ASSERT(want);
    HA_ASSERTF(t_is(j, "code", "bad_field") && json_equal(t_at(j, "errors"), want),
               "%s %s: errors %s, not %s", method, path, t_resp.body, errors);
    json_decref(want);
    json_decref(j);
}

static void
t_writes(web_api_t *api, h_entity_t *co)
{
    t_refused(api, WEB_ROLE_VIEWER, "POST", "/reports",
              "{\"rec\": \"W-0\", \"status\": \"in_progress\", \"narrative\": \"x\"}",
              403, "forbidden");
    t_refused(api, WEB_ROLE_EDITOR, "POST", "/assign",
              "{\"rec\": \"W-1\", \"lead\": \"MJ\"}", 403, "forbidden");
    t_refused(api, WEB_ROLE_EDITOR, "POST", "/reports/1/validate", "{}", 403,
              "forbidden");
    t_refused(api, WEB_ROLE_EDITOR, "POST", "/measures", "{}", 403, "forbidden");
    t_refused(api, WEB_ROLE_EDITOR, "PUT", "/measures/1", "{}", 403, "forbidden");
    t_refused(api, WEB_ROLE_EDITOR, "POST", "/import", "x", 403, "forbidden");
    t_refused(api, WEB_ROLE_EDITOR, "GET", "/report.html", NULL, 403, "forbidden");
    t_refused(api, WEB_ROLE_EDITOR, "POST", "/reports", "{\"rec\": ", 400, "bad_json");
    t_refused(api, WEB_ROLE_EDITOR, "POST", "/reports", "[1]", 400, "bad_json");
    h_note("viewer and editor refused the writes they may not make (403)");

    char *big = malloc(NMIRF_TEXT_MAX + 64);
    memset(big, 'x', NMIRF_TEXT_MAX + 1);
    big[NMIRF_TEXT_MAX + 1] = 0;
    char *body;
    HA_ASSERT(
        asprintf(&body,
                 "{\"rec\": \"\", \"status\": \"done\", \"narrative\": \"%s\", "
                 "\"evidence\": \"http://x\", \"date\": \"2026-13-01\", "
                 "\"measure\": -1, \"indicator_values\": [{\"date\": \"2026-01-01\", "
                 "\"value\": \"ten\"}], \"colour\": \"red\"}",
                 big) > 0);
    t_bad_form(api, WEB_ROLE_EDITOR, "POST", "/reports", body,
               "[{\"field\": \"rec\", \"code\": \"required\"},"
               " {\"field\": \"status\", \"code\": \"bad_value\"},"
               " {\"field\": \"narrative\", \"code\": \"too_long\", \"max\": 32768},"
               " {\"field\": \"evidence\", \"code\": \"bad_value\"},"
               " {\"field\": \"date\", \"code\": \"bad_date\"},"
               " {\"field\": \"measure\", \"code\": \"not_number\"},"
               " {\"field\": \"indicator_values\", \"code\": \"not_number\"},"
               " {\"field\": \"colour\", \"code\": \"bad_value\"}]");
    free(body);
    free(big);
    t_bad_form(api, WEB_ROLE_EDITOR, "POST", "/reports", "{}",
               "[{\"field\": \"rec\", \"code\": \"required\"},"
               " {\"field\": \"status\", \"code\": \"required\"},"
               " {\"field\": \"narrative\", \"code\": \"required\"}]");
    t_bad_form(api, WEB_ROLE_EDITOR, "POST", "/reports",
               "{\"rec\": \"W 0\", \"status\": \"in_progress\", \"narrative\": \"n\", "
               "\"by\": \"someone\"}",
               "[{\"field\": \"by\", \"code\": \"bad_value\"}]");
    h_note("POST /api/reports: every wrong field in errors, nothing sent");

    /* A report, delivered; then the same id again: the same outcome. */
    const char *rid = "00112233445566778899aabbccddeeff";
    char *rb;
    HA_ASSERT(asprintf(&rb,
                       "{\"rec\": \"W-0\", \"status\": \"in_progress\", \"narrative\": "
                       "\"Une loi votée\", \"evidence\": [\"JO 12\"], \"id\": \"%s\"}",
                       rid) > 0);
    json_t *j = t_req(api, WEB_ROLE_EDITOR, "POST", "/reports", rb, 200);
    HA_ASSERT(t_is(j, "state", "delivered") && t_is(j, "id", rid));
    json_int_t report = json_integer_value(t_at(j, "reply.report.id"));
    HA_ASSERT(report > 0);
    json_decref(j);
    j = t_req(api, WEB_ROLE_EDITOR, "POST", "/reports", rb, 200);
    HA_ASSERT(t_is(j, "state", "delivered") &&
              json_integer_value(t_at(j, "reply.report.id")) == report);
    json_decref(j);
    free(rb);
    nmirf_reply_t *r = H_CALL_EXPECT("ok", co, "report.list", "{'rec': 'W-0'}");
    HA_ASSERTF(h_len(&r->body, "reports") == 1, "the broker lists %zu reports on W-0",
               h_len(&r->body, "reports"));
    HA_ASSERT(h_is(&r->body, "reports.0.narrative", "Une loi votée"));
    HA_ASSERT(h_is(&r->body, "reports.0.by", "edith"));
    h_note("the broker's report names its author: by edith");
    nmirf_reply_destroy(&r);
    h_note("POST /api/reports: delivered, one report for one id sent twice");

    /* A new id when the client's is not 32 hex digits. */
    j = t_req(api, WEB_ROLE_COORDINATOR, "POST", "/reports",
              "{\"rec\": \"W-0\", \"status\": \"in_progress\", \"narrative\": \"n2\", "
              "\"id\": \"not-hex\"}",
              200);
    HA_ASSERT(json_string_length(t_at(j, "id")) == 32 && !t_is(j, "id", "not-hex"));
    json_decref(j);
    /* The broker's refusal: MJ is not assigned W-1. */
    t_refused(api, WEB_ROLE_EDITOR, "POST", "/reports",
              "{\"rec\": \"W-1\", \"status\": \"in_progress\", \"narrative\": \"n\"}",
              502, "forbidden");
    h_note("POST /api/reports: a fresh id for a bad one; the broker's refusal is 502");

    /* A coordinator account on a ministry's console: the console's role
       comes from the replica's entity.list. */
    j = t_req(api, WEB_ROLE_COORDINATOR, "POST", "/assign",
              "{\"rec\": \"W-1\", \"lead\": \"MJ\"}", 0);
    HA_ASSERTF(t_resp.status == 403 && t_is(j, "code", "forbidden"),
               "a coordinator account on a ministry's console: %u %s", t_resp.status,
               t_resp.body);
    json_decref(j);
}

/* --- the coordinator's console ------------------------------------------ */

/* The import file of the preview: W-0 as it is, W-1 with a new text, a
   new W-5, and (bad_row) one whose id is not one. */
#define T_RECS                                                                           \
    "{\"id\": \"W-0\", \"mechanism\": \"UPR\", \"text\": {\"en\": \"Protect "            \
    "defenders\"}},"                                                                     \
    "{\"id\": \"W-1\", \"mechanism\": \"CRC\", \"text\": {\"fr\": \"Enfants, "           \
    "modifié\"}},"                                                                      \
    "{\"id\": \"W-5\", \"mechanism\": \"CAT\", \"text\": {\"en\": \"Train police\"}}"

static void
t_coordinator(web_api_t *api, web_api_t *ministry, h_broker_t *b, ha_agent_t *ca)
{
    json_t *j = t_req(api, WEB_ROLE_VIEWER, "GET", "/entities", NULL, 0);
    HA_ASSERTF(t_resp.status == 200, "GET /api/entities: %u %s", t_resp.status,
               t_resp.body);
    HA_ASSERTF(json_array_size(t_at(j, "entities")) >= 2, "entities: %s", t_resp.body);
    json_decref(j);

    t_bad_form(api, WEB_ROLE_COORDINATOR, "POST", "/assign",
               "{\"rec\": \"W-1\", \"lead\": \"mj\", \"contributors\": [\"MK\", \"\"], "
               "\"deadline\": \"soon\"}",
               "[{\"field\": \"lead\", \"code\": \"bad_value\"},"
               " {\"field\": \"contributors\", \"code\": \"required\"},"
               " {\"field\": \"deadline\", \"code\": \"bad_date\"}]");
    j = t_req(api, WEB_ROLE_COORDINATOR, "POST", "/assign",
              "{\"rec\": \"W-1\", \"lead\": \"MJ\", \"deadline\": \"2027-06-30\"}", 200);
    HA_ASSERT(t_is(j, "state", "delivered"));
    json_decref(j);
    /* The ministry's console refuses a coordinator account. */
    j = t_req(ministry, WEB_ROLE_COORDINATOR, "POST", "/assign",
              "{\"rec\": \"W-1\", \"lead\": \"MJ\"}", 0);
    HA_ASSERT(t_resp.status == 403 && t_is(j, "code", "forbidden"));
    json_decref(j);
    h_note("POST /api/assign: its errors, delivered; 403 on a ministry's console");

    /* Validate and return the reports MJ wrote. */
    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/reports?rec=W-0&state=submitted", NULL, 200);
    HA_ASSERTF(json_integer_value(t_at(j, "total")) == 2, "reports: %s", t_resp.body);
    json_int_t r1 = json_integer_value(t_at(j, "reports.0.id")),
               r2 = json_integer_value(t_at(j, "reports.1.id"));
    json_decref(j);
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/reports?state=late", NULL, 400,
              "bad_request");
    char path[64];
    snprintf(path, sizeof path, "/reports/%lld/validate", (long long)r1);
    json_decref(t_req(api, WEB_ROLE_COORDINATOR, "POST", path, "{}", 200));
    snprintf(path, sizeof path, "/reports/%lld/return", (long long)r2);
    t_bad_form(api, WEB_ROLE_COORDINATOR, "POST", path, "{}",
               "[{\"field\": \"reason\", \"code\": \"required\"}]");
    json_decref(t_req(api, WEB_ROLE_COORDINATOR, "POST", path,
                      "{\"reason\": \"more evidence\"}", 200));
    t_refused(api, WEB_ROLE_COORDINATOR, "POST", path, "{\"reason\": \"again\"}", 502,
              "conflict");
    t_refused(api, WEB_ROLE_COORDINATOR, "POST", "/reports/1/publish", "{}", 404,
              "not_found");
    h_note("POST /api/reports/N/validate and /return; a second return is 502 conflict");

    /* Measures. */
    t_bad_form(api, WEB_ROLE_COORDINATOR, "POST", "/measures",
               "{\"recs\": [], \"indicator\": {\"target\": \"high\"}}",
               "[{\"field\": \"title\", \"code\": \"required\"},"
               " {\"field\": \"indicator.name\", \"code\": \"required\"},"
               " {\"field\": \"indicator.target\", \"code\": \"not_number\"}]");
    j = t_req(api, WEB_ROLE_COORDINATOR, "POST", "/measures",
              "{\"recs\": [\"W-0\"], \"title\": \"Desk\", \"indicator\": {\"name\": "
              "\"cases\", \"target\": 40}}",
              200);
    json_int_t m = json_integer_value(t_at(j, "reply.measure.id"));
    HA_ASSERT(m > 0);
    json_decref(j);
    snprintf(path, sizeof path, "/measures/%lld", (long long)m);
    j = t_req(api, WEB_ROLE_COORDINATOR, "PUT", path, "{\"title\": \"Desk 2\"}", 200);
    HA_ASSERT(t_is(j, "reply.measure.title", "Desk 2"));
    json_decref(j);
    h_note("POST /api/measures, PUT /api/measures/N");

    /* Import: preview against the replica, then import. */
    ag_wait_seq(ca, h_seq(b));
    const char *file = "{\"recommendations\": [" T_RECS ", {\"id\": \"bad id!\", "
                       "\"mechanism\": \"UPR\"}]}";
    j = t_req(api, WEB_ROLE_COORDINATOR, "POST",
              "/import/preview?format=json&name=w.json", file, 200);
    HA_ASSERTF(t_is(j, "format", "json") && json_array_size(t_at(j, "added")) == 1 &&
                   t_is(j, "added.0.id", "W-5") && t_is(j, "added.0.mechanism", "CAT") &&
                   json_array_size(t_at(j, "changed")) == 1 &&
                   t_is(j, "changed.0.id", "W-1") &&
                   t_is(j, "changed.0.fields.0", "text") &&
                   json_array_size(t_at(j, "changed.0.fields")) == 1 &&
                   json_integer_value(t_at(j, "unchanged")) == 1 &&
                   json_array_size(t_at(j, "errors")) == 1 &&
                   json_integer_value(t_at(j, "errors.0.row")) == 4,
               "preview: %s", t_resp.body);
    json_decref(j);
    t_refused(api, WEB_ROLE_COORDINATOR, "POST", "/import/preview?format=xml", file, 400,
              "bad_request");
    t_refused(api, WEB_ROLE_COORDINATOR, "POST", "/import/preview", "{\"rec", 400,
              "bad_request");
    t_refused(api, WEB_ROLE_COORDINATOR, "POST", "/import", file, 400, "bad_request");
    j = t_req(api, WEB_ROLE_COORDINATOR, "POST", "/import?name=w.json", "[" T_RECS "]",
              200);
    HA_ASSERTF(json_integer_value(t_at(j, "added")) == 1 &&
                   json_integer_value(t_at(j, "updated")) == 1 &&
                   json_integer_value(t_at(j, "unchanged")) == 1,
               "import: %s", t_resp.body);
    json_decref(j);
    h_note("POST /api/import/preview and /api/import");

    /* Stats and the HTML report; then the broker stops: 503 broker_down. */
    j = t_req(api, WEB_ROLE_VIEWER, "GET", "/stats?today=2026-01-20", NULL, 200);
    HA_ASSERTF(json_integer_value(t_at(j, "total")) == 4, "stats: %s", t_resp.body);
    json_decref(j);
    t_refused(api, WEB_ROLE_VIEWER, "GET", "/stats?due_soon_days=x", NULL, 400,
              "bad_request");
    j = t_req(api, WEB_ROLE_COORDINATOR, "GET", "/report.html?lang=ar", NULL, 200);
    HA_ASSERT(!j && strcmp(t_resp.content_type, "text/html; charset=utf-8") == 0 &&
              strstr(t_resp.body, "dir=\"rtl\"") && t_resp.filename &&
              strncmp(t_resp.filename, "nmirf-report-", 13) == 0 &&
              strstr(t_resp.filename, "-ar.html"));
    t_refused(api, WEB_ROLE_COORDINATOR, "GET", "/report.html?lang=de", NULL, 400,
              "bad_request");
    h_note("GET /api/stats and /api/report.html");
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 170);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_entity_t *co = h_coord(b);
    H_CALL_CHECK("ok", co, "rec.import",
                 "{'recs': ["
                 "{'id': 'A/HRC/52/7:1', 'mechanism': 'UPR', 'text': {'en': 'Ratify'}},"
                 "{'id': 'W-0', 'mechanism': 'UPR', 'text': {'en': 'Protect defenders'}},"
                 "{'id': 'W-1', 'mechanism': 'CRC', 'text': {'fr': 'Enfants'}}]}");
    H_CALL_CHECK("ok", co, "rec.assign",
                 "{'rec': 'W-0', 'lead': 'MJ', 'deadline': '2026-01-10'}");
    ha_agent_t *a = ha_agent_start(b, mj, NULL);
    ag_wait_seq(a, h_seq(b));
    web_api_t *api = web_api_new(a->data);
    HA_ASSERT(api);

    t_reads(api);
    t_writes(api, co);
    t_concurrent(api);

    ha_agent_t *ca = ha_agent_start(b, co, NULL);
    ag_wait_seq(ca, h_seq(b));
    web_api_t *capi = web_api_new(ca->data);
    HA_ASSERT(capi);
    t_coordinator(capi, api, b, ca);
    web_api_destroy(&capi);
    ha_agent_destroy(&ca);

    /* An agent that is not there: 503, within the call's timeout. */
    web_api_t *none = web_api_new("/nonexistent-nmirf-agent");
    t_refused(none, WEB_ROLE_VIEWER, "GET", "/status", NULL, 503, "agent_down");
    web_api_destroy(&none);
    h_note("no agent: 503 agent_down");

    web_api_destroy(&api);
    free(t_resp.body);
    free(t_resp.filename);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    return 0;
}
