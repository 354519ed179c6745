/*  nmirf-agent - a ministry's client daemon: keeps a replica of the
    broker's records, tells the ministry what concerns it, and queues and
    resends its submissions until the broker has answered them.

    main() reads the flags, opens the parts in dependency order (the
    replica and outbox before the sockets that feed them; the control
    socket last, so that DIR/agent.sock appearing means the agent is
    ready), runs the reactor until SIGINT or SIGTERM, and closes them in
    reverse. See docs/AGENT.md.
*/
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "nmirf_log.h"
#include "nmirf_util.h"

#define DEFAULT_REQUEST "tcp://127.0.0.1:7710"
#define DEFAULT_EVENTS "tcp://127.0.0.1:7711"
#define DEFAULT_DIR "./nmirf-agent-data"

static void
s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: nmirf-agent -k KEYFILE -S SERVERKEY [-d DIR] [-b ENDPOINT]\n"
        "                   [-e ENDPOINT]\n"
        "                   [--hook CMD] [--notify-log FILE] [-v]\n"
        "\n"
        "A ministry's nmirf client daemon: replica, notifications, outbox.\n"
        "\n"
        "  -k, --key FILE         the entity's secret key file (ID.key)\n"
        "  -S, --server-key FILE  the broker's public key file (its NMIRFD.pub);\n"
        "                         both broker connections are CurveZMQ\n"
        "  -d, --dir DIR          data directory (default %s)\n"
        "  -b, --broker EP        broker request endpoint (default %s)\n"
        "  -e, --events EP        broker events endpoint (default %s)\n"
        "      --hook CMD         run /bin/sh -c CMD per notification, JSON on stdin\n"
        "      --notify-log FILE  append each notification to FILE as a JSON line\n"
        "  -v, --verbose          debug log lines\n"
        "  -h, --help             this help\n",
        DEFAULT_DIR, DEFAULT_REQUEST, DEFAULT_EVENTS);
}

/* The housekeeping timer: catch-up, resends, submit timeouts, hooks. */
static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    agent_t *ag = arg;
    replica_tick(ag);
    outbox_tick(ag->outbox);
    link_report(ag);
    control_tick(ag->control);
    notify_reap(ag->notify);
    return 0;
}

/* Opens every part and runs the reactor. Returns the exit status. */
static int
s_run(agent_t *ag)
{
    ag->loop = zloop_new();
    if (replica_open(ag) || !(ag->outbox = outbox_new(ag)) || link_open(ag) ||
        !(ag->notify = notify_new(ag)))
        return 1;
    zloop_reader(ag->loop, ag->sub, replica_on_sub, ag);
    zloop_reader(ag->loop, ag->dealer, outbox_on_reply, ag);
    zloop_timer(ag->loop, AGENT_TICK_MS, 0, s_on_tick, ag);
    if (!(ag->control = control_new(ag))) /* registers its own reader */
        return 1;
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"server-key", required_argument, NULL, 'S'},
        {"dir", required_argument, NULL, 'd'},
        {"broker", required_argument, NULL, 'b'},
        {"events", required_argument, NULL, 'e'},
        {"hook", required_argument, NULL, 'H'},
        {"notify-log", required_argument, NULL, 'N'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    agent_t ag = {
        .dir = DEFAULT_DIR, .request_ep = DEFAULT_REQUEST, .events_ep = DEFAULT_EVENTS};
    const char *key_path = NULL, *server_key_path = NULL;
    bool verbose = false;
    int c;
    while ((c = getopt_long(argc, argv, "k:S:d:b:e:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            key_path = optarg;
            break;
        case 'S':
            server_key_path = optarg;
            break;
        case 'd':
            ag.dir = optarg;
            break;
        case 'b':
            ag.request_ep = optarg;
            break;
        case 'e':
            ag.events_ep = optarg;
            break;
        case 'H':
            ag.hook = optarg;
            break;
        case 'N':
            ag.notify_log = optarg;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind != argc || !key_path || !server_key_path) {
        fprintf(stderr, "nmirf-agent: %s\n",
                optind != argc ? "unexpected argument"
                : !key_path    ? "-k KEYFILE is required"
                               : "the broker's public key is needed: -S NMIRFD.pub");
        s_usage(stderr);
        return 2;
    }
    log_init("nmirf-agent", verbose);
    char why[256] = "";
    if (nmirf_key_load(&ag.key, key_path, why, sizeof why) != 0)
        fatalx("key: %s", why);
    if (!ag.key.has_secret)
        fatalx("key %s holds no secret key (use ID.key, not ID.pub)", key_path);
    if (nmirf_server_key_load(server_key_path, ag.server_key, why, sizeof why) != 0)
        fatalx("server key: %s", why);
    if (mkdir(ag.dir, 0750) != 0 && errno != EEXIST)
        fatal("mkdir %s", ag.dir);
    /* One agent per DIR: a second one would unlink the first's sockets
       and write the same outbox. The lock is taken before anything in DIR
       is touched and held (by the open fd) until exit. */
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%s/lock", ag.dir);
    int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0)
        fatal("open %s", lock_path);
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            log_warnx("another nmirf-agent is running on %s (%s is locked); exiting",
                      ag.dir, lock_path);
            nmirf_key_wipe(&ag.key);
            return 1;
        }
        fatal("flock %s", lock_path);
    }
    signal(SIGPIPE, SIG_IGN);
    zsys_init();
    zsys_set_logstream(NULL);

    int rc = s_run(&ag);
    if (rc == 0) {
        log_info("entity %s, data in %s, broker %s / %s", ag.key.entity, ag.dir,
                 ag.request_ep, ag.events_ep);
        zloop_start(ag.loop); /* returns on SIGINT/SIGTERM (CZMQ's handler) */
        log_info("stopping");
    }
    zloop_destroy(&ag.loop);
    control_destroy(&ag.control);
    notify_destroy(&ag.notify);
    link_close(&ag);
    outbox_destroy(&ag.outbox);
    replica_close(&ag);
    nmirf_key_wipe(&ag.key);
    close(lock_fd);
    return rc;
}
