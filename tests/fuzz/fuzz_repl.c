/*  fuzz_repl - nmirf_repl_decode() on any bytes: what a standby does with
    each commit record its primary's stream hands it (daemon/standby_apply.c).
*/
#include "nmirf_repl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_repl: %s\n", what);
    abort();
}

/* Packs rec's fields again (sig nil) into out. */
static void
s_repack(const nmirf_repl_record_t *rec, msgpack_sbuffer *out)
{
    msgpack_sbuffer changes;
    msgpack_sbuffer_init(&changes);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &changes, msgpack_sbuffer_write);
    for (size_t i = 0; i < rec->count; i++) {
        const nmirf_repl_change_t *c = &rec->changes[i];
        nmirf_repl_pack_change(&pk, c->op, c->db, c->key, c->klen, c->val, c->vlen);
    }
    nmirf_repl_encode(out, rec->epoch, rec->from_seq, rec->to_seq, rec->head,
                      rec->checkpoint, rec->checkpoint_len, changes.data, changes.size,
                      rec->count, NULL);
    msgpack_sbuffer_destroy(&changes);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t pk[NMIRF_SIGN_PK_LEN]; /* a key that signed nothing */
    char why[256] = "";
    nmirf_repl_record_t rec;
    if (nmirf_repl_decode(data, size, &rec, why, sizeof why)) {
        if (!why[0])
            s_broken("refused without a reason");
        if (rec.changes || rec.count)
            s_broken("a refusal left changes");
        return 0;
    }
    if (rec.epoch == 0 || rec.from_seq == 0 || rec.to_seq + 1 < rec.from_seq)
        s_broken("a seq range or epoch out of bounds taken");
    if (rec.sig && (rec.signed_len + NMIRF_REPL_SIG_TAIL != size ||
                    rec.sig != data + size - NMIRF_SIG_LEN))
        s_broken("the signed bytes are not the record's but its sig");
    for (size_t i = 0; i < rec.count; i++) {
        const nmirf_repl_change_t *c = &rec.changes[i];
        if (c->db >= NMIRF_REPL_DBS || c->op >= NMIRF_REPL_OPS ||
            c->klen > NMIRF_REPL_KEY_MAX ||
            (c->op == NMIRF_REPL_DROP) != (c->klen == 0) ||
            (c->val != NULL) != (c->op == NMIRF_REPL_PUT || c->op == NMIRF_REPL_DEL_DUP))
            s_broken("a change out of bounds taken");
        if (c->key < data || c->key + c->klen > data + size ||
            (c->val && (c->val < data || c->val + c->vlen > data + size)))
            s_broken("a change points outside the input");
    }
    /* Packed again it decodes to the same fields. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    s_repack(&rec, &sb);
    nmirf_repl_record_t again;
    if (nmirf_repl_decode((const uint8_t *)sb.data, sb.size, &again, why, sizeof why))
        s_broken("the packed form of a decoded record is refused");
    if (again.epoch != rec.epoch || again.from_seq != rec.from_seq ||
        again.to_seq != rec.to_seq || memcmp(again.head, rec.head, sizeof rec.head) ||
        again.count != rec.count || again.checkpoint_len != rec.checkpoint_len ||
        (again.checkpoint == NULL) != (rec.checkpoint == NULL) || again.sig)
        s_broken("the packed form decodes to other values");
    for (size_t i = 0; i < rec.count; i++) {
        const nmirf_repl_change_t *a = &rec.changes[i], *b = &again.changes[i];
        if (a->op != b->op || a->db != b->db || a->klen != b->klen ||
            a->vlen != b->vlen || memcmp(a->key, b->key, a->klen) ||
            (a->val && memcmp(a->val, b->val, a->vlen)))
            s_broken("a change packs to another");
    }
    nmirf_repl_record_free(&again);
    msgpack_sbuffer_destroy(&sb);
    /* No input is signed by a key that signed nothing. */
    if (nmirf_repl_verify(&rec, data, pk))
        s_broken("verifies with the zero key");
    nmirf_repl_record_free(&rec);
    return 0;
}
