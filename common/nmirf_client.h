/*  nmirf_client - a signed-request client for nmirfd, used by the CLI,
    the tests and the benchmark.

    One DEALER socket to the broker's request endpoint. Each call builds an
    envelope, signs it with the entity's key, sends it, and waits for the
    reply with the same request id, up to the timeout.
*/
#ifndef NMIRF_CLIENT_H
#define NMIRF_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "nmirf_keys.h"
#include "nmirf_wire.h"

typedef struct _nmirf_client_t nmirf_client_t;

/* Connects to endpoint as key's entity (key must hold its secret; it is
   copied). Returns NULL if the socket cannot be made. */
nmirf_client_t *nmirf_client_new(const char *endpoint, const nmirf_key_t *key,
                                 int timeout_ms);
void nmirf_client_destroy(nmirf_client_t **self_p);

/* Sends op with body (one packed msgpack map, or NULL for {}) under a fresh
   request id and waits for its reply. Returns the reply (caller destroys),
   or NULL on timeout or an unreadable reply, with a reason in why. */
nmirf_reply_t *nmirf_client_call(nmirf_client_t *self, const char *op,
                                 const uint8_t *body, size_t body_len, char *why,
                                 size_t whylen);

/* As nmirf_client_call with a given request id. It signs anew with the
   current time, so the bytes differ from an earlier call's: a resend that
   must be idempotent keeps the first frames and sends them again with
   nmirf_client_call_raw (the broker compares bytes, PROTOCOL.md section 3). */
nmirf_reply_t *nmirf_client_call_id(nmirf_client_t *self, const uint8_t id[NMIRF_ID_LEN],
                                    const char *op, const uint8_t *body, size_t body_len,
                                    char *why, size_t whylen);

/* Sends the frames as given (for tests: bad frames, replays) and waits for
   one reply. frames/sizes hold count frames. NULL on timeout. */
nmirf_reply_t *nmirf_client_call_raw(nmirf_client_t *self, const uint8_t *const *frames,
                                     const size_t *sizes, size_t count, char *why,
                                     size_t whylen);

#endif
