/*  sync_wait_test - the queue a primary in synchronous mode holds its
    answers in.

    Usage: sync_wait_unit

    Release in order and only up to the acknowledged record, never past an
    item the acknowledgement does not cover; the counts and the oldest
    time as items come and go; take (synchronous mode switched off) empties
    it whatever the records; destroy hands the rest to the free function.
    Prints "file:line: case: what" per failed check, one summary line at
    the end.
*/
#include "sync_wait.h"
#include "unit.h"

#include <stdint.h>

static int s_freed;

static void
s_free(void *item)
{
    (void)item;
    s_freed++;
}

static void
s_release(void)
{
    unit_case = "release";
    int items[4];
    sync_wait_t *q = sync_wait_new();
    CHECK(q);
    CHECK(sync_wait_release(q, 100) == NULL); /* empty */
    CHECK(sync_wait_oldest_ms(q) == 0);
    CHECK(sync_wait_push(q, 5, &items[0], 3, 1000) == 0);
    CHECK(sync_wait_push(q, 7, &items[1], 2, 1010) == 0);
    CHECK(sync_wait_push(q, 7, &items[2], 0, 1020) == 0); /* events only */
    CHECK(sync_wait_push(q, 9, &items[3], 1, 1030) == 0);
    CHECK(sync_wait_count(q) == 4 && sync_wait_replies(q) == 6);
    CHECK(sync_wait_oldest_ms(q) == 1000);
    CHECK(sync_wait_release(q, 4) == NULL); /* not yet */
    CHECK(sync_wait_release(q, 6) == &items[0]);
    CHECK(sync_wait_release(q, 6) == NULL);
    CHECK(sync_wait_count(q) == 3 && sync_wait_replies(q) == 3);
    CHECK(sync_wait_oldest_ms(q) == 1010);
    CHECK(sync_wait_release(q, 8) == &items[1]);
    CHECK(sync_wait_release(q, 8) == &items[2]);
    CHECK(sync_wait_release(q, 8) == NULL);
    CHECK(sync_wait_release(q, 9) == &items[3]);
    CHECK(sync_wait_count(q) == 0 && sync_wait_replies(q) == 0);
    CHECK(sync_wait_oldest_ms(q) == 0);
    /* An item behind one the ack does not cover waits for it: the order
       replies and events leave in is the commits'. */
    CHECK(sync_wait_push(q, 12, &items[0], 1, 2000) == 0);
    CHECK(sync_wait_push(q, 11, &items[1], 1, 2001) == 0);
    CHECK(sync_wait_release(q, 11) == NULL);
    CHECK(sync_wait_release(q, 12) == &items[0]);
    CHECK(sync_wait_release(q, 12) == &items[1]);
    sync_wait_destroy(&q, NULL);
    CHECK(q == NULL);
    sync_wait_destroy(&q, NULL); /* twice is safe */
}

static void
s_take_and_destroy(void)
{
    unit_case = "take";
    int items[3];
    sync_wait_t *q = sync_wait_new();
    CHECK(q);
    for (int i = 0; i < 3; i++)
        CHECK(sync_wait_push(q, UINT64_MAX - (uint64_t)i, &items[i], 1, i) == 0);
    CHECK(sync_wait_take(q) == &items[0]);
    CHECK(sync_wait_count(q) == 2 && sync_wait_replies(q) == 2);
    unit_case = "destroy";
    s_freed = 0;
    sync_wait_destroy(&q, s_free);
    CHECK(s_freed == 2);
    q = sync_wait_new();
    CHECK(sync_wait_take(q) == NULL);
    sync_wait_destroy(&q, s_free);
    CHECK(s_freed == 2);
}

int
main(void)
{
    s_release();
    s_take_and_destroy();
    return unit_done("sync_wait_unit");
}
