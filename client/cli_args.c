/*  cli_args - option parsing and the checks of local input.

    Every command's line is read by cli_spec.c with getopt_long through
    cli_getopt(), so that a bad flag is reported the same way everywhere:
    what is wrong, with which argument, then where the help is. Arguments
    are checked here against the protocol's syntax before anything is sent,
    so a typo is a usage error (exit 2) and not a broker refusal.
*/
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "unit.h"

/* Names the running command and restarts getopt: optind 0 makes glibc
   forget the previous parse entirely, which optind 1 does not. */
void
cli_begin(cli_t *cli, const char *topic, const char *cmd)
{
    cli->topic = topic;
    snprintf(cli->cmd, sizeof cli->cmd, "%s", cmd);
    optind = 0;
    opterr = 0;
}

/* getopt_long with our messages; --json is global, so every command
   accepts it in any place. */
int
cli_getopt(cli_t *cli, int argc, char **argv, const char *shortopts,
           const struct option *longopts)
{
    for (;;) {
        int c = getopt_long(argc, argv, shortopts, longopts, NULL);
        if (c == 'J') {
            cli->json = true;
            continue;
        }
        if (c == 'h')
            return CLI_OPT_HELP;
        if (c == '?') {
            if (optopt)
                cli_usage(cli, "unknown option '-%c'", optopt);
            else
                cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
            return CLI_OPT_BAD;
        }
        if (c == ':') {
            cli_usage(cli, "option '%s' needs a value", argv[optind - 1]);
            return CLI_OPT_BAD;
        }
        return c;
    }
}

/* Prints "nmirf: CMD: " and the message on stderr. */
static void
s_vreport(cli_t *cli, const char *fmt, va_list ap)
{
    if (cli->cmd[0])
        fprintf(stderr, "nmirf: %s: ", cli->cmd);
    else
        fprintf(stderr, "nmirf: ");
    /* The format is the message: translated here, so that callers write
       it once in English (xgettext's keywords cli_usage:2 and
       cli_local_error:2, po/update.sh). */
    vfprintf(stderr, cli_tr(fmt), ap);
    fputc('\n', stderr);
}

int
cli_usage(cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vreport(cli, fmt, ap);
    va_end(ap);
    fprintf(stderr, _("try 'nmirf help%s%s'\n"), cli->topic ? " " : "",
            cli->topic ? cli->topic : "");
    return CLI_EXIT_USAGE;
}

int
cli_local_error(cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vreport(cli, fmt, ap);
    va_end(ap);
    return CLI_EXIT_LOCAL;
}

int
cli_positional(cli_t *cli, int argc, int min, int max, const char *names)
{
    if (argc < min)
        return cli_usage(cli, "missing argument: expected %s", names);
    if (argc > max)
        return cli_usage(cli, "too many arguments: expected %s", names);
    return 0;
}

/* Decimal digits only: strtoull alone would take "-1", " 7" and "7x". */
int
cli_parse_uint(cli_t *cli, const char *option, const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return cli_usage(cli, "%s: '%s' is not a whole number", option, s);
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE)
        return cli_usage(cli, "%s: '%s' is too large", option, s);
    *out = v;
    return 0;
}

int
cli_check_entity_id(cli_t *cli, const char *option, const char *s)
{
    if (!nmirf_entity_id_valid(s, strlen(s)))
        return cli_usage(cli, "%s: '%s' is not an entity id (1 to 16 of A-Z 0-9 _ -)",
                         option, s);
    return 0;
}

int
cli_check_rec_id(cli_t *cli, const char *option, const char *s)
{
    if (!nmirf_rec_id_valid(s, strlen(s)))
        return cli_usage(cli,
                         "%s: '%s' is not a recommendation id "
                         "(1 to 64 of A-Z a-z 0-9 . _ / : -)",
                         option, s);
    return 0;
}

int
cli_check_date(cli_t *cli, const char *option, const char *s)
{
    if (!nmirf_date_valid(s, strlen(s)))
        return cli_usage(cli, "%s: '%s' is not a date YYYY-MM-DD", option, s);
    return 0;
}

/* The broker would refuse these too; saying it here names the flag. */
int
cli_check_text(cli_t *cli, const char *option, const char *s, size_t max)
{
    size_t len = strlen(s);
    if (!nmirf_utf8_valid((const uint8_t *)s, len))
        return cli_usage(cli, "%s: the text is not valid UTF-8", option);
    if (len > max)
        return cli_usage(cli, "%s: the text is %zu bytes, over the limit of %zu", option,
                         len, max);
    return 0;
}

int
cli_check_line(cli_t *cli, const char *option, const char *s, size_t max)
{
    int rc = cli_check_text(cli, option, s, max);
    if (rc)
        return rc;
    if (!*s)
        return cli_usage(cli, "%s: the text is empty", option);
    if (!nmirf_line_valid(s, strlen(s)))
        return cli_usage(cli, "%s: the text holds a control character", option);
    return 0;
}

int
cli_check_enum(cli_t *cli, const char *option, const char *s, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strcmp(s, set[i]) == 0)
            return 0;
    char list[256] = "";
    for (size_t i = 0; set[i]; i++) {
        if (i)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, set[i], sizeof list - strlen(list) - 1);
    }
    return cli_usage(cli, "%s: '%s' is not one of %s", option, s, list);
}

/* Finite and at most NMIRF_NUMBER_MAX (1e15, as the message says) in
   magnitude, as the broker takes numbers. */
int
cli_parse_number(cli_t *cli, const char *option, const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(*out) || fabs(*out) > NMIRF_NUMBER_MAX)
        return cli_usage(cli, "%s: '%s' is not a number (at most 1e15)", option, s);
    return 0;
}

int
cli_parse_point(cli_t *cli, const char *option, const char *s, cli_point_t *out)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq - s != 10)
        return cli_usage(cli, "%s: '%s' is not DATE=VALUE", option, s);
    memcpy(out->date, s, 10);
    out->date[10] = 0;
    int rc = cli_check_date(cli, option, out->date);
    return rc ? rc : cli_parse_number(cli, option, eq + 1, &out->value);
}

/* --- self-test -------------------------------------------------------- */

/* Checks the argument checks. The refusals print their usual messages to
   stderr. Returns the number of failures. */
int
cli_args_test(bool verbose)
{
    unit_case = "cli_args_test";
    cli_t cli = {.timeout_ms = 1};
    uint64_t v = 0;
    cli_begin(&cli, "rec", "selftest");
    if (verbose)
        printf("cli_args_test: the refusals below are expected\n");

    CHECK(cli_parse_uint(&cli, "--limit", "0", &v) == 0 && v == 0);
    CHECK(cli_parse_uint(&cli, "--limit", "18446744073709551615", &v) == 0 &&
          v == UINT64_MAX);
    CHECK(cli_parse_uint(&cli, "--limit", "18446744073709551616", &v) == CLI_EXIT_USAGE);
    CHECK(cli_parse_uint(&cli, "--limit", "-1", &v) == CLI_EXIT_USAGE);
    CHECK(cli_parse_uint(&cli, "--limit", " 7", &v) == CLI_EXIT_USAGE);
    CHECK(cli_parse_uint(&cli, "--limit", "7x", &v) == CLI_EXIT_USAGE);
    CHECK(cli_parse_uint(&cli, "--limit", "", &v) == CLI_EXIT_USAGE);

    CHECK(cli_check_entity_id(&cli, "--lead", "MJ") == 0);
    CHECK(cli_check_entity_id(&cli, "--lead", "mj") == CLI_EXIT_USAGE);
    CHECK(cli_check_entity_id(&cli, "--lead", "ABCDEFGHIJKLMNOPQ") == CLI_EXIT_USAGE);
    CHECK(cli_check_rec_id(&cli, "ID", "UPR-4-125.12") == 0);
    CHECK(cli_check_rec_id(&cli, "ID", "has space") == CLI_EXIT_USAGE);
    CHECK(cli_check_date(&cli, "--date", "2024-02-29") == 0);
    CHECK(cli_check_date(&cli, "--date", "2023-02-29") == CLI_EXIT_USAGE);
    CHECK(cli_check_date(&cli, "--date", "2024-1-01") == CLI_EXIT_USAGE);
    CHECK(cli_check_text(&cli, "--note", "Ministère وزارة", 512) == 0);
    CHECK(cli_check_text(&cli, "--note", "latin1 \xe9t\xe9", 512) == CLI_EXIT_USAGE);
    CHECK(cli_check_text(&cli, "--note", "12345", 4) == CLI_EXIT_USAGE);
    CHECK(cli_check_line(&cli, "--by", "Fatima Zahra El Idrissi فاطمة الزهراء", 128) ==
          0);
    CHECK(cli_check_line(&cli, "--by", "", 128) == CLI_EXIT_USAGE);
    CHECK(cli_check_line(&cli, "--by", "two\nlines", 128) == CLI_EXIT_USAGE);
    CHECK(cli_check_line(&cli, "--by", "csi \xc2\x9b", 128) == CLI_EXIT_USAGE);
    CHECK(cli_check_line(&cli, "--by", "12345", 4) == CLI_EXIT_USAGE);
    CHECK(cli_check_enum(&cli, "--mechanism", "CRC", nmirf_mechanisms.names) == 0);
    CHECK(cli_check_enum(&cli, "--mechanism", "crc", nmirf_mechanisms.names) ==
          CLI_EXIT_USAGE);
    CHECK(cli_check_enum(&cli, "--status", "implemented", nmirf_statuses.names) == 0);
    CHECK(cli_check_enum(&cli, "--state", "returned", nmirf_report_states.names) == 0);
    CHECK(cli_check_enum(&cli, "--role", "observer", nmirf_roles.names) == 0);
    return unit_failures;
}
