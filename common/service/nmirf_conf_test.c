/*  nmirf_conf_test - the config parser: every kind of value, every kind
    of error with its file and line, files on disk, flags over the file;
    a daemon's settings source and its SIGHUP reload. */
#include "nmirf_conf.h"
#include "nmirf_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static const nmirf_conf_spec_t s_spec[] = {
    {"name", NMIRF_CONF_STRING, 0, 0, NULL, "--name"},
    {"dir", NMIRF_CONF_PATH, 0, 0, "here", "--dir"},
    {"ep", NMIRF_CONF_ENDPOINT, 0, 0, "tcp://127.0.0.1:7710", "--ep"},
    {"count", NMIRF_CONF_UINT, 1, 100, "10", "--count"},
    {"level", NMIRF_CONF_LEVEL, 0, 0, "info", "--level"},
    {"who", NMIRF_CONF_ENTITY, 0, 0, "COORD", "--who"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* Parses text as file "t.conf"; returns the rc and leaves errors in why. */
static int
s_parse(const char *text, nmirf_conf_t **conf, char *why, size_t whylen)
{
    *conf = nmirf_conf_new(s_spec);
    return nmirf_conf_parse(*conf, "t.conf", text, strlen(text), why, whylen);
}

/* True if text is refused with exactly the error line want. */
static bool
s_refused(const char *text, const char *want)
{
    nmirf_conf_t *conf;
    char why[2048];
    int rc = s_parse(text, &conf, why, sizeof why);
    nmirf_conf_destroy(&conf);
    if (rc == 0 || strcmp(why, want) != 0) {
        fprintf(stderr, "  for %s\n  want: %s\n  got (rc %d): %s\n", text, want, rc, why);
        return false;
    }
    return true;
}

static void
s_test_values(void)
{
    nmirf_conf_t *conf;
    char why[2048];
    const char *text = "# a comment\n"
                       "\n"
                       "name = /usr/bin/logger -t nmirf 'x = y' # not a comment\n"
                       "   dir\t=\t/var/lib/nmirf   \n"
                       "ep=ipc:///run/nmirf/req\n"
                       "  # indented comment\n"
                       "count = 100\n"
                       "level = debug\n"
                       "who = MJ-2_X\n";
    CHECK(s_parse(text, &conf, why, sizeof why) == 0);
    CHECK(strcmp(nmirf_conf_get(conf, "name"),
                 "/usr/bin/logger -t nmirf 'x = y' # not a comment") == 0);
    CHECK(strcmp(nmirf_conf_get(conf, "dir"), "/var/lib/nmirf") == 0);
    CHECK(strcmp(nmirf_conf_get(conf, "ep"), "ipc:///run/nmirf/req") == 0);
    CHECK(nmirf_conf_uint(conf, "count") == 100);
    CHECK(strcmp(nmirf_conf_get(conf, "level"), "debug") == 0);
    CHECK(strcmp(nmirf_conf_get(conf, "who"), "MJ-2_X") == 0);
    CHECK(nmirf_conf_line(conf, "dir") == 4);
    CHECK(nmirf_conf_line(conf, "who") == 9);
    /* Flags override the file. */
    CHECK(nmirf_conf_set(conf, "count", "7", why, sizeof why) == 0);
    CHECK(nmirf_conf_uint(conf, "count") == 7);
    CHECK(nmirf_conf_line(conf, "count") == 0);
    CHECK(nmirf_conf_set(conf, "count", "0", why, sizeof why) == -1);
    CHECK(strcmp(why, "--count: '0' is not a number from 1 to 100") == 0);
    CHECK(nmirf_conf_uint(conf, "count") == 7);
    nmirf_conf_destroy(&conf);
    nmirf_conf_destroy(&conf); /* twice is safe */

    /* Defaults; an empty file; no final newline; comments only. */
    CHECK(s_parse("", &conf, why, sizeof why) == 0);
    CHECK(strcmp(nmirf_conf_get(conf, "dir"), "here") == 0);
    CHECK(nmirf_conf_get(conf, "name") == NULL);
    CHECK(nmirf_conf_uint(conf, "count") == 10);
    nmirf_conf_t *other = nmirf_conf_new(s_spec);
    CHECK(nmirf_conf_parse(other, "u", "count = 10", 10, why, sizeof why) == 0);
    CHECK(nmirf_conf_same(conf, other, "count"));
    CHECK(nmirf_conf_same(conf, other, "name"));
    CHECK(nmirf_conf_set(other, "name", "x", why, sizeof why) == 0);
    CHECK(!nmirf_conf_same(conf, other, "name"));
    nmirf_conf_destroy(&other);
    nmirf_conf_destroy(&conf);

    /* Endpoints that pass. */
    const char *eps[] = {"tcp://127.0.0.1:*", "tcp://[::1]:7710", "tcp://*:7710",
                         "tcp://eth0:7710", "ipc://@abstract"};
    for (size_t i = 0; i < sizeof eps / sizeof *eps; i++)
        CHECK(nmirf_conf_check(&s_spec[2], eps[i], why, sizeof why) == 0);
    const char *levels[] = {"error", "warning", "info", "debug"};
    for (size_t i = 0; i < 4; i++)
        CHECK(nmirf_conf_check(&s_spec[4], levels[i], why, sizeof why) == 0);

    /* A switch: on or off, nothing else. */
    static const nmirf_conf_spec_t onoff = {"sw", NMIRF_CONF_ONOFF, 0, 0, "off", "--sw"};
    CHECK(nmirf_conf_check(&onoff, "on", why, sizeof why) == 0);
    CHECK(nmirf_conf_check(&onoff, "off", why, sizeof why) == 0);
    CHECK(nmirf_conf_check(&onoff, "yes", why, sizeof why) == -1);
    CHECK(strcmp(why, "'yes' is neither on nor off") == 0);
    CHECK(nmirf_conf_check(&onoff, "ON", why, sizeof why) == -1);

    /* A list of endpoints (a primary and its standbys): each one checked. */
    static const nmirf_conf_spec_t list = {"eps", NMIRF_CONF_ENDPOINTS, 0, 0, NULL, "-b"};
    CHECK(nmirf_conf_check(&list, "tcp://127.0.0.1:1", why, sizeof why) == 0);
    CHECK(nmirf_conf_check(&list, "tcp://127.0.0.1:1,tcp://[::1]:2,ipc://x", why,
                           sizeof why) == 0);
    CHECK(nmirf_conf_check(&list, "tcp://127.0.0.1:1,", why, sizeof why) == -1);
    CHECK(strstr(why, "an empty or overlong endpoint") != NULL);
    CHECK(nmirf_conf_check(&list, "tcp://127.0.0.1:1,tcp//x", why, sizeof why) == -1);
    CHECK(strcmp(why, "'tcp//x' is not an endpoint (tcp://HOST:PORT or ipc://PATH)") ==
          0);
    CHECK(nmirf_conf_check(&list,
                           "ipc://a,ipc://b,ipc://c,ipc://d,ipc://e,ipc://f,"
                           "ipc://g,ipc://h,ipc://i",
                           why, sizeof why) == -1);
    CHECK(strstr(why, "more than 8 endpoints") != NULL);
}

static void
s_test_errors(void)
{
    CHECK(s_refused("count = 1\nnope = 1\n", "t.conf:2: unknown setting 'nope'"));
    CHECK(s_refused("\n\ncount = 1\n#\ncount = 2\n",
                    "t.conf:5: count set again (first on line 3)"));
    CHECK(s_refused("count = 0\n", "t.conf:1: count: '0' is not a number from 1 to 100"));
    CHECK(s_refused("count = 101\n",
                    "t.conf:1: count: '101' is not a number from 1 to 100"));
    CHECK(
        s_refused("count = -1\n", "t.conf:1: count: '-1' is not a number from 1 to 100"));
    CHECK(
        s_refused("count = 1x\n", "t.conf:1: count: '1x' is not a number from 1 to 100"));
    CHECK(s_refused("count = 99999999999999999999999\n",
                    "t.conf:1: count: '99999999999999999999999' is not a number from 1 "
                    "to 100"));
    CHECK(s_refused("level = loud\n", "t.conf:1: level: 'loud' is not a log level "
                                      "(error, warning, info, debug)"));
    CHECK(s_refused("who = mj\n",
                    "t.conf:1: who: 'mj' is not an entity id ([A-Z0-9_-]{1,16})"));
    CHECK(s_refused("ep = http://x:1\n", "t.conf:1: ep: 'http://x:1' is not an endpoint "
                                         "(tcp://HOST:PORT or ipc://PATH)"));
    CHECK(s_refused("ep = tcp://host\n", "t.conf:1: ep: 'tcp://host' is not an endpoint: "
                                         "expected tcp://HOST:PORT"));
    CHECK(s_refused("ep = tcp://host:\n",
                    "t.conf:1: ep: 'tcp://host:' is not an "
                    "endpoint: the port must be 1 to 65535 (or * for any free port)"));
    /* Hosts and ports that libzmq would refuse only at bind or connect. */
    CHECK(s_refused("ep = tcp://999.1.1.1:1\n",
                    "t.conf:1: ep: 'tcp://999.1.1.1:1' is not an endpoint: not an IPv4 "
                    "address (four numbers 0 to 255, with dots)"));
    CHECK(s_refused("ep = tcp://1.2.3:1\n",
                    "t.conf:1: ep: 'tcp://1.2.3:1' is not an endpoint: not an IPv4 "
                    "address (four numbers 0 to 255, with dots)"));
    CHECK(s_refused("ep = tcp://127.0.0.1:65536\n",
                    "t.conf:1: ep: 'tcp://127.0.0.1:65536' is not an endpoint: the port "
                    "must be 1 to 65535 (or * for any free port)"));
    CHECK(s_refused("ep = tcp://127.0.0.1:0\n",
                    "t.conf:1: ep: 'tcp://127.0.0.1:0' is not an endpoint: the port must "
                    "be 1 to 65535 (or * for any free port)"));
    CHECK(s_refused("ep = tcp://[::1:7710\n",
                    "t.conf:1: ep: 'tcp://[::1:7710' is not an endpoint: a bracketed "
                    "IPv6 address must be closed: [ADDRESS]:PORT"));
    CHECK(s_refused("ep = tcp://[zz]:7710\n",
                    "t.conf:1: ep: 'tcp://[zz]:7710' is not an endpoint: not an IPv6 "
                    "address between the brackets"));
    CHECK(
        s_refused("ep = tcp://bad!.host:7710\n",
                  "t.conf:1: ep: 'tcp://bad!.host:7710' is not an endpoint: the host is "
                  "not *, an IPv4 address, a bracketed IPv6 address nor a host name"));
    CHECK(s_refused("ep = tcp://-x.org:7710\n",
                    "t.conf:1: ep: 'tcp://-x.org:7710' is not an endpoint: the host is "
                    "not *, an IPv4 address, a bracketed IPv6 address nor a host name"));
    CHECK(s_refused("ep = tcp://a..b:7710\n",
                    "t.conf:1: ep: 'tcp://a..b:7710' is not an endpoint: the host is not "
                    "*, an IPv4 address, a bracketed IPv6 address nor a host name"));
    static const char *const good_eps[] = {"tcp://*:7710",
                                           "tcp://127.0.0.1:*",
                                           "tcp://[::1]:7710",
                                           "tcp://[fe80::1]:1",
                                           "tcp://broker.example:7710",
                                           "tcp://lo:65535",
                                           "tcp://255.255.255.255:1",
                                           "ipc:///run/nmirf/req",
                                           NULL};
    for (size_t i = 0; good_eps[i]; i++) {
        char line[128];
        nmirf_conf_t *conf;
        char why[2048];
        snprintf(line, sizeof line, "ep = %s\n", good_eps[i]);
        int rc = s_parse(line, &conf, why, sizeof why);
        nmirf_conf_destroy(&conf);
        if (rc != 0)
            fprintf(stderr, "  %s refused: %s\n", good_eps[i], why);
        CHECK(rc == 0);
    }
    CHECK(s_refused("dir =   \n", "t.conf:1: dir: no value"));
    CHECK(s_refused("dir\n", "t.conf:1: expected 'key = value'"));
    CHECK(s_refused(" = x\n", "t.conf:1: no key before '='"));
    CHECK(s_refused("name = a\xc3\n", "t.conf:1: not valid UTF-8"));
    CHECK(s_refused("# \xff comment\n", "t.conf:1: not valid UTF-8"));
    CHECK(s_refused("name = \xed\xa0\x80\n", "t.conf:1: not valid UTF-8"));
    CHECK(s_refused("name = a\x01\n",
                    "t.conf:1: control character (byte 0x01) at column 9"));
    CHECK(s_refused("name = a\r\n", "t.conf:1: control character (byte 0x0d) at column "
                                    "9; save the file with Unix line endings"));
    CHECK(s_refused("name = a\x7f\n",
                    "t.conf:1: control character (byte 0x7f) at column 9"));
    /* A NUL inside a line. */
    {
        nmirf_conf_t *conf = nmirf_conf_new(s_spec);
        char why[512];
        CHECK(nmirf_conf_parse(conf, "t.conf", "name = a\0b\n", 11, why, sizeof why) ==
              -1);
        CHECK(strcmp(why, "t.conf:1: control character (byte 0x00) at column 9") == 0);
        nmirf_conf_destroy(&conf);
    }
    /* Line length: NMIRF_CONF_LINE_MAX - 1 bytes pass, one more fails. */
    char line[NMIRF_CONF_LINE_MAX + 8];
    memset(line, 'a', sizeof line);
    memcpy(line, "name = ", 7);
    line[NMIRF_CONF_LINE_MAX - 1] = '\n';
    line[NMIRF_CONF_LINE_MAX] = '\0';
    nmirf_conf_t *conf;
    char why[2048];
    CHECK(s_parse(line, &conf, why, sizeof why) == 0);
    CHECK(strlen(nmirf_conf_get(conf, "name")) == NMIRF_CONF_LINE_MAX - 8);
    nmirf_conf_destroy(&conf);
    line[NMIRF_CONF_LINE_MAX - 1] = 'a';
    line[NMIRF_CONF_LINE_MAX] = '\n';
    line[NMIRF_CONF_LINE_MAX + 1] = '\0';
    CHECK(s_refused(line, "t.conf:1: line longer than 1023 bytes"));
    /* Every error is reported, each with its line; a valid line between
       them does not hide one. */
    CHECK(s_refused("nope = 1\ncount = 5\ncount = 6\nlevel = x\n",
                    "t.conf:1: unknown setting 'nope'\n"
                    "t.conf:3: count set again (first on line 2)\n"
                    "t.conf:4: level: 'x' is not a log level (error, warning, info, "
                    "debug)"));
    /* A short buffer cuts the report without overflowing. */
    char tiny[12];
    conf = nmirf_conf_new(s_spec);
    CHECK(nmirf_conf_parse(conf, "t.conf", "nope = 1\nnope = 2\n", 18, tiny,
                           sizeof tiny) == -1);
    CHECK(strlen(tiny) < sizeof tiny);
    nmirf_conf_destroy(&conf);
}

static void
s_test_files(void)
{
    char dir[] = "/tmp/nmirf_conf_test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], why[2048];
    snprintf(path, sizeof path, "%s/ok.conf", dir);
    FILE *f = fopen(path, "w");
    fputs("count = 42\nwho = MJ\n", f);
    fclose(f);
    nmirf_conf_t *conf = nmirf_conf_new(s_spec);
    CHECK(nmirf_conf_load(conf, path, why, sizeof why) == 0);
    CHECK(nmirf_conf_uint(conf, "count") == 42);
    nmirf_conf_destroy(&conf);

    snprintf(path, sizeof path, "%s/bad.conf", dir);
    f = fopen(path, "w");
    fputs("count = 42\nwho = mj\n", f);
    fclose(f);
    conf = nmirf_conf_new(s_spec);
    char want[512];
    snprintf(want, sizeof want, "%s:2: who: 'mj' is not an entity id ([A-Z0-9_-]{1,16})",
             path);
    CHECK(nmirf_conf_load(conf, path, why, sizeof why) == -1);
    CHECK(strcmp(why, want) == 0);
    nmirf_conf_destroy(&conf);

    snprintf(path, sizeof path, "%s/missing.conf", dir);
    conf = nmirf_conf_new(s_spec);
    CHECK(nmirf_conf_load(conf, path, why, sizeof why) == -1);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    CHECK(strcmp(why, want) == 0);
    CHECK(nmirf_conf_load(conf, dir, why, sizeof why) == -1);
    snprintf(want, sizeof want, "%s: not a regular file", dir);
    CHECK(strcmp(why, want) == 0);

    snprintf(path, sizeof path, "%s/big.conf", dir);
    CHECK(truncate(path, 0) == -1); /* not there yet */
    f = fopen(path, "w");
    fclose(f);
    CHECK(truncate(path, NMIRF_CONF_FILE_MAX + 1) == 0);
    CHECK(nmirf_conf_load(conf, path, why, sizeof why) == -1);
    snprintf(want, sizeof want, "%s: bigger than 1 MiB", path);
    CHECK(strcmp(why, want) == 0);
    nmirf_conf_destroy(&conf);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* Writes text to path (replacing it). */
static void
s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The apply callback of the reload tests: counts its calls and keeps the
   count it was shown. */
static void
s_apply(const nmirf_conf_t *next, void *arg)
{
    int *calls = arg;
    (*calls)++;
    CHECK(nmirf_conf_get(next, "count") != NULL);
}

/* Runs nmirf_conf_reload with stderr (the log) going to logpath; leaves
   what was logged in log. */
static int
s_reload_logged(nmirf_conf_t **cur, const nmirf_conf_t *keep,
                const nmirf_conf_source_t *src, const char *logpath, char *log,
                size_t loglen, int *calls)
{
    static const char *const reloadable[] = {"count", "level", NULL};
    fflush(stderr);
    int saved = dup(2);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    int rc = nmirf_conf_reload(cur, keep, src, reloadable, s_apply, calls);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(logpath, "r");
    size_t n = f ? fread(log, 1, loglen - 1, f) : 0;
    log[n] = '\0';
    if (f)
        fclose(f);
    return rc;
}

static void
s_test_source(void)
{
    nmirf_conf_source_t src = {0};
    char dir[] = "/tmp/nmirf_conf_test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], logpath[256], why[2048], log[4096];
    snprintf(path, sizeof path, "%s/d.conf", dir);
    snprintf(logpath, sizeof logpath, "%s/log", dir);

    /* Flags: recorded in order, the source full at the maximum. */
    nmirf_conf_flag(&src, "count", "7");
    nmirf_conf_flag(&src, "count", "8");
    CHECK(src.flag_count == 2);
    CHECK(nmirf_conf_check_flags(s_spec, &src, why, sizeof why) == 0);
    nmirf_conf_source_t full = {0};
    for (int i = 0; i < NMIRF_CONF_FLAGS_MAX + 3; i++)
        nmirf_conf_flag(&full, "count", "1");
    CHECK(full.flag_count == NMIRF_CONF_FLAGS_MAX);
    CHECK(nmirf_conf_check_flags(s_spec, &full, why, sizeof why) == -1);
    CHECK(strcmp(why, "too many flags") == 0);
    nmirf_conf_source_t bad = {0};
    nmirf_conf_flag(&bad, "count", "0");
    CHECK(nmirf_conf_check_flags(s_spec, &bad, why, sizeof why) == -1);
    CHECK(strcmp(why, "--count: '0' is not a number from 1 to 100") == 0);

    /* Read: defaults, then the file, then the flags. */
    nmirf_conf_t *conf = nmirf_conf_read(s_spec, &src, why, sizeof why);
    CHECK(conf && nmirf_conf_uint(conf, "count") == 8);
    nmirf_conf_destroy(&conf);
    s_write(path, "count = 42\nwho = MJ\n");
    src.path = path;
    src.flag_count = 0;
    conf = nmirf_conf_read(s_spec, &src, why, sizeof why);
    CHECK(conf && nmirf_conf_uint(conf, "count") == 42);
    CHECK(conf && strcmp(nmirf_conf_get(conf, "who"), "MJ") == 0);
    nmirf_conf_destroy(&conf);
    nmirf_conf_flag(&src, "count", "9");
    conf = nmirf_conf_read(s_spec, &src, why, sizeof why);
    CHECK(conf && nmirf_conf_uint(conf, "count") == 9);
    nmirf_conf_destroy(&conf);
    s_write(path, "count = x\nwho = mj\n");
    CHECK(nmirf_conf_read(s_spec, &src, why, sizeof why) == NULL);
    CHECK(strchr(why, '\n') != NULL); /* both errors */

    /* Start: a bad flag is 2, a bad file 1, else 0; the default file is
       read only when none is named and it exists. */
    CHECK(nmirf_conf_start(s_spec, &bad, NULL, &conf, why, sizeof why) == 2 && !conf);
    CHECK(nmirf_conf_start(s_spec, &src, NULL, &conf, why, sizeof why) == 1 && !conf);
    nmirf_conf_source_t none = {0};
    CHECK(nmirf_conf_start(s_spec, &none, "/nonexistent/d.conf", &conf, why,
                           sizeof why) == 0);
    CHECK(none.path == NULL && conf && nmirf_conf_uint(conf, "count") == 10);
    nmirf_conf_destroy(&conf);
    s_write(path, "count = 11\n");
    CHECK(nmirf_conf_start(s_spec, &none, path, &conf, why, sizeof why) == 0);
    CHECK(none.path == path && conf && nmirf_conf_uint(conf, "count") == 11);
    nmirf_conf_destroy(&conf);

    /* Reload: a reloadable change counted, a restart-only one kept, the
       log level applied, the settings read at start kept. */
    src.flag_count = 0;
    s_write(path, "count = 5\nwho = MJ\n");
    nmirf_conf_t *boot = nmirf_conf_read(s_spec, &src, why, sizeof why);
    CHECK(boot != NULL);
    if (!boot)
        return;
    nmirf_conf_t *cur = boot;
    int calls = 0;
    log_init("nmirf_conf_test", false);
    s_write(path, "count = 6\nwho = MF\nlevel = debug\n");
    CHECK(s_reload_logged(&cur, boot, &src, logpath, log, sizeof log, &calls) == 2);
    CHECK(cur != boot && calls == 1);
    CHECK(nmirf_conf_uint(cur, "count") == 6);
    CHECK(strcmp(nmirf_conf_get(cur, "who"), "MJ") == 0);
    CHECK(log_level() == NMIRF_LOG_DEBUG);
    CHECK(strstr(log, "reload: count changed from 5 to 6"));
    CHECK(strstr(log, "reload: level changed from info to debug"));
    CHECK(strstr(log, "reload: cannot change who without a restart; keeping MJ"));
    char want[512];
    snprintf(want, sizeof want, "reload: %s read, 2 settings changed", path);
    CHECK(strstr(log, want));
    CHECK(strcmp(nmirf_conf_get(boot, "who"), "MJ") == 0); /* boot kept */

    /* The same again: nothing changed, and who, compared with the value
       in force (put back in cur), is refused again. */
    CHECK(s_reload_logged(&cur, boot, &src, logpath, log, sizeof log, &calls) == 0);
    CHECK(calls == 2);
    CHECK(strcmp(nmirf_conf_get(cur, "who"), "MJ") == 0);
    CHECK(strstr(log, "changed from") == NULL);
    CHECK(strstr(log, "cannot change who without a restart; keeping MJ") != NULL);
    CHECK(strstr(log, "0 settings changed") != NULL);

    /* A broken file: refused line by line, nothing changed. */
    nmirf_conf_t *before = cur;
    s_write(path, "count = 0\nnope = 1\n");
    CHECK(s_reload_logged(&cur, boot, &src, logpath, log, sizeof log, &calls) == -1);
    CHECK(cur == before && calls == 2);
    CHECK(nmirf_conf_uint(cur, "count") == 6);
    snprintf(want, sizeof want,
             "reload refused, nothing changed: %s:2: unknown setting 'nope'", path);
    CHECK(strstr(log, want));
    snprintf(want, sizeof want, "reload refused, nothing changed: %s:1: count:", path);
    CHECK(strstr(log, want));
    log_set_level(NMIRF_LOG_INFO);

    if (cur != boot)
        nmirf_conf_destroy(&cur);
    nmirf_conf_destroy(&boot);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int
main(void)
{
    s_test_values();
    s_test_errors();
    s_test_files();
    s_test_source();
    return unit_done("nmirf_conf");
}
