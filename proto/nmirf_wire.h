/*  nmirf_wire - requests, replies and events of protocol version 1.

    The one place that turns protocol messages into bytes and back
    (PROTOCOL.md). Decoders take untrusted bytes: they check sizes, run
    nmirf_mp_check(), then read fields with type checks, and report the
    protocol error code with a reason. Nothing here touches a socket.
*/
#ifndef NMIRF_WIRE_H
#define NMIRF_WIRE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_codes.h"
#include "nmirf_schema.h" /* NMIRF_ENTITY_ID_MAX */

#define NMIRF_PROTOCOL_VERSION 1
#define NMIRF_MAX_ENVELOPE (1024 * 1024) /* frame 1 of a request */
#define NMIRF_ID_LEN 16                  /* request id */
#define NMIRF_SIG_LEN 64                 /* Ed25519 detached signature */
#define NMIRF_SIGN_PK_LEN 32             /* Ed25519 public key */
#define NMIRF_SIGN_SK_LEN 64             /* Ed25519 secret key (libsodium form) */
#define NMIRF_HASH_LEN 32                /* BLAKE2b-256 */
#define NMIRF_OP_MAX 32                  /* longest operation name */

/* A decoded request envelope. Strings are copied in; body points into the
   zone given to nmirf_envelope_decode and into the decoded buffer. */
typedef struct {
    uint64_t version;                     /* protocol version */
    char op[NMIRF_OP_MAX + 1];            /* operation name */
    uint8_t id[NMIRF_ID_LEN];             /* request id */
    char author[NMIRF_ENTITY_ID_MAX + 1]; /* author entity id */
    uint64_t ts;                          /* client time, ms */
    msgpack_object body;                  /* the body map */
} nmirf_envelope_t;

/* Builds and signs a request. body/body_len is one packed msgpack map (NULL
   or 0 means an empty map). On success returns 0, *env_out is the envelope
   (caller frees), *env_len its size, sig the signature over it. Returns -1
   if an argument is out of range (op or author too long). */
int nmirf_request_encode(const char *op, const uint8_t id[NMIRF_ID_LEN],
                         const char *author, uint64_t ts, const uint8_t *body,
                         size_t body_len, const uint8_t sign_sk[NMIRF_SIGN_SK_LEN],
                         uint8_t **env_out, size_t *env_len, uint8_t sig[NMIRF_SIG_LEN]);

/* Decodes an untrusted envelope. Checks size, msgpack, every field's type,
   no unknown keys, the version. Returns NMIRF_OK and fills env, or an error
   code (TOO_LARGE, BAD_MSGPACK, BAD_UTF8, BAD_ENVELOPE, BAD_VERSION) with a
   reason in why. If the id field could be read, *has_id is set even on
   failure, so the refusal can name it. */
nmirf_code_t nmirf_envelope_decode(const uint8_t *buf, size_t len, msgpack_zone *zone,
                                   nmirf_envelope_t *env, bool *has_id, char *why,
                                   size_t whylen);

/* Verifies sig over buf with an Ed25519 public key. True if valid. */
bool nmirf_signature_ok(const uint8_t *buf, size_t len, const uint8_t sig[NMIRF_SIG_LEN],
                        const uint8_t pk[NMIRF_SIGN_PK_LEN]);

/* Encodes a reply into out (appended). id may be NULL (nil on the wire).
   body/body_len is one packed msgpack map, or NULL for nil. message may be
   NULL (empty). */
void nmirf_reply_encode(msgpack_sbuffer *out, const uint8_t *id, nmirf_code_t code,
                        const char *message, uint64_t seq, const uint8_t *body,
                        size_t body_len);

/* A decoded reply; owns its bytes and zone. */
typedef struct {
    bool has_id;              /* false if the broker could not read the id */
    uint8_t id[NMIRF_ID_LEN]; /* request id */
    bool ok;                  /* success */
    nmirf_code_t code;        /* NMIRF_OK or the error; NMIRF_CODE_COUNT if unknown */
    char code_name[32];       /* the code as sent */
    char *message;            /* reason, never NULL */
    uint64_t seq;             /* broker sequence the reply reflects */
    msgpack_object body;      /* body map, or nil */
    uint8_t *bytes;           /* owned copy of the frame */
    msgpack_zone *zone;       /* owns body's memory */
    const uint8_t *body_raw;  /* the body's packed bytes, in the frame (lazy
                                 decode only; NULL otherwise or if none) */
    size_t body_len;          /* their size */
    void *owner;              /* what holds the frame when it was not copied
                                 (lazy decode), NULL otherwise */
    void (*owner_free)(void *owner); /* frees it, at destroy */
} nmirf_reply_t;

/* Decodes an untrusted reply frame. Returns NULL with a reason in why if it
   is not a valid reply. Unknown keys are ignored. Caller destroys. */
nmirf_reply_t *nmirf_reply_decode(const uint8_t *buf, size_t len, char *why,
                                  size_t whylen);

/* As nmirf_reply_decode, every byte checked the same, but the body is
   left packed: body is nil and body_raw/body_len give its bytes, for a
   reader that walks them in place (nmirf_mp_reader_t) instead of building
   a tree (a snapshot of 100,000 records is tens of MiB). With an owner
   (e.g. the ZeroMQ frame buf lies in), buf is not copied: the reply takes
   owner, keeps it while it lives, and frees it with owner_free (also when
   decoding fails); without one (NULL), buf is copied. */
nmirf_reply_t *nmirf_reply_decode_lazy(const uint8_t *buf, size_t len, void *owner,
                                       void (*owner_free)(void *owner), char *why,
                                       size_t whylen);

/* Unpacks a lazily decoded reply's body into body (its zone), as
   nmirf_reply_decode would have; nothing to do for one decoded in full.
   Returns 0, or -1 (body stays nil). */
int nmirf_reply_unpack_body(nmirf_reply_t *self);
void nmirf_reply_destroy(nmirf_reply_t **self_p);

/* The fields of an event, for encoding. */
typedef struct {
    uint64_t seq;                /* sequence number */
    uint64_t ts;                 /* commit batch time, ms */
    const char *kind;            /* e.g. "assignment.set" */
    const char *subject;         /* object id */
    const char *const *entities; /* concerned entities */
    size_t entity_count;         /* how many */
    const char *author;          /* author entity, "-" for the broker */
    const uint8_t *req;          /* request id, or NULL */
    const uint8_t *req_hash;     /* hash of envelope||sig, or NULL */
    const uint8_t *prev;         /* hash of the previous event (32 bytes) */
    const uint8_t *data;         /* packed msgpack map */
    size_t data_len;             /* its size */
} nmirf_event_fields_t;

/* Encodes an event into out (appended). */
void nmirf_event_encode(msgpack_sbuffer *out, const nmirf_event_fields_t *ev);

/* A decoded event; owns its bytes and zone. */
typedef struct {
    uint64_t seq;                         /* sequence number */
    uint64_t ts;                          /* commit time, ms */
    char kind[48];                        /* event kind */
    char *subject;                        /* object id */
    char author[NMIRF_ENTITY_ID_MAX + 1]; /* author */
    msgpack_object entities;              /* array of str */
    bool has_req;                         /* req and req_hash present */
    uint8_t req[NMIRF_ID_LEN];            /* request id */
    uint8_t req_hash[NMIRF_HASH_LEN];     /* BLAKE2b(envelope || sig) */
    uint8_t prev[NMIRF_HASH_LEN];         /* hash of the previous event */
    msgpack_object data;                  /* the object's new state */
    uint8_t *bytes;                       /* owned copy of the frame */
    size_t len;                           /* its size */
    msgpack_zone *zone;                   /* owns entities/data memory */
} nmirf_event_t;

/* Decodes an untrusted event frame; NULL with a reason if invalid. */
nmirf_event_t *nmirf_event_decode(const uint8_t *buf, size_t len, char *why,
                                  size_t whylen);
void nmirf_event_destroy(nmirf_event_t **self_p);

/* True if the event concerns entity id. */
bool nmirf_event_concerns(const nmirf_event_t *ev, const char *id);

/* BLAKE2b-256 of a||b (b may be NULL). */
void nmirf_hash2(uint8_t out[NMIRF_HASH_LEN], const uint8_t *a, size_t alen,
                 const uint8_t *b, size_t blen);

#endif
