/*  nmirf_wire - requests, replies and events of protocol version 1. */
#include "nmirf_wire.h"
#include "nmirf_mp.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY(...)                                                                         \
    do {                                                                                 \
        if (why && whylen)                                                               \
            snprintf(why, whylen, __VA_ARGS__);                                          \
    } while (0)

static bool
s_key_is(const msgpack_object *k, const char *name)
{
    return nmirf_mp_str_is(k, name);
}

int
nmirf_request_encode(const char *op, const uint8_t id[NMIRF_ID_LEN], const char *author,
                     uint64_t ts, const uint8_t *body, size_t body_len,
                     const uint8_t sign_sk[NMIRF_SIGN_SK_LEN], uint8_t **env_out,
                     size_t *env_len, uint8_t sig[NMIRF_SIG_LEN])
{
    if (strlen(op) > NMIRF_OP_MAX || strlen(author) > NMIRF_ENTITY_ID_MAX)
        return -1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    nmirf_mp_pack_kv_uint(&pk, "v", NMIRF_PROTOCOL_VERSION);
    nmirf_mp_pack_kv_str(&pk, "op", op);
    nmirf_mp_pack_str(&pk, "id");
    nmirf_mp_pack_bin(&pk, id, NMIRF_ID_LEN);
    nmirf_mp_pack_kv_str(&pk, "author", author);
    nmirf_mp_pack_kv_uint(&pk, "ts", ts);
    nmirf_mp_pack_str(&pk, "body");
    if (body && body_len)
        msgpack_sbuffer_write(&sb, (const char *)body, body_len);
    else
        msgpack_pack_map(&pk, 0);
    crypto_sign_detached(sig, NULL, (const uint8_t *)sb.data, sb.size, sign_sk);
    *env_len = sb.size;
    *env_out = (uint8_t *)msgpack_sbuffer_release(&sb);
    return 0;
}

nmirf_code_t
nmirf_envelope_decode(const uint8_t *buf, size_t len, msgpack_zone *zone,
                      nmirf_envelope_t *env, bool *has_id, char *why, size_t whylen)
{
    *has_id = false;
    memset(env, 0, sizeof *env);
    if (len > NMIRF_MAX_ENVELOPE) {
        WHY("envelope is %zu bytes, over the %d byte limit", len, NMIRF_MAX_ENVELOPE);
        return NMIRF_E_TOO_LARGE;
    }
    msgpack_object root;
    nmirf_code_t rc = nmirf_mp_unpack(buf, len, zone, &root, why, whylen);
    if (rc != NMIRF_OK)
        return rc;
    if (root.type != MSGPACK_OBJECT_MAP) {
        WHY("envelope is not a map");
        return NMIRF_E_BAD_ENVELOPE;
    }
    /* Read the id first, so that even a refusal can name the request. */
    const msgpack_object *id = nmirf_mp_get(&root, "id");
    if (id && id->type == MSGPACK_OBJECT_BIN && id->via.bin.size == NMIRF_ID_LEN) {
        memcpy(env->id, id->via.bin.ptr, NMIRF_ID_LEN);
        *has_id = true;
    }
    unsigned seen = 0;
    for (uint32_t i = 0; i < root.via.map.size; i++) {
        const msgpack_object *k = &root.via.map.ptr[i].key;
        const msgpack_object *v = &root.via.map.ptr[i].val;
        unsigned bit;
        if (s_key_is(k, "v")) {
            bit = 1;
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
                WHY("envelope field 'v' must be an unsigned integer");
                return NMIRF_E_BAD_ENVELOPE;
            }
            env->version = v->via.u64;
        } else if (s_key_is(k, "op")) {
            bit = 2;
            if (nmirf_mp_strcpy(v, env->op, sizeof env->op) || env->op[0] == 0) {
                WHY("envelope field 'op' must be a string of 1 to %d bytes",
                    NMIRF_OP_MAX);
                return NMIRF_E_BAD_ENVELOPE;
            }
        } else if (s_key_is(k, "id")) {
            bit = 4;
            if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != NMIRF_ID_LEN) {
                WHY("envelope field 'id' must be %d bytes of bin", NMIRF_ID_LEN);
                return NMIRF_E_BAD_ENVELOPE;
            }
        } else if (s_key_is(k, "author")) {
            bit = 8;
            if (nmirf_mp_strcpy(v, env->author, sizeof env->author) ||
                env->author[0] == 0) {
                WHY("envelope field 'author' must be an entity id of 1 to %d bytes",
                    NMIRF_ENTITY_ID_MAX);
                return NMIRF_E_BAD_ENVELOPE;
            }
        } else if (s_key_is(k, "ts")) {
            bit = 16;
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
                WHY("envelope field 'ts' must be an unsigned integer");
                return NMIRF_E_BAD_ENVELOPE;
            }
            env->ts = v->via.u64;
        } else if (s_key_is(k, "body")) {
            bit = 32;
            if (v->type != MSGPACK_OBJECT_MAP) {
                WHY("envelope field 'body' must be a map");
                return NMIRF_E_BAD_ENVELOPE;
            }
            env->body = *v;
        } else {
            if (k->type == MSGPACK_OBJECT_STR)
                WHY("unknown envelope field '%.*s'", (int)k->via.str.size,
                    k->via.str.ptr);
            else
                WHY("envelope keys must be strings");
            return NMIRF_E_BAD_ENVELOPE;
        }
        if (seen & bit) {
            WHY("envelope field repeated");
            return NMIRF_E_BAD_ENVELOPE;
        }
        seen |= bit;
    }
    static const char *const names[] = {"v", "op", "id", "author", "ts", "body"};
    for (int b = 0; b < 6; b++)
        if (!(seen & (1u << b))) {
            WHY("envelope field '%s' is missing", names[b]);
            return NMIRF_E_BAD_ENVELOPE;
        }
    if (env->version != NMIRF_PROTOCOL_VERSION) {
        WHY("protocol version %llu is not spoken here (this broker speaks %d)",
            (unsigned long long)env->version, NMIRF_PROTOCOL_VERSION);
        return NMIRF_E_BAD_VERSION;
    }
    return NMIRF_OK;
}

bool
nmirf_signature_ok(const uint8_t *buf, size_t len, const uint8_t sig[NMIRF_SIG_LEN],
                   const uint8_t pk[NMIRF_SIGN_PK_LEN])
{
    return crypto_sign_verify_detached(sig, buf, len, pk) == 0;
}

void
nmirf_reply_encode(msgpack_sbuffer *out, const uint8_t *id, nmirf_code_t code,
                   const char *message, uint64_t seq, const uint8_t *body,
                   size_t body_len)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    nmirf_mp_pack_kv_uint(&pk, "v", NMIRF_PROTOCOL_VERSION);
    nmirf_mp_pack_str(&pk, "id");
    if (id)
        nmirf_mp_pack_bin(&pk, id, NMIRF_ID_LEN);
    else
        msgpack_pack_nil(&pk);
    nmirf_mp_pack_str(&pk, "ok");
    if (code == NMIRF_OK)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    nmirf_mp_pack_kv_str(&pk, "code", nmirf_code_name(code));
    nmirf_mp_pack_kv_str(&pk, "message", message ? message : "");
    nmirf_mp_pack_kv_uint(&pk, "seq", seq);
    nmirf_mp_pack_str(&pk, "body");
    if (body && body_len)
        msgpack_sbuffer_write(out, (const char *)body, body_len);
    else
        msgpack_pack_nil(&pk);
}

/* Copies buf and unpacks it into a fresh zone; the common first step of
   decoding replies and events. Returns 0, or -1 with a reason. */
static int
s_unpack_owned(const uint8_t *buf, size_t len, uint8_t **bytes, msgpack_zone **zone,
               msgpack_object *root, char *why, size_t whylen)
{
    *bytes = malloc(len ? len : 1);
    *zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
    if (!*bytes || !*zone) {
        WHY("out of memory");
        return -1;
    }
    memcpy(*bytes, buf, len);
    if (nmirf_mp_unpack(*bytes, len, *zone, root, why, whylen) != NMIRF_OK)
        return -1;
    if (root->type != MSGPACK_OBJECT_MAP) {
        WHY("not a map");
        return -1;
    }
    return 0;
}

/* Fills self from the reply map root. Returns 0, or -1 with a reason. */
static int
s_reply_fields(nmirf_reply_t *self, const msgpack_object *root, char *why, size_t whylen)
{
    const msgpack_object *id = nmirf_mp_get(root, "id");
    const msgpack_object *ok = nmirf_mp_get(root, "ok");
    const msgpack_object *code = nmirf_mp_get(root, "code");
    const msgpack_object *msg = nmirf_mp_get(root, "message");
    const msgpack_object *seq = nmirf_mp_get(root, "seq");
    const msgpack_object *body = nmirf_mp_get(root, "body");
    if (!ok || ok->type != MSGPACK_OBJECT_BOOLEAN ||
        nmirf_mp_strcpy(code, self->code_name, sizeof self->code_name) || !seq ||
        seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        WHY("reply lacks ok, code or seq");
        return -1;
    }
    if (id && id->type == MSGPACK_OBJECT_BIN && id->via.bin.size == NMIRF_ID_LEN) {
        self->has_id = true;
        memcpy(self->id, id->via.bin.ptr, NMIRF_ID_LEN);
    }
    self->ok = ok->via.boolean;
    self->code = nmirf_code_from_name(self->code_name);
    self->message = msg ? nmirf_mp_strdup(msg) : NULL;
    if (!self->message)
        self->message = strdup("");
    self->seq = seq->via.u64;
    if (body)
        self->body = *body;
    else
        self->body.type = MSGPACK_OBJECT_NIL;
    return 0;
}

nmirf_reply_t *
nmirf_reply_decode(const uint8_t *buf, size_t len, char *why, size_t whylen)
{
    nmirf_reply_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    msgpack_object root;
    if (s_unpack_owned(buf, len, &self->bytes, &self->zone, &root, why, whylen) ||
        s_reply_fields(self, &root, why, whylen))
        nmirf_reply_destroy(&self);
    return self;
}

nmirf_reply_t *
nmirf_reply_decode_lazy(const uint8_t *buf, size_t len, void *owner,
                        void (*owner_free)(void *owner), char *why, size_t whylen)
{
    nmirf_reply_t *self = calloc(1, sizeof *self);
    if (!self) {
        if (owner)
            owner_free(owner);
        return NULL;
    }
    self->owner = owner;
    self->owner_free = owner_free;
    self->zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
    if (!owner && (self->bytes = malloc(len ? len : 1)) != NULL) {
        memcpy(self->bytes, buf, len);
        buf = self->bytes;
    }
    if ((!owner && !self->bytes) || !self->zone) {
        WHY("out of memory");
        goto fail;
    }
    /* Every byte checked, as nmirf_reply_decode does; then the map is
       walked in place and each value but the body unpacked on its own. */
    if (nmirf_mp_check(buf, len, why, whylen) != NMIRF_OK)
        goto fail;
    nmirf_mp_reader_t r = {buf, buf + len};
    uint32_t n;
    if (nmirf_mp_read_map(&r, &n)) {
        WHY("not a map");
        goto fail;
    }
    msgpack_object root = {.type = MSGPACK_OBJECT_MAP};
    root.via.map.size = n;
    root.via.map.ptr =
        msgpack_zone_malloc(self->zone, (n ? n : 1) * sizeof(msgpack_object_kv));
    if (!root.via.map.ptr) {
        WHY("out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < n; i++) {
        msgpack_object_kv *kv = &root.via.map.ptr[i];
        size_t off = (size_t)(r.p - buf);
        msgpack_unpack_return ur =
            msgpack_unpack((const char *)buf, len, &off, self->zone, &kv->key);
        if (ur != MSGPACK_UNPACK_SUCCESS && ur != MSGPACK_UNPACK_EXTRA_BYTES)
            goto bad;
        r.p = buf + off;
        if (!self->body_raw && nmirf_mp_str_is(&kv->key, "body")) {
            self->body_raw = r.p;
            if (nmirf_mp_skip(&r))
                goto bad;
            self->body_len = (size_t)(r.p - self->body_raw);
            kv->val.type = MSGPACK_OBJECT_NIL; /* nmirf_reply_unpack_body */
            continue;
        }
        ur = msgpack_unpack((const char *)buf, len, &off, self->zone, &kv->val);
        if (ur != MSGPACK_UNPACK_SUCCESS && ur != MSGPACK_UNPACK_EXTRA_BYTES)
            goto bad;
        r.p = buf + off;
    }
    if (s_reply_fields(self, &root, why, whylen) == 0)
        return self;
    goto fail;
bad:
    WHY("msgpack could not be unpacked");
fail:
    nmirf_reply_destroy(&self);
    return NULL;
}

int
nmirf_reply_unpack_body(nmirf_reply_t *self)
{
    if (self->body.type != MSGPACK_OBJECT_NIL || !self->body_raw)
        return 0;
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack(
        (const char *)self->body_raw, self->body_len, &off, self->zone, &self->body);
    if (ur != MSGPACK_UNPACK_SUCCESS || off != self->body_len) {
        self->body.type = MSGPACK_OBJECT_NIL;
        return -1;
    }
    return 0;
}

void
nmirf_reply_destroy(nmirf_reply_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nmirf_reply_t *self = *self_p;
    if (self->zone)
        msgpack_zone_free(self->zone);
    free(self->bytes);
    if (self->owner)
        self->owner_free(self->owner);
    free(self->message);
    free(self);
    *self_p = NULL;
}

void
nmirf_event_encode(msgpack_sbuffer *out, const nmirf_event_fields_t *ev)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 10);
    nmirf_mp_pack_kv_uint(&pk, "seq", ev->seq);
    nmirf_mp_pack_kv_uint(&pk, "ts", ev->ts);
    nmirf_mp_pack_kv_str(&pk, "kind", ev->kind);
    nmirf_mp_pack_kv_str(&pk, "subject", ev->subject);
    nmirf_mp_pack_str(&pk, "entities");
    msgpack_pack_array(&pk, ev->entity_count);
    for (size_t i = 0; i < ev->entity_count; i++)
        nmirf_mp_pack_str(&pk, ev->entities[i]);
    nmirf_mp_pack_kv_str(&pk, "author", ev->author);
    nmirf_mp_pack_str(&pk, "req");
    if (ev->req)
        nmirf_mp_pack_bin(&pk, ev->req, NMIRF_ID_LEN);
    else
        msgpack_pack_nil(&pk);
    nmirf_mp_pack_str(&pk, "req_hash");
    if (ev->req_hash)
        nmirf_mp_pack_bin(&pk, ev->req_hash, NMIRF_HASH_LEN);
    else
        msgpack_pack_nil(&pk);
    nmirf_mp_pack_str(&pk, "prev");
    nmirf_mp_pack_bin(&pk, ev->prev, NMIRF_HASH_LEN);
    nmirf_mp_pack_str(&pk, "data");
    if (ev->data && ev->data_len)
        msgpack_sbuffer_write(out, (const char *)ev->data, ev->data_len);
    else
        msgpack_pack_map(&pk, 0);
}

nmirf_event_t *
nmirf_event_decode(const uint8_t *buf, size_t len, char *why, size_t whylen)
{
    nmirf_event_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    msgpack_object root;
    if (s_unpack_owned(buf, len, &self->bytes, &self->zone, &root, why, whylen))
        goto fail;
    self->len = len;
    const msgpack_object *seq = nmirf_mp_get(&root, "seq");
    const msgpack_object *ts = nmirf_mp_get(&root, "ts");
    const msgpack_object *ents = nmirf_mp_get(&root, "entities");
    const msgpack_object *req = nmirf_mp_get(&root, "req");
    const msgpack_object *req_hash = nmirf_mp_get(&root, "req_hash");
    const msgpack_object *prev = nmirf_mp_get(&root, "prev");
    const msgpack_object *data = nmirf_mp_get(&root, "data");
    if (!seq || seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !ts ||
        ts->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        nmirf_mp_strcpy(nmirf_mp_get(&root, "kind"), self->kind, sizeof self->kind) ||
        nmirf_mp_strcpy(nmirf_mp_get(&root, "author"), self->author,
                        sizeof self->author) ||
        !(self->subject = nmirf_mp_strdup(nmirf_mp_get(&root, "subject")))) {
        WHY("event lacks seq, ts, kind, author or subject");
        goto fail;
    }
    if (!ents || ents->type != MSGPACK_OBJECT_ARRAY) {
        WHY("event entities must be an array");
        goto fail;
    }
    for (uint32_t i = 0; i < ents->via.array.size; i++)
        if (ents->via.array.ptr[i].type != MSGPACK_OBJECT_STR) {
            WHY("event entities must be strings");
            goto fail;
        }
    if (!prev || prev->type != MSGPACK_OBJECT_BIN ||
        prev->via.bin.size != NMIRF_HASH_LEN) {
        WHY("event prev must be %d bytes", NMIRF_HASH_LEN);
        goto fail;
    }
    if (!data || data->type != MSGPACK_OBJECT_MAP) {
        WHY("event data must be a map");
        goto fail;
    }
    if (req && req->type == MSGPACK_OBJECT_BIN && req->via.bin.size == NMIRF_ID_LEN &&
        req_hash && req_hash->type == MSGPACK_OBJECT_BIN &&
        req_hash->via.bin.size == NMIRF_HASH_LEN) {
        self->has_req = true;
        memcpy(self->req, req->via.bin.ptr, NMIRF_ID_LEN);
        memcpy(self->req_hash, req_hash->via.bin.ptr, NMIRF_HASH_LEN);
    }
    self->seq = seq->via.u64;
    self->ts = ts->via.u64;
    self->entities = *ents;
    memcpy(self->prev, prev->via.bin.ptr, NMIRF_HASH_LEN);
    self->data = *data;
    return self;
fail:
    nmirf_event_destroy(&self);
    return NULL;
}

void
nmirf_event_destroy(nmirf_event_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nmirf_event_t *self = *self_p;
    if (self->zone)
        msgpack_zone_free(self->zone);
    free(self->bytes);
    free(self->subject);
    free(self);
    *self_p = NULL;
}

bool
nmirf_event_concerns(const nmirf_event_t *ev, const char *id)
{
    for (uint32_t i = 0; i < ev->entities.via.array.size; i++)
        if (nmirf_mp_str_is(&ev->entities.via.array.ptr[i], id))
            return true;
    return false;
}

void
nmirf_hash2(uint8_t out[NMIRF_HASH_LEN], const uint8_t *a, size_t alen, const uint8_t *b,
            size_t blen)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, NMIRF_HASH_LEN);
    crypto_generichash_update(&st, a, alen);
    if (b && blen)
        crypto_generichash_update(&st, b, blen);
    crypto_generichash_final(&st, out, NMIRF_HASH_LEN);
}
