/*  vectors_gen - writes proto/vectors/vectors.json with the real encoders,
    with --checkpoint proto/vectors/checkpoint.json (PROTOCOL.md
    section 10), and with --notify proto/vectors/notify.json (the agent's
    notifications, CONTROL.md section 6).

    Built with the tests but never run by CI: the vectors are checked in,
    reviewed by hand, and the codec tests (proto/nmirf_wire_test.c,
    proto/nmirf_control_test.c, proto/nmirf_notify_test.c) check that the
    codecs still produce and
    accept exactly these bytes. Run it only when a protocol changes on
    purpose:

        build/tests/codec/vectors_gen > proto/vectors/vectors.json
        build/tests/codec/vectors_gen --control > proto/vectors/control.json
        build/tests/codec/vectors_gen --checkpoint proto/vectors/checkpoint.json
        build/tests/codec/vectors_gen --notify proto/vectors/notify.json

    The signing key comes from the fixed seed 00 01 02 ... 1f, so every
    signature is reproducible (Ed25519 is deterministic).
*/
#include "nmirf_control.h"
#include "nmirf_checkpoint.h"
#include "nmirf_mp.h"
#include "nmirf_notify.h"
#include "nmirf_wire.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS 1767225600000ULL /* 2026-01-01T00:00:00Z */
#define SEQ 42

static uint8_t s_pk[NMIRF_SIGN_PK_LEN]; /* test public key */
static uint8_t s_sk[NMIRF_SIGN_SK_LEN]; /* test secret key */
static json_t *s_cases;                 /* the case list being built */

/* A new JSON string of lowercase hex. */
static json_t *
s_hex(const void *data, size_t len)
{
    const uint8_t *p = data;
    char *s = malloc(2 * len + 1);
    for (size_t i = 0; i < len; i++)
        sprintf(s + 2 * i, "%02x", p[i]);
    s[2 * len] = 0;
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *
s_hex_or_null(const void *data, size_t len)
{
    return data ? s_hex(data, len) : json_null();
}

/* Readable JSON form of a msgpack object: bin becomes {"$bin": hex}. */
static json_t *
s_to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_STR:
        return json_stringn(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return json_pack("{s:o}", "$bin", s_hex(o->via.bin.ptr, o->via.bin.size));
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_array_append_new(a, s_to_json(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            char *key = strndup(k->via.str.ptr, k->via.str.size);
            json_object_set_new(m, key, s_to_json(&o->via.map.ptr[i].val));
            free(key);
        }
        return m;
    }
    default:
        fprintf(stderr, "vectors_gen: unexpected msgpack type %d\n", o->type);
        exit(1);
    }
}

/* JSON form of packed msgpack bytes, or null for NULL. */
static json_t *
s_bytes_json(const uint8_t *buf, size_t len)
{
    if (!buf)
        return json_null();
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object obj;
    if (nmirf_mp_unpack(buf, len, &zone, &obj, NULL, 0) != NMIRF_OK) {
        fprintf(stderr, "vectors_gen: own bytes do not unpack\n");
        exit(1);
    }
    json_t *j = s_to_json(&obj);
    msgpack_zone_destroy(&zone);
    return j;
}

static void
s_add(json_t *c)
{
    json_array_append_new(s_cases, c);
}

/* A request id: 16 bytes first, first+1, ... */
static void
s_id(uint8_t id[NMIRF_ID_LEN], uint8_t first)
{
    for (int i = 0; i < NMIRF_ID_LEN; i++)
        id[i] = (uint8_t)(first + i);
}

/* A signed request case; env/sig are returned for later cases (caller
   frees env). */
static void
s_request(const char *name, const char *note, const char *op, uint8_t id_first,
          const char *author, const msgpack_sbuffer *body, uint8_t **env_out,
          size_t *env_len, uint8_t sig[NMIRF_SIG_LEN])
{
    uint8_t id[NMIRF_ID_LEN];
    s_id(id, id_first);
    const uint8_t *b = body ? (const uint8_t *)body->data : NULL;
    size_t blen = body ? body->size : 0;
    if (nmirf_request_encode(op, id, author, TS, b, blen, s_sk, env_out, env_len, sig)) {
        fprintf(stderr, "vectors_gen: cannot encode %s\n", name);
        exit(1);
    }
    const uint8_t empty = 0x80;
    json_t *fields =
        json_pack("{s:i, s:s, s:o, s:s, s:I, s:o, s:o}", "v", 1, "op", op, "id",
                  s_hex(id, sizeof id), "author", author, "ts", (json_int_t)TS, "body",
                  b ? s_bytes_json(b, blen) : json_object(), "body_hex",
                  b ? s_hex(b, blen) : s_hex(&empty, 1));
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "name", name, "kind", "request",
                    "note", note, "hex", s_hex(*env_out, *env_len), "signature",
                    s_hex(sig, NMIRF_SIG_LEN), "fields", fields));
}

static void
s_reply(const char *name, const char *note, const uint8_t *id, nmirf_code_t code,
        const char *message, const msgpack_sbuffer *body)
{
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    const uint8_t *b = body ? (const uint8_t *)body->data : NULL;
    size_t blen = body ? body->size : 0;
    nmirf_reply_encode(&out, id, code, message, SEQ, b, blen);
    json_t *fields =
        json_pack("{s:i, s:o, s:b, s:s, s:s, s:i, s:o, s:o}", "v", 1, "id",
                  s_hex_or_null(id, NMIRF_ID_LEN), "ok", code == NMIRF_OK, "code",
                  nmirf_code_name(code), "message", message ? message : "", "seq", SEQ,
                  "body", s_bytes_json(b, blen), "body_hex", s_hex_or_null(b, blen));
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", name, "kind", "reply", "note",
                    note, "hex", s_hex(out.data, out.size), "fields", fields));
    msgpack_sbuffer_destroy(&out);
}

/* An event case; its bytes' hash is returned in hash. */
static void
s_event(const char *name, const char *note, const nmirf_event_fields_t *ev,
        const char *prev_of, const char *req_of, uint8_t hash[NMIRF_HASH_LEN])
{
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    nmirf_event_encode(&out, ev);
    nmirf_hash2(hash, (const uint8_t *)out.data, out.size, NULL, 0);
    json_t *ents = json_array();
    for (size_t i = 0; i < ev->entity_count; i++)
        json_array_append_new(ents, json_string(ev->entities[i]));
    json_t *fields = json_pack(
        "{s:I, s:I, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "seq",
        (json_int_t)ev->seq, "ts", (json_int_t)ev->ts, "kind", ev->kind, "subject",
        ev->subject, "entities", ents, "author", ev->author, "req",
        s_hex_or_null(ev->req, NMIRF_ID_LEN), "req_hash",
        s_hex_or_null(ev->req_hash, NMIRF_HASH_LEN), "prev",
        s_hex(ev->prev, NMIRF_HASH_LEN), "data", s_bytes_json(ev->data, ev->data_len),
        "data_hex", s_hex(ev->data, ev->data_len));
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "name", name, "kind",
                    "event", "note", note, "hex", s_hex(out.data, out.size), "hash",
                    s_hex(hash, NMIRF_HASH_LEN), "prev_is_hash_of",
                    prev_of ? json_string(prev_of) : json_null(), "req_hash_of",
                    req_of ? json_string(req_of) : json_null(), "fields", fields));
    msgpack_sbuffer_destroy(&out);
}

/* An envelope (or raw bytes) case for the envelope decoder. */
static void
s_envelope(const char *name, const char *kind, const char *note, const void *buf,
           size_t len, nmirf_code_t expect)
{
    /* Check here that the codec agrees, so a wrong vector is caught at once. */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    nmirf_envelope_t env;
    bool has_id;
    char why[256] = "";
    nmirf_code_t rc =
        nmirf_envelope_decode(buf, len, &zone, &env, &has_id, why, sizeof why);
    msgpack_zone_destroy(&zone);
    if (rc != expect) {
        fprintf(stderr, "vectors_gen: %s decodes as %s (%s), expected %s\n", name,
                nmirf_code_name(rc), why, nmirf_code_name(expect));
        exit(1);
    }
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:s, s:b}", "name", name, "kind", kind, "note",
                    note, "hex", s_hex(buf, len), "expect", nmirf_code_name(expect),
                    "has_id", has_id));
}

/* A raw msgpack case for nmirf_mp_check. */
static void
s_mp(const char *name, const char *note, const char *bytes, size_t len,
     nmirf_code_t expect)
{
    nmirf_code_t rc = nmirf_mp_check((const uint8_t *)bytes, len, NULL, 0);
    if (rc != expect) {
        fprintf(stderr, "vectors_gen: %s checks as %s, expected %s\n", name,
                nmirf_code_name(rc), nmirf_code_name(expect));
        exit(1);
    }
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:s}", "name", name, "kind", "msgpack-check",
                    "note", note, "hex", s_hex(bytes, len), "expect",
                    nmirf_code_name(expect)));
}

/* Envelope variants for the refusal cases. */
typedef struct {
    uint64_t v;       /* version value */
    bool no_op;       /* leave 'op' out */
    size_t id_len;    /* length of the id bin */
    bool extra;       /* add an unknown key 'extra' */
    const char *op;   /* op value */
    const void *body; /* packed body map, or NULL for {} */
    size_t body_len;  /* its size */
} s_env_opts_t;

static void
s_pack_env(msgpack_sbuffer *sb, const s_env_opts_t *o)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    uint8_t id[32];
    s_id(id, 0x10);
    msgpack_pack_map(&pk, 6 - (o->no_op ? 1 : 0) + (o->extra ? 1 : 0));
    nmirf_mp_pack_kv_uint(&pk, "v", o->v);
    if (!o->no_op)
        nmirf_mp_pack_kv_str(&pk, "op", o->op ? o->op : "ping");
    nmirf_mp_pack_str(&pk, "id");
    nmirf_mp_pack_bin(&pk, id, o->id_len);
    nmirf_mp_pack_kv_str(&pk, "author", "COORD");
    nmirf_mp_pack_kv_uint(&pk, "ts", TS);
    nmirf_mp_pack_str(&pk, "body");
    if (o->body)
        msgpack_sbuffer_write(sb, o->body, o->body_len);
    else
        msgpack_pack_map(&pk, 0);
    if (o->extra)
        nmirf_mp_pack_kv_uint(&pk, "extra", 1);
}

/* Adds a generated too-large (or at-limit) envelope: a ping whose body is
   {"pad": bin} with the bin sized so the envelope is exactly size bytes. */
static void
s_sized(const char *name, const char *kind, const char *note, size_t size,
        nmirf_code_t expect)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    s_env_opts_t o = {.v = 1, .id_len = NMIRF_ID_LEN};
    /* Pack everything but the body, then {"pad": bin32 header}. */
    uint8_t body_hdr[] = {0x81, 0xa3, 'p', 'a', 'd', 0xc6, 0, 0, 0, 0};
    o.body = body_hdr;
    o.body_len = sizeof body_hdr;
    s_pack_env(&sb, &o);
    size_t prefix = sb.size;
    size_t n = size - prefix;
    sb.data[prefix - 4] = (char)(n >> 24);
    sb.data[prefix - 3] = (char)(n >> 16);
    sb.data[prefix - 2] = (char)(n >> 8);
    sb.data[prefix - 1] = (char)n;
    uint8_t *full = calloc(1, size);
    memcpy(full, sb.data, prefix);
    /* Check with the real decoder. */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    nmirf_envelope_t env;
    bool has_id;
    nmirf_code_t rc = nmirf_envelope_decode(full, size, &zone, &env, &has_id, NULL, 0);
    msgpack_zone_destroy(&zone);
    if (rc != expect) {
        fprintf(stderr, "vectors_gen: %s decodes as %s\n", name, nmirf_code_name(rc));
        exit(1);
    }
    s_add(json_pack("{s:s, s:s, s:s, s:n, s:{s:o, s:s, s:I}, s:s, s:b}", "name", name,
                    "kind", kind, "note", note, "hex", "generate", "prefix_hex",
                    s_hex(sb.data, prefix), "fill", "00", "size", (json_int_t)size,
                    "expect", nmirf_code_name(expect), "has_id", has_id));
    free(full);
    msgpack_sbuffer_destroy(&sb);
}

/* An envelope s_pack_env makes from o that the decoder refuses with
   expect: an "invalid-envelope" case. */
static void
s_bad_env(const char *name, const char *note, s_env_opts_t o, nmirf_code_t expect)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    s_pack_env(&sb, &o);
    s_envelope(name, "invalid-envelope", note, sb.data, sb.size, expect);
    msgpack_sbuffer_destroy(&sb);
}

static void
s_envelopes(const uint8_t *ping, size_t ping_len)
{
    msgpack_sbuffer body;
    msgpack_packer pk;

    /* Truncated map: the ping envelope without its last entry ("body": {}),
       so the map header promises 6 entries and 5 follow. */
    s_envelope("env-truncated-map", "invalid-envelope",
               "ping envelope without its last 6 bytes (\"body\": {}): the map "
               "promises 6 entries, 5 follow",
               ping, ping_len - 6, NMIRF_E_BAD_MSGPACK);

    uint8_t *trail = malloc(ping_len + 1);
    memcpy(trail, ping, ping_len);
    trail[ping_len] = 0xc0;
    s_envelope("env-trailing-byte", "invalid-envelope",
               "the signed ping envelope followed by one nil byte (c0)", trail,
               ping_len + 1, NMIRF_E_BAD_MSGPACK);
    free(trail);

    /* Ext type inside the body. */
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, "x");
    msgpack_pack_ext(&pk, 1, 1);
    msgpack_pack_ext_body(&pk, "\x00", 1);
    s_bad_env(
        "env-ext-type", "body {\"x\": fixext1 type 1 (d4 01 00)}: ext types are refused",
        (s_env_opts_t){.v = 1, .id_len = 16, .body = body.data, .body_len = body.size},
        NMIRF_E_BAD_MSGPACK);
    msgpack_sbuffer_destroy(&body);

    /* Invalid UTF-8: an overlong '/' in the body, a surrogate as op. */
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "text", "a\xc0\xaf");
    s_bad_env(
        "env-utf8-overlong",
        "body {\"text\": \"a\" c0 af}: c0 af is an overlong encoding of '/'",
        (s_env_opts_t){.v = 1, .id_len = 16, .body = body.data, .body_len = body.size},
        NMIRF_E_BAD_UTF8);
    msgpack_sbuffer_destroy(&body);

    s_bad_env(
        "env-utf8-surrogate", "op is ed a0 80, the UTF-8 form of the surrogate U+D800",
        (s_env_opts_t){.v = 1, .id_len = 16, .op = "\xed\xa0\x80"}, NMIRF_E_BAD_UTF8);

    s_envelope("env-array-count-huge", "invalid-envelope",
               "array32 header claiming 4294967295 items, and nothing after it "
               "(5 bytes): refused before anything is allocated",
               "\xdd\xff\xff\xff\xff", 5, NMIRF_E_BAD_MSGPACK);

    /* Nesting: body {"x": [[[... 39 arrays ...]]]}: with the envelope map
       and the body map that is 41 levels. Nesting at most 32 is the rule. */
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, "x");
    for (int i = 0; i < 40; i++)
        msgpack_pack_array(&pk, i < 39 ? 1 : 0);
    s_bad_env(
        "env-depth-40", "body {\"x\": 40 nested arrays, the innermost empty}: too deep",
        (s_env_opts_t){.v = 1, .id_len = 16, .body = body.data, .body_len = body.size},
        NMIRF_E_BAD_MSGPACK);
    msgpack_sbuffer_destroy(&body);

    s_envelope("env-not-a-map", "invalid-envelope", "an empty array (90)", "\x90", 1,
               NMIRF_E_BAD_ENVELOPE);

    s_bad_env("env-missing-op", "a ping envelope without 'op'",
              (s_env_opts_t){.v = 1, .id_len = 16, .no_op = true}, NMIRF_E_BAD_ENVELOPE);

    s_bad_env("env-unknown-key", "a ping envelope with a seventh key \"extra\": 1",
              (s_env_opts_t){.v = 1, .id_len = 16, .extra = true}, NMIRF_E_BAD_ENVELOPE);

    s_bad_env("env-id-15-bytes", "a ping envelope whose id is 15 bytes of bin",
              (s_env_opts_t){.v = 1, .id_len = 15}, NMIRF_E_BAD_ENVELOPE);

    s_bad_env("env-version-2",
              "a well-formed ping envelope with v = 2; has_id: the refusal names the id",
              (s_env_opts_t){.v = 2, .id_len = 16}, NMIRF_E_BAD_VERSION);

    s_sized("env-too-large", "invalid-envelope",
            "1 MiB + 1 byte; generated: prefix_hex then fill bytes up to size",
            NMIRF_MAX_ENVELOPE + 1, NMIRF_E_TOO_LARGE);
    s_sized("env-at-limit", "envelope",
            "exactly 1 MiB, the largest envelope accepted; generated like env-too-large",
            NMIRF_MAX_ENVELOPE, NMIRF_OK);
}

#define MP(name, note, lit, expect) s_mp(name, note, lit, sizeof lit - 1, expect)

static void
s_msgpack_checks(void)
{
    MP("mp-every-type",
       "array16 of 28: nil, false, true, fixint, negative fixint, uint8..64, "
       "int8..64, float32, float64, str8, bin8, fixmap, str16, str32, bin16, bin32, "
       "array32, map16, map32, fixarray, fixmap, fixstr (the last ones empty)",
       "\xdc\x00\x1c\xc0\xc2\xc3\x7f\xe0\xcc\xff\xcd\xff\xff\xce\xff\xff\xff\xff"
       "\xcf\xff\xff\xff\xff\xff\xff\xff\xff\xd0\x80\xd1\x80\x00\xd2\x80\x00\x00\x00"
       "\xd3\x80\x00\x00\x00\x00\x00\x00\x00\xca\x3f\x80\x00\x00"
       "\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00\xd9\x01\x61\xc4\x01\x00\x81\xa1\x6b\xa0"
       "\xda\x00\x01"
       "b"
       "\xdb\x00\x00\x00\x01"
       "c"
       "\xc5\x00\x01\x00"
       "\xc6\x00\x00\x00\x01\x00\xdd\x00\x00\x00\x00\xde\x00\x00"
       "\xdf\x00\x00\x00\x00\x90\x80\xa0",
       NMIRF_OK);
    MP("mp-empty", "no bytes at all", "", NMIRF_E_BAD_MSGPACK);
    MP("mp-never-used", "c1 is never used in msgpack", "\xc1", NMIRF_E_BAD_MSGPACK);
    MP("mp-ext8", "ext8 of 1 byte, type 5", "\xc7\x01\x05\x00", NMIRF_E_BAD_MSGPACK);
    MP("mp-fixext16", "fixext16",
       "\xd8\x01"
       "0123456789abcdef",
       NMIRF_E_BAD_MSGPACK);
    MP("mp-str8-short", "str8 of length 5 with 4 bytes",
       "\xd9\x05"
       "abcd",
       NMIRF_E_BAD_MSGPACK);
    MP("mp-bin32-huge", "bin32 claiming 4294967295 bytes", "\xc6\xff\xff\xff\xff\x00",
       NMIRF_E_BAD_MSGPACK);
    MP("mp-map32-huge", "map32 claiming 4294967295 pairs", "\xdf\xff\xff\xff\xff\xc0",
       NMIRF_E_BAD_MSGPACK);
    MP("mp-trailing", "two objects (nil nil)", "\xc0\xc0", NMIRF_E_BAD_MSGPACK);
    MP("mp-utf8-4-byte", "U+1F600 (f0 9f 98 80) and U+10FFFF (f4 8f bf bf)",
       "\xa8\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", NMIRF_OK);
    MP("mp-utf8-past-unicode", "U+110000 (f4 90 80 80)", "\xa4\xf4\x90\x80\x80",
       NMIRF_E_BAD_UTF8);
    MP("mp-utf8-lone-continuation", "a lone continuation byte 80",
       "\xa3"
       "a\x80z",
       NMIRF_E_BAD_UTF8);
    MP("mp-utf8-cut", "a 3-byte sequence cut after 2 bytes (e2 82)", "\xa2\xe2\x82",
       NMIRF_E_BAD_UTF8);
    MP("mp-utf8-in-key", "a map key holding ff", "\x81\xa1\xff\xc0", NMIRF_E_BAD_UTF8);
    MP("mp-bin-not-utf8", "bin is not text: ff is fine there", "\xc4\x01\xff", NMIRF_OK);

    /* Depth: 32 nested arrays holding a nil is the deepest accepted. */
    char deep[64];
    memset(deep, 0x91, sizeof deep);
    deep[32] = (char)0xc0;
    s_mp("mp-depth-32", "32 nested one-item arrays around a nil: accepted", deep, 33,
         NMIRF_OK);
    deep[32] = (char)0x91;
    deep[33] = (char)0xc0;
    s_mp("mp-depth-33", "33 nested one-item arrays around a nil: too deep", deep, 34,
         NMIRF_E_BAD_MSGPACK);
}

/* Writes a vector file's root (taken) to path, or to stdout when path is
   NULL: indented, keys in the order packed, one newline at the end, so a
   regenerated file compares byte for byte. Returns 0, or 1 if it could
   not be written. */
static int
s_write_root(json_t *root, const char *path)
{
    FILE *out = path ? fopen(path, "w") : stdout;
    int rc = !out || json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
             fputc('\n', out) == EOF;
    if (out && out != stdout && fclose(out) != 0)
        rc = 1;
    json_decref(root);
    return rc;
}

/* --- the control protocol (proto/CONTROL.md): vectors/control.json ---- */

/* A control request case: the codec's bytes for req. */
static void
s_ctl_request(const char *name, const char *note, const nmirf_ctl_request_t *req)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (nmirf_ctl_request_encode(&sb, req) != 0) {
        fprintf(stderr, "vectors_gen: %s does not encode\n", name);
        exit(1);
    }
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "name", name, "kind",
                    "control-request", "note", note, "hex", s_hex(sb.data, sb.size),
                    "readable", s_bytes_json((const uint8_t *)sb.data, sb.size), "expect",
                    "ok"));
    msgpack_sbuffer_destroy(&sb);
}

/* A control frame the agent must answer with code expect. */
static void
s_ctl_invalid(const char *name, const char *note, const void *buf, size_t len,
              const char *expect)
{
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:s}", "name", name, "kind", "control-invalid",
                    "note", note, "hex", s_hex(buf, len), "expect", expect));
}

/* As s_ctl_invalid for {op, body} (nmirf_ctl_request_pack) with a body
   packed by the caller. */
static void
s_ctl_invalid_body(const char *name, const char *note, const char *op,
                   const msgpack_sbuffer *body, const char *expect)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_ctl_request_pack(&sb, op, body ? (const uint8_t *)body->data : NULL,
                           body ? body->size : 0);
    s_ctl_invalid(name, note, sb.data, sb.size, expect);
    msgpack_sbuffer_destroy(&sb);
}

/* As s_ctl_invalid_body with the body {key: value}, value a str. */
static void
s_ctl_invalid_str(const char *name, const char *note, const char *op, const char *key,
                  const char *value, const char *expect)
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, key, value);
    s_ctl_invalid_body(name, note, op, &body, expect);
    msgpack_sbuffer_destroy(&body);
}

/* A control reply case: the reply frame for body (packed; NULL: nil) of
   kind body_kind (how the test decodes it: status, digest, queued,
   replica, none). */
static void
s_ctl_reply(const char *name, const char *note, nmirf_code_t code, const char *message,
            uint64_t seq, const msgpack_sbuffer *body, const char *body_kind)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_ctl_reply_encode(&sb, code, message, seq, body);
    s_add(json_pack(
        "{s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:o, s:o}", "name", name, "kind",
        "control-reply", "note", note, "hex", s_hex(sb.data, sb.size), "code",
        nmirf_code_name(code), "body_kind", body_kind, "seq", (json_int_t)seq, "body",
        body ? s_bytes_json((const uint8_t *)body->data, body->size) : json_null(),
        "body_hex", body ? s_hex(body->data, body->size) : json_null()));
    msgpack_sbuffer_destroy(&sb);
}

static int
s_control(const char *path)
{
    nmirf_ctl_request_t req;
    msgpack_sbuffer body;
    msgpack_packer pk;

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_STATUS};
    s_ctl_request("ctl-status", "the agent's own state, empty body", &req);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_MINE};
    req.mine = (nmirf_ctl_clock_t){.has_today = true,
                                   .today = "2026-01-20",
                                   .has_due_soon = true,
                                   .due_soon_days = 15};
    s_ctl_request("ctl-mine", "our assignments judged on a given day, 15-day horizon",
                  &req);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "rec", "A/HRC/52/7/148.12");
    nmirf_mp_pack_kv_str(&pk, "status", "in_progress");
    nmirf_mp_pack_kv_str(&pk, "narrative", "Le décret est en préparation.");
    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_SUBMIT};
    snprintf(req.submit.op, sizeof req.submit.op, "report.submit");
    req.submit.body = (const uint8_t *)body.data;
    req.submit.body_len = body.size;
    req.submit.has_id = true;
    s_id(req.submit.id, 0x50);
    req.submit.has_wait = true;
    req.submit.wait_ms = 10000;
    s_ctl_request("ctl-submit",
                  "a report for the outbox, with the client's request id, waiting 10 s",
                  &req);
    msgpack_sbuffer_destroy(&body);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_REC_LIST};
    req.rec_list =
        (nmirf_ctl_rec_list_t){.has_scope = true,
                               .scope = NMIRF_CTL_SCOPE_OURS,
                               .status = "in_progress",
                               .mechanism = "UPR",
                               .due = NMIRF_CTL_DUE_OVERDUE,
                               .q = "défenseurs",
                               .clock = {.has_today = true, .today = "2026-01-20"},
                               .has_offset = true,
                               .offset = 50,
                               .has_limit = true,
                               .limit = 50};
    s_ctl_request("ctl-rec-list",
                  "every filter: ours, in progress, UPR, overdue, a text "
                  "search, the second page of 50",
                  &req);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_REC_LIST};
    s_ctl_request("ctl-rec-list-all", "no filter: the first 50 of all", &req);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_REC_SHOW};
    snprintf(req.rec_show.rec, sizeof req.rec_show.rec, "A/HRC/52/7/148.12");
    s_ctl_request("ctl-rec-show", "one recommendation with its history", &req);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_MEASURE_LIST};
    req.measure_list.has_rec = true;
    snprintf(req.measure_list.rec, sizeof req.measure_list.rec, "A/HRC/52/7/148.12");
    s_ctl_request("ctl-measure-list", "the measures linked to a recommendation", &req);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_MEASURE_LIST};
    s_ctl_request("ctl-measure-list-ours", "our measures", &req);

    /* Refusals (and one old-style request the agent still takes). */
    static const uint8_t legacy[] = {0x81, 0xa2, 'o', 'p', 0xa6, 's',
                                     't',  'a',  't', 'u', 's'};
    s_ctl_invalid("ctl-legacy-no-v",
                  "{op: status}: no v, no body (clients before "
                  "CONTROL.md); taken as version 1",
                  legacy, sizeof legacy, "ok");
    static const uint8_t v1[] = {0x83, 0xa1, 'v', 0x01, 0xa2, 'o', 'p', 0xa6, 's', 't',
                                 'a',  't',  'u', 's',  0xa4, 'b', 'o', 'd',  'y', 0x80};
    s_ctl_invalid("ctl-v1",
                  "{v: 1, op: status, body: {}}: v given as 1 (the encoder leaves it "
                  "out at 1); taken",
                  v1, sizeof v1, "ok");
    s_ctl_invalid("ctl-empty", "an empty frame", "", 0, "bad_frame");
    static const uint8_t notmap[] = {0x90};
    s_ctl_invalid("ctl-not-a-map", "an empty array", notmap, sizeof notmap,
                  "bad_request");
    static const uint8_t v2[] = {0x82, 0xa1, 'v', 0x02, 0xa2, 'o', 'p',
                                 0xa6, 's',  't', 'a',  't',  'u', 's'};
    s_ctl_invalid("ctl-version-2", "v 2: a version this agent does not speak", v2,
                  sizeof v2, "bad_version");
    static const uint8_t extra[] = {0x82, 0xa2, 'o', 'p', 0xa6, 's', 't',
                                    'a',  't',  'u', 's', 0xa1, 'x', 0xc0};
    s_ctl_invalid("ctl-unknown-top-key", "a key besides v, op, body", extra, sizeof extra,
                  "bad_request");
    static const uint8_t trailing[] = {0x81, 0xa2, 'o', 'p', 0xa6, 's',
                                       't',  'a',  't', 'u', 's',  0xc0};
    s_ctl_invalid("ctl-trailing-byte", "ctl-legacy-no-v then c0", trailing,
                  sizeof trailing, "bad_msgpack");
    s_ctl_invalid_body("ctl-unknown-op", "op nonsense", "nonsense", NULL, "unknown_op");

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 0);
    s_ctl_invalid_body("ctl-body-not-map", "status with body []", "status", &body,
                       "bad_request");
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "limit", 5);
    s_ctl_invalid_body("ctl-status-body", "status takes an empty body", "status", &body,
                       "bad_request");
    s_ctl_invalid_body("ctl-mine-unknown-key", "mine takes no limit", "mine", &body,
                       "bad_request");
    msgpack_sbuffer_destroy(&body);

    s_ctl_invalid_str("ctl-mine-bad-date", "today 2026-02-30 is not a date", "mine",
                      "today", "2026-02-30", "bad_request");

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "limit", NMIRF_CONTROL_LIMIT_MAX + 1);
    s_ctl_invalid_body("ctl-rec-list-limit", "limit 501, over the page limit", "rec.list",
                       &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    s_ctl_invalid_str("ctl-rec-list-scope", "scope everyone is not a scope", "rec.list",
                      "scope", "everyone", "bad_request");

    char q[NMIRF_CONTROL_QUERY_MAX + 2];
    memset(q, 'a', sizeof q - 1);
    q[sizeof q - 1] = 0;
    s_ctl_invalid_str("ctl-rec-list-q-long", "q of 257 bytes", "rec.list", "q", q,
                      "too_large");

    s_ctl_invalid_body("ctl-rec-show-no-rec", "rec.show without rec", "rec.show", NULL,
                       "bad_request");

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "op", "rec.assign");
    nmirf_mp_pack_str(&pk, "body");
    msgpack_pack_map(&pk, 0);
    s_ctl_invalid_body("ctl-submit-not-ministry-write",
                       "submit of rec.assign: the agent takes report.submit only",
                       "submit", &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    /* Replies. */
    nmirf_ctl_status_t st = {.entity = "MJ",
                             .seq = 42,
                             .broker_seq = 44,
                             .lag = 2,
                             .stale = false,
                             .connected = true,
                             .loaded = true,
                             .outbox = 1,
                             .refused = 0,
                             .key_refused = false,
                             .has_heard = true,
                             .heard_ms_ago = 250,
                             .outbox_reported = TS,
                             .checkpoint_seq = 40};
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    nmirf_ctl_status_pack(&pk, &st);
    s_ctl_reply("ctl-reply-status", "status of a connected agent, one entry pending",
                NMIRF_OK, NULL, 42, &body, "status");
    msgpack_sbuffer_destroy(&body);

    st.resigned = 1;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    nmirf_ctl_status_pack(&pk, &st);
    s_ctl_reply("ctl-reply-status-resigned",
                "status of an agent that signed one entry again after a `stale`",
                NMIRF_OK, NULL, 42, &body, "status");
    msgpack_sbuffer_destroy(&body);

    nmirf_ctl_digest_t dg = {.seq = 42};
    for (int i = 0; i < NMIRF_HASH_LEN; i++)
        dg.digest[i] = (uint8_t)(0xa0 + i);
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    nmirf_ctl_digest_pack(&pk, &dg);
    s_ctl_reply("ctl-reply-digest", "the replica's digest", NMIRF_OK, NULL, 42, &body,
                "digest");
    msgpack_sbuffer_destroy(&body);

    nmirf_ctl_queued_t qd = {.key_refused = true};
    s_id(qd.id, 0x50);
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    nmirf_ctl_queued_pack(&pk, &qd);
    s_ctl_reply("ctl-reply-queued",
                "ctl-submit not answered in time, while the broker refuses the key",
                NMIRF_OK, NULL, 42, &body, "queued");
    msgpack_sbuffer_destroy(&body);

    nmirf_ctl_replica_t rp = {
        .entity = "MJ", .seq = 42, .broker_seq = 42, .stale = true, .contact_at = TS};
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_ctl_replica_pack(&m, &rp, true);
    nmirf_mp_map_str(&m, "rec", "A/HRC/52/7/148.12");
    msgpack_pack_array(nmirf_mp_map_key(&m, "measures"), 0);
    nmirf_mp_map_finish(&m, &pk);
    s_ctl_reply("ctl-reply-measure-list-stale",
                "measure.list answered from a stale replica: no measure linked", NMIRF_OK,
                NULL, 42, &body, "replica");
    msgpack_sbuffer_destroy(&body);

    s_ctl_reply("ctl-reply-bad-version", "the refusal of ctl-version-2",
                NMIRF_E_BAD_VERSION, "control protocol version 2; this agent speaks 1",
                42, NULL, "none");

    /* The console's operations: every write through submit, ask, and the
       replica's report.list and entity.list. */
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "report", 7);
    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_SUBMIT};
    snprintf(req.submit.op, sizeof req.submit.op, "report.validate");
    req.submit.body = (const uint8_t *)body.data;
    req.submit.body_len = body.size;
    req.submit.has_id = true;
    s_id(req.submit.id, 0x70);
    req.submit.has_wait = true;
    req.submit.wait_ms = 5000;
    s_ctl_request("ctl-submit-validate",
                  "a coordinator's write: validate report 7 (a body without a field "
                  "table is taken as a map; the agent refuses it forbidden unless its "
                  "entity is the coordinator)",
                  &req);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_kv_str(&pk, "rec", "A/HRC/52/7/148.12");
    nmirf_mp_pack_kv_str(&pk, "lead", "MJ");
    nmirf_mp_pack_str(&pk, "contributors");
    msgpack_pack_array(&pk, 1);
    nmirf_mp_pack_str(&pk, "MS");
    nmirf_mp_pack_kv_str(&pk, "deadline", "2026-06-30");
    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_SUBMIT};
    snprintf(req.submit.op, sizeof req.submit.op, "rec.assign");
    req.submit.body = (const uint8_t *)body.data;
    req.submit.body_len = body.size;
    s_ctl_request("ctl-submit-assign",
                  "an assignment, checked with rec.assign's field table, no id, no wait",
                  &req);
    msgpack_sbuffer_destroy(&body);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_ASK};
    snprintf(req.ask.op, sizeof req.ask.op, "stats");
    s_ctl_request("ctl-ask-stats",
                  "the broker's stats, asked through the agent: no body, the "
                  "default wait (5 s)",
                  &req);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_uint(&pk, "since", 40);
    nmirf_mp_pack_kv_uint(&pk, "limit", 100);
    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_ASK};
    snprintf(req.ask.op, sizeof req.ask.op, "events.since");
    req.ask.has_body = true;
    req.ask.body = (const uint8_t *)body.data;
    req.ask.body_len = body.size;
    req.ask.has_wait = true;
    req.ask.wait_ms = 30000;
    s_ctl_request("ctl-ask-events", "events after 40, waiting the longest an ask may",
                  &req);
    msgpack_sbuffer_destroy(&body);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_REPORT_LIST};
    req.report_list = (nmirf_ctl_report_list_t){.state = "submitted",
                                                .entity = "MJ",
                                                .rec = "A/HRC/52/7/148.12",
                                                .has_offset = true,
                                                .offset = 0,
                                                .has_limit = true,
                                                .limit = 20};
    s_ctl_request("ctl-report-list",
                  "MJ's reports waiting on one recommendation, a page of 20", &req);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_REPORT_LIST};
    s_ctl_request("ctl-report-list-all", "no filter: the first 50 reports", &req);

    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_ENTITY_LIST};
    s_ctl_request("ctl-entity-list", "every entity record, empty body", &req);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "op", "entity.enroll");
    nmirf_mp_pack_str(&pk, "body");
    msgpack_pack_map(&pk, 0);
    s_ctl_invalid_body("ctl-submit-enroll",
                       "submit of entity.enroll: not a write the agent sends", "submit",
                       &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "op", "rec.assign");
    nmirf_mp_pack_str(&pk, "body");
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "rec", "A/HRC/52/7/148.12");
    nmirf_mp_pack_kv_str(&pk, "lead", "mj");
    s_ctl_invalid_body("ctl-submit-assign-bad-lead",
                       "rec.assign whose lead is not an entity id (lower case)", "submit",
                       &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "op", "report.submit");
    nmirf_mp_pack_str(&pk, "body");
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "rec", "A/HRC/52/7/148.12");
    nmirf_mp_pack_kv_str(&pk, "status", "in_progress");
    s_ctl_invalid_body("ctl-submit-report-no-narrative",
                       "report.submit without its narrative (its field table requires "
                       "it): refused before it reaches the outbox",
                       "submit", &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    s_ctl_invalid_str("ctl-ask-write", "ask of report.submit: ask forwards reads only",
                      "ask", "op", "report.submit", "bad_request");

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "op", "stats");
    nmirf_mp_pack_kv_uint(&pk, "wait_ms", NMIRF_CONTROL_ASK_WAIT_MAX_MS + 1);
    s_ctl_invalid_body("ctl-ask-wait", "ask waiting 30,001 ms, over its limit", "ask",
                       &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    s_ctl_invalid_str("ctl-report-list-state", "state done is not a report state",
                      "report.list", "state", "done", "bad_request");

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "limit", 5);
    s_ctl_invalid_body("ctl-entity-list-body", "entity.list takes an empty body",
                       "entity.list", &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    s_ctl_reply("ctl-reply-unavailable",
                "an ask the broker did not answer within its wait", NMIRF_E_UNAVAILABLE,
                "the broker did not answer within wait_ms", 42, NULL, "none");

    /* Added with withdrawn recommendations (appended: earlier cases stay
       byte for byte). */
    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_REC_LIST};
    req.rec_list = (nmirf_ctl_rec_list_t){.withdrawn = true};
    s_ctl_request("ctl-rec-list-withdrawn",
                  "every recommendation, the withdrawn ones too (hidden by default)",
                  &req);
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "withdrawn", 1);
    s_ctl_invalid_body("ctl-rec-list-withdrawn-type", "withdrawn 1: a bool is needed",
                       "rec.list", &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    /* Added with the console's repairs of the list (appended): the
       coordinator's rec.withdraw, rec.merge and entity.update through
       submit, checked with their field tables. */
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "rec", "A/HRC/52/7/148.12");
    nmirf_mp_pack_kv_str(&pk, "reason", "doublon de 148.13 — مكررة");
    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_SUBMIT};
    snprintf(req.submit.op, sizeof req.submit.op, "rec.withdraw");
    req.submit.body = (const uint8_t *)body.data;
    req.submit.body_len = body.size;
    req.submit.has_id = true;
    s_id(req.submit.id, 0x90);
    req.submit.has_wait = true;
    req.submit.wait_ms = 10000;
    s_ctl_request("ctl-submit-withdraw",
                  "a coordinator's withdrawal with its reason (French and Arabic), "
                  "waiting 10 s",
                  &req);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "from", "A/HRC/52/7/148.12");
    nmirf_mp_pack_kv_str(&pk, "into", "A/HRC/52/7/148.13");
    nmirf_mp_pack_kv_str(&pk, "reason", "même recommandation");
    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_SUBMIT};
    snprintf(req.submit.op, sizeof req.submit.op, "rec.merge");
    req.submit.body = (const uint8_t *)body.data;
    req.submit.body_len = body.size;
    s_ctl_request("ctl-submit-merge", "a merge of one recommendation into another, no id",
                  &req);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", "MJ");
    nmirf_mp_pack_str(&pk, "names");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "ar", "وزارة العدل");
    nmirf_mp_pack_kv_str(&pk, "contact", "dpo@justice.gov.ma");
    req = (nmirf_ctl_request_t){.op = NMIRF_CTL_SUBMIT};
    snprintf(req.submit.op, sizeof req.submit.op, "entity.update");
    req.submit.body = (const uint8_t *)body.data;
    req.submit.body_len = body.size;
    s_ctl_request("ctl-submit-entity-update",
                  "an entity given its Arabic name and a contact", &req);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "op", "rec.withdraw");
    nmirf_mp_pack_str(&pk, "body");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "rec", "A/HRC/52/7/148.12");
    s_ctl_invalid_body("ctl-submit-withdraw-no-reason",
                       "rec.withdraw without its reason (required)", "submit", &body,
                       "bad_request");
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "op", "entity.update");
    nmirf_mp_pack_str(&pk, "body");
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "id", "MJ");
    nmirf_mp_pack_str(&pk, "names");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "de", "Justizministerium");
    s_ctl_invalid_body("ctl-submit-entity-update-lang",
                       "entity.update naming a language that is not fr, ar, en", "submit",
                       &body, "bad_request");
    msgpack_sbuffer_destroy(&body);

    json_t *root = json_pack("{s:s, s:i, s:o}", "about",
                             "nmirf-agent control protocol v1 golden vectors; see "
                             "proto/vectors/README.md and proto/CONTROL.md",
                             "control", NMIRF_CONTROL_VERSION, "cases", s_cases);
    return s_write_root(root, path);
}

/* --- the agent's notifications (CONTROL.md section 6): notify.json ---- */

/* A notification case: the encoder's text for n, and what it reads as. */
static void
s_notify(const char *name, const char *note, const nmirf_notify_t *n)
{
    char *text = nmirf_notify_encode(n);
    if (!text) {
        fprintf(stderr, "vectors_gen: %s does not encode\n", name);
        exit(1);
    }
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "name", name, "kind", "notify",
                    "note", note, "hex", s_hex(text, strlen(text)), "readable",
                    json_loads(text, 0, NULL), "expect", "ok"));
    free(text);
}

/* A text the decoder must refuse with code expect (or accept, for
   `ok`, without its bytes being the encoder's). */
static void
s_notify_invalid(const char *name, const char *note, const char *text, size_t len,
                 nmirf_code_t expect)
{
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:s}", "name", name, "kind", "notify-invalid",
                    "note", note, "hex", s_hex(text, len), "expect",
                    nmirf_code_name(expect)));
}

#define S_NOTIFY_INVALID(name, note, text, expect)                                       \
    s_notify_invalid(name, note, text, sizeof text - 1, expect)

/* A topic `e` case: the encoder's text for e, and what it reads as. */
static void
s_ev_case(const char *name, const char *note, const nmirf_notify_event_t *e)
{
    char *text = nmirf_notify_event_encode(e);
    if (!text) {
        fprintf(stderr, "vectors_gen: %s does not encode\n", name);
        exit(1);
    }
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "name", name, "kind", "event",
                    "note", note, "hex", s_hex(text, strlen(text)), "readable",
                    json_loads(text, 0, NULL), "expect", "ok"));
    free(text);
}

/* A topic `e` text the decoder must refuse with code expect (or accept). */
static void
s_event_invalid(const char *name, const char *note, const char *text, size_t len,
                nmirf_code_t expect)
{
    s_add(json_pack("{s:s, s:s, s:s, s:o, s:s}", "name", name, "kind", "event-invalid",
                    "note", note, "hex", s_hex(text, len), "expect",
                    nmirf_code_name(expect)));
}

#define S_EVENT_INVALID(name, note, text, expect)                                        \
    s_event_invalid(name, note, text, sizeof text - 1, expect)

static int
s_notifications(const char *path)
{
    /* The data of each event as the agent converts it from the event's
       msgpack map (nmirf_json_from_mp: keys in wire order). */
    json_t *assign = json_pack(
        "{s:s, s:s, s:[s], s:s, s:s, s:{s:s, s:[]}}", "rec", "A/HRC/52/7/148.12", "lead",
        "MJ", "contributors", "MS", "deadline", "2026-06-30", "note",
        "avant le rapport à mi-parcours", "previous", "lead", "MS", "contributors");
    nmirf_notify_t n = {.kind = NMIRF_NOTIFY_ASSIGNED,
                        .seq = 2,
                        .event = "assignment.set",
                        .subject = "A/HRC/52/7/148.12",
                        .rec = "A/HRC/52/7/148.12",
                        .deadline = "2026-06-30",
                        .data = assign};
    s_notify("notify-assigned",
             "an assignment naming MJ as lead (its deadline copied up)", &n);
    json_t *unassign =
        json_pack("{s:s, s:s, s:[], s:{s:s, s:[]}}", "rec", "A/HRC/52/7/148.12", "lead",
                  "MS", "contributors", "previous", "lead", "MJ", "contributors");
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_UNASSIGNED,
                         .seq = 5,
                         .event = "assignment.set",
                         .subject = "A/HRC/52/7/148.12",
                         .rec = "A/HRC/52/7/148.12",
                         .data = unassign};
    s_notify("notify-unassigned", "a reassignment away from MJ: no deadline", &n);
    json_t *valid = json_pack("{s:s, s:s, s:s}", "id", "r-00000007", "rec",
                              "A/HRC/52/7/148.12", "entity", "MJ");
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_VALIDATED,
                         .seq = 9,
                         .event = "report.validated",
                         .subject = "r-00000007",
                         .rec = "A/HRC/52/7/148.12",
                         .data = valid};
    s_notify("notify-validated", "MJ's report validated by the coordinator", &n);
    json_t *ret = json_pack("{s:s, s:s, s:s, s:s}", "id", "r-00000008", "rec",
                            "CRC/C/MAR/CO/5-6/12", "entity", "MJ", "reason",
                            "Merci de joindre le décret — يرجى إرفاق المرسوم");
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_RETURNED,
                         .seq = 10,
                         .event = "report.returned",
                         .subject = "r-00000008",
                         .rec = "CRC/C/MAR/CO/5-6/12",
                         .reason = "Merci de joindre le décret — يرجى إرفاق المرسوم",
                         .data = ret};
    s_notify("notify-returned",
             "MJ's report returned, the reason copied up (French and Arabic)", &n);
    json_t *upd = json_pack(
        "{s:s, s:s, s:{s:s}, s:s}", "id", "A/HRC/52/7/148.12", "mechanism", "UPR", "text",
        "en", "Strengthen the independence of the judiciary", "response", "supported");
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_REC_UPDATED,
                         .seq = 11,
                         .event = "rec.updated",
                         .subject = "A/HRC/52/7/148.12",
                         .rec = "A/HRC/52/7/148.12",
                         .data = upd};
    s_notify("notify-rec-updated",
             "a recommendation assigned to MJ changed: rec is the subject", &n);
    json_t *soon =
        json_pack("{s:s, s:s, s:s, s:I}", "rec", "A/HRC/52/7/148.12", "deadline",
                  "2026-06-30", "today", "2026-06-25", "days_left", (json_int_t)5);
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_DEADLINE_DUE_SOON,
                         .seq = 12,
                         .event = "deadline.due_soon",
                         .subject = "A/HRC/52/7/148.12",
                         .rec = "A/HRC/52/7/148.12",
                         .deadline = "2026-06-30",
                         .data = soon};
    s_notify("notify-due-soon", "a deadline in 5 days: the kind is the event's", &n);
    json_t *over =
        json_pack("{s:s, s:s, s:s, s:I}", "rec", "A/HRC/52/7/148.12", "deadline",
                  "2026-06-30", "today", "2026-07-01", "days_left", (json_int_t)-1);
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_DEADLINE_OVERDUE,
                         .seq = 13,
                         .event = "deadline.overdue",
                         .subject = "A/HRC/52/7/148.12",
                         .rec = "A/HRC/52/7/148.12",
                         .deadline = "2026-06-30",
                         .data = over};
    s_notify("notify-overdue", "a deadline passed yesterday", &n);
    json_t *madd = json_pack(
        "{s:I, s:[s], s:s, s:{s:s, s:f, s:I}}", "id", (json_int_t)3, "recs",
        "A/HRC/52/7/148.12", "title", "Former 400 magistrats", "indicator", "name",
        "magistrats formés", "baseline", 0.5, "target", (json_int_t)400);
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_MEASURE_ADDED,
                         .seq = 14,
                         .event = "measure.added",
                         .subject = "3",
                         .data = madd};
    s_notify(
        "notify-measure-added",
        "a measure on a recommendation of MJ's: no rec key (a measure may link several)",
        &n);
    json_t *mupd =
        json_pack("{s:I, s:s}", "id", (json_int_t)3, "title", "Former 500 magistrats");
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_MEASURE_UPDATED,
                         .seq = 15,
                         .event = "measure.updated",
                         .subject = "3",
                         .data = mupd};
    s_notify("notify-measure-updated", "the same measure changed", &n);
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_REFUSED,
                         .seq = 15,
                         .event = "report.submit",
                         .rec = "A/HRC/52/7/148.12",
                         .reason = "forbidden: MJ is not assigned to A/HRC/52/7/148.12",
                         .code = "forbidden",
                         .message = "MJ is not assigned to A/HRC/52/7/148.12"};
    s_id(n.id, 0x50);
    s_notify("notify-refused",
             "the broker refused an outbox entry for good: subject and "
             "data.id the request id in hex, seq the reply's",
             &n);
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_REFUSED,
                         .seq = 0,
                         .event = "measure.add",
                         .reason = "storage_full: ",
                         .code = "storage_full",
                         .message = ""};
    s_id(n.id, 0x60);
    s_notify("notify-refused-no-rec",
             "a refused entry whose body names no recommendation, "
             "with an empty message and a code this reader may not know",
             &n);
    n = (nmirf_notify_t){.kind = NMIRF_NOTIFY_KEY_REFUSED,
                         .seq = 42,
                         .event = NMIRF_NOTIFY_HANDSHAKE,
                         .subject = "MJ",
                         .reason = NMIRF_NOTIFY_KEY_REFUSED_REASON,
                         .pending = 3};
    s_notify("notify-key-refused",
             "the broker refused MJ's key in the handshake, the replica "
             "at 42, three entries waiting",
             &n);
    json_decref(assign);
    json_decref(unassign);
    json_decref(valid);
    json_decref(ret);
    json_decref(upd);
    json_decref(soon);
    json_decref(over);
    json_decref(madd);
    json_decref(mupd);

    /* What a reader must refuse, and what it must let pass. */
    S_NOTIFY_INVALID("notify-unknown-key",
                     "a key this version does not know is ignored, as CONTROL.md asks",
                     "{\"kind\":\"validated\",\"seq\":9,\"event\":\"report.validated\","
                     "\"subject\":\"r-1\",\"data\":{},\"colour\":\"blue\"}",
                     NMIRF_OK);
    S_NOTIFY_INVALID("notify-empty", "no bytes", "", NMIRF_E_BAD_FRAME);
    S_NOTIFY_INVALID("notify-not-json", "a truncated object",
                     "{\"kind\":\"assigned\",\"seq\":2", NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-array", "an array, not an object", "[\"assigned\"]",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-trailing", "an object then more text",
                     "{\"kind\":\"key_refused\"} {}", NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID(
        "notify-no-kind", "no kind",
        "{\"seq\":2,\"event\":\"assignment.set\",\"subject\":\"A\",\"data\":{}}",
        NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID(
        "notify-kind-number", "a kind that is not a string",
        "{\"kind\":3,\"seq\":2,\"event\":\"assignment.set\",\"subject\":\"A\","
        "\"data\":{}}",
        NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID(
        "notify-unknown-kind",
        "a kind this version does not know: unknown_op, which a client skips",
        "{\"kind\":\"archived\",\"seq\":2,\"event\":\"rec.archived\","
        "\"subject\":\"A\",\"data\":{}}",
        NMIRF_E_UNKNOWN_OP);
    S_NOTIFY_INVALID(
        "notify-event-as-kind", "an event kind is not a notification kind",
        "{\"kind\":\"assignment.set\",\"seq\":2,\"event\":\"assignment.set\","
        "\"subject\":\"A\",\"data\":{}}",
        NMIRF_E_UNKNOWN_OP);
    S_NOTIFY_INVALID("notify-duplicate-key", "kind given twice",
                     "{\"kind\":\"assigned\",\"kind\":\"refused\",\"seq\":2,"
                     "\"event\":\"assignment.set\",\"subject\":\"A\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-bad-utf8", "a subject holding c0 af (an overlong)",
                     "{\"kind\":\"assigned\",\"seq\":2,\"event\":\"assignment.set\","
                     "\"subject\":\"\xc0\xaf\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-nul", "a subject holding U+0000",
                     "{\"kind\":\"assigned\",\"seq\":2,\"event\":\"assignment.set\","
                     "\"subject\":\"A\\u0000B\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-seq-negative", "seq -1",
                     "{\"kind\":\"assigned\",\"seq\":-1,\"event\":\"assignment.set\","
                     "\"subject\":\"A\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-seq-string", "seq as a string",
                     "{\"kind\":\"assigned\",\"seq\":\"2\",\"event\":\"assignment.set\","
                     "\"subject\":\"A\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-seq-real", "seq as a real",
                     "{\"kind\":\"assigned\",\"seq\":2.0,\"event\":\"assignment.set\","
                     "\"subject\":\"A\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-no-event", "no event",
                     "{\"kind\":\"assigned\",\"seq\":2,\"subject\":\"A\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-event-unknown", "assigned from something not an event kind",
                     "{\"kind\":\"assigned\",\"seq\":2,\"event\":\"assignment.sent\","
                     "\"subject\":\"A\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-subject-empty", "an empty subject",
                     "{\"kind\":\"assigned\",\"seq\":2,\"event\":\"assignment.set\","
                     "\"subject\":\"\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID(
        "notify-rec-65", "a rec of 65 bytes, over the id limit",
        "{\"kind\":\"assigned\",\"seq\":2,\"event\":\"assignment.set\","
        "\"subject\":\"A\",\"rec\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAA\",\"data\":{}}",
        NMIRF_E_TOO_LARGE);
    S_NOTIFY_INVALID("notify-deadline-shape", "a deadline that is not YYYY-MM-DD",
                     "{\"kind\":\"assigned\",\"seq\":2,\"event\":\"assignment.set\","
                     "\"subject\":\"A\",\"deadline\":\"30/06/2026\",\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-reason-number", "a reason that is not a string",
                     "{\"kind\":\"returned\",\"seq\":10,\"event\":\"report.returned\","
                     "\"subject\":\"r-1\",\"reason\":7,\"data\":{}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-no-data", "no data",
                     "{\"kind\":\"assigned\",\"seq\":2,\"event\":\"assignment.set\","
                     "\"subject\":\"A\"}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-data-array", "data that is not an object",
                     "{\"kind\":\"assigned\",\"seq\":2,\"event\":\"assignment.set\","
                     "\"subject\":\"A\",\"data\":[]}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-refused-short-id",
                     "a refused whose subject is 15 bytes of hex",
                     "{\"kind\":\"refused\",\"seq\":0,\"event\":\"report.submit\","
                     "\"subject\":\"505152535455565758595a5b5c5d5e\",\"reason\":\"x: y\","
                     "\"data\":{\"id\":\"505152535455565758595a5b5c5d5e\","
                     "\"op\":\"report.submit\",\"code\":\"x\",\"message\":\"y\"}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID(
        "notify-refused-id-mismatch", "data.id is not the subject",
        "{\"kind\":\"refused\",\"seq\":0,\"event\":\"report.submit\","
        "\"subject\":\"505152535455565758595a5b5c5d5e5f\",\"reason\":\"x: y\","
        "\"data\":{\"id\":\"606162636465666768696a6b6c6d6e6f\","
        "\"op\":\"report.submit\",\"code\":\"x\",\"message\":\"y\"}}",
        NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID(
        "notify-refused-no-code", "a refused without data.code",
        "{\"kind\":\"refused\",\"seq\":0,\"event\":\"report.submit\","
        "\"subject\":\"505152535455565758595a5b5c5d5e5f\",\"reason\":\"x: y\","
        "\"data\":{\"id\":\"505152535455565758595a5b5c5d5e5f\","
        "\"op\":\"report.submit\",\"message\":\"y\"}}",
        NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-refused-no-reason", "a refused without its reason",
                     "{\"kind\":\"refused\",\"seq\":0,\"event\":\"report.submit\","
                     "\"subject\":\"505152535455565758595a5b5c5d5e5f\","
                     "\"data\":{\"id\":\"505152535455565758595a5b5c5d5e5f\","
                     "\"op\":\"report.submit\",\"code\":\"x\",\"message\":\"y\"}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-key-refused-event", "a key_refused not from the handshake",
                     "{\"kind\":\"key_refused\",\"seq\":4,\"event\":\"assignment.set\","
                     "\"subject\":\"MJ\",\"data\":{\"entity\":\"MJ\",\"pending\":0}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID("notify-key-refused-pending", "pending -1",
                     "{\"kind\":\"key_refused\",\"seq\":4,\"event\":\"handshake\","
                     "\"subject\":\"MJ\",\"data\":{\"entity\":\"MJ\",\"pending\":-1}}",
                     NMIRF_E_BAD_REQUEST);
    S_NOTIFY_INVALID(
        "notify-key-refused-entity-17", "an entity of 17 bytes, over the entity id limit",
        "{\"kind\":\"key_refused\",\"seq\":4,\"event\":\"handshake\","
        "\"subject\":\"ABCDEFGHIJKLMNOPQ\",\"data\":{\"entity\":\"ABCDEFGHIJKLMNOPQ\","
        "\"pending\":0}}",
        NMIRF_E_TOO_LARGE);

    /* Topic `e`: the events the replica applies, and the snapshot mark. */
    static const char *const two[] = {"MJ", "MS"};
    nmirf_notify_event_t ev = {.seq = 2,
                               .kind = "assignment.set",
                               .subject = "A/HRC/52/7/148.12",
                               .author = "COORD",
                               .rec = "A/HRC/52/7/148.12",
                               .entities = two,
                               .entity_count = 2};
    s_ev_case("event-assignment",
              "an assignment applied: rec from its data, the lead and contributor", &ev);
    static const char *const one[] = {"MJ"};
    ev = (nmirf_notify_event_t){.seq = 9,
                                .kind = "report.validated",
                                .subject = "7",
                                .author = "COORD",
                                .rec = "A/HRC/52/7/148.12",
                                .entities = one,
                                .entity_count = 1};
    s_ev_case("event-report-validated", "a report validated: rec from the report's data",
              &ev);
    ev = (nmirf_notify_event_t){
        .seq = 14, .kind = "measure.added", .subject = "3", .author = "MJ"};
    s_ev_case("event-measure-no-rec",
              "a measure added: no rec (a measure may link several), no entity", &ev);
    ev = (nmirf_notify_event_t){.seq = 40, .kind = NMIRF_NOTIFY_SNAPSHOT};
    s_ev_case("event-snapshot", "a snapshot loaded at 40: reload what is shown", &ev);
    S_EVENT_INVALID("event-unknown-key", "a key this version does not know is ignored",
                    "{\"seq\":3,\"kind\":\"rec.added\",\"subject\":\"R-1\",\"author\":"
                    "\"COORD\",\"entities\":[],\"colour\":\"blue\"}",
                    NMIRF_OK);
    S_EVENT_INVALID("event-empty", "no bytes", "", NMIRF_E_BAD_FRAME);
    S_EVENT_INVALID("event-not-object", "an array", "[1]", NMIRF_E_BAD_REQUEST);
    S_EVENT_INVALID("event-unknown-kind", "a kind that is no event kind",
                    "{\"seq\":3,\"kind\":\"rec.burnt\",\"subject\":\"R-1\",\"author\":"
                    "\"COORD\",\"entities\":[]}",
                    NMIRF_E_UNKNOWN_OP);
    S_EVENT_INVALID("event-no-seq", "a snapshot without its seq",
                    "{\"kind\":\"snapshot\"}", NMIRF_E_BAD_REQUEST);
    S_EVENT_INVALID("event-no-entities", "an event without entities",
                    "{\"seq\":3,\"kind\":\"rec.added\",\"subject\":\"R-1\",\"author\":"
                    "\"COORD\"}",
                    NMIRF_E_BAD_REQUEST);
    S_EVENT_INVALID("event-entity-number", "an entity that is not a string",
                    "{\"seq\":3,\"kind\":\"rec.added\",\"subject\":\"R-1\",\"author\":"
                    "\"COORD\",\"entities\":[7]}",
                    NMIRF_E_BAD_REQUEST);
    S_EVENT_INVALID("event-author-17", "an author of 17 bytes",
                    "{\"seq\":3,\"kind\":\"rec.added\",\"subject\":\"R-1\",\"author\":"
                    "\"ABCDEFGHIJKLMNOPQ\",\"entities\":[]}",
                    NMIRF_E_TOO_LARGE);
    S_EVENT_INVALID("event-duplicate-key", "seq twice",
                    "{\"seq\":3,\"seq\":4,\"kind\":\"snapshot\"}", NMIRF_E_BAD_REQUEST);
    /* Added with rec.withdraw, rec.merge and entity.update (appended). */
    static const char *const three[] = {"MSP", "MJ", "MI"};
    ev = (nmirf_notify_event_t){.seq = 41,
                                .kind = "rec.merged",
                                .subject = "A/HRC/52/7/148.12-bis",
                                .author = "COORD",
                                .rec = "A/HRC/52/7/148.12-bis",
                                .entities = three,
                                .entity_count = 3};
    s_ev_case("event-rec-merged",
              "a merge applied: rec is FROM (the subject), the people of both "
              "assignments",
              &ev);
    ev = (nmirf_notify_event_t){.seq = 42,
                                .kind = "entity.updated",
                                .subject = "MJ",
                                .author = "COORD",
                                .entities = one,
                                .entity_count = 1};
    s_ev_case("event-entity-updated", "an entity renamed: no rec", &ev);

    json_t *root = json_pack("{s:s, s:i, s:o}", "about",
                             "nmirf-agent notifications golden vectors; see "
                             "proto/vectors/README.md and proto/CONTROL.md section 6",
                             "notify", NMIRF_CONTROL_VERSION, "cases", s_cases);
    return s_write_root(root, path);
}

/* A checkpoint case: the signed bytes, the signature and the record. */
static void
s_checkpoint(const char *name, const char *note, uint64_t seq, uint8_t head_first,
             uint64_t ts)
{
    uint8_t head[NMIRF_HASH_LEN], sig[NMIRF_SIG_LEN];
    for (int i = 0; i < NMIRF_HASH_LEN; i++)
        head[i] = (uint8_t)(head_first + i);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_checkpoint_pack_signed(&sb, seq, head, ts);
    json_t *signed_hex = s_hex(sb.data, sb.size);
    crypto_sign_detached(sig, NULL, (const uint8_t *)sb.data, sb.size, s_sk);
    nmirf_checkpoint_encode(&sb, seq, head, ts, s_sk);
    s_add(json_pack("{s:s, s:s, s:s, s:I, s:o, s:I, s:o, s:o, s:o}", "name", name, "kind",
                    "checkpoint", "note", note, "seq", (json_int_t)seq, "head",
                    s_hex(head, sizeof head), "ts", (json_int_t)ts, "signed_hex",
                    signed_hex, "signature", s_hex(sig, sizeof sig), "hex",
                    s_hex(sb.data, sb.size)));
    msgpack_sbuffer_destroy(&sb);
}

/* A map that is no checkpoint: nmirf_checkpoint_decode must refuse it. */
static void
s_checkpoint_bad(const char *name, const char *note, const char *hex)
{
    s_add(json_pack("{s:s, s:s, s:s, s:s}", "name", name, "kind", "checkpoint_refused",
                    "note", note, "hex", hex));
}

/* Writes the checkpoint vectors to path. */
static int
s_checkpoints(const char *path, const uint8_t seed[32])
{
    s_cases = json_array();
    s_checkpoint("checkpoint-first", "the checkpoint of event 1, small integers", 1, 0xa0,
                 TS);
    s_checkpoint("checkpoint-uint64", "seq and ts past 32 bits: uint 64 forms",
                 0x100000001ULL, 0x00, 0xffffffffffffULL);
    /* Hand-made maps around {seq: 1, head: bin 32, ts: 1, sig: bin 64}
       (the sig is zeros: the decoder does not verify). */
    char zeros[129], buf[1024];
    memset(zeros, '0', 128);
    zeros[128] = 0;
    const char *seq = "a373657101", *ts = "a2747301", *sigkey = "a3736967";
    const char *head = "a468656164c420"
                       "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
    snprintf(buf, sizeof buf, "83%s%s%s", seq, head, ts);
    s_checkpoint_bad("checkpoint-unsigned", "the signed part alone: no sig", buf);
    snprintf(buf, sizeof buf, "84%s%s%s%sc43f%.126s", seq, head, ts, sigkey, zeros);
    s_checkpoint_bad("checkpoint-short-sig", "sig of 63 bytes", buf);
    snprintf(buf, sizeof buf,
             "84%sa468656164d920"
             "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf%s%sc440%s",
             seq, ts, sigkey, zeros);
    s_checkpoint_bad("checkpoint-head-str", "head as a str of 32 bytes, not a bin", buf);
    snprintf(buf, sizeof buf, "84a3736571ff%s%s%sc440%s", head, ts, sigkey, zeros);
    s_checkpoint_bad("checkpoint-negative-seq", "seq -1", buf);
    snprintf(buf, sizeof buf, "85%s%s%s%sc440%sa178c0", seq, head, ts, sigkey, zeros);
    s_checkpoint_bad("checkpoint-extra-key", "a fifth key, x: nil", buf);
    snprintf(buf, sizeof buf, "84%s%s%sa3736967c440%sc0", seq, head, ts, zeros);
    s_checkpoint_bad("checkpoint-trailing", "a nil after the map", buf);
    s_checkpoint_bad("checkpoint-array", "an array, not a map", "9401c0c0c0");

    json_t *root =
        json_pack("{s:s, s:i, s:o, s:o, s:o}", "about",
                  "nmirf protocol v1 checkpoint vectors; see proto/vectors/README.md",
                  "protocol", 1, "seed", s_hex(seed, 32), "sign_public",
                  s_hex(s_pk, sizeof s_pk), "cases", s_cases);
    return s_write_root(root, path);
}

/* The 4 entries of the vectors' one assignment, in rec.assign's order:
   rec, MJ leads with MI, deadline 2026-06-30 (the request, its event and
   the reminder all carry them). */
static void
s_pack_assignment(msgpack_packer *pk, const char *rec)
{
    nmirf_mp_pack_kv_str(pk, "rec", rec);
    nmirf_mp_pack_kv_str(pk, "lead", "MJ");
    nmirf_mp_pack_str(pk, "contributors");
    msgpack_pack_array(pk, 1);
    nmirf_mp_pack_str(pk, "MI");
    nmirf_mp_pack_kv_str(pk, "deadline", "2026-06-30");
}

/* A special procedure's recommendation as a UHRI export gives it: no
   paragraph (its id from the Annotation Id), the mandate, the session and
   the source's last update; no response given. */
static void
s_pack_sp_rec(msgpack_packer *pk, uint64_t updated)
{
    msgpack_pack_map(pk, updated ? 11 : 9);
    nmirf_mp_pack_kv_str(pk, "id", "UHRI-c27f5d10-9e3a-4b6c-8d7e-1f2a3b4c5d03");
    nmirf_mp_pack_kv_str(pk, "mechanism", "SP");
    nmirf_mp_pack_kv_str(pk, "symbol", "A/HRC/58/52/Add.2");
    nmirf_mp_pack_kv_str(pk, "date", "2025-01-10");
    nmirf_mp_pack_str(pk, "text");
    msgpack_pack_map(pk, 1);
    nmirf_mp_pack_kv_str(pk, "en", "Adopt a strategy for deinstitutionalization.");
    if (updated)
        nmirf_mp_pack_kv_str(pk, "response", "not_applicable");
    nmirf_mp_pack_str(pk, "themes");
    msgpack_pack_array(pk, 1);
    nmirf_mp_pack_str(pk, "Rights of persons with disabilities");
    nmirf_mp_pack_kv_str(pk, "mandate",
                         "Special Rapporteur on the rights of persons with disabilities");
    nmirf_mp_pack_kv_str(pk, "session", "58");
    nmirf_mp_pack_kv_str(pk, "source_updated", "2025-03-15");
    if (updated)
        nmirf_mp_pack_kv_uint(pk, "updated", updated);
}

/* rec.import of a special procedure's and a UPR recommendation without a
   response, and the rec.added event of the first: the stored record in
   canonical order, with not_applicable (a UPR one would be pending). */
static void
s_rec_import(const uint8_t prev[NMIRF_HASH_LEN])
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, "recs");
    msgpack_pack_array(&pk, 2);
    s_pack_sp_rec(&pk, 0);
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "id", "A/HRC/52/7:125.200");
    nmirf_mp_pack_kv_str(&pk, "mechanism", "UPR");
    nmirf_mp_pack_kv_str(&pk, "cycle", "4");
    nmirf_mp_pack_str(&pk, "text");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "en", "Adopt a national action plan (Chile);");
    nmirf_mp_pack_kv_str(&pk, "session", "41");
    uint8_t *req, sig[NMIRF_SIG_LEN];
    size_t req_len;
    s_request("request-rec-import",
              "the coordinator imports two recommendations without a response: a "
              "special procedure's with mandate, session and source_updated, and a "
              "UPR one",
              "rec.import", 0x60, "COORD", &body, &req, &req_len, sig);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    s_pack_sp_rec(&pk, TS + 86400000ull * 20);
    uint8_t id[NMIRF_ID_LEN], req_hash[NMIRF_HASH_LEN], hash[NMIRF_HASH_LEN];
    nmirf_hash2(req_hash, req, req_len, sig, NMIRF_SIG_LEN);
    s_id(id, 0x60);
    nmirf_event_fields_t ev = {.seq = 5,
                               .ts = TS + 86400000ull * 20,
                               .kind = "rec.added",
                               .subject = "UHRI-c27f5d10-9e3a-4b6c-8d7e-1f2a3b4c5d03",
                               .entities = NULL,
                               .entity_count = 0,
                               .author = "COORD",
                               .req = id,
                               .req_hash = req_hash,
                               .prev = prev,
                               .data = (const uint8_t *)body.data,
                               .data_len = body.size};
    s_event("event-rec-added-sp",
            "event 5: made by request-rec-import (its first recommendation; the "
            "UPR one makes event 6, not given). The stored record: keys in "
            "canonical order, mandate, session and source_updated after sdgs, "
            "response not_applicable as none was given and the mechanism is not "
            "the UPR (the UPR one is stored pending), prev = hash of "
            "event-report-submitted-by",
            &ev, "event-report-submitted-by", "request-rec-import", hash);
    msgpack_sbuffer_destroy(&body);
    free(req);
}

/* Packs a recommendation record {id, mechanism, symbol, paragraph, text,
   response, updated} with `withdrawn` last ({reason, at, into?}). */
static void
s_pack_withdrawn_rec(msgpack_packer *pk, const char *id, const char *para,
                     const char *reason, const char *into)
{
    msgpack_pack_map(pk, reason ? 8 : 7);
    nmirf_mp_pack_kv_str(pk, "id", id);
    nmirf_mp_pack_kv_str(pk, "mechanism", "UPR");
    nmirf_mp_pack_kv_str(pk, "symbol", "A/HRC/52/7");
    nmirf_mp_pack_kv_str(pk, "paragraph", para);
    nmirf_mp_pack_str(pk, "text");
    msgpack_pack_map(pk, 1);
    nmirf_mp_pack_kv_str(pk, "fr", "Ratifier le Protocole facultatif.");
    nmirf_mp_pack_kv_str(pk, "response", "supported");
    nmirf_mp_pack_kv_uint(pk, "updated", TS - 30000);
    if (reason) {
        nmirf_mp_pack_str(pk, "withdrawn");
        msgpack_pack_map(pk, into ? 3 : 2);
        nmirf_mp_pack_kv_str(pk, "reason", reason);
        nmirf_mp_pack_kv_uint(pk, "at", TS + 86400000ull * 20);
        if (into)
            nmirf_mp_pack_kv_str(pk, "into", into);
    }
}

/* Repairing the list (PROTOCOL.md sections 6 and 7): rec.withdraw,
   rec.merge and entity.update requests, and the events they make,
   chained after event 4 (prev4, its hash). Added after every earlier
   case, so those stay byte for byte. */
static void
s_repair_cases(const char *rec, const uint8_t prev4[NMIRF_HASH_LEN])
{
    const char *dup = "A/HRC/52/7/148.12-bis";
    msgpack_sbuffer body;
    msgpack_packer pk;
    uint8_t *wd, wd_sig[NMIRF_SIG_LEN], *mg, mg_sig[NMIRF_SIG_LEN], *up,
        up_sig[NMIRF_SIG_LEN];
    size_t wd_len, mg_len, up_len;

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "rec", "A/HRC/52/7/148.99");
    nmirf_mp_pack_kv_str(&pk, "reason", "Hors mandat : non adressée au pays.");
    s_request("request-rec-withdraw",
              "the coordinator withdraws a recommendation (reason: a text)",
              "rec.withdraw", 0x60, "COORD", &body, &wd, &wd_len, wd_sig);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "from", dup);
    nmirf_mp_pack_kv_str(&pk, "into", rec);
    s_request("request-rec-merge",
              "the coordinator merges a duplicate into the recommendation it repeats "
              "(no reason: \"merged into INTO\")",
              "rec.merge", 0x61, "COORD", &body, &mg, &mg_len, mg_sig);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", "MJ");
    nmirf_mp_pack_str(&pk, "names");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "ar", "وزارة العدل");
    nmirf_mp_pack_kv_str(&pk, "contact", "dajg@justice.gov.ma");
    s_request("request-entity-update",
              "the coordinator gives MJ its Arabic name and a contact line",
              "entity.update", 0x62, "COORD", &body, &up, &up_len, up_sig);
    msgpack_sbuffer_destroy(&body);

    /* Event 5: rec.withdrawn, data the record with withdrawn last. */
    uint8_t id[NMIRF_ID_LEN], req_hash[NMIRF_HASH_LEN], h5[NMIRF_HASH_LEN],
        h6[NMIRF_HASH_LEN], h7[NMIRF_HASH_LEN];
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    s_pack_withdrawn_rec(&pk, "A/HRC/52/7/148.99", "148.99",
                         "Hors mandat : non adressée au pays.", NULL);
    const char *mj[] = {"MJ"};
    nmirf_hash2(req_hash, wd, wd_len, wd_sig, NMIRF_SIG_LEN);
    s_id(id, 0x60);
    nmirf_event_fields_t ev = {.seq = 5,
                               .ts = TS + 86400000ull * 20,
                               .kind = "rec.withdrawn",
                               .subject = "A/HRC/52/7/148.99",
                               .entities = mj,
                               .entity_count = 1,
                               .author = "COORD",
                               .req = id,
                               .req_hash = req_hash,
                               .prev = prev4,
                               .data = (const uint8_t *)body.data,
                               .data_len = body.size};
    s_event("event-rec-withdrawn",
            "event 5: made by request-rec-withdraw; the record keeps every key and "
            "gains withdrawn {reason, at} last; entities: its assignment's people",
            &ev, "event-report-submitted-by", "request-rec-withdraw", h5);
    msgpack_sbuffer_destroy(&body);

    /* Event 6: rec.merged {rec, into, moved, assignment, reports, status}. */
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    nmirf_mp_pack_str(&pk, "rec");
    char reason[96];
    snprintf(reason, sizeof reason, "merged into %s", rec);
    s_pack_withdrawn_rec(&pk, dup, "148.12-bis", reason, rec);
    nmirf_mp_pack_str(&pk, "into");
    s_pack_withdrawn_rec(&pk, rec, "148.12", NULL, NULL);
    nmirf_mp_pack_str(&pk, "moved");
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_uint(&pk, "reports", 2);
    nmirf_mp_pack_kv_uint(&pk, "measures", 0);
    nmirf_mp_pack_str(&pk, "assignment");
    msgpack_pack_false(&pk);
    nmirf_mp_pack_str(&pk, "assignment");
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "rec", rec);
    nmirf_mp_pack_kv_str(&pk, "lead", "MJ");
    nmirf_mp_pack_str(&pk, "contributors");
    msgpack_pack_array(&pk, 2);
    nmirf_mp_pack_str(&pk, "MI");
    nmirf_mp_pack_str(&pk, "MSP");
    nmirf_mp_pack_kv_str(&pk, "deadline", "2026-06-30");
    nmirf_mp_pack_kv_uint(&pk, "assigned", TS);
    nmirf_mp_pack_str(&pk, "reports");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint64(&pk, 7);
    msgpack_pack_uint64(&pk, 9);
    nmirf_mp_pack_kv_str(&pk, "status", "in_progress");
    const char *who[] = {"MSP", "MJ", "MI"};
    nmirf_hash2(req_hash, mg, mg_len, mg_sig, NMIRF_SIG_LEN);
    s_id(id, 0x61);
    ev = (nmirf_event_fields_t){.seq = 6,
                                .ts = TS + 86400000ull * 20,
                                .kind = "rec.merged",
                                .subject = dup,
                                .entities = who,
                                .entity_count = 3,
                                .author = "COORD",
                                .req = id,
                                .req_hash = req_hash,
                                .prev = h5,
                                .data = (const uint8_t *)body.data,
                                .data_len = body.size};
    s_event("event-rec-merged",
            "event 6: made by request-rec-merge; data {rec: FROM withdrawn with into, "
            "into: INTO's record, moved (the reply's), assignment: INTO's after (MSP, "
            "FROM's lead, joined its contributors; nil if unchanged), reports: the "
            "moved report ids, status: INTO's status (nil: none)}",
            &ev, "event-rec-withdrawn", "request-rec-merge", h6);
    msgpack_sbuffer_destroy(&body);

    /* Event 7: entity.updated, data the entity record with contact after
       names. */
    uint8_t curve[32];
    memset(curve, 0xdd, sizeof curve);
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    nmirf_mp_pack_kv_str(&pk, "id", "MJ");
    nmirf_mp_pack_kv_str(&pk, "role", "ministry");
    nmirf_mp_pack_str(&pk, "names");
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "fr", "Ministère de la Justice");
    nmirf_mp_pack_kv_str(&pk, "ar", "وزارة العدل");
    nmirf_mp_pack_kv_str(&pk, "contact", "dajg@justice.gov.ma");
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, s_pk, sizeof s_pk);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, sizeof curve);
    nmirf_mp_pack_kv_str(&pk, "state", "active");
    nmirf_mp_pack_kv_uint(&pk, "enrolled", TS - 50000);
    nmirf_hash2(req_hash, up, up_len, up_sig, NMIRF_SIG_LEN);
    s_id(id, 0x62);
    ev = (nmirf_event_fields_t){.seq = 7,
                                .ts = TS + 86400000ull * 20,
                                .kind = "entity.updated",
                                .subject = "MJ",
                                .entities = mj,
                                .entity_count = 1,
                                .author = "COORD",
                                .req = id,
                                .req_hash = req_hash,
                                .prev = h6,
                                .data = (const uint8_t *)body.data,
                                .data_len = body.size};
    s_event("event-entity-updated",
            "event 7: made by request-entity-update; names merged by language "
            "(fr, ar, en order), contact right after names",
            &ev, "event-rec-merged", "request-entity-update", h7);
    msgpack_sbuffer_destroy(&body);
    free(wd);
    free(mg);
    free(up);
}

int
main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    crypto_sign_seed_keypair(s_pk, s_sk, seed);
    if (argc == 3 && strcmp(argv[1], "--checkpoint") == 0)
        return s_checkpoints(argv[2], seed);
    s_cases = json_array();
    if (argc > 1 && strcmp(argv[1], "--control") == 0)
        return s_control(argc > 2 ? argv[2] : NULL);
    if (argc > 1 && strcmp(argv[1], "--notify") == 0)
        return s_notifications(argc > 2 ? argv[2] : NULL);

    /* Requests. */
    uint8_t *ping, *assign, *submit;
    size_t ping_len, assign_len, submit_len;
    uint8_t ping_sig[64], assign_sig[64], submit_sig[64];
    s_request("request-ping", "a ping from the coordinator, empty body", "ping", 0x10,
              "COORD", NULL, &ping, &ping_len, ping_sig);

    msgpack_sbuffer body;
    msgpack_packer pk;
    const char *rec = "A/HRC/52/7/148.12";
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    s_pack_assignment(&pk, rec);
    nmirf_mp_pack_kv_str(&pk, "note", "Priorité haute");
    s_request("request-rec-assign", "the coordinator assigns a recommendation",
              "rec.assign", 0x20, "COORD", &body, &assign, &assign_len, assign_sig);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "rec", rec);
    nmirf_mp_pack_kv_str(&pk, "status", "partially_implemented");
    nmirf_mp_pack_kv_str(
        &pk, "narrative",
        "La loi n° 2025-113 relative à la protection des défenseurs a été adoptée. "
        "اعتمد البرلمان القانون رقم 113 لسنة 2025. "
        "The law was adopted; its decrees are pending.");
    nmirf_mp_pack_str(&pk, "evidence");
    msgpack_pack_array(&pk, 3);
    nmirf_mp_pack_str(&pk, "Journal officiel n° 12, 2025");
    nmirf_mp_pack_str(&pk, "الجريدة الرسمية، العدد 12");
    nmirf_mp_pack_str(&pk, "https://example.org/jo/2025/12");
    nmirf_mp_pack_kv_str(&pk, "date", "2026-01-15");
    s_request("request-report-submit",
              "a ministry reports, with French, Arabic and English text", "report.submit",
              0x30, "MJ", &body, &submit, &submit_len, submit_sig);
    msgpack_sbuffer_destroy(&body);

    /* Replies. */
    uint8_t id[NMIRF_ID_LEN];
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    nmirf_mp_pack_kv_str(&pk, "version", "0.1.0");
    nmirf_mp_pack_kv_uint(&pk, "seq", SEQ);
    nmirf_mp_pack_kv_uint(&pk, "started", TS - 3600000);
    nmirf_mp_pack_kv_uint(&pk, "requests", 1000);
    nmirf_mp_pack_kv_uint(&pk, "writes", 40);
    nmirf_mp_pack_kv_uint(&pk, "commits", 10);
    s_id(id, 0x10);
    s_reply("reply-ok-ping", "the answer to request-ping", id, NMIRF_OK, NULL, &body);
    msgpack_sbuffer_destroy(&body);
    s_id(id, 0x30);
    s_reply("reply-forbidden", "request-report-submit refused, no body", id,
            NMIRF_E_FORBIDDEN, "MJ is not assigned to A/HRC/52/7/148.12", NULL);
    s_reply("reply-no-id", "a refusal of an envelope whose id could not be read", NULL,
            NMIRF_E_BAD_MSGPACK, "msgpack truncated", NULL);

    /* Events: the first event of a broker, then an assignment chained to it. */
    uint8_t zero[NMIRF_HASH_LEN] = {0}, h1[NMIRF_HASH_LEN], h2[NMIRF_HASH_LEN];
    uint8_t curve[32];
    memset(curve, 0xcc, sizeof curve);
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    nmirf_mp_pack_kv_str(&pk, "id", "COORD");
    nmirf_mp_pack_kv_str(&pk, "role", "coordinator");
    nmirf_mp_pack_str(&pk, "names");
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "fr", "Comité interministériel");
    nmirf_mp_pack_kv_str(&pk, "ar", "اللجنة الوزارية المشتركة");
    nmirf_mp_pack_kv_str(&pk, "en", "Interministerial Committee");
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, s_pk, sizeof s_pk);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, sizeof curve);
    nmirf_mp_pack_kv_str(&pk, "state", "active");
    nmirf_mp_pack_kv_uint(&pk, "enrolled", TS - 60000);
    const char *e1[] = {"COORD"};
    nmirf_event_fields_t ev = {.seq = 1,
                               .ts = TS - 60000,
                               .kind = "entity.enrolled",
                               .subject = "COORD",
                               .entities = e1,
                               .entity_count = 1,
                               .author = "-",
                               .prev = zero,
                               .data = (const uint8_t *)body.data,
                               .data_len = body.size};
    s_event("event-entity-enrolled",
            "event 1 of a fresh broker: no request (req nil), prev all zeros", &ev, NULL,
            NULL, h1);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    s_pack_assignment(&pk, rec);
    nmirf_mp_pack_kv_str(&pk, "note", "Priorité haute");
    nmirf_mp_pack_kv_uint(&pk, "assigned", TS);
    nmirf_mp_pack_str(&pk, "previous");
    msgpack_pack_nil(&pk);
    const char *e2[] = {"MJ", "MI"};
    uint8_t req_hash[NMIRF_HASH_LEN];
    nmirf_hash2(req_hash, assign, assign_len, assign_sig, sizeof assign_sig);
    s_id(id, 0x20);
    ev = (nmirf_event_fields_t){.seq = 2,
                                .ts = TS,
                                .kind = "assignment.set",
                                .subject = rec,
                                .entities = e2,
                                .entity_count = 2,
                                .author = "COORD",
                                .req = id,
                                .req_hash = req_hash,
                                .prev = h1,
                                .data = (const uint8_t *)body.data,
                                .data_len = body.size};
    s_event("event-assignment-set",
            "event 2: made by request-rec-assign (req_hash = BLAKE2b-256 of its "
            "envelope then signature), prev = hash of event-entity-enrolled",
            &ev, "event-entity-enrolled", "request-rec-assign", h2);
    msgpack_sbuffer_destroy(&body);

    /* A measure with an indicator, then a deadline reminder the broker
       made itself (author "-", no request), chained to event 2. */
    uint8_t *measure = NULL, measure_sig[NMIRF_SIG_LEN];
    size_t measure_len = 0;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_str(&pk, "recs");
    msgpack_pack_array(&pk, 1);
    nmirf_mp_pack_str(&pk, rec);
    nmirf_mp_pack_kv_str(&pk, "title", "Formation des magistrats / تكوين القضاة");
    nmirf_mp_pack_kv_str(&pk, "description",
                         "Train judges and prosecutors on the new law on violence "
                         "against women.");
    nmirf_mp_pack_str(&pk, "indicator");
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "name", "magistrats formés");
    nmirf_mp_pack_kv_str(&pk, "unit", "persons");
    nmirf_mp_pack_kv_uint(&pk, "baseline", 0);
    nmirf_mp_pack_kv_uint(&pk, "target", 1200);
    nmirf_mp_pack_str(&pk, "schedule");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "date", "2026-12-31");
    nmirf_mp_pack_kv_uint(&pk, "value", 400);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "date", "2027-12-31");
    nmirf_mp_pack_kv_uint(&pk, "value", 1200);
    s_request("request-measure-add",
              "the lead plans a measure with a quantitative indicator and a schedule",
              "measure.add", 0x40, "MJ", &body, &measure, &measure_len, measure_sig);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    s_pack_assignment(&pk, rec);
    nmirf_mp_pack_kv_uint(&pk, "assigned", TS);
    nmirf_mp_pack_kv_str(&pk, "today", "2026-06-20");
    nmirf_mp_pack_str(&pk, "days_left");
    msgpack_pack_int64(&pk, 10);
    nmirf_mp_pack_kv_str(&pk, "status", "not_started");
    uint8_t h3[NMIRF_HASH_LEN];
    ev = (nmirf_event_fields_t){.seq = 3,
                                .ts = TS + 86400000ull * 10,
                                .kind = "deadline.due_soon",
                                .subject = rec,
                                .entities = e2,
                                .entity_count = 2,
                                .author = "-",
                                .prev = h2,
                                .data = (const uint8_t *)body.data,
                                .data_len = body.size};
    s_event("event-deadline-due-soon",
            "event 3: a reminder the broker made from its clock (author -, req nil), "
            "prev = hash of event-assignment-set",
            &ev, "event-assignment-set", NULL, h3);
    msgpack_sbuffer_destroy(&body);
    free(measure);
    (void)measure_len;

    /* Added with report.submit's `by`: a submission that names who at the
       ministry wrote it, and the report.submitted event it makes, chained
       to event 3, whose report record carries `by` after `entity`. Added
       after every earlier case, so those stay byte for byte. */
    const char *by = "Fatima Zahra El Idrissi / فاطمة الزهراء الإدريسي";
    const char *by_narrative = "Circulaire n° 7/2026 diffusée aux parquets.";
    uint8_t *submit_by, submit_by_sig[NMIRF_SIG_LEN];
    size_t submit_by_len;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "rec", rec);
    nmirf_mp_pack_kv_str(&pk, "status", "in_progress");
    nmirf_mp_pack_kv_str(&pk, "narrative", by_narrative);
    nmirf_mp_pack_kv_str(&pk, "date", "2026-01-15");
    nmirf_mp_pack_kv_str(&pk, "by", by);
    s_request("request-report-submit-by",
              "a ministry reports and names who wrote it (by: one line, 1 to 128 "
              "bytes, no control character)",
              "report.submit", 0x50, "MJ", &body, &submit_by, &submit_by_len,
              submit_by_sig);
    msgpack_sbuffer_destroy(&body);

    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 10);
    nmirf_mp_pack_kv_uint(&pk, "id", 1);
    nmirf_mp_pack_kv_str(&pk, "rec", rec);
    nmirf_mp_pack_kv_str(&pk, "entity", "MJ");
    nmirf_mp_pack_kv_str(&pk, "by", by);
    nmirf_mp_pack_kv_str(&pk, "status", "in_progress");
    nmirf_mp_pack_kv_str(&pk, "narrative", by_narrative);
    nmirf_mp_pack_str(&pk, "evidence");
    msgpack_pack_array(&pk, 0);
    nmirf_mp_pack_kv_str(&pk, "date", "2026-01-15");
    nmirf_mp_pack_kv_str(&pk, "state", "submitted");
    nmirf_mp_pack_kv_uint(&pk, "submitted", TS + 86400000ull * 15);
    const char *e4[] = {"MJ"};
    uint8_t h4[NMIRF_HASH_LEN];
    nmirf_hash2(req_hash, submit_by, submit_by_len, submit_by_sig, sizeof submit_by_sig);
    s_id(id, 0x50);
    ev = (nmirf_event_fields_t){.seq = 4,
                                .ts = TS + 86400000ull * 15,
                                .kind = "report.submitted",
                                .subject = "1",
                                .entities = e4,
                                .entity_count = 1,
                                .author = "MJ",
                                .req = id,
                                .req_hash = req_hash,
                                .prev = h3,
                                .data = (const uint8_t *)body.data,
                                .data_len = body.size};
    s_event("event-report-submitted-by",
            "event 4: made by request-report-submit-by; the report record has by "
            "after entity (a report without by has no such key), prev = hash of "
            "event-deadline-due-soon",
            &ev, "event-deadline-due-soon", "request-report-submit-by", h4);
    msgpack_sbuffer_destroy(&body);
    free(submit_by);

    s_envelopes(ping, ping_len);
    s_msgpack_checks();
    s_rec_import(h4);
    s_repair_cases(rec, h4);

    json_t *root =
        json_pack("{s:s, s:i, s:o, s:o, s:o}", "about",
                  "nmirf protocol v1 golden vectors; see proto/vectors/README.md",
                  "protocol", 1, "seed", s_hex(seed, sizeof seed), "sign_public",
                  s_hex(s_pk, sizeof s_pk), "cases", s_cases);
    if (s_write_root(root, argc > 1 ? argv[1] : NULL))
        return 1;
    free(ping);
    free(assign);
    free(submit);
    (void)submit_len;
    (void)submit_sig;
    (void)h2;
    return 0;
}
