/*  nmirfd - the nmirf broker: owns the recommendation store, answers
    signed requests, publishes every change.

    main reads the settings (defaults, then the config file, then the
    flags: nmirfd.conf(5)), opens the store, does the first start if the
    store is empty, tells the service manager it is ready once the store
    is open and both endpoints are bound, and hands over to the broker
    loop. SIGHUP re-reads the file and applies what can change while
    running.
*/
#include "bootstrap.h"
#include "broker.h"
#include "checkpoint.h"
#include "nmirf_conf.h"
#include "nmirf_keys.h"
#include "nmirf_log.h"
#include "nmirf_service.h"
#include "nmirf_util.h"
#include "store.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_DEFAULT_CONF "/etc/nmirf/nmirfd.conf" /* read only if it exists */
#define S_MAX_FLAGS 32                          /* settings given as flags */

/* Every setting: nmirfd.conf(5) documents them; keep both in step. The
   data directory's default is filled in at start ($STATE_DIRECTORY). */
static nmirf_conf_spec_t s_spec[] = {
    {"data_dir", NMIRF_CONF_PATH, 0, 0, "nmirf-data", "--data"},
    {"request_endpoint", NMIRF_CONF_ENDPOINT, 0, 0, "tcp://127.0.0.1:7710", "--request"},
    {"events_endpoint", NMIRF_CONF_ENDPOINT, 0, 0, "tcp://127.0.0.1:7711", "--events"},
    {"map_size_mib", NMIRF_CONF_UINT, 1, 1024 * 1024, "1024", "--map-size"},
    {"coordinator", NMIRF_CONF_ENTITY, 0, 0, "COORD", "--coordinator"},
    {"log_level", NMIRF_CONF_LEVEL, 0, 0, "info", "--log-level"},
    {"checkpoint_interval_s", NMIRF_CONF_UINT, 1, 86400, "10", "--checkpoint-interval"},
    {"slow_commit_ms", NMIRF_CONF_UINT, 1, 600000, "100", "--slow-commit-ms"},
    {"due_soon_days", NMIRF_CONF_UINT, 1, 3650, "14", "--due-soon-days"},
    {"verifiers", NMIRF_CONF_UINT, 0, 16, "1", "--verifiers"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* Settings SIGHUP applies; the others need a restart. */
static const char *s_reloadable[] = {"log_level", "checkpoint_interval_s",
                                     "slow_commit_ms", "due_soon_days", NULL};

/* What main and the SIGHUP handler share. */
static struct {
    const char *conf_path;                /* the config file, NULL: none */
    const char *flag_keys[S_MAX_FLAGS];   /* settings given as flags... */
    const char *flag_values[S_MAX_FLAGS]; /* ...and their values */
    size_t flag_count;                    /* how many */
    nmirf_conf_t *boot;                   /* the settings read at start: what the
                                             broker's strings point into, kept to
                                             the end */
    nmirf_conf_t *conf;                   /* the settings in force (boot, or a
                                             reload's) */
    broker_t *broker;                     /* the running broker */
} s;

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: nmirfd [-nv] [-c FILE] [-d DIR] [-r ENDPOINT] [-e ENDPOINT]\n"
            "              [--coordinator ID] [--map-size MIB] [--log-level LEVEL]\n"
            "              [--checkpoint-interval S] [--slow-commit-ms MS]\n"
            "              [--due-soon-days DAYS] [--verifiers N]\n"
            "\n"
            "The nmirf broker: keeps recommendation state in LMDB, answers signed\n"
            "requests, and publishes every change as an event.\n"
            "\n"
            "  -c, --config FILE       config file (default %s, if it exists);\n"
            "                          flags override it (nmirfd.conf(5))\n"
            "  -n, --check             check the config and flags, then exit\n"
            "  -d, --data DIR          data directory (default $STATE_DIRECTORY, else\n"
            "                          ./nmirf-data); made on first start\n"
            "  -r, --request ENDPOINT  request (ROUTER) endpoint (default %s)\n"
            "  -e, --events ENDPOINT   event (PUB) endpoint (default %s)\n"
            "      --coordinator ID    id of the coordinator made on first start "
            "(default COORD)\n"
            "      --map-size MIB      LMDB map size in MiB (default 1024)\n"
            "      --log-level LEVEL   error, warning, info (default) or debug\n"
            "  -v, --verbose           --log-level debug: log every request\n"
            "      --checkpoint-interval S  seconds between signed checkpoints "
            "(default 10)\n"
            "      --slow-commit-ms MS warn about commits slower than this (default "
            "100)\n"
            "      --due-soon-days DAYS  deadline horizon (default 14)\n"
            "      --verifiers N       threads checking signatures ahead of the writer\n"
            "                          (default 1; 0: the writer checks them)\n"
            "  -h, --help              this help\n"
            "\n"
            "On first start nmirfd writes DIR/keys/ID.key, the coordinator's key file;\n"
            "use it with `nmirf -k DIR/keys/ID.key ...`. A '*' port binds a free port;\n"
            "DIR/endpoints tells which. SIGHUP re-reads the config file.\n",
            S_DEFAULT_CONF, "tcp://127.0.0.1:7710", "tcp://127.0.0.1:7711");
}

/* Reads the settings: defaults, the config file (if any), then the flags.
   Returns the settings, or NULL with every error in why. */
static nmirf_conf_t *
s_settings(char *why, size_t whylen)
{
    nmirf_conf_t *conf = nmirf_conf_new(s_spec);
    if (!conf) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (s.conf_path && nmirf_conf_load(conf, s.conf_path, why, whylen)) {
        nmirf_conf_destroy(&conf);
        return NULL;
    }
    for (size_t i = 0; i < s.flag_count; i++)
        if (nmirf_conf_set(conf, s.flag_keys[i], s.flag_values[i], why, whylen)) {
            nmirf_conf_destroy(&conf);
            return NULL;
        }
    return conf;
}

/* The broker's reloadable settings in conf. */
static void
s_broker_opts(const nmirf_conf_t *conf, broker_opts_t *opts)
{
    opts->slow_commit_ms = (unsigned)nmirf_conf_uint(conf, "slow_commit_ms");
    opts->checkpoint_interval_ms =
        (unsigned)nmirf_conf_uint(conf, "checkpoint_interval_s") * 1000;
    opts->due_soon_days = (unsigned)nmirf_conf_uint(conf, "due_soon_days");
}

static bool
s_is_reloadable(const char *key)
{
    for (size_t i = 0; s_reloadable[i]; i++)
        if (strcmp(s_reloadable[i], key) == 0)
            return true;
    return false;
}

/* SIGHUP: re-reads the file (flags still override it), applies what can
   change while running and logs each change; a setting that needs a
   restart keeps its value, and a broken file changes nothing. */
static void
s_on_hup(void *arg)
{
    service_reloading();
    char why[4096];
    nmirf_conf_t *next = s_settings(why, sizeof why);
    if (!next) {
        /* One log line per error of the file. */
        char *save = NULL;
        for (char *line = strtok_r(why, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save))
            log_warnx("reload refused, nothing changed: %s", line);
        service_ready("serving; the last reload was refused (see the log)");
        return;
    }
    int old_level = log_level();
    int new_level = log_level_from_name(nmirf_conf_get(next, "log_level"));
    /* The lines about the reload show at the more verbose of both levels. */
    log_set_level(old_level > new_level ? old_level : new_level);
    int changes = 0;
    for (size_t i = 0; s_spec[i].key; i++) {
        const char *key = s_spec[i].key;
        if (nmirf_conf_same(s.conf, next, key))
            continue;
        const char *was = nmirf_conf_get(s.conf, key), *now = nmirf_conf_get(next, key);
        if (s_is_reloadable(key)) {
            log_info("reload: %s changed from %s to %s", key, was, now);
            changes++;
        } else {
            log_warnx("reload: cannot change %s without a restart; keeping %s", key, was);
            nmirf_conf_set(next, key, was, why, sizeof why); /* was: valid */
        }
    }
    log_set_level(new_level);
    broker_opts_t opts = {0};
    s_broker_opts(next, &opts);
    broker_configure(s.broker, &opts);
    if (s.conf != s.boot)
        nmirf_conf_destroy(&s.conf);
    s.conf = next;
    log_info("reload: %s read, %d setting%s changed",
             s.conf_path ? s.conf_path : "(no config file)", changes,
             changes == 1 ? "" : "s");
    service_ready("serving; configuration reloaded");
}

/* Records a flag's value for setting key (flags are applied after the
   file, at start and at every reload). */
static void
s_flag(const char *key, const char *value)
{
    if (s.flag_count < S_MAX_FLAGS) {
        s.flag_keys[s.flag_count] = key;
        s.flag_values[s.flag_count++] = value;
    }
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'n'},
        {"data", required_argument, NULL, 'd'},
        {"request", required_argument, NULL, 'r'},
        {"events", required_argument, NULL, 'e'},
        {"coordinator", required_argument, NULL, 'C'},
        {"map-size", required_argument, NULL, 'M'},
        {"log-level", required_argument, NULL, 'L'},
        {"checkpoint-interval", required_argument, NULL, 'I'},
        {"slow-commit-ms", required_argument, NULL, 'W'},
        {"due-soon-days", required_argument, NULL, 'D'},
        {"verifiers", required_argument, NULL, 'V'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Before any thread exists: see nmirf_service.h. */
    if (service_block_sighup() != 0) {
        perror("nmirfd: cannot block SIGHUP");
        return 1;
    }
    if (getenv("STATE_DIRECTORY"))
        s_spec[0].dflt = getenv("STATE_DIRECTORY");
    bool check_only = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:nd:r:e:vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            s.conf_path = optarg;
            break;
        case 'n':
            check_only = true;
            break;
        case 'd':
            s_flag("data_dir", optarg);
            break;
        case 'r':
            s_flag("request_endpoint", optarg);
            break;
        case 'e':
            s_flag("events_endpoint", optarg);
            break;
        case 'C':
            s_flag("coordinator", optarg);
            break;
        case 'M':
            s_flag("map_size_mib", optarg);
            break;
        case 'V':
            s_flag("verifiers", optarg);
            break;
        case 'L':
            s_flag("log_level", optarg);
            break;
        case 'I':
            s_flag("checkpoint_interval_s", optarg);
            break;
        case 'W':
            s_flag("slow_commit_ms", optarg);
            break;
        case 'D':
            s_flag("due_soon_days", optarg);
            break;
        case 'v':
            s_flag("log_level", "debug");
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nmirfd: unexpected argument '%s'\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    if (s.flag_count >= S_MAX_FLAGS) {
        fprintf(stderr, "nmirfd: too many flags\n");
        return 2;
    }
    /* A bad flag is a usage error (2); a bad file, a config error (1). */
    char why[4096];
    for (size_t i = 0; i < s.flag_count; i++) {
        nmirf_conf_t *probe = nmirf_conf_new(s_spec);
        int rc = probe ? nmirf_conf_set(probe, s.flag_keys[i], s.flag_values[i], why,
                                        sizeof why)
                       : -1;
        nmirf_conf_destroy(&probe);
        if (rc) {
            fprintf(stderr, "nmirfd: %s\n", why);
            return 2;
        }
    }
    if (!s.conf_path && access(S_DEFAULT_CONF, F_OK) == 0)
        s.conf_path = S_DEFAULT_CONF;
    s.boot = s.conf = s_settings(why, sizeof why);
    if (!s.conf) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    if (check_only) {
        printf("%s: configuration ok\n",
               s.conf_path ? s.conf_path : "(defaults and flags)");
        nmirf_conf_destroy(&s.conf);
        return 0;
    }
    const char *datadir = nmirf_conf_get(s.conf, "data_dir");
    const char *coordinator = nmirf_conf_get(s.conf, "coordinator");
    unsigned long map_mb = nmirf_conf_uint(s.conf, "map_size_mib");
    broker_opts_t opts = {.request_ep = nmirf_conf_get(s.conf, "request_endpoint"),
                          .events_ep = nmirf_conf_get(s.conf, "events_endpoint")};
    s_broker_opts(s.conf, &opts);

    log_init("nmirfd", false);
    log_set_level(log_level_from_name(nmirf_conf_get(s.conf, "log_level")));
    if (sodium_init() < 0)
        fatalx("libsodium cannot start");
    zsys_init();
    zsys_set_logstream(NULL);
    if (mkdir(datadir, 0700) != 0 && errno != EEXIST)
        fatal("cannot create data directory %s", datadir);

    char storedir[4096];
    snprintf(storedir, sizeof storedir, "%s/store", datadir);
    store_t *store = store_open(storedir, map_mb, why, sizeof why);
    if (!store)
        fatalx("%s", why);
    if (bootstrap_if_empty(store, datadir, coordinator, why, sizeof why))
        fatalx("%s", why);
    /* The broker's own keys: the CURVE server key every client checks, and
       the signing key of its checkpoints (PROTOCOL.md sections 1, 10). */
    static nmirf_key_t broker_key;
    char keypath[4096];
    snprintf(keypath, sizeof keypath, "%s/keys/NMIRFD.key", datadir);
    if (nmirf_key_load(&broker_key, keypath, why, sizeof why))
        fatalx("cannot load the broker's key: %s", why);
    if (!broker_key.has_secret)
        fatalx("%s: not a secret key file", keypath);
    opts.datadir = datadir;
    opts.key = &broker_key;
    opts.verifiers = (int)nmirf_conf_uint(s.conf, "verifiers");
    broker_t *broker = broker_new(store, &opts, why, sizeof why);
    if (!broker)
        fatalx("%s", why);
    s.broker = broker;
    if (service_on_sighup(broker_loop(broker), s_on_hup, NULL))
        fatalx("cannot handle SIGHUP");
    unsigned watchdog_ms = service_watchdog_start(broker_loop(broker));
    log_info("nmirfd %s serving store %s (map %lu MiB), config %s, log level %s%s",
             NMIRF_VERSION, storedir, map_mb,
             s.conf_path ? s.conf_path : "none (defaults and flags)",
             log_level_name(log_level()), watchdog_ms ? ", watchdog on" : "");
    /* The store is open and both endpoints are bound (broker_new): clients
       can connect from here on. */
    service_ready("serving store %s", storedir);
    broker_run(broker);
    service_stopping();
    size_t answered = broker_stop_answered(broker);
    broker_destroy(&broker);
    /* The last checkpoint covers every event this run wrote. */
    checkpoint_write(store, &broker_key);
    nmirf_key_wipe(&broker_key);
    store_close(&store);
    log_info("stopping: %zu requests in flight committed and answered, store closed",
             answered);
    if (s.conf != s.boot)
        nmirf_conf_destroy(&s.conf);
    nmirf_conf_destroy(&s.boot);
    return 0;
}
