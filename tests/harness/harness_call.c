/*  harness_call - requests to a broker: JSON bodies, signed calls, raw
    frames, and code checks (harness.h).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* vasprintf */
#endif
#include "harness.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_json.h"
#include "nmirf_util.h"

#define S_WHY_MAX 256 /* room for a reason from the client */

msgpack_sbuffer *
h_pack_jsonv(const char *fmt, va_list ap)
{
    msgpack_sbuffer *sb = msgpack_sbuffer_new();
    H_ASSERT(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    char *text = NULL;
    H_ASSERT(vasprintf(&text, fmt, ap) >= 0);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *json = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    H_ASSERTF(json && json_is_object(json), "test body is not a JSON object: %s: %s",
              text, json ? "not an object" : err.text);
    nmirf_json_to_mp(json, &pk);
    json_decref(json);
    free(text);
    return sb;
}

msgpack_sbuffer *
h_pack_json(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msgpack_sbuffer *sb = h_pack_jsonv(fmt, ap);
    va_end(ap);
    return sb;
}

nmirf_reply_t *
h_call_packed(h_entity_t *e, const uint8_t *id, const char *op, const uint8_t *body,
              size_t body_len)
{
    H_ASSERTF(e->client, "%s has no connection", e->id);
    char why[S_WHY_MAX] = "";
    nmirf_reply_t *r =
        id ? nmirf_client_call_id(e->client, id, op, body, body_len, why, sizeof why)
           : nmirf_client_call(e->client, op, body, body_len, why, sizeof why);
    h_remember(op, r);
    H_ASSERTF(r, "%s as %s: no reply: %s", op, e->id, why);
    return r;
}

/* h_call with a va_list. */
static nmirf_reply_t *
s_callv(h_entity_t *e, const char *op, const char *fmt, va_list ap)
{
    msgpack_sbuffer *sb = h_pack_jsonv(fmt, ap);
    nmirf_reply_t *r = h_call_packed(e, NULL, op, (uint8_t *)sb->data, sb->size);
    msgpack_sbuffer_free(sb);
    return r;
}

nmirf_reply_t *
h_call(h_entity_t *e, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nmirf_reply_t *r = s_callv(e, op, fmt, ap);
    va_end(ap);
    return r;
}

void
h_expect_at(const char *file, int line, const nmirf_reply_t *r, const char *code)
{
    if (!r)
        h_fail(file, line, "expected %s, got no reply", code);
    if (strcmp(r->code_name, code) != 0)
        h_fail(file, line, "expected %s, got %s: %s", code, r->code_name, r->message);
    bool want_ok = strcmp(code, "ok") == 0;
    if (r->ok != want_ok)
        h_fail(file, line, "code %s but ok is %s", code, r->ok ? "true" : "false");
    if (!want_ok && r->message[0] == '\0')
        h_fail(file, line, "refusal %s without a message", code);
}

nmirf_reply_t *
h_call_expect_at(const char *file, int line, const char *code, h_entity_t *e,
                 const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nmirf_reply_t *r = s_callv(e, op, fmt, ap);
    va_end(ap);
    h_expect_at(file, line, r, code);
    return r;
}

void
h_call_check_at(const char *file, int line, const char *code, h_entity_t *e,
                const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nmirf_reply_t *r = s_callv(e, op, fmt, ap);
    va_end(ap);
    h_expect_at(file, line, r, code);
    nmirf_reply_destroy(&r);
}

uint64_t
h_seq(h_broker_t *b)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(b), "ping", "{}");
    H_ASSERTF(h_u(&r->body, "seq") == r->seq, "ping body seq %llu, reply seq %llu",
              (unsigned long long)h_u(&r->body, "seq"), (unsigned long long)r->seq);
    uint64_t seq = r->seq;
    nmirf_reply_destroy(&r);
    return seq;
}

/* --- raw requests ----------------------------------------------------- */

h_request_t *
h_request_make_at(h_entity_t *e, const uint8_t id[NMIRF_ID_LEN], uint64_t ts,
                  const char *op, const uint8_t *body, size_t body_len)
{
    h_request_t *req = calloc(1, sizeof *req);
    H_ASSERT(req);
    memcpy(req->id, id, NMIRF_ID_LEN);
    req->ts = ts;
    H_ASSERTF(nmirf_request_encode(op, req->id, e->key.entity, ts, body, body_len,
                                   e->key.sign_sk, &req->env, &req->env_len,
                                   req->sig) == 0,
              "nmirf_request_encode(%s) failed", op);
    return req;
}

h_request_t *
h_request_make_packed(h_entity_t *e, const uint8_t id[NMIRF_ID_LEN], const char *op,
                      const uint8_t *body, size_t body_len)
{
    return h_request_make_at(e, id, nmirf_now_ms(), op, body, body_len);
}

h_request_t *
h_request_make(h_entity_t *e, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msgpack_sbuffer *sb = h_pack_jsonv(fmt, ap);
    va_end(ap);
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    h_request_t *req = h_request_make_packed(e, id, op, (uint8_t *)sb->data, sb->size);
    msgpack_sbuffer_free(sb);
    return req;
}

nmirf_reply_t *
h_send_frames(h_entity_t *e, const uint8_t *const *frames, const size_t *sizes,
              size_t count)
{
    H_ASSERTF(e->client, "%s has no connection", e->id);
    char why[S_WHY_MAX] = "";
    nmirf_reply_t *r =
        nmirf_client_call_raw(e->client, frames, sizes, count, why, sizeof why);
    h_remember("(raw frames)", r);
    H_ASSERTF(r, "raw frames as %s: no reply: %s", e->id, why);
    return r;
}

nmirf_reply_t *
h_request_send(h_entity_t *e, const h_request_t *req)
{
    const uint8_t *frames[2] = {req->env, req->sig};
    size_t sizes[2] = {req->env_len, NMIRF_SIG_LEN};
    return h_send_frames(e, frames, sizes, 2);
}

void
h_request_post(zsock_t *sock, const h_request_t *req)
{
    H_ASSERT(zmq_send(zsock_resolve(sock), req->env, req->env_len, ZMQ_SNDMORE) >= 0);
    H_ASSERT(zmq_send(zsock_resolve(sock), req->sig, NMIRF_SIG_LEN, 0) >= 0);
}

void
h_request_free(h_request_t **req_p)
{
    if (!*req_p)
        return;
    free((*req_p)->env);
    free(*req_p);
    *req_p = NULL;
}
