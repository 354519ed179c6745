/*  outbox - the ministry's submissions, kept on disk until the broker has
    answered them (outbox.c).

    The outbox keeps its entries in a database of the replica's LMDB
    environment (given to outbox_new), sends through the link (link_send:
    it never touches the DEALER), and hears the broker's answers from
    agent_main.c (outbox_on_reply, the link's reply callback). What it
    ends goes out through the callbacks given to outbox_new: every answer
    to a waiting control `submit`, the final refusals to notify.
*/
#ifndef OUTBOX_H
#define OUTBOX_H

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "link.h"

typedef struct _outbox_t outbox_t;

/* Where the outbox hands the entries it ends. arg is given back to each;
   the arguments are borrowed for the call. */
typedef struct {
    /* The broker answered queued request id for good: acknowledged, or
       refused for good. */
    void (*result)(const uint8_t id[NMIRF_ID_LEN], const nmirf_reply_t *reply, void *arg);
    /* ...and when that answer is a final refusal (after result): op, the
       request id and its signed envelope. */
    void (*refused)(const char *op, const uint8_t id[NMIRF_ID_LEN], const uint8_t *env,
                    size_t env_len, const nmirf_reply_t *reply, void *arg);
    void *arg;
} outbox_events_t;

/* Loads the pending entries from db of env (the replica's environment,
   borrowed), for the entity of conf (borrowed), sending through link
   (borrowed), ending entries through events (copied). Returns NULL on
   error (logged). */
outbox_t *outbox_new(const agent_conf_t *conf, MDB_env *env, MDB_dbi db, link_t *link,
                     const outbox_events_t *events);
void outbox_destroy(outbox_t **self_p);

/* Signs op/body as our entity once, with request id `id` (the caller's,
   e.g. the CLI's), stores it (synced) and queues it for sending. Returns
   0 or -1 with a reason. */
int outbox_enqueue(outbox_t *self, const char *op, const uint8_t *body, size_t len,
                   const uint8_t id[NMIRF_ID_LEN], char *why, size_t whylen);

/* What the outbox knows of request id: 1 if it is pending, 2 if it was
   answered (the answer kept in memory, the last AGENT_RESULTS_MAX; *reply_p
   is then a copy the caller destroys), 0 if unknown. */
int outbox_lookup(outbox_t *self, const uint8_t id[NMIRF_ID_LEN],
                  nmirf_reply_t **reply_p);

/* A broker reply (*reply_p): the answer to a pending entry is taken
   (*reply_p NULL); one the outbox does not hold (a ping's, a control
   `ask`'s, an answer to a resend of something already answered) is left
   in *reply_p for the caller. Call with no replica transaction open (it
   commits the removal of the entry). */
void outbox_on_reply(outbox_t *self, nmirf_reply_t **reply_p);

/* Sends what is due (first sends and backed-off resends), in queue
   order: an entry whose last send failed goes before any later one. */
void outbox_tick(outbox_t *self);

/* A connection to the broker came up (the link's connected callback):
   every pending entry is due now, its backoff restarted, and they are
   sent oldest first. */
void outbox_on_connected(outbox_t *self);

/* How many entries wait for an answer. */
size_t outbox_pending(const outbox_t *self);

/* How many entries ended refused (kept, at most AGENT_REFUSED_MAX). */
size_t outbox_refused(const outbox_t *self);

/* How many entries were signed again since the agent started because the
   broker answered `stale` (they waited longer than its request window). */
uint64_t outbox_resigned(const outbox_t *self);

/* A failover lost the broker's events from_seq..to_seq: logs each
   acknowledged submission among the answers kept (AGENT_RESULTS_MAX)
   whose event fell there ("lost at failover: request ID ..."), which the
   new primary never had. Returns how many. Nothing is resent: they were
   acknowledged, and whether to submit them again is the ministry's
   call. */
size_t outbox_lost(const outbox_t *self, uint64_t from_seq, uint64_t to_seq);

/* Packs the `outbox` control body {key_refused, pending, refused, results,
   unreadable}; key_refused: the broker refuses our key (link_status). */
void outbox_pack(const outbox_t *self, bool key_refused, msgpack_packer *pk);

#endif
