/*  nmirf_recfilter_test - the filter of stats and the report: each field
    alone and together, withdrawn records, what the body reader refuses,
    and a filter packed and read back.

    Usage: codec_recfilter

    Records are written as JSON and packed with nmirf_json_to_mp. Prints
    "file:line: case: what" per failed check, one summary line at the end.
*/
#include "nmirf_json.h"
#include "nmirf_recfilter.h"
#include "unit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static msgpack_zone s_zone;

/* The msgpack of the JSON text json (single quotes for double), kept in
   s_zone until the end. */
static msgpack_object
s_mp(const char *json)
{
    char *t = strdup(json);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(t, JSON_DECODE_ANY, &err);
    free(t);
    if (!j)
        abort();
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    if (nmirf_json_to_mp(j, &pk))
        abort();
    json_decref(j);
    char *copy = msgpack_zone_malloc(&s_zone, buf.size);
    memcpy(copy, buf.data, buf.size);
    msgpack_object o;
    size_t off = 0;
    if (msgpack_unpack(copy, buf.size, &off, &s_zone, &o) != MSGPACK_UNPACK_SUCCESS)
        abort();
    msgpack_sbuffer_destroy(&buf);
    return o;
}

/* A filter read from the JSON body json; aborts if it is refused. */
static nmirf_recfilter_t
s_filter(const char *json)
{
    nmirf_recfilter_t f;
    char why[128] = "";
    nmirf_recfilter_init(&f);
    msgpack_object body = s_mp(json);
    if (nmirf_recfilter_read(&f, &body, why, sizeof why)) {
        fprintf(stderr, "%s: %s\n", json, why);
        abort();
    }
    return f;
}

/* True if the body json is refused, with a reason naming field. */
static bool
s_refused(const char *json, const char *field)
{
    nmirf_recfilter_t f;
    char why[128] = "";
    nmirf_recfilter_init(&f);
    msgpack_object body = s_mp(json);
    return nmirf_recfilter_read(&f, &body, why, sizeof why) == -1 && strstr(why, field);
}

int
main(void)
{
    msgpack_zone_init(&s_zone, 4096);
    msgpack_object upr =
        s_mp("{'id':'A/HRC/52/7:125.48','mechanism':'UPR','cycle':'4',"
             "'response':'supported','themes':['Judiciary','Death penalty']}");
    msgpack_object cat = s_mp("{'id':'CAT/C/MAR/CO/5:21','mechanism':'CAT',"
                              "'response':'not_applicable'}");
    msgpack_object gone =
        s_mp("{'id':'X:1','mechanism':'UPR','cycle':'4',"
             "'response':'noted','withdrawn':{'reason':'duplicate','at':1}}");
    msgpack_object mj =
        s_mp("{'rec':'A/HRC/52/7:125.48','lead':'MJ','contributors':['MS']}");
    msgpack_object nil = s_mp("null");

    unit_case = "all";
    nmirf_recfilter_t all;
    nmirf_recfilter_init(&all);
    CHECK(nmirf_recfilter_is_all(&all));
    CHECK(nmirf_recfilter_match(&all, &upr, &mj));
    CHECK(nmirf_recfilter_match(&all, &cat, NULL));
    CHECK(nmirf_recfilter_match(&all, &cat, &nil));
    CHECK(!nmirf_recfilter_match(&all, &gone, NULL), "withdrawn hidden by default");
    CHECK(!nmirf_recfilter_match(&all, &nil, NULL), "not a record");

    unit_case = "fields";
    nmirf_recfilter_t f = s_filter("{'mechanism':'UPR'}");
    CHECK(!nmirf_recfilter_is_all(&f));
    CHECK(nmirf_recfilter_match(&f, &upr, NULL) &&
          !nmirf_recfilter_match(&f, &cat, NULL));
    f = s_filter("{'cycle':'4'}");
    CHECK(nmirf_recfilter_match(&f, &upr, NULL) &&
          !nmirf_recfilter_match(&f, &cat, NULL));
    f = s_filter("{'theme':'death PENALTY'}");
    CHECK(nmirf_recfilter_match(&f, &upr, NULL), "theme ignores ASCII case");
    CHECK(!nmirf_recfilter_match(&f, &cat, NULL), "no themes, no match");
    f = s_filter("{'theme':'Death'}");
    CHECK(!nmirf_recfilter_match(&f, &upr, NULL), "a theme is matched whole");
    f = s_filter("{'position':'not_applicable'}");
    CHECK(!nmirf_recfilter_match(&f, &upr, NULL) &&
          nmirf_recfilter_match(&f, &cat, NULL));
    f = s_filter("{'entity':'MJ'}");
    CHECK(nmirf_recfilter_match(&f, &upr, &mj), "lead");
    CHECK(!nmirf_recfilter_match(&f, &cat, NULL), "unassigned");
    f = s_filter("{'entity':'MS'}");
    CHECK(nmirf_recfilter_match(&f, &upr, &mj), "contributor");
    f = s_filter("{'entity':'M'}");
    CHECK(!nmirf_recfilter_match(&f, &upr, &mj), "an entity is matched whole");
    f = s_filter("{'mechanism':'UPR','entity':'MJ','position':'noted'}");
    CHECK(!nmirf_recfilter_match(&f, &upr, &mj), "every field must hold");
    f = s_filter("{'withdrawn':true,'cycle':'4'}");
    nmirf_recfilter_t w = s_filter("{'withdrawn':true}");
    CHECK(nmirf_recfilter_is_all(&w));
    CHECK(nmirf_recfilter_match(&f, &gone, NULL) &&
          nmirf_recfilter_match(&f, &upr, NULL));

    unit_case = "refused";
    CHECK(s_refused("{'mechanism':'upr'}", "mechanism"));
    CHECK(s_refused("{'position':'maybe'}", "position"));
    CHECK(s_refused("{'cycle':4}", "cycle"));
    CHECK(s_refused("{'theme':''}", "theme"));
    CHECK(s_refused("{'entity':'ABCDEFGHIJKLMNOPQ'}", "entity"));
    CHECK(s_refused("{'withdrawn':1}", "withdrawn"));
    f = s_filter("{'limit':3,'today':'2026-01-01'}");
    CHECK(nmirf_recfilter_is_all(&f), "other keys are the caller's");

    unit_case = "pack";
    f = s_filter("{'mechanism':'CAT','cycle':'3','theme':'Judiciary','entity':'MJ',"
                 "'position':'noted','withdrawn':true}");
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_recfilter_pack(&f, &m);
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    nmirf_mp_map_finish(&m, &pk);
    msgpack_object back;
    size_t off = 0;
    CHECK(msgpack_unpack(buf.data, buf.size, &off, &s_zone, &back) ==
          MSGPACK_UNPACK_SUCCESS);
    nmirf_recfilter_t g;
    char why[128];
    nmirf_recfilter_init(&g);
    CHECK(nmirf_recfilter_read(&g, &back, why, sizeof why) == 0);
    CHECK(memcmp(&f, &g, sizeof f) == 0, "read back equal");
    CHECK(back.via.map.size == 6);
    msgpack_sbuffer_destroy(&buf);

    msgpack_zone_destroy(&s_zone);
    return unit_done("codec_recfilter");
}
