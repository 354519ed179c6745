/*  nmirf_repl - the commit record: one primary commit as the key/value
    changes it made (PROTOCOL.md section 11, docs/REPLICATION.md).

    A commit record is the msgpack map, keys in this order,
        {epoch, from_seq, to_seq, head, checkpoint, changes, sig}
    where from_seq..to_seq are the events the commit appended (to_seq =
    from_seq - 1 if none), head the hash of the last event after it,
    checkpoint the signed checkpoint the commit wrote (nil if none) and
    changes every put and delete of the commit, in order, each the array
    [op, db, key, val] (nmirf_repl_op_t; val nil for a delete of a key and
    for a drop), and sig the primary's Ed25519 signature of the BLAKE2b-256
    hash of every byte of the record before the key "sig" (nil if the
    store that made it has no key; a standby refuses those). sig is last
    and takes exactly NMIRF_REPL_SIG_TAIL bytes, so the signed bytes are
    the record's first len - NMIRF_REPL_SIG_TAIL. The broker's store packs each change as
   it happens (nmirf_repl_pack_change into its changelog), then frames the packed changes
   once at commit (nmirf_repl_encode): no copy per change.

    Decoding takes untrusted bytes (the standby's stream, a file): the
    msgpack is checked first (nmirf_mp_check), then every key's type,
    every bound below, and nothing is read past what was checked. A
    decoded record borrows the bytes it was decoded from.
*/
#ifndef NMIRF_REPL_H
#define NMIRF_REPL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_wire.h"

#define NMIRF_REPL_DBS 14              /* the broker's databases (store_db_t) */
#define NMIRF_REPL_KEY_MAX 511         /* LMDB's default largest key */
#define NMIRF_REPL_CHANGES_MAX 1048576 /* changes in one record */
#define NMIRF_REPL_CHECKPOINT_MAX 256  /* a checkpoint is about 130 bytes */
#define NMIRF_REPL_SIG_TAIL 70         /* "sig" (4) + bin 8 header (2) + 64 */

/* What a change does. */
typedef enum {
    NMIRF_REPL_PUT = 0,     /* key -> val (a dupsort db: adds val to key's) */
    NMIRF_REPL_DEL = 1,     /* removes key (every value of a dupsort key) */
    NMIRF_REPL_DEL_DUP = 2, /* removes the one value val of a dupsort key */
    NMIRF_REPL_DROP = 3,    /* empties db (key empty, val nil) */
    NMIRF_REPL_OPS
} nmirf_repl_op_t;

/* One change, decoded; key and val point into the record's bytes. */
typedef struct {
    nmirf_repl_op_t op; /* what it does */
    unsigned db;        /* which database, < NMIRF_REPL_DBS */
    const uint8_t *key; /* the key (borrowed) */
    size_t klen;        /* 1..NMIRF_REPL_KEY_MAX (0 for a drop) */
    const uint8_t *val; /* the value (borrowed), NULL for DEL and DROP */
    size_t vlen;        /* its size */
} nmirf_repl_change_t;

/* A decoded commit record. changes is allocated (nmirf_repl_record_free);
   every pointer in it, and checkpoint, point into the decoded bytes. */
typedef struct {
    uint64_t epoch;               /* the primary's epoch, >= 1 */
    uint64_t from_seq;            /* the first event appended, >= 1 */
    uint64_t to_seq;              /* the last, from_seq - 1 if none */
    uint8_t head[NMIRF_HASH_LEN]; /* hash of the event at to_seq */
    const uint8_t *checkpoint;    /* its bytes (borrowed), NULL if nil */
    size_t checkpoint_len;        /* their size */
    nmirf_repl_change_t *changes; /* in order (owned) */
    size_t count;                 /* how many */
    const uint8_t *sig;           /* the signature (borrowed), NULL if nil */
    size_t signed_len;            /* the bytes it covers: the first signed_len */
} nmirf_repl_record_t;

/* Packs one change [op, db, key, val|nil] with pk (val ignored for DEL
   and DROP). The caller counts what it packs, for nmirf_repl_encode. */
void nmirf_repl_pack_change(msgpack_packer *pk, nmirf_repl_op_t op, unsigned db,
                            const void *key, size_t klen, const void *val, size_t vlen);

/* Encodes a record into out (appended): the header, then count changes
   already packed in changes[0..len), then the signature with the Ed25519
   secret key sk (NULL: sig nil). checkpoint may be NULL (nil). */
void nmirf_repl_encode(msgpack_sbuffer *out, uint64_t epoch, uint64_t from_seq,
                       uint64_t to_seq, const uint8_t head[NMIRF_HASH_LEN],
                       const uint8_t *checkpoint, size_t checkpoint_len,
                       const void *changes, size_t len, size_t count, const uint8_t *sk);

/* Signs buf[0..len): a record whose last NMIRF_REPL_SIG_TAIL bytes are
   its signature, rewritten in place with sk (tests forge records with
   it). Returns 0, or -1 if buf does not end with a bin 64 "sig". */
int nmirf_repl_resign(uint8_t *buf, size_t len, const uint8_t *sk);

/* True if rec (decoded from buf) carries a signature that verifies with
   the Ed25519 public key pk. */
bool nmirf_repl_verify(const nmirf_repl_record_t *rec, const uint8_t *buf,
                       const uint8_t pk[NMIRF_SIGN_PK_LEN]);

/* Decodes an untrusted record from buf[0..len) into rec (which borrows
   buf). Returns 0, or -1 with why filled and nothing to free. */
int nmirf_repl_decode(const uint8_t *buf, size_t len, nmirf_repl_record_t *rec, char *why,
                      size_t whylen);

/* Frees what nmirf_repl_decode allocated (rec->changes); safe twice. */
void nmirf_repl_record_free(nmirf_repl_record_t *rec);

#endif
