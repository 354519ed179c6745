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

#include "nmirf_control.h"
#include "nmirf_digest.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define S_MAX_AGENTS 8        /* agents one test may run at once */
#define S_START_WAIT_MS 10000 /* the control socket must appear within this */
#define S_STOP_WAIT_MS 10000  /* SIGTERM must end the agent within this */

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
    argv[argc++] = "-e";
    argv[argc++] = a->events_ep;
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
    char *argv[] = {(char *)s_agent_bin, "-k", a->key_path,  "-S",
                    a->server_key_path,  "-d", a->data,      "-b",
                    a->request_ep,       "-e", a->events_ep, NULL};
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
    zframe_t *f = zframe_new(out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    HA_ASSERTF(zframe_send(&f, a->ctl, 0) == 0, "control send %s", op);
    zpoller_t *poller = zpoller_new(a->ctl, NULL);
    void *ready = zpoller_wait(poller, timeout_ms);
    zpoller_destroy(&poller);
    HA_ASSERTF(ready, "no control reply to %s within %d ms", op, timeout_ms);
    zframe_t *rf = zframe_recv(a->ctl);
    char why[256] = "";
    nmirf_reply_t *r =
        rf ? nmirf_reply_decode(zframe_data(rf), zframe_size(rf), why, sizeof why) : NULL;
    zframe_destroy(&rf);
    HA_ASSERTF(r, "unreadable control reply to %s: %s", op, why);
    h_remember(op, r);
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
