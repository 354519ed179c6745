/*  outbox - the ministry's submissions, kept on disk until the broker has
    answered them.

    A submission is signed once, when it is queued, and the envelope and
    signature are stored in the `outbox` db (committed and synced before
    the CLI hears "queued"). Every resend sends those same bytes, so the
    broker's idempotency (PROTOCOL.md section 3) turns a resend of a
    request it already committed into its first reply and no new event
    (also after a key rotation: the broker looks for the replay before it
    checks the signature, as long as the connection uses the entity's
    current CURVE key). Entries are never signed again when loaded: the
    original bytes go first. Only when the broker answers `bad_signature`
    to an entry that does not verify with the agent's current signing key
    (queued before a rotation) is it signed again, same id and body, new
    ts, rewritten in one synced commit and resent (s_resign): the broker
    has then shown that those bytes are not stored (a replay would have
    been answered before the signature was checked). A reply names only
    its request id, so the `bad_signature` replies to copies of the old
    bytes still unanswered then are counted (the entry's stale count) and
    dropped, not taken for the answer to the new bytes (s_on_reply). The
    same happens on `stale` (the entry waited longer than the broker's
    request window; the broker looks for a replay before the window, so
    those bytes were never applied): signed again with the current time,
    logged and counted (outbox_resigned). Every ts an id was signed with
    is kept in `outbox_ids` (id -> ts), so a control submit repeating an
    id whose answer is no longer kept is signed with that ts: the broker
    knows a write by (ts, id), and a new ts would make it a second write.
    Entries are sent at once and resent after 500 ms, 1 s, 2 s... up to 5 s
    between tries while unanswered, in queue order: an entry whose last
    send failed goes before any later one, an entry answered with a
    retryable refusal holds back every later one until it has ended
    (acknowledged or finally refused), and when a connection comes up
    (outbox_on_connected) or an answer comes after a silence, every entry
    is due at once and they go oldest first. An acknowledgement ends an
    entry: it is rewritten as acked with its answer (the last
    AGENT_RESULTS_MAX are kept, so a control submit repeating its id after
    a restart gets that answer, nothing sent again). So does a final
    refusal (s_final: every code but `storage`, `internal`, `bad_ts` and
    `key_retired`, and `stale` unless it cannot be signed again;
    docs/AGENT.md has the table): the broker has judged
    those exact bytes and would judge a resend the same way. `id_reused`
    is one of them: the broker answers a resend of a committed request
    with its stored reply, so `id_reused` means the id holds another
    write (a control submit that chose an id already used for other
    bytes). A final refusal
    does not delete the entry: it is rewritten as refused, with the code
    and reason, never sent again, shown by `nmirf outbox` (across restarts:
    the last AGENT_REFUSED_MAX are kept) and delivered as a notification.
    `storage` and `internal` (and a code this agent does not know) leave
    the entry pending (the broker took nothing and may take it later), and
    transport failures never drop one. The last answers are also kept in
    memory for `nmirf outbox`.

    Value layout: {id: bin16, envelope: bin, sig: bin, op: str, queued:
    uint ms, attempts: uint}, and for a refused entry also {code: str,
    message: str, answered: uint ms}, for an acknowledged one {acked: true,
    reply: bin (the answer as the broker's reply frame), answered: uint
    ms}. (An older agent reads an acknowledged entry as pending and resends
    its bytes: the broker answers with the first reply.)
*/
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 5000

/* One queued request. */
typedef struct {
    uint64_t key;               /* enqueue counter: the db key */
    uint8_t id[NMIRF_ID_LEN];   /* request id */
    uint8_t *env;               /* signed envelope (owned) */
    size_t env_len;             /* its size */
    uint8_t sig[NMIRF_SIG_LEN]; /* signature over env */
    char op[NMIRF_OP_MAX + 1];  /* operation */
    uint64_t queued;            /* when it was queued, ms */
    uint64_t attempts;          /* sends so far */
    int64_t next_send;          /* monotonic ms of the next send */
    int backoff_ms;             /* wait after the next send */
    bool unsent;                /* its last send failed (no connection): no
                                   later entry may go out before it */
    bool waiting;               /* answered with a retryable refusal: no
                                   later entry goes out until it has ended */
    int64_t last_sent;          /* monotonic ms of its last send, 0 if none */
    unsigned inflight;          /* sends of its current bytes not answered yet
                                   (this run) */
    unsigned stale;             /* sends of the bytes it held before it was
                                   signed again, not answered yet: that many
                                   `bad_signature` replies are theirs */
    bool refused;               /* ended by a final refusal: never sent again */
    char code[32];              /* ...its code */
    char *message;              /* ...and reason (owned) */
    uint64_t answered;          /* ...and when it came, ms */
    bool acked;                 /* ended by an acknowledgement (kept on disk
                                   for a repeated control submit) */
    bool resigned;              /* signed again after a `stale` (this run) */
    uint8_t *reply;             /* ...its answer, encoded (owned) */
    size_t reply_len;           /* ...its size */
} s_entry_t;

/* A broker answer, for `nmirf outbox`. */
typedef struct {
    char id[2 * NMIRF_ID_LEN + 1]; /* request id, hex */
    char op[NMIRF_OP_MAX + 1];     /* operation */
    char code[32];                 /* answer code */
    char *message;                 /* reason (owned) */
    uint64_t at;                   /* when it came, ms */
    uint8_t raw_id[NMIRF_ID_LEN];  /* request id */
    uint8_t *reply;                /* the answer, re-encoded (owned), for a
                                      repeated control submit of this id */
    size_t reply_len;              /* its size */
} s_result_t;

struct _outbox_t {
    const agent_conf_t *conf; /* our entity's keys (borrowed) */
    MDB_env *env;             /* the replica's environment (borrowed) */
    MDB_dbi db;               /* the outbox's database in it */
    link_t *link;             /* what entries are sent through (borrowed) */
    outbox_events_t events;   /* where ended entries go */
    zlist_t *entries;    /* s_entry_t pending, oldest first */
    zlist_t *refused;    /* s_entry_t refused, oldest first, at most
                            AGENT_REFUSED_MAX (also on disk) */
    zlist_t *results;    /* s_result_t, newest last, at most AGENT_RESULTS_MAX */
    uint64_t next_key;   /* the next enqueue counter */
    zlist_t *unreadable; /* uint64_t keys (owned) of entries that do not decode */
    zlist_t *acked;      /* uint64_t keys (owned) of acknowledged entries kept
                            on disk, oldest first, at most AGENT_RESULTS_MAX */
    int64_t last_reply;  /* zclock_mono of the last broker answer */
    MDB_dbi ids;         /* `outbox_ids`: request id -> the ts (u64 BE) it was last
                            signed with, for every request this outbox signed */
    uint64_t resigned;   /* entries signed again after a `stale` (this run) */
};

static void
s_result_free(s_result_t **r_p)
{
    if (*r_p) {
        free((*r_p)->message);
        free((*r_p)->reply);
        free(*r_p);
        *r_p = NULL;
    }
}

/* The number a db key holds: its 8 big-endian bytes. A key of another
   size (not written by this outbox) reads as the number of its first 8
   bytes, or of all of them if fewer: only to name it in the log and to
   keep the next key past it. */
static uint64_t
s_key_of(const MDB_val *k)
{
    uint8_t b[8] = {0};
    size_t n = k->mv_size < 8 ? k->mv_size : 8;
    memcpy(b + 8 - n, k->mv_data, n);
    return nmirf_be64_decode(b);
}

static void
s_entry_free(s_entry_t **e_p)
{
    if (*e_p) {
        free((*e_p)->env);
        free((*e_p)->message);
        free((*e_p)->reply);
        free(*e_p);
        *e_p = NULL;
    }
}

/* Packs an entry's stored value. */
static void
s_pack_entry(const s_entry_t *e, msgpack_sbuffer *buf)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, e->refused || e->acked ? 9 : 6);
    nmirf_mp_pack_str(&pk, "id");
    nmirf_mp_pack_bin(&pk, e->id, NMIRF_ID_LEN);
    nmirf_mp_pack_str(&pk, "envelope");
    nmirf_mp_pack_bin(&pk, e->env, e->env_len);
    nmirf_mp_pack_str(&pk, "sig");
    nmirf_mp_pack_bin(&pk, e->sig, NMIRF_SIG_LEN);
    nmirf_mp_pack_kv_str(&pk, "op", e->op);
    nmirf_mp_pack_kv_uint(&pk, "queued", e->queued);
    nmirf_mp_pack_kv_uint(&pk, "attempts", e->attempts);
    if (e->refused) {
        nmirf_mp_pack_kv_str(&pk, "code", e->code);
        nmirf_mp_pack_kv_str(&pk, "message", e->message ? e->message : "");
        nmirf_mp_pack_kv_uint(&pk, "answered", e->answered);
    } else if (e->acked) {
        nmirf_mp_pack_str(&pk, "acked");
        msgpack_pack_true(&pk);
        nmirf_mp_pack_str(&pk, "reply");
        nmirf_mp_pack_bin(&pk, e->reply, e->reply_len);
        nmirf_mp_pack_kv_uint(&pk, "answered", e->answered);
    }
}

/* Stores e under its key, with put_flags for mdb_put, and deletes the
   entry keyed *drop (if drop; gone already is fine), and, if ts is not 0,
   records ts as the one e's id was signed with (`outbox_ids`), in one
   synced commit: the one way an entry reaches the disk. Returns 0 or an
   LMDB error, with nothing written. */
static int
s_store_entry(outbox_t *self, const s_entry_t *e, unsigned put_flags,
              const uint64_t *drop, uint64_t ts)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    s_pack_entry(e, &buf);
    uint8_t key[8], drop_key[8];
    nmirf_be64_encode(e->key, key);
    MDB_txn *txn;
    MDB_val k = {8, key}, v = {buf.size, buf.data};
    int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (!rc) {
        rc = mdb_put(txn, self->db, &k, &v, put_flags);
        uint8_t tsb[8];
        nmirf_be64_encode(ts, tsb);
        MDB_val ik = {NMIRF_ID_LEN, (void *)e->id}, iv = {8, tsb};
        if (!rc && ts)
            rc = mdb_put(txn, self->ids, &ik, &iv, 0);
        if (!rc && drop) {
            nmirf_be64_encode(*drop, drop_key);
            MDB_val dk = {8, drop_key};
            rc = mdb_del(txn, self->db, &dk, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        if (rc)
            mdb_txn_abort(txn);
        else
            rc = mdb_txn_commit(txn); /* synced */
    }
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* Reads an entry from its stored value; NULL if unreadable. Out of
   memory is fatal: a readable entry must never be taken for an
   unreadable one. */
static s_entry_t *
s_entry_of(uint64_t key, const MDB_val *v)
{
    msgpack_zone zone;
    msgpack_object o;
    msgpack_zone_init(&zone, 1024);
    s_entry_t *e = NULL;
    if (nmirf_mp_unpack(v->mv_data, v->mv_size, &zone, &o, NULL, 0) == NMIRF_OK) {
        const msgpack_object *id = nmirf_mp_get(&o, "id");
        const msgpack_object *env = nmirf_mp_get(&o, "envelope");
        const msgpack_object *sig = nmirf_mp_get(&o, "sig");
        const msgpack_object *queued = nmirf_mp_get(&o, "queued");
        const msgpack_object *att = nmirf_mp_get(&o, "attempts");
        e = calloc(1, sizeof *e);
        if (!e)
            fatalx("outbox: out of memory");
        if (id && id->type == MSGPACK_OBJECT_BIN && id->via.bin.size == NMIRF_ID_LEN &&
            env && env->type == MSGPACK_OBJECT_BIN && sig &&
            sig->type == MSGPACK_OBJECT_BIN && sig->via.bin.size == NMIRF_SIG_LEN &&
            nmirf_mp_strcpy(nmirf_mp_get(&o, "op"), e->op, sizeof e->op) == 0) {
            e->key = key;
            memcpy(e->id, id->via.bin.ptr, NMIRF_ID_LEN);
            memcpy(e->sig, sig->via.bin.ptr, NMIRF_SIG_LEN);
            e->env_len = env->via.bin.size;
            e->env = malloc(e->env_len ? e->env_len : 1);
            if (!e->env)
                fatalx("outbox: out of memory");
            memcpy(e->env, env->via.bin.ptr, e->env_len);
            e->queued = queued && queued->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                            ? queued->via.u64
                            : 0;
            e->attempts =
                att && att->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? att->via.u64 : 0;
            e->backoff_ms = BACKOFF_FIRST_MS;
            /* A refused entry: its code decides (a message or a time that
               does not read is left empty). */
            const msgpack_object *ans = nmirf_mp_get(&o, "answered");
            const msgpack_object *reply = nmirf_mp_get(&o, "reply");
            if (nmirf_mp_get(&o, "acked") && reply && reply->type == MSGPACK_OBJECT_BIN) {
                e->acked = true;
                e->reply_len = reply->via.bin.size;
                e->reply = malloc(e->reply_len ? e->reply_len : 1);
                if (!e->reply)
                    fatalx("outbox: out of memory");
                memcpy(e->reply, reply->via.bin.ptr, e->reply_len);
                e->answered = ans && ans->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                                  ? ans->via.u64
                                  : 0;
            } else if (nmirf_mp_get(&o, "code")) {
                e->refused = true;
                if (nmirf_mp_strcpy(nmirf_mp_get(&o, "code"), e->code, sizeof e->code))
                    snprintf(e->code, sizeof e->code, "internal");
                e->message = nmirf_mp_strdup(nmirf_mp_get(&o, "message"));
                e->answered = ans && ans->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                                  ? ans->via.u64
                                  : 0;
            }
        } else
            s_entry_free(&e);
    }
    msgpack_zone_destroy(&zone);
    return e;
}

/* Appends a result to the answers kept in memory, dropping the oldest
   past AGENT_RESULTS_MAX. */
static void
s_result_add(outbox_t *self, s_result_t *r)
{
    zlist_append(self->results, r);
    while (zlist_size(self->results) > AGENT_RESULTS_MAX) {
        s_result_t *old = zlist_pop(self->results);
        s_result_free(&old);
    }
}

/* At load: an acknowledged entry kept on disk (its key noted, its
   answer among the results, so that a control submit repeating its id
   after a restart gets it again instead of a new send). */
static void
s_keep_acked(outbox_t *self, const s_entry_t *e)
{
    uint64_t *kp = malloc(sizeof *kp);
    if (!kp)
        fatalx("outbox: out of memory");
    *kp = e->key;
    zlist_append(self->acked, kp);
    char why[128];
    nmirf_reply_t *reply = nmirf_reply_decode(e->reply, e->reply_len, why, sizeof why);
    if (!reply)
        return; /* its key stays noted: it is dropped in its turn */
    s_result_t *r = calloc(1, sizeof *r);
    if (!r || !(r->message = strdup(reply->message)) ||
        !(r->reply = malloc(e->reply_len ? e->reply_len : 1)))
        fatalx("outbox: out of memory");
    nmirf_hex(e->id, NMIRF_ID_LEN, r->id);
    snprintf(r->op, sizeof r->op, "%s", e->op);
    snprintf(r->code, sizeof r->code, "%s", reply->code_name);
    r->at = e->answered;
    memcpy(r->raw_id, e->id, NMIRF_ID_LEN);
    memcpy(r->reply, e->reply, e->reply_len);
    r->reply_len = e->reply_len;
    nmirf_reply_destroy(&reply);
    s_result_add(self, r);
}

/* Signs pending entry e again with the agent's key (same id and body, a
   new ts) and rewrites it on disk, synced, before it is resent. Called
   only when the broker answered its bytes `bad_signature` and they do not
   verify with the agent's current key (signed before a rotation): the
   broker checks for a replay before the signature, so those bytes are
   not committed, and the new ones land once. Returns 0, or -1 (the entry
   is left as it was). */
static int
s_resign(outbox_t *self, s_entry_t *e)
{
    const nmirf_key_t *key = &self->conf->key;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    nmirf_envelope_t env;
    bool has_id;
    char why[128];
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    uint8_t *nenv = NULL, nsig[NMIRF_SIG_LEN];
    size_t nlen = 0;
    int rc = -1;
    if (nmirf_envelope_decode(e->env, e->env_len, &zone, &env, &has_id, why,
                              sizeof why) != NMIRF_OK)
        goto out;
    if (strcmp(env.author, key->entity) != 0) { /* another entity's: never ours to sign */
        snprintf(why, sizeof why, "written by %s", env.author);
        goto out;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    nmirf_mp_pack_object(&pk, &env.body);
    uint64_t ts = nmirf_now_ms();
    if (nmirf_request_encode(e->op, e->id, key->entity, ts, (const uint8_t *)body.data,
                             body.size, key->sign_sk, &nenv, &nlen, nsig))
        goto out;
    s_entry_t signed_again = *e;
    signed_again.env = nenv;
    signed_again.env_len = nlen;
    memcpy(signed_again.sig, nsig, NMIRF_SIG_LEN);
    int mrc = s_store_entry(self, &signed_again, 0, NULL, ts);
    if (mrc) {
        snprintf(why, sizeof why, "%s", mdb_strerror(mrc));
        goto out;
    }
    free(e->env);
    e->env = nenv;
    e->env_len = nlen;
    nenv = NULL;
    memcpy(e->sig, nsig, NMIRF_SIG_LEN);
    rc = 0;
out:
    if (rc) {
        char hex[2 * NMIRF_ID_LEN + 1];
        nmirf_hex(e->id, NMIRF_ID_LEN, hex);
        log_warnx("outbox: %s %s was signed with another key and cannot be signed "
                  "again (%s)",
                  e->op, hex, why);
    }
    free(nenv);
    msgpack_sbuffer_destroy(&body);
    msgpack_zone_destroy(&zone);
    return rc;
}

outbox_t *
outbox_new(const agent_conf_t *conf, MDB_env *env, MDB_dbi db, link_t *link,
           const outbox_events_t *events)
{
    outbox_t *self = calloc(1, sizeof *self);
    if (!self) {
        log_warnx("outbox: out of memory");
        return NULL;
    }
    self->conf = conf;
    self->env = env;
    self->db = db;
    self->link = link;
    self->events = *events;
    self->entries = zlist_new();
    self->refused = zlist_new();
    self->results = zlist_new();
    self->unreadable = zlist_new();
    self->acked = zlist_new();
    if (!self->entries || !self->refused || !self->results || !self->unreadable ||
        !self->acked) {
        log_warnx("outbox: out of memory");
        outbox_destroy(&self);
        return NULL;
    }
    MDB_txn *txn;
    MDB_cursor *cur;
    int orc = mdb_txn_begin(env, NULL, 0, &txn);
    if (!orc && (orc = mdb_dbi_open(txn, "outbox_ids", MDB_CREATE, &self->ids)) != 0)
        mdb_txn_abort(txn);
    else if (!orc)
        orc = mdb_txn_commit(txn);
    if (orc) {
        log_warnx("outbox: cannot open outbox_ids: %s", mdb_strerror(orc));
        outbox_destroy(&self);
        return NULL;
    }
    if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) {
        outbox_destroy(&self);
        return NULL;
    }
    if (mdb_cursor_open(txn, db, &cur)) {
        mdb_txn_abort(txn);
        outbox_destroy(&self);
        return NULL;
    }
    MDB_val k, v;
    for (int c = mdb_cursor_get(cur, &k, &v, MDB_FIRST); c == 0;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t key = s_key_of(&k);
        s_entry_t *e = k.mv_size == 8 ? s_entry_of(key, &v) : NULL;
        if (!e) {
            log_warnx("outbox: entry %llu unreadable, left in place",
                      (unsigned long long)key);
            uint64_t *kp = malloc(sizeof *kp);
            if (!kp)
                fatalx("outbox: out of memory");
            *kp = key;
            zlist_append(self->unreadable, kp);
            continue;
        }
        if (e->acked) { /* its answer, for `outbox` and a repeated submit */
            s_keep_acked(self, e);
            s_entry_free(&e);
        } else if (e->refused) { /* never sent again: only its refusal is shown */
            free(e->env);
            e->env = NULL;
            e->env_len = 0;
            zlist_append(self->refused, e);
        } else
            zlist_append(self->entries, e);
    }
    /* The next key follows the last one stored, whatever it holds: an
       unreadable last entry must not be overwritten. */
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0)
        self->next_key = s_key_of(&k) + 1;
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    /* Entries signed with an older key are sent as they are: if the broker
       committed them, it answers with the stored reply (s_on_reply). */
    if (zlist_size(self->entries))
        log_info("outbox: %zu pending entries to resend", zlist_size(self->entries));
    if (zlist_size(self->refused))
        log_info("outbox: %zu refused entries kept (nmirf outbox)",
                 zlist_size(self->refused));
    return self;
}

void
outbox_destroy(outbox_t **self_p)
{
    outbox_t *self = *self_p;
    if (!self)
        return;
    s_entry_t *e;
    while (self->entries && (e = zlist_pop(self->entries)))
        s_entry_free(&e);
    zlist_destroy(&self->entries);
    while (self->refused && (e = zlist_pop(self->refused)))
        s_entry_free(&e);
    zlist_destroy(&self->refused);
    s_result_t *r;
    while (self->results && (r = zlist_pop(self->results)))
        s_result_free(&r);
    zlist_destroy(&self->results);
    uint64_t *kp;
    while (self->unreadable && (kp = zlist_pop(self->unreadable)))
        free(kp);
    zlist_destroy(&self->unreadable);
    while (self->acked && (kp = zlist_pop(self->acked)))
        free(kp);
    zlist_destroy(&self->acked);
    free(self);
    *self_p = NULL;
}

int
outbox_enqueue(outbox_t *self, const char *op, const uint8_t *body, size_t len,
               const uint8_t id[NMIRF_ID_LEN], char *why, size_t whylen)
{
    s_entry_t *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(why, whylen, "out of memory");
        log_warnx("outbox: %s", why);
        return -1;
    }
    memcpy(e->id, id, NMIRF_ID_LEN);
    e->queued = nmirf_now_ms();
    e->key = self->next_key;
    e->backoff_ms = BACKOFF_FIRST_MS;
    snprintf(e->op, sizeof e->op, "%s", op);
    /* An id this outbox signed before (a control submit repeating an id
       whose answer is no longer kept) is signed with the same ts: the
       broker knows a write by (ts, id), so the same body makes the same
       bytes (its stored reply), another body `id_reused` (PROTOCOL.md
       section 3). A new ts would make it a second write. */
    uint64_t ts = e->queued;
    MDB_txn *rtxn;
    if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &rtxn) == 0) {
        MDB_val ik = {NMIRF_ID_LEN, e->id}, iv;
        if (mdb_get(rtxn, self->ids, &ik, &iv) == 0 && iv.mv_size == 8)
            ts = nmirf_be64_decode(iv.mv_data);
        mdb_txn_abort(rtxn);
    }
    if (nmirf_request_encode(op, e->id, self->conf->key.entity, ts, body, len,
                             self->conf->key.sign_sk, &e->env, &e->env_len, e->sig)) {
        snprintf(why, whylen, "cannot sign the request");
        s_entry_free(&e);
        return -1;
    }
    if (e->env_len > NMIRF_MAX_ENVELOPE) {
        snprintf(why, whylen, "the request is %zu bytes, over the 1 MiB limit",
                 e->env_len);
        s_entry_free(&e);
        return -1;
    }
    /* NOOVERWRITE: a key in use (another writer, a bad counter) is an
       error, never a silent loss of a queued entry. Synced: the entry
       survives a crash from here on. */
    int rc = s_store_entry(self, e, MDB_NOOVERWRITE, NULL, ts);
    if (rc) {
        snprintf(why, whylen, "cannot store the request: %s", mdb_strerror(rc));
        log_warnx("outbox: %s", why);
        s_entry_free(&e);
        return -1;
    }
    self->next_key++;
    zlist_append(self->entries, e);
    outbox_tick(self); /* first send at once */
    return 0;
}

size_t
outbox_lost(const outbox_t *self, uint64_t from_seq, uint64_t to_seq)
{
    size_t lost = 0;
    for (s_result_t *r = zlist_first(self->results); r; r = zlist_next(self->results)) {
        char why[128];
        nmirf_reply_t *reply =
            nmirf_reply_decode(r->reply, r->reply_len, why, sizeof why);
        if (reply && reply->code == NMIRF_OK && reply->seq >= from_seq &&
            reply->seq <= to_seq) {
            log_warnx("lost at failover: request %s (%s, acknowledged at seq %llu) is "
                      "not in the new primary's log",
                      r->id, r->op, (unsigned long long)reply->seq);
            lost++;
        }
        nmirf_reply_destroy(&reply);
    }
    return lost;
}

/* Encodes the answer to entry e into out (initialised here; the caller
   destroys it or takes its data). */
static void
s_encode_reply(const s_entry_t *e, const nmirf_reply_t *reply, msgpack_sbuffer *out)
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(out);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    bool has_body = reply->body.type == MSGPACK_OBJECT_MAP;
    if (has_body)
        nmirf_mp_pack_object(&pk, &reply->body);
    nmirf_code_t code = reply->code < NMIRF_CODE_COUNT ? reply->code : NMIRF_E_INTERNAL;
    nmirf_reply_encode(out, e->id, code, reply->message, reply->seq,
                       has_body ? (const uint8_t *)body.data : NULL,
                       has_body ? body.size : 0);
    msgpack_sbuffer_destroy(&body);
}

/* Keeps an answer for `nmirf outbox`, dropping the oldest past the limit.
   Out of memory, it is not kept (logged): the entry has ended on disk
   already, and a repeated submit of its id after a restart finds it
   there. */
static void
s_remember(outbox_t *self, const s_entry_t *e, const nmirf_reply_t *reply)
{
    s_result_t *r = calloc(1, sizeof *r);
    if (!r || !(r->message = strdup(reply->message))) {
        log_warnx("outbox: out of memory: an answer is not kept for `nmirf outbox`");
        s_result_free(&r);
        return;
    }
    nmirf_hex(e->id, NMIRF_ID_LEN, r->id);
    snprintf(r->op, sizeof r->op, "%s", e->op);
    snprintf(r->code, sizeof r->code, "%s", reply->code_name);
    r->at = nmirf_now_ms();
    memcpy(r->raw_id, e->id, NMIRF_ID_LEN);
    msgpack_sbuffer out;
    s_encode_reply(e, reply, &out);
    r->reply = (uint8_t *)out.data; /* the sbuffer's malloc'ed bytes */
    r->reply_len = out.size;
    s_result_add(self, r);
}

/* Ends entry e, acknowledged: rewrites it as acked, with its answer, in
   the same synced transaction that drops the oldest acked entry past
   AGENT_RESULTS_MAX. Returns 0 or an LMDB error. */
static int
s_store_acked(outbox_t *self, s_entry_t *e, const nmirf_reply_t *reply)
{
    s_entry_t done = *e;
    done.acked = true;
    done.answered = nmirf_now_ms();
    msgpack_sbuffer out;
    s_encode_reply(e, reply, &out);
    done.reply = (uint8_t *)out.data;
    done.reply_len = out.size;
    uint64_t *oldest =
        zlist_size(self->acked) >= AGENT_RESULTS_MAX ? zlist_first(self->acked) : NULL;
    int rc = s_store_entry(self, &done, 0, oldest, 0);
    msgpack_sbuffer_destroy(&out);
    if (rc)
        return rc;
    if (oldest) {
        zlist_remove(self->acked, oldest);
        free(oldest);
    }
    uint64_t *kp = malloc(sizeof *kp);
    if (!kp)
        fatalx("outbox: out of memory");
    *kp = e->key;
    zlist_append(self->acked, kp);
    return 0;
}

int
outbox_lookup(outbox_t *self, const uint8_t id[NMIRF_ID_LEN], nmirf_reply_t **reply_p)
{
    *reply_p = NULL;
    for (s_entry_t *e = zlist_first(self->entries); e; e = zlist_next(self->entries))
        if (memcmp(e->id, id, NMIRF_ID_LEN) == 0)
            return 1;
    /* Newest answer first: the one a retry is about. */
    s_result_t *found = NULL;
    for (s_result_t *r = zlist_first(self->results); r; r = zlist_next(self->results))
        if (memcmp(r->raw_id, id, NMIRF_ID_LEN) == 0)
            found = r;
    char why[128];
    if (found) {
        *reply_p = nmirf_reply_decode(found->reply, found->reply_len, why, sizeof why);
        return *reply_p ? 2 : 0;
    }
    /* A refusal from before a restart: the code and reason were kept. */
    for (s_entry_t *e = zlist_first(self->refused); e; e = zlist_next(self->refused))
        if (memcmp(e->id, id, NMIRF_ID_LEN) == 0) {
            nmirf_code_t code = nmirf_code_from_name(e->code);
            msgpack_sbuffer out;
            msgpack_sbuffer_init(&out);
            nmirf_reply_encode(&out, e->id,
                               code < NMIRF_CODE_COUNT ? code : NMIRF_E_INTERNAL,
                               e->message, 0, NULL, 0);
            *reply_p = nmirf_reply_decode((uint8_t *)out.data, out.size, why, sizeof why);
            msgpack_sbuffer_destroy(&out);
            return *reply_p ? 2 : 0;
        }
    return 0;
}

/* True if a refusal with this code is final: the broker judged these
   exact bytes, and a resend would be judged the same (PROTOCOL.md
   section 5; the table is in docs/AGENT.md). `storage` and `internal`
   say it took nothing and may take it later; a code this agent does not
   know is not taken as final either. */
static bool
s_final(nmirf_code_t code)
{
    switch (code) {
    case NMIRF_OK:
    case NMIRF_E_STORAGE:
    case NMIRF_E_INTERNAL:
    case NMIRF_E_BAD_TS:      /* our clock ahead: taken once the broker's catches up */
    case NMIRF_E_KEY_RETIRED: /* sent on the old key's session: the agent's
                                 restart with its new keys sends it */
    case NMIRF_E_NOT_PRIMARY: /* a standby's or a fenced broker's: the link moves
                                 to the primary, where it is sent again */
    case NMIRF_CODE_COUNT:
        return false;
    default:
        return true;
    }
}

/* Ends entry e, answered with a final refusal: rewrites it as refused in
   the same synced transaction that drops the oldest refused entry past
   AGENT_REFUSED_MAX. Returns 0 or an LMDB error. */
static int
s_store_refused(outbox_t *self, s_entry_t *e, const nmirf_reply_t *reply)
{
    s_entry_t done = *e; /* the stored form, without touching e yet */
    done.refused = true;
    snprintf(done.code, sizeof done.code, "%s", reply->code_name);
    done.message = reply->message;
    done.answered = nmirf_now_ms();
    s_entry_t *oldest = zlist_size(self->refused) >= AGENT_REFUSED_MAX
                            ? zlist_first(self->refused)
                            : NULL;
    int rc = s_store_entry(self, &done, 0, oldest ? &oldest->key : NULL, 0);
    if (rc)
        return rc;
    e->refused = true;
    memcpy(e->code, done.code, sizeof e->code);
    e->message = strdup(reply->message); /* NULL (out of memory): shown as "" */
    e->answered = done.answered;
    if (oldest) {
        zlist_remove(self->refused, oldest);
        s_entry_free(&oldest);
    }
    return 0;
}

/* Makes every pending entry last sent at or before `before` due now, its
   backoff restarted, and sends what is due in queue order. After an
   outage each entry's own backoff would let a newer entry overtake an
   older one (two reports on one recommendation landing reversed). */
static void
s_send_all(outbox_t *self, int64_t before)
{
    for (s_entry_t *e = zlist_first(self->entries); e; e = zlist_next(self->entries))
        if (e->last_sent <= before) {
            e->next_send = 0;
            e->backoff_ms = BACKOFF_FIRST_MS;
        }
    outbox_tick(self);
}

/* Handles one broker answer (outbox_on_reply). */
static void
s_on_reply(outbox_t *self, nmirf_reply_t **reply_p)
{
    nmirf_reply_t *reply = *reply_p;
    s_entry_t *e = NULL;
    for (s_entry_t *it = zlist_first(self->entries); it && reply->has_id;
         it = zlist_next(self->entries))
        if (memcmp(it->id, reply->id, NMIRF_ID_LEN) == 0) {
            e = it;
            break;
        }
    /* Not ours now (a ping's, an `ask`'s, or an answer to a resend of
       something already answered): left to the caller. */
    if (!e)
        return;
    *reply_p = NULL;
    /* A reply names only the request id (PROTOCOL.md section 4), not the
       bytes it answers, and an entry signed again keeps its id. Copies of
       its old bytes may still be unanswered when it is signed again: the
       connected callback's send right behind a tick's, or a resend on the
       backoff before the first answer came. Each of those is answered
       `bad_signature` too, and taken for an answer to the new bytes it
       would end the entry refused: a submission lost. So as many
       `bad_signature` replies as there were unanswered sends of the old
       bytes when it was signed again are theirs, and dropped (the old
       bytes can get no other answer that matters: the broker has shown
       they verify with no key it holds, and checks the signature before
       anything that could take them). Should one of those replies be lost
       with its connection, a real `bad_signature` for the new bytes is
       dropped in its place: the entry is resent and the next one ends it,
       one try later, never a loss. */
    if (!reply->ok &&
        (reply->code == NMIRF_E_BAD_SIGNATURE || reply->code == NMIRF_E_STALE) &&
        e->stale > 0) {
        e->stale--;
        char hex[2 * NMIRF_ID_LEN + 1];
        nmirf_hex(e->id, NMIRF_ID_LEN, hex);
        log_info("outbox: %s %s: %s for a copy of its bytes from before "
                 "the new signature, not for the current ones: ignored",
                 e->op, hex, reply->code_name);
        nmirf_reply_destroy(&reply);
        return;
    }
    if (e->inflight > 0)
        e->inflight--;
    else if (e->stale > 0) /* an old copy's answer of another kind */
        e->stale--;
    /* `bad_signature` on bytes our current key does not verify: signed
       before a rotation. The broker looks for a replay before it checks
       the signature, so these bytes are not committed: signed again (same
       id and body), stored, and sent at once. If that fails, the refusal
       is final like any other. The old bytes' sends not answered yet are
       counted stale (above). */
    if (!reply->ok && reply->code == NMIRF_E_BAD_SIGNATURE &&
        !nmirf_signature_ok(e->env, e->env_len, e->sig, self->conf->key.sign_pk) &&
        s_resign(self, e) == 0) {
        char hex[2 * NMIRF_ID_LEN + 1];
        nmirf_hex(e->id, NMIRF_ID_LEN, hex);
        log_info("outbox: %s %s was signed with an older key and is not at the broker: "
                 "signed again with the current one, resent (%u copies of the old "
                 "bytes unanswered)",
                 e->op, hex, e->inflight);
        e->stale += e->inflight;
        e->inflight = 0;
        e->next_send = 0;
        e->backoff_ms = BACKOFF_FIRST_MS;
        nmirf_reply_destroy(&reply);
        return;
    }
    /* `stale`: these bytes waited longer than the broker's request window.
       The broker looks for a replay before it checks the window, so they
       were never applied, and never will be: signed again with the current
       time (same op, body and id), stored in place of the old bytes in one
       synced commit (a crash leaves the one or the other, never neither),
       and sent. Old copies still unanswered get `stale` too (above). Sent
       at once the first time; should the new bytes be stale as well (this
       host's clock far behind the broker's), on the entry's backoff, not in
       a loop. If it cannot be signed again (another entity's bytes), the
       refusal is final. */
    if (!reply->ok && reply->code == NMIRF_E_STALE && s_resign(self, e) == 0) {
        char hex[2 * NMIRF_ID_LEN + 1];
        nmirf_hex(e->id, NMIRF_ID_LEN, hex);
        log_info("outbox: re-signed request %s (%s): it waited longer than the broker's "
                 "window",
                 hex, e->op);
        self->resigned++;
        e->stale += e->inflight;
        e->inflight = 0;
        if (!e->resigned) {
            e->next_send = 0;
            e->backoff_ms = BACKOFF_FIRST_MS;
        }
        e->resigned = true;
        nmirf_reply_destroy(&reply);
        return;
    }
    /* `storage` and `internal` say the broker could not take the write
       and changed nothing: that is not an answer to keep, only to report.
       The entry stays and is resent on its backoff (guarantee 3). So does
       `bad_ts` (this host's clock ahead of the broker's): the same bytes
       are taken once the broker's clock has caught up. Nor is
       `key_retired`: our connection's key was rotated out, and the write
       waits for the agent to run with the new keys. */
    if (!reply->ok && !s_final(reply->code)) {
        char hex[2 * NMIRF_ID_LEN + 1];
        nmirf_hex(e->id, NMIRF_ID_LEN, hex);
        log_warnx("outbox: %s %s not taken by the broker (%s: %s); kept, will resend",
                  e->op, hex, reply->code_name, reply->message);
        /* Later entries wait for it: two reports on one recommendation
           must not commit reversed. */
        e->waiting = true;
        /* A waiting `submit` is answered {queued} at its deadline. */
        nmirf_reply_destroy(&reply);
        return;
    }
    int rc;
    if (reply->ok)
        rc = s_store_acked(self, e, reply);
    else
        rc = s_store_refused(self, e, reply);
    if (rc) {
        /* Kept pending: the next resend gets the same answer again. */
        log_warnx("outbox: cannot end an answered entry: %s", mdb_strerror(rc));
        nmirf_reply_destroy(&reply);
        return;
    }
    char hex[2 * NMIRF_ID_LEN + 1];
    nmirf_hex(e->id, NMIRF_ID_LEN, hex);
    if (reply->ok)
        log_info("outbox: %s %s acknowledged (seq %llu)", e->op, hex,
                 (unsigned long long)reply->seq);
    else
        log_warnx("outbox: %s %s refused by the broker, final (not resent): %s: %s",
                  e->op, hex, reply->code_name, reply->message);
    s_remember(self, e, reply);
    zlist_remove(self->entries, e);
    self->events.result(e->id, reply, self->events.arg);
    if (reply->ok)
        s_entry_free(&e);
    else {
        self->events.refused(e->op, e->id, e->env, e->env_len, reply, self->events.arg);
        free(e->env); /* the bytes are on disk; only the refusal is shown */
        e->env = NULL;
        e->env_len = 0;
        zlist_append(self->refused, e);
    }
    nmirf_reply_destroy(&reply);
    return;
}

void
outbox_on_reply(outbox_t *self, nmirf_reply_t **reply_p)
{
    /* An answer after a silence (the broker back, or a connection that
       came up unseen): what is pending and was not sent just now goes
       again at once, oldest first, not each entry on its own backoff. */
    int64_t now = zclock_mono();
    bool after_silence = !self->last_reply || now - self->last_reply > BACKOFF_MAX_MS;
    self->last_reply = now;
    s_on_reply(self, reply_p);
    if (after_silence)
        s_send_all(self, now - BACKOFF_FIRST_MS);
    else
        outbox_tick(self); /* an entry signed again, or one no longer held back */
}

void
outbox_tick(outbox_t *self)
{
    int64_t now = zclock_mono();
    for (s_entry_t *e = zlist_first(self->entries); e; e = zlist_next(self->entries)) {
        /* An entry whose last send failed goes before any later one,
           whatever its backoff says: sends leave in queue order. One
           answered with a retryable refusal holds back every later one
           until it ends (strict FIFO for what is not in flight): sent
           right behind its resend, a later one could commit first. */
        if (e->next_send > now && !e->unsent) {
            if (e->waiting)
                break;
            continue;
        }
        /* With ZMQ_IMMEDIATE and no timeout, a send fails at once while no
           connection is up: the entry waits for its next turn, and no
           later entry overtakes it. */
        bool sent = link_send(self->link, e->env, e->env_len, e->sig) == 0;
        if (sent) {
            e->attempts++;
            e->inflight++;
            e->last_sent = now;
        }
        if (sent || !e->unsent || e->next_send <= now) {
            e->next_send = now + e->backoff_ms;
            e->backoff_ms =
                e->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : e->backoff_ms * 2;
        }
        e->unsent = !sent;
        if (!sent || e->waiting)
            break;
    }
}

void
outbox_on_connected(outbox_t *self)
{
    s_send_all(self, INT64_MAX);
}

size_t
outbox_pending(const outbox_t *self)
{
    return zlist_size(self->entries);
}

size_t
outbox_refused(const outbox_t *self)
{
    return zlist_size(self->refused);
}

uint64_t
outbox_resigned(const outbox_t *self)
{
    return self->resigned;
}

void
outbox_pack(const outbox_t *self, bool key_refused, msgpack_packer *pk)
{
    char hex[2 * NMIRF_ID_LEN + 1];
    msgpack_pack_map(pk, 5);
    /* The broker refused this agent's key at its last handshake: nothing
       pending can be sent (link_monitor.c). */
    nmirf_mp_pack_str(pk, "key_refused");
    if (key_refused)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    nmirf_mp_pack_str(pk, "pending");
    msgpack_pack_array(pk, zlist_size(self->entries));
    for (s_entry_t *e = zlist_first(self->entries); e; e = zlist_next(self->entries)) {
        nmirf_hex(e->id, NMIRF_ID_LEN, hex);
        msgpack_pack_map(pk, 4);
        nmirf_mp_pack_kv_str(pk, "id", hex);
        nmirf_mp_pack_kv_str(pk, "op", e->op);
        nmirf_mp_pack_kv_uint(pk, "queued", e->queued);
        nmirf_mp_pack_kv_uint(pk, "attempts", e->attempts);
    }
    /* Ended by a final refusal: never resent (they stay listed). */
    nmirf_mp_pack_str(pk, "refused");
    msgpack_pack_array(pk, zlist_size(self->refused));
    for (s_entry_t *e = zlist_first(self->refused); e; e = zlist_next(self->refused)) {
        nmirf_hex(e->id, NMIRF_ID_LEN, hex);
        msgpack_pack_map(pk, 7);
        nmirf_mp_pack_kv_str(pk, "id", hex);
        nmirf_mp_pack_kv_str(pk, "op", e->op);
        nmirf_mp_pack_kv_uint(pk, "queued", e->queued);
        nmirf_mp_pack_kv_uint(pk, "attempts", e->attempts);
        nmirf_mp_pack_kv_str(pk, "code", e->code);
        nmirf_mp_pack_kv_str(pk, "message", e->message ? e->message : "");
        nmirf_mp_pack_kv_uint(pk, "at", e->answered);
    }
    nmirf_mp_pack_str(pk, "results");
    msgpack_pack_array(pk, zlist_size(self->results));
    for (s_result_t *r = zlist_first(self->results); r; r = zlist_next(self->results)) {
        msgpack_pack_map(pk, 5);
        nmirf_mp_pack_kv_str(pk, "id", r->id);
        nmirf_mp_pack_kv_str(pk, "op", r->op);
        nmirf_mp_pack_kv_str(pk, "code", r->code);
        nmirf_mp_pack_kv_str(pk, "message", r->message);
        nmirf_mp_pack_kv_uint(pk, "at", r->at);
    }
    /* Entries that do not decode are left in the db (never resent, never
       lost), and shown here by their key so that they are not hidden. */
    nmirf_mp_pack_str(pk, "unreadable");
    msgpack_pack_array(pk, zlist_size(self->unreadable));
    for (uint64_t *k = zlist_first(self->unreadable); k; k = zlist_next(self->unreadable))
        msgpack_pack_uint64(pk, *k);
}
