/*  standby_apply - what a standby does with what its primary sends: a
    commit record applied only if it checks out, and a full copy of the
    primary's store checked before it is used (docs/REPLICATION.md, "How
    the standby checks it" and "Initial sync").

    A commit record (proto/nmirf_repl.h) is applied in one write
    transaction of the standby's store, after these checks, and committed
    (synced) only if every one passes:
    - the record is signed by the primary's key (its sig), so no change
      in it, event or not, was made by anyone else;
    - its epoch is not below the store's, and from_seq is the store's seq
      + 1: no gap, no replay, no reordering;
    - its events (db `events`) are puts at the next keys in order, each
      decoding with the seq of its key and the hash of the one before as
      its prev (computed here, from the store's head on, not trusted),
      the last one's hash the record's head; after the changes, meta seq
      and head are to_seq and head;
    - each request it keeps (db `requests`, never deleted) hashes to its
      hash, sits under its own key, and is signed with its author's key
      as the store had it before the record, or after (a rotation in the
      same commit); each event's req_hash is a request of the record;
    - each checkpoint it writes is at to_seq, over head, signed with the
      primary's key, and is the record's checkpoint.
    On any failure the transaction is aborted: the store is as it was,
    and why says what failed.
*/
#ifndef STANDBY_APPLY_H
#define STANDBY_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "nmirf_wire.h"
#include "store.h"

/* Checks then applies the commit record buf[0..len) to store, the
   primary's Ed25519 public key being primary_pk. Returns 0 (applied,
   synced), or -1 with why (nothing changed). */
int standby_apply(store_t *store, const uint8_t *buf, size_t len,
                  const uint8_t primary_pk[NMIRF_SIGN_PK_LEN], char *why, size_t whylen);

/* As standby_apply, in a transaction nested in parent, a top-level write
   transaction of store (store_begin): every check sees parent's changes,
   those of the records applied in it before, so several records chain
   in one commit (the follower's group, docs/REPLICATION.md). Returns 0
   (applied into parent, which the caller commits), or -1 with why
   (parent as it was: the nested transaction is aborted alone). */
int standby_apply_in(store_t *store, MDB_txn *parent, const uint8_t *buf, size_t len,
                     const uint8_t primary_pk[NMIRF_SIGN_PK_LEN], char *why,
                     size_t whylen);

/* Checks a full copy received into datadir/store (datadir a staging
   directory, not the live one): the store check (meta pages, the walk of
   every database), the audit verification of the whole log (the chain,
   each request's signature, the checkpoints), and that it holds seq and
   head, as the primary said. Opens it read-only.

   The log's first checkpoints are signed by its first primary, the later
   ones by each promoted broker in turn (nmirf_audit.h). It must verify
   from primary_pk, or, if a promotion made primary_pk the primary, from
   the first promotion on (what came before is vouched for by the
   primary's last checkpoint, over the head the whole chain leads to), and
   end in primary_pk's hands either way. Returns 0, or -1 with why. */
int standby_check_copy(const char *datadir, const uint8_t primary_pk[NMIRF_SIGN_PK_LEN],
                       uint64_t seq, const uint8_t head[NMIRF_HASH_LEN], char *why,
                       size_t whylen);

#endif
