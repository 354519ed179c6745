/*  witness - the agent as a witness of the broker's log (witness.c,
    PROTOCOL.md section 10): the broker's latest signed checkpoint,
    verified and kept in the replica's meta database; a broker whose log
    goes back or forks is refused.

    The replica (replica.c) makes and owns the witness, and calls it on
    the way: every event it applies, the checkpoints heartbeats carry, a
    snapshot it loads. The witness reads and writes only the meta
    database it is given; the replica's sequence comes as an argument
    where it matters.
*/
#ifndef WITNESS_H
#define WITNESS_H

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

typedef struct _witness_t witness_t;

/* Drops the kept checkpoint and the replica's sequence and chain head
   from meta (--forget-checkpoint, after an operator decided the broker
   is right): the replica reloads from a snapshot. Call before
   witness_new. Returns 0 or -1. */
int witness_forget(MDB_env *env, MDB_dbi meta);

/* A witness for the broker of conf (borrowed), keeping its checkpoint
   in meta of env (both borrowed; the replica's). Reads the kept
   checkpoint. Returns NULL (logged) if it is unreadable or on failure. */
witness_t *witness_new(const agent_conf_t *conf, MDB_env *env, MDB_dbi meta);
void witness_destroy(witness_t **self_p);

/* Puts the kept checkpoint into txn (after a snapshot load dropped the
   meta database). Returns an LMDB error code. */
int witness_put(witness_t *self, MDB_txn *txn);

/* Checks that ev, the next event to apply in txn, follows the last one
   applied (its prev is meta "head", absent after a snapshot) and, at the
   candidate checkpoint's seq, hashes to its head; then makes ev the head.
   Returns 0, -1 after refusing the broker (a forked log), or an LMDB
   error code. */
int witness_on_event(witness_t *self, MDB_txn *txn, const nmirf_event_t *ev);

/* Judges the broker's event at seq, hashed to hash (a fetched one, or
   the one being applied), against the kept checkpoint and the candidate
   at that seq; hash NULL: the broker has no event there, its log ends at
   last. A match makes the candidate seen. Returns 0, or -1 after
   refusing the broker (its log forked or went back). */
int witness_judge_event(witness_t *self, uint64_t seq, const uint8_t *hash,
                        uint64_t last);

/* True, with its seq, if the candidate checkpoint is at or below the
   replica's sequence (replica_seq; loaded: it holds a snapshot) but its
   event was never hashed (it came after the replica passed it, or a
   snapshot skipped it): replica.c fetches that event for
   witness_judge_event. */
bool witness_unseen(const witness_t *self, uint64_t replica_seq, bool loaded,
                    uint64_t *seq);

/* Notes the checkpoint a heartbeat carried (a map or nil), to be judged
   by witness_check; safe while a replica transaction is open. own: the
   signing key of the broker that sent it when there are several (NULL:
   one); a checkpoint another broker of the list signed is only relayed
   (a standby's copy of its primary's, or a promoted standby's before it
   signs its own) and is not judged: a standby behind the old primary
   would otherwise be refused for good, though its promotion makes it
   the broker to follow. */
void witness_take(witness_t *self, const msgpack_object *cp, const uint8_t *own);

/* Judges the noted checkpoint: a bad signature, a lower seq than the kept
   one (or the candidate), or the same seq with another head refuses the
   broker (logged); a higher one becomes the candidate, kept (synced)
   once the replica (at replica_seq; loaded: it holds a snapshot) has
   reached it and the broker's event at its seq hashed to its head
   (witness_judge_event). Call with no replica transaction open. */
void witness_check(witness_t *self, uint64_t replica_seq, bool loaded);

/* True, with its checkpoint's seq, while a claim waits for judgment: a
   checkpoint behind the kept one (or forked at its seq) signed by another
   broker key of the list than the kept one, or a later one of that key
   while the broker's log parts from the kept checkpoint's: maybe a
   standby promoted after an asynchronous failover lost the old primary's
   tail. Nothing is applied meanwhile; replica.c fetches the broker's
   events up to seq for witness_judge_claim. seq 0: the log parted before
   the broker's own checkpoint came (with several brokers): wait for it
   (witness_check makes it the claim, or refuses the broker). */
bool witness_claim(const witness_t *self, uint64_t *seq);

/* Judges the claim against events (the array of events.since's reply
   after since, which must reach the claim's seq): they chain to its
   head, and hold the broker.promoted event of the key that signed it at
   an epoch above any this agent's log showed. Taken: the claim becomes
   the kept checkpoint, the loss is logged (FAILOVER: the events from the
   promotion's seq to replica_seq of the old epoch), *lost_from is the
   promotion's seq, and the replica is to reload from a snapshot; returns
   0. Otherwise the broker is refused (logged) and -1 returned. */
int witness_judge_claim(witness_t *self, const msgpack_object *events, uint64_t since,
                        uint64_t replica_seq, uint64_t *lost_from);

/* The agent talks to another broker of its list now: what the witness
   held against the one before (a refusal, a claim, a fork waiting for
   its checkpoint, an unconfirmed candidate) was about that broker's log;
   the new one is judged afresh against the kept checkpoint. An old
   primary started again plainly (a fork) is refused while the agent
   talks to it, no longer the new primary it moves to. */
void witness_moved(witness_t *self);

/* The seq of the kept checkpoint, 0 if none. */
uint64_t witness_seq(const witness_t *self);

/* Why the broker is refused (its log went back, forked, or is signed by
   another key: nothing more is applied from it), or NULL while it is
   not. Borrowed from the witness. */
const char *witness_refused(const witness_t *self);

#endif
