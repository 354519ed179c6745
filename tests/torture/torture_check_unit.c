/*  torture_check_unit - the exactly-once count of torture_check.c on
    synthetic logs: an import's run of events is one application, as is a
    validation's report.validated with its measure.updated, and the same
    request applied twice counts twice even when its two applications are
    adjacent in the log: a later commit, an import's record named again,
    or, in the same commit, a second report.submitted or measure.added
    (new subjects: the broker numbers them) or events of another shape.

    The events are built by hand (only the fields the count reads); no
    broker runs.
*/
#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"
#include "torture_check.h"
#include "unit.h"

#define T_MAX 16 /* events in one synthetic log */

typedef struct {
    nmirf_event_t evs[T_MAX];
    nmirf_event_t *ptrs[T_MAX];
    size_t n;
} t_log_t;

/* Appends an event of request r (0: none) committed at ts. */
static void
t_add(t_log_t *log, int r, uint64_t ts, const char *kind, const char *subject)
{
    nmirf_event_t *ev = &log->evs[log->n];
    memset(ev, 0, sizeof *ev);
    ev->seq = log->n + 1;
    ev->ts = ts;
    snprintf(ev->kind, sizeof ev->kind, "%s", kind);
    ev->subject = (char *)subject;
    if (r) {
        ev->has_req = true;
        memset(ev->req, r, NMIRF_ID_LEN);
    }
    log->ptrs[log->n] = ev;
    log->n++;
}

/* The applications of request r counted in log. */
static size_t
t_count(const t_log_t *log, int r)
{
    zhashx_t *reqs = tc_log_count_applications(log->ptrs, log->n);
    uint8_t id[NMIRF_ID_LEN];
    char hex[2 * NMIRF_ID_LEN + 1];
    memset(id, r, sizeof id);
    nmirf_hex(id, NMIRF_ID_LEN, hex);
    size_t count = (size_t)(uintptr_t)zhashx_lookup(reqs, hex);
    zhashx_destroy(&reqs);
    return count;
}

int
main(void)
{
    t_log_t log = {0};

    unit_case = "once";
    t_add(&log, 1, 100, "report.submitted", "r1");
    t_add(&log, 2, 100, "rec.added", "A");
    t_add(&log, 2, 100, "rec.added", "B");
    t_add(&log, 2, 100, "rec.updated", "C");
    t_add(&log, 0, 150, "deadline.overdue", "A");
    t_add(&log, 3, 200, "report.validated", "r1");
    t_add(&log, 3, 200, "measure.updated", "m1");
    CHECK(t_count(&log, 1) == 1, "one submission: %zu", t_count(&log, 1));
    CHECK(t_count(&log, 2) == 1, "one import of three records: %zu", t_count(&log, 2));
    CHECK(t_count(&log, 3) == 1, "one validation and its measure: %zu", t_count(&log, 3));
    CHECK(t_count(&log, 4) == 0, "a request never applied: %zu", t_count(&log, 4));

    unit_case = "twice, adjacent, same commit";
    log.n = 0;
    t_add(&log, 1, 100, "report.submitted", "r1");
    t_add(&log, 1, 100, "report.submitted", "r1");
    CHECK(t_count(&log, 1) == 2, "a submission applied twice in one batch: %zu",
          t_count(&log, 1));

    /* report.submit and measure.add number a new object each time: one
       request applied twice in one batch names two subjects. */
    unit_case = "twice, same commit, new subjects";
    log.n = 0;
    t_add(&log, 1, 100, "report.submitted", "r1");
    t_add(&log, 1, 100, "report.submitted", "r2");
    t_add(&log, 2, 100, "measure.added", "m1");
    t_add(&log, 2, 100, "measure.added", "m2");
    t_add(&log, 3, 100, "measure.updated", "m1");
    t_add(&log, 3, 100, "measure.updated", "m2");
    CHECK(t_count(&log, 1) == 2, "a submission applied twice, reports r1 and r2: %zu",
          t_count(&log, 1));
    CHECK(t_count(&log, 2) == 2, "a measure added twice, m1 and m2: %zu",
          t_count(&log, 2));
    CHECK(t_count(&log, 3) == 2, "a measure update making two events: %zu",
          t_count(&log, 3));

    unit_case = "twice, same commit, a validation";
    log.n = 0;
    t_add(&log, 1, 100, "report.validated", "r1");
    t_add(&log, 1, 100, "measure.updated", "m1");
    t_add(&log, 1, 100, "report.validated", "r2");
    t_add(&log, 1, 100, "measure.updated", "m2");
    t_add(&log, 2, 100, "report.validated", "r3");
    t_add(&log, 2, 100, "report.validated", "r4");
    t_add(&log, 3, 100, "report.validated", "r5");
    t_add(&log, 3, 100, "measure.updated", "m1");
    t_add(&log, 3, 100, "measure.updated", "m2");
    CHECK(t_count(&log, 1) == 2, "a validation and its measure applied twice: %zu",
          t_count(&log, 1));
    CHECK(t_count(&log, 2) == 2, "two validations without measures: %zu",
          t_count(&log, 2));
    CHECK(t_count(&log, 3) == 2, "a validation with two measure updates: %zu",
          t_count(&log, 3));

    unit_case = "twice, same commit, another shape";
    log.n = 0;
    t_add(&log, 1, 100, "rec.added", "A");
    t_add(&log, 1, 100, "report.submitted", "r1");
    t_add(&log, 2, 100, "report.submitted", "r2");
    t_add(&log, 2, 100, "rec.added", "A");
    t_add(&log, 3, 100, "measure.updated", "m1");
    t_add(&log, 3, 100, "rec.updated", "A");
    CHECK(t_count(&log, 1) == 2, "an import then a submission: %zu", t_count(&log, 1));
    CHECK(t_count(&log, 2) == 2, "a submission then an import: %zu", t_count(&log, 2));
    CHECK(t_count(&log, 3) == 2, "a measure update then an import: %zu",
          t_count(&log, 3));

    unit_case = "twice, adjacent, two commits";
    log.n = 0;
    t_add(&log, 1, 100, "report.submitted", "r1");
    t_add(&log, 1, 101, "report.submitted", "r2");
    t_add(&log, 2, 101, "rec.added", "A");
    t_add(&log, 2, 101, "rec.added", "B");
    t_add(&log, 2, 102, "rec.updated", "A");
    t_add(&log, 2, 102, "rec.updated", "B");
    CHECK(t_count(&log, 1) == 2, "a submission applied again in the next commit: %zu",
          t_count(&log, 1));
    CHECK(t_count(&log, 2) == 2, "an import applied again in the next commit: %zu",
          t_count(&log, 2));

    unit_case = "twice, an import in one commit";
    log.n = 0;
    t_add(&log, 2, 100, "rec.added", "A");
    t_add(&log, 2, 100, "rec.added", "B");
    t_add(&log, 2, 100, "rec.added", "A");
    t_add(&log, 2, 100, "rec.added", "B");
    CHECK(t_count(&log, 2) == 2, "an import's records named again: %zu",
          t_count(&log, 2));

    unit_case = "twice, apart";
    log.n = 0;
    t_add(&log, 1, 100, "report.submitted", "r1");
    t_add(&log, 2, 100, "report.submitted", "r2");
    t_add(&log, 1, 100, "report.submitted", "r1");
    t_add(&log, 3, 100, "rec.added", "A");
    t_add(&log, 0, 100, "deadline.due_soon", "A");
    t_add(&log, 3, 100, "rec.added", "B");
    CHECK(t_count(&log, 1) == 2, "a submission applied twice apart: %zu",
          t_count(&log, 1));
    CHECK(t_count(&log, 3) == 2, "an import split by another event: %zu",
          t_count(&log, 3));

    return unit_done("torture_check_unit");
}
