/*  web - what the parts of nmirf-web share (docs/WEB.md).

    nmirf-web is a client of one agent's control socket (proto/CONTROL.md):
    it never holds a key and never touches the replica's files. Its parts:
    - the core (web_main.c, web_http.c, web_users.c, web_session.c,
      web_parse.c, web_catalog.c, web_assets.h): HTTP with libmicrohttpd,
      TLS, staff accounts, sessions, CSRF, rate limits, static assets and
      message catalogs, the SSE stream's transport;
    - the API (web_api*.c, web_agent.c, web_hub.c): every /api/ endpoint
      behind the login, the control client, and the hub that turns what
      the agent publishes into server-sent events.
    The core authenticates and checks CSRF before it calls the API; the API
    trusts `who`.
*/
#ifndef WEB_H
#define WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A staff account's role (docs/WEB.md, "Accounts"): a viewer reads, an
   editor also submits reports, a coordinator also takes the coordinator's
   actions (only on a console whose agent's entity is the coordinator). */
typedef enum { WEB_ROLE_VIEWER, WEB_ROLE_EDITOR, WEB_ROLE_COORDINATOR } web_role_t;

#define WEB_USER_MAX 64 /* bytes of a login name: [A-Za-z0-9._-], 1 to 64 */
#define WEB_BODY_MAX (4u * 1024 * 1024) /* a request body over this: 413 */

/* Who makes a request: the session's staff member. */
typedef struct {
    char user[WEB_USER_MAX + 1];
    web_role_t role;
    char lang[3]; /* "fr", "ar" or "en": the page's language */
} web_who_t;

/* One authenticated /api/ request, as the core hands it to the API. Every
   pointer is borrowed for the call. */
typedef struct web_request {
    const char *method; /* "GET", "POST", "PUT", "DELETE" */
    const char *path; /* after "/api", percent-decoded, e.g. "/recs/A/HRC/52/7:125.48" */
    /* The query argument key (percent-decoded), NULL if absent. */
    const char *(*arg)(const struct web_request *req, const char *key);
    void *conn;               /* the core's, for arg */
    const char *content_type; /* NULL if none */
    const uint8_t *body;      /* the whole body (at most WEB_BODY_MAX), NULL if none */
    size_t body_len;
    const web_who_t *who; /* never NULL */
} web_request_t;

/* The API's answer. The API fills it; the core sends it and frees body
   and filename. */
typedef struct {
    unsigned status;          /* HTTP status */
    const char *content_type; /* static: "application/json", "text/html; charset=utf-8" */
    char *body;               /* malloc'd, or NULL for none */
    size_t len;
    char *filename; /* malloc'd: sent as an attachment of this name; NULL: inline */
    /* static: a 200 the browser may keep and revalidate (Cache-Control:
       no-cache, ETag; 304 to an If-None-Match of it); NULL: no-store */
    const char *etag;
} web_response_t;

/* --- the API (web_api.c) ---------------------------------------------- */

typedef struct _web_api_t web_api_t;

/* An API over the agent whose data directory is agent_dir (borrowed; its
   control socket is agent_dir/agent.sock). Connects lazily: an agent that
   is down answers 503 until it is up. NULL on failure (logged). */
web_api_t *web_api_new(const char *agent_dir);
void web_api_destroy(web_api_t **self_p);

/* Answers one authenticated request under /api/ (not /api/login,
   /api/logout, /api/session, /api/i18n, /api/events: the core's).
   Thread-safe: called from the HTTP threads. */
void web_api_handle(web_api_t *self, const web_request_t *req, web_response_t *resp);

/* The agent's entity and its role ("coordinator", "ministry", ...), for
   the session's JSON and for `user add --role coordinator`. Returns 0, or
   -1 with why if the agent cannot tell (not running, no snapshot yet). */
int web_api_console(web_api_t *self, char *entity, size_t entity_size, char *role,
                    size_t role_size, char *why, size_t whylen);

/* --- the hub (web_hub.c) ---------------------------------------------- */

typedef struct _web_hub_t web_hub_t;

/* A hub over the agent at agent_dir (borrowed): a thread subscribes to
   agent_dir/notify.sock and keeps the last WEB_HUB_KEEP messages, each
   numbered from 1, as SSE text. NULL on failure (logged). */
web_hub_t *web_hub_new(const char *agent_dir);
void web_hub_destroy(web_hub_t **self_p);

/* The SSE text of the messages after *cursor ("id: N\nevent: K\ndata:
   JSON\n\n" each), waiting up to timeout_ms for one; advances *cursor.
   Returns NULL when none came (the core then sends a comment line to keep
   the connection alive). A cursor older than what is kept yields an
   `event: reload` first. Caller frees. Thread-safe. */
char *web_hub_next(web_hub_t *self, uint64_t *cursor, int timeout_ms);

/* The number of the latest message (0: none yet): a new stream starts
   there, or at its Last-Event-ID. */
uint64_t web_hub_head(web_hub_t *self);

#endif
