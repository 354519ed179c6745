/*  agent_harness - nmirf-agent processes for the agent tests (see
    agent_harness.h). Like harness.c, every wait is bounded and the child
    dies with the test (PR_SET_PDEATHSIG).
*/
#include "agent_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "nmirf_control.h"
#include "nmirf_digest.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define S_MAX_AGENTS 8        /* agents one test may run at once */
#define S_START_WAIT_MS 10000 /* the control socket must appear within this */
#define S_STOP_WAIT_MS 10000  /* SIGTERM must end the agent within this */
#define S_MAX_FIXED 8         /* fixed-port brokers one test may start */
#define S_BIND_TRIES 50       /* a stand-in binds the port just freed: 50 x 100 ms */

static const char *s_agent_bin;            /* nmirf-agent */
static const char *s_nmirf_bin;            /* nmirf, or NULL */
static ha_agent_t *s_agents[S_MAX_AGENTS]; /* live agents, for the logs */
static void (*s_prev_alarm)(int);          /* harness.c's watchdog */

/* Writes a string to fd (async-signal-safe). */
static void
s_say(int fd, const char *s)
{
    if (write(fd, s, strlen(s)) < 0)
        return;
}

void
ha_dump_logs(void)
{
    for (size_t i = 0; i < S_MAX_AGENTS; i++) {
        ha_agent_t *a = s_agents[i];
        if (!a)
            continue;
        s_say(2, "\n===== agent log ");
        s_say(2, a->log_path);
        s_say(2, " =====\n");
        int in = open(a->log_path, O_RDONLY);
        char buf[4096];
        ssize_t n;
        while (in >= 0 && (n = read(in, buf, sizeof buf)) > 0)
            if (write(2, buf, (size_t)n) < 0)
                break;
        if (in >= 0)
            close(in);
        s_say(2, "===== end of agent log =====\n");
        if (a->pid > 0)
            kill(a->pid, SIGKILL);
    }
}

/* The watchdog: agents' logs first, then harness.c's (brokers, exit). */
static void
s_on_alarm(int sig)
{
    s_say(2, "FAIL watchdog: the test ran out of time (agent logs follow)\n");
    ha_dump_logs();
    if (s_prev_alarm && s_prev_alarm != SIG_DFL && s_prev_alarm != SIG_IGN)
        s_prev_alarm(sig);
    _exit(1);
}

void
ha_init(int argc, char **argv, unsigned seconds)
{
    h_init(argc, argv, seconds);
    s_agent_bin = argc > 2 ? argv[2] : getenv("NMIRF_AGENT_BIN");
    s_nmirf_bin = argc > 3 ? argv[3] : NULL;
    if (!s_agent_bin || access(s_agent_bin, X_OK) != 0) {
        fprintf(stderr, "usage: %s NMIRFD NMIRF-AGENT [NMIRF]\n", argv[0]);
        exit(2);
    }
    s_prev_alarm = signal(SIGALRM, s_on_alarm);
    zsys_init();
    zsys_set_logstream(NULL);
}

const char *
ha_nmirf(void)
{
    return s_nmirf_bin;
}

/* Connects the control DEALER. */
static void
s_connect(ha_agent_t *a)
{
    zsock_destroy(&a->ctl);
    a->ctl = zsock_new(ZMQ_DEALER);
    HA_ASSERT(a->ctl);
    zsock_set_linger(a->ctl, 0);
    HA_ASSERTF(zsock_connect(a->ctl, "ipc://%s/agent.sock", a->data) == 0,
               "connect ipc://%s/agent.sock", a->data);
}

/* Forks and execs the agent, then waits for its control socket. */
static void
s_spawn(ha_agent_t *a, const char *const *extra)
{
    char sock[PATH_MAX + 32];
    snprintf(sock, sizeof sock, "%s/agent.sock", a->data);
    unlink(sock); /* so that its reappearance means this start is ready */
    int logfd = open(a->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    HA_ASSERTF(logfd >= 0 && nullfd >= 0, "open %s: %s", a->log_path, strerror(errno));
    dprintf(logfd, "----- agent harness: start %d -----\n", ++a->starts);
    char *argv[24];
    int argc = 0;
    argv[argc++] = (char *)s_agent_bin;
    argv[argc++] = "-k";
    argv[argc++] = a->key_path;
    argv[argc++] = "-S";
    argv[argc++] = a->server_key_path;
    argv[argc++] = "-d";
    argv[argc++] = a->data;
    argv[argc++] = "-b";
    argv[argc++] = a->request_ep;
    argv[argc++] = "-v";
    for (size_t i = 0; extra && extra[i] && argc < 22; i++)
        argv[argc++] = (char *)extra[i];
    argv[argc] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    HA_ASSERTF(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execv(s_agent_bin, argv);
        _exit(127);
    }
    close(logfd);
    close(nullfd);
    a->pid = pid;
    for (int waited = 0; waited < S_START_WAIT_MS; waited += 10) {
        if (access(sock, F_OK) == 0) {
            s_connect(a);
            return;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            a->pid = 0;
            HA_ASSERTF(0, "nmirf-agent exited during start (status %#x)", status);
        }
        h_sleep_ms(10);
    }
    HA_ASSERTF(0, "nmirf-agent made no %s within %d ms", sock, S_START_WAIT_MS);
}

ha_agent_t *
ha_agent_start(h_broker_t *b, h_entity_t *e, const char *const *extra)
{
    size_t slot = 0;
    while (slot < S_MAX_AGENTS && s_agents[slot])
        slot++;
    HA_ASSERTF(slot < S_MAX_AGENTS, "more than %d agents", S_MAX_AGENTS);
    ha_agent_t *a = calloc(1, sizeof *a);
    HA_ASSERT(a);
    const char *tmp = getenv("TMPDIR");
    snprintf(a->dir, sizeof a->dir, "%s/nmirf-ag-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    HA_ASSERTF(mkdtemp(a->dir), "mkdtemp: %s", strerror(errno));
    snprintf(a->data, sizeof a->data, "%s/data", a->dir);
    snprintf(a->log_path, sizeof a->log_path, "%s/agent.log", a->dir);
    snprintf(a->key_path, sizeof a->key_path, "%s/%s.key", a->dir, e->id);
    snprintf(a->id, sizeof a->id, "%s", e->id);
    snprintf(a->request_ep, sizeof a->request_ep, "%s", b->request_ep);
    snprintf(a->server_key_path, sizeof a->server_key_path, "%s/keys/NMIRFD.pub", b->dir);
    snprintf(a->events_ep, sizeof a->events_ep, "%s", b->events_ep);
    char why[256] = "";
    HA_ASSERTF(nmirf_key_save(&e->key, a->dir, why, sizeof why) == 0, "key save: %s",
               why);
    s_agents[slot] = a;
    s_spawn(a, extra);
    return a;
}

/* Waits up to ms for the agent to exit; its wait status in *status. */
static bool
s_reap(ha_agent_t *a, int ms, int *status)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        if (waitpid(a->pid, status, WNOHANG) == a->pid) {
            a->pid = 0;
            return true;
        }
        h_sleep_ms(10);
    }
    return false;
}

void
ha_agent_stop(ha_agent_t *a)
{
    HA_ASSERTF(a->pid > 0, "stop: agent not running");
    zsock_destroy(&a->ctl);
    HA_ASSERT(kill(a->pid, SIGTERM) == 0);
    int status = 0;
    HA_ASSERTF(s_reap(a, S_STOP_WAIT_MS, &status), "agent did not exit on SIGTERM");
    HA_ASSERTF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
               "agent did not exit 0 on SIGTERM (wait status %#x)", status);
}

void
ha_agent_kill(ha_agent_t *a)
{
    HA_ASSERTF(a->pid > 0, "kill: agent not running");
    zsock_destroy(&a->ctl);
    HA_ASSERT(kill(a->pid, SIGKILL) == 0);
    int status;
    HA_ASSERTF(s_reap(a, S_STOP_WAIT_MS, &status), "agent survived SIGKILL");
}

void
ha_agent_restart(ha_agent_t *a)
{
    ha_agent_restart_with(a, NULL);
}

void
ha_agent_restart_with(ha_agent_t *a, const char *const *extra)
{
    HA_ASSERTF(a->pid == 0, "restart: agent still running");
    s_spawn(a, extra);
}

int
ha_agent_run_again(ha_agent_t *a, char **out)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/again.log", a->dir);
    int logfd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    HA_ASSERTF(logfd >= 0, "open %s: %s", path, strerror(errno));
    char *argv[] = {(char *)s_agent_bin, "-k", a->key_path, "-S",
                    a->server_key_path,  "-d", a->data,     "-b",
                    a->request_ep,       NULL};
    pid_t pid = fork();
    HA_ASSERTF(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execv(s_agent_bin, argv);
        _exit(127);
    }
    close(logfd);
    int status = 0;
    bool done = false;
    for (int waited = 0; !done && waited <= S_STOP_WAIT_MS; waited += 10) {
        done = waitpid(pid, &status, WNOHANG) == pid;
        if (!done)
            h_sleep_ms(10);
    }
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        HA_ASSERTF(0, "a second agent on %s kept running", a->data);
    }
    size_t len;
    *out = nmirf_read_file(path, &len);
    if (!*out)
        *out = strdup("");
    return status;
}

/* nftw callback: removes one entry. */
static int
s_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

void
ha_agent_destroy(ha_agent_t **a_p)
{
    ha_agent_t *a = *a_p;
    if (!a)
        return;
    if (a->pid > 0)
        ha_agent_stop(a);
    zsock_destroy(&a->ctl);
    nftw(a->dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < S_MAX_AGENTS; i++)
        if (s_agents[i] == a)
            s_agents[i] = NULL;
    free(a);
    *a_p = NULL;
}

nmirf_reply_t *
ha_ctl(ha_agent_t *a, int timeout_ms, const char *op, const char *fmt, ...)
{
    /* The body as given, unchecked (tests send what the agent must
       refuse), in the codec's request frame. */
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        msgpack_sbuffer *body = h_pack_jsonv(fmt, ap);
        va_end(ap);
        nmirf_ctl_request_pack(&out, op, (const uint8_t *)body->data, body->size);
        msgpack_sbuffer_free(body);
    } else
        nmirf_ctl_request_pack(&out, op, NULL, 0);
    nmirf_reply_t *r = ha_ctl_raw(a, timeout_ms, op, (const uint8_t *)out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    h_remember(op, r);
    return r;
}

nmirf_reply_t *
ha_ctl_raw(ha_agent_t *a, int timeout_ms, const char *what, const uint8_t *buf,
           size_t len)
{
    zframe_t *f = zframe_new(buf, len);
    HA_ASSERTF(zframe_send(&f, a->ctl, 0) == 0, "control send %s", what);
    zpoller_t *poller = zpoller_new(a->ctl, NULL);
    void *ready = zpoller_wait(poller, timeout_ms);
    zpoller_destroy(&poller);
    HA_ASSERTF(ready, "no control reply to %s within %d ms", what, timeout_ms);
    zframe_t *rf = zframe_recv(a->ctl);
    char why[256] = "";
    nmirf_reply_t *r =
        rf ? nmirf_reply_decode(zframe_data(rf), zframe_size(rf), why, sizeof why) : NULL;
    zframe_destroy(&rf);
    HA_ASSERTF(r, "unreadable control reply to %s: %s", what, why);
    return r;
}

zsock_t *
ha_notify_sub(ha_agent_t *a)
{
    zsock_t *sub = zsock_new(ZMQ_SUB);
    HA_ASSERT(sub);
    zsock_set_rcvhwm(sub, 100000);
    zsock_set_subscribe(sub, "n");
    HA_ASSERT(zsock_connect(sub, "ipc://%s/notify.sock", a->data) == 0);
    return sub;
}

bool
ha_notification(zsock_t *sub, int ms, nmirf_notify_t *n)
{
    memset(n, 0, sizeof *n);
    zpoller_t *p = zpoller_new(sub, NULL);
    void *ready = zpoller_wait(p, ms);
    zpoller_destroy(&p);
    if (!ready)
        return false;
    char *topic = NULL, *text = NULL, why[256] = "";
    HA_ASSERT(zsock_recv(sub, "ss", &topic, &text) == 0 && text);
    HA_ASSERTF(nmirf_notify_decode(text, strlen(text), n, why, sizeof why) == NMIRF_OK,
               "notification refused by the codec (%s): %s", why, text);
    free(topic);
    free(text);
    return true;
}

void
ha_broker_digest(h_entity_t *e, uint8_t out[NMIRF_HASH_LEN], uint64_t *seq)
{
    nmirf_reply_t *r = h_call(e, "snapshot", "{}");
    H_EXPECT(r, "ok");
    HA_ASSERT(nmirf_digest_snapshot(&r->body, out) == 0);
    *seq = h_u(&r->body, "seq");
    nmirf_reply_destroy(&r);
}

void
ha_agent_digest(ha_agent_t *a, uint8_t out[NMIRF_HASH_LEN], uint64_t *seq)
{
    nmirf_reply_t *r = ha_ctl(a, 10000, "digest", NULL);
    H_EXPECT(r, "ok");
    nmirf_ctl_digest_t d;
    char why[128] = "";
    HA_ASSERTF(nmirf_ctl_digest_decode(&r->body, &d, why, sizeof why) == NMIRF_OK,
               "digest reply: %s", why);
    memcpy(out, d.digest, NMIRF_HASH_LEN);
    *seq = d.seq;
    nmirf_reply_destroy(&r);
}

int
ha_free_port(void)
{
    return h_free_port();
}

h_broker_t *
ha_broker_start_fixed(const char *const *extra)
{
    /* The endpoints outlive the call: the broker's args point to them. */
    static char eps[S_MAX_FIXED][2][64];
    static size_t used;
    HA_ASSERTF(used < S_MAX_FIXED, "more than %d fixed-port brokers", S_MAX_FIXED);
    char *req_ep = eps[used][0], *ev_ep = eps[used][1];
    used++;
    snprintf(req_ep, sizeof eps[0][0], "tcp://127.0.0.1:%d", ha_free_port());
    snprintf(ev_ep, sizeof eps[0][1], "tcp://127.0.0.1:%d", ha_free_port());
    const char *args[H_MAX_ARGS + 1] = {"-r", req_ep, "-e", ev_ep};
    size_t n = 4;
    for (size_t i = 0; extra && extra[i]; i++) {
        HA_ASSERTF(n < H_MAX_ARGS, "too many broker arguments");
        args[n++] = extra[i];
    }
    args[n] = NULL;
    h_broker_t *b = h_broker_start_with(NULL, args);
    HA_ASSERTF(strcmp(b->request_ep, req_ep) == 0, "broker bound %s", b->request_ep);
    return b;
}

h_entity_t *
ha_setup_ministry(h_broker_t *b, const char *id, const char *prefix, size_t n)
{
    h_entity_t *m = h_enroll(b, id, "ministry");
    for (size_t i = 0; i < n; i += 256) {
        /* rec.import takes at most 256 recommendations per list */
        size_t end = i + 256 < n ? i + 256 : n;
        char *json = NULL;
        size_t cap = 0;
        FILE *f = open_memstream(&json, &cap);
        fprintf(f, "{'recs':[");
        for (size_t j = i; j < end; j++)
            fprintf(f, "%s{'id':'%s-%zu','mechanism':'UPR','text':{'en':'rec %zu'}}",
                    j > i ? "," : "", prefix, j, j);
        fprintf(f, "]}");
        fclose(f);
        H_CALL_CHECK("ok", h_coord(b), "rec.import", "%s", json);
        free(json);
    }
    return m;
}

struct ha_standin_t {
    zsock_t *zap;       /* REP on the ZAP endpoint, answers zap_status */
    zsock_t *router;    /* the agent's requests */
    zpoller_t *poller;  /* both */
    char zap_status[8]; /* ZAP status code it answers */
    char zap_text[128]; /* and its status text */
    int zap_count;      /* ZAP requests answered */
};

ha_standin_t *
ha_standin_new(h_broker_t *b, const char *zap_status, const char *zap_text)
{
    ha_standin_t *st = calloc(1, sizeof *st);
    HA_ASSERT(st);
    snprintf(st->zap_status, sizeof st->zap_status, "%s", zap_status);
    snprintf(st->zap_text, sizeof st->zap_text, "%s", zap_text);
    nmirf_key_t bk;
    char path[PATH_MAX + 32], why[256] = "";
    snprintf(path, sizeof path, "%s/keys/NMIRFD.key", b->dir);
    HA_ASSERTF(nmirf_key_load(&bk, path, why, sizeof why) == 0, "broker key: %s", why);
    st->zap = zsock_new(ZMQ_REP);
    HA_ASSERT(st->zap && zsock_bind(st->zap, "inproc://zeromq.zap.01") == 0);
    st->router = zsock_new(ZMQ_ROUTER);
    HA_ASSERT(st->router);
    zsock_set_curve_server(st->router, 1);
    zsock_set_curve_secretkey(st->router, bk.curve_sk);
    zsock_set_zap_domain(st->router, "nmirf");
    sodium_memzero(&bk, sizeof bk);
    int bound = -1;
    for (int i = 0; i < S_BIND_TRIES && bound != 0; i++) { /* the port is just freed */
        bound = zsock_bind(st->router, "%s", b->request_ep) >= 0 ? 0 : -1;
        if (bound)
            h_sleep_ms(100);
    }
    HA_ASSERTF(bound == 0, "cannot bind %s", b->request_ep);
    st->poller = zpoller_new(st->zap, st->router, NULL);
    HA_ASSERT(st->poller);
    return st;
}

void
ha_standin_destroy(ha_standin_t **st_p)
{
    ha_standin_t *st = *st_p;
    if (!st)
        return;
    zpoller_destroy(&st->poller);
    zsock_destroy(&st->router);
    zsock_destroy(&st->zap);
    free(st);
    *st_p = NULL;
}

/* Answers one ZAP request (ZMQ RFC 27) with the stand-in's status. */
static void
s_standin_zap(ha_standin_t *st)
{
    zmsg_t *req = zmsg_recv(st->zap);
    HA_ASSERT(req && zmsg_size(req) >= 2);
    char *version = zmsg_popstr(req), *request_id = zmsg_popstr(req);
    zmsg_t *rep = zmsg_new();
    zmsg_addstr(rep, "1.0");
    zmsg_addstr(rep, request_id ? request_id : "");
    zmsg_addstr(rep, st->zap_status);
    zmsg_addstr(rep, st->zap_text);
    zmsg_addstr(rep, "");
    zmsg_addmem(rep, NULL, 0);
    HA_ASSERT(zmsg_send(&rep, st->zap) == 0);
    free(version);
    free(request_id);
    zmsg_destroy(&req);
    st->zap_count++;
}

zmsg_t *
ha_standin_recv(ha_standin_t *st, int ms)
{
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end) {
        /* In slices, so the deadline holds whatever comes. */
        int64_t left = end - zclock_mono();
        void *which = zpoller_wait(st->poller, left < 50 ? (int)left : 50);
        if (which == st->zap)
            s_standin_zap(st);
        else if (which == st->router) {
            zmsg_t *msg = zmsg_recv(st->router);
            HA_ASSERT(msg);
            return msg;
        }
    }
    return NULL;
}

int
ha_standin_zap_count(const ha_standin_t *st)
{
    return st->zap_count;
}

bool
ha_standin_envelope(zmsg_t *req, nmirf_envelope_t *e, bool *has_id)
{
    if (zmsg_size(req) != 3)
        return false;
    zmsg_first(req);
    zframe_t *env = zmsg_next(req);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    char why[128];
    bool ok = nmirf_envelope_decode(zframe_data(env), zframe_size(env), &zone, e, has_id,
                                    why, sizeof why) == NMIRF_OK;
    msgpack_zone_destroy(&zone);
    e->body.type = MSGPACK_OBJECT_NIL; /* it was in the zone */
    return ok;
}

void
ha_standin_answer(ha_standin_t *st, zmsg_t *req, nmirf_code_t code, const char *message,
                  uint64_t seq)
{
    nmirf_envelope_t e;
    bool has_id;
    HA_ASSERT(ha_standin_envelope(req, &e, &has_id));
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    nmirf_reply_encode(&out, e.id, code, message, seq, NULL, 0);
    zframe_t *rid = zmsg_first(req);
    zmsg_t *rep = zmsg_new();
    zmsg_addmem(rep, zframe_data(rid), zframe_size(rid));
    zmsg_addmem(rep, out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    HA_ASSERT(zmsg_send(&rep, st->router) == 0);
}
