/*  agent_repair_test - an agent following the broker through rec.withdraw,
    rec.merge and entity.update ends with exactly the broker's state
    (digests equal, nmirf_digest.h), whether it applies their events live
    or catches up on them after a restart; and its reads hide a withdrawn
    recommendation: control `rec.list` unless `withdrawn: true`, `mine`
    always.

    MJ's agent runs while the coordinator withdraws one of MJ's
    recommendations, merges another (with two reports, one validated, and
    a measure) into one of MK's, and renames MJ: the replica applies
    rec.withdrawn, rec.merged (FROM withdrawn, its assignment and status
    gone, the reports pointing at INTO, INTO's assignment and status) and
    the measure.updated after it. Then the agent is stopped, another merge
    (the assignment moving whole) is made, and it catches up through
    events.since. Last, a fresh agent of MK loads all of it from a
    snapshot, and applies one more merge on top.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_util.h"

/* True if the control reply lists rec under key (an array of maps with
   `rec` or `id`). */
static bool
s_lists(const nmirf_reply_t *r, const char *key, const char *field, const char *rec)
{
    return h_find(&r->body, key, field, rec) != NULL;
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 110);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = ha_setup_ministry(b, "MJ", "RP", 6);
    h_entity_t *mk = h_enroll(b, "MK", "ministry");
    for (int i = 0; i < 6; i++)
        H_CALL_CHECK("ok", coord, "rec.assign",
                     "{'rec': 'RP-%d', 'lead': '%s', 'deadline': '2030-01-31'}", i,
                     i == 2 ? "MK" : "MJ");
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", mj, "report.submit",
                      "{'rec': 'RP-1', 'status': 'implemented', 'narrative': 'done'}");
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)h_u(&r->body, "report.id"));
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", mj, "report.submit",
                 "{'rec': 'RP-1', 'status': 'in_progress', 'narrative': 'more'}");
    H_CALL_CHECK("ok", mk, "report.submit",
                 "{'rec': 'RP-2', 'status': 'in_progress', 'narrative': 'started'}");
    H_CALL_CHECK("ok", coord, "measure.add", "{'recs': ['RP-1'], 'title': 'A law'}");

    ha_agent_t *a = ha_agent_start(b, mj, NULL);
    ag_converged(h_coord(b), a, "before");

    /* Live: withdraw, merge, rename. */
    H_CALL_CHECK("ok", coord, "rec.withdraw", "{'rec': 'RP-0', 'reason': 'duplicate'}");
    r = H_CALL_EXPECT("ok", coord, "rec.merge", "{'from': 'RP-1', 'into': 'RP-2'}");
    HA_ASSERT(h_u(&r->body, "moved.reports") == 2 &&
              h_u(&r->body, "moved.measures") == 1);
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "entity.update",
                 "{'id': 'MJ', 'names': {'ar': 'وزارة العدل'}, 'contact': 'mj@gov.ma'}");
    ag_converged(h_coord(b), a, "after withdraw, merge and entity.update, live");

    /* The agent's reads. */
    r = ha_ctl(a, 5000, "rec.list", NULL);
    H_EXPECT(r, "ok");
    HA_ASSERT(h_u(&r->body, "total") == 4);
    HA_ASSERT(!s_lists(r, "recs", "id", "RP-0") && !s_lists(r, "recs", "id", "RP-1"));
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "rec.list", "{'withdrawn': true}");
    H_EXPECT(r, "ok");
    HA_ASSERT(h_u(&r->body, "total") == 6);
    const msgpack_object *w = h_find(&r->body, "recs", "id", "RP-0");
    HA_ASSERT(w && h_is(w, "withdrawn.reason", "duplicate"));
    w = h_find(&r->body, "recs", "id", "RP-1");
    HA_ASSERT(w && h_is(w, "withdrawn.into", "RP-2"));
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "rec.list", "{'withdrawn': 1}");
    H_EXPECT(r, "bad_request");
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "mine", NULL);
    H_EXPECT(r, "ok");
    HA_ASSERT(!s_lists(r, "assignments", "rec", "RP-0"));
    HA_ASSERT(!s_lists(r, "assignments", "rec", "RP-1"));
    /* MJ, RP-1's lead, now contributes to RP-2. */
    const msgpack_object *it = h_find(&r->body, "assignments", "rec", "RP-2");
    HA_ASSERT(it && h_is(it, "role", "contributor"));
    HA_ASSERT(s_lists(r, "assignments", "rec", "RP-3"));
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "rec.show", "{'rec': 'RP-2'}");
    H_EXPECT(r, "ok");
    HA_ASSERT(h_is(&r->body, "status", "implemented"));
    nmirf_reply_destroy(&r);
    h_note("the agent's rec.list hides withdrawn ones unless asked; mine hides them");

    /* Behind: the agent stopped while a merge moves an assignment whole
       and another recommendation is withdrawn; it catches up on restart. */
    ha_agent_stop(a);
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'RP-9', 'mechanism': 'UPR', 'text': {'en': 'new'}}]}");
    r = H_CALL_EXPECT("ok", coord, "rec.merge",
                      "{'from': 'RP-3', 'into': 'RP-9', 'reason': 'corrected text'}");
    HA_ASSERT(h_get(&r->body, "moved.assignment")->via.boolean);
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "rec.withdraw", "{'rec': 'RP-4', 'reason': 'not ours'}");
    H_CALL_CHECK("ok", coord, "entity.update", "{'id': 'MK', 'contact': 'mk@gov.ma'}");
    ha_agent_restart(a);
    ag_converged(h_coord(b), a,
                 "after a merge and a withdrawal caught up with events.since");

    /* A fresh agent (MK's) loads the repaired state from a snapshot, not
       from events: withdrawn records, moved reports and assignments,
       recomputed statuses and new names come whole in the snapshot. Then
       a merge applied on top of it. */
    ha_agent_t *fresh = ha_agent_start(b, mk, NULL);
    ag_converged(h_coord(b), fresh,
                 "a fresh agent loaded from a snapshot after the repairs");
    r = ha_ctl(fresh, 5000, "rec.list", "{'withdrawn': true}");
    H_EXPECT(r, "ok");
    w = h_find(&r->body, "recs", "id", "RP-3");
    HA_ASSERT(h_u(&r->body, "total") == 7 && w && h_is(w, "withdrawn.into", "RP-9"));
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "rec.merge", "{'from': 'RP-5', 'into': 'RP-2'}");
    ag_converged(h_coord(b), fresh, "then a merge applied on the snapshot's replica");
    ag_converged(h_coord(b), a, "and on the first agent's");
    ha_agent_destroy(&fresh);

    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    return 0;
}
