/*  report_by_test - report.submit's `by` (who at the ministry wrote the
    report) against a real nmirfd: stored in the report after `entity`
    only when given, so a report without it has exactly the keys it had
    before; carried in the report.submitted event's data and kept by a
    return; shown by report.list and rec.show; every bad `by` (empty,
    over 128 bytes, a control character, not a string) refused with its
    code, changing nothing; and the log with such reports verifies
    offline (nmirf audit verify).
*/
#include "harness.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static h_broker_t *b;
static h_entity_t *coord, *mj, *mi;

/* Who wrote the report: Latin and Arabic, 61 bytes. */
#define BY "Fatima Zahra El Idrissi / فاطمة الزهراء"

/* Fails unless the map obj's keys are exactly keys (NULL-terminated), in
   that order. */
static void
keys_are(const msgpack_object *obj, const char *const *keys)
{
    H_ASSERT(obj && obj->type == MSGPACK_OBJECT_MAP);
    uint32_t i = 0;
    for (; keys[i]; i++) {
        H_ASSERTF(i < obj->via.map.size, "%u keys, key '%s' missing", obj->via.map.size,
                  keys[i]);
        H_ASSERTF(nmirf_mp_str_is(&obj->via.map.ptr[i].key, keys[i]),
                  "key %u is not '%s'", i, keys[i]);
    }
    H_ASSERTF(i == obj->via.map.size, "%u keys, expected %u", obj->via.map.size, i);
}

/* Submits a report as MJ on R1 whose `by` is the JSON text by_json
   (quoted, or a JSON value) and fails unless it is refused with code and
   a message naming `by`, the broker's sequence unchanged. */
static void
refused(const char *by_json, const char *code)
{
    uint64_t seq = h_seq(b);
    nmirf_reply_t *r = H_CALL_EXPECT(code, mj, "report.submit",
                                     "{'rec': 'R1', 'status': 'in_progress', "
                                     "'narrative': 'n', 'by': %s}",
                                     by_json);
    H_ASSERTF(strstr(r->message, "'by'"), "by %s: the message does not name by: %s",
              by_json, r->message);
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(b) == seq);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 55);
    b = h_broker_start(NULL);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    mi = h_enroll(b, "MI", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'R1', 'mechanism': 'UPR', 'text': {'en': 'one'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'R1', 'lead': 'MJ', 'contributors': ['MI']}");

    /* Without by: the record's keys as before by existed; nil is absent. */
    static const char *const plain[] = {"id",        "rec",      "entity", "status",
                                        "narrative", "evidence", "date",   "state",
                                        "submitted", NULL};
    nmirf_reply_t *r = H_CALL_EXPECT(
        "ok", mi, "report.submit",
        "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'no name', 'by': null}");
    keys_are(h_get(&r->body, "report"), plain);
    uint64_t plain_id = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    h_note("a report without by has the keys it always had");

    /* With by: stored after entity, in the reply and the event. */
    static const char *const with_by[] = {"id",     "rec",       "entity",   "by",
                                          "status", "narrative", "evidence", "date",
                                          "state",  "submitted", NULL};
    uint64_t seq = h_seq(b);
    r = H_CALL_EXPECT("ok", mj, "report.submit",
                      "{'rec': 'R1', 'status': 'partially_implemented', "
                      "'narrative': 'Circulaire diffusée', 'by': '" BY "'}");
    H_ASSERT(r->seq == seq + 1);
    keys_are(h_get(&r->body, "report"), with_by);
    H_ASSERT(h_is(&r->body, "report.by", BY) && h_is(&r->body, "report.entity", "MJ"));
    uint64_t id = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);

    nmirf_event_t **evs;
    size_t n = h_events(coord, seq, &evs);
    H_ASSERT(n == 1 && strcmp(evs[0]->kind, "report.submitted") == 0);
    H_ASSERT(strcmp(evs[0]->author, "MJ") == 0);
    keys_are(&evs[0]->data, with_by);
    H_ASSERT(h_is(&evs[0]->data, "by", BY));
    h_events_free(&evs, n);
    h_note("by stored after entity, in the reply and the report.submitted event");

    /* The reads show it; the report without by still has none. */
    r = H_CALL_EXPECT("ok", coord, "report.list", "{'rec': 'R1'}");
    const msgpack_object *rep = h_find_u(&r->body, "reports", "id", id);
    H_ASSERT(rep && h_is(rep, "by", BY));
    rep = h_find_u(&r->body, "reports", "id", plain_id);
    H_ASSERT(rep && !h_get(rep, "by"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", mi, "rec.show", "{'id': 'R1'}");
    rep = h_find_u(&r->body, "reports", "id", id);
    H_ASSERT(rep && h_is(rep, "by", BY));
    nmirf_reply_destroy(&r);
    h_note("report.list and rec.show show by");

    /* A decision keeps it: the return's record and event still say who
       wrote the report. */
    seq = h_seq(b);
    r = H_CALL_EXPECT("ok", coord, "report.return",
                      "{'report': %llu, 'reason': 'Préciser'}", (unsigned long long)id);
    H_ASSERT(h_is(&r->body, "report.by", BY) &&
             h_is(&r->body, "report.state", "returned"));
    nmirf_reply_destroy(&r);
    n = h_events(coord, seq, &evs);
    H_ASSERT(n == 1 && strcmp(evs[0]->kind, "report.returned") == 0);
    H_ASSERT(h_is(&evs[0]->data, "by", BY));
    h_events_free(&evs, n);
    h_note("a returned report keeps by");

    /* The limit: 128 bytes (64 Arabic letters of 2 bytes) pass, 129 do
       not. */
    char at[160] = "", over[192] = "";
    for (int i = 0; i < 64; i++)
        strcat(at, "ب");
    snprintf(over, sizeof over, "%sx", at);
    H_ASSERT(strlen(at) == 128 && strlen(over) == 129);
    r = H_CALL_EXPECT(
        "ok", mj, "report.submit",
        "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'n', 'by': '%s'}", at);
    H_ASSERT(h_is(&r->body, "report.by", at));
    nmirf_reply_destroy(&r);
    char quoted[256];
    snprintf(quoted, sizeof quoted, "'%s'", over);
    refused(quoted, "too_large");
    refused("''", "bad_request");
    refused("'two\\nlines'", "bad_request");
    refused("'tab\\there'", "bad_request");
    refused("'esc \\u001b[31m'", "bad_request");
    refused("'del \\u007f'", "bad_request");
    refused("'csi \\u009b'", "bad_request"); /* C1: c2 9b */
    refused("42", "bad_request");
    refused("['a']", "bad_request");
    /* U+00A0 (c2 a0) is no control character. */
    H_CALL_CHECK("ok", mj, "report.submit",
                 "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'n', "
                 "'by': 'Amina\\u00a0B.'}");
    h_note("by: 128 bytes pass; 129, empty, control characters, not a string refused");

    /* The audit: the log with these reports verifies offline, as an
       export and as the data directory, through the library and, when it
       is built beside the broker, the command line. */
    uint64_t last = h_seq(b);
    h_broker_stop(b);
    char keypath[PATH_MAX + 32], path[PATH_MAX + 32], why[256];
    snprintf(keypath, sizeof keypath, "%s/keys/NMIRFD.pub", b->dir);
    snprintf(path, sizeof path, "%s/audit.nmirf", b->dir);
    nmirf_key_t broker;
    H_ASSERTF(nmirf_key_load(&broker, keypath, why, sizeof why) == 0, "%s", why);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_export(b->dir, path, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "export: %s", sum.why);
    H_ASSERTF(nmirf_audit_verify_file(path, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify: %s", sum.why);
    H_ASSERT(sum.events == last && sum.last_checkpoint == last);
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify the data directory: %s", sum.why);
    nmirf_key_wipe(&broker);
    char nmirf[PATH_MAX + 32], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", argv[1]);
    snprintf(nmirf, sizeof nmirf, "%s/../client/nmirf", dirname(dir));
    if (access(nmirf, X_OK) == 0) {
        char *out = NULL;
        int st = h_sh(&out, "'%s' audit verify '%s' -S '%s' 2>&1", nmirf, path, keypath);
        H_ASSERTF(st == 0, "nmirf audit verify: %d\n%s", st, out ? out : "");
        free(out);
        h_note("the log verifies: export and data directory, library and nmirf");
    } else
        h_note("the log verifies (nmirf not found beside nmirfd: command line not run)");

    h_broker_destroy(&b);
    printf("report_by_test: all passed\n");
    return 0;
}
