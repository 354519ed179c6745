/*  cli_agent - the agent transport: how the CLI reaches the ministry's
    nmirf-agent (-a or $NMIRF_AGENT) and speaks its control protocol
    (proto/CONTROL.md) through the codec (proto/nmirf_control.h).

    One DEALER per call, one frame each way: a request encoded by
    nmirf_ctl_request_encode, a reply in the broker's format, decoded by
    nmirf_reply_decode, so the commands (cli_cmds_agent.c, and report
    submit) print it with the code the broker's commands use. No key is
    needed on this side: the agent signs with its own.
*/
#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "nmirf_control.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

/* How long a local agent may take to accept the connection (ms). */
#define AGENT_CONNECT_MS 2000

char *
cli_agent_dir(const cli_t *cli)
{
    const char *a = cli->agent;
    struct stat st;
    if (strncmp(a, "ipc://", 6) == 0) {
        const char *path = a + 6;
        const char *slash = strrchr(path, '/');
        return slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    }
    if (strstr(a, "://") == NULL && stat(a, &st) == 0 && S_ISDIR(st.st_mode))
        return strdup(a);
    if (strstr(a, "://") == NULL) {
        const char *slash = strrchr(a, '/');
        return slash ? strndup(a, (size_t)(slash - a)) : strdup(".");
    }
    return NULL;
}

/* The control endpoint from -a: an endpoint as is; a directory means
   ipc://DIR/agent.sock; another path ipc://PATH. Caller frees. */
static char *
s_agent_endpoint(const cli_t *cli)
{
    const char *a = cli->agent;
    struct stat st;
    char *ep = NULL;
    if (strstr(a, "://"))
        return strdup(a);
    if (stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (asprintf(&ep, "ipc://%s/agent.sock", a) < 0)
            return NULL;
    } else if (asprintf(&ep, "ipc://%s", a) < 0)
        return NULL;
    return ep;
}

int
cli_agent_call(cli_t *cli, const nmirf_ctl_request_t *req, int wait_ms,
               nmirf_reply_t **reply_p)
{
    *reply_p = NULL;
    const uint8_t *submit_id =
        req->op == NMIRF_CTL_SUBMIT && req->submit.has_id ? req->submit.id : NULL;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    if (nmirf_ctl_request_encode(&out, req) != 0) {
        msgpack_sbuffer_destroy(&out);
        fprintf(stderr, _("nmirf: %s: cannot encode the control request\n"), cli->cmd);
        return CLI_EXIT_USAGE;
    }
    char *ep = s_agent_endpoint(cli);
    zsock_t *sock = ep ? zsock_new(ZMQ_DEALER) : NULL;
    if (sock) {
        /* The request is only handed to a connection made: a send with no
           agent behind the endpoint fails within the timeout instead of
           waiting in this process, and "may still be queued" is then only
           said when the agent did receive it. */
        zsock_set_immediate(sock, 1);
        zsock_set_sndtimeo(sock, wait_ms < AGENT_CONNECT_MS ? wait_ms : AGENT_CONNECT_MS);
    }
    if (!sock || zsock_connect(sock, "%s", ep) != 0) {
        fprintf(stderr, _("nmirf: %s: cannot connect to the agent at %s\n"), cli->cmd,
                ep ? ep : cli->agent);
        zsock_destroy(&sock);
        free(ep);
        msgpack_sbuffer_destroy(&out);
        return CLI_EXIT_NO_REPLY;
    }
    zsock_set_linger(sock, 0);
    zframe_t *f = zframe_new(out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    int rc = CLI_EXIT_NO_REPLY;
    nmirf_reply_t *reply = NULL;
    char why[256] = "";
    if (zframe_send(&f, sock, 0) != 0) {
        /* No agent took the connection (ZMQ_IMMEDIATE, below): nothing
           left this process, so nothing can be queued. */
        fprintf(stderr,
                _("nmirf: %s: cannot reach the agent at %s (is nmirf-agent running?); "
                  "nothing was sent\n"),
                cli->cmd, ep);
        zframe_destroy(&f);
    } else {
        zpoller_t *poller = zpoller_new(sock, NULL);
        if (zpoller_wait(poller, wait_ms)) {
            zframe_t *rf = zframe_recv(sock);
            if (rf)
                reply =
                    nmirf_reply_decode(zframe_data(rf), zframe_size(rf), why, sizeof why);
            zframe_destroy(&rf);
            if (!reply)
                fprintf(stderr,
                        _("nmirf: %s: unreadable reply from the agent at %s: %s\n"),
                        cli->cmd, ep, why);
        } else if (submit_id) {
            /* The agent may have queued it and been too busy to say so: a
               blind retry would submit it twice. */
            char hex[2 * NMIRF_ID_LEN + 1];
            nmirf_hex(submit_id, NMIRF_ID_LEN, hex);
            fprintf(stderr,
                    _("nmirf: %s: no answer from the agent within %d ms; the submission "
                      "may still be queued: check `nmirf outbox` for id %s before "
                      "retrying\n"),
                    cli->cmd, wait_ms, hex);
        } else
            fprintf(stderr,
                    _("nmirf: %s: no reply from the agent at %s within %d ms "
                      "(is nmirf-agent running?)\n"),
                    cli->cmd, ep, wait_ms);
        zpoller_destroy(&poller);
    }
    zsock_destroy(&sock);
    free(ep);
    if (!reply)
        return rc;
    return cli_reply_status(reply, reply_p);
}

int
cli_agent_submit(cli_t *cli, const char *op, const msgpack_sbuffer *body,
                 nmirf_reply_t **reply_p, bool *queued)
{
    *queued = false;
    nmirf_ctl_request_t req = {.op = NMIRF_CTL_SUBMIT};
    if (snprintf(req.submit.op, sizeof req.submit.op, "%s", op) >=
        (int)sizeof req.submit.op)
        return cli_usage(cli, "%s: not an operation the agent takes", op);
    req.submit.body = (const uint8_t *)body->data;
    req.submit.body_len = body->size;
    /* The request id is made here, so that the agent can tell a retry of
       this submission from a new one (idempotent control submit). */
    req.submit.has_id = true;
    nmirf_random_id(req.submit.id, NMIRF_ID_LEN);
    req.submit.has_wait = true;
    req.submit.wait_ms = (uint64_t)cli->timeout_ms;
    /* The agent answers by itself when wait_ms runs out: give it room. */
    int rc = cli_agent_call(cli, &req, cli->timeout_ms + 5000, reply_p);
    if (rc == 0) {
        nmirf_ctl_queued_t q;
        *queued = nmirf_ctl_queued_decode(&(*reply_p)->body, &q, NULL, 0) == NMIRF_OK;
        if (*queued && q.key_refused)
            fprintf(
                stderr,
                _("nmirf: warning: the broker refuses this agent's key (not enrolled, "
                  "revoked, or rotated): nothing is sent until it is enrolled; the "
                  "agent connects again on its own (30 s, then up to every 5 min)\n"));
    }
    return rc;
}
