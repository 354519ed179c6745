/*  autofailover_test - automatic failover, Binary Star style
    (docs/REPLICATION.md, "Automatic failover"), with real brokers and a
    real agent.

    A is the primary; B follows it (--standby-of A -S A.pub --standby-key
    SB.key) with --failover-after 1500; C follows it too, without the
    flag (manual only).

    (a) While A runs, a write sent to B is refused not_primary, and still
        is after waiting longer than the delay: B stays a standby; its
        status says failover_after 1500 and a primary_silent_ms below it.
    (b) A killed (SIGKILL) right after one of its heartbeats: the same
        write sent to B at once is refused not_primary; resent (the same
        bytes) until B answers OK: B promoted itself (its log says
        AUTOMATIC FAILOVER), the log has broker.promoted {epoch 2, auto}
        then the write's event, once; B says primary at epoch 2; its log
        verifies offline with A's key (`nmirf audit verify -S A.pub`), the
        automatic promotion accepted because its request is signed by the
        standby entity.
    (c) C, given the same writes for longer than B's delay, stays a
        standby: without --failover-after nothing but `nmirf promote`
        promotes.
    (d) A second pair A2, B2 with an agent on -b A2,B2 -S A2.pub,B2.pub:
        A2 killed, a submission waits in the agent's outbox; the agent
        moves to B2 and resends it, and that write promotes B2: the
        submission lands on B2 exactly once, with no human promote.

    Usage: autofailover_test NMIRFD NMIRF-AGENT NMIRF
*/
#include "agent_common.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_FAILOVER "1500" /* B's --failover-after, ms */

/* The strings a standby's arguments point to (h_broker_t.args borrows). */
typedef struct {
    char primary_ep[H_ENDPOINT_MAX];
    char primary_pub[PATH_MAX + 32];
    char key[PATH_MAX + 16 + NMIRF_ENTITY_ID_MAX + 8];
} s_standby_args_t;

/* True if the log at path holds text. */
static bool
s_log_has(const char *path, const char *text)
{
    size_t len;
    char *log = nmirf_read_file(path, &len);
    bool has = log && strstr(log, text);
    free(log);
    return has;
}

/* A standby of a, following it as the standby entity sb (its own keys
   from a first start, its store from a full copy), with --failover-after
   failover unless NULL. Its ents[0] is a's coordinator, ents[1] mj. */
static h_broker_t *
s_standby_start(h_broker_t *a, h_entity_t *sb, h_entity_t *mj, const char *failover,
                s_standby_args_t *sa)
{
    h_broker_t *b = h_broker_start(NULL);
    h_broker_stop(b);
    char *out = NULL;
    H_ASSERTF(h_sh(&out, "rm -rf '%s/store' 2>&1", b->dir) == 0, "rm: %s", out);
    free(out);
    char why[256], keydir[PATH_MAX + 16];
    snprintf(keydir, sizeof keydir, "%s/keys", b->dir);
    H_ASSERTF(nmirf_key_save(&sb->key, keydir, why, sizeof why) == 0, "%s", why);
    snprintf(sa->key, sizeof sa->key, "%s/%s.key", keydir, sb->id);
    snprintf(sa->primary_ep, sizeof sa->primary_ep, "%s", a->request_ep);
    snprintf(sa->primary_pub, sizeof sa->primary_pub, "%s/keys/NMIRFD.pub", a->dir);
    const char *args[] = {
        "--standby-of", sa->primary_ep, "-S", sa->primary_pub, "--standby-key", sa->key,
        NULL,           NULL,           NULL};
    if (failover) {
        args[6] = "--failover-after";
        args[7] = failover;
    }
    memcpy(b->args, args, sizeof args);
    b->ents[0] = (h_entity_t){.key = h_coord(a)->key};
    snprintf(b->ents[0].id, sizeof b->ents[0].id, "%s", h_coord(a)->id);
    b->ents[1] = (h_entity_t){.key = mj->key};
    snprintf(b->ents[1].id, sizeof b->ents[1].id, "%s", mj->id);
    b->ent_count = 2;
    h_broker_restart(b);
    /* Following: at A's seq (at most 20 s). */
    uint64_t want = h_seq(a);
    for (int i = 0; h_seq(b) != want; i++) {
        H_ASSERTF(i < 400, "the standby never reaches the primary's seq %llu",
                  (unsigned long long)want);
        h_sleep_ms(50);
    }
    return b;
}

/* b's status as its coordinator: role, epoch, and the failover fields. */
static nmirf_reply_t *
s_status(h_broker_t *b)
{
    return H_CALL_EXPECT("ok", &b->ents[0], "status", "{}");
}

/* Sends req to b and returns the reply's code name. */
static const char *
s_send(h_broker_t *b, h_entity_t *e, const h_request_t *req, uint64_t *seq)
{
    (void)b;
    nmirf_reply_t *r = h_request_send(e, req);
    H_ASSERTF(r, "no reply from the standby");
    const char *code = nmirf_code_name(r->code);
    if (seq)
        *seq = r->seq;
    nmirf_reply_destroy(&r);
    return code;
}

/* The events of b from seq 1, the chain checked. */
static size_t
s_events(h_broker_t *b, nmirf_event_t ***evs)
{
    size_t n = h_events(&b->ents[0], 0, evs);
    H_CHECK_CHAIN(*evs, n, NULL);
    return n;
}

/* Waits (at most 10 s) until b's status says its primary was heard less
   than ms ago: just after a heartbeat. */
static void
s_wait_just_heard(h_broker_t *b, uint64_t ms)
{
    for (int i = 0;; i++) {
        nmirf_reply_t *r = s_status(b);
        uint64_t silent = h_u(&r->body, "primary_silent_ms");
        nmirf_reply_destroy(&r);
        if (silent < ms)
            return;
        H_ASSERTF(i < 1000, "the standby never hears its primary (silent %llu ms)",
                  (unsigned long long)silent);
        h_sleep_ms(10);
    }
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 200);
    const char *nmirf = ha_nmirf();
    H_ASSERTF(nmirf, "usage: autofailover_test NMIRFD NMIRF-AGENT NMIRF");

    /* A, with a ministry, its assignments and two standby entities. */
    h_broker_t *a = h_broker_start(NULL);
    h_entity_t *mj = ha_setup_ministry(a, "MJ", "F", 4);
    for (int i = 0; i < 4; i++)
        H_CALL_CHECK("ok", h_coord(a), "rec.assign", "{'rec': 'F-%d', 'lead': 'MJ'}", i);
    h_entity_t *sb = h_enroll(a, "SB", "standby");
    h_entity_t *sc = h_enroll(a, "SC", "standby");
    static s_standby_args_t b_args, c_args;
    h_broker_t *b = s_standby_start(a, sb, mj, S_FAILOVER, &b_args);
    h_broker_t *c = s_standby_start(a, sc, mj, NULL, &c_args);
    h_entity_t *bmj = &b->ents[1], *cmj = &c->ents[1];

    /* (a) A runs: B refuses writes, and goes on refusing them. */
    nmirf_reply_t *r = s_status(b);
    H_ASSERT(h_is(&r->body, "role", "standby"));
    H_ASSERTF(h_u(&r->body, "failover_after") == 1500, "status: failover_after");
    H_ASSERTF(h_get(&r->body, "primary_silent_ms"), "status: primary_silent_ms");
    nmirf_reply_destroy(&r);
    r = s_status(c);
    H_ASSERTF(h_u(&r->body, "failover_after") == 0, "status: C's failover_after is 0");
    nmirf_reply_destroy(&r);
    /* nmirf status on B says it too. */
    char *sout = NULL;
    int sst = h_sh(&sout,
                   "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s/keys/COORD.key' -S "
                   "'%s/keys/NMIRFD.pub' -b '%s' status 2>&1",
                   nmirf, a->dir, b->dir, b->request_ep);
    H_ASSERTF(sst == 0 && strstr(sout, "automatic after 1500 ms of silence"),
              "nmirf status on B: %d\n%s", sst, sout);
    free(sout);
    h_request_t *live = h_request_make(bmj, "report.submit",
                                       "{'rec': 'F-0', 'status': 'in_progress', "
                                       "'narrative': 'to B while A lives'}");
    H_ASSERT(strcmp(s_send(b, bmj, live, NULL), "not_primary") == 0);
    h_sleep_ms(2500);
    H_ASSERT(strcmp(s_send(b, bmj, live, NULL), "not_primary") == 0);
    r = H_CALL_EXPECT("ok", bmj, "ping", "{}");
    H_ASSERT(h_is(&r->body, "role", "standby") && h_u(&r->body, "epoch") == 1);
    nmirf_reply_destroy(&r);
    H_ASSERT(!s_log_has(b->log_path, "AUTOMATIC FAILOVER"));
    h_request_free(&live);
    h_note("(a) while A runs, a write to B is refused not_primary, after the delay too");

    /* (b) A killed just after B heard it: the write at once is refused;
       resent, it promotes B once B has heard nothing for the delay. */
    uint64_t seq = h_seq(a);
    s_wait_just_heard(b, 300);
    h_broker_kill(a);
    h_request_t *w = h_request_make(bmj, "report.submit",
                                    "{'rec': 'F-1', 'status': 'in_progress', "
                                    "'narrative': 'the vote'}");
    H_ASSERT(strcmp(s_send(b, bmj, w, NULL), "not_primary") == 0);
    H_ASSERT(!s_log_has(b->log_path, "AUTOMATIC FAILOVER"));
    h_note("(b) A killed: a write to B at once (before 1500 ms of silence) is refused "
           "not_primary");
    /* C gets the same kind of writes all along: (c). */
    h_request_t *wc = h_request_make(cmj, "report.submit",
                                     "{'rec': 'F-2', 'status': 'in_progress', "
                                     "'narrative': 'to C'}");
    const char *code = "not_primary";
    uint64_t wseq = 0;
    for (int i = 0; strcmp(code, "ok") != 0; i++) {
        H_ASSERTF(strcmp(code, "not_primary") == 0, "the write got %s", code);
        H_ASSERTF(i < 100, "B never promoted itself (20 s)");
        h_sleep_ms(200);
        H_ASSERT(strcmp(s_send(c, cmj, wc, NULL), "not_primary") == 0);
        code = s_send(b, bmj, w, &wseq);
    }
    H_ASSERTF(s_log_has(b->log_path, "AUTOMATIC FAILOVER: primary silent for"),
              "B's log says AUTOMATIC FAILOVER");
    H_ASSERT(s_log_has(b->log_path, "a write from MJ: promoted to epoch 2"));
    H_ASSERTF(wseq == seq + 2, "the write's seq %llu, A's last %llu",
              (unsigned long long)wseq, (unsigned long long)seq);
    /* Resent once more: its stored reply, no second event. */
    H_ASSERT(strcmp(s_send(b, bmj, w, NULL), "ok") == 0);
    nmirf_event_t **evs;
    size_t n = s_events(b, &evs);
    H_ASSERTF(n == seq + 2, "%zu events on B", n);
    H_ASSERT(strcmp(evs[seq]->kind, "broker.promoted") == 0);
    H_ASSERT(strcmp(evs[seq]->author, "SB") == 0);
    H_ASSERT(h_u(&evs[seq]->data, "epoch") == 2);
    const msgpack_object *au = h_get(&evs[seq]->data, "auto");
    H_ASSERTF(au && au->type == MSGPACK_OBJECT_BOOLEAN && au->via.boolean,
              "broker.promoted says auto: true");
    H_ASSERT(strcmp(evs[seq + 1]->kind, "report.submitted") == 0);
    H_ASSERT(h_count_kind(evs, n, "report.submitted") == 1);
    h_events_free(&evs, n);
    r = H_CALL_EXPECT("ok", bmj, "ping", "{}");
    H_ASSERT(h_is(&r->body, "role", "primary") && h_u(&r->body, "epoch") == 2);
    nmirf_reply_destroy(&r);
    r = s_status(b);
    H_ASSERTF(!h_get(&r->body, "failover_after"), "a primary's status has no failover");
    nmirf_reply_destroy(&r);
    h_request_free(&w);
    h_note("(b) after 1500 ms of silence the write promoted B (epoch 2, "
           "broker.promoted auto, then the write at seq %llu), answered ok",
           (unsigned long long)wseq);

    /* (c) C stayed a standby all along, and still refuses, until its
       own status says A has been silent twice B's delay. */
    for (int i = 0;; i++) {
        H_ASSERT(strcmp(s_send(c, cmj, wc, NULL), "not_primary") == 0);
        r = H_CALL_EXPECT("ok", cmj, "ping", "{}");
        H_ASSERT(h_is(&r->body, "role", "standby") && h_u(&r->body, "epoch") == 1);
        nmirf_reply_destroy(&r);
        r = s_status(c);
        uint64_t silent = h_u(&r->body, "primary_silent_ms");
        nmirf_reply_destroy(&r);
        if (silent >= 3000)
            break;
        H_ASSERTF(i < 100, "C's status never says its primary silent 3000 ms (%llu)",
                  (unsigned long long)silent);
        h_sleep_ms(100);
    }
    H_ASSERT(!s_log_has(c->log_path, "AUTOMATIC FAILOVER"));
    h_request_free(&wc);
    h_note("(c) without --failover-after, C stays a standby under the same writes");

    /* B's log verifies offline with A's key, the CLI's way. */
    h_broker_stop(b);
    char *out = NULL;
    int st = h_sh(&out, "LANG=C '%s' audit verify --data '%s' -S '%s' 2>&1", nmirf,
                  b->dir, b_args.primary_pub);
    H_ASSERTF(st == 0, "nmirf audit verify: %d\n%s", st, out);
    free(out);
    nmirf_key_t akey;
    char why[256];
    H_ASSERTF(nmirf_key_load(&akey, b_args.primary_pub, why, sizeof why) == 0, "%s", why);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, akey.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify B's store: %s", sum.why);
    H_ASSERTF(sum.last_checkpoint >= seq + 2, "a checkpoint by B's key covers the write");
    h_note("(b) B's log verifies offline with A's key, the automatic promotion "
           "included (checkpoints up to %llu)",
           (unsigned long long)sum.last_checkpoint);

    /* (d) An agent's pending submission promotes B2 and lands once. */
    h_broker_t *a2 = h_broker_start(NULL);
    h_entity_t *mj2 = ha_setup_ministry(a2, "MJ", "G", 2);
    H_CALL_CHECK("ok", h_coord(a2), "rec.assign", "{'rec': 'G-0', 'lead': 'MJ'}");
    h_entity_t *sb2 = h_enroll(a2, "SB", "standby");
    static s_standby_args_t b2_args;
    h_broker_t *b2 = s_standby_start(a2, sb2, mj2, S_FAILOVER, &b2_args);
    char eps[2 * H_ENDPOINT_MAX + 2], keys[2 * PATH_MAX + 80];
    snprintf(eps, sizeof eps, "%s,%s", a2->request_ep, b2->request_ep);
    snprintf(keys, sizeof keys, "%s/keys/NMIRFD.pub,%s/keys/NMIRFD.pub", a2->dir,
             b2->dir);
    const char *extra[] = {"-b", eps, "-S", keys, NULL};
    ha_agent_t *ag = ha_agent_start(a2, mj2, extra);
    ag_converged(h_coord(a2), ag, "on the primary");
    uint64_t seq2 = h_seq(a2);
    h_broker_kill(a2);
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    r = ag_submit_id(ag, id, "G-0", "failover-auto", 500);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    ag_wait_outbox_empty(ag);
    HA_ASSERTF(s_log_has(b2->log_path, "a write from MJ: promoted to epoch 2"),
               "the agent's resend promoted B2");
    n = s_events(b2, &evs);
    HA_ASSERTF(n == seq2 + 2, "%zu events on B2, A2 ended at %llu", n,
               (unsigned long long)seq2);
    HA_ASSERT(h_count_kind(evs, n, "broker.promoted") == 1);
    HA_ASSERTF(h_count_kind(evs, n, "report.submitted") == 1,
               "the submission landed %zu times",
               h_count_kind(evs, n, "report.submitted"));
    h_events_free(&evs, n);
    h_note("(d) the agent's pending submission promoted B2 and landed there exactly "
           "once, no human promote");

    ha_agent_stop(ag);
    ha_agent_destroy(&ag);
    nmirf_key_wipe(&akey);
    /* The keys copied into the standbys' entities are wiped with their
       primaries'. */
    for (h_broker_t **s = (h_broker_t *[]){b, c, b2, NULL}; *s; s++) {
        (*s)->ents[0].key = (nmirf_key_t){0};
        (*s)->ents[1].key = (nmirf_key_t){0};
    }
    h_broker_destroy(&c);
    h_broker_destroy(&b);
    h_broker_destroy(&b2);
    h_broker_destroy(&a);
    h_broker_destroy(&a2);
    printf("autofailover_test: all passed\n");
    return 0;
}
