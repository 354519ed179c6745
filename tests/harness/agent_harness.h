/*  agent_harness - real nmirf-agent processes for the agent tests, next
    to the real brokers of harness.h.

    An agent runs in its own temporary directory (DIR/ID.key, its data in
    DIR/data, its stderr in DIR/agent.log) against a broker's endpoints.
    The test talks to it through its control socket (a DEALER on
    ipc://DIR/data/agent.sock) and follows its notifications on
    ipc://DIR/data/notify.sock. HA_ASSERT prints every agent's log before
    failing through h_fail (which prints the brokers' logs); the watchdog
    of h_init does the same.

    A stand-in broker (ha_standin_t) takes a stopped broker's place: a
    CURVE ROUTER with the broker's key on its request endpoint, and a ZAP
    handler answering every handshake with one status. The test reads
    the agent's requests from it and answers the ones it chooses.
*/
#ifndef NMIRF_AGENT_HARNESS_H
#define NMIRF_AGENT_HARNESS_H

#include <czmq.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"
#include "nmirf_notify.h"
#include "nmirf_wire.h"

#define HA_WAIT_MS 20000 /* a condition a test waits for must hold within this */

/* One nmirf-agent process and its directory. */
typedef struct {
    char dir[PATH_MAX];                  /* temporary directory */
    char data[PATH_MAX + 8];             /* DIR/data: the agent's -d */
    char log_path[PATH_MAX + 16];        /* DIR/agent.log: its stderr */
    char key_path[PATH_MAX + 32];        /* DIR/ID.key */
    char server_key_path[PATH_MAX + 32]; /* the broker's NMIRFD.pub, its -S */
    char request_ep[H_ENDPOINT_MAX];     /* broker endpoints it is given */
    char events_ep[H_ENDPOINT_MAX];      /* (change them before a restart) */
    char id[NMIRF_ENTITY_ID_MAX + 1];    /* its entity */
    pid_t pid;                           /* running process, 0 if none */
    int starts;                          /* how many times it was started */
    zsock_t *ctl;                        /* DEALER to its control socket */
} ha_agent_t;

/* h_init with argv[1] = nmirfd, argv[2] = nmirf-agent, argv[3] = nmirf
   (optional: only for ha_nmirf), and a watchdog that also prints the
   agents' logs. */
void ha_init(int argc, char **argv, unsigned seconds);

/* The nmirf CLI binary (argv[3]), or NULL if none was given. */
const char *ha_nmirf(void);

/* Fails (printing agent and broker logs) unless expr holds. */
#define HA_ASSERT(expr)                                                                  \
    do {                                                                                 \
        if (!(expr)) {                                                                   \
            ha_dump_logs();                                                              \
            h_fail(__FILE__, __LINE__, "%s", #expr);                                     \
        }                                                                                \
    } while (0)
#define HA_ASSERTF(expr, ...)                                                            \
    do {                                                                                 \
        if (!(expr)) {                                                                   \
            ha_dump_logs();                                                              \
            h_fail_expr(__FILE__, __LINE__, #expr, __VA_ARGS__);                         \
        }                                                                                \
    } while (0)

/* Prints every agent's log to stderr (async-signal-safe). */
void ha_dump_logs(void);

/* Starts an agent for entity e of broker b (its key is saved in the
   agent's directory), with more agent arguments (NULL-ended, borrowed),
   and waits for its control socket. */
ha_agent_t *ha_agent_start(h_broker_t *b, h_entity_t *e, const char *const *extra);

/* SIGTERM; fails unless the agent exits 0 within 10 s. */
void ha_agent_stop(ha_agent_t *a);

/* SIGKILL and reap. */
void ha_agent_kill(ha_agent_t *a);

/* Runs one more nmirf-agent on a's directory with a's flags while a runs,
   waits up to 10 s for it to exit (fails the test if it does not), and
   returns its wait status; its stdout and stderr in *out (caller frees). */
int ha_agent_run_again(ha_agent_t *a, char **out);

/* Starts the agent again on the same directory with a->request_ep and
   a->events_ep, and waits for its control socket. */
void ha_agent_restart(ha_agent_t *a);

/* As ha_agent_restart, with more agent arguments for this start only
   (NULL-ended, borrowed). */
void ha_agent_restart_with(ha_agent_t *a, const char *const *extra);

/* Stops the agent if it runs, removes its directory and frees it. Call
   only when the test passed. */
void ha_agent_destroy(ha_agent_t **a_p);

/* Sends control op with a JSON body (h_pack_json syntax; NULL for {})
   and waits up to timeout_ms for the reply (caller destroys). Fails the
   test on timeout or an unreadable reply. */
nmirf_reply_t *ha_ctl(ha_agent_t *a, int timeout_ms, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sends one control frame as it is (buf, len: borrowed; tests send what
   the agent must refuse) and waits up to timeout_ms for the reply (caller
   destroys); what names the request in a failure. Fails the test on
   timeout or an unreadable reply. */
nmirf_reply_t *ha_ctl_raw(ha_agent_t *a, int timeout_ms, const char *what,
                          const uint8_t *buf, size_t len);

/* A SUB on the agent's notification socket, subscribed to "n". */
zsock_t *ha_notify_sub(ha_agent_t *a);

/* Waits up to ms for the next notification on sub and decodes it with
   nmirf_notify_decode into n (the caller releases it with
   nmirf_notify_release). Returns false, n empty, if none came; a text the
   codec refuses fails the test. */
bool ha_notification(zsock_t *sub, int ms, nmirf_notify_t *n);

/* The digest of the broker's snapshot (taken as e) and its sequence. */
void ha_broker_digest(h_entity_t *e, uint8_t out[NMIRF_HASH_LEN], uint64_t *seq);

/* The agent's replica digest and sequence (control op `digest`). */
void ha_agent_digest(ha_agent_t *a, uint8_t out[NMIRF_HASH_LEN], uint64_t *seq);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int ha_free_port(void);

/* Starts a broker (no coordinator given) on request and events ports of
   127.0.0.1 chosen here and given to it (-r, -e: its args[0..3]), so that
   a restarted broker is where its agents look; extra: more nmirfd
   arguments (NULL-ended, borrowed for the broker's life), its args[4..].
   Fails the test unless it bound them. At most 8 per test. */
h_broker_t *ha_broker_start_fixed(const char *const *extra);

/* Enrolls ministry id, imports recs PREFIX-0..n-1 (without assigning)
   through b's coordinator. Returns the ministry. */
h_entity_t *ha_setup_ministry(h_broker_t *b, const char *id, const char *prefix,
                              size_t n);

/* A stand-in broker (opaque). */
typedef struct ha_standin_t ha_standin_t;

/* Binds a stand-in on b's request endpoint with b's key (b is stopped:
   the bind is retried for up to 5 s while the port is freed), its ZAP
   handler answering zap_status ("200", "300", ...) with zap_text (both
   borrowed). Fails the test if it cannot. Destroy with
   ha_standin_destroy. */
ha_standin_t *ha_standin_new(h_broker_t *b, const char *zap_status, const char *zap_text);

/* Closes the stand-in's sockets and frees it; sets *st_p to NULL. */
void ha_standin_destroy(ha_standin_t **st_p);

/* Waits up to ms for the next request at the stand-in, answering every
   ZAP request on the way. Returns it as received, [routing id][envelope]
   [sig] when well formed (caller destroys), or NULL if none came. */
zmsg_t *ha_standin_recv(ha_standin_t *st, int ms);

/* How many ZAP requests the stand-in has answered. */
int ha_standin_zap_count(const ha_standin_t *st);

/* Decodes the envelope of req (borrowed, as ha_standin_recv returned it)
   into *e, without its body (e->body nil). Returns false if req is not
   three frames or its envelope does not decode. */
bool ha_standin_envelope(zmsg_t *req, nmirf_envelope_t *e, bool *has_id);

/* Answers req (borrowed; its envelope must decode) with code, message
   (NULL for none) and seq, without a body, to its routing id. */
void ha_standin_answer(ha_standin_t *st, zmsg_t *req, nmirf_code_t code,
                       const char *message, uint64_t seq);

#endif
