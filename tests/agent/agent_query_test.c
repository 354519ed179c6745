/*  agent_query_test - the control protocol's queries of the replica
    (proto/CONTROL.md: rec.list, rec.show, measure.list), answered by a
    real agent from its replica, with the broker up and then stopped.

    A real broker and MJ's agent. Six recommendations: Q-0 led by MJ, late
    on the fixed day 2026-01-20 (given as `today`, so nothing here depends
    on the clock), with a validated and a returned report and MJ's measure;
    Q-1 led by MK with MJ contributing, due in 5 days, with the
    coordinator's measure; Q-2 led by MJ and implemented; Q-3 led by MJ,
    due at the end of the year; Q-4 not assigned; Q-5 MK's alone, with a
    measure of its own. Checked: every rec.list filter and the paging, the
    head of each reply (decoded with the codec), rec.show's history and
    measures, measure.list ours and per recommendation, refusals with
    their codes (bad_request, too_large, not_found, unknown_op,
    bad_version), and the same answers marked stale once the broker is
    stopped. Then a stand-in broker on its endpoint answers one
    `subscribe` (with a later sequence, so the agent catches up) and
    nothing else: the agent's catch-up read fails, which marks the broker
    unreachable (`status` heard_ms_ago nil), and `contact_at` still says
    when the broker was last heard (the subscribe's answer), not "never".
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_control.h"
#include "nmirf_util.h"

#define TODAY "2026-01-20"

/* The ids of the recs of a rec.list reply, comma-separated, into buf. */
static const char *
s_ids(const nmirf_reply_t *r, char *buf, size_t size)
{
    buf[0] = 0;
    size_t n = h_len(&r->body, "recs");
    for (size_t i = 0; n != SIZE_MAX && i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "recs.%zu.id", i);
        const msgpack_object *id = h_get(&r->body, path);
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%.*s", i ? "," : "",
                 id && id->type == MSGPACK_OBJECT_STR ? (int)id->via.str.size : 1,
                 id && id->type == MSGPACK_OBJECT_STR ? id->via.str.ptr : "?");
    }
    return buf;
}

/* rec.list with body (JSON, h_pack_json syntax, today given by the
   caller) must list exactly ids (comma-separated) and count total. */
static void
s_list(ha_agent_t *a, const char *body, const char *ids, uint64_t total)
{
    nmirf_reply_t *r = ha_ctl(a, 5000, "rec.list", "%s", body);
    H_EXPECT(r, "ok");
    char got[512];
    HA_ASSERTF(strcmp(s_ids(r, got, sizeof got), ids) == 0, "rec.list %s: %s, not %s",
               body, got, ids);
    HA_ASSERTF(h_u(&r->body, "total") == total, "rec.list %s: total %llu, not %llu", body,
               (unsigned long long)h_u(&r->body, "total"), (unsigned long long)total);
    nmirf_reply_destroy(&r);
}

/* The head of a query's reply, decoded with the codec. */
static nmirf_ctl_replica_t
s_head(const nmirf_reply_t *r)
{
    nmirf_ctl_replica_t st;
    char why[128] = "";
    HA_ASSERTF(nmirf_ctl_replica_decode(&r->body, &st, why, sizeof why) == NMIRF_OK,
               "reply head: %s", why);
    return st;
}

/* A `status` reply body, decoded with the codec. */
static nmirf_ctl_status_t
s_status(ha_agent_t *a)
{
    nmirf_reply_t *r = ha_ctl(a, 5000, "status", NULL);
    H_EXPECT(r, "ok");
    nmirf_ctl_status_t st;
    char why[128] = "";
    HA_ASSERTF(nmirf_ctl_status_decode(&r->body, &st, why, sizeof why) == NMIRF_OK,
               "status: %s", why);
    nmirf_reply_destroy(&r);
    return st;
}

/* Serves the stand-in st for up to ms: answers its first `subscribe` ok
   at sequence seq (*subscribes counts them) and drops every other request
   unanswered (so a read of the agent fails at its timeout). */
static void
s_standin_serve(ha_standin_t *st, int *subscribes, uint64_t seq, int ms)
{
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end) {
        zmsg_t *msg = ha_standin_recv(st, (int)(end - zclock_mono()));
        if (!msg)
            break;
        nmirf_envelope_t e;
        bool has_id;
        if (*subscribes == 0 && ha_standin_envelope(msg, &e, &has_id) && has_id &&
            strcmp(e.op, "subscribe") == 0) {
            ha_standin_answer(st, msg, NMIRF_OK, NULL, seq);
            (*subscribes)++;
        }
        zmsg_destroy(&msg);
    }
}

/* Submits a report on rec as m; returns its id. */
static uint64_t
s_report(h_entity_t *m, const char *rec, const char *status, const char *narrative)
{
    nmirf_reply_t *r = H_CALL_EXPECT(
        "ok", m, "report.submit",
        "{'rec': '%s', 'status': '%s', 'narrative': '%s', 'evidence': ['JO 12']}", rec,
        status, narrative);
    uint64_t id = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    return id;
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 110);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_enroll(b, "MK", "ministry");
    h_entity_t *co = h_coord(b);
    H_CALL_CHECK(
        "ok", co, "rec.import",
        "{'recs': ["
        "{'id': 'Q-0', 'mechanism': 'UPR', 'symbol': 'A/HRC/52/7',"
        " 'text': {'en': 'Protect human rights defenders'}},"
        "{'id': 'Q-1', 'mechanism': 'CEDAW', 'text': {'fr': 'Égalité des femmes'}},"
        "{'id': 'Q-2', 'mechanism': 'UPR', 'text': {'en': 'Improve PRISON conditions'}},"
        "{'id': 'Q-3', 'mechanism': 'CRC', 'text': {'en': 'End child labour'}},"
        "{'id': 'Q-4', 'mechanism': 'UPR', 'text': {'en': 'Prevent torture'}},"
        "{'id': 'Q-5', 'mechanism': 'CAT', 'text': {'en': 'Train police'}}]}");
    H_CALL_CHECK("ok", co, "rec.assign",
                 "{'rec': 'Q-0', 'lead': 'MJ', 'deadline': '2026-01-10'}");
    H_CALL_CHECK("ok", co, "rec.assign",
                 "{'rec': 'Q-1', 'lead': 'MK', 'contributors': ['MJ'], "
                 "'deadline': '2026-01-25'}");
    H_CALL_CHECK("ok", co, "rec.assign", "{'rec': 'Q-2', 'lead': 'MJ'}");
    H_CALL_CHECK("ok", co, "rec.assign",
                 "{'rec': 'Q-3', 'lead': 'MJ', 'deadline': '2026-12-31'}");
    H_CALL_CHECK("ok", co, "rec.assign", "{'rec': 'Q-5', 'lead': 'MK'}");
    uint64_t r1 = s_report(mj, "Q-0", "in_progress", "first steps");
    H_CALL_CHECK("ok", co, "report.validate", "{'report': %llu}", (unsigned long long)r1);
    uint64_t r2 = s_report(mj, "Q-0", "partially_implemented", "the law passed");
    H_CALL_CHECK("ok", co, "report.return", "{'report': %llu, 'reason': 'more evidence'}",
                 (unsigned long long)r2);
    uint64_t r3 = s_report(mj, "Q-2", "implemented", "done");
    H_CALL_CHECK("ok", co, "report.validate", "{'report': %llu}", (unsigned long long)r3);
    H_CALL_CHECK("ok", mj, "measure.add",
                 "{'recs': ['Q-0'], 'title': 'Protection desk', 'indicator': "
                 "{'name': 'cases', 'target': 40, 'schedule': [{'date': '2026-06-30', "
                 "'value': 20}]}}");
    H_CALL_CHECK("ok", co, "measure.add", "{'recs': ['Q-1'], 'title': 'Parity law'}");
    H_CALL_CHECK("ok", co, "measure.add", "{'recs': ['Q-5'], 'title': 'Police school'}");
    ha_agent_t *a = ha_agent_start(b, mj, NULL);
    ag_wait_seq(a, h_seq(b));

    /* rec.list: every filter, then paging. */
    s_list(a, "{'today': '" TODAY "'}", "Q-0,Q-1,Q-2,Q-3,Q-4,Q-5", 6);
    s_list(a, "{'scope': 'all'}", "Q-0,Q-1,Q-2,Q-3,Q-4,Q-5", 6);
    s_list(a, "{'scope': 'ours'}", "Q-0,Q-1,Q-2,Q-3", 4);
    s_list(a, "{'scope': 'lead'}", "Q-0,Q-2,Q-3", 3);
    s_list(a, "{'scope': 'contributor'}", "Q-1", 1);
    s_list(a, "{'status': 'implemented'}", "Q-2", 1);
    s_list(a, "{'status': 'in_progress'}", "Q-0", 1);
    s_list(a, "{'status': 'not_started', 'scope': 'ours'}", "Q-1,Q-3", 2);
    s_list(a, "{'mechanism': 'UPR'}", "Q-0,Q-2,Q-4", 3);
    s_list(a, "{'due': 'overdue', 'today': '" TODAY "'}", "Q-0", 1);
    s_list(a, "{'due': 'due_soon', 'today': '" TODAY "'}", "Q-1", 1);
    s_list(a, "{'due': 'due_soon', 'today': '" TODAY "', 'due_soon_days': 3}", "", 0);
    s_list(a, "{'q': 'prison'}", "Q-2", 1);
    s_list(a, "{'q': 'femmes'}", "Q-1", 1);
    s_list(a, "{'q': 'a/hrc/52'}", "Q-0", 1);
    s_list(a, "{'q': 'nowhere'}", "", 0);
    s_list(a, "{'limit': 2}", "Q-0,Q-1", 6);
    s_list(a, "{'limit': 2, 'offset': 4}", "Q-4,Q-5", 6);
    s_list(a, "{'offset': 6}", "", 6);
    h_note("rec.list: scope, status, mechanism, due, q and paging each select the "
           "right recommendations");

    nmirf_reply_t *r = ha_ctl(a, 5000, "rec.list", "{'today': '" TODAY "'}");
    nmirf_ctl_replica_t st = s_head(r);
    HA_ASSERT(strcmp(st.entity, "MJ") == 0 && !st.stale && st.contact_at > 0);
    HA_ASSERT(st.seq == h_seq(b) && r->seq == st.seq);
    HA_ASSERT(h_is(&r->body, "today", TODAY) && h_u(&r->body, "due_soon_days") == 14);
    HA_ASSERT(h_u(&r->body, "limit") == NMIRF_CONTROL_LIMIT_DEFAULT);
    const msgpack_object *it = h_find(&r->body, "recs", "id", "Q-0");
    HA_ASSERT(it && h_is(it, "role", "lead") && h_is(it, "due", "overdue") &&
              h_is(it, "status", "in_progress") && h_is(it, "symbol", "A/HRC/52/7") &&
              h_is(it, "text", "Protect human rights defenders") &&
              h_is(it, "lead", "MJ") && h_is(it, "deadline", "2026-01-10"));
    it = h_find(&r->body, "recs", "id", "Q-1");
    HA_ASSERT(it && h_is(it, "role", "contributor") && h_is(it, "due", "due_soon") &&
              h_u(it, "days_left") == 5 && h_is(it, "text", "Égalité des femmes") &&
              h_has_str(it, "contributors", "MJ"));
    it = h_find(&r->body, "recs", "id", "Q-4");
    HA_ASSERT(it && h_nil(it, "role") && h_nil(it, "lead") &&
              h_len(it, "contributors") == 0 && !h_get(it, "deadline") &&
              !h_get(it, "due"));
    nmirf_reply_destroy(&r);
    h_note("rec.list items carry role, status, deadline marks, text; the head says "
           "where the replica stands");

    /* rec.show: the history and the measures. */
    r = ha_ctl(a, 5000, "rec.show", "{'rec': 'Q-0', 'today': '" TODAY "'}");
    H_EXPECT(r, "ok");
    st = s_head(r);
    HA_ASSERT(!st.stale);
    HA_ASSERT(h_is(&r->body, "rec.id", "Q-0") && h_is(&r->body, "status", "in_progress"));
    HA_ASSERT(h_is(&r->body, "assignment.lead", "MJ") && h_is(&r->body, "role", "lead"));
    HA_ASSERT(h_is(&r->body, "due", "overdue"));
    const msgpack_object *left = h_get(&r->body, "days_left");
    HA_ASSERT(left && left->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
              left->via.i64 == -10);
    HA_ASSERT(h_len(&r->body, "reports") == 2);
    HA_ASSERT(h_u(&r->body, "reports.0.id") == r1 &&
              h_is(&r->body, "reports.0.state", "validated"));
    HA_ASSERT(h_is(&r->body, "reports.0.narrative", "first steps") &&
              h_has_str(&r->body, "reports.0.evidence", "JO 12"));
    HA_ASSERT(h_u(&r->body, "reports.1.id") == r2 &&
              h_is(&r->body, "reports.1.state", "returned"));
    HA_ASSERT(h_is(&r->body, "reports.1.reason", "more evidence"));
    HA_ASSERT(h_u(&r->body, "reports.1.decided") != UINT64_MAX);
    HA_ASSERT(h_len(&r->body, "measures") == 1);
    HA_ASSERT(h_is(&r->body, "measures.0.title", "Protection desk") &&
              h_u(&r->body, "measures.0.indicator.target") == 40);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "rec.show", "{'rec': 'Q-4'}");
    H_EXPECT(r, "ok");
    HA_ASSERT(h_nil(&r->body, "assignment") && h_nil(&r->body, "role") &&
              h_is(&r->body, "status", "not_started") &&
              h_len(&r->body, "reports") == 0 && h_len(&r->body, "measures") == 0);
    nmirf_reply_destroy(&r);
    h_note("rec.show: assignment, status, deadline, 2 reports with state and reason, "
           "the linked measure");

    /* measure.list: ours (Q-0 as lead, Q-1 as contributor; not Q-5's),
       or one recommendation's. */
    r = ha_ctl(a, 5000, "measure.list", NULL);
    H_EXPECT(r, "ok");
    HA_ASSERT(h_nil(&r->body, "rec") && h_len(&r->body, "measures") == 2);
    HA_ASSERT(h_find(&r->body, "measures", "title", "Protection desk") &&
              h_find(&r->body, "measures", "title", "Parity law"));
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "measure.list", "{'rec': 'Q-5'}");
    H_EXPECT(r, "ok");
    HA_ASSERT(h_is(&r->body, "rec", "Q-5") && h_len(&r->body, "measures") == 1 &&
              h_is(&r->body, "measures.0.title", "Police school"));
    nmirf_reply_destroy(&r);
    h_note("measure.list: ours (2 of 3), and a recommendation's");

    /* Refusals, each with its code. */
    static const struct {
        const char *op, *body, *code;
    } bad[] = {
        {"rec.list", "{'limit': 0}", "bad_request"},
        {"rec.list", "{'limit': 501}", "bad_request"},
        {"rec.list", "{'scope': 'everyone'}", "bad_request"},
        {"rec.list", "{'status': 'done'}", "bad_request"},
        {"rec.list", "{'due': 'late'}", "bad_request"},
        {"rec.list", "{'today': '2026-13-01'}", "bad_request"},
        {"rec.list", "{'page': 2}", "bad_request"},
        {"rec.show", "{}", "bad_request"},
        {"rec.show", "{'rec': 7}", "bad_request"},
        {"rec.show",
         "{'rec': '0123456789012345678901234567890123456789012345678901234567890123X'}",
         "too_large"},
        {"rec.show", "{'rec': 'NOPE'}", "not_found"},
        {"measure.list", "{'recs': ['Q-0']}", "bad_request"},
        {"status", "{'x': 1}", "bad_request"},
        {"rec.delete", "{}", "unknown_op"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = ha_ctl(a, 5000, bad[i].op, "%s", bad[i].body);
        HA_ASSERTF(!r->ok && strcmp(r->code_name, bad[i].code) == 0 && r->message[0],
                   "%s %s answered %s, not %s", bad[i].op, bad[i].body, r->code_name,
                   bad[i].code);
        nmirf_reply_destroy(&r);
    }
    static const uint8_t v2[] = {0x82, 0xa1, 'v', 0x02, 0xa2, 'o', 'p',
                                 0xa6, 's',  't', 'a',  't',  'u', 's'};
    r = ha_ctl_raw(a, 5000, "a raw frame", v2, sizeof v2);
    HA_ASSERTF(strcmp(r->code_name, "bad_version") == 0, "v 2 answered %s", r->code_name);
    nmirf_reply_destroy(&r);
    static const uint8_t legacy[] = {0x81, 0xa2, 'o', 'p', 0xa6, 's',
                                     't',  'a',  't', 'u', 's'};
    r = ha_ctl_raw(a, 5000, "a raw frame", legacy, sizeof legacy);
    HA_ASSERTF(r->ok, "{op: status} without v answered %s", r->code_name);
    nmirf_reply_destroy(&r);
    h_note("%zu bad requests refused with their codes; v 2 bad_version; no v is v 1",
           sizeof bad / sizeof bad[0]);

    /* Broker stopped: the same answers, marked stale. */
    uint64_t seq = h_seq(b);
    h_broker_stop(b);
    for (int waited = 0;; waited += 50) {
        r = ha_ctl(a, 5000, "rec.list", "{'scope': 'ours'}");
        st = s_head(r);
        if (st.stale)
            break;
        nmirf_reply_destroy(&r);
        HA_ASSERTF(waited < HA_WAIT_MS, "rec.list never says stale with the broker down");
        h_sleep_ms(50);
    }
    HA_ASSERT(st.seq == seq && st.contact_at > 0);
    HA_ASSERT(h_u(&r->body, "total") == 4);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "rec.show", "{'rec': 'Q-0'}");
    H_EXPECT(r, "ok");
    HA_ASSERT(s_head(r).stale && h_len(&r->body, "reports") == 2);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "measure.list", NULL);
    H_EXPECT(r, "ok");
    HA_ASSERT(s_head(r).stale && h_len(&r->body, "measures") == 2);
    nmirf_reply_destroy(&r);
    h_note("broker stopped: rec.list, rec.show, measure.list answer from the replica, "
           "stale, contact_at kept");

    /* A failed read marks the broker unreachable; contact_at
       still says when it was last heard. The stand-in answers the
       agent's subscribe with a later sequence (the agent catches up with
       events.since) and never answers that read. */
    uint64_t before = (uint64_t)nmirf_now_ms();
    ha_standin_t *sb = ha_standin_new(b, "200", "OK");
    int subscribes = 0;
    for (int waited = 0; subscribes == 0; waited += 200) {
        HA_ASSERTF(waited < 15000, "the agent never subscribed at the stand-in in 15 s");
        s_standin_serve(sb, &subscribes, seq + 5, 200);
    }
    /* The read blocks the agent's loop, so this status may come only
       after it failed. */
    nmirf_ctl_status_t ss = s_status(a);
    for (int waited = 0; ss.has_heard; waited += 200) {
        HA_ASSERTF(waited < 15000, "the agent's read never failed at the stand-in");
        s_standin_serve(sb, &subscribes, seq + 5, 200);
        ss = s_status(a);
    }
    r = ha_ctl(a, 5000, "rec.list", "{'scope': 'ours'}");
    H_EXPECT(r, "ok");
    st = s_head(r);
    nmirf_reply_destroy(&r);
    HA_ASSERTF(st.stale, "the broker still reachable after a failed read");
    HA_ASSERTF(st.contact_at > 0, "contact_at nil after a failed read: \"never heard\"");
    /* The stand-in's answer, not the real broker's last sign. */
    HA_ASSERTF(st.contact_at >= before && st.contact_at <= (uint64_t)nmirf_now_ms(),
               "contact_at %llu is not the stand-in's subscribe answer (after %llu)",
               (unsigned long long)st.contact_at, (unsigned long long)before);
    ha_standin_destroy(&sb);
    h_note("a failed read: status heard_ms_ago nil, contact_at still the last contact");

    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    h_note("agent_query_test passed");
    return 0;
}
