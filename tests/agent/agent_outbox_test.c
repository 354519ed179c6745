/*  agent_outbox_test - nothing the ministry submits is lost or doubled.

    1. Broker down: 100 reports submitted through the agent wait in its
       outbox; the broker comes back on the same endpoints (fixed ports
       picked by the test); every report lands exactly once.
    2. The agent SIGKILLed while sending 100 reports, then restarted: it
       resends the same signed bytes, and every report lands exactly once
       (the broker answers a replay with its first reply, no new event).
    Counted both ways: report.list, and report.submitted events by the
    ministry (events.since).
    7. The agent SIGKILLed while its sends are unanswered (the broker
       stopped with SIGSTOP holds them unread), the broker continued, the
       agent restarted: every report lands exactly once.
    8. The same, but the stopped broker is SIGKILLed too, so the sends it
       never read are gone: only the agent's outbox on disk has them, and
       after both restart every report lands exactly once (an agent that
       dropped an entry from disk once it was sent would lose them here).
    3. A control submit repeated with the same request id (a CLI retry)
       is queued once and, once answered, gets the kept answer.
    4. A second agent on the same directory exits 1 (DIR/lock) and the
       first keeps working.
    5. A broker whose map is full answers `storage`: the submission stays
       pending (no result); the broker restarted with a larger map takes
       it exactly once.
    6. An outbox entry that does not decode (written here at key 0 with
       the agent stopped) is listed as unreadable, and never overwritten.
    9. A final refusal (`forbidden`: a report on a recommendation not
       assigned to the ministry) ends the entry at once, not resent: listed
       as refused with its code and reason by `outbox` and `nmirf outbox`,
       also after an agent restart, and delivered as a `refused`
       notification (socket and --notify-log). A retryable one (`storage`,
       5.) is resent.
    10. The ministry revoked: while its agent runs, a submission then
        ends refused `revoked` (a session kept open) or the agent reports
        that the broker refuses its key (the session dropped and ZAP
        refusing the reconnection); never a silent "pending". Restarted,
        and a fresh agent with the revoked key: a new connection, so the
        handshake must be refused (never `revoked`): `key_refused` in
        `status` and `outbox`, its log, and a `key_refused` notification.
    11. Two reports on one recommendation, the first refused `storage`
        (too long for a nearly full map), the second short: the second
        waits for the first, and they land in queue order.
*/
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define N 100

/* Fails unless every answer `outbox` keeps is ok (a resend signed again
   would have been answered id_reused). */
static void
s_check_results_ok(ha_agent_t *a)
{
    nmirf_reply_t *r = ha_ctl(a, 5000, "outbox", NULL);
    size_t n = h_len(&r->body, "results");
    for (size_t i = 0; i < n; i++) {
        char path[48];
        snprintf(path, sizeof path, "results.%zu.code", i);
        HA_ASSERTF(h_is(&r->body, path, "ok"), "kept result %zu is not ok", i);
    }
    nmirf_reply_destroy(&r);
}

/* Submits narrative PREFIX-i for i in [0, N) through the agent, queued. */
static void
s_submit_all(ha_agent_t *a, const char *prefix)
{
    for (int i = 0; i < N; i++) {
        nmirf_reply_t *r =
            ha_ctl(a, 5000, "submit",
                   "{'op':'report.submit','wait_ms':0,'body':{'rec':'OB-0',"
                   "'status':'in_progress','narrative':'%s-%d'}}",
                   prefix, i);
        H_EXPECT(r, "ok");
        HA_ASSERT(ag_bool(r, "queued"));
        nmirf_reply_destroy(&r);
    }
}

/* Fails unless the broker holds each narrative PREFIX-i exactly once, and
   the ministry's report.submitted events number total. */
static void
s_check_once(h_broker_t *b, h_entity_t *m, const char *prefix, size_t total)
{
    nmirf_reply_t *r =
        h_call(h_coord(b), "report.list", "{'entity':'%s','limit':10000}", m->id);
    H_EXPECT(r, "ok");
    int seen[N] = {0};
    const msgpack_object *reps = h_get(&r->body, "reports");
    HA_ASSERT(reps && reps->type == MSGPACK_OBJECT_ARRAY);
    size_t plen = strlen(prefix);
    for (uint32_t i = 0; i < reps->via.array.size; i++) {
        char *n = nmirf_mp_strdup(nmirf_mp_get(&reps->via.array.ptr[i], "narrative"));
        if (n && strncmp(n, prefix, plen) == 0 && n[plen] == '-') {
            int k = atoi(n + plen + 1);
            HA_ASSERT(k >= 0 && k < N);
            seen[k]++;
        }
        free(n);
    }
    nmirf_reply_destroy(&r);
    for (int k = 0; k < N; k++)
        HA_ASSERTF(seen[k] == 1, "report %s-%d is at the broker %d times", prefix, k,
                   seen[k]);
    nmirf_event_t **evs;
    size_t n = h_events(h_coord(b), 0, &evs), submitted = 0;
    for (size_t i = 0; i < n; i++)
        submitted += strcmp(evs[i]->kind, "report.submitted") == 0 &&
                     strcmp(evs[i]->author, m->id) == 0;
    H_CHECK_CHAIN(evs, n, NULL);
    h_events_free(&evs, n);
    HA_ASSERTF(submitted == total, "%zu report.submitted events by %s, expected %zu",
               submitted, m->id, total);
}

/* 7 and 8: the agent SIGKILLed while the broker, stopped with SIGSTOP,
   has not read its sends; then the broker continued (kill_broker false)
   or SIGKILLed and restarted; the agent restarted. total: the ministry's
   report.submitted events expected after. */
static void
s_killed_unanswered(h_broker_t *b, h_entity_t *m, ha_agent_t *a, const char *prefix,
                    bool kill_broker, size_t total)
{
    HA_ASSERT(kill(b->pid, SIGSTOP) == 0);
    s_submit_all(a, prefix);
    ag_wait_all_sent(a, N);
    ha_agent_kill(a);
    if (kill_broker) {
        h_broker_kill(b);
        h_broker_restart(b);
    } else
        HA_ASSERT(kill(b->pid, SIGCONT) == 0);
    ha_agent_restart(a);
    ag_wait_outbox_empty(a);
    s_check_once(b, m, prefix, total);
    s_check_results_ok(a);
}

/* Writes (value non-NULL) or reads the agent's outbox entry at key
   (u64 BE) with the agent stopped. Returns a copy of the value read
   (caller frees), or NULL. */
static char *
s_outbox_raw(ha_agent_t *a, uint64_t key, const char *value)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/replica", a->data);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    HA_ASSERT(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, (size_t)4 << 30);
    HA_ASSERT(mdb_env_open(env, path, 0, 0600) == 0);
    HA_ASSERT(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    HA_ASSERT(mdb_dbi_open(txn, "outbox", 0, &dbi) == 0);
    uint8_t k8[8];
    for (int i = 7; i >= 0; i--, key >>= 8)
        k8[i] = (uint8_t)key;
    MDB_val k = {8, k8}, v = {value ? strlen(value) : 0, (void *)value};
    char *got = NULL;
    if (value)
        HA_ASSERT(mdb_put(txn, dbi, &k, &v, 0) == 0);
    else if (mdb_get(txn, dbi, &k, &v) == 0)
        got = strndup(v.mv_data, v.mv_size);
    HA_ASSERT(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    return got;
}

/* 5. A full broker (--map-size 1) answers `storage`; the entry stays
   pending, then lands exactly once after a restart with a larger map. */
static void
s_storage_full(void)
{
    const char *extra[] = {"--map-size", "1", NULL};
    h_broker_t *b = ha_broker_start_fixed(extra);
    const char *req_ep = b->args[1]; /* -r: where it must come back */
    h_entity_t *m = ha_setup_ministry(b, "MS", "ST", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'ST-0','lead':'MS'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));
    /* Fill the map: recommendations with long texts until `storage`,
       then shorter and shorter ones until even a short write fails
       three times in a row. */
    char *text = malloc(20001);
    bool full = false;
    int n = 0;
    for (size_t len = 20000; len >= 20; len /= 10) {
        memset(text, 'x', len);
        text[len] = '\0';
        int refused = 0;
        for (int i = 0; i < 2000 && refused < 3; i++) {
            nmirf_reply_t *r = h_call(h_coord(b), "rec.import",
                                      "{'recs':[{'id':'FILL-%d','mechanism':'UPR',"
                                      "'text':{'en':'%s'}}]}",
                                      n++, text);
            if (!r->ok)
                HA_ASSERTF(strcmp(r->code_name, "storage") == 0,
                           "a full broker says %s: %s", r->code_name, r->message);
            refused = r->ok ? 0 : refused + 1;
            nmirf_reply_destroy(&r);
        }
        full = refused == 3;
    }
    free(text);
    HA_ASSERTF(full, "the 1 MiB broker never said storage");
    nmirf_reply_t *r = ha_ctl(a, 15000, "submit",
                              "{'op':'report.submit','wait_ms':3000,'body':{'rec':'ST-0',"
                              "'status':'in_progress','narrative':'full-once'}}");
    H_EXPECT(r, "ok");
    HA_ASSERTF(ag_bool(r, "queued"), "a submit to a full broker was not left queued");
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 1 && h_len(&r->body, "results") == 0);
    HA_ASSERT(h_u(&r->body, "pending.0.attempts") >= 1);
    nmirf_reply_destroy(&r);
    /* Retryable: resent on its backoff, never listed as refused. */
    uint64_t attempts = 0;
    for (int waited = 0; waited < HA_WAIT_MS && attempts < 2; waited += 100) {
        h_sleep_ms(100);
        r = ha_ctl(a, 5000, "outbox", NULL);
        attempts = h_u(&r->body, "pending.0.attempts");
        HA_ASSERT(h_len(&r->body, "pending") == 1); /* not ended */
        nmirf_reply_destroy(&r);
    }
    HA_ASSERTF(attempts >= 2, "a storage refusal was not resent");
    h_note("a full broker answers storage: the submission stays pending");
    h_broker_stop(b);
    b->args[5] = "64";
    h_broker_restart(b);
    HA_ASSERT(strcmp(b->request_ep, req_ep) == 0);
    ag_wait_outbox_empty(a);
    HA_ASSERTF(ag_report_count(b, m, "full-once", NULL) == 1, "landed %zu times",
               ag_report_count(b, m, "full-once", NULL));
    s_check_results_ok(a);
    h_note("broker restarted with a larger map: the submission landed exactly once");
    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
}

/* 11. Two reports on one recommendation, the first refused `storage` (a
   long narrative that no longer fits in a nearly full map), the second
   short enough to fit: the second is held back while the first waits,
   and both land in queue order once the broker has room. */
static void
s_storage_order(void)
{
    const char *extra[] = {"--map-size", "1", NULL};
    h_broker_t *b = ha_broker_start_fixed(extra);
    const char *req_ep = b->args[1]; /* -r: where it must come back */
    h_entity_t *m = ha_setup_ministry(b, "MW", "SW", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'SW-0','lead':'MW'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));
    /* Nearly full: long recommendations until three in a row say
       `storage`; short writes may still fit. */
    char *text = malloc(30001);
    memset(text, 'x', 20000);
    text[20000] = '\0';
    int refused = 0;
    for (int i = 0; i < 2000 && refused < 3; i++) {
        nmirf_reply_t *r = h_call(h_coord(b), "rec.import",
                                  "{'recs':[{'id':'FILL-%d','mechanism':'UPR',"
                                  "'text':{'en':'%s'}}]}",
                                  i, text);
        if (!r->ok)
            HA_ASSERTF(strcmp(r->code_name, "storage") == 0, "a full broker says %s: %s",
                       r->code_name, r->message);
        refused = r->ok ? 0 : refused + 1;
        nmirf_reply_destroy(&r);
    }
    HA_ASSERTF(refused == 3, "the 1 MiB broker never said storage");
    memset(text, 'y', 30000);
    text[30000] = '\0';
    nmirf_reply_t *r = ha_ctl(a, 15000, "submit",
                              "{'op':'report.submit','wait_ms':1000,'body':{'rec':'SW-0',"
                              "'status':'in_progress','narrative':'%s'}}",
                              text);
    H_EXPECT(r, "ok");
    HA_ASSERTF(ag_bool(r, "queued"),
               "a long report to a full broker was not left queued");
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','wait_ms':2000,'body':{'rec':'SW-0',"
               "'status':'in_progress','narrative':'short'}}");
    H_EXPECT(r, "ok");
    HA_ASSERTF(ag_bool(r, "queued"),
               "a report queued after one refused `storage` went out before it");
    nmirf_reply_destroy(&r);
    HA_ASSERT(ag_report_id(b, m, "short") == 0);
    h_broker_stop(b);
    b->args[5] = "64";
    h_broker_restart(b);
    HA_ASSERT(strcmp(b->request_ep, req_ep) == 0);
    ag_wait_outbox_empty(a);
    uint64_t first = ag_report_id(b, m, text), second = ag_report_id(b, m, "short");
    HA_ASSERT(first && second);
    HA_ASSERTF(first < second, "queued first, landed as report %llu after %llu",
               (unsigned long long)first, (unsigned long long)second);
    free(text);
    h_note("a report queued behind one refused `storage` waited for it: landed in "
           "queue order (%llu, %llu)",
           (unsigned long long)first, (unsigned long long)second);
    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
}

/* Waits up to ms for the next notification of kind on sub, decoded by the
   codec into n (release it); false if none came. Other kinds are
   skipped. */
static bool
s_notification(zsock_t *sub, nmirf_notify_kind_t kind, int ms, nmirf_notify_t *n)
{
    int64_t end = zclock_mono() + ms;
    for (int64_t left = ms; left > 0; left = end - zclock_mono()) {
        if (!ha_notification(sub, (int)left, n))
            return false;
        if (n->kind == kind)
            return true;
        nmirf_notify_release(n);
    }
    return false;
}

/* True if a line of the notification log at path decodes as a
   notification of kind. */
static bool
s_logged(const char *path, nmirf_notify_kind_t kind)
{
    size_t len;
    char *text = nmirf_read_file(path, &len);
    bool found = false;
    for (const char *line = text; line && *line && !found;) {
        const char *nl = strchr(line, '\n');
        size_t n_len = nl ? (size_t)(nl - line) : strlen(line);
        nmirf_notify_t n = {0};
        found = n_len > 0 && nmirf_notify_decode(line, n_len, &n, NULL, 0) == NMIRF_OK &&
                n.kind == kind;
        nmirf_notify_release(&n);
        line = nl ? nl + 1 : line + n_len;
    }
    free(text);
    return found;
}

/* A submission through the agent of a revoked entity on a new
   connection (restarted, or fresh): the broker's ZAP must refuse the
   handshake, so it stays queued with the key said refused (an answer
   `revoked` would mean a revoked key got a session). *pending is the
   pending count before, updated. */
static void
s_probe(ha_agent_t *a, size_t *pending)
{
    nmirf_reply_t *r = ha_ctl(a, 15000, "submit",
                              "{'op':'report.submit','wait_ms':3000,'body':{'rec':'RF-0',"
                              "'status':'in_progress','narrative':'probe'}}");
    HA_ASSERTF(r->ok, "a revoked key's new connection was let in: answered %s",
               r->code_name);
    HA_ASSERTF(ag_bool(r, "queued") && ag_bool(r, "key_refused"),
               "a revoked agent's submission queued without saying its key is refused");
    ++*pending;
    HA_ASSERT(ag_wait_status(a, "key_refused", true));
    nmirf_reply_destroy(&r);
}

/* 9. and 10.: final refusals end entries; a refused key is said. */
static void
s_refused(void)
{
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *m = ha_setup_ministry(b, "MR", "RF", 2);
    h_enroll(b, "MX", "ministry");
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'RF-0','lead':'MR'}");
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'RF-1','lead':'MX'}");
    char notify_log[PATH_MAX + 32];
    snprintf(notify_log, sizeof notify_log, "%s/refused.jsonl", b->dir);
    const char *extra[] = {"--notify-log", notify_log, NULL};
    ha_agent_t *a = ha_agent_start(b, m, extra);
    ag_wait_seq(a, h_seq(b));
    zsock_t *sub = ha_notify_sub(a);
    h_sleep_ms(300); /* the SUB's subscription reaches the agent's PUB */

    /* 9. forbidden: answered at once, final. */
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, NMIRF_ID_LEN);
    nmirf_reply_t *r = ag_submit_id(a, id, "RF-1", "not mine", 10000);
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "forbidden") == 0, "answered %s",
               r->code_name);
    nmirf_reply_destroy(&r);
    h_sleep_ms(1600); /* past the first two resends (500 ms, 1 s) */
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 0);
    HA_ASSERTF(h_len(&r->body, "refused") == 1, "%zu refused",
               h_len(&r->body, "refused"));
    HA_ASSERT(h_is(&r->body, "refused.0.code", "forbidden") &&
              h_is(&r->body, "refused.0.op", "report.submit"));
    HA_ASSERT(h_u(&r->body, "refused.0.attempts") == 1); /* not resent */
    char *msg = nmirf_mp_strdup(h_get(&r->body, "refused.0.message"));
    HA_ASSERT(msg && strstr(msg, "RF-1"));
    nmirf_reply_destroy(&r);
    nmirf_notify_t n;
    HA_ASSERTF(s_notification(sub, NMIRF_NOTIFY_REFUSED, 5000, &n),
               "no refused notification");
    HA_ASSERT(strcmp(n.rec ?: "", "RF-1") == 0);
    HA_ASSERT(strcmp(n.code, "forbidden") == 0);
    HA_ASSERT(strcmp(n.message, msg) == 0);
    nmirf_notify_release(&n);
    HA_ASSERT(s_logged(notify_log, NMIRF_NOTIFY_REFUSED));
    free(msg);
    char *out = NULL;
    int st = h_sh(&out, "'%s' -a '%s' outbox 2>&1", ha_nmirf(), a->data);
    HA_ASSERTF(st == 0 && strstr(out, "refused: 1") && strstr(out, "forbidden"),
               "nmirf outbox said (%d):\n%s", st, out);
    free(out);
    r = ha_ctl(a, 5000, "status", NULL);
    HA_ASSERT(h_u(&r->body, "outbox") == 0 && h_u(&r->body, "refused") == 1);
    nmirf_reply_destroy(&r);
    /* Kept across a restart, never resent, and a repeated control submit
       of the id gets the refusal again. */
    ha_agent_stop(a);
    ha_agent_restart(a);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 0 && h_len(&r->body, "refused") == 1 &&
              h_is(&r->body, "refused.0.code", "forbidden"));
    nmirf_reply_destroy(&r);
    r = ag_submit_id(a, id, "RF-1", "not mine", 5000);
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "forbidden") == 0,
               "a repeated submit of a refused id: %s", r->code_name);
    nmirf_reply_destroy(&r);
    HA_ASSERT(ag_report_count(b, m, "not mine", NULL) == 0);
    h_note("forbidden: refused at once, not resent, listed (also after a restart), "
           "notified");

    /* 10. The ministry revoked while its agent runs. */
    zsock_destroy(&sub);
    sub = ha_notify_sub(a);
    ag_wait_seq(a, h_seq(b));
    H_CALL_CHECK("ok", h_coord(b), "entity.revoke", "{'id':'MR'}");
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','wait_ms':3000,'body':{'rec':'RF-0',"
               "'status':'in_progress','narrative':'after revocation'}}");
    /* queued (no answer in time), or the broker's refusal */
    HA_ASSERTF(r->ok || strcmp(r->code_name, "revoked") == 0, "submit answered %s",
               r->code_name);
    nmirf_reply_destroy(&r);
    bool revoked = false, key_refused = false;
    for (int waited = 0; waited < HA_WAIT_MS && !revoked && !key_refused; waited += 50) {
        r = ha_ctl(a, 5000, "outbox", NULL);
        size_t nf = h_len(&r->body, "refused");
        revoked = nf == 2 && h_is(&r->body, "refused.1.code", "revoked");
        key_refused = ag_bool(r, "key_refused") && h_len(&r->body, "pending") == 1;
        nmirf_reply_destroy(&r);
        if (!revoked && !key_refused)
            h_sleep_ms(50);
    }
    HA_ASSERTF(revoked || key_refused,
               "after the revocation the submission is neither refused nor is the "
               "key said refused");
    h_note("revoked with the agent running: %s",
           revoked ? "the submission ended refused `revoked`"
                   : "the broker dropped the session and refuses the key: said");
    if (revoked) {
        HA_ASSERTF(s_notification(sub, NMIRF_NOTIFY_REFUSED, 5000, &n),
                   "no refused notification for the revoked submission");
        HA_ASSERT(strcmp(n.code, "revoked") == 0);
        nmirf_notify_release(&n);
    }
    /* Restarted, and a new submission: a new connection, so the handshake
       is refused (the key said refused, the submission queued). */
    ha_agent_stop(a);
    ha_agent_restart(a);
    zsock_destroy(&sub);
    size_t before = revoked ? 0 : 1;
    s_probe(a, &before);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(ag_bool(r, "key_refused"));
    HA_ASSERT(h_len(&r->body, "pending") == before);
    nmirf_reply_destroy(&r);
    HA_ASSERT(ag_file_has(a->log_path, "refused this agent's key"));
    st = h_sh(&out, "'%s' -a '%s' outbox 2>&1", ha_nmirf(), a->data);
    HA_ASSERTF(st == 0 && strstr(out, "KEY REFUSED"), "nmirf outbox said (%d):\n%s", st,
               out);
    free(out);
    st = h_sh(&out,
              "'%s' -a '%s' -t 500 report submit RF-0 --status in_progress "
              "--narrative 'with a refused key' 2>&1",
              ha_nmirf(), a->data);
    HA_ASSERTF(st == 0 && strstr(out, "queued") &&
                   strstr(out, "refuses this agent's key"),
               "nmirf report submit said (%d):\n%s", st, out);
    free(out);
    ha_agent_stop(a);
    /* (A restart does not pass --notify-log again: a fresh agent with the
       revoked key shows the notification.) */
    snprintf(notify_log, sizeof notify_log, "%s/fresh.jsonl", b->dir);
    ha_agent_t *fresh = ha_agent_start(b, m, extra);
    size_t none = 0;
    s_probe(fresh, &none);
    HA_ASSERT(s_logged(notify_log, NMIRF_NOTIFY_KEY_REFUSED));
    ha_agent_stop(fresh);
    ha_agent_destroy(&fresh);
    h_note("revoked agent restarted, and a fresh one: the handshake is refused; the "
           "refused key is in status, outbox, log and notifications");
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 170);
    /* Fixed ports, so the restarted broker is where the agent looks. */
    h_broker_t *b = ha_broker_start_fixed(NULL);
    const char *req_ep = b->args[1]; /* -r: where it must come back */
    h_entity_t *m = ha_setup_ministry(b, "MO", "OB", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'OB-0','lead':'MO'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));

    /* 1. Broker down while the ministry submits. */
    h_broker_stop(b);
    s_submit_all(a, "offline");
    nmirf_reply_t *r = ha_ctl(a, 5000, "status", NULL);
    HA_ASSERTF(h_u(&r->body, "outbox") == N, "outbox holds %llu",
               (unsigned long long)h_u(&r->body, "outbox"));
    nmirf_reply_destroy(&r);
    h_note("%d reports queued with the broker down", N);
    /* 3. The same control submit twice (a CLI retry): queued once. */
    uint8_t dup_id[NMIRF_ID_LEN];
    nmirf_random_id(dup_id, NMIRF_ID_LEN);
    for (int i = 0; i < 2; i++) {
        r = ag_submit_id(a, dup_id, "OB-0", "dup-once", 0);
        H_EXPECT(r, "ok");
        HA_ASSERT(ag_bool(r, "queued"));
        nmirf_reply_destroy(&r);
    }
    r = ha_ctl(a, 5000, "status", NULL);
    HA_ASSERTF(h_u(&r->body, "outbox") == N + 1, "outbox holds %llu, not %d",
               (unsigned long long)h_u(&r->body, "outbox"), N + 1);
    nmirf_reply_destroy(&r);
    h_broker_restart(b);
    HA_ASSERT(strcmp(b->request_ep, req_ep) == 0);
    ag_wait_outbox_empty(a);
    s_check_once(b, m, "offline", N + 1);
    HA_ASSERTF(ag_report_count(b, m, "dup-once", NULL) == 1,
               "a repeated submit landed %zu times",
               ag_report_count(b, m, "dup-once", NULL));
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 0 && h_len(&r->body, "results") == N);
    nmirf_reply_destroy(&r);
    s_check_results_ok(a);
    /* The restart ended the agent's subscription (it lives with the
       broker's session): it subscribed again on its reconnected DEALER, and
       its replica follows, its own reports' events included. */
    ag_wait_seq(a, h_seq(b));
    h_note("after the broker's restart the replica followed (subscribed again)");
    /* Answered: the same id again gets the kept answer, not a new report. */
    r = ag_submit_id(a, dup_id, "OB-0", "dup-once", 5000);
    H_EXPECT(r, "ok");
    HA_ASSERT(!ag_bool(r, "queued") && h_u(&r->body, "report.id") != UINT64_MAX);
    nmirf_reply_destroy(&r);
    HA_ASSERT(ag_report_count(b, m, "dup-once", NULL) == 1);
    h_note("broker back: all %d landed exactly once; a repeated control submit once", N);

    /* 2. The agent killed while sending. */
    s_submit_all(a, "killed");
    for (int i = 0; i < 5000; i++) { /* until a few were answered */
        r = ha_ctl(a, 5000, "status", NULL);
        uint64_t left = h_u(&r->body, "outbox");
        nmirf_reply_destroy(&r);
        if (left < N)
            break;
        h_sleep_ms(1);
    }
    ha_agent_kill(a);
    ha_agent_restart(a);
    ag_wait_outbox_empty(a);
    s_check_once(b, m, "killed", 2 * N + 1);
    s_check_results_ok(a);
    h_note("agent killed while sending: all %d landed exactly once", N);

    /* 7. Killed with every send unanswered, the broker paused. */
    s_killed_unanswered(b, m, a, "paused", false, 3 * N + 1);
    h_note("agent killed with %d sends unanswered (broker stopped, then continued): all "
           "landed exactly once",
           N);
    /* 8. And the broker killed with them unread. */
    s_killed_unanswered(b, m, a, "unread", true, 4 * N + 1);
    HA_ASSERT(strcmp(b->request_ep, req_ep) == 0);
    h_note("agent and broker killed with %d sends unread: all landed exactly once from "
           "the agent's outbox on disk",
           N);

    /* A refusal ends an entry too, and is shown by `outbox`. */
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','wait_ms':10000,'body':{'rec':'NOPE',"
               "'status':'in_progress','narrative':'x'}}");
    HA_ASSERTF(!r->ok, "a report on an unknown rec was accepted");
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 0);
    size_t nres = h_len(&r->body, "results");
    char path[32];
    snprintf(path, sizeof path, "results.%zu.code", nres - 1);
    HA_ASSERT(!h_is(&r->body, path, "ok"));
    nmirf_reply_destroy(&r);

    /* Bad control input is refused, never fatal. */
    r = ha_ctl(a, 5000, "submit", "{'op':'rec.assign','body':{}}");
    HA_ASSERT(!r->ok && strcmp(r->code_name, "bad_request") == 0);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "nonsense", NULL);
    HA_ASSERT(!r->ok && strcmp(r->code_name, "unknown_op") == 0);
    nmirf_reply_destroy(&r);
    /* A body over the broker's 1 MiB envelope limit and under the
       control frame's 2 MiB: `storage`, its message saying why (CONTROL.md
       section 5), and nothing queued. */
    size_t big = 1536 * 1024;
    char *narrative = malloc(big + 1);
    HA_ASSERT(narrative);
    memset(narrative, 'n', big);
    narrative[big] = 0;
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','body':{'rec':'NOPE','status':'in_progress',"
               "'narrative':'%s'}}",
               narrative);
    free(narrative);
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "storage") == 0 &&
                   strstr(r->message, "over the 1 MiB limit"),
               "an oversized submit answered %s: %s", r->code_name, r->message);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 0);
    nmirf_reply_destroy(&r);
    zframe_t *junk = zframe_new("\xc1\x00", 2);
    zframe_send(&junk, a->ctl, 0);
    zframe_t *jr = zframe_recv(a->ctl);
    HA_ASSERT(jr);
    char why[128];
    nmirf_reply_t *jrep =
        nmirf_reply_decode(zframe_data(jr), zframe_size(jr), why, sizeof why);
    HA_ASSERT(jrep && !jrep->ok);
    nmirf_reply_destroy(&jrep);
    zframe_destroy(&jr);
    r = ha_ctl(a, 5000, "status", NULL);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    h_note("refusals kept in the outbox results; bad control input refused (an "
           "oversized submit: storage, not queued)");

    /* 4. A second agent on the same directory. */
    char *out = NULL;
    int st = ha_agent_run_again(a, &out);
    HA_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 1 &&
                   strstr(out, "another nmirf-agent is running"),
               "second agent: wait status %#x, output:\n%s", st, out);
    free(out);
    r = ha_ctl(a, 5000, "status", NULL);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','wait_ms':10000,'body':{'rec':'OB-0',"
               "'status':'in_progress','narrative':'after-second'}}");
    H_EXPECT(r, "ok");
    HA_ASSERT(!ag_bool(r, "queued"));
    nmirf_reply_destroy(&r);
    h_note("a second agent on the same directory exits 1; the first keeps working");

    /* 6. An unreadable entry at key 0 (the outbox is empty now: the old
       counter would have restarted at 0 and overwritten it). */
    ha_agent_stop(a);
    s_outbox_raw(a, 0, "\xc1 not msgpack");
    ha_agent_restart(a);
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','wait_ms':10000,'body':{'rec':'OB-0',"
               "'status':'in_progress','narrative':'after-unreadable'}}");
    H_EXPECT(r, "ok");
    HA_ASSERT(!ag_bool(r, "queued"));
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "unreadable") == 1 && h_u(&r->body, "unreadable.0") == 0);
    nmirf_reply_destroy(&r);
    ha_agent_stop(a);
    char *kept = s_outbox_raw(a, 0, NULL);
    HA_ASSERTF(kept && strcmp(kept, "\xc1 not msgpack") == 0,
               "the unreadable entry was overwritten");
    free(kept);
    ha_agent_restart(a);
    h_note("an unreadable outbox entry is listed and never overwritten");

    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);

    s_storage_full();
    s_storage_order();
    s_refused();
    h_note("agent_outbox_test passed");
    return 0;
}
