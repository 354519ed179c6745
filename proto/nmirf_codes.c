/*  nmirf_codes - wire names of the protocol's error codes, from the
    schema's set (nmirf_schema.c): one list. */
#include "nmirf_codes.h"
#include "nmirf_schema.h"

#include <string.h>

const char *
nmirf_code_name(nmirf_code_t code)
{
    const char *name = nmirf_valueset_name(&nmirf_code_names, (int)code);
    return name ? name : "internal";
}

nmirf_code_t
nmirf_code_from_name(const char *name)
{
    int i = nmirf_valueset_find(&nmirf_code_names, name, strlen(name));
    return i < 0 ? NMIRF_CODE_COUNT : (nmirf_code_t)i;
}
