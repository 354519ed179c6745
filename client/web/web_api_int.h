/*  web_api_int - what the API's files share (web_api.c and the
    web_api_*.c groups): the API's state, the answers, and the calls to
    the agent that turn its refusals into HTTP statuses (docs/WEB.md
    section 2, Conventions). Not for the core: web.h is its interface.
*/
#ifndef WEB_API_INT_H
#define WEB_API_INT_H

#include <jansson.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdbool.h>

#include "nmirf_schema.h"
#include "nmirf_wire.h"
#include "web.h"
#include "web_agent.h"

#define WEB_SUBMIT_WAIT_MS 2000 /* a write waits this long for the broker */
#define WEB_ASK_WAIT_MS 5000    /* a read forwarded to the broker */

struct _web_api_t {
    web_agent_t *agent;
    pthread_mutex_t lock; /* guards the console's entity and role */
    bool console_known;   /* both known (they do not change while it runs) */
    char entity[NMIRF_ENTITY_ID_MAX + 1];
    char role[NMIRF_ENUM_MAX + 1];
};

/* An endpoint: path is what follows its prefix ("" or "/7/validate"). */
typedef void web_api_fn(web_api_t *api, const web_request_t *req, const char *rest,
                        web_response_t *resp);

/* Answers status with the JSON value body (stolen). */
void web_api_json(web_response_t *resp, unsigned status, json_t *body);

/* Answers status with {code, message}. */
void web_api_error(web_response_t *resp, unsigned status, const char *code,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* 422 bad_field with errors (stolen). */
void web_api_bad_field(web_response_t *resp, json_t *errors);

/* The request's body parsed as one JSON object (an empty body is {}), or
   NULL after answering 400 bad_json. Caller decrefs. */
json_t *web_api_body(const web_request_t *req, web_response_t *resp);

/* Query args: each spec's key, if given, checked and put into the JSON
   object out under the same key; a bad one answers 400 bad_request naming
   it and returns -1. */
typedef enum {
    WEB_ARG_ENUM,   /* one of set */
    WEB_ARG_UINT,   /* min..max */
    WEB_ARG_DATE,   /* YYYY-MM-DD */
    WEB_ARG_STR,    /* 1..max bytes */
    WEB_ARG_REC,    /* a recommendation id */
    WEB_ARG_ENTITY, /* an entity id */
    WEB_ARG_BOOL,   /* "true" or "false" */
} web_arg_kind_t;
typedef struct {
    const char *key;
    web_arg_kind_t kind;
    const nmirf_valueset_t *set; /* ENUM */
    uint64_t min, max;           /* UINT; STR: max bytes */
} web_arg_t;
int web_api_args(const web_request_t *req, const web_arg_t *specs, size_t n, json_t *out,
                 web_response_t *resp);

/* The control body of a JSON object (NULL for none): msgpack, appended. */
void web_api_pack(const json_t *body, msgpack_sbuffer *out);

/* Calls control op with body (JSON object or NULL) and, on success,
   returns 0 with *reply (ok). Otherwise answers: 503 agent_down when the
   agent does not answer, else the refusal (bad_request 400, not_found
   404, too_large 413, others 502 with the agent's code and message), and
   returns -1. */
int web_api_call(web_api_t *api, web_response_t *resp, const char *op, const json_t *body,
                 nmirf_reply_t **reply);

/* Answers 200 with the reply's body as JSON (nmirf_json_from_mp). */
void web_api_reply(web_response_t *resp, const nmirf_reply_t *reply);

/* Answers a refusal reply (not ok) with its status, as web_api_call. */
void web_api_refusal(web_response_t *resp, const nmirf_reply_t *reply);

/* True if who may take the coordinator's actions here: a coordinator
   account on a console whose entity is the coordinator; else answers 403
   forbidden (or 503 when the agent cannot tell) and returns false. */
bool web_api_coordinator(web_api_t *api, const web_request_t *req, web_response_t *resp);

/* The endpoints, by group. */
web_api_fn web_api_status, web_api_mine, web_api_recs, web_api_measures, web_api_outbox,
    web_api_reports_get, web_api_entities, web_api_schema; /* web_api_reads.c */
web_api_fn web_api_reports_post, web_api_assign, web_api_measures_write, web_api_withdraw,
    web_api_merge, web_api_entity_update;          /* web_api_writes.c */
web_api_fn web_api_import_preview, web_api_import; /* web_api_import.c */
web_api_fn web_api_stats, web_api_report_html;     /* web_api_stats.c */
web_api_fn web_api_vocab;                          /* web_api_vocab.c */

/* Sends a write: submit op with the packed body, the request id (16
   bytes), waiting WEB_SUBMIT_WAIT_MS, and answers 200 delivered, 202
   queued or 502 (web_api_writes.c). Returns 0 if delivered, 1 if queued,
   -1 otherwise (answered); *reply_p, if not NULL, gets the delivered
   reply (caller destroys). */
int web_api_submit(web_api_t *api, web_response_t *resp, const char *op,
                   const msgpack_sbuffer *body, const uint8_t *id,
                   nmirf_reply_t **reply_p);

#endif
