/*  cli_cmds_broker - questions about the broker as a whole: ping,
    snapshot. Neither takes arguments (stats is cli_cmds_stats.c).
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nmirf_mp.h"

/* Parses the line of a command that takes no arguments. Returns -1 to go
   on, or the exit status to end with (0 after --help). */
static int
s_no_args(cli_t *cli, int argc, char **argv, const char *name)
{
    static const struct option opts[] = {CLI_OPTS_END};
    int c;
    cli_begin(cli, name, name);
    if ((c = cli_getopt(cli, argc, argv, ":h", opts)) != -1)
        return cli_opt_exit(cli, c);
    if (cli_positional(cli, argc - optind, 0, 0, "no argument"))
        return CLI_EXIT_USAGE;
    return -1;
}

/* Runs a command without arguments: parse, call op, print through view
   (or as JSON when always_json). */
static int
s_simple(cli_t *cli, int argc, char **argv, const char *name, const char *op,
         void (*view)(const msgpack_object *body), bool always_json)
{
    int rc = s_no_args(cli, argc, argv, name);
    if (rc >= 0)
        return rc;
    nmirf_reply_t *reply;
    if ((rc = cli_call(cli, op, NULL, &reply)))
        return rc;
    if (always_json)
        rc = cli_print_json(&reply->body, false);
    else
        rc = cli_print_reply(cli, reply, view);
    nmirf_reply_destroy(&reply);
    return rc;
}

static const char *s_ping_broker; /* the endpoint, for the ping view */

/* ping: the endpoint asked, the version, the sequence, the counters. */
static void
s_view_ping(const msgpack_object *body)
{
    cli_kv("broker", s_ping_broker);
    cli_kv_field("version", body, "version");
    cli_kv_field("seq", body, "seq");
    /* Counters since the broker started; older brokers leave them out. */
    if (nmirf_mp_get(body, "started")) {
        char when[32];
        cli_kv("started", cli_time_text(cli_mp_uint(body, "started", 0), true, when));
    }
    cli_kv_field("requests", body, "requests");
    cli_kv_field("writes", body, "writes");
    cli_kv_field("commits", body, "commits");
}

int
cli_cmd_ping(cli_t *cli, int argc, char **argv)
{
    s_ping_broker = cli->broker;
    return s_simple(cli, argc, argv, "ping", "ping", s_view_ping, false);
}

int
cli_cmd_snapshot(cli_t *cli, int argc, char **argv)
{
    return s_simple(cli, argc, argv, "snapshot", "snapshot", NULL, true);
}
