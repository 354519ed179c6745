/*  ops_broker - `broker.promote`: a standby becomes the primary
    (docs/REPLICATION.md, "Roles, promotion and fencing"; PROTOCOL.md
    section 6).

    The one write a standby takes. In the batch's transaction it raises
    the store's epoch and appends `broker.promoted {epoch, broker}`, the
    new epoch and this broker's signing key: the event that tells every
    replica and every audit that the checkpoints from here on are signed
    by that key, itself signed by the coordinator's request. The role
    follows the store (role.h): from this commit the broker takes writes.

    Automatic failover (role.h) promotes through the same operation: the
    broker signs `broker.promote {auto: true}` itself, as the standby
    entity it follows with (ops_broker_auto_request), and runs it ahead of
    the write that asked for it. Its event says `auto: true`; an audit
    accepts the key it names because its request is signed by an entity
    of role standby the coordinator enrolled (common/audit).
*/
#include "body.h"
#include "nmirf_mp.h"
#include "ops.h"
#include "role.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

int
op_broker_promote(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"epoch", "auto", NULL};
    const msgpack_object *body = &ctx->env->body;
    uint64_t want = 0;
    bool present;
    if (body_only(ctx, body, allowed, "body") ||
        body_uint(ctx, body, "epoch", false, &want, &present))
        return -1;
    /* auto: the standby's own promotion, signed with the standby entity's
       key (the only write of that role: dispatch refuses any other, and
       every request of it from outside). */
    const msgpack_object *autop = nmirf_mp_get(body, "auto");
    if (autop && (autop->type != MSGPACK_OBJECT_BOOLEAN || !autop->via.boolean))
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "field 'auto' is true or absent");
    if (autop && !op_role_is(ctx, "standby"))
        return op_refuse(ctx, NMIRF_E_FORBIDDEN,
                         "an automatic promotion is the standby's own (role standby); "
                         "%s has role %s",
                         ctx->env->author, ctx->role);
    if (!autop && op_need_coordinator(ctx))
        return -1;
    role_t *role = ctx->stats ? ctx->stats->role : NULL;
    uint64_t epoch = store_epoch(ctx->store, ctx->txn);
    if (!role || !role_standby(role, epoch))
        return op_refuse(ctx, NMIRF_E_CONFLICT,
                         "this broker is a primary (epoch %llu): only a standby is "
                         "promoted",
                         (unsigned long long)epoch);
    /* Above every epoch this broker knows of, its own and any a client
       has seen elsewhere: two brokers never share an epoch. */
    uint64_t next = epoch;
    if (role_heard(role) > next)
        next = role_heard(role);
    next++;
    if (present && want < next)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST,
                         "field 'epoch' is %llu: a promotion's epoch is above %llu, the "
                         "highest this broker knows of",
                         (unsigned long long)want, (unsigned long long)(next - 1));
    if (present)
        next = want;
    int rc = store_set_epoch(ctx->store, ctx->txn, next);
    if (rc)
        return op_store_error(ctx, rc, "storing the epoch");
    /* The event's data is the reply's body too: an audit rebuilds the
       stored reply from the event (common/audit). */
    msgpack_pack_map(&ctx->pk, autop ? 3 : 2);
    nmirf_mp_pack_kv_uint(&ctx->pk, "epoch", next);
    nmirf_mp_pack_str(&ctx->pk, "broker");
    nmirf_mp_pack_bin(&ctx->pk, role_sign_pk(role), 32);
    if (autop) {
        nmirf_mp_pack_str(&ctx->pk, "auto");
        msgpack_pack_true(&ctx->pk);
    }
    char subject[24];
    snprintf(subject, sizeof subject, "%llu", (unsigned long long)next);
    return op_emit(ctx, "broker.promoted", subject, NULL, 0, ctx->reply->data,
                   ctx->reply->size);
}

int
ops_broker_auto_request(const nmirf_key_t *key, uint64_t now, uint8_t **env,
                        size_t *env_len, uint8_t sig[NMIRF_SIG_LEN])
{
    /* {auto: true}, packed by hand: fixmap of 1, fixstr "auto", true. */
    static const uint8_t body[] = {0x81, 0xa4, 'a', 'u', 't', 'o', 0xc3};
    uint8_t id[NMIRF_ID_LEN];
    randombytes_buf(id, sizeof id);
    return nmirf_request_encode("broker.promote", id, key->entity, now, body, sizeof body,
                                key->sign_sk, env, env_len, sig);
}
