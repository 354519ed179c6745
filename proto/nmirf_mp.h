/*  nmirf_mp - checked msgpack decoding and small packing helpers.

    Everything that comes off the network or out of a file is checked by
    nmirf_mp_check() before msgpack-c unpacks it. The check walks the bytes
    once and refuses what msgpack-c would accept but we must not: counts
    larger than the bytes left (msgpack-c would allocate for them first),
    nesting deeper than NMIRF_MP_MAX_DEPTH, ext types, invalid UTF-8 in
    strings, and trailing bytes. After it passes, unpacking is safe and
    bounded by the input size.
*/
#ifndef NMIRF_MP_H
#define NMIRF_MP_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_codes.h"

#define NMIRF_MP_MAX_DEPTH 32

/* Checks that buf[0..len) holds exactly one well-formed msgpack object
   within our limits. Returns NMIRF_OK, NMIRF_E_BAD_MSGPACK or
   NMIRF_E_BAD_UTF8; on failure writes a reason to why (may be NULL). */
nmirf_code_t nmirf_mp_check(const uint8_t *buf, size_t len, char *why, size_t whylen);

/* As nmirf_mp_check for the first object of a stream: checks the object
   that starts at buf and sets *used to its size, leaving what follows it
   alone (for files holding a sequence of objects). */
nmirf_code_t nmirf_mp_check_prefix(const uint8_t *buf, size_t len, size_t *used,
                                   char *why, size_t whylen);

/* Checks then unpacks buf into obj, allocating from zone. The object and
   everything it points to live in the zone and in buf (strings point into
   buf): both must outlive obj. Returns as nmirf_mp_check. */
nmirf_code_t nmirf_mp_unpack(const uint8_t *buf, size_t len, msgpack_zone *zone,
                             msgpack_object *obj, char *why, size_t whylen);

/* A reader that walks packed msgpack in place, with no tree and no
   allocation: for large messages whose parts are used as their bytes
   (the agent stores a snapshot's records as the broker sent them). Meant
   for bytes nmirf_mp_check already passed; still, no call reads past
   end: each returns -1, the cursor unmoved, on a truncated object or one
   of another type. */
typedef struct {
    const uint8_t *p;   /* the next object */
    const uint8_t *end; /* one past the last byte */
} nmirf_mp_reader_t;

/* Reads a map or array header: *n its pairs or elements. */
int nmirf_mp_read_map(nmirf_mp_reader_t *r, uint32_t *n);
int nmirf_mp_read_array(nmirf_mp_reader_t *r, uint32_t *n);

/* Reads a str: *s points into the bytes (not NUL-terminated), *n its
   size. */
int nmirf_mp_read_str(nmirf_mp_reader_t *r, const char **s, uint32_t *n);

/* Reads a non-negative integer (any width). */
int nmirf_mp_read_uint(nmirf_mp_reader_t *r, uint64_t *v);

/* Steps over one whole object, containers with all they hold
   (iteratively: no recursion whatever the nesting). */
int nmirf_mp_skip(nmirf_mp_reader_t *r);

/* True if s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool nmirf_utf8_valid(const uint8_t *s, size_t len);

/* Returns the value under key in a map object, or NULL if obj is not a map
   or has no such key. Borrowed: lives as long as obj. */
const msgpack_object *nmirf_mp_get(const msgpack_object *obj, const char *key);

/* True if obj is a str equal to s. */
bool nmirf_mp_str_is(const msgpack_object *obj, const char *s);

/* Returns a NUL-terminated copy of a str object, or NULL if obj is not a
   str or holds a NUL. Caller frees. */
char *nmirf_mp_strdup(const msgpack_object *obj);

/* Copies a str object into buf (size bufsize, NUL-terminated). Returns 0,
   or -1 if obj is not a str, holds a NUL, or does not fit. */
int nmirf_mp_strcpy(const msgpack_object *obj, char *buf, size_t bufsize);

/* Packing helpers: a NUL-terminated string, binary bytes, and a string key
   followed by a string / uint value. */
void nmirf_mp_pack_str(msgpack_packer *pk, const char *s);
void nmirf_mp_pack_strn(msgpack_packer *pk, const char *s, size_t len);
void nmirf_mp_pack_bin(msgpack_packer *pk, const void *data, size_t len);
void nmirf_mp_pack_kv_str(msgpack_packer *pk, const char *key, const char *val);
void nmirf_mp_pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t val);

/* Packs obj back to msgpack (a deep copy). */
void nmirf_mp_pack_object(msgpack_packer *pk, const msgpack_object *obj);

/* A map whose entry count is computed, not written by hand: entries are
   packed into a scratch buffer while they are counted, and
   nmirf_mp_map_finish writes the header with that count, then the
   entries. The bytes are those of msgpack_pack_map(n) followed by the same
   entries. The map owns its buffer: finish or destroy frees it.

       nmirf_mp_map_t m;
       nmirf_mp_map_init(&m);
       nmirf_mp_map_str(&m, "rec", id);
       if (deadline)
           nmirf_mp_pack_object(nmirf_mp_map_key(&m, "deadline"), deadline);
       nmirf_mp_map_finish(&m, pk);
*/
typedef struct {
    msgpack_sbuffer buf; /* the entries packed so far */
    msgpack_packer pk;   /* packs into buf */
    uint32_t count;      /* entries in buf */
} nmirf_mp_map_t;

void nmirf_mp_map_init(nmirf_mp_map_t *m);

/* Packs key and counts one entry; returns the packer its value must be
   packed with (exactly one object, next). Borrowed from m. */
msgpack_packer *nmirf_mp_map_key(nmirf_mp_map_t *m, const char *key);

/* An entry key: val of each kind; _str_or_nil and _obj pack nil for NULL. */
void nmirf_mp_map_str(nmirf_mp_map_t *m, const char *key, const char *val);
void nmirf_mp_map_str_or_nil(nmirf_mp_map_t *m, const char *key, const char *val);
void nmirf_mp_map_uint(nmirf_mp_map_t *m, const char *key, uint64_t val);
void nmirf_mp_map_int(nmirf_mp_map_t *m, const char *key, int64_t val);
void nmirf_mp_map_bool(nmirf_mp_map_t *m, const char *key, bool val);
void nmirf_mp_map_obj(nmirf_mp_map_t *m, const char *key, const msgpack_object *val);

/* Writes the map (header, then entries) to pk and frees m's buffer. */
void nmirf_mp_map_finish(nmirf_mp_map_t *m, msgpack_packer *pk);

/* Frees m's buffer without writing anything (an error path). */
void nmirf_mp_map_destroy(nmirf_mp_map_t *m);

#endif
