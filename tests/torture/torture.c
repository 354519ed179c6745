/*  torture - crash safety under SIGKILL, many times over (issue 6,
    docs/TESTING.md "Torture").

    torture [--kills N] [--agent-kills N] [--submitters M] [--seed S]
            [--check-every K] NMIRFD NMIRF-AGENT

    1. Broker kills. M submitter threads (one coordinator importing,
       assigning with past deadlines, validating, adding and retitling
       measures; M-1 ministries submitting reports, some with indicator
       values) send
       real signed requests over CURVE to a real nmirfd on fixed loopback
       ports. The main thread SIGKILLs the broker at seeded random moments
       and restarts it; a submitter whose request got no answer resends
       the same bytes until it gets one (PROTOCOL.md section 3). After each
       restart (every K-th with --check-every): every write acknowledged
       so far is in the log exactly once, the log has no gap and its chain
       holds, the offline audit verifier passes, the snapshot equals a
       replay of the log (torture_check.h), and the broker's own deadline
       reminders (scanned every 100 ms) came once per assignment version.
    2. Agent kills. A ministry's nmirf-agent queues report submissions in
       its outbox while the coordinator changes what is assigned to it;
       the agent is SIGKILLed at random moments and restarted. After each
       restart: every submission the agent acknowledged as queued lands at
       the broker exactly once (a submission whose answer the kill cut off
       lands at most once), and the replica's digest converges to the
       broker's. Of every three rounds, the first stops the broker (SIGSTOP)
       before the agent gets its batch, so the agent dies with every send
       unanswered, and then continues it; the second does the same but
       SIGKILLs the stopped broker (the sends it never read die with it:
       only the agent's outbox on disk has them) and restarts it; the third
       gives the agent its batch, then has the coordinator change what is
       assigned to it, and kills the agent 0-25 ms after the last change,
       while its replica may still be applying their events.

    The seed is printed first; the same seed gives the same kill delays
    (the moments still depend on the machine's speed). CI runs a short
    version (tests/torture/CMakeLists.txt); `--kills 5000` is the soak.
*/
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "torture_check.h"

#define T_SUBMITTERS_MAX 16    /* submitter threads at most */
#define T_CALL_MS 1000         /* one try of a request; then it is resent */
#define T_RESEND_MAX_MS 60000  /* a request unanswered this long fails the test */
#define T_ACK_WAIT_MS 20000    /* writes must resume within this after a restart */
#define T_KILL_DELAY_MS 250    /* a kill comes 0..this after writes resumed */
#define T_DOWN_MS 50           /* the broker stays dead 0..this */
#define T_AGENT_BATCH 8        /* submissions per agent round, 1..this */
#define T_AGENT_APPLY_MS 25    /* a continued round's agent kill: 0..this ms */
#define T_AGENT_SUBMITS 100000 /* submissions the agent phase may track */
#define T_SCAN_MS "100"        /* the broker's deadline scan period */

/* One acknowledged write. */
typedef struct {
    uint8_t id[NMIRF_ID_LEN]; /* its request id */
} t_ack_t;

/* A submitter thread: its entity, its own client and what it got acked. */
typedef struct {
    h_entity_t *e;          /* coordinator or ministry (borrowed) */
    char rec[32];           /* the recommendation a ministry reports on */
    uint64_t measure;       /* a measure with an indicator on rec */
    int index;              /* thread number, 0 = the coordinator */
    unsigned rng;           /* its own seeded generator */
    nmirf_client_t *client; /* its connection (survives broker restarts:
                               the ports are fixed, ZeroMQ reconnects) */
    t_ack_t *acks;          /* acknowledged writes, in order */
    size_t cap;             /* room in acks */
    atomic_size_t acked;    /* how many; published after the entry */
    size_t resends;         /* tries that got no answer */
    size_t last_import;     /* n of its last acknowledged TX import, or SIZE_MAX */
} t_submitter_t;

static h_broker_t *s_b;                    /* the broker under test */
static atomic_bool s_stop;                 /* submitters: finish and return */
static atomic_uint_fast64_t s_last_report; /* a report to validate, 0 if none */
static char s_req_ep[64], s_ev_ep[64];     /* fixed endpoints */
static pthread_mutex_t s_acks_lock = PTHREAD_MUTEX_INITIALIZER; /* acks moves */

/* Options. */
static long s_kills = 20, s_agent_kills = 10, s_check_every = 1;
static int s_submitters = 4;
static unsigned s_seed;
static size_t s_measure_events;  /* measure.* events in the log last checked */
static size_t s_deadline_events; /* deadline.* events in it */

/* The body of the next write of submitter t (op set in *op). n numbers
   them, so every write differs. */
static msgpack_sbuffer *
s_next_body(t_submitter_t *t, size_t n, const char **op)
{
    if (t->index > 0) {
        *op = "report.submit";
        if (n % 3 == 0)
            /* A value for the measure's indicator: validated, it becomes
               the measure's progress (measure.updated). */
            return h_pack_json("{'rec': '%s', 'status': 'in_progress', 'narrative': "
                               "'T%d-%zu', 'measure': %llu, 'indicator_values': "
                               "[{'date': '2026-%02zu-01', 'value': %zu.25}]}",
                               t->rec, t->index, n, (unsigned long long)t->measure,
                               1 + n % 12, n);
        return h_pack_json("{'rec': '%s', 'status': '%s', 'narrative': 'T%d-%zu'}",
                           t->rec, n % 2 ? "in_progress" : "implemented", t->index, n);
    }
    uint64_t report = atomic_load(&s_last_report);
    switch (rand_r(&t->rng) % 6) {
    case 4:
        /* A new title each time, so the update always changes the
           measure and makes its event. */
        *op = "measure.update";
        return h_pack_json("{'id': %llu, 'title': 'plan %zu'}",
                           (unsigned long long)(1 + n % (unsigned)(s_submitters - 1)), n);
    case 5:
        if (t->last_import != SIZE_MAX) {
            *op = "measure.add";
            return h_pack_json(
                "{'recs': ['TX/%zu/a', 'TX/%zu/b'], 'title': 'step %zu', 'indicator': "
                "{'name': 'cases', 'baseline': -2, 'target': 1e3, 'schedule': "
                "[{'date': '2027-06-30', 'value': 500}]}}",
                t->last_import, t->last_import, n);
        }
        /* fall through */
    case 0:
        *op = "rec.import";
        return h_pack_json("{'recs': [{'id': 'TX/%zu/a', 'mechanism': 'CAT', 'text': "
                           "{'en': 'new %zu'}}, {'id': 'TX/%zu/b', 'mechanism': "
                           "'UPR', 'text': {'fr': 'nouvelle %zu'}}]}",
                           n, n, n, n);
    case 1:
        if (t->last_import != SIZE_MAX) {
            /* A deadline long past: the broker's next scan (every
               T_SCAN_MS here) emits deadline.overdue for this version of
               the assignment, once, kills or not. */
            *op = "rec.assign";
            return h_pack_json("{'rec': 'TX/%zu/a', 'lead': 'M1', 'note': 'n%zu', "
                               "'deadline': '2020-01-%02zu'}",
                               t->last_import, n, 1 + n % 28);
        }
        /* fall through */
    case 2:
        if (report) {
            *op = "report.validate";
            return h_pack_json("{'report': %llu}", (unsigned long long)report);
        }
        /* fall through */
    default:
        *op = "rec.import";
        return h_pack_json("{'recs': [{'id': 'R/1', 'mechanism': 'UPR', 'text': {'en': "
                           "'rewritten %zu'}}]}",
                           n);
    }
}

/* Sends req through t's client until a reply comes (the same bytes each
   time: a committed write is answered from the store, an uncommitted one
   is judged again). */
static nmirf_reply_t *
s_send_until_answered(t_submitter_t *t, const h_request_t *req)
{
    const uint8_t *frames[2] = {req->env, req->sig};
    size_t sizes[2] = {req->env_len, NMIRF_SIG_LEN};
    for (int waited = 0; waited < T_RESEND_MAX_MS; waited += T_CALL_MS) {
        char why[256];
        nmirf_reply_t *r =
            nmirf_client_call_raw(t->client, frames, sizes, 2, why, sizeof why);
        if (r)
            return r;
        t->resends++;
    }
    h_fail(__FILE__, __LINE__, "submitter %d: no answer in %d ms", t->index,
           T_RESEND_MAX_MS);
}

/* A submitter: writes one at a time until told to stop, keeping the ids
   the broker acknowledged. Refusals it may meet: conflict (a report
   validated twice, an import that changed nothing is ok anyway). */
static void *
s_submitter_run(void *arg)
{
    t_submitter_t *t = arg;
    for (size_t n = 0; !atomic_load(&s_stop); n++) {
        const char *op;
        msgpack_sbuffer *body = s_next_body(t, n, &op);
        uint8_t id[NMIRF_ID_LEN];
        nmirf_random_id(id, sizeof id);
        h_request_t *req =
            h_request_make_packed(t->e, id, op, (uint8_t *)body->data, body->size);
        msgpack_sbuffer_free(body);
        nmirf_reply_t *r = s_send_until_answered(t, req);
        h_request_free(&req);
        h_remember(op, r);
        if (!r->ok) {
            H_ASSERTF(strcmp(op, "report.validate") == 0 &&
                          strcmp(r->code_name, "conflict") == 0,
                      "submitter %d: %s refused: %s %s", t->index, op, r->code_name,
                      r->message);
            nmirf_reply_destroy(&r);
            continue;
        }
        if (strcmp(op, "report.submit") == 0)
            atomic_store(&s_last_report, h_u(&r->body, "report.id"));
        if (strcmp(op, "rec.import") == 0 && h_u(&r->body, "added") == 2)
            t->last_import = n;
        nmirf_reply_destroy(&r);
        size_t k = atomic_load(&t->acked);
        if (k == t->cap) {
            /* The main thread reads entries below `acked` under the lock;
               moving them is done under it too. */
            pthread_mutex_lock(&s_acks_lock);
            t->cap = t->cap ? 2 * t->cap : 1024;
            t->acks = realloc(t->acks, t->cap * sizeof *t->acks);
            pthread_mutex_unlock(&s_acks_lock);
            H_ASSERT(t->acks);
        }
        memcpy(t->acks[k].id, id, NMIRF_ID_LEN);
        atomic_store(&t->acked, k + 1);
    }
    return NULL;
}

/* Total acknowledged writes of ts[0..n). */
static size_t
s_total_acked(t_submitter_t *ts, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += atomic_load(&ts[i].acked);
    return total;
}

/* The checks after a restart: every write acknowledged before the log
   was read is in it exactly once; the log, chain, audit and replay hold
   (tc_check_all). Returns the log's length. */
static size_t
s_check_broker(t_submitter_t *ts, int n)
{
    size_t counts[T_SUBMITTERS_MAX];
    for (int i = 0; i < n; i++)
        counts[i] = atomic_load(&ts[i].acked);
    tc_log_t *log = tc_check_all(s_b);
    pthread_mutex_lock(&s_acks_lock);
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < counts[i]; k++) {
            size_t found = tc_log_req_count(log, ts[i].acks[k].id);
            if (found != 1) {
                pthread_mutex_unlock(&s_acks_lock);
                h_fail(__FILE__, __LINE__,
                       "seed %u: submitter %d's acknowledged write %zu is in the log "
                       "%zu times",
                       s_seed, i, k, found);
            }
        }
    pthread_mutex_unlock(&s_acks_lock);
    size_t events = log->n;
    s_measure_events = 0;
    s_deadline_events = 0;
    /* Each deadline reminder comes once per assignment version (its
       assigned time and deadline), however often the broker died. */
    zhashx_t *seen = zhashx_new();
    H_ASSERT(seen);
    for (size_t i = 0; i < log->n; i++) {
        const nmirf_event_t *ev = log->evs[i];
        s_measure_events += strncmp(ev->kind, "measure.", 8) == 0;
        if (strncmp(ev->kind, "deadline.", 9) != 0)
            continue;
        s_deadline_events++;
        char key[256], rec[80] = "", deadline[16] = "";
        nmirf_mp_strcpy(h_get(&ev->data, "rec"), rec, sizeof rec);
        nmirf_mp_strcpy(h_get(&ev->data, "deadline"), deadline, sizeof deadline);
        snprintf(key, sizeof key, "%s %s %llu %s", ev->kind, rec,
                 (unsigned long long)h_u(&ev->data, "assigned"), deadline);
        H_ASSERTF(!zhashx_lookup(seen, key), "seed %u: %s emitted twice (event %llu)",
                  s_seed, key, (unsigned long long)ev->seq);
        zhashx_insert(seen, key, (void *)1);
    }
    zhashx_destroy(&seen);
    tc_log_destroy(&log);
    return events;
}

/* Waits until the submitters got at least `more` acks beyond `from`. */
static void
s_wait_acks(t_submitter_t *ts, int n, size_t from, size_t more)
{
    for (int waited = 0; s_total_acked(ts, n) < from + more; waited += 5) {
        H_ASSERTF(waited < T_ACK_WAIT_MS, "seed %u: no write acknowledged in %d ms",
                  s_seed, T_ACK_WAIT_MS);
        h_sleep_ms(5);
    }
}

/* Phase 1: the broker SIGKILLed s_kills times under load. */
static void
s_broker_kills(void)
{
    snprintf(s_req_ep, sizeof s_req_ep, "tcp://127.0.0.1:%d", ha_free_port());
    snprintf(s_ev_ep, sizeof s_ev_ep, "tcp://127.0.0.1:%d", ha_free_port());
    const char *args[] = {"-r", s_req_ep, "-e", s_ev_ep, NULL};
    setenv("NMIRFD_DEADLINE_SCAN_MS", T_SCAN_MS, 1);
    s_b = h_broker_start_with(NULL, args);

    static t_submitter_t ts[T_SUBMITTERS_MAX];
    ts[0].e = h_coord(s_b);
    for (int i = 1; i < s_submitters; i++) {
        char id[16];
        snprintf(id, sizeof id, "M%d", i);
        ts[i].e = h_enroll(s_b, id, "ministry");
        snprintf(ts[i].rec, sizeof ts[i].rec, "R/%d", i);
        H_CALL_CHECK("ok", h_coord(s_b), "rec.import",
                     "{'recs': [{'id': '%s', 'mechanism': 'UPR', 'text': {'en': 'r'}}]}",
                     ts[i].rec);
        H_CALL_CHECK("ok", h_coord(s_b), "rec.assign",
                     "{'rec': '%s', 'lead': '%s', 'contributors': []}", ts[i].rec, id);
        nmirf_reply_t *r = H_CALL_EXPECT(
            "ok", h_coord(s_b), "measure.add",
            "{'recs': ['%s'], 'title': 'plan', 'indicator': {'name': 'share', 'unit': "
            "'%%', 'target': 100, 'schedule': [{'date': '2027-01-01', 'value': 100}]}}",
            ts[i].rec);
        ts[i].measure = h_u(&r->body, "measure.id");
        H_ASSERT(ts[i].measure == (uint64_t)i); /* measure.update counts on it */
        nmirf_reply_destroy(&r);
    }
    pthread_t threads[T_SUBMITTERS_MAX];
    for (int i = 0; i < s_submitters; i++) {
        ts[i].index = i;
        ts[i].rng = s_seed + (unsigned)i;
        ts[i].last_import = SIZE_MAX;
        ts[i].client =
            nmirf_client_new(s_req_ep, &ts[i].e->key, s_b->server_key, T_CALL_MS);
        H_ASSERT(ts[i].client);
        H_ASSERT(pthread_create(&threads[i], NULL, s_submitter_run, &ts[i]) == 0);
    }

    unsigned rng = s_seed;
    size_t events = 0;
    for (long k = 1; k <= s_kills; k++) {
        s_wait_acks(ts, s_submitters, s_total_acked(ts, s_submitters), 1);
        h_sleep_ms((unsigned)(rand_r(&rng) % T_KILL_DELAY_MS));
        h_broker_kill(s_b);
        h_sleep_ms((unsigned)(rand_r(&rng) % T_DOWN_MS));
        h_broker_restart(s_b);
        bool check = k % s_check_every == 0 || k == s_kills;
        if (check)
            events = s_check_broker(ts, s_submitters);
        if (check || k % 100 == 0)
            printf("kill %ld/%ld: %zu writes acknowledged, %zu events%s\n", k, s_kills,
                   s_total_acked(ts, s_submitters), events, check ? ", checked" : "");
    }
    atomic_store(&s_stop, true);
    size_t resends = 0;
    for (int i = 0; i < s_submitters; i++) {
        H_ASSERT(pthread_join(threads[i], NULL) == 0);
        nmirf_client_destroy(&ts[i].client);
        resends += ts[i].resends;
    }
    events = s_check_broker(ts, s_submitters);
    h_note("broker: %ld SIGKILLs, %zu writes acknowledged, each exactly once in a "
           "%zu-event log (%zu measure events, %zu deadline reminders each once); chain, "
           "audit and replay hold (%zu tries resent)",
           s_kills, s_total_acked(ts, s_submitters), events, s_measure_events,
           s_deadline_events, resends);
    for (int i = 0; i < s_submitters; i++)
        free(ts[i].acks);
    h_broker_destroy(&s_b);
}

/* How many of MA's reports at the broker have narrative "AG-<n>", for
   each n < total, into counts. */
static void
s_count_agent_reports(h_broker_t *b, size_t *counts, size_t total)
{
    memset(counts, 0, total * sizeof *counts);
    nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(b), "report.list",
                                     "{'entity': 'MA', 'limit': 100000}");
    const msgpack_object *reps = h_get(&r->body, "reports");
    HA_ASSERT(reps && reps->type == MSGPACK_OBJECT_ARRAY);
    for (uint32_t i = 0; i < reps->via.array.size; i++) {
        const msgpack_object *nar = h_get(&reps->via.array.ptr[i], "narrative");
        HA_ASSERT(nar && nar->type == MSGPACK_OBJECT_STR);
        char text[32];
        size_t len =
            nar->via.str.size < sizeof text - 1 ? nar->via.str.size : sizeof text - 1;
        memcpy(text, nar->via.str.ptr, len);
        text[len] = '\0';
        unsigned long n;
        HA_ASSERTF(sscanf(text, "AG-%lu", &n) == 1 && n < total,
                   "unexpected report narrative %s", text);
        counts[n]++;
    }
    nmirf_reply_destroy(&r);
}

/* Validates one of MA's submitted reports at b, if it has one: a status
   for the replica, and the measure's progress if the report gave a
   value. */
static void
s_validate_one(h_broker_t *b)
{
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", h_coord(b), "report.list",
                      "{'entity': 'MA', 'state': 'submitted', 'limit': 1}");
    const msgpack_object *reps = h_get(&r->body, "reports");
    HA_ASSERT(reps && reps->type == MSGPACK_OBJECT_ARRAY);
    if (reps->via.array.size > 0)
        H_CALL_CHECK("ok", h_coord(b), "report.validate", "{'report': %llu}",
                     (unsigned long long)h_u(&reps->via.array.ptr[0], "id"));
    nmirf_reply_destroy(&r);
}

/* Something for MA's replica to apply in agent round k: a
   recommendation imported and assigned to MA, measure 1 retitled, one of
   MA's reports validated. */
static void
s_replica_work(h_broker_t *b, long k)
{
    H_CALL_CHECK("ok", h_coord(b), "rec.import",
                 "{'recs': [{'id': 'AG-K%ld', 'mechanism': 'CRC', 'text': {'en': "
                 "'k'}}]}",
                 k);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign",
                 "{'rec': 'AG-K%ld', 'lead': 'MA', 'note': 'kill %ld'}", k, k);
    H_CALL_CHECK("ok", h_coord(b), "measure.update", "{'id': 1, 'title': 'kill %ld'}", k);
    s_validate_one(b);
}

/* Phase 2: the agent SIGKILLed s_agent_kills times while it sends its
   outbox and applies events. */
static void
s_agent_kills_run(void)
{
    snprintf(s_req_ep, sizeof s_req_ep, "tcp://127.0.0.1:%d", ha_free_port());
    snprintf(s_ev_ep, sizeof s_ev_ep, "tcp://127.0.0.1:%d", ha_free_port());
    const char *args[] = {"-r", s_req_ep, "-e", s_ev_ep, NULL};
    h_broker_t *b = h_broker_start_with(NULL, args);
    h_entity_t *m = ha_setup_ministry(b, "MA", "AG", 1);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec': 'AG-0', 'lead': 'MA'}");
    H_CALL_CHECK("ok", h_coord(b), "measure.add",
                 "{'recs': ['AG-0'], 'title': 'plan', 'indicator': {'name': 'n', "
                 "'target': 10, 'schedule': []}}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);

    /* queued[n]: the agent acknowledged submission n as queued. */
    bool *queued = calloc(T_AGENT_SUBMITS, sizeof *queued);
    size_t *counts = calloc(T_AGENT_SUBMITS, sizeof *counts);
    HA_ASSERT(queued && counts);
    size_t submitted = 0, acked = 0;
    unsigned rng = s_seed ^ 0x5eedu;
    for (long k = 1; k <= s_agent_kills; k++) {
        unsigned batch = 1 + rand_r(&rng) % T_AGENT_BATCH;
        /* Rounds 1, 4, 7...: the broker continued after the kill; 2, 5,
           8...: killed too. Their changes come before the broker stops. */
        bool stopped = k % 3 != 0;
        if (stopped) {
            s_replica_work(b, k);
            HA_ASSERT(kill(b->pid, SIGSTOP) == 0);
        }
        for (unsigned i = 0; i < batch && submitted < T_AGENT_SUBMITS; i++, submitted++) {
            /* Every other one gives a value for measure 1's indicator. */
            char extra[96] = "";
            if (submitted % 2)
                snprintf(extra, sizeof extra,
                         ", 'measure': 1, 'indicator_values': [{'date': '2026-01-%02zu', "
                         "'value': %zu}]",
                         1 + submitted % 28, submitted);
            /* The broker may be stopped: the agent answers at once (its
               reads do not block its loop), but give it room on a loaded
               machine. */
            nmirf_reply_t *r =
                ha_ctl(a, 15000, "submit",
                       "{'op': 'report.submit', 'wait_ms': 0, 'body': {'rec': 'AG-0', "
                       "'status': 'in_progress', 'narrative': 'AG-%zu'%s}}",
                       submitted, extra);
            H_EXPECT(r, "ok");
            HA_ASSERT(ag_bool(r, "queued"));
            queued[submitted] = true;
            acked++;
            nmirf_reply_destroy(&r);
        }
        if (stopped) {
            /* The broker reads nothing of this batch: the agent is killed
               with all of it sent and unanswered. */
            ag_wait_all_sent(a, SIZE_MAX);
            ha_agent_kill(a);
            if (k % 3 == 2) {
                h_broker_kill(b); /* the unread sends die with it */
                h_broker_restart(b);
            } else
                HA_ASSERT(kill(b->pid, SIGCONT) == 0);
            ha_agent_restart(a);
        } else {
            /* The changes after the batch: their events reach the agent
               as it sends the batch, and the kill (0 to T_AGENT_APPLY_MS
               after the last reply) may land while the replica applies
               them. Before the batch, the batch's control requests would
               wait for the applying to end (one thread), and so would the
               kill. */
            s_replica_work(b, k);
            h_sleep_ms((unsigned)(rand_r(&rng) % T_AGENT_APPLY_MS));
            ha_agent_kill(a);
            ha_agent_restart(a);
        }
        if (k % s_check_every != 0 && k != s_agent_kills)
            continue;
        ag_wait_outbox_empty(a);
        uint64_t seq;
        uint8_t want[NMIRF_HASH_LEN], got[NMIRF_HASH_LEN];
        ha_broker_digest(h_coord(b), want, &seq);
        ag_wait_seq(a, seq);
        uint64_t aseq;
        ha_agent_digest(a, got, &aseq);
        HA_ASSERTF(
            aseq == seq && memcmp(want, got, sizeof want) == 0,
            "seed %u: after agent kill %ld the replica (seq %llu) differs from the "
            "broker (seq %llu)",
            s_seed, k, (unsigned long long)aseq, (unsigned long long)seq);
        s_count_agent_reports(b, counts, submitted);
        for (size_t n = 0; n < submitted; n++)
            HA_ASSERTF(queued[n] ? counts[n] == 1 : counts[n] <= 1,
                       "seed %u: submission AG-%zu landed %zu times", s_seed, n,
                       counts[n]);
    }
    tc_log_t *log = tc_check_all(b);
    h_note("agent: %ld SIGKILLs, %zu submissions queued, each landed exactly once; "
           "replica digest equal to the broker's at seq %zu",
           s_agent_kills, acked, log->n);
    tc_log_destroy(&log);
    free(queued);
    free(counts);
    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
}

/* Reads the value of option argv[*i] as a non-negative number (moving *i
   past it) or exits 2. */
static long
s_number(int argc, char **argv, int *i)
{
    const char *flag = argv[*i];
    const char *value = *i + 1 < argc ? argv[++*i] : NULL;
    char *end;
    long n = value ? strtol(value, &end, 10) : -1;
    if (!value || *end || n < 0) {
        fprintf(stderr, "torture: %s needs a non-negative number\n", flag);
        exit(2);
    }
    return n;
}

int
main(int argc, char **argv)
{
    s_seed = (unsigned)nmirf_now_ms();
    char *bins[4] = {argv[0], NULL, NULL, NULL};
    int nbins = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kills") == 0)
            s_kills = s_number(argc, argv, &i);
        else if (strcmp(argv[i], "--agent-kills") == 0)
            s_agent_kills = s_number(argc, argv, &i);
        else if (strcmp(argv[i], "--submitters") == 0)
            s_submitters = (int)s_number(argc, argv, &i);
        else if (strcmp(argv[i], "--seed") == 0)
            s_seed = (unsigned)s_number(argc, argv, &i);
        else if (strcmp(argv[i], "--check-every") == 0)
            s_check_every = s_number(argc, argv, &i);
        else if (argv[i][0] != '-' && nbins < 3)
            bins[nbins++] = argv[i];
        else {
            fprintf(stderr,
                    "usage: torture [--kills N] [--agent-kills N] [--submitters M] "
                    "[--seed S] [--check-every K] NMIRFD NMIRF-AGENT\n");
            return 2;
        }
    }
    if (s_submitters < 2 || s_submitters > T_SUBMITTERS_MAX || s_check_every < 1) {
        fprintf(stderr, "torture: --submitters 2..%d, --check-every >= 1\n",
                T_SUBMITTERS_MAX);
        return 2;
    }
    /* The watchdog: a generous bound per kill, never a timing assertion. */
    unsigned seconds = (unsigned)(120 + 10 * (s_kills + s_agent_kills));
    ha_init(nbins, bins, seconds);
    printf("torture: seed %u, %ld broker kills, %ld agent kills, %d submitters "
           "(rerun with --seed %u)\n",
           s_seed, s_kills, s_agent_kills, s_submitters, s_seed);
    if (s_kills > 0)
        s_broker_kills();
    if (s_agent_kills > 0)
        s_agent_kills_run();
    return 0;
}
