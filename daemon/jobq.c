/*  jobq - pointers handed from one thread to another, many per wake-up. */
#include "jobq.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct _jobq_t {
    pthread_mutex_t lock; /* guards everything below but fd */
    void **ring;          /* items, a ring of cap slots */
    size_t cap;           /* slots (a power of two, or 0) */
    size_t head;          /* index of the oldest item */
    size_t count;         /* items waiting */
    bool signaled;        /* fd holds a wake-up not yet read */
    bool closed;          /* jobq_close was called */
    int fd;               /* eventfd: readable while signaled */
};

jobq_t *
jobq_new(void)
{
    jobq_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->fd < 0) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
jobq_destroy(jobq_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jobq_t *self = *self_p;
    pthread_mutex_destroy(&self->lock);
    close(self->fd);
    free(self->ring);
    free(self);
    *self_p = NULL;
}

/* Wakes the consumer unless a wake-up is already pending. Under lock. */
static void
s_signal(jobq_t *self)
{
    if (self->signaled)
        return;
    uint64_t one = 1;
    /* Cannot fail short of a counter overflow, which one pending write
       at a time rules out. */
    if (write(self->fd, &one, sizeof one) == sizeof one)
        self->signaled = true;
}

/* Doubles the ring, unwrapping it. Under lock. Returns 0 or -1. */
static int
s_grow(jobq_t *self)
{
    size_t cap = self->cap ? self->cap * 2 : 64;
    void **ring = malloc(cap * sizeof *ring);
    if (!ring)
        return -1;
    for (size_t i = 0; i < self->count; i++)
        ring[i] = self->ring[(self->head + i) & (self->cap - 1)];
    free(self->ring);
    self->ring = ring;
    self->cap = cap;
    self->head = 0;
    return 0;
}

int
jobq_push(jobq_t *self, void *item)
{
    pthread_mutex_lock(&self->lock);
    int rc = 0;
    if (self->count == self->cap && s_grow(self))
        rc = -1;
    else {
        self->ring[(self->head + self->count) & (self->cap - 1)] = item;
        self->count++;
        s_signal(self);
    }
    pthread_mutex_unlock(&self->lock);
    return rc;
}

size_t
jobq_take(jobq_t *self, void **items, size_t max)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->count < max ? self->count : max;
    for (size_t i = 0; i < n; i++)
        items[i] = self->ring[(self->head + i) & (self->cap - 1)];
    if (n) {
        self->head = (self->head + n) & (self->cap - 1);
        self->count -= n;
    }
    /* Emptied: consume the wake-up, so fd reads as idle until the next
       push. Left items keep it readable (level-triggered). */
    if (self->count == 0 && self->signaled && !self->closed) {
        uint64_t value;
        if (read(self->fd, &value, sizeof value) == sizeof value || errno == EAGAIN)
            self->signaled = false;
    }
    pthread_mutex_unlock(&self->lock);
    return n;
}

void *
jobq_take_one(jobq_t *self)
{
    void *item = NULL;
    return jobq_take(self, &item, 1) ? item : NULL;
}

int
jobq_fd(const jobq_t *self)
{
    return self->fd;
}

bool
jobq_wait(jobq_t *self)
{
    for (;;) {
        pthread_mutex_lock(&self->lock);
        bool waiting = self->count > 0, closed = self->closed;
        pthread_mutex_unlock(&self->lock);
        if (waiting)
            return true;
        if (closed)
            return false;
        struct pollfd pfd = {.fd = self->fd, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            return false; /* cannot wait at all: not expected with a valid fd */
    }
}

void
jobq_close(jobq_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->closed = true;
    s_signal(self);
    pthread_mutex_unlock(&self->lock);
}
