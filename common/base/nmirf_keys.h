/*  nmirf_keys - an entity's key files (PROTOCOL.md section 8).

    A key holds an entity id, an Ed25519 signing pair and a CURVE pair. The
    secret halves are present only when loaded from a secret file. This is
    the only code that reads or writes secret key material.
*/
#ifndef NMIRF_KEYS_H
#define NMIRF_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "nmirf_wire.h"

typedef struct {
    char entity[NMIRF_ENTITY_ID_MAX + 1]; /* entity id */
    uint8_t sign_pk[NMIRF_SIGN_PK_LEN];   /* Ed25519 public */
    uint8_t sign_sk[NMIRF_SIGN_SK_LEN];   /* Ed25519 secret (if has_secret) */
    char curve_pk[41];                    /* CURVE public, Z85 */
    char curve_sk[41];                    /* CURVE secret, Z85 (if has_secret) */
    bool has_secret;                      /* secret halves loaded */
} nmirf_key_t;

/* Makes fresh key pairs for entity. Returns 0, or -1 if entity is not a
   valid id. */
int nmirf_key_generate(nmirf_key_t *key, const char *entity);

/* A key file's largest size: one is about 400 bytes; comments allowed. */
#define NMIRF_KEY_FILE_MAX (64 * 1024)

/* Loads a key file (secret or public): a regular file of at most
   NMIRF_KEY_FILE_MAX bytes (a directory, a device or a pipe is refused at
   once). A secret file whose mode gives any access to group or others is
   refused. Returns 0, or -1 with a reason in why ("file:line: what is
   wrong"). */
int nmirf_key_load(nmirf_key_t *key, const char *path, char *why, size_t whylen);

/* Writes DIR/ENTITY.key (mode 0600, secret) and DIR/ENTITY.pub. Refuses
   to overwrite an existing secret file. Returns 0 or -1 with a reason. */
int nmirf_key_save(const nmirf_key_t *key, const char *dir, char *why, size_t whylen);

/* The CURVE public key as 32 raw bytes. Returns 0 or -1 if malformed. */
int nmirf_key_curve_raw(const nmirf_key_t *key, uint8_t out[32]);

/* Wipes secret material. */
void nmirf_key_wipe(nmirf_key_t *key);

#endif
