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
#include "nmirf_mp.h"

#define MAX_LIST 256         /* a list's limit */

/* Parses a number flag: finite, magnitude at most 1e15 (as the broker). */
static int
s_number(cli_t *cli, const char *option, const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(*out) || fabs(*out) > 1e15)
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
    return rc ? rc : s_number(cli, option, eq + 1, &out->value);
}

void
cli_pack_number(msgpack_packer *pk, double v)
{
    if (v == trunc(v) && fabs(v) <= 1e15) {
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
            snprintf(line, sizeof line, "%s  %s  (report %s)", d, v, r);
        else
            snprintf(line, sizeof line, "%s  %s", d, v);
        cli_kv(i == 0 ? label : "", line);
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
        s_kv_points("schedule", nmirf_mp_get(ind, "schedule"));
        s_kv_points("progress", nmirf_mp_get(m, "progress"));
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
        printf("(unchanged)\n");
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

/* The fields add and update share. */
typedef struct {
    const char *recs[MAX_LIST];      /* --rec */
    size_t nrecs;                    /* how many */
    const char *title, *description; /* --title, --description */
    const char *indicator, *unit;    /* --indicator NAME, --unit */
    double baseline, target;         /* --baseline, --target */
    bool has_baseline, has_target;   /* given */
    cli_point_t schedule[MAX_LIST];  /* --milestone DATE=VALUE */
    size_t nschedule;                /* how many */
} s_fields_t;

/* Reads the flags of add/update into f. Returns 0 or an exit status. */
static int
s_read_fields(cli_t *cli, int argc, char **argv, s_fields_t *f)
{
    static const struct option opts[] = {
        {"rec", required_argument, NULL, 'R'},
        {"title", required_argument, NULL, 't'},
        {"description", required_argument, NULL, 'd'},
        {"indicator", required_argument, NULL, 'i'},
        {"unit", required_argument, NULL, 'u'},
        {"baseline", required_argument, NULL, 'b'},
        {"target", required_argument, NULL, 'T'},
        {"milestone", required_argument, NULL, 'm'},
        CLI_OPTS_END,
    };
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, ":hR:t:d:i:u:b:T:m:", opts)) != -1) {
        switch (c) {
        case 'R':
            if ((rc = cli_check_rec_id(cli, "--rec", optarg)))
                return rc;
            if (f->nrecs == MAX_LIST)
                return cli_usage(cli, "--rec: more than %d", MAX_LIST);
            f->recs[f->nrecs++] = optarg;
            break;
        case 't':
            if ((rc = cli_check_text(cli, "--title", optarg, NMIRF_SHORT_MAX)))
                return rc;
            f->title = optarg;
            break;
        case 'd':
            if ((rc = cli_check_text(cli, "--description", optarg, NMIRF_TEXT_MAX)))
                return rc;
            f->description = optarg;
            break;
        case 'i':
            if ((rc = cli_check_text(cli, "--indicator", optarg,
                                     nmirf_fields_max(&nmirf_fields_indicator, "name"))))
                return rc;
            f->indicator = optarg;
            break;
        case 'u':
            if ((rc = cli_check_text(cli, "--unit", optarg,
                                     nmirf_fields_max(&nmirf_fields_indicator, "unit"))))
                return rc;
            f->unit = optarg;
            break;
        case 'b':
            if ((rc = s_number(cli, "--baseline", optarg, &f->baseline)))
                return rc;
            f->has_baseline = true;
            break;
        case 'T':
            if ((rc = s_number(cli, "--target", optarg, &f->target)))
                return rc;
            f->has_target = true;
            break;
        case 'm':
            if (f->nschedule == MAX_LIST)
                return cli_usage(cli, "--milestone: more than %d", MAX_LIST);
            if ((rc = cli_parse_point(cli, "--milestone", optarg,
                                      &f->schedule[f->nschedule])))
                return rc;
            f->nschedule++;
            break;
        default:
            return cli_opt_exit(cli, c);
        }
    }
    bool any_ind = f->unit || f->has_baseline || f->has_target || f->nschedule;
    if ((f->indicator || any_ind) && !(f->indicator && f->has_target))
        return cli_usage(cli, "an indicator needs --indicator NAME and --target N");
    return 0;
}

/* Packs the fields given in f (and id if nonzero) as a body. */
static void
s_pack_fields(msgpack_sbuffer *body, const s_fields_t *f, uint64_t id)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk,
                     !!id + !!f->nrecs + !!f->title + !!f->description + !!f->indicator);
    if (id)
        nmirf_mp_pack_kv_uint(&pk, "id", id);
    if (f->nrecs) {
        nmirf_mp_pack_str(&pk, "recs");
        msgpack_pack_array(&pk, f->nrecs);
        for (size_t i = 0; i < f->nrecs; i++)
            nmirf_mp_pack_str(&pk, f->recs[i]);
    }
    if (f->title)
        nmirf_mp_pack_kv_str(&pk, "title", f->title);
    if (f->description)
        nmirf_mp_pack_kv_str(&pk, "description", f->description);
    if (f->indicator) {
        nmirf_mp_pack_str(&pk, "indicator");
        msgpack_pack_map(&pk, 2 + !!f->unit + f->has_baseline + !!f->nschedule);
        nmirf_mp_pack_kv_str(&pk, "name", f->indicator);
        if (f->unit)
            nmirf_mp_pack_kv_str(&pk, "unit", f->unit);
        if (f->has_baseline) {
            nmirf_mp_pack_str(&pk, "baseline");
            cli_pack_number(&pk, f->baseline);
        }
        nmirf_mp_pack_str(&pk, "target");
        cli_pack_number(&pk, f->target);
        if (f->nschedule) {
            nmirf_mp_pack_str(&pk, "schedule");
            cli_pack_points(&pk, f->schedule, f->nschedule);
        }
    }
}

/* measure add --rec ID... --title T [--description T] [indicator flags] */
static int
s_add(cli_t *cli, int argc, char **argv)
{
    static s_fields_t f; /* large: not on the stack */
    memset(&f, 0, sizeof f);
    int rc = s_read_fields(cli, argc, argv, &f);
    if (rc || (rc = cli_positional(cli, argc - optind, 0, 0, "no argument")))
        return rc;
    if (!f.nrecs)
        return cli_usage(cli, "--rec is required (repeat it for several)");
    if (!f.title)
        return cli_usage(cli, "--title is required");
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    s_pack_fields(&body, &f, 0);
    rc = cli_call_show(cli, "measure.add", &body, s_view_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* measure update ID [--rec ID]... [--title T] [--description T] [indicator
   flags] */
static int
s_update(cli_t *cli, int argc, char **argv)
{
    static s_fields_t f;
    memset(&f, 0, sizeof f);
    uint64_t id;
    int rc = s_read_fields(cli, argc, argv, &f);
    if (rc || (rc = cli_positional(cli, argc - optind, 1, 1, "the measure number ID")) ||
        (rc = cli_parse_uint(cli, "ID", argv[optind], &id)))
        return rc;
    if (id == 0)
        return cli_usage(cli, "ID: measures are numbered from 1");
    if (!f.nrecs && !f.title && !f.description && !f.indicator)
        return cli_usage(cli, "nothing to change: give --rec, --title, --description "
                              "or an indicator");
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    s_pack_fields(&body, &f, id);
    rc = cli_call_show(cli, "measure.update", &body, s_view_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* The measure.list table. */
static void
s_view_list(const msgpack_object *body)
{
    static const char *const headers[] = {"ID",     "RECS",     "TITLE",
                                          "TARGET", "PROGRESS", "AUTHOR"};
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
        printf("(%u of %llu shown)\n", ms->via.array.size, (unsigned long long)total);
}

/* measure list [--rec ID] [--limit N] */
static int
s_list(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"rec", required_argument, NULL, 'R'},
        {"limit", required_argument, NULL, 'n'},
        CLI_OPTS_END,
    };
    const char *rec = NULL;
    uint64_t limit = 0;
    bool has_limit = false;
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, ":hR:n:", opts)) != -1) {
        if (c == 'R') {
            if ((rc = cli_check_rec_id(cli, "--rec", optarg)))
                return rc;
            rec = optarg;
        } else if (c == 'n') {
            if ((rc = cli_parse_uint(cli, "--limit", optarg, &limit)))
                return rc;
            has_limit = true;
        } else
            return cli_opt_exit(cli, c);
    }
    if ((rc = cli_positional(cli, argc - optind, 0, 0, "no argument")))
        return rc;
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, !!rec + has_limit);
    if (rec)
        nmirf_mp_pack_kv_str(&pk, "rec", rec);
    if (has_limit)
        nmirf_mp_pack_kv_uint(&pk, "limit", limit);
    rc = cli_call_show(cli, "measure.list", &body, s_view_list);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* measure show ID */
static int
s_show(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTS_END};
    uint64_t id;
    int c, rc;
    while ((c = cli_getopt(cli, argc, argv, ":h", opts)) != -1)
        return cli_opt_exit(cli, c);
    if ((rc = cli_positional(cli, argc - optind, 1, 1, "the measure number ID")) ||
        (rc = cli_parse_uint(cli, "ID", argv[optind], &id)))
        return rc;
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "id", id);
    rc = cli_call_show(cli, "measure.show", &body, s_view_show);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

int
cli_cmd_measure(cli_t *cli, int argc, char **argv)
{
    static const cli_sub_t subs[] = {
        {"add", s_add},
        {"update", s_update},
        {"list", s_list},
        {"show", s_show},
    };
    return cli_dispatch(cli, "measure", subs, sizeof subs / sizeof subs[0], argc, argv);
}
