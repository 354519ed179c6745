/*  agent_async_failover_test - an agent across an asynchronous failover
    that lost the old primary's tail (docs/REPLICATION.md, "Clients and
    several brokers"; docs/AGENT.md).

    A is the primary; B a standby following it asynchronously (an entity
    of role standby on A, --standby-key), held behind with the test hook
    NMIRFD_TEST_FOLLOW_PAUSE_FILE (follower.c). The agent, given -b A,B
    -S A.pub,B.pub, submits through A; some of its submissions are
    acknowledged by A after B's last applied seq S_b, and the agent keeps
    A's checkpoint at A's seq, above S_b. A is killed -9; the agent moves
    to B while it is still a standby (whose heartbeats carry A's
    checkpoint at S_b, below the kept one) and does not refuse it; B is
    promoted (epoch 2, broker.promoted at S_b + 1): B's log is behind the
    agent's checkpoint. The agent does not refuse B, whether it comes
    back to it then or once B has written past the agent's seq (two
    rounds: B's checkpoint behind the kept one, or B's log parting from
    the agent's after the promotion): its log names the
    events lost (S_b + 1 .. A's seq of epoch 1) and each of its
    submissions among them ("lost at failover: request ID"), and none of
    the others; its replica reloads and ends with B's digest; its status
    shows B not refused and B's checkpoint kept; a new submission lands
    on B. Then (first round) the old primary is started again plainly, a
    fork of B's log at epoch 1: the agent, B silent a while (SIGSTOP),
    visits it, moves back to B, and follows B (A's fork is not held
    against B), a submission landing there.

    (A broker going back under the key that signed the kept checkpoint,
    a restored older copy, is still refused: witness_test.)
*/
#include "agent_common.h"
#include "nmirf_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#define S_BEFORE 3 /* submissions B applies */
#define S_LOST 4   /* submissions A acknowledges while B is behind */

/* Prints the line of the log at path that holds text (the first). */
static void
s_note_line(const char *path, const char *text)
{
    size_t len;
    char *log = nmirf_read_file(path, &len);
    const char *at = log ? strstr(log, text) : NULL;
    if (at) {
        const char *start = at, *end = strchr(at, '\n');
        while (start > log && start[-1] != '\n')
            start--;
        h_note("the agent's log: %.*s", (int)(end ? end - start : (long)strlen(start)),
               start);
    }
    free(log);
}

/* A submission through the agent on F-i under a fresh id (kept in id),
   acknowledged by the broker. */
static void
s_submit(ha_agent_t *ag, int i, uint8_t id[NMIRF_ID_LEN])
{
    char rec[16], narrative[32];
    snprintf(rec, sizeof rec, "F-%d", i);
    snprintf(narrative, sizeof narrative, "async-%d", i);
    nmirf_random_id(id, NMIRF_ID_LEN);
    nmirf_reply_t *r = ag_submit_id(ag, id, rec, narrative, 5000);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    ag_wait_outbox_empty(ag);
}

/* One round: B promoted behind the agent's checkpoint, and the agent
   comes to it then (past false: B's checkpoint behind the kept one), or
   after B has written past the agent's seq (past true: B's log parts
   from the agent's at the event after the promotion). */
static void
s_round(bool past)
{
    h_note("round: %s", past ? "B writes past the agent's seq before it comes"
                             : "B behind the agent's checkpoint when it comes");

    /* A with a ministry, its assignments and a standby entity. */
    h_broker_t *a = ha_broker_start_fixed(NULL); /* where the agent looks, restarted */
    h_entity_t *coord = h_coord(a);
    h_entity_t *mj = ha_setup_ministry(a, "MJ", "F", S_BEFORE + S_LOST + 2);
    for (int i = 0; i < S_BEFORE + S_LOST + 2; i++)
        H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'F-%d', 'lead': 'MJ'}", i);
    h_entity_t *sb = h_enroll(a, "SB", "standby");

    /* B follows A (a full copy first: h_standby_start), the pause hook
       named in its environment (a file beside A's store: B's directory
       is made by h_standby_start; the hook is inert in a broker that
       follows no one, A). */
    char pause[PATH_MAX + 16];
    snprintf(pause, sizeof pause, "%s/pause", a->dir);
    setenv("NMIRFD_TEST_FOLLOW_PAUSE_FILE", pause, 1);
    h_broker_t *b = h_standby_start(a, sb, NULL);
    h_entity_t *bcoord = &b->ents[0];
    char a_pub[PATH_MAX + 32], b_pub[PATH_MAX + 32];
    snprintf(a_pub, sizeof a_pub, "%s/keys/NMIRFD.pub", a->dir);
    snprintf(b_pub, sizeof b_pub, "%s/keys/NMIRFD.pub", b->dir);

    /* The agent, on A first. */
    char eps[2 * H_ENDPOINT_MAX + 2], keys[2 * PATH_MAX + 80];
    snprintf(eps, sizeof eps, "%s,%s", a->request_ep, b->request_ep);
    snprintf(keys, sizeof keys, "%s,%s", a_pub, b_pub);
    const char *extra[] = {"-b", eps, "-S", keys, NULL};
    ha_agent_t *ag = ha_agent_start(a, mj, extra);
    ag_converged(coord, ag, "on the primary");

    /* Submissions B gets, then B held behind and submissions it does
       not get. */
    uint8_t ids[S_BEFORE + S_LOST][NMIRF_ID_LEN];
    for (int i = 0; i < S_BEFORE; i++)
        s_submit(ag, i, ids[i]);
    uint64_t s_b = h_seq(a);
    for (int waited = 0; h_seq(b) != s_b; waited += 50) {
        HA_ASSERTF(waited < HA_WAIT_MS, "B never reached A's seq %llu",
                   (unsigned long long)s_b);
        h_sleep_ms(50);
    }
    int fd = open(pause, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    HA_ASSERTF(fd >= 0, "create %s: %s", pause, strerror(errno));
    close(fd);
    for (int i = S_BEFORE; i < S_BEFORE + S_LOST; i++)
        s_submit(ag, i, ids[i]);
    uint64_t seq_a = h_seq(a);
    HA_ASSERT(seq_a == s_b + S_LOST);
    ag_converged(coord, ag, "ahead of the standby");
    /* The agent keeps A's checkpoint at A's seq (the next heartbeat's). */
    for (int waited = 0;; waited += 50) {
        nmirf_reply_t *r = ha_ctl(ag, 5000, "status", NULL);
        uint64_t cp = h_u(&r->body, "checkpoint_seq");
        nmirf_reply_destroy(&r);
        if (cp == seq_a)
            break;
        HA_ASSERTF(waited < HA_WAIT_MS, "the agent keeps checkpoint %llu, not %llu",
                   (unsigned long long)cp, (unsigned long long)seq_a);
        h_sleep_ms(50);
    }
    HA_ASSERT(h_seq(b) == s_b);
    h_note("the agent keeps A's checkpoint at seq %llu; B applied up to %llu",
           (unsigned long long)seq_a, (unsigned long long)s_b);

    /* A dies. The agent finds B still a standby first (its heartbeats
       carry A's checkpoint at S_b: not judged, B is no primary); then B
       is promoted, its log behind the agent's checkpoint. */
    h_broker_kill(a);
    for (int waited = 0; h_log_count(ag->log_path, "it is a standby") == 0;
         waited += 100) {
        HA_ASSERTF(waited < HA_WAIT_MS, "the agent never went to the standby");
        h_sleep_ms(100);
    }
    h_sleep_ms(1500); /* a heartbeat or two of B's as a standby */
    H_CALL_CHECK("ok", bcoord, "broker.promote", "{}");
    unlink(pause);
    HA_ASSERT(h_seq(b) == s_b + 1);
    if (past) /* before the agent, away on A for 6 s, comes back */
        for (int i = 0; i < S_LOST + 2; i++)
            H_CALL_CHECK("ok", bcoord, "rec.import",
                         "{'recs': [{'id': 'P-%d', 'mechanism': 'UPR', 'text': {'en': "
                         "'p%d'}}]}",
                         i, i);
    uint64_t seq_b = h_seq(b);
    HA_ASSERT(past ? seq_b > seq_a : seq_b < seq_a);
    for (int waited = 0; h_log_count(ag->log_path, "FAILOVER") == 0; waited += 100) {
        HA_ASSERTF(waited < 2 * HA_WAIT_MS, "the agent never judged the failover");
        h_sleep_ms(100);
    }
    char text[256];
    snprintf(text, sizeof text,
             "the events %llu..%llu of epoch 1 this agent had are lost",
             (unsigned long long)s_b + 1, (unsigned long long)seq_a);
    HA_ASSERTF(h_log_count(ag->log_path, text) == 1,
               "the agent's log does not say \"%s\"", text);
    HA_ASSERTF(
        h_log_count(ag->log_path, past ? "parts from the one" : "is behind the one") == 1,
        "the agent did not see B's log %s", past ? "part from A's" : "behind");
    s_note_line(ag->log_path, "checking its log for a failover");
    s_note_line(ag->log_path, "FAILOVER");
    s_note_line(ag->log_path, "lost at failover");
    ag_converged(bcoord, ag, "after the failover");
    for (int i = 0; i < S_BEFORE + S_LOST; i++) {
        char hex[2 * NMIRF_ID_LEN + 1];
        nmirf_hex(ids[i], NMIRF_ID_LEN, hex);
        snprintf(text, sizeof text, "lost at failover: request %s", hex);
        HA_ASSERTF(h_log_count(ag->log_path, text) == (i >= S_BEFORE ? 1 : 0),
                   "submission %d: \"%s\" %d times", i, text,
                   h_log_count(ag->log_path, text));
    }
    nmirf_reply_t *r = ha_ctl(ag, 5000, "status", NULL);
    HA_ASSERTF(h_nil(&r->body, "broker_refused"), "the agent refuses B");
    HA_ASSERT(h_u(&r->body, "checkpoint_seq") >= s_b + 1);
    nmirf_reply_destroy(&r);
    HA_ASSERT(h_log_count(ag->log_path, "REFUSING") == 0);
    h_note("the agent named the events %llu..%llu and its %d submissions lost, did not "
           "refuse B, and its replica equals B's",
           (unsigned long long)s_b + 1, (unsigned long long)seq_a, S_LOST);

    /* It goes on: a new submission lands on B. */
    uint8_t id[NMIRF_ID_LEN];
    s_submit(ag, S_BEFORE + S_LOST, id);
    HA_ASSERT(h_seq(b) == seq_b + 1);
    ag_converged(bcoord, ag, "a submission after the failover");

    if (!past) {
        /* The old primary started again plainly, by mistake: its log (its
           lost tail) is a fork of B's. B silent for a while (SIGSTOP), the
           agent moves to A, finds its log parting from the kept
           checkpoint's and its epoch below 2, and moves back: what A's
           log showed is A's, not held against B (witness_moved). */
        h_broker_restart(a);
        /* The agent's ping fences A (epoch 2 seen): it moves away. */
        const char *away = "it is fenced; moving to";
        int before = h_log_count(ag->log_path, away);
        HA_ASSERT(kill(b->pid, SIGSTOP) == 0);
        for (int waited = 0; h_log_count(ag->log_path, away) == before; waited += 100) {
            if (waited >= 2 * HA_WAIT_MS)
                kill(b->pid, SIGCONT);
            HA_ASSERTF(waited < 2 * HA_WAIT_MS,
                       "the agent never visited the old primary");
            h_sleep_ms(100);
        }
        HA_ASSERT(kill(b->pid, SIGCONT) == 0);
        s_note_line(ag->log_path,
                    "the broker's own checkpoint tells a failover from a fork");
        s_note_line(ag->log_path, away);
        s_submit(ag, S_BEFORE + S_LOST + 1, id);
        HA_ASSERT(h_seq(b) == seq_b + 2);
        ag_converged(bcoord, ag, "back on B after visiting the old primary");
        nmirf_reply_t *st = ha_ctl(ag, 5000, "status", NULL);
        HA_ASSERTF(h_nil(&st->body, "broker_refused"), "the agent refuses B");
        nmirf_reply_destroy(&st);
    }

    ha_agent_stop(ag);
    ha_agent_destroy(&ag);
    h_broker_destroy(&a);
    b->ents[0].key = (nmirf_key_t){0}; /* A's, wiped with A */
    h_broker_destroy(&b);
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 280); /* two rounds */
    s_round(false);
    s_round(true);
    printf("agent_async_failover_test: all passed\n");
    return 0;
}
