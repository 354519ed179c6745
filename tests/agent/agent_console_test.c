/*  agent_console_test - what nmirf-web asks of an agent (proto/CONTROL.md,
    docs/WEB.md): every write through `submit`, reads of the broker through
    `ask`, the replica's report.list and entity.list, and the applied
    events of topic `e` on notify.sock.

    A real broker on fixed ports (so it can be restarted where the agents
    look), the ministry MJ's agent and the coordinator's own agent (run
    with the coordinator's key). Checked, in order:
    1. topic `e`: a SUB on MJ's agent gets the coordinator's assignment of
       C-0 as {seq, kind, subject, author, rec, entities}, in seq order;
    2. MJ's agent refuses a coordinator's write (rec.assign,
       report.validate, rec.withdraw, entity.update) `forbidden` at once,
       and queues nothing;
    3. MJ reports through its agent; the coordinator's agent validates it
       and assigns C-1, withdraws C-3 and names MS in Arabic through
       `submit` (the broker's answers); MJ's replica hides C-3 from
       rec.list and holds MS's new name;
    4. report.list (every filter, paging) and entity.list on MJ's replica;
    5. `ask stats` answered by the broker through the agent; an ask of a
       write refused bad_request;
    6. with the broker stopped an ask gets `unavailable`; then a stand-in
       broker that answers the subscription and the pings but no
       `stats`: an ask waits, `status` is answered meanwhile, and the
       ask gets `unavailable` once its wait_ms ran out; then a `status`
       and a `mine` are answered while a catch-up read waits for the
       stand-in, before the read gives up (how long they took: a figure,
       printed); with the broker back and 8 events it had not seen, the
       replica catches up gap-free (topic e in order, digests equal);
    7. with NMIRF_AGENT_RESYNC_GAP=20, MJ's agent stopped while 25 events
       are written and started again while the broker is down: once the
       broker is back it reloads a snapshot, and topic `e` says so.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_control.h"
#include "nmirf_notify.h"
#include "nmirf_util.h"

/* A SUB on a's notify.sock, topic "e". */
static zsock_t *
s_sub_e(ha_agent_t *a)
{
    zsock_t *sub = zsock_new(ZMQ_SUB);
    HA_ASSERT(sub);
    zsock_set_rcvhwm(sub, 100000);
    zsock_set_subscribe(sub, "e");
    HA_ASSERT(zsock_connect(sub, "ipc://%s/notify.sock", a->data) == 0);
    return sub;
}

/* Waits up to ms for the next topic `e` message on sub and decodes it
   into e (release it). False if none came; a text the codec refuses
   fails the test. */
static bool
s_next_event(zsock_t *sub, int ms, nmirf_notify_event_t *e)
{
    memset(e, 0, sizeof *e);
    zpoller_t *poller = zpoller_new(sub, NULL);
    void *ready = zpoller_wait(poller, ms);
    zpoller_destroy(&poller);
    if (!ready)
        return false;
    char *topic = NULL, *text = NULL;
    HA_ASSERT(zsock_recv(sub, "ss", &topic, &text) == 0 && topic && text);
    HA_ASSERTF(strcmp(topic, "e") == 0, "topic %s", topic);
    char why[256] = "";
    nmirf_code_t code = nmirf_notify_event_decode(text, strlen(text), e, why, sizeof why);
    HA_ASSERTF(code == NMIRF_OK, "topic e text refused (%s: %s): %s",
               nmirf_code_name(code), why, text);
    zstr_free(&topic);
    zstr_free(&text);
    return true;
}

/* Reads topic `e` until the event at seq, checking that every one comes
   once, after the one before (from *last on); returns it in e. */
static void
s_event_at(zsock_t *sub, uint64_t seq, uint64_t *last, nmirf_notify_event_t *e)
{
    for (;;) {
        HA_ASSERTF(s_next_event(sub, HA_WAIT_MS, e), "no topic e message for seq %llu",
                   (unsigned long long)seq);
        HA_ASSERTF(*last == 0 || e->seq == *last + 1, "topic e: seq %llu after %llu",
                   (unsigned long long)e->seq, (unsigned long long)*last);
        *last = e->seq;
        if (e->seq == seq)
            return;
        HA_ASSERTF(e->seq < seq, "topic e went past %llu", (unsigned long long)seq);
        nmirf_notify_event_release(e);
    }
}

/* The ids of the reports of a report.list reply, comma-separated. */
static const char *
s_report_ids(const nmirf_reply_t *r, char *buf, size_t size)
{
    buf[0] = 0;
    size_t n = h_len(&r->body, "reports");
    for (size_t i = 0; n != SIZE_MAX && i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "reports.%zu.id", i);
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%llu", i ? "," : "",
                 (unsigned long long)h_u(&r->body, path));
    }
    return buf;
}

/* report.list with body must list exactly ids and count total. */
static void
s_reports(ha_agent_t *a, const char *body, const char *ids, uint64_t total)
{
    nmirf_reply_t *r = ha_ctl(a, 5000, "report.list", "%s", body);
    H_EXPECT(r, "ok");
    char got[256];
    HA_ASSERTF(strcmp(s_report_ids(r, got, sizeof got), ids) == 0,
               "report.list %s: %s, not %s", body, got, ids);
    HA_ASSERTF(h_u(&r->body, "total") == total, "report.list %s: total %llu, not %llu",
               body, (unsigned long long)h_u(&r->body, "total"),
               (unsigned long long)total);
    nmirf_ctl_replica_t st;
    char why[128] = "";
    HA_ASSERTF(nmirf_ctl_replica_decode(&r->body, &st, why, sizeof why) == NMIRF_OK &&
                   strcmp(st.entity, "MJ") == 0,
               "report.list head: %s", why);
    nmirf_reply_destroy(&r);
}

/* The `status` reply's connected flag. */
static bool
s_connected(ha_agent_t *a)
{
    nmirf_reply_t *r = ha_ctl(a, 30000, "status", NULL);
    bool up = ag_bool(r, "connected");
    nmirf_reply_destroy(&r);
    return up;
}

/* What the agent logs when a read from the broker got no reply in time
   (link.c). */
#define READ_GAVE_UP "events.since: no reply within"

/* How many times needle occurs in the file at path (an agent's log). */
static int
s_count(const char *path, const char *needle)
{
    size_t len;
    char *text = nmirf_read_file(path, &len);
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(text);
    return n;
}

/* What the stand-in saw while it was served. */
typedef struct {
    uint64_t subscribe_seq; /* the seq a `subscribe` is answered with */
    int subscribes;         /* `subscribe`s answered */
    int stats;              /* `stats` requests seen (never answered) */
    int since;              /* `events.since` requests seen (never answered) */
} s_serve_t;

/* Serves the stand-in for up to ms: answers every `subscribe` ok at
   sv->subscribe_seq and every `ping` ok, and counts the `stats` and
   `events.since` it leaves unanswered. Returns early once `until`
   (if not NULL) is true of sv. */
static void
s_serve(ha_standin_t *st, s_serve_t *sv, int ms, bool (*until)(const s_serve_t *))
{
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end && !(until && until(sv))) {
        zmsg_t *msg = ha_standin_recv(st, (int)(end - zclock_mono()));
        if (!msg)
            break;
        nmirf_envelope_t e;
        bool has_id;
        if (ha_standin_envelope(msg, &e, &has_id) && has_id) {
            if (strcmp(e.op, "subscribe") == 0) {
                ha_standin_answer(st, msg, NMIRF_OK, NULL, sv->subscribe_seq);
                sv->subscribes++;
            } else if (strcmp(e.op, "ping") == 0)
                ha_standin_answer(st, msg, NMIRF_OK, NULL, sv->subscribe_seq);
            else if (strcmp(e.op, "stats") == 0)
                sv->stats++;
            else if (strcmp(e.op, "events.since") == 0)
                sv->since++;
        }
        zmsg_destroy(&msg);
    }
}

static bool
s_subscribed(const s_serve_t *sv)
{
    return sv->subscribes > 0;
}

static bool
s_stats_seen(const s_serve_t *sv)
{
    return sv->stats > 0;
}

static bool
s_since_seen(const s_serve_t *sv)
{
    return sv->since > 0;
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 290);
    /* Set before any agent starts: they inherit it (step 7). */
    HA_ASSERT(setenv("NMIRF_AGENT_RESYNC_GAP", "20", 1) == 0);
    h_broker_t *b = ha_broker_start_fixed(NULL);
    h_entity_t *co = h_coord(b);
    h_entity_t *mj = ha_setup_ministry(b, "MJ", "C", 4);
    h_enroll(b, "MS", "ministry");
    ha_agent_t *a = ha_agent_start(b, mj, NULL);
    ag_wait_seq(a, h_seq(b));
    zsock_t *sub = s_sub_e(a);
    h_sleep_ms(300); /* the subscription reaches the PUB (ipc: at once) */

    /* 1. Topic e: an assignment, in seq order. */
    uint64_t last = 0;
    nmirf_reply_t *r = H_CALL_EXPECT(
        "ok", co, "rec.assign", "{'rec': 'C-0', 'lead': 'MJ', 'contributors': ['MS']}");
    uint64_t assigned = r->seq;
    nmirf_reply_destroy(&r);
    nmirf_notify_event_t e;
    s_event_at(sub, assigned, &last, &e);
    HA_ASSERTF(strcmp(e.kind, "assignment.set") == 0 && strcmp(e.subject, "C-0") == 0 &&
                   e.rec && strcmp(e.rec, "C-0") == 0 && strcmp(e.author, co->id) == 0,
               "topic e: %s %s by %s", e.kind, e.subject, e.author);
    bool mj_named = false, ms_named = false;
    for (size_t i = 0; i < e.entity_count; i++) {
        mj_named |= strcmp(e.entities[i], "MJ") == 0;
        ms_named |= strcmp(e.entities[i], "MS") == 0;
    }
    HA_ASSERT(mj_named && ms_named);
    nmirf_notify_event_release(&e);
    h_note("topic e: the assignment of C-0 (seq %llu) with its rec and entities",
           (unsigned long long)assigned);

    /* 2. A coordinator's write from a ministry's agent: forbidden at once,
       nothing queued. */
    r = ha_ctl(a, 5000, "submit",
               "{'op':'rec.assign','wait_ms':10000,'body':{'rec':'C-1','lead':'MJ'}}");
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "forbidden") == 0, "rec.assign by MJ: %s",
               r->code_name);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "submit", "{'op':'report.validate','body':{'report':1}}");
    HA_ASSERT(!r->ok && strcmp(r->code_name, "forbidden") == 0);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "submit",
               "{'op':'rec.withdraw','wait_ms':10000,'body':{'rec':'C-3','reason':'x'}}");
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "forbidden") == 0, "rec.withdraw by MJ: %s",
               r->code_name);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "submit",
               "{'op':'entity.update','body':{'id':'MJ','contact':'x'}}");
    HA_ASSERT(!r->ok && strcmp(r->code_name, "forbidden") == 0);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "outbox", NULL);
    HA_ASSERT(h_len(&r->body, "pending") == 0 && h_len(&r->body, "results") == 0);
    nmirf_reply_destroy(&r);
    h_note("a ministry's agent refuses rec.assign, report.validate, rec.withdraw and "
           "entity.update: forbidden, nothing queued");

    /* 3. MJ reports; the coordinator's agent validates and assigns. */
    ha_agent_t *c = ha_agent_start(b, co, NULL);
    ag_wait_seq(c, h_seq(b));
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','wait_ms':10000,'body':{'rec':'C-0',"
               "'status':'in_progress','narrative':'first steps'}}");
    H_EXPECT(r, "ok");
    uint64_t r1 = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 15000, "submit",
               "{'op':'report.submit','wait_ms':10000,'body':{'rec':'C-0',"
               "'status':'partially_implemented','narrative':'the law passed'}}");
    H_EXPECT(r, "ok");
    uint64_t r2 = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    HA_ASSERT(r1 != UINT64_MAX && r2 != UINT64_MAX && r1 < r2);
    r = ha_ctl(c, 15000, "submit",
               "{'op':'report.validate','wait_ms':10000,'body':"
               "{'report':%llu}}",
               (unsigned long long)r1);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    r = ha_ctl(c, 15000, "submit",
               "{'op':'rec.assign','wait_ms':10000,'body':{'rec':'C-1','lead':'MS',"
               "'contributors':['MJ'],'deadline':'2030-01-31'}}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", co, "rec.show", "{'id': 'C-1'}");
    HA_ASSERT(h_is(&r->body, "assignment.lead", "MS"));
    nmirf_reply_destroy(&r);
    h_note("the coordinator's agent validated report %llu and assigned C-1 through "
           "submit",
           (unsigned long long)r1);

    /* The coordinator repairs the list through its agent: a withdrawal
       (its reason checked by the field table first), then MS given its
       Arabic name; MJ's replica hides C-3 and holds the new name. */
    r = ha_ctl(c, 5000, "submit", "{'op':'rec.withdraw','body':{'rec':'C-3'}}");
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "bad_request") == 0 && r->message &&
                   strstr(r->message, "reason"),
               "rec.withdraw without reason: %s %s", r->code_name,
               r->message ? r->message : "");
    nmirf_reply_destroy(&r);
    r = ha_ctl(c, 15000, "submit",
               "{'op':'rec.withdraw','wait_ms':10000,'body':{'rec':'C-3',"
               "'reason':'doublon de C-2'}}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    r = ha_ctl(c, 15000, "submit",
               "{'op':'entity.update','wait_ms':10000,'body':{'id':'MS',"
               "'names':{'ar':'وزارة الصحة'},'contact':'ms@sante.gov.ma'}}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    ag_wait_seq(a, h_seq(b));
    r = ha_ctl(a, 5000, "rec.list", "{'scope':'all'}");
    H_EXPECT(r, "ok");
    for (size_t i = 0; i < h_len(&r->body, "recs"); i++) {
        char k[32];
        snprintf(k, sizeof k, "recs.%zu.id", i);
        HA_ASSERTF(!h_is(&r->body, k, "C-3"), "C-3 withdrawn but listed at %zu", i);
    }
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "rec.show", "{'rec':'C-3'}");
    H_EXPECT(r, "ok");
    HA_ASSERT(h_is(&r->body, "rec.withdrawn.reason", "doublon de C-2"));
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "entity.list", NULL);
    H_EXPECT(r, "ok");
    HA_ASSERTF(h_is(&r->body, "entities.2.names.ar", "وزارة الصحة") &&
                   h_is(&r->body, "entities.2.contact", "ms@sante.gov.ma"),
               "MS's Arabic name and contact on MJ's replica");
    nmirf_reply_destroy(&r);
    h_note("the coordinator's agent withdrew C-3 and renamed MS through submit; MJ's "
           "replica hides C-3 and names MS in Arabic");

    /* The coordinator follows every measure: its measure.list without a
       rec lists them all, though no recommendation is assigned to it. */
    r = ha_ctl(c, 15000, "submit",
               "{'op':'measure.add','wait_ms':10000,'body':{'recs':['C-1'],"
               "'title':'Train the judges'}}");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    ag_wait_seq(c, h_seq(b));
    r = ha_ctl(c, 5000, "measure.list", "{}");
    H_EXPECT(r, "ok");
    HA_ASSERTF(h_len(&r->body, "measures") == 1, "the coordinator's measure.list: %zu",
               h_len(&r->body, "measures"));
    nmirf_reply_destroy(&r);
    h_note("the coordinator's measure.list lists every measure");

    /* 4. report.list and entity.list from MJ's replica. */
    ag_wait_seq(a, h_seq(b));
    char ids[64], one[24], two[24];
    snprintf(one, sizeof one, "%llu", (unsigned long long)r1);
    snprintf(two, sizeof two, "%llu", (unsigned long long)r2);
    snprintf(ids, sizeof ids, "%s,%s", one, two);
    s_reports(a, "{}", ids, 2);
    s_reports(a, "{'state': 'validated'}", one, 1);
    s_reports(a, "{'state': 'submitted'}", two, 1);
    s_reports(a, "{'state': 'returned'}", "", 0);
    s_reports(a, "{'entity': 'MJ', 'rec': 'C-0'}", ids, 2);
    s_reports(a, "{'rec': 'C-1'}", "", 0);
    s_reports(a, "{'entity': 'MS'}", "", 0);
    s_reports(a, "{'limit': 1}", one, 2);
    s_reports(a, "{'offset': 1, 'limit': 1}", two, 2);
    s_reports(a, "{'offset': 2}", "", 2);
    r = ha_ctl(a, 5000, "report.list", "{'state': 'done'}");
    HA_ASSERT(!r->ok && strcmp(r->code_name, "bad_request") == 0);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "entity.list", NULL);
    H_EXPECT(r, "ok");
    HA_ASSERTF(h_len(&r->body, "entities") == 3 &&
                   h_is(&r->body, "entities.0.id", co->id) &&
                   h_is(&r->body, "entities.1.id", "MJ") &&
                   h_is(&r->body, "entities.2.id", "MS") &&
                   h_is(&r->body, "entities.1.role", "ministry") &&
                   h_is(&r->body, "entity", "MJ"),
               "entity.list: %zu entities", h_len(&r->body, "entities"));
    nmirf_reply_destroy(&r);
    h_note("report.list filters and pages, entity.list in id order");

    /* 5. ask: the broker's answer through the agent. */
    r = ha_ctl(a, 10000, "ask", "{'op':'stats'}");
    H_EXPECT(r, "ok");
    HA_ASSERT(r->body.type == MSGPACK_OBJECT_MAP && r->body.via.map.size > 0);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 10000, "ask", "{'op':'rec.show','body':{'id':'C-0'}}");
    H_EXPECT(r, "ok");
    HA_ASSERT(h_is(&r->body, "assignment.lead", "MJ"));
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 10000, "ask", "{'op':'rec.show','body':{'id':'NOPE'}}");
    HA_ASSERT(!r->ok && strcmp(r->code_name, "not_found") == 0);
    nmirf_reply_destroy(&r);
    r = ha_ctl(a, 5000, "ask", "{'op':'report.submit'}");
    HA_ASSERT(!r->ok && strcmp(r->code_name, "bad_request") == 0);
    nmirf_reply_destroy(&r);
    h_note("ask: stats and rec.show answered by the broker through the agent");

    /* 6. A broker that does not answer. */
    uint64_t at = h_seq(b);
    ha_agent_stop(c);
    h_broker_stop(b);
    /* Nothing on the broker's port: unavailable (the send fails at once,
       or the broker is already counted unreachable). */
    r = ha_ctl(a, 10000, "ask", "{'op':'stats','wait_ms':2000}");
    HA_ASSERTF(!r->ok && strcmp(r->code_name, "unavailable") == 0, "ask, broker down: %s",
               r->code_name);
    nmirf_reply_destroy(&r);
    ha_standin_t *st = ha_standin_new(b, "200", "OK");
    /* Until the agent subscribed at the stand-in (its `connected` alone
       may still be the real broker's last 3 s). */
    s_serve_t sv = {.subscribe_seq = at};
    s_serve(st, &sv, HA_WAIT_MS, s_subscribed);
    HA_ASSERTF(sv.subscribes > 0, "the agent never subscribed at the stand-in");
    for (int64_t end = zclock_mono() + HA_WAIT_MS; !s_connected(a);) {
        HA_ASSERTF(zclock_mono() < end, "the agent never reached the stand-in");
        s_serve(st, &sv, 300, NULL);
    }
    zsock_t *asker = zsock_new_dealer(NULL);
    HA_ASSERT(asker && zsock_connect(asker, "ipc://%s/agent.sock", a->data) == 0);
    msgpack_sbuffer ask;
    msgpack_sbuffer_init(&ask);
    nmirf_ctl_request_t rq = {.op = NMIRF_CTL_ASK};
    snprintf(rq.ask.op, sizeof rq.ask.op, "stats");
    rq.ask.has_wait = true;
    rq.ask.wait_ms = 2000;
    HA_ASSERT(nmirf_ctl_request_encode(&ask, &rq) == 0);
    zframe_t *f = zframe_new(ask.data, ask.size);
    HA_ASSERT(zframe_send(&f, asker, 0) == 0);
    msgpack_sbuffer_destroy(&ask);
    s_serve(st, &sv, HA_WAIT_MS, s_stats_seen);
    HA_ASSERTF(sv.stats == 1, "the stand-in got %d stats", sv.stats);
    /* The ask waits; the agent answers meanwhile. */
    r = ha_ctl(a, 1000, "status", NULL);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    zpoller_t *poller = zpoller_new(asker, NULL);
    HA_ASSERTF(zpoller_wait(poller, 0) == NULL, "the ask was answered before its wait");
    void *ready = NULL;
    for (int64_t end = zclock_mono() + HA_WAIT_MS; !ready && zclock_mono() < end;) {
        s_serve(st, &sv, 100, NULL); /* the pings keep the stand-in heard */
        ready = zpoller_wait(poller, 0);
    }
    zpoller_destroy(&poller);
    HA_ASSERTF(ready, "the ask never got its answer");
    f = zframe_recv(asker);
    char why[256] = "";
    r = f ? nmirf_reply_decode(zframe_data(f), zframe_size(f), why, sizeof why) : NULL;
    zframe_destroy(&f);
    HA_ASSERTF(r && !r->ok && strcmp(r->code_name, "unavailable") == 0, "the ask: %s",
               r ? r->code_name : why);
    nmirf_reply_destroy(&r);
    zsock_destroy(&asker);
    h_note("ask of a broker that does not answer: unavailable after its wait_ms, "
           "status answered meanwhile");

    /* A catch-up read does not hold the control socket (item 6 of the
       task; a figure, printed). The stand-in shows a sequence 5 ahead at
       the next subscribe; the agent reads events.since, which the
       stand-in never answers (it gives up after AGENT_READ_TIMEOUT_MS,
       5 s, and says so in its log). A `status` and a `mine` are answered
       while that read is pending: before its log says it gave up. */
    int gave_up = s_count(a->log_path, READ_GAVE_UP);
    sv.subscribe_seq = at + 5;
    sv.subscribes = 0;
    s_serve(st, &sv, HA_WAIT_MS, s_since_seen);
    HA_ASSERTF(sv.since > 0, "no catch-up read reached the stand-in");
    int64_t t0 = zclock_mono();
    r = ha_ctl(a, 30000, "status", NULL);
    int64_t waited = zclock_mono() - t0;
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    t0 = zclock_mono();
    r = ha_ctl(a, 30000, "mine", NULL);
    int64_t waited_mine = zclock_mono() - t0;
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    HA_ASSERTF(s_count(a->log_path, READ_GAVE_UP) == gave_up,
               "status and mine were answered only after the catch-up read gave up");
    h_note("figure: while a catch-up read waits for a silent broker (it gives up after "
           "5000 ms), a status was answered after %lld ms and a mine after %lld ms",
           (long long)waited, (long long)waited_mine);
    /* The read gives up; the agent goes on serving (the pings are
       answered meanwhile). */
    for (int64_t end = zclock_mono() + HA_WAIT_MS;
         s_count(a->log_path, READ_GAVE_UP) == gave_up;) {
        HA_ASSERTF(zclock_mono() < end, "the catch-up read never gave up");
        s_serve(st, &sv, 200, NULL);
    }
    r = ha_ctl(a, 30000, "status", NULL);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    ha_standin_destroy(&st);
    /* The broker back, with events the agent has not seen (past the
       stand-in's sequence): the replica catches up, gap-free (topic e
       goes on from the last event read, one by one) and equal to the
       broker (digests). */
    h_broker_restart(b);
    for (int i = 0; i < 8; i++)
        H_CALL_CHECK("ok", co, "rec.import",
                     "{'recs': [{'id': 'B-%d', 'mechanism': 'UPR', "
                     "'text': {'en': 'back %d'}}]}",
                     i, i);
    uint8_t bd[NMIRF_HASH_LEN], ad[NMIRF_HASH_LEN];
    uint64_t bseq, aseq;
    ha_broker_digest(co, bd, &bseq);
    ag_wait_seq(a, bseq);
    ha_agent_digest(a, ad, &aseq);
    HA_ASSERTF(aseq == bseq && memcmp(bd, ad, sizeof bd) == 0,
               "after the stall: the broker at %llu, the agent at %llu, digests %s",
               (unsigned long long)bseq, (unsigned long long)aseq,
               memcmp(bd, ad, sizeof bd) ? "differ" : "equal");
    s_event_at(sub, bseq, &last, &e);
    nmirf_notify_event_release(&e);
    h_note("the broker back: the replica caught up to %llu, every event once and in "
           "order on topic e, digest equal to the broker's",
           (unsigned long long)bseq);

    /* 7. A snapshot reload, said on topic e. */
    ha_agent_stop(a);
    zsock_destroy(&sub);
    for (int i = 0; i < 25; i++)
        H_CALL_CHECK("ok", co, "rec.import",
                     "{'recs': [{'id': 'S-%d', 'mechanism': 'UPR', "
                     "'text': {'en': 'snapshot %d'}}]}",
                     i, i);
    uint64_t snap_at = h_seq(b);
    h_broker_stop(b);
    ha_agent_restart(a);
    sub = s_sub_e(a);
    h_sleep_ms(300); /* connected before the broker is back */
    h_broker_restart(b);
    bool seen = false;
    for (int64_t end = zclock_mono() + HA_WAIT_MS * 2; !seen && zclock_mono() < end;) {
        if (!s_next_event(sub, 500, &e))
            continue;
        seen = strcmp(e.kind, NMIRF_NOTIFY_SNAPSHOT) == 0;
        if (seen)
            HA_ASSERTF(e.seq >= snap_at, "snapshot at %llu, the broker at %llu",
                       (unsigned long long)e.seq, (unsigned long long)snap_at);
        nmirf_notify_event_release(&e);
    }
    HA_ASSERTF(seen, "no snapshot message on topic e");
    h_note("a snapshot reload at %llu said on topic e", (unsigned long long)snap_at);

    zsock_destroy(&sub);
    ha_agent_destroy(&a);
    ha_agent_destroy(&c);
    h_broker_destroy(&b);
    printf("agent_console_test: ok\n");
    return 0;
}
