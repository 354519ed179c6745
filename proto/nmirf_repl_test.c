/*  nmirf_repl_test - the commit record's codec: round trips, the
    signature, and every bound of PROTOCOL.md section 11 on both sides of
    its edge.

    Usage: codec_repl

    Prints "file:line: case: what" per failed check, one summary line at
    the end.
*/
#include "nmirf_mp.h"
#include "nmirf_repl.h"
#include "unit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t s_pk[NMIRF_SIGN_PK_LEN], s_sk[NMIRF_SIGN_SK_LEN]; /* the primary's */
static uint8_t s_big[2048];                                      /* key and value bytes */

/* A record's fields, for s_build. */
typedef struct {
    uint64_t epoch, from, to; /* as named */
    size_t head_len;          /* 32 for a good one */
    long cp_len;              /* -1: nil */
    const char *extra;        /* a seventh key instead of "sig", or NULL */
    bool sign;                /* sig a signature (else nil) */
} s_fields_t;

static const s_fields_t s_ok = {1, 5, 6, 32, -1, NULL, true};

/* Packs a record with f's header and the changes in cs (count of them). */
static void
s_build(msgpack_sbuffer *out, const s_fields_t *f, const msgpack_sbuffer *cs,
        size_t count)
{
    msgpack_sbuffer_clear(out);
    if (f->head_len == 32 && !f->extra && f->from && f->epoch) {
        static const uint8_t head[32] = {7};
        nmirf_repl_encode(out, f->epoch, f->from, f->to, head,
                          f->cp_len < 0 ? NULL : s_big,
                          f->cp_len < 0 ? 0 : (size_t)f->cp_len, cs->data, cs->size,
                          count, f->sign ? s_sk : NULL);
        return;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    nmirf_mp_pack_kv_uint(&pk, "epoch", f->epoch);
    nmirf_mp_pack_kv_uint(&pk, "from_seq", f->from);
    nmirf_mp_pack_kv_uint(&pk, "to_seq", f->to);
    nmirf_mp_pack_str(&pk, "head");
    nmirf_mp_pack_bin(&pk, s_big, f->head_len);
    nmirf_mp_pack_str(&pk, "checkpoint");
    msgpack_pack_nil(&pk);
    nmirf_mp_pack_str(&pk, "changes");
    msgpack_pack_array(&pk, (uint32_t)count);
    msgpack_sbuffer_write(out, cs->data ? cs->data : "", cs->size);
    nmirf_mp_pack_str(&pk, f->extra ? f->extra : "sig");
    msgpack_pack_nil(&pk);
}

/* Decodes out: want NULL means accepted, else refused with why holding
   want. */
static void
s_expect(const msgpack_sbuffer *out, const char *want, const char *what)
{
    nmirf_repl_record_t rec;
    char why[256] = "";
    int rc =
        nmirf_repl_decode((const uint8_t *)out->data, out->size, &rec, why, sizeof why);
    if (!want)
        CHECK(rc == 0, "%s: refused: %s", what, why);
    else
        CHECK(rc != 0 && strstr(why, want), "%s: %s, want a refusal with '%s'", what,
              rc ? why : "accepted", want);
    nmirf_repl_record_free(&rec);
}

/* One change [op, db, key klen, val vlen or nil] alone in a record. */
static void
s_one(int op, unsigned db, size_t klen, long vlen, const char *want, const char *what)
{
    msgpack_sbuffer cs, out;
    msgpack_sbuffer_init(&cs);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &cs, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_unsigned_int(&pk, (unsigned)op);
    msgpack_pack_unsigned_int(&pk, db);
    nmirf_mp_pack_bin(&pk, s_big, klen);
    if (vlen < 0)
        msgpack_pack_nil(&pk);
    else
        nmirf_mp_pack_bin(&pk, s_big, (size_t)vlen);
    s_build(&out, &s_ok, &cs, 1);
    s_expect(&out, want, what);
    msgpack_sbuffer_destroy(&cs);
    msgpack_sbuffer_destroy(&out);
}

static void
s_test_round_trip(void)
{
    unit_case = "round trip";
    msgpack_sbuffer cs, out;
    msgpack_sbuffer_init(&cs);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &cs, msgpack_sbuffer_write);
    nmirf_repl_pack_change(&pk, NMIRF_REPL_PUT, 7, "k1", 2, "v1", 2);
    nmirf_repl_pack_change(&pk, NMIRF_REPL_DEL, 2, "k2", 2, "ignored", 7);
    nmirf_repl_pack_change(&pk, NMIRF_REPL_DEL_DUP, 5, "k3", 2, "12345678", 8);
    nmirf_repl_pack_change(&pk, NMIRF_REPL_DROP, 13, NULL, 0, NULL, 0);
    nmirf_repl_pack_change(&pk, NMIRF_REPL_PUT, 0, "e", 1, NULL, 0); /* empty value */
    s_fields_t f = s_ok;
    f.cp_len = 130;
    s_build(&out, &f, &cs, 5);
    nmirf_repl_record_t rec;
    char why[256] = "";
    CHECK(nmirf_repl_decode((const uint8_t *)out.data, out.size, &rec, why, sizeof why) ==
              0,
          "refused: %s", why);
    CHECK(rec.epoch == 1 && rec.from_seq == 5 && rec.to_seq == 6 && rec.head[0] == 7,
          "header");
    CHECK(rec.checkpoint && rec.checkpoint_len == 130 &&
              memcmp(rec.checkpoint, s_big, 130) == 0,
          "checkpoint");
    CHECK(rec.count == 5, "%zu changes", rec.count);
    if (rec.count == 5) {
        CHECK(rec.changes[0].op == NMIRF_REPL_PUT && rec.changes[0].db == 7 &&
                  rec.changes[0].klen == 2 && rec.changes[0].vlen == 2 &&
                  memcmp(rec.changes[0].val, "v1", 2) == 0,
              "put");
        CHECK(rec.changes[1].op == NMIRF_REPL_DEL && rec.changes[1].val == NULL, "del");
        CHECK(rec.changes[2].op == NMIRF_REPL_DEL_DUP && rec.changes[2].vlen == 8, "dup");
        CHECK(rec.changes[3].op == NMIRF_REPL_DROP && rec.changes[3].klen == 0 &&
                  rec.changes[3].db == 13,
              "drop");
        CHECK(rec.changes[4].vlen == 0 && rec.changes[4].val, "an empty value");
    }
    CHECK(rec.sig && rec.signed_len + NMIRF_REPL_SIG_TAIL == out.size, "sig tail");
    CHECK(nmirf_repl_verify(&rec, (const uint8_t *)out.data, s_pk), "does not verify");
    uint8_t other[NMIRF_SIGN_PK_LEN];
    memcpy(other, s_pk, sizeof other);
    other[0] ^= 1;
    CHECK(!nmirf_repl_verify(&rec, (const uint8_t *)out.data, other),
          "verifies with another key");
    nmirf_repl_record_free(&rec);
    /* Any byte of the signed part changed: refused, or no longer
       verifying. */
    int escaped = 0;
    for (size_t i = 0; i + NMIRF_REPL_SIG_TAIL < out.size; i++) {
        uint8_t *copy = malloc(out.size);
        memcpy(copy, out.data, out.size);
        copy[i] ^= 0x20;
        if (nmirf_repl_decode(copy, out.size, &rec, why, sizeof why) == 0) {
            escaped += nmirf_repl_verify(&rec, copy, s_pk);
            nmirf_repl_record_free(&rec);
        }
        free(copy);
    }
    CHECK(escaped == 0, "%d changed bytes still verify", escaped);
    /* nil sig: decodes, never verifies; resigning needs the bin tail. */
    f.sign = false;
    s_build(&out, &f, &cs, 5);
    CHECK(nmirf_repl_decode((const uint8_t *)out.data, out.size, &rec, why, sizeof why) ==
                  0 &&
              !rec.sig && !nmirf_repl_verify(&rec, (const uint8_t *)out.data, s_pk),
          "an unsigned record");
    nmirf_repl_record_free(&rec);
    CHECK(nmirf_repl_resign((uint8_t *)out.data, out.size, s_sk) != 0,
          "resigned a record with no sig tail");
    msgpack_sbuffer_destroy(&cs);
    msgpack_sbuffer_destroy(&out);
}

static void
s_test_bounds(void)
{
    unit_case = "bounds";
    s_one(0, 0, 511, 3, NULL, "a key of 511");
    s_one(0, 0, 512, 3, "1 to 511", "a key of 512");
    s_one(0, 0, 0, 3, "1 to 511", "an empty key");
    s_one(0, 13, 1, 3, NULL, "db 13");
    s_one(0, 14, 1, 3, "db is not 0 to 13", "db 14");
    s_one(4, 0, 1, -1, "op is not 0 to 3", "op 4");
    s_one(0, 0, 1, -1, "val is not bin", "a put without a value");
    s_one(1, 0, 1, 2, "val is not nil", "a del with a value");
    s_one(2, 5, 1, 511, NULL, "a dupsort value of 511");
    s_one(2, 5, 1, 512, "dupsort value of 512", "a dupsort value of 512");
    s_one(2, 5, 1, 0, "dupsort value of 0", "an empty dupsort value");
    s_one(3, 13, 0, -1, NULL, "a drop");
    s_one(3, 13, 1, -1, "a drop has none", "a drop with a key");

    msgpack_sbuffer cs, out;
    msgpack_sbuffer_init(&cs);
    msgpack_sbuffer_init(&out);
    s_fields_t f = s_ok;
    f.to = f.from - 1;
    s_build(&out, &f, &cs, 0);
    s_expect(&out, NULL, "no events: to_seq = from_seq - 1");
    f.to = f.from - 2;
    s_build(&out, &f, &cs, 0);
    s_expect(&out, "to_seq from from_seq - 1", "to_seq = from_seq - 2");
    f = s_ok;
    f.epoch = 0;
    s_build(&out, &f, &cs, 0);
    s_expect(&out, "epoch and from_seq from 1", "epoch 0");
    f = s_ok;
    f.from = 0;
    f.to = 0;
    s_build(&out, &f, &cs, 0);
    s_expect(&out, "epoch and from_seq from 1", "from_seq 0");
    f = s_ok;
    f.head_len = 31;
    s_build(&out, &f, &cs, 0);
    s_expect(&out, "head is not bin 32", "a head of 31");
    f = s_ok;
    f.cp_len = NMIRF_REPL_CHECKPOINT_MAX;
    s_build(&out, &f, &cs, 0);
    s_expect(&out, NULL, "a checkpoint of 256");
    f.cp_len = NMIRF_REPL_CHECKPOINT_MAX + 1;
    s_build(&out, &f, &cs, 0);
    s_expect(&out, "checkpoint is not nil or bin 1 to 256", "a checkpoint of 257");
    f = s_ok;
    f.extra = "more";
    s_build(&out, &f, &cs, 0);
    s_expect(&out, "an unknown or repeated key", "an unknown key for sig");
    /* sig anywhere but last, in another form. */
    msgpack_sbuffer_clear(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    nmirf_mp_pack_str(&pk, "sig");
    nmirf_mp_pack_bin(&pk, s_big, 64);
    nmirf_mp_pack_kv_uint(&pk, "epoch", 1);
    nmirf_mp_pack_kv_uint(&pk, "from_seq", 1);
    nmirf_mp_pack_kv_uint(&pk, "to_seq", 0);
    nmirf_mp_pack_str(&pk, "head");
    nmirf_mp_pack_bin(&pk, s_big, 32);
    nmirf_mp_pack_str(&pk, "checkpoint");
    msgpack_pack_nil(&pk);
    nmirf_mp_pack_str(&pk, "changes");
    msgpack_pack_array(&pk, 0);
    s_expect(&out, "sig is not a bin 64 under the last key", "sig first");
    /* Too many changes: NMIRF_REPL_CHANGES_MAX + 1 (nils: refused for
       their count before their shape). */
    msgpack_sbuffer_clear(&cs);
    msgpack_packer_init(&pk, &cs, msgpack_sbuffer_write);
    for (size_t i = 0; i <= NMIRF_REPL_CHANGES_MAX; i++)
        msgpack_pack_nil(&pk);
    s_build(&out, &s_ok, &cs, NMIRF_REPL_CHANGES_MAX + 1);
    s_expect(&out, "changes is not an array of at most", "too many changes");
    /* Not a record at all; trailing bytes. */
    msgpack_sbuffer_clear(&out);
    msgpack_sbuffer_write(&out, "\x80", 1);
    s_expect(&out, "not a commit record", "an empty map");
    msgpack_sbuffer_clear(&cs);
    s_build(&out, &s_ok, &cs, 0);
    msgpack_sbuffer_write(&out, "\x00", 1);
    s_expect(&out, "commit record:", "a trailing byte");
    msgpack_sbuffer_destroy(&cs);
    msgpack_sbuffer_destroy(&out);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    crypto_sign_keypair(s_pk, s_sk);
    for (size_t i = 0; i < sizeof s_big; i++)
        s_big[i] = (uint8_t)(i * 7 + 1);
    s_test_round_trip();
    s_test_bounds();
    return unit_done("codec_repl");
}
