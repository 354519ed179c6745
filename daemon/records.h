/*  records - small helpers over stored records (msgpack maps).

    Records are stored as the msgpack maps PROTOCOL.md section 6 shows, and
    sent to clients as they are. Changing a record means packing a copy
    with some keys replaced.
*/
#ifndef RECORDS_H
#define RECORDS_H

#include <msgpack.h>
#include <stdbool.h>

#include "ops.h"

/* Packs a copy of map with key set to val (appended if absent); a val of
   type NIL removes the key instead. */
void record_pack_edit(msgpack_packer *pk, const msgpack_object *map, const char *key,
                      const msgpack_object *val);

/* A str object viewing s (no copy). */
msgpack_object record_str(const char *s);
msgpack_object record_uint(uint64_t v);

/* The value of a str field as a strv (p NULL if absent or not a str). */
strv_t record_field(const msgpack_object *map, const char *key);

/* True if the assignment names entity as lead or contributor. */
bool record_assigned_to(const msgpack_object *assignment, strv_t entity);

/* Collects the lead and contributors of an assignment (may be NULL) into
   list (zone strings), skipping duplicates; *count grows. list has room
   for max entries. */
void record_assignees(op_ctx_t *ctx, const msgpack_object *assignment, const char **list,
                      size_t *count, size_t max);

/* True if the recommendation record has been withdrawn (it holds a
   `withdrawn` key: rec.withdraw, rec.merge). */
bool record_withdrawn(const msgpack_object *rec);

/* Unpacks the n packed bytes at data into *obj, copying them into ctx's
   zone first, so that obj outlives the buffer. Returns 0, or -1 with the
   refusal (internal) set. */
int record_unpack(op_ctx_t *ctx, const void *data, size_t n, msgpack_object *obj);

/* Adds s to list unless present. */
void record_add_unique(const char **list, size_t *count, size_t max, const char *s);

#endif
