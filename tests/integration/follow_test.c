/*  follow_test - the replication stream with real brokers
    (docs/REPLICATION.md, "The stream"):

    - only an entity of role standby may call repl.copy and repl.follow
      (forbidden to the coordinator and a ministry), and a standby entity
      writes nothing (forbidden);
    - a standby started empty (nmirfd --standby-of A -S A.pub
      --standby-key SB.key) takes a full copy, then follows A while a
      workload runs: every database of its store ends equal to A's, entry
      for entry, byte for byte; its status says it follows, at A's seq;
      its log verifies offline with A's key (nmirf_audit_verify_dir);
    - stopped (SIGSTOP) while A commits, then continued, it applies the
      records waiting for it in groups, one commit each (its debug log
      says so), and is equal again;
    - restarted after A took more writes, it catches up from A's ring
      (no second full copy) and is equal again;
    - A restarted (its ring anew): the standby's position is refused, it
      stops with exit code 75, and started again takes a new full copy;
    - a standby refuses repl.copy `not_primary` (a standby of a standby
      would follow the wrong log);
    - A killed -9, the standby promoted: writes go on, the seq
      continuing after the broker.promoted event;
    - A back as `--standby-of B`: it takes a full copy of B (its store
      forked from B's at the promotion) and follows B, promoted in this
      run, to equal stores; so does a third broker C, a new standby of B
      given only B's key (the copy's log began under A's).
*/
#include "harness.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "harness_store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* The last line of b's log holding text, into out (empty if none). */
static void
s_log_last(const h_broker_t *b, const char *text, char *out, size_t len)
{
    size_t n;
    char *log = nmirf_read_file(b->log_path, &n);
    const char *last = NULL;
    for (const char *p = log; p && (p = strstr(p, text)) != NULL; p += strlen(text))
        last = p;
    out[0] = '\0';
    if (last)
        snprintf(out, len, "%.*s", (int)strcspn(last, "\n"), last);
    free(log);
}

/* A few writes on a as coord and mj, from index i. */
static void
s_workload(h_entity_t *coord, h_entity_t *mj, int from, int count)
{
    for (int i = from; i < from + count; i++) {
        H_CALL_CHECK(
            "ok", coord, "rec.import",
            "{'recs': [{'id': 'F-%d', 'mechanism': 'UPR', 'text': {'en': 'r%d'}}]}", i,
            i);
        H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'F-%d', 'lead': 'MJ'}", i);
        H_CALL_CHECK("ok", mj, "report.submit",
                     "{'rec': 'F-%d', 'status': 'in_progress', 'narrative': 'n%d'}", i,
                     i);
    }
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 170);

    /* A, the primary, with a ministry and a standby entity. */
    h_broker_t *a = h_broker_start(NULL);
    h_entity_t *coord = h_coord(a);
    h_entity_t *mj = h_enroll(a, "MJ", "ministry");
    h_entity_t *sb = h_enroll(a, "SB", "standby");
    s_workload(coord, mj, 0, 5);

    /* Who may follow. */
    H_CALL_CHECK("forbidden", coord, "repl.copy", "{}");
    H_CALL_CHECK("forbidden", mj, "repl.follow", "{'ring': '', 'n': 0}");
    H_CALL_CHECK("forbidden", sb, "rec.assign", "{'rec': 'F-0', 'lead': 'MJ'}");
    H_CALL_CHECK("forbidden", sb, "report.submit",
                 "{'rec': 'F-0', 'status': 'in_progress', 'narrative': 'x'}");
    h_note("repl.copy and repl.follow are forbidden but to role standby, which writes "
           "nothing");

    /* B, a standby of A following as SB, started empty. */
    h_broker_t *b = h_standby_start(a, sb, NULL);
    h_entity_t *bcoord = &b->ents[0];
    char why[256], keydir[PATH_MAX + 16];
    char a_ep[H_ENDPOINT_MAX], a_pub[PATH_MAX + 32];
    snprintf(a_ep, sizeof a_ep, "%s", a->request_ep);
    snprintf(a_pub, sizeof a_pub, "%s/keys/NMIRFD.pub", a->dir);
    H_ASSERT(h_log_count(b->log_path, "full copy in place") == 1);
    h_note("the standby started empty took a full copy");

    /* Following while A takes writes. */
    s_workload(coord, mj, 5, 20);
    uint64_t seq = h_wait_stores_equal(a, b);
    H_ASSERT(seq == h_seq(a));
    nmirf_reply_t *r = H_CALL_EXPECT("ok", bcoord, "status", "{}");
    const msgpack_object *st = nmirf_mp_get(&r->body, "standby");
    H_ASSERTF(st && h_u(st, "applied_seq") == seq, "status: standby.applied_seq");
    H_ASSERTF(h_get(st, "replay_ms"), "status: standby.replay_ms");
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", bcoord, "rec.show", "{'id': 'F-24'}");
    H_ASSERT(h_is(&r->body, "assignment.lead", "MJ"));
    nmirf_reply_destroy(&r);
    h_note("the standby followed a live workload: its store equals the primary's at "
           "seq %llu, status says so",
           (unsigned long long)seq);

    /* Stopped (SIGSTOP) while A commits, the standby finds the records
       waiting on its socket when it goes on (SIGCONT), and applies them
       in groups, one commit each (debug log); the stores end equal. */
    int groups = h_log_count(b->log_path, "in one commit");
    H_ASSERT(kill(b->pid, SIGSTOP) == 0);
    s_workload(coord, mj, 100, 10);
    H_ASSERT(kill(b->pid, SIGCONT) == 0);
    seq = h_wait_stores_equal(a, b);
    H_ASSERT(seq == h_seq(a));
    H_ASSERTF(h_log_count(b->log_path, "in one commit") > groups,
              "no group of records applied in one commit after SIGCONT");
    char line[256];
    s_log_last(b, "applied records", line, sizeof line);
    h_note("stopped while the primary committed 30 records, the standby applied them "
           "in groups (%d of several records, the last: %s), equal at seq %llu",
           h_log_count(b->log_path, "in one commit") - groups, line,
           (unsigned long long)seq);

    /* Restarted, it catches up from the ring. */
    h_broker_stop(b);
    s_workload(coord, mj, 25, 5);
    h_broker_restart(b);
    seq = h_wait_stores_equal(a, b);
    H_ASSERT(seq == h_seq(a));
    H_ASSERTF(h_log_count(b->log_path, "full copy in place") == 1, "no second full copy");
    h_note("restarted, the standby caught up from the primary's ring (seq %llu)",
           (unsigned long long)seq);

    /* Its log verifies offline with A's key. */
    h_broker_stop(b);
    nmirf_key_t akey;
    H_ASSERTF(nmirf_key_load(&akey, a_pub, why, sizeof why) == 0, "%s", why);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, akey.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify the standby's store: %s", sum.why);
    h_note("the standby's store verifies with the primary's key");

    /* MJ on B too, for the write after the promotion below, and SB. */
    b->ents[1] = (h_entity_t){.key = mj->key};
    snprintf(b->ents[1].id, sizeof b->ents[1].id, "%s", mj->id);
    b->ents[2] = (h_entity_t){.key = sb->key};
    snprintf(b->ents[2].id, sizeof b->ents[2].id, "%s", sb->id);
    b->ent_count = 3;
    h_entity_t *bmj = &b->ents[1];

    /* A restarted on the same endpoints (a new ring): B, following,
       hears nothing for 3 s, follows again, its position is unknown to
       A's new run; B stops with 75 and its next start takes a full
       copy. */
    h_broker_restart(b);
    (void)h_wait_stores_equal(a, b);
    static char a_ev[H_ENDPOINT_MAX];
    snprintf(a_ev, sizeof a_ev, "%s", a->events_ep);
    const char *same_ports[] = {"-r", a_ep, "-e", a_ev, NULL};
    memcpy(a->args, same_ports, sizeof same_ports);
    h_broker_stop(a);
    h_broker_restart(a);
    H_ASSERT(strcmp(a->request_ep, a_ep) == 0);
    s_workload(coord, mj, 30, 2);
    int status = 0;
    pid_t got = 0;
    for (int i = 0; i < 600 && got == 0; i++) {
        got = waitpid(b->pid, &status, WNOHANG);
        if (got == 0)
            usleep(50 * 1000);
    }
    H_ASSERTF(got == b->pid && WIFEXITED(status) && WEXITSTATUS(status) == 75,
              "the standby stops with 75 when the primary refuses its position");
    b->pid = 0; /* reaped here: its clients go as h_broker_stop's would */
    for (size_t i = 0; i < b->ent_count; i++)
        nmirf_client_destroy(&b->ents[i].client);
    H_ASSERT(h_log_count(b->log_path, "restart for a full copy") == 1);
    h_broker_restart(b);
    seq = h_wait_stores_equal(a, b);
    H_ASSERT(h_log_count(b->log_path, "full copy in place") == 2);
    h_note("the primary restarted: the standby stopped (75), took a new full copy and "
           "is equal again at seq %llu",
           (unsigned long long)seq);

    /* A standby sends no stream: a standby of it would follow a log
       that is not the primary's. */
    H_CALL_CHECK("not_primary", &b->ents[2], "repl.copy", "{}");
    h_note("a standby refuses repl.copy: not_primary");

    /* A dies; B promoted; writes go on, the seq continuing. */
    h_broker_kill(a);
    H_CALL_CHECK("ok", bcoord, "broker.promote", "{}");
    r = H_CALL_EXPECT("ok", bmj, "report.submit",
                      "{'rec': 'F-1', 'status': 'implemented', 'narrative': 'on B'}");
    H_ASSERTF(r->seq == seq + 2, "seq %llu after %llu and the promotion",
              (unsigned long long)r->seq, (unsigned long long)seq);
    nmirf_reply_destroy(&r);
    h_note("the primary killed, the standby promoted: writes continue at seq %llu",
           (unsigned long long)seq + 2);

    /* A back as B's standby, SB's key beside its own: its store forked
       from B's at the promotion, so it takes a full copy, then follows B,
       which streams from this run on (no restart after its promotion). */
    snprintf(keydir, sizeof keydir, "%s/keys", a->dir);
    H_ASSERTF(nmirf_key_save(&sb->key, keydir, why, sizeof why) == 0, "%s", why);
    static char b_ep[H_ENDPOINT_MAX], b_pub[PATH_MAX + 32], a_sbkey[PATH_MAX + 32];
    snprintf(b_ep, sizeof b_ep, "%s", b->request_ep);
    snprintf(b_pub, sizeof b_pub, "%s/keys/NMIRFD.pub", b->dir);
    snprintf(a_sbkey, sizeof a_sbkey, "%s/SB.key", keydir);
    const char *a_standby[] = {
        "-r",    a_ep, "-e", a_ev, "--standby-of", b_ep, "-S", b_pub, "--standby-key",
        a_sbkey, NULL};
    _Static_assert(sizeof a_standby <= sizeof a->args, "a->args holds a_standby");
    memcpy(a->args, a_standby, sizeof a_standby);
    h_broker_restart(a);
    H_ASSERT(h_log_count(a->log_path, "full copy in place") == 1);
    s_workload(bcoord, bmj, 40, 3);
    seq = h_wait_stores_equal(b, a);
    H_ASSERT(seq == h_seq(b));
    h_note("the old primary back as the standby of the promoted one: a full copy, "
           "then equal at seq %llu",
           (unsigned long long)seq);

    /* A third machine, a new standby of B given only B's key: the copy's
       log began under A's key, whose checkpoints it takes on the word of
       B's last one (standby_check_copy). */
    h_entity_t *sc = h_enroll(b, "SC", "standby");
    h_broker_t *c = h_standby_start(b, sc, NULL);
    H_ASSERT(h_log_count(c->log_path, "full copy in place") == 1);
    s_workload(bcoord, bmj, 50, 2);
    seq = h_wait_stores_equal(b, c);
    h_note("a third broker, a new standby of the promoted one, took its copy (the log "
           "begun under the first primary's key) and follows it: equal at seq %llu",
           (unsigned long long)seq);
    h_broker_destroy(&c);

    nmirf_key_wipe(&akey);
    h_broker_destroy(&a);
    b->ents[0].key = (nmirf_key_t){0}; /* A's, wiped with A */
    b->ents[1].key = (nmirf_key_t){0};
    b->ents[2].key = (nmirf_key_t){0};
    h_broker_destroy(&b);
    printf("follow_test: all passed\n");
    return 0;
}
