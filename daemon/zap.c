/*  zap - the broker's ZAP handler: the allowlist of enrolled, active
    entities' CURVE keys (zap.h). */
#include "zap.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "records.h"

#include <string.h>

#define S_LOG_QUIET_MS 60000 /* a refused key is logged again after this */
#define S_RENEW_AFTER 32     /* answers that make renewing the socket worth it */

struct _zap_t {
    store_t *store;        /* borrowed */
    zsock_t *rep;          /* bound to ZAP_ENDPOINT */
    zsock_t *retired;      /* the previous rep, unbound, until closed, or NULL */
    unsigned long answers; /* requests answered on rep since it was bound */
    unsigned long gen;     /* rep's number: 1 for the first, then each renewal's */
    uint8_t last_key[32];  /* the last refused key, to not log it in a loop */
    int64_t last_log;      /* when it was logged (zclock_mono) */
    unsigned long refused; /* refusals since start */
    sessions_t *sessions;  /* live sessions per entity, for the cap (owned) */
};

zap_t *
zap_new(store_t *store, char *why, size_t whylen)
{
    zap_t *self = zmalloc(sizeof *self);
    self->store = store;
    self->gen = 1;
    self->sessions = sessions_new();
    self->rep = zsock_new(ZMQ_REP);
    if (!self->sessions || !self->rep || zsock_bind(self->rep, "%s", ZAP_ENDPOINT) != 0) {
        snprintf(why, whylen, "cannot bind the ZAP handler %s: %s", ZAP_ENDPOINT,
                 zmq_strerror(zmq_errno()));
        zap_destroy(&self);
        return NULL;
    }
    return self;
}

zsock_t *
zap_sock(zap_t *self)
{
    return self->rep;
}

sessions_t *
zap_sessions(zap_t *self)
{
    return self->sessions;
}

void
zap_destroy(zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zap_t *self = *self_p;
    zsock_destroy(&self->rep);
    zsock_destroy(&self->retired);
    sessions_destroy(&self->sessions);
    free(self);
    *self_p = NULL;
}

int
zap_lookup(store_t *store, const uint8_t key[32], char *id, size_t idlen)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    if (store_begin(store, NULL, false, &txn))
        return -1;
    if (mdb_cursor_open(txn, store_dbi(store, DB_ENTITIES), &cur)) {
        mdb_txn_abort(txn);
        return -1;
    }
    /* entity.enroll and entity.rotate keep each key to one entity
       (key_in_use); a store written before that rule may still hold a
       CURVE key twice. Then nobody is allowed with it: picking one would
       lock the other out, and which is the intruder is the coordinator's
       to decide (revoke it). */
    int matches = 0, rc;
    MDB_val k, v;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (msgpack_unpack_next(&up, v.mv_data, v.mv_size, NULL) !=
            MSGPACK_UNPACK_SUCCESS)
            continue; /* an unreadable record allows nobody */
        const msgpack_object *ck = nmirf_mp_get(&up.data, "curve_key");
        strv_t state = record_field(&up.data, "state");
        if (!ck || ck->type != MSGPACK_OBJECT_BIN || ck->via.bin.size != 32 ||
            memcmp(ck->via.bin.ptr, key, 32) != 0)
            continue;
        /* A revoked entity keeps its record (and key): the state decides. */
        if (state.p && state.n == 6 && memcmp(state.p, "active", 6) == 0 &&
            k.mv_size < idlen) {
            if (matches++ == 0) {
                memcpy(id, k.mv_data, k.mv_size);
                id[k.mv_size] = 0;
            } else
                log_warnx("ZAP: entities %s and %.*s share a CURVE key; neither "
                          "may connect with it",
                          id, (int)k.mv_size, (const char *)k.mv_data);
        }
    }
    msgpack_unpacked_destroy(&up);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != MDB_NOTFOUND)
        return -1; /* the walk stopped on an error: not a judgement of the key */
    return matches == 1 ? 0 : 1;
}

/* True, and remembers it, if key was not the last one logged or that was
   a minute ago: a refused client does not retry (libzmq ends the session
   on a ZAP error), but several may share a key. */
static bool
s_log_now(zap_t *self, const uint8_t *key)
{
    int64_t now = zclock_mono();
    if (memcmp(self->last_key, key, 32) == 0 && now - self->last_log < S_LOG_QUIET_MS)
        return false;
    memcpy(self->last_key, key, 32);
    self->last_log = now;
    return true;
}

/* Sends a ZAP reply: status 200 with user id, or a refusal. request_id
   may be NULL (an unreadable request still gets an answer: REP must
   reply, and libzmq then fails the handshake). key, if not NULL, is the
   client's 32-byte CURVE key: it goes in the metadata as ZAP_KEY_PROPERTY
   (Z85), which libzmq then puts on every message of the connection, so
   dispatch can tell a session of a rotated-out key from one of the
   entity's current key. */
static void
s_reply(zsock_t *sock, zframe_t *request_id, const char *status, const char *text,
        const char *user, const uint8_t *key)
{
    zmsg_t *out = zmsg_new();
    zmsg_addstr(out, "1.0");
    if (request_id)
        zmsg_addmem(out, zframe_data(request_id), zframe_size(request_id));
    else
        zmsg_addmem(out, "", 0);
    zmsg_addstr(out, status);
    zmsg_addstr(out, text);
    zmsg_addstr(out, user);
    if (key) {
        /* ZMTP metadata: name length (1 byte), name, value length (4
           bytes, network order), value. */
        uint8_t meta[1 + sizeof ZAP_KEY_PROPERTY - 1 + 4 + 40];
        size_t n = sizeof ZAP_KEY_PROPERTY - 1;
        meta[0] = (uint8_t)n;
        memcpy(meta + 1, ZAP_KEY_PROPERTY, n);
        meta[1 + n] = meta[2 + n] = meta[3 + n] = 0;
        meta[4 + n] = 40;
        char z85[41];
        zmq_z85_encode(z85, key, 32);
        memcpy(meta + 5 + n, z85, 40);
        zmsg_addmem(out, meta, sizeof meta);
    } else
        zmsg_addmem(out, "", 0); /* no metadata */
    zmsg_send(&out, sock);
}

/* True if frame f holds exactly the string s. */
static bool
s_is(zframe_t *f, const char *s)
{
    return f && zframe_size(f) == strlen(s) && memcmp(zframe_data(f), s, strlen(s)) == 0;
}

int
zap_on_request(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    zap_t *self = arg;
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return 0;
    /* RFC 27: version, request id, domain, address, identity, mechanism,
       credentials (CURVE: one frame, the client's 32-byte public key). */
    zframe_t *version = zmsg_first(msg);
    zframe_t *request_id = zmsg_next(msg);
    zframe_t *domain = zmsg_next(msg);
    zframe_t *address = zmsg_next(msg);
    zframe_t *identity = zmsg_next(msg);
    zframe_t *mechanism = zmsg_next(msg);
    zframe_t *key = zmsg_next(msg);
    (void)identity;
    char addr[72] = "?"; /* whole, as sessions_accepted formats it */
    if (address)
        snprintf(addr, sizeof addr, "%.*s",
                 (int)(zframe_size(address) < 70 ? zframe_size(address) : 70),
                 (const char *)zframe_data(address));
    char id[NMIRF_ENTITY_ID_MAX + 1];
    int found = 1;
    if (!s_is(version, "1.0") || !request_id || zmsg_size(msg) != 7) {
        log_warnx("ZAP: malformed request (%zu frames); refused", zmsg_size(msg));
        s_reply(sock, s_is(version, "1.0") ? request_id : NULL, "500",
                "malformed ZAP request", "", NULL);
    } else if (!s_is(domain, ZAP_DOMAIN) || !s_is(mechanism, "CURVE") ||
               zframe_size(key) != 32) {
        log_warnx("ZAP: refused %s: not a CURVE connection to domain %s", addr,
                  ZAP_DOMAIN);
        s_reply(sock, request_id, "400", "CURVE required", "", NULL);
    } else if ((found = zap_lookup(self->store, zframe_data(key), id, sizeof id)) < 0) {
        /* Not a judgement of the key: 300 (temporary), and the agent
           connects again later (link_monitor.c). */
        log_warnx("ZAP: cannot read the entities to admit %s; answered 300", addr);
        s_reply(sock, request_id, "300", "the broker cannot read its store", "", NULL);
    } else if (found != 0) {
        /* A refused client does not retry (libzmq ends the session on a ZAP
           error), but several may share a key: log a key once a minute. */
        self->refused++;
        if (s_log_now(self, zframe_data(key))) {
            char z85[41];
            zmq_z85_encode(z85, zframe_data(key), 32);
            log_info("ZAP: refused %s: CURVE key %s is not an enrolled active entity's",
                     addr, z85);
        }
        s_reply(sock, request_id, "400", "not an enrolled active entity", "", NULL);
    } else if (!sessions_admit(self->sessions, id, addr)) {
        /* 400, not 300: libzmq does not retry either way, and a client
           that retried at once would only spin. */
        self->refused++;
        if (s_log_now(self, zframe_data(key)))
            log_warnx("ZAP: refused %s from %s: it holds %u sessions already "
                      "(max_sessions_per_entity)",
                      id, addr, sessions_cap(self->sessions));
        s_reply(sock, request_id, "400", "too many sessions", "", NULL);
    } else {
        log_debug("ZAP: %s connected from %s", id, addr);
        s_reply(sock, request_id, "200", "OK", id, zframe_data(key));
    }
    if (sock == self->rep)
        self->answers++;
    zmsg_destroy(&msg);
    return 0;
}

/* Answers every request waiting on sock (bounded: a REP holds one at a
   time, and the handshakes that could still queue one are few). */
static void
s_answer_waiting(zap_t *self, zsock_t *sock)
{
    for (int n = 0; n < 10000 && (zsock_events(sock) & ZMQ_POLLIN); n++)
        zap_on_request(NULL, sock, self);
}

bool
zap_renew(zap_t *self, zloop_t *loop)
{
    if (self->retired) {
        /* Unbound a tick ago: every handshake that found it has long
           sent its request, and had it answered here. */
        zloop_reader_end(loop, self->retired);
        s_answer_waiting(self, self->retired);
        zsock_destroy(&self->retired);
        log_debug("ZAP: handler %lu closed: its connections' handshake pipes freed",
                  self->gen - 1);
        return true;
    }
    if (self->answers < S_RENEW_AFTER)
        return false;
    zsock_t *fresh = zsock_new(ZMQ_REP);
    if (!fresh)
        return false;
    /* Unbind, then bind at once (each under the context's endpoint
       lock): a handshake that looks for the handler in between finds
       none and is refused (the servers enforce the domain, broker.c),
       and its client connects again. Never let in. */
    if (zsock_unbind(self->rep, "%s", ZAP_ENDPOINT) != 0) {
        log_warnx("ZAP: cannot unbind the handler to renew it: %s",
                  zmq_strerror(zmq_errno()));
        zsock_destroy(&fresh);
        self->answers = 0; /* try again after as many answers */
        return false;
    }
    if (zsock_bind(fresh, "%s", ZAP_ENDPOINT) != 0) {
        /* Nothing else binds it in this process: the old socket again. */
        zsock_destroy(&fresh);
        if (zsock_bind(self->rep, "%s", ZAP_ENDPOINT) != 0)
            fatalx("ZAP: cannot bind the handler %s again: %s", ZAP_ENDPOINT,
                   zmq_strerror(zmq_errno()));
        self->answers = 0;
        return false;
    }
    if (zloop_reader(loop, fresh, zap_on_request, self) != 0)
        fatalx("ZAP: cannot read the renewed handler");
    self->retired = self->rep;
    self->rep = fresh;
    self->answers = 0;
    self->gen++;
    log_debug("ZAP: handler %lu bound; the previous one closes at the next tick",
              self->gen);
    return true;
}
