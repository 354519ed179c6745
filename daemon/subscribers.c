/*  subscribers - the request connections that asked for events. */
#include "subscribers.h"
#include "nmirf_log.h"
#include "nmirf_wire.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define ROUTING_ID_MAX 255 /* libzmq's limit on a routing id */

/* One subscribed connection. */
typedef struct {
    uint8_t id[ROUTING_ID_MAX];           /* ROUTER routing id */
    size_t id_len;                        /* its size */
    char entity[NMIRF_ENTITY_ID_MAX + 1]; /* who authenticated on it */
    int64_t heard;                        /* ms of its last request (or its subscribe) */
} s_entry_t;

struct _subscribers_t {
    zhashx_t *table; /* hex routing id -> s_entry_t (owned) */
    int64_t ttl_ms;  /* expiry after this long without a request */
};

/* The table key of a routing id: its hex digits (zhashx keys are
   strings). */
static void
s_key(const uint8_t *id, size_t id_len, char out[2 * ROUTING_ID_MAX + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < id_len; i++) {
        out[2 * i] = hex[id[i] >> 4];
        out[2 * i + 1] = hex[id[i] & 15];
    }
    out[2 * id_len] = '\0';
}

static void
s_entry_free(void **item)
{
    free(*item);
    *item = NULL;
}

subscribers_t *
subscribers_new(int64_t ttl_ms)
{
    subscribers_t *self = calloc(1, sizeof *self);
    if (!self || !(self->table = zhashx_new())) {
        free(self);
        return NULL;
    }
    zhashx_set_destructor(self->table, s_entry_free);
    self->ttl_ms = ttl_ms;
    return self;
}

void
subscribers_destroy(subscribers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->table);
    free(*self_p);
    *self_p = NULL;
}

int64_t
subscribers_ttl_ms(void)
{
    const char *s = getenv("NMIRFD_SUBSCRIBER_TTL_MS");
    if (!s || !*s)
        return SUBSCRIBERS_TTL_MS;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 10 || v > 86400000) {
        log_warnx("NMIRFD_SUBSCRIBER_TTL_MS '%s' is not 10 to 86400000 ms; using %d", s,
                  SUBSCRIBERS_TTL_MS);
        return SUBSCRIBERS_TTL_MS;
    }
    return v;
}

bool
subscribers_on_reply(subscribers_t *self, const uint8_t *id, size_t id_len,
                     const char *op, const char *entity, const uint8_t *reply,
                     size_t reply_len, int64_t now)
{
    if (!self || strcmp(op, "subscribe") != 0 || id_len == 0 || id_len > ROUTING_ID_MAX)
        return false;
    char why[128];
    nmirf_reply_t *r = nmirf_reply_decode(reply, reply_len, why, sizeof why);
    bool ok = r && r->ok;
    nmirf_reply_destroy(&r);
    if (!ok)
        return false;
    char key[2 * ROUTING_ID_MAX + 1];
    s_key(id, id_len, key);
    s_entry_t *e = zhashx_lookup(self->table, key);
    if (!e) {
        if (!(e = calloc(1, sizeof *e)))
            return false; /* no push for it: its gap check catches up */
        memcpy(e->id, id, id_len);
        e->id_len = id_len;
        zhashx_insert(self->table, key, e);
    }
    snprintf(e->entity, sizeof e->entity, "%s", entity);
    e->heard = now;
    log_debug("%s subscribed on its request connection (%zu subscribed)", e->entity,
              zhashx_size(self->table));
    return true;
}

void
subscribers_touch(subscribers_t *self, const uint8_t *id, size_t id_len, int64_t now)
{
    if (!self || id_len == 0 || id_len > ROUTING_ID_MAX || zhashx_size(self->table) == 0)
        return;
    char key[2 * ROUTING_ID_MAX + 1];
    s_key(id, id_len, key);
    s_entry_t *e = zhashx_lookup(self->table, key);
    if (e)
        e->heard = now;
}

/* Which entries s_drop removes. */
typedef bool(s_match_fn)(const subscribers_t *self, const s_entry_t *e, const void *arg);

/* Removes every entry match says to, and returns how many. */
static size_t
s_drop(subscribers_t *self, s_match_fn *match, const void *arg)
{
    /* zhashx cannot delete while iterating: gather the keys first. */
    zlist_t *gone = zlist_new();
    if (!gone)
        return 0;
    zlist_autofree(gone); /* copies: a key dies with its entry */
    for (s_entry_t *e = zhashx_first(self->table); e; e = zhashx_next(self->table))
        if (match(self, e, arg))
            zlist_append(gone, (void *)zhashx_cursor(self->table));
    size_t n = 0;
    char *key;
    while ((key = zlist_pop(gone)) != NULL) {
        zhashx_delete(self->table, key);
        free(key);
        n++;
    }
    zlist_destroy(&gone);
    return n;
}

/* An entry not heard from for the subscription's lifetime by *now (an
   int64_t): expired, and logged as such. */
static bool
s_expired(const subscribers_t *self, const s_entry_t *e, const void *now)
{
    if (*(const int64_t *)now - e->heard < self->ttl_ms)
        return false;
    log_debug("%s's subscription expired: no request for %lld ms", e->entity,
              (long long)self->ttl_ms);
    return true;
}

size_t
subscribers_expire(subscribers_t *self, int64_t now)
{
    return self ? s_drop(self, s_expired, &now) : 0;
}

/* An entry authenticated as entity (a string). */
static bool
s_of_entity(const subscribers_t *self, const s_entry_t *e, const void *entity)
{
    return strcmp(e->entity, entity) == 0;
}

size_t
subscribers_drop_entity(subscribers_t *self, const char *entity)
{
    if (!self || zhashx_size(self->table) == 0)
        return 0;
    return s_drop(self, s_of_entity, entity);
}

void
subscribers_push(subscribers_t *self, void *router, const char *topic, const void *bytes,
                 size_t len)
{
    if (!self || zhashx_size(self->table) == 0)
        return;
    zmq_msg_t shared;
    if (zmq_msg_init_size(&shared, len) != 0)
        return;
    memcpy(zmq_msg_data(&shared), bytes, len);
    size_t topic_len = strlen(topic);
    for (s_entry_t *e = zhashx_first(self->table); e; e = zhashx_next(self->table)) {
        /* A ROUTER without ZMQ_ROUTER_MANDATORY drops a message to a gone
           peer or a full queue, whole, at its first frame: never blocks,
           never a half message. */
        if (zmq_send(router, e->id, e->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
            zmq_send(router, topic, topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            continue;
        zmq_msg_t copy;
        zmq_msg_init(&copy);
        if (zmq_msg_copy(&copy, &shared) != 0 ||
            zmq_msg_send(&copy, router, ZMQ_DONTWAIT) < 0)
            zmq_msg_close(&copy);
    }
    zmq_msg_close(&shared);
}

void
subscribers_push_events(subscribers_t *self, void *router, const event_batch_t *events)
{
    if (!self || zhashx_size(self->table) == 0)
        return;
    char topic[64];
    for (size_t i = 0; i < events->count; i++) {
        const pending_event_t *ev = &events->items[i];
        if (strcmp(ev->kind, "entity.revoked") == 0 ||
            strcmp(ev->kind, "entity.rotated") == 0)
            for (size_t k = 0; k < ev->entity_count; k++) {
                size_t n = subscribers_drop_entity(self, ev->entities[k]);
                if (n)
                    log_info("%s: %s's %zu subscriptions ended", ev->kind,
                             ev->entities[k], n);
            }
        snprintf(topic, sizeof topic, "ev/%s", events->items[i].kind);
        subscribers_push(self, router, topic, events->items[i].bytes,
                         events->items[i].len);
    }
}
