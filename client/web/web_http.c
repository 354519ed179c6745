/*  web_http - the HTTP server of nmirf-web (web_http.h).

    libmicrohttpd calls s_access several times a request: once when the
    headers are in (the body's size is checked against its Content-Length
    then), once per piece of body (accumulated up to WEB_BODY_MAX, the
    rest counted and dropped), and once at the end, when the request is
    answered. The raw URI comes from the URI log callback, before
    libmicrohttpd's own unescaping (which would turn %00 into an end of
    string): the path and the query are decoded here, strictly
    (web_pct_decode).
*/
#include "web_http.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "nmirf_log.h"
#include "nmirf_util.h"
#include "web_assets.h"
#include "web_catalog.h"
#include "web_parse.h"
#include "web_session.h"
#include "web_users.h"

#define CONN_MAX 512       /* connections at once */
#define CONN_PER_IP 256    /* of them from one address: a ministry behind one NAT */
#define CONN_TIMEOUT 60    /* seconds a connection may idle (the event stream: never) */
#define URI_MAX 8192       /* bytes of a request's URI */
#define ARGS_MAX 64        /* query arguments */
#define KEEPALIVE_MS 15000 /* a comment line on a quiet event stream */

static const char *const s_langs[] = {"fr", "ar", "en"};

struct _web_http_t {
    struct MHD_Daemon *mhd;
    char *agent_dir;
    /* The session cookie's name, nmirf_session_PORT: a browser keeps its
       cookies by host, not by port, so consoles side by side on one host
       (the demo's, a coordinator's officer with two) need names of their
       own, or each login would end the other console's session. */
    char cookie[32];
    bool tls;
    unsigned ttl;
    web_api_t *api;
    web_hub_t *hub;
    web_users_t *users;
    web_sessions_t *sessions;
    web_ratelimit_t *ratelimit;
    char *catalogs[3]; /* JSON, by s_langs */
    char (*etags)[36]; /* by web_static_files' index: "\"32 hex\"" */
    atomic_bool stopping;
};

/* One request, from its URI to its answer. */
typedef struct {
    char *uri; /* raw, as sent */
    bool started;
    uint8_t *body;
    size_t len, cap;
    bool too_large;
    char *path; /* decoded; NULL if the URI is malformed */
    char *keys[ARGS_MAX], *values[ARGS_MAX];
    size_t nargs;
} req_t;

static uint64_t
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

static void
s_req_free(req_t *r)
{
    if (!r)
        return;
    free(r->uri);
    free(r->path);
    for (size_t i = 0; i < r->nargs; i++) {
        free(r->keys[i]);
        free(r->values[i]);
    }
    free(r->body);
    free(r);
}

/* Splits and decodes the raw URI into path and arguments; false if it is
   malformed (a bad escape, %00, not UTF-8, too many arguments). */
static bool
s_req_decode(req_t *r)
{
    const char *q = strchr(r->uri, '?');
    size_t plen = q ? (size_t)(q - r->uri) : strlen(r->uri);
    r->path = malloc(plen + 1);
    if (!r->path || web_pct_decode(r->uri, plen, false, r->path, plen + 1) < 0 ||
        r->path[0] != '/') {
        free(r->path);
        r->path = NULL;
        return false;
    }
    if (!q)
        return true;
    const char *p = q + 1;
    while (*p) {
        const char *end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if (end > p) {
            const char *eq = memchr(p, '=', (size_t)(end - p));
            const char *ke = eq ? eq : end;
            size_t klen = (size_t)(ke - p), vlen = eq ? (size_t)(end - eq - 1) : 0;
            if (r->nargs == ARGS_MAX)
                return false;
            char *k = malloc(klen + 1), *v = malloc(vlen + 1);
            r->keys[r->nargs] = k;
            r->values[r->nargs] = v;
            r->nargs++;
            if (!k || !v || web_pct_decode(p, klen, true, k, klen + 1) < 0 ||
                web_pct_decode(eq ? eq + 1 : "", vlen, true, v, vlen + 1) < 0)
                return false;
        }
        p = *end ? end + 1 : end;
    }
    return true;
}

/* web_request_t's arg: the first value of key. */
static const char *
s_arg(const web_request_t *req, const char *key)
{
    const req_t *r = req->conn;
    for (size_t i = 0; i < r->nargs; i++)
        if (!strcmp(r->keys[i], key))
            return r->values[i];
    return NULL;
}

/* --- answers ----------------------------------------------------------- */

static void
s_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                            "script-src 'self'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

/* Queues an answer of len bytes (body malloc'd, taken; or NULL) with the
   headers of every answer, and, if not NULL, a Set-Cookie, a
   Retry-After and a Content-Disposition. */
static enum MHD_Result
s_send_full(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
            size_t len, const char *cookie, unsigned retry_after, const char *filename)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body ? body : (char *)"",
        body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    s_headers(resp);
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (cookie)
        MHD_add_response_header(resp, "Set-Cookie", cookie);
    if (retry_after) {
        char s[16];
        snprintf(s, sizeof s, "%u", retry_after);
        MHD_add_response_header(resp, "Retry-After", s);
    }
    if (filename) {
        char cd[512];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", filename);
        MHD_add_response_header(resp, "Content-Disposition", cd);
    }
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Queues a 200 of the API that the browser may keep (resp->etag): 304
   without a body when the request's If-None-Match is that tag. Takes
   body. */
static enum MHD_Result
s_send_tagged(struct MHD_Connection *conn, const char *type, char *body, size_t len,
              const char *etag)
{
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    bool same = inm && !strcmp(inm, etag);
    if (same) {
        free(body);
        body = NULL, len = 0;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body ? body : (char *)"",
        body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    s_headers(resp);
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "ETag", etag);
    enum MHD_Result rc = MHD_queue_response(conn, same ? 304 : 200, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Sends a JSON value (taken). */
static enum MHD_Result
s_send_json(struct MHD_Connection *conn, unsigned status, json_t *v, const char *cookie)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text)
        return MHD_NO;
    return s_send_full(conn, status, "application/json", text, strlen(text), cookie, 0,
                       NULL);
}

/* Sends an error {code, message}. */
static enum MHD_Result
s_error(struct MHD_Connection *conn, unsigned status, const char *code,
        unsigned retry_after, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *v = json_pack("{s:s, s:s}", "code", code, "message", msg);
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text)
        return MHD_NO;
    return s_send_full(conn, status, "application/json", text, strlen(text), NULL,
                       retry_after, NULL);
}

/* --- static files ------------------------------------------------------ */

static const char *
s_type(const char *name)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (!strcmp(dot, types[i][0]))
            return types[i][1];
    return "application/octet-stream";
}

static enum MHD_Result
s_static(web_http_t *self, struct MHD_Connection *conn, const char *method,
         const char *name)
{
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return s_error(conn, 405, "bad_request", 0, "%s: only GET", method);
    for (size_t i = 0; web_static_files[i].name; i++) {
        const web_blob_t *b = &web_static_files[i];
        if (strcmp(b->name, name))
            continue;
        const char *inm =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
        bool same = inm && !strcmp(inm, self->etags[i]);
        struct MHD_Response *resp = MHD_create_response_from_buffer(
            same ? 0 : b->len, (void *)b->data, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        s_headers(resp);
        MHD_add_response_header(resp, "Content-Type", s_type(name));
        MHD_add_response_header(resp, "Cache-Control", "no-cache");
        MHD_add_response_header(resp, "ETag", self->etags[i]);
        enum MHD_Result rc = MHD_queue_response(conn, same ? 304 : 200, resp);
        MHD_destroy_response(resp);
        return rc;
    }
    return s_error(conn, 404, "not_found", 0, "no such file");
}

/* --- the session's routes ---------------------------------------------- */

/* Whether the live session s (of token) still has its account as it was
   at login: a deleted account, or one whose password changed (`user
   passwd`, or `user del` then `user add`: a new salt), ends it; a new
   role applies at once (s updated). */
static bool
s_account_live(web_http_t *self, const char *token, web_session_t *s)
{
    web_account_t a;
    uint8_t stamp[16];
    bool found = web_users_find(self->users, s->who.user, &a);
    if (found)
        web_account_stamp(a.hash, stamp);
    if (!found || sodium_memcmp(stamp, s->account, sizeof stamp) != 0) {
        sodium_memzero(&a, sizeof a);
        web_sessions_drop(self->sessions, token);
        log_info("session of %s ended: the account is %s", s->who.user,
                 found ? "changed" : "gone");
        return false;
    }
    if (a.role != s->who.role) {
        s->who.role = a.role;
        web_sessions_update(self->sessions, token, &s->who);
    }
    sodium_memzero(&a, sizeof a);
    return true;
}

static void
s_client_address(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "?");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
                  (socklen_t)size);
}

/* The session's JSON: {user, role, csrf, lang, entity, entity_role, expires}. */
static json_t *
s_session_json(web_http_t *self, const web_session_t *s, uint64_t now)
{
    char entity[128], role[64], why[256];
    bool known = web_api_console(self->api, entity, sizeof entity, role, sizeof role, why,
                                 sizeof why) == 0;
    uint64_t left = s->expires > now ? s->expires - now : 0;
    uint64_t abs_left = s->created + WEB_SESSION_MAX_AGE > now
                            ? s->created + WEB_SESSION_MAX_AGE - now
                            : 0;
    if (abs_left < left)
        left = abs_left;
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:I}", "user", s->who.user, "role",
                     web_role_name(s->who.role), "csrf", s->csrf, "lang", s->who.lang,
                     "entity", known ? json_string(entity) : json_null(), "entity_role",
                     known ? json_string(role) : json_null(), "expires",
                     (json_int_t)(nmirf_now_ms() + left * 1000));
}

static void
s_cookie(web_http_t *self, const char *token, unsigned max_age, char *out, size_t size)
{
    snprintf(out, size, "%s=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%u%s",
             self->cookie, token, max_age, self->tls ? "; Secure" : "");
}

static enum MHD_Result
s_login(web_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    /* JSON only: another site's form can post text/plain without asking,
       never application/json (the browser asks first, and we give no
       CORS), so it cannot log a victim's browser into its own account. */
    const char *type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t tlen = type ? strcspn(type, "; \t") : 0;
    if (!type || tlen != 16 || strncasecmp(type, "application/json", 16))
        return s_error(conn, 415, "bad_type", 0,
                       "a login is a JSON body (Content-Type: application/json)");
    char user[WEB_USER_MAX + 1], pass[WEB_PASSWORD_MAX + 1], lang[3], why[256];
    int bad =
        web_login_parse((const char *)r->body, r->len, user, pass, lang, why, sizeof why);
    if (bad)
        return s_error(conn, 400, bad == -2 ? "bad_json" : "bad_request", 0, "%s", why);
    char addr[INET6_ADDRSTRLEN + 2], kuser[WEB_USER_MAX + 3], kaddr[INET6_ADDRSTRLEN + 4];
    s_client_address(conn, addr, sizeof addr);
    snprintf(kuser, sizeof kuser, "u:%s", user);
    snprintf(kaddr, sizeof kaddr, "a:%s", addr);
    uint64_t now = s_now();
    /* Each attempt is counted before its Argon2id, so that many at once
       cannot pass the limit together; a success is forgiven. */
    unsigned wait = web_ratelimit_begin(self->ratelimit, kuser, now);
    if (!wait && (wait = web_ratelimit_begin(self->ratelimit, kaddr, now)))
        web_ratelimit_forgive(self->ratelimit, kuser, now);
    if (wait) {
        sodium_memzero(pass, sizeof pass);
        log_warnx("login of %s from %s refused: too many failures", user, addr);
        return s_error(conn, 429, "rate_limited", wait,
                       "too many failed logins; try again in %u s", wait);
    }
    web_account_t a;
    bool ok = web_users_verify(self->users, user, pass, &a);
    sodium_memzero(pass, sizeof pass);
    if (!ok) {
        log_info("login of %s from %s failed", user, addr);
        return s_error(conn, 401, "bad_login", 0, "unknown user or wrong password");
    }
    web_ratelimit_forgive(self->ratelimit, kuser, now);
    web_ratelimit_forgive(self->ratelimit, kaddr, now);
    /* The browser's session before this login, if any, ends: one browser,
       one session, and a token planted before the login is worth nothing. */
    char old[WEB_TOKEN_HEX + 1];
    if (web_cookie_get(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie"),
                       self->cookie, old, sizeof old) >= 0)
        web_sessions_drop(self->sessions, old);
    sodium_memzero(old, sizeof old);
    web_who_t who = {.role = a.role};
    snprintf(who.user, sizeof who.user, "%s", a.name);
    const char *l = lang[0] ? lang
                    : a.lang[0]
                        ? a.lang
                        : web_accept_lang(MHD_lookup_connection_value(
                              conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
    snprintf(who.lang, sizeof who.lang, "%s", l);
    char token[WEB_TOKEN_HEX + 1], cookie[256];
    web_session_t s;
    uint8_t stamp[16];
    web_account_stamp(a.hash, stamp);
    sodium_memzero(&a, sizeof a);
    if (web_sessions_create(self->sessions, &who, stamp, now, token, &s))
        return s_error(conn, 500, "internal", 0, "out of memory");
    s_cookie(self, token, WEB_SESSION_MAX_AGE, cookie, sizeof cookie);
    sodium_memzero(token, sizeof token);
    log_info("%s (%s) logged in from %s", who.user, web_role_name(who.role), addr);
    json_t *v = s_session_json(self, &s, now);
    json_object_del(v, "expires");
    return s_send_json(conn, 200, v, cookie);
}

/* --- the event stream -------------------------------------------------- */

typedef struct {
    web_http_t *http;
    char token[WEB_TOKEN_HEX + 1];
    uint64_t cursor;
    char *pending; /* SSE text not yet written */
    size_t off, len;
} sse_t;

static ssize_t
s_sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    sse_t *e = cls;
    int quiet_ms = 0;
    while (!e->pending) {
        web_session_t s;
        if (atomic_load(&e->http->stopping) ||
            !web_sessions_get(e->http->sessions, e->token, s_now(), false, &s) ||
            !s_account_live(e->http, e->token, &s))
            return MHD_CONTENT_READER_END_OF_STREAM;
        /* One second at a time, so that a stop or an expiry is seen soon. */
        char *text = web_hub_next(e->http->hub, &e->cursor, 1000);
        if (text) {
            e->pending = text;
        } else if ((quiet_ms += 1000) >= KEEPALIVE_MS) {
            e->pending = strdup(": keepalive\n\n");
            if (!e->pending)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (e->pending) {
            e->off = 0;
            e->len = strlen(e->pending);
        }
    }
    size_t n = e->len - e->off < max ? e->len - e->off : max;
    memcpy(buf, e->pending + e->off, n);
    e->off += n;
    if (e->off == e->len) {
        free(e->pending);
        e->pending = NULL;
    }
    return (ssize_t)n;
}

static void
s_sse_free(void *cls)
{
    sse_t *e = cls;
    sodium_memzero(e->token, sizeof e->token);
    free(e->pending);
    free(e);
}

static enum MHD_Result
s_events(web_http_t *self, struct MHD_Connection *conn, const char *token)
{
    if (!self->hub)
        return s_error(conn, 503, "agent_down", 0, "no notifications from the agent");
    sse_t *e = calloc(1, sizeof *e);
    if (!e)
        return MHD_NO;
    e->http = self;
    snprintf(e->token, sizeof e->token, "%s", token);
    const char *last =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (!last || web_last_event_id(last, &e->cursor))
        e->cursor = web_hub_head(self->hub);
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 4096, s_sse_read, e, s_sse_free);
    if (!resp) {
        s_sse_free(e);
        return MHD_NO;
    }
    s_headers(resp);
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    enum MHD_Result rc = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* --- /api/ -------------------------------------------------------------- */

static enum MHD_Result
s_api(web_http_t *self, struct MHD_Connection *conn, const char *method, req_t *r)
{
    const char *rest = r->path + 4; /* after "/api" */
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!strcmp(rest, "/login")) {
        if (strcmp(method, "POST"))
            return s_error(conn, 405, "bad_request", 0, "%s: only POST", method);
        return s_login(self, conn, r);
    }
    if (!strncmp(rest, "/i18n/", 6)) {
        for (size_t i = 0; i < 3; i++)
            if (get && !strcmp(rest + 6, s_langs[i]))
                return s_send_full(conn, 200, "application/json",
                                   strdup(self->catalogs[i]), strlen(self->catalogs[i]),
                                   NULL, 0, NULL);
        return s_error(conn, 404, "not_found", 0, "no catalog %s", rest + 6);
    }
    char token[WEB_TOKEN_HEX + 1];
    const char *cookies = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
    web_session_t s;
    uint64_t now = s_now();
    bool live = web_cookie_get(cookies, self->cookie, token, sizeof token) >= 0 &&
                web_sessions_get(self->sessions, token, now, true, &s);
    if (live) /* the account as it is now */
        live = s_account_live(self, token, &s);
    web_response_t resp = {0};
    /* HEAD is GET without the body (libmicrohttpd drops it). */
    web_request_t req = {.method = strcmp(method, "HEAD") ? method : "GET",
                         .path = rest,
                         .arg = s_arg,
                         .conn = r,
                         .content_type = MHD_lookup_connection_value(
                             conn, MHD_HEADER_KIND, "Content-Type"),
                         .body = r->body,
                         .body_len = r->len};
    if (!live) {
        if (get && (!strcmp(rest, "/schema") || !strcmp(rest, "/vocab"))) {
            static const web_who_t nobody = {
                .user = "", .role = WEB_ROLE_VIEWER, .lang = "fr"};
            req.who = &nobody;
            goto api;
        }
        return s_error(conn, 401, "no_session", 0, "log in first");
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        const char *csrf =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
        if (!csrf || !web_token_equal(csrf, s.csrf))
            return s_error(conn, 403, "bad_csrf", 0, "missing or wrong X-CSRF-Token");
    }
    if (!strcmp(rest, "/logout")) {
        if (strcmp(method, "POST"))
            return s_error(conn, 405, "bad_request", 0, "%s: only POST", method);
        web_sessions_drop(self->sessions, token);
        char cookie[256];
        s_cookie(self, "", 0, cookie, sizeof cookie);
        log_info("%s logged out", s.who.user);
        return s_send_json(conn, 200, json_object(), cookie);
    }
    if (!strcmp(rest, "/session")) {
        if (!strcmp(method, "PUT")) {
            char lang[3], why[256];
            int bad =
                web_lang_body_parse((const char *)r->body, r->len, lang, why, sizeof why);
            if (bad)
                return s_error(conn, 400, bad == -2 ? "bad_json" : "bad_request", 0, "%s",
                               why);
            if (web_users_set_lang(self->agent_dir, s.who.user, lang, why, sizeof why))
                log_warnx("%s: the language is not remembered: %s", s.who.user, why);
            memcpy(s.who.lang, lang, 3);
            web_sessions_update(self->sessions, token, &s.who);
        } else if (!get) {
            return s_error(conn, 405, "bad_request", 0, "%s: GET or PUT", method);
        }
        return s_send_json(conn, 200, s_session_json(self, &s, now), NULL);
    }
    if (!strcmp(rest, "/events")) {
        if (!get)
            return s_error(conn, 405, "bad_request", 0, "%s: only GET", method);
        return s_events(self, conn, token);
    }
    req.who = &s.who;
api:
    web_api_handle(self->api, &req, &resp);
    if (resp.etag && resp.status == 200 && !resp.filename)
        return s_send_tagged(conn, resp.content_type, resp.body, resp.len, resp.etag);
    /* s_send_full takes the body and copies the filename into a header. */
    enum MHD_Result rc =
        s_send_full(conn, resp.status ? resp.status : 500,
                    resp.content_type ? resp.content_type : "application/json", resp.body,
                    resp.len, NULL, 0, resp.filename);
    free(resp.filename);
    return rc;
}

/* --- libmicrohttpd's callbacks ---------------------------------------- */

static void *
s_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    req_t *r = calloc(1, sizeof *r);
    if (r)
        r->uri = strndup(uri, URI_MAX + 1);
    return r;
}

static void
s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
            enum MHD_RequestTerminationCode toe)
{
    s_req_free(*con_cls);
    *con_cls = NULL;
}

static enum MHD_Result
s_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
         const char *version, const char *upload_data, size_t *upload_data_size,
         void **con_cls)
{
    web_http_t *self = cls;
    req_t *r = *con_cls;
    if (!r || !r->uri)
        return MHD_NO; /* out of memory: the connection is closed */
    if (!r->started) {
        r->started = true;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > WEB_BODY_MAX)
            return s_error(conn, 413, "too_large", 0, "a body over %u bytes",
                           WEB_BODY_MAX);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large || r->len + n > WEB_BODY_MAX) {
            r->too_large = true;
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n + 1)
                cap *= 2;
            uint8_t *b = realloc(r->body, cap);
            if (!b)
                return MHD_NO;
            r->body = b;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = '\0';
        return MHD_YES;
    }
    if (r->too_large)
        return s_error(conn, 413, "too_large", 0, "a body over %u bytes", WEB_BODY_MAX);
    if (strlen(r->uri) > URI_MAX || !s_req_decode(r))
        return s_error(conn, 400, "bad_request", 0,
                       "malformed URI (escapes, UTF-8, length)");
    log_debug("%s %s", method, r->path);
    if (!strcmp(r->path, "/"))
        return s_static(self, conn, method, "index.html");
    if (!strncmp(r->path, "/static/", 8))
        return s_static(self, conn, method, r->path + 8);
    if (!strcmp(r->path, "/api") || !strncmp(r->path, "/api/", 5))
        return s_api(self, conn, method, r);
    return s_error(conn, 404, "not_found", 0, "no such page");
}

static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_warnx("http: %s", line);
}

/* --- start and stop ----------------------------------------------------- */

web_http_t *
web_http_start(const web_http_conf_t *conf, web_api_t *api, web_hub_t *hub, char *why,
               size_t whylen)
{
    web_http_t *self = calloc(1, sizeof *self);
    if (!self)
        goto oom;
    self->api = api;
    self->hub = hub;
    self->ttl = conf->session_ttl;
    self->tls = conf->tls_cert != NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    unsigned port = 0;
    if (getsockname(conf->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
        port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                              : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(self->cookie, sizeof self->cookie, "nmirf_session_%u", port);
    self->agent_dir = strdup(conf->agent_dir);
    self->sessions = web_sessions_new(conf->session_ttl);
    self->ratelimit = web_ratelimit_new();
    size_t nfiles = 0;
    while (web_static_files[nfiles].name)
        nfiles++;
    self->etags = calloc(nfiles + 1, sizeof *self->etags);
    if (!self->agent_dir || !self->sessions || !self->ratelimit || !self->etags)
        goto oom;
    for (size_t i = 0; i < nfiles; i++) {
        uint8_t h[16];
        crypto_generichash(h, sizeof h, web_static_files[i].data, web_static_files[i].len,
                           NULL, 0);
        self->etags[i][0] = '"';
        nmirf_hex(h, sizeof h, self->etags[i] + 1);
        memcpy(self->etags[i] + 33, "\"", 2);
    }
    for (size_t l = 0; l < 3; l++) {
        char name[8];
        snprintf(name, sizeof name, "%s.mo", s_langs[l]);
        const uint8_t *mo = NULL;
        size_t len = 0;
        for (size_t i = 0; web_catalog_files[i].name; i++)
            if (!strcmp(web_catalog_files[i].name, name)) {
                mo = web_catalog_files[i].data;
                len = web_catalog_files[i].len;
            }
        char cwhy[256];
        self->catalogs[l] = web_catalog_json(s_langs[l], mo, len, cwhy, sizeof cwhy);
        if (!self->catalogs[l]) {
            snprintf(why, whylen, "the built-in catalog %s: %s", name, cwhy);
            goto fail;
        }
        if (!mo)
            log_warnx("no catalog for %s: its pages show the English texts", s_langs[l]);
    }
    self->users = web_users_new(conf->agent_dir);

    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG;
    if (self->tls)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[] = {
        /* first, so that every message of libmicrohttpd goes to our log */
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)s_mhd_log, self},
        {MHD_OPTION_LISTEN_SOCKET, conf->listen_fd, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, CONN_MAX, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, CONN_PER_IP, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)s_uri_log, self},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)s_completed, self},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)conf->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)conf->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!self->tls)
        opts[7].option = MHD_OPTION_END; /* no certificate, no key */
    self->mhd = MHD_start_daemon(flags, 0, NULL, NULL, s_access, self, MHD_OPTION_ARRAY,
                                 opts, MHD_OPTION_END);
    if (!self->mhd) {
        snprintf(why, whylen, "cannot start the HTTP server%s",
                 self->tls ? " (is the certificate or the key not valid PEM, or do they "
                             "not match?)"
                           : "");
        goto fail;
    }
    return self;
oom:
    snprintf(why, whylen, "out of memory");
fail:
    web_http_stop(&self);
    return NULL;
}

void
web_http_stop(web_http_t **self_p)
{
    web_http_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stopping, true);
    if (self->mhd)
        MHD_stop_daemon(self->mhd);
    web_users_destroy(&self->users);
    web_sessions_destroy(&self->sessions);
    web_ratelimit_destroy(&self->ratelimit);
    for (size_t l = 0; l < 3; l++)
        free(self->catalogs[l]);
    free(self->etags);
    free(self->agent_dir);
    free(self);
    *self_p = NULL;
}
