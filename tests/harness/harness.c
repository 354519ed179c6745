/*  harness - broker processes: spawn, wait for endpoints, stop, kill,
    restart, and the failure report (harness.h).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, prctl */
#endif
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define S_MAX_BROKERS 8           /* brokers one test may run at once */
#define S_START_WAIT_MS 10000     /* endpoints file must appear within this */
#define S_STOP_WAIT_MS 10000      /* SIGTERM must end the broker within this */
#define S_POLL_MS 10              /* step of every polling wait */
#define S_LOG_PRINT_MAX (1 << 20) /* print at most this much of one log */
#define S_LAST_REPLY_MAX 4096     /* keep this much of the last reply */
#define S_PORT_LOW 20000          /* test brokers' ports: below the kernel's */
#define S_PORT_HIGH 32767         /* ephemeral range (32768-60999 by default) */

static const char *s_nmirfd;                 /* the broker binary */
static h_broker_t *s_brokers[S_MAX_BROKERS]; /* live brokers, for h_fail */
static pthread_mutex_t s_fail_lock = PTHREAD_MUTEX_INITIALIZER;  /* one h_fail */
static pthread_mutex_t s_reply_lock = PTHREAD_MUTEX_INITIALIZER; /* s_last_reply */
static char s_last_reply[S_LAST_REPLY_MAX];                      /* see h_remember */
static char s_last_note[256]; /* the last step that passed */
static bool s_seeded;         /* h_seed was called */
static unsigned s_seed_value; /* what it returned */

/* --- failure report --------------------------------------------------- */

/* Writes the whole file at path to fd with only async-signal-safe calls. */
static void
s_dump_file(int fd, const char *path)
{
    int in = open(path, O_RDONLY);
    if (in < 0)
        return;
    char buf[4096];
    size_t total = 0;
    ssize_t n;
    while (total < S_LOG_PRINT_MAX && (n = read(in, buf, sizeof buf)) > 0) {
        if (write(fd, buf, (size_t)n) < 0)
            break;
        total += (size_t)n;
    }
    close(in);
}

/* Writes a NUL-terminated string to fd (async-signal-safe). */
static void
s_say(int fd, const char *s)
{
    if (write(fd, s, strlen(s)) < 0)
        return;
}

/* Prints every live broker's log to stderr and SIGKILLs the broker.
   Async-signal-safe, so the watchdog can call it. */
static void
s_dump_and_kill_all(void)
{
    for (size_t i = 0; i < S_MAX_BROKERS; i++) {
        h_broker_t *b = s_brokers[i];
        if (!b)
            continue;
        s_say(2, "\n===== broker log ");
        s_say(2, b->log_path);
        s_say(2, " =====\n");
        s_dump_file(2, b->log_path);
        s_say(2, "===== end of broker log; data kept in ");
        s_say(2, b->dir);
        s_say(2, " =====\n");
        if (b->pid > 0)
            kill(b->pid, SIGKILL);
    }
}

/* The body of h_fail and h_fail_expr (expr may be NULL). */
static void __attribute__((noreturn))
s_fail(const char *file, int line, const char *expr, const char *fmt, va_list ap)
{
    /* One thread reports; any other failing at once waits for the exit. */
    if (pthread_mutex_trylock(&s_fail_lock) != 0)
        for (;;)
            pause();
    fflush(stdout);
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    if (expr)
        fprintf(stderr, "%s\n    ", expr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nlast reply: %s\n", s_last_reply[0] ? s_last_reply : "(none)");
    fprintf(stderr, "last step that passed: %s\n",
            s_last_note[0] ? s_last_note : "(none)");
    if (s_seeded)
        fprintf(stderr, "random seed %u (NMIRF_SEED=%u reruns it)\n", s_seed_value,
                s_seed_value);
    fflush(stderr);
    s_dump_and_kill_all();
    _exit(1);
}

void
h_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_fail(file, line, NULL, fmt, ap);
}

void
h_fail_expr(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_fail(file, line, expr, fmt, ap);
}

void
h_remember(const char *op, const nmirf_reply_t *r)
{
    char *body = NULL;
    if (r) {
        json_t *json = nmirf_json_from_mp(&r->body);
        body = json ? json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(json);
    }
    pthread_mutex_lock(&s_reply_lock);
    if (r)
        snprintf(s_last_reply, sizeof s_last_reply, "%s -> %s (%s) seq %llu body %s", op,
                 r->code_name, r->message, (unsigned long long)r->seq, body ? body : "?");
    else
        snprintf(s_last_reply, sizeof s_last_reply, "%s -> no reply", op);
    pthread_mutex_unlock(&s_reply_lock);
    free(body);
}

unsigned
h_seed(const char *name)
{
    const char *env = getenv("NMIRF_SEED");
    char *end = NULL;
    errno = 0;
    unsigned long v = env && *env ? strtoul(env, &end, 10) : 0;
    if (env && *env && (errno || *end || v > UINT_MAX)) {
        fprintf(stderr, "%s: NMIRF_SEED '%s' is not a number\n", name, env);
        exit(2);
    }
    s_seed_value = env && *env ? (unsigned)v : (unsigned)nmirf_now_ms();
    s_seeded = true;
    printf("%s: seed %u (rerun with NMIRF_SEED=%u)\n", name, s_seed_value, s_seed_value);
    fflush(stdout);
    return s_seed_value;
}

void
h_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s_last_note, sizeof s_last_note, fmt, ap);
    va_end(ap);
    printf("ok - %s\n", s_last_note);
    fflush(stdout);
}

/* The watchdog: the test ran out of time. */
static void
s_on_alarm(int sig)
{
    (void)sig;
    s_say(2, "FAIL watchdog: the test ran out of time\n");
    s_dump_and_kill_all();
    _exit(1);
}

void
h_init(int argc, char **argv, unsigned seconds)
{
    s_nmirfd = argc > 1 ? argv[1] : getenv("NMIRFD");
    if (!s_nmirfd || access(s_nmirfd, X_OK) != 0) {
        fprintf(stderr, "usage: %s PATH-TO-NMIRFD (or set NMIRFD)\n", argv[0]);
        exit(2);
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        exit(2);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, s_on_alarm);
    alarm(seconds);
}

int
h_sh(char **out, const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    H_ASSERTF(n >= 0 && (size_t)n < sizeof cmd, "command line too long: %.80s", cmd);
    FILE *p = popen(cmd, "r");
    H_ASSERTF(p, "popen %s: %s", cmd, strerror(errno));
    size_t cap = 0;
    FILE *mem = open_memstream(out, &cap);
    H_ASSERT(mem);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, got, mem);
    fclose(mem);
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
h_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* --- process life ----------------------------------------------------- */

/* Strips leading and trailing blanks of s in place; returns the start. */
static char *
s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Parses the endpoints file text (`name = endpoint` lines). Returns 0 when
   both request and events were found and the file ends with a newline
   (so it is complete), -1 otherwise. */
static int
s_parse_endpoints(h_broker_t *b, char *text, size_t len)
{
    if (len == 0 || text[len - 1] != '\n')
        return -1;
    b->request_ep[0] = b->events_ep[0] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq || line[0] == '#')
            continue;
        *eq = '\0';
        char *name = s_trim(line);
        char *value = s_trim(eq + 1);
        if (strlen(value) >= H_ENDPOINT_MAX)
            continue;
        if (strcmp(name, "request") == 0)
            strcpy(b->request_ep, value);
        else if (strcmp(name, "events") == 0)
            strcpy(b->events_ep, value);
    }
    return b->request_ep[0] && b->events_ep[0] ? 0 : -1;
}

/* Waits (bounded) until the broker wrote its endpoints, failing if it
   exits first or takes longer than S_START_WAIT_MS. */
static void
s_wait_endpoints(h_broker_t *b)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/endpoints", b->dir);
    for (int waited = 0; waited <= S_START_WAIT_MS; waited += S_POLL_MS) {
        int status;
        if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
            b->pid = 0;
            h_fail(__FILE__, __LINE__, "nmirfd exited during start (status %#x)", status);
        }
        size_t len;
        char *text = nmirf_read_file(path, &len);
        if (text) {
            int rc = s_parse_endpoints(b, text, len);
            free(text);
            if (rc == 0)
                return;
        }
        h_sleep_ms(S_POLL_MS);
    }
    h_fail(__FILE__, __LINE__, "nmirfd wrote no complete %s within %d ms", path,
           S_START_WAIT_MS);
}

/* Connects a client as e to the broker's request endpoint. */
static void
s_connect(h_broker_t *b, h_entity_t *e)
{
    e->client =
        nmirf_client_new(b->request_ep, &e->key, b->server_key, H_CALL_TIMEOUT_MS);
    H_ASSERTF(e->client, "cannot connect %s to %s", e->id, b->request_ep);
}

/* Closes every entity's client. */
static void
s_disconnect_all(h_broker_t *b)
{
    for (size_t i = 0; i < b->ent_count; i++)
        nmirf_client_destroy(&b->ents[i].client);
}

/* Why not "tcp://127.0.0.1:*": a port the kernel hands out (port 0) comes
   from the ephemeral range, which every outgoing connection of every test
   also draws from. After a revocation the broker closes and binds its
   endpoints again (PROTOCOL.md section 1); in that moment another test's
   broker or client could be given the same port, and the rebind would
   fail. A random free port below the ephemeral range is not given out to
   anyone else. */
int
h_free_port(void)
{
    for (int tries = 0; tries < 1000; tries++) {
        int port = S_PORT_LOW + (int)randombytes_uniform(S_PORT_HIGH - S_PORT_LOW + 1);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        H_ASSERTF(fd >= 0, "socket: %s", strerror(errno));
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
        close(fd);
        if (rc == 0)
            return port;
    }
    H_ASSERTF(0, "no free loopback port in %d-%d after 1000 tries", S_PORT_LOW,
              S_PORT_HIGH);
    return -1;
}

/* Forks and execs nmirfd on b->dir with stdout and stderr appended to
   b->log_path, waits for its endpoints, then connects every entity (and
   loads the coordinator's key on the first start). */
static void
s_spawn(h_broker_t *b)
{
    char endpoints[PATH_MAX + 16];
    snprintf(endpoints, sizeof endpoints, "%s/endpoints", b->dir);
    H_ASSERTF(unlink(endpoints) == 0 || errno == ENOENT, "unlink %s: %s", endpoints,
              strerror(errno));

    int logfd = open(b->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    H_ASSERTF(logfd >= 0 && nullfd >= 0, "open %s: %s", b->log_path, strerror(errno));
    dprintf(logfd, "----- harness: start %d of %s -----\n", ++b->starts, s_nmirfd);

    /* Everything the child needs is made before fork: after it, only
       async-signal-safe calls. */
    char *argv[12 + H_MAX_ARGS];
    int argc = 0;
    argv[argc++] = (char *)s_nmirfd;
    argv[argc++] = "-d";
    argv[argc++] = b->dir;
    char req_ep[64], ev_ep[64];
    snprintf(req_ep, sizeof req_ep, "tcp://127.0.0.1:%d", h_free_port());
    snprintf(ev_ep, sizeof ev_ep, "tcp://127.0.0.1:%d", h_free_port());
    argv[argc++] = "-r";
    argv[argc++] = req_ep;
    argv[argc++] = "-e";
    argv[argc++] = ev_ep;
    argv[argc++] = "-v";
    if (b->coordinator[0]) {
        argv[argc++] = "--coordinator";
        argv[argc++] = b->coordinator;
    }
    for (size_t i = 0; i < H_MAX_ARGS && b->args[i]; i++)
        argv[argc++] = (char *)b->args[i];
    argv[argc] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    H_ASSERTF(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
        if (getppid() != parent)
            _exit(127);
        dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execv(s_nmirfd, argv);
        _exit(127);
    }
    close(logfd);
    close(nullfd);
    b->pid = pid;
    s_wait_endpoints(b);
    /* The broker wrote its key pair before its endpoints. */
    char pub[PATH_MAX + 32], kwhy[256];
    snprintf(pub, sizeof pub, "%s/keys/NMIRFD.pub", b->dir);
    H_ASSERTF(nmirf_client_server_key_load(pub, b->server_key, kwhy, sizeof kwhy) == 0,
              "load the broker's public key: %s", kwhy);

    h_entity_t *coord = &b->ents[0];
    if (b->ent_count == 0) {
        const char *id = b->coordinator[0] ? b->coordinator : "COORD";
        char path[PATH_MAX + 64], why[256];
        snprintf(path, sizeof path, "%s/keys/%s.key", b->dir, id);
        H_ASSERTF(nmirf_key_load(&coord->key, path, why, sizeof why) == 0,
                  "load coordinator key: %s", why);
        snprintf(coord->id, sizeof coord->id, "%s", id);
        b->ent_count = 1;
    }
    for (size_t i = 0; i < b->ent_count; i++)
        s_connect(b, &b->ents[i]);
}

/* Waits up to ms for the broker to exit; returns true and its wait status
   in *status if it did. */
static bool
s_reap(h_broker_t *b, int ms, int *status)
{
    for (int waited = 0; waited <= ms; waited += S_POLL_MS) {
        pid_t got = waitpid(b->pid, status, WNOHANG);
        if (got == b->pid) {
            b->pid = 0;
            return true;
        }
        H_ASSERTF(got == 0, "waitpid: %s", strerror(errno));
        h_sleep_ms(S_POLL_MS);
    }
    return false;
}

h_broker_t *
h_broker_start(const char *coordinator)
{
    return h_broker_start_with(coordinator, NULL);
}

h_broker_t *
h_broker_start_with(const char *coordinator, const char *const *args)
{
    size_t slot = 0;
    while (slot < S_MAX_BROKERS && s_brokers[slot])
        slot++;
    H_ASSERTF(slot < S_MAX_BROKERS, "more than %d brokers at once", S_MAX_BROKERS);

    h_broker_t *b = calloc(1, sizeof *b);
    H_ASSERT(b);
    const char *tmp = getenv("TMPDIR");
    snprintf(b->dir, sizeof b->dir, "%s/nmirf-it-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    H_ASSERTF(mkdtemp(b->dir), "mkdtemp %s: %s", b->dir, strerror(errno));
    snprintf(b->log_path, sizeof b->log_path, "%s/broker.log", b->dir);
    if (coordinator)
        snprintf(b->coordinator, sizeof b->coordinator, "%s", coordinator);
    for (size_t i = 0; args && args[i]; i++) {
        H_ASSERTF(i < H_MAX_ARGS, "more than %d nmirfd arguments", H_MAX_ARGS);
        b->args[i] = args[i];
    }
    s_brokers[slot] = b;
    s_spawn(b);
    return b;
}

void
h_broker_stop(h_broker_t *b)
{
    H_ASSERTF(b->pid > 0, "stop: broker not running");
    s_disconnect_all(b);
    H_ASSERT(kill(b->pid, SIGTERM) == 0);
    int status = 0;
    if (!s_reap(b, S_STOP_WAIT_MS, &status))
        h_fail(__FILE__, __LINE__, "nmirfd did not exit within %d ms of SIGTERM",
               S_STOP_WAIT_MS);
    H_ASSERTF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "nmirfd did not exit 0 on SIGTERM (wait status %#x)", status);
}

void
h_broker_kill(h_broker_t *b)
{
    H_ASSERTF(b->pid > 0, "kill: broker not running");
    H_ASSERT(kill(b->pid, SIGKILL) == 0);
    int status = 0;
    H_ASSERTF(s_reap(b, S_STOP_WAIT_MS, &status), "nmirfd survived SIGKILL");
    s_disconnect_all(b);
}

void
h_broker_restart(h_broker_t *b)
{
    H_ASSERTF(b->pid == 0, "restart: broker still running");
    s_spawn(b);
}

/* nftw callback: removes one entry. */
static int
s_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

void
h_broker_destroy(h_broker_t **b_p)
{
    h_broker_t *b = *b_p;
    if (!b)
        return;
    if (b->pid > 0)
        h_broker_stop(b);
    s_disconnect_all(b);
    for (size_t i = 0; i < b->ent_count; i++)
        nmirf_key_wipe(&b->ents[i].key);
    for (size_t i = 0; i < H_MAX_ARGS; i++)
        free(b->owned_args[i]);
    for (size_t i = 0; i < S_MAX_BROKERS; i++)
        if (s_brokers[i] == b)
            s_brokers[i] = NULL;
    if (nftw(b->dir, s_remove, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "warning: could not remove %s: %s\n", b->dir, strerror(errno));
    free(b);
    *b_p = NULL;
}

/* --- entities --------------------------------------------------------- */

h_entity_t *
h_coord(h_broker_t *b)
{
    return &b->ents[0];
}

/* Makes a fresh key for id as b's next entity, not connected. */
static h_entity_t *
s_entity_make(h_broker_t *b, const char *id)
{
    H_ASSERTF(b->ent_count < H_MAX_ENTITIES, "more than %d entities", H_MAX_ENTITIES);
    h_entity_t *e = &b->ents[b->ent_count];
    memset(e, 0, sizeof *e);
    H_ASSERTF(nmirf_key_generate(&e->key, id) == 0, "nmirf_key_generate(%s)", id);
    snprintf(e->id, sizeof e->id, "%s", id);
    b->ent_count++;
    return e;
}

h_entity_t *
h_entity_add(h_broker_t *b, const h_entity_t *e)
{
    H_ASSERTF(b->ent_count < H_MAX_ENTITIES, "more than %d entities", H_MAX_ENTITIES);
    h_entity_t *added = &b->ents[b->ent_count++];
    *added = (h_entity_t){.key = e->key};
    snprintf(added->id, sizeof added->id, "%s", e->id);
    if (b->pid > 0)
        s_connect(b, added);
    return added;
}

h_entity_t *
h_entity_new(h_broker_t *b, const char *id)
{
    h_entity_t *e = s_entity_make(b, id);
    if (b->pid > 0)
        s_connect(b, e);
    return e;
}

zsock_t *
h_dealer_new(h_broker_t *b, const h_entity_t *e)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    H_ASSERT(sock);
    H_ASSERT(nmirf_client_curve(sock, &e->key, b->server_key) == 0);
    zsock_set_linger(sock, 0);
    /* A refused handshake leaves the DEALER with no peer, where a send
       would block for ever: bound it. */
    zsock_set_sndtimeo(sock, H_CALL_TIMEOUT_MS);
    H_ASSERTF(zsock_connect(sock, "%s", b->request_ep) == 0, "connect %s", b->request_ep);
    return sock;
}

zsock_t *
h_sub_new(h_broker_t *b, const h_entity_t *e, const char *topic)
{
    zsock_t *sub = zsock_new(ZMQ_SUB);
    H_ASSERT(sub);
    H_ASSERT(nmirf_client_curve(sub, &e->key, b->server_key) == 0);
    zsock_set_linger(sub, 0);
    if (topic)
        zsock_set_subscribe(sub, topic);
    H_ASSERTF(zsock_connect(sub, "%s", b->events_ep) == 0, "connect %s", b->events_ep);
    return sub;
}

msgpack_sbuffer *
h_pack_enroll(const nmirf_key_t *key, const char *role)
{
    uint8_t curve[32];
    H_ASSERT(nmirf_key_curve_raw(key, curve) == 0);
    msgpack_sbuffer *sb = msgpack_sbuffer_new();
    H_ASSERT(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "id", key->entity);
    nmirf_mp_pack_kv_str(&pk, "role", role);
    nmirf_mp_pack_str(&pk, "names");
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "en", key->entity);
    nmirf_mp_pack_kv_str(&pk, "fr", key->entity);
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, key->sign_pk, sizeof key->sign_pk);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, sizeof curve);
    return sb;
}

h_entity_t *
h_enroll(h_broker_t *b, const char *id, const char *role)
{
    h_entity_t *e = s_entity_make(b, id);
    msgpack_sbuffer *sb = h_pack_enroll(&e->key, role);
    nmirf_reply_t *r =
        h_call_packed(h_coord(b), NULL, "entity.enroll", (uint8_t *)sb->data, sb->size);
    msgpack_sbuffer_free(sb);
    H_EXPECT(r, "ok");
    H_ASSERT(h_is(&r->body, "entity.id", id));
    nmirf_reply_destroy(&r);
    if (b->pid > 0)
        s_connect(b, e);
    return e;
}
