/*  agent_mine_test - `mine` marks each deadline overdue or due soon, from
    the replica, by the rule of the broker's deadline events (PROTOCOL.md
    section 7), and `nmirf -a DIR mine` shows it.

    A real broker and MJ's agent. Nine recommendations assigned with
    deadlines around a fixed day, 2026-01-20 (given as `today`, so nothing
    here depends on the clock): late by 10 days and by 1, due that very
    day, due at the 14-day horizon as a contributor, 15 days away, late but
    implemented, no deadline, late and not_implemented, and one of another
    ministry's alone. Checked: `due` and `days_left` of each, the horizon
    moved to 15 days, the default date (the agent's UTC date), refusals of
    bad bodies, and the CLI table, its count line, --json and bad flags.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_util.h"

#define TODAY "2026-01-20"

/* Runs the nmirf CLI with args (a shell fragment); returns its exit status
   and its output, stderr included, in out (caller frees). */
static int
s_cli(const char *args, char **out)
{
    return h_sh(out, "'%s' %s 2>&1", ha_nmirf(), args);
}

/* The days_left of item it, or INT64_MIN if it has none. */
static int64_t
s_left(const msgpack_object *it)
{
    const msgpack_object *v = h_get(it, "days_left");
    if (!v)
        return INT64_MIN;
    if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return v->via.i64;
    HA_ASSERT(v->type == MSGPACK_OBJECT_POSITIVE_INTEGER);
    return (int64_t)v->via.u64;
}

/* Fails unless mine's item for rec has due (NULL: none) and days_left
   (INT64_MIN: none). */
static void
s_expect(const nmirf_reply_t *r, const char *rec, const char *due, int64_t left)
{
    const msgpack_object *it = h_find(&r->body, "assignments", "rec", rec);
    HA_ASSERTF(it, "mine has no %s", rec);
    const msgpack_object *d = h_get(it, "due");
    HA_ASSERTF(due ? d && h_is(it, "due", due) : !d, "%s: due is not %s", rec,
               due ? due : "absent");
    HA_ASSERTF(s_left(it) == left, "%s: days_left %lld, not %lld", rec,
               (long long)s_left(it), (long long)left);
}

/* Submits a report on rec as m and has the coordinator validate it. */
static void
s_validated(h_broker_t *b, h_entity_t *m, const char *rec, const char *status)
{
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", m, "report.submit",
                      "{'rec': '%s', 'status': '%s', 'narrative': 'n'}", rec, status);
    H_CALL_CHECK("ok", h_coord(b), "report.validate", "{'report': %llu}",
                 (unsigned long long)h_u(&r->body, "report.id"));
    nmirf_reply_destroy(&r);
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 110);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *mj = ha_setup_ministry(b, "MJ", "MINE", 9);
    h_enroll(b, "MK", "ministry");
    static const struct {
        const char *lead, *contributors, *deadline; /* deadline NULL: none */
    } as[9] = {
        {"MJ", "", "2026-01-10"}, {"MJ", "", "2026-01-19"},
        {"MJ", "", "2026-01-20"}, {"MK", "'MJ'", "2026-02-03"},
        {"MJ", "", "2026-02-04"}, {"MJ", "", "2026-01-01"},
        {"MJ", "", NULL},         {"MJ", "", "2025-06-30"},
        {"MK", "", "2026-01-10"},
    };
    for (int i = 0; i < 9; i++) {
        char deadline[48] = "";
        if (as[i].deadline)
            snprintf(deadline, sizeof deadline, ", 'deadline': '%s'", as[i].deadline);
        H_CALL_CHECK("ok", h_coord(b), "rec.assign",
                     "{'rec': 'MINE-%d', 'lead': '%s', 'contributors': [%s]%s}", i,
                     as[i].lead, as[i].contributors, deadline);
    }
    s_validated(b, mj, "MINE-5", "implemented");
    s_validated(b, mj, "MINE-7", "not_implemented");
    ha_agent_t *a = ha_agent_start(b, mj, NULL);
    ag_wait_seq(a, h_seq(b));

    nmirf_reply_t *r = ha_ctl(a, 5000, "mine", "{'today': '" TODAY "'}");
    H_EXPECT(r, "ok");
    HA_ASSERT(h_is(&r->body, "today", TODAY) && h_u(&r->body, "due_soon_days") == 14);
    HA_ASSERTF(h_len(&r->body, "assignments") == 8, "mine lists %zu",
               h_len(&r->body, "assignments"));
    s_expect(r, "MINE-0", "overdue", -10);
    s_expect(r, "MINE-1", "overdue", -1);
    s_expect(r, "MINE-2", "due_soon", 0);
    s_expect(r, "MINE-3", "due_soon", 14);
    HA_ASSERT(
        h_is(h_find(&r->body, "assignments", "rec", "MINE-3"), "role", "contributor"));
    s_expect(r, "MINE-4", NULL, 15);
    s_expect(r, "MINE-5", NULL, -19);
    s_expect(r, "MINE-6", NULL, INT64_MIN);
    s_expect(r, "MINE-7", "overdue", -204);
    HA_ASSERT(!h_find(&r->body, "assignments", "rec", "MINE-8"));
    nmirf_reply_destroy(&r);
    h_note("mine on " TODAY ": 10 and 1 days late overdue, today and the 14th day due "
           "soon, the 15th not, implemented and undated neither, not_implemented "
           "overdue");

    r = ha_ctl(a, 5000, "mine", "{'today': '" TODAY "', 'due_soon_days': 15}");
    H_EXPECT(r, "ok");
    s_expect(r, "MINE-4", "due_soon", 15);
    s_expect(r, "MINE-3", "due_soon", 14);
    nmirf_reply_destroy(&r);

    /* Without today: the agent's own UTC date (read around the call, so a
       midnight in between is no failure). */
    char before[11], after[11];
    nmirf_date_of(nmirf_now_ms(), before);
    r = ha_ctl(a, 5000, "mine", NULL);
    nmirf_date_of(nmirf_now_ms(), after);
    H_EXPECT(r, "ok");
    HA_ASSERT(h_is(&r->body, "today", before) || h_is(&r->body, "today", after));
    HA_ASSERT(h_len(&r->body, "assignments") == 8);
    nmirf_reply_destroy(&r);
    h_note("due_soon_days moves the horizon; today defaults to the agent's date");

    static const char *const bad[] = {
        "{'today': 'x'}",        "{'today': '2026-02-30'}",
        "{'today': 20260120}",   "{'due_soon_days': 3651}",
        "{'due_soon_days': -1}", "{'due_soon_days': 1.5}",
        "{'limit': 5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = ha_ctl(a, 5000, "mine", "%s", bad[i]);
        HA_ASSERTF(!r->ok && strcmp(r->code_name, "bad_request") == 0,
                   "mine %s answered %s", bad[i], r->code_name);
        nmirf_reply_destroy(&r);
    }
    h_note("mine refuses %zu bad bodies with bad_request", sizeof bad / sizeof bad[0]);

    if (ha_nmirf()) {
        char *out = NULL, args[8192];
        snprintf(args, sizeof args, "-a '%s' mine --today " TODAY, a->data);
        int st = s_cli(args, &out);
        HA_ASSERTF(st == 0 && strstr(out, "DUE") && strstr(out, "OVERDUE 10d") &&
                       strstr(out, "OVERDUE 1d") && strstr(out, "due today") &&
                       strstr(out, "due in 14d") && !strstr(out, "due in 15d") &&
                       strstr(out, "3 overdue, 2 due within 14 days of " TODAY),
                   "nmirf mine: %d\n%s", st, out);
        free(out);
        snprintf(args, sizeof args, "-a '%s' mine --today " TODAY " --due-soon 15",
                 a->data);
        st = s_cli(args, &out);
        HA_ASSERTF(st == 0 && strstr(out, "due in 15d") &&
                       strstr(out, "3 overdue, 3 due within 15 days of " TODAY),
                   "nmirf mine --due-soon 15: %d\n%s", st, out);
        free(out);
        snprintf(args, sizeof args, "-a '%s' --json mine --today " TODAY, a->data);
        st = s_cli(args, &out);
        HA_ASSERTF(st == 0 && strstr(out, "\"due\": \"overdue\"") &&
                       strstr(out, "\"days_left\": -10"),
                   "nmirf --json mine: %d\n%s", st, out);
        free(out);
        static const char *const flags[] = {"--today 2026-02-30", "--today x",
                                            "--due-soon 3651", "--due-soon -1", "extra"};
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
            snprintf(args, sizeof args, "-a '%s' mine %s", a->data, flags[i]);
            st = s_cli(args, &out);
            HA_ASSERTF(st == 2, "nmirf mine %s: exit %d\n%s", flags[i], st, out);
            free(out);
        }
        h_note("nmirf -a DIR mine: the DUE column and its count, --due-soon, --json; "
               "bad flags exit 2");
    }

    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    h_note("agent_mine_test passed");
    return 0;
}
