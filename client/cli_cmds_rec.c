/*  cli_cmds_rec - recommendations: rec import, list, show, assign.

    import turns a JSON file into rec.import requests. The broker takes at
    most 1 MiB of envelope and 5,000 recommendations per request, so the
    file is cut into chunks well under both limits (headroom for the
    envelope's own fields); each chunk is all or nothing on the broker,
    and the first refusal stops the import, saying how far it got.
*/
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "nmirf_json.h"
#include "nmirf_mp.h"

#define IMPORT_CHUNK_BYTES (512 * 1024) /* packed recs per request */
#define IMPORT_CHUNK_RECS 5000          /* the protocol's import limit */
#define SHORT_MAX 512                   /* a short string's limit */
#define TEXT_MAX (32 * 1024)            /* a text's limit */

/* Import totals over all requests. */
typedef struct {
    uint64_t added;     /* new recommendations */
    uint64_t updated;   /* changed ones */
    uint64_t unchanged; /* identical ones */
    size_t requests;    /* requests the broker accepted */
    size_t sent;        /* recommendations in them */
} import_totals_t;

/* Sends one chunk of packed recommendations as a rec.import request. */
static int
s_import_chunk(cli_t *cli, const msgpack_sbuffer *recs, size_t count,
               import_totals_t *totals, size_t total)
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, "recs");
    msgpack_pack_array(&pk, count);
    /* The chunk is already msgpack: append its bytes as the array items. */
    msgpack_sbuffer_write(&body, recs->data, recs->size);

    nmirf_reply_t *reply;
    int rc = cli_call(cli, "rec.import", &body, &reply);
    msgpack_sbuffer_destroy(&body);
    if (rc) {
        if (totals->requests > 0 || total > count)
            fprintf(stderr,
                    "nmirf: %s: stopped at recommendations %zu to %zu of %zu; the %zu "
                    "before them were imported (%llu added, %llu updated, "
                    "%llu unchanged)\n",
                    cli->cmd, totals->sent + 1, totals->sent + count, total, totals->sent,
                    (unsigned long long)totals->added,
                    (unsigned long long)totals->updated,
                    (unsigned long long)totals->unchanged);
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

/* The array of recommendations in a loaded import file, or NULL. */
static json_t *
s_import_list(json_t *root)
{
    if (json_is_array(root))
        return root;
    if (!json_is_object(root))
        return NULL;
    json_t *list = json_object_get(root, "recommendations");
    if (!list)
        list = json_object_get(root, "recs");
    return json_is_array(list) ? list : NULL;
}

/* rec import FILE.json */
static int
s_import(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTS_END};
    json_error_t err;
    int c, rc;

    if ((c = cli_getopt(cli, argc, argv, ":h", opts)) != -1)
        return cli_opt_exit(cli, c);
    if ((rc = cli_positional(cli, argc - optind, 1, 1, "FILE.json")))
        return rc;
    const char *path = argv[optind];

    /* A file that cannot be read or parsed is bad local input (exit 2),
       like a bad flag: the user fixes the file and runs again. */
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return cli_usage(cli, "%s:%d:%d: %s", path, err.line, err.column, err.text);
    json_t *list = s_import_list(root);
    if (!list) {
        json_decref(root);
        return cli_usage(cli,
                         "%s: expected an array of recommendations, or an object "
                         "with one under \"recommendations\"",
                         path);
    }
    size_t total = json_array_size(list);
    for (size_t i = 0; i < total; i++) {
        json_t *rec = json_array_get(list, i);
        if (!json_is_object(rec)) {
            json_decref(root);
            return cli_usage(cli, "%s: recommendation %zu is not a JSON object", path,
                             i + 1);
        }
        /* Snapshots carry the broker's own time stamp; imports may not. */
        json_object_del(rec, "updated");
    }

    import_totals_t totals = {0};
    msgpack_sbuffer chunk, one;
    msgpack_packer pk;
    msgpack_sbuffer_init(&chunk);
    msgpack_sbuffer_init(&one);
    msgpack_packer_init(&pk, &one, msgpack_sbuffer_write);
    size_t count = 0;
    rc = 0;
    for (size_t i = 0; i < total && rc == 0; i++) {
        msgpack_sbuffer_clear(&one);
        nmirf_json_to_mp(json_array_get(list, i), &pk);
        if (count > 0 &&
            (chunk.size + one.size > IMPORT_CHUNK_BYTES || count == IMPORT_CHUNK_RECS)) {
            rc = s_import_chunk(cli, &chunk, count, &totals, total);
            msgpack_sbuffer_clear(&chunk);
            count = 0;
        }
        msgpack_sbuffer_write(&chunk, one.data, one.size);
        count++;
    }
    if (rc == 0 && count > 0)
        rc = s_import_chunk(cli, &chunk, count, &totals, total);
    msgpack_sbuffer_destroy(&chunk);
    msgpack_sbuffer_destroy(&one);
    json_decref(root);
    if (rc)
        return rc;

    if (cli->json) {
        json_t *out = json_pack("{s:I, s:I, s:I, s:I}", "added", (json_int_t)totals.added,
                                "updated", (json_int_t)totals.updated, "unchanged",
                                (json_int_t)totals.unchanged, "requests",
                                (json_int_t)totals.requests);
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    } else {
        printf("imported %zu recommendations from %s: %llu added, %llu updated, "
               "%llu unchanged\n",
               total, path, (unsigned long long)totals.added,
               (unsigned long long)totals.updated, (unsigned long long)totals.unchanged);
    }
    return CLI_EXIT_OK;
}

/* rec list: a row per summary, and a note when the limit cut the list. */
static void
s_view_list(const msgpack_object *body)
{
    static const char *const headers[] = {"ID",   "MECH",     "SYMBOL", "PARA",
                                          "LEAD", "DEADLINE", "STATUS", "TEXT"};
    const msgpack_object *recs = nmirf_mp_get(body, "recs");
    cli_table_t *table = cli_table_new(headers, 8);
    if (!table)
        return;
    cli_table_limit(table, 0, 32, false);
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
            cli_table_cell_field(table, r, "status");
            cli_table_cell_field(table, r, "text");
            shown++;
        }
    cli_table_print(table);
    cli_table_destroy(&table);
    uint64_t total = cli_mp_uint(body, "total", shown);
    if (total > shown)
        printf("(%zu of %llu shown; use --limit or a filter)\n", shown,
               (unsigned long long)total);
}

/* rec list [--mechanism M] [--entity ID] [--status S] [--text T] [--limit N] */
static int
s_list(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"mechanism", required_argument, NULL, 'm'},
        {"entity", required_argument, NULL, 'E'},
        {"status", required_argument, NULL, 's'},
        {"text", required_argument, NULL, 'T'},
        {"limit", required_argument, NULL, 'n'},
        CLI_OPTS_END,
    };
    const char *mechanism = NULL, *entity = NULL, *status = NULL, *text = NULL;
    uint64_t limit = 0;
    bool has_limit = false;
    int c, rc;

    while ((c = cli_getopt(cli, argc, argv, ":hm:E:s:T:n:", opts)) != -1) {
        switch (c) {
        case 'm':
            if ((rc = cli_check_enum(cli, "--mechanism", optarg, cli_mechanisms)))
                return rc;
            mechanism = optarg;
            break;
        case 'E':
            if ((rc = cli_check_entity_id(cli, "--entity", optarg)))
                return rc;
            entity = optarg;
            break;
        case 's':
            if ((rc = cli_check_enum(cli, "--status", optarg, cli_statuses)))
                return rc;
            status = optarg;
            break;
        case 'T':
            if ((rc = cli_check_text(cli, "--text", optarg, SHORT_MAX)))
                return rc;
            text = optarg;
            break;
        case 'n':
            if ((rc = cli_parse_uint(cli, "--limit", optarg, &limit)))
                return rc;
            has_limit = true;
            break;
        default:
            return cli_opt_exit(cli, c);
        }
    }
    if ((rc = cli_positional(cli, argc - optind, 0, 0, "no argument")))
        return rc;

    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, !!mechanism + !!entity + !!status + !!text + has_limit);
    if (mechanism)
        nmirf_mp_pack_kv_str(&pk, "mechanism", mechanism);
    if (entity)
        nmirf_mp_pack_kv_str(&pk, "entity", entity);
    if (status)
        nmirf_mp_pack_kv_str(&pk, "status", status);
    if (text)
        nmirf_mp_pack_kv_str(&pk, "text", text);
    if (has_limit)
        nmirf_mp_pack_kv_uint(&pk, "limit", limit);
    rc = cli_call_show(cli, "rec.list", &body, s_view_list);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* The texts of a recommendation in every language it has. */
static void
s_view_texts(const char *what, const msgpack_object *texts)
{
    static const char *const langs[] = {"fr", "ar", "en"};
    for (size_t i = 0; i < 3; i++) {
        char label[32];
        snprintf(label, sizeof label, "%s (%s)", what, langs[i]);
        cli_kv_field(label, texts, langs[i]);
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
    cli_kv_field("date", rec, "date");
    cli_kv_field("states", rec, "states");
    cli_kv_field("themes", rec, "themes");
    cli_kv_field("persons", rec, "persons");
    cli_kv_field("sdgs", rec, "sdgs");
    cli_kv_field("response", rec, "response");
    cli_kv_field("response text", rec, "response_text");
    cli_kv_field("status", body, "status");
    cli_kv("updated", cli_time_text(cli_mp_uint(rec, "updated", 0), true, when));
    s_view_texts("text", nmirf_mp_get(rec, "text"));

    printf("\nassignment\n");
    if (assignment && assignment->type == MSGPACK_OBJECT_MAP) {
        cli_kv_field("  lead", assignment, "lead");
        cli_kv_field("  contributors", assignment, "contributors");
        cli_kv_field("  deadline", assignment, "deadline");
        cli_kv_field("  note", assignment, "note");
        cli_kv("  assigned",
               cli_time_text(cli_mp_uint(assignment, "assigned", 0), true, when));
    } else {
        printf("  (not assigned)\n");
    }

    printf("\nreports\n");
    if (reports && reports->type == MSGPACK_OBJECT_ARRAY && reports->via.array.size > 0)
        cli_print_reports(reports);
    else
        printf("  (none)\n");
}

/* rec show ID */
static int
s_show(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTS_END};
    int c, rc;
    if ((c = cli_getopt(cli, argc, argv, ":h", opts)) != -1)
        return cli_opt_exit(cli, c);
    if ((rc = cli_positional(cli, argc - optind, 1, 1, "ID")))
        return rc;
    const char *id = argv[optind];
    if ((rc = cli_check_rec_id(cli, "ID", id)))
        return rc;

    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "id", id);
    rc = cli_call_show(cli, "rec.show", &body, s_view_show);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* The view of a reply body {assignment}. */
static void
s_view_assignment_body(const msgpack_object *body)
{
    cli_view_assignment(nmirf_mp_get(body, "assignment"));
}

#define MAX_CONTRIBUTORS 256 /* a list's limit */

/* rec assign ID --lead ID [--contributor ID]... [--deadline DATE] [--note T] */
static int
s_assign(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"lead", required_argument, NULL, 'l'},
        {"contributor", required_argument, NULL, 'c'},
        {"deadline", required_argument, NULL, 'D'},
        {"note", required_argument, NULL, 'N'},
        CLI_OPTS_END,
    };
    const char *lead = NULL, *deadline = NULL, *note = NULL;
    const char *contributors[MAX_CONTRIBUTORS];
    size_t ncontrib = 0;
    int c, rc;

    while ((c = cli_getopt(cli, argc, argv, ":hl:c:D:N:", opts)) != -1) {
        switch (c) {
        case 'l':
            if ((rc = cli_check_entity_id(cli, "--lead", optarg)))
                return rc;
            lead = optarg;
            break;
        case 'c':
            if ((rc = cli_check_entity_id(cli, "--contributor", optarg)))
                return rc;
            if (ncontrib == MAX_CONTRIBUTORS)
                return cli_usage(cli, "--contributor: more than %d", MAX_CONTRIBUTORS);
            contributors[ncontrib++] = optarg;
            break;
        case 'D':
            if ((rc = cli_check_date(cli, "--deadline", optarg)))
                return rc;
            deadline = optarg;
            break;
        case 'N':
            if ((rc = cli_check_text(cli, "--note", optarg, TEXT_MAX)))
                return rc;
            note = optarg;
            break;
        default:
            return cli_opt_exit(cli, c);
        }
    }
    if ((rc = cli_positional(cli, argc - optind, 1, 1, "ID")))
        return rc;
    const char *id = argv[optind];
    if ((rc = cli_check_rec_id(cli, "ID", id)))
        return rc;
    if (!lead)
        return cli_usage(cli, "--lead is required");

    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2 + (ncontrib > 0) + !!deadline + !!note);
    nmirf_mp_pack_kv_str(&pk, "rec", id);
    nmirf_mp_pack_kv_str(&pk, "lead", lead);
    if (ncontrib > 0) {
        nmirf_mp_pack_str(&pk, "contributors");
        msgpack_pack_array(&pk, ncontrib);
        for (size_t i = 0; i < ncontrib; i++)
            nmirf_mp_pack_str(&pk, contributors[i]);
    }
    if (deadline)
        nmirf_mp_pack_kv_str(&pk, "deadline", deadline);
    if (note)
        nmirf_mp_pack_kv_str(&pk, "note", note);
    rc = cli_call_show(cli, "rec.assign", &body, s_view_assignment_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

int
cli_cmd_rec(cli_t *cli, int argc, char **argv)
{
    static const cli_sub_t subs[] = {
        {"import", s_import},
        {"list", s_list},
        {"show", s_show},
        {"assign", s_assign},
    };
    return cli_dispatch(cli, "rec", subs, sizeof subs / sizeof subs[0], argc, argv);
}
