/*  nmirf_codes - wire names of the protocol's error codes. */
#include "nmirf_codes.h"

#include <string.h>

static const char *const s_names[NMIRF_CODE_COUNT] = {
    [NMIRF_OK] = "ok",
    [NMIRF_E_BAD_FRAME] = "bad_frame",
    [NMIRF_E_TOO_LARGE] = "too_large",
    [NMIRF_E_BAD_MSGPACK] = "bad_msgpack",
    [NMIRF_E_BAD_UTF8] = "bad_utf8",
    [NMIRF_E_BAD_ENVELOPE] = "bad_envelope",
    [NMIRF_E_BAD_VERSION] = "bad_version",
    [NMIRF_E_UNKNOWN_AUTHOR] = "unknown_author",
    [NMIRF_E_REVOKED] = "revoked",
    [NMIRF_E_BAD_SIGNATURE] = "bad_signature",
    [NMIRF_E_ID_REUSED] = "id_reused",
    [NMIRF_E_UNKNOWN_OP] = "unknown_op",
    [NMIRF_E_BAD_REQUEST] = "bad_request",
    [NMIRF_E_FORBIDDEN] = "forbidden",
    [NMIRF_E_NOT_FOUND] = "not_found",
    [NMIRF_E_CONFLICT] = "conflict",
    [NMIRF_E_STORAGE] = "storage",
    [NMIRF_E_INTERNAL] = "internal",
    [NMIRF_E_AUTHOR_MISMATCH] = "author_mismatch",
    [NMIRF_E_BAD_TS] = "bad_ts",
    [NMIRF_E_KEY_RETIRED] = "key_retired",
    [NMIRF_E_KEY_IN_USE] = "key_in_use",
};

const char *
nmirf_code_name(nmirf_code_t code)
{
    if (code < 0 || code >= NMIRF_CODE_COUNT)
        return "internal";
    return s_names[code];
}

nmirf_code_t
nmirf_code_from_name(const char *name)
{
    for (int i = 0; i < NMIRF_CODE_COUNT; i++)
        if (strcmp(s_names[i], name) == 0)
            return (nmirf_code_t)i;
    return NMIRF_CODE_COUNT;
}
