/*  web_agent - the control client (web_agent.h): one DEALER per call. */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_control.h"
#include "nmirf_mp.h"
#include "web_agent.h"

struct _web_agent_t {
    char *endpoint; /* ipc://DIR/agent.sock */
};

web_agent_t *
web_agent_new(const char *agent_dir)
{
    web_agent_t *self = calloc(1, sizeof *self);
    if (!self || asprintf(&self->endpoint, "ipc://%s/agent.sock", agent_dir) < 0) {
        free(self);
        return NULL;
    }
    /* CZMQ's context is made on first use: make it here, in one thread. */
    zsys_init();
    return self;
}

void
web_agent_destroy(web_agent_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->endpoint);
    free(*self_p);
    *self_p = NULL;
}

/* Sends the frame out and reads one reply within timeout_ms. */
static int
s_exchange(web_agent_t *self, const msgpack_sbuffer *out, int timeout_ms,
           nmirf_reply_t **reply, char *why, size_t whylen)
{
    *reply = NULL;
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock) {
        snprintf(why, whylen, "cannot make a socket");
        return -1;
    }
    zsock_set_linger(sock, 0);
    zsock_set_sndtimeo(sock, 1000);
    int rc = -1;
    if (zsock_connect(sock, "%s", self->endpoint) != 0)
        snprintf(why, whylen, "cannot connect to %s", self->endpoint);
    else {
        zframe_t *f = zframe_new(out->data, out->size);
        if (zframe_send(&f, sock, 0) != 0) {
            zframe_destroy(&f);
            snprintf(why, whylen, "cannot send to the agent at %s", self->endpoint);
        } else {
            zpoller_t *poller = zpoller_new(sock, NULL);
            if (poller && zpoller_wait(poller, timeout_ms)) {
                zframe_t *rf = zframe_recv(sock);
                char rwhy[200] = "";
                if (rf)
                    *reply = nmirf_reply_decode(zframe_data(rf), zframe_size(rf), rwhy,
                                                sizeof rwhy);
                zframe_destroy(&rf);
                if (*reply)
                    rc = 0;
                else
                    snprintf(why, whylen, "unreadable reply from the agent: %s", rwhy);
            } else
                snprintf(why, whylen, "no reply from the agent at %s within %d ms",
                         self->endpoint, timeout_ms);
            zpoller_destroy(&poller);
        }
    }
    zsock_destroy(&sock);
    return rc;
}

int
web_agent_call(web_agent_t *self, const char *op, const msgpack_sbuffer *body,
               int timeout_ms, nmirf_reply_t **reply, char *why, size_t whylen)
{
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    nmirf_ctl_request_pack(&out, op, body ? (const uint8_t *)body->data : NULL,
                           body ? body->size : 0);
    int rc = s_exchange(self, &out, timeout_ms, reply, why, whylen);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

int
web_agent_submit(web_agent_t *self, const char *op, const msgpack_sbuffer *body,
                 const uint8_t *id, int wait_ms, nmirf_reply_t **reply, char *why,
                 size_t whylen)
{
    nmirf_ctl_request_t req = {.op = NMIRF_CTL_SUBMIT};
    *reply = NULL;
    if (snprintf(req.submit.op, sizeof req.submit.op, "%s", op) >=
        (int)sizeof req.submit.op) {
        snprintf(why, whylen, "%s: not an operation", op);
        return -1;
    }
    req.submit.body = (const uint8_t *)body->data;
    req.submit.body_len = body->size;
    req.submit.has_id = true;
    memcpy(req.submit.id, id, NMIRF_ID_LEN);
    req.submit.has_wait = true;
    req.submit.wait_ms = (uint64_t)wait_ms;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    int rc = -1;
    if (nmirf_ctl_request_encode(&out, &req) != 0)
        snprintf(why, whylen, "cannot encode the submit of %s", op);
    else
        rc = s_exchange(self, &out, wait_ms + WEB_AGENT_SLACK_MS, reply, why, whylen);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

int
web_agent_ask(web_agent_t *self, const char *op, const msgpack_sbuffer *body, int wait_ms,
              nmirf_reply_t **reply, char *why, size_t whylen)
{
    /* {op, body?, wait_ms}: the ask's own body, around the read's. */
    msgpack_sbuffer b;
    msgpack_packer pk;
    msgpack_sbuffer_init(&b);
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, body ? 3 : 2);
    nmirf_mp_pack_kv_str(&pk, "op", op);
    if (body) {
        nmirf_mp_pack_str(&pk, "body");
        msgpack_sbuffer_write(&b, body->data, body->size);
    }
    nmirf_mp_pack_kv_uint(&pk, "wait_ms", (uint64_t)wait_ms);
    int rc =
        web_agent_call(self, "ask", &b, wait_ms + WEB_AGENT_SLACK_MS, reply, why, whylen);
    msgpack_sbuffer_destroy(&b);
    return rc;
}
