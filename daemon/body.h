/*  body - typed, checked reads of request body fields.

    Every reader checks with proto's one field checker (nmirf_fields.h),
    the one the agent's control codec and the console's forms use too, and
    words its failure as the broker's refusal: bad_request (or too_large)
    and a message that names the field. Strings are already known to be valid UTF-8 (the
    envelope check covers the whole frame). Each returns 0, or -1 with the
    refusal set in ctx.
*/
#ifndef BODY_H
#define BODY_H

#include "nmirf_schema.h" /* the limits, value sets and field tables */
#include "ops.h"

/* Refuses any key of map not in allowed (NULL-terminated); map must be a map. */
int body_only(op_ctx_t *ctx, const msgpack_object *map, const char *const *allowed,
              const char *what);

/* A string of 1..max bytes. Absent: refused if required, else out->p NULL. */
int body_str(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
             size_t max, strv_t *out);

/* A string of 1..max bytes on one line: no control character
   (nmirf_line_valid), else bad_request. */
int body_line(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
              size_t max, strv_t *out);

/* A string that is one of set's values. */
int body_enum(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
              const nmirf_valueset_t *set, strv_t *out);

/* A date YYYY-MM-DD. */
int body_date(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
              strv_t *out);

/* An entity id or a recommendation id. */
int body_entity_id(op_ctx_t *ctx, const msgpack_object *map, const char *key,
                   bool required, strv_t *out);
int body_rec_id(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
                strv_t *out);

/* An unsigned integer; *present tells if it was there. */
int body_uint(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
              uint64_t *out, bool *present);

/* A list of at most NMIRF_LIST_MAX strings of 1..max bytes; *out NULL if
   absent. */
int body_str_list(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t max,
                  const msgpack_object **out);

/* A map {fr?, ar?, en?} of strings of 1..max bytes; *out NULL if absent. */
int body_langs(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t max,
               const msgpack_object **out);

/* A number (msgpack int or float) that is finite and at most
   NMIRF_NUMBER_MAX in magnitude; *present tells if it was there. */
int body_number(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
                double *out, bool *present);

/* A list of at most NMIRF_LIST_MAX points {date, value} (a date and a
   number as body_number), no date given twice; *out NULL if absent. */
int body_points(op_ctx_t *ctx, const msgpack_object *map, const char *key,
                const msgpack_object **out);

/* A bin of exactly len bytes. */
int body_bin(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t len,
             const uint8_t **out);

/* Checks map against a field table of the schema: no key it does not
   name (body_only), then each field in the table's order with the reader
   above its type gives, so the refusals are those readers'. what names
   map in messages ("body", "recommendation"). */
int body_fields(op_ctx_t *ctx, const msgpack_object *map, const nmirf_fields_t *fields,
                const char *what);

/* The value under key of a map body_fields checked, NULL if absent or
   nil (borrowed from map); body_sv reads a string field, p NULL if absent. */
const msgpack_object *body_get(const msgpack_object *map, const char *key);
strv_t body_sv(const msgpack_object *map, const char *key);

#endif
