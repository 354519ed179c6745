/*  torture_check - what the torture tests check after a crash, a kill or
    a refused write (docs/TESTING.md, "Torture"): the log is whole, every
    acknowledged write is in it exactly once, the audit chain verifies, and
    the broker's state is what a replay of its own log gives.

    Every check reads the broker from outside (events.since, snapshot) or
    its data directory read-only (the offline verifier of nmirf_audit.c),
    so it runs while the broker serves, and it fails through h_fail, which
    prints the broker's log.
*/
#ifndef NMIRF_TORTURE_CHECK_H
#define NMIRF_TORTURE_CHECK_H

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* The broker's whole event log, fetched and checked. */
typedef struct {
    nmirf_event_t **evs; /* events 1..n, in order */
    size_t n;            /* how many */
    zhashx_t *reqs;      /* request id (hex) -> its applications
                            (tc_log_count_applications) */
} tc_log_t;

/* Fetches every event as e (events.since in pages) and fails unless they
   are numbered 1..n with each prev the hash of the one before, and n is at
   least min_seq (writes may go on while it reads, so the log may be
   longer). Caller destroys. */
tc_log_t *tc_log_fetch(h_entity_t *e, uint64_t min_seq);
void tc_log_destroy(tc_log_t **log_p);

/* Counts the applications of each request in evs[0..n): request id
   (hex) -> how many, as a pointer-sized integer. One application is a run
   of consecutive events of the request in one commit (same ts) shaped as
   its operation makes them: an import's rec.added/rec.updated, one per
   record, each record once; a report.validated and at most one
   measure.updated after it; or a single event of any other kind. The same
   request's events adjacent in the log but from another commit, of
   another shape (two report.submitted, whatever their subjects), or
   naming an import's record again, are a second application. NULL if out
   of memory. Caller destroys. */
zhashx_t *tc_log_count_applications(nmirf_event_t *const *evs, size_t n);

/* How many applications of request id log holds (one for a write applied
   exactly once, whatever number of events it made). */
size_t tc_log_req_count(const tc_log_t *log, const uint8_t id[NMIRF_ID_LEN]);

/* Runs the offline audit verifier on b's data directory (read-only, beside
   the running broker) with the broker's key from DIR/keys/NMIRFD.pub, and
   fails naming the first failing event unless it verifies. Returns the
   number of events it verified. */
uint64_t tc_audit_verify(const h_broker_t *b);

/* Fails unless snapshot (a snapshot reply body) is what replaying log's
   events up to the snapshot's seq gives: entities, recommendations,
   assignments (the event data without `previous`), reports, measures
   (measure.added and measure.updated carry the whole record), and each
   recommendation's implementation status as set by its latest
   report.validated event; every record byte for byte, nothing missing or
   extra. deadline.due_soon, deadline.overdue and broker.promoted change
   no record; any other kind fails. The log must reach the snapshot's seq. */
void tc_replay_compare(const msgpack_object *snapshot, const tc_log_t *log);

/* Every check at once, as b's coordinator: a snapshot, then the log
   (tc_log_fetch, at least up to the snapshot), the replay compared with
   the snapshot, then the audit verifier. Safe while writes go on. Returns
   the log (caller destroys). */
tc_log_t *tc_check_all(h_broker_t *b);

/* The broker's process resident set size in KiB (VmRSS of
   /proc/PID/status), or 0 if it cannot be read. */
size_t tc_rss_kib(pid_t pid);

#endif
