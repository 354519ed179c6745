/*  measures_test - measure.add/update/list/show and indicator values in
    progress reports, against a real nmirfd: who may write a measure, the
    canonical stored form, refusals that change nothing, idempotent
    resends, and validated values becoming the measure's progress.
*/
#include "harness.h"
#include "nmirf_mp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static h_broker_t *b;
static h_entity_t *coord, *mj, *mi, *ms, *obs;

/* Fails unless the broker's sequence is still seq and it holds n
   measures: a refusal changed nothing. */
static void
unchanged(uint64_t seq, size_t n)
{
    H_ASSERT(h_seq(b) == seq);
    nmirf_reply_t *r = H_CALL_EXPECT("ok", coord, "measure.list", "{}");
    H_ASSERT(h_u(&r->body, "total") == n);
    nmirf_reply_destroy(&r);
}

/* Calls measure.add as e with a body whose target is a NaN or an
   infinity (JSON cannot say them). */
static nmirf_reply_t *
add_with_target(h_entity_t *e, double target)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_str(&pk, "recs");
    msgpack_pack_array(&pk, 1);
    nmirf_mp_pack_str(&pk, "R1");
    nmirf_mp_pack_kv_str(&pk, "title", "t");
    nmirf_mp_pack_str(&pk, "indicator");
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "name", "n");
    nmirf_mp_pack_str(&pk, "target");
    msgpack_pack_double(&pk, target);
    nmirf_reply_t *r =
        h_call_packed(e, NULL, "measure.add", (const uint8_t *)sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return r;
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 55);
    b = h_broker_start(NULL);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    mi = h_enroll(b, "MI", "ministry");
    ms = h_enroll(b, "MS", "ministry");
    obs = h_enroll(b, "OBS", "observer");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'R1', 'mechanism': 'UPR', 'text': {'en': 'one'}},"
                 "{'id': 'R2', 'mechanism': 'CAT', 'text': {'fr': 'deux'}},"
                 "{'id': 'R3', 'mechanism': 'CRC', 'text': {'ar': 'ثلاثة'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'R1', 'lead': 'MJ', 'contributors': ['MI']}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'R2', 'lead': 'MJ'}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'R3', 'lead': 'MS'}");

    /* The coordinator's measure, with an indicator given out of order and
       numbers as floats: stored sorted, integers as integers. */
    uint64_t seq = h_seq(b);
    nmirf_reply_t *r = H_CALL_EXPECT(
        "ok", coord, "measure.add",
        "{'recs': ['R1', 'R2'], 'title': 'Train prison staff', 'description': 'Yearly', "
        "'indicator': {'name': 'staff trained', 'unit': 'persons', 'baseline': 0.0, "
        "'target': 1200.0, 'schedule': [{'date': '2026-12-31', 'value': 1200}, "
        "{'date': '2025-12-31', 'value': 600.5}]}}");
    H_ASSERT(r->seq == seq + 1);
    uint64_t m1 = h_u(&r->body, "measure.id");
    H_ASSERT(m1 == 1);
    H_ASSERT(h_is(&r->body, "measure.author", "COORD"));
    H_ASSERT(h_u(&r->body, "measure.indicator.target") == 1200);
    H_ASSERT(h_u(&r->body, "measure.indicator.baseline") == 0);
    H_ASSERT(h_is(&r->body, "measure.indicator.schedule.0.date", "2025-12-31"));
    const msgpack_object *v = h_get(&r->body, "measure.indicator.schedule.0.value");
    H_ASSERT(v && v->type == MSGPACK_OBJECT_FLOAT64 && v->via.f64 == 600.5);
    H_ASSERT(h_len(&r->body, "measure.progress") == 0);
    nmirf_reply_destroy(&r);
    nmirf_event_t **evs;
    size_t n = h_events(coord, seq, &evs);
    H_ASSERT(n == 1 && strcmp(evs[0]->kind, "measure.added") == 0 &&
             strcmp(evs[0]->subject, "1") == 0);
    H_ASSERT(nmirf_event_concerns(evs[0], "MJ") && nmirf_event_concerns(evs[0], "MI") &&
             !nmirf_event_concerns(evs[0], "MS"));
    h_events_free(&evs, n);
    h_note("coordinator adds a measure: canonical record, measure.added to MJ and MI");

    /* The lead plans for what it leads; nobody else does. */
    r = H_CALL_EXPECT("ok", mj, "measure.add",
                      "{'recs': ['R2'], 'title': 'Draft a law', "
                      "'indicator': {'name': 'drafts', 'target': 1}}");
    uint64_t m2 = h_u(&r->body, "measure.id");
    nmirf_reply_destroy(&r);
    seq = h_seq(b);
    H_CALL_CHECK("forbidden", mi, "measure.add", "{'recs': ['R1'], 'title': 'x'}");
    H_CALL_CHECK("forbidden", ms, "measure.add", "{'recs': ['R1'], 'title': 'x'}");
    H_CALL_CHECK("forbidden", mj, "measure.add", "{'recs': ['R1', 'R3'], 'title': 'x'}");
    H_CALL_CHECK("forbidden", obs, "measure.add", "{'recs': ['R1'], 'title': 'x'}");
    H_CALL_CHECK("forbidden", ms, "measure.update", "{'id': %llu, 'title': 'mine'}",
                 (unsigned long long)m2);
    H_CALL_CHECK("forbidden", mj, "measure.update", "{'id': %llu, 'recs': ['R3']}",
                 (unsigned long long)m2);
    unchanged(seq, 2);
    h_note("the lead ministry adds; contributor, other ministry, observer refused");

    /* Bad bodies: refused, nothing changed. */
    static const char *const bad[] = {
        "{'title': 'no recs'}",
        "{'recs': [], 'title': 'empty'}",
        "{'recs': ['R1', 'R1'], 'title': 'twice'}",
        "{'recs': ['R1']}",
        "{'recs': ['R1'], 'title': ''}",
        "{'recs': ['R1'], 'title': 't', 'colour': 'red'}",
        "{'recs': ['R1'], 'title': 't', 'indicator': {'name': 'n'}}",
        "{'recs': ['R1'], 'title': 't', 'indicator': {'name': 'n', 'target': 'ten'}}",
        "{'recs': ['R1'], 'title': 't', 'indicator': {'name': 'n', 'target': 1e16}}",
        "{'recs': ['R1'], 'title': 't', 'indicator': {'name': 'n', 'target': 1, "
        "'schedule': [{'date': '2025-02-30', 'value': 1}]}}",
        "{'recs': ['R1'], 'title': 't', 'indicator': {'name': 'n', 'target': 1, "
        "'schedule': [{'date': '2025-01-01', 'value': 1}, {'date': '2025-01-01', "
        "'value': 2}]}}",
        "{'recs': ['R1'], 'title': 't', 'indicator': {'name': 'n', 'target': 1, "
        "'schedule': [{'date': '2025-01-01'}]}}",
        "{'recs': ['bad id!'], 'title': 't'}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = h_call(coord, "measure.add", "%s", bad[i]);
        H_ASSERTF(r && (strcmp(r->code_name, "bad_request") == 0 ||
                        strcmp(r->code_name, "too_large") == 0),
                  "body %s: %s", bad[i], r ? r->code_name : "timeout");
        nmirf_reply_destroy(&r);
    }
    r = add_with_target(coord, NAN);
    H_EXPECT(r, "bad_request");
    nmirf_reply_destroy(&r);
    r = add_with_target(coord, INFINITY);
    H_EXPECT(r, "bad_request");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("not_found", coord, "measure.add", "{'recs': ['R9'], 'title': 't'}");
    H_CALL_CHECK("not_found", coord, "measure.update", "{'id': 99, 'title': 't'}");
    H_CALL_CHECK("not_found", coord, "measure.show", "{'id': 99}");
    unchanged(seq, 2);
    h_note("bad bodies, NaN and infinity refused; nothing changed");

    /* Idempotency: the same bytes again give the same reply, no event. */
    h_request_t *req =
        h_request_make(coord, "measure.add", "{'recs': ['R3'], 'title': 'Shelters'}");
    nmirf_reply_t *r1 = h_request_send(coord, req), *r2 = h_request_send(coord, req);
    H_EXPECT(r1, "ok");
    H_EXPECT(r2, "ok");
    H_ASSERT(h_same(&r1->body, &r2->body) && r1->seq == r2->seq && r1->seq == seq + 1);
    uint64_t m3 = h_u(&r1->body, "measure.id");
    nmirf_reply_destroy(&r1);
    nmirf_reply_destroy(&r2);
    h_request_free(&req);
    unchanged(seq + 1, 3);
    seq++;
    h_note("a resent measure.add is answered from the store, no second measure");

    /* Update: a change makes measure.updated; the same again changes
       nothing and makes no event. */
    r = H_CALL_EXPECT("ok", mj, "measure.update",
                      "{'id': %llu, 'title': 'Draft and table a law'}",
                      (unsigned long long)m2);
    H_ASSERT(r->seq == seq + 1 && h_get(&r->body, "changed")->via.boolean);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", mj, "measure.update",
                      "{'id': %llu, 'title': 'Draft and table a law'}",
                      (unsigned long long)m2);
    H_ASSERT(r->seq == seq + 1 && !h_get(&r->body, "changed")->via.boolean);
    nmirf_reply_destroy(&r);
    seq++;
    /* The coordinator moves measure 3 from R3 to R2: the index follows. */
    H_CALL_CHECK("ok", coord, "measure.update", "{'id': %llu, 'recs': ['R2']}",
                 (unsigned long long)m3);
    seq++;
    r = H_CALL_EXPECT("ok", obs, "measure.list", "{'rec': 'R2'}");
    H_ASSERT(h_u(&r->body, "total") == 3 && h_len(&r->body, "measures") == 3);
    H_ASSERT(h_find_u(&r->body, "measures", "id", m1) &&
             h_find_u(&r->body, "measures", "id", m2) &&
             h_find_u(&r->body, "measures", "id", m3));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", obs, "measure.list", "{'rec': 'R3'}");
    H_ASSERT(h_u(&r->body, "total") == 0);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", obs, "measure.list", "{'rec': 'R1', 'limit': 0}");
    H_ASSERT(h_u(&r->body, "total") == 1 && h_len(&r->body, "measures") == 0);
    nmirf_reply_destroy(&r);
    h_note("measure.update changes once; measure.list by recommendation");

    /* nil clears an optional field (description, indicator); left out
       keeps it; title and recs cannot be cleared; "" is still refused. */
    H_CALL_CHECK("ok", mj, "measure.update",
                 "{'id': %llu, 'description': 'Two readings'}", (unsigned long long)m2);
    seq = h_seq(b);
    r = H_CALL_EXPECT("ok", mj, "measure.update",
                      "{'id': %llu, 'description': null, 'indicator': null}",
                      (unsigned long long)m2);
    H_ASSERT(r->seq == seq + 1 && h_get(&r->body, "changed")->via.boolean);
    H_ASSERT(!h_get(&r->body, "measure.description") &&
             !h_get(&r->body, "measure.indicator"));
    H_ASSERT(h_is(&r->body, "measure.title", "Draft and table a law"));
    nmirf_reply_destroy(&r);
    n = h_events(coord, seq, &evs);
    H_ASSERT(n == 1 && strcmp(evs[0]->kind, "measure.updated") == 0);
    H_ASSERT(!h_get(&evs[0]->data, "description") && !h_get(&evs[0]->data, "indicator"));
    h_events_free(&evs, n);
    r = H_CALL_EXPECT("ok", obs, "measure.show", "{'id': %llu}", (unsigned long long)m2);
    H_ASSERT(!h_get(&r->body, "measure.description") &&
             !h_get(&r->body, "measure.indicator"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", mj, "measure.update",
                      "{'id': %llu, 'description': null, 'indicator': null}",
                      (unsigned long long)m2);
    H_ASSERT(r->seq == seq + 1 && !h_get(&r->body, "changed")->via.boolean);
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("bad_request", mj, "measure.update", "{'id': %llu, 'title': null}",
                 (unsigned long long)m2);
    H_CALL_CHECK("bad_request", mj, "measure.update", "{'id': %llu, 'recs': null}",
                 (unsigned long long)m2);
    H_CALL_CHECK("bad_request", mj, "measure.update", "{'id': %llu, 'description': ''}",
                 (unsigned long long)m2);
    H_ASSERT(h_seq(b) == seq + 1);
    seq = h_seq(b);
    h_note("measure.update: nil clears description and indicator, not title or recs");

    /* Reports with indicator values. */
    H_CALL_CHECK("bad_request", mi, "report.submit",
                 "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'n', "
                 "'indicator_values': [{'date': '2025-06-30', 'value': 300}]}");
    H_CALL_CHECK("bad_request", mi, "report.submit",
                 "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'n', 'measure': "
                 "%llu, 'indicator_values': [{'date': '2025-06-30', 'value': 300}]}",
                 (unsigned long long)m2); /* m2 is on R2 only */
    H_CALL_CHECK(
        "not_found", mi, "report.submit",
        "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'n', 'measure': 77}");
    H_CALL_CHECK("bad_request", mi, "report.submit",
                 "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'n', 'measure': "
                 "%llu, 'indicator_values': [{'date': '2025-13-01', 'value': 1}]}",
                 (unsigned long long)m1);
    H_CALL_CHECK("conflict", mj, "report.submit",
                 "{'rec': 'R2', 'status': 'in_progress', 'narrative': 'n', 'measure': "
                 "%llu, 'indicator_values': [{'date': '2025-01-01', 'value': 1}]}",
                 (unsigned long long)m3); /* no indicator */
    H_ASSERT(h_seq(b) == seq);
    r = H_CALL_EXPECT("ok", mi, "report.submit",
                      "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'half way', "
                      "'measure': %llu, 'indicator_values': [{'date': '2025-06-30', "
                      "'value': 310}, {'date': '2025-03-31', 'value': 120.0}]}",
                      (unsigned long long)m1);
    uint64_t rep = h_u(&r->body, "report.id");
    H_ASSERT(h_u(&r->body, "report.measure") == m1);
    H_ASSERT(h_is(&r->body, "report.indicator_values.0.date", "2025-03-31"));
    H_ASSERT(h_u(&r->body, "report.indicator_values.0.value") == 120);
    nmirf_reply_destroy(&r);
    seq++;
    r = H_CALL_EXPECT("ok", coord, "measure.show", "{'id': %llu}",
                      (unsigned long long)m1);
    H_ASSERT(h_len(&r->body, "measure.progress") == 0 && h_len(&r->body, "reports") == 1);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "report.validate", "{'report': %llu}",
                      (unsigned long long)rep);
    H_ASSERT(r->seq == seq + 2); /* report.validated, then measure.updated */
    nmirf_reply_destroy(&r);
    n = h_events(coord, seq, &evs);
    H_ASSERT(n == 2 && strcmp(evs[0]->kind, "report.validated") == 0 &&
             strcmp(evs[1]->kind, "measure.updated") == 0);
    H_ASSERT(h_len(&evs[1]->data, "progress") == 2);
    H_ASSERT(h_is(&evs[1]->data, "progress.1.date", "2025-06-30"));
    H_ASSERT(h_u(&evs[1]->data, "progress.1.value") == 310);
    H_ASSERT(h_u(&evs[1]->data, "progress.1.report") == rep);
    h_events_free(&evs, n);
    seq += 2;
    /* A later validated report replaces the value of a date it repeats. */
    r = H_CALL_EXPECT("ok", mj, "report.submit",
                      "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'corrected', "
                      "'measure': %llu, 'indicator_values': [{'date': '2025-06-30', "
                      "'value': 305}]}",
                      (unsigned long long)m1);
    uint64_t rep2 = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)rep2);
    r = H_CALL_EXPECT("ok", obs, "measure.show", "{'id': %llu}", (unsigned long long)m1);
    H_ASSERT(h_len(&r->body, "measure.progress") == 2);
    H_ASSERT(h_u(&r->body, "measure.progress.1.value") == 305);
    H_ASSERT(h_u(&r->body, "measure.progress.1.report") == rep2);
    H_ASSERT(h_u(&r->body, "measure.progress.0.report") == rep);
    H_ASSERT(h_len(&r->body, "reports") == 2);
    nmirf_reply_destroy(&r);
    h_note("validated indicator values become the measure's progress");

    /* Unlinked between submission and validation: the report is validated,
       the values stay in it, the measure's progress is left alone. */
    r = H_CALL_EXPECT("ok", mi, "report.submit",
                      "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'late', "
                      "'measure': %llu, 'indicator_values': [{'date': '2025-09-30', "
                      "'value': 400}]}",
                      (unsigned long long)m1);
    uint64_t rep3 = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "measure.update", "{'id': %llu, 'recs': ['R2']}",
                 (unsigned long long)m1);
    seq = h_seq(b);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)rep3);
    n = h_events(coord, seq, &evs);
    H_ASSERTF(n == 1 && strcmp(evs[0]->kind, "report.validated") == 0,
              "validating a report on an unlinked measure made %zu events", n);
    h_events_free(&evs, n);
    r = H_CALL_EXPECT("ok", obs, "measure.show", "{'id': %llu}", (unsigned long long)m1);
    H_ASSERT(h_len(&r->body, "measure.progress") == 2);
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "measure.update", "{'id': %llu, 'recs': ['R1', 'R2']}",
                 (unsigned long long)m1);
    h_note("values of a report whose measure was unlinked meanwhile are not merged");

    /* The snapshot carries the measures. */
    r = H_CALL_EXPECT("ok", obs, "snapshot", "{}");
    H_ASSERT(h_len(&r->body, "measures") == 3);
    nmirf_reply_destroy(&r);
    h_note("snapshot holds the measures");
    h_broker_destroy(&b);
    return 0;
}
