/*  sync_wait - what a primary in synchronous mode holds back. */
#include "sync_wait.h"

#include <stdlib.h>

/* One held item. */
typedef struct s_held {
    struct s_held *next; /* the next newer, NULL for the newest */
    uint64_t n;          /* the record a standby must hold first */
    void *item;          /* the caller's */
    size_t replies;      /* replies it holds */
    int64_t since_ms;    /* when it was queued */
} s_held_t;

struct _sync_wait_t {
    s_held_t *first, *last; /* oldest first */
    size_t count, replies;  /* items, and replies they hold */
};

sync_wait_t *
sync_wait_new(void)
{
    return calloc(1, sizeof(sync_wait_t));
}

void
sync_wait_destroy(sync_wait_t **self_p, void (*free_item)(void *item))
{
    if (!self_p || !*self_p)
        return;
    sync_wait_t *self = *self_p;
    void *item;
    while ((item = sync_wait_take(self)) != NULL)
        if (free_item)
            free_item(item);
    free(self);
    *self_p = NULL;
}

int
sync_wait_push(sync_wait_t *self, uint64_t n, void *item, size_t replies, int64_t now_ms)
{
    s_held_t *h = malloc(sizeof *h);
    if (!h)
        return -1;
    *h = (s_held_t){.n = n, .item = item, .replies = replies, .since_ms = now_ms};
    if (self->last)
        self->last->next = h;
    else
        self->first = h;
    self->last = h;
    self->count++;
    self->replies += replies;
    return 0;
}

/* Takes the oldest out of the queue: its item. */
static void *
s_pop(sync_wait_t *self)
{
    s_held_t *h = self->first;
    self->first = h->next;
    if (!self->first)
        self->last = NULL;
    self->count--;
    self->replies -= h->replies;
    void *item = h->item;
    free(h);
    return item;
}

void *
sync_wait_release(sync_wait_t *self, uint64_t acked)
{
    return self->first && self->first->n <= acked ? s_pop(self) : NULL;
}

void *
sync_wait_take(sync_wait_t *self)
{
    return self->first ? s_pop(self) : NULL;
}

size_t
sync_wait_count(const sync_wait_t *self)
{
    return self->count;
}

size_t
sync_wait_replies(const sync_wait_t *self)
{
    return self->replies;
}

int64_t
sync_wait_oldest_ms(const sync_wait_t *self)
{
    return self->first ? self->first->since_ms : 0;
}
