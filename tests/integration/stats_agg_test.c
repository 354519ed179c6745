/*  stats_agg_test - the figures `stats` keeps in the write transaction
    (daemon/stats_agg.h) answer exactly what the full scan answers.

    A seeded random workload on a real broker (imports and re-imports that
    change mechanisms, cycles, themes, SDGs and positions; assignments with
    and without deadlines and contributors; reports submitted, validated
    and returned; withdrawals; merges; entity changes) with, every few
    steps, `stats {}` (the figures) against `stats {scan: true}` (the pass
    over every recommendation, the reference), both at several `today`,
    `due_soon_days` and `limit`: the two replies must be the same bytes.
    Then the same after a restart, and after the figures were removed
    with raw LMDB while the broker was stopped (a store from before them):
    the broker rebuilds them at start and says so in its log. No time is
    asserted.
*/
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "nmirf_mp.h"

#define RECS 40    /* recommendation ids R0..R39 */
#define STEPS 400  /* random writes */
#define COMPARE 25 /* steps between two comparisons */
#define REPORTS_MAX 512

static const char *const s_mechs[] = {"UPR", "CAT", "CRC", "SP", "CEDAW"};
static const char *const s_resps[] = {"supported", "noted", "pending", "not_applicable"};
static const char *const s_statuses[] = {"not_started", "in_progress",
                                         "partially_implemented", "implemented",
                                         "not_implemented"};
static const char *const s_deadlines[] = {"2001-03-31", "2024-12-31", "2026-01-15",
                                          "2026-06-30", "2027-02-01", "2031-12-31"};
static const char *const s_todays[] = {"2020-01-01", "2026-02-01", "2026-06-20",
                                       "2027-01-31", "2090-05-05"};
static const char *const s_ministries[] = {"MJ", "MK", "MI"};

static char s_long1[480], s_long2[480]; /* two themes sharing their first 470 bytes */

static unsigned
s_rand(unsigned n)
{
    return (unsigned)rand() % n;
}

/* Compares stats with body extra (JSON map members, may be empty) from the
   figures and from the scan, key by key, then as whole replies. */
static void
s_compare(h_entity_t *coord, const char *extra, const char *when)
{
    const char *sep = *extra ? ", " : "";
    nmirf_reply_t *fig = H_CALL_EXPECT("ok", coord, "stats", "{%s}", extra);
    nmirf_reply_t *scan =
        H_CALL_EXPECT("ok", coord, "stats", "{'scan': true%s%s}", sep, extra);
    H_ASSERT(fig->body.type == MSGPACK_OBJECT_MAP &&
             scan->body.type == MSGPACK_OBJECT_MAP);
    H_ASSERTF(fig->body.via.map.size == scan->body.via.map.size,
              "%s, stats {%s}: %u keys from the figures, %u from the scan", when, extra,
              fig->body.via.map.size, scan->body.via.map.size);
    for (uint32_t i = 0; i < fig->body.via.map.size; i++) {
        const msgpack_object_kv *a = &fig->body.via.map.ptr[i],
                                *b = &scan->body.via.map.ptr[i];
        msgpack_sbuffer *pa = h_pack_object(&a->val), *pb = h_pack_object(&b->val);
        bool same = h_same(&a->key, &b->key) && pa->size == pb->size &&
                    memcmp(pa->data, pb->data, pa->size) == 0;
        H_ASSERTF(same,
                  "%s, stats {%s}: '%.*s' differs (%zu bytes from the figures, %zu "
                  "from the scan)",
                  when, extra, (int)a->key.via.str.size, a->key.via.str.ptr, pa->size,
                  pb->size);
        msgpack_sbuffer_free(pa);
        msgpack_sbuffer_free(pb);
    }
    msgpack_sbuffer *pa = h_pack_object(&fig->body), *pb = h_pack_object(&scan->body);
    H_ASSERT(pa->size == pb->size && memcmp(pa->data, pb->data, pa->size) == 0);
    msgpack_sbuffer_free(pa);
    msgpack_sbuffer_free(pb);
    nmirf_reply_destroy(&fig);
    nmirf_reply_destroy(&scan);
}

/* Every comparison: no body, each `today`, horizons and limits. */
static void
s_compare_all(h_entity_t *coord, const char *when)
{
    char extra[128];
    s_compare(coord, "", when);
    for (size_t i = 0; i < sizeof s_todays / sizeof *s_todays; i++) {
        snprintf(extra, sizeof extra, "'today': '%s'", s_todays[i]);
        s_compare(coord, extra, when);
        snprintf(extra, sizeof extra, "'today': '%s', 'due_soon_days': 400, 'limit': 3",
                 s_todays[i]);
        s_compare(coord, extra, when);
        snprintf(extra, sizeof extra, "'today': '%s', 'due_soon_days': 0, 'limit': 0",
                 s_todays[i]);
        s_compare(coord, extra, when);
    }
}

/* A JSON list of up to n random picks of names (maybe none). */
static void
s_pick_list(char *out, size_t size, const char *const *names, size_t count, unsigned n)
{
    size_t at = (size_t)snprintf(out, size, "[");
    unsigned k = s_rand(n + 1);
    for (unsigned i = 0; i < k && at < size; i++)
        at += (size_t)snprintf(out + at, size - at, "%s'%s'", i ? ", " : "",
                               names[s_rand((unsigned)count)]);
    snprintf(out + at, size - at, "]");
}

/* Imports (or re-imports, changing it) a recommendation. */
static void
s_import(h_entity_t *coord, unsigned rec)
{
    static const char *themes[] = {"Torture", "Women", "Children", "Justice",
                                   s_long1,   s_long2, "Migrants"};
    static const char *sdgs[] = {"16.3", "5.1", "4.1", "10.7"};
    static const char *cycles[] = {"1", "2", "3", "4"};
    char th[2048], sd[256], extra[256] = "";
    const char *mech = s_mechs[s_rand(5)];
    s_pick_list(th, sizeof th, themes, 7, 3);
    s_pick_list(sd, sizeof sd, sdgs, 4, 2);
    size_t at = 0;
    if (s_rand(4))
        at += (size_t)snprintf(extra + at, sizeof extra - at, ", 'response': '%s'",
                               s_resps[s_rand(4)]);
    if (strcmp(mech, "UPR") == 0 && s_rand(3))
        snprintf(extra + at, sizeof extra - at, ", 'cycle': '%s'", cycles[s_rand(4)]);
    nmirf_reply_t *r =
        h_call(coord, "rec.import",
               "{'recs': [{'id': 'R%u', 'mechanism': '%s', 'text': "
               "{'en': 'Recommendation %u'}, 'themes': %s, 'sdgs': %s%s}]}",
               rec, mech, rec, th, sd, extra);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
}

/* Any reply but a fault of the broker's: refusals (a withdrawn or
   unassigned recommendation, a report no longer submitted) are part of a
   random workload. */
static void
s_any(nmirf_reply_t *r)
{
    H_ASSERT(r);
    H_ASSERTF(strcmp(r->code_name, "internal") != 0 &&
                  strcmp(r->code_name, "storage") != 0,
              "%s: %s", r->code_name, r->message);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 280);
    srand(h_seed("stats_agg_test"));
    memset(s_long1, 'x', 470);
    memcpy(s_long2, s_long1, 470);
    memcpy(s_long1 + 470, "-first", 7);
    memcpy(s_long2 + 470, "-second", 8);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    h_entity_t *min[3];
    for (int i = 0; i < 3; i++)
        min[i] = h_enroll(b, s_ministries[i], "ministry");
    s_compare_all(coord, "an empty store");
    for (unsigned i = 0; i < RECS; i++)
        s_import(coord, i);
    s_compare_all(coord, "after the first imports");

    uint64_t reports[REPORTS_MAX];
    size_t nreports = 0;
    unsigned lead_of[RECS];
    memset(lead_of, 0xff, sizeof lead_of);
    size_t validated = 0, merged = 0, overdue_seen = 0;
    for (unsigned step = 1; step <= STEPS; step++) {
        unsigned what = s_rand(100), rec = s_rand(RECS);
        nmirf_reply_t *r = NULL;
        if (what < 15) {
            s_import(coord, rec);
        } else if (what < 35) {
            unsigned lead = s_rand(3), c = s_rand(3);
            char contribs[64] = "[]", deadline[64] = "";
            if (c != lead && s_rand(2))
                snprintf(contribs, sizeof contribs, "['%s']", s_ministries[c]);
            if (s_rand(4))
                snprintf(deadline, sizeof deadline, ", 'deadline': '%s'",
                         s_deadlines[s_rand(6)]);
            r = h_call(coord, "rec.assign",
                       "{'rec': 'R%u', 'lead': '%s', "
                       "'contributors': %s%s}",
                       rec, s_ministries[lead], contribs, deadline);
            if (r && r->ok)
                lead_of[rec] = lead;
        } else if (what < 65) {
            if (lead_of[rec] < 3) {
                r = h_call(min[lead_of[rec]], "report.submit",
                           "{'rec': 'R%u', 'status': '%s', 'narrative': 'step %u'}", rec,
                           s_statuses[s_rand(5)], step);
                if (r && r->ok && nreports < REPORTS_MAX)
                    reports[nreports++] = h_u(&r->body, "report.id");
            }
        } else if (what < 88) {
            if (nreports) {
                size_t at = s_rand((unsigned)nreports);
                bool validate = s_rand(4) != 0;
                if (validate)
                    r = h_call(coord, "report.validate", "{'report': %llu}",
                               (unsigned long long)reports[at]);
                else
                    r = h_call(coord, "report.return",
                               "{'report': %llu, 'reason': 'more detail'}",
                               (unsigned long long)reports[at]);
                validated += r && r->ok && validate;
                reports[at] = reports[--nreports];
            }
        } else if (what < 92) {
            r = h_call(coord, "rec.withdraw", "{'rec': 'R%u', 'reason': 'step %u'}", rec,
                       step);
        } else if (what < 97) {
            unsigned into = s_rand(RECS);
            if (into != rec) {
                r = h_call(coord, "rec.merge", "{'from': 'R%u', 'into': 'R%u'}", rec,
                           into);
                merged += r && r->ok;
            }
        } else {
            r = h_call(coord, "entity.update", "{'id': '%s', 'contact': 'step%u@x.ma'}",
                       s_ministries[s_rand(3)], step);
        }
        if (r) {
            s_any(r);
            nmirf_reply_destroy(&r);
        }
        if (step % COMPARE == 0) {
            char when[64];
            snprintf(when, sizeof when, "after step %u", step);
            s_compare_all(coord, when);
            r = H_CALL_EXPECT("ok", coord, "stats", "{'today': '2030-01-01'}");
            overdue_seen += h_u(&r->body, "overdue_total") > 0;
            nmirf_reply_destroy(&r);
        }
    }
    /* The workload did what it is for: a test over empty figures proves
       nothing. */
    nmirf_reply_t *r = H_CALL_EXPECT("ok", coord, "stats", "{}");
    h_note("%llu recommendations counted, %zu validations, %zu merges, overdue seen %zu "
           "times",
           (unsigned long long)h_u(&r->body, "total"), validated, merged, overdue_seen);
    H_ASSERT(h_u(&r->body, "total") > 0 && validated > 0 && overdue_seen > 0);
    H_ASSERT(h_len(&r->body, "by_month") > 0);
    nmirf_reply_destroy(&r);
    /* A filter counts in one pass: the same answer with scan or not. */
    s_compare(coord, "'mechanism': 'UPR'", "a filter");
    s_compare(coord, "'withdrawn': true", "withdrawn too");
    H_CALL_CHECK("bad_request", coord, "stats", "{'scan': 'yes'}");
    h_note("the figures answer the scan's bytes through %d random writes", STEPS);

    h_broker_stop(b);
    h_broker_restart(b);
    s_compare_all(coord, "after a restart");
    h_note("a restart keeps them");

    /* A store from before the figures: no `agg` database at all. */
    h_broker_stop(b);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/store", b->dir);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    H_ASSERT(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 32) == 0 &&
             mdb_env_set_mapsize(env, 64u << 20) == 0);
    H_ASSERT(mdb_env_open(env, path, 0, 0600) == 0);
    H_ASSERT(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    H_ASSERT(mdb_dbi_open(txn, "agg", 0, &dbi) == 0);
    H_ASSERT(mdb_drop(txn, dbi, 1) == 0);
    H_ASSERT(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    h_broker_restart(b);
    s_compare_all(coord, "after the rebuild");
    char *log = NULL;
    h_sh(&log, "grep -c 'stats figures built from' '%s'", b->log_path);
    H_ASSERTF(log && atoi(log) >= 2, "the log says the figures were built %s times",
              log ? log : "?");
    free(log);
    h_note("a store without them gets them at start");
    /* And they go on following the writes. */
    for (unsigned i = 0; i < RECS; i += 7)
        s_import(coord, i);
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'NEW', 'mechanism': 'CAT', 'text': {'en': 'New'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'NEW', 'lead': 'MJ', 'deadline': '2026-06-30'}");
    s_compare_all(coord, "writes after the rebuild");
    h_broker_destroy(&b);
    return 0;
}
