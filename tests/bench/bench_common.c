/*  bench_common - sample recommendations and flag numbers for the
    benchmark programs. */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>

#define IMPORT_CHUNK 1000 /* recommendations per rec.import request */

static const char *const s_mechs[] = {"UPR", "CAT",  "CCPR", "CESCR", "CEDAW", "CERD",
                                      "CRC", "CRPD", "CMW",  "CED",   "SP"};
static const char *const s_themes[] = {
    "justice",    "detention",  "torture",     "women",      "children",
    "disability", "migrants",   "education",   "health",     "housing",
    "water",      "expression", "assembly",    "religion",   "elections",
    "poverty",    "labour",     "trafficking", "minorities", "environment"};

void
bench_import_recs(h_broker_t *b, const char *prefix, size_t m)
{
    for (size_t i = 0; i < m; i += IMPORT_CHUNK) {
        size_t end = i + IMPORT_CHUNK < m ? i + IMPORT_CHUNK : m;
        char *json = NULL;
        size_t cap = 0;
        FILE *f = open_memstream(&json, &cap);
        fprintf(f, "{'recs':[");
        for (size_t j = i; j < end; j++)
            fprintf(f,
                    "%s{'id':'%s-%zu','mechanism':'%s','symbol':'A/HRC/55/12',"
                    "'paragraph':'%zu','cycle':'%zu','themes':['%s','%s'],"
                    "'sdgs':['%zu.%zu'%s],"
                    "'text':{'fr':'Renforcer les garanties procedurales des personnes "
                    "privees de liberte, notamment l acces a un avocat des le debut de "
                    "la garde a vue (%zu).','en':'Strengthen procedural safeguards for "
                    "persons deprived of liberty, including access to a lawyer from the "
                    "outset of police custody (%zu).'}}",
                    j > i ? "," : "", prefix, j, s_mechs[j % 11], j, 1 + j % 4,
                    s_themes[j % 20], s_themes[(j / 20) % 20], 1 + j % 17, 1 + j % 7,
                    j % 3 ? "" : ",'16.3'", j, j);
        fprintf(f, "]}");
        fclose(f);
        H_CALL_CHECK("ok", h_coord(b), "rec.import", "%s", json);
        free(json);
    }
}

long
bench_num(const char *prog, const char *flag, const char *v, long lo, long hi)
{
    char *end;
    long n = strtol(v ? v : "", &end, 10);
    if (!v || *end || end == v || n < lo || n > hi) {
        fprintf(stderr, "%s: %s: '%s' is not a number from %ld to %ld\n", prog, flag,
                v ? v : "", lo, hi);
        exit(2);
    }
    return n;
}
