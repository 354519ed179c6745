/*  agent_recover_test - the agent's outbox after a key rotation, a
    repeated request id, a key the broker refused, and an outage: each
    write lands exactly once, in queue order, and none is called refused
    while the broker holds it.

    1. The broker: a byte-identical resend of a request committed before
       its author's key was rotated gets the first reply (not
       `bad_signature`), sent on a session of the new key.
    2. An outbox entry queued before a rotation (broker down) and sent
       after the agent restarted with the new key lands once: its bytes
       go first, the broker answers `bad_signature` (not a replay), and
       the agent signs it again with the new key and resends it.
    3. An entry the broker committed, whose answer was lost (broker
       stopped with SIGSTOP, agent SIGKILLed), then the key rotated and
       the agent restarted with the new key: its original bytes are
       resent and answered with the stored reply; acknowledged, never
       signed again, one report.
    4. A control submit repeating an answered id after an agent restart:
       answered from the acknowledgement kept on disk (the first reply,
       the same report), nothing sent again. The same id with another
       body once its acknowledgement has left the kept list
       (RESULTS_KEPT later acknowledgements): refused `id_reused`,
       listed as refused, and nothing changed at the broker.
    5. An agent started with a key not yet enrolled: refused, then the
       entity enrolled; the agent makes a new connection on its backoff
       (NMIRF_AGENT_KEY_RETRY_MS, short here) and gets through without a
       restart.
    6. Two reports on one recommendation queued during an outage long
       enough for the first one's backoff to reach 5 s: they land in queue
       order (report ids).
    7. A broker that cannot read its store answers the handshake with ZAP
       status 300 (played here by the test: the broker stopped, a CURVE
       ROUTER with its key on its endpoint, and a ZAP handler answering
       300): the agent does not call its key refused (no status, log or
       notification), and once the real broker is back, a submission
       lands.
    8. The race of 2. made certain: an entry queued before a rotation,
       and the agent restarted with the new key against a stand-in broker
       (its key, its endpoint) that waits for two copies of the old bytes,
       answers the first `bad_signature`, waits for the bytes signed
       again, and only then answers the second copy `bad_signature` (same
       request id). That late answer is for the old bytes: the entry stays
       pending, not refused, and lands once when the real broker is back.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_common.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define RESULTS_KEPT 100 /* AGENT_RESULTS_MAX, client/agent/agent.h */

/* A queued submit (wait_ms 0) of narrative on rec. */
static void
s_queue(ha_agent_t *a, const char *rec, const char *narrative)
{
    nmirf_reply_t *r = ha_ctl(a, 5000, "submit",
                              "{'op':'report.submit','wait_ms':0,'body':{'rec':'%s',"
                              "'status':'in_progress','narrative':'%s'}}",
                              rec, narrative);
    H_EXPECT(r, "ok");
    HA_ASSERT(ag_bool(r, "queued"));
    nmirf_reply_destroy(&r);
}

/* Fails unless the agent's outbox is empty with nothing refused, and its
   last kept answer is ok. */
static void
s_check_delivered(ha_agent_t *a)
{
    ag_wait_outbox_empty(a);
    nmirf_reply_t *r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERTF(h_len(&r->body, "refused") == 0, "%zu refused, first: %s",
               h_len(&r->body, "refused"),
               h_is(&r->body, "refused.0.code", "bad_signature") ? "bad_signature"
                                                                 : "another code");
    size_t n = h_len(&r->body, "results");
    HA_ASSERT(n >= 1);
    char path[48];
    snprintf(path, sizeof path, "results.%zu.code", n - 1);
    HA_ASSERTF(h_is(&r->body, path, "ok"), "the last answer is not ok");
    nmirf_reply_destroy(&r);
}

/* The coordinator rotates entity old to a new pair, made as entity new
   (h_entity_new: its client made before the rotation is refused, so it
   connects again here). */
static void
s_rotate(h_broker_t *b, h_entity_t *old, h_entity_t *new)
{
    uint8_t curve[32];
    HA_ASSERT(nmirf_key_curve_raw(&new->key, curve) == 0);
    msgpack_sbuffer rot;
    msgpack_sbuffer_init(&rot);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rot, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", old->id);
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, new->key.sign_pk, 32);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, 32);
    nmirf_reply_t *r =
        h_call_packed(h_coord(b), NULL, "entity.rotate", (uint8_t *)rot.data, rot.size);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_destroy(&rot);
    nmirf_client_destroy(&new->client);
    new->client = nmirf_client_new(b->request_ep, &new->key, b->server_key, 5000);
    HA_ASSERT(new->client);
}

/* Gives agent a the key of e instead of the one it has (it is stopped). */
static void
s_agent_key(ha_agent_t *a, h_entity_t *e)
{
    char pub[PATH_MAX + 32], why[256] = "";
    snprintf(pub, sizeof pub, "%s/%s.pub", a->dir, e->id);
    HA_ASSERT(unlink(a->key_path) == 0);
    unlink(pub);
    HA_ASSERTF(nmirf_key_save(&e->key, a->dir, why, sizeof why) == 0, "key save: %s",
               why);
}

/* How many times the file at path holds needle. */
static size_t
s_file_count(const char *path, const char *needle)
{
    size_t len, n = 0;
    char *text = nmirf_read_file(path, &len);
    for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(text);
    return n;
}

/* 1.-3.: rotations. */
static void
s_rotations(h_broker_t *b)
{
    h_entity_t *m = ha_setup_ministry(b, "MR", "RO", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'RO-0','lead':'MR'}");

    /* 1. The broker alone: the old bytes resent on a new key's session. */
    h_request_t *req = h_request_make(
        m, "report.submit", "{'rec':'RO-0','status':'in_progress','narrative':'raw'}");
    nmirf_reply_t *first = h_request_send(m, req);
    H_EXPECT(first, "ok");
    h_entity_t *m2 = h_entity_new(b, "MR");
    s_rotate(b, m, m2);
    nmirf_reply_t *again = h_request_send(m2, req);
    HA_ASSERTF(again && again->ok, "a replay after the rotation answered %s: %s",
               again ? again->code_name : "nothing", again ? again->message : "");
    HA_ASSERT(h_u(&again->body, "report.id") == h_u(&first->body, "report.id"));
    nmirf_reply_destroy(&first);
    nmirf_reply_destroy(&again);
    h_request_free(&req);
    h_note("a replay of a request committed before its key's rotation: first reply");

    /* 2. Queued before a rotation, sent after the restart with the new key. */
    ha_agent_t *a = ha_agent_start(b, m2, NULL);
    ag_wait_seq(a, h_seq(b));
    h_broker_stop(b);
    s_queue(a, "RO-0", "queued-before-rotation");
    ha_agent_stop(a);
    h_broker_restart(b);
    h_entity_t *m3 = h_entity_new(b, "MR");
    s_rotate(b, m2, m3);
    s_agent_key(a, m3);
    ha_agent_restart(a);
    s_check_delivered(a);
    HA_ASSERT(ag_report_id(b, m3, "queued-before-rotation") != 0);
    HA_ASSERT(ag_file_has(a->log_path, "signed again"));
    size_t resigned = s_file_count(a->log_path, "signed again"); /* 3.: no more */
    h_note("an entry queued before a rotation lands once after a restart with the new "
           "key");

    /* 3. Committed, the answer lost, the key rotated, the agent restarted. */
    HA_ASSERT(kill(b->pid, SIGSTOP) == 0);
    s_queue(a, "RO-0", "committed-before-rotation");
    ag_wait_all_sent(a, 1);
    ha_agent_kill(a);
    HA_ASSERT(kill(b->pid, SIGCONT) == 0);
    for (int waited = 0; ag_report_id(b, m3, "committed-before-rotation") == 0;
         waited += 50) {
        HA_ASSERTF(waited < HA_WAIT_MS, "the broker never committed the report");
        h_sleep_ms(50);
    }
    h_entity_t *m4 = h_entity_new(b, "MR");
    s_rotate(b, m3, m4);
    s_agent_key(a, m4);
    ha_agent_restart(a);
    s_check_delivered(a);
    HA_ASSERT(ag_report_id(b, m4, "committed-before-rotation") != 0);
    HA_ASSERTF(s_file_count(a->log_path, "signed again") == resigned,
               "a committed entry was signed again");
    h_note("an entry committed before a rotation, answer lost: the stored reply, once");
    ha_agent_stop(a);
    ha_agent_destroy(&a);
}

/* 4. A control submit repeating an answered id after an agent restart. */
static void
s_id_reused(h_broker_t *b)
{
    h_entity_t *m = ha_setup_ministry(b, "MI", "IR", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'IR-0','lead':'MI'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, NMIRF_ID_LEN);
    nmirf_reply_t *r = ag_submit_id(a, id, "IR-0", "once", 10000);
    H_EXPECT(r, "ok");
    HA_ASSERT(!ag_bool(r, "queued"));
    uint64_t report = h_u(&r->body, "report.id");
    HA_ASSERT(report != UINT64_MAX);
    nmirf_reply_destroy(&r);
    ha_agent_stop(a);
    ha_agent_restart(a);
    r = ag_submit_id(a, id, "IR-0", "once", 10000);
    HA_ASSERTF(r->ok, "a repeated submit after a restart answered %s: %s", r->code_name,
               r->message);
    HA_ASSERT(!ag_bool(r, "queued") && h_u(&r->body, "report.id") == report);
    nmirf_reply_destroy(&r);
    s_check_delivered(a);
    HA_ASSERT(ag_report_id(b, m, "once") == report);
    HA_ASSERTF(!ag_file_has(a->log_path, "refused by the broker"),
               "the repeated submit was sent again");
    h_note("a control submit repeating an id after a restart: the kept first reply");
    /* The acknowledgement pushed out of the kept list, then the same id
       with another body: the broker holds another write under it. */
    for (int i = 0; i < RESULTS_KEPT; i++) {
        char narrative[32];
        snprintf(narrative, sizeof narrative, "push-%d", i);
        s_queue(a, "IR-0", narrative);
    }
    ag_wait_outbox_empty(a);
    r = ag_submit_id(a, id, "IR-0", "other-body", 10000);
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "id_reused") == 0,
               "the id of another write with a new body answered %s: %s", r->code_name,
               r->message);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 0 && h_len(&r->body, "refused") == 1);
    HA_ASSERT(h_is(&r->body, "refused.0.code", "id_reused"));
    nmirf_reply_destroy(&r);
    HA_ASSERT(ag_report_id(b, m, "other-body") == 0);
    HA_ASSERT(ag_report_id(b, m, "once") == report);
    h_note("a control submit reusing an id with another body: refused id_reused, "
           "nothing changed");
    ha_agent_stop(a);
    ha_agent_destroy(&a);
}

/* 5. Enrolled after its agent started: connects without a restart. */
static void
s_late_enrolment(h_broker_t *b)
{
    h_entity_t *k = h_entity_new(b, "MK");
    HA_ASSERT(setenv("NMIRF_AGENT_KEY_RETRY_MS", "300", 1) == 0);
    ha_agent_t *a = ha_agent_start(b, k, NULL);
    HA_ASSERT(unsetenv("NMIRF_AGENT_KEY_RETRY_MS") == 0);
    HA_ASSERTF(ag_wait_status(a, "key_refused", true),
               "an unenrolled key not said refused");
    msgpack_sbuffer *sb = h_pack_enroll(&k->key, "ministry");
    nmirf_reply_t *r =
        h_call_packed(h_coord(b), NULL, "entity.enroll", (uint8_t *)sb->data, sb->size);
    msgpack_sbuffer_free(sb);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", h_coord(b), "rec.import",
                 "{'recs':[{'id':'LK-0','mechanism':'UPR','text':{'en':'late'}}]}");
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'LK-0','lead':'MK'}");
    HA_ASSERTF(!ag_wait_status(a, "key_refused", false),
               "the agent never got through after its entity was enrolled");
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','wait_ms':10000,'body':{'rec':'LK-0',"
               "'status':'in_progress','narrative':'late'}}");
    H_EXPECT(r, "ok");
    HA_ASSERT(!ag_bool(r, "queued"));
    nmirf_reply_destroy(&r);
    h_note("an agent started before its entity was enrolled got through without a "
           "restart");
    ha_agent_stop(a);
    ha_agent_destroy(&a);
}

/* 6. Two reports on one recommendation queued during an outage. */
static void
s_order(h_broker_t *b)
{
    h_entity_t *m = ha_setup_ministry(b, "MQ", "OQ", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'OQ-0','lead':'MQ'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));
    h_broker_stop(b);
    s_queue(a, "OQ-0", "first");
    /* Tried at 0, 0.5, 1.5, 3.5, 7.5 s: its next try is 5 s later. */
    h_sleep_ms(8000);
    s_queue(a, "OQ-0", "second");
    h_broker_restart(b);
    ag_wait_outbox_empty(a);
    uint64_t first = ag_report_id(b, m, "first"), second = ag_report_id(b, m, "second");
    HA_ASSERT(first && second);
    HA_ASSERTF(first < second, "queued first, landed as report %llu after %llu",
               (unsigned long long)first, (unsigned long long)second);
    h_note("two reports queued during an outage landed in queue order (%llu, %llu)",
           (unsigned long long)first, (unsigned long long)second);
    ha_agent_stop(a);
    ha_agent_destroy(&a);
}

/* 7. ZAP status 300: not a refused key. */
static void
s_zap_unreadable(h_broker_t *b)
{
    h_entity_t *m = ha_setup_ministry(b, "MZ", "ZP", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'ZP-0','lead':'MZ'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));
    h_broker_stop(b);
    /* The broker's stand-in: its key, its endpoint, ZAP answering 300 to
       the agent's handshake. */
    ha_standin_t *st = ha_standin_new(b, "300", "the broker cannot read its store");
    int64_t end = zclock_mono() + 15000;
    while (ha_standin_zap_count(st) < 1 && zclock_mono() < end) {
        zmsg_t *req = ha_standin_recv(st, 200); /* none gets through a 300 */
        zmsg_destroy(&req);
    }
    int asked = ha_standin_zap_count(st);
    HA_ASSERTF(asked == 1, "the agent never came to the stand-in in 15 s");
    h_sleep_ms(1000);
    nmirf_reply_t *r = ha_ctl(a, 5000, "status", NULL);
    HA_ASSERTF(!ag_bool(r, "key_refused"), "ZAP status 300 taken as a refused key");
    nmirf_reply_destroy(&r);
    HA_ASSERT(!ag_file_has(a->log_path, "refused this agent's key"));
    ha_standin_destroy(&st);
    h_broker_restart(b);
    /* libzmq 4.3 answers a 300 by a silent hold, not an ERROR: the agent
       sees no refusal, and its handshake times out (ZMQ_HANDSHAKE_IVL,
       30 s by default) before libzmq connects again. */
    r = ha_ctl(a, 50000, "submit",
               "{'op':'report.submit','wait_ms':45000,'body':{'rec':'ZP-0',"
               "'status':'in_progress','narrative':'after-300'}}");
    H_EXPECT(r, "ok");
    HA_ASSERTF(!ag_bool(r, "queued"), "the agent never got back to the broker");
    nmirf_reply_destroy(&r);
    HA_ASSERT(ag_report_id(b, m, "after-300") != 0);
    h_note("ZAP status 300: not a refused key; the agent got through once the broker "
           "was back");
    ha_agent_stop(a);
    ha_agent_destroy(&a);
}

/* Waits up to 15 s for the agent's next report.submit at the stand-in
   (answering ZAP and dropping other requests on the way); returns it
   ([routing id][envelope][sig]), and in *signer_p 1 if it is signed with
   old_pk, 2 if with new_pk, 0 if with neither. */
static zmsg_t *
s_standin_next_submit(ha_standin_t *st, const uint8_t *old_pk, const uint8_t *new_pk,
                      int *signer_p)
{
    int64_t end = zclock_mono() + 15000;
    for (int64_t left; (left = end - zclock_mono()) > 0;) {
        zmsg_t *msg = ha_standin_recv(st, (int)left);
        if (!msg)
            break;
        nmirf_envelope_t e;
        bool has_id;
        zframe_t *sig = zmsg_last(msg);
        bool submit = ha_standin_envelope(msg, &e, &has_id) &&
                      zframe_size(sig) == NMIRF_SIG_LEN &&
                      strcmp(e.op, "report.submit") == 0;
        if (!submit) { /* its subscription: never answered here */
            zmsg_destroy(&msg);
            continue;
        }
        zmsg_first(msg);
        zframe_t *env = zmsg_next(msg);
        *signer_p = nmirf_signature_ok(zframe_data(env), zframe_size(env),
                                       zframe_data(sig), old_pk)
                        ? 1
                    : nmirf_signature_ok(zframe_data(env), zframe_size(env),
                                         zframe_data(sig), new_pk)
                        ? 2
                        : 0;
        return msg;
    }
    HA_ASSERTF(false, "no report.submit came to the stand-in broker in 15 s");
    return NULL;
}

/* Answers req (a report.submit received by the stand-in) bad_signature. */
static void
s_standin_bad_signature(ha_standin_t *st, zmsg_t **req_p)
{
    ha_standin_answer(st, *req_p, NMIRF_E_BAD_SIGNATURE, "the signature does not verify",
                      0);
    zmsg_destroy(req_p);
}

/* 8. A late bad_signature for the old bytes of an entry signed again. */
static void
s_stale_bad_signature(h_broker_t *b)
{
    h_entity_t *m = ha_setup_ministry(b, "MS", "SB", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec':'SB-0','lead':'MS'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));
    h_broker_stop(b);
    s_queue(a, "SB-0", "stale-bad-signature");
    ha_agent_stop(a);
    h_broker_restart(b);
    h_entity_t *m2 = h_entity_new(b, "MS");
    s_rotate(b, m, m2);
    h_broker_stop(b);
    s_agent_key(a, m2);
    ha_standin_t *st = ha_standin_new(b, "200", "OK");
    ha_agent_restart(a);
    /* Two copies of the old bytes (the first send and a resend on the
       backoff: nothing is answered yet), and any more sent meanwhile. */
    zlist_t *old = zlist_new();
    HA_ASSERT(old);
    int signer = 0;
    while (zlist_size(old) < 2) {
        zmsg_t *req = s_standin_next_submit(st, m->key.sign_pk, m2->key.sign_pk, &signer);
        HA_ASSERTF(signer == 1, "bytes not signed with the old key before any answer");
        zlist_append(old, req);
    }
    zmsg_t *first = zlist_pop(old);
    s_standin_bad_signature(st, &first);
    /* The bytes signed again come, after any further old copies. */
    for (;;) {
        zmsg_t *req = s_standin_next_submit(st, m->key.sign_pk, m2->key.sign_pk, &signer);
        HA_ASSERTF(signer != 0, "bytes signed with neither key");
        if (signer == 2) {
            zmsg_destroy(&req);
            break;
        }
        HA_ASSERTF(zlist_size(old) < 50, "the old bytes are sent again and again");
        zlist_append(old, req);
    }
    /* Now the old copies' answers: bad_signature, the same request id. */
    size_t stale = zlist_size(old);
    zmsg_t *req;
    while ((req = zlist_pop(old)))
        s_standin_bad_signature(st, &req);
    zlist_destroy(&old);
    /* Until the agent has taken them: refused (the race), or each logged
       as an old copy's. */
    for (int waited = 0;; waited += 50) {
        nmirf_reply_t *r = ha_ctl(a, 5000, "outbox", NULL);
        size_t refused = h_len(&r->body, "refused");
        nmirf_reply_destroy(&r);
        if (refused > 0 ||
            s_file_count(a->log_path, "from before the new signature") >= stale)
            break;
        HA_ASSERTF(waited < HA_WAIT_MS, "the agent never took the stale answers");
        h_sleep_ms(50);
    }
    nmirf_reply_t *r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERTF(h_len(&r->body, "refused") == 0,
               "a bad_signature for the old bytes refused the entry signed again (%s)",
               h_is(&r->body, "refused.0.code", "bad_signature") ? "bad_signature"
                                                                 : "another code");
    HA_ASSERT(h_len(&r->body, "pending") == 1);
    nmirf_reply_destroy(&r);
    ha_standin_destroy(&st);
    h_broker_restart(b);
    s_check_delivered(a);
    HA_ASSERT(ag_report_id(b, m2, "stale-bad-signature") != 0);
    h_note("late bad_signature answers to the old bytes (%zu) after the entry was signed "
           "again: still pending, landed once",
           stale);
    ha_agent_stop(a);
    ha_agent_destroy(&a);
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 170);
    /* Fixed ports, so the restarted broker is where the agents look. */
    h_broker_t *b = ha_broker_start_fixed(NULL);
    s_id_reused(b);
    s_late_enrolment(b);
    s_order(b);
    s_zap_unreadable(b);
    s_rotations(b);
    s_stale_bad_signature(b);
    h_broker_destroy(&b);
    h_note("agent_recover_test passed");
    return 0;
}
