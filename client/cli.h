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

#include "nmirf_client.h"
#include "nmirf_keys.h"
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
typedef struct {
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
} cli_t;

/* Commands. argv[0] is the command's own name; each returns an exit
   status. The groups (entity, rec, report) dispatch on argv[1]. */
int cli_cmd_keygen(cli_t *cli, int argc, char **argv);
int cli_cmd_ping(cli_t *cli, int argc, char **argv);
int cli_cmd_entity(cli_t *cli, int argc, char **argv);
int cli_cmd_rec(cli_t *cli, int argc, char **argv);
int cli_cmd_report(cli_t *cli, int argc, char **argv);
int cli_cmd_events(cli_t *cli, int argc, char **argv);
int cli_cmd_snapshot(cli_t *cli, int argc, char **argv);
int cli_cmd_stats(cli_t *cli, int argc, char **argv);
/* report --html FILE / report html FILE (cli_cmds_stats.c). */
int cli_cmd_report_html(cli_t *cli, int argc, char **argv);
int cli_cmd_mine(cli_t *cli, int argc, char **argv);
int cli_cmd_outbox(cli_t *cli, int argc, char **argv);
int cli_cmd_watch(cli_t *cli, int argc, char **argv);
int cli_cmd_agent_status(cli_t *cli, int argc, char **argv);
int cli_cmd_audit(cli_t *cli, int argc, char **argv);
int cli_cmd_measure(cli_t *cli, int argc, char **argv);

/* A dated value, DATE=VALUE on the command line (cli_cmds_measure.c). */
typedef struct {
    char date[11]; /* YYYY-MM-DD */
    double value;  /* finite, |value| <= 1e15 */
} cli_point_t;

/* Parses DATE=VALUE for option. Returns 0 or an exit status. */
int cli_parse_point(cli_t *cli, const char *option, const char *s, cli_point_t *out);

/* Packs a number as the broker stores it: an integer when it is one. */
void cli_pack_number(msgpack_packer *pk, double v);

/* Packs points as a list of {date, value}. */
void cli_pack_points(msgpack_packer *pk, const cli_point_t *points, size_t n);
int cli_cmd_backup(cli_t *cli, int argc, char **argv);
int cli_cmd_status(cli_t *cli, int argc, char **argv);
int cli_cmd_check(cli_t *cli, int argc, char **argv);

/* Walks the store in DATADIR/store read-only (nmirf_store_check_walk) and,
   if it is damaged, prints each damage and "nmirf: CMD: FILE is damaged;
   THEN: restore the last backup" to stderr (then may be NULL) and returns
   1; returns 0 if it is whole or could not be read (the command's own
   open then says why). */
int cli_store_damaged(cli_t *cli, const char *datadir, const char *cmd, const char *then);

/* A subcommand of a group: its name and what runs it. */
typedef struct {
    const char *name;                              /* e.g. "list" */
    int (*run)(cli_t *cli, int argc, char **argv); /* argv[0] is name */
} cli_sub_t;

/* Runs the subcommand of group named by argv[1] (argv[0] is the group);
   help for "help", "-h" or "--help". Returns the exit status. */
int cli_dispatch(cli_t *cli, const char *group, const cli_sub_t *subs, size_t nsubs,
                 int argc, char **argv);

/* --- cli_help.c ------------------------------------------------------- */

/* Prints the help of topic (NULL for the overview). Returns 0, or -1 if
   there is no such topic. */
int cli_help(const char *topic, FILE *out);

/* --- cli_args.c ------------------------------------------------------- */

/* getopt_long's return for --help; the caller prints help and succeeds. */
#define CLI_OPT_HELP (-2)
/* getopt_long's return after a bad option, already reported. */
#define CLI_OPT_BAD (-3)

/* The options every command takes; ends a struct option table. */
#define CLI_OPTS_END                                                                     \
    {"json", no_argument, NULL, 'J'}, {"help", no_argument, NULL, 'h'},                  \
    {                                                                                    \
        NULL, 0, NULL, 0                                                                 \
    }

/* Names the running command for messages and help, and restarts getopt. */
void cli_begin(cli_t *cli, const char *topic, const char *cmd);

/* getopt_long over argv with our own messages. Handles --json itself.
   Returns an option, -1 at the end, CLI_OPT_HELP, or CLI_OPT_BAD after
   saying what is wrong. shortopts must begin with ':'. */
int cli_getopt(cli_t *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* Ends option parsing for a command that was asked for help or given a bad
   option: prints the help on CLI_OPT_HELP. Returns the exit status. */
int cli_opt_exit(cli_t *cli, int opt);

/* Reports a usage error ("nmirf: CMD: ...", then where to find help) and
   returns CLI_EXIT_USAGE. */
int cli_usage(cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a local file or key error and returns CLI_EXIT_LOCAL. */
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
int cli_check_enum(cli_t *cli, const char *option, const char *s, const char *const *set);

/* The value sets and limits are the schema's (nmirf_schema.h): a set's
   names is the NULL-terminated array cli_check_enum takes. */

/* --- cli_call.c ------------------------------------------------------- */

/* Sends op with body (a packed msgpack map, or NULL for {}) as the key's
   entity, loading the key and connecting on first use. On ok=true returns 0
   and the reply in *reply_p (caller destroys). Otherwise says why on stderr
   and returns the exit status: REFUSED, NO_REPLY, USAGE (no key given) or
   LOCAL (key unreadable). */
/* Loads the secret key (-k) and the broker's public key (-S) once, for
   anything that connects to the broker (calls and events --follow).
   Returns 0 or an exit status, with the message printed. */
int cli_load_keys(cli_t *cli);

int cli_call(cli_t *cli, const char *op, const msgpack_sbuffer *body,
             nmirf_reply_t **reply_p);

/* cli_call, then cli_print_reply through view: what most commands do.
   Returns the exit status. */
int cli_call_show(cli_t *cli, const char *op, const msgpack_sbuffer *body,
                  void (*view)(const msgpack_object *body));

/* --- cli_cmds_agent.c ------------------------------------------------ */

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

/* --- cli_output.c ----------------------------------------------------- */

/* Display columns of UTF-8 text (combining marks 0, East Asian wide 2). */
size_t cli_utf8_width(const char *s);

/* A copy of s fit for one table cell: control characters become spaces,
   bidi embedding controls are dropped, and text wider than max columns is
   cut on a character boundary with an ellipsis. Caller frees. */
char *cli_cell_text(const char *s, size_t max);

/* A copy of s with control characters other than newline made spaces, so
   text from the broker cannot drive the terminal. Caller frees. */
char *cli_safe_text(const char *s);

/* A scalar or a list of scalars as text: str as is, integers in decimal,
   bool, bin in hex, arrays joined with ", ", nil and NULL as "". A map is
   "{...}". Caller frees. */
char *cli_mp_text(const msgpack_object *obj);

/* cli_mp_text of the field key of map obj ("" if absent). Caller frees. */
char *cli_mp_field(const msgpack_object *obj, const char *key);

/* The uint under key, or dflt if absent or not a uint. */
uint64_t cli_mp_uint(const msgpack_object *obj, const char *key, uint64_t dflt);

/* The text of a {fr?, ar?, en?} map in the first present of en, fr, ar,
   or NULL. Borrowed. */
const msgpack_object *cli_mp_any_lang(const msgpack_object *texts);

/* Formats a ms timestamp as UTC "YYYY-MM-DD HH:MM" (long: with seconds and
   " UTC") into buf. Returns buf; "" for 0. */
const char *cli_time_text(uint64_t ms, bool longform, char buf[32]);

/* Prints obj as JSON on stdout: indented, or one compact line (flushed).
   Returns 0, or CLI_EXIT_LOCAL if stdout failed. */
int cli_print_json(const msgpack_object *obj, bool compact);

/* A label/value line of a record view; a multi-line value continues under
   the value column. An empty or NULL value prints nothing. */
void cli_kv(const char *label, const char *value);

/* cli_kv of cli_mp_field(obj, key). */
void cli_kv_field(const char *label, const msgpack_object *obj, const char *key);

/* A text table: rows of cells, aligned on display width. */
typedef struct _cli_table_t cli_table_t;

/* A table with ncols columns named by headers (copied). */
cli_table_t *cli_table_new(const char *const *headers, size_t ncols);
void cli_table_destroy(cli_table_t **self_p);

/* Caps column col at max display columns; flex lets it shrink further to
   fit a terminal. */
void cli_table_limit(cli_table_t *self, size_t col, size_t max, bool flex);

/* Aligns column col to the right (numbers). */
void cli_table_right(cli_table_t *self, size_t col);

/* Starts a row; the next ncols cells fill it. */
void cli_table_row(cli_table_t *self);

/* Adds the next cell of the current row (NULL is empty). */
void cli_table_cell(cli_table_t *self, const char *text);
void cli_table_cellf(cli_table_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds cli_mp_field(obj, key) as the next cell. */
void cli_table_cell_field(cli_table_t *self, const msgpack_object *obj, const char *key);

/* Prints the header and the rows on stdout. */
void cli_table_print(const cli_table_t *self);

/* Self-tests of the pure parts, run by cli_selftest (ctest cli_selftest).
   Each returns its number of failures. */
int cli_output_test(bool verbose);
int cli_args_test(bool verbose);

/* --- views shared by commands (cli_views.c) --------------------------- */

/* Record views: one label/value line per field. */
void cli_view_entity(const msgpack_object *entity);
void cli_view_assignment(const msgpack_object *assignment);
void cli_view_report(const msgpack_object *report);

/* Adds a table's worth of reports (the report.list columns). */
void cli_print_reports(const msgpack_object *reports);

/* Prints the reply body: as JSON with --json, else through view. Returns
   the exit status. */
int cli_print_reply(cli_t *cli, const nmirf_reply_t *reply,
                    void (*view)(const msgpack_object *body));

#endif
