/*  fuzz_mp_check - nmirf_mp_check() and nmirf_mp_unpack() on any bytes.

    The promise of nmirf_mp.h: once the check passes, msgpack-c unpacks the
    bytes successfully and consumes exactly all of them, so unpacking is
    safe and bounded. The harness checks that promise, that check and
    unpack agree, and that what was unpacked packs back into bytes that
    pass the check again.
*/
#include "nmirf_mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reports a broken promise and aborts, so libFuzzer keeps the input. */
static void
s_broken(const char *what, const char *why)
{
    fprintf(stderr, "fuzz_mp_check: %s (%s)\n", what, why);
    abort();
}

/* Touches the helpers that read unpacked objects, as callers do. */
static void
s_walk(const msgpack_object *obj)
{
    const msgpack_object *v = nmirf_mp_get(obj, "id");
    char buf[32];
    (void)nmirf_mp_str_is(v, "x");
    (void)nmirf_mp_strcpy(v, buf, sizeof buf);
    free(nmirf_mp_strdup(v));
    if (obj->type == MSGPACK_OBJECT_MAP && obj->via.map.size > 0) {
        const msgpack_object *k = &obj->via.map.ptr[0].key;
        free(nmirf_mp_strdup(k));
        (void)nmirf_mp_strcpy(k, buf, sizeof buf);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256] = "";
    (void)nmirf_utf8_valid(data, size);
    nmirf_code_t checked = nmirf_mp_check(data, size, why, sizeof why);
    if (checked != NMIRF_OK && checked != NMIRF_E_BAD_MSGPACK &&
        checked != NMIRF_E_BAD_UTF8)
        s_broken("check returned an unexpected code", nmirf_code_name(checked));

    msgpack_zone *zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
    if (!zone)
        return 0;
    msgpack_object obj;
    nmirf_code_t unpacked = nmirf_mp_unpack(data, size, zone, &obj, why, sizeof why);
    if (checked != NMIRF_OK) {
        /* Unchecked bytes never reach msgpack-c: it could allocate for
           counts the input does not hold. */
        if (unpacked != checked)
            s_broken("unpack and check disagree on refused bytes", why);
        msgpack_zone_free(zone);
        return 0;
    }
    if (unpacked != NMIRF_OK)
        s_broken("check passed but nmirf_mp_unpack failed", why);

    size_t off = 0;
    msgpack_object raw;
    msgpack_unpack_return ur = msgpack_unpack((const char *)data, size, &off, zone, &raw);
    if (ur != MSGPACK_UNPACK_SUCCESS)
        s_broken("check passed but msgpack_unpack failed", "msgpack-c refused");
    if (off != size)
        s_broken("check passed but msgpack_unpack did not consume every byte",
                 "trailing bytes");
    s_walk(&obj);

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    nmirf_mp_pack_object(&pk, &obj);
    if (nmirf_mp_check((const uint8_t *)sb.data, sb.size, why, sizeof why) != NMIRF_OK)
        s_broken("an accepted object packs back into refused bytes", why);
    msgpack_sbuffer_destroy(&sb);
    msgpack_zone_free(zone);
    return 0;
}
