/*  web_api_stats - the broker's statistics (docs/WEB.md section 2):
    GET /api/stats through control `ask stats`, and the HTML report
    (stats_html, the page `nmirf report --html` writes) from the same
    stats and the replica's entity.list, as an attachment.

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
#include "stats_html.h"
#include "web_api_int.h"

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
    };
    json_t *body = json_object();
    nmirf_reply_t *r;
    if (web_api_args(req, args, 2, body, resp) == 0 &&
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
    static const web_arg_t args[] = {{"lang", WEB_ARG_ENUM, &nmirf_langs, 0, 0}};
    json_t *a = json_object();
    if (web_api_args(req, args, 1, a, resp)) {
        json_decref(a);
        return;
    }
    char lang[3];
    const char *l = json_string_value(json_object_get(a, "lang"));
    snprintf(lang, sizeof lang, "%s", l ? l : req->who->lang);
    json_decref(a);

    json_t *body = json_object();
    nmirf_reply_t *stats = NULL, *entities = NULL;
    int rc = s_stats(api, resp, body, &stats);
    json_decref(body);
    if (rc || web_api_call(api, resp, "entity.list", NULL, &entities)) {
        nmirf_reply_destroy(&stats);
        return;
    }
    char *html = NULL;
    size_t len = 0;
    if (stats_html_render(&stats->body, &entities->body, &(stats_html_opts_t){.lang = lang}, &html,
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
    nmirf_reply_destroy(&stats);
    nmirf_reply_destroy(&entities);
}
