/*  witness - the agent as a witness of the broker's log (PROTOCOL.md
    section 10, docs/AGENT.md).

    Every heartbeat carries the broker's latest signed checkpoint {seq,
    head, ts, sig}. The agent checks its signature with the broker's key
    (the -S file, NMIRFD.pub) and keeps the latest one durably in its
    replica's meta database, under "checkpoint". A broker whose checkpoint
    then has a lower seq (a restored older copy, a truncated log) or the
    same seq with another head (a forked log) is refused: the agent logs
    why, applies nothing more from it (replica.c), and `status` says so,
    until an operator decides (docs/OPERATIONS.md) and restarts the agent
    with --forget-checkpoint. `nmirf audit verify --witness DIR` checks the
    kept checkpoint against a broker's store offline.

    A candidate checkpoint is kept only once the broker's event at its seq
    hashed to its head: the event applied, or fetched (replica.c) when the
    replica passed that seq before the checkpoint came, or a snapshot
    skipped it. A snapshot reload goes through here too: before it, the
    broker's event at the kept seq must hash to the kept head (replica.c),
    and after it meta "head" is the hash of the snapshot's event, so the
    chain check goes on from there.

    A checkpoint arrives while replica.c may hold the replica's write
    transaction: witness_take only copies it, and witness_check (called
    with no transaction open) judges and stores it.
*/
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "nmirf_checkpoint.h"
#include "nmirf_log.h"

#define S_KEY "checkpoint" /* its key in the replica's meta database */

/* Refuses the broker from now on, loudly. */
static void s_refuse(agent_t *ag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
s_refuse(agent_t *ag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ag->refused_why, sizeof ag->refused_why, fmt, ap);
    va_end(ap);
    ag->refused = true;
    log_warnx("REFUSING the broker at %s: %s. Nothing more is applied from it; see "
              "docs/OPERATIONS.md, \"An agent refuses the broker\"",
              ag->request_ep, ag->refused_why);
}

int
witness_open(agent_t *ag)
{
    MDB_txn *txn;
    MDB_val k = {sizeof S_KEY - 1, S_KEY}, v;
    if (mdb_txn_begin(ag->env, NULL, MDB_RDONLY, &txn))
        return -1;
    int rc = mdb_get(txn, ag->dbi[AG_DB_META], &k, &v);
    if (rc == 0) {
        char why[128];
        if (nmirf_checkpoint_decode(v.mv_data, v.mv_size, &ag->witness, why,
                                    sizeof why)) {
            log_warnx("the kept broker checkpoint is unreadable; run with "
                      "--forget-checkpoint to drop it");
            rc = -1;
        } else
            log_info("witness: the broker's log was signed up to seq %llu",
                     (unsigned long long)ag->witness.seq);
    } else if (rc == MDB_NOTFOUND)
        rc = 0;
    else
        log_warnx("cannot read the kept broker checkpoint: %s", mdb_strerror(rc));
    mdb_txn_abort(txn);
    return rc ? -1 : 0;
}

int
witness_forget(agent_t *ag)
{
    /* The checkpoint, and with it the replica's sequence and chain head:
       the replica is reloaded from the broker's snapshot (the outbox
       stays), so it holds the broker's state, not one the broker's log no
       longer has. */
    static const char *const keys[] = {S_KEY, "seq", "head"};
    MDB_txn *txn;
    int rc = mdb_txn_begin(ag->env, NULL, 0, &txn);
    if (rc)
        return -1;
    for (size_t i = 0; !rc && i < sizeof keys / sizeof keys[0]; i++) {
        MDB_val k = {strlen(keys[i]), (void *)keys[i]};
        rc = mdb_del(txn, ag->dbi[AG_DB_META], &k, NULL);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc) {
        mdb_txn_abort(txn);
        return -1;
    }
    if (mdb_txn_commit(txn))
        return -1;
    log_warnx("--forget-checkpoint: dropped the broker checkpoint this agent kept "
              "(seq %llu); the replica reloads from the broker's snapshot and the "
              "broker's next checkpoint is kept as it comes",
              (unsigned long long)ag->witness.seq);
    memset(&ag->witness, 0, sizeof ag->witness);
    ag->seq = 0;
    ag->loaded = false;
    return 0;
}

int
witness_put(agent_t *ag, MDB_txn *txn)
{
    if (!ag->witness.seq)
        return 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_checkpoint_pack(&ag->witness, &sb);
    MDB_val k = {sizeof S_KEY - 1, S_KEY}, v = {sb.size, sb.data};
    int rc = mdb_put(txn, ag->dbi[AG_DB_META], &k, &v, 0);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

void
witness_take(agent_t *ag, const msgpack_object *cp)
{
    if (cp->type == MSGPACK_OBJECT_NIL)
        return; /* a broker with no checkpoint yet */
    if (nmirf_checkpoint_from_obj(cp, &ag->witness_next)) {
        log_debug("heartbeat: unreadable checkpoint ignored");
        return;
    }
    ag->witness_pending = true;
}

/* Keeps cp (synced) as the latest checkpoint verified. */
static void
s_keep(agent_t *ag, const agent_checkpoint_t *cp)
{
    MDB_txn *txn;
    agent_checkpoint_t old = ag->witness;
    ag->witness = *cp;
    int rc = mdb_txn_begin(ag->env, NULL, 0, &txn);
    if (!rc && (rc = witness_put(ag, txn)) != 0)
        mdb_txn_abort(txn);
    else if (!rc)
        rc = mdb_txn_commit(txn);
    if (rc) {
        log_warnx("cannot keep the broker checkpoint at seq %llu: %s",
                  (unsigned long long)cp->seq, mdb_strerror(rc));
        ag->witness = old;
    }
}

/* Judges cp against ref (the kept checkpoint, or the candidate): refuses
   the broker if cp goes back or forks. Returns true if it refused. */
static bool
s_behind(agent_t *ag, const agent_checkpoint_t *cp, const agent_checkpoint_t *ref)
{
    char now_hex[17], ref_hex[17];
    sodium_bin2hex(now_hex, sizeof now_hex, cp->head, 8);
    sodium_bin2hex(ref_hex, sizeof ref_hex, ref->head, 8);
    if (cp->seq < ref->seq)
        s_refuse(ag,
                 "its log went back: its latest checkpoint is at seq %llu (head %s...), "
                 "but this agent verified seq %llu (head %s...) before: a restored older "
                 "broker or a truncated log",
                 (unsigned long long)cp->seq, now_hex, (unsigned long long)ref->seq,
                 ref_hex);
    else if (cp->seq == ref->seq && memcmp(cp->head, ref->head, NMIRF_HASH_LEN) != 0)
        s_refuse(ag,
                 "its log forked: its checkpoint at seq %llu has head %s..., but this "
                 "agent verified head %s... at that seq",
                 (unsigned long long)cp->seq, now_hex, ref_hex);
    return ag->refused;
}

/* Reads meta "head", the hash of the event the replica applied last,
   into head. Returns true if it is there. */
static bool
s_head(agent_t *ag, uint8_t head[NMIRF_HASH_LEN])
{
    MDB_txn *txn;
    MDB_val k = {4, "head"}, v;
    if (mdb_txn_begin(ag->env, NULL, MDB_RDONLY, &txn))
        return false;
    bool ok =
        mdb_get(txn, ag->dbi[AG_DB_META], &k, &v) == 0 && v.mv_size == NMIRF_HASH_LEN;
    if (ok)
        memcpy(head, v.mv_data, NMIRF_HASH_LEN);
    mdb_txn_abort(txn);
    return ok;
}

void
witness_check(agent_t *ag)
{
    if (ag->refused)
        return;
    if (ag->witness_pending) {
        ag->witness_pending = false;
        agent_checkpoint_t *cp = &ag->witness_next;
        if (!nmirf_checkpoint_verify(cp, ag->broker_sign_pk))
            s_refuse(ag,
                     "its checkpoint at seq %llu is not signed by the broker key this "
                     "agent was given (-S)",
                     (unsigned long long)cp->seq);
        else if (s_behind(ag, cp, &ag->witness) ||
                 (ag->witness_has_cand && s_behind(ag, cp, &ag->witness_cand)))
            return;
        else if (cp->seq > ag->witness.seq && !ag->witness_has_cand) {
            /* Kept once the replica has reached it and the broker's event
               at its seq hashed to its head (witness_on_event on the way,
               or fetched: witness_judge_event): a broker ahead of us on a
               forked log is caught before its checkpoint replaces ours. */
            ag->witness_cand = *cp;
            ag->witness_has_cand = true;
            ag->witness_cand_seen = false;
            uint8_t head[NMIRF_HASH_LEN];
            if (cp->seq == ag->seq && ag->loaded && s_head(ag, head) &&
                witness_judge_event(ag, cp->seq, head, 0))
                return;
        }
    }
    if (!ag->refused && ag->witness_has_cand && ag->witness_cand_seen &&
        ag->seq >= ag->witness_cand.seq) {
        ag->witness_has_cand = false;
        s_keep(ag, &ag->witness_cand);
    }
}

bool
witness_unseen(const agent_t *ag, uint64_t *seq)
{
    if (ag->refused || !ag->loaded || !ag->witness_has_cand || ag->witness_cand_seen ||
        ag->seq < ag->witness_cand.seq)
        return false;
    *seq = ag->witness_cand.seq;
    return true;
}

int
witness_judge_event(agent_t *ag, uint64_t seq, const uint8_t *hash, uint64_t last)
{
    char want[17], got[17];
    const agent_checkpoint_t *ref = NULL;
    if (ag->witness.seq && seq == ag->witness.seq)
        ref = &ag->witness;
    else if (ag->witness_has_cand && seq == ag->witness_cand.seq)
        ref = &ag->witness_cand;
    if (!ref)
        return 0;
    if (!hash) {
        sodium_bin2hex(want, sizeof want, ref->head, 8);
        s_refuse(ag,
                 "its log went back: it has no event at seq %llu (its log ends at "
                 "%llu), but %s seq %llu (head %s...): a restored older broker or a "
                 "truncated log",
                 (unsigned long long)seq, (unsigned long long)last,
                 ref == &ag->witness ? "this agent verified" : "it signed",
                 (unsigned long long)seq, want);
        return -1;
    }
    if (memcmp(hash, ref->head, NMIRF_HASH_LEN) != 0) {
        sodium_bin2hex(want, sizeof want, ref->head, 8);
        sodium_bin2hex(got, sizeof got, hash, 8);
        if (ref == &ag->witness)
            s_refuse(ag,
                     "its log forked: its event %llu has hash %s..., but this agent "
                     "verified head %s... at that seq",
                     (unsigned long long)seq, got, want);
        else
            s_refuse(ag,
                     "its log forked: it signed head %s... at seq %llu but sent an "
                     "event %llu with hash %s...",
                     want, (unsigned long long)seq, (unsigned long long)seq, got);
        return -1;
    }
    if (ref == &ag->witness_cand)
        ag->witness_cand_seen = true;
    return 0;
}

int
witness_on_event(agent_t *ag, MDB_txn *txn, const nmirf_event_t *ev)
{
    MDB_val k = {4, "head"}, v;
    int rc = mdb_get(txn, ag->dbi[AG_DB_META], &k, &v);
    char want[17], got[17];
    if (rc == 0 && v.mv_size == NMIRF_HASH_LEN &&
        memcmp(v.mv_data, ev->prev, NMIRF_HASH_LEN) != 0) {
        sodium_bin2hex(want, sizeof want, v.mv_data, 8);
        sodium_bin2hex(got, sizeof got, ev->prev, 8);
        s_refuse(ag,
                 "its log forked: event %llu follows an event %llu with hash %s..., but "
                 "this agent applied an event %llu with hash %s...",
                 (unsigned long long)ev->seq, (unsigned long long)ev->seq - 1, got,
                 (unsigned long long)ev->seq - 1, want);
        return -1;
    }
    uint8_t head[NMIRF_HASH_LEN];
    nmirf_hash2(head, ev->bytes, ev->len, NULL, 0);
    if (witness_judge_event(ag, ev->seq, head, 0))
        return -1;
    v.mv_size = NMIRF_HASH_LEN;
    v.mv_data = head;
    return mdb_put(txn, ag->dbi[AG_DB_META], &k, &v, 0);
}
