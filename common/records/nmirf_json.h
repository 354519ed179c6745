/*  nmirf_json - msgpack <-> JSON (jansson), for the command line's --json
    output and the project's JSON import format.

    bin values become lowercase hex strings in JSON; JSON never turns back
    into bin (no request body read from JSON carries binary fields).
*/
#ifndef NMIRF_JSON_H
#define NMIRF_JSON_H

#include <jansson.h>
#include <msgpack.h>

/* Converts a msgpack object to a new JSON value (caller decrefs). */
json_t *nmirf_json_from_mp(const msgpack_object *obj);

/* Packs a JSON value as msgpack. Integers stay integers, reals become
   float64, null becomes nil. Returns 0. */
int nmirf_json_to_mp(const json_t *json, msgpack_packer *pk);

#endif
