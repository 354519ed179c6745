/*  fuzz_checkpoint - nmirf_checkpoint_decode() on any bytes: what the
    agent's witness does with the checkpoint it kept (and, unpacked, with
    the one every heartbeat carries), and what the audit verifier does
    with each checkpoint of an export.
*/
#include "nmirf_checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_checkpoint: %s\n", what);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t pk[NMIRF_SIGN_PK_LEN]; /* a key that signed nothing */
    char why[256] = "";
    nmirf_checkpoint_t cp;
    if (nmirf_checkpoint_decode(data, size, &cp, why, sizeof why)) {
        if (!why[0])
            s_broken("refused without a reason");
        return 0;
    }
    /* What was taken packs canonically, and that decodes to the same. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_checkpoint_pack(&cp, &sb);
    nmirf_checkpoint_t again;
    if (nmirf_checkpoint_decode((const uint8_t *)sb.data, sb.size, &again, why,
                                sizeof why))
        s_broken("the packed form of a decoded checkpoint is refused");
    if (memcmp(&cp, &again, sizeof cp) != 0)
        s_broken("the packed form decodes to other values");
    if (sb.size > size)
        s_broken("the canonical form is longer than the input");
    msgpack_sbuffer_destroy(&sb);
    /* No input is signed by a key that signed nothing. */
    if (nmirf_checkpoint_verify(&cp, pk))
        s_broken("verifies with the zero key");
    return 0;
}
