/*  fuzz_envelope - nmirf_envelope_decode() on any bytes, the first thing
    the broker does with frame 1 of every request.

    Besides the sanitizers, it checks what the header promises of an
    accepted envelope: version 1, non-empty NUL-terminated op and author,
    a map body, and the id flag set.
*/
#include "nmirf_mp.h"
#include "nmirf_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_envelope: %s\n", what);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone *zone = msgpack_zone_new(8192);
    if (!zone)
        return 0;
    nmirf_envelope_t env;
    bool has_id = true;
    char why[512] = "";
    nmirf_code_t rc =
        nmirf_envelope_decode(data, size, zone, &env, &has_id, why, sizeof why);
    if (rc == NMIRF_OK) {
        if (env.version != NMIRF_PROTOCOL_VERSION)
            s_broken("accepted a foreign version");
        if (!has_id)
            s_broken("accepted an envelope without an id");
        if (env.op[0] == 0 || memchr(env.op, 0, sizeof env.op) == NULL)
            s_broken("op is empty or not terminated");
        if (env.author[0] == 0 || memchr(env.author, 0, sizeof env.author) == NULL)
            s_broken("author is empty or not terminated");
        if (env.body.type != MSGPACK_OBJECT_MAP)
            s_broken("body is not a map");
        /* Read the body the way handlers do. */
        for (uint32_t i = 0; i < env.body.via.map.size; i++) {
            char *k = nmirf_mp_strdup(&env.body.via.map.ptr[i].key);
            free(k);
        }
    } else {
        if (rc != NMIRF_E_TOO_LARGE && rc != NMIRF_E_BAD_MSGPACK &&
            rc != NMIRF_E_BAD_UTF8 && rc != NMIRF_E_BAD_ENVELOPE &&
            rc != NMIRF_E_BAD_VERSION)
            s_broken("refused with a code the header does not list");
        if (why[0] == 0)
            s_broken("refused without a reason");
    }
    msgpack_zone_free(zone);
    return 0;
}
