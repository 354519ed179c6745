/*  web_api_stats - the broker's statistics (docs/WEB.md section 2):
    GET /api/stats through control `ask stats`, and the HTML report
    (stats_html, the page `nmirf report --html` writes) from the same
    stats and the replica's entity.list, as an attachment. Both take the
    same filters (mechanism, cycle, theme, entity, position: stats'
    nmirf_recfilter), so the page downloaded is the page seen; the
    report's line under its title says what it covers.

    Stats need the broker (the replica has no totals of its own): when the
    agent says it is not connected, or the ask does not come back, the
    answer is 503 broker_down at once rather than an HTTP thread waiting.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_recfilter.h"
#include "stats_html.h"
#include "web_api_int.h"

/* The filter args stats takes (PROTOCOL.md section 6, stats). */
#define S_FILTER_ARGS                                                                    \
    {"mechanism", WEB_ARG_ENUM, &nmirf_mechanisms, 0, 0},                                \
        {"cycle", WEB_ARG_STR, NULL, 0, NMIRF_SHORT_MAX},                                \
        {"theme", WEB_ARG_STR, NULL, 0, NMIRF_SHORT_MAX},                                \
        {"entity", WEB_ARG_ENTITY, NULL, 0, 0},                                          \
    {                                                                                    \
        "position", WEB_ARG_ENUM, &nmirf_responses, 0, 0                                 \
    }

/* Asks the broker for stats with body (JSON, borrowed); 0 with *reply,
   or -1 answered (agent_down, broker_down, or the broker's refusal). */
static int
s_stats(web_api_t *api, web_response_t *resp, const json_t *body, nmirf_reply_t **reply)
{
    nmirf_reply_t *st;
    if (web_api_call(api, resp, "status", NULL, &st))
        return -1;
    const msgpack_object *c = nmirf_mp_get(&st->body, "connected");
    bool connected = c && c->type == MSGPACK_OBJECT_BOOLEAN && c->via.boolean;
    nmirf_reply_destroy(&st);
    if (!connected) {
        web_api_error(resp, 503, "broker_down", "the agent does not reach the broker");
        return -1;
    }
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    web_api_pack(body, &b);
    char why[256];
    int rc =
        web_agent_ask(api->agent, "stats", &b, WEB_ASK_WAIT_MS, reply, why, sizeof why);
    msgpack_sbuffer_destroy(&b);
    if (rc) {
        web_api_error(resp, 503, "agent_down", "%s", why);
        return -1;
    }
    if ((*reply)->ok)
        return 0;
    switch ((*reply)->code) {
    case NMIRF_E_BAD_REQUEST:
    case NMIRF_E_FORBIDDEN:
    case NMIRF_E_NOT_FOUND:
    case NMIRF_E_TOO_LARGE:
    case NMIRF_E_UNKNOWN_OP: /* an agent without `ask` */
        web_api_refusal(resp, *reply);
        break;
    default: /* the agent could not get the broker's answer */
        web_api_error(resp, 503, "broker_down", "%s: %s", (*reply)->code_name,
                      (*reply)->message);
    }
    nmirf_reply_destroy(reply);
    return -1;
}

void
web_api_stats(web_api_t *api, const web_request_t *req, const char *rest,
              web_response_t *resp)
{
    (void)rest;
    static const web_arg_t args[] = {
        {"today", WEB_ARG_DATE, NULL, 0, 0},
        {"due_soon_days", WEB_ARG_UINT, NULL, 0, NMIRF_DUE_SOON_MAX},
        S_FILTER_ARGS,
    };
    json_t *body = json_object();
    nmirf_reply_t *r;
    if (web_api_args(req, args, sizeof args / sizeof args[0], body, resp) == 0 &&
        s_stats(api, resp, body, &r) == 0) {
        web_api_reply(resp, r);
        nmirf_reply_destroy(&r);
    }
    json_decref(body);
}

void
web_api_report_html(web_api_t *api, const web_request_t *req, const char *rest,
                    web_response_t *resp)
{
    (void)rest;
    static const web_arg_t args[] = {{"lang", WEB_ARG_ENUM, &nmirf_langs, 0, 0},
                                     S_FILTER_ARGS};
    json_t *body = json_object();
    if (web_api_args(req, args, sizeof args / sizeof args[0], body, resp)) {
        json_decref(body);
        return;
    }
    char lang[3];
    const char *l = json_string_value(json_object_get(body, "lang"));
    snprintf(lang, sizeof lang, "%s", l ? l : req->who->lang);
    json_object_del(body, "lang"); /* the rest is stats' filter */

    /* The filter as stats reads it, for the line saying what it covers. */
    nmirf_recfilter_t f;
    nmirf_recfilter_init(&f);
    msgpack_sbuffer fb;
    msgpack_sbuffer_init(&fb);
    web_api_pack(body, &fb);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object fo;
    if (msgpack_unpack(fb.data, fb.size, NULL, &zone, &fo) == MSGPACK_UNPACK_SUCCESS)
        (void)nmirf_recfilter_read(&f, &fo, NULL, 0); /* args checked above */
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&fb);

    nmirf_reply_t *stats = NULL, *entities = NULL;
    int rc = s_stats(api, resp, body, &stats);
    json_decref(body);
    if (rc || web_api_call(api, resp, "entity.list", NULL, &entities)) {
        nmirf_reply_destroy(&stats);
        return;
    }
    char *scope = stats_html_scope(&f, &entities->body, lang, NULL);
    char *html = NULL;
    size_t len = 0;
    if (stats_html_render(&stats->body, &entities->body,
                          &(stats_html_opts_t){.lang = lang, .scope = scope}, &html,
                          &len) != 0) {
        web_api_error(resp, 500, "internal", "out of memory");
    } else {
        /* The report's day: the broker's `today`, else ours (UTC). */
        char day[16] = "";
        if (nmirf_mp_strcpy(nmirf_mp_get(&stats->body, "today"), day, sizeof day) != 0 ||
            strlen(day) != 10) {
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(day, sizeof day, "%Y-%m-%d", &tm);
        }
        resp->status = 200;
        resp->content_type = "text/html; charset=utf-8";
        resp->body = html;
        resp->len = len;
        if (asprintf(&resp->filename, "nmirf-report-%s-%s.html", day, lang) < 0)
            resp->filename = NULL;
    }
    free(scope);
    nmirf_reply_destroy(&stats);
    nmirf_reply_destroy(&entities);
}
