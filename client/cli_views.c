/*  cli_views - how the records of PROTOCOL.md section 6 read on a
    terminal: one label/value line per field for a single record, a table
    for a list. Several commands answer with the same record (enroll, show
    and revoke all answer an entity), so the views live here once.

    Fields are read by name and unknown ones are skipped, as the protocol
    asks of clients; a missing field prints nothing.
*/
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_mp.h"

/* A 32-byte bin as Z85, the form key files and CurveZMQ use. */
static void
s_kv_z85(const char *label, const msgpack_object *bin)
{
    char z85[41];
    if (!bin || bin->type != MSGPACK_OBJECT_BIN || bin->via.bin.size != 32)
        return;
    if (zmq_z85_encode(z85, (const uint8_t *)bin->via.bin.ptr, 32))
        cli_kv(label, z85);
}

/* A label/value line of a ms timestamp field, in UTC. */
static void
s_kv_time(const char *label, const msgpack_object *obj, const char *key)
{
    char buf[32];
    cli_kv(label, cli_time_text(cli_mp_uint(obj, key, 0), true, buf));
}

void
cli_view_entity(const msgpack_object *entity)
{
    const msgpack_object *names = nmirf_mp_get(entity, "names");
    cli_kv_field("id", entity, "id");
    cli_kv_word(N_("role"), CLI_WORD_ROLE, entity, "role");
    cli_kv_word(N_("state"), CLI_WORD_ENTITY_STATE, entity, "state");
    cli_kv_field("name (fr)", names, "fr");
    cli_kv_field("name (ar)", names, "ar");
    cli_kv_field("name (en)", names, "en");
    cli_kv_field("contact", entity, "contact");
    cli_kv_field("sign key", entity, "sign_key");
    s_kv_z85(N_("curve key"), nmirf_mp_get(entity, "curve_key"));
    s_kv_time(N_("enrolled"), entity, "enrolled");
}

void
cli_view_withdrawal(const msgpack_object *withdrawn)
{
    if (!withdrawn || withdrawn->type != MSGPACK_OBJECT_MAP)
        return;
    s_kv_time(N_("withdrawn"), withdrawn, "at");
    cli_kv_field("merged into", withdrawn, "into");
    cli_kv_field("reason", withdrawn, "reason");
}

void
cli_view_assignment(const msgpack_object *assignment)
{
    cli_kv_field("rec", assignment, "rec");
    cli_kv_field("lead", assignment, "lead");
    cli_kv_field("contributors", assignment, "contributors");
    cli_kv_field("deadline", assignment, "deadline");
    cli_kv_field("note", assignment, "note");
    s_kv_time(N_("assigned"), assignment, "assigned");
}

void
cli_view_report(const msgpack_object *report)
{
    cli_kv_field("report", report, "id");
    cli_kv_field("rec", report, "rec");
    cli_kv_field("entity", report, "entity");
    cli_kv_field("by", report, "by");
    cli_kv_word(N_("status"), CLI_WORD_STATUS, report, "status");
    cli_kv_word(N_("state"), CLI_WORD_REPORT_STATE, report, "state");
    cli_kv_field("date", report, "date");
    cli_kv_field("narrative", report, "narrative");
    cli_kv_field("measure", report, "measure");
    cli_kv_field("values", report, "indicator_values");
    const msgpack_object *evidence = nmirf_mp_get(report, "evidence");
    if (evidence && evidence->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < evidence->via.array.size; i++) {
            char *url = cli_mp_text(&evidence->via.array.ptr[i]);
            cli_kv(i == 0 ? N_("evidence") : NULL, url);
            free(url);
        }
    cli_kv_field("reason", report, "reason");
    s_kv_time(N_("submitted"), report, "submitted");
    s_kv_time(N_("decided"), report, "decided");
}

/* True if a report of the list names who wrote it. */
static bool
s_any_by(const msgpack_object *reports)
{
    if (!reports || reports->type != MSGPACK_OBJECT_ARRAY)
        return false;
    for (uint32_t i = 0; i < reports->via.array.size; i++)
        if (nmirf_mp_get(&reports->via.array.ptr[i], "by"))
            return true;
    return false;
}

void
cli_print_reports(const msgpack_object *reports)
{
    /* BY only when a report has one: a list of reports without it prints
       as it did before reports named who wrote them. */
    static const char *const headers[] = {N_("ID"),    N_("REC"),      N_("ENTITY"),
                                          N_("BY"),    N_("DATE"),     N_("STATUS"),
                                          N_("STATE"), N_("NARRATIVE")};
    static const char *const headers_no_by[] = {
        N_("ID"),     N_("REC"),   N_("ENTITY"),   N_("DATE"),
        N_("STATUS"), N_("STATE"), N_("NARRATIVE")};
    bool by = s_any_by(reports);
    size_t ncols = by ? 8 : 7;
    cli_table_t *table = cli_table_new(by ? headers : headers_no_by, ncols);
    if (!table)
        return;
    if (by)
        cli_table_limit(table, 3, 24, false);
    cli_table_limit(table, ncols - 1, 50, true);
    cli_table_right(table, 0);
    if (reports && reports->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < reports->via.array.size; i++) {
            const msgpack_object *r = &reports->via.array.ptr[i];
            cli_table_row(table);
            cli_table_cell_field(table, r, "id");
            cli_table_cell_field(table, r, "rec");
            cli_table_cell_field(table, r, "entity");
            if (by)
                cli_table_cell_field(table, r, "by");
            cli_table_cell_field(table, r, "date");
            cli_cell_status(table, r, "status");
            cli_cell_report_state(table, r, "state");
            cli_table_cell_field(table, r, "narrative");
        }
    cli_table_print(table);
    cli_table_destroy(&table);
}

int
cli_print_reply(cli_t *cli, const nmirf_reply_t *reply,
                void (*view)(const msgpack_object *body))
{
    if (cli->json)
        return cli_print_json(&reply->body, false);
    view(&reply->body);
    return CLI_EXIT_OK;
}
