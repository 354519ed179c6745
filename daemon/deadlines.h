/*  deadlines - the broker's deadline reminders: deadline.due_soon and
    deadline.overdue events (PROTOCOL.md section 7).

    A timer in broker.c calls deadlines_scan() every
    deadlines_period_ms(). The scan reads every assignment that has a
    deadline, in one write transaction of its own (between request
    batches: the broker has one thread), and appends an event for each
    recommendation that is due within the horizon or past its deadline
    and not `implemented`. Each event is emitted once per (assignment
    version, kind): the `deadlines` database remembers the assignment
    (its `assigned` time and `deadline`) each kind was emitted for, in the
    same transaction as the event, so a restart emits nothing again and a
    reassignment (a new `assigned`) re-arms both kinds.

    Days are counted in UTC: today is the UTC date of the clock, and a
    deadline D is due in (D - today) days; overdue once that is negative,
    i.e. from the day after D.
*/
#ifndef DEADLINES_H
#define DEADLINES_H

#include <stdint.h>

#include "events.h"
#include "nmirf_schema.h"
#include "store.h"

#define DEADLINES_DUE_SOON_DAYS NMIRF_DUE_SOON_DEFAULT /* default horizon, days */
#define DEADLINES_PERIOD_MS 60000                      /* default scan period */
#define DEADLINES_SCAN_MAX 10000 /* events one scan makes, at most */

/* The broker's clock for deadlines, ms since the epoch. Test hook: when
   the environment names NMIRFD_CLOCK_FILE, the file's content (epoch ms,
   decimal) is read at every call; an unreadable file falls back to the
   real time, with a warning. */
uint64_t deadlines_now_ms(void);

/* The scan period: DEADLINES_PERIOD_MS, or NMIRFD_DEADLINE_SCAN_MS from
   the environment (test hook, 10 ms to 1 day). */
int deadlines_period_ms(void);

/* Scans every assignment at time now (ms) with a horizon of
   due_soon_days, commits the events it made (appended to events, for the
   broker to publish) and returns how many, or -1 if the store failed
   (then nothing was committed and events is as it was). */
int deadlines_scan(store_t *store, event_batch_t *events, unsigned due_soon_days,
                   uint64_t now);

#endif
