/*  body - typed, checked reads of request body fields.

    Every reader refuses with bad_request (or too_large) and a message that
    names the field. Strings are already known to be valid UTF-8 (the
    envelope check covers the whole frame). Each returns 0, or -1 with the
    refusal set in ctx.
*/
#ifndef BODY_H
#define BODY_H

#include "ops.h"

#define BODY_SHORT_MAX 512        /* names, symbols, themes ... */
#define BODY_TEXT_MAX (32 * 1024) /* texts and narratives */
#define BODY_LIST_MAX 256         /* items in a list */

/* Refuses any key of map not in allowed (NULL-terminated); map must be a map. */
int body_only(op_ctx_t *ctx, const msgpack_object *map, const char *const *allowed,
              const char *what);

/* A string of 1..max bytes. Absent: refused if required, else out->p NULL. */
int body_str(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
             size_t max, strv_t *out);

/* A string that is one of values (NULL-terminated). */
int body_enum(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
              const char *const *values, strv_t *out);

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

/* A list of at most BODY_LIST_MAX strings of 1..max bytes; *out NULL if
   absent. */
int body_str_list(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t max,
                  const msgpack_object **out);

/* A map {fr?, ar?, en?} of strings of 1..max bytes; *out NULL if absent. */
int body_langs(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t max,
               const msgpack_object **out);

/* A number (msgpack int or float) that is finite and at most
   BODY_NUMBER_MAX in magnitude; *present tells if it was there. */
#define BODY_NUMBER_MAX 1e15 /* integers up to here are exact in a double */
int body_number(op_ctx_t *ctx, const msgpack_object *map, const char *key, bool required,
                double *out, bool *present);

/* A list of at most BODY_LIST_MAX points {date, value} (a date and a
   number as body_number), no date given twice; *out NULL if absent. */
int body_points(op_ctx_t *ctx, const msgpack_object *map, const char *key,
                const msgpack_object **out);

/* A bin of exactly len bytes. */
int body_bin(op_ctx_t *ctx, const msgpack_object *map, const char *key, size_t len,
             const uint8_t **out);

/* Membership of a NULL-terminated value set. */
bool body_in(strv_t s, const char *const *values);

/* The value sets of PROTOCOL.md section 6. */
extern const char *const body_roles[];
extern const char *const body_mechanisms[];
extern const char *const body_responses[];
extern const char *const body_statuses[];
extern const char *const body_report_states[];

#endif
