/*  cli - what the files of the nmirf command share: the run context, the
    exit statuses, option parsing, the broker call and the output helpers.

    Each command lives in one cli_cmds_*.c file by group and returns an exit
    status; nothing below main() calls exit(), so every path frees what it
    took and main() has one place that closes the connection.
*/
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_i18n.h"
#include "cli_spec.h"
#include "nmirf_brokers.h"
#include "nmirf_client.h"
#include "nmirf_keys.h"
#include "nmirf_recfilter.h"
#include "nmirf_schema.h"
#include "nmirf_wire.h"

/* Exit statuses: the contract with scripts; `nmirf --help` lists them. */
enum {
    CLI_EXIT_OK = 0,       /* success */
    CLI_EXIT_REFUSED = 1,  /* the broker answered ok=false */
    CLI_EXIT_USAGE = 2,    /* bad flags or bad local input */
    CLI_EXIT_NO_REPLY = 3, /* broker unreachable or no reply in time */
    CLI_EXIT_LOCAL = 4,    /* local file or key error */
};

/* One run of the command. */
typedef struct cli_s {
    const char *broker;          /* request endpoint */
    const char *events;          /* events endpoint */
    const char *key_path;        /* secret key file, NULL if none was given */
    const char *server_key_path; /* broker's public key file (-S), or NULL */
    char server_key[41];         /* the broker's CURVE public key, Z85, once loaded */
    const char *agent;           /* -a: nmirf-agent directory or endpoint, or NULL */
    int timeout_ms;              /* how long to wait for each reply */
    bool json;                   /* --json: machine-readable output */
    const char *topic;           /* help topic of the running command ("rec") */
    char cmd[32];                /* the command in messages ("rec list") */
    nmirf_key_t key;             /* the author's key, loaded by the first call */
    bool key_loaded;             /* key holds a loaded secret key */
    nmirf_client_t *client;      /* broker connection, made by the first call */
    /* -b EP,EP,...: a primary and its standbys (nmirf_brokers.h), each with
       its key (-S FILE,FILE,...); broker and server_key are then the one
       in use, found by cli_load_keys (the primary: its ping's role and
       the highest epoch) and moved on `not_primary` or no reply. */
    nmirf_brokers_t brokers; /* the list (n 0: one broker, as before) */
    size_t cur;              /* the one in use */
    uint64_t epoch_seen;     /* the highest epoch a primary's ping gave */
} cli_t;

/* The tables of the commands (cli_spec.h), one list a file, NULL-path
   terminated; cli_commands.c orders them. */
extern const cli_cmd_spec_t cli_entity_cmds[];  /* keygen, entity ... */
extern const cli_cmd_spec_t cli_broker_cmds[];  /* ping, snapshot, status */
extern const cli_cmd_spec_t cli_rec_cmds[];     /* rec ... */
extern const cli_cmd_spec_t cli_report_cmds[];  /* report ... */
extern const cli_cmd_spec_t cli_measure_cmds[]; /* measure ... */
extern const cli_cmd_spec_t cli_events_cmds[];  /* events */
extern const cli_cmd_spec_t cli_stats_cmds[];   /* stats */
extern const cli_cmd_spec_t cli_agent_cmds[];   /* mine, outbox, watch, agent-status */
extern const cli_cmd_spec_t cli_audit_cmds[];   /* audit ... */
extern const cli_cmd_spec_t cli_backup_cmds[];  /* backup */
extern const cli_cmd_spec_t cli_check_cmds[];   /* check */

/* Calls stats with the --today, --due-soon and --limit of a (the body
   keys of stats and report html), waiting longer than usual for a large
   store. Returns the exit status; *reply_p on success (cli_cmds_stats.c). */
int cli_call_stats(cli_t *cli, const cli_args_t *a, nmirf_reply_t **reply_p);

/* The options of the stats request that stats and report html share, with
   the broker's limits on them (due_soon_days 3650, the lists 10000), and
   the recommendation filter (proto/nmirf_recfilter.h: the body keys
   mechanism, cycle, theme, entity, position, withdrawn), long options
   only so that a command's own short ones stay free. */
#define CLI_STATS_QUERY_OPTS                                                             \
    {CLI_OPT("today", 'T', "DATE", CLI_DATE, "today",                                    \
             "deadlines as of DATE (default: the broker's date)")},                      \
        {CLI_OPT("due-soon", 'd', "DAYS", CLI_UINT, "due_soon_days",                     \
                 "horizon of \"due soon\" (default 14)"),                                \
         .max = NMIRF_DUE_SOON_MAX, .unit = "days"},                                     \
        {CLI_OPT("limit", 'n', "N", CLI_UINT, "limit",                                   \
                 "at most N rows in the lists (default 1000)"),                          \
         .max = NMIRF_STATS_LIST_MAX},                                                   \
        {CLI_OPT("mechanism", 0, "M", CLI_ENUM, "mechanism",                             \
                 "only recommendations of mechanism M (UPR, CAT, ..., SP)"),             \
         .set = &nmirf_mechanisms},                                                      \
        {CLI_OPT("cycle", 0, "C", CLI_LINE, "cycle",                                     \
                 "only those of cycle or session C"),                                    \
         .max = NMIRF_SHORT_MAX},                                                        \
        {CLI_OPT("theme", 0, "T", CLI_LINE, "theme",                                     \
                 "only those with theme T (case ignored)"),                              \
         .max = NMIRF_SHORT_MAX},                                                        \
        {CLI_OPT("entity", 0, "E", CLI_ENTITY, "entity",                                 \
                 "only those entity E leads or contributes to")},                        \
        {CLI_OPT("position", 0, "P", CLI_ENUM, "position",                               \
                 "only those with the State's position P"),                              \
         .set = &nmirf_responses},                                                       \
    {                                                                                    \
        CLI_OPT("withdrawn", 0, NULL, CLI_FLAG, "withdrawn",                             \
                "count withdrawn recommendations too")                                   \
    }

/* Fills f (nmirf_recfilter_init first) from the filter options of
   CLI_STATS_QUERY_OPTS in a, already checked by the table: the same
   recommendations the stats request of a counts, for a report's annex.
   Returns 0, or -1 if a value does not fit f (the table's limits make
   that a programmer's error). cli_cmds_stats.c. */
int cli_recfilter_from_args(const cli_args_t *a, nmirf_recfilter_t *f);

/* A dated value, DATE=VALUE on the command line (cli_cmds_measure.c). */
typedef struct cli_point_s {
    char date[11]; /* YYYY-MM-DD */
    double value;  /* finite, |value| <= 1e15 */
} cli_point_t;

/* Packs a number as the broker stores it: an integer when it is one. */
void cli_pack_number(msgpack_packer *pk, double v);

/* Packs points as a list of {date, value}. */
void cli_pack_points(msgpack_packer *pk, const cli_point_t *points, size_t n);

/* Walks the store in DATADIR/store read-only (nmirf_store_check_walk) and,
   if it is damaged, prints each damage and "nmirf: CMD: FILE is damaged;
   THEN: restore the last backup" to stderr (then may be NULL; mark it
   N_(): it is translated here) and returns 1; returns 0 if it is whole or
   could not be read (the command's own open then says why). */
int cli_store_damaged(cli_t *cli, const char *datadir, const char *cmd, const char *then);

/* --- cli_help.c ------------------------------------------------------- */

/* Prints the help of topic (NULL for the overview). Returns 0, or -1 if
   there is no such topic. */
int cli_help(const char *topic, FILE *out);

/* --- cli_args.c ------------------------------------------------------- */

/* getopt_long's return for --help; the caller prints help and succeeds. */
#define CLI_OPT_HELP (-2)
/* getopt_long's return after a bad option, already reported. */
#define CLI_OPT_BAD (-3)

/* Names the running command for messages and help, and restarts getopt. */
void cli_begin(cli_t *cli, const char *topic, const char *cmd);

/* getopt_long over argv with our own messages. Handles --json itself.
   Returns an option, -1 at the end, CLI_OPT_HELP, or CLI_OPT_BAD after
   saying what is wrong. shortopts must begin with ':'. */
int cli_getopt(cli_t *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* Reports a usage error ("nmirf: CMD: ...", then where to find help) and
   returns CLI_EXIT_USAGE. fmt is translated here (cli_i18n.h): pass it in
   English, not through _(). */
int cli_usage(cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a local file or key error and returns CLI_EXIT_LOCAL; fmt is
   translated as cli_usage's. */
int cli_local_error(cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Checks that argc positional arguments (those left after options) are
   between min and max; says which are missing or extra using names (e.g.
   "ID"). Returns 0 or CLI_EXIT_USAGE. */
int cli_positional(cli_t *cli, int argc, int min, int max, const char *names);

/* Argument checks: each returns 0, or reports what is wrong with option
   (the flag or argument name, e.g. "--lead") and returns CLI_EXIT_USAGE. */
int cli_parse_uint(cli_t *cli, const char *option, const char *s, uint64_t *out);
int cli_check_entity_id(cli_t *cli, const char *option, const char *s);
int cli_check_rec_id(cli_t *cli, const char *option, const char *s);
int cli_check_date(cli_t *cli, const char *option, const char *s);
int cli_check_text(cli_t *cli, const char *option, const char *s, size_t max);
/* One line of 1..max bytes of UTF-8 with no control character
   (nmirf_line_valid): a person's name. */
int cli_check_line(cli_t *cli, const char *option, const char *s, size_t max);
int cli_check_enum(cli_t *cli, const char *option, const char *s, const char *const *set);
/* A finite number of magnitude at most 1e15 (as the broker). */
int cli_parse_number(cli_t *cli, const char *option, const char *s, double *out);
/* DATE=VALUE. */
int cli_parse_point(cli_t *cli, const char *option, const char *s, cli_point_t *out);

/* The value sets and limits are the schema's (nmirf_schema.h): a set's
   names is the NULL-terminated array cli_check_enum takes. */

/* --- cli_call.c ------------------------------------------------------- */

/* Sends op with body (a packed msgpack map, or NULL for {}) as the key's
   entity, loading the key and connecting on first use. On ok=true returns 0
   and the reply in *reply_p (caller destroys). Otherwise says why on stderr
   and returns the exit status: REFUSED, NO_REPLY, USAGE (no key given) or
   LOCAL (key unreadable). */
/* Loads the secret key (-k) and the broker's public key (-S) once, for
   anything that connects to the broker (calls and events --follow). With
   several brokers (-b EP,EP -S FILE,FILE) it also finds the one to use
   (pings each: the primary at the highest epoch, fencing an old one) and
   points cli->broker and cli->server_key at it. Returns 0 or an exit
   status, with the message printed. */
int cli_load_keys(cli_t *cli);

int cli_call(cli_t *cli, const char *op, const msgpack_sbuffer *body,
             nmirf_reply_t **reply_p);

/* cli_call, but a refusal is not said (the caller has a fallback); no
   reply still is. */
int cli_call_quiet(cli_t *cli, const char *op, const msgpack_sbuffer *body,
                   nmirf_reply_t **reply_p);

/* The exit status a decoded reply (the broker's or the agent's) means;
   takes reply. On ok=true hands it to *reply_p (caller destroys) and
   returns 0; on a refusal says "nmirf: CODE: reason" on stderr, destroys
   it and returns CLI_EXIT_REFUSED. */
int cli_reply_status(nmirf_reply_t *reply, nmirf_reply_t **reply_p);

/* cli_call, then cli_print_reply through view: what most commands do.
   Returns the exit status. */
int cli_call_show(cli_t *cli, const char *op, const msgpack_sbuffer *body,
                  void (*view)(const msgpack_object *body));

/* A command that follows (watch, events --follow) runs until SIGINT,
   SIGTERM or its reader going away. */

/* Makes SIGINT and SIGTERM set the flag cli_follow_stopped reads, without
   SA_RESTART so that a blocked poll returns. Call after the command's
   first socket: making one installs CZMQ's own handler, and this one
   must win. */
void cli_follow_signals(void);

/* True once SIGINT or SIGTERM came (after cli_follow_signals). */
bool cli_follow_stopped(void);

/* Waits up to ms for the CZMQ socket sock (borrowed) to be readable,
   watching stdout too. Returns 1 if sock has a message; 0 if nothing
   came (or a signal did: see cli_follow_stopped); -1 if the follow must
   end: stdout's reader went away (*rc unchanged), or the poll failed
   (*rc CLI_EXIT_NO_REPLY, errno says why). */
int cli_follow_wait(void *sock, int ms, int *rc);

/* --- cli_agent.c: the agent transport --------------------------------- */

struct nmirf_ctl_request_s;

/* The agent's directory from -a: a directory as is, an ipc://DIR/agent.sock
   endpoint's DIR, another path's directory; NULL if it has none (a tcp://
   endpoint). Caller frees. */
char *cli_agent_dir(const cli_t *cli);

/* Sends control request req (proto/nmirf_control.h) to the agent given by
   -a and waits up to wait_ms for its reply. On ok=true returns 0 and the
   reply in *reply_p (caller destroys); otherwise says why on stderr (a
   submit with an id that got no answer names that id) and returns the
   exit status (USAGE, REFUSED, NO_REPLY). */
int cli_agent_call(cli_t *cli, const struct nmirf_ctl_request_s *req, int wait_ms,
                   nmirf_reply_t **reply_p);

/* Hands a write (op, packed body) to the agent given by -a, which signs,
   queues and sends it, and waits up to the timeout for the broker's
   answer. On ok=true returns 0 with the reply in *reply_p (caller
   destroys) and *queued true if the broker has not answered yet (the
   reply body is then {queued, id}). Otherwise says why and returns the
   exit status (REFUSED, NO_REPLY). */
int cli_agent_submit(cli_t *cli, const char *op, const msgpack_sbuffer *body,
                     nmirf_reply_t **reply_p, bool *queued);

/* Closes the connection and wipes the key. */
void cli_close(cli_t *cli);

/* Self-tests of the pure parts, run by cli_selftest (ctest cli_selftest).
   Each returns its number of failures. */
int cli_output_test(bool verbose);
int cli_args_test(bool verbose);
int cli_spec_test(bool verbose);

/* Prints the reply body: as JSON with --json, else through view. Returns
   the exit status. */
int cli_print_reply(cli_t *cli, const nmirf_reply_t *reply,
                    void (*view)(const msgpack_object *body));

#endif
