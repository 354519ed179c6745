/*  follower - the standby's side of the replication stream
    (docs/REPLICATION.md, "The stream").

    A broker started `--standby-of ENDPOINT -S PRIMARY.pub --standby-key
    FILE` follows its primary: a DEALER to the primary's ROUTER, a
    CurveZMQ client with the standby entity's keys (FILE; the coordinator
    enrolls that entity with role `standby` on the primary), sends the
    signed `repl.follow {ring, n}` and applies each pushed record with
    standby_apply, in order, on its own thread.

    Where it is in the primary's stream, (ring, n, seq), is kept in
    DATADIR/follow.pos, written (then renamed) after each record it
    applied. A full copy is taken before the store opens
    (follower_prepare): when the store is empty, when follow.pos is
    missing, or does not name the store's seq. The live store is never
    swapped under a running broker: a standby the primary refuses (its
    position has left the ring, or the primary restarted) removes
    follow.pos and stops the broker (follower_wants_copy), and the next
    start takes the copy.

    The thread stops following when the broker is promoted (its store's
    epoch above the one it started at), on a record that does not check
    (logged with why; it connects again a second later and asks from its
    position again), on a gap in the record numbers, and on 3 s without a
    record or a heartbeat from the primary (it connects again).
*/
#ifndef FOLLOWER_H
#define FOLLOWER_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "nmirf_keys.h"
#include "role.h"
#include "store.h"

#define FOLLOWER_SILENCE_MS 3000        /* no record nor heartbeat: connect again */
#define FOLLOWER_COPY_TIMEOUT_MS 300000 /* the full copy's reply */
/* The records waiting on the socket applied in one commit: at most so
   many, or so many bytes (past that, the group ends after the record
   that crossed it), so that a backlog makes no huge transaction. */
#define FOLLOWER_GROUP_RECORDS 64
#define FOLLOWER_GROUP_BYTES (8u << 20)

typedef struct {
    const char *endpoint;      /* the primary's request endpoint */
    const char *datadir;       /* the standby's data directory */
    const nmirf_key_t *key;    /* the standby entity's keys (secret), borrowed */
    const char *server_pk;     /* the primary's CURVE public key, Z85 */
    const uint8_t *primary_pk; /* the primary's Ed25519 key (NMIRF_SIGN_PK_LEN) */
} follower_opts_t;

typedef struct _follower_t follower_t;

/* Before the store opens: takes a full copy into DATADIR/store if the
   store is missing or follow.pos is (checked with standby_check_copy,
   then renamed in place). Returns 0, or -1 with why. */
int follower_prepare(const follower_opts_t *o, char *why, size_t whylen);

/* After it opened: true if follow.pos names the store's seq (else the
   caller closes the store, removes follow.pos with follower_forget and
   calls follower_prepare again). */
bool follower_position_ok(const follower_opts_t *o, store_t *store);
void follower_forget(const follower_opts_t *o);

/* Starts following on a thread of its own. opts' strings and keys are
   borrowed. NULL out of memory. */
follower_t *follower_start(store_t *store, role_t *role, const follower_opts_t *o);
void follower_stop(follower_t **self_p);

/* True once the primary refused the standby's position: it must start
   again from a full copy. */
bool follower_wants_copy(void);

/* ms since the standby last heard its primary (a record, a heartbeat or
   a reply on the follower's connection), or since the follower started
   if never: what automatic failover waits on (role.h). 0 when no
   follower runs, so a broker that cannot hear its primary never counts
   it silent. */
uint64_t follower_silent_ms(void);

/* Number of map entries follower_pack packs (0 with no follower). */
int follower_pack_entries(void);

/* Packs `standby: {applied_seq, primary_seq, lag_events, lag_ms,
   following}` for `status`, if a follower runs. */
void follower_pack(msgpack_packer *pk);

#endif
