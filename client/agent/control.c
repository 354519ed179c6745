/*  control - the agent's local control socket, for the CLI.

    A ROUTER bound on ipc://DIR/agent.sock, mode 0660 (the directory's
    mode decides who reaches it). A request is one frame, a msgpack map
    {op: str, body: map}; the reply is one frame in the broker's reply
    format (nmirf_reply_encode, id nil), so the CLI prints it with the code
    it already has. docs/AGENT.md lists the operations.

    Input is checked like the broker checks its own (nmirf_mp_check first,
    then each field's type); a bad request gets a bad_request reply and
    the agent carries on.
*/
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define CONTROL_MAX (2 * 1024 * 1024) /* one control request, bytes */
#define WAIT_MAX_MS 600000            /* longest wait_ms a submit may ask */

/* A `submit` waiting for the broker's answer. */
typedef struct {
    zmsg_t *route;            /* the ROUTER's routing frames, to answer */
    uint8_t id[NMIRF_ID_LEN]; /* the queued request's id */
    int64_t deadline;         /* monotonic ms: answer {queued} then */
} s_waiter_t;

struct _control_t {
    const agent_conf_t *conf; /* the configuration (borrowed) */
    link_t *link;             /* the broker connection, for its state (borrowed) */
    replica_t *replica;       /* the replica, read (borrowed) */
    outbox_t *outbox;         /* where submissions are queued (borrowed) */
    zsock_t *router;  /* ROUTER on ipc://DIR/agent.sock */
    zlist_t *waiters; /* s_waiter_t */
};

control_t *
control_new(const agent_conf_t *conf, zloop_t *loop, link_t *link, replica_t *replica,
            outbox_t *outbox)
{
    control_t *self = calloc(1, sizeof *self);
    if (!self) {
        log_warnx("control: out of memory");
        return NULL;
    }
    self->conf = conf;
    self->link = link;
    self->replica = replica;
    self->outbox = outbox;
    self->waiters = zlist_new();
    if (!self->waiters) {
        log_warnx("control: out of memory");
        control_destroy(&self);
        return NULL;
    }
    self->router = zsock_new(ZMQ_ROUTER);
    char path[4096];
    snprintf(path, sizeof path, "%s/agent.sock", conf->dir);
    unlink(path); /* a socket file left by a killed agent */
    /* The socket file is made by bind with the process umask: 0117 gives
       0660, owner and group only. */
    /* Options before bind: libzmq copies them to the listener then, so a
       limit set later would not bound what a local peer makes us hold. */
    if (self->router) {
        zsock_set_linger(self->router, 0);
        zsock_set_maxmsgsize(self->router, CONTROL_MAX + 4096);
    }
    mode_t old = umask(0117);
    int rc = self->router ? zsock_bind(self->router, "ipc://%s", path) : -1;
    umask(old);
    if (rc != 0) {
        log_warnx("cannot bind ipc://%s", path);
        control_destroy(&self);
        return NULL;
    }
    chmod(path, 0660);
    zloop_reader(loop, self->router, control_on_request, self);
    return self;
}

void
control_destroy(control_t **self_p)
{
    control_t *self = *self_p;
    if (!self)
        return;
    s_waiter_t *w;
    while (self->waiters && (w = zlist_pop(self->waiters))) {
        zmsg_destroy(&w->route);
        free(w);
    }
    zlist_destroy(&self->waiters);
    zsock_destroy(&self->router);
    free(self);
    *self_p = NULL;
}

/* Sends reply bytes after the routing frames (which it takes). */
static void
s_send(control_t *self, zmsg_t **route_p, const msgpack_sbuffer *reply)
{
    zmsg_t *msg = *route_p;
    *route_p = NULL;
    zmsg_addmem(msg, reply->data, reply->size);
    if (zmsg_send(&msg, self->router) != 0) {
        log_warnx("control: cannot answer (client gone?)");
        zmsg_destroy(&msg);
    }
}

/* Answers code/message/body (packed map or NULL) to route. */
static void
s_answer(control_t *self, zmsg_t **route_p, nmirf_code_t code, const char *message,
         const msgpack_sbuffer *body)
{
    replica_status_t rs;
    replica_status(self->replica, &rs);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    nmirf_reply_encode(&out, NULL, code, message, rs.seq,
                       body ? (const uint8_t *)body->data : NULL, body ? body->size : 0);
    s_send(self, route_p, &out);
    msgpack_sbuffer_destroy(&out);
}

/* Packs a bool under key. */
static void
s_kv_bool(msgpack_packer *pk, const char *key, bool v)
{
    nmirf_mp_pack_str(pk, key);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

/* The {queued: true, id, key_refused?} answer of a submit not yet
   acknowledged. */
static void
s_answer_queued(control_t *self, zmsg_t **route_p, const uint8_t id[NMIRF_ID_LEN])
{
    char hex[2 * NMIRF_ID_LEN + 1];
    nmirf_hex(id, NMIRF_ID_LEN, hex);
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    /* key_refused: the broker refuses our key, so "queued" is all this
       submission will be until the key is enrolled (the agent connects
       again on its own, link_monitor.c). */
    link_status_t ls;
    link_status(self->link, &ls);
    bool refused = ls.key_refused;
    msgpack_pack_map(&pk, refused ? 3 : 2);
    nmirf_mp_pack_str(&pk, "queued");
    msgpack_pack_true(&pk);
    nmirf_mp_pack_kv_str(&pk, "id", hex);
    if (refused)
        s_kv_bool(&pk, "key_refused", true);
    s_answer(self, route_p, NMIRF_OK, NULL, &body);
    msgpack_sbuffer_destroy(&body);
}

/* Answers reply (a broker answer) to route, as the broker gave it. */
static void
s_answer_reply(control_t *self, zmsg_t **route_p, const nmirf_reply_t *reply)
{
    msgpack_sbuffer body, out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    bool has_body = reply->body.type == MSGPACK_OBJECT_MAP;
    if (has_body)
        nmirf_mp_pack_object(&pk, &reply->body);
    nmirf_code_t code = reply->code < NMIRF_CODE_COUNT ? reply->code : NMIRF_E_INTERNAL;
    nmirf_reply_encode(&out, NULL, code, reply->message, reply->seq,
                       has_body ? (const uint8_t *)body.data : NULL,
                       has_body ? body.size : 0);
    s_send(self, route_p, &out);
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_destroy(&out);
}

/* submit {op, body, id?, wait_ms?}: queue a signed write, maybe wait for
   it. With the id of a request the outbox already holds or answered, the
   submit is not queued again: a retry after a CLI timeout gets that
   request's state (idempotent control submit). */
static void
s_submit(control_t *self, zmsg_t **route_p, const msgpack_object *body)
{
    const msgpack_object *op = nmirf_mp_get(body, "op");
    const msgpack_object *req = nmirf_mp_get(body, "body");
    const msgpack_object *wait = nmirf_mp_get(body, "wait_ms");
    const msgpack_object *ido = nmirf_mp_get(body, "id");
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *k = &body->via.map.ptr[i].key;
        if (!nmirf_mp_str_is(k, "op") && !nmirf_mp_str_is(k, "body") &&
            !nmirf_mp_str_is(k, "wait_ms") && !nmirf_mp_str_is(k, "id"))
            return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                            "submit: unknown field in body", NULL);
    }
    /* The writes a ministry may send; others would only be refused by
       the broker after sitting in the outbox. */
    if (!nmirf_mp_str_is(op, "report.submit"))
        return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                        "submit: op must be a ministry write: report.submit", NULL);
    if (!req || req->type != MSGPACK_OBJECT_MAP)
        return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                        "submit: body must be a map (the operation's body)", NULL);
    if (wait &&
        (wait->type != MSGPACK_OBJECT_POSITIVE_INTEGER || wait->via.u64 > WAIT_MAX_MS))
        return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                        "submit: wait_ms must be an integer from 0 to 600000", NULL);
    if (ido && (ido->type != MSGPACK_OBJECT_BIN || ido->via.bin.size != NMIRF_ID_LEN))
        return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                        "submit: id must be 16 bytes (bin)", NULL);
    uint8_t id[NMIRF_ID_LEN];
    if (ido)
        memcpy(id, ido->via.bin.ptr, NMIRF_ID_LEN);
    else
        nmirf_random_id(id, NMIRF_ID_LEN);
    nmirf_reply_t *known = NULL;
    int state = ido ? outbox_lookup(self->outbox, id, &known) : 0;
    if (state == 2) { /* answered already: that answer again */
        s_answer_reply(self, route_p, known);
        nmirf_reply_destroy(&known);
        return;
    }
    if (state == 1) { /* still pending: wait for it like the first submit */
        if (!wait || wait->via.u64 == 0)
            return s_answer_queued(self, route_p, id);
        goto add_waiter;
    }
    msgpack_sbuffer packed;
    msgpack_packer pk;
    msgpack_sbuffer_init(&packed);
    msgpack_packer_init(&pk, &packed, msgpack_sbuffer_write);
    nmirf_mp_pack_object(&pk, req);
    char why[256] = "";
    int rc = outbox_enqueue(self->outbox, "report.submit", (const uint8_t *)packed.data,
                            packed.size, id, why, sizeof why);
    msgpack_sbuffer_destroy(&packed);
    if (rc)
        return s_answer(self, route_p, NMIRF_E_STORAGE, why, NULL);
    if (!wait || wait->via.u64 == 0)
        return s_answer_queued(self, route_p, id);
    /* The first send went out in outbox_enqueue; an answer already read
       cannot have come back yet, since replies are read by the loop. */
add_waiter:;
    s_waiter_t *w = calloc(1, sizeof *w);
    if (!w) { /* queued all the same: only the wait is given up */
        log_warnx("control: out of memory: a submit is answered without waiting");
        return s_answer_queued(self, route_p, id);
    }
    w->route = *route_p;
    *route_p = NULL;
    memcpy(w->id, id, NMIRF_ID_LEN);
    w->deadline = zclock_mono() + (int64_t)wait->via.u64;
    zlist_append(self->waiters, w);
}

void
control_on_result(control_t *self, const uint8_t id[NMIRF_ID_LEN],
                  const nmirf_reply_t *reply)
{
    /* Several submits of one id (a retry while the first waits) may wait
       for it: each gets the answer. */
    s_waiter_t *w = zlist_first(self->waiters);
    while (w) {
        s_waiter_t *next = zlist_next(self->waiters);
        if (memcmp(w->id, id, NMIRF_ID_LEN) == 0) {
            s_answer_reply(self, &w->route, reply);
            zlist_remove(self->waiters, w);
            free(w);
        }
        w = next;
    }
}

void
control_tick(control_t *self)
{
    int64_t now = zclock_mono();
    s_waiter_t *w = zlist_first(self->waiters);
    while (w) {
        s_waiter_t *next = zlist_next(self->waiters);
        if (w->deadline <= now) {
            s_answer_queued(self, &w->route, w->id);
            zlist_remove(self->waiters, w);
            free(w);
        }
        w = next;
    }
}

/* status {}: where the replica and the outbox stand. */
static int
s_status(control_t *self, msgpack_packer *pk)
{
    link_status_t ls;
    replica_status_t rs;
    link_status(self->link, &ls);
    replica_status(self->replica, &rs);
    bool up = ls.reachable;
    int64_t now = zclock_mono();
    msgpack_pack_map(pk, 14);
    nmirf_mp_pack_kv_str(pk, "entity", self->conf->key.entity);
    nmirf_mp_pack_kv_uint(pk, "seq", rs.seq);
    nmirf_mp_pack_kv_uint(pk, "broker_seq", rs.broker_seq);
    nmirf_mp_pack_kv_uint(pk, "lag", rs.broker_seq > rs.seq ? rs.broker_seq - rs.seq : 0);
    s_kv_bool(pk, "stale", !up || !rs.loaded);
    s_kv_bool(pk, "connected", up);
    s_kv_bool(pk, "loaded", rs.loaded);
    nmirf_mp_pack_kv_uint(pk, "outbox", outbox_pending(self->outbox));
    /* Entries the broker refused for good, and whether it refuses our key
       (link_monitor.c): then nothing pending can be sent. */
    nmirf_mp_pack_kv_uint(pk, "refused", outbox_refused(self->outbox));
    s_kv_bool(pk, "key_refused", ls.key_refused);
    /* How long since the broker was heard (ms; absent if never), and when
       the outbox length was last reported to it (0: not yet). */
    nmirf_mp_pack_str(pk, "heard_ms_ago");
    if (ls.last_contact)
        msgpack_pack_uint64(pk, (uint64_t)(now - ls.last_contact));
    else
        msgpack_pack_nil(pk);
    nmirf_mp_pack_kv_uint(pk, "outbox_reported", (uint64_t)ls.reported_at);
    /* The witness (witness.c): the broker checkpoint kept, and why the
       broker is refused (nil while it is not). */
    nmirf_mp_pack_kv_uint(pk, "checkpoint_seq", rs.checkpoint_seq);
    nmirf_mp_pack_str(pk, "broker_refused");
    if (rs.refused)
        nmirf_mp_pack_str(pk, rs.refused);
    else
        msgpack_pack_nil(pk);
    return 0;
}

/* mine {today?: date, due_soon_days?: uint}: our assignments, from the
   replica, each deadline marked against today (default the agent's own
   UTC date: the replica has no clock of the broker's) and the due-soon
   horizon (default 14 days, at most 3,650, as the broker's). */
static void
s_mine(control_t *self, zmsg_t **route_p, const msgpack_object *body)
{
    char today[16];
    nmirf_date_of(nmirf_now_ms(), today);
    uint64_t horizon = AGENT_DUE_SOON_DAYS;
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *k = &body->via.map.ptr[i].key,
                             *v = &body->via.map.ptr[i].val;
        if (nmirf_mp_str_is(k, "today")) {
            if (nmirf_mp_strcpy(v, today, sizeof today) ||
                !nmirf_date_valid(today, strlen(today)))
                return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                                "mine: today must be a date YYYY-MM-DD", NULL);
        } else if (nmirf_mp_str_is(k, "due_soon_days")) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                v->via.u64 > AGENT_DUE_SOON_MAX)
                return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                                "mine: due_soon_days must be an integer from 0 to 3650",
                                NULL);
            horizon = v->via.u64;
        } else
            return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                            "mine: unknown field in body (today, due_soon_days)", NULL);
    }
    msgpack_sbuffer out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    replica_status_t rs;
    replica_status(self->replica, &rs);
    nmirf_mp_pack_kv_str(&pk, "entity", self->conf->key.entity);
    nmirf_mp_pack_kv_uint(&pk, "seq", rs.seq);
    nmirf_mp_pack_kv_uint(&pk, "broker_seq", rs.broker_seq);
    s_kv_bool(&pk, "stale", !link_reachable(self->link) || !rs.loaded);
    nmirf_mp_pack_kv_str(&pk, "today", today);
    nmirf_mp_pack_kv_uint(&pk, "due_soon_days", horizon);
    nmirf_mp_pack_str(&pk, "assignments");
    MDB_txn *txn;
    int rc = replica_read_begin(self->replica, &txn);
    if (!rc) {
        rc = replica_pack_mine(txn, replica_dbis(self->replica), self->conf->key.entity,
                               today, horizon, &pk);
        mdb_txn_abort(txn);
    }
    if (rc == 0)
        s_answer(self, route_p, NMIRF_OK, NULL, &out);
    else
        s_answer(self, route_p, NMIRF_E_STORAGE, "cannot read the replica", NULL);
    msgpack_sbuffer_destroy(&out);
}

/* outbox {}: pending entries, refused ones and the last answers. */
static int
s_outbox(control_t *self, msgpack_packer *pk)
{
    link_status_t ls;
    link_status(self->link, &ls);
    outbox_pack(self->outbox, ls.key_refused, pk);
    return 0;
}

/* digest {}: the replica's digest and sequence. */
static int
s_digest(control_t *self, msgpack_packer *pk)
{
    uint8_t d[NMIRF_HASH_LEN];
    uint64_t seq;
    if (replica_digest(self->replica, d, &seq))
        return -1;
    msgpack_pack_map(pk, 2);
    nmirf_mp_pack_kv_uint(pk, "seq", seq);
    nmirf_mp_pack_str(pk, "digest");
    nmirf_mp_pack_bin(pk, d, sizeof d);
    return 0;
}

/* The read operations: name and what packs the reply body. */
static const struct {
    const char *name;                            /* op */
    int (*run)(control_t *self, msgpack_packer *pk); /* packs the body; 0 or -1 */
} s_reads[] = {
    {"status", s_status},
    {"outbox", s_outbox},
    {"digest", s_digest},
};

/* Runs one decoded request {op, body}. */
static void
s_dispatch(control_t *self, zmsg_t **route_p, const msgpack_object *req)
{
    const msgpack_object *op = nmirf_mp_get(req, "op");
    const msgpack_object *body = nmirf_mp_get(req, "body");
    if (req->type != MSGPACK_OBJECT_MAP || req->via.map.size > 2 || !op ||
        op->type != MSGPACK_OBJECT_STR || (req->via.map.size == 2 && !body))
        return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                        "a control request is a map {op: str, body: map}", NULL);
    if (body && body->type != MSGPACK_OBJECT_MAP)
        return s_answer(self, route_p, NMIRF_E_BAD_REQUEST, "body must be a map", NULL);
    msgpack_object empty = {.type = MSGPACK_OBJECT_MAP};
    if (!body)
        body = &empty;
    if (nmirf_mp_str_is(op, "submit"))
        return s_submit(self, route_p, body);
    if (nmirf_mp_str_is(op, "mine"))
        return s_mine(self, route_p, body);
    for (size_t i = 0; i < sizeof s_reads / sizeof s_reads[0]; i++) {
        if (!nmirf_mp_str_is(op, s_reads[i].name))
            continue;
        if (body->via.map.size != 0)
            return s_answer(self, route_p, NMIRF_E_BAD_REQUEST,
                            "this operation takes an empty body", NULL);
        msgpack_sbuffer out;
        msgpack_packer pk;
        msgpack_sbuffer_init(&out);
        msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
        if (s_reads[i].run(self, &pk) == 0)
            s_answer(self, route_p, NMIRF_OK, NULL, &out);
        else
            s_answer(self, route_p, NMIRF_E_STORAGE, "cannot read the replica", NULL);
        msgpack_sbuffer_destroy(&out);
        return;
    }
    s_answer(self, route_p, NMIRF_E_UNKNOWN_OP,
             "unknown control operation (submit, mine, outbox, status, digest)", NULL);
}

int
control_on_request(zloop_t *loop, zsock_t *router, void *arg)
{
    control_t *self = arg;
    zmsg_t *route = zmsg_recv(router);
    if (!route)
        return 0;
    /* [identity][empty, from a REQ][request]: the last frame is the
       request; the frames before it route the answer back. */
    zframe_t *frame = zmsg_last(route);
    if (frame)
        zmsg_remove(route, frame);
    if (!frame || zmsg_size(route) == 0) {
        zframe_destroy(&frame);
        zmsg_destroy(&route);
        return 0;
    }
    msgpack_zone zone;
    msgpack_object req;
    char why[128] = "";
    msgpack_zone_init(&zone, 1024);
    nmirf_code_t code = zframe_size(frame) > CONTROL_MAX ? NMIRF_E_TOO_LARGE
                        : zframe_size(frame) == 0
                            ? NMIRF_E_BAD_FRAME
                            : nmirf_mp_unpack(zframe_data(frame), zframe_size(frame),
                                              &zone, &req, why, sizeof why);
    if (code != NMIRF_OK)
        s_answer(self, &route, code, why[0] ? why : "unreadable control request", NULL);
    else
        s_dispatch(self, &route, &req);
    msgpack_zone_destroy(&zone);
    zframe_destroy(&frame);
    zmsg_destroy(&route); /* NULL if it was answered or kept by a waiter */
    return 0;
}
