/*  cli_cmds_check - check: is a broker's store whole? (docs/OPERATIONS.md,
    A damaged store.)

    A read-only walk of DATADIR/store (nmirf_store_check_walk: the meta
    pages against the file, then every database entry by entry, in a child
    process so that a page that crashes LMDB is reported, not fatal). It
    may run beside the broker. audit verify --data and backup run the same
    walk first (cli_store_damaged), so that neither works from, nor dies
    of, a damaged store.
*/
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nmirf_store_check.h"

/* What the report callback prints to: the file named, and the JSON list. */
typedef struct {
    const char *file; /* DATADIR/store/data.mdb */
    FILE *out;        /* where "damaged: FILE: what" lines go, or NULL */
    json_t *list;     /* damages collected for --json, or NULL */
} s_report_t;

static void
s_report(void *arg, const char *what)
{
    s_report_t *r = arg;
    if (r->out)
        fprintf(r->out, "damaged: %s: %s\n", r->file, what);
    if (r->list)
        json_array_append_new(r->list, json_string(what));
}

int
cli_store_damaged(cli_t *cli, const char *datadir, const char *cmd, const char *then)
{
    char dir[4096], file[4096], why[512] = "";
    snprintf(dir, sizeof dir, "%.3000s/store", datadir);
    snprintf(file, sizeof file, "%.3000s/data.mdb", dir);
    s_report_t r = {.file = file, .out = stderr};
    nmirf_store_walk_t sum;
    nmirf_store_rc_t rc =
        nmirf_store_check_walk(dir, s_report, &r, &sum, why, sizeof why);
    (void)cli;
    if (rc != NMIRF_STORE_DAMAGED)
        return 0; /* whole, or not readable: the command's own open says why */
    fprintf(stderr,
            _("nmirf: %s: %s is damaged%s%s: restore the last backup "
              "(docs/OPERATIONS.md, A damaged store)\n"),
            cmd, file, then ? "; " : "", then ? cli_tr(then) : "");
    return 1;
}

/* check --data DIR */
static int
s_check(cli_t *cli, const cli_args_t *a)
{
    const char *datadir = cli_arg_str(a, "data");
    if (strlen(datadir) > 3000)
        return cli_usage(cli, "a directory name longer than 3000 bytes");
    char dir[4096], file[4096], why[512] = "";
    snprintf(dir, sizeof dir, "%s/store", datadir);
    snprintf(file, sizeof file, "%.4000s/data.mdb", dir);
    if (access(file, F_OK) != 0)
        return cli_local_error(cli, "%s is not a broker data directory (no %s)", datadir,
                               file);
    s_report_t r = {.file = file,
                    .out = cli->json ? NULL : stdout,
                    .list = cli->json ? json_array() : NULL};
    nmirf_store_walk_t sum;
    nmirf_store_rc_t src =
        nmirf_store_check_walk(dir, s_report, &r, &sum, why, sizeof why);
    if (src == NMIRF_STORE_ERROR) {
        json_decref(r.list);
        return cli_local_error(cli, "cannot check %s: %s", file, why);
    }
    bool ok = src == NMIRF_STORE_OK;
    if (cli->json) {
        json_t *j = json_pack(
            "{s:s, s:b, s:o, s:i, s:I, s:I, s:I, s:I, s:I}", "file", file, "ok", ok,
            "damage", r.list, "databases", (int)sum.dbs, "entries",
            (json_int_t)sum.entries, "events", (json_int_t)sum.events, "page_size",
            (json_int_t)sum.meta.page_size, "pages", (json_int_t)(sum.meta.last_pg + 1),
            "txn", (json_int_t)sum.meta.txnid);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    } else if (ok)
        printf(_("ok: %s: %u databases, %llu entries, %llu events chained; %llu pages of "
                 "%llu bytes, txn %llu\n"),
               file, sum.dbs, (unsigned long long)sum.entries,
               (unsigned long long)sum.events, (unsigned long long)sum.meta.last_pg + 1,
               (unsigned long long)sum.meta.page_size,
               (unsigned long long)sum.meta.txnid);
    if (!ok) {
        fflush(stdout);
        fprintf(stderr,
                _("nmirf: check: %s is damaged: restore the last backup "
                  "(docs/OPERATIONS.md, A damaged store)\n"),
                file);
        return 1;
    }
    return CLI_EXIT_OK;
}

static const cli_opt_spec_t s_check_opts[] = {
    {CLI_OPT("data", 'd', "DIR", CLI_STR, NULL,
             "the broker's data directory (e.g. /var/lib/nmirf)"),
     .missing = N_("--data DIR (the broker's data directory) is required")},
    {CLI_JSON(NULL)},
    {0},
};

const cli_cmd_spec_t cli_check_cmds[] = {
    {CLI_CMD("check", "check", s_check), .opts = s_check_opts},
    {0},
};
