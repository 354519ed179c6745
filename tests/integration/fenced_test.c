/*  fenced_test - a broker fenced by a higher epoch writes nothing of its
    own, and still answers the resend of a write it applied
    (docs/REPLICATION.md, "Roles, promotion and fencing").

    The broker's deadline scan runs every 100 ms on an injected clock
    (NMIRFD_CLOCK_FILE). A recommendation is assigned with a deadline far
    ahead and a report is submitted; a ping tells the broker of epoch 2
    elsewhere (it is fenced); then the clock moves past the deadline:

    - no deadline event is written while fenced (its log is the one a new
      primary continues: an event of its own would fork it), for 2 s;
    - a write is refused `not_primary`, a resend of the report it applied
      gets its stored reply, and a stale write raises no stale floor (its
      store is unchanged: the seq, and meta "stale" absent);
    - restarted (it forgets what it heard), the same scan writes the
      overdue event: the clock and the assignment did call for one.
*/
#include "harness.h"
#include "nmirf_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define D_MS 1909008000000ULL /* 2030-06-30 00:00 UTC */
#define DAY_MS 86400000ULL

static char s_clock[PATH_MAX];

/* Sets the broker's clock to the deadline + days, at noon UTC. */
static void
s_set_clock(int days)
{
    char text[32];
    int n = snprintf(
        text, sizeof text, "%llu\n",
        (unsigned long long)(D_MS + (int64_t)days * (int64_t)DAY_MS + DAY_MS / 2));
    H_ASSERT(nmirf_write_file(s_clock, text, (size_t)n, 0644) == 0);
}

/* How many events of kind b's log holds after seq since. */
static size_t
s_count(h_entity_t *e, uint64_t since, const char *kind)
{
    nmirf_event_t **evs;
    size_t n = h_events(e, since, &evs);
    size_t c = h_count_kind(evs, n, kind);
    h_events_free(&evs, n);
    return c;
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 50);
    char tmpl[] = "/tmp/nmirf-fenced-XXXXXX";
    H_ASSERT(mkdtemp(tmpl));
    snprintf(s_clock, sizeof s_clock, "%s/clock", tmpl);
    s_set_clock(-100);
    setenv("NMIRFD_CLOCK_FILE", s_clock, 1);
    setenv("NMIRFD_DEADLINE_SCAN_MS", "100", 1);

    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'F-1', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'F-1', 'lead': 'MJ', 'deadline': '2030-06-30'}");
    h_request_t *report =
        h_request_make(mj, "report.submit",
                       "{'rec': 'F-1', 'status': 'in_progress', 'narrative': 'before'}");
    nmirf_reply_t *first = h_request_send(mj, report);
    H_EXPECT(first, "ok");

    /* Fenced: a client has seen epoch 2 at another broker. */
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", mj, "ping", "{'epoch': 2, 'primary': 'tcp://127.0.0.1:9'}");
    H_ASSERT(h_u(&r->body, "fenced") == 2);
    nmirf_reply_destroy(&r);
    uint64_t seq = h_seq(b);
    H_ASSERT(!h_store_meta_has(b->dir, "stale"));

    s_set_clock(5);
    for (int i = 0; i < 20; i++) {
        h_sleep_ms(100);
        H_ASSERTF(h_seq(b) == seq, "a fenced broker wrote event %llu of its own",
                  (unsigned long long)h_seq(b));
    }
    H_ASSERT(s_count(coord, 0, "deadline.overdue") == 0);
    h_note("fenced, past the deadline: no deadline event for 2 s");

    H_CALL_CHECK("not_primary", mj, "report.submit",
                 "{'rec': 'F-1', 'status': 'implemented', 'narrative': 'after'}");
    nmirf_reply_t *again = h_request_send(mj, report);
    H_ASSERTF(again->ok && again->seq == first->seq && h_same(&again->body, &first->body),
              "a resend of a write the fenced broker applied gets its stored reply");
    nmirf_reply_destroy(&again);
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    msgpack_sbuffer *body = h_pack_json("{}");
    h_request_t *old =
        h_request_make_at(coord, id, nmirf_now_ms() - 2 * DAY_MS, "broker.promote",
                          (const uint8_t *)body->data, body->size);
    r = h_request_send(coord, old);
    H_ASSERTF(!r->ok, "a fenced primary took a promote");
    nmirf_reply_destroy(&r);
    h_request_free(&old);
    msgpack_sbuffer_free(body);
    H_ASSERT(h_seq(b) == seq);
    H_ASSERTF(!h_store_meta_has(b->dir, "stale"), "a fenced broker raised its stale floor");
    h_note("fenced: writes refused not_primary, a resend answered from its stored "
           "reply, nothing of a refusal recorded");

    /* Restarted, it has forgotten the epoch it heard: the scan runs. */
    h_broker_stop(b);
    h_broker_restart(b);
    mj = &b->ents[1];
    size_t overdue = 0;
    for (int i = 0; i < 100 && !overdue; i++) {
        h_sleep_ms(50);
        overdue = s_count(coord, seq, "deadline.overdue");
    }
    H_ASSERTF(overdue == 1, "the unfenced broker's scan wrote %zu overdue events",
              overdue);
    h_note("restarted unfenced, the same scan wrote the overdue event");

    nmirf_reply_destroy(&first);
    h_request_free(&report);
    h_broker_destroy(&b);
    remove(s_clock);
    rmdir(tmpl);
    printf("fenced_test: ok\n");
    return 0;
}
