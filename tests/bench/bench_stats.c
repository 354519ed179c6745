/*  bench_stats - how long the stats op and `nmirf stats` take over M
    recommendations.

    Starts nmirfd in a temporary directory, imports M varied
    recommendations (every mechanism, UPR cycles, two themes and an SDG or
    two each, fr/en texts of about 400 bytes), assigns every fourth to MJ
    (MS contributing) with deadlines spread over four years, has MJ report
    on every 50th assigned one and the coordinator validate it, then times
    the broker's stats op (the broker's single thread is busy that long,
    so commits wait behind it), unfiltered and filtered by mechanism and
    by entity, and, given the nmirf binary, the whole
    command: `nmirf stats` (tables) and `nmirf --json stats`.

    usage: bench_stats NMIRFD [NMIRF] [M]     (default M = 100000)
*/
#include "bench_common.h"
#include "harness.h"
#include "nmirf_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 5            /* timed runs of each (the median is printed) */

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs cmd RUNS times; prints the median and the fastest, in ms. */
static void
s_time_cmd(const char *label, const char *cmd)
{
    double t[RUNS];
    for (int i = 0; i < RUNS; i++) {
        uint64_t t0 = nmirf_mono_us();
        int rc = system(cmd);
        t[i] = (nmirf_mono_us() - t0) / 1e3;
        H_ASSERTF(rc == 0, "%s exited %d", cmd, rc);
    }
    qsort(t, RUNS, sizeof t[0], s_cmp_double);
    printf("%-28s median %8.1f ms   fastest %8.1f ms\n", label, t[RUNS / 2], t[0]);
}

int
main(int argc, char **argv)
{
    const char *nmirf = argc > 2 && *argv[2] ? argv[2] : NULL;
    size_t m = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
    if (m == 0) {
        fprintf(stderr, "usage: bench_stats NMIRFD [NMIRF] [M]\n");
        return 2;
    }
    h_init(2, argv, 3600);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_enroll(b, "MS", "ministry");
    uint64_t t0 = nmirf_mono_us();
    bench_import_recs(b, "BS", m);
    double import_s = (nmirf_mono_us() - t0) / 1e6;
    size_t assigned = 0, validated = 0;
    /* One request at a time: each its own commit, so the phases' means
       are a write's round trip with its commit (the figures stats keeps
       are moved by rec.assign and report.validate, not report.submit). */
    t0 = nmirf_mono_us();
    for (size_t j = 0; j < m; j += 4, assigned++)
        H_CALL_CHECK("ok", h_coord(b), "rec.assign",
                     "{'rec':'BS-%zu','lead':'MJ','contributors':['MS'],"
                     "'deadline':'%04zu-%02zu-15'}",
                     j, 2024 + j % 4, 1 + j % 12);
    double assign_s = (nmirf_mono_us() - t0) / 1e6, submit_s = 0, validate_s = 0;
    for (size_t j = 0; j < m; j += 200, validated++) {
        uint64_t s0 = nmirf_mono_us();
        nmirf_reply_t *r =
            H_CALL_EXPECT("ok", mj, "report.submit",
                          "{'rec':'BS-%zu','status':'%s','narrative':'done'}", j,
                          j % 400 ? "implemented" : "in_progress");
        uint64_t id = h_u(&r->body, "report.id");
        nmirf_reply_destroy(&r);
        uint64_t s1 = nmirf_mono_us();
        H_CALL_CHECK("ok", h_coord(b), "report.validate", "{'report':%llu}",
                     (unsigned long long)id);
        submit_s += (s1 - s0) / 1e6;
        validate_s += (nmirf_mono_us() - s1) / 1e6;
    }
    printf("bench_stats: %zu recommendations imported in %.1f s (%.0f/s), %zu assigned, "
           "%zu validated reports\n",
           m, import_s, m / import_s, assigned, validated);
    printf("bench_stats: one at a time, rec.assign %.2f ms, report.submit %.2f ms, "
           "report.validate %.2f ms (means)\n",
           assigned ? assign_s * 1e3 / assigned : 0,
           validated ? submit_s * 1e3 / validated : 0,
           validated ? validate_s * 1e3 / validated : 0);

    double t[RUNS];
    size_t bytes = 0;
    /* BENCH_STATS_EXTRA=N: N more untimed calls first, to profile the
       broker (perf record -p) while they run. */
    const char *extra = getenv("BENCH_STATS_EXTRA");
    for (long i = extra ? strtol(extra, NULL, 10) : 0; i > 0; i--) {
        nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(b), "stats", "{}");
        nmirf_reply_destroy(&r);
    }
    for (int i = 0; i < RUNS; i++) {
        uint64_t s0 = nmirf_mono_us();
        nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(b), "stats", "{}");
        t[i] = (nmirf_mono_us() - s0) / 1e3;
        H_ASSERT(h_u(&r->body, "total") == m);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_object(&pk, r->body);
        bytes = sb.size;
        msgpack_sbuffer_destroy(&sb);
        nmirf_reply_destroy(&r);
    }
    qsort(t, RUNS, sizeof t[0], s_cmp_double);
    printf("%-28s median %8.1f ms   fastest %8.1f ms   (reply %zu bytes)\n",
           "stats op (signed round trip)", t[RUNS / 2], t[0], bytes);
    /* Without the lists (limit 0: counts only), and, where the broker has
       them, the pass the figures replace (scan: true, the reference),
       alternated in the same seconds. A broker without the figures
       refuses the key: then only the first. */
    nmirf_reply_t *probe = h_call(h_coord(b), "stats", "{'scan':true,'limit':0}");
    bool has_scan = probe && probe->ok;
    nmirf_reply_destroy(&probe);
    double t0l[RUNS], tsc[RUNS];
    for (int i = 0; i < RUNS; i++) {
        uint64_t s0 = nmirf_mono_us();
        H_CALL_CHECK("ok", h_coord(b), "stats", "{'limit':0}");
        t0l[i] = (nmirf_mono_us() - s0) / 1e3;
        if (!has_scan)
            continue;
        s0 = nmirf_mono_us();
        H_CALL_CHECK("ok", h_coord(b), "stats", "{'scan':true}");
        tsc[i] = (nmirf_mono_us() - s0) / 1e3;
    }
    qsort(t0l, RUNS, sizeof t0l[0], s_cmp_double);
    printf("%-28s median %8.1f ms   fastest %8.1f ms\n", "stats op, limit 0",
           t0l[RUNS / 2], t0l[0]);
    if (has_scan) {
        qsort(tsc, RUNS, sizeof tsc[0], s_cmp_double);
        printf("%-28s median %8.1f ms   fastest %8.1f ms\n", "stats op, scan: true",
               tsc[RUNS / 2], tsc[0]);
    }
    /* Filtered: the same pass, fewer recommendations counted. */
    static const char *const filters[][2] = {
        {"stats op, mechanism CAT", "{'mechanism':'CAT'}"},
        {"stats op, entity MJ", "{'entity':'MJ'}"},
    };
    for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
        double tf[RUNS];
        for (int i = 0; i < RUNS; i++) {
            uint64_t s0 = nmirf_mono_us();
            nmirf_reply_t *r =
                H_CALL_EXPECT("ok", h_coord(b), "stats", "%s", filters[f][1]);
            tf[i] = (nmirf_mono_us() - s0) / 1e3;
            H_ASSERT(h_u(&r->body, "total") > 0 && h_u(&r->body, "total") < m);
            nmirf_reply_destroy(&r);
        }
        qsort(tf, RUNS, sizeof tf[0], s_cmp_double);
        printf("%-28s median %8.1f ms   fastest %8.1f ms\n", filters[f][0], tf[RUNS / 2],
               tf[0]);
    }
    if (nmirf) {
        char base[3 * PATH_MAX + 256], cmd[sizeof base + 2 * PATH_MAX];
        snprintf(base, sizeof base, "%s -b %s -k %s/keys/COORD.key -S %s/keys/NMIRFD.pub",
                 nmirf, b->request_ep, b->dir, b->dir);
        snprintf(cmd, sizeof cmd, "%s -t 60000 stats >/dev/null", base);
        s_time_cmd("nmirf stats", cmd);
        snprintf(cmd, sizeof cmd, "%s -t 60000 --json stats >/dev/null", base);
        s_time_cmd("nmirf --json stats", cmd);
        snprintf(cmd, sizeof cmd, "%s -t 60000 stats --csv >/dev/null", base);
        s_time_cmd("nmirf stats --csv", cmd);
        snprintf(cmd, sizeof cmd, "%s -t 60000 report --html %s/report.html >/dev/null",
                 base, b->dir);
        s_time_cmd("nmirf report --html", cmd);
    }
    printf("bench: recs=%zu stats_ms=%.1f\n", m, t[RUNS / 2]);
    h_broker_destroy(&b);
    return 0;
}
