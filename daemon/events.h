/*  events - the events a commit batch made, waiting to be published.

    Handlers append events to the store inside the batch transaction and
    record them here. After the commit is synced the broker publishes the
    batch; if a request's nested transaction is aborted its events are cut
    off (event_batch_truncate), and if the commit fails all are dropped.
*/
#ifndef EVENTS_H
#define EVENTS_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t seq;        /* sequence number */
    char kind[48];       /* event kind, for the topic */
    char **entities;     /* concerned entity ids (owned) */
    size_t entity_count; /* how many */
    uint8_t *bytes;      /* the stored event bytes (owned) */
    size_t len;          /* their size */
} pending_event_t;

typedef struct {
    pending_event_t *items; /* in sequence order */
    size_t count;           /* used */
    size_t cap;             /* allocated */
} event_batch_t;

/* Records an event (copies everything). Returns 0 or -1 (out of memory). */
int event_batch_add(event_batch_t *batch, uint64_t seq, const char *kind,
                    const char *const *entities, size_t entity_count, const void *bytes,
                    size_t len);

/* Drops the events after the first count. */
void event_batch_truncate(event_batch_t *batch, size_t count);

/* True if events of kind belong to the public feed: what any enrolled
   key, a revoked one included, may see on the PUB (PROTOCOL.md section
   7): rec.added, rec.updated, assignment.set, report.validated. */
bool event_kind_public(const char *kind);

/* Publishes the batch's public events (event_kind_public) on pub, each
   once under "ev/KIND" (PROTOCOL.md section 7). The PUB cannot refuse a
   session of a revoked or rotated-out key that is already open, so it
   carries nothing a revoked entity could not see as the public; entities
   get every event through `subscribe` (subscribers.h). */
void event_batch_publish(const event_batch_t *batch, zsock_t *pub);

/* Frees everything. */
void event_batch_free(event_batch_t *batch);

#endif
