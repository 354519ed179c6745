/*  agent_outbox_test - nothing the ministry submits is lost or doubled.

    1. Broker down: 100 reports submitted through the agent wait in its
       outbox; the broker comes back on the same endpoints (fixed ports
       picked by the test); every report lands exactly once.
    2. The agent SIGKILLed while sending 100 reports, then restarted: it
       resends the same signed bytes, and every report lands exactly once
       (the broker answers a replay with its first reply, no new event).
    Counted both ways: report.list, and report.submitted events by the
    ministry (events.since).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_mp.h"

#define N 100

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

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 170);
    /* Fixed ports, so the restarted broker is where the agent looks. */
    static char req_ep[64], ev_ep[64];
    snprintf(req_ep, sizeof req_ep, "tcp://127.0.0.1:%d", ha_free_port());
    snprintf(ev_ep, sizeof ev_ep, "tcp://127.0.0.1:%d", ha_free_port());
    const char *args[] = {"-r", req_ep, "-e", ev_ep, NULL};
    h_broker_t *b = h_broker_start_with(NULL, args);
    HA_ASSERTF(strcmp(b->request_ep, req_ep) == 0, "broker bound %s", b->request_ep);
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
    h_broker_restart(b);
    HA_ASSERT(strcmp(b->request_ep, req_ep) == 0);
    ag_wait_outbox_empty(a);
    s_check_once(b, m, "offline", N);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 0 && h_len(&r->body, "results") == N);
    HA_ASSERT(h_is(&r->body, "results.0.code", "ok"));
    nmirf_reply_destroy(&r);
    h_note("broker back: all %d landed exactly once", N);

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
    s_check_once(b, m, "killed", 2 * N);
    h_note("agent killed while sending: all %d landed exactly once", N);

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
    h_note("refusals kept in the outbox results; bad control input refused");

    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    h_note("agent_outbox_test passed");
    return 0;
}
