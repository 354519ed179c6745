/*  nmirf_json - msgpack <-> JSON (jansson). */
#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <stdlib.h>
#include <string.h>

json_t *
nmirf_json_from_mp(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(obj->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return json_integer((json_int_t)obj->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)obj->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return json_real(obj->via.f64);
    case MSGPACK_OBJECT_STR:
        return json_stringn(obj->via.str.ptr, obj->via.str.size);
    case MSGPACK_OBJECT_BIN: {
        char *hex = malloc(2 * (size_t)obj->via.bin.size + 1);
        if (!hex)
            return NULL;
        nmirf_hex((const uint8_t *)obj->via.bin.ptr, obj->via.bin.size, hex);
        json_t *s = json_string(hex);
        free(hex);
        return s;
    }
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < obj->via.array.size; i++)
            json_array_append_new(a, nmirf_json_from_mp(&obj->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *o = json_object();
        for (uint32_t i = 0; i < obj->via.map.size; i++) {
            const msgpack_object *k = &obj->via.map.ptr[i].key;
            char *key = k->type == MSGPACK_OBJECT_STR ? nmirf_mp_strdup(k) : strdup("?");
            if (key)
                json_object_set_new(o, key, nmirf_json_from_mp(&obj->via.map.ptr[i].val));
            free(key);
        }
        return o;
    }
    default:
        return json_null();
    }
}

int
nmirf_json_to_mp(const json_t *json, msgpack_packer *pk)
{
    switch (json_typeof(json)) {
    case JSON_NULL:
        return msgpack_pack_nil(pk), 0;
    case JSON_TRUE:
        return msgpack_pack_true(pk), 0;
    case JSON_FALSE:
        return msgpack_pack_false(pk), 0;
    case JSON_INTEGER: {
        json_int_t v = json_integer_value(json);
        if (v >= 0)
            msgpack_pack_uint64(pk, (uint64_t)v);
        else
            msgpack_pack_int64(pk, v);
        return 0;
    }
    case JSON_REAL:
        return msgpack_pack_double(pk, json_real_value(json)), 0;
    case JSON_STRING:
        nmirf_mp_pack_strn(pk, json_string_value(json), json_string_length(json));
        return 0;
    case JSON_ARRAY: {
        msgpack_pack_array(pk, json_array_size(json));
        size_t i;
        const json_t *v;
        json_array_foreach(json, i, v) if (nmirf_json_to_mp(v, pk)) return -1;
        return 0;
    }
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(json));
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)json, k, v)
        {
            nmirf_mp_pack_str(pk, k);
            if (nmirf_json_to_mp(v, pk))
                return -1;
        }
        return 0;
    }
    }
    return -1;
}
