/*  nmirf_digest - BLAKE2b-256 over a whole state (see nmirf_digest.h). */
#include "nmirf_digest.h"

#include "nmirf_mp.h"

const char *const nmirf_digest_sections[4] = {"entities", "recs", "assignments",
                                              "reports"};

/* Hashes v as 8 big-endian bytes. */
static void
s_u64(nmirf_digest_t *d, uint64_t v)
{
    uint8_t b[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
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
    for (size_t s = 0; s < 4; s++) {
        const msgpack_object *arr = nmirf_mp_get(body, nmirf_digest_sections[s]);
        if (!arr || arr->type != MSGPACK_OBJECT_ARRAY) {
            msgpack_sbuffer_destroy(&buf);
            return -1;
        }
        nmirf_digest_section(&d, arr->via.array.size);
        for (uint32_t i = 0; i < arr->via.array.size; i++) {
            msgpack_sbuffer_clear(&buf);
            nmirf_mp_pack_object(&pk, &arr->via.array.ptr[i]);
            nmirf_digest_record(&d, buf.data, buf.size);
        }
    }
    msgpack_sbuffer_destroy(&buf);
    nmirf_digest_final(&d, out);
    return 0;
}
