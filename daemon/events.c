/*  events - the events a commit batch made, waiting to be published. */
#include "events.h"
#include "nmirf_schema.h"

#include <stdlib.h>
#include <string.h>

int
event_batch_add(event_batch_t *batch, uint64_t seq, const char *kind,
                const char *const *entities, size_t entity_count, const void *bytes,
                size_t len)
{
    if (batch->count == batch->cap) {
        size_t cap = batch->cap ? batch->cap * 2 : 64;
        pending_event_t *items = realloc(batch->items, cap * sizeof *items);
        if (!items)
            return -1;
        batch->items = items;
        batch->cap = cap;
    }
    pending_event_t *ev = &batch->items[batch->count];
    memset(ev, 0, sizeof *ev);
    ev->seq = seq;
    snprintf(ev->kind, sizeof ev->kind, "%s", kind);
    ev->entities = calloc(entity_count ? entity_count : 1, sizeof(char *));
    ev->bytes = malloc(len ? len : 1);
    if (!ev->entities || !ev->bytes) {
        free(ev->entities);
        free(ev->bytes);
        return -1;
    }
    for (size_t i = 0; i < entity_count; i++) {
        ev->entities[i] = strdup(entities[i]);
        if (!ev->entities[i]) {
            ev->entity_count = i;
            for (size_t k = 0; k < i; k++)
                free(ev->entities[k]);
            free(ev->entities);
            free(ev->bytes);
            return -1;
        }
    }
    ev->entity_count = entity_count;
    memcpy(ev->bytes, bytes, len);
    ev->len = len;
    batch->count++;
    return 0;
}

static void
s_free_event(pending_event_t *ev)
{
    for (size_t i = 0; i < ev->entity_count; i++)
        free(ev->entities[i]);
    free(ev->entities);
    free(ev->bytes);
}

void
event_batch_truncate(event_batch_t *batch, size_t count)
{
    while (batch->count > count)
        s_free_event(&batch->items[--batch->count]);
}

/* Sends [topic][bytes]. PUB never blocks: past the high-water mark ZeroMQ
   drops, and subscribers catch up with events.since. */
static void
s_send(zsock_t *pub, const char *topic, const pending_event_t *ev)
{
    zmq_send(zsock_resolve(pub), topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(zsock_resolve(pub), ev->bytes, ev->len, ZMQ_DONTWAIT);
}

bool
event_kind_public(const char *kind)
{
    /* The public feed is the protocol's: nmirf_public_kinds says which
       kinds, and why. */
    return nmirf_valueset_has(&nmirf_public_kinds, kind);
}

void
event_batch_publish(const event_batch_t *batch, zsock_t *pub)
{
    char topic[96];
    for (size_t i = 0; i < batch->count; i++) {
        const pending_event_t *ev = &batch->items[i];
        if (!event_kind_public(ev->kind))
            continue;
        snprintf(topic, sizeof topic, "ev/%s", ev->kind);
        s_send(pub, topic, ev);
    }
}

void
event_batch_free(event_batch_t *batch)
{
    event_batch_truncate(batch, 0);
    free(batch->items);
    memset(batch, 0, sizeof *batch);
}
