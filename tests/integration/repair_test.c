/*  repair_test - repairing the list (PROTOCOL.md section 6): rec.withdraw,
    rec.merge and entity.update on a real broker.

    Five recommendations, three ministries. R3 is withdrawn: rec.list
    leaves it out unless asked, snapshot and rec.show keep it with its
    withdrawal, and report.submit, rec.assign, a second withdrawal and a
    merge from or into it are conflicts; importing it again keeps it
    withdrawn. R1 is merged into R2 (both assigned, both with reports):
    its reports keep their ids and name R2, its measures link R2 once, its
    people join R2's contributors, R2's status is that of the latest
    validated report of the two. R4 is merged into R5, which has no
    assignment: R4's moves whole. MJ is renamed in Arabic and given a
    contact. A ministry's withdraw, merge and update are forbidden; bad
    bodies are refused by name; every refusal leaves the sequence where it
    was. Then the broker stops, `nmirf audit verify`'s verifier passes on
    its store (the stored replies of the new writes included), and a
    restart keeps all of it.
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"

/* The summary of rec in a rec.list reply, or NULL. */
static const msgpack_object *
s_listed(const nmirf_reply_t *r, const char *rec)
{
    size_t n = h_len(&r->body, "recs");
    for (size_t i = 0; n != SIZE_MAX && i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "recs.%zu.id", i);
        if (h_is(&r->body, path, rec)) {
            snprintf(path, sizeof path, "recs.%zu", i);
            return h_get(&r->body, path);
        }
    }
    return NULL;
}

/* Submits a report on rec as m with status; validates it if asked.
   Returns its id. */
static uint64_t
s_report(h_broker_t *b, h_entity_t *m, const char *rec, const char *status, bool validate)
{
    nmirf_reply_t *r = H_CALL_EXPECT(
        "ok", m, "report.submit",
        "{'rec': '%s', 'status': '%s', 'narrative': 'work on %s'}", rec, status, rec);
    uint64_t id = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    if (validate)
        H_CALL_CHECK("ok", h_coord(b), "report.validate", "{'report': %llu}",
                     (unsigned long long)id);
    return id;
}

/* Checks what must hold before and after a restart. */
static void
s_check_state(h_broker_t *b, uint64_t r1a, uint64_t r1b, uint64_t r2a)
{
    h_entity_t *coord = h_coord(b);
    nmirf_reply_t *r = H_CALL_EXPECT("ok", coord, "rec.list", "{}");
    H_ASSERTF(h_u(&r->body, "total") == 2, "rec.list total %llu, not 2 (R2, R5)",
              (unsigned long long)h_u(&r->body, "total"));
    H_ASSERT(!s_listed(r, "R1") && !s_listed(r, "R3") && !s_listed(r, "R4"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.list", "{'withdrawn': true}");
    H_ASSERT(h_u(&r->body, "total") == 5);
    const msgpack_object *s3 = s_listed(r, "R3");
    H_ASSERT(s3 && h_get(s3, "withdrawn") &&
             h_get(s3, "withdrawn")->type == MSGPACK_OBJECT_BOOLEAN);
    H_ASSERT(!h_get(s_listed(r, "R2"), "withdrawn"));
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R1'}");
    H_ASSERT(h_is(&r->body, "rec.withdrawn.into", "R2"));
    H_ASSERT(h_is(&r->body, "rec.withdrawn.reason", "merged into R2"));
    H_ASSERT(h_len(&r->body, "reports") == 0 && h_nil(&r->body, "assignment"));
    H_ASSERT(h_is(&r->body, "status", "not_started"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R2'}");
    H_ASSERT(h_len(&r->body, "reports") == 5);
    H_ASSERT(h_is(&r->body, "status", "partially_implemented"));
    H_ASSERT(h_is(&r->body, "assignment.lead", "MK") &&
             h_has_str(&r->body, "assignment.contributors", "MJ") &&
             h_has_str(&r->body, "assignment.contributors", "MI"));
    nmirf_reply_destroy(&r);
    /* The moved reports kept their ids, and name R2. */
    uint64_t ids[3] = {r1a, r1b, r2a};
    for (int i = 0; i < 3; i++) {
        r = H_CALL_EXPECT("ok", coord, "report.list", "{'rec': 'R2'}");
        H_ASSERT(h_len(&r->body, "reports") == 5);
        bool found = false;
        for (size_t j = 0; j < 5; j++) {
            char p[32];
            snprintf(p, sizeof p, "reports.%zu.id", j);
            if (h_u(&r->body, p) == ids[i]) {
                snprintf(p, sizeof p, "reports.%zu.rec", j);
                found = h_is(&r->body, p, "R2");
            }
        }
        H_ASSERTF(found, "report %llu is not R2's under its own id",
                  (unsigned long long)ids[i]);
        nmirf_reply_destroy(&r);
    }
    r = H_CALL_EXPECT("ok", coord, "report.list", "{'rec': 'R1'}");
    H_ASSERT(h_len(&r->body, "reports") == 0);
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R5'}");
    H_ASSERT(h_is(&r->body, "assignment.rec", "R5") &&
             h_is(&r->body, "assignment.lead", "MJ") &&
             h_is(&r->body, "assignment.deadline", "2030-01-31"));
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", coord, "entity.show", "{'id': 'MJ'}");
    H_ASSERT(h_is(&r->body, "entity.names.fr", "Ministère de la Justice"));
    H_ASSERT(h_is(&r->body, "entity.names.ar", "وزارة العدل"));
    H_ASSERT(h_is(&r->body, "entity.names.en", "MJ"));
    H_ASSERT(h_is(&r->body, "entity.contact", "dajg@justice.gov.ma"));
    H_ASSERT(h_is(&r->body, "entity.state", "active"));
    nmirf_reply_destroy(&r);

    r = H_CALL_EXPECT("ok", coord, "snapshot", "{}");
    H_ASSERT(h_len(&r->body, "recs") == 5);
    nmirf_reply_destroy(&r);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 80);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_entity_t *mk = h_enroll(b, "MK", "ministry");
    h_enroll(b, "MI", "ministry");
    h_entity_t *obs = h_enroll(b, "OBS", "observer");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'R1', 'mechanism': 'UPR', 'text': {'en': 'Ratify "
                 "OP-CAT.'}}, {'id': 'R2', 'mechanism': 'UPR', 'text': {'en': 'Ratify "
                 "OP-CAT'}}, {'id': 'R3', 'mechanism': 'CAT', 'text': {'fr': 'Hors "
                 "sujet'}}, {'id': 'R4', 'mechanism': 'CRC', 'text': {'en': 'Birth "
                 "registration.'}}, {'id': 'R5', 'mechanism': 'CRC', 'text': {'en': "
                 "'Birth registration'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'R1', 'lead': 'MJ', 'contributors': ['MI'], 'deadline': "
                 "'2030-01-31'}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'R2', 'lead': 'MK'}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'R3', 'lead': 'MJ', 'deadline': '2030-01-31'}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'R4', 'lead': 'MJ', 'deadline': '2030-01-31'}");
    /* R2's report is validated first, R1's later: R1's decides. */
    uint64_t r2a = s_report(b, mk, "R2", "implemented", true);
    uint64_t r1a = s_report(b, mj, "R1", "partially_implemented", true);
    uint64_t r1b = s_report(b, mj, "R1", "implemented", false);
    H_CALL_CHECK("ok", coord, "measure.add",
                 "{'recs': ['R1'], 'title': 'Draft the law'}");
    H_CALL_CHECK("ok", coord, "measure.add",
                 "{'recs': ['R1', 'R2'], 'title': 'Train the judges'}");
    H_CALL_CHECK("ok", coord, "measure.add", "{'recs': ['R3'], 'title': 'Check it'}");
    h_note("five recommendations, four assigned, three reports, three measures");

    /* Refusals: each by name, none changes anything. */
    uint64_t seq = h_seq(b);
    H_CALL_CHECK("forbidden", mj, "rec.withdraw", "{'rec': 'R3', 'reason': 'dup'}");
    H_CALL_CHECK("forbidden", mj, "rec.merge", "{'from': 'R1', 'into': 'R2'}");
    H_CALL_CHECK("forbidden", mj, "entity.update", "{'id': 'MJ', 'contact': 'x@y'}");
    H_CALL_CHECK("forbidden", obs, "rec.withdraw", "{'rec': 'R3', 'reason': 'dup'}");
    H_CALL_CHECK("forbidden", obs, "rec.merge", "{'from': 'R1', 'into': 'R2'}");
    H_CALL_CHECK("forbidden", obs, "entity.update", "{'id': 'OBS', 'contact': 'x@y'}");
    H_CALL_CHECK("bad_request", coord, "rec.withdraw", "{}");
    H_CALL_CHECK("bad_request", coord, "rec.merge", "{}");
    H_CALL_CHECK("bad_request", coord, "entity.update", "{}");
    H_CALL_CHECK("bad_request", coord, "rec.withdraw", "{'rec': 'R3'}");
    H_CALL_CHECK("bad_request", coord, "rec.withdraw", "{'rec': 'R3', 'reason': ''}");
    H_CALL_CHECK("bad_request", coord, "rec.withdraw",
                 "{'rec': 'R3', 'reason': 'x', 'into': 'R2'}");
    H_CALL_CHECK("bad_request", coord, "rec.withdraw",
                 "{'rec': 'no such id!', "
                 "'reason': 'x'}");
    H_CALL_CHECK("not_found", coord, "rec.withdraw", "{'rec': 'R9', 'reason': 'x'}");
    H_CALL_CHECK("bad_request", coord, "rec.merge", "{'from': 'R1', 'into': 'R1'}");
    H_CALL_CHECK("bad_request", coord, "rec.merge", "{'from': 'R1'}");
    H_CALL_CHECK("not_found", coord, "rec.merge", "{'from': 'R1', 'into': 'R9'}");
    H_CALL_CHECK("not_found", coord, "rec.merge", "{'from': 'R9', 'into': 'R1'}");
    H_CALL_CHECK("bad_request", coord, "entity.update", "{'id': 'MJ'}");
    H_CALL_CHECK("bad_request", coord, "entity.update", "{'id': 'MJ', 'names': {}}");
    H_CALL_CHECK("bad_request", mj, "rec.merge", "{'from': 'R1', 'into': 'R1'}");
    H_CALL_CHECK("bad_request", coord, "entity.update",
                 "{'id': 'MJ', 'contact': 'line\\nbreak'}");
    H_CALL_CHECK("bad_request", coord, "entity.update",
                 "{'id': 'MJ', 'names': {'de': 'Justiz'}}");
    H_CALL_CHECK("bad_request", coord, "entity.update",
                 "{'id': 'MJ', 'names': {'ar': ''}}");
    H_CALL_CHECK("bad_request", coord, "entity.update",
                 "{'id': 'MJ', 'role': 'observer'}");
    H_CALL_CHECK("not_found", coord, "entity.update", "{'id': 'MX', 'contact': 'x@y'}");
    H_CALL_CHECK("bad_request", coord, "rec.list", "{'withdrawn': 'yes'}");
    /* A name is one line (in tables and terminals), at enrollment too; a
       contact over 512 bytes is too_large. */
    H_CALL_CHECK("bad_request", coord, "entity.update",
                 "{'id': 'MJ', 'names': {'fr': 'Justice\\nCOORD ok'}}");
    H_CALL_CHECK("bad_request", coord, "entity.update",
                 "{'id': 'MJ', 'names': {'ar': 'x\\ty'}}");
    {
        char contact[600];
        memset(contact, 'c', 513);
        contact[513] = '\0';
        H_CALL_CHECK("too_large", coord, "entity.update", "{'id': 'MJ', 'contact': '%s'}",
                     contact);
        nmirf_key_t k;
        uint8_t curve[32];
        H_ASSERT(nmirf_key_generate(&k, "MX") == 0 &&
                 nmirf_key_curve_raw(&k, curve) == 0);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 5);
        nmirf_mp_pack_kv_str(&pk, "id", "MX");
        nmirf_mp_pack_kv_str(&pk, "role", "ministry");
        nmirf_mp_pack_str(&pk, "names");
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_kv_str(&pk, "fr", "Ministère\r\nX");
        nmirf_mp_pack_str(&pk, "sign_key");
        nmirf_mp_pack_bin(&pk, k.sign_pk, 32);
        nmirf_mp_pack_str(&pk, "curve_key");
        nmirf_mp_pack_bin(&pk, curve, 32);
        nmirf_reply_t *e =
            h_call_packed(coord, NULL, "entity.enroll", (uint8_t *)sb.data, sb.size);
        H_EXPECT(e, "bad_request");
        H_ASSERTF(strstr(e->message, "names.fr"), "message: %s", e->message);
        nmirf_reply_destroy(&e);
        msgpack_sbuffer_destroy(&sb);
        nmirf_key_wipe(&k);
    }
    nmirf_reply_t *r =
        H_CALL_EXPECT("bad_request", coord, "rec.withdraw", "{'rec': 'R3'}");
    H_ASSERTF(strstr(r->message, "reason"), "message: %s", r->message);
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(b) == seq);
    h_note("a ministry's withdraw, merge and update are forbidden; bad bodies refused; "
           "nothing changed");

    /* Withdraw R3. */
    r = H_CALL_EXPECT("ok", coord, "rec.list", "{}");
    H_ASSERT(h_u(&r->body, "total") == 5);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.withdraw",
                      "{'rec': 'R3', 'reason': 'not addressed to the country'}");
    H_ASSERT(h_is(&r->body, "rec.id", "R3") &&
             h_is(&r->body, "rec.withdrawn.reason", "not addressed to the country") &&
             h_u(&r->body, "rec.withdrawn.at") != UINT64_MAX &&
             !h_get(&r->body, "rec.withdrawn.into"));
    H_ASSERT(r->seq == seq + 1);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.list", "{}");
    H_ASSERT(h_u(&r->body, "total") == 4 && !s_listed(r, "R3"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.list", "{'withdrawn': true, 'mechanism': 'CAT'}");
    H_ASSERT(h_u(&r->body, "total") == 1 && s_listed(r, "R3"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.list", "{'entity': 'MJ'}");
    H_ASSERT(!s_listed(r, "R3") && s_listed(r, "R1"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R3'}");
    H_ASSERT(h_is(&r->body, "rec.withdrawn.reason", "not addressed to the country") &&
             h_is(&r->body, "assignment.lead", "MJ"));
    nmirf_reply_destroy(&r);
    seq = h_seq(b);
    r = H_CALL_EXPECT("conflict", mj, "report.submit",
                      "{'rec': 'R3', 'status': 'in_progress', 'narrative': 'n'}");
    H_ASSERTF(strstr(r->message, "withdrawn"), "message: %s", r->message);
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("conflict", coord, "rec.assign", "{'rec': 'R3', 'lead': 'MK'}");
    H_CALL_CHECK("conflict", coord, "rec.withdraw", "{'rec': 'R3', 'reason': 'again'}");
    H_CALL_CHECK("conflict", coord, "rec.merge", "{'from': 'R3', 'into': 'R2'}");
    H_CALL_CHECK("conflict", coord, "rec.merge", "{'from': 'R2', 'into': 'R3'}");
    /* No new measure on it, and no measure newly linked to it; one that
       linked it before stays editable (below). */
    r = H_CALL_EXPECT("conflict", coord, "measure.add",
                      "{'recs': ['R2', 'R3'], 'title': 'Late plan'}");
    H_ASSERTF(strstr(r->message, "R3") && strstr(r->message, "withdrawn"), "message: %s",
              r->message);
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("conflict", coord, "measure.update",
                 "{'id': 2, 'recs': ['R1', 'R2', 'R3']}");
    H_ASSERT(h_seq(b) == seq);
    r = H_CALL_EXPECT("ok", coord, "measure.update",
                      "{'id': 3, 'recs': ['R3'], 'title': 'Checked: not ours'}");
    H_ASSERT(r->seq == seq + 1 && h_is(&r->body, "measure.recs.0", "R3"));
    nmirf_reply_destroy(&r);
    seq = h_seq(b);
    /* Importing it again keeps it withdrawn: unchanged, then updated. */
    r = H_CALL_EXPECT("ok", coord, "rec.import",
                      "{'recs': [{'id': 'R3', 'mechanism': 'CAT', 'text': {'fr': 'Hors "
                      "sujet'}}]}");
    H_ASSERT(h_u(&r->body, "unchanged") == 1 && h_u(&r->body, "updated") == 0);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.import",
                      "{'recs': [{'id': 'R3', 'mechanism': 'CAT', 'text': {'fr': 'Hors "
                      "sujet.'}}]}");
    H_ASSERT(h_u(&r->body, "updated") == 1);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R3'}");
    H_ASSERT(h_is(&r->body, "rec.text.fr", "Hors sujet.") &&
             h_is(&r->body, "rec.withdrawn.reason", "not addressed to the country"));
    nmirf_reply_destroy(&r);
    h_note("withdrawn: hidden from rec.list unless asked, shown by rec.show, no report, "
           "no assignment, stays withdrawn on import");

    /* Merge R1 into R2. */
    r = H_CALL_EXPECT("ok", coord, "rec.merge", "{'from': 'R1', 'into': 'R2'}");
    H_ASSERT(h_is(&r->body, "rec.id", "R2") && !h_get(&r->body, "rec.withdrawn"));
    H_ASSERT(h_u(&r->body, "moved.reports") == 2 && h_u(&r->body, "moved.measures") == 2);
    H_ASSERT(h_get(&r->body, "moved.assignment") &&
             !h_get(&r->body, "moved.assignment")->via.boolean);
    nmirf_reply_destroy(&r);
    for (uint64_t m = 1; m <= 2; m++) {
        r = H_CALL_EXPECT("ok", coord, "measure.show", "{'id': %llu}",
                          (unsigned long long)m);
        H_ASSERTF(h_len(&r->body, "measure.recs") == 1 &&
                      h_is(&r->body, "measure.recs.0", "R2"),
                  "measure %llu does not link R2 alone", (unsigned long long)m);
        nmirf_reply_destroy(&r);
    }
    r = H_CALL_EXPECT("ok", coord, "measure.list", "{'rec': 'R1'}");
    H_ASSERT(h_u(&r->body, "total") == 0);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("conflict", coord, "measure.add", "{'recs': ['R1'], 'title': 'x'}");
    H_ASSERTF(strstr(r->message, "merged into 'R2'"), "message: %s", r->message);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("conflict", mj, "report.submit",
                      "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'n'}");
    H_ASSERTF(strstr(r->message, "R2"), "message: %s", r->message);
    nmirf_reply_destroy(&r);
    /* MJ, R1's lead, now contributes to R2; the report still submitted
       there can be validated and names R2. */
    uint64_t r2b = s_report(b, mj, "R2", "in_progress", false);
    r = H_CALL_EXPECT("ok", coord, "report.validate", "{'report': %llu}",
                      (unsigned long long)r1b);
    H_ASSERT(h_is(&r->body, "report.rec", "R2"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R2'}");
    H_ASSERT(h_is(&r->body, "status", "implemented"));
    nmirf_reply_destroy(&r);
    /* Back to a known status for the checks below: a later validation. */
    H_CALL_CHECK("ok", coord, "report.return", "{'report': %llu, 'reason': 'no'}",
                 (unsigned long long)r2b);
    s_report(b, mj, "R2", "partially_implemented", true);
    h_note("R1 merged into R2: 2 reports under their ids, 2 measures, MJ and MI "
           "contributors, status recomputed");

    /* Merge R4 into R5: the assignment moves whole; a reason given. */
    r = H_CALL_EXPECT("ok", coord, "rec.merge",
                      "{'from': 'R4', 'into': 'R5', 'reason': 'same paragraph'}");
    H_ASSERT(h_get(&r->body, "moved.assignment")->via.boolean &&
             h_u(&r->body, "moved.reports") == 0);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R4'}");
    H_ASSERT(h_is(&r->body, "rec.withdrawn.reason", "same paragraph") &&
             h_is(&r->body, "rec.withdrawn.into", "R5"));
    nmirf_reply_destroy(&r);

    /* entity.update: Arabic name and contact, then the French name. */
    r = H_CALL_EXPECT("ok", coord, "entity.update",
                      "{'id': 'MJ', 'names': {'ar': 'وزارة العدل'}, 'contact': "
                      "'dajg@justice.gov.ma'}");
    H_ASSERT(h_is(&r->body, "entity.names.ar", "وزارة العدل") &&
             h_is(&r->body, "entity.names.fr", "MJ") &&
             h_is(&r->body, "entity.contact", "dajg@justice.gov.ma"));
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "entity.update",
                 "{'id': 'MJ', 'names': {'fr': 'Ministère de la Justice'}}");
    /* A revoked entity may be renamed (PROTOCOL.md: its name stays in
       the history); its state stays revoked. */
    H_CALL_CHECK("ok", coord, "entity.revoke", "{'id': 'OBS'}");
    r = H_CALL_EXPECT("ok", coord, "entity.update",
                      "{'id': 'OBS', 'names': {'en': 'Former observer'}}");
    H_ASSERT(h_is(&r->body, "entity.state", "revoked") &&
             h_is(&r->body, "entity.names.en", "Former observer"));
    nmirf_reply_destroy(&r);
    /* MJ's keys did not change: it still signs. */
    H_CALL_CHECK("ok", mj, "rec.list", "{}");
    h_note("entity.update: names by language, contact kept");

    s_check_state(b, r1a, r1b, r2a);
    uint64_t last = h_seq(b);

    /* The audit chain verifies, stored replies of the new writes included. */
    h_broker_stop(b);
    char keypath[PATH_MAX + 32], why[256];
    snprintf(keypath, sizeof keypath, "%s/keys/NMIRFD.pub", b->dir);
    nmirf_key_t broker;
    H_ASSERTF(nmirf_key_load(&broker, keypath, why, sizeof why) == 0, "%s", why);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "audit verify: %s", sum.why);
    H_ASSERT(sum.events == last);
    h_note("audit verify passes: %llu events, %llu requests",
           (unsigned long long)sum.events, (unsigned long long)sum.requests);

    h_broker_restart(b);
    s_check_state(b, r1a, r1b, r2a);
    H_ASSERT(h_seq(b) == last);
    h_note("a restart keeps the withdrawals, the merges and the names");

    /* A chain: R1 went into R2, now R2 into R5. R1's reports (R2's since)
       are R5's; R1 keeps into R2, what its merge did, and R2 says R5. */
    r = H_CALL_EXPECT("ok", coord, "rec.merge", "{'from': 'R2', 'into': 'R5'}");
    H_ASSERT(h_u(&r->body, "moved.reports") == 5 && h_u(&r->body, "moved.measures") == 2);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "report.list", "{'rec': 'R5'}");
    H_ASSERT(h_len(&r->body, "reports") == 5);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R1'}");
    H_ASSERT(h_is(&r->body, "rec.withdrawn.into", "R2"));
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R2'}");
    H_ASSERT(h_is(&r->body, "rec.withdrawn.into", "R5") &&
             h_len(&r->body, "reports") == 0);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", coord, "rec.show", "{'id': 'R5'}");
    H_ASSERT(h_is(&r->body, "status", "partially_implemented") &&
             h_is(&r->body, "assignment.lead", "MJ") &&
             h_has_str(&r->body, "assignment.contributors", "MK"));
    nmirf_reply_destroy(&r);
    seq = h_seq(b);
    H_CALL_CHECK("conflict", coord, "rec.merge", "{'from': 'R5', 'into': 'R1'}");
    H_CALL_CHECK("conflict", coord, "rec.merge", "{'from': 'R1', 'into': 'R5'}");
    /* A refusal names where the chain ends: R1 lives on as R5. */
    r = H_CALL_EXPECT("conflict", mj, "report.submit",
                      "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'n'}");
    H_ASSERTF(strstr(r->message, "merged into 'R5'"), "message: %s", r->message);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("conflict", coord, "measure.add", "{'recs': ['R1'], 'title': 'x'}");
    H_ASSERTF(strstr(r->message, "merged into 'R5'"), "message: %s", r->message);
    nmirf_reply_destroy(&r);
    H_ASSERT(h_seq(b) == seq);
    h_note("a chain R1 -> R2 -> R5: R1's reports end at R5, each record names its own "
           "merge, a refusal on R1 names R5");
    h_broker_destroy(&b);
    return 0;
}
