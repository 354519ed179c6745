/*  health - open connections (socket monitors) and agents' last reported
    outboxes, for `status`. */
#include "health.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { S_REQUESTS, S_EVENTS, S_SOCKETS };

/* One agent's last report. */
typedef struct {
    uint64_t reported; /* when, ms */
    uint64_t outbox;   /* its pending submissions then */
} s_agent_t;

/* The monitors are read on the broker's thread; ping and status run on
   the writer thread (or inline on the broker's): lock guards what both
   touch, the counters and the agents. */
struct _health_t {
    pthread_mutex_t lock;        /* guards open, handshakes_*, agents */
    zloop_t *loop;               /* where the monitors are read (borrowed) */
    zsock_t *mon[S_SOCKETS];     /* PAIR ends of the socket monitors */
    int64_t open[S_SOCKETS];     /* accepted minus disconnected */
    uint64_t handshakes_ok;      /* CURVE handshakes ZAP let through */
    uint64_t handshakes_refused; /* and refused */
    zhashx_t *agents;            /* entity id -> s_agent_t */
    sessions_t *sessions;        /* told of each connection (borrowed), or NULL */
};

/* zhashx's item destructor for s_agent_t. */
static void
s_agent_free(void **item)
{
    free(*item);
    *item = NULL;
}

health_t *
health_new(void)
{
    health_t *self = zmalloc(sizeof *self);
    self->agents = zhashx_new();
    if (!self->agents) {
        free(self);
        return NULL;
    }
    zhashx_set_destructor(self->agents, s_agent_free);
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

/* Stops reading and closes the monitors' PAIR ends (health_watch failed
   half way). */
static void
s_unwatch(health_t *self)
{
    for (int i = 0; i < S_SOCKETS; i++)
        if (self->mon[i]) {
            zloop_reader_end(self->loop, self->mon[i]);
            zsock_destroy(&self->mon[i]);
        }
}

void
health_destroy(health_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    health_t *self = *self_p;
    /* The broker's loop is gone by now: no reader to end, only sockets. */
    for (int i = 0; i < S_SOCKETS; i++)
        zsock_destroy(&self->mon[i]);
    zhashx_destroy(&self->agents);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

/* Reader: one monitor event, [u16 event, u32 value][endpoint]. */
static int
s_on_monitor(zloop_t *loop, zsock_t *mon, void *arg)
{
    health_t *self = arg;
    int which = mon == self->mon[S_REQUESTS] ? S_REQUESTS : S_EVENTS;
    /* health_drain may have read, within this zloop round, the event the
       poll saw: a blocking read would then wait for the next connection,
       which waits for this thread (ZAP). */
    if (!(zsock_events(mon) & ZMQ_POLLIN))
        return 0;
    zmsg_t *msg = zmsg_recv(mon);
    zframe_t *f = msg ? zmsg_first(msg) : NULL;
    if (f && zframe_size(f) >= 2) {
        uint16_t event;
        memcpy(&event, zframe_data(f), 2); /* host order, from libzmq itself */
        /* ACCEPTED and DISCONNECTED carry the connection's fd. */
        uint32_t value = 0;
        if (zframe_size(f) >= 6)
            memcpy(&value, zframe_data(f) + 2, 4);
        if (self->sessions && event == ZMQ_EVENT_ACCEPTED)
            sessions_accepted(self->sessions, which, (int)value);
        else if (self->sessions && event == ZMQ_EVENT_DISCONNECTED)
            sessions_closed(self->sessions, which, (int)value);
        pthread_mutex_lock(&self->lock);
        if (event == ZMQ_EVENT_ACCEPTED)
            self->open[which]++;
        else if (event == ZMQ_EVENT_DISCONNECTED && self->open[which] > 0)
            self->open[which]--;
        else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            self->handshakes_ok++;
        else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            self->handshakes_refused++;
        pthread_mutex_unlock(&self->lock);
    }
    zmsg_destroy(&msg);
    return 0;
}

void
health_set_sessions(health_t *self, sessions_t *sessions)
{
    self->sessions = sessions;
}

void
health_drain(void *arg)
{
    health_t *self = arg;
    /* Bounded: events keep coming while we read; the rest waits for the
       loop. */
    for (int i = 0; i < S_SOCKETS; i++)
        for (int n = 0;
             self->mon[i] && n < 100000 && (zsock_events(self->mon[i]) & ZMQ_POLLIN); n++)
            s_on_monitor(self->loop, self->mon[i], self);
}

int
health_watch(health_t *self, zloop_t *loop, zsock_t *router, zsock_t *pub)
{
    self->loop = loop;
    zsock_t *socks[S_SOCKETS] = {router, pub};
    for (int i = 0; i < S_SOCKETS; i++) {
        char ep[96];
        snprintf(ep, sizeof ep, "inproc://nmirfd-monitor-%p-%d", (void *)self, i);
        /* The monitor counts only these; everything else is noise here. */
        int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                     ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
        if (zmq_socket_monitor(zsock_resolve(socks[i]), ep, events) != 0)
            goto fail;
        self->mon[i] = zsock_new_pair(ep); /* '>' implied: connects */
        if (!self->mon[i] || zloop_reader(loop, self->mon[i], s_on_monitor, self) != 0)
            goto fail;
    }
    return 0;
fail:
    log_warnx("cannot monitor the broker's sockets: %s; status will not count "
              "connections",
              zmq_strerror(zmq_errno()));
    s_unwatch(self);
    return -1;
}

void
health_agent_report(health_t *self, const char *entity, uint64_t outbox, uint64_t now)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->lock);
    s_agent_t *a = zhashx_lookup(self->agents, entity);
    if (!a) {
        a = zmalloc(sizeof *a);
        zhashx_insert(self->agents, entity, a);
    }
    a->reported = now;
    a->outbox = outbox;
    pthread_mutex_unlock(&self->lock);
}

static void s_pack_locked(health_t *self, msgpack_packer *pk);

void
health_pack(health_t *self, msgpack_packer *pk)
{
    if (self)
        pthread_mutex_lock(&self->lock);
    s_pack_locked(self, pk);
    if (self)
        pthread_mutex_unlock(&self->lock);
}

/* health_pack's work, with the lock held (self may be NULL). */
static void
s_pack_locked(health_t *self, msgpack_packer *pk)
{
    nmirf_mp_pack_str(pk, "connections");
    msgpack_pack_map(pk, 4);
    nmirf_mp_pack_kv_uint(pk, "requests", self ? (uint64_t)self->open[S_REQUESTS] : 0);
    nmirf_mp_pack_kv_uint(pk, "events", self ? (uint64_t)self->open[S_EVENTS] : 0);
    nmirf_mp_pack_kv_uint(pk, "handshakes_ok", self ? self->handshakes_ok : 0);
    nmirf_mp_pack_kv_uint(pk, "handshakes_refused", self ? self->handshakes_refused : 0);
    nmirf_mp_pack_str(pk, "agents");
    zlistx_t *keys = self ? zhashx_keys(self->agents) : NULL;
    if (!keys) {
        msgpack_pack_array(pk, 0);
        return;
    }
    zlistx_set_comparator(keys, (zlistx_comparator_fn *)strcmp);
    zlistx_sort(keys);
    msgpack_pack_array(pk, zlistx_size(keys));
    for (const char *id = zlistx_first(keys); id; id = zlistx_next(keys)) {
        const s_agent_t *a = zhashx_lookup(self->agents, id);
        msgpack_pack_map(pk, 3);
        nmirf_mp_pack_kv_str(pk, "entity", id);
        nmirf_mp_pack_kv_uint(pk, "reported", a->reported);
        nmirf_mp_pack_kv_uint(pk, "outbox", a->outbox);
    }
    zlistx_destroy(&keys);
}
