/*  nmirf_client - a signed-request client for nmirfd, used by the CLI,
    the tests and the benchmark.

    One DEALER socket to the broker's request endpoint, a CurveZMQ client
    with the entity's CURVE pair (PROTOCOL.md section 1). Each call builds an
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

/* Connects to endpoint as key's entity over CurveZMQ: key (which must hold
   its secret; it is copied) is the client's CURVE pair, server_curve_pk
   the broker's CURVE public key in Z85 (40 characters, from NMIRFD.pub).
   Returns NULL if the socket cannot be made or a key is malformed. A
   broker that does not know the key (or a wrong server key) shows only as
   calls that time out: CurveZMQ tells the client nothing. */
nmirf_client_t *nmirf_client_new(const char *endpoint, const nmirf_key_t *key,
                                 const char *server_curve_pk, int timeout_ms);

/* Makes sock (a zsock_t or a libzmq socket) a CURVE client as key's
   entity of the server with Z85 public key server_curve_pk; call before
   connecting. For the other sockets that talk to the broker (SUB, a
   raw DEALER). Returns 0, or -1 if a key is missing or malformed. */
int nmirf_client_curve(void *sock, const nmirf_key_t *key, const char *server_curve_pk);

/* Reads the broker's CURVE public key (Z85) from a key file, public
   (NMIRFD.pub) or secret, into out. Returns 0, or -1 with a reason. */
int nmirf_client_server_key_load(const char *path, char out[41], char *why,
                                 size_t whylen);
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

/* Sends an already signed request (envelope and signature, borrowed) and
   waits for the reply that carries its id: the same bytes again, to
   another broker after a `not_primary` or a silence (a client with
   several brokers, nmirf_brokers.h), answered once whoever applies them.
   NULL on timeout or an unreadable reply, with why. */
nmirf_reply_t *nmirf_client_call_signed(nmirf_client_t *self,
                                        const uint8_t id[NMIRF_ID_LEN],
                                        const uint8_t *env, size_t env_len,
                                        const uint8_t sig[NMIRF_SIG_LEN], char *why,
                                        size_t whylen);

/* Sends the frames as given (for tests: bad frames, replays) and waits for
   one reply. frames/sizes hold count frames. NULL on timeout. */
nmirf_reply_t *nmirf_client_call_raw(nmirf_client_t *self, const uint8_t *const *frames,
                                     const size_t *sizes, size_t count, char *why,
                                     size_t whylen);

#endif
