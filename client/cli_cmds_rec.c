/*  cli_cmds_rec - recommendations: rec import, export, list, show, assign,
    withdraw, merge.

    import reads a JSON, CSV or UHRI file (nmirf_recreader) twice: a first
    pass checks every row before anything is sent, a second turns the good
    rows into rec.import requests. CSV is streamed, so memory does not grow
    with the file (but for the ids seen); JSON is parsed whole, up to
    NMIRF_IMPORT_JSON_MAX bytes; only regular files are read. export writes the
   recommendations of one snapshot back in JSON or CSV, which import reads as the same
   recommendations. The broker takes at most 1 MiB of envelope and 5,000 recommendations
   per request, so the file is cut into chunks well under both limits (headroom for the
    envelope's own fields); each chunk is all or nothing on the broker,
    and the first refusal stops the import, saying how far it got.
*/
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_recfile.h"
#include "nmirf_util.h"

/* Import totals over all requests. */
typedef struct {
    uint64_t added;     /* new recommendations */
    uint64_t updated;   /* changed ones */
    uint64_t unchanged; /* identical ones */
    size_t requests;    /* requests the broker accepted */
    size_t sent;        /* recommendations in them */
} import_totals_t;

/* What s_import_send needs: the command, the totals, the number of good
   recommendations in the file. */
typedef struct {
    cli_t *cli;
    import_totals_t *totals;
    size_t total;
} import_run_t;

/* Sends one rec.import request of count recommendations (an
   nmirf_import_send_fn). */
static int
s_import_send(const msgpack_sbuffer *body, size_t count, void *arg)
{
    import_run_t *run = arg;
    cli_t *cli = run->cli;
    import_totals_t *totals = run->totals;
    size_t total = run->total;
    nmirf_reply_t *reply;
    int rc = cli_call(cli, "rec.import", body, &reply);
    if (rc) {
        if (totals->requests > 0 || total > count)
            fprintf(stderr,
                    _("nmirf: %s: stopped at recommendations %zu to %zu of %zu; the %zu "
                      "before them were imported (%llu added, %llu updated, "
                      "%llu unchanged)\n"),
                    cli->cmd, totals->sent + 1, totals->sent + count, total, totals->sent,
                    (unsigned long long)totals->added,
                    (unsigned long long)totals->updated,
                    (unsigned long long)totals->unchanged);
        if (totals->requests > 0)
            fprintf(stderr,
                    _("nmirf: %s: those stay imported; running the same import "
                      "again is safe (they count as unchanged)\n"),
                    cli->cmd);
        return rc;
    }
    totals->added += cli_mp_uint(&reply->body, "added", 0);
    totals->updated += cli_mp_uint(&reply->body, "updated", 0);
    totals->unchanged += cli_mp_uint(&reply->body, "unchanged", 0);
    totals->requests++;
    totals->sent += count;
    nmirf_reply_destroy(&reply);
    return 0;
}

/* Says on stderr what is wrong with a bad row: "FILE:LINE: why" (JSON
   files have no lines: "FILE: recommendation N: why"). */
static void
s_report_bad(const char *path, const nmirf_recreader_t *rd, const nmirf_recrow_t *row,
             const char *prefix)
{
    if (nmirf_recreader_by_item(rd))
        fprintf(stderr, _("%s%s: recommendation %zu: %s\n"), prefix, path, row->line,
                row->why);
    else
        fprintf(stderr, "%s%s:%zu: %s\n", prefix, path, row->line, row->why);
}

/* rec import FILE [--format json|csv|uhri] [--skip-bad] [--lang L] */
static int
s_import(cli_t *cli, const cli_args_t *a)
{
    const char *path = cli_arg_str(a, "FILE.json|FILE.csv");
    const char *format = cli_arg_str(a, "format"), *lang = cli_arg_str(a, "lang");
    bool skip_bad = cli_arg_has(a, "skip-bad");
    int rc;

    /* A file that cannot be read or parsed is bad local input (exit 2),
       like a bad flag: the user fixes the file and runs again. */
    char why[512];
    nmirf_recreader_t *rd = nmirf_recreader_open(path, format, lang, why, sizeof why);
    if (!rd)
        return cli_usage(cli, "%s:%s%s", path, isdigit((unsigned char)why[0]) ? "" : " ",
                         why);
    /* First pass: every row is checked before anything is sent, and a bad
       row stops the whole file unless the user asked to skip bad rows. The
       file is streamed (a CSV of any size in bounded memory), which is why
       it must be a regular file: the second pass reads it again. */
    size_t count = 0, bad = 0;
    nmirf_recrow_t row;
    while ((rc = nmirf_recreader_next(rd, &row)) == 1) {
        count++;
        if (!row.rec) {
            bad++;
            if (!skip_bad)
                s_report_bad(path, rd, &row, "");
        }
        json_decref(row.rec);
    }
    if (rc < 0) {
        snprintf(why, sizeof why, "%s", nmirf_recreader_error(rd));
        nmirf_recreader_destroy(&rd);
        return cli_usage(cli, "%s:%s%s", path, isdigit((unsigned char)why[0]) ? "" : " ",
                         why);
    }
    if (bad > 0 && !skip_bad) {
        fprintf(stderr,
                _("nmirf: %s: %zu of %zu recommendations in %s are bad; nothing imported "
                  "(--skip-bad imports the others)\n"),
                cli->cmd, bad, count, path);
        nmirf_recreader_destroy(&rd);
        return CLI_EXIT_REFUSED;
    }

    /* Second pass: the good rows, in chunks. */
    if (nmirf_recreader_rewind(rd)) {
        rc = cli_local_error(cli, "%s: %s", path, nmirf_recreader_error(rd));
        nmirf_recreader_destroy(&rd);
        return rc;
    }
    size_t total = count - bad, seen = 0, skipped = 0;
    import_totals_t totals = {0};
    import_run_t run = {cli, &totals, total};
    nmirf_import_batch_t batch;
    nmirf_import_batch_init(&batch, s_import_send, &run);
    rc = 0;
    int next = 0;
    while (rc == 0 && (next = nmirf_recreader_next(rd, &row)) == 1) {
        seen++;
        if (!row.rec) {
            skipped++;
            if (skip_bad)
                s_report_bad(path, rd, &row, _("skipped "));
            continue;
        }
        rc = nmirf_import_batch_add(&batch, row.rec);
        json_decref(row.rec);
    }
    /* The file must read as it did: the first pass checked what the
       second one sends (what the batch holds is then not sent). */
    if (rc == 0 && (next < 0 || seen != count || skipped != bad))
        rc = cli_local_error(cli, "%s: %s; sent %zu recommendations", path,
                             next < 0 ? nmirf_recreader_error(rd)
                                      : _("the file changed while being imported"),
                             totals.sent);
    else if (rc == 0)
        rc = nmirf_import_batch_flush(&batch);
    nmirf_import_batch_destroy(&batch);
    const char *fmt = nmirf_recreader_format(rd); /* a string literal */
    nmirf_recreader_destroy(&rd);
    if (rc)
        return rc;

    if (cli->json) {
        json_t *out = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:s}", "added", (json_int_t)totals.added,
            "updated", (json_int_t)totals.updated, "unchanged",
            (json_int_t)totals.unchanged, "requests", (json_int_t)totals.requests,
            "skipped", (json_int_t)bad, "format", fmt);
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    } else {
        printf(_("imported %zu recommendations from %s (%s): %llu added, %llu updated, "
                 "%llu unchanged"),
               total, path, fmt, (unsigned long long)totals.added,
               (unsigned long long)totals.updated, (unsigned long long)totals.unchanged);
        if (bad)
            printf(_("; %zu bad rows skipped"), bad);
        printf("\n");
    }
    return CLI_EXIT_OK;
}

/* True if the assignment asg names entity as lead or contributor. */
static bool
s_assigned_to(const json_t *asg, const char *entity)
{
    if (!asg)
        return false;
    const char *lead = json_string_value(json_object_get(asg, "lead"));
    if (lead && !strcmp(lead, entity))
        return true;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(asg, "contributors"), i, c)
    {
        if (json_is_string(c) && !strcmp(json_string_value(c), entity))
            return true;
    }
    return false;
}

/* rec export [--format json|csv] [--out FILE] [--mechanism M] [--entity ID]
   [--status S]: every recommendation in full, from one snapshot (one
   consistent state), in id order. */
static int
s_export(cli_t *cli, const cli_args_t *a)
{
    const char *format = cli_arg_has(a, "format") ? cli_arg_str(a, "format") : "json";
    const char *out_path = cli_arg_str(a, "out"),
               *mechanism = cli_arg_str(a, "mechanism"),
               *entity = cli_arg_str(a, "entity"), *status = cli_arg_str(a, "status");
    int rc;

    if (!out_path && cli->json)
        format = "json";

    nmirf_reply_t *reply;
    if ((rc = cli_call(cli, "snapshot", NULL, &reply)))
        return rc;
    json_t *snap = nmirf_json_from_mp(&reply->body);
    nmirf_reply_destroy(&reply);
    /* Assignments by recommendation, for --entity. */
    json_t *asgs = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(snap, "assignments"), i, v)
    {
        const char *rec = json_string_value(json_object_get(v, "rec"));
        if (rec)
            json_object_set(asgs, rec, v);
    }
    json_t *statuses = json_object_get(snap, "status");
    json_t *recs = json_array();
    json_array_foreach(json_object_get(snap, "recs"), i, v)
    {
        const char *id = json_string_value(json_object_get(v, "id"));
        const char *mech = json_string_value(json_object_get(v, "mechanism"));
        const char *st = id ? json_string_value(json_object_get(statuses, id)) : NULL;
        /* Withdrawn ones are off the list, as in rec.list; exported they
           would come back as live ones where the file is imported. */
        if (!id || json_object_get(v, "withdrawn") ||
            (mechanism && (!mech || strcmp(mech, mechanism))) ||
            (entity && !s_assigned_to(json_object_get(asgs, id), entity)) ||
            (status && strcmp(st ? st : "not_started", status)))
            continue;
        json_array_append(recs, v);
    }

    FILE *out = stdout;
    char *tmp = NULL;
    if (out_path) {
        /* Written beside the target and renamed: an interrupted export
           never leaves half a file under the name asked for. */
        if (asprintf(&tmp, "%s.tmp", out_path) < 0 || !(out = fopen(tmp, "w"))) {
            rc = cli_local_error(cli, "%s: %s", tmp ? tmp : out_path, strerror(errno));
            free(tmp);
            json_decref(recs);
            json_decref(asgs);
            json_decref(snap);
            return rc;
        }
    }
    size_t lossy = 0;
    int wrc = !strcmp(format, "csv") ? nmirf_recfile_write_csv(out, recs, &lossy)
                                     : nmirf_recfile_write_json(out, recs);
    if (fflush(out) != 0)
        wrc = -1;
    if (out_path) {
        if (fclose(out) != 0)
            wrc = -1;
        if (wrc == 0 && rename(tmp, out_path) != 0)
            wrc = -1;
        if (wrc)
            unlink(tmp);
    }
    if (wrc)
        rc = cli_local_error(cli, "%s: %s", out_path ? out_path : "stdout",
                             strerror(errno));
    else {
        if (lossy)
            fprintf(stderr,
                    _("nmirf: %s: %zu list items held line breaks, written as spaces: "
                      "this CSV will not import back exactly (JSON would)\n"),
                    cli->cmd, lossy);
        if (out_path)
            fprintf(stderr, _("exported %zu recommendations to %s (%s)\n"),
                    json_array_size(recs), out_path, format);
    }
    free(tmp);
    json_decref(recs);
    json_decref(asgs);
    json_decref(snap);
    return rc;
}

/* rec list: a row per summary, its text in the reader's language (the
   summary's texts, cli_lang_text; else its text), and a note when the
   limit cut the list. */
static void
s_view_list(const msgpack_object *body)
{
    static const char *const headers[] = {N_("ID"),     N_("MECH"), N_("SYMBOL"),
                                          N_("PARA"),   N_("LEAD"), N_("DEADLINE"),
                                          N_("STATUS"), N_("TEXT")};
    const msgpack_object *recs = nmirf_mp_get(body, "recs");
    cli_table_t *table = cli_table_new(headers, 8);
    if (!table)
        return;
    /* Ids whole, since they are copied into other commands; only the
       text, last, is cut to fit. */
    cli_table_limit(table, 2, 24, false);
    cli_table_limit(table, 7, 60, true);
    size_t shown = 0;
    if (recs && recs->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < recs->via.array.size; i++) {
            const msgpack_object *r = &recs->via.array.ptr[i];
            cli_table_row(table);
            cli_table_cell_field(table, r, "id");
            cli_table_cell_field(table, r, "mechanism");
            cli_table_cell_field(table, r, "symbol");
            cli_table_cell_field(table, r, "paragraph");
            cli_table_cell_field(table, r, "lead");
            cli_table_cell_field(table, r, "deadline");
            if (nmirf_mp_get(r, "withdrawn"))
                cli_table_cell(table, _("withdrawn"));
            else
                cli_cell_status(table, r, "status");
            const msgpack_object *t = cli_lang_text(nmirf_mp_get(r, "texts"));
            if (t)
                cli_table_cell_mp(table, t);
            else
                cli_table_cell_field(table, r, "text");
            shown++;
        }
    cli_table_print(table);
    cli_table_destroy(&table);
    uint64_t total = cli_mp_uint(body, "total", shown);
    if (total > shown)
        printf(_("(%zu of %llu shown; use --limit or a filter)\n"), shown,
               (unsigned long long)total);
}

/* rec list [--mechanism M] [--entity ID] [--status S] [--text T] [--limit N]
   [--lang L] [--withdrawn]: one request, whatever the language (each
   summary carries all its texts). --json prints the reply as is. */
static int
s_list(cli_t *cli, const cli_args_t *a)
{
    if (cli_arg_has(a, "lang"))
        cli_set_lang(cli_arg_str(a, "lang"));
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    cli_args_pack(a, &pk, 0);
    nmirf_reply_t *reply;
    int rc = cli_call(cli, "rec.list", &body, &reply);
    msgpack_sbuffer_destroy(&body);
    if (rc)
        return rc;
    if (cli->json) {
        rc = cli_print_json(&reply->body, false);
        nmirf_reply_destroy(&reply);
        return rc;
    }
    s_view_list(&reply->body);
    nmirf_reply_destroy(&reply);
    return CLI_EXIT_OK;
}

/* The texts of a recommendation in every language it has, the one the
   reader reads (cli_lang_text) first. */
static void
s_view_texts(const msgpack_object *texts)
{
    const msgpack_object *first = cli_lang_text(texts);
    const char *const *langs = nmirf_langs.names;
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < (size_t)nmirf_langs.count; i++) {
            const msgpack_object *t = nmirf_mp_get(texts, langs[i]);
            if (!t || (pass == 0) != (t == first))
                continue;
            char label[64];
            snprintf(label, sizeof label, _("text (%s)"), langs[i]);
            char *text = cli_mp_text(t);
            cli_kv(label, text);
            free(text);
        }
}

/* rec show: the recommendation, its assignment, its reports. */
static void
s_view_show(const msgpack_object *body)
{
    const msgpack_object *rec = nmirf_mp_get(body, "rec");
    const msgpack_object *assignment = nmirf_mp_get(body, "assignment");
    const msgpack_object *reports = nmirf_mp_get(body, "reports");
    char when[32];

    cli_kv_field("id", rec, "id");
    cli_kv_field("mechanism", rec, "mechanism");
    cli_kv_field("symbol", rec, "symbol");
    cli_kv_field("paragraph", rec, "paragraph");
    cli_kv_field("cycle", rec, "cycle");
    cli_kv_field("session", rec, "session");
    cli_kv_field("mandate", rec, "mandate");
    cli_kv_field("source updated", rec, "source_updated");
    cli_kv_field("date", rec, "date");
    cli_kv_field("states", rec, "states");
    cli_kv_field("themes", rec, "themes");
    cli_kv_field("persons", rec, "persons");
    cli_kv_field("sdgs", rec, "sdgs");
    cli_kv_word(N_("response"), CLI_WORD_POSITION, rec, "response");
    cli_kv_field("response text", rec, "response_text");
    cli_kv_word(N_("status"), CLI_WORD_STATUS, body, "status");
    cli_kv("updated", cli_time_text(cli_mp_uint(rec, "updated", 0), true, when));
    cli_view_withdrawal(nmirf_mp_get(rec, "withdrawn"));
    s_view_texts(nmirf_mp_get(rec, "text"));

    printf(_("\nassignment\n"));
    if (assignment && assignment->type == MSGPACK_OBJECT_MAP) {
        cli_kv_field("  lead", assignment, "lead");
        cli_kv_field("  contributors", assignment, "contributors");
        cli_kv_field("  deadline", assignment, "deadline");
        cli_kv_field("  note", assignment, "note");
        cli_kv("  assigned",
               cli_time_text(cli_mp_uint(assignment, "assigned", 0), true, when));
    } else {
        printf(_("  (not assigned)\n"));
    }

    printf(_("\nreports\n"));
    if (reports && reports->type == MSGPACK_OBJECT_ARRAY && reports->via.array.size > 0)
        cli_print_reports(reports);
    else
        printf(_("  (none)\n"));
}

/* rec show ID [--lang L] */
static int
s_show(cli_t *cli, const cli_args_t *a)
{
    if (cli_arg_has(a, "lang"))
        cli_set_lang(cli_arg_str(a, "lang"));
    return cli_args_call_show(cli, a, "rec.show", s_view_show);
}

/* The view of a reply body {assignment}. */
static void
s_view_assignment_body(const msgpack_object *body)
{
    cli_view_assignment(nmirf_mp_get(body, "assignment"));
}

/* rec assign ID --lead ID [--contributor ID]... [--deadline DATE] [--note T] */
static int
s_assign(cli_t *cli, const cli_args_t *a)
{
    return cli_args_call_show(cli, a, "rec.assign", s_view_assignment_body);
}

/* --lang of list and show: the language of the texts shown. */
#define CLI_LANG_OPT                                                                     \
    {                                                                                    \
        CLI_OPT("lang", 'L', "L", CLI_ENUM, NULL,                                        \
                "the language of the texts shown (default: that of\n"                    \
                "LC_MESSAGES, else en; a text missing in L is shown\n"                   \
                "in French, else English)"),                                             \
            .set = &nmirf_langs                                                          \
    }

/* The view of a reply body {rec}: a recommendation just withdrawn. */
static void
s_view_withdrawn(const msgpack_object *body)
{
    const msgpack_object *rec = nmirf_mp_get(body, "rec");
    cli_kv_field("id", rec, "id");
    cli_view_withdrawal(nmirf_mp_get(rec, "withdrawn"));
}

/* rec withdraw ID --reason TEXT */
static int
s_withdraw(cli_t *cli, const cli_args_t *a)
{
    return cli_args_call_show(cli, a, "rec.withdraw", s_view_withdrawn);
}

/* The view of a reply body {rec, moved}: INTO and what moved to it. */
static void
s_view_merged(const msgpack_object *body)
{
    const msgpack_object *moved = nmirf_mp_get(body, "moved");
    const msgpack_object *asg = nmirf_mp_get(moved, "assignment");
    cli_kv_field("into", nmirf_mp_get(body, "rec"), "id");
    cli_kv_field("reports moved", moved, "reports");
    cli_kv_field("measures moved", moved, "measures");
    cli_kv("assignment moved",
           asg && asg->type == MSGPACK_OBJECT_BOOLEAN && asg->via.boolean ? _("yes")
                                                                          : _("no"));
}

/* rec merge FROM INTO [--reason TEXT] */
static int
s_merge(cli_t *cli, const cli_args_t *a)
{
    return cli_args_call_show(cli, a, "rec.merge", s_view_merged);
}

static const nmirf_valueset_t s_formats_in = CLI_SET("format", "json", "csv", "uhri");
static const nmirf_valueset_t s_formats_out = CLI_SET("format", "json", "csv");

static const cli_opt_spec_t s_import_args[] = {
    {.name = "FILE.json|FILE.csv", .kind = CLI_STR},
    {0},
};
static const cli_opt_spec_t s_import_opts[] = {
    {CLI_OPT("format", 'f', "F", CLI_ENUM, NULL,
             "the file's format (default: told by its name and header)"),
     .set = &s_formats_in},
    {CLI_OPT("skip-bad", 's', NULL, CLI_FLAG, NULL,
             "import the good rows, list the bad ones skipped")},
    {CLI_OPT("lang", 'L', "L", CLI_ENUM, NULL,
             "the language of a UHRI file's Text column"),
     .set = &nmirf_langs},
    {0},
};

static const cli_opt_spec_t s_export_opts[] = {
    {CLI_OPT("format", 'f', "F", CLI_ENUM, NULL, "the format written (default json)"),
     .set = &s_formats_out},
    {CLI_OPT("out", 'o', "FILE", CLI_STR, NULL, "where to write (default: stdout)")},
    {CLI_OPT("mechanism", 'm', "M", CLI_ENUM, NULL, "only this mechanism's"),
     .field = "mechanism"},
    {CLI_OPT("entity", 'E', "ID", CLI_ENTITY, NULL,
             "only those assigned to ID (lead or contributor)"),
     .field = "entity"},
    {CLI_OPT("status", 's', "S", CLI_ENUM, NULL, "only those in this status"),
     .field = "status"},
    {0},
};

static const cli_opt_spec_t s_list_opts[] = {
    {CLI_OPT("mechanism", 'm', "M", CLI_ENUM, "mechanism", "the mechanism")},
    {CLI_OPT("entity", 'E', "ID", CLI_ENTITY, "entity", "the lead or a contributor")},
    {CLI_OPT("status", 's', "S", CLI_ENUM, "status", "the implementation status")},
    {CLI_OPT("text", 'T', "T", CLI_TEXT, "text",
             "a case-sensitive substring of any language's text")},
    {CLI_OPT("limit", 'n', "N", CLI_UINT, "limit", "at most N rows (default 1000)")},
    CLI_LANG_OPT,
    {CLI_OPT("withdrawn", 'W', NULL, CLI_FLAG, "withdrawn",
             "list withdrawn recommendations too")},
    {0},
};

static const cli_opt_spec_t s_show_opts[] = {
    CLI_LANG_OPT,
    {0},
};

static const cli_opt_spec_t s_id_args[] = {
    {.name = "ID", .kind = CLI_REC, .key = "id"},
    {0},
};

static const cli_opt_spec_t s_assign_args[] = {
    {.name = "ID", .kind = CLI_REC, .key = "rec"},
    {0},
};
static const cli_opt_spec_t s_assign_opts[] = {
    {CLI_OPT("lead", 'l', "ID", CLI_ENTITY, "lead", "the ministry answerable for it"),
     .missing = N_("--lead is required")},
    {CLI_OPT("contributor", 'c', "ID", CLI_ENTITY, "contributors",
             "a ministry that helps (repeat the flag)"),
     .flags = CLI_REPEAT, .max_times = NMIRF_LIST_MAX},
    {CLI_OPT("deadline", 'D', "DATE", CLI_DATE, "deadline", "YYYY-MM-DD")},
    {CLI_OPT("note", 'N', "TEXT", CLI_TEXT, "note", "a note for the ministries")},
    {0},
};

static const cli_opt_spec_t s_withdraw_args[] = {
    {.name = "ID", .kind = CLI_REC, .key = "rec"},
    {0},
};
static const cli_opt_spec_t s_withdraw_opts[] = {
    {CLI_OPT("reason", 'R', "TEXT", CLI_TEXT, "reason",
             "why it leaves the list (kept in the log)"),
     .missing = N_("--reason is required")},
    {0},
};

static const cli_opt_spec_t s_merge_args[] = {
    {.name = "FROM", .kind = CLI_REC, .key = "from"},
    {.name = "INTO", .kind = CLI_REC, .key = "into"},
    {0},
};
static const cli_opt_spec_t s_merge_opts[] = {
    {CLI_OPT("reason", 'R', "TEXT", CLI_TEXT, "reason",
             "why (default: merged into INTO)")},
    {0},
};

const cli_cmd_spec_t cli_rec_cmds[] = {
    {CLI_CMD("rec import", "rec", s_import), .args = s_import_args, .opts = s_import_opts,
     .expect = "FILE"},
    /* export filters the snapshot as rec.list filters: the same fields. */
    {CLI_CMD("rec export", "rec", s_export), .opts = s_export_opts,
     .fields = &nmirf_fields_rec_list},
    {CLI_CMD("rec list", "rec", s_list), .opts = s_list_opts,
     .fields = &nmirf_fields_rec_list},
    {CLI_CMD("rec show", "rec", s_show), .args = s_id_args, .opts = s_show_opts},
    {CLI_CMD("rec assign", "rec", s_assign), .args = s_assign_args, .opts = s_assign_opts,
     .fields = &nmirf_fields_rec_assign},
    {CLI_CMD("rec withdraw", "rec", s_withdraw), .args = s_withdraw_args,
     .opts = s_withdraw_opts, .fields = &nmirf_fields_rec_withdraw},
    {CLI_CMD("rec merge", "rec", s_merge), .args = s_merge_args, .opts = s_merge_opts,
     .fields = &nmirf_fields_rec_merge},
    {0},
};
