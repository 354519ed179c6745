/*  agent_failover_test - an agent given a primary and its standby (-b A,B
    -S A.pub,B.pub) follows a promotion without a restart
    (docs/REPLICATION.md, "Clients and several brokers"; docs/AGENT.md).

    The standby B starts from a copy of A's store taken while A is
    stopped (no log shipping yet), with keys of its own. The agent starts
    on A and loads its replica. Then A stops; a submission made meanwhile
    waits in the outbox while the agent moves between the brokers (A
    silent, B a standby that refuses it `not_primary`); B is promoted;
    the submission lands on B exactly once, the outbox empties, and the
    replica, whose sequence continues across the move, ends with B's
    digest at B's sequence. The agent's log names the moves.
*/
#include "agent_common.h"
#include "nmirf_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 170);

    /* A with a ministry and its assignment; B's own keys from a first
       start. */
    h_broker_t *a = ha_broker_start_fixed(NULL);
    h_entity_t *mj = ha_setup_ministry(a, "MJ", "F", 2);
    H_CALL_CHECK("ok", h_coord(a), "rec.assign", "{'rec': 'F-0', 'lead': 'MJ'}");
    uint64_t seq = h_seq(a);
    h_broker_t *b = ha_broker_start_fixed(NULL);
    h_broker_stop(b);
    h_broker_stop(a);
    char *out = NULL;
    HA_ASSERTF(h_sh(&out, "rm -rf '%s/store' && cp -a '%s/store' '%s/store' 2>&1", b->dir,
                    a->dir, b->dir) == 0,
               "copy the store: %s", out ? out : "");
    free(out);
    b->ent_count = 0; /* A's coordinator, as its store is A's */
    h_entity_add(b, h_coord(a));
    char a_pub[PATH_MAX + 32], b_pub[PATH_MAX + 32];
    snprintf(a_pub, sizeof a_pub, "%s/keys/NMIRFD.pub", a->dir);
    snprintf(b_pub, sizeof b_pub, "%s/keys/NMIRFD.pub", b->dir);
    /* args[0..3] are the fixed -r and -e. */
    b->args[4] = "--standby-of";
    b->args[5] = a->args[1];
    b->args[6] = "-S";
    b->args[7] = a_pub;
    h_broker_restart(b);
    h_broker_restart(a);
    HA_ASSERT(strcmp(a->request_ep, a->args[1]) == 0 && h_seq(b) == seq);

    /* The agent, on A first. */
    char eps[2 * H_ENDPOINT_MAX + 2], keys[2 * PATH_MAX + 80];
    snprintf(eps, sizeof eps, "%s,%s", a->request_ep, b->request_ep);
    snprintf(keys, sizeof keys, "%s,%s", a_pub, b_pub);
    const char *extra[] = {"-b", eps, "-S", keys, NULL};
    ha_agent_t *ag = ha_agent_start(a, mj, extra);
    ag_converged(h_coord(a), ag, "on the primary");

    /* A goes; a submission waits; B is promoted; it lands there once. */
    h_broker_stop(a);
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    nmirf_reply_t *r = ag_submit_id(ag, id, "F-0", "failover-once", 500);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    /* Until B is promoted, the agent finds A silent and B a standby that
       refuses the submission. */
    for (int waited = 0;
         h_log_count(b->log_path, "refused report.submit from MJ: not_primary") == 0;
         waited += 100) {
        HA_ASSERTF(waited < HA_WAIT_MS, "the agent never sent to the standby");
        h_sleep_ms(100);
    }
    H_ASSERT(h_seq(b) == seq);
    H_CALL_CHECK("ok", h_coord(b), "broker.promote", "{}");
    ag_wait_outbox_empty(ag);
    nmirf_event_t **evs;
    size_t n = h_events(h_coord(b), 0, &evs);
    H_CHECK_CHAIN(evs, n, NULL);
    HA_ASSERTF(h_count_kind(evs, n, "report.submitted") == 1,
               "the submission landed %zu times",
               h_count_kind(evs, n, "report.submitted"));
    HA_ASSERT(h_count_kind(evs, n, "broker.promoted") == 1);
    h_events_free(&evs, n);
    HA_ASSERT(h_log_count(ag->log_path, "moving to") > 0);
    h_note("the promoted standby took the outbox's submission exactly once");
    ag_converged(h_coord(b), ag, "after the promotion");
    r = ha_ctl(ag, 5000, "status", NULL);
    H_ASSERT(h_u(&r->body, "seq") == seq + 2);
    nmirf_reply_destroy(&r);

    ha_agent_stop(ag);
    ha_agent_destroy(&ag);
    b->ents[0].key = (nmirf_key_t){0}; /* A's coordinator, wiped with A */
    h_broker_destroy(&b);
    h_broker_destroy(&a);
    printf("agent_failover_test: all passed\n");
    return 0;
}
