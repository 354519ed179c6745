/*  nmirf_checkpoint - the broker's signed checkpoint (PROTOCOL.md section
    10): the one codec for its bytes, used by the broker that signs it
    (daemon/checkpoint.c), the agent that keeps it as a witness
    (client/agent/witness.c) and the offline verifier (common/audit/nmirf_audit.c).

    A checkpoint is the msgpack map {seq, head, ts, sig}, keys in this
    order; the signature covers the map {seq, head, ts} packed with exactly
    these keys in this order. Decoding takes untrusted bytes (a heartbeat,
    an export file, a store): it checks the msgpack first, then every key's
    type and size, and never reads past what it checked. Nothing here
    allocates what the caller must free, except the caller's own sbuffer.
*/
#ifndef NMIRF_CHECKPOINT_H
#define NMIRF_CHECKPOINT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_wire.h"

/* A checkpoint, decoded. */
typedef struct {
    uint64_t seq;                 /* the event it signs */
    uint8_t head[NMIRF_HASH_LEN]; /* that event's hash */
    uint64_t ts;                  /* broker time, ms */
    uint8_t sig[NMIRF_SIG_LEN];   /* the broker's signature */
} nmirf_checkpoint_t;

/* Packs the bytes a checkpoint's signature covers: the msgpack map
   {seq, head, ts} in that key order. out is cleared first. */
void nmirf_checkpoint_pack_signed(msgpack_sbuffer *out, uint64_t seq,
                                  const uint8_t head[NMIRF_HASH_LEN], uint64_t ts);

/* Packs a signed checkpoint record {seq, head, ts, sig} into out (cleared
   first), signing with the broker's Ed25519 secret key sk. */
void nmirf_checkpoint_encode(msgpack_sbuffer *out, uint64_t seq,
                             const uint8_t head[NMIRF_HASH_LEN], uint64_t ts,
                             const uint8_t sk[NMIRF_SIGN_SK_LEN]);

/* Packs cp, signature included, as the broker stores it, appending to
   out (not cleared): the same bytes as nmirf_checkpoint_encode. */
void nmirf_checkpoint_pack(const nmirf_checkpoint_t *cp, msgpack_sbuffer *out);

/* Reads an unpacked checkpoint map: exactly the four keys, seq and ts
   unsigned integers, head bin 32, sig bin 64 (key order is not checked:
   the signature is over the rebuilt bytes). Returns 0 and fills cp, or -1
   if obj is not a checkpoint. */
int nmirf_checkpoint_from_obj(const msgpack_object *obj, nmirf_checkpoint_t *cp);

/* Decodes the bytes of one checkpoint: one well-formed msgpack object
   (nmirf_mp_check) that nmirf_checkpoint_from_obj takes. Returns 0, or -1
   with why filled. */
int nmirf_checkpoint_decode(const uint8_t *buf, size_t len, nmirf_checkpoint_t *cp,
                            char *why, size_t whylen);

/* True if cp's signature verifies with the broker's public key pk over
   the signed bytes rebuilt from seq, head and ts. */
bool nmirf_checkpoint_verify(const nmirf_checkpoint_t *cp,
                             const uint8_t pk[NMIRF_SIGN_PK_LEN]);

#endif
