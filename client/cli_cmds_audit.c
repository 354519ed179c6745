/*  cli_cmds_audit - audit export and audit verify: the event log checked
    offline, with no broker (PROTOCOL.md section 10).

    Both work on files only: export reads the broker's data directory
    (its LMDB store opened read-only, so the broker may be running), verify
    reads an export file or a data directory. The work is nmirf_audit's;
    this file parses flags and prints.
*/
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_audit.h"
#include "nmirf_util.h"

#define MAX_WITNESSES 16 /* --witness directories of one verify */

/* Loads the broker's public signing key from path (an NMIRFD.pub), or
   from DATADIR/keys/NMIRFD.pub when path is NULL. Returns 0 or the exit
   status after saying why. */
static int
s_broker_key(cli_t *cli, const char *path, const char *datadir,
             uint8_t pk[NMIRF_SIGN_PK_LEN])
{
    char def[4096], why[512] = "";
    if (!path) {
        snprintf(def, sizeof def, "%s/keys/NMIRFD.pub", datadir);
        path = def;
    }
    nmirf_key_t key;
    if (nmirf_key_load(&key, path, why, sizeof why) != 0)
        return cli_local_error(cli, "broker key: %s", why[0] ? why : path);
    memcpy(pk, key.sign_pk, NMIRF_SIGN_PK_LEN);
    nmirf_key_wipe(&key);
    return 0;
}

/* audit export --data DIR --out FILE [-S NMIRFD.pub] */
static int
s_export(cli_t *cli, const cli_args_t *a)
{
    const char *datadir = cli_arg_str(a, "data"), *out = cli_arg_str(a, "out"),
               *key_path = cli_arg_str(a, "server-key");
    int rc;
    uint8_t pk[NMIRF_SIGN_PK_LEN];
    if ((rc = s_broker_key(cli, key_path, datadir, pk)))
        return rc;
    nmirf_audit_summary_t sum;
    if (nmirf_audit_export(datadir, out, pk, &sum) != NMIRF_AUDIT_OK)
        return cli_local_error(cli, "%s", sum.why);
    if (cli->json) {
        json_t *j =
            json_pack("{s:s, s:I, s:I, s:I}", "file", out, "events",
                      (json_int_t)sum.events, "requests", (json_int_t)sum.requests,
                      "checkpoints", (json_int_t)sum.checkpoints);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    } else
        printf(_("wrote %s: %llu events, %llu requests, %llu checkpoints\n"), out,
               (unsigned long long)sum.events, (unsigned long long)sum.requests,
               (unsigned long long)sum.checkpoints);
    return CLI_EXIT_OK;
}

/* Prints what a verification found. */
static void
s_print_summary(cli_t *cli, nmirf_audit_rc_t rc, const nmirf_audit_summary_t *sum,
                double seconds)
{
    if (cli->json) {
        json_t *j = json_pack(
            "{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "ok", rc == NMIRF_AUDIT_OK,
            "events", (json_int_t)sum->events, "requests", (json_int_t)sum->requests,
            "checkpoints", (json_int_t)sum->checkpoints, "authors",
            (json_int_t)sum->authors, "first_ts", (json_int_t)sum->first_ts, "last_ts",
            (json_int_t)sum->last_ts, "last_checkpoint", (json_int_t)sum->last_checkpoint,
            "seconds", seconds);
        if (sum->witness_seq)
            json_object_set_new(j, "witness_seq",
                                json_integer((json_int_t)sum->witness_seq));
        if (rc != NMIRF_AUDIT_OK) {
            json_object_set_new(j, "error", json_string(sum->why));
            if (sum->fail_seq)
                json_object_set_new(j, "failed_seq",
                                    json_integer((json_int_t)sum->fail_seq));
        }
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
        return;
    }
    if (rc != NMIRF_AUDIT_OK)
        return;
    char from[32], to[32];
    printf(_("ok: the event log verifies\n"));
    printf(_("  events       %llu (seq 1 to %llu)\n"), (unsigned long long)sum->events,
           (unsigned long long)sum->events);
    printf(_("  requests     %llu signed requests, by %llu authors\n"),
           (unsigned long long)sum->requests, (unsigned long long)sum->authors);
    if (sum->checkpoints)
        printf(_("  checkpoints  %llu, the last at seq %llu (%llu later events not yet "
                 "signed by the broker)\n"),
               (unsigned long long)sum->checkpoints,
               (unsigned long long)sum->last_checkpoint,
               (unsigned long long)(sum->events - sum->last_checkpoint));
    else
        printf(_("  checkpoints  none: nothing binds the broker to this log's end\n"));
    printf(_("  time         %s to %s\n"), cli_time_text(sum->first_ts, true, from),
           cli_time_text(sum->last_ts, true, to));
    printf(_("  verified in  %.2f s\n"), seconds);
}

/* audit verify (--data DIR [--witness AGENT_DIR]... | FILE) [-S NMIRFD.pub] */
static int
s_verify(cli_t *cli, const cli_args_t *a)
{
    const char *datadir = cli_arg_str(a, "data"),
               *key_path = cli_arg_str(a, "server-key");
    const cli_val_t *witness = cli_arg(a, "witness");
    const char *const *witnesses = witness->list;
    size_t nwitness = witness->n;
    int rc;

    if ((rc = cli_positional(cli, (int)a->npos, datadir ? 0 : 1, datadir ? 0 : 1,
                             _("FILE (or --data DIR)"))))
        return rc;
    uint8_t pk[NMIRF_SIGN_PK_LEN];
    if ((datadir || key_path) && (rc = s_broker_key(cli, key_path, datadir, pk)))
        return rc;
    /* A damaged store is named as damaged, not blamed on the log (and never
       crashes the verifier): the same walk as nmirf check, first. */
    if (datadir && cli_store_damaged(cli, datadir, "audit verify", NULL))
        return 1;
    nmirf_audit_summary_t sum;
    uint64_t t0 = nmirf_mono_us();
    nmirf_audit_rc_t arc =
        datadir ? nmirf_audit_verify_dir(datadir, pk, &sum)
                : nmirf_audit_verify_file(a->rest[0], key_path ? pk : NULL, &sum);
    /* What agents saw: a log cut after their checkpoint, or changed at
       it, fails here though it verifies alone. */
    for (size_t i = 0; arc == NMIRF_AUDIT_OK && i < nwitness; i++) {
        arc = nmirf_audit_check_witness(datadir, witnesses[i], pk, &sum);
        if (arc == NMIRF_AUDIT_OK && !cli->json)
            printf(_("witness %s: %s%llu\n"), witnesses[i],
                   sum.witness_seq ? _("the log holds the checkpoint it kept, at seq ")
                                   : _("kept no checkpoint: it proves nothing; seq "),
                   (unsigned long long)sum.witness_seq);
    }
    double seconds = (double)(nmirf_mono_us() - t0) / 1e6;
    if (arc == NMIRF_AUDIT_ERROR)
        return cli_local_error(cli, "%s", sum.why);
    if (sum.key_from_file)
        fprintf(stderr,
                _("nmirf: audit verify: warning: no -S given; checkpoints were checked "
                  "against the key named in the file itself, which proves the file "
                  "consistent, not that the broker made it\n"));
    s_print_summary(cli, arc, &sum, seconds);
    if (arc == NMIRF_AUDIT_FAILED) {
        fprintf(stderr, _("nmirf: audit verify: FAILED: %s\n"), sum.why);
        return 1;
    }
    return CLI_EXIT_OK;
}

/* --witness names at most MAX_WITNESSES agents, and only with the store
   whose log they witness. */
static int
s_verify_validate(cli_t *cli, const cli_args_t *a)
{
    if (cli_arg(a, "witness")->n > MAX_WITNESSES)
        return cli_usage(cli, "at most %d --witness directories", MAX_WITNESSES);
    if (cli_arg_has(a, "witness") && !cli_arg_has(a, "data"))
        return cli_usage(cli, "--witness needs --data DIR (the broker's store)");
    return 0;
}

#define EXPORT_MISSING N_("--data DIR and --out FILE are required")

static const cli_opt_spec_t s_export_opts[] = {
    {CLI_OPT("data", 'd', "DIR", CLI_STR, NULL, "the broker's data directory"),
     .missing = EXPORT_MISSING},
    {CLI_OPT("out", 'o', "FILE", CLI_STR, NULL, "where export writes"),
     .missing = EXPORT_MISSING},
    {CLI_OPT("server-key", 'S', "FILE", CLI_STR, NULL,
             "the broker's public key NMIRFD.pub (default\n"
             "DIR/keys/NMIRFD.pub)")},
    {0},
};

static const cli_opt_spec_t s_verify_args[] = {
    {.name = "FILE", .kind = CLI_STR, .flags = CLI_OPTIONAL},
    {0},
};
static const cli_opt_spec_t s_verify_opts[] = {
    {CLI_OPT("data", 'd', "DIR", CLI_STR, NULL,
             "verify the broker's data directory instead of a FILE")},
    {CLI_OPT("server-key", 'S', "FILE", CLI_STR, NULL,
             "the broker's public key NMIRFD.pub (default\n"
             "DIR/keys/NMIRFD.pub; for a FILE without -S, the key\n"
             "the file names, with a warning)")},
    {CLI_OPT("witness", 'w', "AGENT_DIR", CLI_STR, NULL,
             "an agent's data directory whose kept checkpoint\n"
             "the log must hold (with --data; repeatable)"),
     .flags = CLI_REPEAT, .within = "data"},
    {0},
};

const cli_cmd_spec_t cli_audit_cmds[] = {
    {CLI_CMD("audit export", "audit", s_export), .opts = s_export_opts},
    {CLI_CMD("audit verify", "audit", s_verify), .args = s_verify_args,
     .opts = s_verify_opts, .own_count = true, .validate = s_verify_validate,
     /* A file, or a data directory (with its witnesses). */
     .forms = (const char *const[]){"+FILE server-key", "+data server-key", NULL}},
    {0},
};
