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
#include "stats_agg.h"
#include "broker.h"
#include "changelog_file.h"
#include "follower.h"
#include "nmirf_client.h"
#include "repl_sender.h"
#include "checkpoint.h"
#include "nmirf_conf.h"
#include "nmirf_dirlock.h"
#include "nmirf_keys.h"
#include "nmirf_log.h"
#include "nmirf_schema.h"
#include "nmirf_service.h"
#include "nmirf_util.h"
#include "role.h"
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
/* Automatic failover's delay, ms: at least the period of the primary's
   heartbeat (BROKER_HEARTBEAT_MS), below which a live primary would look
   silent between two of them; at most an hour. docs/OPERATIONS.md advises
   3000 or more, so that a late heartbeat is not taken for a death. */
#define S_FAILOVER_MIN_MS BROKER_HEARTBEAT_MS
#define S_FAILOVER_MAX_MS 3600000

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
    {"due_soon_days", NMIRF_CONF_UINT, 1, NMIRF_DUE_SOON_MAX, "14", "--due-soon-days"},
    {"verifiers", NMIRF_CONF_UINT, 0, 16, "2", "--verifiers"},
    {"readers", NMIRF_CONF_UINT, 0, 16, "2", "--readers"},
    {"max_sessions_per_entity", NMIRF_CONF_UINT, 1, 100000, "64",
     "--max-sessions-per-entity"},
    {"request_window", NMIRF_CONF_UINT, 0, 10 * 366 * 86400UL, "86400",
     "--request-window"},
    {"standby_of", NMIRF_CONF_ENDPOINT, 0, 0, NULL, "--standby-of"},
    {"primary_key_file", NMIRF_CONF_PATH, 0, 0, NULL, "--primary-key"},
    {"standby_key_file", NMIRF_CONF_PATH, 0, 0, NULL, "--standby-key"},
    {"failover_after", NMIRF_CONF_UINT, 0, S_FAILOVER_MAX_MS, "0", "--failover-after"},
    {"synchronous", NMIRF_CONF_ONOFF, 0, 0, "off", "--synchronous"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* Settings SIGHUP applies; the others need a restart. */
static const char *const s_reloadable[] = {"log_level",
                                           "checkpoint_interval_s",
                                           "slow_commit_ms",
                                           "due_soon_days",
                                           "max_sessions_per_entity",
                                           "request_window",
                                           "synchronous",
                                           NULL};

/* What main and the SIGHUP handler share. */
static struct {
    nmirf_conf_source_t src; /* the config file and the flags */
    nmirf_conf_t *boot;      /* the settings read at start: what the
                                broker's strings point into, kept to
                                the end */
    nmirf_conf_t *conf;      /* the settings in force (boot, or a
                                reload's) */
    broker_t *broker;        /* the running broker */
} s;

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: nmirfd [-nv] [-c FILE] [-d DIR] [-r ENDPOINT] [-e ENDPOINT]\n"
            "              [--coordinator ID] [--map-size MIB] [--log-level LEVEL]\n"
            "              [--checkpoint-interval S] [--slow-commit-ms MS]\n"
            "              [--due-soon-days DAYS] [--verifiers N] [--readers N]\n"
            "              [--max-sessions-per-entity N] [--request-window S]\n"
            "              [--standby-of ENDPOINT -S PRIMARY.pub [--standby-key FILE\n"
            "              [--failover-after MS]]]\n"
            "              [--synchronous on|off]\n"
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
            "      --checkpoint-interval S  seconds between checks that the head "
            "is signed (default 10;\n"
            "                          every commit that grows the log signs it)\n"
            "      --slow-commit-ms MS warn about commits slower than this (default "
            "100)\n"
            "      --due-soon-days DAYS  deadline horizon (default 14)\n"
            "      --verifiers N       threads checking signatures ahead of the writer\n"
            "                          (default 2; 0: the writer checks them)\n"
            "      --readers N         threads answering reads beside the writer\n"
            "                          (default 2; 0: the writer runs them)\n"
            "      --max-sessions-per-entity N  CURVE sessions one entity may hold\n"
            "                          at once; ZAP refuses more (default 64)\n"
            "      --request-window S  refuse a write signed more than S seconds\n"
            "                          ago (stale; default 86400; 0: no bound)\n"
            "      --standby-of ENDPOINT  a standby of the primary at ENDPOINT:\n"
            "                          reads served, writes refused not_primary until\n"
            "                          `nmirf promote` (docs/REPLICATION.md)\n"
            "      --synchronous on|off  on: answer a write only once a standby\n"
            "                          holds it on disk; with none following, writes\n"
            "                          wait (default off; docs/REPLICATION.md)\n"
            "  -S, --primary-key FILE  the primary's public key file (its NMIRFD.pub);\n"
            "                          needed with --standby-of\n"
            "      --standby-key FILE  the standby entity's key file (role standby,\n"
            "                          enrolled on the primary): with it a standby\n"
            "                          follows the primary's log (docs/REPLICATION.md)\n"
            "      --failover-after MS  automatic failover: a write reaching this\n"
            "                          standby when the primary has been silent MS ms\n"
            "                          promotes it (at least 1000; default 0: only\n"
            "                          `nmirf promote`); needs --standby-key\n"
            "  -h, --help              this help\n"
            "\n"
            "On first start nmirfd writes DIR/keys/ID.key, the coordinator's key file;\n"
            "use it with `nmirf -k DIR/keys/ID.key ...`. A '*' port binds a free port;\n"
            "DIR/endpoints tells which. SIGHUP re-reads the config file.\n",
            S_DEFAULT_CONF, "tcp://127.0.0.1:7710", "tcp://127.0.0.1:7711");
}

/* The broker's reloadable settings in conf. */
static void
s_broker_opts(const nmirf_conf_t *conf, broker_opts_t *opts)
{
    opts->slow_commit_ms = (unsigned)nmirf_conf_uint(conf, "slow_commit_ms");
    opts->checkpoint_interval_ms =
        (unsigned)nmirf_conf_uint(conf, "checkpoint_interval_s") * 1000;
    opts->due_soon_days = (unsigned)nmirf_conf_uint(conf, "due_soon_days");
    opts->max_sessions = (unsigned)nmirf_conf_uint(conf, "max_sessions_per_entity");
    opts->request_window_s = (unsigned)nmirf_conf_uint(conf, "request_window");
    opts->synchronous = nmirf_conf_on(conf, "synchronous");
}

/* Applies next's reloadable settings to the broker (nmirf_conf_reload). */
static void
s_apply(const nmirf_conf_t *next, void *arg)
{
    broker_opts_t opts = {0};
    s_broker_opts(next, &opts);
    broker_configure(s.broker, &opts);
}

/* SIGHUP: re-reads the file (flags still override it), applies what can
   change while running and logs each change; a setting that needs a
   restart keeps its value, and a broken file changes nothing. */
static void
s_on_hup(void *arg)
{
    nmirf_service_reloading();
    if (nmirf_conf_reload(&s.conf, s.boot, &s.src, s_reloadable, s_apply, NULL) < 0)
        nmirf_service_ready("serving; the last reload was refused (see the log)");
    else
        nmirf_service_ready("serving; configuration reloaded");
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
        {"readers", required_argument, NULL, 'R'},
        {"max-sessions-per-entity", required_argument, NULL, 'X'},
        {"standby-of", required_argument, NULL, 'B'},
        {"primary-key", required_argument, NULL, 'S'},
        {"standby-key", required_argument, NULL, 'K'},
        {"failover-after", required_argument, NULL, 'F'},
        {"request-window", required_argument, NULL, 'w'},
        {"synchronous", required_argument, NULL, 'Y'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Before any thread exists: see nmirf_service.h. */
    if (nmirf_service_block_sighup() != 0) {
        perror("nmirfd: cannot block SIGHUP");
        return 1;
    }
    if (getenv("STATE_DIRECTORY"))
        s_spec[0].dflt = getenv("STATE_DIRECTORY");
    bool check_only = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:nd:r:e:S:vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            s.src.path = optarg;
            break;
        case 'n':
            check_only = true;
            break;
        case 'd':
            nmirf_conf_flag(&s.src, "data_dir", optarg);
            break;
        case 'r':
            nmirf_conf_flag(&s.src, "request_endpoint", optarg);
            break;
        case 'e':
            nmirf_conf_flag(&s.src, "events_endpoint", optarg);
            break;
        case 'C':
            nmirf_conf_flag(&s.src, "coordinator", optarg);
            break;
        case 'M':
            nmirf_conf_flag(&s.src, "map_size_mib", optarg);
            break;
        case 'V':
            nmirf_conf_flag(&s.src, "verifiers", optarg);
            break;
        case 'R':
            nmirf_conf_flag(&s.src, "readers", optarg);
            break;
        case 'X':
            nmirf_conf_flag(&s.src, "max_sessions_per_entity", optarg);
            break;
        case 'B':
            nmirf_conf_flag(&s.src, "standby_of", optarg);
            break;
        case 'S':
            nmirf_conf_flag(&s.src, "primary_key_file", optarg);
            break;
        case 'K':
            nmirf_conf_flag(&s.src, "standby_key_file", optarg);
            break;
        case 'F':
            nmirf_conf_flag(&s.src, "failover_after", optarg);
            break;
        case 'w':
            nmirf_conf_flag(&s.src, "request_window", optarg);
            break;
        case 'Y':
            nmirf_conf_flag(&s.src, "synchronous", optarg);
            break;
        case 'L':
            nmirf_conf_flag(&s.src, "log_level", optarg);
            break;
        case 'I':
            nmirf_conf_flag(&s.src, "checkpoint_interval_s", optarg);
            break;
        case 'W':
            nmirf_conf_flag(&s.src, "slow_commit_ms", optarg);
            break;
        case 'D':
            nmirf_conf_flag(&s.src, "due_soon_days", optarg);
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
    if (optind < argc) {
        fprintf(stderr, "nmirfd: unexpected argument '%s'\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    /* A bad flag is a usage error (2); a bad file, a config error (1). */
    char why[4096];
    int rc = nmirf_conf_start(s_spec, &s.src, S_DEFAULT_CONF, &s.conf, why, sizeof why);
    if (rc) {
        fprintf(stderr, "%s%s\n", rc == 2 ? "nmirfd: " : "", why);
        return rc;
    }
    s.boot = s.conf;
    const char *standby_of = nmirf_conf_get(s.conf, "standby_of");
    const char *primary_key = nmirf_conf_get(s.conf, "primary_key_file");
    if (standby_of && !primary_key) {
        fprintf(stderr, "nmirfd: --standby-of (standby_of) needs the primary's public "
                        "key: -S PRIMARY.pub (primary_key_file)\n");
        nmirf_conf_destroy(&s.conf);
        return 2;
    }
    const char *standby_key = nmirf_conf_get(s.conf, "standby_key_file");
    if (!standby_of && (primary_key || standby_key)) {
        fprintf(stderr, "nmirfd: %s is for a standby: give --standby-of ENDPOINT (standby_of) "
                        "too, or leave it out\n",
                primary_key ? "-S (primary_key_file)" : "--standby-key (standby_key_file)");
        nmirf_conf_destroy(&s.conf);
        return 2;
    }
    /* Automatic failover needs a standby that hears its primary: the
       follower, which only --standby-key starts (follower.h). */
    unsigned long failover_ms = nmirf_conf_uint(s.conf, "failover_after");
    if (failover_ms && (!standby_of || !standby_key)) {
        fprintf(stderr, "nmirfd: --failover-after (failover_after) is for a standby that "
                        "follows its primary: give --standby-of ENDPOINT, -S PRIMARY.pub "
                        "and --standby-key FILE too, or leave it out\n");
        nmirf_conf_destroy(&s.conf);
        return 2;
    }
    if (failover_ms && failover_ms < S_FAILOVER_MIN_MS) {
        fprintf(stderr,
                "nmirfd: --failover-after (failover_after) is %lu ms: give at "
                "least %d (the primary's heartbeat period), or 0 for `nmirf "
                "promote` only\n",
                failover_ms, S_FAILOVER_MIN_MS);
        nmirf_conf_destroy(&s.conf);
        return 2;
    }
    if (check_only) {
        printf("%s: configuration ok\n",
               s.src.path ? s.src.path : "(defaults and flags)");
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
    /* One broker per data directory, held until exit: a second one would
       serve the same store beside the first (nmirf_dirlock.h). */
    pid_t holder;
    int lock_fd = nmirf_dirlock_take(datadir, "nmirfd", &holder, why, sizeof why);
    if (lock_fd < 0)
        fatalx("%s; not starting", why);

    char storedir[4096];
    snprintf(storedir, sizeof storedir, "%s/store", datadir);
    /* A standby with its own key follows the primary's log (follower.h):
       its store comes from a full copy, taken now, before it opens, when
       it has none or no position in the primary's stream. */
    static nmirf_key_t primary_pub, standby_ent;
    static char primary_curve[41];
    follower_opts_t fo = {0};
    if (standby_of && standby_key) {
        if (nmirf_key_load(&primary_pub, primary_key, why, sizeof why) ||
            nmirf_client_server_key_load(primary_key, primary_curve, why, sizeof why))
            fatalx("cannot load the primary's key: %s", why);
        if (nmirf_key_load(&standby_ent, standby_key, why, sizeof why))
            fatalx("cannot load the standby's key: %s", why);
        if (!standby_ent.has_secret)
            fatalx("%s: not a secret key file", standby_key);
        fo = (follower_opts_t){.endpoint = standby_of,
                               .datadir = datadir,
                               .key = &standby_ent,
                               .server_pk = primary_curve,
                               .primary_pk = primary_pub.sign_pk};
        if (follower_prepare(&fo, why, sizeof why))
            fatalx("%s", why);
    }
    store_t *store = store_open(storedir, map_mb, why, sizeof why);
    if (!store)
        fatalx("%s", why);
    if (fo.endpoint && !follower_position_ok(&fo, store)) {
        log_warnx("standby: DATADIR/follow.pos does not name the store's seq: a full "
                  "copy replaces the store");
        store_close(&store);
        follower_forget(&fo);
        if (follower_prepare(&fo, why, sizeof why))
            fatalx("%s", why);
        if (!(store = store_open(storedir, map_mb, why, sizeof why)))
            fatalx("%s", why);
    }
    /* A standby's store is the primary's: it makes nothing of its own, no
       first start, no figures, no checkpoint, until it is promoted (role.h).
       The primary's key, for the stream that will follow its log
       (docs/REPLICATION.md), is checked now. */
    uint64_t epoch = 1;
    MDB_txn *txn;
    if (store_begin(store, NULL, false, &txn) == 0) {
        epoch = store_epoch(store, txn);
        if (standby_of && store_seq(store, txn) == 0)
            fatalx("a standby needs a copy of its primary's store in %s (--standby-key "
                   "takes one, or stop the primary and copy its DIR/store; "
                   "docs/OPERATIONS.md): this one is empty",
                   storedir);
        mdb_txn_abort(txn);
    }
    if (standby_of && !fo.endpoint &&
        nmirf_key_load(&primary_pub, primary_key, why, sizeof why))
        fatalx("cannot load the primary's key: %s", why);
    if (!standby_of && bootstrap_if_empty(store, datadir, coordinator, why, sizeof why))
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
    if (changelog_file_open(store, datadir, broker_key.sign_sk, why, sizeof why))
        fatalx("%s", why);
    /* A store from before the figures `stats` keeps gets them now, once
       the changelog is on: the rebuild is a commit a standby must have. */
    if (!standby_of && stats_agg_ensure(store, why, sizeof why))
        fatalx("%s", why);
    role_t *role = role_new(standby_of, epoch, broker_key.sign_pk);
    if (!role)
        fatalx("out of memory, or the --standby-of endpoint is too long");
    role_set_failover(role, (unsigned)failover_ms, &standby_ent);
    /* A primary sends its log to its standbys (repl_sender.h): from the
       first full copy a standby takes, the changelog is on, each commit's
       record into the ring. Not with the test hook, which takes the
       records itself. A standby has a sender too, idle: it makes no
       record of its own (its store is the primary's, and ops_repl refuses
       a standby of it), but once promoted it is a primary that the old
       one, restarted --standby-of it, follows without a restart here. */
    repl_sender_t *repl = NULL;
    if (!store_changelog_on(store)) {
        store_set_changelog(store, false, broker_key.sign_sk);
        if (!(repl = repl_sender_new(store, 0)))
            fatalx("out of memory");
        /* Synchronous mode waits for records: from the first commit on,
           not from a standby's first copy. */
        if (opts.synchronous)
            store_changelog_start(store);
    }
    follower_t *follower = NULL;
    if (fo.endpoint && !(follower = follower_start(store, role, &fo)))
        fatalx("cannot start following %s", standby_of);
    /* Whatever LMDB recovered at open is the log from here on: sign its
       head now, so a run that dies before its first batch (a crash loop)
       still leaves the head it started from signed. */
    if (!standby_of)
        checkpoint_write(store, &broker_key);
    else
        log_info("standby of %s at epoch %llu (primary key %s): reads served, writes "
                 "refused not_primary until promoted%s",
                 standby_of, (unsigned long long)epoch, primary_key,
                 failover_ms ? "; automatic failover on" : "");
    if (failover_ms)
        log_info("automatic failover: a write promotes this standby once %s has been "
                 "silent %lu ms",
                 standby_of, failover_ms);
    opts.role = role;
    opts.datadir = datadir;
    opts.key = &broker_key;
    opts.verifiers = (int)nmirf_conf_uint(s.conf, "verifiers");
    opts.readers = (int)nmirf_conf_uint(s.conf, "readers");
    broker_t *broker = broker_new(store, &opts, why, sizeof why);
    if (!broker)
        fatalx("%s", why);
    s.broker = broker;
    if (nmirf_service_on_sighup(broker_loop(broker), s_on_hup, NULL))
        fatalx("cannot handle SIGHUP");
    unsigned watchdog_ms = nmirf_service_watchdog_start(broker_loop(broker));
    log_info("nmirfd %s serving store %s (map %lu MiB), config %s, log level %s%s",
             NMIRF_VERSION, storedir, map_mb,
             s.src.path ? s.src.path : "none (defaults and flags)",
             log_level_name(log_level()), watchdog_ms ? ", watchdog on" : "");
    /* The store is open and both endpoints are bound (broker_new): clients
       can connect from here on. */
    nmirf_service_ready("serving store %s", storedir);
    broker_run(broker);
    nmirf_service_stopping();
    size_t answered = broker_stop_answered(broker);
    follower_stop(&follower);
    broker_destroy(&broker);
    /* The last checkpoint covers every event this run wrote (a standby's
       are the primary's: it signs none). */
    MDB_txn *last;
    bool standby = true;
    if (store_begin(store, NULL, false, &last) == 0) {
        standby = role_standby(role, store_epoch(store, last));
        mdb_txn_abort(last);
    }
    if (!standby)
        checkpoint_write(store, &broker_key);
    changelog_file_close(store);
    repl_sender_destroy(&repl);
    role_destroy(&role);
    nmirf_key_wipe(&broker_key);
    store_close(&store);
    close(lock_fd);
    log_info("stopping: %zu requests in flight committed and answered, store closed",
             answered);
    if (s.conf != s.boot)
        nmirf_conf_destroy(&s.conf);
    nmirf_conf_destroy(&s.boot);
    /* A standby whose position the primary no longer has: 75 (EX_TEMPFAIL)
       so its service restarts it, and the start takes a full copy. */
    return follower_wants_copy() ? 75 : 0;
}
