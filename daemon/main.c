/*  nmirfd - the nmirf broker: owns the recommendation store, answers
    signed requests, publishes every change.

    main reads the command line, opens the store, does the first start if
    the store is empty, and hands over to the broker loop.
*/
#include "bootstrap.h"
#include "broker.h"
#include "checkpoint.h"
#include "nmirf_keys.h"
#include "nmirf_log.h"
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

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: nmirfd [-v] [-d DIR] [-r ENDPOINT] [-e ENDPOINT] [--coordinator ID]\n"
            "              [--map-size MIB] [--verifiers N]\n"
            "\n"
            "The nmirf broker: keeps recommendation state in LMDB, answers signed\n"
            "requests, and publishes every change as an event.\n"
            "\n"
            "  -d, --data DIR          data directory (default $STATE_DIRECTORY, else\n"
            "                          ./nmirf-data); made on first start\n"
            "  -r, --request ENDPOINT  request (ROUTER) endpoint (default %s)\n"
            "  -e, --events ENDPOINT   event (PUB) endpoint (default %s)\n"
            "      --coordinator ID    id of the coordinator made on first start "
            "(default COORD)\n"
            "      --map-size MIB      LMDB map size in MiB (default 1024)\n"
            "      --verifiers N       threads checking signatures ahead of the writer\n"
            "                          (default %d; 0: the writer checks them)\n"
            "  -v, --verbose           log every request\n"
            "  -h, --help              this help\n"
            "\n"
            "On first start nmirfd writes DIR/keys/ID.key, the coordinator's key file;\n"
            "use it with `nmirf -k DIR/keys/ID.key ...`. A '*' port binds a free port;\n"
            "DIR/endpoints tells which.\n",
            "tcp://127.0.0.1:7710", "tcp://127.0.0.1:7711", BROKER_VERIFIERS);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"request", required_argument, NULL, 'r'},
        {"events", required_argument, NULL, 'e'},
        {"coordinator", required_argument, NULL, 'C'},
        {"map-size", required_argument, NULL, 'M'},
        {"verifiers", required_argument, NULL, 'V'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *datadir =
        getenv("STATE_DIRECTORY") ? getenv("STATE_DIRECTORY") : "nmirf-data";
    broker_opts_t opts = {.request_ep = "tcp://127.0.0.1:7710",
                          .events_ep = "tcp://127.0.0.1:7711",
                          .verifiers = BROKER_VERIFIERS};
    const char *coordinator = "COORD";
    unsigned long map_mb = 1024;
    bool verbose = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "d:r:e:vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            datadir = optarg;
            break;
        case 'r':
            opts.request_ep = optarg;
            break;
        case 'e':
            opts.events_ep = optarg;
            break;
        case 'C':
            coordinator = optarg;
            break;
        case 'M': {
            char *end;
            errno = 0;
            map_mb = strtoul(optarg, &end, 10);
            if (errno || *end || map_mb < 1 || map_mb > 1024 * 1024) {
                fprintf(stderr,
                        "nmirfd: --map-size: '%s' is not a size in MiB (1 to 1048576)\n",
                        optarg);
                return 2;
            }
            break;
        }
        case 'V': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || v < 0 || v > 16) {
                fprintf(stderr,
                        "nmirfd: --verifiers: '%s' is not a number from 0 to 16\n",
                        optarg);
                return 2;
            }
            opts.verifiers = (int)v;
            break;
        }
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
    if (optind < argc) {
        fprintf(stderr, "nmirfd: unexpected argument '%s'\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    if (!nmirf_entity_id_valid(coordinator, strlen(coordinator))) {
        fprintf(stderr,
                "nmirfd: --coordinator: '%s' is not an entity id ([A-Z0-9_-]{1,16})\n",
                coordinator);
        return 2;
    }
    log_init("nmirfd", verbose);
    if (sodium_init() < 0)
        fatalx("libsodium cannot start");
    zsys_init();
    zsys_set_logstream(NULL);
    if (mkdir(datadir, 0700) != 0 && errno != EEXIST)
        fatal("cannot create data directory %s", datadir);

    char why[1024], storedir[4096];
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
    broker_t *broker = broker_new(store, &opts, why, sizeof why);
    if (!broker)
        fatalx("%s", why);
    log_info("nmirfd %s serving %s", NMIRF_VERSION, datadir);
    broker_run(broker);
    broker_destroy(&broker);
    /* The last checkpoint covers every event this run wrote. */
    checkpoint_write(store, &broker_key);
    nmirf_key_wipe(&broker_key);
    store_close(&store);
    log_info("stopped");
    return 0;
}
