/*  dispatch - one request, from its frames to its reply. */
#include "dispatch.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "ops.h"
#include "records.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* Checks the stored request under env->id: 0 if new, 1 if the same bytes
   came before (the stored reply is appended to reply), -1 on a refusal
   (why set). */
static int
s_replayed(batch_t *batch, const nmirf_envelope_t *env, const uint8_t *req_hash,
           msgpack_zone *zone, msgpack_sbuffer *reply, nmirf_code_t *code, char *why,
           size_t whylen)
{
    msgpack_object stored;
    int rc = store_get(batch->store, batch->txn, DB_REQUESTS, env->id, NMIRF_ID_LEN, zone,
                       &stored);
    if (rc == MDB_NOTFOUND)
        return 0;
    const msgpack_object *hash = nmirf_mp_get(&stored, "hash");
    const msgpack_object *prior = nmirf_mp_get(&stored, "reply");
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

/* Keeps a committed write's bytes and reply under its request id, for
   replays and for the audit trail. */
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
    int rc = store_put(batch->store, txn, DB_REQUESTS, env->id, NMIRF_ID_LEN, rec.data,
                       rec.size);
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
            mdb_txn_abort(child);
        if (!rc) {
            batch->writes++;
            log_debug("%s by %s applied", env->op, env->author);
            return;
        }
        msgpack_sbuffer_clear(reply);
        op_store_error(ctx, rc, "committing a request");
    } else if (child)
        mdb_txn_abort(child);
    /* Refused: nothing of it stays, events included. */
    event_batch_truncate(batch->events, events_before);
    s_refuse(batch, reply, env->id, env->author, env->op, ctx->code, ctx->why);
}

void
dispatch_request(batch_t *batch, const char *peer, const uint8_t *const *frames,
                 const size_t *sizes, size_t count, msgpack_sbuffer *reply)
{
    char why[512];
    nmirf_envelope_t env;
    bool has_id = false;
    memset(&env, 0, sizeof env);
    if (count != 2 || sizes[0] == 0 || sizes[1] == 0) {
        snprintf(why, sizeof why,
                 count == 2 ? "a request frame is empty"
                            : "a request is 2 frames (envelope, signature), not %zu",
                 count);
        s_refuse(batch, reply, NULL, "", "", NMIRF_E_BAD_FRAME, why);
        return;
    }
    msgpack_zone *zone = msgpack_zone_new(8192);
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    const uint8_t *id = NULL;
    nmirf_code_t code =
        nmirf_envelope_decode(frames[0], sizes[0], zone, &env, &has_id, why, sizeof why);
    if (has_id)
        id = env.id;
    if (code != NMIRF_OK)
        goto refuse;
    if (sizes[1] != NMIRF_SIG_LEN) {
        code = NMIRF_E_BAD_ENVELOPE;
        snprintf(why, sizeof why, "signature frame is %zu bytes, not %d", sizes[1],
                 NMIRF_SIG_LEN);
        goto refuse;
    }
    /* The transport said who is on the other end (ZAP's User-Id): a peer
       may only speak for itself, so a stolen signing key is useless without
       the same entity's CURVE key, and one entity cannot replay another's
       signed bytes. No peer (no CURVE session) is refused the same way:
       fail closed. */
    if (!peer || strcmp(peer, env.author) != 0) {
        code = NMIRF_E_AUTHOR_MISMATCH;
        snprintf(why, sizeof why, "connection is authenticated as '%s', not as '%s'",
                 peer ? peer : "nobody", env.author);
        goto refuse;
    }
    /* The author, then the signature, before anything reads the body. */
    msgpack_object author;
    strv_t aid = {env.author, strlen(env.author)};
    int rc =
        store_get(batch->store, batch->txn, DB_ENTITIES, aid.p, aid.n, zone, &author);
    if (rc) {
        code = rc == MDB_NOTFOUND ? NMIRF_E_UNKNOWN_AUTHOR : NMIRF_E_INTERNAL;
        snprintf(why, sizeof why, "'%s' is not an enrolled entity", env.author);
        goto refuse;
    }
    const msgpack_object *pk = nmirf_mp_get(&author, "sign_key");
    strv_t state = record_field(&author, "state"), role = record_field(&author, "role");
    if (!state.p || state.n != 6 || memcmp(state.p, "active", 6) != 0) {
        code = NMIRF_E_REVOKED;
        snprintf(why, sizeof why, "entity '%s' has been revoked", env.author);
        goto refuse;
    }
    if (!pk || pk->type != MSGPACK_OBJECT_BIN || pk->via.bin.size != NMIRF_SIGN_PK_LEN ||
        !nmirf_signature_ok(frames[0], sizes[0], frames[1],
                            (const uint8_t *)pk->via.bin.ptr)) {
        code = NMIRF_E_BAD_SIGNATURE;
        snprintf(why, sizeof why, "signature does not verify with %s's key", env.author);
        goto refuse;
    }
    uint8_t req_hash[NMIRF_HASH_LEN];
    nmirf_hash2(req_hash, frames[0], sizes[0], frames[1], sizes[1]);
    int replay = s_replayed(batch, &env, req_hash, zone, reply, &code, why, sizeof why);
    if (replay < 0)
        goto refuse;
    if (replay > 0) {
        log_debug("%s from %s is a replay; sent the first reply", env.op, env.author);
        goto done;
    }
    const op_def_t *op = ops_find(env.op);
    if (!op) {
        code = NMIRF_E_UNKNOWN_OP;
        snprintf(why, sizeof why, "unknown operation '%s'", env.op);
        goto refuse;
    }
    op_ctx_t ctx = {
        .store = batch->store,
        .env = &env,
        .role = op_strdup(&(op_ctx_t){.zone = zone}, role),
        .req_hash = req_hash,
        .now = batch->now,
        .zone = zone,
        .reply = &body,
        .events = batch->events,
        .stats = batch->stats,
    };
    msgpack_packer_init(&ctx.pk, &body, msgpack_sbuffer_write);
    if (!ctx.role)
        ctx.role = "";
    s_run(batch, op, &ctx, frames[0], sizes[0], frames[1], reply);
    goto done;
refuse:
    s_refuse(batch, reply, id, env.author, env.op, code, why);
done:
    msgpack_sbuffer_destroy(&body);
    msgpack_zone_free(zone);
}
