/*  cli_spec - every nmirf command described once, as a table, and the one
    piece of code that reads a command line against it.

    A command's table (cli_cmd_spec_t) names its path ("rec assign"), its
    positional arguments and its options: for each its name, the name of
    its value, the check the value gets (the cli_check_* of cli_args.c, so
    a bad value gets the same message in every command), the request body
    key it fills, whether it is required, and its help line. From the table:

    - cli_spec_run() parses argv with getopt_long, checks every value,
      then the count of positional arguments, their values and the required
      options (in that order, which fixes which message a line with several
      mistakes gets), and hands the command a cli_args_t;
    - cli_args_pack() packs the request body from the values that have a
      key, counting the map's entries itself;
    - cli_spec_usage() and cli_spec_options() write --help's usage lines
      and option lines, cli_spec_synopsis() the SYNOPSIS of nmirf(1);
      tests/cli/cli_synopsis_test.sh checks that the man page and every --help
      agree with the tables, and that the page's COMMANDS section names
      every command and every option.

    What a flat list of options cannot say, the table says too, for the
    usage lines and the synopsis: the global option a command needs
    (`nmirf -a DIR mine`), its usage forms when some options do not go
    together (`events --follow [--since N]`), options that exclude each
    other (`[--json | --csv]`), options that only go with another
    (`[--measure ID [--value DATE=VALUE]...]`), a global option that
    applies to it (`[--json]`), and its spelling as a group's flag
    (`report --html FILE`). These are help only: the command checks them.

    A body that is not a flat map from options (an enrolment's keys, a
    measure's indicator, an import's chunks) is finished by the command:
    cli_args_pack() leaves room for the entries it adds.

    The tables live beside the code that runs each command (cli_cmds_*.c);
    cli_commands.c lists them all, in the order of the help and the man
    page.
*/
#ifndef CLI_SPEC_H
#define CLI_SPEC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nmirf_schema.h"

typedef struct cli_s cli_t;
typedef struct cli_point_s cli_point_t;

/* What a value must be, and the check that says so. */
typedef enum {
    CLI_STR,    /* any string, unchecked (a path, an endpoint) */
    CLI_TEXT,   /* UTF-8 of at most max bytes (cli_check_text) */
    CLI_LINE,   /* one line of 1..max bytes, no control character (cli_check_line) */
    CLI_UINT,   /* a whole number (cli_parse_uint), at most max unless 0 */
    CLI_NUMBER, /* finite, magnitude at most 1e15 (cli_parse_number) */
    CLI_DATE,   /* YYYY-MM-DD (cli_check_date) */
    CLI_ENTITY, /* an entity id (cli_check_entity_id) */
    CLI_REC,    /* a recommendation id (cli_check_rec_id) */
    CLI_ENUM,   /* one of set (cli_check_enum) */
    CLI_POINT,  /* DATE=VALUE (cli_parse_point) */
    CLI_FLAG,   /* an option without a value */
} cli_kind_t;

/* Flags of an option or a positional argument. */
#define CLI_REPEAT 0x1   /* may be given again (max_times); packed as an array */
#define CLI_OPTIONAL 0x2 /* a positional argument that may be left out */
#define CLI_HIDDEN 0x4   /* an option the synopsis leaves out (an alias) */
#define CLI_GLOBAL                                                                       \
    0x8 /* an option of every command, read by cli_getopt                                \
           (--json), listed where it applies; not parsed                                 \
           by the table, no option line without help */
#define CLI_WITH_HEAD                                                                    \
    0x10 /* with within: needed once the group's head is                                 \
            given (the command checks): no brackets */
#define CLI_SET_IN_HELP                                                                  \
    0x20 /* CLI_ENUM: the help lists the values itself                                   \
            (cli_spec_test checks it names them all) */

/* One option, or one positional argument. A table ends with name NULL.
   Tables give an option's usual fields with CLI_OPT (below), the rest by
   name. */
typedef struct {
    const char *name; /* long name without "--" ("lead"); a positional's ("ID") */
    char short_name;  /* -X, or 0 for none */
    const char *arg;  /* the value's name in help ("ID"); NULL for a flag */
    cli_kind_t kind;  /* what the value must be */
    const nmirf_valueset_t *set; /* CLI_ENUM: the values, where the field
                                    table has none (a command's own: CLI_SET) */
    size_t max;                  /* CLI_TEXT, CLI_LINE: bytes; CLI_UINT: largest value
                                    (0: any);
                                    0 takes the field table's */
    const char *unit;            /* CLI_UINT: the unit in "N days is over MAX", or NULL */
    unsigned flags;              /* CLI_REPEAT, CLI_OPTIONAL, CLI_HIDDEN */
    size_t max_times;            /* CLI_REPEAT: how many at most (0: no limit) */
    const char *key;             /* the body key it fills; NULL if the command reads it */
    const char *field;           /* the field table's row it is checked against when
                                    that is not key (a value the command packs
                                    itself: --role, --name-fr's "names"), or NULL */
    const nmirf_fields_t *fields; /* the table of that row when it is not the
                                     command's (--indicator's "name" in
                                     nmirf_fields_indicator), or NULL */
    const char *missing;          /* the message if it is absent; NULL if not required */
    const char *help;   /* help, lines separated by '\n'; NULL for positionals */
    const char *alt;    /* the option this one excludes, written with it
                           as one choice ("[--json | --csv]"), or NULL */
    const char *within; /* the option this one only goes with: written in
                           its brackets, after it, or NULL */
} cli_opt_spec_t;

/* The fields every option gives, in a row: long name, short name (or 0),
   the value's name (NULL for a flag), its kind, the body key (or NULL),
   the help. */
#define CLI_OPT(NAME, SHORT, ARG, KIND, KEY, HELP)                                       \
    .name = (NAME), .short_name = (SHORT), .arg = (ARG), .kind = (KIND), .key = (KEY),   \
    .help = (HELP)

/* The fields of --json in a table where it applies (CLI_GLOBAL):
   {CLI_JSON(HELP)} writes "[--json]" in the usage, and an option line
   when HELP is not NULL. */
#define CLI_JSON(HELP)                                                                   \
    CLI_OPT("json", 0, NULL, CLI_FLAG, NULL, (HELP)), .flags = CLI_GLOBAL

/* A command's own value set (a file format, a view), where the protocol
   has none: CLI_SET("format", "json", "csv") is a const nmirf_valueset_t. */
#define CLI_SET(NAME, ...)                                                               \
    {                                                                                    \
        .name = (NAME), .names = (const char *const[]){__VA_ARGS__, NULL},               \
        .count =                                                                         \
            (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))     \
    }

typedef struct cli_args_s cli_args_t;

/* One command. A list of commands ends with path NULL. */
typedef struct cli_cmd_spec_s {
    const char *path;       /* the words that name it: "rec assign" */
    const char *topic;      /* its help topic: "rec", "agent" */
    const char *flag_alias; /* a group flag that runs it ("--html"), or NULL;
                               its usage is also written with it */
    const char *global;     /* the global option it needs, written before
                               its path ("-a DIR"), or NULL */
    /* Its usage forms, NULL-terminated, when one line would promise
       options together that do not go together: each the names of its
       arguments and options in order, separated by spaces, "+NAME" for
       one required in that form. NULL: one form, every argument and
       option. cli_spec_test checks that the forms name every option. */
    const char *const *forms;
    const cli_opt_spec_t *args; /* positional arguments, or NULL for none */
    const cli_opt_spec_t *opts; /* options, or NULL for none */
    /* The operation's body in the schema (nmirf_fields_rec_list), or NULL:
       an option or argument with a key (or a field) whose row is in it
       takes its value set and its limit from that row unless it gives
       its own, so the CLI refuses what the broker would. cli_spec_test
       checks that every such key has a row of a kind that fits. */
    const nmirf_fields_t *fields;
    const char *expect; /* the arguments in count messages, N_()
                           (translated there), or NULL for their
                           names ("no argument" for none) */
    bool own_count;     /* the command checks the count itself (it
                           depends on the options) */
    bool late_checks;   /* values checked after the arguments and
                           the required options, not as read */
    /* Options that go together, checked before the arguments: 0 or the
       exit status after the message; NULL for none. */
    int (*validate)(cli_t *cli, const cli_args_t *a);
    /* The command, on a parsed line: returns the exit status. */
    int (*run)(cli_t *cli, const cli_args_t *a);
} cli_cmd_spec_t;

/* The fields every command gives, in a row: its path, its help topic,
   what runs it. */
#define CLI_CMD(PATH, TOPIC, RUN) .path = (PATH), .topic = (TOPIC), .run = (RUN)

#define CLI_MAX_ARGS 2  /* positional arguments of one command, at most */
#define CLI_MAX_OPTS 24 /* options of one command, at most */

/* What was given for one option or argument. */
typedef struct {
    size_t n;            /* how many times it was given (0: absent) */
    const char *s;       /* the last value given (borrowed from argv), or NULL */
    uint64_t u;          /* CLI_UINT: the last value */
    double num;          /* CLI_NUMBER: the last value */
    const char **list;   /* CLI_REPEAT: every value, in order (the args' own) */
    cli_point_t *points; /* CLI_POINT with CLI_REPEAT: every point, in order */
} cli_val_t;

/* A parsed command line: values by the order of the spec's tables. Made
   and freed by cli_spec_run around the command's run; the strings are
   argv's. */
struct cli_args_s {
    const cli_cmd_spec_t *spec;  /* the command */
    cli_val_t pos[CLI_MAX_ARGS]; /* positional arguments */
    cli_val_t opt[CLI_MAX_OPTS]; /* options */
    size_t npos;                 /* positional arguments given */
    char **rest;                 /* the positional arguments given (argv's) */
};

/* Runs the command spec on argv (argv[0] is its own name, or the group's
   for a flag alias): names it in messages (cli->cmd is cmd, or the path
   when cmd is NULL), parses and checks, prints help on --help, then calls
   spec->run. Returns the exit status. */
int cli_spec_run(cli_t *cli, const cli_cmd_spec_t *spec, const char *cmd, int argc,
                 char **argv);

/* Runs the command a line names: argv[0] is a command or a group (the
   first word of paths), argv[1] a group's subcommand. Help for a group's
   "help", "-h" and "--help". Returns the exit status, or -1 if argv[0]
   names no command (nothing printed). */
int cli_spec_dispatch(cli_t *cli, int argc, char **argv);

/* The value of the option or positional argument named name (an
   assertion that the spec has it). Borrowed from a. */
const cli_val_t *cli_arg(const cli_args_t *a, const char *name);

/* The last value of name, or NULL if it was not given. */
const char *cli_arg_str(const cli_args_t *a, const char *name);

/* True if name was given. */
bool cli_arg_has(const cli_args_t *a, const char *name);

/* Packs a map of the values given that have a key, positional arguments
   first, then the options in the table's order, and extra entries more
   that the caller packs after it. */
void cli_args_pack(const cli_args_t *a, msgpack_packer *pk, size_t extra);

/* Packs the body from a (cli_args_pack) and calls op through view, as
   cli_call_show. Returns the exit status. */
int cli_args_call_show(cli_t *cli, const cli_args_t *a, const char *op,
                       void (*view)(const msgpack_object *body));

/* Every command, by group, in the order of the help: NULL-terminated
   lists of NULL-path-terminated tables (cli_commands.c). */
extern const cli_cmd_spec_t *const cli_commands[];

/* Writes the usage lines of spec ("nmirf rec assign ID --lead ID ..."),
   one a form and again for its flag alias: the first after prefix
   ("usage: "), the others after as many spaces; each cut to stay under 80
   columns, the following lines indented under the first argument. */
void cli_spec_usage(const cli_cmd_spec_t *spec, const char *prefix, FILE *out);

/* The schema's row that o of spec is checked against (o's own table or
   spec's, o's field or key), or NULL if none. Borrowed, static. */
const nmirf_field_t *cli_opt_field(const cli_cmd_spec_t *spec, const cli_opt_spec_t *o);

/* True if spec's --help has option lines (cli_spec_options writes some). */
bool cli_spec_has_options(const cli_cmd_spec_t *spec);

/* Writes the option lines of spec's --help. */
void cli_spec_options(const cli_cmd_spec_t *spec, FILE *out);

/* Writes every command's synopsis, one a line a form (and its flag
   alias): plain text, or the roff of nmirf(1)'s SYNOPSIS section when
   man. */
void cli_spec_synopsis(bool man, FILE *out);

#endif
