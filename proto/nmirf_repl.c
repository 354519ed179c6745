/*  nmirf_repl - the commit record. */
#include "nmirf_repl.h"
#include "nmirf_mp.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
nmirf_repl_pack_change(msgpack_packer *pk, nmirf_repl_op_t op, unsigned db,
                       const void *key, size_t klen, const void *val, size_t vlen)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_unsigned_int(pk, (unsigned)op);
    msgpack_pack_unsigned_int(pk, db);
    /* "" for an empty one: msgpack-c copies with memcpy, never from NULL. */
    nmirf_mp_pack_bin(pk, klen ? key : "", klen);
    if (op == NMIRF_REPL_PUT || op == NMIRF_REPL_DEL_DUP)
        nmirf_mp_pack_bin(pk, vlen ? val : "", vlen);
    else
        msgpack_pack_nil(pk);
}

void
nmirf_repl_encode(msgpack_sbuffer *out, uint64_t epoch, uint64_t from_seq,
                  uint64_t to_seq, const uint8_t head[NMIRF_HASH_LEN],
                  const uint8_t *checkpoint, size_t checkpoint_len, const void *changes,
                  size_t len, size_t count, const uint8_t *sk)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    size_t start = out->size;
    msgpack_pack_map(&pk, 7);
    nmirf_mp_pack_kv_uint(&pk, "epoch", epoch);
    nmirf_mp_pack_kv_uint(&pk, "from_seq", from_seq);
    nmirf_mp_pack_kv_uint(&pk, "to_seq", to_seq);
    nmirf_mp_pack_str(&pk, "head");
    nmirf_mp_pack_bin(&pk, head, NMIRF_HASH_LEN);
    nmirf_mp_pack_str(&pk, "checkpoint");
    if (checkpoint)
        nmirf_mp_pack_bin(&pk, checkpoint, checkpoint_len);
    else
        msgpack_pack_nil(&pk);
    nmirf_mp_pack_str(&pk, "changes");
    msgpack_pack_array(&pk, (uint32_t)count);
    if (len)
        msgpack_sbuffer_write(out, changes, len);
    nmirf_mp_pack_str(&pk, "sig");
    if (!sk) {
        msgpack_pack_nil(&pk);
        return;
    }
    static const uint8_t zero[NMIRF_SIG_LEN];
    nmirf_mp_pack_bin(&pk, zero, sizeof zero);
    nmirf_repl_resign((uint8_t *)out->data + start, out->size - start, sk);
}

/* True if buf[0..len) ends with the key "sig" and a bin 64. */
static bool
s_sig_tail(const uint8_t *buf, size_t len)
{
    static const uint8_t tail[6] = {0xa3, 's', 'i', 'g', 0xc4, NMIRF_SIG_LEN};
    return len > NMIRF_REPL_SIG_TAIL &&
           memcmp(buf + len - NMIRF_REPL_SIG_TAIL, tail, sizeof tail) == 0;
}

int
nmirf_repl_resign(uint8_t *buf, size_t len, const uint8_t *sk)
{
    if (!s_sig_tail(buf, len))
        return -1;
    uint8_t hash[NMIRF_HASH_LEN];
    nmirf_hash2(hash, buf, len - NMIRF_REPL_SIG_TAIL, NULL, 0);
    crypto_sign_detached(buf + len - NMIRF_SIG_LEN, NULL, hash, sizeof hash, sk);
    return 0;
}

bool
nmirf_repl_verify(const nmirf_repl_record_t *rec, const uint8_t *buf,
                  const uint8_t pk[NMIRF_SIGN_PK_LEN])
{
    if (!rec->sig)
        return false;
    uint8_t hash[NMIRF_HASH_LEN];
    nmirf_hash2(hash, buf, rec->signed_len, NULL, 0);
    return nmirf_signature_ok(hash, sizeof hash, rec->sig, pk);
}

/* Reads change i of the array into c. Returns 0, or -1 with why. */
static int
s_change(const msgpack_object *o, size_t i, nmirf_repl_change_t *c, char *why,
         size_t whylen)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4) {
        snprintf(why, whylen, "change %zu is not [op, db, key, val]", i);
        return -1;
    }
    const msgpack_object *a = o->via.array.ptr;
    if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 >= NMIRF_REPL_OPS) {
        snprintf(why, whylen, "change %zu: op is not 0 to %d", i, NMIRF_REPL_OPS - 1);
        return -1;
    }
    if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[1].via.u64 >= NMIRF_REPL_DBS) {
        snprintf(why, whylen, "change %zu: db is not 0 to %d", i, NMIRF_REPL_DBS - 1);
        return -1;
    }
    c->op = (nmirf_repl_op_t)a[0].via.u64;
    c->db = (unsigned)a[1].via.u64;
    if (a[2].type != MSGPACK_OBJECT_BIN) {
        snprintf(why, whylen, "change %zu: key is not bin", i);
        return -1;
    }
    c->key = (const uint8_t *)a[2].via.bin.ptr;
    c->klen = a[2].via.bin.size;
    if (c->op == NMIRF_REPL_DROP ? c->klen != 0
                                 : c->klen == 0 || c->klen > NMIRF_REPL_KEY_MAX) {
        snprintf(why, whylen, "change %zu: a key of %zu bytes (%s)", i, c->klen,
                 c->op == NMIRF_REPL_DROP ? "a drop has none"
                                          : "1 to 511 bytes, LMDB's largest key");
        return -1;
    }
    bool has_val = c->op == NMIRF_REPL_PUT || c->op == NMIRF_REPL_DEL_DUP;
    if (has_val ? a[3].type != MSGPACK_OBJECT_BIN : a[3].type != MSGPACK_OBJECT_NIL) {
        snprintf(why, whylen, "change %zu: val is not %s", i, has_val ? "bin" : "nil");
        return -1;
    }
    c->val = has_val ? (const uint8_t *)a[3].via.bin.ptr : NULL;
    c->vlen = has_val ? a[3].via.bin.size : 0;
    if (c->op == NMIRF_REPL_DEL_DUP && (c->vlen == 0 || c->vlen > NMIRF_REPL_KEY_MAX)) {
        snprintf(why, whylen,
                 "change %zu: a dupsort value of %zu bytes (1 to 511, as a key)", i,
                 c->vlen);
        return -1;
    }
    return 0;
}

/* Reads the record's map into rec. Returns 0, or -1 with why. */
static int
s_record(const msgpack_object *obj, const uint8_t *buf, size_t len,
         nmirf_repl_record_t *rec, char *why, size_t whylen)
{
    static const char *const names[7] = {"epoch",      "from_seq", "to_seq", "head",
                                         "checkpoint", "changes",  "sig"};
    if (obj->type != MSGPACK_OBJECT_MAP || obj->via.map.size != 7) {
        snprintf(why, whylen,
                 "not a commit record {epoch, from_seq, to_seq, head, "
                 "checkpoint, changes, sig}");
        return -1;
    }
    const msgpack_object *f[7] = {NULL};
    for (uint32_t i = 0; i < 7; i++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr[i];
        int which = -1;
        for (int j = 0; j < 7 && which < 0; j++)
            if (nmirf_mp_str_is(&kv->key, names[j]))
                which = j;
        if (which < 0 || f[which]) {
            snprintf(why, whylen, "commit record: an unknown or repeated key");
            return -1;
        }
        f[which] = &kv->val;
    }
    for (int j = 0; j < 3; j++)
        if (f[j]->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
            snprintf(why, whylen, "commit record: %s is not an unsigned integer",
                     names[j]);
            return -1;
        }
    rec->epoch = f[0]->via.u64;
    rec->from_seq = f[1]->via.u64;
    rec->to_seq = f[2]->via.u64;
    if (rec->epoch == 0 || rec->from_seq == 0 || rec->to_seq < rec->from_seq - 1) {
        snprintf(why, whylen,
                 "commit record: epoch %llu, events %llu to %llu (epoch and from_seq "
                 "from 1, to_seq from from_seq - 1)",
                 (unsigned long long)rec->epoch, (unsigned long long)rec->from_seq,
                 (unsigned long long)rec->to_seq);
        return -1;
    }
    if (f[3]->type != MSGPACK_OBJECT_BIN || f[3]->via.bin.size != NMIRF_HASH_LEN) {
        snprintf(why, whylen, "commit record: head is not bin 32");
        return -1;
    }
    memcpy(rec->head, f[3]->via.bin.ptr, NMIRF_HASH_LEN);
    if (f[4]->type == MSGPACK_OBJECT_BIN && f[4]->via.bin.size > 0 &&
        f[4]->via.bin.size <= NMIRF_REPL_CHECKPOINT_MAX) {
        rec->checkpoint = (const uint8_t *)f[4]->via.bin.ptr;
        rec->checkpoint_len = f[4]->via.bin.size;
    } else if (f[4]->type != MSGPACK_OBJECT_NIL) {
        snprintf(why, whylen, "commit record: checkpoint is not nil or bin 1 to %d",
                 NMIRF_REPL_CHECKPOINT_MAX);
        return -1;
    }
    if (f[6]->type == MSGPACK_OBJECT_BIN) {
        /* Where the signed bytes end is read off the bytes, so the sig
           must be the last key in its one form. */
        if (f[6]->via.bin.size != NMIRF_SIG_LEN || !s_sig_tail(buf, len) ||
            (const uint8_t *)f[6]->via.bin.ptr != buf + len - NMIRF_SIG_LEN) {
            snprintf(why, whylen,
                     "commit record: sig is not a bin 64 under the last key");
            return -1;
        }
        rec->sig = (const uint8_t *)f[6]->via.bin.ptr;
        rec->signed_len = len - NMIRF_REPL_SIG_TAIL;
    } else if (f[6]->type != MSGPACK_OBJECT_NIL) {
        snprintf(why, whylen, "commit record: sig is not nil or bin 64");
        return -1;
    }
    if (f[5]->type != MSGPACK_OBJECT_ARRAY ||
        f[5]->via.array.size > NMIRF_REPL_CHANGES_MAX) {
        snprintf(why, whylen, "commit record: changes is not an array of at most %d",
                 NMIRF_REPL_CHANGES_MAX);
        return -1;
    }
    rec->count = f[5]->via.array.size;
    rec->changes = calloc(rec->count ? rec->count : 1, sizeof *rec->changes);
    if (!rec->changes) {
        snprintf(why, whylen, "commit record: out of memory for %zu changes", rec->count);
        return -1;
    }
    for (size_t i = 0; i < rec->count; i++)
        if (s_change(&f[5]->via.array.ptr[i], i, &rec->changes[i], why, whylen))
            return -1;
    return 0;
}

int
nmirf_repl_decode(const uint8_t *buf, size_t len, nmirf_repl_record_t *rec, char *why,
                  size_t whylen)
{
    memset(rec, 0, sizeof *rec);
    msgpack_zone zone;
    msgpack_object obj;
    msgpack_zone_init(&zone, 4096);
    int rc = -1;
    char what[200] = "";
    if (nmirf_mp_unpack(buf, len, &zone, &obj, what, sizeof what) != NMIRF_OK)
        snprintf(why, whylen, "commit record: %s", what);
    else
        rc = s_record(&obj, buf, len, rec, why, whylen);
    /* The changes point into buf, never into the zone (bin objects are
       references into the unpacked bytes). */
    msgpack_zone_destroy(&zone);
    if (rc)
        nmirf_repl_record_free(rec);
    return rc;
}

void
nmirf_repl_record_free(nmirf_repl_record_t *rec)
{
    if (!rec)
        return;
    free(rec->changes);
    rec->changes = NULL;
    rec->count = 0;
}
