/*  sync_repl_test - synchronous replication with real brokers
    (docs/REPLICATION.md, "Synchronous mode"):

    - `nmirfd --synchronous maybe` is refused (exit 2, naming the flag);
    - A, a primary, with a standby B following it (--standby-of A -S
      A.pub --standby-key SB.key), switched to `synchronous = on` by its
      config file and SIGHUP (status says replication.synchronous);
    - an acknowledgement (["rack"][n]) from a connection that does not
      follow is refused (bad_msgpack) and acknowledges nothing;
    - (a) each write is answered, and when its reply arrives B's store
      already holds its event (B's status applied_seq >= the reply's seq);
    - (b) B stopped (SIGSTOP): a write gets no reply within 1.5 s, A's
      status says a reply waits, and reads (ping, status) are answered;
      B continued (SIGCONT): the reply arrives, and the log holds exactly
      one event for it (a resend gets the same reply, no second event);
      the same with B stopped for good and started again: it catches up
      from A's ring and the reply arrives;
    - (c) B stopped, a write waiting: `synchronous = off` in A's config
      and SIGHUP, and the reply arrives without B;
    - (d) A restarted with the flag --synchronous on and no standby: a
      write waits until B, started again without a position, has taken a
      full copy and follows;
    - (e) A restarted asynchronous, so making no record (its changelog
      waits for a standby's copy): synchronous = on by SIGHUP turns the
      changelog on, and a write waits until B takes a copy and follows;
    - (f) A stopped while a write waits (B stopped): its reply is not
      sent, and the log says so.
*/
#include "harness.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_NONE_MS 1500 /* a held reply must not come within this */

static char s_conf[PATH_MAX + 32]; /* A's config file */

/* Writes A's config file with synchronous = value and, if a runs,
   SIGHUPs it and waits (at most 10 s) until its status says so. */
static void
s_set_sync(h_broker_t *a, const char *value)
{
    char text[64];
    int n = snprintf(text, sizeof text, "synchronous = %s\n", value);
    H_ASSERT(nmirf_write_file(s_conf, text, (size_t)n, 0600) == 0);
    if (!a)
        return;
    H_ASSERT(kill(a->pid, SIGHUP) == 0);
    bool want = strcmp(value, "on") == 0;
    for (int i = 0; i < 200; i++) {
        nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(a), "status", "{}");
        const msgpack_object *v = h_get(&r->body, "replication.synchronous");
        bool now = v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
        nmirf_reply_destroy(&r);
        if (now == want)
            return;
        h_sleep_ms(50);
    }
    h_fail(__FILE__, __LINE__, "status never says synchronous %s after SIGHUP", value);
}

/* The number under path in b's status (as its coordinator e). */
static uint64_t
s_status_u(h_entity_t *e, const char *path)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", e, "status", "{}");
    const msgpack_object *v = h_get(&r->body, path);
    H_ASSERTF(v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER, "status has no %s", path);
    uint64_t u = v->via.u64;
    nmirf_reply_destroy(&r);
    return u;
}

/* The next reply on sock within ms, or NULL. */
static nmirf_reply_t *
s_reply_within(zsock_t *sock, int ms)
{
    zpoller_t *poller = zpoller_new(sock, NULL);
    zmsg_t *msg = zpoller_wait(poller, ms) ? zmsg_recv(sock) : NULL;
    zpoller_destroy(&poller);
    if (!msg)
        return NULL;
    char why[256];
    zframe_t *frame = zmsg_last(msg);
    nmirf_reply_t *r =
        nmirf_reply_decode(zframe_data(frame), zframe_size(frame), why, sizeof why);
    H_ASSERTF(r, "reply does not decode: %s", why);
    zmsg_destroy(&msg);
    h_remember("(posted)", r);
    return r;
}

/* How many rec.added events of A's log name rec id. */
static size_t
s_events_for(h_entity_t *coord, const char *id)
{
    nmirf_event_t **evs = NULL;
    size_t n = h_events(coord, 0, &evs), count = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(evs[i]->kind, "rec.added") == 0 && evs[i]->subject &&
            strcmp(evs[i]->subject, id) == 0)
            count++;
    h_events_free(&evs, n);
    return count;
}

/* Posts a rec.import of id on a raw connection as coord and checks that
   no reply comes within WAIT_NONE_MS, then that A's status says a reply
   waits while reads are answered. Returns the request and its socket. */
static h_request_t *
s_post_held(h_broker_t *a, const char *id, zsock_t **sock_p)
{
    h_entity_t *coord = h_coord(a);
    uint64_t seq_before = h_seq(a);
    *sock_p = h_dealer_new(a, coord);
    h_request_t *req = h_request_make(
        coord, "rec.import",
        "{'recs': [{'id': '%s', 'mechanism': 'UPR', 'text': {'en': 'held'}}]}", id);
    h_request_post(*sock_p, req);
    nmirf_reply_t *r = s_reply_within(*sock_p, WAIT_NONE_MS);
    H_ASSERTF(!r, "a write was answered while no standby could hold it");
    H_ASSERTF(s_status_u(coord, "replication.waiting") >= 1,
              "status says no reply waits for a standby");
    H_ASSERTF(s_status_u(coord, "replication.lag_records") >= 1,
              "status says the standby has every record");
    /* A read is answered meanwhile; the events the standby lacks are the
       write's, all of them. */
    uint64_t seq = h_seq(a), lag = s_status_u(coord, "replication.lag_events");
    H_ASSERTF(seq > seq_before && lag == seq - seq_before,
              "status says the standby lacks %llu events, the write made %llu",
              (unsigned long long)lag, (unsigned long long)(seq - seq_before));
    return req;
}

/* Waits (at most wait_ms) for the reply to the write held on sock: ok,
   and its event already on the standby's disk (bcoord's status) as it
   came. Returns the event's seq. */
static uint64_t
s_released(zsock_t *sock, int wait_ms, h_entity_t *bcoord, const char *after)
{
    nmirf_reply_t *r = s_reply_within(sock, wait_ms);
    H_ASSERTF(r, "no reply after %s", after);
    H_EXPECT(r, "ok");
    uint64_t seq = r->seq;
    nmirf_reply_destroy(&r);
    H_ASSERT(s_status_u(bcoord, "standby.applied_seq") >= seq);
    return seq;
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 170);
    const char *nmirfd = argc > 1 ? argv[1] : getenv("NMIRFD");
    H_ASSERT(nmirfd);

    /* A bad value is a usage error naming the flag. */
    char *out = NULL;
    int rc = h_sh(&out, "'%s' --synchronous maybe -n 2>&1", nmirfd);
    H_ASSERTF(rc == 2 && strstr(out, "--synchronous") && strstr(out, "'maybe'"),
              "nmirfd --synchronous maybe: exit %d: %s", rc, out);
    free(out);
    rc = h_sh(&out, "'%s' --synchronous on -n 2>&1", nmirfd);
    H_ASSERTF(rc == 0, "nmirfd --synchronous on -n: exit %d: %s", rc, out);
    free(out);
    h_note("--synchronous takes on or off, and refuses anything else (exit 2)");

    /* A, with its config file (synchronous = off while it is set up: with
       no standby, on would hold the enrolments' replies). */
    const char *tmp = getenv("TMPDIR");
    char confdir[PATH_MAX];
    snprintf(confdir, sizeof confdir, "%s/nmirf-sync-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    H_ASSERT(mkdtemp(confdir));
    snprintf(s_conf, sizeof s_conf, "%s/nmirfd.conf", confdir);
    s_set_sync(NULL, "off");
    const char *a_args[] = {"-c", s_conf, NULL};
    h_broker_t *a = h_broker_start_with(NULL, a_args);
    h_entity_t *coord = h_coord(a);
    h_entity_t *sb = h_enroll(a, "SB", "standby");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'S-0', 'mechanism': 'UPR', 'text': {'en': 'r'}}]}");

    /* B, a standby of A following as SB. */
    h_broker_t *b = h_standby_start(a, sb, NULL);
    h_entity_t *bcoord = &b->ents[0];
    char a_ep[H_ENDPOINT_MAX];
    snprintf(a_ep, sizeof a_ep, "%s", a->request_ep);
    s_set_sync(a, "on");
    H_ASSERT(s_status_u(coord, "replication.followers") == 1);
    h_note("A switched to synchronous by SIGHUP, B following");

    /* An acknowledgement from a connection that does not follow is a bad
       request, and acknowledges nothing. */
    uint64_t acked = s_status_u(coord, "replication.acked_record");
    const uint8_t forged_n[] = {0xcd, 0x27, 0x10}; /* msgpack uint 10000 */
    const uint8_t *frames[] = {(const uint8_t *)"rack", forged_n};
    const size_t sizes[] = {4, sizeof forged_n};
    nmirf_reply_t *forged = h_send_frames(coord, frames, sizes, 2);
    H_EXPECT(forged, "bad_msgpack");
    nmirf_reply_destroy(&forged);
    H_ASSERT(s_status_u(coord, "replication.acked_record") == acked);
    h_note(
        "rack from a connection that does not follow: bad_msgpack, nothing acknowledged");

    /* (a) Each acknowledged write is in B's store when its reply comes. */
    for (int i = 1; i <= 10; i++) {
        nmirf_reply_t *r = H_CALL_EXPECT(
            "ok", coord, "rec.import",
            "{'recs': [{'id': 'S-%d', 'mechanism': 'UPR', 'text': {'en': 'r%d'}}]}", i,
            i);
        uint64_t seq = r->seq;
        nmirf_reply_destroy(&r);
        uint64_t applied = s_status_u(bcoord, "standby.applied_seq");
        H_ASSERTF(applied >= seq, "write %d answered at seq %llu, the standby holds %llu",
                  i, (unsigned long long)seq, (unsigned long long)applied);
    }
    H_ASSERT(s_status_u(coord, "replication.waiting") == 0);
    H_ASSERT(s_status_u(coord, "replication.acked_record") ==
             s_status_u(coord, "replication.last_record"));
    H_ASSERT(s_status_u(coord, "replication.lag_records") == 0);
    H_ASSERT(s_status_u(coord, "replication.lag_events") == 0);
    H_ASSERT(s_status_u(coord, "replication.lag_ms") == 0);
    h_note("10 writes answered, each one in the standby's store when its reply came");

    /* (b) B stopped: the write waits; B continued: it is answered once. */
    H_ASSERT(kill(b->pid, SIGSTOP) == 0);
    zsock_t *sock;
    h_request_t *req = s_post_held(a, "S-HELD", &sock);
    H_ASSERT(kill(b->pid, SIGCONT) == 0);
    (void)s_released(sock, 10000, bcoord, "the standby came back");
    h_request_post(sock, req); /* a resend: its stored reply, at once */
    nmirf_reply_t *r = s_reply_within(sock, H_CALL_TIMEOUT_MS);
    H_ASSERTF(r, "no reply to a resend");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    H_ASSERT(s_events_for(coord, "S-HELD") == 1);
    h_request_free(&req);
    zsock_destroy(&sock);
    h_note("standby stopped: a write waited (no reply in %d ms, status waiting >= 1, "
           "reads answered); continued, it was answered, one event",
           WAIT_NONE_MS);

    /* The same with B gone and started again: it catches up, the reply
       comes. */
    h_broker_stop(b);
    req = s_post_held(a, "S-RESTART", &sock);
    h_broker_restart(b);
    (void)s_released(sock, 20000, bcoord, "the standby was started again");
    H_ASSERT(s_events_for(coord, "S-RESTART") == 1);
    h_request_free(&req);
    zsock_destroy(&sock);
    h_note("standby stopped and started again: the waiting write was answered");

    /* (c) synchronous = off by SIGHUP releases a waiting write. */
    H_ASSERT(kill(b->pid, SIGSTOP) == 0);
    req = s_post_held(a, "S-OFF", &sock);
    s_set_sync(a, "off");
    r = s_reply_within(sock, 5000);
    H_ASSERTF(r, "no reply after synchronous = off");
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    H_ASSERT(s_status_u(coord, "replication.waiting") == 0);
    H_CALL_CHECK(
        "ok", coord, "rec.import",
        "{'recs': [{'id': 'S-ASYNC', 'mechanism': 'UPR', 'text': {'en': 'r'}}]}");
    H_ASSERT(kill(b->pid, SIGCONT) == 0);
    h_request_free(&req);
    zsock_destroy(&sock);
    h_note("synchronous = off by SIGHUP: the waiting write was answered, and the next "
           "without the standby");

    /* (d) The flag: A started --synchronous on (over its file's off),
       no standby: a write waits; B started again without a position
       takes a full copy, follows, and the write is answered. */
    h_broker_stop(b);
    static char a_ev[H_ENDPOINT_MAX];
    snprintf(a_ev, sizeof a_ev, "%s", a->events_ep);
    const char *a_sync[] = {"-c", s_conf,          "-r", a_ep, "-e",
                            a_ev, "--synchronous", "on", NULL};
    memcpy(a->args, a_sync, sizeof a_sync);
    h_broker_stop(a);
    h_broker_restart(a);
    H_ASSERT(strcmp(a->request_ep, a_ep) == 0);
    req = s_post_held(a, "S-FLAG", &sock);
    char pos[PATH_MAX + 32];
    snprintf(pos, sizeof pos, "%s/follow.pos", b->dir);
    H_ASSERT(unlink(pos) == 0);
    h_broker_restart(b);
    (void)s_released(sock, 20000, bcoord, "the standby took a copy and followed");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'S-LAST', 'mechanism': 'UPR', 'text': {'en': 'r'}}]}");
    h_request_free(&req);
    zsock_destroy(&sock);
    h_note("started --synchronous on with no standby, a write waited until one took a "
           "copy and followed");

    /* (e) A restarted asynchronous (no record made: its changelog starts
       with a standby's copy), B stopped; synchronous = on by SIGHUP turns
       the changelog on, and a write waits for B's copy. */
    h_broker_stop(b);
    const char *a_async[] = {"-c", s_conf, "-r", a_ep, "-e", a_ev, NULL};
    memcpy(a->args, a_async, sizeof a_async);
    h_broker_stop(a);
    s_set_sync(NULL, "off");
    h_broker_restart(a);
    H_ASSERT(s_status_u(coord, "replication.last_record") == 0);
    s_set_sync(a, "on");
    req = s_post_held(a, "S-HUP", &sock);
    H_ASSERT(s_status_u(coord, "replication.last_record") >= 1);
    H_ASSERT(unlink(pos) == 0);
    h_broker_restart(b);
    (void)s_released(sock, 20000, bcoord, "the standby took a copy and followed");
    h_request_free(&req);
    zsock_destroy(&sock);
    h_note("switched on by SIGHUP with no record made yet: the changelog went on, a "
           "write waited for the standby's copy");

    /* (f) A stopped while a write waits (B stopped): the reply is not
       sent, and the log says so. */
    H_ASSERT(kill(b->pid, SIGSTOP) == 0);
    req = s_post_held(a, "S-STOP", &sock);
    h_broker_stop(a);
    r = s_reply_within(sock, WAIT_NONE_MS);
    H_ASSERTF(!r, "a stopping primary sent a reply no standby acknowledged");
    size_t len;
    char *log = nmirf_read_file(a->log_path, &len);
    H_ASSERTF(log && strstr(log, "replies no standby acknowledged are not sent"),
              "the log does not say that a held reply was dropped");
    free(log);
    H_ASSERT(kill(b->pid, SIGCONT) == 0);
    h_request_free(&req);
    zsock_destroy(&sock);
    h_note("stopped while a write waited for the standby: its reply was not sent");

    h_broker_destroy(&b);
    h_broker_destroy(&a);
    unlink(s_conf);
    rmdir(confdir);
    return 0;
}
