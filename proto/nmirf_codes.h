/*  nmirf_codes - the protocol's stable error codes (PROTOCOL.md section 5).

    One enum for every refusal the broker can give, with its wire name. The
    names are the contract; the numbers are only this codec's.
*/
#ifndef NMIRF_CODES_H
#define NMIRF_CODES_H

typedef enum {
    NMIRF_OK = 0,
    NMIRF_E_BAD_FRAME,
    NMIRF_E_TOO_LARGE,
    NMIRF_E_BAD_MSGPACK,
    NMIRF_E_BAD_UTF8,
    NMIRF_E_BAD_ENVELOPE,
    NMIRF_E_BAD_VERSION,
    NMIRF_E_UNKNOWN_AUTHOR,
    NMIRF_E_REVOKED,
    NMIRF_E_BAD_SIGNATURE,
    NMIRF_E_ID_REUSED,
    NMIRF_E_UNKNOWN_OP,
    NMIRF_E_BAD_REQUEST,
    NMIRF_E_FORBIDDEN,
    NMIRF_E_NOT_FOUND,
    NMIRF_E_CONFLICT,
    NMIRF_E_STORAGE,
    NMIRF_E_INTERNAL,
    NMIRF_E_AUTHOR_MISMATCH, /* envelope author is not the CURVE-authenticated peer */
    NMIRF_E_BAD_TS,          /* envelope ts too far ahead of the broker's clock */
    NMIRF_E_KEY_RETIRED,     /* the connection's CURVE key is no longer its entity's */
    NMIRF_E_KEY_IN_USE,      /* a key another entity holds or held */
    NMIRF_E_UNAVAILABLE,     /* the broker could not be reached (an agent's `ask`) */
    NMIRF_E_STALE,           /* a write's ts older than the broker's request window */
    NMIRF_E_NOT_PRIMARY,     /* a write sent to a standby, or to a fenced old primary */
    NMIRF_CODE_COUNT
} nmirf_code_t;

/* Wire name of a code ("ok", "bad_frame", ...); "internal" if unknown. */
const char *nmirf_code_name(nmirf_code_t code);

/* Code for a wire name; NMIRF_CODE_COUNT if the name is unknown. */
nmirf_code_t nmirf_code_from_name(const char *name);

#endif
