/*  agent_replica_test - the agent's replica ends with exactly the
    broker's state (DESIGN.md guarantee 2), compared by digest
    (nmirf_digest.h): the broker's snapshot against the agent's LMDB.

    1. A fresh agent loads a snapshot: digests equal.
    2. The agent stopped (SIGTERM) while 1,000 events happen (imports,
       reimports with changed text, assignments, measures with indicators,
       reports submitted and validated or returned), restarted: it catches up with
   events.since in pages; digests equal. Then a live burst while it runs: equal.
    3. More than 10,000 events behind: it resyncs from a snapshot
       (its log says so); digests equal.
    4. Another entity's revocation leaves the agent's session and
       subscription alone (the broker no longer rebinds): it converges
       without subscribing again.
    5. Far behind again, restarted while events keep coming: those pushed
       during its snapshot (same connection) are kept; it converges.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_util.h"

/* Makes about n events of every kind as the coordinator and ministry m:
   rounds of import, reimport with changed text, assign, submit, and
   validate or return; every fourth round a measure with an indicator,
   updated, and the report giving an indicator value (so the digest's
   measures and status sections are exercised). tag keeps the rec ids of
   calls apart. */
static void
s_churn(h_broker_t *b, h_entity_t *m, const char *tag, size_t n)
{
    h_entity_t *c = h_coord(b);
    for (size_t i = 0; i < n / 5; i++) {
        H_CALL_CHECK("ok", c, "rec.import",
                     "{'recs':[{'id':'%s-%zu','mechanism':'CAT','text':{'en':'t %zu'}}]}",
                     tag, i, i);
        H_CALL_CHECK("ok", c, "rec.import",
                     "{'recs':[{'id':'%s-%zu','mechanism':'CAT','text':{'en':'u %zu',"
                     "'fr':'v'},'response':'supported'}]}",
                     tag, i, i);
        H_CALL_CHECK("ok", c, "rec.assign",
                     "{'rec':'%s-%zu','lead':'%s','deadline':'2027-01-%02zu'}", tag, i,
                     m->id, 1 + i % 28);
        nmirf_reply_t *r;
        if (i % 4 == 1) {
            /* A measure with an indicator, retitled, and a report giving
               a value: measure.added, measure.updated, and another
               measure.updated if the report is validated. */
            r = H_CALL_EXPECT("ok", m, "measure.add",
                              "{'recs':['%s-%zu'],'title':'m %zu','indicator':{'name':"
                              "'share','unit':'%%','target':100,'schedule':[{'date':"
                              "'2027-01-01','value':100}]}}",
                              tag, i, i);
            unsigned long long mid = (unsigned long long)h_u(&r->body, "measure.id");
            nmirf_reply_destroy(&r);
            H_CALL_CHECK("ok", c, "measure.update", "{'id':%llu,'title':'M %zu'}", mid,
                         i);
            r = H_CALL_EXPECT(
                "ok", m, "report.submit",
                "{'rec':'%s-%zu','status':'in_progress','narrative':'n %zu',"
                "'measure':%llu,'indicator_values':[{'date':'2026-01-01',"
                "'value':%zu.5}]}",
                tag, i, i, mid, i);
        } else
            r = H_CALL_EXPECT(
                "ok", m, "report.submit",
                "{'rec':'%s-%zu','status':'in_progress','narrative':'n %zu'}", tag, i, i);
        unsigned long long id = (unsigned long long)h_u(&r->body, "report.id");
        nmirf_reply_destroy(&r);
        if (i % 2)
            H_CALL_CHECK("ok", c, "report.validate", "{'report':%llu}", id);
        else
            H_CALL_CHECK("ok", c, "report.return", "{'report':%llu,'reason':'more'}", id);
    }
}

/* True if the agent's log holds s. */
static bool
s_log_has(ha_agent_t *a, const char *s)
{
    size_t len;
    char *text = nmirf_read_file(a->log_path, &len);
    bool has = text && strstr(text, s);
    free(text);
    return has;
}

/* Makes more than AGENT_RESYNC_GAP (10,000) events: imports of 256
   recommendations named PREFIX-k-j. */
static void
s_far_behind(h_broker_t *b, const char *prefix)
{
    uint64_t before = h_seq(b);
    for (int k = 0; h_seq(b) < before + 10100; k++) {
        char *json = NULL;
        size_t cap = 0;
        FILE *f = open_memstream(&json, &cap);
        fprintf(f, "{'recs':[");
        for (int j = 0; j < 256; j++)
            fprintf(f, "%s{'id':'%s-%d-%d','mechanism':'UPR','text':{'en':'b'}}",
                    j ? "," : "", prefix, k, j);
        fprintf(f, "]}");
        fclose(f);
        H_CALL_CHECK("ok", h_coord(b), "rec.import", "%s", json);
        free(json);
    }
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 230);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *m = ha_setup_ministry(b, "MR", "RP", 50);
    s_churn(b, m, "PRE", 50);
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_converged(h_coord(b), a, "fresh agent from a snapshot");

    ha_agent_stop(a);
    uint64_t before = h_seq(b);
    s_churn(b, m, "OFF", 1000);
    HA_ASSERTF(h_seq(b) >= before + 1000, "only %llu events",
               (unsigned long long)(h_seq(b) - before));
    ha_agent_restart(a);
    ag_converged(h_coord(b), a, "restarted after 1000 events offline");
    HA_ASSERT(!s_log_has(a, "resync from a snapshot"));

    s_churn(b, m, "LIVE", 500);
    ag_converged(h_coord(b), a, "after a live burst of 500 events");

    /* Far behind: one import of 256 recommendations is 256 events. */
    ha_agent_stop(a);
    s_far_behind(b, "BIG");
    ha_agent_restart(a);
    ag_converged(h_coord(b), a, "restarted more than 10,000 events behind");
    HA_ASSERT(s_log_has(a, "resync from a snapshot"));
    s_churn(b, m, "AFTER", 100);
    ag_converged(h_coord(b), a, "live after the resync");

    /* Another entity's revocation ends only that entity's sessions'
       subscriptions: the agent's stays, nothing is missed. */
    bool stale_before = s_log_has(a, "subscribing again");
    h_enroll(b, "GONE", "ministry");
    H_CALL_CHECK("ok", h_coord(b), "entity.revoke", "{'id': 'GONE'}");
    s_churn(b, m, "REVOKED", 100);
    ag_converged(h_coord(b), a, "live after another entity's revocation");
    HA_ASSERTF(stale_before || !s_log_has(a, "subscribing again"),
               "another entity's revocation ended the agent's subscription");

    /* Events pushed while the snapshot (or a page) is read on the same
       connection are kept and applied after it. */
    ha_agent_stop(a);
    s_far_behind(b, "BIG2");
    ha_agent_restart(a);
    s_churn(b, m, "DURING", 200);
    ag_converged(h_coord(b), a, "events made while it loaded a snapshot");

    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    h_note("agent_replica_test passed");
    return 0;
}
