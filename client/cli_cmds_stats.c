/*  cli_cmds_stats - nmirf stats: tables, --json, --csv. report --html
    (cli_cmds_report.c) asks the same op through cli_call_stats.

    Both ask the broker's stats op (PROTOCOL.md section 6), which counts
    over its store in one pass; the command only lays the answer out.
*/
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_csv.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define STATS_TIMEOUT 60000 /* ms: a scan of a large store takes a while */

/* No vocabulary names a group's keys (entity ids, cycles, themes). */
#define S_WORD_NONE (-1)

/* What --by can show: the reply key, the first column's header, and the
   vocabulary its keys are values of. */
typedef struct {
    const char *name;   /* --by value */
    const char *key;    /* reply key */
    const char *header; /* first column, N_() (cli_table_new translates) */
    int word;           /* cli_word_t of the keys, or S_WORD_NONE */
} s_view_t;

static const s_view_t s_views[] = {
    {"status", "by_status", N_("STATUS"), CLI_WORD_STATUS},
    {"entity", "by_entity", N_("ENTITY"), S_WORD_NONE},
    {"contributor", "by_contributor", N_("CONTRIBUTOR"), S_WORD_NONE},
    {"mechanism", "by_mechanism", N_("MECHANISM"), CLI_WORD_MECHANISM},
    {"treaty", "by_treaty", N_("TREATY BODY"), CLI_WORD_MECHANISM},
    {"cycle", "by_cycle", N_("UPR CYCLE"), S_WORD_NONE},
    {"theme", "by_theme", N_("THEME"), S_WORD_NONE},
    {"sdg", "by_sdg", N_("SDG"), S_WORD_NONE},
    {"position", "by_position", N_("POSITION"), CLI_WORD_POSITION},
    {"month", "by_month", N_("MONTH"), S_WORD_NONE},
    {"overdue", "overdue", N_("REC"), S_WORD_NONE},
    {"due-soon", "due_soon", N_("REC"), S_WORD_NONE},
};

int
cli_call_stats(cli_t *cli, const cli_args_t *a, nmirf_reply_t **reply_p)
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    cli_args_pack(a, &pk, 0);
    /* A scan of a large store may take longer than a usual reply. */
    if (cli->timeout_ms < STATS_TIMEOUT)
        cli->timeout_ms = STATS_TIMEOUT;
    int rc = cli_call(cli, "stats", &body, reply_p);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

int
cli_recfilter_from_args(const cli_args_t *a, nmirf_recfilter_t *f)
{
    /* Read back from the body stats gets, by the broker's own reader: the
       annex and the counts cannot drift apart. */
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    cli_args_pack(a, &pk, 0);
    msgpack_zone *zone = msgpack_zone_new(1024);
    msgpack_object obj;
    char why[128];
    int rc = -1;
    if (zone && nmirf_mp_unpack((const uint8_t *)body.data, body.size, zone, &obj, NULL,
                                0) == NMIRF_OK)
        rc = nmirf_recfilter_read(f, &obj, why, sizeof why);
    if (zone)
        msgpack_zone_free(zone);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* --- CSV (RFC 4180) --------------------------------------------------- */

/* Writes one CSV field for a spreadsheet: quoted as RFC 4180 asks, and a
   value that would run as a formula (=, +, -, @ first: names and texts
   come from imported files) shown as text. */
static void
s_csv_field(const char *s, bool last)
{
    nmirf_csv_put(stdout, s, strlen(s), true);
    fputc(last ? '\n' : ',', stdout);
}

static void
s_csv_uint(uint64_t n, bool last)
{
    printf("%llu%c", (unsigned long long)n, last ? '\n' : ',');
}

/* --- tables ----------------------------------------------------------- */

/* Status names as column headers: in English the stored value in upper
   case (NOT_STARTED), in French and Arabic its name in the vocabulary
   (cli_word). */
static void
s_status_headers(char upper[NMIRF_STATUS_COUNT][96])
{
    for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++) {
        const char *name = nmirf_statuses.names[s];
        const char *w = cli_word(CLI_WORD_STATUS, name, upper[s], sizeof upper[s]);
        if (w != name) /* the vocabulary's, already in upper[s] */
            continue;
        size_t i = 0;
        for (; name[i] && i + 1 < sizeof upper[s]; i++)
            upper[s][i] = (char)toupper((unsigned char)name[i]);
        upper[s][i] = '\0';
    }
}

/* The text of a group's key as a reader reads it: the vocabulary's name
   when word says which (cli_word), else the key. A mechanism keeps its key
   first ("CERD — Comité pour ..."): two committees' names cut to fit the
   column would read the same. Caller frees. */
static char *
s_key_text(const msgpack_object *key, int word)
{
    char *name = cli_mp_text(key);
    if (!name || word == S_WORD_NONE)
        return name;
    char buf[256];
    const char *w = cli_word((cli_word_t)word, name, buf, sizeof buf);
    if (w == name)
        return name;
    char *text = NULL;
    if (word == CLI_WORD_MECHANISM) {
        if (asprintf(&text, "%s — %s", name, w) < 0)
            text = NULL;
    } else
        text = strdup(w);
    free(name);
    return text;
}

/* The sum of every uint in a {STATUS: n} map (statuses this client does
   not know included). */
static uint64_t
s_sum(const msgpack_object *counts)
{
    uint64_t total = 0;
    if (counts && counts->type == MSGPACK_OBJECT_MAP)
        for (uint32_t j = 0; j < counts->via.map.size; j++)
            if (counts->via.map.ptr[j].val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                total += counts->via.map.ptr[j].val.via.u64;
    return total;
}

/* One group ({KEY: {STATUS: n}}): a row per key (named as s_key_text
   reads it in word's vocabulary), a column per status, a total and a last
   row of sums; as CSV, the group's name in a first column, the keys as
   stored and no sums. */
static void
s_group_table(const char *first, const msgpack_object *counts, bool csv,
              const char *group, int word)
{
    if (csv) {
        if (counts && counts->type == MSGPACK_OBJECT_MAP)
            for (uint32_t i = 0; i < counts->via.map.size; i++) {
                const msgpack_object_kv *kv = &counts->via.map.ptr[i];
                char *name = cli_mp_text(&kv->key);
                s_csv_field(group, false);
                s_csv_field(name ? name : "", false);
                free(name);
                for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
                    s_csv_uint(cli_mp_uint(&kv->val, nmirf_statuses.names[s], 0), false);
                s_csv_uint(s_sum(&kv->val), true);
            }
        return;
    }
    const char *headers[NMIRF_STATUS_COUNT + 2] = {first};
    char upper[NMIRF_STATUS_COUNT][96];
    uint64_t sums[NMIRF_STATUS_COUNT + 1] = {0};
    s_status_headers(upper);
    for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
        headers[s + 1] = upper[s];
    headers[NMIRF_STATUS_COUNT + 1] = N_("TOTAL");
    cli_table_t *table = cli_table_new(headers, NMIRF_STATUS_COUNT + 2);
    if (!table)
        return;
    cli_table_limit(table, 0, 40, true);
    for (size_t c = 1; c < NMIRF_STATUS_COUNT + 2; c++)
        cli_table_right(table, c);
    if (counts && counts->type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < counts->via.map.size; i++) {
            const msgpack_object_kv *kv = &counts->via.map.ptr[i];
            char *name = s_key_text(&kv->key, word);
            cli_table_row(table);
            cli_table_cell(table, name);
            free(name);
            for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++) {
                uint64_t n = cli_mp_uint(&kv->val, nmirf_statuses.names[s], 0);
                sums[s] += n;
                cli_table_cellf(table, "%llu", (unsigned long long)n);
            }
            uint64_t total = s_sum(&kv->val);
            sums[NMIRF_STATUS_COUNT] += total;
            cli_table_cellf(table, "%llu", (unsigned long long)total);
        }
    cli_table_row(table);
    cli_table_cell(table, _("all"));
    for (size_t s = 0; s <= NMIRF_STATUS_COUNT; s++)
        cli_table_cellf(table, "%llu", (unsigned long long)sums[s]);
    cli_table_print(table);
    cli_table_destroy(&table);
}

/* Status counts and shares of the whole store. */
static void
s_status_table(const msgpack_object *body, bool csv)
{
    const msgpack_object *counts = nmirf_mp_get(body, "by_status");
    uint64_t total = cli_mp_uint(body, "total", 0);
    if (csv) {
        printf("status,count,share\n");
        for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++) {
            uint64_t n = cli_mp_uint(counts, nmirf_statuses.names[s], 0);
            printf("%s,%llu,%.4f\n", nmirf_statuses.names[s], (unsigned long long)n,
                   total ? (double)n / (double)total : 0.0);
        }
        return;
    }
    static const char *const headers[] = {N_("STATUS"), N_("COUNT"), N_("SHARE")};
    cli_table_t *table = cli_table_new(headers, 3);
    if (!table)
        return;
    cli_table_right(table, 1);
    cli_table_right(table, 2);
    for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++) {
        uint64_t n = cli_mp_uint(counts, nmirf_statuses.names[s], 0);
        char word[96];
        cli_table_row(table);
        cli_table_cell(
            table, cli_word(CLI_WORD_STATUS, nmirf_statuses.names[s], word, sizeof word));
        cli_table_cellf(table, "%llu", (unsigned long long)n);
        cli_table_cellf(table, "%.1f%%", total ? 100.0 * (double)n / (double)total : 0.0);
    }
    cli_table_row(table);
    cli_table_cell(table, _("all"));
    cli_table_cellf(table, "%llu", (unsigned long long)total);
    cli_table_cell(table, total ? "100.0%" : "0.0%");
    cli_table_print(table);
    cli_table_destroy(&table);
}

/* Progress by month: the count in each status at the month's end, and how
   many recommendations changed status during it. */
static void
s_month_table(const msgpack_object *months, bool csv)
{
    char upper[NMIRF_STATUS_COUNT][96];
    const char *headers[NMIRF_STATUS_COUNT + 2] = {N_("MONTH")};
    s_status_headers(upper);
    for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
        headers[s + 1] = upper[s];
    headers[NMIRF_STATUS_COUNT + 1] = N_("CHANGED");
    cli_table_t *table = NULL;
    if (csv) {
        printf("month");
        for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
            printf(",%s", nmirf_statuses.names[s]);
        for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
            printf(",reached_%s", nmirf_statuses.names[s]);
        printf("\n");
    } else if ((table = cli_table_new(headers, NMIRF_STATUS_COUNT + 2)) != NULL) {
        for (size_t c = 1; c < NMIRF_STATUS_COUNT + 2; c++)
            cli_table_right(table, c);
    } else
        return;
    if (months && months->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < months->via.array.size; i++) {
            const msgpack_object *m = &months->via.array.ptr[i],
                                 *at_end = nmirf_mp_get(m, "at_end"),
                                 *reached = nmirf_mp_get(m, "reached");
            char *label = cli_mp_field(m, "month");
            if (csv) {
                s_csv_field(label, false);
                for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
                    s_csv_uint(cli_mp_uint(at_end, nmirf_statuses.names[s], 0), false);
                for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
                    s_csv_uint(cli_mp_uint(reached, nmirf_statuses.names[s], 0),
                               s + 1 == NMIRF_STATUS_COUNT);
            } else {
                cli_table_row(table);
                cli_table_cell(table, label);
                for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
                    cli_table_cellf(table, "%llu",
                                    (unsigned long long)cli_mp_uint(
                                        at_end, nmirf_statuses.names[s], 0));
                cli_table_cellf(table, "%llu", (unsigned long long)s_sum(reached));
            }
            free(label);
        }
    if (table) {
        cli_table_print(table);
        cli_table_destroy(&table);
    }
}

/* The overdue or due-soon list. */
static void
s_due_table(const msgpack_object *items, bool late, bool csv)
{
    static const char *const late_h[] = {N_("REC"),       N_("LEAD"),   N_("DEADLINE"),
                                         N_("DAYS LATE"), N_("STATUS"), N_("TEXT")};
    static const char *const soon_h[] = {N_("REC"),       N_("LEAD"),   N_("DEADLINE"),
                                         N_("DAYS LEFT"), N_("STATUS"), N_("TEXT")};
    static const char *const keys[] = {"rec", "lead", "deadline", "days", "status"};
    cli_table_t *table = NULL;
    if (csv)
        printf("rec,lead,deadline,%s,status,mechanism,text\n",
               late ? "days_late" : "days_left");
    else if ((table = cli_table_new(late ? late_h : soon_h, 6)) != NULL) {
        cli_table_right(table, 3);
        cli_table_limit(table, 5, 60, true);
    } else
        return;
    if (items && items->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < items->via.array.size; i++) {
            const msgpack_object *it = &items->via.array.ptr[i];
            /* The CSV keeps the first of en, fr, ar; a table shows the
               reader's language. */
            const msgpack_object *texts = nmirf_mp_get(it, "text");
            const msgpack_object *text =
                csv ? cli_mp_any_lang(texts) : cli_lang_text(texts);
            char *t = text ? cli_mp_text(text) : NULL;
            if (table)
                cli_table_row(table);
            for (size_t k = 0; k < 5; k++) {
                if (table && strcmp(keys[k], "status") == 0) {
                    cli_cell_status(table, it, "status");
                    continue;
                }
                char *v = cli_mp_field(it, keys[k]);
                if (csv)
                    s_csv_field(v ? v : "", false);
                else
                    cli_table_cell(table, v);
                free(v);
            }
            if (csv) {
                char *mech = cli_mp_field(it, "mechanism");
                s_csv_field(mech ? mech : "", false);
                free(mech);
                s_csv_field(t ? t : "", true);
            } else
                cli_table_cell(table, t);
            free(t);
        }
    if (table) {
        cli_table_print(table);
        cli_table_destroy(&table);
    }
}

/* "WHAT: M (N shown)" under a list cut by the broker's limit; what is
   N_()-marked. */
static void
s_list_note(const msgpack_object *body, const char *key, const char *what)
{
    char total_key[32];
    snprintf(total_key, sizeof total_key, "%s_total", key);
    const msgpack_object *items = nmirf_mp_get(body, key);
    uint64_t total = cli_mp_uint(body, total_key, 0);
    size_t shown =
        items && items->type == MSGPACK_OBJECT_ARRAY ? items->via.array.size : 0;
    printf(_("%s: %llu"), cli_tr(what), (unsigned long long)total);
    if (shown < total)
        printf(_(" (%zu shown; --limit N for more)"), shown);
    printf("\n");
}

/* The default view: shares by status, the lead entity and mechanism
   tables, and the deadline counts. */
static void
s_summary(const msgpack_object *body)
{
    char today[16] = "", due[128] = "";
    nmirf_mp_strcpy(nmirf_mp_get(body, "today"), today, sizeof today);
    snprintf(due, sizeof due, _("due within %llu days"),
             (unsigned long long)cli_mp_uint(body, "due_soon_days", 0));
    s_status_table(body, false);
    fputc('\n', stdout);
    s_group_table(N_("ENTITY"), nmirf_mp_get(body, "by_entity"), false, NULL,
                  S_WORD_NONE);
    fputc('\n', stdout);
    s_group_table(N_("MECHANISM"), nmirf_mp_get(body, "by_mechanism"), false, NULL,
                  CLI_WORD_MECHANISM);
    fputc('\n', stdout);
    cli_kv_field("total", body, "total");
    cli_kv("today", today);
    printf(_("overdue: %llu, %s: %llu (nmirf stats --by overdue | --by due-soon)\n"),
           (unsigned long long)cli_mp_uint(body, "overdue_total", 0), due,
           (unsigned long long)cli_mp_uint(body, "due_soon_total", 0));
}

/* Every group as one CSV table: group,key,STATUS...,total. */
static void
s_summary_csv(const msgpack_object *body)
{
    printf("group,key");
    for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
        printf(",%s", nmirf_statuses.names[s]);
    printf(",total\n");
    s_csv_field("all", false);
    s_csv_field("all", false);
    const msgpack_object *by_status = nmirf_mp_get(body, "by_status");
    for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
        s_csv_uint(cli_mp_uint(by_status, nmirf_statuses.names[s], 0), false);
    s_csv_uint(cli_mp_uint(body, "total", 0), true);
    for (size_t v = 1; v < sizeof s_views / sizeof s_views[0]; v++)
        if (strncmp(s_views[v].key, "by_", 3) == 0 && strcmp(s_views[v].name, "month"))
            s_group_table(NULL, nmirf_mp_get(body, s_views[v].key), true, s_views[v].name,
                          S_WORD_NONE);
}

/* stats [--by VIEW] [--today DATE] [--due-soon DAYS] [--limit N] [--csv] */
static int
s_stats(cli_t *cli, const cli_args_t *a)
{
    const char *by = cli_arg_str(a, "by");
    const s_view_t *view = NULL;
    bool csv = cli_arg_has(a, "csv");
    int rc;

    for (size_t i = 0; by && i < sizeof s_views / sizeof s_views[0]; i++)
        if (strcmp(by, s_views[i].name) == 0)
            view = &s_views[i];
    if (csv && cli->json)
        return cli_usage(cli, "--csv and --json: choose one");

    nmirf_reply_t *reply;
    if ((rc = cli_call_stats(cli, a, &reply)))
        return rc;
    const msgpack_object *body = &reply->body;
    const msgpack_object *part = view ? nmirf_mp_get(body, view->key) : body;
    if (cli->json)
        rc = part ? cli_print_json(part, false) : CLI_EXIT_OK;
    else if (!view)
        csv ? s_summary_csv(body) : s_summary(body);
    else if (strcmp(view->name, "status") == 0)
        s_status_table(body, csv);
    else if (strcmp(view->name, "month") == 0)
        s_month_table(part, csv);
    else if (strcmp(view->key, "overdue") == 0 || strcmp(view->key, "due_soon") == 0) {
        bool late = strcmp(view->key, "overdue") == 0;
        s_due_table(part, late, csv);
        if (!csv)
            s_list_note(body, view->key, late ? N_("overdue") : N_("due soon"));
    } else if (csv) {
        printf("%s", view->name);
        for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
            printf(",%s", nmirf_statuses.names[s]);
        printf(",total\n");
        const msgpack_object *counts = part;
        if (counts && counts->type == MSGPACK_OBJECT_MAP)
            for (uint32_t i = 0; i < counts->via.map.size; i++) {
                char *name = cli_mp_text(&counts->via.map.ptr[i].key);
                s_csv_field(name ? name : "", false);
                free(name);
                for (size_t s = 0; s < NMIRF_STATUS_COUNT; s++)
                    s_csv_uint(cli_mp_uint(&counts->via.map.ptr[i].val,
                                           nmirf_statuses.names[s], 0),
                               false);
                s_csv_uint(s_sum(&counts->via.map.ptr[i].val), true);
            }
    } else
        s_group_table(view->header, part, false, NULL, view->word);
    nmirf_reply_destroy(&reply);
    return rc;
}

/* The values of --by, in the order of s_views (cli_check_enum's set). */
static const nmirf_valueset_t s_view_names =
    CLI_SET("view", "status", "entity", "contributor", "mechanism", "treaty", "cycle",
            "theme", "sdg", "position", "month", "overdue", "due-soon");

static const cli_opt_spec_t s_stats_opts[] = {
    {CLI_OPT("by", 'B', "VIEW", CLI_ENUM, NULL,
             "one view:\n"
             "  status       counts and shares\n"
             "  entity       by lead entity\n"
             "  contributor  by contributing entity\n"
             "  mechanism    UPR, treaty bodies, SP\n"
             "  treaty       treaty bodies only\n"
             "  cycle        UPR recommendations by cycle\n"
             "  theme, sdg   by theme, by SDG target (a\n"
             "               recommendation counts under each of\n"
             "               its own; none under -)\n"
             "  position     by the State's position (supported,\n"
             "               noted, pending, not_applicable)\n"
             "  month        at each month's end, how many stood\n"
             "               in each status; CHANGED: how many\n"
             "               changed status that month\n"
             "  overdue      past their deadline, not implemented\n"
             "  due-soon     deadline within --due-soon days"),
     .set = &s_view_names, .flags = CLI_SET_IN_HELP},
    CLI_STATS_QUERY_OPTS,
    /* s_stats refuses the two together. */
    {CLI_JSON("the broker's answer as JSON (with --by, that part)"), .alt = "csv"},
    {CLI_OPT("csv", 'C', NULL, CLI_FLAG, NULL,
             "CSV (RFC 4180) instead of tables; without --by one\n"
             "table: group,key,STATUS...,total")},
    {0},
};

const cli_cmd_spec_t cli_stats_cmds[] = {
    {CLI_CMD("stats", "stats", s_stats), .opts = s_stats_opts},
    {0},
};
