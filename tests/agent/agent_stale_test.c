/*  agent_stale_test - an outbox entry that waited longer than the broker's
    request window (PROTOCOL.md section 3) is signed again and lands once.

    The broker runs with --request-window=2. It is stopped, a report is
    queued through the agent, 3 s pass, the broker comes back: its first
    answer to the old bytes is `stale` (logged as a refusal), the agent
    signs the entry again (same op, body and id, a fresh ts), says so in
    its log, counts it in `status` (`resigned` 1, shown by `nmirf agent
    status`), and the report lands exactly once. Then a control submit
    repeating that id with another body (after the kept answers were
    pushed out) is signed with the ts the agent kept for the id: the
    broker answers `id_reused`, nothing lands.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define RESULTS_KEPT 100 /* AGENT_RESULTS_MAX, client/agent/agent.h */

/* How many lines of the file at path hold needle. */
static unsigned
s_count(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    HA_ASSERT(f);
    char line[4096];
    unsigned n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            n++;
    fclose(f);
    return n;
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 100);
    static const char *const window[] = {"--request-window=2", NULL};
    h_broker_t *b = ha_broker_start_fixed(window);
    h_entity_t *m = ha_setup_ministry(b, "MS", "ST", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'ST-0','lead':'MS'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));

    h_broker_stop(b);
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    nmirf_reply_t *r = ag_submit_id(a, id, "ST-0", "waited", 0);
    H_EXPECT(r, "ok");
    HA_ASSERT(ag_bool(r, "queued"));
    nmirf_reply_destroy(&r);
    h_sleep_ms(3000);
    h_broker_restart(b);
    ag_wait_outbox_empty(a);
    HA_ASSERTF(ag_report_count(b, m, "waited", NULL) == 1, "the report landed %zu times",
               ag_report_count(b, m, "waited", NULL));
    unsigned stale = s_count(b->log_path, "refused report.submit from MS: stale");
    HA_ASSERTF(stale >= 1, "no stale refusal in the broker's log");
    HA_ASSERT(ag_file_has(a->log_path, "it waited longer than the broker's window"));
    r = ha_ctl(a, 5000, "status", NULL);
    HA_ASSERTF(h_u(&r->body, "resigned") == 1, "resigned %llu",
               (unsigned long long)h_u(&r->body, "resigned"));
    nmirf_reply_destroy(&r);
    if (ha_nmirf()) {
        char *out = NULL;
        int st = h_sh(&out, "LANGUAGE=en LC_ALL=C '%s' -a '%s' agent-status 2>&1",
                      ha_nmirf(), a->data);
        HA_ASSERTF(st == 0 && out && strstr(out, "re-signed (stale)"),
                   "nmirf agent-status: %d\n%s", st, out ? out : "");
        free(out);
    }
    h_note("an entry older than the window: %u stale refusal(s) at the broker, signed "
           "again once, landed once",
           stale);

    /* The kept answers pushed out, the same id with another body: signed
       with the ts kept for the id, so the broker knows the id. */
    for (int i = 0; i < RESULTS_KEPT; i++) {
        uint8_t other[NMIRF_ID_LEN];
        char narrative[32];
        nmirf_random_id(other, sizeof other);
        snprintf(narrative, sizeof narrative, "push-%d", i);
        r = ag_submit_id(a, other, "ST-0", narrative, 0);
        H_EXPECT(r, "ok");
        nmirf_reply_destroy(&r);
    }
    ag_wait_outbox_empty(a);
    r = ag_submit_id(a, id, "ST-0", "other-body", 10000);
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "id_reused") == 0,
               "the id with another body answered %s: %s", r->code_name, r->message);
    nmirf_reply_destroy(&r);
    HA_ASSERT(ag_report_count(b, m, "other-body", NULL) == 0);
    HA_ASSERT(ag_report_count(b, m, "waited", NULL) == 1);
    h_note("the id again with another body after its answer was dropped: id_reused");

    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    return 0;
}
