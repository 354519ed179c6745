/*  fuzz_event - nmirf_event_decode() on any bytes: what a subscriber or a
    replica does with every event frame off the PUB socket.
*/
#include "nmirf_mp.h"
#include "nmirf_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_event: %s\n", what);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512] = "";
    nmirf_event_t *ev = nmirf_event_decode(data, size, why, sizeof why);
    if (!ev)
        return 0;
    if (ev->len != size)
        s_broken("len is not the frame size");
    if (memchr(ev->kind, 0, sizeof ev->kind) == NULL ||
        memchr(ev->author, 0, sizeof ev->author) == NULL)
        s_broken("kind or author is not terminated");
    if (!ev->subject)
        s_broken("subject is NULL");
    if (ev->entities.type != MSGPACK_OBJECT_ARRAY || ev->data.type != MSGPACK_OBJECT_MAP)
        s_broken("entities or data has the wrong type");
    (void)nmirf_event_concerns(ev, "MJ");
    (void)nmirf_event_concerns(ev, "");
    /* A replica hashes the stored bytes to follow the chain. */
    uint8_t hash[NMIRF_HASH_LEN];
    nmirf_hash2(hash, ev->bytes, ev->len, NULL, 0);
    nmirf_event_destroy(&ev);
    return 0;
}
