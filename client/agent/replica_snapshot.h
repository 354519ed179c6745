/*  replica_snapshot - a snapshot reply's body stored in the replica as the
    broker sent it: each record's bytes walked in place (nmirf_mp_reader_t)
    and written with MDB_APPEND, never unpacked into a tree and packed
    again. A snapshot of 100,000 recommendations is some 40 MiB; the tree
    and the second packing were most of a new agent's time.

    The body ({seq, entities, recs, assignments, reports, status, measures},
    PROTOCOL.md `snapshot`) comes from nmirf_reply_decode_lazy, so every
    byte of it passed nmirf_mp_check (well-formed, valid UTF-8, bounded);
    what is checked here is its shape: each section of the right type,
    each record a map with its key (`id`, `rec` for an assignment; a
    report's and a measure's `id` a uint), a string key 1 to 511 bytes.
    Anything else refuses the whole snapshot (EINVAL), and the caller
    aborts its transaction.
*/
#ifndef REPLICA_SNAPSHOT_H
#define REPLICA_SNAPSHOT_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "replica.h"

/* The snapshot's `seq` from its packed body[0..len). Returns 0, or -1 if
   the body is not a map or has no uint `seq`. */
int replica_snapshot_seq(const uint8_t *body, size_t len, uint64_t *seq);

/* Writes every record, status and measure of the packed body[0..len)
   into the databases dbi (indexed by agent_db_t) in txn, which the caller
   emptied first (MDB_APPEND relies on it; a key out of order is put
   normally). *records counts what was written. Returns 0, EINVAL for a
   body of the wrong shape, or an LMDB error; txn then holds part of it
   and must be aborted. */
int replica_snapshot_put(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                         const uint8_t *body, size_t len, size_t *records);

#endif
