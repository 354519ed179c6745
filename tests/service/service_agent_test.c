/*  service_agent_test - nmirf-agent under a service manager, played by
    this test as service_test plays it for nmirfd: READY=1 only once the
    replica store is open and the control socket answers, WATCHDOG=1
    repeating, SIGHUP reloads (log level, hook, notify log reopened after a
    rotation, a restart-only setting kept), a broken file refused with
    FILE:LINE while the agent goes on, STOPPING=1 and exit 0 on SIGTERM.

    The agent runs from a config file alone (no flags but -c), so every
    setting can change on reload: flags would win over the file. A real
    broker feeds it assignments, each one notification. Every wait is
    bounded; no time is asserted. A failure prints the agent's log and the
    broker's.

    usage: service_agent_test NMIRFD NMIRF-AGENT
*/
#include "agent_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nmirf_util.h"
#include "service_notify.h"
#include "unit.h"

#define S_WAIT_MS 10000 /* the longest any one wait may take */
#define REC "SV"        /* the recommendations assigned to the agent's entity */

static h_broker_t *b;      /* the broker */
static h_entity_t *mj;     /* the agent's entity */
static ha_agent_t s_agent; /* the agent: dir, data, log_path, ctl, pid */
static char s_conf[PATH_MAX + 32], s_sock[PATH_MAX + 32];
static char s_nlog[PATH_MAX + 32], s_hook1[PATH_MAX + 32], s_hook2[PATH_MAX + 32];
static int s_fd = -1; /* the notification socket */

/* Prints the agent's log, kills it, and fails through h_fail (which
   prints the broker's log and exits 1). */
static void __attribute__((noreturn, format(printf, 2, 3)))
s_fail(int line, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n===== agent log %s =====\n", s_agent.log_path);
    size_t len;
    char *text = nmirf_read_file(s_agent.log_path, &len);
    if (text)
        fwrite(text, 1, len, stderr);
    free(text);
    fprintf(stderr, "===== end of agent log =====\n");
    if (s_agent.pid > 0)
        kill(s_agent.pid, SIGKILL);
    h_fail(__FILE__, line, "%s", what);
}

/* A failed CHECK (unit.h) stops the test through s_fail. */
static void __attribute__((noreturn)) s_stop(const char *file, int line, const char *what)
{
    s_fail(line, "%s", what);
}

/* Waits for a notification holding assignment; fails after S_WAIT_MS.
   The notification is left in buf. */
static void
s_expect(const char *assignment, char *buf, size_t buflen, int line)
{
    if (!sn_expect(s_fd, assignment, S_WAIT_MS, buf, buflen))
        s_fail(line, "no %s from nmirf-agent within %d ms", assignment, S_WAIT_MS);
}

/* Waits until the agent's log holds text; fails after S_WAIT_MS. */
static void
s_expect_log(const char *text, int line)
{
    if (!sn_file_has(s_agent.log_path, text, S_WAIT_MS))
        s_fail(line, "nmirf-agent logged no '%s' within %d ms", text, S_WAIT_MS);
}

/* Writes the agent's config file: its fixed settings (lines 2-7) with
   data_dir, then extra from line 8 on. */
static void
s_write_conf(const char *data_dir, const char *extra)
{
    FILE *f = fopen(s_conf, "w");
    CHECK(f, "cannot write %s", s_conf);
    fprintf(f,
            "# written by service_agent_test\n"
            "data_dir = %s\n"
            "request_endpoint = %s\n"
            "events_endpoint = %s\n"
            "key_file = %s\n"
            "server_key_file = %s\n"
            "notify_log = %s\n"
            "%s",
            data_dir, b->request_ep, b->events_ep, s_agent.key_path,
            s_agent.server_key_path, s_nlog, extra);
    fclose(f);
}

/* Starts nmirf-agent -c CONF as systemd would: NOTIFY_SOCKET and
   WATCHDOG_USEC in its environment. */
static void
s_spawn(const char *agent_bin)
{
    int logfd = open(s_agent.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(logfd >= 0 && nullfd >= 0, "open %s: %s", s_agent.log_path, strerror(errno));
    s_agent.pid = fork();
    CHECK(s_agent.pid >= 0, "fork: %s", strerror(errno));
    if (s_agent.pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        setenv("NOTIFY_SOCKET", s_sock, 1);
        setenv("WATCHDOG_USEC", "200000", 1); /* pings every 100 ms */
        unsetenv("WATCHDOG_PID");
        execl(agent_bin, agent_bin, "-c", s_conf, (char *)NULL);
        _exit(127);
    }
    close(logfd);
    close(nullfd);
}

/* Counts the lines of path holding text (all lines if text is NULL). */
static size_t
s_lines(const char *path, const char *text)
{
    size_t len, n = 0;
    char *content = nmirf_read_file(path, &len);
    char *save = NULL;
    for (char *line = content ? strtok_r(content, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save))
        n += !text || strstr(line, text);
    free(content);
    return n;
}

/* Assigns rec REC-n to MJ and waits until the notify log at s_nlog
   holds its notification. */
static void
s_assign_and_wait(int n, int line)
{
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec': '" REC "-%d', 'lead': 'MJ'}",
                 n);
    char rec[32];
    snprintf(rec, sizeof rec, "\"rec\":\"" REC "-%d\"", n);
    if (!sn_file_has(s_nlog, rec, S_WAIT_MS))
        s_fail(line, "no notification for " REC "-%d in %s within %d ms", n, s_nlog,
               S_WAIT_MS);
}

/* Waits until the agent's replica is loaded at the broker's sequence. */
static void
s_wait_loaded(void)
{
    uint64_t seq = h_seq(b);
    for (int waited = 0;; waited += 20) {
        nmirf_reply_t *r = ha_ctl(&s_agent, 5000, "status", NULL);
        const msgpack_object *loaded = h_get(&r->body, "loaded");
        bool done = h_u(&r->body, "seq") >= seq && loaded &&
                    loaded->type == MSGPACK_OBJECT_BOOLEAN && loaded->via.boolean;
        nmirf_reply_destroy(&r);
        if (done)
            return;
        CHECK(waited < S_WAIT_MS, "agent's replica did not reach seq %llu",
              (unsigned long long)seq);
        h_sleep_ms(20);
    }
}

/* Until READY=1: the replica store is open and the control socket
   answers at once; then the watchdog pings repeat. */
static void
s_test_ready(const char *agent_bin)
{
    s_spawn(agent_bin);
    char buf[4096];
    s_expect("READY=1", buf, sizeof buf, __LINE__);
    CHECK(sn_has(buf, "STATUS=running as MJ"), "READY=1 without its status: %s", buf);
    /* Checked before anything else runs: the agent did these before it
       said READY=1, not after. */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/replica/data.mdb", s_agent.data);
    struct stat st;
    CHECK(stat(path, &st) == 0, "READY=1 before the replica store %s existed", path);
    snprintf(path, sizeof path, "%s/agent.sock", s_agent.data);
    CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode),
          "READY=1 before the control socket %s was bound", path);
    s_agent.ctl = zsock_new(ZMQ_DEALER);
    CHECK(s_agent.ctl, "zsock_new");
    zsock_set_linger(s_agent.ctl, 0);
    CHECK(zsock_connect(s_agent.ctl, "ipc://%s", path) == 0, "connect ipc://%s", path);
    nmirf_reply_t *r = ha_ctl(&s_agent, 5000, "status", NULL);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    h_note("READY=1 came once the replica store was open and the control socket bound; "
           "a status right then is answered");

    for (int i = 0; i < 3; i++)
        s_expect("WATCHDOG=1", buf, sizeof buf, __LINE__);
    h_note("WATCHDOG=1 arrives repeatedly");
}

/* SIGHUP after a log rotation: the new log level, hook and notify log
   take effect; a restart-only change is kept. */
static void
s_test_reload(void)
{
    s_wait_loaded();
    s_assign_and_wait(0, __LINE__);
    CHECK(sn_file_has(s_hook1, REC "-0", S_WAIT_MS), "hook 1 did not see " REC "-0");
    s_expect_log("notification: ", __LINE__);

    /* Rotate the notify log as logrotate would: rename, then SIGHUP. */
    char rotated[PATH_MAX + 40];
    snprintf(rotated, sizeof rotated, "%s.1", s_nlog);
    CHECK(rename(s_nlog, rotated) == 0, "rename %s: %s", s_nlog, strerror(errno));
    char extra[2 * PATH_MAX], moved[PATH_MAX + 16];
    snprintf(extra, sizeof extra, "log_level = warning\nhook = cat >> '%s'\n", s_hook2);
    snprintf(moved, sizeof moved, "%s.moved", s_agent.data); /* restart-only */
    s_write_conf(moved, extra);
    CHECK(kill(s_agent.pid, SIGHUP) == 0, "kill -HUP");
    char buf[4096];
    s_expect("RELOADING=1", buf, sizeof buf, __LINE__);
    s_expect("READY=1", buf, sizeof buf, __LINE__);
    s_expect_log("reload: log_level changed from info to warning", __LINE__);
    s_expect_log("reload: hook changed from cat >> ", __LINE__);
    char want[2 * PATH_MAX];
    snprintf(want, sizeof want,
             "reload: cannot change data_dir without a restart; keeping %s",
             s_agent.data);
    s_expect_log(want, __LINE__);

    /* Again with the same file: the data directory in force is still the
       first one, so the same refusal, naming it. */
    CHECK(kill(s_agent.pid, SIGHUP) == 0, "kill -HUP");
    s_expect("RELOADING=1", buf, sizeof buf, __LINE__);
    s_expect("READY=1", buf, sizeof buf, __LINE__);
    CHECK(s_lines(s_agent.log_path, want) == 2,
          "a second reload did not refuse data_dir again as '%s'", want);
    size_t before = s_lines(s_agent.log_path, "notification: ");

    s_assign_and_wait(1, __LINE__);
    CHECK(s_lines(s_nlog, NULL) == 1, "the reopened notify log has %zu lines, not 1",
          s_lines(s_nlog, NULL));
    CHECK(s_lines(rotated, NULL) == 1 && s_lines(rotated, REC "-0") == 1,
          "the rotated notify log changed: %zu lines", s_lines(rotated, NULL));
    CHECK(sn_file_has(s_hook2, REC "-1", S_WAIT_MS),
          "the new hook did not run for " REC "-1");
    CHECK(s_lines(s_hook1, REC "-1") == 0, "the old hook ran after the reload");
    /* The agent logs a notification before it writes it to the file, so
       at warning level it would be there by now if it were logged. */
    CHECK(s_lines(s_agent.log_path, "notification: ") == before,
          "a notification was logged at log level warning");
    h_note(
        "SIGHUP after renaming the notify log: RELOADING=1, READY=1; new notifications "
        "in a new file at the configured path, the new hook, log level warning; "
        "data_dir kept");
}

/* A broken file on SIGHUP: refused line by line with FILE:LINE, nothing
   changed, the agent goes on. */
static void
s_test_broken_reload(void)
{
    char extra[2 * PATH_MAX];
    snprintf(extra, sizeof extra, "log_level = loud\nhook = cat >> '%s'\nnot a setting\n",
             s_hook1);
    s_write_conf(s_agent.data, extra);
    CHECK(kill(s_agent.pid, SIGHUP) == 0, "kill -HUP");
    char buf[4096];
    s_expect("RELOADING=1", buf, sizeof buf, __LINE__);
    s_expect("READY=1", buf, sizeof buf, __LINE__);
    /* The fixed settings are lines 2-7 (s_write_conf); extra starts at 8. */
    char want[2 * PATH_MAX];
    snprintf(
        want, sizeof want,
        "reload refused, nothing changed: %s:8: log_level: 'loud' is not a log level",
        s_conf);
    s_expect_log(want, __LINE__);
    snprintf(want, sizeof want,
             "reload refused, nothing changed: %s:10: expected 'key = value'", s_conf);
    s_expect_log(want, __LINE__);
    nmirf_reply_t *r = ha_ctl(&s_agent, 5000, "status", NULL);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    s_assign_and_wait(2, __LINE__);
    CHECK(sn_file_has(s_hook2, REC "-2", S_WAIT_MS), "hook 2 did not run for " REC "-2");
    CHECK(s_lines(s_hook1, REC "-2") == 0, "the refused file's hook ran");
    h_note("SIGHUP with a broken file: refused with file:line, nothing changed, the "
           "agent goes on");
}

/* SIGTERM: STOPPING=1, exit 0. */
static void
s_test_stop(void)
{
    zsock_destroy(&s_agent.ctl);
    CHECK(kill(s_agent.pid, SIGTERM) == 0, "kill -TERM");
    char buf[4096];
    s_expect("STOPPING=1", buf, sizeof buf, __LINE__);
    int status = 0;
    for (int waited = 0; waited <= S_WAIT_MS; waited += 20) {
        if (waitpid(s_agent.pid, &status, WNOHANG) == s_agent.pid) {
            s_agent.pid = 0;
            break;
        }
        h_sleep_ms(20);
    }
    CHECK(s_agent.pid == 0, "nmirf-agent did not exit within %d ms of SIGTERM",
          S_WAIT_MS);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "nmirf-agent exit status %#x",
          status);
    h_note("SIGTERM: STOPPING=1, exit 0");
}

int
main(int argc, char **argv)
{
    unit_stop = s_stop;
    ha_init(argc, argv, 110);
    const char *agent_bin = argv[2];
    b = h_broker_start(NULL);
    mj = ha_setup_ministry(b, "MJ", REC, 3);

    /* Everything of the agent's lives in DIR/agent (removed with the
       broker's directory). */
    int n = snprintf(s_agent.dir, sizeof s_agent.dir, "%s/agent", b->dir);
    CHECK(n > 0 && (size_t)n < sizeof s_agent.dir - 64, "%s: too long a path", b->dir);
    CHECK(mkdir(s_agent.dir, 0700) == 0, "mkdir %s: %s", s_agent.dir, strerror(errno));
    snprintf(s_agent.data, sizeof s_agent.data, "%s/data", s_agent.dir);
    snprintf(s_agent.log_path, sizeof s_agent.log_path, "%s/agent.log", s_agent.dir);
    snprintf(s_agent.key_path, sizeof s_agent.key_path, "%s/MJ.key", s_agent.dir);
    snprintf(s_agent.server_key_path, sizeof s_agent.server_key_path,
             "%s/keys/NMIRFD.pub", b->dir);
    snprintf(s_conf, sizeof s_conf, "%s/nmirf-agent.conf", s_agent.dir);
    snprintf(s_sock, sizeof s_sock, "%s/sd.sock", s_agent.dir);
    snprintf(s_nlog, sizeof s_nlog, "%s/notify.jsonl", s_agent.dir);
    snprintf(s_hook1, sizeof s_hook1, "%s/hook1.out", s_agent.dir);
    snprintf(s_hook2, sizeof s_hook2, "%s/hook2.out", s_agent.dir);
    char why[256] = "";
    CHECK(nmirf_key_save(&mj->key, s_agent.dir, why, sizeof why) == 0, "key save: %s",
          why);
    s_fd = sn_open(s_sock);
    CHECK(s_fd >= 0, "cannot bind %s: %s", s_sock, strerror(errno));
    char extra[2 * PATH_MAX];
    snprintf(extra, sizeof extra, "log_level = info\nhook = cat >> '%s'\n", s_hook1);
    s_write_conf(s_agent.data, extra);

    s_test_ready(agent_bin);
    s_test_reload();
    s_test_broken_reload();
    s_test_stop();
    close(s_fd);
    h_broker_destroy(&b);
    return 0;
}
