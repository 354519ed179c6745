/*  deadlines_test - deadline.due_soon and deadline.overdue, each once per
    assignment version, at the right day of an injected clock
    (NMIRFD_CLOCK_FILE, scans every 100 ms: NMIRFD_DEADLINE_SCAN_MS).

    Recommendation A (lead MJ, contributor MI) is due on D. With the clock
    20 days before D (horizon 14): nothing; 10 days before: exactly one
    due_soon, and no more after more scans and a broker restart; the day
    after D: exactly one overdue. B, validated as implemented before its
    deadline, never gets one, nor does W, withdrawn. Reassigning A with a new deadline
   re-arms.

    A scan leaves no trace when it finds nothing, so the test knows a scan
    at the new clock ran through a marker: recommendation MARK, led by MI,
    is reassigned with a past deadline after each clock change; a new
    assignment version is overdue at once, and since one scan reads every
    assignment in one transaction, MARK's overdue event means A and B were
    judged at that clock too.

    MJ's nmirf-agent turns the live events into notifications; the log
    with broker-authored events still verifies offline.
*/
#include "agent_harness.h"
#include "nmirf_audit.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS 86400000ULL

static h_broker_t *b;
static h_entity_t *coord, *mj, *mi;
static char clock_path[PATH_MAX + 16];
static uint64_t d_ms; /* 00:00 UTC of D, 2030-06-30 */
static int marks;     /* MARK reassignments so far */

/* Sets the broker's clock to D + days, at noon UTC. */
static void
set_clock(int days)
{
    char text[32];
    int n = snprintf(
        text, sizeof text, "%llu\n",
        (unsigned long long)(d_ms + (int64_t)days * (int64_t)DAY_MS + DAY_MS / 2));
    H_ASSERT(nmirf_write_file(clock_path, text, (size_t)n, 0644) == 0);
}

/* How many events of kind about subject the log holds. */
static size_t
count(const char *kind, const char *subject)
{
    nmirf_event_t **evs;
    size_t n = h_events(coord, 0, &evs), c = 0;
    for (size_t i = 0; i < n; i++)
        c += strcmp(evs[i]->kind, kind) == 0 && strcmp(evs[i]->subject, subject) == 0;
    h_events_free(&evs, n);
    return c;
}

/* Reassigns MARK with a new past deadline and waits until a scan emitted
   its overdue: every assignment has then been judged at the current
   clock. */
static void
scan_done(void)
{
    marks++;
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'MARK', 'lead': 'MI', 'deadline': '2000-01-%02d'}", marks);
    for (int i = 0; i < 400 && count("deadline.overdue", "MARK") < (size_t)marks; i++)
        h_sleep_ms(50);
    H_ASSERTF(count("deadline.overdue", "MARK") == (size_t)marks,
              "no scan emitted MARK's overdue #%d", marks);
}

/* Occurrences of needle in the file at path. */
static size_t
lines_with(const char *path, const char *needle)
{
    size_t len, c = 0;
    char *text = nmirf_read_file(path, &len);
    if (!text)
        return 0;
    for (char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        c++;
    free(text);
    return c;
}

/* How many lines of the notification log at path decode (the codec,
   nmirf_notify_decode) as kind (NMIRF_NOTIFY_KIND_COUNT: any), with rec
   (NULL: any) and, if days is not NULL, data.days_left *days. */
static size_t
notified(const char *path, nmirf_notify_kind_t kind, const char *rec,
         const json_int_t *days)
{
    size_t len, c = 0;
    char *text = nmirf_read_file(path, &len);
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t n_len = nl ? (size_t)(nl - line) : strlen(line);
        nmirf_notify_t n = {0};
        if (n_len > 0 && nmirf_notify_decode(line, n_len, &n, NULL, 0) == NMIRF_OK &&
            (kind == NMIRF_NOTIFY_KIND_COUNT || n.kind == kind) &&
            (!rec || (n.rec && strcmp(n.rec, rec) == 0)) &&
            (!days ||
             (json_is_integer(json_object_get(n.data, "days_left")) &&
              json_integer_value(json_object_get(n.data, "days_left")) == *days)))
            c++;
        nmirf_notify_release(&n);
        line = nl ? nl + 1 : line + n_len;
    }
    free(text);
    return c;
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 110);
    struct tm tm = {.tm_year = 2030 - 1900, .tm_mon = 5, .tm_mday = 30};
    d_ms = (uint64_t)timegm(&tm) * 1000;
    char tmpl[] = "/tmp/nmirf-deadlines-XXXXXX";
    H_ASSERT(mkdtemp(tmpl));
    snprintf(clock_path, sizeof clock_path, "%s/clock", tmpl);
    set_clock(-20);
    setenv("NMIRFD_CLOCK_FILE", clock_path, 1);
    setenv("NMIRFD_DEADLINE_SCAN_MS", "100", 1);
    static const char *const args[] = {"--due-soon-days", "14", NULL};
    b = h_broker_start_with(NULL, args);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    mi = h_enroll(b, "MI", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'A', 'mechanism': 'UPR', 'text': {'en': 'a'}},"
                 "{'id': 'B', 'mechanism': 'CAT', 'text': {'en': 'b'}},"
                 "{'id': 'C', 'mechanism': 'CRC', 'text': {'en': 'c'}},"
                 "{'id': 'MARK', 'mechanism': 'SP', 'text': {'en': 'marker'}},"
                 "{'id': 'W', 'mechanism': 'CRC', 'text': {'en': 'withdrawn'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'A', 'lead': 'MJ', 'contributors': ['MI'], "
                 "'deadline': '2030-06-30'}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'B', 'lead': 'MJ', 'deadline': '2030-06-30'}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'C', 'lead': 'MJ'}"); /* none */
    /* W is due with A, but withdrawn: its assignment stays, as history,
       and it never gets a deadline event. */
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'W', 'lead': 'MJ', 'deadline': '2030-06-30'}");
    H_CALL_CHECK("ok", coord, "rec.withdraw", "{'rec': 'W', 'reason': 'duplicate'}");
    nmirf_reply_t *r =
        H_CALL_EXPECT("ok", mj, "report.submit",
                      "{'rec': 'B', 'status': 'implemented', 'narrative': 'done early'}");
    uint64_t rb = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)rb);

    scan_done();
    H_ASSERT(count("deadline.due_soon", "A") == 0 && count("deadline.overdue", "A") == 0);
    h_note("20 days before D, horizon 14: nothing");

    set_clock(-10);
    scan_done();
    H_ASSERT(count("deadline.due_soon", "A") == 1);
    scan_done();
    scan_done();
    H_ASSERT(count("deadline.due_soon", "A") == 1 && count("deadline.overdue", "A") == 0);
    h_note("10 days before D: exactly one due_soon, none more after more scans");

    /* Its event: by the broker, for the lead and the contributor. */
    nmirf_event_t **evs;
    size_t n = h_events(coord, 0, &evs);
    H_CHECK_CHAIN(evs, n, NULL);
    for (size_t i = 0; i < n; i++)
        if (strcmp(evs[i]->kind, "deadline.due_soon") == 0) {
            H_ASSERT(strcmp(evs[i]->author, "-") == 0 && !evs[i]->has_req);
            H_ASSERT(nmirf_event_concerns(evs[i], "MJ") &&
                     nmirf_event_concerns(evs[i], "MI"));
            H_ASSERT(h_is(&evs[i]->data, "rec", "A"));
            H_ASSERT(h_is(&evs[i]->data, "deadline", "2030-06-30"));
            H_ASSERT(h_is(&evs[i]->data, "today", "2030-06-20"));
            const msgpack_object *dl = h_get(&evs[i]->data, "days_left");
            H_ASSERT(dl && dl->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                     dl->via.u64 == 10);
        }
    h_events_free(&evs, n);

    h_broker_stop(b);
    h_broker_restart(b);
    scan_done();
    H_ASSERT(count("deadline.due_soon", "A") == 1);
    h_note("a broker restart emits nothing again");

    /* MJ's agent, from here on: it loads a snapshot, then live events. */
    char notify_log[PATH_MAX + 32];
    snprintf(notify_log, sizeof notify_log, "%s/notify.jsonl", tmpl);
    const char *extra[] = {"--notify-log", notify_log, NULL};
    ha_agent_t *a = ha_agent_start(b, mj, extra);
    uint8_t dg[NMIRF_HASH_LEN];
    uint64_t aseq = 0, bseq = h_seq(b);
    for (int i = 0; i < 400 && aseq < bseq; i++) {
        ha_agent_digest(a, dg, &aseq);
        if (aseq < bseq)
            h_sleep_ms(50);
    }
    HA_ASSERT(aseq >= bseq);

    set_clock(1);
    scan_done();
    H_ASSERT(count("deadline.overdue", "A") == 1 && count("deadline.due_soon", "A") == 1);
    scan_done();
    H_ASSERT(count("deadline.overdue", "A") == 1);
    H_ASSERT(count("deadline.overdue", "B") == 0 && count("deadline.due_soon", "B") == 0);
    H_ASSERT(count("deadline.overdue", "C") == 0);
    H_ASSERT(count("deadline.overdue", "W") == 0 && count("deadline.due_soon", "W") == 0);
    h_note("the day after D: exactly one overdue; implemented B, withdrawn W: none");

    /* Reassigned with a new deadline 40 days after D: a new version. */
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'A', 'lead': 'MJ', 'contributors': ['MI'], "
                 "'deadline': '2030-08-09'}");
    scan_done();
    H_ASSERT(count("deadline.due_soon", "A") == 1);
    set_clock(35);
    scan_done();
    H_ASSERT(count("deadline.due_soon", "A") == 2 && count("deadline.overdue", "A") == 1);
    h_note("a reassignment with a new deadline re-arms");

    /* The agent saw one overdue and one due_soon for A, MARK is not MJ's. */
    const nmirf_notify_kind_t over = NMIRF_NOTIFY_DEADLINE_OVERDUE,
                              soon = NMIRF_NOTIFY_DEADLINE_DUE_SOON,
                              any = NMIRF_NOTIFY_KIND_COUNT;
    for (int i = 0; i < 400 && (notified(notify_log, over, NULL, NULL) < 1 ||
                                notified(notify_log, soon, NULL, NULL) < 1);
         i++)
        h_sleep_ms(50);
    HA_ASSERTF(notified(notify_log, over, NULL, NULL) == 1 &&
                   notified(notify_log, soon, NULL, NULL) == 1,
               "notify log: %zu overdue, %zu due_soon",
               notified(notify_log, over, NULL, NULL),
               notified(notify_log, soon, NULL, NULL));
    HA_ASSERT(notified(notify_log, any, "A", NULL) >= 2);
    const json_int_t late = -1, early = 5;
    HA_ASSERT(notified(notify_log, any, NULL, &late) == 1);
    HA_ASSERT(notified(notify_log, any, NULL, &early) == 1);
    /* Not one byte of the log names MARK (not MJ's). */
    HA_ASSERT(lines_with(notify_log, "MARK") == 0);
    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_note("MJ's agent notified deadline.overdue and deadline.due_soon");

    /* The log with broker-authored events verifies offline. */
    h_broker_stop(b);
    char keypath[PATH_MAX + 32], why[256];
    snprintf(keypath, sizeof keypath, "%s/keys/NMIRFD.pub", b->dir);
    nmirf_key_t broker;
    H_ASSERTF(nmirf_key_load(&broker, keypath, why, sizeof why) == 0, "%s", why);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "audit verify: %s", sum.why);
    h_note("audit verify passes: %llu events, %llu requests",
           (unsigned long long)sum.events, (unsigned long long)sum.requests);
    h_broker_destroy(&b);
    remove(notify_log);
    remove(clock_path);
    rmdir(tmpl);
    return 0;
}
