/*  storage_test - a full LMDB map is a `storage` refusal and a log line,
    not a crash and not corruption (DESIGN.md guarantee 7): fill a broker
    started with a 1 MiB map until it refuses, check that nothing of the
    refused write stayed and that it still answers, then restart it with a
    bigger map and find every acknowledged write and room for more.

    Then full to the last page: smaller and smaller writes until even a
    short one is refused; every kind of write is refused `storage` while
    every read (ping, rec.list, rec.show, report.list, entity.list,
    events.since, snapshot, stats) is still served, the audit verifier
    passes on the data directory beside the running broker, and the
    snapshot equals a replay of the log (torture_check.h); after a restart
    with a bigger map the writes go on and all of that still holds.
*/
#include "torture_check.h"

#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"

#define TEXT_LEN 20000 /* one recommendation's text, under the 32 KiB limit */
#define PER_IMPORT 3   /* recommendations per import: all or none stay */
#define FILL_MAX 200   /* imports tried before giving up on filling the map */

static const char *const small_map[] = {"--map-size", "1", NULL};
static const char *const big_map[] = {"--map-size", "64", NULL};

/* Imports recommendations FILL/n/0 .. FILL/n/PER_IMPORT-1, each with
   text, as e. */
static nmirf_reply_t *
import_some(h_entity_t *e, int n, const char *text)
{
    return h_call(
        e, "rec.import",
        "{'recs': [{'id': 'FILL/%d/0', 'mechanism': 'UPR', 'text': {'en': '%s'}},"
        "{'id': 'FILL/%d/1', 'mechanism': 'UPR', 'text': {'en': '%s'}},"
        "{'id': 'FILL/%d/2', 'mechanism': 'UPR', 'text': {'en': '%s'}}]}",
        n, text, n, text, n, text);
}

/* True if the broker's log mentions s. */
static bool
log_mentions(const h_broker_t *b, const char *s)
{
    size_t len;
    char *text = nmirf_read_file(b->log_path, &len);
    bool found = text && strstr(text, s);
    free(text);
    return found;
}

/* Fails unless the broker holds exactly `recs` recommendations and a
   gap-free, chained log of `seq` events. */
static void
check_whole(h_broker_t *b, int recs, uint64_t seq)
{
    H_ASSERT(h_seq(b) == seq);
    nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(b), "rec.list", "{'limit': 1}");
    H_ASSERTF(h_u(&r->body, "total") == (uint64_t)recs,
              "%llu recommendations, expected %d",
              (unsigned long long)h_u(&r->body, "total"), recs);
    nmirf_reply_destroy(&r);
    nmirf_event_t **evs;
    size_t n = h_events(h_coord(b), 0, &evs);
    H_ASSERT(n == seq);
    H_CHECK_CHAIN(evs, n, NULL);
    h_events_free(&evs, n);
}

/* Fills b's map with imports of shorter and shorter texts (from text,
   TEXT_LEN long, cut in place) until three in a row of 20 bytes are
   refused; every refusal must be `storage`. Returns the imports taken. */
static int
fill_to_the_last_page(h_broker_t *b, char *text)
{
    int taken = 0, n = 0;
    bool full = false;
    for (size_t len = TEXT_LEN; len >= 20 && !full; len /= 10) {
        text[len] = '\0';
        int refused = 0;
        for (int i = 0; i < 2000 && refused < 3; i++) {
            nmirf_reply_t *r = h_call(h_coord(b), "rec.import",
                                      "{'recs': [{'id': 'LAST/%d', 'mechanism': 'UPR', "
                                      "'text': {'en': '%s'}}]}",
                                      n++, text);
            if (!r->ok)
                H_ASSERTF(strcmp(r->code_name, "storage") == 0,
                          "a full broker says %s: %s", r->code_name, r->message);
            refused = r->ok ? 0 : refused + 1;
            taken += r->ok;
            nmirf_reply_destroy(&r);
        }
        full = refused == 3 && len < 200;
    }
    memset(text, 'x', TEXT_LEN);
    H_ASSERTF(full, "the map never filled to the last page");
    return taken;
}

/* A map full to its last page: each kind of write refused `storage`
   without a trace, every read served, audit and replay hold; a restart
   with a bigger map goes on. */
static void
test_full_to_the_last_page(char *text)
{
    h_broker_t *b = h_broker_start_with(NULL, small_map);
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'KEEP/1', 'mechanism': 'CAT', 'text': {'en': 'k'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'KEEP/1', 'lead': 'MJ'}");
    nmirf_reply_t *r = H_CALL_EXPECT("ok", mj, "report.submit",
                                     "{'rec': 'KEEP/1', 'status': 'in_progress', "
                                     "'narrative': 'before the map filled'}");
    uint64_t report = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    int taken = fill_to_the_last_page(b, text);
    uint64_t seq = h_seq(b);

    nmirf_key_t key;
    H_ASSERT(nmirf_key_generate(&key, "LATE") == 0);
    msgpack_sbuffer *enroll = h_pack_enroll(&key, "observer");
    r = h_call_packed(coord, NULL, "entity.enroll", (uint8_t *)enroll->data,
                      enroll->size);
    msgpack_sbuffer_free(enroll);
    H_EXPECT(r, "storage");
    nmirf_reply_destroy(&r);
    r = h_call(coord, "rec.assign", "{'rec': 'KEEP/1', 'lead': 'MJ', 'note': 'n'}");
    H_EXPECT(r, "storage");
    nmirf_reply_destroy(&r);
    r = h_call(mj, "report.submit",
               "{'rec': 'KEEP/1', 'status': 'implemented', 'narrative': 'refused'}");
    H_EXPECT(r, "storage");
    nmirf_reply_destroy(&r);
    r = h_call(coord, "report.validate", "{'report': %llu}", (unsigned long long)report);
    H_EXPECT(r, "storage");
    nmirf_reply_destroy(&r);
    H_ASSERTF(h_seq(b) == seq, "refused writes moved the sequence to %llu from %llu",
              (unsigned long long)h_seq(b), (unsigned long long)seq);

    static const char *const reads[][2] = {
        {"ping", "{}"},
        {"rec.list", "{'limit': 5}"},
        {"rec.show", "{'id': 'KEEP/1'}"},
        {"report.list", "{'rec': 'KEEP/1'}"},
        {"entity.list", "{}"},
        {"events.since", "{'since': 0, 'limit': 10}"},
        {"snapshot", "{}"},
        {"stats", "{}"},
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        r = h_call(i % 2 ? mj : coord, reads[i][0], "%s", reads[i][1]);
        H_EXPECT(r, "ok");
        H_ASSERT(r->seq == seq);
        nmirf_reply_destroy(&r);
    }
    tc_log_t *log = tc_check_all(b);
    H_ASSERT(log->n == seq);
    tc_log_destroy(&log);
    h_note("map full to the last page after %d more imports: enroll, assign, submit, "
           "validate refused `storage`, seq stays %llu; 8 reads served; audit and "
           "replay hold",
           taken, (unsigned long long)seq);

    h_broker_stop(b);
    memcpy(b->args, big_map, sizeof big_map);
    h_broker_restart(b);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)report);
    H_CALL_CHECK("ok", mj, "report.submit",
                 "{'rec': 'KEEP/1', 'status': 'implemented', 'narrative': 'after'}");
    log = tc_check_all(b);
    H_ASSERT(log->n == seq + 2);
    tc_log_destroy(&log);
    h_note("restart with a 64 MiB map: writes resume at seq %llu, audit and replay hold",
           (unsigned long long)seq + 1);
    h_broker_destroy(&b);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 55);
    h_broker_t *b = h_broker_start_with(NULL, small_map);
    h_entity_t *coord = h_coord(b);
    char *text = malloc(TEXT_LEN + 1);
    H_ASSERT(text);
    memset(text, 'x', TEXT_LEN);
    text[TEXT_LEN] = '\0';

    int acked = 0;
    uint64_t seq = h_seq(b);
    nmirf_reply_t *r = NULL;
    for (int i = 0; i < FILL_MAX; i++) {
        r = import_some(coord, i, text);
        if (!r->ok)
            break;
        seq += PER_IMPORT;
        H_ASSERT(r->seq == seq);
        acked++;
        nmirf_reply_destroy(&r);
    }
    H_ASSERTF(r, "a 1 MiB map took %d imports of %d bytes", FILL_MAX, TEXT_LEN);
    H_EXPECT(r, "storage");
    H_ASSERTF(r->seq == seq, "a refused write answered seq %llu, latest is %llu",
              (unsigned long long)r->seq, (unsigned long long)seq);
    nmirf_reply_destroy(&r);
    H_ASSERT(log_mentions(b, "storage"));
    check_whole(b, acked * PER_IMPORT, seq);
    H_CALL_CHECK("ok", coord, "snapshot", "{}");
    h_note("map full after %d imports: storage refusal, nothing kept, reads work", acked);

    /* Still refused, still harmless, when asked again. */
    r = import_some(coord, acked, text);
    H_EXPECT(r, "storage");
    nmirf_reply_destroy(&r);
    check_whole(b, acked * PER_IMPORT, seq);

    h_broker_stop(b);
    memcpy(b->args, big_map, sizeof big_map);
    h_broker_restart(b);
    check_whole(b, acked * PER_IMPORT, seq);
    r = import_some(coord, acked, text);
    H_EXPECT(r, "ok");
    H_ASSERT(r->seq == seq + PER_IMPORT);
    nmirf_reply_destroy(&r);
    check_whole(b, (acked + 1) * PER_IMPORT, seq + PER_IMPORT);
    h_note("restart with a bigger map: %d acknowledged imports kept, room for more",
           acked);

    tc_log_destroy(&(tc_log_t *){tc_check_all(b)});
    h_broker_destroy(&b);
    test_full_to_the_last_page(text);
    free(text);
    return 0;
}
