/*  keys_test - one key, one entity: entity.enroll and entity.rotate refuse
    (key_in_use) a signing or CURVE key that another entity holds, active
    or revoked, or held before a rotation, and the refusal changes
    nothing: no event, no record, and the entity that holds the key still
    connects and is answered as itself.

    Before the rule, enrolling a second id with a ministry's CURVE key made
    ZAP name the second id for the ministry's connections, and every
    request of the ministry was refused with author_mismatch.
*/
#include "harness.h"

#include <string.h>

#include "nmirf_mp.h"

static h_broker_t *b;
static h_entity_t *coord;
static h_entity_t *mj;   /* active: holds its keys */
static h_entity_t *gone; /* revoked: still holds its keys */
static h_entity_t *rot;  /* rotated once: rot_old holds its retired keys */
static nmirf_key_t rot_old;

/* Packs an entity.enroll (id, role ministry) or, if rotate, an
   entity.rotate body for id with the given raw keys. Caller frees. */
static msgpack_sbuffer *
pack_keys(bool rotate, const char *id, const uint8_t *sign, const uint8_t *curve)
{
    msgpack_sbuffer *sb = msgpack_sbuffer_new();
    H_ASSERT(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, rotate ? 3 : 4);
    nmirf_mp_pack_kv_str(&pk, "id", id);
    if (!rotate)
        nmirf_mp_pack_kv_str(&pk, "role", "ministry");
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, sign, 32);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, 32);
    return sb;
}

/* The raw CURVE public key of key. */
static void
curve_of(const nmirf_key_t *key, uint8_t out[32])
{
    H_ASSERT(nmirf_key_curve_raw(key, out) == 0);
}

/* Sends op with the keys as the coordinator and expects key_in_use, with
   nothing committed. what names the case for the failure message. */
static void
expect_in_use(const char *what, bool rotate, const char *id, const uint8_t *sign,
              const uint8_t *curve)
{
    uint64_t before = h_seq(b);
    msgpack_sbuffer *sb = pack_keys(rotate, id, sign, curve);
    nmirf_reply_t *r =
        h_call_packed(coord, NULL, rotate ? "entity.rotate" : "entity.enroll",
                      (uint8_t *)sb->data, sb->size);
    msgpack_sbuffer_free(sb);
    H_ASSERTF(r && strcmp(r->code_name, "key_in_use") == 0, "%s: got %s", what,
              r ? r->code_name : "(no reply)");
    nmirf_reply_destroy(&r);
    H_ASSERTF(h_seq(b) == before, "%s: an event was committed", what);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 55);
    b = h_broker_start(NULL);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    h_entity_t *ms = h_enroll(b, "MS", "ministry");
    gone = h_enroll(b, "GONE", "ministry");
    H_CALL_CHECK("ok", coord, "entity.revoke", "{'id': 'GONE'}");
    rot = h_enroll(b, "ROT", "ministry");
    rot_old = rot->key;
    nmirf_key_t rot_new;
    H_ASSERT(nmirf_key_generate(&rot_new, "ROT") == 0);
    uint8_t c_mj[32], c_gone[32], c_old[32], c_new[32];
    curve_of(&mj->key, c_mj);
    curve_of(&gone->key, c_gone);
    curve_of(&rot_old, c_old);
    curve_of(&rot_new, c_new);
    msgpack_sbuffer *sb = pack_keys(true, "ROT", rot_new.sign_pk, c_new);
    nmirf_reply_t *r =
        h_call_packed(coord, NULL, "entity.rotate", (uint8_t *)sb->data, sb->size);
    msgpack_sbuffer_free(sb);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);

    /* Fresh keys for the newcomer, one of them replaced by a held one. */
    nmirf_key_t fresh;
    H_ASSERT(nmirf_key_generate(&fresh, "NEW") == 0);
    uint8_t c_fresh[32];
    curve_of(&fresh, c_fresh);
    expect_in_use("enroll, active CURVE key", false, "NEW", fresh.sign_pk, c_mj);
    expect_in_use("enroll, active signing key", false, "NEW", mj->key.sign_pk, c_fresh);
    expect_in_use("enroll, revoked CURVE key", false, "NEW", fresh.sign_pk, c_gone);
    expect_in_use("enroll, revoked signing key", false, "NEW", gone->key.sign_pk,
                  c_fresh);
    expect_in_use("enroll, retired CURVE key", false, "NEW", fresh.sign_pk, c_old);
    expect_in_use("enroll, retired signing key", false, "NEW", rot_old.sign_pk, c_fresh);
    expect_in_use("enroll, rotated-to CURVE key", false, "NEW", fresh.sign_pk, c_new);
    H_CALL_CHECK("not_found", coord, "entity.show", "{'id': 'NEW'}");
    h_note("enroll: active, revoked, retired and current keys of others refused");

    expect_in_use("rotate, active CURVE key", true, "MS", fresh.sign_pk, c_mj);
    expect_in_use("rotate, active signing key", true, "MS", mj->key.sign_pk, c_fresh);
    expect_in_use("rotate, revoked CURVE key", true, "MS", fresh.sign_pk, c_gone);
    expect_in_use("rotate, retired CURVE key", true, "MS", fresh.sign_pk, c_old);
    expect_in_use("rotate, retired signing key", true, "MS", rot_old.sign_pk, c_fresh);
    r = H_CALL_EXPECT("ok", coord, "entity.show", "{'id': 'MS'}");
    H_ASSERT(h_bin_is(&r->body, "entity.sign_key", ms->key.sign_pk, 32));
    H_ASSERT(h_nil(&r->body, "entity.previous_keys"));
    nmirf_reply_destroy(&r);
    h_note("rotate: keys of others refused, the record unchanged");

    /* The holders are untouched: MJ still connects and speaks as MJ, MS
       too, and a fresh key pair still enrolls. */
    H_CALL_CHECK("ok", mj, "ping", "{}");
    H_CALL_CHECK("ok", ms, "ping", "{}");
    h_entity_t *newcomer = h_enroll(b, "NEW", "ministry");
    H_CALL_CHECK("ok", newcomer, "ping", "{}");
    H_CALL_CHECK("ok", mj, "ping", "{}");
    h_note("the holders still answered; fresh keys enroll");

    h_broker_destroy(&b);
    printf("keys_test: all passed\n");
    return 0;
}
