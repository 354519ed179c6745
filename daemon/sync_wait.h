/*  sync_wait - what a primary in synchronous mode holds back until a
    standby has it on disk (docs/REPLICATION.md, "Synchronous mode").

    With `synchronous = on` the broker's thread does not answer a
    committed batch's writes nor publish its events when the batch comes
    back from the writer: it notes the number of the last commit record
    made by then (repl_sender_last) and queues the batch here, in the
    order the batches came back. A standby's acknowledgement of record n
    (PROTOCOL.md section 11, `rack`) releases, oldest first, every item
    whose number is at or below n: replies and events leave in the order
    they would have left without the wait. The queue knows nothing of
    what it holds (the broker's writer batches, or a deadline scan's
    events): it keeps each item's number, when it was queued, and how many
    replies it holds, for `status` and the broker's warning.

    The broker's thread only; no lock.
*/
#ifndef SYNC_WAIT_H
#define SYNC_WAIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct _sync_wait_t sync_wait_t;

/* An empty queue, or NULL out of memory. */
sync_wait_t *sync_wait_new(void);

/* Frees the queue and hands every item still in it to free_item (may be
   NULL: then the items are the caller's to free, taken first). */
void sync_wait_destroy(sync_wait_t **self_p, void (*free_item)(void *item));

/* Queues item, which waits for an acknowledgement of record n or later;
   it holds replies replies, and was queued at now_ms. Returns 0, or -1
   out of memory (nothing queued). */
int sync_wait_push(sync_wait_t *self, uint64_t n, void *item, size_t replies,
                   int64_t now_ms);

/* The oldest item if its record is at or below acked (a standby holds
   it), taken out of the queue; else NULL. Called until NULL, it releases
   in order everything acked covers, and never an item behind one it does
   not. */
void *sync_wait_release(sync_wait_t *self, uint64_t acked);

/* The oldest item whatever its record (synchronous mode switched off, or
   a stop), taken out; NULL if the queue is empty. */
void *sync_wait_take(sync_wait_t *self);

/* Items queued, and the replies they hold. */
size_t sync_wait_count(const sync_wait_t *self);
size_t sync_wait_replies(const sync_wait_t *self);

/* When the oldest item was queued (ms, as given to sync_wait_push), or 0
   if the queue is empty. */
int64_t sync_wait_oldest_ms(const sync_wait_t *self);

#endif
