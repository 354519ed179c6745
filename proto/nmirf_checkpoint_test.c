/*  nmirf_checkpoint_test - the checkpoint codec against its golden
    vectors, and round trips.

    Usage: codec_checkpoint proto/vectors/checkpoint.json

    For every `checkpoint` case: the signed bytes and the record are
    exactly the vector's, the signature is the vector's (Ed25519 is
    deterministic), the record decodes to the case's values and verifies
    with the seed's public key, and stops verifying when any of seq, head,
    ts or sig changes. Every `checkpoint_refused` case is refused by the
    decoder with a reason. Prints "file:line: case: what" per failed
    check, one summary line at the end.
*/
#include "nmirf_checkpoint.h"
#include "unit.h"
#include "vectors/vectors_hex.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True if the buffer holds exactly len bytes equal to want. */
static bool
s_same(const void *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    return want && got_len == want_len && memcmp(got, want, want_len) == 0;
}

static void
s_good(const json_t *c, const uint8_t *pk, const uint8_t *sk)
{
    size_t head_len = 0, signed_len = 0, sig_len = 0, len = 0;
    uint8_t *head = vectors_unhex(json_object_get(c, "head"), &head_len);
    uint8_t *signed_part = vectors_unhex(json_object_get(c, "signed_hex"), &signed_len);
    uint8_t *sig = vectors_unhex(json_object_get(c, "signature"), &sig_len);
    uint8_t *bytes = vectors_unhex(json_object_get(c, "hex"), &len);
    uint64_t seq = (uint64_t)json_integer_value(json_object_get(c, "seq"));
    uint64_t ts = (uint64_t)json_integer_value(json_object_get(c, "ts"));
    CHECK(head && head_len == NMIRF_HASH_LEN && signed_part && sig &&
              sig_len == NMIRF_SIG_LEN && bytes,
          "the case is incomplete");
    if (!head || head_len != NMIRF_HASH_LEN || !sig || sig_len != NMIRF_SIG_LEN ||
        !bytes || !signed_part)
        goto done;

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_checkpoint_pack_signed(&sb, seq, head, ts);
    CHECK(s_same(sb.data, sb.size, signed_part, signed_len),
          "signed bytes differ from the vector");
    nmirf_checkpoint_encode(&sb, seq, head, ts, sk);
    CHECK(s_same(sb.data, sb.size, bytes, len), "encoding differs from the vector");

    nmirf_checkpoint_t cp;
    char why[128] = "";
    CHECK(nmirf_checkpoint_decode(bytes, len, &cp, why, sizeof why) == 0, "refused: %s",
          why);
    CHECK(cp.seq == seq && cp.ts == ts && memcmp(cp.head, head, NMIRF_HASH_LEN) == 0 &&
              memcmp(cp.sig, sig, NMIRF_SIG_LEN) == 0,
          "decoded values differ from the case's");
    CHECK(nmirf_checkpoint_verify(&cp, pk), "does not verify with the seed's key");

    msgpack_sbuffer_clear(&sb);
    nmirf_checkpoint_pack(&cp, &sb);
    CHECK(s_same(sb.data, sb.size, bytes, len), "pack of the decoded is not the vector");
    msgpack_sbuffer_destroy(&sb);

    /* Any change in what is signed, or in the signature, fails. */
    nmirf_checkpoint_t bad = cp;
    bad.seq++;
    CHECK(!nmirf_checkpoint_verify(&bad, pk), "verifies with another seq");
    bad = cp;
    bad.ts ^= 1;
    CHECK(!nmirf_checkpoint_verify(&bad, pk), "verifies with another ts");
    for (int i = 0; i < NMIRF_HASH_LEN; i += 7) {
        bad = cp;
        bad.head[i] ^= 0x01;
        CHECK(!nmirf_checkpoint_verify(&bad, pk), "verifies with head byte %d flipped",
              i);
    }
    for (int i = 0; i < NMIRF_SIG_LEN; i += 9) {
        bad = cp;
        bad.sig[i] ^= 0x80;
        CHECK(!nmirf_checkpoint_verify(&bad, pk), "verifies with sig byte %d flipped", i);
    }
    uint8_t other[NMIRF_SIGN_PK_LEN];
    memcpy(other, pk, sizeof other);
    other[0] ^= 1;
    CHECK(!nmirf_checkpoint_verify(&cp, other), "verifies with another key");

    /* Every truncation is refused. */
    for (size_t cut = 0; cut < len; cut++)
        CHECK(nmirf_checkpoint_decode(bytes, cut, &bad, why, sizeof why) != 0,
              "a cut at %zu is taken", cut);
done:
    free(head);
    free(signed_part);
    free(sig);
    free(bytes);
}

static void
s_refused(const json_t *c)
{
    size_t len = 0;
    uint8_t *bytes = vectors_unhex(json_object_get(c, "hex"), &len);
    CHECK(bytes != NULL, "no hex");
    nmirf_checkpoint_t cp;
    char why[128] = "";
    if (bytes) {
        CHECK(nmirf_checkpoint_decode(bytes, len, &cp, why, sizeof why) != 0, "taken");
        CHECK(why[0] != 0, "refused without a reason");
    }
    free(bytes);
}

int
main(int argc, char **argv)
{
    if (argc != 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: codec_checkpoint proto/vectors/checkpoint.json\n");
        return 2;
    }
    json_error_t err;
    json_t *root = json_load_file(argv[1], 0, &err);
    if (!root) {
        fprintf(stderr, "%s:%d: cannot load vectors: %s\n", argv[1], err.line, err.text);
        return 1;
    }
    unit_case = "vectors";
    CHECK(json_integer_value(json_object_get(root, "protocol")) == NMIRF_PROTOCOL_VERSION,
          "vectors are for another protocol version");
    size_t seed_len = 0, pk_len = 0;
    uint8_t *seed = vectors_unhex(json_object_get(root, "seed"), &seed_len);
    uint8_t *want_pk = vectors_unhex(json_object_get(root, "sign_public"), &pk_len);
    uint8_t pk[NMIRF_SIGN_PK_LEN], sk[NMIRF_SIGN_SK_LEN];
    CHECK(seed && seed_len == 32 && want_pk && pk_len == sizeof pk, "no seed or key");
    if (seed && seed_len == 32)
        crypto_sign_seed_keypair(pk, sk, seed);
    CHECK(want_pk && memcmp(pk, want_pk, sizeof pk) == 0, "the seed gives another key");

    int good = 0, refused = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        unit_case = json_string_value(json_object_get(c, "name"));
        const char *kind = json_string_value(json_object_get(c, "kind"));
        if (kind && strcmp(kind, "checkpoint") == 0) {
            s_good(c, pk, sk);
            good++;
        } else if (kind && strcmp(kind, "checkpoint_refused") == 0) {
            s_refused(c);
            refused++;
        } else
            CHECK(0, "unknown kind '%s'", kind ? kind : "(none)");
    }
    unit_case = "vectors";
    CHECK(good >= 2 && refused >= 5, "%d good and %d refused cases", good, refused);

    /* Round trips beyond the vectors: the largest values. */
    unit_case = "round trip";
    uint8_t head[NMIRF_HASH_LEN];
    memset(head, 0xff, sizeof head);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_checkpoint_encode(&sb, UINT64_MAX, head, UINT64_MAX, sk);
    nmirf_checkpoint_t cp;
    char why[128] = "";
    CHECK(nmirf_checkpoint_decode((const uint8_t *)sb.data, sb.size, &cp, why,
                                  sizeof why) == 0 &&
              cp.seq == UINT64_MAX && cp.ts == UINT64_MAX &&
              nmirf_checkpoint_verify(&cp, pk),
          "UINT64_MAX does not round-trip: %s", why);
    msgpack_sbuffer_destroy(&sb);

    free(seed);
    free(want_pk);
    json_decref(root);
    return unit_done("codec_checkpoint");
}
