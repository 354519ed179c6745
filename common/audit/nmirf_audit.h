/*  nmirf_audit - signed checkpoints, the audit export and the offline
    verifier (PROTOCOL.md section 10, DESIGN.md guarantee 4).

    The verifier needs no broker: it replays the event log in order and
    checks that the sequence has no gap, that each event's prev is the hash
    of the one before, that each event's request is there, hashes to the
    event's req_hash, names the event's author and carries that author's
    signature with the key the author had at that point of the log, and
    that every checkpoint is signed by the broker's key over the hash of
    the event it names: the key given, up to the first `broker.promoted`
    event, then the key the last such event before the checkpoint names
    (a standby promoted signs with its own key; docs/REPLICATION.md), an
    event counted only if the coordinator signed its request, or, for an
    automatic promotion (`auto: true`), an entity of role standby. It
    reads either an export file or a data directory (its LMDB store
    opened read-only, so it works while the broker runs).

    The same code writes the export, so the file and the store are checked
    by the same rules. Everything read here is untrusted: a corrupt file or
    store gives a failure with a reason, never a crash.
*/
#ifndef NMIRF_AUDIT_H
#define NMIRF_AUDIT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_wire.h"

#define NMIRF_AUDIT_FORMAT "nmirf-audit" /* the export header's format */
#define NMIRF_AUDIT_VERSION 1            /* and its version */

typedef enum {
    NMIRF_AUDIT_OK = 0,     /* the log verifies */
    NMIRF_AUDIT_FAILED = 1, /* verification failed: why names the first failure */
    NMIRF_AUDIT_ERROR = 2,  /* the input could not be read at all (file error) */
} nmirf_audit_rc_t;

/* What a verification (or an export) found. */
typedef struct {
    uint64_t events;          /* events read */
    uint64_t requests;        /* distinct signed requests verified */
    uint64_t checkpoints;     /* checkpoints read */
    uint64_t authors;         /* distinct authors of those requests */
    uint64_t first_ts;        /* time of the first event, ms (0 if none) */
    uint64_t last_ts;         /* time of the last event, ms */
    uint64_t last_checkpoint; /* seq of the last checkpoint, 0 if none */
    uint64_t fail_seq;        /* the first failing event's seq, 0 if none or not
                                 tied to one event */
    uint64_t witness_seq;     /* nmirf_audit_check_witness: the seq the agent
                                 kept a checkpoint of, 0 if none */
    bool key_from_file;       /* checkpoints were checked against the key the
                                 export itself names (no -S given) */
    uint8_t last_key[NMIRF_SIGN_PK_LEN]; /* the broker key in force at the log's
                                            end: the one its last broker.promoted
                                            event names, else the one given (zero:
                                            none given) */
    char why[512];            /* the failure or error, "" on success */
} nmirf_audit_summary_t;

/* --- export and verification ------------------------------------------ */

/* Writes the audit export of the store in DATADIR/store to out_path
   (through out_path.tmp, synced, then renamed, so a reader never sees half
   a file). broker_pk is the broker's Ed25519 public key for the header.
   One read transaction: the file is one consistent state of the log.
   Returns OK with counts in sum, or ERROR with the reason in sum->why. */
nmirf_audit_rc_t nmirf_audit_export(const char *datadir, const char *out_path,
                                    const uint8_t broker_pk[NMIRF_SIGN_PK_LEN],
                                    nmirf_audit_summary_t *sum);

/* Verifies the log in DATADIR/store, checkpoints against broker_pk (then
   the keys its broker.promoted events name). broker_pk NULL: the
   checkpoints before the first promotion are not checked, and sum->
   last_key says whose word the log ends on (all zero with no promotion):
   a standby that knows only its promoted primary's key checks a copy so
   (standby_check_copy). Returns OK, FAILED (sum->why and sum->fail_seq
   say where) or ERROR (the store cannot be opened). */
nmirf_audit_rc_t nmirf_audit_verify_dir(const char *datadir, const uint8_t *broker_pk,
                                        nmirf_audit_summary_t *sum);

/* Verifies an export file. broker_pk may be NULL: the header's key is used
   then (sum->key_from_file is set; that proves the file consistent, not
   who made it). A header key other than broker_pk fails verification.
   Returns as nmirf_audit_verify_dir; ERROR if the file cannot be read or
   is not an nmirf audit export. */
nmirf_audit_rc_t nmirf_audit_verify_file(const char *path, const uint8_t *broker_pk,
                                         nmirf_audit_summary_t *sum);

/* Checks what an agent witnessed against the store in DATADIR/store: the
   broker checkpoint the agent at agent_dir kept (in agent_dir/replica,
   meta "checkpoint", witness.c) must verify with broker_pk, and the log
   must hold event seq with that head. A log cut below it ("log
   truncated"), or holding another event there ("the log forked"), fails,
   though the log alone verifies: a prefix of a log is a valid log, and
   only someone who saw more can tell. Both stores are opened read-only.
   Returns OK (sum->witness_seq says at which seq; 0 if the agent kept
   none, which proves nothing), FAILED (sum->why) or ERROR (a store cannot
   be read). sum is not cleared: call after nmirf_audit_verify_dir. */
nmirf_audit_rc_t nmirf_audit_check_witness(const char *datadir, const char *agent_dir,
                                           const uint8_t broker_pk[NMIRF_SIGN_PK_LEN],
                                           nmirf_audit_summary_t *sum);

#endif
