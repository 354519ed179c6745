/*  service_stop_test - SIGTERM under pipelined load (issue 7: "a shutdown
    by SIGTERM finishes in-flight commits and says so").

    Several ministries submit reports as fast as the broker answers, each
    keeping S_WINDOW requests in flight on its own raw DEALER; the broker
    gets SIGTERM at a random moment while they write. Each round checks:
    nmirfd exits 0 and logs "stopping: ... store closed"; `nmirf audit
    verify --data` passes on the stopped store; after a restart the event
    log has no gap and its chain holds, every acknowledged write is there
    exactly once under the sequence number its reply gave, and every write
    that got no answer is there at most once. Then every unanswered write
    is sent again with the same bytes: one already committed gets its
    first reply and makes no event, one absent is committed now; some
    acknowledged writes are resent too and make no event.

    No time is asserted; every wait is bounded in count and time. A
    failure prints the broker's log (the harness).

    usage: service_stop_test NMIRFD NMIRF
*/
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"

#define S_SUBMITTERS 4      /* ministries writing at once */
#define S_WINDOW 8          /* requests each keeps in flight */
#define S_WRITES_MAX 20000  /* requests one submitter may make in a round */
#define S_ROUNDS 3          /* SIGTERMs */
#define S_MIN_ACKS 40       /* stop only after this many acks in a round... */
#define S_ACK_WAIT_MS 10000 /* ...which must come within this */
#define S_QUIET_MS 1000     /* after the stop, a submitter waits this for late replies */
#define S_STALL_MS 10000    /* before the stop, no reply for this long fails */
#define S_RESEND_ACKED 5    /* acknowledged writes each submitter resends */

/* Where one request stands. */
typedef enum {
    S_MADE,  /* built, never sent */
    S_SENT,  /* sent, no answer yet */
    S_ACKED, /* answered ok */
} s_state_t;

/* One write and what became of it. */
typedef struct {
    h_request_t *req; /* the signed frames, kept to resend as they are */
    s_state_t state;  /* see s_state_t */
    uint64_t seq;     /* the reply's sequence number, if acknowledged */
    uint64_t report;  /* the report id it gave */
} s_write_t;

/* One ministry writing on its own DEALER, in its own thread. */
typedef struct {
    h_entity_t *e;                  /* the ministry */
    char rec[16];                   /* the recommendation it reports on */
    zsock_t *dealer;                /* its raw connection, made per round */
    s_write_t writes[S_WRITES_MAX]; /* its requests this round */
    size_t made;                    /* how many */
    atomic_size_t acked;            /* how many were answered ok */
    pthread_t thread;               /* the thread running s_submit */
} s_submitter_t;

static h_broker_t *b;                      /* the broker under test */
static const char *s_nmirf;                /* the CLI, for audit verify */
static s_submitter_t s_subs[S_SUBMITTERS]; /* the writers */
static atomic_bool s_stopped;              /* set once the broker has exited */

/* Sends w's two frames without blocking. False if the DEALER would block
   (no broker to send to). */
static bool
s_send(zsock_t *dealer, const s_write_t *w)
{
    void *sock = zsock_resolve(dealer);
    if (zmq_send(sock, w->req->env, w->req->env_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return false;
    /* The first frame was queued, so the rest of the message is too. */
    H_ASSERT(zmq_send(sock, w->req->sig, NMIRF_SIG_LEN, ZMQ_DONTWAIT) == NMIRF_SIG_LEN);
    return true;
}

/* The write of s whose request id the reply carries, or NULL. */
static s_write_t *
s_find(s_submitter_t *s, const nmirf_reply_t *r)
{
    if (!r->has_id)
        return NULL;
    for (size_t i = s->made; i-- > 0;)
        if (memcmp(s->writes[i].req->id, r->id, NMIRF_ID_LEN) == 0)
            return &s->writes[i];
    return NULL;
}

/* Receives one reply on s's DEALER and records it. */
static void
s_take_reply(s_submitter_t *s)
{
    zmsg_t *msg = zmsg_recv(s->dealer);
    H_ASSERT(msg);
    zframe_t *frame = zmsg_last(msg);
    char why[256] = "";
    nmirf_reply_t *r = frame ? nmirf_reply_decode(zframe_data(frame), zframe_size(frame),
                                                  why, sizeof why)
                             : NULL;
    zmsg_destroy(&msg);
    H_ASSERTF(r, "%s: unreadable reply: %s", s->e->id, why);
    h_remember("report.submit (pipelined)", r);
    H_EXPECT(r, "ok");
    s_write_t *w = s_find(s, r);
    H_ASSERTF(w && w->state == S_SENT, "%s: a reply to no write in flight", s->e->id);
    w->state = S_ACKED;
    w->seq = r->seq;
    w->report = h_u(&r->body, "report.id");
    H_ASSERT(w->report != UINT64_MAX);
    atomic_fetch_add(&s->acked, 1);
    nmirf_reply_destroy(&r);
}

/* Thread: keeps S_WINDOW report.submit requests in flight until the broker
   has stopped and no reply came for S_QUIET_MS (or S_WRITES_MAX). */
static void *
s_submit(void *arg)
{
    s_submitter_t *s = arg;
    zpoller_t *poller = zpoller_new(s->dealer, NULL);
    H_ASSERT(poller);
    size_t inflight = 0;
    int64_t last_reply = zclock_mono();
    for (;;) {
        while (inflight < S_WINDOW && !atomic_load(&s_stopped)) {
            /* A write the DEALER refused is tried again before a new one. */
            s_write_t *w = s->made ? &s->writes[s->made - 1] : NULL;
            if (!w || w->state != S_MADE) {
                if (s->made == S_WRITES_MAX)
                    break;
                w = &s->writes[s->made++];
                w->req = h_request_make(s->e, "report.submit",
                                        "{'rec': '%s', 'status': 'in_progress', "
                                        "'narrative': 'write %zu'}",
                                        s->rec, s->made);
                w->state = S_MADE;
            }
            if (!s_send(s->dealer, w))
                break; /* no broker to send to: wait for replies or the stop */
            w->state = S_SENT;
            inflight++;
        }
        if (zpoller_wait(poller, 50)) {
            s_take_reply(s);
            inflight--;
            last_reply = zclock_mono();
            continue;
        }
        H_ASSERTF(!zpoller_terminated(poller), "interrupted");
        int64_t quiet = zclock_mono() - last_reply;
        if (atomic_load(&s_stopped) && quiet >= S_QUIET_MS)
            break;
        H_ASSERTF(atomic_load(&s_stopped) || quiet < S_STALL_MS,
                  "%s: no reply for %d ms while the broker ran", s->e->id, S_STALL_MS);
        if (s->made == S_WRITES_MAX && inflight == 0)
            break;
    }
    zpoller_destroy(&poller);
    return NULL;
}

/* Enrolls the ministries and gives each its own recommendation. */
static void
s_setup(void)
{
    b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    for (int i = 0; i < S_SUBMITTERS; i++) {
        s_submitter_t *s = &s_subs[i];
        char id[16];
        snprintf(id, sizeof id, "M%d", i);
        snprintf(s->rec, sizeof s->rec, "UPR4/%d.1", i);
        s->e = h_enroll(b, id, "ministry");
        H_CALL_CHECK("ok", coord, "rec.import",
                     "{'recs': [{'id': '%s', 'mechanism': 'UPR', 'text': {'en': 'R'}}]}",
                     s->rec);
        H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': '%s', 'lead': '%s'}", s->rec,
                     id);
    }
}

/* N of the broker's last line, "stopping: N requests in flight committed
   and answered, store closed", or -1 if its last "stopping: " line is not
   that one. */
static long
s_last_batch(void)
{
    size_t len;
    char *log = nmirf_read_file(b->log_path, &len);
    const char *key = "stopping: ", *last = NULL;
    for (const char *p = log; p && (p = strstr(p, key)); p += strlen(key))
        last = p;
    long n = -1;
    if (last) {
        char *end;
        n = strtol(last + strlen(key), &end, 10);
        if (strncmp(end, " requests in flight committed and answered, store closed",
                    56) != 0)
            n = -1;
    }
    free(log);
    return n;
}

/* A request id and the sequence number of the event that carries it. */
typedef struct {
    uint8_t id[NMIRF_ID_LEN]; /* request id */
    uint64_t seq;             /* its event */
} s_req_seq_t;

static int
s_cmp_id(const void *x, const void *y)
{
    return memcmp(((const s_req_seq_t *)x)->id, ((const s_req_seq_t *)y)->id,
                  NMIRF_ID_LEN);
}

/* Every event's request id, sorted, from the whole log, which must be
   gap-free with its chain holding; *count gets how many. Caller frees. */
static s_req_seq_t *
s_log_index(size_t *count)
{
    h_entity_t *coord = h_coord(b);
    nmirf_event_t **evs;
    size_t n = h_events(coord, 0, &evs);
    uint64_t seq = h_seq(b);
    H_ASSERTF(n == seq, "%zu events, but the broker is at seq %llu", n,
              (unsigned long long)seq);
    H_CHECK_CHAIN(evs, n, NULL);
    s_req_seq_t *index = calloc(n + 1, sizeof *index);
    H_ASSERT(index);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (evs[i]->has_req) {
            memcpy(index[k].id, evs[i]->req, NMIRF_ID_LEN);
            index[k++].seq = evs[i]->seq;
        }
    h_events_free(&evs, n);
    qsort(index, k, sizeof *index, s_cmp_id);
    *count = k;
    return index;
}

/* How many events carry request id; *seq gets the last one's number. */
static size_t
s_occurrences(const s_req_seq_t *index, size_t n, const uint8_t *id, uint64_t *seq)
{
    s_req_seq_t key;
    memcpy(key.id, id, NMIRF_ID_LEN);
    const s_req_seq_t *hit = bsearch(&key, index, n, sizeof *index, s_cmp_id);
    if (!hit)
        return 0;
    while (hit > index && memcmp(hit[-1].id, id, NMIRF_ID_LEN) == 0)
        hit--;
    size_t found = 0;
    for (; hit < index + n && memcmp(hit->id, id, NMIRF_ID_LEN) == 0; hit++, found++)
        *seq = hit->seq;
    return found;
}

/* One round: write under load, SIGTERM, check the stop, restart, check
   what was kept, resend what got no answer. */
static void
s_round(int round)
{
    atomic_store(&s_stopped, false);
    for (int i = 0; i < S_SUBMITTERS; i++) {
        s_submitter_t *s = &s_subs[i];
        s->made = 0;
        atomic_store(&s->acked, 0);
        s->dealer = h_dealer_new(b, s->e);
    }
    for (int i = 0; i < S_SUBMITTERS; i++)
        H_ASSERT(pthread_create(&s_subs[i].thread, NULL, s_submit, &s_subs[i]) == 0);

    /* SIGTERM while every submitter has writes in flight. */
    size_t acked = 0;
    for (int waited = 0; waited < S_ACK_WAIT_MS; waited += 5) {
        acked = 0;
        for (int i = 0; i < S_SUBMITTERS; i++)
            acked += atomic_load(&s_subs[i].acked);
        if (acked >= S_MIN_ACKS)
            break;
        h_sleep_ms(5);
    }
    H_ASSERTF(acked >= S_MIN_ACKS, "%zu acks within %d ms", acked, S_ACK_WAIT_MS);
    h_sleep_ms((unsigned)(rand() % 150));
    int closed_before = h_log_count(b->log_path, "store closed");
    h_broker_stop(b); /* fails unless nmirfd exits 0 */
    atomic_store(&s_stopped, true);
    size_t sent = 0, unanswered = 0;
    acked = 0;
    for (int i = 0; i < S_SUBMITTERS; i++) {
        s_submitter_t *s = &s_subs[i];
        H_ASSERT(pthread_join(s->thread, NULL) == 0);
        zsock_destroy(&s->dealer);
        for (size_t k = 0; k < s->made; k++) {
            sent += s->writes[k].state != S_MADE;
            unanswered += s->writes[k].state == S_SENT;
            acked += s->writes[k].state == S_ACKED;
        }
    }
    long last_batch = s_last_batch();
    H_ASSERTF(
        last_batch >= 0 && h_log_count(b->log_path, "store closed") == closed_before + 1,
        "no 'stopping: N requests in flight committed and answered, store closed' for "
        "this SIGTERM");
    char *out = NULL;
    int rc = h_sh(&out, "'%s' audit verify --data '%s' 2>&1", s_nmirf, b->dir);
    H_ASSERTF(rc == 0, "audit verify after SIGTERM: exit %d:\n%s", rc, out);
    free(out);

    /* After a restart: acknowledged writes once each, under their seq;
       unanswered ones at most once. */
    h_broker_restart(b);
    size_t n;
    s_req_seq_t *index = s_log_index(&n);
    size_t present = 0;
    for (int i = 0; i < S_SUBMITTERS; i++) {
        s_submitter_t *s = &s_subs[i];
        for (size_t k = 0; k < s->made; k++) {
            s_write_t *w = &s->writes[k];
            uint64_t seq = 0;
            size_t found = s_occurrences(index, n, w->req->id, &seq);
            if (w->state == S_ACKED) {
                H_ASSERTF(found == 1 && seq == w->seq,
                          "%s write %zu: acknowledged as seq %llu, in %zu events (last "
                          "seq %llu) after SIGTERM",
                          s->e->id, k, (unsigned long long)w->seq, found,
                          (unsigned long long)seq);
            } else {
                H_ASSERTF(found <= 1, "%s write %zu: unanswered, in %zu events", s->e->id,
                          k, found);
                present += found;
                w->seq = found ? seq : 0; /* where it is, if it is */
            }
        }
    }
    free(index);

    /* Resend the unanswered with the same bytes: the committed ones get
       their first reply, the absent ones are committed now. */
    uint64_t seq0 = h_seq(b);
    size_t committed_now = 0;
    for (int i = 0; i < S_SUBMITTERS; i++) {
        s_submitter_t *s = &s_subs[i];
        for (size_t k = 0; k < s->made; k++) {
            s_write_t *w = &s->writes[k];
            if (w->state == S_ACKED)
                continue;
            nmirf_reply_t *r = h_request_send(s->e, w->req);
            H_EXPECT(r, "ok");
            if (w->seq) {
                H_ASSERTF(r->seq == w->seq,
                          "resent committed write: reply seq %llu, "
                          "its event is %llu",
                          (unsigned long long)r->seq, (unsigned long long)w->seq);
            } else {
                committed_now++;
                H_ASSERTF(r->seq == seq0 + committed_now, "resent absent write: seq %llu",
                          (unsigned long long)r->seq);
            }
            nmirf_reply_destroy(&r);
        }
        /* And some acknowledged ones: the stored reply, no event. */
        size_t resent = 0;
        for (size_t k = s->made; k-- > 0 && resent < S_RESEND_ACKED;) {
            s_write_t *w = &s->writes[k];
            if (w->state != S_ACKED)
                continue;
            nmirf_reply_t *r = h_request_send(s->e, w->req);
            H_EXPECT(r, "ok");
            H_ASSERTF(r->seq == w->seq && h_u(&r->body, "report.id") == w->report,
                      "resent acknowledged write: seq %llu report %llu, first %llu %llu",
                      (unsigned long long)r->seq,
                      (unsigned long long)h_u(&r->body, "report.id"),
                      (unsigned long long)w->seq, (unsigned long long)w->report);
            nmirf_reply_destroy(&r);
            resent++;
        }
    }
    H_ASSERTF(h_seq(b) == seq0 + committed_now, "resends made %llu events, not %zu",
              (unsigned long long)(h_seq(b) - seq0), committed_now);

    /* Now every write is in the log exactly once. */
    index = s_log_index(&n);
    for (int i = 0; i < S_SUBMITTERS; i++) {
        s_submitter_t *s = &s_subs[i];
        for (size_t k = 0; k < s->made; k++) {
            uint64_t seq;
            if (s->writes[k].state != S_MADE)
                H_ASSERTF(s_occurrences(index, n, s->writes[k].req->id, &seq) == 1,
                          "%s write %zu not exactly once after the resends", s->e->id, k);
            h_request_free(&s->writes[k].req);
        }
    }
    free(index);
    h_note("SIGTERM round %d: %zu writes sent by %d submitters (%d in flight each), "
           "%zu acknowledged, all once; %zu unanswered, %zu of them committed before the "
           "stop; exit 0, %ld requests in flight answered at the stop, store closed, "
           "audit verify ok, "
           "resends answered from the store",
           round, sent, S_SUBMITTERS, S_WINDOW, acked, unanswered, present, last_batch);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 170);
    srand(h_seed("service_stop_test")); /* the moments of SIGTERM */
    s_nmirf = argc > 2 ? argv[2] : getenv("NMIRF");
    if (!s_nmirf || access(s_nmirf, X_OK) != 0) {
        fprintf(stderr, "usage: %s NMIRFD NMIRF\n", argv[0]);
        return 2;
    }
    zsys_init();
    zsys_set_logstream(NULL);
    s_setup();
    for (int round = 1; round <= S_ROUNDS; round++)
        s_round(round);
    h_broker_destroy(&b);
    return 0;
}
