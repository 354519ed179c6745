/*  role - whether this broker takes writes: its role (primary or standby),
    its epoch, and a higher epoch clients told it of (fencing).
    docs/REPLICATION.md, "Roles, promotion and fencing".

    A broker started with --standby-of ENDPOINT is a standby: it serves
    reads and refuses every write but `broker.promote` with `not_primary`,
    naming ENDPOINT. Whether it has been promoted since it started is read
    from the store: a promotion raises the store's epoch (meta "epoch",
    store_epoch) in the commit of its `broker.promoted` event, so a standby
    whose store is at an epoch above the one it started at is the primary.
    Read in the transaction each write runs in, this makes the writes of
    the batch that holds the promotion, behind it, apply and commit with
    it, and leaves the broker a standby if that commit fails: there is no
    moment at which the role and the store disagree.

    Fencing: the broker keeps the highest epoch clients have told it of (a
    `ping {epoch, primary?}` from an agent or the CLI, which have seen that
    epoch at another broker). A broker whose store's epoch is below it is
    an old primary that a promotion elsewhere replaced: it refuses writes
    with `not_primary` (naming the endpoint the client gave, if any), logs
    it once, and `status` shows it. What it heard is kept in memory only:
    the operator restarts such a broker --standby-of the new primary
    (docs/OPERATIONS.md), and until then the next ping fences it again.

    Automatic failover (opt-in, Binary Star: docs/REPLICATION.md,
    "Automatic failover"): a standby given a failover delay promotes itself
    when a write reaches it and its primary has been silent that long. The
    writes are the clients' vote that the primary is gone for them too;
    the silence, that it is gone for this broker. Its promotion's request
    is signed with the standby entity's key (the one it follows with),
    which the coordinator enrolled on the primary with role standby: that
    is what lets an audit accept the new broker key with no coordinator
    behind it.

    Threads: made by main before the broker, read by the writer (every
    write), the broker's thread (ping, status and lone writes run there,
    the timers) and the readers: the epoch heard is an atomic, the
    endpoint heard is behind a mutex, the rest does not change.
*/
#ifndef ROLE_H
#define ROLE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_keys.h"

#define ROLE_ENDPOINT_MAX 256 /* bytes of an endpoint kept, NUL included */

typedef struct _role_t role_t;

/* The role of a broker whose store is at epoch start_epoch as it starts:
   a standby of standby_of (copied) if that is not NULL, else a primary.
   sign_pk is the broker's own signing public key (copied: the key a
   promotion's event names). Returns NULL when out of memory or when
   standby_of is too long. */
role_t *role_new(const char *standby_of, uint64_t start_epoch, const uint8_t sign_pk[32]);
void role_destroy(role_t **self_p);

/* True if the broker is a standby with its store at epoch: started
   --standby-of and not promoted since. */
bool role_standby(const role_t *self, uint64_t epoch);

/* True if a write may apply to the store at epoch: a primary that has
   heard of no higher epoch. Otherwise false, with not_primary's message
   in why and the endpoint of the primary, if known, in primary (else
   ""). self may be NULL (a broker without roles: the unit tests): true. */
bool role_may_write(role_t *self, uint64_t epoch, char *primary, size_t primarylen,
                    char *why, size_t whylen);

/* A client (entity from) has seen epoch heard, at the broker of endpoint
   primary (NULL if it did not say). If that is above the store's epoch
   (store_epoch) and above what was heard before, it is kept, and the
   broker logs that it is fenced. self may be NULL: nothing happens. */
void role_hear(role_t *self, uint64_t heard, const char *primary, uint64_t store_epoch,
               const char *from);

/* The highest epoch a client told of, 0 if none. */
uint64_t role_heard(const role_t *self);

/* The broker's own signing public key (32 bytes; borrowed). */
const uint8_t *role_sign_pk(const role_t *self);

/* Turns automatic failover on (set by main before the broker starts):
   after_ms of silence from the primary, then a write promotes this
   standby. key, the standby entity's secret keys, signs the promotion's
   request (borrowed until role_destroy). after_ms 0: manual promotion
   only (the default). */
void role_set_failover(role_t *self, unsigned after_ms, const nmirf_key_t *key);

/* The failover delay in ms, 0 if off (or self NULL). */
unsigned role_failover_after(const role_t *self);

/* The standby entity's keys automatic failover signs with (NULL if off). */
const nmirf_key_t *role_failover_key(const role_t *self);

/* True if a write reaching this broker, with its store at epoch, should
   promote it now: a standby with failover on, told of no higher epoch (a
   broker promoted elsewhere is the primary then), whose primary has been
   silent for silent_ms, at least the delay. */
bool role_failover_due(const role_t *self, uint64_t epoch, uint64_t silent_ms);

/* The number of map entries role_pack packs. */
#define ROLE_PACK_ENTRIES 4

/* Packs ROLE_PACK_ENTRIES key/value pairs for ping and status (PROTOCOL.md
   section 6): role ("primary" or "standby"), epoch (the store's: epoch),
   primary (the endpoint this broker follows or was told of, nil if none)
   and fenced (the higher epoch heard, nil unless it is above epoch).
   self may be NULL: a primary with nothing heard. */
void role_pack(role_t *self, uint64_t epoch, msgpack_packer *pk);

#endif
