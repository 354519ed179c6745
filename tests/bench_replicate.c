/*  bench_replicate - how long a new agent takes to replicate M
    recommendations.

    Starts nmirfd in a temporary directory, imports M recommendations with
    realistic texts (fr/en, about 400 bytes each) and assigns every tenth
    to the ministry, then starts a fresh nmirf-agent and times it from
    launch until its replica holds the broker's sequence (control op
    `status`: loaded, seq == broker seq), and checks the replica's digest
    against the broker's snapshot.

    usage: bench_replicate NMIRFD NMIRF-AGENT [M]     (default M = 10000)
*/
#include "agent_harness.h"
#include "nmirf_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_CHUNK 250 /* recommendations per rec.import request */

/* Imports recs PREFIX-0..m-1 with realistic texts, in chunks. */
static void
s_import(h_broker_t *b, size_t m)
{
    for (size_t i = 0; i < m; i += IMPORT_CHUNK) {
        size_t end = i + IMPORT_CHUNK < m ? i + IMPORT_CHUNK : m;
        char *json = NULL;
        size_t cap = 0;
        FILE *f = open_memstream(&json, &cap);
        fprintf(f, "{'recs':[");
        for (size_t j = i; j < end; j++)
            fprintf(
                f,
                "%s{'id':'BR-%zu','mechanism':'UPR','symbol':'A/HRC/55/12',"
                "'paragraph':'%zu','cycle':'4','themes':['justice'],"
                "'text':{'fr':'Renforcer les garanties procedurales des personnes "
                "privees de liberte, notamment l acces a un avocat des le debut de la "
                "garde a vue (%zu).','en':'Strengthen procedural safeguards for persons "
                "deprived of liberty, including access to a lawyer from the outset of "
                "police custody (%zu).'}}",
                j > i ? "," : "", j, j, j, j);
        fprintf(f, "]}");
        fclose(f);
        H_CALL_CHECK("ok", h_coord(b), "rec.import", "%s", json);
        free(json);
    }
}

int
main(int argc, char **argv)
{
    size_t m = 10000;
    if (argc > 3) {
        m = strtoul(argv[3], NULL, 10);
        if (m == 0) {
            fprintf(stderr, "usage: bench_replicate NMIRFD NMIRF-AGENT [M]\n");
            return 2;
        }
        argc = 3;
    }
    ha_init(argc, argv, 1800);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    uint64_t t0 = nmirf_mono_us();
    s_import(b, m);
    for (size_t j = 0; j < m; j += 10)
        H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'BR-%zu','lead':'MJ'}", j);
    uint64_t seq = h_seq(b);
    printf("bench_replicate: %zu recommendations, %zu assigned, broker at seq %llu "
           "(loaded in %.1f s)\n",
           m, (m + 9) / 10, (unsigned long long)seq, (nmirf_mono_us() - t0) / 1e6);

    t0 = nmirf_mono_us();
    ha_agent_t *a = ha_agent_start(b, mj, NULL);
    uint64_t deadline = t0 + 600u * 1000000u, got = 0;
    while (nmirf_mono_us() < deadline) {
        nmirf_reply_t *r = ha_ctl(a, 5000, "status", NULL);
        got = h_u(&r->body, "seq");
        nmirf_reply_destroy(&r);
        if (got == seq)
            break;
        h_sleep_ms(5);
    }
    double took = (nmirf_mono_us() - t0) / 1e6;
    HA_ASSERTF(got == seq, "replica at %llu, broker at %llu", (unsigned long long)got,
               (unsigned long long)seq);
    uint8_t want[NMIRF_HASH_LEN], have[NMIRF_HASH_LEN];
    uint64_t s1, s2;
    ha_broker_digest(h_coord(b), want, &s1);
    ha_agent_digest(a, have, &s2);
    HA_ASSERT(s1 == s2 && memcmp(want, have, sizeof want) == 0);
    printf(
        "new agent replicated %zu recommendations (seq %llu) in %.3f s, from launch to "
        "caught up; digest matches the broker's\n",
        m, (unsigned long long)seq, took);
    printf("bench: recs=%zu seq=%llu replicate_seconds=%.3f\n", m,
           (unsigned long long)seq, took);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    return 0;
}
