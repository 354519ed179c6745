/*  harness_read - reading replies by path, and fetching and checking the
    event log (harness.h).
*/
#include "harness.h"

#include <limits.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"

#define S_PATH_STEP_MAX 80  /* longest single step of a path */
#define S_EVENTS_PAGE 1000  /* events asked for per events.since call */
#define S_EVENTS_PAGES 1000 /* at most this many pages (a million events) */

const msgpack_object *
h_get(const msgpack_object *obj, const char *path)
{
    const char *p = path;
    while (obj && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char step[S_PATH_STEP_MAX + 1];
        if (n > S_PATH_STEP_MAX)
            return NULL;
        memcpy(step, p, n);
        step[n] = '\0';
        if (obj->type == MSGPACK_OBJECT_ARRAY) {
            char *end;
            unsigned long i = strtoul(step, &end, 10);
            if (*end != '\0' || n == 0 || i >= obj->via.array.size)
                return NULL;
            obj = &obj->via.array.ptr[i];
        } else {
            obj = nmirf_mp_get(obj, step);
        }
        p += n + (dot ? 1 : 0);
    }
    return obj;
}

uint64_t
h_u(const msgpack_object *obj, const char *path)
{
    const msgpack_object *o = h_get(obj, path);
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 : UINT64_MAX;
}

bool
h_is(const msgpack_object *obj, const char *path, const char *s)
{
    const msgpack_object *o = h_get(obj, path);
    return o && nmirf_mp_str_is(o, s);
}

size_t
h_len(const msgpack_object *obj, const char *path)
{
    const msgpack_object *o = h_get(obj, path);
    if (o && o->type == MSGPACK_OBJECT_ARRAY)
        return o->via.array.size;
    if (o && o->type == MSGPACK_OBJECT_MAP)
        return o->via.map.size;
    return SIZE_MAX;
}

bool
h_nil(const msgpack_object *obj, const char *path)
{
    const msgpack_object *o = h_get(obj, path);
    return !o || o->type == MSGPACK_OBJECT_NIL;
}

bool
h_has_str(const msgpack_object *obj, const char *path, const char *s)
{
    const msgpack_object *o = h_get(obj, path);
    if (!o || o->type != MSGPACK_OBJECT_ARRAY)
        return false;
    for (uint32_t i = 0; i < o->via.array.size; i++)
        if (nmirf_mp_str_is(&o->via.array.ptr[i], s))
            return true;
    return false;
}

bool
h_bin_is(const msgpack_object *obj, const char *path, const uint8_t *data, size_t len)
{
    const msgpack_object *o = h_get(obj, path);
    return o && o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == len &&
           memcmp(o->via.bin.ptr, data, len) == 0;
}

const msgpack_object *
h_find(const msgpack_object *obj, const char *path, const char *key, const char *value)
{
    const msgpack_object *o = h_get(obj, path);
    if (!o || o->type != MSGPACK_OBJECT_ARRAY)
        return NULL;
    for (uint32_t i = 0; i < o->via.array.size; i++)
        if (h_is(&o->via.array.ptr[i], key, value))
            return &o->via.array.ptr[i];
    return NULL;
}

const msgpack_object *
h_find_u(const msgpack_object *obj, const char *path, const char *key, uint64_t value)
{
    const msgpack_object *o = h_get(obj, path);
    if (!o || o->type != MSGPACK_OBJECT_ARRAY)
        return NULL;
    for (uint32_t i = 0; i < o->via.array.size; i++)
        if (h_u(&o->via.array.ptr[i], key) == value)
            return &o->via.array.ptr[i];
    return NULL;
}

msgpack_sbuffer *
h_pack_object(const msgpack_object *obj)
{
    msgpack_sbuffer *sb = msgpack_sbuffer_new();
    H_ASSERT(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    nmirf_mp_pack_object(&pk, obj);
    return sb;
}

bool
h_same(const msgpack_object *a, const msgpack_object *b)
{
    msgpack_sbuffer *sa = h_pack_object(a);
    msgpack_sbuffer *sb = h_pack_object(b);
    bool same = sa->size == sb->size && memcmp(sa->data, sb->data, sa->size) == 0;
    msgpack_sbuffer_free(sa);
    msgpack_sbuffer_free(sb);
    return same;
}

/* --- events ----------------------------------------------------------- */

size_t
h_events(h_entity_t *e, uint64_t since, nmirf_event_t ***out)
{
    nmirf_event_t **evs = NULL;
    size_t n = 0;
    uint64_t cursor = since;
    for (int page = 0; page < S_EVENTS_PAGES; page++) {
        nmirf_reply_t *r =
            H_CALL_EXPECT("ok", e, "events.since", "{'since': %llu, 'limit': %d}",
                          (unsigned long long)cursor, S_EVENTS_PAGE);
        const msgpack_object *list = h_get(&r->body, "events");
        uint64_t last = h_u(&r->body, "last");
        H_ASSERT(list && list->type == MSGPACK_OBJECT_ARRAY);
        H_ASSERTF(last != UINT64_MAX && last == r->seq, "last %llu, reply seq %llu",
                  (unsigned long long)last, (unsigned long long)r->seq);
        uint32_t got = list->via.array.size;
        H_ASSERTF(got <= S_EVENTS_PAGE, "events.since gave %u > limit %d", got,
                  S_EVENTS_PAGE);
        evs = realloc(evs, (n + got + 1) * sizeof *evs);
        H_ASSERT(evs);
        for (uint32_t i = 0; i < got; i++) {
            const msgpack_object *o = &list->via.array.ptr[i];
            H_ASSERTF(o->type == MSGPACK_OBJECT_BIN, "event %u is not bin", i);
            char why[256] = "";
            evs[n] = nmirf_event_decode((const uint8_t *)o->via.bin.ptr, o->via.bin.size,
                                        why, sizeof why);
            H_ASSERTF(evs[n], "event after seq %llu does not decode: %s",
                      (unsigned long long)cursor, why);
            H_ASSERTF(evs[n]->seq > cursor, "events.since %llu returned seq %llu",
                      (unsigned long long)cursor, (unsigned long long)evs[n]->seq);
            cursor = evs[n]->seq;
            n++;
        }
        nmirf_reply_destroy(&r);
        if (got == 0 || cursor >= last) {
            H_ASSERTF(cursor == last, "events.since stopped at %llu, last is %llu",
                      (unsigned long long)cursor, (unsigned long long)last);
            *out = evs;
            return n;
        }
    }
    h_fail(__FILE__, __LINE__, "more than %d pages of events", S_EVENTS_PAGES);
}

void
h_events_free(nmirf_event_t ***evs_p, size_t n)
{
    if (!*evs_p)
        return;
    for (size_t i = 0; i < n; i++)
        nmirf_event_destroy(&(*evs_p)[i]);
    free(*evs_p);
    *evs_p = NULL;
}

void
h_check_chain_at(const char *file, int line, nmirf_event_t *const *evs, size_t n,
                 const nmirf_event_t *prev_event)
{
    static const uint8_t zero[NMIRF_HASH_LEN];
    for (size_t i = 0; i < n; i++) {
        const nmirf_event_t *before = i > 0 ? evs[i - 1] : prev_event;
        const nmirf_event_t *ev = evs[i];
        if (before) {
            uint8_t hash[NMIRF_HASH_LEN];
            nmirf_hash2(hash, before->bytes, before->len, NULL, 0);
            if (ev->seq != before->seq + 1)
                h_fail(file, line, "event seq %llu follows seq %llu (gap or reorder)",
                       (unsigned long long)ev->seq, (unsigned long long)before->seq);
            if (memcmp(ev->prev, hash, sizeof hash) != 0)
                h_fail(file, line, "event %llu: prev is not the hash of event %llu",
                       (unsigned long long)ev->seq, (unsigned long long)before->seq);
        } else if (ev->seq == 1 && memcmp(ev->prev, zero, sizeof zero) != 0) {
            h_fail(file, line, "event 1: prev is not 32 zero bytes");
        }
    }
}

size_t
h_count_kind(nmirf_event_t *const *evs, size_t n, const char *kind)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(evs[i]->kind, kind) == 0)
            count++;
    return count;
}

/* True if the meta database of the store in dir/store holds key: read
   with LMDB beside the running broker (a reader of its own). */
bool
h_store_meta_has(const char *dir, const char *key)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/store", dir);
    MDB_env *env;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {strlen(key), (void *)key}, v;
    H_ASSERT(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 32) == 0);
    int rc = mdb_env_open(env, path, MDB_RDONLY, 0600);
    if (!rc)
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, "meta", 0, &dbi);
    H_ASSERTF(rc == 0, "cannot read %s: %s", path, mdb_strerror(rc));
    rc = mdb_get(txn, dbi, &k, &v);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    H_ASSERTF(rc == 0 || rc == MDB_NOTFOUND, "meta %s: %s", key, mdb_strerror(rc));
    return rc == 0;
}
