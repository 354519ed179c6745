/*  nmirf_mp - checked msgpack decoding and packing helpers. */
#include "nmirf_mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cursor over untrusted bytes. */
typedef struct {
    const uint8_t *p;   /* next byte */
    const uint8_t *end; /* one past the last */
    char *why;          /* reason buffer, may be NULL */
    size_t whylen;      /* its size */
} s_cursor_t;

static nmirf_code_t
s_fail(s_cursor_t *c, nmirf_code_t code, const char *what)
{
    if (c->why && c->whylen)
        snprintf(c->why, c->whylen, "%s", what);
    return code;
}

static int
s_take(s_cursor_t *c, size_t n, uint64_t *val)
{
    if ((size_t)(c->end - c->p) < n)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | c->p[i];
    c->p += n;
    *val = v;
    return 0;
}

bool
nmirf_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* Eight ASCII bytes at a time: texts are mostly ASCII, and every
           byte of a snapshot's tens of MiB passes here. */
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        uint8_t b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if ((b & 0xE0) == 0xC0) {
            n = 1;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            n = 2;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            n = 3;
            cp = b & 0x07;
        } else
            return false;
        if (len - i - 1 < n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        /* Overlong forms, surrogates and past-Unicode values are invalid. */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000))
            return false;
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += n + 1;
    }
    return true;
}

/* Checks one object at the cursor. Every container element takes at least
   one byte, so a count larger than the bytes left is refused before
   msgpack-c would allocate for it. */
static nmirf_code_t
s_check(s_cursor_t *c, int depth)
{
    if (depth > NMIRF_MP_MAX_DEPTH)
        return s_fail(c, NMIRF_E_BAD_MSGPACK, "msgpack nested too deep");
    if (c->p >= c->end)
        return s_fail(c, NMIRF_E_BAD_MSGPACK, "msgpack truncated");
    uint8_t t = *c->p++;
    uint64_t n = 0;
    size_t skip = 0;    /* payload bytes to skip */
    uint64_t items = 0; /* child objects to check */
    bool is_str = false;

    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        return NMIRF_OK; /* fixint, nil, bool */
    bool container = (t & 0xe0) == 0x80 || (t >= 0xdc && t <= 0xdf);
    /* Containers nest at most NMIRF_MP_MAX_DEPTH deep, counting the root:
       msgpack-c cannot hold more open ones, even empty. */
    if (container && depth >= NMIRF_MP_MAX_DEPTH)
        return s_fail(c, NMIRF_E_BAD_MSGPACK, "msgpack nested too deep");
    if ((t & 0xf0) == 0x80)
        items = (uint64_t)(t & 0x0f) * 2;
    else if ((t & 0xf0) == 0x90)
        items = t & 0x0f;
    else if ((t & 0xe0) == 0xa0) {
        skip = t & 0x1f;
        is_str = true;
    } else {
        switch (t) {
        case 0xcc:
        case 0xd0:
            skip = 1;
            break;
        case 0xcd:
        case 0xd1:
            skip = 2;
            break;
        case 0xce:
        case 0xd2:
        case 0xca:
            skip = 4;
            break;
        case 0xcf:
        case 0xd3:
        case 0xcb:
            skip = 8;
            break;
        case 0xc4:
        case 0xd9:
            if (s_take(c, 1, &n))
                goto truncated;
            skip = n;
            is_str = t == 0xd9;
            break;
        case 0xc5:
        case 0xda:
            if (s_take(c, 2, &n))
                goto truncated;
            skip = n;
            is_str = t == 0xda;
            break;
        case 0xc6:
        case 0xdb:
            if (s_take(c, 4, &n))
                goto truncated;
            skip = n;
            is_str = t == 0xdb;
            break;
        case 0xdc:
            if (s_take(c, 2, &n))
                goto truncated;
            items = n;
            break;
        case 0xdd:
            if (s_take(c, 4, &n))
                goto truncated;
            items = n;
            break;
        case 0xde:
            if (s_take(c, 2, &n))
                goto truncated;
            items = n * 2;
            break;
        case 0xdf:
            if (s_take(c, 4, &n))
                goto truncated;
            items = n * 2;
            break;
        default:
            return s_fail(c, NMIRF_E_BAD_MSGPACK, "msgpack ext types are not accepted");
        }
    }
    if (skip > (size_t)(c->end - c->p))
        goto truncated;
    if (is_str && !nmirf_utf8_valid(c->p, skip))
        return s_fail(c, NMIRF_E_BAD_UTF8, "string is not valid UTF-8");
    c->p += skip;
    if (items > (uint64_t)(c->end - c->p))
        goto truncated;
    for (uint64_t i = 0; i < items; i++) {
        nmirf_code_t rc = s_check(c, depth + 1);
        if (rc != NMIRF_OK)
            return rc;
    }
    return NMIRF_OK;
truncated:
    return s_fail(c, NMIRF_E_BAD_MSGPACK, "msgpack truncated");
}

nmirf_code_t
nmirf_mp_check(const uint8_t *buf, size_t len, char *why, size_t whylen)
{
    s_cursor_t c = {buf, buf + len, why, whylen};
    if (len == 0)
        return s_fail(&c, NMIRF_E_BAD_MSGPACK, "empty msgpack");
    nmirf_code_t rc = s_check(&c, 0);
    if (rc == NMIRF_OK && c.p != c.end)
        return s_fail(&c, NMIRF_E_BAD_MSGPACK, "trailing bytes after msgpack object");
    return rc;
}

nmirf_code_t
nmirf_mp_check_prefix(const uint8_t *buf, size_t len, size_t *used, char *why,
                      size_t whylen)
{
    s_cursor_t c = {buf, buf + len, why, whylen};
    *used = 0;
    if (len == 0)
        return s_fail(&c, NMIRF_E_BAD_MSGPACK, "empty msgpack");
    nmirf_code_t rc = s_check(&c, 0);
    if (rc == NMIRF_OK)
        *used = (size_t)(c.p - buf);
    return rc;
}

/* The header at r->p: its size in bytes (*hdr), the payload bytes after
   it (*skip) and the objects it holds (*items; pairs count twice).
   Returns 0, or -1 if truncated or an ext type (never accepted). */
static int
s_header(const nmirf_mp_reader_t *r, size_t *hdr, uint64_t *skip, uint64_t *items)
{
    if (r->p >= r->end)
        return -1;
    uint8_t t = r->p[0];
    size_t w = 0; /* bytes of the length or value after the type byte */
    *skip = *items = 0;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        w = 0;
    else if ((t & 0xf0) == 0x80)
        *items = (uint64_t)(t & 0x0f) * 2;
    else if ((t & 0xf0) == 0x90)
        *items = t & 0x0f;
    else if ((t & 0xe0) == 0xa0)
        *skip = t & 0x1f;
    else
        switch (t) {
        case 0xcc:
        case 0xd0:
            *skip = 1;
            break;
        case 0xcd:
        case 0xd1:
            *skip = 2;
            break;
        case 0xce:
        case 0xd2:
        case 0xca:
            *skip = 4;
            break;
        case 0xcf:
        case 0xd3:
        case 0xcb:
            *skip = 8;
            break;
        case 0xc4:
        case 0xd9:
            w = 1;
            break;
        case 0xc5:
        case 0xda:
        case 0xdc:
        case 0xde:
            w = 2;
            break;
        case 0xc6:
        case 0xdb:
        case 0xdd:
        case 0xdf:
            w = 4;
            break;
        default:
            return -1;
        }
    if ((size_t)(r->end - r->p) - 1 < w)
        return -1;
    uint64_t n = 0;
    for (size_t i = 1; i <= w; i++)
        n = (n << 8) | r->p[i];
    if (w && (t == 0xdc || t == 0xdd))
        *items = n;
    else if (w && (t == 0xde || t == 0xdf))
        *items = n * 2;
    else if (w)
        *skip = n;
    *hdr = 1 + w;
    if (*skip > (uint64_t)(r->end - r->p - *hdr))
        return -1;
    return 0;
}

/* Reads a container header whose type bytes are fix (mask/fix), 16 and
   32; *n its count (pairs for a map). */
static int
s_read_count(nmirf_mp_reader_t *r, uint8_t fix, uint8_t t16, uint8_t t32, uint32_t *n)
{
    size_t hdr;
    uint64_t skip, items;
    if (r->p >= r->end)
        return -1;
    uint8_t t = r->p[0];
    if ((t & 0xf0) != fix && t != t16 && t != t32)
        return -1;
    if (s_header(r, &hdr, &skip, &items))
        return -1;
    *n = (uint32_t)(fix == 0x80 ? items / 2 : items);
    r->p += hdr;
    return 0;
}

int
nmirf_mp_read_map(nmirf_mp_reader_t *r, uint32_t *n)
{
    return s_read_count(r, 0x80, 0xde, 0xdf, n);
}

int
nmirf_mp_read_array(nmirf_mp_reader_t *r, uint32_t *n)
{
    return s_read_count(r, 0x90, 0xdc, 0xdd, n);
}

int
nmirf_mp_read_str(nmirf_mp_reader_t *r, const char **s, uint32_t *n)
{
    size_t hdr;
    uint64_t skip, items;
    if (r->p >= r->end)
        return -1;
    uint8_t t = r->p[0];
    if ((t & 0xe0) != 0xa0 && t != 0xd9 && t != 0xda && t != 0xdb)
        return -1;
    if (s_header(r, &hdr, &skip, &items))
        return -1;
    *s = (const char *)r->p + hdr;
    *n = (uint32_t)skip;
    r->p += hdr + skip;
    return 0;
}

int
nmirf_mp_read_uint(nmirf_mp_reader_t *r, uint64_t *v)
{
    size_t hdr;
    uint64_t skip, items;
    if (r->p >= r->end)
        return -1;
    uint8_t t = r->p[0];
    if (t <= 0x7f) {
        *v = t;
        r->p++;
        return 0;
    }
    if (t < 0xcc || t > 0xcf || s_header(r, &hdr, &skip, &items))
        return -1;
    uint64_t x = 0;
    for (size_t i = 1; i <= skip; i++)
        x = (x << 8) | r->p[i];
    *v = x;
    r->p += 1 + skip;
    return 0;
}

int
nmirf_mp_skip(nmirf_mp_reader_t *r)
{
    /* Objects left to step over: each container adds what it holds. */
    const uint8_t *p0 = r->p;
    uint64_t left = 1;
    while (left > 0) {
        size_t hdr;
        uint64_t skip, items;
        if (s_header(r, &hdr, &skip, &items) ||
            items > (uint64_t)(r->end - r->p - hdr - skip)) {
            r->p = p0;
            return -1;
        }
        r->p += hdr + skip;
        left = left - 1 + items;
    }
    return 0;
}

nmirf_code_t
nmirf_mp_unpack(const uint8_t *buf, size_t len, msgpack_zone *zone, msgpack_object *obj,
                char *why, size_t whylen)
{
    nmirf_code_t rc = nmirf_mp_check(buf, len, why, whylen);
    if (rc != NMIRF_OK)
        return rc;
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack((const char *)buf, len, &off, zone, obj);
    if (ur != MSGPACK_UNPACK_SUCCESS || off != len) {
        if (why && whylen)
            snprintf(why, whylen, "msgpack could not be unpacked");
        return NMIRF_E_BAD_MSGPACK;
    }
    return NMIRF_OK;
}

const msgpack_object *
nmirf_mp_get(const msgpack_object *obj, const char *key)
{
    if (!obj || obj->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object *k = &obj->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
            memcmp(k->via.str.ptr, key, klen) == 0)
            return &obj->via.map.ptr[i].val;
    }
    return NULL;
}

bool
nmirf_mp_str_is(const msgpack_object *obj, const char *s)
{
    size_t len = strlen(s);
    /* msgpack-c may give an empty string a NULL pointer: no memcmp then. */
    return obj && obj->type == MSGPACK_OBJECT_STR && obj->via.str.size == len &&
           (len == 0 || memcmp(obj->via.str.ptr, s, len) == 0);
}

char *
nmirf_mp_strdup(const msgpack_object *obj)
{
    if (!obj || obj->type != MSGPACK_OBJECT_STR ||
        (obj->via.str.size && memchr(obj->via.str.ptr, 0, obj->via.str.size)))
        return NULL;
    char *s = malloc(obj->via.str.size + 1);
    if (!s)
        return NULL;
    if (obj->via.str.size)
        memcpy(s, obj->via.str.ptr, obj->via.str.size);
    s[obj->via.str.size] = 0;
    return s;
}

int
nmirf_mp_strcpy(const msgpack_object *obj, char *buf, size_t bufsize)
{
    if (!obj || obj->type != MSGPACK_OBJECT_STR || obj->via.str.size >= bufsize ||
        (obj->via.str.size && memchr(obj->via.str.ptr, 0, obj->via.str.size)))
        return -1;
    if (obj->via.str.size)
        memcpy(buf, obj->via.str.ptr, obj->via.str.size);
    buf[obj->via.str.size] = 0;
    return 0;
}

void
nmirf_mp_pack_strn(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

void
nmirf_mp_pack_str(msgpack_packer *pk, const char *s)
{
    nmirf_mp_pack_strn(pk, s, strlen(s));
}

void
nmirf_mp_pack_bin(msgpack_packer *pk, const void *data, size_t len)
{
    msgpack_pack_bin(pk, len);
    msgpack_pack_bin_body(pk, data, len);
}

void
nmirf_mp_pack_kv_str(msgpack_packer *pk, const char *key, const char *val)
{
    nmirf_mp_pack_str(pk, key);
    nmirf_mp_pack_str(pk, val);
}

void
nmirf_mp_pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t val)
{
    nmirf_mp_pack_str(pk, key);
    msgpack_pack_uint64(pk, val);
}

void
nmirf_mp_pack_object(msgpack_packer *pk, const msgpack_object *obj)
{
    msgpack_pack_object(pk, *obj);
}

void
nmirf_mp_map_init(nmirf_mp_map_t *m)
{
    msgpack_sbuffer_init(&m->buf);
    msgpack_packer_init(&m->pk, &m->buf, msgpack_sbuffer_write);
    m->count = 0;
}

msgpack_packer *
nmirf_mp_map_key(nmirf_mp_map_t *m, const char *key)
{
    nmirf_mp_pack_str(&m->pk, key);
    m->count++;
    return &m->pk;
}

void
nmirf_mp_map_str(nmirf_mp_map_t *m, const char *key, const char *val)
{
    nmirf_mp_pack_str(nmirf_mp_map_key(m, key), val);
}

void
nmirf_mp_map_str_or_nil(nmirf_mp_map_t *m, const char *key, const char *val)
{
    msgpack_packer *pk = nmirf_mp_map_key(m, key);
    if (val)
        nmirf_mp_pack_str(pk, val);
    else
        msgpack_pack_nil(pk);
}

void
nmirf_mp_map_uint(nmirf_mp_map_t *m, const char *key, uint64_t val)
{
    msgpack_pack_uint64(nmirf_mp_map_key(m, key), val);
}

void
nmirf_mp_map_int(nmirf_mp_map_t *m, const char *key, int64_t val)
{
    msgpack_pack_int64(nmirf_mp_map_key(m, key), val);
}

void
nmirf_mp_map_bool(nmirf_mp_map_t *m, const char *key, bool val)
{
    msgpack_packer *pk = nmirf_mp_map_key(m, key);
    if (val)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

void
nmirf_mp_map_obj(nmirf_mp_map_t *m, const char *key, const msgpack_object *val)
{
    msgpack_packer *pk = nmirf_mp_map_key(m, key);
    if (val)
        nmirf_mp_pack_object(pk, val);
    else
        msgpack_pack_nil(pk);
}

void
nmirf_mp_map_finish(nmirf_mp_map_t *m, msgpack_packer *pk)
{
    msgpack_pack_map(pk, m->count);
    if (m->buf.size)
        pk->callback(pk->data, m->buf.data, m->buf.size);
    nmirf_mp_map_destroy(m);
}

void
nmirf_mp_map_destroy(nmirf_mp_map_t *m)
{
    msgpack_sbuffer_destroy(&m->buf);
    msgpack_sbuffer_init(&m->buf);
    m->count = 0;
}
