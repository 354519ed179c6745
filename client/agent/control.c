/*  control - the agent's local control socket, for the CLI.

    A ROUTER bound on ipc://DIR/agent.sock, mode 0660 (the directory's
    mode decides who reaches it). The protocol is proto/CONTROL.md: a
    request is one frame, a msgpack map {v?, op, body?}; the reply is one
    frame in the broker's reply format (id nil), so the CLI prints it with
    the code it already has. proto/nmirf_control.[ch] decodes every request
    and packs the fixed reply bodies; the queries of the replica are in
    replica_query.c.

    A request the codec refuses gets its code (bad_request, unknown_op,
    bad_version, ...) and the agent carries on.

    Two operations answer later, never blocking the loop: a `submit` with
    wait_ms waits for its outbox entry's answer (control_on_result), and
    an `ask` (a read-only broker operation, signed here and sent with
    link_send) waits in a bounded table for the broker's reply, which
    agent_main.c brings after the outbox has had first look
    (control_on_reply); control_tick answers those whose time ran out.
*/
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control.h"
#include "nmirf_control.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "replica_query.h"

/* A `submit` waiting for the broker's answer. */
typedef struct {
    zmsg_t *route;            /* the ROUTER's routing frames, to answer */
    uint8_t id[NMIRF_ID_LEN]; /* the queued request's id */
    int64_t deadline;         /* monotonic ms: answer {queued} then */
} s_waiter_t;

/* An `ask` waiting for the broker's reply. At most CONTROL_ASKS_MAX wait:
   each holds a routing identity and a little memory, and a client that
   sends more gets a refusal at once rather than growing the table. */
#define CONTROL_ASKS_MAX 64
typedef struct {
    zmsg_t *route;            /* the ROUTER's routing frames; NULL: slot free */
    uint8_t id[NMIRF_ID_LEN]; /* the request id the broker answers with */
    int64_t deadline;         /* monotonic ms: answer `unavailable` then */
} s_ask_t;

struct _control_t {
    const agent_conf_t *conf; /* the configuration (borrowed) */
    link_t *link;             /* the broker connection, for its state (borrowed) */
    replica_t *replica;       /* the replica, read (borrowed) */
    outbox_t *outbox;         /* where submissions are queued (borrowed) */
    zsock_t *router;  /* ROUTER on ipc://DIR/agent.sock */
    zlist_t *waiters; /* s_waiter_t */
    s_ask_t asks[CONTROL_ASKS_MAX]; /* asks waiting for the broker */
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
        zsock_set_maxmsgsize(self->router, NMIRF_CONTROL_MAX + 4096);
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
    for (int i = 0; i < CONTROL_ASKS_MAX; i++)
        zmsg_destroy(&self->asks[i].route);
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
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    replica_status_t rs;
    replica_status(self->replica, &rs);
    nmirf_ctl_reply_encode(&out, code, message, rs.seq, body);
    s_send(self, route_p, &out);
    msgpack_sbuffer_destroy(&out);
}

/* The {queued: true, id, key_refused?} answer of a submit not yet
   acknowledged. */
static void
s_answer_queued(control_t *self, zmsg_t **route_p, const uint8_t id[NMIRF_ID_LEN])
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    /* key_refused: the broker refuses our key, so "queued" is all this
       submission will be until the key is enrolled (the agent connects
       again on its own, link_monitor.c). */
    link_status_t ls;
    link_status(self->link, &ls);
    nmirf_ctl_queued_t q = {.key_refused = ls.key_refused};
    memcpy(q.id, id, NMIRF_ID_LEN);
    nmirf_ctl_queued_pack(&pk, &q);
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

/* True if the replica's record of our entity says it is not the
   coordinator. No record (no snapshot yet, or one that cannot be read)
   says nothing: the write is queued and the broker decides. */
static bool
s_not_coordinator(control_t *self)
{
    MDB_txn *txn;
    if (replica_read_begin(self->replica, &txn))
        return false;
    bool no = replica_query_is_coordinator(txn, replica_dbis(self->replica),
                                           self->conf->key.entity) == 0;
    mdb_txn_abort(txn);
    return no;
}

/* submit {op, body, id?, wait_ms?} (checked by the codec): queue a
   signed write, maybe wait for it. With the id of a request the outbox
   already holds or answered, the submit is not queued again: a retry
   after a CLI timeout gets that request's state (idempotent control
   submit). */
static void
s_submit(control_t *self, zmsg_t **route_p, const nmirf_ctl_request_t *rq)
{
    const nmirf_ctl_submit_t *sub = &rq->submit;
    uint64_t wait = sub->has_wait ? sub->wait_ms : 0;
    uint8_t id[NMIRF_ID_LEN];
    if (sub->has_id)
        memcpy(id, sub->id, NMIRF_ID_LEN);
    else
        nmirf_random_id(id, NMIRF_ID_LEN);
    nmirf_reply_t *known = NULL;
    int state = sub->has_id ? outbox_lookup(self->outbox, id, &known) : 0;
    if (state == 2) { /* answered already: that answer again */
        s_answer_reply(self, route_p, known);
        nmirf_reply_destroy(&known);
        return;
    }
    if (state == 1) { /* still pending: wait for it like the first submit */
        if (wait == 0)
            return s_answer_queued(self, route_p, id);
        goto add_waiter;
    }
    /* A new coordinator's write from a ministry or an observer: the
       broker would refuse it for good after it sat in the outbox, so it
       is refused now and nothing is queued. (One the outbox already
       holds or answered keeps its state above.) */
    if (nmirf_ctl_write_coordinator(sub->op) && s_not_coordinator(self)) {
        char why[128];
        snprintf(why, sizeof why, "%s is the coordinator's; %s is not the coordinator",
                 sub->op, self->conf->key.entity);
        return s_answer(self, route_p, NMIRF_E_FORBIDDEN, why, NULL);
    }
    msgpack_sbuffer packed;
    msgpack_packer pk;
    msgpack_sbuffer_init(&packed);
    msgpack_packer_init(&pk, &packed, msgpack_sbuffer_write);
    nmirf_mp_pack_object(&pk, &sub->body_obj);
    char why[256] = "";
    int rc = outbox_enqueue(self->outbox, sub->op, (const uint8_t *)packed.data,
                            packed.size, id, why, sizeof why);
    msgpack_sbuffer_destroy(&packed);
    if (rc)
        return s_answer(self, route_p, NMIRF_E_STORAGE, why, NULL);
    if (wait == 0)
        return s_answer_queued(self, route_p, id);
    /* The first send went out in outbox_enqueue; an answer already read
       cannot have come back yet, since replies are read by the loop. */
add_waiter:;
    s_waiter_t *w = calloc(1, sizeof *w);
    if (!w) /* the entry is on disk: it is queued, only not waited for */
        return s_answer_queued(self, route_p, id);
    w->route = *route_p;
    *route_p = NULL;
    memcpy(w->id, id, NMIRF_ID_LEN);
    w->deadline = zclock_mono() + (int64_t)wait;
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

/* ask {op, body?, wait_ms?} (checked by the codec): signs the read as
   our entity, sends it without waiting, and keeps the client's route in
   the asks table until the broker's reply (control_on_reply) or
   wait_ms (control_tick). */
static void
s_ask(control_t *self, zmsg_t **route_p, const nmirf_ctl_request_t *rq)
{
    const nmirf_ctl_ask_t *ask = &rq->ask;
    link_status_t ls;
    link_status(self->link, &ls);
    if (!ls.reachable)
        return s_answer(self, route_p, NMIRF_E_UNAVAILABLE,
                        "the broker is not reachable (not heard within 3 s)", NULL);
    s_ask_t *slot = NULL;
    for (int i = 0; i < CONTROL_ASKS_MAX && !slot; i++)
        if (!self->asks[i].route)
            slot = &self->asks[i];
    if (!slot) {
        char why[96];
        snprintf(why, sizeof why,
                 "%d asks already wait for the broker; ask again when one is answered",
                 CONTROL_ASKS_MAX);
        return s_answer(self, route_p, NMIRF_E_UNAVAILABLE, why, NULL);
    }
    msgpack_sbuffer packed;
    msgpack_packer pk;
    msgpack_sbuffer_init(&packed);
    msgpack_packer_init(&pk, &packed, msgpack_sbuffer_write);
    if (ask->has_body)
        nmirf_mp_pack_object(&pk, &ask->body_obj);
    uint8_t id[NMIRF_ID_LEN], sig[NMIRF_SIG_LEN];
    nmirf_random_id(id, NMIRF_ID_LEN);
    uint8_t *env = NULL;
    size_t env_len = 0;
    int rc = nmirf_request_encode(ask->op, id, self->conf->key.entity, nmirf_now_ms(),
                                  ask->has_body ? (const uint8_t *)packed.data : NULL,
                                  ask->has_body ? packed.size : 0,
                                  self->conf->key.sign_sk, &env, &env_len, sig);
    msgpack_sbuffer_destroy(&packed);
    if (rc) {
        free(env);
        return s_answer(self, route_p, NMIRF_E_INTERNAL, "cannot sign the request", NULL);
    }
    if (env_len > NMIRF_MAX_ENVELOPE) {
        char why[96];
        snprintf(why, sizeof why, "the request is %zu bytes, over the 1 MiB limit",
                 env_len);
        free(env);
        return s_answer(self, route_p, NMIRF_E_TOO_LARGE, why, NULL);
    }
    rc = link_send(self->link, env, env_len, sig);
    free(env);
    if (rc)
        return s_answer(self, route_p, NMIRF_E_UNAVAILABLE,
                        "the broker is not connected: the request could not be sent",
                        NULL);
    slot->route = *route_p;
    *route_p = NULL;
    memcpy(slot->id, id, NMIRF_ID_LEN);
    slot->deadline = zclock_mono() + (int64_t)ask->wait_ms;
}

bool
control_on_reply(control_t *self, nmirf_reply_t **reply_p)
{
    const nmirf_reply_t *reply = *reply_p;
    if (!reply->has_id)
        return false;
    for (int i = 0; i < CONTROL_ASKS_MAX; i++) {
        s_ask_t *a = &self->asks[i];
        if (a->route && memcmp(a->id, reply->id, NMIRF_ID_LEN) == 0) {
            s_answer_reply(self, &a->route, reply);
            nmirf_reply_destroy(reply_p);
            return true;
        }
    }
    return false;
}

void
control_tick(control_t *self)
{
    int64_t now = zclock_mono();
    for (int i = 0; i < CONTROL_ASKS_MAX; i++) {
        s_ask_t *a = &self->asks[i];
        if (a->route && a->deadline <= now)
            s_answer(self, &a->route, NMIRF_E_UNAVAILABLE,
                     "the broker did not answer within wait_ms", NULL);
    }
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

/* Where the replica stands, for the head of a query's reply: stale when
   the broker is not reachable or no snapshot was loaded; contact_at the
   last time the broker was heard, as wall-clock ms (the link keeps
   monotonic ms): last_heard, which a failed read does not reset,
   so it is nil only if the broker was never heard since the start. */
static void
s_replica_state(const control_t *self, nmirf_ctl_replica_t *st)
{
    link_status_t ls;
    replica_status_t rs;
    link_status(self->link, &ls);
    replica_status(self->replica, &rs);
    memset(st, 0, sizeof *st);
    snprintf(st->entity, sizeof st->entity, "%s", self->conf->key.entity);
    st->seq = rs.seq;
    st->broker_seq = rs.broker_seq;
    st->stale = !ls.reachable || !rs.loaded;
    if (ls.last_heard) {
        int64_t ago = zclock_mono() - ls.last_heard;
        st->contact_at = (uint64_t)(nmirf_now_ms() - (ago > 0 ? ago : 0));
    }
}

/* The day and horizon a query judges deadlines by: the request's, or the
   agent's own UTC date (the replica has no clock of the broker's) and 14
   days, the broker's default. */
static void
s_clock(const nmirf_ctl_clock_t *c, char today[11], uint64_t *horizon)
{
    if (c->has_today)
        memcpy(today, c->today, 11);
    else
        nmirf_date_of(nmirf_now_ms(), today);
    *horizon = c->has_due_soon ? c->due_soon_days : NMIRF_DUE_SOON_DEFAULT;
}

/* status {}: where the replica and the outbox stand. */
static void
s_status(control_t *self, zmsg_t **route_p, const nmirf_ctl_request_t *rq)
{
    (void)rq;
    link_status_t ls;
    replica_status_t rs;
    link_status(self->link, &ls);
    replica_status(self->replica, &rs);
    bool up = ls.reachable;
    nmirf_ctl_status_t st = {
        .seq = rs.seq,
        .broker_seq = rs.broker_seq,
        .lag = rs.broker_seq > rs.seq ? rs.broker_seq - rs.seq : 0,
        .stale = !up || !rs.loaded,
        .connected = up,
        .loaded = rs.loaded,
        .outbox = outbox_pending(self->outbox),
        /* Entries the broker refused for good, and whether it refuses our
           key (link_monitor.c): then nothing pending can be sent. */
        .refused = outbox_refused(self->outbox),
        .resigned = outbox_resigned(self->outbox),
        .key_refused = ls.key_refused,
        /* How long since the broker was heard (ms; absent if never), and
           when the outbox length was last reported to it (0: not yet). */
        .has_heard = ls.last_contact != 0,
        .heard_ms_ago = ls.last_contact ? (uint64_t)(zclock_mono() - ls.last_contact) : 0,
        .outbox_reported = (uint64_t)ls.reported_at,
        /* The witness (witness.c): the broker checkpoint kept, and why the
           broker is refused (nil while it is not). */
        .checkpoint_seq = rs.checkpoint_seq,
    };
    snprintf(st.entity, sizeof st.entity, "%s", self->conf->key.entity);
    if (rs.refused)
        snprintf(st.broker_refused, sizeof st.broker_refused, "%s", rs.refused);
    msgpack_sbuffer out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    nmirf_ctl_status_pack(&pk, &st);
    s_answer(self, route_p, NMIRF_OK, NULL, &out);
    msgpack_sbuffer_destroy(&out);
}

/* mine {today?, due_soon_days?}: our assignments, from the replica, each
   deadline marked against today and the due-soon horizon (s_clock). */
static void
s_mine(control_t *self, zmsg_t **route_p, const nmirf_ctl_request_t *rq)
{
    char today[11];
    uint64_t horizon;
    s_clock(&rq->mine, today, &horizon);
    nmirf_ctl_replica_t st;
    s_replica_state(self, &st);
    msgpack_sbuffer out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    /* The replica's head without contact_at (CONTROL.md: mine carries the
       other four). */
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_ctl_replica_pack(&m, &st, false);
    nmirf_mp_map_str(&m, "today", today);
    nmirf_mp_map_uint(&m, "due_soon_days", horizon);
    MDB_txn *txn = NULL;
    if (replica_read_begin(self->replica, &txn) == 0 &&
        replica_pack_mine(txn, replica_dbis(self->replica), self->conf->key.entity, today,
                          horizon, nmirf_mp_map_key(&m, "assignments")) == 0) {
        nmirf_mp_map_finish(&m, &pk);
        s_answer(self, route_p, NMIRF_OK, NULL, &out);
    } else {
        nmirf_mp_map_destroy(&m);
        s_answer(self, route_p, NMIRF_E_STORAGE, "cannot read the replica", NULL);
    }
    if (txn)
        mdb_txn_abort(txn);
    msgpack_sbuffer_destroy(&out);
}

/* outbox {}: pending entries, refused ones and the last answers. */
static void
s_outbox(control_t *self, zmsg_t **route_p, const nmirf_ctl_request_t *rq)
{
    (void)rq;
    msgpack_sbuffer out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    link_status_t ls;
    link_status(self->link, &ls);
    outbox_pack(self->outbox, ls.key_refused, &pk);
    s_answer(self, route_p, NMIRF_OK, NULL, &out);
    msgpack_sbuffer_destroy(&out);
}

/* digest {}: the replica's digest and sequence. */
static void
s_digest(control_t *self, zmsg_t **route_p, const nmirf_ctl_request_t *rq)
{
    (void)rq;
    nmirf_ctl_digest_t d;
    if (replica_digest(self->replica, d.digest, &d.seq))
        return s_answer(self, route_p, NMIRF_E_STORAGE, "cannot read the replica", NULL);
    msgpack_sbuffer out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    nmirf_ctl_digest_pack(&pk, &d);
    s_answer(self, route_p, NMIRF_OK, NULL, &out);
    msgpack_sbuffer_destroy(&out);
}

/* rec.list, rec.show, measure.list, report.list, entity.list: a query of the replica
   (replica_query.c) in one read-only transaction. */
static void
s_query(control_t *self, zmsg_t **route_p, const nmirf_ctl_request_t *rq)
{
    nmirf_ctl_replica_t st;
    s_replica_state(self, &st);
    MDB_txn *txn;
    if (replica_read_begin(self->replica, &txn))
        return s_answer(self, route_p, NMIRF_E_STORAGE, "cannot read the replica", NULL);
    msgpack_sbuffer out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    char today[11], why[256] = "";
    uint64_t horizon;
    nmirf_code_t code;
    const MDB_dbi *dbi = replica_dbis(self->replica);
    if (rq->op == NMIRF_CTL_REC_LIST) {
        s_clock(&rq->rec_list.clock, today, &horizon);
        code = replica_query_rec_list(txn, dbi, &st, &rq->rec_list, today, horizon, &pk,
                                      why, sizeof why);
    } else if (rq->op == NMIRF_CTL_REC_SHOW) {
        s_clock(&rq->rec_show.clock, today, &horizon);
        code = replica_query_rec_show(txn, dbi, &st, rq->rec_show.rec, today, horizon,
                                      &pk, why, sizeof why);
    } else if (rq->op == NMIRF_CTL_MEASURE_LIST)
        code = replica_query_measure_list(
            txn, dbi, &st, rq->measure_list.has_rec ? rq->measure_list.rec : NULL, &pk,
            why, sizeof why);
    else if (rq->op == NMIRF_CTL_REPORT_LIST)
        code = replica_query_report_list(txn, dbi, &st, &rq->report_list, &pk, why,
                                         sizeof why);
    else
        code = replica_query_entity_list(txn, dbi, &st, &pk, why, sizeof why);
    mdb_txn_abort(txn);
    s_answer(self, route_p, code, code == NMIRF_OK ? NULL : why,
             code == NMIRF_OK ? &out : NULL);
    msgpack_sbuffer_destroy(&out);
}

/* One handler per operation, by nmirf_ctl_op_t; each answers route (or
   keeps it, a waiting submit or ask). */
static void (*const s_handlers[NMIRF_CTL_OP_COUNT])(control_t *, zmsg_t **,
                                                    const nmirf_ctl_request_t *) = {
    [NMIRF_CTL_SUBMIT] = s_submit,     [NMIRF_CTL_MINE] = s_mine,
    [NMIRF_CTL_OUTBOX] = s_outbox,     [NMIRF_CTL_STATUS] = s_status,
    [NMIRF_CTL_DIGEST] = s_digest,     [NMIRF_CTL_REC_LIST] = s_query,
    [NMIRF_CTL_REC_SHOW] = s_query,    [NMIRF_CTL_MEASURE_LIST] = s_query,
    [NMIRF_CTL_ASK] = s_ask,           [NMIRF_CTL_REPORT_LIST] = s_query,
    [NMIRF_CTL_ENTITY_LIST] = s_query,
};

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
    nmirf_ctl_request_t req;
    char why[256] = "";
    msgpack_zone_init(&zone, 1024);
    nmirf_code_t code = nmirf_ctl_request_decode(zframe_data(frame), zframe_size(frame),
                                                 &zone, &req, why, sizeof why);
    if (code != NMIRF_OK)
        s_answer(self, &route, code, why[0] ? why : "unreadable control request", NULL);
    else
        s_handlers[req.op](self, &route, &req);
    msgpack_zone_destroy(&zone);
    zframe_destroy(&frame);
    zmsg_destroy(&route); /* NULL if it was answered or kept by a waiter */
    return 0;
}
