/*  nmirf - the command line of the nmirf broker.

    main() sets the locale and the catalogs up (cli_i18n.h: messages in the
    language of LANG / LC_MESSAGES, catalogs under $NMIRF_LOCALEDIR when
    set), reads the global options and the environment, then hands the
    rest of the line to one command. Global options come before the
    command; --json is also taken after it, where people tend to type it.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nmirf_util.h"

#define DEFAULT_BROKER "tcp://127.0.0.1:7710"
#define DEFAULT_EVENTS "tcp://127.0.0.1:7711"
#define DEFAULT_TIMEOUT_MS 5000

/* An environment variable, or dflt if it is unset or empty. */
static const char *
s_env(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* help [COMMAND]: the help asked for goes to stdout. */
static int
s_help(cli_t *cli, int argc, char **argv)
{
    const char *topic = argc > 1 ? argv[1] : NULL;
    if (cli_help(topic, stdout) != 0) {
        fprintf(stderr, _("nmirf: help: no command '%s'\n"), topic);
        cli_help(NULL, stderr);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"events", required_argument, NULL, 'e'},
        {"key", required_argument, NULL, 'k'},
        {"server-key", required_argument, NULL, 'S'},
        {"agent", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 't'},
        {"version", no_argument, NULL, 'V'},
        /* Hidden: the commands' synopsis from their tables, plain or as
           nmirf(1)'s SYNOPSIS (tests/cli/cli_synopsis_test.sh). */
        {"print-synopsis", no_argument, NULL, 'Y'},
        {"print-man-synopsis", no_argument, NULL, 'M'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_t cli = {
        .broker = s_env("NMIRF_BROKER", DEFAULT_BROKER),
        .events = s_env("NMIRF_EVENTS", DEFAULT_EVENTS),
        .key_path = s_env("NMIRF_KEY", NULL),
        .server_key_path = s_env("NMIRF_SERVER_KEY", NULL),
        .agent = s_env("NMIRF_AGENT", NULL),
        .timeout_ms = DEFAULT_TIMEOUT_MS,
    };
    uint64_t timeout;
    int c;

    cli_i18n_init();

    /* '+' stops at the command, whose own options come after it. */
    cli_begin(&cli, NULL, "");
    while ((c = cli_getopt(&cli, argc, argv, "+:a:b:e:k:S:t:Vh", opts)) != -1) {
        switch (c) {
        case 'b':
            cli.broker = optarg;
            break;
        case 'e':
            cli.events = optarg;
            break;
        case 'k':
            cli.key_path = optarg;
            break;
        case 'S':
            cli.server_key_path = optarg;
            break;
        case 'a':
            cli.agent = *optarg ? optarg : NULL;
            break;
        case 't':
            if (cli_parse_uint(&cli, "--timeout", optarg, &timeout))
                return CLI_EXIT_USAGE;
            if (timeout == 0 || timeout > 3600 * 1000)
                return cli_usage(&cli, "--timeout: %s ms is not between 1 and 3600000",
                                 optarg);
            cli.timeout_ms = (int)timeout;
            break;
        case 'V':
            printf("nmirf %s\n", NMIRF_VERSION);
            return CLI_EXIT_OK;
        case 'Y':
        case 'M':
            cli_spec_synopsis(c == 'M', stdout);
            return CLI_EXIT_OK;
        case CLI_OPT_HELP:
            cli_help(NULL, stdout);
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(_("nmirf: no command given\n\n"), stderr);
        cli_help(NULL, stderr);
        return CLI_EXIT_USAGE;
    }
    int cargc = argc - optind;
    char **cargv = argv + optind;
    if (strcmp(cargv[0], "help") == 0)
        return s_help(&cli, cargc, cargv);
    int rc = cli_spec_dispatch(&cli, cargc, cargv);
    if (rc >= 0) {
        if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
            fputs(_("nmirf: cannot write to stdout\n"), stderr);
            rc = CLI_EXIT_LOCAL;
        }
        cli_close(&cli);
        return rc;
    }
    cli_begin(&cli, NULL, "");
    return cli_usage(&cli, "no command '%s'", cargv[0]);
}
