/*  nmirf-agent - a ministry's client daemon: keeps a replica of the
    broker's records, tells the ministry what concerns it, and queues and
    resends its submissions until the broker has answered them.

    main() reads the flags, opens the parts in dependency order (the
    replica and outbox before the sockets that feed them; the control
    socket last, so that DIR/agent.sock appearing means the agent is
    ready), runs the reactor until SIGINT or SIGTERM, and closes them in
    reverse. See docs/AGENT.md.

    This file alone knows every part: the parts know none of those that
    depend on them, and what flows back (a pushed event, a reply, a
    result) goes through the callbacks wired here (the s_link_*,
    s_replica_* and s_outbox_* functions, handed to the parts in s_run).
*/
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "control.h"
#include "link.h"
#include "notify.h"
#include "outbox.h"
#include "replica.h"

#include "nmirf_client.h"
#include "nmirf_conf.h"
#include "nmirf_dirlock.h"
#include "nmirf_log.h"
#include "nmirf_service.h"
#include "nmirf_util.h"

#define DEFAULT_REQUEST "tcp://127.0.0.1:7710"
#define DEFAULT_DIR "./nmirf-agent-data"

#define S_DEFAULT_CONF "/etc/nmirf/nmirf-agent.conf" /* read only if it exists */

/* Every setting: nmirfd.conf(5) documents them (section nmirf-agent.conf);
   keep both in step. */
static const nmirf_conf_spec_t s_spec[] = {
    {"data_dir", NMIRF_CONF_PATH, 0, 0, DEFAULT_DIR, "--dir"},
    {"request_endpoint", NMIRF_CONF_ENDPOINTS, 0, 0, DEFAULT_REQUEST, "--broker"},
    /* Ignored (events come on the request connection), still accepted so
       that an older config or unit keeps starting; a warning says so. */
    {"events_endpoint", NMIRF_CONF_ENDPOINT, 0, 0, NULL, "--events"},
    {"key_file", NMIRF_CONF_PATH, 0, 0, NULL, "--key"},
    {"server_key_file", NMIRF_CONF_PATH, 0, 0, NULL, "--server-key"},
    {"hook", NMIRF_CONF_STRING, 0, 0, NULL, "--hook"},
    {"notify_log", NMIRF_CONF_PATH, 0, 0, NULL, "--notify-log"},
    {"log_level", NMIRF_CONF_LEVEL, 0, 0, "info", "--log-level"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* Settings SIGHUP applies; the others need a restart. */
static const char *const s_reloadable[] = {"log_level", "hook", "notify_log", NULL};

/* What main and the SIGHUP handler share. */
static struct {
    nmirf_conf_source_t src; /* the config file and the flags */
    nmirf_conf_t *boot;      /* settings read at start (kept: the
                                agent's strings point into it) */
    nmirf_conf_t *conf;      /* settings in force */
    bool forget_checkpoint;  /* --forget-checkpoint: drop the kept one at start */
    agent_conf_t ag;         /* the agent's configuration, lent to every part */
    zloop_t *loop;           /* the reactor */
    link_t *link;            /* the broker connection */
    replica_t *replica;      /* the replica (and the witness) */
    outbox_t *outbox;        /* the submissions */
    notify_t *notify;        /* the notifications */
    control_t *control;      /* the control socket */
} s;

static void
s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: nmirf-agent -k KEYFILE -S SERVERKEY [-nv] [-c FILE] [-d DIR]\n"
        "                   [-b ENDPOINT] [--hook CMD]\n"
        "                   [--notify-log FILE] [--log-level LEVEL]\n"
        "                   [--forget-checkpoint]\n"
        "\n"
        "A ministry's nmirf client daemon: replica, notifications, outbox.\n"
        "\n"
        "  -c, --config FILE      config file (default %s,\n"
        "                         if it exists); flags override it (nmirfd.conf(5))\n"
        "  -n, --check            check the config and flags, then exit\n"
        "  -k, --key FILE         the entity's secret key file (ID.key)\n"
        "  -S, --server-key FILE  the broker's public key file (its NMIRFD.pub);\n"
        "                         the broker connection is CurveZMQ. With several\n"
        "                         brokers (-b), one file per endpoint, in the same\n"
        "                         order, comma-separated: FILE,FILE\n"
        "  -d, --dir DIR          data directory (default %s), made with its\n"
        "                         missing parents (0700) if needed\n"
        "  -b, --broker EP        broker request endpoint (default %s); events\n"
        "                         come on the same connection. If no CurveZMQ\n"
        "                         handshake completes within 5 s the log says why\n"
        "                         (no broker there, or -S is not its key).\n"
        "                         A primary and its standbys: EP,EP,... (up to 8);\n"
        "                         the agent finds the primary and follows a\n"
        "                         promotion (docs/AGENT.md)\n"
        "      --hook CMD         run /bin/sh -c CMD per notification, JSON on stdin\n"
        "      --notify-log FILE  append each notification to FILE as a JSON line\n"
        "      --log-level LEVEL  error, warning, info (default) or debug\n"
        "      --forget-checkpoint  drop the broker checkpoint this agent kept (after\n"
        "                         it refused a broker whose log went back or forked,\n"
        "                         and an operator decided: docs/OPERATIONS.md)\n"
        "  -v, --verbose          --log-level debug\n"
        "  -h, --help             this help\n"
        "\n"
        "SIGHUP re-reads the config file (log level, hook, notify log).\n"
        "-e/--events (events_endpoint) is ignored: kept for older configs.\n",
        S_DEFAULT_CONF, DEFAULT_DIR, DEFAULT_REQUEST);
}

/* Applies next's hook and notify log to the agent (nmirf_conf_reload).
   The restart-only strings stay in s.boot, where the agent's pointers
   are; only these move to the new settings. The notify log is reopened
   even when its name is the same, for log rotation. */
static void
s_apply(const nmirf_conf_t *next, void *arg)
{
    (void)arg;
    s.ag.hook = nmirf_conf_get(next, "hook");
    s.ag.notify_log = nmirf_conf_get(next, "notify_log");
    notify_reopen(s.notify);
}

/* SIGHUP: re-reads the file (flags still override it), applies the log
   level, hook and notify log, logs each change, keeps the others (they
   need a restart); a broken file changes nothing. */
static void
s_on_hup(void *arg)
{
    (void)arg;
    nmirf_service_reloading();
    if (nmirf_conf_reload(&s.conf, s.boot, &s.src, s_reloadable, s_apply, NULL) < 0)
        nmirf_service_ready("running; the last reload was refused (see the log)");
    else
        nmirf_service_ready("running as %s", s.ag.key.entity);
}

/* The housekeeping timer: the subscription, catch-up, resends, submit
   timeouts, hooks. */
static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    link_failover(s.link);
    link_subscribe(s.link);
    replica_tick(s.replica);
    outbox_tick(s.outbox);
    link_report(s.link, outbox_pending(s.outbox));
    control_tick(s.control);
    notify_reap(s.notify);
    return 0;
}

/* --- the wiring: what one part hands another ----------------------------- */

/* The link: pushed messages wait; the replica reads them. */
static void
s_link_pushed(void *arg)
{
    (void)arg;
    replica_on_pushed(s.replica);
}

/* The link: a reply to something sent with link_send. The outbox looks
   first; what it does not hold may answer a waiting control `ask`; the
   rest (a ping's, a late answer) is dropped. */
static void
s_link_reply(nmirf_reply_t **reply_p, void *arg)
{
    (void)arg;
    outbox_on_reply(s.outbox, reply_p);
    if (*reply_p && s.control)
        control_on_reply(s.control, reply_p);
    nmirf_reply_destroy(reply_p);
}

/* The link: the broker's sequence a reply carried. */
static void
s_link_seq(uint64_t seq, void *arg)
{
    (void)arg;
    replica_on_seq(s.replica, seq);
}

/* The link: our subscription was answered at the broker's seq. */
static void
s_link_subscribed(uint64_t seq, void *arg)
{
    (void)arg;
    replica_on_subscribed(s.replica, seq);
}

/* The link: a handshake succeeded; what is pending goes, oldest first. */
static void
s_link_connected(void *arg)
{
    (void)arg;
    outbox_on_connected(s.outbox);
}

/* The link: the broker's ZAP refused our key (link_monitor.c). */
static void
s_link_key_refused(unsigned zap_status, void *arg)
{
    (void)arg;
    size_t pending = outbox_pending(s.outbox);
    log_warnx("the broker at %s refused this agent's key for %s in the handshake "
              "(ZAP status %u): the entity is not enrolled, was revoked, or its "
              "key was rotated; nothing can be sent (%zu outbox entries kept "
              "pending) until it is enrolled; the agent connects again on its "
              "own (30 s, then up to every 5 min)",
              s.ag.request_ep, s.ag.key.entity, zap_status, pending);
    replica_status_t rs;
    replica_status(s.replica, &rs);
    notify_key_refused(s.notify, rs.seq, pending);
}

/* The replica: an event applied in txn; its notification if ours, and
   its topic `e` message. */
static void
s_replica_collect(MDB_txn *txn, const MDB_dbi *dbi, const nmirf_event_t *ev,
                  zlist_t *pending, void *arg)
{
    (void)arg;
    notify_collect(s.notify, txn, dbi[AG_DB_ASSIGNMENTS], ev, pending);
}

/* The replica: committed; what was collected is delivered. */
static void
s_replica_deliver(zlist_t *pending, void *arg)
{
    (void)arg;
    notify_deliver(s.notify, pending);
}

/* The replica: a snapshot loaded at seq; topic `e` says so. */
static void
s_replica_loaded(uint64_t seq, void *arg)
{
    (void)arg;
    if (s.notify)
        notify_snapshot(s.notify, seq);
}

/* A failover lost events the replica had: the outbox names this
   ministry's submissions among them. */
static void
s_replica_lost(uint64_t from_seq, uint64_t to_seq, void *arg)
{
    (void)arg;
    if (s.outbox)
        outbox_lost(s.outbox, from_seq, to_seq);
}

/* The outbox: an entry answered for good; a waiting submit gets it. */
static void
s_outbox_result(const uint8_t id[NMIRF_ID_LEN], const nmirf_reply_t *reply, void *arg)
{
    (void)arg;
    if (s.control)
        control_on_result(s.control, id, reply);
}

/* The outbox: an entry refused for good, notified. */
static void
s_outbox_refused(const char *op, const uint8_t id[NMIRF_ID_LEN], const uint8_t *env,
                 size_t env_len, const nmirf_reply_t *reply, void *arg)
{
    (void)arg;
    notify_refused(s.notify, op, id, env, env_len, reply);
}

/* Makes the data directory dir (0750: the console's group reaches its
   sockets) and those of its parents that are missing (0700: only this
   user goes through them), as `mkdir -p` would, but each directory made
   here is entered without following a symbolic link, so one swapped in
   for it meanwhile is refused rather than followed, and must be this
   user's (another user's directory renamed in its place is refused).
   Parents that exist are the operator's and are taken as they are (a
   symbolic link among them included). The data directory itself, made or
   found, must belong to this user and not be writable by every user: it
   holds the outbox and the control socket. `..` after a name is refused
   before anything is made (`a/../b` would leave `a` behind); leading
   ones (`../data`) are kept. Returns 0, or -1 with why. */
static int
s_make_dir(const char *dir, char *why, size_t whylen)
{
    char path[PATH_MAX];
    if (!*dir || snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        snprintf(why, whylen, "'%s': empty or too long", dir);
        return -1;
    }
    bool named = false;
    for (const char *c = path; *c;) {
        size_t n = strcspn(c, "/");
        bool up = n == 2 && c[0] == '.' && c[1] == '.';
        if (up && named) {
            snprintf(why, whylen,
                     "%.2048s: '..' after a directory name: give the path without it",
                     path);
            return -1;
        }
        named = named || (n && !up && !(n == 1 && c[0] == '.'));
        c += n;
        c += strspn(c, "/");
    }
    int fd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path[0] == '/' ? "/" : ".", strerror(errno));
        return -1;
    }
    char *p = path;
    while (*p == '/')
        p++;
    while (*p) {
        char *end = strchr(p, '/');
        if (end)
            *end = '\0';
        char *next = end ? end + 1 : p + strlen(p);
        while (*next == '/')
            next++;
        bool last = *next == '\0';
        bool made = mkdirat(fd, p, last ? 0750 : 0700) == 0;
        int err = errno;
        const char *stage = "cannot make it";
        int sub = -1;
        if (made || err == EEXIST) {
            /* made here: not followed if it is a link now */
            stage = made ? "made, then replaced" : "exists";
            sub = openat(fd, p,
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC | (made ? O_NOFOLLOW : 0));
            err = errno;
        }
        if (sub < 0) {
            snprintf(why, whylen, "%.2048s: %s: %s", path, stage,
                     err == ENOTDIR ? "not a directory" : strerror(err));
            close(fd);
            return -1;
        }
        struct stat st;
        const char *bad = NULL;
        if (fstat(sub, &st) != 0)
            bad = strerror(errno);
        else if ((made || last) && st.st_uid != geteuid())
            bad = made ? "made, then replaced by another user's directory"
                       : "owned by another user";
        else if (last && (st.st_mode & S_IWOTH))
            bad = "writable by every user (chmod o-w it)";
        if (bad) {
            snprintf(why, whylen, "%.2048s: %s", path, bad);
            close(sub);
            close(fd);
            return -1;
        }
        if (made)
            log_info("made directory %s (mode %s)", path, last ? "0750" : "0700");
        close(fd);
        fd = sub;
        if (end)
            *end = '/';
        p = next;
    }
    close(fd);
    return 0;
}

/* Opens every part and wires them. Returns the exit status. */
static int
s_run(void)
{
    static const link_events_t link_events = {
        .pushed = s_link_pushed,
        .reply = s_link_reply,
        .seq = s_link_seq,
        .subscribed = s_link_subscribed,
        .connected = s_link_connected,
        .key_refused = s_link_key_refused,
    };
    static const replica_events_t replica_events = {
        .collect = s_replica_collect,
        .deliver = s_replica_deliver,
        .loaded = s_replica_loaded,
        .lost = s_replica_lost,
    };
    static const outbox_events_t outbox_events = {
        .result = s_outbox_result,
        .refused = s_outbox_refused,
    };
    if (!(s.loop = zloop_new()))
        fatalx("cannot make the reactor");
    /* The link is made first and connected after the replica and the
       outbox: its callbacks reach them. */
    if (!(s.link = link_new(&s.ag, s.loop, &link_events)) ||
        !(s.replica = replica_new(&s.ag, s.link, s.forget_checkpoint, &replica_events)) ||
        !(s.outbox = outbox_new(&s.ag, replica_env(s.replica),
                                replica_dbis(s.replica)[AG_DB_OUTBOX], s.link,
                                &outbox_events)) ||
        link_connect(s.link) || !(s.notify = notify_new(&s.ag)))
        return 1;
    zloop_timer(s.loop, AGENT_TICK_MS, 0, s_on_tick, NULL);
    /* registers its own reader */
    if (!(s.control = control_new(&s.ag, s.loop, s.link, s.replica, s.outbox)))
        return 1;
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'n'},
        {"key", required_argument, NULL, 'k'},
        {"server-key", required_argument, NULL, 'S'},
        {"dir", required_argument, NULL, 'd'},
        {"broker", required_argument, NULL, 'b'},
        {"events", required_argument, NULL, 'e'},
        {"hook", required_argument, NULL, 'H'},
        {"notify-log", required_argument, NULL, 'N'},
        {"log-level", required_argument, NULL, 'L'},
        {"forget-checkpoint", no_argument, NULL, 'F'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Before any thread exists: see nmirf_service.h. */
    if (nmirf_service_block_sighup() != 0) {
        perror("nmirf-agent: cannot block SIGHUP");
        return 1;
    }
    agent_conf_t *ag = &s.ag;
    bool check_only = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:nk:S:d:b:e:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            s.src.path = optarg;
            break;
        case 'n':
            check_only = true;
            break;
        case 'F':
            s.forget_checkpoint = true;
            break;
        case 'k':
            nmirf_conf_flag(&s.src, "key_file", optarg);
            break;
        case 'S':
            nmirf_conf_flag(&s.src, "server_key_file", optarg);
            break;
        case 'd':
            nmirf_conf_flag(&s.src, "data_dir", optarg);
            break;
        case 'b':
            nmirf_conf_flag(&s.src, "request_endpoint", optarg);
            break;
        case 'e':
            nmirf_conf_flag(&s.src, "events_endpoint", optarg);
            break;
        case 'H':
            nmirf_conf_flag(&s.src, "hook", optarg);
            break;
        case 'N':
            nmirf_conf_flag(&s.src, "notify_log", optarg);
            break;
        case 'L':
            nmirf_conf_flag(&s.src, "log_level", optarg);
            break;
        case 'v':
            nmirf_conf_flag(&s.src, "log_level", "debug");
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind != argc || s.src.flag_count >= NMIRF_CONF_FLAGS_MAX) {
        fprintf(stderr, "nmirf-agent: %s\n",
                optind != argc ? "unexpected argument" : "too many flags");
        s_usage(stderr);
        return 2;
    }
    /* A bad flag is a usage error (2); a bad file, a config error (1). */
    char why[4096] = "";
    int start =
        nmirf_conf_start(s_spec, &s.src, S_DEFAULT_CONF, &s.conf, why, sizeof why);
    if (start) {
        fprintf(stderr, "%s%s\n", start == 2 ? "nmirf-agent: " : "", why);
        return start;
    }
    s.boot = s.conf;
    ag->dir = nmirf_conf_get(s.conf, "data_dir");
    ag->request_ep = nmirf_conf_get(s.conf, "request_endpoint");
    ag->events_ep = nmirf_conf_get(s.conf, "events_endpoint");
    ag->hook = nmirf_conf_get(s.conf, "hook");
    ag->notify_log = nmirf_conf_get(s.conf, "notify_log");
    const char *key_path = nmirf_conf_get(s.conf, "key_file");
    const char *server_key_path = nmirf_conf_get(s.conf, "server_key_file");
    /* The keys may come from the unit's flags rather than the file (the
       shipped sample sets neither): -n checks what it is given and names
       what a start would still need; a start without them is a usage
       error, said in one line. */
    const char *missing = !key_path && !server_key_path
                              ? "key_file (-k) and server_key_file (-S)"
                          : !key_path        ? "key_file (-k)"
                          : !server_key_path ? "server_key_file (-S)"
                                             : NULL;
    if (check_only) {
        printf("%s: configuration ok", s.src.path ? s.src.path : "(defaults and flags)");
        if (missing)
            printf("; not set: %s, to give when starting the agent (as the "
                   "systemd unit does)",
                   missing);
        printf("\n");
        nmirf_conf_destroy(&s.boot);
        return 0;
    }
    if (missing) {
        fprintf(stderr,
                "nmirf-agent: not set: %s; the agent needs the entity's secret key "
                "file (-k ID.key) and the broker's public key file (-S NMIRFD.pub) "
                "(nmirf-agent --help for usage)\n",
                missing);
        nmirf_conf_destroy(&s.boot);
        return 2;
    }
    log_init("nmirf-agent", false);
    log_set_level(log_level_from_name(nmirf_conf_get(s.conf, "log_level")));
    if (nmirf_key_load(&ag->key, key_path, why, sizeof why) != 0)
        fatalx("key: %s", why);
    if (!ag->key.has_secret)
        fatalx("key %s holds no secret key (use ID.key, not ID.pub)", key_path);
    /* Each broker's CURVE key and the signing half that checks its
       checkpoints (nmirf_brokers.h: -S one file per -b endpoint). */
    if (nmirf_brokers_load(&ag->brokers, ag->request_ep, server_key_path, why,
                           sizeof why) != 0)
        fatalx("brokers (-b, -S): %s", why);
    if (s_make_dir(ag->dir, why, sizeof why) != 0)
        fatalx("data directory: %s", why);
    if (ag->events_ep)
        log_warnx("events_endpoint (-e %s) is ignored: events come on the request "
                  "connection (-b); remove it",
                  ag->events_ep);
    /* One agent per DIR: a second one would unlink the first's sockets
       and write the same outbox. The lock is taken before anything in DIR
       is touched and held (by the open fd) until exit. */
    pid_t holder;
    int lock_fd = nmirf_dirlock_take(ag->dir, "nmirf-agent", &holder, why, sizeof why);
    if (lock_fd < 0) {
        log_warnx("%s; exiting", why);
        nmirf_key_wipe(&ag->key);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    zsys_init();
    zsys_set_logstream(NULL);

    int rc = s_run();
    if (rc == 0 && nmirf_service_on_sighup(s.loop, s_on_hup, NULL))
        rc = 1;
    if (rc == 0) {
        unsigned watchdog_ms = nmirf_service_watchdog_start(s.loop);
        log_info("nmirf-agent %s: entity %s, data in %s, broker %s, config %s, log "
                 "level %s%s",
                 NMIRF_VERSION, ag->key.entity, ag->dir, ag->request_ep,
                 s.src.path ? s.src.path : "none", log_level_name(log_level()),
                 watchdog_ms ? ", watchdog on" : "");
        nmirf_service_ready("running as %s", ag->key.entity);
        zloop_start(s.loop); /* returns on SIGINT/SIGTERM (CZMQ's handler) */
        nmirf_service_stopping();
        log_info("stopping");
    }
    /* The link first: its readers leave the loop before the loop goes. */
    link_destroy(&s.link);
    zloop_destroy(&s.loop);
    control_destroy(&s.control);
    notify_destroy(&s.notify);
    outbox_destroy(&s.outbox);
    replica_destroy(&s.replica);
    nmirf_key_wipe(&ag->key);
    close(lock_fd);
    if (s.conf != s.boot)
        nmirf_conf_destroy(&s.conf);
    nmirf_conf_destroy(&s.boot);
    return rc;
}
