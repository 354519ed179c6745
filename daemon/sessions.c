/*  sessions - live CurveZMQ sessions per entity (sessions.h). */
#include "sessions.h"
#include "nmirf_log.h"
#include "nmirf_wire.h"

#include <czmq.h>
#include <malloc.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define S_ADDR_MAX 64      /* a numeric IPv6 address with a scope fits */
#define S_FD_MAX (1 << 20) /* fds above this are not followed (none are) */
#define S_TRIM_AFTER 32    /* connections opened or closed that make a trim worth it */

/* One monitored connection, by fd. */
typedef struct {
    bool live;                            /* accepted, not yet disconnected */
    char addr[S_ADDR_MAX];                /* peer's numeric IP, "" if unknown */
    char entity[NMIRF_ENTITY_ID_MAX + 1]; /* whose session it is, "" if not known */
} s_conn_t;

/* One peer address's unattributed connections and charges. */
typedef struct {
    size_t unattributed; /* live connections from here with no entity */
    size_t charges;      /* sessions charged here, not to a connection */
    zhashx_t *by_entity; /* entity id -> size_t * (its part of charges) */
} s_addr_t;

struct _sessions_t {
    unsigned cap;                      /* max sessions per entity */
    s_conn_t *conns[SESSIONS_SOCKETS]; /* per socket, indexed by fd */
    size_t nconns[SESSIONS_SOCKETS];   /* entries in each */
    zhashx_t *entities;                /* entity id -> size_t * sessions charged */
    zhashx_t *addrs;                   /* address -> s_addr_t */
    void (*drain)(void *arg);          /* reads waiting monitor events, or NULL */
    void *drain_arg;                   /* its argument */
    size_t churn;                      /* opened or closed since the last trim */
};

static void
s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

static void
s_addr_free(void **item)
{
    s_addr_t *a = *item;
    if (a) {
        zhashx_destroy(&a->by_entity);
        free(a);
    }
    *item = NULL;
}

/* A fresh table of size_t counters keyed by string. */
static zhashx_t *
s_counters_new(void)
{
    zhashx_t *h = zhashx_new();
    if (h)
        zhashx_set_destructor(h, s_free_item);
    return h;
}

/* Adds delta to the counter key of h (made at 0 if absent, removed at 0).
   Returns the new value. */
static size_t
s_add(zhashx_t *h, const char *key, long delta)
{
    size_t *n = zhashx_lookup(h, key);
    if (!n) {
        if (delta <= 0)
            return 0;
        n = zmalloc(sizeof *n);
        zhashx_insert(h, key, n);
    }
    if (delta < 0 && *n < (size_t)-delta)
        *n = 0;
    else
        *n += delta;
    size_t v = *n;
    if (v == 0)
        zhashx_delete(h, key);
    return v;
}

sessions_t *
sessions_new(void)
{
    sessions_t *self = zmalloc(sizeof *self);
    self->cap = SESSIONS_CAP_DEFAULT;
    self->entities = s_counters_new();
    self->addrs = zhashx_new();
    if (!self->entities || !self->addrs) {
        sessions_destroy(&self);
        return NULL;
    }
    zhashx_set_destructor(self->addrs, s_addr_free);
    return self;
}

void
sessions_destroy(sessions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sessions_t *self = *self_p;
    zhashx_destroy(&self->entities);
    zhashx_destroy(&self->addrs);
    for (int i = 0; i < SESSIONS_SOCKETS; i++)
        free(self->conns[i]);
    free(self);
    *self_p = NULL;
}

void
sessions_set_cap(sessions_t *self, unsigned cap)
{
    self->cap = cap ? cap : SESSIONS_CAP_DEFAULT;
}

unsigned
sessions_cap(const sessions_t *self)
{
    return self->cap;
}

void
sessions_set_drain(sessions_t *self, void (*drain)(void *arg), void *arg)
{
    self->drain = drain;
    self->drain_arg = arg;
}

size_t
sessions_count(sessions_t *self, const char *entity)
{
    size_t *n = zhashx_lookup(self->entities, entity);
    return n ? *n : 0;
}

/* addr's record, made if absent and make. */
static s_addr_t *
s_addr(sessions_t *self, const char *addr, bool make)
{
    s_addr_t *a = zhashx_lookup(self->addrs, addr);
    if (!a && make) {
        a = zmalloc(sizeof *a);
        a->by_entity = s_counters_new();
        if (!a->by_entity) {
            free(a);
            return NULL;
        }
        zhashx_insert(self->addrs, addr, a);
    }
    return a;
}

/* Gives back n of entity's charges held against a. */
static void
s_release(sessions_t *self, s_addr_t *a, const char *entity, size_t n)
{
    s_add(a->by_entity, entity, -(long)n);
    s_add(self->entities, entity, -(long)n);
    a->charges -= n;
}

/* Gives back the charges held against address that are surely dead
   (sessions.h), and forgets the address when nothing is left of it. */
static void
s_settle(sessions_t *self, const char *address)
{
    s_addr_t *a = s_addr(self, address, false);
    if (!a)
        return;
    if (a->charges > a->unattributed) {
        size_t excess = a->charges - a->unattributed;
        if (a->unattributed == 0) {
            /* No session of this address is alive unattributed: all dead. */
            const size_t *n;
            while (a->charges && (n = zhashx_first(a->by_entity)) != NULL) {
                char *entity = strdup(zhashx_cursor(a->by_entity));
                if (!entity)
                    break;
                s_release(self, a, entity, *n);
                free(entity);
            }
        } else if (zhashx_size(a->by_entity) == 1) {
            zhashx_first(a->by_entity);
            char *entity = strdup(zhashx_cursor(a->by_entity));
            if (entity)
                s_release(self, a, entity, excess);
            free(entity);
        }
    }
    if (a->charges == 0 && a->unattributed == 0)
        zhashx_delete(self->addrs, address);
}

/* The record of fd on socket sock, or NULL if not followed. */
static s_conn_t *
s_conn(sessions_t *self, int sock, int fd)
{
    if (sock < 0 || sock >= SESSIONS_SOCKETS || fd < 0 ||
        (size_t)fd >= self->nconns[sock])
        return NULL;
    return &self->conns[sock][fd];
}

void
sessions_accepted(sessions_t *self, int sock, int fd)
{
    if (sock < 0 || sock >= SESSIONS_SOCKETS || fd < 0 || fd >= S_FD_MAX)
        return;
    self->churn++;
    size_t have = self->nconns[sock];
    if ((size_t)fd >= have) {
        size_t n = (size_t)fd + 1 > have * 2 ? (size_t)fd + 1 : have * 2;
        s_conn_t *grown = realloc(self->conns[sock], n * sizeof *grown);
        if (!grown)
            return; /* not followed: its ZAP charge is given back at once */
        memset(grown + have, 0, (n - have) * sizeof *grown);
        self->conns[sock] = grown;
        self->nconns[sock] = n;
    }
    s_conn_t *c = &self->conns[sock][fd];
    if (c->live) /* its DISCONNECTED was never read: close it first */
        sessions_closed(self, sock, fd);
    memset(c, 0, sizeof *c);
    /* As libzmq fills the ZAP Address frame (get_peer_ip_address). The
       event may be read after the connection closed: then this fails (an
       address no ZAP request will name) or names the fd's next
       connection, and the DISCONNECTED that follows in the monitor's
       order puts it right. */
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
        getnameinfo((struct sockaddr *)&ss, len, c->addr, sizeof c->addr, NULL, 0,
                    NI_NUMERICHOST) != 0)
        c->addr[0] = 0;
    s_addr_t *a = s_addr(self, c->addr, true);
    if (!a)
        return;
    c->live = true;
    a->unattributed++;
}

void
sessions_closed(sessions_t *self, int sock, int fd)
{
    self->churn++;
    s_conn_t *c = s_conn(self, sock, fd);
    if (!c || !c->live)
        return;
    c->live = false;
    if (c->entity[0]) {
        s_add(self->entities, c->entity, -1);
        return;
    }
    s_addr_t *a = s_addr(self, c->addr, false);
    if (a && a->unattributed)
        a->unattributed--;
    s_settle(self, c->addr);
}

void
sessions_seen(sessions_t *self, int sock, int fd, const char *entity)
{
    s_conn_t *c = s_conn(self, sock, fd);
    if (!entity || !c || !c->live || c->entity[0])
        return;
    s_addr_t *a = s_addr(self, c->addr, false);
    if (!a || !zhashx_lookup(a->by_entity, entity))
        return; /* not charged here */
    /* One of entity's charges at this address is this connection's. */
    s_add(a->by_entity, entity, -1);
    a->charges--;
    a->unattributed--;
    snprintf(c->entity, sizeof c->entity, "%s", entity);
    s_settle(self, c->addr);
}

bool
sessions_admit(sessions_t *self, const char *entity, const char *address)
{
    if (self->drain)
        self->drain(self->drain_arg);
    if (sessions_count(self, entity) >= self->cap)
        return false;
    s_add(self->entities, entity, 1);
    s_addr_t *a = s_addr(self, address, true);
    if (!a) { /* out of memory: count nothing rather than fail */
        s_add(self->entities, entity, -1);
        return true;
    }
    bool exact = false;
    if (a->unattributed == 1 && a->charges == 0) {
        /* The only connection from there waiting: this one. */
        for (int i = 0; i < SESSIONS_SOCKETS; i++)
            for (size_t fd = 0; fd < self->nconns[i] && !exact; fd++) {
                s_conn_t *c = &self->conns[i][fd];
                if (c->live && !c->entity[0] && strcmp(c->addr, address) == 0) {
                    snprintf(c->entity, sizeof c->entity, "%s", entity);
                    a->unattributed = 0;
                    exact = true;
                }
            }
    }
    if (!exact) {
        s_add(a->by_entity, entity, 1);
        a->charges++;
    }
    s_settle(self, address);
    return true;
}

bool
sessions_trim(sessions_t *self)
{
    if (self->churn < S_TRIM_AFTER)
        return false;
    self->churn = 0;
    /* Every arena, the I/O thread's included (glibc 2.8 and later). */
    malloc_trim(0);
    return true;
}
