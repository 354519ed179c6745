/*  bench_report - how long `nmirf report --html` and `--odt` take over M
    recommendations with N validated narratives (docs/REPORTS.md).

    Starts nmirfd in a temporary directory and builds the store through
    it, as the command line and the agents would: imports M recommendations
    (every mechanism, UPR cycles, two themes each, fr/en texts of about
    400 bytes), assigns every fourth to MJ (MS contributing), adds one
    measure with an indicator per 50 narratives, and has MJ submit N
    reports of about 300 bytes each (one per assigned recommendation, then
    round again; every 50th gives its measure a value) which the
    coordinator validates. Then runs the whole command, snapshot and stats
    and file, RUNS times each, and prints the median and fastest wall time,
    the largest resident memory of the command, and the files' sizes.

    usage: bench_report NMIRFD NMIRF [M [N]]    (default M = 100000, N = 25000)

    Not a test: it takes minutes at the defaults. The figures go in
    docs/REPORTS.md.
*/
#include "harness.h"
#include "nmirf_client.h"
#include "nmirf_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define IMPORT_CHUNK 1000   /* recommendations per rec.import request */
#define RUNS 3              /* timed runs of each (the median is printed) */
#define MEASURE_EVERY 50    /* one measure, and one value, per this many reports */
#define PROGRESS_EVERY 5000 /* writes between two progress lines */

static const char *const s_mechs[] = {"UPR", "CAT",  "CCPR", "CESCR", "CEDAW", "CERD",
                                      "CRC", "CRPD", "CMW",  "CED",   "SP"};
static const char *const s_themes[] = {"Administration of justice & fair trial",
                                       "Women and girls",
                                       "Rights of the Child",
                                       "Torture and other CID treatment",
                                       "Right to education",
                                       "Right to health",
                                       "Migrants",
                                       "Freedom of opinion and expression",
                                       "Persons with disabilities",
                                       "Human rights education and training"};

/* Imports recs BR-0..m-1 in chunks. */
static void
s_import(h_broker_t *b, size_t m)
{
    for (size_t i = 0; i < m; i += IMPORT_CHUNK) {
        size_t end = i + IMPORT_CHUNK < m ? i + IMPORT_CHUNK : m;
        char *json = NULL;
        size_t cap = 0;
        FILE *f = open_memstream(&json, &cap);
        fprintf(f, "{'recs':[");
        for (size_t j = i; j < end; j++) {
            const char *mech = s_mechs[j % 11];
            fprintf(f,
                    "%s{'id':'BR-%zu','mechanism':'%s','symbol':'A/HRC/55/12',"
                    "'paragraph':'%zu',%s'themes':['%s','%s'],'response':'%s',"
                    "'text':{'fr':'Renforcer les garanties procedurales des personnes "
                    "privees de liberte, notamment l acces a un avocat des le debut de "
                    "la garde a vue (%zu).','en':'Strengthen procedural safeguards for "
                    "persons deprived of liberty, including access to a lawyer from the "
                    "outset of police custody (%zu).'}}",
                    j > i ? "," : "", j, mech, j,
                    j % 11 == 0 ? (j % 2 ? "'cycle':'3'," : "'cycle':'4',") : "",
                    s_themes[j % 10], s_themes[(j / 10) % 10],
                    j % 11 == 0 ? (j % 3 ? "supported" : "noted") : "not_applicable", j,
                    j);
        }
        fprintf(f, "]}");
        fclose(f);
        H_CALL_CHECK("ok", h_coord(b), "rec.import", "%s", json);
        free(json);
        if ((i / IMPORT_CHUNK) % 10 == 9)
            printf("bench_report: imported %zu\n", end), fflush(stdout);
    }
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs cmd RUNS times; prints the median and the fastest in ms, the
   largest resident set of the command (its children's maximum so far),
   and the size of file. */
static void
s_time_cmd(const char *label, const char *cmd, const char *file)
{
    double t[RUNS];
    for (int i = 0; i < RUNS; i++) {
        uint64_t t0 = nmirf_mono_us();
        int rc = system(cmd);
        t[i] = (nmirf_mono_us() - t0) / 1e3;
        H_ASSERTF(rc == 0, "%s exited %d", cmd, rc);
    }
    qsort(t, RUNS, sizeof t[0], s_cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    struct stat st;
    H_ASSERTF(stat(file, &st) == 0, "%s was not written", file);
    printf(
        "%-22s median %8.1f ms   fastest %8.1f ms   file %8.1f MB   max RSS so far %ld "
        "MB\n",
        label, t[RUNS / 2], t[0], st.st_size / 1e6, ru.ru_maxrss / 1024);
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_report NMIRFD NMIRF [M [N]]\n");
        return 2;
    }
    const char *nmirf = argv[2];
    size_t m = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
    size_t n = argc > 4 ? strtoul(argv[4], NULL, 10) : 25000;
    if (m < 4 || n == 0) {
        fprintf(stderr, "usage: bench_report NMIRFD NMIRF [M >= 4 [N >= 1]]\n");
        return 2;
    }
    h_init(2, argv, 7200);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_enroll(b, "MS", "ministry");
    uint64_t t0 = nmirf_mono_us();
    s_import(b, m);
    double import_s = (nmirf_mono_us() - t0) / 1e6;

    size_t assigned = 0;
    t0 = nmirf_mono_us();
    for (size_t j = 0; j < m; j += 4, assigned++) {
        H_CALL_CHECK("ok", h_coord(b), "rec.assign",
                     "{'rec':'BR-%zu','lead':'MJ','contributors':['MS'],"
                     "'deadline':'%04zu-%02zu-15'}",
                     j, 2025 + j % 4, 1 + j % 12);
        if (assigned % PROGRESS_EVERY == PROGRESS_EVERY - 1)
            printf("bench_report: assigned %zu\n", assigned + 1), fflush(stdout);
    }
    double assign_s = (nmirf_mono_us() - t0) / 1e6;

    /* N reports round the assigned recommendations; every MEASURE_EVERY-th
       names a measure (added first, on that recommendation) with a
       value. */
    size_t measures = 0;
    t0 = nmirf_mono_us();
    for (size_t k = 0; k < n; k++) {
        size_t j = (k % assigned) * 4;
        char date[16];
        snprintf(date, sizeof date, "20%02zu-%02zu-%02zu", 24 + k % 2, 1 + k % 12,
                 1 + k % 28);
        char extra[256] = "";
        if (k % MEASURE_EVERY == 0) {
            nmirf_reply_t *r = H_CALL_EXPECT(
                "ok", h_coord(b), "measure.add",
                "{'recs':['BR-%zu'],'title':'Programme de formation %zu',"
                "'indicator':{'name':'Personnes formees','unit':'personnes',"
                "'baseline':0,'target':1000}}",
                j, k);
            snprintf(extra, sizeof extra,
                     ",'measure':%llu,'indicator_values':[{'date':'%s','value':%zu}]",
                     (unsigned long long)h_u(&r->body, "measure.id"), date, 10 + k % 900);
            nmirf_reply_destroy(&r);
            measures++;
        }
        nmirf_reply_t *r = H_CALL_EXPECT(
            "ok", mj, "report.submit",
            "{'rec':'BR-%zu','status':'%s','date':'%s','by':'Point focal %zu',"
            "'evidence':['https://example.org/bo/%zu.pdf'],"
            "'narrative':'Le projet de loi relatif a la procedure penale a ete adopte en "
            "conseil de gouvernement puis transmis au parlement; des sessions de "
            "formation "
            "ont ete tenues pour les magistrats et les officiers de police judiciaire "
            "dans "
            "les douze regions, et une circulaire a precise les garanties (rapport "
            "%zu).'%s}",
            j, k % 3 ? "in_progress" : "partially_implemented", date, k % 40, k, k,
            extra);
        uint64_t id = h_u(&r->body, "report.id");
        nmirf_reply_destroy(&r);
        H_CALL_CHECK("ok", h_coord(b), "report.validate", "{'report':%llu}",
                     (unsigned long long)id);
        if (k % PROGRESS_EVERY == PROGRESS_EVERY - 1)
            printf("bench_report: validated %zu\n", k + 1), fflush(stdout);
    }
    double report_s = (nmirf_mono_us() - t0) / 1e6;
    printf(
        "bench_report: %zu recommendations imported in %.1f s, %zu assigned in %.1f s, "
        "%zu narratives submitted and validated (%zu measures with a value) in %.1f s\n",
        m, import_s, assigned, assign_s, n, measures, report_s);

    /* The snapshot op alone, signed round trip and decode: the part of
       the command's time that is the broker's and the wire's. */
    double t[RUNS];
    size_t bytes = 0;
    /* A client of its own: the harness's waits 5 s at most. */
    nmirf_client_t *c =
        nmirf_client_new(b->request_ep, &h_coord(b)->key, b->server_key, 120000);
    H_ASSERT(c);
    for (int i = 0; i < RUNS; i++) {
        uint64_t s0 = nmirf_mono_us();
        char why[256] = "";
        nmirf_reply_t *r = nmirf_client_call(c, "snapshot", NULL, 0, why, sizeof why);
        t[i] = (nmirf_mono_us() - s0) / 1e3;
        H_ASSERTF(r && r->ok, "snapshot: %s", r ? r->message : why);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_object(&pk, r->body);
        bytes = sb.size;
        msgpack_sbuffer_destroy(&sb);
        nmirf_reply_destroy(&r);
    }
    nmirf_client_destroy(&c);
    qsort(t, RUNS, sizeof t[0], s_cmp_double);
    printf("%-22s median %8.1f ms   fastest %8.1f ms   reply %8.1f MB\n", "snapshot op",
           t[RUNS / 2], t[0], bytes / 1e6);

    /* BENCH_REPORT_WRAP: a command put before each nmirf run (perf record
       -g -o FILE, /usr/bin/time -v) to see where its time goes. */
    const char *wrap = getenv("BENCH_REPORT_WRAP");
    char base[3 * PATH_MAX + 512], cmd[sizeof base + 2 * PATH_MAX], file[PATH_MAX + 32];
    snprintf(base, sizeof base, "%s%s%s -b %s -k %s/keys/COORD.key -S %s/keys/NMIRFD.pub",
             wrap ? wrap : "", wrap ? " " : "", nmirf, b->request_ep, b->dir, b->dir);
    snprintf(file, sizeof file, "%s/report.html", b->dir);
    snprintf(cmd, sizeof cmd, "%s -t 120000 report --html %s >/dev/null", base, file);
    s_time_cmd("nmirf report --html", cmd, file);
    snprintf(file, sizeof file, "%s/report.odt", b->dir);
    snprintf(cmd, sizeof cmd, "%s -t 120000 report --odt %s >/dev/null", base, file);
    s_time_cmd("nmirf report --odt", cmd, file);
    snprintf(file, sizeof file, "%s/report-ar.odt", b->dir);
    snprintf(cmd, sizeof cmd, "%s -t 120000 report --odt %s --lang ar >/dev/null", base,
             file);
    s_time_cmd("nmirf report --odt (ar)", cmd, file);
    h_broker_destroy(&b);
    return 0;
}
