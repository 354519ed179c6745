/*  web_http - nmirf-web's HTTP server (docs/WEB.md sections 2, 3, 6):
    libmicrohttpd with a thread per connection, optionally TLS (GnuTLS),
    the routes of the core (static files, login, logout, session, i18n,
    events) and, behind the session and CSRF checks, the API's.

    It owns the accounts' view (web_users), the sessions and the login
    rate limit, the catalogs' JSON and the static files' ETags, all made
    at start. The API and the hub are the caller's (borrowed).
*/
#ifndef WEB_HTTP_H
#define WEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "web.h"

typedef struct {
    const char *agent_dir; /* borrowed */
    int listen_fd;         /* a bound, listening socket; the server owns it */
    unsigned session_ttl;  /* idle expiry, seconds */
    const char *tls_cert;  /* PEM text, or NULL for plain HTTP; borrowed for start */
    const char *tls_key;   /* PEM text, with tls_cert */
} web_http_conf_t;

typedef struct _web_http_t web_http_t;

/* Starts serving. NULL with why filled if it cannot (a bad certificate
   or key, out of memory, a broken built-in catalog). */
web_http_t *web_http_start(const web_http_conf_t *conf, web_api_t *api, web_hub_t *hub,
                           char *why, size_t whylen);

/* Stops serving: open event streams end within a second, every
   connection's thread is joined. */
void web_http_stop(web_http_t **self_p);

#endif
