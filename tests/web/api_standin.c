/*  api_standin - see api_standin.h. */
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_standin.h"
#include "nmirf_control.h"
#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

struct api_standin_t {
    char dir[64];
    ha_agent_t *agent;
    h_entity_t *co;
    zactor_t *actor;
};

/* Answers [routing] with the broker's (or the agent's) reply r. */
static void
s_answer(zsock_t *router, zframe_t *routing, const nmirf_reply_t *r, json_t *body)
{
    msgpack_sbuffer out, b;
    msgpack_sbuffer_init(&out);
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    if (body)
        nmirf_json_to_mp(body, &pk);
    else if (r->body.type == MSGPACK_OBJECT_MAP)
        nmirf_mp_pack_object(&pk, &r->body);
    nmirf_ctl_reply_encode(&out, r->ok ? NMIRF_OK : r->code, r->message, r->seq,
                           b.size ? &b : NULL);
    zframe_t *rf = zframe_dup(routing);
    zframe_send(&rf, router, ZFRAME_MORE);
    zframe_t *f = zframe_new(out.data, out.size);
    zframe_send(&f, router, 0);
    msgpack_sbuffer_destroy(&out);
    msgpack_sbuffer_destroy(&b);
}

/* The body under key of obj, packed (NULL for {}). */
static msgpack_sbuffer *
s_packed(const msgpack_object *obj, const char *key)
{
    const msgpack_object *o = nmirf_mp_get(obj, key);
    return o && o->type == MSGPACK_OBJECT_MAP ? h_pack_object(o) : NULL;
}

/* A's replica head on a broker's read reply body. */
static json_t *
s_with_head(const nmirf_reply_t *r, const char *list)
{
    json_t *j = nmirf_json_from_mp(&r->body);
    json_object_set_new(j, "entity", json_string("COORD"));
    json_object_set_new(j, "seq", json_integer((json_int_t)r->seq));
    json_object_set_new(j, "broker_seq", json_integer((json_int_t)r->seq));
    json_object_set_new(j, "stale", json_false());
    json_object_set_new(j, "contact_at", json_integer((json_int_t)nmirf_now_ms()));
    if (strcmp(list, "reports") == 0) {
        json_object_set_new(
            j, "total",
            json_integer((json_int_t)json_array_size(json_object_get(j, "reports"))));
        json_object_set_new(j, "offset", json_integer(0));
        json_object_set_new(j, "limit", json_integer(NMIRF_CONTROL_LIMIT_MAX));
    }
    return j;
}

static void
s_handle(api_standin_t *self, zsock_t *router)
{
    zmsg_t *msg = zmsg_recv(router);
    zframe_t *routing = zmsg_first(msg), *frame = zmsg_next(msg);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object req;
    HA_ASSERT(frame && nmirf_mp_unpack(zframe_data(frame), zframe_size(frame), &zone,
                                       &req, NULL, 0) == NMIRF_OK);
    const msgpack_object *op = nmirf_mp_get(&req, "op");
    const msgpack_object *body = nmirf_mp_get(&req, "body");
    nmirf_reply_t *r = NULL;
    json_t *out = NULL;
    if (nmirf_mp_str_is(op, "entity.list") || nmirf_mp_str_is(op, "report.list")) {
        char name[16];
        nmirf_mp_strcpy(op, name, sizeof name);
        msgpack_sbuffer *b = s_packed(&req, "body");
        /* A's report.list pages itself: the broker's takes no offset. */
        json_t *filters = b ? nmirf_json_from_mp(body) : json_object();
        json_object_del(filters, "offset");
        json_object_del(filters, "limit");
        msgpack_sbuffer fb;
        msgpack_packer pk;
        msgpack_sbuffer_init(&fb);
        msgpack_packer_init(&pk, &fb, msgpack_sbuffer_write);
        nmirf_json_to_mp(filters, &pk);
        r = h_call_packed(self->co, NULL, name, (const uint8_t *)fb.data, fb.size);
        msgpack_sbuffer_destroy(&fb);
        json_decref(filters);
        if (b)
            msgpack_sbuffer_free(b);
        if (r->ok)
            out =
                s_with_head(r, strcmp(name, "report.list") == 0 ? "reports" : "entities");
    } else if (nmirf_mp_str_is(op, "ask") || nmirf_mp_str_is(op, "submit")) {
        char name[64];
        HA_ASSERT(nmirf_mp_strcpy(nmirf_mp_get(body, "op"), name, sizeof name) == 0);
        msgpack_sbuffer *b = s_packed(body, "body");
        const msgpack_object *id = nmirf_mp_get(body, "id");
        r = h_call_packed(self->co,
                          id && id->type == MSGPACK_OBJECT_BIN &&
                                  id->via.bin.size == NMIRF_ID_LEN
                              ? (const uint8_t *)id->via.bin.ptr
                              : NULL,
                          name, b ? (const uint8_t *)b->data : (const uint8_t *)"\x80",
                          b ? b->size : 1);
        if (b)
            msgpack_sbuffer_free(b);
    } else
        r = ha_ctl_raw(self->agent, 10000, "forwarded", zframe_data(frame),
                       zframe_size(frame));
    s_answer(router, routing, r, out);
    json_decref(out);
    nmirf_reply_destroy(&r);
    msgpack_zone_destroy(&zone);
    zmsg_destroy(&msg);
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    api_standin_t *self = arg;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    HA_ASSERT(router && zsock_bind(router, "ipc://%s/agent.sock", self->dir) == 0);
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait(poller, 1000);
        if (which == pipe)
            break;
        if (which == router)
            s_handle(self, router);
    }
    zpoller_destroy(&poller);
    zsock_destroy(&router);
}

api_standin_t *
api_standin_new(ha_agent_t *a, h_entity_t *co, const char **dir)
{
    api_standin_t *self = calloc(1, sizeof *self);
    HA_ASSERT(self);
    snprintf(self->dir, sizeof self->dir, "/tmp/nmirf-web-XXXXXX");
    HA_ASSERT(mkdtemp(self->dir));
    self->agent = a;
    self->co = co;
    self->actor = zactor_new(s_actor, self);
    *dir = self->dir;
    return self;
}

void
api_standin_destroy(api_standin_t **self_p)
{
    api_standin_t *self = *self_p;
    zactor_destroy(&self->actor);
    char path[128];
    snprintf(path, sizeof path, "%s/agent.sock", self->dir);
    unlink(path);
    rmdir(self->dir);
    free(self);
    *self_p = NULL;
}
