/*  nmirf_checkpoint - the broker's signed checkpoint. */
#include "nmirf_checkpoint.h"
#include "nmirf_mp.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void
nmirf_checkpoint_pack_signed(msgpack_sbuffer *out, uint64_t seq,
                             const uint8_t head[NMIRF_HASH_LEN], uint64_t ts)
{
    msgpack_sbuffer_clear(out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_uint(&pk, "seq", seq);
    nmirf_mp_pack_str(&pk, "head");
    nmirf_mp_pack_bin(&pk, head, NMIRF_HASH_LEN);
    nmirf_mp_pack_kv_uint(&pk, "ts", ts);
}

void
nmirf_checkpoint_pack(const nmirf_checkpoint_t *cp, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_kv_uint(&pk, "seq", cp->seq);
    nmirf_mp_pack_str(&pk, "head");
    nmirf_mp_pack_bin(&pk, cp->head, NMIRF_HASH_LEN);
    nmirf_mp_pack_kv_uint(&pk, "ts", cp->ts);
    nmirf_mp_pack_str(&pk, "sig");
    nmirf_mp_pack_bin(&pk, cp->sig, NMIRF_SIG_LEN);
}

void
nmirf_checkpoint_encode(msgpack_sbuffer *out, uint64_t seq,
                        const uint8_t head[NMIRF_HASH_LEN], uint64_t ts,
                        const uint8_t sk[NMIRF_SIGN_SK_LEN])
{
    nmirf_checkpoint_t cp = {.seq = seq, .ts = ts};
    memcpy(cp.head, head, NMIRF_HASH_LEN);
    nmirf_checkpoint_pack_signed(out, seq, head, ts);
    crypto_sign_detached(cp.sig, NULL, (const uint8_t *)out->data, out->size, sk);
    msgpack_sbuffer_clear(out);
    nmirf_checkpoint_pack(&cp, out);
}

int
nmirf_checkpoint_from_obj(const msgpack_object *obj, nmirf_checkpoint_t *cp)
{
    if (obj->type != MSGPACK_OBJECT_MAP || obj->via.map.size != 4)
        return -1;
    const msgpack_object *seq = nmirf_mp_get(obj, "seq");
    const msgpack_object *head = nmirf_mp_get(obj, "head");
    const msgpack_object *ts = nmirf_mp_get(obj, "ts");
    const msgpack_object *sig = nmirf_mp_get(obj, "sig");
    if (!seq || seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !ts ||
        ts->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !head ||
        head->type != MSGPACK_OBJECT_BIN || head->via.bin.size != NMIRF_HASH_LEN ||
        !sig || sig->type != MSGPACK_OBJECT_BIN || sig->via.bin.size != NMIRF_SIG_LEN)
        return -1;
    cp->seq = seq->via.u64;
    cp->ts = ts->via.u64;
    memcpy(cp->head, head->via.bin.ptr, NMIRF_HASH_LEN);
    memcpy(cp->sig, sig->via.bin.ptr, NMIRF_SIG_LEN);
    return 0;
}

int
nmirf_checkpoint_decode(const uint8_t *buf, size_t len, nmirf_checkpoint_t *cp, char *why,
                        size_t whylen)
{
    msgpack_zone zone;
    msgpack_object obj;
    msgpack_zone_init(&zone, 256);
    int rc = -1;
    if (nmirf_mp_unpack(buf, len, &zone, &obj, why, whylen) != NMIRF_OK)
        goto done;
    if (nmirf_checkpoint_from_obj(&obj, cp)) {
        snprintf(why, whylen,
                 "not a checkpoint {seq: uint, head: bin 32, ts: uint, sig: bin 64}");
        goto done;
    }
    rc = 0;
done:
    msgpack_zone_destroy(&zone);
    return rc;
}

bool
nmirf_checkpoint_verify(const nmirf_checkpoint_t *cp, const uint8_t pk[NMIRF_SIGN_PK_LEN])
{
    msgpack_sbuffer signed_part;
    msgpack_sbuffer_init(&signed_part);
    nmirf_checkpoint_pack_signed(&signed_part, cp->seq, cp->head, cp->ts);
    bool ok = nmirf_signature_ok((const uint8_t *)signed_part.data, signed_part.size,
                                 cp->sig, pk);
    msgpack_sbuffer_destroy(&signed_part);
    return ok;
}
