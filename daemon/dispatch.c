/*  dispatch - one request, from its frames to its reply. */
#include "dispatch.h"
#include "follower.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "ops.h"
#include "records.h"
#include "role.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

/* How far ahead of the broker's clock an envelope's ts may be: clock skew
   between hosts, generously. The bound in the past is the request window
   (request_window, s_stale): older writes are refused `stale`, after the
   replay lookup, so a resend of an applied request still gets its stored
   reply however old it is (PROTOCOL.md section 3). */
#define TS_AHEAD_MAX_MS (10 * 60 * 1000)

/* Answers with a refusal and logs it. */
static void
s_refuse(batch_t *batch, msgpack_sbuffer *reply, const uint8_t *id, const char *author,
         const char *op, nmirf_code_t code, const char *why)
{
    log_info("refused %s from %s: %s: %s", op[0] ? op : "?", author[0] ? author : "?",
             nmirf_code_name(code), why);
    nmirf_reply_encode(reply, id, code, why, store_seq(batch->store, batch->txn), NULL,
                       0);
}

/* Judges the stored record of a request: 1 if it holds the same bytes
   (its reply appended to reply), -1 on a refusal (id_reused, or internal
   for an unreadable record; why set). */
static int
s_judge_stored(const msgpack_object *stored, int rc, const uint8_t *req_hash,
               msgpack_sbuffer *reply, nmirf_code_t *code, char *why, size_t whylen)
{
    const msgpack_object *hash = rc ? NULL : nmirf_mp_get(stored, "hash");
    const msgpack_object *prior = rc ? NULL : nmirf_mp_get(stored, "reply");
    if (rc || !hash || hash->type != MSGPACK_OBJECT_BIN || !prior ||
        prior->type != MSGPACK_OBJECT_BIN) {
        *code = NMIRF_E_INTERNAL;
        snprintf(why, whylen, "stored request unreadable: %s", store_strerror(rc));
        return -1;
    }
    if (hash->via.bin.size != NMIRF_HASH_LEN ||
        memcmp(hash->via.bin.ptr, req_hash, NMIRF_HASH_LEN) != 0) {
        *code = NMIRF_E_ID_REUSED;
        snprintf(why, whylen, "request id was used before with different bytes");
        return -1;
    }
    msgpack_sbuffer_write(reply, prior->via.bin.ptr, prior->via.bin.size);
    return 1;
}

/* Checks the stored request under (env->ts, env->id): 0 if new, 1 if the
   same bytes came before (the stored reply is appended to reply), -1 on a
   refusal (why set). The same id under another ts is another request
   (the agent signs a `stale` entry again with a fresh ts, and that one
   never applied). A store from before the time-keyed index (store.h,
   store_reqkey_t) also holds requests under their id alone: only an
   envelope whose ts could be theirs (before the first time-keyed start,
   plus the skew TS_AHEAD_MAX_MS allowed then) is looked up there, so a
   new store, and every recent request, costs one lookup. */
static int
s_replayed(batch_t *batch, const nmirf_envelope_t *env, const uint8_t *req_hash,
           msgpack_zone *zone, msgpack_sbuffer *reply, nmirf_code_t *code, char *why,
           size_t whylen)
{
    msgpack_object stored;
    uint8_t key[STORE_REQKEY_LEN];
    store_request_key(env->ts, env->id, key);
    int rc =
        store_get(batch->store, batch->txn, DB_REQUESTS, key, sizeof key, zone, &stored);
    const store_reqkey_t *rk = store_reqkey(batch->store);
    if (rc == MDB_NOTFOUND && rk->legacy && env->ts <= rk->since + TS_AHEAD_MAX_MS)
        rc = store_get(batch->store, batch->txn, DB_REQUESTS, env->id, NMIRF_ID_LEN, zone,
                       &stored);
    if (rc == MDB_NOTFOUND)
        return 0;
    return s_judge_stored(&stored, rc, req_hash, reply, code, why, whylen);
}

/* Judges a write's ts against the request window: NMIRF_OK if inside,
   NMIRF_E_STALE if older (why set), NMIRF_E_STORAGE if the refusal could
   not be recorded (why set; the sender resends the same bytes). Checked
   after the replay lookup, so `stale` means that these bytes were never
   applied; the agent then signs the entry again, and the old bytes must
   never apply afterwards, though a copy may still be on its way. Neither
   the window (SIGHUP, a restart) nor the wall clock (stepped back) stays
   put, so each refusal raises the stale floor (store_stale_floor) in the
   batch's transaction, committed before the refusal is sent: a ts below
   it is refused whatever the window and the clock say then. The wall
   clock alone is the window's clock: a broker whose clock ran ahead
   leaves events dated ahead, and were they the clock, every write would
   be refused until the real time caught up. Reads are not bounded: they
   change nothing and are not stored. */
static nmirf_code_t
s_stale(batch_t *batch, const nmirf_envelope_t *env, char *why, size_t whylen)
{
    unsigned window_s = batch->stats ? atomic_load(&batch->stats->request_window_s) : 0;
    uint64_t window_ms = (uint64_t)window_s * 1000;
    bool past = window_s && env->ts < batch->now && batch->now - env->ts > window_ms;
    if (!batch->floor_read) {
        batch->floor = store_stale_floor(batch->store, batch->txn);
        batch->floor_read = true;
    }
    if (!past && env->ts >= batch->floor)
        return NMIRF_OK;
    /* A broker that takes no writes (a standby: only `broker.promote`
       gets here; a fenced primary) records nothing: its store is to stay
       its primary's, and the refusal changes nothing then. */
    char primary[ROLE_ENDPOINT_MAX], no[256];
    bool writes = !batch->stats || role_may_write(batch->stats->role,
                                                  store_epoch(batch->store, batch->txn),
                                                  primary, sizeof primary, no, sizeof no);
    if (writes && env->ts >= batch->floor) {
        int rc = store_raise_stale_floor(batch->store, batch->txn, env->ts + 1);
        if (rc) {
            snprintf(why, whylen, "cannot record the refusal: %s", store_strerror(rc));
            return NMIRF_E_STORAGE;
        }
        batch->floor = env->ts + 1;
        batch->floor_moved = true;
    }
    if (past)
        snprintf(
            why, whylen,
            "ts is %llu s behind the broker's clock, past its request window of "
            "%u s: this request was not applied; sign it again with the current time",
            (unsigned long long)((batch->now - env->ts) / 1000), window_s);
    else
        snprintf(why, whylen,
                 "ts is not later than that of a write refused stale before (the "
                 "window or the clock has changed since): this request was not "
                 "applied; sign it again with the current time");
    return NMIRF_E_STALE;
}

/* Refuses a write with not_primary if this broker takes none (a standby,
   or fenced: role.h), judged at the store's epoch in the batch's
   transaction, so writes behind a `broker.promote` in its batch apply.
   The reply's body names the primary when the broker knows it
   (PROTOCOL.md section 5). Checked before the request window, which a
   refusal here must not move (the primary judges these bytes). Returns
   true after appending the refusal to reply. */
static bool
s_not_primary(batch_t *batch, const nmirf_envelope_t *env, msgpack_sbuffer *reply,
              char *why, size_t whylen)
{
    char primary[ROLE_ENDPOINT_MAX];
    if (role_may_write(batch->stats->role, store_epoch(batch->store, batch->txn), primary,
                       sizeof primary, why, whylen))
        return false;
    log_info("refused %s from %s: not_primary: %s", env->op, env->author, why);
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    if (primary[0]) {
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_kv_str(&pk, "primary", primary);
    }
    nmirf_reply_encode(reply, env->id, NMIRF_E_NOT_PRIMARY, why,
                       store_seq(batch->store, batch->txn), (const uint8_t *)body.data,
                       body.size);
    msgpack_sbuffer_destroy(&body);
    return true;
}

/* Keeps a committed write's bytes and reply under (ts, id), for replays
   and for the audit trail. Entries are never removed: the audit verifies
   each event's request from them (common/audit/nmirf_audit.c). Keyed by
   time, they land near the tree's right edge: a commit dirties about a
   leaf per client that sent in it (clients' clocks differ by more than
   the few milliseconds a leaf spans under load) instead of a random leaf
   per write (docs/PERFORMANCE.md has the figures). */
static int
s_keep_request(batch_t *batch, MDB_txn *txn, const nmirf_envelope_t *env,
               const uint8_t *req_hash, const uint8_t *env_bytes, size_t env_len,
               const uint8_t *sig, const msgpack_sbuffer *reply)
{
    msgpack_sbuffer rec;
    msgpack_sbuffer_init(&rec);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rec, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_str(&pk, "hash");
    nmirf_mp_pack_bin(&pk, req_hash, NMIRF_HASH_LEN);
    nmirf_mp_pack_str(&pk, "envelope");
    nmirf_mp_pack_bin(&pk, env_bytes, env_len);
    nmirf_mp_pack_str(&pk, "sig");
    nmirf_mp_pack_bin(&pk, sig, NMIRF_SIG_LEN);
    nmirf_mp_pack_str(&pk, "reply");
    nmirf_mp_pack_bin(&pk, reply->data, reply->size);
    uint8_t key[STORE_REQKEY_LEN];
    store_request_key(env->ts, env->id, key);
    int rc =
        store_put(batch->store, txn, DB_REQUESTS, key, sizeof key, rec.data, rec.size);
    msgpack_sbuffer_destroy(&rec);
    return rc;
}

/* Runs a checked request's operation and appends its reply. */
static void
s_run(batch_t *batch, const op_def_t *op, op_ctx_t *ctx, const uint8_t *env_bytes,
      size_t env_len, const uint8_t *sig, msgpack_sbuffer *reply)
{
    const nmirf_envelope_t *env = ctx->env;
    size_t events_before = batch->events->count;
    MDB_txn *child = NULL;
    int rc = 0;
    if (op->write && (rc = store_begin(batch->store, batch->txn, true, &child)) != 0) {
        op_store_error(ctx, rc, "beginning a write");
        s_refuse(batch, reply, env->id, env->author, env->op, ctx->code, ctx->why);
        return;
    }
    ctx->txn = op->write ? child : batch->txn;
    if (op->fn(ctx) == 0) {
        nmirf_reply_encode(reply, env->id, NMIRF_OK, NULL,
                           store_seq(batch->store, ctx->txn),
                           (const uint8_t *)ctx->reply->data, ctx->reply->size);
        if (!op->write)
            return;
        rc = s_keep_request(batch, child, env, ctx->req_hash, env_bytes, env_len, sig,
                            reply);
        if (!rc)
            rc = store_commit(child);
        else
            store_abort(child);
        if (!rc) {
            batch->writes++;
            log_debug("%s by %s applied", env->op, env->author);
            return;
        }
        msgpack_sbuffer_clear(reply);
        op_store_error(ctx, rc, "committing a request");
    } else if (child)
        store_abort(child);
    /* Refused: nothing of it stays, events included. */
    event_batch_truncate(batch->events, events_before);
    s_refuse(batch, reply, env->id, env->author, env->op, ctx->code, ctx->why);
}

/* The checks that need no write transaction: frames, envelope, signature
   frame, peer = author. Returns NMIRF_OK, or a refusal code with why. */
static nmirf_code_t
s_check_bytes(const char *peer, const uint8_t *const *frames, const size_t *sizes,
              size_t count, dispatch_checked_t *c)
{
    if (count != 2 || sizes[0] == 0 || sizes[1] == 0) {
        snprintf(c->why, sizeof c->why,
                 count == 2 ? "a request frame is empty"
                            : "a request is 2 frames (envelope, signature), not %zu",
                 count);
        return NMIRF_E_BAD_FRAME;
    }
    nmirf_code_t code = nmirf_envelope_decode(frames[0], sizes[0], c->zone, &c->env,
                                              &c->has_id, c->why, sizeof c->why);
    if (code != NMIRF_OK)
        return code;
    if (sizes[1] != NMIRF_SIG_LEN) {
        snprintf(c->why, sizeof c->why, "signature frame is %zu bytes, not %d", sizes[1],
                 NMIRF_SIG_LEN);
        return NMIRF_E_BAD_ENVELOPE;
    }
    /* The transport said who is on the other end (ZAP's User-Id): a peer
       may only speak for itself, so a stolen signing key is useless without
       the same entity's CURVE key, and one entity cannot replay another's
       signed bytes. No peer (no CURVE session) is refused the same way:
       fail closed. */
    if (!peer || strcmp(peer, c->env.author) != 0) {
        snprintf(c->why, sizeof c->why,
                 "connection is authenticated as '%s', not as '%s'",
                 peer ? peer : "nobody", c->env.author);
        return NMIRF_E_AUTHOR_MISMATCH;
    }
    return NMIRF_OK;
}

/* Looks the author up in txn: its record into *author, or a refusal code
   (unknown_author, revoked, bad_signature for an unusable key) with why. */
static nmirf_code_t
s_author(store_t *store, MDB_txn *txn, dispatch_checked_t *c, msgpack_object *author,
         const msgpack_object **pk)
{
    int rc = store_get(store, txn, DB_ENTITIES, c->env.author, strlen(c->env.author),
                       c->zone, author);
    if (rc) {
        snprintf(c->why, sizeof c->why, "'%s' is not an enrolled entity", c->env.author);
        return rc == MDB_NOTFOUND ? NMIRF_E_UNKNOWN_AUTHOR : NMIRF_E_INTERNAL;
    }
    strv_t state = record_field(author, "state");
    if (!state.p || state.n != 6 || memcmp(state.p, "active", 6) != 0) {
        snprintf(c->why, sizeof c->why, "entity '%s' has been revoked", c->env.author);
        return NMIRF_E_REVOKED;
    }
    *pk = nmirf_mp_get(author, "sign_key");
    if (!*pk || (*pk)->type != MSGPACK_OBJECT_BIN ||
        (*pk)->via.bin.size != NMIRF_SIGN_PK_LEN) {
        snprintf(c->why, sizeof c->why, "signature does not verify with %s's key",
                 c->env.author);
        return NMIRF_E_BAD_SIGNATURE;
    }
    return NMIRF_OK;
}

/* True if the connection's key is the author's current curve_key. A
   revoked entity never gets here (s_author), so this catches a session
   opened with a key that a rotation has since replaced: ZAP let it in,
   and the transport cannot be told to drop one peer (libzmq has no such
   call in Debian's build), so every request on it is refused instead. */
static bool
s_key_current(const dispatch_checked_t *c, const msgpack_object *author)
{
    const msgpack_object *ck = nmirf_mp_get(author, "curve_key");
    return c->has_peer_key && ck && ck->type == MSGPACK_OBJECT_BIN &&
           ck->via.bin.size == sizeof c->peer_key &&
           memcmp(ck->via.bin.ptr, c->peer_key, sizeof c->peer_key) == 0;
}

/* Automatic failover (role.h; docs/REPLICATION.md, "Automatic
   failover"): env, a write that would be refused not_primary, reached
   this standby while its primary has been silent for the failover delay.
   The broker promotes itself first, in the batch's transaction, with the
   request `broker.promote {auto: true}` it signs as its standby entity,
   kept and chained like any write; then env is judged at the new epoch
   and applies. Nothing happens if it is not due, or if the standby entity
   is not this store's active entity of role standby with that key (an
   audit would refuse its promotion): env is refused not_primary then. */
static void
s_failover(batch_t *batch, const nmirf_envelope_t *env)
{
    role_t *role = batch->stats->role;
    if (!role_failover_after(role))
        return; /* off: one test per write */
    uint64_t epoch = store_epoch(batch->store, batch->txn);
    uint64_t silent = follower_silent_ms();
    if (!role_failover_due(role, epoch, silent))
        return;
    const nmirf_key_t *key = role_failover_key(role);
    uint8_t *bytes = NULL, sig[NMIRF_SIG_LEN];
    size_t len = 0;
    dispatch_checked_t c = {.zone = msgpack_zone_new(1024)};
    msgpack_object author;
    const msgpack_object *pk;
    msgpack_sbuffer body, reply;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(&reply);
    if (!c.zone || ops_broker_auto_request(key, batch->now, &bytes, &len, sig) ||
        nmirf_envelope_decode(bytes, len, c.zone, &c.env, &c.has_id, c.why,
                              sizeof c.why) != NMIRF_OK) {
        log_warnx("automatic failover: cannot make the promotion's request");
        goto done;
    }
    strv_t arole = {0};
    if (s_author(batch->store, batch->txn, &c, &author, &pk) == NMIRF_OK)
        arole = record_field(&author, "role");
    if (!arole.p || arole.n != 7 || memcmp(arole.p, "standby", 7) != 0 ||
        memcmp(pk->via.bin.ptr, key->sign_pk, NMIRF_SIGN_PK_LEN) != 0) {
        log_warnx("automatic failover: %s is not an active entity of role standby "
                  "with this key in the store: no promotion (%s)",
                  key->entity, c.why[0] ? c.why : "role or key differs");
        goto done;
    }
    uint8_t req_hash[NMIRF_HASH_LEN];
    nmirf_hash2(req_hash, bytes, len, sig, sizeof sig);
    op_ctx_t ctx = {
        .store = batch->store,
        .env = &c.env,
        .role = "standby",
        .req_hash = req_hash,
        .now = batch->now,
        .zone = c.zone,
        .reply = &body,
        .events = batch->events,
        .stats = batch->stats,
    };
    msgpack_packer_init(&ctx.pk, &body, msgpack_sbuffer_write);
    s_run(batch, ops_find("broker.promote"), &ctx, bytes, len, sig, &reply);
    uint64_t now_epoch = store_epoch(batch->store, batch->txn);
    if (now_epoch > epoch)
        log_warnx("AUTOMATIC FAILOVER: primary silent for %llu ms, a write from %s: "
                  "promoted to epoch %llu",
                  (unsigned long long)silent, env->author, (unsigned long long)now_epoch);
    else
        log_warnx("automatic failover: the promotion was refused: %s", ctx.why);
done:
    free(bytes);
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_destroy(&reply);
    dispatch_checked_free(&c);
}

int
dispatch_check(store_t *store, MDB_txn *rtxn, const char *peer, const char *peer_key,
               const uint8_t *const *frames, const size_t *sizes, size_t count,
               dispatch_checked_t *c)
{
    memset(c, 0, sizeof *c);
    c->zone = msgpack_zone_new(8192);
    if (!c->zone)
        return -1;
    if (peer_key && strlen(peer_key) == 40 && zmq_z85_decode(c->peer_key, peer_key))
        c->has_peer_key = true;
    c->frames[0] = count > 0 ? frames[0] : NULL;
    c->frames[1] = count > 1 ? frames[1] : NULL;
    c->sizes[0] = count > 0 ? sizes[0] : 0;
    c->sizes[1] = count > 1 ? sizes[1] : 0;
    c->code = s_check_bytes(peer, frames, sizes, count, c);
    if (c->code != NMIRF_OK || !rtxn)
        return 0;
    /* Ahead of the writer: verify with the key committed now. A refusal
       here is not final (the writer's transaction may see another state);
       the writer redoes the author checks and trusts this verification
       only if the key it finds is the very key verified against. */
    msgpack_object author;
    const msgpack_object *pk;
    char why[sizeof c->why];
    memcpy(why, c->why, sizeof why);
    if (s_author(store, rtxn, c, &author, &pk) == NMIRF_OK &&
        nmirf_signature_ok(frames[0], sizes[0], frames[1],
                           (const uint8_t *)pk->via.bin.ptr)) {
        memcpy(c->verified_key, pk->via.bin.ptr, NMIRF_SIGN_PK_LEN);
        c->verified = true;
    }
    memcpy(c->why, why, sizeof why);
    return 0;
}

void
dispatch_checked_free(dispatch_checked_t *c)
{
    if (c->zone)
        msgpack_zone_free(c->zone);
    c->zone = NULL;
}

void
dispatch_apply(batch_t *batch, dispatch_checked_t *c, msgpack_sbuffer *reply)
{
    nmirf_envelope_t *env = &c->env;
    const uint8_t *id = c->has_id ? env->id : NULL;
    nmirf_code_t code = c->code;
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    if (code != NMIRF_OK) {
        /* A frame-count refusal names no operation nor author (env is
           zeroed); the others name what was decoded. */
        goto refuse;
    }
    /* The author first: a revoked entity is cut off, replays included
       (guarantee 5). */
    msgpack_object author;
    const msgpack_object *pk;
    code = s_author(batch->store, batch->txn, c, &author, &pk);
    if (code != NMIRF_OK)
        goto refuse;
    /* The connection: a session opened with a rotated-out CURVE key is
       refused whatever it sends, replays included. */
    if (!s_key_current(c, &author)) {
        code = NMIRF_E_KEY_RETIRED;
        snprintf(c->why, sizeof c->why,
                 "this connection's CURVE key is no longer %s's (its keys were "
                 "rotated): connect again with the new key",
                 env->author);
        goto refuse;
    }
    /* A byte-identical replay of a committed request gets its first reply
       before the signature check: those bytes were verified when taken,
       and a signing key rotated since must not turn a resend (on a
       connection made with the new keys) into a refusal of a write that
       exists. Other uses of the id are judged after them
       (s_replayed again, below). */
    uint8_t req_hash[NMIRF_HASH_LEN];
    nmirf_hash2(req_hash, c->frames[0], c->sizes[0], c->frames[1], c->sizes[1]);
    if (s_replayed(batch, env, req_hash, c->zone, reply, &code, c->why, sizeof c->why) >
        0) {
        log_debug("%s from %s is a replay; sent the first reply", env->op, env->author);
        goto done;
    }
    code = NMIRF_OK;
    /* A verifier's result stands only for the key current in this
       transaction (a rotation may have committed since): otherwise verify
       here, with that key. */
    if (!(c->verified &&
          memcmp(c->verified_key, pk->via.bin.ptr, NMIRF_SIGN_PK_LEN) == 0) &&
        !nmirf_signature_ok(c->frames[0], c->sizes[0], c->frames[1],
                            (const uint8_t *)pk->via.bin.ptr)) {
        code = NMIRF_E_BAD_SIGNATURE;
        snprintf(c->why, sizeof c->why, "signature does not verify with %s's key",
                 env->author);
        goto refuse;
    }
    if (env->ts > batch->now + TS_AHEAD_MAX_MS) {
        code = NMIRF_E_BAD_TS;
        snprintf(c->why, sizeof c->why,
                 "ts is %llu s ahead of the broker's clock (at most %d s): check "
                 "the sender's clock",
                 (unsigned long long)((env->ts - batch->now) / 1000),
                 TS_AHEAD_MAX_MS / 1000);
        goto refuse;
    }
    strv_t role = record_field(&author, "role");
    int replay =
        s_replayed(batch, env, req_hash, c->zone, reply, &code, c->why, sizeof c->why);
    if (replay < 0)
        goto refuse;
    if (replay > 0) {
        log_debug("%s from %s is a replay; sent the first reply", env->op, env->author);
        goto done;
    }
    const op_def_t *op = ops_find(env->op);
    if (!op) {
        code = NMIRF_E_UNKNOWN_OP;
        snprintf(c->why, sizeof c->why, "unknown operation '%s'", env->op);
        goto refuse;
    }
    /* A standby's entity reads and follows the stream; it writes nothing
       (docs/REPLICATION.md, "The stream"). */
    if (op->write && role.n == 7 && memcmp(role.p, "standby", 7) == 0) {
        code = NMIRF_E_FORBIDDEN;
        snprintf(c->why, sizeof c->why, "an entity of role standby writes nothing");
        goto refuse;
    }
    if (op->write && !op->standby && batch->stats && !batch->reader)
        s_failover(batch, env);
    if (op->write && !op->standby && batch->stats &&
        s_not_primary(batch, env, reply, c->why, sizeof c->why))
        goto done;
    if (op->write && (code = s_stale(batch, env, c->why, sizeof c->why)) != NMIRF_OK)
        goto refuse;
    op_ctx_t ctx = {
        .store = batch->store,
        .env = env,
        .role = op_strdup(&(op_ctx_t){.zone = c->zone}, role),
        .req_hash = req_hash,
        .now = batch->now,
        .zone = c->zone,
        .reply = &body,
        .events = batch->events,
        .stats = batch->stats,
        .reader = batch->reader,
    };
    msgpack_packer_init(&ctx.pk, &body, msgpack_sbuffer_write);
    if (!ctx.role)
        ctx.role = "";
    s_run(batch, op, &ctx, c->frames[0], c->sizes[0], c->frames[1], reply);
    goto done;
refuse:
    s_refuse(batch, reply, id, env->author, env->op, code, c->why);
done:
    msgpack_sbuffer_destroy(&body);
}

void
dispatch_read(store_t *store, MDB_txn *rtxn, const broker_stats_t *stats,
              dispatch_checked_t *c, msgpack_sbuffer *reply)
{
    /* A batch of one over the read transaction: dispatch_apply's checks
       read through batch->txn, and a read operation runs in it directly
       (s_run). Nothing can be written: no events, no writes to count. */
    event_batch_t none = {0};
    batch_t batch = {.store = store,
                     .txn = rtxn,
                     .events = &none,
                     .now = nmirf_now_ms(),
                     .stats = stats,
                     .reader = true};
    const op_def_t *op = c->code == NMIRF_OK ? ops_find(c->env.op) : NULL;
    if (op && !op->reader)
        s_refuse(&batch, reply, c->has_id ? c->env.id : NULL, c->env.author, c->env.op,
                 NMIRF_E_INTERNAL, "not a read: cannot run on a reader thread");
    else
        dispatch_apply(&batch, c, reply);
    event_batch_free(&none);
}

void
dispatch_request(batch_t *batch, const char *peer, const char *peer_key,
                 const uint8_t *const *frames, const size_t *sizes, size_t count,
                 msgpack_sbuffer *reply)
{
    dispatch_checked_t c;
    if (dispatch_check(batch->store, NULL, peer, peer_key, frames, sizes, count, &c)) {
        s_refuse(batch, reply, NULL, "", "", NMIRF_E_INTERNAL, "out of memory");
        return;
    }
    dispatch_apply(batch, &c, reply);
    dispatch_checked_free(&c);
}
