/*  sessions_test - the cap on concurrent CURVE sessions per entity
    (max_sessions_per_entity, nmirfd.conf(5)).

    With a cap of S_CAP: S_CAP sessions of MJ are answered, the next ones
    are refused at ZAP (no answer, the broker's log says why) while MS is
    answered; after some of MJ's close, new ones get in again; a session
    of MJ on the events socket counts too.

    With NMIRF_SESSIONS_MEASURE=N (and optionally NMIRF_SESSIONS_CAP=C;
    none: the default cap) it measures instead: the broker's VmRSS and
    RssAnon (/proc/PID/status) before, with N sessions of one key opened
    at once, and after they all closed. Not part of the suite
    (docs/TESTING.md).
*/
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"

#define S_CAP 4          /* the cap under test */
#define S_SHORT_MS 800   /* a refused session waits this long for nothing */
#define S_SETTLE_MS 2000 /* a closed session is seen closed within this */

static h_broker_t *b;
static h_entity_t *coord, *mj, *ms;

/* True if the broker's log holds text. */
static bool
log_has(const char *text)
{
    size_t len;
    char *log = nmirf_read_file(b->log_path, &len);
    bool has = log && strstr(log, text) != NULL;
    free(log);
    return has;
}

/* Sends a signed ping as e on sock; true if a reply came within ms. */
static bool
answered(zsock_t *sock, h_entity_t *e, int ms_wait)
{
    h_request_t *req = h_request_make(e, "ping", "{}");
    zsock_set_rcvtimeo(sock, ms_wait);
    zsock_set_sndtimeo(sock, ms_wait);
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, req->env, req->env_len);
    zmsg_addmem(msg, req->sig, sizeof req->sig);
    bool got = false;
    if (zmsg_send(&msg, sock) == 0) {
        zmsg_t *reply = zmsg_recv(sock);
        got = reply != NULL;
        zmsg_destroy(&reply);
    }
    zmsg_destroy(&msg);
    h_request_free(&req);
    return got;
}

/* The broker's status counters under "connections." name. */
static uint64_t
conn(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "connections.%s", name);
    nmirf_reply_t *r = H_CALL_EXPECT("ok", coord, "status", "{}");
    uint64_t v = h_u(&r->body, path);
    nmirf_reply_destroy(&r);
    return v;
}

/* Waits (bounded) until the broker has decided at least n handshakes in
   all; returns how many it refused. */
static uint64_t
wait_handshakes(uint64_t n, unsigned max_ms)
{
    for (unsigned waited = 0;; waited += 50) {
        uint64_t ok = conn("handshakes_ok"), no = conn("handshakes_refused");
        if (ok + no >= n)
            return no;
        H_ASSERTF(waited < max_ms, "only %llu of %llu handshakes after %u ms",
                  (unsigned long long)(ok + no), (unsigned long long)n, max_ms);
        h_sleep_ms(50);
    }
}

/* Waits (bounded) until at most n connections are open on the request
   socket. */
static void
wait_open_at_most(uint64_t n, unsigned max_ms)
{
    for (unsigned waited = 0; conn("requests") > n; waited += 50) {
        H_ASSERTF(waited < max_ms, "still %llu connections open after %u ms (want %llu)",
                  (unsigned long long)conn("requests"), max_ms, (unsigned long long)n);
        h_sleep_ms(50);
    }
}

/* The kB value of field in /proc/PID/status ("VmRSS:", "RssAnon:"). */
static long
proc_kb(pid_t pid, const char *field)
{
    char path[64], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    text = nmirf_read_file(path, &len);
    H_ASSERTF(text, "cannot read %s", path);
    const char *at = strstr(text, field);
    long kb = at ? strtol(at + strlen(field), NULL, 10) : -1;
    free(text);
    return kb;
}

static void
print_rss(const char *when)
{
    printf("rss %-28s VmRSS %6ld kB  RssAnon %6ld kB\n", when, proc_kb(b->pid, "VmRSS:"),
           proc_kb(b->pid, "RssAnon:"));
    fflush(stdout);
}

static zsock_t *session_ok(h_entity_t *e);
static void session_refused(h_entity_t *e);

/* NMIRF_SESSIONS_MEASURE=n: n sessions of MJ at once, RSS before, with,
   and after. */
static void
measure(size_t n, unsigned cap)
{
    zsock_t **socks = calloc(n, sizeof *socks);
    H_ASSERT(socks);
    H_CALL_CHECK("ok", mj, "ping", "{}");
    H_CALL_CHECK("ok", ms, "ping", "{}");
    uint64_t base = conn("handshakes_ok") + conn("handshakes_refused");
    uint64_t open0 = conn("requests");
    print_rss("before");
    for (size_t i = 0; i < n; i++)
        socks[i] = h_dealer_new(b, mj);
    uint64_t refused = wait_handshakes(base + n, 120000);
    printf("sessions: %zu opened, %llu refused at ZAP\n", n, (unsigned long long)refused);
    print_rss("with the sessions open");
    int64_t t0 = zclock_mono();
    H_CALL_CHECK("ok", ms, "ping", "{}");
    printf("another entity's ping meanwhile: %lld ms\n", (long long)(zclock_mono() - t0));
    for (size_t i = 0; i < n; i++)
        zsock_destroy(&socks[i]);
    wait_open_at_most(open0, 120000);
    print_rss("after they closed");
    h_sleep_ms(S_SETTLE_MS * 3);
    print_rss("6 s later");
    /* Every charge of the burst was given back: MJ gets its cap again
       (its own client holds one), and no more. */
    if (cap > 0 && cap <= 200 && cap - 1 <= n) {
        for (unsigned i = 0; i + 1 < cap; i++)
            socks[i] = session_ok(mj);
        session_refused(mj);
        printf("after the burst: %u more sessions of MJ answered, the next refused\n",
               cap - 1);
        for (unsigned i = 0; i + 1 < cap; i++)
            zsock_destroy(&socks[i]);
    }
    free(socks);
}

/* A DEALER as e that must be answered. */
static zsock_t *
session_ok(h_entity_t *e)
{
    zsock_t *s = h_dealer_new(b, e);
    H_ASSERTF(answered(s, e, H_CALL_TIMEOUT_MS),
              "a session of %s under the cap was not "
              "answered",
              e->id);
    return s;
}

/* A DEALER as e that ZAP must refuse: no answer, one more refusal. */
static void
session_refused(h_entity_t *e)
{
    uint64_t refused = conn("handshakes_refused");
    zsock_t *s = h_dealer_new(b, e);
    H_ASSERTF(!answered(s, e, S_SHORT_MS), "a session of %s over the cap was answered",
              e->id);
    zsock_destroy(&s);
    H_ASSERT(conn("handshakes_refused") > refused);
}

static void
test_cap(void)
{
    zsock_t *extra[S_CAP];
    /* MJ's own client is its first session. */
    H_CALL_CHECK("ok", mj, "ping", "{}");
    H_CALL_CHECK("ok", ms, "ping", "{}");
    uint64_t base = conn("requests"); /* the three entities' own clients */
    for (int i = 0; i < S_CAP - 1; i++)
        extra[i] = session_ok(mj);
    session_refused(mj);
    session_refused(mj);
    H_ASSERT(log_has("refused MJ from") && log_has("max_sessions_per_entity"));
    /* Everyone else is served, MJ's open sessions too. */
    H_CALL_CHECK("ok", ms, "ping", "{}");
    zsock_t *ms_extra = session_ok(ms);
    H_ASSERT(answered(extra[0], mj, H_CALL_TIMEOUT_MS));
    H_CALL_CHECK("ok", mj, "ping", "{}");
    h_note("cap %d: MJ's sessions past it refused at ZAP; MS and MJ's open ones answered",
           S_CAP);

    /* Closing two makes room for two, and no more. */
    uint64_t open = conn("requests");
    zsock_destroy(&extra[0]);
    zsock_destroy(&extra[1]);
    wait_open_at_most(open - 2, S_SETTLE_MS * 5);
    extra[0] = session_ok(mj);
    extra[1] = session_ok(mj);
    session_refused(mj);
    h_note("after two closed, two more accepted, the next refused");

    /* A subscriber session counts as one: with one room left, a SUB of
       MJ takes it, and the next DEALER is refused. */
    open = conn("requests");
    zsock_destroy(&extra[2]);
    wait_open_at_most(open - 1, S_SETTLE_MS * 5);
    uint64_t ok = conn("handshakes_ok");
    zsock_t *sub = h_sub_new(b, mj, "hb");
    zsock_set_rcvtimeo(sub, 3000);
    zmsg_t *hb = zmsg_recv(sub); /* a heartbeat comes every second */
    H_ASSERTF(hb, "MJ's subscriber under the cap got no heartbeat");
    zmsg_destroy(&hb);
    H_ASSERT(conn("handshakes_ok") > ok);
    session_refused(mj);
    h_note("a subscriber session counts against the cap");

    zsock_destroy(&sub);
    zsock_destroy(&ms_extra);
    for (int i = 0; i < 2; i++)
        zsock_destroy(&extra[i]);
    /* The next tests count from the clients' own sessions alone. */
    wait_open_at_most(base, 30000);
    for (unsigned waited = 0; conn("events") > 0; waited += 50) {
        H_ASSERTF(waited < 30000, "MJ's subscriber still open after 30 s");
        h_sleep_ms(50);
    }
}

/* A burst of S_BURST handshakes of MS at once, most refused at the cap,
   then all closed: the broker keeps answering (its ZAP handler reads the
   socket monitors while the loop may be about to read them too), and MS
   gets its cap back. */
static void
test_burst(void)
{
    enum { S_BURST = 200 };
    zsock_t *socks[S_BURST];
    uint64_t decided = conn("handshakes_ok") + conn("handshakes_refused");
    uint64_t open = conn("requests");
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < S_BURST; i++)
            socks[i] = h_dealer_new(b, ms);
        decided += S_BURST;
        wait_handshakes(decided, 30000);
        H_CALL_CHECK("ok", mj, "ping", "{}");
        for (int i = 0; i < S_BURST; i++)
            zsock_destroy(&socks[i]);
        wait_open_at_most(open, 30000);
    }
    zsock_t *again[S_CAP - 1];
    for (int i = 0; i < S_CAP - 1; i++)
        again[i] = session_ok(ms);
    session_refused(ms);
    for (int i = 0; i < S_CAP - 1; i++)
        zsock_destroy(&again[i]);
    h_note("3 bursts of %d handshakes of MS opened and closed: the broker answered "
           "throughout, MS got its cap back",
           S_BURST);
}

/* Handshakes on both sockets at once, then requests alone: the ZAP
   handler drains both socket monitors, and the loop must not then wait
   on a monitor it saw readable before (a new request connection makes
   no event on the events socket's monitor: the broker would hang). */
static void
test_both_sockets(void)
{
    /* COORD's sessions count against the cap until the broker has seen
       them close (its socket monitors, asynchronously): each round waits
       for that before the next opens more, or a loaded machine makes the
       cap, not a hang, refuse the next handshake. */
    uint64_t open_requests = conn("requests"), open_events = conn("events");
    for (int round = 0; round < 30; round++) {
        zsock_t *sub = h_sub_new(b, coord, "hb");
        zsock_t *dealer = h_dealer_new(b, coord);
        H_ASSERTF(answered(dealer, coord, H_CALL_TIMEOUT_MS),
                  "round %d: no answer beside a subscriber", round);
        zsock_destroy(&dealer);
        zsock_destroy(&sub);
        H_CALL_CHECK("ok", ms, "ping", "{}");
        zsock_t *alone = h_dealer_new(b, coord);
        H_ASSERTF(answered(alone, coord, H_CALL_TIMEOUT_MS),
                  "round %d: the broker stopped answering", round);
        zsock_destroy(&alone);
        wait_open_at_most(open_requests, 30000);
        for (unsigned waited = 0; conn("events") > open_events; waited += 50) {
            H_ASSERTF(waited < 30000, "round %d: still %llu event connections open",
                      round, (unsigned long long)conn("events"));
            h_sleep_ms(50);
        }
    }
    h_note("30 rounds of handshakes on both sockets, then requests alone: answered");
}

/* Waits (bounded) until the broker's log holds text. */
static void
wait_log(const char *text)
{
    for (unsigned waited = 0; !log_has(text); waited += 50) {
        H_ASSERTF(waited < 5000, "the log never said '%s'", text);
        h_sleep_ms(50);
    }
}

/* max_sessions_per_entity from the config file, raised by SIGHUP: the
   new cap holds for the next handshake. */
static void
test_reload(void)
{
    static char conf[PATH_MAX + 32];
    snprintf(conf, sizeof conf, "%s/sessions.conf", b->dir);
    H_ASSERT(nmirf_write_file(conf, "max_sessions_per_entity = 2\n", 28, 0644) == 0);
    h_broker_stop(b);
    static const char *args[] = {"-c", conf, NULL};
    b->args[0] = args[0];
    b->args[1] = args[1];
    b->args[2] = NULL;
    h_broker_restart(b);
    H_CALL_CHECK("ok", mj, "ping", "{}");
    zsock_t *second = session_ok(mj);
    session_refused(mj);
    H_ASSERT(nmirf_write_file(conf, "max_sessions_per_entity = 3\n", 28, 0644) == 0);
    H_ASSERT(kill(b->pid, SIGHUP) == 0);
    wait_log("max_sessions_per_entity changed from 2 to 3");
    zsock_t *third = session_ok(mj);
    session_refused(mj);
    zsock_destroy(&third);
    zsock_destroy(&second);
    h_note("SIGHUP raised the cap from 2 to 3: one more session, then refused");
}

int
main(int argc, char **argv)
{
    const char *measure_n = getenv("NMIRF_SESSIONS_MEASURE");
    size_t n = measure_n ? strtoul(measure_n, NULL, 10) : 0;
    /* One ZeroMQ socket per session, and a few for the harness. */
    zsys_set_max_sockets(n + 1024);
    if (n)
        zsys_set_io_threads(4); /* the burst's client handshakes */
    h_init(argc, argv, n ? 600 : 55);
    const char *cap_env = getenv("NMIRF_SESSIONS_CAP");
    static char cap_arg[32];
    snprintf(cap_arg, sizeof cap_arg, "%s", n ? (cap_env ? cap_env : "") : "4");
    const char *args[] = {"--max-sessions-per-entity", cap_arg, NULL};
    b = h_broker_start_with(NULL, cap_arg[0] ? args : NULL);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    ms = h_enroll(b, "MS", "ministry");
    if (n) {
        /* The test's own I/O thread does every client handshake of the
           burst: the coordinator's status calls may wait behind them. */
        nmirf_client_destroy(&coord->client);
        coord->client =
            nmirf_client_new(b->request_ep, &coord->key, b->server_key, 60000);
        H_ASSERT(coord->client);
        printf("measuring with %zu sessions of one key, cap %s (broker pid %d)\n", n,
               cap_arg[0] ? cap_arg : "default", (int)b->pid);
        measure(n, cap_env ? (unsigned)strtoul(cap_env, NULL, 10) : 64);
        h_broker_destroy(&b);
        return 0;
    }
    test_cap();
    test_both_sockets();
    test_burst();
    test_reload();
    h_broker_destroy(&b);
    printf("sessions_test: all passed\n");
    return 0;
}
