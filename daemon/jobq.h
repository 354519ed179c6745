/*  jobq - pointers handed from one thread to another, many per wake-up.

    The broker's threads (broker.c, verifier.c, writer.c) pass requests
    and batches to each other through these queues: a producer appends
    under a mutex, a consumer takes everything waiting at once.

    Why not inproc PUSH/PULL sockets, as before: each job then was a
    ZeroMQ message (an allocation, a pipe write) and, whenever the reader
    slept, an eventfd write and a poll on each side; a request crossed
    three such hand-offs, one at a time. Here the consumer's eventfd is
    written only when the queue goes from empty to not empty, and read
    only when the consumer has emptied it: under load, one wake-up
    carries a whole batch.

    The eventfd (jobq_fd) is level-triggered: it stays readable while
    anything waits, so a consumer in a poll loop (the broker's zloop) sees
    it again if it took only part. A consumer thread of its own blocks in
    jobq_wait instead.
*/
#ifndef JOBQ_H
#define JOBQ_H

#include <stdbool.h>
#include <stddef.h>

typedef struct _jobq_t jobq_t;

/* A new empty queue, or NULL (no memory, no eventfd). */
jobq_t *jobq_new(void);

/* Frees the queue. The items still in it are not freed: take them first
   (the queue does not know what they are). */
void jobq_destroy(jobq_t **self_p);

/* Appends item. Returns 0, or -1 out of memory (nothing appended). */
int jobq_push(jobq_t *self, void *item);

/* Moves up to max waiting items, oldest first, into items. Never blocks.
   Returns how many. */
size_t jobq_take(jobq_t *self, void **items, size_t max);

/* Takes one item, or NULL if none waits. Never blocks. */
void *jobq_take_one(jobq_t *self);

/* The descriptor that is readable while items may be waiting, for a
   poll loop (then jobq_take). Owned by the queue. */
int jobq_fd(const jobq_t *self);

/* Blocks until an item waits (true) or the queue is closed and empty
   (false). Signals do not end the wait (EINTR is retried): a worker ends
   only when its owner closes the queue. */
bool jobq_wait(jobq_t *self);

/* Marks the queue closed and wakes the consumer: jobq_wait returns false
   once the queue is empty. */
void jobq_close(jobq_t *self);

#endif
