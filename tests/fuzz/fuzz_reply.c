/*  fuzz_reply - nmirf_reply_decode() on any bytes: what a client does with
    every frame a broker (or anything posing as one) sends back; and
    nmirf_reply_decode_lazy(), as the agent's link decodes every reply,
    which must accept exactly what the full decoder accepts, with a body
    the in-place reader steps over whole and that unpacks.
*/
#include "nmirf_mp.h"
#include "nmirf_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_reply: %s\n", what);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512] = "";
    nmirf_reply_t *reply = nmirf_reply_decode(data, size, why, sizeof why);
    nmirf_reply_t *lazy =
        nmirf_reply_decode_lazy(data, size, NULL, NULL, why, sizeof why);
    if (!reply != !lazy)
        s_broken("the lazy and the full decoder disagree");
    if (lazy && lazy->body_raw) {
        nmirf_mp_reader_t r = {lazy->body_raw, lazy->body_raw + lazy->body_len};
        if (nmirf_mp_skip(&r) != 0 || r.p != r.end)
            s_broken("body_raw is not one whole object");
    }
    if (lazy && nmirf_reply_unpack_body(lazy) != 0)
        s_broken("a lazy body does not unpack");
    if (lazy && (lazy->seq != reply->seq || lazy->ok != reply->ok ||
                 lazy->body.type != reply->body.type))
        s_broken("the lazy and the full decoder read different replies");
    nmirf_reply_destroy(&lazy);
    if (!reply)
        return 0;
    if (!reply->message)
        s_broken("message is NULL");
    if (memchr(reply->code_name, 0, sizeof reply->code_name) == NULL)
        s_broken("code_name is not terminated");
    (void)strlen(reply->message);
    /* A client prints or re-packs the body. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    nmirf_mp_pack_object(&pk, &reply->body);
    msgpack_sbuffer_destroy(&sb);
    (void)nmirf_mp_get(&reply->body, "entity");
    nmirf_reply_destroy(&reply);
    if (reply)
        s_broken("destroy did not clear the pointer");
    return 0;
}
