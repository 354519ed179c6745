/*  notify - tells the ministry what concerns it, as it happens (notify.c):
    a log line, the --hook command, the PUB socket ipc://DIR/notify.sock
    (topic "n"), and a line in the --notify-log file; and every applied
    event, and every snapshot loaded, on the PUB (topic "e") for a
    console that follows the replica.

    It knows no other part: agent_main.c hands it the events the replica
    applies (notify_collect, notify_deliver), the entries the outbox ends
    refused (notify_refused) and the key the broker refuses
    (notify_key_refused).
*/
#ifndef NOTIFY_H
#define NOTIFY_H

#include <czmq.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"

typedef struct _notify_t notify_t;

/* Binds ipc://DIR/notify.sock and opens the --notify-log file, for conf
   (borrowed: its hook and notify_log are read as they are at each use).
   Returns NULL on failure (logged). */
notify_t *notify_new(const agent_conf_t *conf);
void notify_destroy(notify_t **self_p);

/* Closes the notification file and opens conf->notify_log (NULL: none),
   as a SIGHUP asks (a new file name, or log rotation). Returns 0, or -1
   (logged) with no file open. */
int notify_reopen(notify_t *self);

/* Adds ev's topic "e" message to pending (a zlist that copies what it is
   given), and its notification (a JSON text) if ev concerns our
   entity. txn is the replica
   transaction ev is applied in, assignments its database of assignments
   (read for the assignment of an updated recommendation). */
void notify_collect(notify_t *self, MDB_txn *txn, MDB_dbi assignments,
                    const nmirf_event_t *ev, zlist_t *pending);

/* Delivers the collected notifications (after the commit); pending stays
   the caller's. */
void notify_deliver(notify_t *self, zlist_t *pending);

/* Publishes {seq, kind: "snapshot"} on topic "e": the replica was
   replaced by a snapshot at seq (committed). */
void notify_snapshot(notify_t *self, uint64_t seq);

/* Delivers the `refused` notification of an outbox entry (op, request
   id, its signed envelope for the recommendation it names) that the
   broker refused for good. */
void notify_refused(notify_t *self, const char *op, const uint8_t id[NMIRF_ID_LEN],
                    const uint8_t *env, size_t env_len, const nmirf_reply_t *reply);

/* Delivers the `key_refused` notification: the broker refused our key in
   the handshake, with the replica at seq and pending outbox entries
   waiting. */
void notify_key_refused(notify_t *self, uint64_t seq, size_t pending);

/* Reaps finished hook processes (non-blocking) and logs their failures. */
void notify_reap(notify_t *self);

#endif
