/*  nmirf_wire_test - the codec against the golden vectors, and round trips.

    Usage: codec_wire proto/vectors/vectors.json

    For every case in the vectors file (proto/vectors/README.md): encoding
    the stated fields gives exactly the stated bytes, decoding the bytes
    gives the fields, refusals give the stated code, and request signatures
    verify with the key made from the stated seed and fail with any bit
    flipped. Then round trips and refusals that need no vectors. Prints
    "file:line: case: what" per failed check, one summary line at the end.
*/
#include "nmirf_mp.h"
#include "unit.h"
#include "nmirf_wire.h"
#include "vectors/vectors_hex.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t s_pk[NMIRF_SIGN_PK_LEN]; /* public key of the vectors' seed */
static uint8_t s_sk[NMIRF_SIGN_SK_LEN]; /* its secret key */
static json_t *unit_cases;              /* the vectors' case array */

/* Like vectors_unhex for a field that must be exactly len bytes; false if not. */
static bool
s_unhex_n(const json_t *j, uint8_t *out, size_t len)
{
    size_t n;
    uint8_t *b = vectors_unhex(j, &n);
    bool ok = b && n == len;
    if (ok)
        memcpy(out, b, len);
    free(b);
    return ok;
}

static bool
s_same(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* True if a msgpack object equals the vectors' JSON form of it (bin is
   {"$bin": hex}). */
static bool
s_mp_is_json(const msgpack_object *o, const json_t *j)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_is_null(j);
    case MSGPACK_OBJECT_BOOLEAN:
        return json_is_boolean(j) && json_is_true(j) == o->via.boolean;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return json_is_integer(j) && json_integer_value(j) >= 0 &&
               (uint64_t)json_integer_value(j) == o->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_is_integer(j) && json_integer_value(j) == o->via.i64;
    case MSGPACK_OBJECT_STR:
        return json_is_string(j) && s_same(json_string_value(j), json_string_length(j),
                                           o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN: {
        size_t n;
        uint8_t *b = vectors_unhex(json_object_get(j, "$bin"), &n);
        bool ok = json_is_object(j) && json_object_size(j) == 1 && b &&
                  s_same(b, n, o->via.bin.ptr, o->via.bin.size);
        free(b);
        return ok;
    }
    case MSGPACK_OBJECT_ARRAY:
        if (!json_is_array(j) || json_array_size(j) != o->via.array.size)
            return false;
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (!s_mp_is_json(&o->via.array.ptr[i], json_array_get(j, i)))
                return false;
        return true;
    case MSGPACK_OBJECT_MAP:
        if (!json_is_object(j) || json_object_size(j) != o->via.map.size)
            return false;
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type != MSGPACK_OBJECT_STR)
                return false;
            char *key = strndup(k->via.str.ptr, k->via.str.size);
            const json_t *v = json_object_get(j, key);
            free(key);
            if (!v || !s_mp_is_json(&o->via.map.ptr[i].val, v))
                return false;
        }
        return true;
    default:
        return false;
    }
}

/* True if obj packs back to exactly the bytes hex holds. */
static bool
s_packs_to(const msgpack_object *obj, const json_t *hex)
{
    size_t n;
    uint8_t *want = vectors_unhex(hex, &n);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    nmirf_mp_pack_object(&pk, obj);
    bool ok = want && s_same(sb.data, sb.size, want, n);
    msgpack_sbuffer_destroy(&sb);
    free(want);
    return ok;
}

static const char *
s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static uint64_t
s_uint(const json_t *obj, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(obj, key));
}

static const json_t *
s_find(const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(unit_cases, i,
                       c) if (strcmp(s_str(c, "name"), name) == 0) return c;
    return NULL;
}

static void
s_check_request(const json_t *c)
{
    const json_t *f = json_object_get(c, "fields");
    size_t len, blen;
    uint8_t *bytes = vectors_unhex(json_object_get(c, "hex"), &len);
    uint8_t *body = vectors_unhex(json_object_get(f, "body_hex"), &blen);
    uint8_t sig[NMIRF_SIG_LEN], id[NMIRF_ID_LEN];
    CHECK(bytes && body, "hex or body_hex missing");
    CHECK(s_unhex_n(json_object_get(c, "signature"), sig, sizeof sig),
          "signature is not 64 bytes of hex");
    CHECK(s_unhex_n(json_object_get(f, "id"), id, sizeof id), "id is not 16 bytes");
    if (!bytes || !body)
        goto done;

    /* Encoding the fields gives the bytes and the signature. */
    uint8_t *env = NULL, sig2[NMIRF_SIG_LEN];
    size_t env_len = 0;
    int rc = nmirf_request_encode(s_str(f, "op"), id, s_str(f, "author"), s_uint(f, "ts"),
                                  body, blen, s_sk, &env, &env_len, sig2);
    CHECK(rc == 0, "nmirf_request_encode failed");
    CHECK(rc == 0 && s_same(env, env_len, bytes, len),
          "encoding differs from the vector");
    CHECK(rc == 0 && memcmp(sig2, sig, sizeof sig) == 0,
          "signature differs from the vector");
    free(env);
    if (blen == 1 && body[0] == 0x80) {
        /* An empty body may also be given as NULL. */
        rc = nmirf_request_encode(s_str(f, "op"), id, s_str(f, "author"), s_uint(f, "ts"),
                                  NULL, 0, s_sk, &env, &env_len, sig2);
        CHECK(rc == 0 && s_same(env, env_len, bytes, len),
              "NULL body does not encode as {}");
        free(env);
    }

    /* Decoding gives the fields. */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    nmirf_envelope_t e;
    bool has_id = false;
    char why[256] = "";
    nmirf_code_t code =
        nmirf_envelope_decode(bytes, len, &zone, &e, &has_id, why, sizeof why);
    CHECK(code == NMIRF_OK, "decode gives %s: %s", nmirf_code_name(code), why);
    if (code == NMIRF_OK) {
        CHECK(has_id && memcmp(e.id, id, sizeof id) == 0, "decoded id differs");
        CHECK(e.version == s_uint(f, "v"), "decoded v differs");
        CHECK(strcmp(e.op, s_str(f, "op")) == 0, "decoded op '%s' differs", e.op);
        CHECK(strcmp(e.author, s_str(f, "author")) == 0, "decoded author differs");
        CHECK(e.ts == s_uint(f, "ts"), "decoded ts differs");
        CHECK(s_mp_is_json(&e.body, json_object_get(f, "body")),
              "decoded body differs from fields.body");
        CHECK(s_packs_to(&e.body, json_object_get(f, "body_hex")),
              "decoded body does not pack to body_hex");
    }
    msgpack_zone_destroy(&zone);

    /* The signature verifies, and fails with any bit flipped in the
       signature or in the envelope, or with another key. */
    CHECK(nmirf_signature_ok(bytes, len, sig, s_pk), "signature does not verify");
    int accepted = 0;
    for (size_t bit = 0; bit < 8 * sizeof sig; bit++) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        accepted += nmirf_signature_ok(bytes, len, sig, s_pk);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK(accepted == 0, "%d one-bit changes of the signature verify", accepted);
    accepted = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t bit = (uint8_t)(1u << (i % 8));
        bytes[i] ^= bit;
        accepted += nmirf_signature_ok(bytes, len, sig, s_pk);
        bytes[i] ^= bit;
    }
    CHECK(accepted == 0, "%d one-bit changes of the envelope verify", accepted);
    uint8_t other_pk[NMIRF_SIGN_PK_LEN], other_sk[NMIRF_SIGN_SK_LEN], seed[32] = {1};
    crypto_sign_seed_keypair(other_pk, other_sk, seed);
    CHECK(!nmirf_signature_ok(bytes, len, sig, other_pk), "verifies with another key");
done:
    free(bytes);
    free(body);
}

static void
s_check_reply(const json_t *c)
{
    const json_t *f = json_object_get(c, "fields");
    size_t len, blen = 0;
    uint8_t *bytes = vectors_unhex(json_object_get(c, "hex"), &len);
    const json_t *jid = json_object_get(f, "id");
    uint8_t id[NMIRF_ID_LEN];
    bool with_id = !json_is_null(jid);
    CHECK(!with_id || s_unhex_n(jid, id, sizeof id), "id is neither null nor 16 bytes");
    uint8_t *body = NULL;
    if (!json_is_null(json_object_get(f, "body_hex")))
        body = vectors_unhex(json_object_get(f, "body_hex"), &blen);
    nmirf_code_t code = nmirf_code_from_name(s_str(f, "code"));
    CHECK(bytes, "hex missing");
    CHECK(code != NMIRF_CODE_COUNT, "unknown code '%s'", s_str(f, "code"));
    if (!bytes)
        goto done;

    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    nmirf_reply_encode(&out, with_id ? id : NULL, code, s_str(f, "message"),
                       s_uint(f, "seq"), body, blen);
    CHECK(s_same(out.data, out.size, bytes, len), "encoding differs from the vector");
    msgpack_sbuffer_destroy(&out);

    char why[256] = "";
    nmirf_reply_t *r = nmirf_reply_decode(bytes, len, why, sizeof why);
    CHECK(r, "decode fails: %s", why);
    if (r) {
        CHECK(r->has_id == with_id, "decoded has_id differs");
        CHECK(!with_id || memcmp(r->id, id, sizeof id) == 0, "decoded id differs");
        CHECK(r->ok == json_is_true(json_object_get(f, "ok")), "decoded ok differs");
        CHECK(r->code == code, "decoded code differs");
        CHECK(strcmp(r->code_name, s_str(f, "code")) == 0, "decoded code name differs");
        CHECK(strcmp(r->message, s_str(f, "message")) == 0, "decoded message differs");
        CHECK(r->seq == s_uint(f, "seq"), "decoded seq differs");
        CHECK(s_mp_is_json(&r->body, json_object_get(f, "body")),
              "decoded body differs from fields.body");
        CHECK(!body || s_packs_to(&r->body, json_object_get(f, "body_hex")),
              "decoded body does not pack to body_hex");
        nmirf_reply_destroy(&r);
        CHECK(r == NULL, "destroy does not clear the pointer");
    }
done:
    free(bytes);
    free(body);
}

static void
s_check_event(const json_t *c)
{
    const json_t *f = json_object_get(c, "fields");
    size_t len, dlen;
    uint8_t *bytes = vectors_unhex(json_object_get(c, "hex"), &len);
    uint8_t *data = vectors_unhex(json_object_get(f, "data_hex"), &dlen);
    uint8_t req[NMIRF_ID_LEN], req_hash[NMIRF_HASH_LEN], prev[NMIRF_HASH_LEN];
    uint8_t hash[NMIRF_HASH_LEN], h[NMIRF_HASH_LEN];
    bool with_req = !json_is_null(json_object_get(f, "req"));
    CHECK(bytes && data, "hex or data_hex missing");
    CHECK(!with_req ||
              (s_unhex_n(json_object_get(f, "req"), req, sizeof req) &&
               s_unhex_n(json_object_get(f, "req_hash"), req_hash, sizeof req_hash)),
          "req/req_hash are not 16/32 bytes");
    CHECK(s_unhex_n(json_object_get(f, "prev"), prev, sizeof prev), "prev not 32 bytes");
    CHECK(s_unhex_n(json_object_get(c, "hash"), hash, sizeof hash), "hash not 32 bytes");
    if (!bytes || !data)
        goto done;

    const json_t *jents = json_object_get(f, "entities");
    size_t n = json_array_size(jents);
    const char **ents = calloc(n + 1, sizeof *ents);
    for (size_t i = 0; i < n; i++)
        ents[i] = json_string_value(json_array_get(jents, i));
    nmirf_event_fields_t ev = {.seq = s_uint(f, "seq"),
                               .ts = s_uint(f, "ts"),
                               .kind = s_str(f, "kind"),
                               .subject = s_str(f, "subject"),
                               .entities = ents,
                               .entity_count = n,
                               .author = s_str(f, "author"),
                               .req = with_req ? req : NULL,
                               .req_hash = with_req ? req_hash : NULL,
                               .prev = prev,
                               .data = data,
                               .data_len = dlen};
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    nmirf_event_encode(&out, &ev);
    CHECK(s_same(out.data, out.size, bytes, len), "encoding differs from the vector");
    msgpack_sbuffer_destroy(&out);
    nmirf_hash2(h, bytes, len, NULL, 0);
    CHECK(memcmp(h, hash, sizeof h) == 0, "BLAKE2b-256 of the bytes differs from hash");

    char why[256] = "";
    nmirf_event_t *e = nmirf_event_decode(bytes, len, why, sizeof why);
    CHECK(e, "decode fails: %s", why);
    if (e) {
        CHECK(e->seq == ev.seq && e->ts == ev.ts, "decoded seq/ts differ");
        CHECK(strcmp(e->kind, ev.kind) == 0, "decoded kind differs");
        CHECK(strcmp(e->subject, ev.subject) == 0, "decoded subject differs");
        CHECK(strcmp(e->author, ev.author) == 0, "decoded author differs");
        CHECK(s_mp_is_json(&e->entities, jents), "decoded entities differ");
        for (size_t i = 0; i < n; i++)
            CHECK(nmirf_event_concerns(e, ents[i]), "does not concern %s", ents[i]);
        CHECK(!nmirf_event_concerns(e, "NOBODY"), "concerns NOBODY");
        CHECK(e->has_req == with_req, "decoded has_req differs");
        CHECK(!with_req || (memcmp(e->req, req, sizeof req) == 0 &&
                            memcmp(e->req_hash, req_hash, sizeof req_hash) == 0),
              "decoded req/req_hash differ");
        CHECK(memcmp(e->prev, prev, sizeof prev) == 0, "decoded prev differs");
        CHECK(s_mp_is_json(&e->data, json_object_get(f, "data")),
              "decoded data differs from fields.data");
        CHECK(s_packs_to(&e->data, json_object_get(f, "data_hex")),
              "decoded data does not pack to data_hex");
        CHECK(e->len == len && memcmp(e->bytes, bytes, len) == 0,
              "decoded bytes are not the frame");
        nmirf_event_destroy(&e);
    }
    free(ents);

    /* The chain: prev is the hash of the named earlier event (or zeros),
       req_hash is BLAKE2b-256(envelope || signature) of the named request. */
    const json_t *pj = json_object_get(c, "prev_is_hash_of");
    if (json_is_string(pj)) {
        const json_t *p = s_find(json_string_value(pj));
        CHECK(p && s_unhex_n(json_object_get(p, "hash"), h, sizeof h) &&
                  memcmp(h, prev, sizeof h) == 0,
              "prev is not the hash of %s", json_string_value(pj));
    } else {
        uint8_t zero[NMIRF_HASH_LEN] = {0};
        CHECK(memcmp(prev, zero, sizeof zero) == 0, "first event's prev is not zeros");
    }
    const json_t *rj = json_object_get(c, "req_hash_of");
    if (json_is_string(rj)) {
        const json_t *r = s_find(json_string_value(rj));
        size_t elen = 0, slen = 0;
        uint8_t *renv = r ? vectors_unhex(json_object_get(r, "hex"), &elen) : NULL;
        uint8_t *rsig = r ? vectors_unhex(json_object_get(r, "signature"), &slen) : NULL;
        uint8_t rid[NMIRF_ID_LEN];
        CHECK(renv && rsig, "no request %s", json_string_value(rj));
        if (renv && rsig) {
            nmirf_hash2(h, renv, elen, rsig, slen);
            CHECK(with_req && memcmp(h, req_hash, sizeof h) == 0,
                  "req_hash is not the hash of %s", json_string_value(rj));
            CHECK(s_unhex_n(json_object_get(json_object_get(r, "fields"), "id"), rid,
                            sizeof rid) &&
                      memcmp(rid, req, sizeof rid) == 0,
                  "req is not the id of %s", json_string_value(rj));
        }
        free(renv);
        free(rsig);
    }
done:
    free(bytes);
    free(data);
}

/* Envelope cases, valid or not: the decoder's code and has_id. */
static void
s_check_envelope(const json_t *c)
{
    size_t len = 0;
    uint8_t *bytes = NULL;
    const json_t *gen = json_object_get(c, "generate");
    if (gen) {
        size_t plen = 0;
        uint8_t *prefix = vectors_unhex(json_object_get(gen, "prefix_hex"), &plen);
        uint8_t fill = 0;
        CHECK(prefix && s_unhex_n(json_object_get(gen, "fill"), &fill, 1),
              "generate lacks prefix_hex or fill");
        len = s_uint(gen, "size");
        if (prefix && len >= plen) {
            bytes = malloc(len);
            memcpy(bytes, prefix, plen);
            memset(bytes + plen, fill, len - plen);
        }
        free(prefix);
    } else {
        bytes = vectors_unhex(json_object_get(c, "hex"), &len);
    }
    CHECK(bytes, "no bytes");
    if (!bytes)
        return;
    nmirf_code_t want = nmirf_code_from_name(s_str(c, "expect"));
    CHECK(want != NMIRF_CODE_COUNT, "unknown expected code");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    nmirf_envelope_t e;
    bool has_id = !json_is_true(json_object_get(c, "has_id"));
    char why[256] = "";
    nmirf_code_t code =
        nmirf_envelope_decode(bytes, len, &zone, &e, &has_id, why, sizeof why);
    CHECK(code == want, "decodes as %s (%s), expected %s", nmirf_code_name(code), why,
          nmirf_code_name(want));
    CHECK(has_id == json_is_true(json_object_get(c, "has_id")), "has_id is %d",
          (int)has_id);
    CHECK(code == NMIRF_OK || why[0], "refusal gives no reason");
    msgpack_zone_destroy(&zone);
    free(bytes);
}

static void
s_check_msgpack(const json_t *c)
{
    size_t len;
    uint8_t *bytes = vectors_unhex(json_object_get(c, "hex"), &len);
    CHECK(bytes, "no bytes");
    if (!bytes)
        return;
    nmirf_code_t want = nmirf_code_from_name(s_str(c, "expect"));
    char why[256] = "";
    nmirf_code_t code = nmirf_mp_check(bytes, len, why, sizeof why);
    CHECK(code == want, "checks as %s (%s), expected %s", nmirf_code_name(code), why,
          nmirf_code_name(want));
    CHECK(code == NMIRF_OK || why[0], "refusal gives no reason");
    if (want == NMIRF_OK) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        msgpack_object obj;
        code = nmirf_mp_unpack(bytes, len, &zone, &obj, why, sizeof why);
        CHECK(code == NMIRF_OK, "checks but does not unpack: %s", why);
        msgpack_zone_destroy(&zone);
    }
    free(bytes);
}

static void
s_vectors(const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        fprintf(stderr, "%s:%d: cannot load vectors: %s\n", path, err.line, err.text);
        unit_failures++;
        return;
    }
    uint8_t seed[32];
    CHECK(s_unhex_n(json_object_get(root, "seed"), seed, sizeof seed), "no seed");
    crypto_sign_seed_keypair(s_pk, s_sk, seed);
    uint8_t pk[NMIRF_SIGN_PK_LEN];
    CHECK(s_unhex_n(json_object_get(root, "sign_public"), pk, sizeof pk) &&
              memcmp(pk, s_pk, sizeof pk) == 0,
          "sign_public is not the seed's public key");
    CHECK(json_integer_value(json_object_get(root, "protocol")) == NMIRF_PROTOCOL_VERSION,
          "vectors are for another protocol version");
    unit_cases = json_object_get(root, "cases");
    int count[6] = {0};
    static const char *const kinds[] = {"request",          "reply",    "event",
                                        "invalid-envelope", "envelope", "msgpack-check"};
    size_t i;
    json_t *c;
    json_array_foreach(unit_cases, i, c)
    {
        unit_case = s_str(c, "name");
        const char *kind = s_str(c, "kind");
        int k = 0;
        while (k < 6 && strcmp(kind, kinds[k]) != 0)
            k++;
        CHECK(k < 6, "unknown kind '%s'", kind);
        count[k < 6 ? k : 0]++;
        if (k == 0)
            s_check_request(c);
        else if (k == 1)
            s_check_reply(c);
        else if (k == 2)
            s_check_event(c);
        else if (k == 3 || k == 4)
            s_check_envelope(c);
        else if (k == 5)
            s_check_msgpack(c);
    }
    unit_case = path;
    CHECK(count[0] >= 3 && count[1] >= 2 && count[2] >= 2 && count[3] >= 10 &&
              count[5] >= 10,
          "too few cases: %d requests, %d replies, %d events, %d invalid envelopes, %d "
          "msgpack checks",
          count[0], count[1], count[2], count[3], count[5]);
    json_decref(root);
    unit_cases = NULL;
}

/* Known answers of BLAKE2b-256 (RFC 7693 parameters, 32-byte output). */
static void
s_hash(void)
{
    unit_case = "hash2";
    static const uint8_t empty[] = {0x0e, 0x57, 0x51, 0xc0, 0x26, 0xe5, 0x43, 0xb2,
                                    0xe8, 0xab, 0x2e, 0xb0, 0x60, 0x99, 0xda, 0xa1,
                                    0xd1, 0xe5, 0xdf, 0x47, 0x77, 0x8f, 0x77, 0x87,
                                    0xfa, 0xab, 0x45, 0xcd, 0xf1, 0x2f, 0xe3, 0xa8};
    static const uint8_t abc[] = {0xbd, 0xdd, 0x81, 0x3c, 0x63, 0x42, 0x39, 0x72,
                                  0x31, 0x71, 0xef, 0x3f, 0xee, 0x98, 0x57, 0x9b,
                                  0x94, 0x96, 0x4e, 0x3b, 0xb1, 0xcb, 0x3e, 0x42,
                                  0x72, 0x62, 0xc8, 0xc0, 0x68, 0xd5, 0x23, 0x19};
    uint8_t h[NMIRF_HASH_LEN], h2[NMIRF_HASH_LEN];
    nmirf_hash2(h, (const uint8_t *)"", 0, NULL, 0);
    CHECK(memcmp(h, empty, sizeof h) == 0, "BLAKE2b-256(\"\") is wrong");
    nmirf_hash2(h, (const uint8_t *)"abc", 3, NULL, 0);
    CHECK(memcmp(h, abc, sizeof h) == 0, "BLAKE2b-256(\"abc\") is wrong");
    nmirf_hash2(h2, (const uint8_t *)"a", 1, (const uint8_t *)"bc", 2);
    CHECK(memcmp(h, h2, sizeof h) == 0, "hash2(a, bc) != hash2(abc)");
    nmirf_hash2(h2, (const uint8_t *)"abc", 3, (const uint8_t *)"", 0);
    CHECK(memcmp(h, h2, sizeof h) == 0, "hash2(abc, empty) != hash2(abc)");
}

static void
s_codes(void)
{
    unit_case = "codes";
    for (int i = 0; i < NMIRF_CODE_COUNT; i++) {
        const char *name = nmirf_code_name((nmirf_code_t)i);
        CHECK(name && nmirf_code_from_name(name) == (nmirf_code_t)i,
              "code %d does not round-trip", i);
    }
    CHECK(strcmp(nmirf_code_name(NMIRF_OK), "ok") == 0, "ok");
    CHECK(strcmp(nmirf_code_name(NMIRF_E_FORBIDDEN), "forbidden") == 0, "forbidden");
    CHECK(strcmp(nmirf_code_name(NMIRF_CODE_COUNT), "internal") == 0,
          "out of range is not internal");
    CHECK(nmirf_code_from_name("no_such_code") == NMIRF_CODE_COUNT, "unknown name");
}

/* Encodes then decodes an envelope built by hand from packed pieces. */
static nmirf_code_t
s_decode_packed(const msgpack_sbuffer *sb, bool *has_id)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    nmirf_envelope_t e;
    char why[256];
    nmirf_code_t rc = nmirf_envelope_decode((const uint8_t *)sb->data, sb->size, &zone,
                                            &e, has_id, why, sizeof why);
    msgpack_zone_destroy(&zone);
    return rc;
}

static void
s_requests(void)
{
    unit_case = "request";
    uint8_t id[NMIRF_ID_LEN] = {9}, sig[NMIRF_SIG_LEN], *env = NULL;
    size_t len;
    CHECK(nmirf_request_encode("0123456789012345678901234567890123", id, "A", 1, NULL, 0,
                               s_sk, &env, &len, sig) == -1,
          "op of 34 bytes accepted");
    CHECK(nmirf_request_encode("ping", id, "ABCDEFGHIJKLMNOPQ", 1, NULL, 0, s_sk, &env,
                               &len, sig) == -1,
          "author of 17 bytes accepted");
    CHECK(nmirf_request_encode("01234567890123456789012345678901", id, "ABCDEFGHIJKLMNOP",
                               UINT64_MAX, NULL, 0, s_sk, &env, &len, sig) == 0,
          "op of 32 and author of 16 bytes refused");
    if (env) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        nmirf_envelope_t e;
        bool has_id;
        nmirf_code_t rc = nmirf_envelope_decode(env, len, &zone, &e, &has_id, NULL, 0);
        CHECK(rc == NMIRF_OK, "longest op/author do not decode: %s", nmirf_code_name(rc));
        CHECK(rc != NMIRF_OK ||
                  (strlen(e.op) == 32 && strlen(e.author) == 16 && e.ts == UINT64_MAX &&
                   e.body.type == MSGPACK_OBJECT_MAP && e.body.via.map.size == 0),
              "longest op/author decode wrong");
        CHECK(nmirf_signature_ok(env, len, sig, s_pk), "signature does not verify");
        msgpack_zone_destroy(&zone);
        free(env);
    }

    /* Hand-made envelopes: each of the refusals the vectors do not cover. */
    struct {
        const char *what;  /* the case */
        const char *hex;   /* msgpack, as a hex literal */
        nmirf_code_t want; /* expected code */
    } bad[] = {
        /* {"v":1,"v":1,...}: a repeated key */
        {"repeated v",
         "87a17601a17601a26f70a470696e67a26964c410000102030405060708090a0b0c0d"
         "0e0fa6617574686f72a141a27473"
         "01a4626f647980",
         NMIRF_E_BAD_ENVELOPE},
        {"v as str",
         "86a176a131a26f70a470696e67a26964c410000102030405060708090a0b0c0d0e0f"
         "a6617574686f72a141a2747301a4626f647980",
         NMIRF_E_BAD_ENVELOPE},
        {"v negative",
         "86a176ffa26f70a470696e67a26964c410000102030405060708090a0b0c0d0e0f"
         "a6617574686f72a141a2747301a4626f647980",
         NMIRF_E_BAD_ENVELOPE},
        {"body an array",
         "86a17601a26f70a470696e67a26964c410000102030405060708090a0b0c0d"
         "0e0fa6617574686f72a141a2747301a4626f647990",
         NMIRF_E_BAD_ENVELOPE},
        {"empty op",
         "86a17601a26f70a0a26964c410000102030405060708090a0b0c0d0e0fa661757468"
         "6f72a141a2747301a4626f647980",
         NMIRF_E_BAD_ENVELOPE},
        {"id as str",
         "86a17601a26f70a470696e67a26964b030303030303030303030303030303030"
         "a6617574686f72a141a2747301a4626f647980",
         NMIRF_E_BAD_ENVELOPE},
        {"int key",
         "8701c0a17601a26f70a470696e67a26964c410000102030405060708090a0b0c0d0e0f"
         "a6617574686f72a141a2747301a4626f647980",
         NMIRF_E_BAD_ENVELOPE},
        {"NUL in op",
         "86a17601a26f70a270"
         "00a26964c410000102030405060708090a0b0c0d0e0f"
         "a6617574686f72a141a2747301a4626f647980",
         NMIRF_E_BAD_ENVELOPE},
        {"v 2^64-1",
         "86a176cfffffffffffffffffa26f70a470696e67a26964c41000010203040506070809"
         "0a0b0c0d0e0fa6617574686f72a141a2747301a4626f647980",
         NMIRF_E_BAD_VERSION},
        {"v 0",
         "86a17600a26f70a470696e67a26964c410000102030405060708090a0b0c0d0e0f"
         "a6617574686f72a141a2747301a4626f647980",
         NMIRF_E_BAD_VERSION},
        {"well formed",
         "86a17601a26f70a470696e67a26964c410000102030405060708090a0b0c0d0e0f"
         "a6617574686f72a141a2747301a4626f647980",
         NMIRF_OK},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_string(bad[i].hex);
        size_t n;
        uint8_t *b = vectors_unhex(j, &n);
        json_decref(j);
        msgpack_sbuffer sb = {.size = n, .data = (char *)b, .alloc = n};
        bool has_id;
        nmirf_code_t rc = b ? s_decode_packed(&sb, &has_id) : NMIRF_CODE_COUNT;
        CHECK(rc == bad[i].want, "%s: gives %s, expected %s", bad[i].what,
              nmirf_code_name(rc), nmirf_code_name(bad[i].want));
        free(b);
    }
}

#define LIT(s) s, sizeof s - 1

/* Decodes a reply in full, or (lazy) with its body left packed and then
   unpacked: both must give the same reply. */
static nmirf_reply_t *
s_decode(bool lazy, const uint8_t *buf, size_t len, char *why, size_t whylen)
{
    if (!lazy)
        return nmirf_reply_decode(buf, len, why, whylen);
    /* The frame kept rather than copied, as the agent's link does: the
       reply frees it, also when it refuses it (the sanitizers see a leak
       or a double free). */
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        return NULL;
    if (len)
        memcpy(frame, buf, len);
    nmirf_reply_t *r = nmirf_reply_decode_lazy(frame, len, frame, free, why, whylen);
    if (r && r->body.type != MSGPACK_OBJECT_NIL)
        CHECK(0, "lazy: body unpacked already");
    if (r && nmirf_reply_unpack_body(r) != 0)
        CHECK(0, "lazy: body does not unpack");
    return r;
}

/* The reply codec, decoding with nmirf_reply_decode or (lazy)
   nmirf_reply_decode_lazy. */
static void
s_replies_with(bool lazy)
{
    unit_case = lazy ? "reply round trip (lazy)" : "reply round trip";
    uint8_t id[NMIRF_ID_LEN];
    for (int i = 0; i < NMIRF_ID_LEN; i++)
        id[i] = (uint8_t)(0xf0 + i);
    for (int code = 0; code < NMIRF_CODE_COUNT; code++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        const uint8_t body[] = {0x81, 0xa1, 'n', 0xcd, 0x12, 0x34};
        nmirf_reply_encode(&sb, code % 2 ? id : NULL, (nmirf_code_t)code,
                           code ? "why not" : NULL, (uint64_t)code << 40,
                           code % 3 ? body : NULL, sizeof body);
        char why[256] = "";
        nmirf_reply_t *r =
            s_decode(lazy, (const uint8_t *)sb.data, sb.size, why, sizeof why);
        CHECK(r, "code %d: %s", code, why);
        if (r && lazy && code % 3)
            CHECK(r->body_len == sizeof body && !memcmp(r->body_raw, body, sizeof body),
                  "code %d: body_raw is the body's bytes", code);
        if (r) {
            CHECK(r->code == (nmirf_code_t)code && r->ok == (code == NMIRF_OK),
                  "code %d decodes as %d", code, r->code);
            CHECK(r->has_id == (code % 2 == 1) && (!r->has_id || !memcmp(r->id, id, 16)),
                  "code %d: id", code);
            CHECK(strcmp(r->message, code ? "why not" : "") == 0, "code %d: message",
                  code);
            CHECK(r->seq == (uint64_t)code << 40, "code %d: seq", code);
            if (code % 3) {
                const msgpack_object *n = nmirf_mp_get(&r->body, "n");
                CHECK(n && n->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                          n->via.u64 == 0x1234,
                      "code %d: body", code);
            } else {
                CHECK(r->body.type == MSGPACK_OBJECT_NIL, "code %d: body not nil", code);
            }
            nmirf_reply_destroy(&r);
            nmirf_reply_destroy(&r); /* twice is safe */
        }
        msgpack_sbuffer_destroy(&sb);
    }

    unit_case = lazy ? "reply refusals (lazy)" : "reply refusals";
    struct {
        const char *what; /* the case */
        const char *mp;   /* bytes */
        size_t len;       /* their size */
    } bad[] = {
        {"not a map", LIT("\x90")},
        {"empty", LIT("")},
        {"no seq", LIT("\x82\xa2ok\xc3\xa4"
                       "code\xa2ok")},
        {"ok not bool", LIT("\x83\xa2ok\x01\xa4"
                            "code\xa2ok\xa3seq\x00")},
        {"trailing byte", LIT("\x83\xa2ok\xc3\xa4"
                              "code\xa2ok\xa3seq\x00\xc0")},
        {"bad utf8", LIT("\x83\xa2ok\xc3\xa4"
                         "code\xa2o\xff\xa3seq\x00")},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[256] = "";
        nmirf_reply_t *r =
            s_decode(lazy, (const uint8_t *)bad[i].mp, bad[i].len, why, sizeof why);
        CHECK(!r && why[0], "%s: accepted or no reason", bad[i].what);
        nmirf_reply_destroy(&r);
    }
    /* The smallest reply: unknown keys ignored, unknown code kept by name. */
    static const char min[] = "\x84\xa2ok\xc2\xa4"
                              "code\xa4zzzz\xa3seq\x07\xa1x\xc0";
    nmirf_reply_t *r = s_decode(lazy, (const uint8_t *)min, sizeof min - 1, NULL, 0);
    CHECK(r && r->code == NMIRF_CODE_COUNT && strcmp(r->code_name, "zzzz") == 0 &&
              r->seq == 7 && !r->has_id && r->message && r->message[0] == 0 &&
              r->body.type == MSGPACK_OBJECT_NIL,
          "minimal reply with unknown code");
    nmirf_reply_destroy(&r);
}

static void
s_replies(void)
{
    s_replies_with(false);
    s_replies_with(true);
}

/* Packs the head every refused event below shares: a map of 7 with seq,
   ts, kind, subject and author, then the key "entities" (its value and
   prev are the caller's). */
static void
s_pack_event_head(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 7);
    nmirf_mp_pack_kv_uint(pk, "seq", 1);
    nmirf_mp_pack_kv_uint(pk, "ts", 1);
    nmirf_mp_pack_kv_str(pk, "kind", "rec.added");
    nmirf_mp_pack_kv_str(pk, "subject", "X");
    nmirf_mp_pack_kv_str(pk, "author", "-");
    nmirf_mp_pack_str(pk, "entities");
}

static void
s_events(void)
{
    unit_case = "event round trip";
    uint8_t prev[NMIRF_HASH_LEN];
    memset(prev, 0xab, sizeof prev);
    nmirf_event_fields_t f = {.seq = 1ULL << 33,
                              .ts = 5,
                              .kind = "report.validated",
                              .subject = "18446744073709551615",
                              .entities = NULL,
                              .entity_count = 0,
                              .author = "-",
                              .prev = prev};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_event_encode(&sb, &f);
    char why[256] = "";
    nmirf_event_t *e =
        nmirf_event_decode((const uint8_t *)sb.data, sb.size, why, sizeof why);
    CHECK(e, "decode: %s", why);
    if (e) {
        CHECK(e->seq == f.seq && e->ts == 5 && strcmp(e->kind, f.kind) == 0 &&
                  strcmp(e->subject, f.subject) == 0 && strcmp(e->author, "-") == 0,
              "fields differ");
        CHECK(!e->has_req, "has_req without req");
        CHECK(e->entities.via.array.size == 0 && !nmirf_event_concerns(e, "-"),
              "entities");
        CHECK(e->data.type == MSGPACK_OBJECT_MAP && e->data.via.map.size == 0,
              "NULL data is not {}");
        CHECK(memcmp(e->prev, prev, sizeof prev) == 0, "prev");
        nmirf_event_destroy(&e);
        nmirf_event_destroy(&e);
    }
    /* Cut anywhere, the event is refused. */
    int accepted = 0;
    for (size_t n = 0; n < sb.size; n++) {
        e = nmirf_event_decode((const uint8_t *)sb.data, n, NULL, 0);
        accepted += e != NULL;
        nmirf_event_destroy(&e);
    }
    CHECK(accepted == 0, "%d truncations accepted", accepted);
    msgpack_sbuffer_destroy(&sb);

    unit_case = "event refusals";
    /* prev of 31 bytes */
    uint8_t *p31 = calloc(1, 64);
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    s_pack_event_head(&pk);
    msgpack_pack_array(&pk, 0);
    nmirf_mp_pack_str(&pk, "prev");
    nmirf_mp_pack_bin(&pk, p31, 31);
    e = nmirf_event_decode((const uint8_t *)sb.data, sb.size, why, sizeof why);
    CHECK(!e, "prev of 31 bytes accepted");
    nmirf_event_destroy(&e);
    /* The same with 32 bytes but no data map. */
    msgpack_sbuffer_clear(&sb);
    s_pack_event_head(&pk);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_uint8(&pk, 1);
    nmirf_mp_pack_str(&pk, "prev");
    nmirf_mp_pack_bin(&pk, p31, 32);
    e = nmirf_event_decode((const uint8_t *)sb.data, sb.size, why, sizeof why);
    CHECK(!e, "entities of ints / no data accepted");
    nmirf_event_destroy(&e);
    free(p31);
    msgpack_sbuffer_destroy(&sb);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s proto/vectors/vectors.json\n", argv[0]);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "%s:%d: sodium_init failed\n", __FILE__, __LINE__);
        return 1;
    }
    /* The vectors' seed, for the checks that do not read the file. */
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    crypto_sign_seed_keypair(s_pk, s_sk, seed);
    s_vectors(argv[1]);
    s_hash();
    s_codes();
    s_requests();
    s_replies();
    s_events();
    return unit_done("codec_wire");
}
