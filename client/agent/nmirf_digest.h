/*  nmirf_digest - one hash over a whole state: the broker's snapshot or an
    agent's replica, so that two copies can be compared by 32 bytes.

    The digest is BLAKE2b-256 over six sections in a fixed order:
    entities, recs, assignments, reports, measures, status: everything a
    replica keeps of the broker's state. Each of the first five is its
    record count (u64 big-endian) followed by each record as stored (its
    msgpack bytes), in LMDB key order, each prefixed by its length (u64
    big-endian). The status section is its entry count, then for each
    recommendation in key order its id and its status, each as raw UTF-8
    bytes prefixed by its length: the broker and the replica store them
    as bare strings, not msgpack. The counts and lengths make the byte
    stream unambiguous: no two different states hash the same stream.

    The incremental functions let a replica feed records from an LMDB
    cursor walk without this file depending on LMDB.
*/
#ifndef NMIRF_DIGEST_H
#define NMIRF_DIGEST_H

#include <msgpack.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_wire.h"

/* The record sections, in digest order; names as in a snapshot reply
   body. The status section (snapshot key "status", a map) comes after
   them. */
#define NMIRF_DIGEST_RECORD_SECTIONS 5
extern const char *const nmirf_digest_sections[NMIRF_DIGEST_RECORD_SECTIONS];

/* A digest being computed. */
typedef struct {
    crypto_generichash_state st; /* BLAKE2b state */
} nmirf_digest_t;

/* Starts a digest. */
void nmirf_digest_init(nmirf_digest_t *d);

/* Starts the next section, which will hold count records. */
void nmirf_digest_section(nmirf_digest_t *d, uint64_t count);

/* Adds one record's stored bytes. */
void nmirf_digest_record(nmirf_digest_t *d, const void *data, size_t len);

/* Adds one status entry: a recommendation id and its status, raw bytes
   (the status section holds count such entries). */
void nmirf_digest_status(nmirf_digest_t *d, const void *rec, size_t rec_len,
                         const void *status, size_t status_len);

/* Writes the digest to out. */
void nmirf_digest_final(nmirf_digest_t *d, uint8_t out[NMIRF_HASH_LEN]);

/* The digest of a snapshot reply body {seq, entities, recs, assignments,
   reports, status, measures} (arrays and the status map already in the
   broker's key order): each record is packed back to bytes, which are the
   bytes the broker stored. Returns 0, or -1 if a section is missing or
   not an array, or status is not a map of strings to strings. */
int nmirf_digest_snapshot(const msgpack_object *body, uint8_t out[NMIRF_HASH_LEN]);

#endif
