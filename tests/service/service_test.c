/*  service_test - nmirfd under a service manager, played by this test:
    readiness (READY=1 only once the endpoints are bound and answer: the
    request port is held by the test at the start, so nmirfd's bind
    retries, and no READY=1 may come until the test lets it go), the
    watchdog pings,
    SIGHUP reloads (a change applied and logged, a restart-only setting
    kept, a broken file refused) and STOPPING=1 on SIGTERM.

    The test binds a unix datagram socket, starts nmirfd with
    NOTIFY_SOCKET pointing at it and WATCHDOG_USEC set, and reads what
    nmirfd sends, as systemd would. Every wait is bounded; no time is
    asserted. A failure prints nmirfd's log.

    usage: service_test PATH-TO-NMIRFD
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nmirf_client.h"
#include "nmirf_keys.h"
#include "nmirf_util.h"
#include "service_notify.h"
#include "unit.h"

#define S_WAIT_MS 10000 /* the longest any one wait may take */

static char s_dir[] = "/tmp/nmirf_service_test.XXXXXX";
static char s_log[256], s_conf[256], s_sock[100];
static char s_req_ep[64]; /* tcp://127.0.0.1:PORT, the port held at first */
static pid_t s_pid;
static int s_fd = -1;

/* Prints why, nmirfd's log, kills it and exits 1. */
static void __attribute__((noreturn, format(printf, 2, 3)))
s_fail(int line, const char *fmt, ...)
{
    fprintf(stderr, "FAIL service_test.c:%d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n===== nmirfd log %s =====\n", s_log);
    size_t len;
    char *text = nmirf_read_file(s_log, &len);
    if (text)
        fwrite(text, 1, len, stderr);
    free(text);
    fprintf(stderr, "===== end of log; data kept in %s =====\n", s_dir);
    if (s_pid > 0)
        kill(s_pid, SIGKILL);
    exit(1);
}

/* A failed CHECK (unit.h) stops the test through s_fail. */
static void __attribute__((noreturn)) s_stop(const char *file, int line, const char *what)
{
    s_fail(line, "%s", what);
}

static void
s_note(const char *what)
{
    printf("ok - %s\n", what);
    fflush(stdout);
}

/* Waits for a notification holding assignment, skipping others (watchdog
   pings); fails after S_WAIT_MS. */
static void
s_expect(const char *assignment, int line)
{
    char buf[4096];
    if (!sn_expect(s_fd, assignment, S_WAIT_MS, buf, sizeof buf))
        s_fail(line, "no %s from nmirfd within %d ms", assignment, S_WAIT_MS);
}

/* Waits until nmirfd's log holds text; fails after S_WAIT_MS. */
static void
s_expect_log(const char *text, int line)
{
    if (!sn_file_has(s_log, text, S_WAIT_MS))
        s_fail(line, "nmirfd logged no '%s' within %d ms", text, S_WAIT_MS);
}

static void
s_write_conf(const char *extra)
{
    FILE *f = fopen(s_conf, "w");
    CHECK(f, "cannot write %s", s_conf);
    fprintf(f,
            "# written by service_test\n"
            "data_dir = %s/data\n"
            "request_endpoint = %s\n"
            "events_endpoint = tcp://127.0.0.1:*\n"
            "%s",
            s_dir, s_req_ep, extra);
    fclose(f);
}

/* Pings the broker as its coordinator, with the endpoint from
   DATA/endpoints; fails unless it answers ok. */
static void
s_ping(int line)
{
    char path[300];
    snprintf(path, sizeof path, "%s/data/endpoints", s_dir);
    size_t len;
    char *text = nmirf_read_file(path, &len);
    if (!text)
        s_fail(line, "no %s when READY=1 came", path);
    char *req = strstr(text, "request = ");
    char *nl = req ? strchr(req, '\n') : NULL;
    if (!nl)
        s_fail(line, "incomplete %s when READY=1 came", path);
    *nl = '\0';
    char why[256], server[41];
    nmirf_key_t key;
    snprintf(path, sizeof path, "%s/data/keys/COORD.key", s_dir);
    if (nmirf_key_load(&key, path, why, sizeof why))
        s_fail(line, "coordinator key: %s", why);
    snprintf(path, sizeof path, "%s/data/keys/NMIRFD.pub", s_dir);
    if (nmirf_client_server_key_load(path, server, why, sizeof why))
        s_fail(line, "server key: %s", why);
    nmirf_client_t *c = nmirf_client_new(req + strlen("request = "), &key, server, 5000);
    free(text);
    if (!c)
        s_fail(line, "cannot make a client");
    nmirf_reply_t *r = nmirf_client_call(c, "ping", NULL, 0, why, sizeof why);
    if (!r || r->code != 0)
        s_fail(line, "ping: %s", r ? r->message : why);
    nmirf_reply_destroy(&r);
    nmirf_client_destroy(&c);
    nmirf_key_wipe(&key);
}

/* A listening TCP socket on a free loopback port: the port nmirfd will be
   told to bind, held so that its bind fails with EADDRINUSE and retries
   until the test closes this. Returns the fd; the port into *port. */
static int
s_hold_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 1) == 0 &&
              getsockname(fd, (struct sockaddr *)&sa, &len) == 0,
          "hold a loopback port: %s", strerror(errno));
    *port = ntohs(sa.sin_port);
    return fd;
}

int
main(int argc, char **argv)
{
    unit_stop = s_stop;
    const char *nmirfd = argc > 1 ? argv[1] : getenv("NMIRFD");
    if (!nmirfd || access(nmirfd, X_OK) != 0) {
        fprintf(stderr, "usage: %s PATH-TO-NMIRFD\n", argv[0]);
        return 2;
    }
    if (sodium_init() < 0 || !mkdtemp(s_dir))
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(120); /* the last resort; every wait below is shorter */
    snprintf(s_log, sizeof s_log, "%s/nmirfd.log", s_dir);
    snprintf(s_conf, sizeof s_conf, "%s/nmirfd.conf", s_dir);
    snprintf(s_sock, sizeof s_sock, "%s/notify.sock", s_dir);

    /* The service manager's end: a datagram socket, as systemd's. */
    s_fd = sn_open(s_sock);
    CHECK(s_fd >= 0, "cannot bind %s: %s", s_sock, strerror(errno));
    int port, held = s_hold_port(&port);
    snprintf(s_req_ep, sizeof s_req_ep, "tcp://127.0.0.1:%d", port);
    s_write_conf("log_level = info\nslow_commit_ms = 100\n");

    int logfd = open(s_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    CHECK(logfd >= 0, "open %s", s_log);
    s_pid = fork();
    CHECK(s_pid >= 0, "fork");
    if (s_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(logfd, 1);
        dup2(logfd, 2);
        setenv("NOTIFY_SOCKET", s_sock, 1);
        setenv("WATCHDOG_USEC", "200000", 1); /* pings every 100 ms */
        unsetenv("WATCHDOG_PID");
        execl(nmirfd, nmirfd, "-c", s_conf, (char *)NULL);
        _exit(127);
    }

    /* Readiness. While the test holds the request port, nmirfd retries its
       bind (for two seconds at least, broker.c): once its keys exist it is
       at the bind or just before it, and for half a second after that
       nothing may say READY=1, nor may DATA/endpoints exist (written once
       both endpoints are bound). */
    char path[300], note[4096];
    snprintf(path, sizeof path, "%s/data/keys/NMIRFD.pub", s_dir);
    for (int waited = 0; access(path, R_OK) != 0; waited += 20) {
        CHECK(waited < S_WAIT_MS, "nmirfd made no %s within %d ms", path, S_WAIT_MS);
        CHECK(sn_recv(s_fd, note, sizeof note, 20) < 0 || !sn_has(note, "READY=1"),
              "READY=1 before the broker's keys existed, with %s held", s_req_ep);
    }
    for (int waited = 0; waited < 500; waited += 20)
        CHECK(sn_recv(s_fd, note, sizeof note, 20) < 0 || !sn_has(note, "READY=1"),
              "READY=1 while %s was held by the test: nmirfd had not bound it", s_req_ep);
    snprintf(path, sizeof path, "%s/data/endpoints", s_dir);
    CHECK(access(path, F_OK) != 0, "%s written while %s was held", path, s_req_ep);
    CHECK(waitpid(s_pid, NULL, WNOHANG) == 0, "nmirfd exited while its port was held");
    close(held);
    s_note("no READY=1 while the request port was held and the bind retried");

    /* Then the first READY=1, and at that instant the endpoints exist and
       answer. */
    s_expect("READY=1", __LINE__);
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0,
          "READY=1 came but %s refuses a connection: %s", s_req_ep, strerror(errno));
    close(probe);
    s_ping(__LINE__);
    s_note("READY=1 came once the endpoints were bound: a connection and a ping right "
           "then are answered");

    /* The watchdog: pings keep coming from the broker's loop. */
    for (int i = 0; i < 3; i++)
        s_expect("WATCHDOG=1", __LINE__);
    s_note("WATCHDOG=1 arrives repeatedly");

    /* A reload: two reloadable changes applied, one restart-only change
       kept. */
    s_write_conf("log_level = debug\nslow_commit_ms = 5\nmap_size_mib = 2048\n");
    CHECK(kill(s_pid, SIGHUP) == 0, "kill -HUP");
    s_expect("RELOADING=1", __LINE__);
    s_expect("READY=1", __LINE__);
    s_expect_log("reload: log_level changed from info to debug", __LINE__);
    s_expect_log("reload: slow_commit_ms changed from 100 to 5", __LINE__);
    s_expect_log("reload: cannot change map_size_mib without a restart; keeping 1024",
                 __LINE__);
    s_ping(__LINE__);
    s_note("SIGHUP: log level and slow-commit threshold changed, map size kept");

    /* A broken file on SIGHUP changes nothing, and the broker serves on. */
    s_write_conf("log_level = loud\nnot a setting\n");
    CHECK(kill(s_pid, SIGHUP) == 0, "kill -HUP");
    s_expect("READY=1", __LINE__);
    char want[512];
    snprintf(
        want, sizeof want,
        "reload refused, nothing changed: %s:5: log_level: 'loud' is not a log level",
        s_conf);
    s_expect_log(want, __LINE__);
    snprintf(want, sizeof want,
             "reload refused, nothing changed: %s:6: expected 'key = value'", s_conf);
    s_expect_log(want, __LINE__);
    s_ping(__LINE__);
    s_note("SIGHUP with a broken file: refused with file:line, broker serving on");

    /* SIGTERM: STOPPING=1, a clean exit, and the log says so. */
    CHECK(kill(s_pid, SIGTERM) == 0, "kill -TERM");
    s_expect("STOPPING=1", __LINE__);
    int status = 0;
    for (int waited = 0; waited <= S_WAIT_MS; waited += 20) {
        if (waitpid(s_pid, &status, WNOHANG) == s_pid) {
            s_pid = 0;
            break;
        }
        usleep(20000);
    }
    CHECK(s_pid == 0, "nmirfd did not exit within %d ms of SIGTERM", S_WAIT_MS);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "nmirfd exit status %#x",
          status);
    s_expect_log("requests in flight committed and answered, store closed", __LINE__);
    s_note("SIGTERM: STOPPING=1, exit 0, 'store closed' logged");

    close(s_fd);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : 1;
}
