/*  web_hub - what the agent publishes, as server-sent events for every
    open page (docs/WEB.md section 2, Live updates).

    One thread subscribes to ipc://AGENT_DIR/notify.sock, topics `n` (the
    agent's notifications: event `notify`) and `e` (every event it
    applies: event `applied`), and asks the agent's `status` every second,
    emitting `state` when it changed (contact_at aside, which moves with
    every heartbeat). Each JSON text from the agent is parsed (jansson: one
    object, no duplicate keys, at most 4 MiB) and written again compact,
    so the stream carries only what parsed; one that does not is dropped
    and logged. The last WEB_HUB_KEEP messages are kept, numbered from 1,
    as their SSE text; the HTTP threads wait for more on a condition
    variable (web_hub_next). When the agent comes back after it was down,
    the SUB is made again.
*/
#include <czmq.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nmirf_json.h"
#include "nmirf_log.h"
#include "nmirf_util.h"
#include "web.h"
#include "web_agent.h"

#define WEB_HUB_KEEP 1024                  /* messages kept for late readers */
#define WEB_HUB_JSON_MAX (4 * 1024 * 1024) /* a text from the agent, bytes */
#define WEB_HUB_STATUS_MS 1000             /* how often the agent's status is read */
#define WEB_HUB_MISSES 2                   /* unanswered reads before the agent is gone */

struct _web_hub_t {
    char *notify_ep;    /* ipc://DIR/notify.sock */
    web_agent_t *agent; /* for status */
    pthread_t thread;
    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t more;  /* a message came, or stop */
    bool stop;
    uint64_t head;            /* number of the latest message, 0: none */
    char *ring[WEB_HUB_KEEP]; /* message n at ring[(n - 1) % KEEP] */
    char *state;              /* the last state's text, contact_at aside */
};

/* Appends one message (event, compact JSON data) to the ring. */
static void
s_publish(web_hub_t *self, const char *event, const char *data)
{
    pthread_mutex_lock(&self->lock);
    uint64_t n = self->head + 1;
    char *text = NULL;
    if (asprintf(&text, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)n, event,
                 data) < 0) {
        pthread_mutex_unlock(&self->lock);
        log_warnx("web hub: out of memory");
        return;
    }
    char **slot = &self->ring[(n - 1) % WEB_HUB_KEEP];
    free(*slot);
    *slot = text;
    self->head = n;
    pthread_cond_broadcast(&self->more);
    pthread_mutex_unlock(&self->lock);
}

/* Reads one [topic][json] message from sub and publishes it, or drops
   and logs what does not parse. */
static void
s_on_message(web_hub_t *self, zsock_t *sub)
{
    zmsg_t *msg = zmsg_recv(sub);
    if (!msg)
        return;
    zframe_t *topic = zmsg_first(msg), *text = zmsg_next(msg);
    const char *event = NULL;
    if (topic && zframe_size(topic) == 1)
        event = zframe_data(topic)[0] == 'n'   ? "notify"
                : zframe_data(topic)[0] == 'e' ? "applied"
                                               : NULL;
    json_t *j = NULL;
    json_error_t err = {0};
    if (event && text && zmsg_size(msg) == 2 && zframe_size(text) <= WEB_HUB_JSON_MAX)
        j = json_loadb((const char *)zframe_data(text), zframe_size(text),
                       JSON_REJECT_DUPLICATES, &err);
    char *data = j && json_is_object(j) ? json_dumps(j, JSON_COMPACT) : NULL;
    if (data)
        s_publish(self, event, data);
    else
        log_warnx("web hub: dropped a message from the agent that is not one JSON "
                  "object on topic n or e%s%s",
                  err.text[0] ? ": " : "", err.text);
    free(data);
    json_decref(j);
    zmsg_destroy(&msg);
}

/* Reads the agent's status and publishes `state` if it changed. Returns
   whether the agent answered. An agent busy applying a page of events
   may miss one read: it is said to be gone only after WEB_HUB_MISSES
   reads in a row went unanswered (*misses counts them). */
static bool
s_poll_status(web_hub_t *self, int *misses)
{
    nmirf_reply_t *r = NULL;
    char why[256];
    bool up = web_agent_call(self->agent, "status", NULL, WEB_HUB_STATUS_MS, &r, why,
                             sizeof why) == 0 &&
              r->ok;
    *misses = up ? 0 : *misses + 1;
    if (!up && *misses < WEB_HUB_MISSES) {
        nmirf_reply_destroy(&r);
        return true; /* not yet gone */
    }
    json_t *st = up ? nmirf_json_from_mp(&r->body) : NULL;
    json_t *state = json_pack("{s:b, s:b, s:b}", "agent", up, "connected",
                              up && json_is_true(json_object_get(st, "connected")),
                              "stale", !up || json_is_true(json_object_get(st, "stale")));
    static const char *const keys[] = {"seq", "broker_seq", "outbox"};
    for (size_t i = 0; up && i < 3; i++) {
        json_t *v = json_object_get(st, keys[i]);
        json_object_set(state, keys[i], v ? v : json_null());
    }
    char *key = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *ago = json_object_get(st, "heard_ms_ago");
    json_object_set_new(
        state, "contact_at",
        json_is_integer(ago)
            ? json_integer(
                  (json_int_t)(nmirf_now_ms() - (uint64_t)json_integer_value(ago)))
            : json_null());
    if (key && (!self->state || strcmp(key, self->state) != 0)) {
        char *data = json_dumps(state, JSON_COMPACT);
        if (data)
            s_publish(self, "state", data);
        free(data);
        free(self->state);
        self->state = key;
        key = NULL;
    }
    free(key);
    json_decref(state);
    json_decref(st);
    nmirf_reply_destroy(&r);
    return up;
}

static zsock_t *
s_sub(web_hub_t *self)
{
    zsock_t *sub = zsock_new(ZMQ_SUB);
    if (!sub)
        return NULL;
    zsock_set_linger(sub, 0);
    zsock_set_subscribe(sub, "n");
    zsock_set_subscribe(sub, "e");
    if (zsock_connect(sub, "%s", self->notify_ep) != 0) {
        log_warnx("web hub: cannot connect to %s", self->notify_ep);
        zsock_destroy(&sub);
    }
    return sub;
}

static bool
s_stopping(web_hub_t *self)
{
    pthread_mutex_lock(&self->lock);
    bool stop = self->stop;
    pthread_mutex_unlock(&self->lock);
    return stop;
}

static void *
s_run(void *arg)
{
    web_hub_t *self = arg;
    zsock_t *sub = s_sub(self);
    zpoller_t *poller = sub ? zpoller_new(sub, NULL) : NULL;
    int64_t next_status = 0;
    bool was_up = true;
    int misses = 0;
    while (!s_stopping(self)) {
        int64_t now = zclock_mono();
        if (now >= next_status) {
            bool up = s_poll_status(self, &misses);
            if (up && (!was_up || !sub)) {
                /* The agent is back (maybe a new process): a new SUB. */
                zpoller_destroy(&poller);
                zsock_destroy(&sub);
                sub = s_sub(self);
                poller = sub ? zpoller_new(sub, NULL) : NULL;
            }
            was_up = up;
            next_status = zclock_mono() + WEB_HUB_STATUS_MS;
            continue;
        }
        int wait = (int)(next_status - now);
        wait = wait > 250 ? 250 : wait; /* stop within a quarter second */
        if (poller && zpoller_wait(poller, wait) == sub)
            s_on_message(self, sub);
        else if (!poller)
            zclock_sleep(wait);
    }
    zpoller_destroy(&poller);
    zsock_destroy(&sub);
    return NULL;
}

web_hub_t *
web_hub_new(const char *agent_dir)
{
    web_hub_t *self = calloc(1, sizeof *self);
    if (!self || asprintf(&self->notify_ep, "ipc://%s/notify.sock", agent_dir) < 0 ||
        !(self->agent = web_agent_new(agent_dir))) {
        log_warnx("web hub: out of memory");
        if (self)
            free(self->notify_ep);
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&self->more, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        log_warnx("web hub: cannot start its thread");
        web_agent_destroy(&self->agent);
        pthread_cond_destroy(&self->more);
        pthread_mutex_destroy(&self->lock);
        free(self->notify_ep);
        free(self);
        return NULL;
    }
    return self;
}

void
web_hub_destroy(web_hub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    web_hub_t *self = *self_p;
    pthread_mutex_lock(&self->lock);
    self->stop = true;
    pthread_cond_broadcast(&self->more);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->thread, NULL);
    for (size_t i = 0; i < WEB_HUB_KEEP; i++)
        free(self->ring[i]);
    free(self->state);
    web_agent_destroy(&self->agent);
    pthread_cond_destroy(&self->more);
    pthread_mutex_destroy(&self->lock);
    free(self->notify_ep);
    free(self);
    *self_p = NULL;
}

uint64_t
web_hub_head(web_hub_t *self)
{
    pthread_mutex_lock(&self->lock);
    uint64_t head = self->head;
    pthread_mutex_unlock(&self->lock);
    return head;
}

char *
web_hub_next(web_hub_t *self, uint64_t *cursor, int timeout_ms)
{
    static const char reload[] = "event: reload\ndata: {}\n\n";
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&self->lock);
    while (self->head == *cursor && !self->stop &&
           pthread_cond_timedwait(&self->more, &self->lock, &until) == 0)
        ;
    if (self->head == *cursor) {
        pthread_mutex_unlock(&self->lock);
        return NULL;
    }
    /* A cursor from the future (a Last-Event-ID of an earlier run), or
       older than what is kept: the page reloads its data. */
    uint64_t first = self->head > WEB_HUB_KEEP ? self->head - WEB_HUB_KEEP + 1 : 1;
    bool lost = *cursor > self->head || *cursor + 1 < first;
    uint64_t from = lost ? first : *cursor + 1;
    if (*cursor > self->head)
        from = self->head + 1; /* nothing of ours is after it */
    size_t size = lost ? sizeof reload : 1;
    for (uint64_t n = from; n <= self->head; n++)
        size += strlen(self->ring[(n - 1) % WEB_HUB_KEEP]);
    char *out = malloc(size);
    if (out) {
        size_t at = 0;
        if (lost) {
            memcpy(out, reload, sizeof reload - 1);
            at = sizeof reload - 1;
        }
        for (uint64_t n = from; n <= self->head; n++) {
            const char *t = self->ring[(n - 1) % WEB_HUB_KEEP];
            size_t len = strlen(t);
            memcpy(out + at, t, len);
            at += len;
        }
        out[at] = 0;
        *cursor = self->head;
    }
    pthread_mutex_unlock(&self->lock);
    return out;
}
