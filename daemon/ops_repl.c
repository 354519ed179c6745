/*  ops_repl - repl.copy and repl.follow, the replication stream's two
    operations (PROTOCOL.md section 11, docs/REPLICATION.md "The
    stream"), for an entity of role `standby` only. */
#include "body.h"
#include "nmirf_mp.h"
#include "ops.h"
#include "repl_sender.h"
#include "role.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Refuses unless the author is a standby and this broker takes writes
   (a primary, promoted or not, and not fenced): a standby's store is its
   primary's, and a standby of it would follow the wrong log (not_primary
   names the broker to follow instead). Returns 0, or -1 with the refusal
   set. */
static int
s_need_standby(op_ctx_t *ctx, repl_sender_t **sender)
{
    if (!op_role_is(ctx, "standby"))
        return op_refuse(ctx, NMIRF_E_FORBIDDEN,
                         "%s is for an entity of role standby only", ctx->env->op);
    char primary[ROLE_ENDPOINT_MAX], why[256];
    if (ctx->stats && !role_may_write(ctx->stats->role, store_epoch(ctx->store, ctx->txn),
                                      primary, sizeof primary, why, sizeof why))
        return op_refuse(ctx, NMIRF_E_NOT_PRIMARY, "%s", why);
    *sender = repl_sender_global();
    if (!*sender)
        return op_refuse(ctx, NMIRF_E_CONFLICT,
                         "this broker sends no replication stream (its changelog "
                         "goes to a file: NMIRFD_TEST_CHANGELOG)");
    return 0;
}

int
op_repl_copy(op_ctx_t *ctx)
{
    static const char *const allowed[] = {NULL};
    repl_sender_t *sender;
    if (s_need_standby(ctx, &sender) || body_only(ctx, &ctx->env->body, allowed, "body"))
        return -1;
    /* The copy takes the write lock (store_copy_fd_at): from the writer's
       own transaction it would wait for itself. */
    if (!ctx->reader)
        return op_refuse(ctx, NMIRF_E_CONFLICT,
                         "repl.copy needs a reader thread (readers > 0)");
    FILE *f = tmpfile();
    if (!f)
        return op_refuse(ctx, NMIRF_E_STORAGE, "cannot make a temporary file: %s",
                         strerror(errno));
    uint64_t seq, n;
    uint8_t head[NMIRF_HASH_LEN];
    char why[256];
    if (repl_sender_copy(sender, fileno(f), &seq, head, &n, why, sizeof why)) {
        fclose(f);
        return op_refuse(ctx, NMIRF_E_STORAGE, "%s", why);
    }
    long size = (long)lseek(fileno(f), 0, SEEK_END);
    if (size < 0 || (unsigned long)size > REPL_COPY_MAX) {
        fclose(f);
        return op_refuse(ctx, NMIRF_E_TOO_LARGE,
                         "the store's copy (%ld bytes) is over the %u MiB one reply "
                         "may carry: copy it by hand (docs/OPERATIONS.md)",
                         size, REPL_COPY_MAX >> 20);
    }
    uint8_t *buf = malloc(size ? (size_t)size : 1);
    if (!buf || pread(fileno(f), buf, (size_t)size, 0) != size) {
        free(buf);
        fclose(f);
        return op_refuse(ctx, NMIRF_E_STORAGE, "cannot read the store's copy back");
    }
    fclose(f);
    uint8_t ring[REPL_RING_ID_LEN];
    repl_sender_ring_id(sender, ring);
    msgpack_pack_map(&ctx->pk, 5);
    nmirf_mp_pack_kv_uint(&ctx->pk, "seq", seq);
    nmirf_mp_pack_str(&ctx->pk, "head");
    nmirf_mp_pack_bin(&ctx->pk, head, sizeof head);
    nmirf_mp_pack_str(&ctx->pk, "ring");
    nmirf_mp_pack_bin(&ctx->pk, ring, sizeof ring);
    nmirf_mp_pack_kv_uint(&ctx->pk, "n", n);
    nmirf_mp_pack_str(&ctx->pk, "store");
    nmirf_mp_pack_bin(&ctx->pk, buf, (size_t)size);
    free(buf);
    return 0;
}

int
op_repl_follow(op_ctx_t *ctx)
{
    static const char *const allowed[] = {"ring", "n", NULL};
    const msgpack_object *body = &ctx->env->body;
    const uint8_t *ring;
    uint64_t n;
    bool present;
    repl_sender_t *sender;
    if (s_need_standby(ctx, &sender) || body_only(ctx, body, allowed, "body") ||
        body_bin(ctx, body, "ring", REPL_RING_ID_LEN, &ring) ||
        body_uint(ctx, body, "n", true, &n, &present))
        return -1;
    if (!ring)
        return op_refuse(ctx, NMIRF_E_BAD_REQUEST, "ring is required");
    char why[256];
    if (repl_sender_check_position(sender, ring, n, why, sizeof why))
        return op_refuse(ctx, NMIRF_E_NOT_FOUND, "%s", why);
    /* The following begins as this reply goes out (broker.c,
       repl_sender_on_reply): every record after n is pushed. */
    msgpack_pack_map(&ctx->pk, 1);
    nmirf_mp_pack_kv_uint(&ctx->pk, "n", n);
    return 0;
}
