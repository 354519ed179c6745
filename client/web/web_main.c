/*  nmirf-web - the console in the browser (docs/WEB.md).

    Parses the flags (section 1), then either changes the accounts
    (`user add|passwd|del|list`, section 3) and exits, or binds its socket,
    starts the HTTP server (web_http) over the API and the hub (web.h),
    writes its URL to AGENT_DIR/web/endpoint, tells systemd it is ready,
    and waits for SIGTERM or SIGINT. Exit statuses: 0 done, 1 a failure or
    a refusal, 2 a bad command line.
*/
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "nmirf_dirlock.h"
#include "nmirf_log.h"
#include "nmirf_service.h"
#include "nmirf_util.h"
#include "web.h"
#include "web_http.h"
#include "web_parse.h"
#include "web_users.h"

#define TTL_DEFAULT 28800
#define PEM_MAX (1024 * 1024)

static void
s_usage(FILE *f)
{
    fprintf(
        f,
        "usage: nmirf-web -a DIR [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
        "                 [--insecure-http] [--session-ttl SEC]\n"
        "       nmirf-web -a DIR user add NAME --role viewer|editor|coordinator "
        "[--force]\n"
        "       nmirf-web -a DIR user passwd NAME\n"
        "       nmirf-web -a DIR user del NAME\n"
        "       nmirf-web -a DIR user list\n"
        "\n"
        "The console in the browser, a client of the agent in DIR (docs/WEB.md).\n"
        "\n"
        "  -a DIR               the agent's data directory (its agent.sock and\n"
        "                       notify.sock; the accounts in DIR/web/users)\n"
        "  --listen ADDR:PORT   where to listen (default 127.0.0.1:7780; port 0: any\n"
        "                       free one). The URL is written to DIR/web/endpoint\n"
        "  --tls-cert FILE      serve HTTPS with this PEM certificate (chain) ...\n"
        "  --tls-key FILE       ... and this PEM key. Required off loopback\n"
        "  --insecure-http      allow plain HTTP off loopback (a test network only)\n"
        "  --session-ttl SEC    idle expiry of a session (default 28800 = 8 h; at\n"
        "                       most 24 h from the login in any case)\n"
        "  -h, --help           this help\n"
        "\n"
        "Accounts: `user add` asks the password twice on a terminal, or reads one\n"
        "line from stdin; at least %d characters. A coordinator account needs the\n"
        "agent running as the coordinator's entity (--force: without checking).\n",
        WEB_PASSWORD_MIN);
}

static void __attribute__((noreturn, format(printf, 1, 2))) s_bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nmirf-web: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(nmirf-web --help for usage)\n");
    exit(2);
}

/* --- accounts ---------------------------------------------------------- */

/* One line of stdin into buf (without its newline); -1 at EOF or if it is
   longer than buf. */
static int
s_read_line(char *buf, size_t size)
{
    if (!fgets(buf, (int)size, stdin))
        return -1;
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (n == size - 1)
        return -1; /* longer than we take */
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

/* A password from the terminal (twice, no echo) or one stdin line. */
static int
s_password(const char *name, char *pw, size_t size)
{
    if (!isatty(STDIN_FILENO)) {
        if (s_read_line(pw, size)) {
            fprintf(stderr,
                    "nmirf-web: no password on stdin (one line, at most %zu "
                    "bytes)\n",
                    size - 2);
            return -1;
        }
        return 0;
    }
    struct termios old, quiet;
    if (tcgetattr(STDIN_FILENO, &old))
        return -1;
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    char again[WEB_PASSWORD_MAX + 2];
    int rc = -1;
    fprintf(stderr, "Password for %s: ", name);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    int r1 = s_read_line(pw, size);
    fprintf(stderr, "\nAgain: ");
    int r2 = r1 ? -1 : s_read_line(again, sizeof again);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fprintf(stderr, "\n");
    if (r1 || r2)
        fprintf(stderr, "nmirf-web: no password read\n");
    else if (strcmp(pw, again))
        fprintf(stderr, "nmirf-web: the two passwords differ; nothing changed\n");
    else
        rc = 0;
    sodium_memzero(again, sizeof again);
    return rc;
}

/* May a coordinator account be made here? 0 yes, -1 no (said why). */
static int
s_coordinator_ok(const char *agent_dir, bool force)
{
    web_api_t *api = web_api_new(agent_dir);
    char entity[128], role[64], why[256] = "cannot reach the agent";
    int rc = api ? web_api_console(api, entity, sizeof entity, role, sizeof role, why,
                                   sizeof why)
                 : -1;
    web_api_destroy(&api);
    if (rc) {
        if (force) {
            fprintf(stderr,
                    "nmirf-web: warning: %s; the coordinator account is made "
                    "unchecked (--force)\n",
                    why);
            return 0;
        }
        fprintf(stderr,
                "nmirf-web: cannot tell whether this agent is the coordinator's: %s.\n"
                "Start nmirf-agent -a %s first, or add --force.\n",
                why, agent_dir);
        return -1;
    }
    if (strcmp(role, "coordinator")) {
        fprintf(stderr,
                "nmirf-web: the agent's entity %s is a %s, not the coordinator: a "
                "coordinator account is refused here\n",
                entity, role);
        return -1;
    }
    return 0;
}

static int
s_user(const char *agent_dir, int argc, char **argv)
{
    /* argv[0] is "user" */
    if (argc < 2)
        s_bad("user: add, passwd, del or list");
    const char *cmd = argv[1];
    char why[512];
    char pw[WEB_PASSWORD_MAX + 2];
    int rc = 0;
    if (!strcmp(cmd, "list")) {
        if (argc != 2)
            s_bad("user list: no argument");
        web_account_t *v;
        size_t n;
        if (web_users_read(agent_dir, &v, &n, why, sizeof why)) {
            fprintf(stderr, "nmirf-web: %s\n", why);
            return 1;
        }
        printf("%-24s %-12s %s\n", "NAME", "ROLE", "LANG");
        for (size_t i = 0; i < n; i++)
            printf("%-24s %-12s %s\n", v[i].name, web_role_name(v[i].role),
                   v[i].lang[0] ? v[i].lang : "-");
        free(v);
        return 0;
    }
    if (!strcmp(cmd, "add")) {
        const char *name = NULL, *role = NULL;
        bool force = false;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--role")) {
                if (++i == argc)
                    s_bad("user add: --role needs viewer, editor or coordinator");
                role = argv[i];
            } else if (!strncmp(argv[i], "--role=", 7)) {
                role = argv[i] + 7;
            } else if (!strcmp(argv[i], "--force")) {
                force = true;
            } else if (argv[i][0] == '-') {
                s_bad("user add: unknown option %s", argv[i]);
            } else if (name) {
                s_bad("user add: one NAME only");
            } else {
                name = argv[i];
            }
        }
        if (!name)
            s_bad("user add: NAME is missing");
        if (!role)
            s_bad("user add: --role viewer|editor|coordinator is required");
        int r = web_role_from_name(role);
        if (r < 0)
            s_bad("user add: --role %s: not viewer, editor or coordinator", role);
        if (!web_user_name_valid(name)) {
            fprintf(stderr,
                    "nmirf-web: %s: not a login name ([A-Za-z0-9._-], 1 to %d "
                    "bytes, not starting with . or -)\n",
                    name, WEB_USER_MAX);
            return 1;
        }
        if (r == WEB_ROLE_COORDINATOR && s_coordinator_ok(agent_dir, force))
            return 1;
        if (s_password(name, pw, sizeof pw))
            return 1;
        rc = web_users_add(agent_dir, name, (web_role_t)r, pw, why, sizeof why);
        if (rc == 0)
            printf("%s added (%s)\n", name, role);
    } else if (!strcmp(cmd, "passwd") || !strcmp(cmd, "del")) {
        if (argc != 3 || argv[2][0] == '-')
            s_bad("user %s NAME", cmd);
        if (!strcmp(cmd, "del")) {
            rc = web_users_del(agent_dir, argv[2], why, sizeof why);
            if (rc == 0)
                printf("%s deleted\n", argv[2]);
        } else {
            if (s_password(argv[2], pw, sizeof pw))
                return 1;
            rc = web_users_passwd(agent_dir, argv[2], pw, why, sizeof why);
            if (rc == 0)
                printf("%s: password changed\n", argv[2]);
        }
    } else {
        s_bad("user %s: not add, passwd, del or list", cmd);
    }
    sodium_memzero(pw, sizeof pw);
    if (rc) {
        fprintf(stderr, "nmirf-web: %s\n", why);
        return 1;
    }
    return 0;
}

/* --- the server -------------------------------------------------------- */

/* Binds and listens on ADDR:PORT ("[v6]:port" too). Returns the socket,
   with *loopback set, or -1 with why (-2: a bad ADDR:PORT; -3: not a
   loopback address, and not public_ok: nothing bound). The URL's host
   part into host, the port bound (port 0: the one chosen) into *port. */
static int
s_listen(const char *spec, bool public_ok, bool *loopback, char *host, size_t hostsize,
         unsigned *port, char *why, size_t whylen)
{
    char h[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || strlen(spec) >= sizeof h) {
        snprintf(why, whylen, "--listen %s: not ADDR:PORT", spec);
        return -2;
    }
    size_t hlen = (size_t)(colon - spec);
    memcpy(h, spec, hlen);
    h[hlen] = '\0';
    if (h[0] == '[' && hlen > 2 && h[hlen - 1] == ']') {
        memmove(h, h + 1, hlen - 2);
        h[hlen - 2] = '\0';
    }
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || p > 65535) {
        snprintf(why, whylen, "--listen %s: the port is not 0 to 65535", spec);
        return -2;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai;
    int e = getaddrinfo(h, colon + 1, &hints, &ai);
    if (e) {
        snprintf(why, whylen, "--listen %s: %s", spec, gai_strerror(e));
        return -2;
    }
    const struct sockaddr *sa = ai->ai_addr;
    *loopback =
        (sa->sa_family == AF_INET &&
         (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127) ||
        (sa->sa_family == AF_INET6 &&
         IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr));
    if (!*loopback && !public_ok) {
        freeaddrinfo(ai);
        return -3;
    }
    char numeric[INET6_ADDRSTRLEN];
    getnameinfo(sa, ai->ai_addrlen, numeric, sizeof numeric, NULL, 0, NI_NUMERICHOST);
    snprintf(host, hostsize, sa->sa_family == AF_INET6 ? "[%s]" : "%s", numeric);
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, sa, ai->ai_addrlen) || listen(fd, 128)) {
        snprintf(why, whylen, "--listen %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                          : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static char *
s_read_pem(const char *flag, const char *path)
{
    char why[512];
    size_t len;
    char *text = nmirf_read_regular(path, PEM_MAX, &len, NULL, why, sizeof why);
    if (!text) {
        fprintf(stderr, "nmirf-web: %s: %s\n", flag, why);
        exit(1);
    }
    if (!strstr(text, "-----BEGIN ")) {
        fprintf(stderr, "nmirf-web: %s %s: not a PEM file\n", flag, path);
        exit(1);
    }
    return text;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"insecure-http", no_argument, NULL, 'i'},
        {"session-ttl", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *agent_dir = NULL, *listen_spec = "127.0.0.1:7780", *cert = NULL,
               *key = NULL;
    bool insecure = false;
    unsigned long ttl = TTL_DEFAULT;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+a:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'a':
            agent_dir = optarg;
            break;
        case 'l':
            listen_spec = optarg;
            break;
        case 'c':
            cert = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'i':
            insecure = true;
            break;
        case 't':
            ttl = strtoul(optarg, &end, 10);
            if (!*optarg || *end || ttl < 60 || ttl > 24 * 3600)
                s_bad("--session-ttl %s: seconds from 60 to 86400", optarg);
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            if (optopt && strchr("a", optopt))
                s_bad("-%c needs a value", optopt);
            s_bad("unknown option %s", argv[optind - 1]);
        }
    }
    if (!agent_dir)
        s_bad("-a DIR is required (the agent's data directory)");
    if (sodium_init() < 0) {
        fprintf(stderr, "nmirf-web: libsodium cannot start\n");
        return 1;
    }
    log_init("nmirf-web", false);
    if (optind < argc) {
        if (strcmp(argv[optind], "user"))
            s_bad("%s: not a subcommand (user add|passwd|del|list)", argv[optind]);
        return s_user(agent_dir, argc - optind, argv + optind);
    }
    if (!cert != !key)
        s_bad("--tls-cert and --tls-key go together");

    bool loopback;
    char host[INET6_ADDRSTRLEN + 2], why[512];
    unsigned port;
    /* One console per agent: a second would serve beside the first, and
       whichever stopped first would remove the other's endpoint file. The
       lock (DIR/web/lock) is held by its descriptor until exit. */
    char webdir[4096];
    snprintf(webdir, sizeof webdir, "%s/web", agent_dir);
    if (mkdir(webdir, 0700) && errno != EEXIST)
        fatal("%s", webdir);
    pid_t holder;
    if (nmirf_dirlock_take(webdir, "nmirf-web", &holder, why, sizeof why) < 0)
        fatalx("%s", why);
    int fd = s_listen(listen_spec, cert || insecure, &loopback, host, sizeof host, &port,
                      why, sizeof why);
    if (fd == -2)
        s_bad("%s", why);
    if (fd == -3) {
        s_bad("--listen %s is not a loopback address: serve HTTPS (--tls-cert, "
              "--tls-key), or allow plain HTTP with --insecure-http on a test network",
              listen_spec);
    }
    if (fd < 0)
        fatalx("%s", why);
    if (!loopback && !cert)
        log_warnx("plain HTTP on %s, off loopback (--insecure-http): passwords and "
                  "sessions cross the network in clear",
                  listen_spec);
    char *cert_pem = cert ? s_read_pem("--tls-cert", cert) : NULL;
    char *key_pem = key ? s_read_pem("--tls-key", key) : NULL;

    /* Every thread made from here on inherits the mask: sigwait below is
       the one place these signals arrive. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    web_api_t *api = web_api_new(agent_dir);
    if (!api)
        fatalx("cannot make the API over %s", agent_dir);
    web_hub_t *hub = web_hub_new(agent_dir);
    if (!hub)
        log_warnx("no notifications from %s: /api/events answers agent_down", agent_dir);
    web_http_conf_t conf = {.agent_dir = agent_dir,
                            .listen_fd = fd,
                            .session_ttl = (unsigned)ttl,
                            .tls_cert = cert_pem,
                            .tls_key = key_pem};
    web_http_t *http = web_http_start(&conf, api, hub, why, sizeof why);
    if (key_pem)
        sodium_memzero(key_pem, strlen(key_pem));
    free(cert_pem);
    free(key_pem);
    if (!http)
        fatalx("%s", why);

    char dir[4096], endpoint[4096], url[512];
    snprintf(dir, sizeof dir, "%s/web", agent_dir);
    snprintf(endpoint, sizeof endpoint, "%s/web/endpoint", agent_dir);
    snprintf(url, sizeof url, "%s://%s:%u/\n", cert ? "https" : "http", host, port);
    if ((mkdir(dir, 0700) && errno != EEXIST) ||
        nmirf_write_file(endpoint, url, strlen(url), 0644))
        log_warn("%s", endpoint);
    url[strlen(url) - 1] = '\0';
    log_info("serving %s for the agent in %s", url, agent_dir);
    nmirf_service_ready("serving %s", url);

    int sig = 0;
    while (sigwait(&sigs, &sig))
        ;
    log_info("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    nmirf_service_stopping();
    web_http_stop(&http);
    web_hub_destroy(&hub);
    web_api_destroy(&api);
    unlink(endpoint);
    return 0;
}
