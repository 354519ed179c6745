/*  vectors_hex - the golden vectors' hex strings read back, for the codec
    tests that load the JSON files of proto/vectors/ (codec_wire, codec_control,
    codec_checkpoint, codec_notify): one reader, so that a vector means the same bytes
    to each of them.

    Header only, static: each test is a program of its own, with jansson.
*/
#ifndef VECTORS_HEX_H
#define VECTORS_HEX_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes of the hex JSON string j in a malloc'd buffer the caller
   frees, followed by a 0 not counted (so a text vector reads as a C
   string; "" gives a 1-byte buffer of length 0), their count in *len; NULL
   (and *len 0) if j is absent or not pairs of hex digits. */
static inline uint8_t *
vectors_unhex(const json_t *j, size_t *len)
{
    *len = 0;
    if (!json_is_string(j))
        return NULL;
    const char *h = json_string_value(j);
    size_t n = strlen(h);
    if (n % 2)
        return NULL;
    uint8_t *out = malloc(n / 2 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)v;
    }
    out[n / 2] = 0;
    *len = n / 2;
    return out;
}

#endif
