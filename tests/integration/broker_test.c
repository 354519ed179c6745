/*  broker_test - every operation of PROTOCOL.md section 6 against a real
    nmirfd, in the order a coordinator and its ministries would use them,
    then the event log, the snapshot and the stats that must add up to
    exactly what the test did.
*/
#include "harness.h"
#include "nmirf_mp.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>

#include "nmirf_util.h"

/* Recommendation ids; the mechanism is the prefix. */
#define UPR1 "UPR4/145.1"
#define UPR2 "UPR4/145.2"
#define CAT1 "CAT/C/MAR/CO/4/12"
#define CEDAW1 "CEDAW/C/MAR/CO/5-6/17"
#define CRC1 "CRC/C/MAR/CO/5-6/40"
#define CRC1_AR "ضمان تسجيل جميع المواليد"

/* The import: five recommendations over four mechanisms; %s is the end of
   CAT1's English text, so that a second import can change it. */
#define IMPORT_FMT                                                                       \
    "{'recs': ["                                                                         \
    "{'id': '" UPR1 "', 'mechanism': 'UPR', 'symbol': 'A/HRC/52/7', 'paragraph': "       \
    "'145.1', 'cycle': '4', 'date': '2022-11-08', 'states': ['France', 'Chile'], "       \
    "'text': {'en': 'Ratify the Optional Protocol to the Convention against Torture', "  \
    "'fr': 'Ratifier le Protocole facultatif'}, 'response': 'supported', "               \
    "'response_text': 'Accepted', 'themes': ['Torture'], 'sdgs': ['16.3']},"             \
    "{'id': '" UPR2 "', 'mechanism': 'UPR', 'text': {'fr': 'Abolir la peine de mort'}, " \
    "'response': 'noted'},"                                                              \
    "{'id': '" CAT1 "', 'mechanism': 'CAT', "                                            \
    "'text': {'en': 'Investigate all allegations of torture%s'}},"                       \
    "{'id': '" CEDAW1 "', 'mechanism': 'CEDAW', 'text': {'en': 'Reform the family "      \
    "code'}, 'persons': ['Women']},"                                                     \
    "{'id': '" CRC1 "', 'mechanism': 'CRC', 'text': {'ar': '" CRC1_AR "'}}]}"

static h_broker_t *b;                          /* the broker under test */
static h_entity_t *coord, *mj, *mi, *ms, *obs; /* its entities */
static uint64_t seq;                           /* the sequence the test expects */
static uint64_t r1, r2, r3, r4;                /* report ids, in submission order */

/* Fails unless write reply r made exactly n events (moved seq by n). */
#define WROTE(r, n)                                                                      \
    do {                                                                                 \
        seq += (n);                                                                      \
        H_ASSERTF((r)->seq == seq, "reply seq %llu, expected %llu",                      \
                  (unsigned long long)(r)->seq, (unsigned long long)seq);                \
    } while (0)

/* Fails unless rec.list with filter (a JSON body) totals total. */
#define LIST_TOTAL(filter, total)                                                        \
    do {                                                                                 \
        nmirf_reply_t *lr_ = H_CALL_EXPECT("ok", obs, "rec.list", "%s", filter);         \
        H_ASSERTF(h_u(&lr_->body, "total") == (total) &&                                 \
                      h_len(&lr_->body, "recs") == (total),                              \
                  "rec.list %s: total %llu, %zu recs, expected %d", filter,              \
                  (unsigned long long)h_u(&lr_->body, "total"),                          \
                  h_len(&lr_->body, "recs"), (int)(total));                              \
        nmirf_reply_destroy(&lr_);                                                       \
    } while (0)

/* Fails unless report.list with filter (a JSON body) returns count. */
#define REPORTS(filter, count)                                                           \
    do {                                                                                 \
        nmirf_reply_t *lr_ = H_CALL_EXPECT("ok", obs, "report.list", "%s", filter);      \
        H_ASSERTF(h_len(&lr_->body, "reports") == (count),                               \
                  "report.list %s: %zu reports, expected %d", filter,                    \
                  h_len(&lr_->body, "reports"), (int)(count));                           \
        nmirf_reply_destroy(&lr_);                                                       \
    } while (0)

/* ping, over DEALER (nmirf_client) and over a plain REQ socket. */
static void
test_ping(void)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", coord, "ping", "{}");
    H_ASSERT(h_get(&r->body, "version") &&
             h_get(&r->body, "version")->type == MSGPACK_OBJECT_STR);
    seq = r->seq;
    H_ASSERTF(seq >= 1, "a new broker has its coordinator's enrollment as event 1");
    nmirf_reply_destroy(&r);

    h_request_t *req = h_request_make(coord, "ping", "{}");
    zsock_t *sock = zsock_new(ZMQ_REQ);
    H_ASSERT(sock);
    H_ASSERT(nmirf_client_curve(sock, &coord->key, b->server_key) == 0);
    H_ASSERT(zsock_connect(sock, "%s", b->request_ep) == 0);
    zsock_set_rcvtimeo(sock, H_CALL_TIMEOUT_MS);
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, req->env, req->env_len);
    zmsg_addmem(msg, req->sig, NMIRF_SIG_LEN);
    H_ASSERT(zmsg_send(&msg, sock) == 0);
    msg = zmsg_recv(sock);
    H_ASSERTF(msg, "no reply to a REQ client");
    H_ASSERTF(zmsg_size(msg) == 1, "REQ reply has %zu frames", zmsg_size(msg));
    zframe_t *frame = zmsg_first(msg);
    char why[256];
    r = nmirf_reply_decode(zframe_data(frame), zframe_size(frame), why, sizeof why);
    H_ASSERTF(r, "REQ reply does not decode: %s", why);
    H_EXPECT(r, "ok");
    H_ASSERT(r->has_id && memcmp(r->id, req->id, NMIRF_ID_LEN) == 0);
    nmirf_reply_destroy(&r);
    zmsg_destroy(&msg);
    zsock_destroy(&sock);
    h_request_free(&req);
    h_note("ping over DEALER and REQ, seq %llu", (unsigned long long)seq);
}

/* entity.enroll, entity.show, entity.list, and enroll conflicts. */
static void
test_entities(void)
{
    mj = h_enroll(b, "MJ", "ministry");
    mi = h_enroll(b, "MI", "ministry");
    ms = h_enroll(b, "MS", "ministry");
    obs = h_enroll(b, "OBS", "observer");
    seq += 4;
    H_ASSERT(h_seq(b) == seq);

    nmirf_reply_t *r = H_CALL_EXPECT("ok", obs, "entity.show", "{'id': 'MJ'}");
    uint8_t curve[32];
    H_ASSERT(nmirf_key_curve_raw(&mj->key, curve) == 0);
    H_ASSERT(h_is(&r->body, "entity.id", "MJ"));
    H_ASSERT(h_is(&r->body, "entity.role", "ministry"));
    H_ASSERT(h_is(&r->body, "entity.state", "active"));
    H_ASSERT(h_is(&r->body, "entity.names.en", "MJ"));
    H_ASSERT(h_bin_is(&r->body, "entity.sign_key", mj->key.sign_pk, 32));
    H_ASSERT(h_bin_is(&r->body, "entity.curve_key", curve, 32));
    H_ASSERT(h_u(&r->body, "entity.enrolled") != UINT64_MAX);
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", mj, "entity.list", "{}");
    H_ASSERT(h_len(&r->body, "entities") == 5);
    H_ASSERT(h_is(h_find(&r->body, "entities", "id", "COORD"), "role", "coordinator"));
    H_ASSERT(h_is(h_find(&r->body, "entities", "id", "OBS"), "role", "observer"));
    H_ASSERT(h_is(h_find(&r->body, "entities", "id", "MS"), "role", "ministry"));
    nmirf_reply_destroy(&r);

    msgpack_sbuffer *again = h_pack_enroll(&mj->key, "ministry");
    r = h_call_packed(coord, NULL, "entity.enroll", (uint8_t *)again->data, again->size);
    H_EXPECT(r, "conflict");
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_free(again);
    /* NMIRFD names the broker's own key files: no entity may take it. */
    nmirf_key_t reserved;
    H_ASSERT(nmirf_key_generate(&reserved, "NMIRFD") == 0);
    again = h_pack_enroll(&reserved, "ministry");
    r = h_call_packed(coord, NULL, "entity.enroll", (uint8_t *)again->data, again->size);
    H_EXPECT(r, "bad_request");
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_free(again);
    nmirf_key_wipe(&reserved);
    H_CALL_CHECK("not_found", mj, "entity.show", "{'id': 'NOPE'}");
    H_ASSERT(h_seq(b) == seq);
    h_note("entity.enroll/show/list");
}

/* rec.import: add, re-import unchanged, change one text; rec.show. */
static void
test_import(void)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", coord, "rec.import", IMPORT_FMT, "");
    H_ASSERT(h_u(&r->body, "added") == 5 && h_u(&r->body, "updated") == 0 &&
             h_u(&r->body, "unchanged") == 0);
    WROTE(r, 5);
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", coord, "rec.import", IMPORT_FMT, "");
    H_ASSERT(h_u(&r->body, "added") == 0 && h_u(&r->body, "updated") == 0 &&
             h_u(&r->body, "unchanged") == 5);
    WROTE(r, 0);
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(b) == seq);

    r = H_CALL_EXPECT("ok", coord, "rec.import", IMPORT_FMT, " promptly");
    H_ASSERT(h_u(&r->body, "added") == 0 && h_u(&r->body, "updated") == 1 &&
             h_u(&r->body, "unchanged") == 4);
    WROTE(r, 1);
    nmirf_reply_destroy(&r);

    nmirf_event_t **evs;
    size_t n = h_events(coord, seq - 1, &evs);
    H_ASSERT(n == 1 && strcmp(evs[0]->kind, "rec.updated") == 0);
    H_ASSERT(strcmp(evs[0]->subject, CAT1) == 0);
    H_ASSERT(h_is(&evs[0]->data, "text.en",
                  "Investigate all allegations of torture promptly"));
    h_events_free(&evs, n);

    r = H_CALL_EXPECT("ok", mj, "rec.show", "{'id': '" UPR1 "'}");
    H_ASSERT(h_is(&r->body, "rec.id", UPR1) && h_is(&r->body, "rec.mechanism", "UPR"));
    H_ASSERT(h_is(&r->body, "rec.symbol", "A/HRC/52/7"));
    H_ASSERT(h_is(&r->body, "rec.paragraph", "145.1"));
    H_ASSERT(h_is(&r->body, "rec.date", "2022-11-08"));
    H_ASSERT(h_has_str(&r->body, "rec.states", "Chile"));
    H_ASSERT(h_has_str(&r->body, "rec.themes", "Torture"));
    H_ASSERT(h_has_str(&r->body, "rec.sdgs", "16.3"));
    H_ASSERT(h_is(&r->body, "rec.response", "supported"));
    H_ASSERT(h_is(&r->body, "rec.text.fr", "Ratifier le Protocole facultatif"));
    H_ASSERT(h_u(&r->body, "rec.updated") != UINT64_MAX);
    H_ASSERT(h_is(&r->body, "status", "not_started"));
    H_ASSERT(h_len(&r->body, "reports") == 0);
    H_ASSERT(h_nil(&r->body, "assignment"));
    nmirf_reply_destroy(&r);

    /* No response given: a treaty body asks for none (a UPR one would be
       pending: tests/data/data_test.sh). */
    r = H_CALL_EXPECT("ok", mj, "rec.show", "{'id': '" CAT1 "'}");
    H_ASSERT(h_is(&r->body, "rec.response", "not_applicable"));
    H_ASSERT(h_nil(&r->body, "rec.symbol") && h_nil(&r->body, "rec.themes"));
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("not_found", mj, "rec.show", "{'id': 'X/1'}");
    h_note("rec.import add/unchanged/updated, rec.show");
}

/* rec.assign, then a reassignment whose event names what it replaced. */
static void
test_assign(void)
{
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", coord, "rec.assign",
                      "{'rec': '" UPR1 "', 'lead': 'MJ', 'contributors': ['MI'], "
                      "'deadline': '2025-12-31', 'note': 'First cycle'}");
    WROTE(r, 1);
    H_ASSERT(h_is(&r->body, "assignment.rec", UPR1) &&
             h_is(&r->body, "assignment.lead", "MJ"));
    H_ASSERT(h_has_str(&r->body, "assignment.contributors", "MI"));
    H_ASSERT(h_is(&r->body, "assignment.deadline", "2025-12-31"));
    H_ASSERT(h_is(&r->body, "assignment.note", "First cycle"));
    H_ASSERT(h_u(&r->body, "assignment.assigned") != UINT64_MAX);
    nmirf_reply_destroy(&r);

    nmirf_event_t **evs;
    size_t n = h_events(coord, seq - 1, &evs);
    H_ASSERT(n == 1 && strcmp(evs[0]->kind, "assignment.set") == 0);
    H_ASSERT(strcmp(evs[0]->subject, UPR1) == 0);
    H_ASSERT(h_get(&evs[0]->data, "previous") && h_nil(&evs[0]->data, "previous"));
    H_ASSERT(nmirf_event_concerns(evs[0], "MJ") && nmirf_event_concerns(evs[0], "MI"));
    H_ASSERT(!nmirf_event_concerns(evs[0], "MS"));
    h_events_free(&evs, n);

    /* A reassignment replaces the whole assignment: a deadline or a note
       left out (or nil) is removed. */
    r = H_CALL_EXPECT("ok", coord, "rec.assign",
                      "{'rec': '" UPR2 "', 'lead': 'MJ', 'deadline': '2026-06-30', "
                      "'note': 'draft'}");
    WROTE(r, 1);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.assign",
                      "{'rec': '" UPR2 "', 'lead': 'MJ', 'deadline': null}");
    WROTE(r, 1);
    H_ASSERT(!h_get(&r->body, "assignment.deadline") &&
             !h_get(&r->body, "assignment.note"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.assign", "{'rec': '" CAT1 "', 'lead': 'MS'}");
    WROTE(r, 1);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.assign",
                      "{'rec': '" CAT1 "', 'lead': 'MI', 'contributors': ['MJ']}");
    WROTE(r, 1);
    nmirf_reply_destroy(&r);

    n = h_events(coord, seq - 1, &evs);
    H_ASSERT(n == 1 && strcmp(evs[0]->kind, "assignment.set") == 0);
    H_ASSERT(h_is(&evs[0]->data, "lead", "MI"));
    H_ASSERT(h_is(&evs[0]->data, "previous.lead", "MS"));
    H_ASSERT(nmirf_event_concerns(evs[0], "MS") && nmirf_event_concerns(evs[0], "MI") &&
             nmirf_event_concerns(evs[0], "MJ"));
    H_ASSERT(strcmp(evs[0]->author, "COORD") == 0 && evs[0]->has_req);
    h_events_free(&evs, n);

    H_CALL_CHECK("not_found", coord, "rec.assign", "{'rec': 'X/1', 'lead': 'MJ'}");
    H_ASSERT(h_seq(b) == seq);
    h_note("rec.assign and reassign (previous in the event)");
}

/* Submits a report as e on rec; returns its id. */
static uint64_t
submit(h_entity_t *e, const char *rec, const char *status, const char *extra)
{
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", e, "report.submit",
                      "{'rec': '%s', 'status': '%s', 'narrative': 'Done by %s'%s}", rec,
                      status, e->id, extra);
    WROTE(r, 1);
    uint64_t id = h_u(&r->body, "report.id");
    H_ASSERT(id != UINT64_MAX);
    H_ASSERT(h_is(&r->body, "report.rec", rec) && h_is(&r->body, "report.entity", e->id));
    H_ASSERT(h_is(&r->body, "report.status", status));
    H_ASSERT(h_is(&r->body, "report.state", "submitted"));
    H_ASSERT(h_u(&r->body, "report.submitted") != UINT64_MAX);
    H_ASSERT(h_nil(&r->body, "report.decided"));
    nmirf_reply_destroy(&r);
    return id;
}

/* report.submit by lead and contributor, validate, return. */
static void
test_reports(void)
{
    char today[11], before[11];
    uint64_t t0 = nmirf_now_ms();
    nmirf_date_of(t0, before);
    r1 =
        submit(mj, UPR1, "in_progress",
               ", 'evidence': ['https://example.org/bo/2024.pdf'], 'date': '2024-05-01'");
    r2 = submit(mi, UPR1, "partially_implemented", "");
    r3 = submit(mj, UPR2, "implemented", "");
    r4 = submit(mi, CAT1, "not_implemented", "");
    nmirf_date_of(nmirf_now_ms(), today);
    H_ASSERT(r1 != r2 && r2 != r3 && r3 != r4 && r1 != r3);

    nmirf_reply_t *r = H_CALL_EXPECT("ok", mi, "report.list", "{'rec': '" UPR1 "'}");
    const msgpack_object *rep = h_find_u(&r->body, "reports", "id", r1);
    H_ASSERT(rep && h_is(rep, "date", "2024-05-01"));
    H_ASSERT(h_has_str(rep, "evidence", "https://example.org/bo/2024.pdf"));
    rep = h_find_u(&r->body, "reports", "id", r2);
    H_ASSERTF(rep && (h_is(rep, "date", before) || h_is(rep, "date", today)),
              "report.submit without date takes the broker's date");
    nmirf_reply_destroy(&r);

    nmirf_event_t **evs;
    size_t n = h_events(coord, seq - 3, &evs); /* r2's event */
    H_ASSERT(n == 3 && strcmp(evs[0]->kind, "report.submitted") == 0);
    H_ASSERT(nmirf_event_concerns(evs[0], "MI") && nmirf_event_concerns(evs[0], "MJ"));
    H_ASSERT(strcmp(evs[0]->author, "MI") == 0);
    h_events_free(&evs, n);

    r = H_CALL_EXPECT("ok", coord, "report.validate", "{'report': %llu}",
                      (unsigned long long)r1);
    WROTE(r, 1);
    H_ASSERT(h_is(&r->body, "report.state", "validated"));
    H_ASSERT(h_u(&r->body, "report.decided") != UINT64_MAX);
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", coord, "report.return",
                      "{'report': %llu, 'reason': 'Missing evidence'}",
                      (unsigned long long)r2);
    WROTE(r, 1);
    H_ASSERT(h_is(&r->body, "report.state", "returned"));
    H_ASSERT(h_is(&r->body, "report.reason", "Missing evidence"));
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", coord, "report.validate", "{'report': %llu}",
                      (unsigned long long)r3);
    WROTE(r, 1);
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", ms, "rec.show", "{'id': '" UPR1 "'}");
    H_ASSERT(h_is(&r->body, "status", "in_progress"));
    H_ASSERT(h_len(&r->body, "reports") == 2);
    H_ASSERT(h_is(&r->body, "assignment.lead", "MJ"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", ms, "rec.show", "{'id': '" UPR2 "'}");
    H_ASSERT(h_is(&r->body, "status", "implemented"));
    nmirf_reply_destroy(&r);

    REPORTS("{}", 4);
    REPORTS("{'rec': '" UPR1 "'}", 2);
    REPORTS("{'entity': 'MI'}", 2);
    REPORTS("{'entity': 'MS'}", 0);
    REPORTS("{'state': 'validated'}", 2);
    REPORTS("{'state': 'submitted'}", 1);
    REPORTS("{'state': 'returned'}", 1);
    REPORTS("{'rec': '" UPR1 "', 'state': 'validated'}", 1);
    REPORTS("{'limit': 1}", 1);
    H_CALL_CHECK("not_found", coord, "report.validate", "{'report': 999999}");
    h_note("report.submit (lead, contributor), validate, return, report.list");
}

/* rec.list with each filter, and the summary's fields. */
static void
test_rec_list(void)
{
    LIST_TOTAL("{}", 5);
    LIST_TOTAL("{'mechanism': 'UPR'}", 2);
    LIST_TOTAL("{'mechanism': 'CRPD'}", 0);
    LIST_TOTAL("{'entity': 'MJ'}", 3); /* lead of UPR1, UPR2; contributor on CAT1 */
    LIST_TOTAL("{'entity': 'MI'}", 2); /* contributor on UPR1, lead of CAT1 */
    LIST_TOTAL("{'entity': 'MS'}", 0); /* replaced on CAT1 */
    LIST_TOTAL("{'status': 'implemented'}", 1);
    LIST_TOTAL("{'status': 'in_progress'}", 1);
    LIST_TOTAL("{'status': 'not_started'}", 3); /* CAT1's report is not validated */
    LIST_TOTAL("{'text': 'Torture'}", 1);
    LIST_TOTAL("{'text': 'torture'}", 1);
    LIST_TOTAL("{'text': 'peine de mort'}", 1);
    LIST_TOTAL("{'text': '" CRC1_AR "'}", 1);
    LIST_TOTAL("{'mechanism': 'UPR', 'status': 'implemented'}", 1);

    nmirf_reply_t *r = H_CALL_EXPECT("ok", obs, "rec.list", "{'limit': 2}");
    H_ASSERT(h_u(&r->body, "total") == 5 && h_len(&r->body, "recs") == 2);
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", obs, "rec.list", "{}");
    const msgpack_object *s = h_find(&r->body, "recs", "id", UPR1);
    H_ASSERT(s && h_is(s, "mechanism", "UPR") && h_is(s, "lead", "MJ"));
    H_ASSERT(h_is(s, "symbol", "A/HRC/52/7") && h_is(s, "paragraph", "145.1"));
    H_ASSERT(h_is(s, "deadline", "2025-12-31") && h_is(s, "status", "in_progress"));
    H_ASSERT(h_is(s, "text",
                  "Ratify the Optional Protocol to the Convention against Torture"));
    H_ASSERT(
        h_is(h_find(&r->body, "recs", "id", UPR2), "text", "Abolir la peine de mort"));
    H_ASSERT(h_is(h_find(&r->body, "recs", "id", CRC1), "text", CRC1_AR));
    H_ASSERT(h_nil(h_find(&r->body, "recs", "id", CRC1), "lead"));
    nmirf_reply_destroy(&r);
    h_note("rec.list filters mechanism/entity/status/text/limit");
}

/* entity.revoke, and its conflicts. */
static void
test_revoke(void)
{
    h_enroll(b, "TMP", "ministry");
    seq += 1;
    nmirf_reply_t *r = H_CALL_EXPECT("ok", coord, "entity.revoke", "{'id': 'TMP'}");
    WROTE(r, 1);
    H_ASSERT(h_is(&r->body, "entity.state", "revoked"));
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("conflict", coord, "entity.revoke", "{'id': 'TMP'}");
    H_CALL_CHECK("conflict", coord, "entity.revoke", "{'id': 'COORD'}");
    H_CALL_CHECK("not_found", coord, "entity.revoke", "{'id': 'NOPE'}");
    r = H_CALL_EXPECT("ok", obs, "entity.show", "{'id': 'TMP'}");
    H_ASSERT(h_is(&r->body, "entity.state", "revoked"));
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(b) == seq);
    h_note("entity.revoke");
}

/* events.since: the whole log, numbered 1..seq, hash-chained, one event
   per change the test made; and paging with limit. */
static void
test_events(void)
{
    nmirf_event_t **evs;
    size_t n = h_events(obs, 0, &evs);
    H_ASSERTF(n == seq, "%zu events, expected %llu", n, (unsigned long long)seq);
    H_ASSERT(evs[0]->seq == 1);
    H_CHECK_CHAIN(evs, n, NULL);
    H_ASSERT(strcmp(evs[0]->kind, "entity.enrolled") == 0);
    H_ASSERT(strcmp(evs[0]->subject, "COORD") == 0 && strcmp(evs[0]->author, "-") == 0);
    H_ASSERT(h_count_kind(evs, n, "entity.enrolled") == 6);
    H_ASSERT(h_count_kind(evs, n, "entity.revoked") == 1);
    H_ASSERT(h_count_kind(evs, n, "rec.added") == 5);
    H_ASSERT(h_count_kind(evs, n, "rec.updated") == 1);
    H_ASSERT(h_count_kind(evs, n, "assignment.set") == 5);
    H_ASSERT(h_count_kind(evs, n, "report.submitted") == 4);
    H_ASSERT(h_count_kind(evs, n, "report.validated") == 2);
    H_ASSERT(h_count_kind(evs, n, "report.returned") == 1);
    H_ASSERTF(n == 25, "%zu events in all, expected 25", n);
    H_ASSERT(!evs[0]->has_req);
    for (size_t i = 1; i < n; i++) {
        const nmirf_event_t *ev = evs[i];
        H_ASSERTF(ev->has_req, "event %zu has no request id", i + 1);
        H_ASSERTF(ev->ts >= evs[i - 1]->ts, "event %zu's ts goes back", i + 1);
        if (strcmp(ev->kind, "report.returned") == 0) /* MI's report, MJ leads */
            H_ASSERT(nmirf_event_concerns(ev, "MI") && nmirf_event_concerns(ev, "MJ"));
        if (strcmp(ev->kind, "entity.revoked") == 0)
            H_ASSERT(strcmp(ev->subject, "TMP") == 0 && nmirf_event_concerns(ev, "TMP") &&
                     h_is(&ev->data, "state", "revoked"));
        if (strcmp(ev->kind, "entity.enrolled") == 0)
            H_ASSERT(nmirf_event_concerns(ev, ev->subject) &&
                     h_is(&ev->data, "id", ev->subject));
    }

    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", obs, "events.since", "{'since': 3, 'limit': 2}");
    H_ASSERT(h_len(&r->body, "events") == 2 && h_u(&r->body, "last") == seq);
    for (int i = 0; i < 2; i++) {
        const msgpack_object *o = &h_get(&r->body, "events")->via.array.ptr[i];
        H_ASSERT(o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == evs[3 + i]->len);
        H_ASSERT(memcmp(o->via.bin.ptr, evs[3 + i]->bytes, evs[3 + i]->len) == 0);
    }
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", obs, "events.since", "{'since': %llu}",
                      (unsigned long long)seq);
    H_ASSERT(h_len(&r->body, "events") == 0 && h_u(&r->body, "last") == seq);
    nmirf_reply_destroy(&r);
    h_events_free(&evs, n);
    h_note("events.since: %llu events, gap-free, hash chain verifies",
           (unsigned long long)seq);
}

/* snapshot: its seq is the latest and it holds what the test made. */
static void
test_snapshot(void)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", obs, "snapshot", "{}");
    H_ASSERT(h_u(&r->body, "seq") == seq && r->seq == seq);
    H_ASSERT(h_len(&r->body, "entities") == 6);
    H_ASSERT(h_len(&r->body, "recs") == 5);
    H_ASSERT(h_len(&r->body, "assignments") == 3);
    H_ASSERT(h_len(&r->body, "reports") == 4);
    H_ASSERT(h_is(h_find(&r->body, "entities", "id", "TMP"), "state", "revoked"));
    H_ASSERT(h_is(h_find(&r->body, "recs", "id", CAT1), "text.en",
                  "Investigate all allegations of torture promptly"));
    H_ASSERT(h_is(h_find(&r->body, "assignments", "rec", CAT1), "lead", "MI"));
    H_ASSERT(h_is(h_find_u(&r->body, "reports", "id", r1), "state", "validated"));
    H_ASSERT(h_is(h_find_u(&r->body, "reports", "id", r2), "state", "returned"));
    H_ASSERT(h_is(h_find_u(&r->body, "reports", "id", r4), "state", "submitted"));
    /* Implementation status travels with the snapshot: a replica cannot
       derive it when two validations share a timestamp. */
    const msgpack_object *status = h_get(&r->body, "status");
    H_ASSERT(status && status->type == MSGPACK_OBJECT_MAP);
    H_ASSERT(nmirf_mp_str_is(nmirf_mp_get(status, UPR1), "in_progress"));
    nmirf_reply_destroy(&r);
    h_note("snapshot");
}

/* The count under stats group.key.status (a missing status counts 0). */
static uint64_t
stat_count(const msgpack_object *body, const char *group, const char *key,
           const char *status)
{
    const msgpack_object *m = h_get(h_get(body, group), key);
    if (!m)
        return 0;
    const msgpack_object *c = h_get(m, status);
    return c ? (c->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? c->via.u64 : UINT64_MAX) : 0;
}

/* The sum of every count under stats group. */
static uint64_t
stat_sum(const msgpack_object *body, const char *group)
{
    const msgpack_object *g = h_get(body, group);
    H_ASSERT(g && g->type == MSGPACK_OBJECT_MAP);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < g->via.map.size; i++) {
        const msgpack_object *m = &g->via.map.ptr[i].val;
        H_ASSERT(m->type == MSGPACK_OBJECT_MAP);
        for (uint32_t j = 0; j < m->via.map.size; j++) {
            H_ASSERT(m->via.map.ptr[j].val.type == MSGPACK_OBJECT_POSITIVE_INTEGER);
            sum += m->via.map.ptr[j].val.via.u64;
        }
    }
    return sum;
}

/* stats: counts by lead entity and by mechanism. */
static void
test_stats(void)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", ms, "stats", "{}");
    const msgpack_object *s = &r->body;
    H_ASSERT(h_u(s, "total") == 5);
    H_ASSERT(stat_sum(s, "by_entity") == 5 && stat_sum(s, "by_mechanism") == 5);
    H_ASSERT(stat_count(s, "by_entity", "MJ", "in_progress") == 1);
    H_ASSERT(stat_count(s, "by_entity", "MJ", "implemented") == 1);
    H_ASSERT(stat_count(s, "by_entity", "MI", "not_started") == 1);
    H_ASSERT(stat_count(s, "by_entity", "-", "not_started") == 2);
    H_ASSERT(stat_count(s, "by_mechanism", "UPR", "in_progress") == 1);
    H_ASSERT(stat_count(s, "by_mechanism", "UPR", "implemented") == 1);
    H_ASSERT(stat_count(s, "by_mechanism", "CAT", "not_started") == 1);
    H_ASSERT(stat_count(s, "by_mechanism", "CEDAW", "not_started") == 1);
    H_ASSERT(stat_count(s, "by_mechanism", "CRC", "not_started") == 1);
    nmirf_reply_destroy(&r);
    h_note("stats");
}

/* The status is that of the most recently validated report, not of the
   most recently submitted one. */
static void
test_status_rule(void)
{
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", coord, "rec.assign", "{'rec': '" CRC1 "', 'lead': 'MS'}");
    WROTE(r, 1);
    nmirf_reply_destroy(&r);
    uint64_t a = submit(ms, CRC1, "implemented", "");
    uint64_t later = submit(ms, CRC1, "in_progress", "");
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)later);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)a);
    r = H_CALL_EXPECT("ok", obs, "rec.show", "{'id': '" CRC1 "'}");
    H_ASSERT(h_is(&r->body, "status", "implemented"));
    nmirf_reply_destroy(&r);
    LIST_TOTAL("{'status': 'implemented', 'entity': 'MS'}", 1);
    h_note("status follows the most recently validated report");
}

/* --coordinator names the first coordinator of a new broker. */
static void
test_coordinator_option(void)
{
    h_broker_t *other = h_broker_start("DIDH");
    h_entity_t *didh = h_coord(other);
    nmirf_reply_t *r = H_CALL_EXPECT("ok", didh, "entity.show", "{'id': 'DIDH'}");
    H_ASSERT(h_is(&r->body, "entity.role", "coordinator"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("not_found", didh, "entity.show", "{'id': 'COORD'}");
    nmirf_reply_destroy(&r);
    h_broker_destroy(&other);
    h_note("--coordinator DIDH");
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 55);
    b = h_broker_start(NULL);
    coord = h_coord(b);
    test_ping();
    test_entities();
    test_import();
    test_assign();
    test_reports();
    test_rec_list();
    test_revoke();
    test_events();
    test_snapshot();
    test_stats();
    test_status_rule();
    test_coordinator_option();
    h_broker_destroy(&b);
    return 0;
}
