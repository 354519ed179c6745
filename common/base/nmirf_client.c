/*  nmirf_client - a signed-request client for nmirfd. */
#include "nmirf_client.h"
#include "nmirf_util.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct _nmirf_client_t {
    zsock_t *dealer; /* to the broker's ROUTER */
    nmirf_key_t key; /* our entity's keys (copy) */
    int timeout_ms;  /* how long a call waits for its reply */
};

int
nmirf_client_curve(void *sock, const nmirf_key_t *key, const char *server_curve_pk)
{
    uint8_t raw[32];
    if (!key->has_secret || !server_curve_pk || strlen(server_curve_pk) != 40 ||
        !zmq_z85_decode(raw, server_curve_pk))
        return -1;
    /* Options before connect: they apply to connections made after. */
    zsock_set_curve_serverkey(sock, server_curve_pk);
    zsock_set_curve_publickey(sock, key->curve_pk);
    zsock_set_curve_secretkey(sock, key->curve_sk);
    return 0;
}

nmirf_client_t *
nmirf_client_new(const char *endpoint, const nmirf_key_t *key,
                 const char *server_curve_pk, int timeout_ms)
{
    if (!key->has_secret || sodium_init() < 0)
        return NULL;
    nmirf_client_t *self = zmalloc(sizeof *self);
    self->dealer = zsock_new(ZMQ_DEALER);
    if (!self->dealer || nmirf_client_curve(self->dealer, key, server_curve_pk) != 0 ||
        zsock_connect(self->dealer, "%s", endpoint) != 0) {
        nmirf_client_destroy(&self);
        return NULL;
    }
    zsock_set_linger(self->dealer, 0);
    /* A DEALER with no peer blocks a send; once the broker refuses our
       handshake (ZAP), libzmq drops the connection for good, so without a
       bound a later call would hang. */
    zsock_set_sndtimeo(self->dealer, timeout_ms);
    self->key = *key;
    self->timeout_ms = timeout_ms;
    return self;
}

void
nmirf_client_destroy(nmirf_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nmirf_client_t *self = *self_p;
    zsock_destroy(&self->dealer);
    nmirf_key_wipe(&self->key);
    free(self);
    *self_p = NULL;
}

/* Waits for the reply that carries id (or any reply if id is NULL),
   dropping stale replies to earlier, timed-out calls. */
static nmirf_reply_t *
s_wait_reply(nmirf_client_t *self, const uint8_t *id, char *why, size_t whylen)
{
    int64_t deadline = zclock_mono() + self->timeout_ms;
    zpoller_t *poller = zpoller_new(self->dealer, NULL);
    nmirf_reply_t *reply = NULL;
    while (!reply) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0 || !zpoller_wait(poller, (int)left)) {
            snprintf(why, whylen, "no reply within %d ms", self->timeout_ms);
            break;
        }
        zmsg_t *msg = zmsg_recv(self->dealer);
        if (!msg)
            break;
        zframe_t *frame = zmsg_last(msg);
        if (frame)
            reply =
                nmirf_reply_decode(zframe_data(frame), zframe_size(frame), why, whylen);
        zmsg_destroy(&msg);
        if (reply && id && reply->has_id && memcmp(reply->id, id, NMIRF_ID_LEN) != 0)
            nmirf_reply_destroy(&reply); /* a late answer to an earlier call */
        else if (!reply)
            break;
    }
    zpoller_destroy(&poller);
    return reply;
}

nmirf_reply_t *
nmirf_client_call_id(nmirf_client_t *self, const uint8_t id[NMIRF_ID_LEN], const char *op,
                     const uint8_t *body, size_t body_len, char *why, size_t whylen)
{
    uint8_t *env;
    size_t env_len;
    uint8_t sig[NMIRF_SIG_LEN];
    if (nmirf_request_encode(op, id, self->key.entity, nmirf_now_ms(), body, body_len,
                             self->key.sign_sk, &env, &env_len, sig)) {
        snprintf(why, whylen, "operation name '%s' is too long", op);
        return NULL;
    }
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, env, env_len);
    zmsg_addmem(msg, sig, sizeof sig);
    free(env);
    if (zmsg_send(&msg, self->dealer)) {
        zmsg_destroy(&msg);
        snprintf(why, whylen, "cannot send: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    return s_wait_reply(self, id, why, whylen);
}

nmirf_reply_t *
nmirf_client_call_signed(nmirf_client_t *self, const uint8_t id[NMIRF_ID_LEN],
                         const uint8_t *env, size_t env_len,
                         const uint8_t sig[NMIRF_SIG_LEN], char *why, size_t whylen)
{
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, env, env_len);
    zmsg_addmem(msg, sig, NMIRF_SIG_LEN);
    if (zmsg_send(&msg, self->dealer)) {
        zmsg_destroy(&msg);
        snprintf(why, whylen, "cannot send: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    return s_wait_reply(self, id, why, whylen);
}

nmirf_reply_t *
nmirf_client_call(nmirf_client_t *self, const char *op, const uint8_t *body,
                  size_t body_len, char *why, size_t whylen)
{
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    return nmirf_client_call_id(self, id, op, body, body_len, why, whylen);
}

nmirf_reply_t *
nmirf_client_call_raw(nmirf_client_t *self, const uint8_t *const *frames,
                      const size_t *sizes, size_t count, char *why, size_t whylen)
{
    zmsg_t *msg = zmsg_new();
    for (size_t i = 0; i < count; i++)
        zmsg_addmem(msg, frames[i], sizes[i]);
    if (zmsg_send(&msg, self->dealer)) {
        zmsg_destroy(&msg);
        snprintf(why, whylen, "cannot send: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    return s_wait_reply(self, NULL, why, whylen);
}

int
nmirf_client_server_key_load(const char *path, char out[41], char *why, size_t whylen)
{
    nmirf_key_t key;
    if (nmirf_key_load(&key, path, why, whylen) != 0)
        return -1;
    memcpy(out, key.curve_pk, 41);
    nmirf_key_wipe(&key); /* a secret file may have been given */
    return 0;
}
