/*  web_agent - nmirf-web's client of the agent's control socket
    (proto/CONTROL.md, codec proto/nmirf_control.h).

    Thread-safe: the HTTP threads and the hub call it at once. Each call
    opens its own DEALER on ipc://AGENT_DIR/agent.sock, sends one frame
    and waits for one reply up to its timeout, so a request never waits on
    another's answer and an agent that does not answer never holds an
    HTTP thread longer than the timeout. A reply that does not decode is
    an error like no reply at all, never a crash.

    Replies are nmirf_reply_t (the broker's reply format, id nil): the
    caller destroys them with nmirf_reply_destroy.
*/
#ifndef WEB_AGENT_H
#define WEB_AGENT_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_wire.h"

#define WEB_AGENT_TIMEOUT_MS 5000 /* a call's wait for its reply */
#define WEB_AGENT_SLACK_MS 1000   /* a submit or ask waits wait_ms + this */

typedef struct _web_agent_t web_agent_t;

/* A client of the agent whose data directory is agent_dir (copied). NULL
   when out of memory. Connects nothing yet. */
web_agent_t *web_agent_new(const char *agent_dir);
void web_agent_destroy(web_agent_t **self_p);

/* Sends control op with body (a packed map, NULL for {}) and waits up to
   timeout_ms. Returns 0 with *reply (any code: a refusal is a reply), or
   -1 with why when the agent is down: not reachable, no reply within
   timeout_ms, or a reply that is not one. */
int web_agent_call(web_agent_t *self, const char *op, const msgpack_sbuffer *body,
                   int timeout_ms, nmirf_reply_t **reply, char *why, size_t whylen);

/* submit {op, body, id, wait_ms} (CONTROL.md section 4), waiting wait_ms
   + WEB_AGENT_SLACK_MS. id: 16 bytes, the request id. As web_agent_call. */
int web_agent_submit(web_agent_t *self, const char *op, const msgpack_sbuffer *body,
                     const uint8_t *id, int wait_ms, nmirf_reply_t **reply, char *why,
                     size_t whylen);

/* ask {op, body?, wait_ms}: a read op forwarded to the broker, waiting
   wait_ms + WEB_AGENT_SLACK_MS. As web_agent_call. */
int web_agent_ask(web_agent_t *self, const char *op, const msgpack_sbuffer *body,
                  int wait_ms, nmirf_reply_t **reply, char *why, size_t whylen);

#endif
