/*  subscriber_test - the PUB side (PROTOCOL.md section 7), the public
    feed: during a burst of concurrent writes (ministries' submitted
    reports, not public, and the coordinator's imports, public), a
    subscriber on "ev/" sees exactly the public events, in order, byte for
    byte as events.since returns them, and none of the others; one
    subscribed to every topic ("") sees the same and nothing else (no
    per-entity "to/" topic); heartbeats on "hb" carry the latest sequence.
*/
#include "harness.h"

#include <czmq.h>
#include <pthread.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_util.h"

#define WRITERS 5        /* concurrent ministries */
#define REPORTS_EACH 40  /* reports each one submits */
#define HB_WAIT_MS 2500  /* a heartbeat comes every second; allow 2.5 s */
#define RECV_STEP_MS 100 /* one receive waits at most this */
#define DRAIN_MS 5000    /* every published event must arrive within this */
#define QUIET_MS 300     /* after the last expected event, nothing more */

static h_broker_t *b;                /* the broker under test */
static h_entity_t *writers[WRITERS]; /* MJ, MI, MS, ME, MH */
static const char *const ids[WRITERS] = {"MJ", "MI", "MS", "ME", "MH"};

/* A SUB socket on the broker's events endpoint with subscriptions a and
   "hb", and a receive high-water mark above anything this test sends. */
static zsock_t *
subscriber(const char *prefix)
{
    /* The options before the connect: as the coordinator, over CURVE. */
    zsock_t *sub = zsock_new(ZMQ_SUB);
    H_ASSERT(sub);
    H_ASSERT(nmirf_client_curve(sub, &h_coord(b)->key, b->server_key) == 0);
    zsock_set_rcvhwm(sub, 100000);
    zsock_set_rcvtimeo(sub, RECV_STEP_MS);
    zsock_set_subscribe(sub, prefix);
    zsock_set_subscribe(sub, "hb");
    H_ASSERTF(zsock_connect(sub, "%s", b->events_ep) == 0, "connect SUB to %s",
              b->events_ep);
    return sub;
}

/* Receives one message (waits at most RECV_STEP_MS). If it is a heartbeat,
   stores its seq in *hb_seq, sets *ev to NULL and returns true; if an
   event, checks the topic is prefix + kind and returns it decoded in *ev.
   Returns false if nothing came. */
static bool
receive(zsock_t *sub, const char *prefix, nmirf_event_t **ev, uint64_t *hb_seq)
{
    *ev = NULL;
    zmsg_t *msg = zmsg_recv(sub);
    if (!msg)
        return false;
    H_ASSERTF(zmsg_size(msg) == 2, "published message has %zu frames", zmsg_size(msg));
    char *topic = zframe_strdup(zmsg_first(msg));
    zframe_t *frame = zmsg_next(msg);
    char why[256] = "";
    if (strcmp(topic, "hb") == 0) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 256);
        msgpack_object obj;
        H_ASSERTF(nmirf_mp_unpack(zframe_data(frame), zframe_size(frame), &zone, &obj,
                                  why, sizeof why) == NMIRF_OK,
                  "heartbeat does not decode: %s", why);
        *hb_seq = h_u(&obj, "seq");
        H_ASSERT(*hb_seq != UINT64_MAX && h_u(&obj, "ts") != UINT64_MAX);
        msgpack_zone_destroy(&zone);
    } else {
        *ev = nmirf_event_decode(zframe_data(frame), zframe_size(frame), why, sizeof why);
        H_ASSERTF(*ev, "event on topic %s does not decode: %s", topic, why);
        char want[128];
        snprintf(want, sizeof want, "%s%s", prefix, (*ev)->kind);
        H_ASSERTF(strcmp(topic, want) == 0, "event %llu on topic %s, expected %s",
                  (unsigned long long)(*ev)->seq, topic, want);
    }
    free(topic);
    zmsg_destroy(&msg);
    return true;
}

/* Waits until a heartbeat with seq >= min comes on sub (at most
   HB_WAIT_MS), dropping events; returns its seq. */
static uint64_t
wait_heartbeat(zsock_t *sub, const char *prefix, uint64_t min)
{
    uint64_t start = nmirf_now_ms(), hb = 0;
    while (nmirf_now_ms() - start < HB_WAIT_MS) {
        nmirf_event_t *ev;
        hb = UINT64_MAX;
        if (receive(sub, prefix, &ev, &hb) && !ev && hb >= min)
            return hb;
        nmirf_event_destroy(&ev);
    }
    h_fail(__FILE__, __LINE__, "no heartbeat with seq >= %llu within %d ms on %s",
           (unsigned long long)min, HB_WAIT_MS, prefix);
}

/* Collects from sub, for at most DRAIN_MS, the events numbered after
   since in the order they come; stops once it has want of them and
   QUIET_MS passed with nothing more. Fails on a duplicate or out of order
   event. Returns how many it got into out (at most cap). */
static size_t
collect(zsock_t *sub, const char *prefix, uint64_t since, size_t want,
        nmirf_event_t **out, size_t cap)
{
    size_t n = 0;
    uint64_t start = nmirf_now_ms(), quiet_since = 0;
    while (nmirf_now_ms() - start < DRAIN_MS) {
        if (n >= want) {
            if (!quiet_since)
                quiet_since = nmirf_now_ms();
            else if (nmirf_now_ms() - quiet_since >= QUIET_MS)
                break;
        }
        nmirf_event_t *ev;
        uint64_t hb;
        if (!receive(sub, prefix, &ev, &hb) || !ev)
            continue;
        if (ev->seq <= since) { /* published before the burst */
            nmirf_event_destroy(&ev);
            continue;
        }
        H_ASSERTF(n < cap, "more than %zu events on %s", cap, prefix);
        H_ASSERTF(n == 0 || ev->seq > out[n - 1]->seq, "on %s event %llu came after %llu",
                  prefix, (unsigned long long)ev->seq,
                  (unsigned long long)out[n - 1]->seq);
        out[n++] = ev;
    }
    return n;
}

/* One ministry's burst: REPORTS_EACH reports; MI alternates between its
   own recommendation and MJ's, where it contributes. Every tenth time it
   also tries one on MH's, which is refused and must publish nothing. */
static void *
writer_run(void *arg)
{
    h_entity_t *e = arg;
    for (int i = 0; i < REPORTS_EACH; i++) {
        const char *owner = strcmp(e->id, "MI") == 0 && i % 2 ? "MJ" : e->id;
        H_CALL_CHECK("ok", e, "report.submit",
                     "{'rec': 'REC/%s', 'status': 'in_progress', 'narrative': 'n %d'}",
                     owner, i);
        if (i % 10 == 0 && strcmp(e->id, "MH") != 0)
            H_CALL_CHECK("forbidden", e, "report.submit",
                         "{'rec': 'REC/MH', 'status': 'implemented', 'narrative': 'no'}");
    }
    return NULL;
}

/* The coordinator's part of the burst: REPORTS_EACH imports, each a
   public rec.added event. */
static void *
importer_run(void *arg)
{
    h_entity_t *e = arg;
    for (int i = 0; i < REPORTS_EACH; i++)
        H_CALL_CHECK("ok", e, "rec.import",
                     "{'recs': [{'id': 'PUB/%d', 'mechanism': 'CAT', "
                     "'text': {'en': 'x'}}]}",
                     i);
    return NULL;
}

/* True if kind is on the public feed (PROTOCOL.md section 7). */
static bool
is_public(const char *kind)
{
    return strcmp(kind, "rec.added") == 0 || strcmp(kind, "rec.updated") == 0 ||
           strcmp(kind, "assignment.set") == 0 || strcmp(kind, "report.validated") == 0;
}

/* Enrolls the ministries and gives each its recommendation REC/ID; MI
   contributes to REC/MJ. */
static void
setup(void)
{
    b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    char recs[2048] = "{'recs': [";
    for (int i = 0; i < WRITERS; i++) {
        writers[i] = h_enroll(b, ids[i], "ministry");
        char one[128];
        snprintf(one, sizeof one,
                 "%s{'id': 'REC/%s', 'mechanism': 'UPR', 'text': {'en': 'x'}}",
                 i ? "," : "", ids[i]);
        strcat(recs, one);
    }
    strcat(recs, "]}");
    H_CALL_CHECK("ok", coord, "rec.import", "%s", recs);
    for (int i = 0; i < WRITERS; i++)
        H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'REC/%s', 'lead': '%s'%s}",
                     ids[i], ids[i], i == 0 ? ", 'contributors': ['MI']" : "");
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 55);
    setup();

    zsock_t *all = subscriber("ev/");
    zsock_t *every = subscriber(""); /* every topic the PUB has */
    /* The slow joiner: a heartbeat through each socket proves that its
       subscription reached the broker, so no event of the burst is lost. */
    uint64_t since = h_seq(b);
    uint64_t t0 = nmirf_now_ms();
    H_ASSERTF(wait_heartbeat(all, "ev/", since) == since, "heartbeat seq is not latest");
    H_ASSERTF(wait_heartbeat(every, "ev/", since) == since,
              "heartbeat seq is not latest");
    h_note("heartbeats with seq %llu within %llu ms", (unsigned long long)since,
           (unsigned long long)(nmirf_now_ms() - t0));

    pthread_t threads[WRITERS + 1];
    for (int i = 0; i < WRITERS; i++)
        H_ASSERT(pthread_create(&threads[i], NULL, writer_run, writers[i]) == 0);
    H_ASSERT(pthread_create(&threads[WRITERS], NULL, importer_run, h_coord(b)) == 0);
    for (int i = 0; i <= WRITERS; i++)
        H_ASSERT(pthread_join(threads[i], NULL) == 0);
    uint64_t latest = h_seq(b);
    H_ASSERT(latest == since + (WRITERS + 1) * REPORTS_EACH);

    nmirf_event_t **log;
    size_t n = h_events(h_coord(b), since, &log);
    H_ASSERT(n == (WRITERS + 1) * REPORTS_EACH);
    H_CHECK_CHAIN(log, n, NULL);
    nmirf_event_t *pub[(WRITERS + 1) * REPORTS_EACH]; /* borrowed from log */
    size_t n_pub = 0;
    for (size_t i = 0; i < n; i++)
        if (is_public(log[i]->kind))
            pub[n_pub++] = log[i];
    H_ASSERTF(n_pub == REPORTS_EACH, "%zu public events of %zu", n_pub, n);

    zsock_t *subs[2] = {all, every};
    nmirf_event_t *got[(WRITERS + 1) * REPORTS_EACH + 1];
    for (int s_i = 0; s_i < 2; s_i++) {
        const char *name = s_i ? "\"\"" : "ev/";
        size_t n_got = collect(subs[s_i], "ev/", since, n_pub, got, n + 1);
        H_ASSERTF(n_got == n_pub,
                  "subscriber on %s got %zu events, the public ones are %zu", name, n_got,
                  n_pub);
        for (size_t i = 0; i < n_got; i++) {
            H_ASSERTF(got[i]->seq == pub[i]->seq, "%s event %zu has seq %llu, not %llu",
                      name, i, (unsigned long long)got[i]->seq,
                      (unsigned long long)pub[i]->seq);
            H_ASSERTF(got[i]->len == pub[i]->len &&
                          memcmp(got[i]->bytes, pub[i]->bytes, pub[i]->len) == 0,
                      "published event %llu differs from events.since",
                      (unsigned long long)got[i]->seq);
            nmirf_event_destroy(&got[i]);
        }
        h_note("%s: the %zu public events of %zu from %d writers, in order, same bytes; "
               "no submitted report, no refusal, no per-entity topic",
               name, n_pub, n, WRITERS + 1);
    }

    t0 = nmirf_now_ms();
    H_ASSERT(wait_heartbeat(all, "ev/", latest) == latest);
    h_note("heartbeat with the latest seq %llu within %llu ms",
           (unsigned long long)latest, (unsigned long long)(nmirf_now_ms() - t0));

    h_events_free(&log, n);
    zsock_destroy(&every);
    zsock_destroy(&all);
    h_broker_destroy(&b);
    return 0;
}
