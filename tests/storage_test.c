/*  storage_test - a full LMDB map is a `storage` refusal and a log line,
    not a crash and not corruption (DESIGN.md guarantee 7): fill a broker
    started with a 1 MiB map until it refuses, check that nothing of the
    refused write stayed and that it still answers, then restart it with a
    bigger map and find every acknowledged write and room for more.
*/
#include "harness.h"

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

    free(text);
    h_broker_destroy(&b);
    return 0;
}
