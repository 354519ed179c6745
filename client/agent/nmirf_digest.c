/*  nmirf_digest - BLAKE2b-256 over a whole state (see nmirf_digest.h). */
#include "nmirf_digest.h"

#include "nmirf_mp.h"
#include "nmirf_util.h"

const char *const nmirf_digest_sections[NMIRF_DIGEST_RECORD_SECTIONS] = {
    "entities", "recs", "assignments", "reports", "measures"};

/* Hashes v as 8 big-endian bytes. */
static void
s_u64(nmirf_digest_t *d, uint64_t v)
{
    uint8_t b[8];
    nmirf_be64_encode(v, b);
    crypto_generichash_update(&d->st, b, sizeof b);
}

void
nmirf_digest_init(nmirf_digest_t *d)
{
    crypto_generichash_init(&d->st, NULL, 0, NMIRF_HASH_LEN);
}

void
nmirf_digest_section(nmirf_digest_t *d, uint64_t count)
{
    s_u64(d, count);
}

void
nmirf_digest_record(nmirf_digest_t *d, const void *data, size_t len)
{
    s_u64(d, len);
    crypto_generichash_update(&d->st, data, len);
}

void
nmirf_digest_status(nmirf_digest_t *d, const void *rec, size_t rec_len,
                    const void *status, size_t status_len)
{
    nmirf_digest_record(d, rec, rec_len);
    nmirf_digest_record(d, status, status_len);
}

void
nmirf_digest_final(nmirf_digest_t *d, uint8_t out[NMIRF_HASH_LEN])
{
    crypto_generichash_final(&d->st, out, NMIRF_HASH_LEN);
}

int
nmirf_digest_snapshot(const msgpack_object *body, uint8_t out[NMIRF_HASH_LEN])
{
    nmirf_digest_t d;
    msgpack_sbuffer buf;
    msgpack_packer pk;
    nmirf_digest_init(&d);
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    int rc = 0;
    for (size_t s = 0; !rc && s < NMIRF_DIGEST_RECORD_SECTIONS; s++) {
        const msgpack_object *arr = nmirf_mp_get(body, nmirf_digest_sections[s]);
        if (!arr || arr->type != MSGPACK_OBJECT_ARRAY) {
            rc = -1;
            break;
        }
        nmirf_digest_section(&d, arr->via.array.size);
        for (uint32_t i = 0; i < arr->via.array.size; i++) {
            msgpack_sbuffer_clear(&buf);
            nmirf_mp_pack_object(&pk, &arr->via.array.ptr[i]);
            nmirf_digest_record(&d, buf.data, buf.size);
        }
    }
    msgpack_sbuffer_destroy(&buf);
    const msgpack_object *status = nmirf_mp_get(body, "status");
    if (!status || status->type != MSGPACK_OBJECT_MAP)
        rc = -1;
    if (!rc)
        nmirf_digest_section(&d, status->via.map.size);
    for (uint32_t i = 0; !rc && i < status->via.map.size; i++) {
        const msgpack_object *k = &status->via.map.ptr[i].key,
                             *v = &status->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR || v->type != MSGPACK_OBJECT_STR)
            rc = -1;
        else
            nmirf_digest_status(&d, k->via.str.ptr, k->via.str.size, v->via.str.ptr,
                                v->via.str.size);
    }
    nmirf_digest_final(&d, out);
    return rc;
}
