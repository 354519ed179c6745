/*  cli_cmds_measure - measures: measure add, update, list, show; and the
    DATE=VALUE points that measures and report submit share.

    The coordinator, or the ministry that leads every linked
    recommendation, adds and updates measures; anyone enrolled reads them.
*/
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_mp.h"

void
cli_pack_number(msgpack_packer *pk, double v)
{
    if (v == trunc(v) && fabs(v) <= NMIRF_NUMBER_MAX) {
        if (v >= 0)
            msgpack_pack_uint64(pk, (uint64_t)v);
        else
            msgpack_pack_int64(pk, (int64_t)v);
    } else
        msgpack_pack_double(pk, v);
}

void
cli_pack_points(msgpack_packer *pk, const cli_point_t *points, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, 2);
        nmirf_mp_pack_kv_str(pk, "date", points[i].date);
        nmirf_mp_pack_str(pk, "value");
        cli_pack_number(pk, points[i].value);
    }
}

/* Prints a list of points as "DATE  VALUE" lines under label. */
static void
s_kv_points(const char *label, const msgpack_object *points)
{
    if (!points || points->type != MSGPACK_OBJECT_ARRAY)
        return;
    for (uint32_t i = 0; i < points->via.array.size; i++) {
        const msgpack_object *p = &points->via.array.ptr[i];
        char *d = cli_mp_field(p, "date"), *v = cli_mp_field(p, "value"),
             *r = cli_mp_field(p, "report"), line[256];
        if (r && *r)
            snprintf(line, sizeof line, _("%s  %s  (report %s)"), d, v, r);
        else
            snprintf(line, sizeof line, "%s  %s", d, v);
        cli_kv(i == 0 ? label : NULL, line);
        free(d);
        free(v);
        free(r);
    }
}

/* The record view of a measure. */
static void
s_view_measure(const msgpack_object *m)
{
    cli_kv_field("measure", m, "id");
    const msgpack_object *recs = nmirf_mp_get(m, "recs");
    for (uint32_t i = 0;
         recs && recs->type == MSGPACK_OBJECT_ARRAY && i < recs->via.array.size; i++) {
        char *r = cli_mp_text(&recs->via.array.ptr[i]);
        cli_kv(i == 0 ? "recs" : "", r);
        free(r);
    }
    cli_kv_field("title", m, "title");
    cli_kv_field("description", m, "description");
    const msgpack_object *ind = nmirf_mp_get(m, "indicator");
    if (ind && ind->type == MSGPACK_OBJECT_MAP) {
        cli_kv_field("indicator", ind, "name");
        cli_kv_field("unit", ind, "unit");
        cli_kv_field("baseline", ind, "baseline");
        cli_kv_field("target", ind, "target");
        s_kv_points(N_("schedule"), nmirf_mp_get(ind, "schedule"));
        s_kv_points(N_("progress"), nmirf_mp_get(m, "progress"));
    }
    cli_kv_field("author", m, "author");
}

/* The view of a reply body {measure, ...}. */
static void
s_view_body(const msgpack_object *body)
{
    s_view_measure(nmirf_mp_get(body, "measure"));
    const msgpack_object *ch = nmirf_mp_get(body, "changed");
    if (ch && ch->type == MSGPACK_OBJECT_BOOLEAN && !ch->via.boolean)
        printf(_("(unchanged)\n"));
}

/* measure show: the measure, then the reports that name it. */
static void
s_view_show(const msgpack_object *body)
{
    s_view_measure(nmirf_mp_get(body, "measure"));
    const msgpack_object *reports = nmirf_mp_get(body, "reports");
    if (reports && reports->type == MSGPACK_OBJECT_ARRAY && reports->via.array.size) {
        printf("\n");
        cli_print_reports(reports);
    }
}

/* An indicator is a name and a target; its other flags mean nothing
   without them. */
static int
s_validate_indicator(cli_t *cli, const cli_args_t *a)
{
    bool named = cli_arg_has(a, "indicator"), target = cli_arg_has(a, "target");
    bool any_ind = cli_arg_has(a, "unit") || cli_arg_has(a, "baseline") || target ||
                   cli_arg_has(a, "milestone");
    if ((named || any_ind) && !(named && target))
        return cli_usage(cli, "an indicator needs --indicator NAME and --target N");
    return 0;
}

/* Packs the body of add and update: the options with a key (id, recs,
   title, description), then the indicator, a map of its own. */
static void
s_pack_fields(msgpack_sbuffer *body, const cli_args_t *a)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, body, msgpack_sbuffer_write);
    bool has_ind = cli_arg_has(a, "indicator");
    cli_args_pack(a, &pk, has_ind);
    if (!has_ind)
        return;
    const cli_val_t *unit = cli_arg(a, "unit"), *baseline = cli_arg(a, "baseline"),
                    *schedule = cli_arg(a, "milestone");
    /* The indicator's entries, counted as they are packed (name and target
       always, s_validate_indicator; the others when given), then its map. */
    msgpack_sbuffer ind;
    msgpack_packer ipk;
    size_t n = 0;
    msgpack_sbuffer_init(&ind);
    msgpack_packer_init(&ipk, &ind, msgpack_sbuffer_write);
    nmirf_mp_pack_kv_str(&ipk, "name", cli_arg_str(a, "indicator"));
    n++;
    if (unit->n) {
        nmirf_mp_pack_kv_str(&ipk, "unit", unit->s);
        n++;
    }
    if (baseline->n) {
        nmirf_mp_pack_str(&ipk, "baseline");
        cli_pack_number(&ipk, baseline->num);
        n++;
    }
    nmirf_mp_pack_str(&ipk, "target");
    cli_pack_number(&ipk, cli_arg(a, "target")->num);
    n++;
    if (schedule->n) {
        nmirf_mp_pack_str(&ipk, "schedule");
        cli_pack_points(&ipk, schedule->points, schedule->n);
        n++;
    }
    nmirf_mp_pack_str(&pk, "indicator");
    msgpack_pack_map(&pk, n);
    msgpack_sbuffer_write(body, ind.data, ind.size);
    msgpack_sbuffer_destroy(&ind);
}

/* measure add --rec ID... --title T [--description T] [indicator flags] */
static int
s_add(cli_t *cli, const cli_args_t *a)
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    s_pack_fields(&body, a);
    int rc = cli_call_show(cli, "measure.add", &body, s_view_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* measure update ID [--rec ID]... [--title T] [--description T] [indicator
   flags] */
static int
s_update(cli_t *cli, const cli_args_t *a)
{
    if (cli_arg(a, "ID")->u == 0)
        return cli_usage(cli, "ID: measures are numbered from 1");
    if (!cli_arg_has(a, "rec") && !cli_arg_has(a, "title") &&
        !cli_arg_has(a, "description") && !cli_arg_has(a, "indicator"))
        return cli_usage(cli, "nothing to change: give --rec, --title, --description "
                              "or an indicator");
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    s_pack_fields(&body, a);
    int rc = cli_call_show(cli, "measure.update", &body, s_view_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* The measure.list table. */
static void
s_view_list(const msgpack_object *body)
{
    static const char *const headers[] = {N_("ID"),     N_("RECS"),     N_("TITLE"),
                                          N_("TARGET"), N_("PROGRESS"), N_("AUTHOR")};
    cli_table_t *table = cli_table_new(headers, 6);
    if (!table)
        return;
    cli_table_right(table, 0);
    cli_table_limit(table, 1, 40, true);
    cli_table_limit(table, 2, 50, true);
    const msgpack_object *ms = nmirf_mp_get(body, "measures");
    for (uint32_t i = 0; ms && ms->type == MSGPACK_OBJECT_ARRAY && i < ms->via.array.size;
         i++) {
        const msgpack_object *m = &ms->via.array.ptr[i], *recs = nmirf_mp_get(m, "recs"),
                             *ind = nmirf_mp_get(m, "indicator"),
                             *prog = nmirf_mp_get(m, "progress");
        cli_table_row(table);
        cli_table_cell_field(table, m, "id");
        char *r = cli_mp_text(recs);
        cli_table_cell(table, r);
        free(r);
        cli_table_cell_field(table, m, "title");
        char *t = ind ? cli_mp_field(ind, "target") : NULL;
        cli_table_cell(table, t);
        free(t);
        /* The latest value reported, with its date. */
        if (prog && prog->type == MSGPACK_OBJECT_ARRAY && prog->via.array.size) {
            const msgpack_object *last = &prog->via.array.ptr[prog->via.array.size - 1];
            char *v = cli_mp_field(last, "value"), *d = cli_mp_field(last, "date");
            cli_table_cellf(table, "%s (%s)", v, d);
            free(v);
            free(d);
        } else
            cli_table_cell(table, NULL);
        cli_table_cell_field(table, m, "author");
    }
    cli_table_print(table);
    cli_table_destroy(&table);
    uint64_t total = cli_mp_uint(body, "total", 0);
    if (ms && ms->type == MSGPACK_OBJECT_ARRAY && total > ms->via.array.size)
        printf(_("(%u of %llu shown)\n"), ms->via.array.size, (unsigned long long)total);
}

/* measure list [--rec ID] [--limit N] */
static int
s_list(cli_t *cli, const cli_args_t *a)
{
    return cli_args_call_show(cli, a, "measure.list", s_view_list);
}

/* measure show ID */
static int
s_show(cli_t *cli, const cli_args_t *a)
{
    return cli_args_call_show(cli, a, "measure.show", s_view_show);
}

/* An option that fills the indicator's field F (s_pack_fields packs it),
   written in --indicator's brackets: it only goes with it. */
#define INDICATOR(F)                                                                     \
    .fields = &nmirf_fields_indicator, .field = (F), .within = "indicator"

/* The options of add and update; add requires --rec and --title. */
#define MEASURE_OPTS(REC_MISSING, TITLE_MISSING)                                         \
    {CLI_OPT("rec", 'R', "ID", CLI_REC, "recs",                                          \
             "a linked recommendation (repeat); update replaces\n"                       \
             "the list"),                                                                \
     .flags = CLI_REPEAT, .max_times = NMIRF_LIST_MAX, .missing = REC_MISSING},          \
        {CLI_OPT("title", 't', "TEXT", CLI_TEXT, "title", "what will be done"),          \
         .max = NMIRF_SHORT_MAX, .missing = TITLE_MISSING},                              \
        {CLI_OPT("description", 'd', "TEXT", CLI_TEXT, "description", "more detail"),    \
         .max = NMIRF_TEXT_MAX},                                                         \
        {CLI_OPT("indicator", 'i', "NAME", CLI_TEXT, NULL,                               \
                 "the indicator's name (update replaces the whole\n"                     \
                 "indicator: give all its flags again)"),                                \
         .fields = &nmirf_fields_indicator, .field = "name"},                            \
        {CLI_OPT("unit", 'u', "U", CLI_TEXT, NULL, "e.g. persons, %"),                   \
         INDICATOR("unit")},                                                             \
        {CLI_OPT("baseline", 'b', "N", CLI_NUMBER, NULL, "the value at the start"),      \
         INDICATOR("baseline")},                                                         \
        {CLI_OPT("target", 'T', "N", CLI_NUMBER, NULL, "the value to reach"),            \
         INDICATOR("target"), .flags = CLI_WITH_HEAD},                                   \
    {                                                                                    \
        CLI_OPT("milestone", 'm', "DATE=VALUE", CLI_POINT, NULL,                         \
                "a planned value by DATE (repeat)"),                                     \
            .flags = CLI_REPEAT, .max_times = NMIRF_LIST_MAX, INDICATOR("schedule")      \
    }

static const cli_opt_spec_t s_add_opts[] = {
    MEASURE_OPTS(N_("--rec is required (repeat it for several)"),
                 N_("--title is required")),
    {0},
};
static const cli_opt_spec_t s_update_opts[] = {
    MEASURE_OPTS(NULL, NULL),
    {0},
};

static const cli_opt_spec_t s_id_args[] = {
    {.name = "ID", .kind = CLI_UINT, .key = "id"},
    {0},
};

static const cli_opt_spec_t s_list_opts[] = {
    {CLI_OPT("rec", 'R', "ID", CLI_REC, "rec", "measures linked to one recommendation")},
    {CLI_OPT("limit", 'n', "N", CLI_UINT, "limit", "at most N rows (default 1000)")},
    {0},
};

const cli_cmd_spec_t cli_measure_cmds[] = {
    {CLI_CMD("measure add", "measure", s_add), .opts = s_add_opts,
     .validate = s_validate_indicator},
    {CLI_CMD("measure update", "measure", s_update), .args = s_id_args,
     .opts = s_update_opts, .expect = N_("the measure number ID"),
     .validate = s_validate_indicator},
    {CLI_CMD("measure list", "measure", s_list), .opts = s_list_opts},
    {CLI_CMD("measure show", "measure", s_show), .args = s_id_args,
     .expect = N_("the measure number ID")},
    {0},
};
