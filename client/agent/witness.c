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

    An asynchronous failover loses the old primary's tail: the promoted
    standby's log goes back behind the checkpoint kept, or forks at its
    seq, or, once it has written past it, parts from the agent's chain. A
    checkpoint that does so signed by another key of the list than the
    kept one is a claim (witness_claim), not yet a refusal (with several
    brokers a chain that parts before the broker's own checkpoint came
    waits for it: s_fork). With several brokers only the checkpoints the
    broker talked to signed itself are judged (witness_take). replica.c
    fetches the broker's events up to it, and witness_judge_claim takes
    it only if they chain to its head and hold that key's own
    `broker.promoted` at an epoch above the highest this agent's signed
    log showed (meta "epoch": the events it applied). Then the claim is
    the kept checkpoint, the events of the old epoch from the promotion's
    seq on are named lost, and the replica reloads from a snapshot. A
    broker going back under the key that signed the kept checkpoint (a
    restored older copy, the same epoch) is refused as before.
*/
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "witness.h"
#include "nmirf_checkpoint.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define S_KEY "checkpoint" /* its key in the replica's meta database */
#define S_EPOCH "epoch"    /* the highest epoch its signed log showed (u64 BE) */

/* A broker checkpoint (PROTOCOL.md section 10; its codec is proto/'s). */
typedef nmirf_checkpoint_t agent_checkpoint_t;
struct _witness_t {
    const agent_conf_t *conf;        /* the broker's endpoint and key (borrowed) */
    MDB_env *env;                    /* the replica's environment (borrowed) */
    MDB_dbi meta;                    /* its meta database */
    agent_checkpoint_t witness;      /* the latest broker checkpoint verified and
                                        kept (meta "checkpoint"); seq 0: none */
    agent_checkpoint_t witness_next; /* the one the last heartbeat carried */
    bool witness_pending;            /* ...not yet judged (witness_check) */
    agent_checkpoint_t witness_cand; /* a later one, verified, kept once the
                                        replica reaches its seq */
    bool witness_has_cand;           /* witness_cand is set */
    bool witness_cand_seen;          /* ...and the broker's event at its seq was
                                        hashed to its head (applied or fetched) */
    bool refused;                    /* the broker's log went back, forked or is
                                        signed by another key: nothing more is
                                        applied from it */
    uint64_t epoch;                  /* the highest epoch of a broker.promoted
                                        event applied (meta "epoch"), 1 if none */
    agent_checkpoint_t claim;        /* a checkpoint behind the kept one, signed
                                        by another key: a failover to judge */
    bool has_claim;                  /* claim is set, not judged yet */
    bool fork_pending;               /* the log parted from the kept checkpoint's
                                        before the broker's own checkpoint came:
                                        judged by it (witness_check) */
    char fork_why[384];              /* the refusal if that is signed by the
                                        kept checkpoint's key */
    char refused_why[384];           /* why, for the log and `status` */
};

/* Refuses the broker from now on, loudly. */
static void s_refuse(witness_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
s_refuse(witness_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->refused_why, sizeof self->refused_why, fmt, ap);
    va_end(ap);
    self->refused = true;
    log_warnx("REFUSING the broker at %s: %s. Nothing more is applied from it; see "
              "docs/OPERATIONS.md, \"An agent refuses the broker\"",
              self->conf->request_ep, self->refused_why);
}

/* Reads the kept checkpoint. Returns 0 or -1 (logged: an unreadable
   one). */
static int
s_open(witness_t *self)
{
    MDB_txn *txn;
    MDB_val k = {sizeof S_KEY - 1, S_KEY}, v;
    if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn))
        return -1;
    int rc = mdb_get(txn, self->meta, &k, &v);
    if (rc == 0) {
        char why[128];
        if (nmirf_checkpoint_decode(v.mv_data, v.mv_size, &self->witness, why,
                                    sizeof why)) {
            log_warnx("the kept broker checkpoint is unreadable; run with "
                      "--forget-checkpoint to drop it");
            rc = -1;
        } else
            log_info("witness: the broker's log was signed up to seq %llu",
                     (unsigned long long)self->witness.seq);
    } else if (rc == MDB_NOTFOUND)
        rc = 0;
    else
        log_warnx("cannot read the kept broker checkpoint: %s", mdb_strerror(rc));
    MDB_val ek = {sizeof S_EPOCH - 1, S_EPOCH}, ev;
    self->epoch = 1;
    if (rc == 0 && mdb_get(txn, self->meta, &ek, &ev) == 0 && ev.mv_size == 8)
        self->epoch = nmirf_be64_decode(ev.mv_data);
    mdb_txn_abort(txn);
    return rc ? -1 : 0;
}

witness_t *
witness_new(const agent_conf_t *conf, MDB_env *env, MDB_dbi meta)
{
    witness_t *self = calloc(1, sizeof *self);
    if (!self) {
        log_warnx("witness: out of memory");
        return NULL;
    }
    self->conf = conf;
    self->env = env;
    self->meta = meta;
    if (s_open(self) != 0)
        witness_destroy(&self);
    return self;
}

void
witness_destroy(witness_t **self_p)
{
    free(*self_p);
    *self_p = NULL;
}

int
witness_forget(MDB_env *env, MDB_dbi meta)
{
    /* The checkpoint, and with it the replica's sequence and chain head:
       the replica is reloaded from the broker's snapshot (the outbox
       stays), so it holds the broker's state, not one the broker's log no
       longer has. */
    static const char *const keys[] = {S_KEY, "seq", "head"};
    MDB_txn *txn;
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc)
        return -1;
    /* Its seq, for the log (0 if it does not read). */
    agent_checkpoint_t kept = {0};
    MDB_val ck = {sizeof S_KEY - 1, S_KEY}, cv;
    if (mdb_get(txn, meta, &ck, &cv) == 0) {
        char why[128];
        if (nmirf_checkpoint_decode(cv.mv_data, cv.mv_size, &kept, why, sizeof why))
            kept.seq = 0;
    }
    for (size_t i = 0; !rc && i < sizeof keys / sizeof keys[0]; i++) {
        MDB_val k = {strlen(keys[i]), (void *)keys[i]};
        rc = mdb_del(txn, meta, &k, NULL);
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
              (unsigned long long)kept.seq);
    return 0;
}

/* Writes the epoch in txn. Returns an LMDB error code. */
static int
s_put_epoch(witness_t *self, MDB_txn *txn)
{
    uint8_t v[8];
    nmirf_be64_encode(self->epoch, v);
    MDB_val k = {sizeof S_EPOCH - 1, S_EPOCH}, val = {sizeof v, v};
    return mdb_put(txn, self->meta, &k, &val, 0);
}

int
witness_put(witness_t *self, MDB_txn *txn)
{
    int rc = self->epoch > 1 ? s_put_epoch(self, txn) : 0;
    if (rc || !self->witness.seq)
        return rc;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    nmirf_checkpoint_pack(&self->witness, &sb);
    MDB_val k = {sizeof S_KEY - 1, S_KEY}, v = {sb.size, sb.data};
    rc = mdb_put(txn, self->meta, &k, &v, 0);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* The broker of the list (-b, -S) whose key verifies cp, or NULL. */
static const nmirf_broker_t *
s_signer(const witness_t *self, const agent_checkpoint_t *cp)
{
    for (size_t i = 0; i < self->conf->brokers.n; i++)
        if (nmirf_checkpoint_verify(cp, self->conf->brokers.at[i].sign_pk))
            return &self->conf->brokers.at[i];
    return NULL;
}

void
witness_take(witness_t *self, const msgpack_object *cp, const uint8_t *own)
{
    if (cp->type == MSGPACK_OBJECT_NIL)
        return; /* a broker with no checkpoint yet */
    agent_checkpoint_t next;
    if (nmirf_checkpoint_from_obj(cp, &next)) {
        log_debug("heartbeat: unreadable checkpoint ignored");
        return;
    }
    if (own && !nmirf_checkpoint_verify(&next, own) && s_signer(self, &next)) {
        log_debug("heartbeat: checkpoint %llu relayed from another broker ignored",
                  (unsigned long long)next.seq);
        return;
    }
    self->witness_next = next;
    self->witness_pending = true;
}

/* Keeps cp (synced) as the latest checkpoint verified. */
static void
s_keep(witness_t *self, const agent_checkpoint_t *cp)
{
    MDB_txn *txn;
    agent_checkpoint_t old = self->witness;
    self->witness = *cp;
    int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (!rc && (rc = witness_put(self, txn)) != 0)
        mdb_txn_abort(txn);
    else if (!rc)
        rc = mdb_txn_commit(txn);
    if (rc) {
        log_warnx("cannot keep the broker checkpoint at seq %llu: %s",
                  (unsigned long long)cp->seq, mdb_strerror(rc));
        self->witness = old;
    }
}

/* Judges cp against ref (the kept checkpoint, or the candidate): refuses
   the broker if cp goes back or forks. Returns true if it refused. */
static bool
s_behind(witness_t *self, const agent_checkpoint_t *cp, const agent_checkpoint_t *ref)
{
    char now_hex[17], ref_hex[17];
    sodium_bin2hex(now_hex, sizeof now_hex, cp->head, 8);
    sodium_bin2hex(ref_hex, sizeof ref_hex, ref->head, 8);
    if (cp->seq < ref->seq)
        s_refuse(self,
                 "its log went back: its latest checkpoint is at seq %llu (head %s...), "
                 "but this agent verified seq %llu (head %s...) before: a restored older "
                 "broker or a truncated log",
                 (unsigned long long)cp->seq, now_hex, (unsigned long long)ref->seq,
                 ref_hex);
    else if (cp->seq == ref->seq && memcmp(cp->head, ref->head, NMIRF_HASH_LEN) != 0)
        s_refuse(self,
                 "its log forked: its checkpoint at seq %llu has head %s..., but this "
                 "agent verified head %s... at that seq",
                 (unsigned long long)cp->seq, now_hex, ref_hex);
    return self->refused;
}

/* Reads meta "head", the hash of the event the replica applied last,
   into head. Returns true if it is there. */
static bool
s_head(witness_t *self, uint8_t head[NMIRF_HASH_LEN])
{
    MDB_txn *txn;
    MDB_val k = {4, "head"}, v;
    if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn))
        return false;
    bool ok = mdb_get(txn, self->meta, &k, &v) == 0 && v.mv_size == NMIRF_HASH_LEN;
    if (ok)
        memcpy(head, v.mv_data, NMIRF_HASH_LEN);
    mdb_txn_abort(txn);
    return ok;
}

/* True if cp is signed by one of the brokers of the list (-S): a
   promotion moves the log to a standby, which signs with its own key
   (docs/REPLICATION.md); every broker given is trusted alike, and the
   chain of heads is what ties one broker's checkpoints to another's. */
static bool
s_signed(const witness_t *self, const agent_checkpoint_t *cp)
{
    for (size_t i = 0; i < self->conf->brokers.n; i++)
        if (nmirf_checkpoint_verify(cp, self->conf->brokers.at[i].sign_pk))
            return true;
    return false;
}

/* True if cp, behind the kept checkpoint or forked at its seq, is signed
   by another key than the kept one: maybe a standby promoted after the
   old primary's tail was lost (an asynchronous failover). It becomes the
   claim that replica.c has judged (witness_judge_claim). */
static bool
s_claim(witness_t *self, const agent_checkpoint_t *cp)
{
    const agent_checkpoint_t *kept = &self->witness;
    const nmirf_broker_t *now = s_signer(self, cp);
    /* A candidate that another broker signed and this one is not past:
       the old primary's, never confirmed; what this broker's own log says
       is judged instead. */
    if (self->witness_has_cand && now && cp->seq <= self->witness_cand.seq) {
        const nmirf_broker_t *cand = s_signer(self, &self->witness_cand);
        if (cand && memcmp(cand->sign_pk, now->sign_pk, NMIRF_SIGN_PK_LEN) != 0)
            self->witness_has_cand = false;
    }
    if (!kept->seq || cp->seq > kept->seq ||
        (cp->seq == kept->seq && memcmp(cp->head, kept->head, NMIRF_HASH_LEN) == 0))
        return false;
    const nmirf_broker_t *before = s_signer(self, kept);
    if (!now || !before || memcmp(now->sign_pk, before->sign_pk, NMIRF_SIGN_PK_LEN) == 0)
        return false;
    self->claim = *cp;
    self->has_claim = true;
    self->witness_has_cand = false;
    log_warnx("a checkpoint at seq %llu signed by %s's key is behind the one %s's key "
              "signed at seq %llu: checking its log for a failover",
              (unsigned long long)cp->seq, now->endpoint, before->endpoint,
              (unsigned long long)kept->seq);
    return true;
}

/* The broker's log parts from the kept checkpoint's (an event that does
   not follow the one applied, another event at the kept seq) while its
   own later checkpoint, the candidate, is signed by another key than the
   kept one: a standby promoted after a failover lost the old primary's
   tail has since written past it. The candidate becomes the claim, judged
   as one behind (witness_judge_claim) instead of a refusal. Returns true
   if it did. */
static bool
s_fork_claim(witness_t *self)
{
    if (!self->witness.seq || !self->witness_has_cand)
        return false;
    const nmirf_broker_t *now = s_signer(self, &self->witness_cand),
                         *before = s_signer(self, &self->witness);
    if (!now || !before || memcmp(now->sign_pk, before->sign_pk, NMIRF_SIGN_PK_LEN) == 0)
        return false;
    self->claim = self->witness_cand;
    self->has_claim = true;
    self->witness_has_cand = false;
    log_warnx("the log signed by %s's key up to seq %llu parts from the one %s's key "
              "signed at seq %llu: checking its log for a failover",
              now->endpoint, (unsigned long long)self->claim.seq, before->endpoint,
              (unsigned long long)self->witness.seq);
    return true;
}

/* The broker's log parts from the kept checkpoint's (why: the refusal):
   a claim if its own later checkpoint came (s_fork_claim); with several
   brokers, before it came, a wait for it (a promoted standby's events can
   come before its heartbeat); otherwise a refusal. */
static void s_fork(witness_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
s_fork(witness_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->fork_why, sizeof self->fork_why, fmt, ap);
    va_end(ap);
    if (s_fork_claim(self))
        return;
    if (self->conf->brokers.n > 1 && self->witness.seq) {
        if (!self->fork_pending)
            log_info("%s; the broker's own checkpoint tells a failover from a fork: "
                     "nothing is applied until it comes",
                     self->fork_why);
        self->fork_pending = true;
        return;
    }
    s_refuse(self, "%s", self->fork_why);
}

void
witness_check(witness_t *self, uint64_t replica_seq, bool loaded)
{
    if (self->refused || self->has_claim)
        return;
    if (self->fork_pending) {
        if (!self->witness_pending)
            return;
        self->witness_pending = false;
        const nmirf_broker_t *now = s_signer(self, &self->witness_next),
                             *before = s_signer(self, &self->witness);
        self->fork_pending = false;
        if (now && before && memcmp(now->sign_pk, before->sign_pk, NMIRF_SIGN_PK_LEN)) {
            self->witness_cand = self->witness_next;
            self->witness_has_cand = true;
            (void)s_fork_claim(self);
        } else
            s_refuse(self, "%s", self->fork_why);
        return;
    }
    if (self->witness_pending) {
        self->witness_pending = false;
        agent_checkpoint_t *cp = &self->witness_next;
        if (!s_signed(self, cp))
            s_refuse(self,
                     "its checkpoint at seq %llu is not signed by a broker key this "
                     "agent was given (-S)",
                     (unsigned long long)cp->seq);
        else if (s_claim(self, cp))
            return;
        else if (s_behind(self, cp, &self->witness) ||
                 (self->witness_has_cand && s_behind(self, cp, &self->witness_cand)))
            return;
        else if (cp->seq > self->witness.seq && !self->witness_has_cand) {
            /* Kept once the replica has reached it and the broker's event
               at its seq hashed to its head (witness_on_event on the way,
               or fetched: witness_judge_event): a broker ahead of us on a
               forked log is caught before its checkpoint replaces ours. */
            self->witness_cand = *cp;
            self->witness_has_cand = true;
            self->witness_cand_seen = false;
            uint8_t head[NMIRF_HASH_LEN];
            if (cp->seq == replica_seq && loaded && s_head(self, head) &&
                witness_judge_event(self, cp->seq, head, 0))
                return;
        }
    }
    if (!self->refused && self->witness_has_cand && self->witness_cand_seen &&
        replica_seq >= self->witness_cand.seq) {
        self->witness_has_cand = false;
        s_keep(self, &self->witness_cand);
    }
}

bool
witness_unseen(const witness_t *self, uint64_t replica_seq, bool loaded, uint64_t *seq)
{
    if (self->refused || !loaded || !self->witness_has_cand || self->witness_cand_seen ||
        replica_seq < self->witness_cand.seq)
        return false;
    *seq = self->witness_cand.seq;
    return true;
}

int
witness_judge_event(witness_t *self, uint64_t seq, const uint8_t *hash, uint64_t last)
{
    char want[17], got[17];
    const agent_checkpoint_t *ref = NULL;
    if (self->witness.seq && seq == self->witness.seq)
        ref = &self->witness;
    else if (self->witness_has_cand && seq == self->witness_cand.seq)
        ref = &self->witness_cand;
    if (!ref)
        return 0;
    if (!hash) {
        sodium_bin2hex(want, sizeof want, ref->head, 8);
        s_refuse(self,
                 "its log went back: it has no event at seq %llu (its log ends at "
                 "%llu), but %s seq %llu (head %s...): a restored older broker or a "
                 "truncated log",
                 (unsigned long long)seq, (unsigned long long)last,
                 ref == &self->witness ? "this agent verified" : "it signed",
                 (unsigned long long)seq, want);
        return -1;
    }
    if (memcmp(hash, ref->head, NMIRF_HASH_LEN) != 0) {
        sodium_bin2hex(want, sizeof want, ref->head, 8);
        sodium_bin2hex(got, sizeof got, hash, 8);
        if (ref == &self->witness)
            s_fork(self,
                   "its log forked: its event %llu has hash %s..., but this agent "
                   "verified head %s... at that seq",
                   (unsigned long long)seq, got, want);
        else
            s_refuse(self,
                     "its log forked: it signed head %s... at seq %llu but sent an "
                     "event %llu with hash %s...",
                     want, (unsigned long long)seq, (unsigned long long)seq, got);
        return -1;
    }
    if (ref == &self->witness_cand)
        self->witness_cand_seen = true;
    return 0;
}

int
witness_on_event(witness_t *self, MDB_txn *txn, const nmirf_event_t *ev)
{
    MDB_val k = {4, "head"}, v;
    int rc = mdb_get(txn, self->meta, &k, &v);
    char want[17], got[17];
    if (rc == 0 && v.mv_size == NMIRF_HASH_LEN &&
        memcmp(v.mv_data, ev->prev, NMIRF_HASH_LEN) != 0) {
        sodium_bin2hex(want, sizeof want, v.mv_data, 8);
        sodium_bin2hex(got, sizeof got, ev->prev, 8);
        s_fork(self,
               "its log forked: event %llu follows an event %llu with hash %s..., but "
               "this agent applied an event %llu with hash %s...",
               (unsigned long long)ev->seq, (unsigned long long)ev->seq - 1, got,
               (unsigned long long)ev->seq - 1, want);
        return -1;
    }
    uint8_t head[NMIRF_HASH_LEN];
    nmirf_hash2(head, ev->bytes, ev->len, NULL, 0);
    if (witness_judge_event(self, ev->seq, head, 0))
        return -1;
    v.mv_size = NMIRF_HASH_LEN;
    v.mv_data = head;
    rc = mdb_put(txn, self->meta, &k, &v, 0);
    /* A promotion in the chain: the epoch a failover must be above. An
       aborted transaction applies the event again later; the epoch only
       grows. */
    const msgpack_object *epoch = nmirf_mp_get(&ev->data, "epoch");
    if (!rc && strcmp(ev->kind, "broker.promoted") == 0 && epoch &&
        epoch->type == MSGPACK_OBJECT_POSITIVE_INTEGER && epoch->via.u64 > self->epoch) {
        self->epoch = epoch->via.u64;
        rc = s_put_epoch(self, txn);
    }
    return rc;
}

bool
witness_claim(const witness_t *self, uint64_t *seq)
{
    if (self->refused || !(self->has_claim || self->fork_pending))
        return false;
    *seq = self->has_claim ? self->claim.seq : 0;
    return true;
}

/* Finds the promotion that makes the claim a failover in events (the
   broker's events after since, as events.since answered them): they
   must run from since + 1 to the claim's seq, each one's prev the hash
   of the one before, the last hashing to the claim's head; the last
   broker.promoted among them must name the key that signs the claim, at
   an epoch above self->epoch. Returns 0 with *at and *epoch, or -1 with
   why. */
static int
s_find_promotion(witness_t *self, const msgpack_object *events, uint64_t since,
                 uint64_t *at, uint64_t *epoch, char *why, size_t whylen)
{
    const nmirf_broker_t *signer = s_signer(self, &self->claim);
    const uint8_t *key = signer ? signer->sign_pk : NULL;
    uint8_t hash[NMIRF_HASH_LEN] = {0};
    uint64_t seq = since;
    *at = 0;
    for (uint32_t i = 0; i < events->via.array.size; i++) {
        const msgpack_object *b = &events->via.array.ptr[i];
        char ewhy[128] = "not bin";
        nmirf_event_t *ev = b->type == MSGPACK_OBJECT_BIN
                                ? nmirf_event_decode((const uint8_t *)b->via.bin.ptr,
                                                     b->via.bin.size, ewhy, sizeof ewhy)
                                : NULL;
        if (!ev || ev->seq != seq + 1 ||
            (seq > since && memcmp(ev->prev, hash, NMIRF_HASH_LEN) != 0)) {
            snprintf(why, whylen, "its events after %llu do not chain (%s)",
                     (unsigned long long)seq, ev ? "order or prev" : ewhy);
            nmirf_event_destroy(&ev);
            return -1;
        }
        seq = ev->seq;
        nmirf_hash2(hash, ev->bytes, ev->len, NULL, 0);
        const msgpack_object *e = nmirf_mp_get(&ev->data, "epoch");
        const msgpack_object *k = nmirf_mp_get(&ev->data, "broker");
        if (strcmp(ev->kind, "broker.promoted") == 0 && e &&
            e->type == MSGPACK_OBJECT_POSITIVE_INTEGER && k &&
            k->type == MSGPACK_OBJECT_BIN && k->via.bin.size == NMIRF_SIGN_PK_LEN &&
            key && memcmp(k->via.bin.ptr, key, NMIRF_SIGN_PK_LEN) == 0) {
            *at = ev->seq;
            *epoch = e->via.u64;
        }
        nmirf_event_destroy(&ev);
        if (seq == self->claim.seq)
            break;
    }
    if (seq != self->claim.seq || memcmp(hash, self->claim.head, NMIRF_HASH_LEN) != 0) {
        snprintf(why, whylen,
                 "its events after %llu do not reach the head it signed at seq %llu",
                 (unsigned long long)since, (unsigned long long)self->claim.seq);
        return -1;
    }
    if (!*at) {
        snprintf(why, whylen,
                 "no promotion of the key that signs it in its events %llu..%llu",
                 (unsigned long long)since + 1, (unsigned long long)self->claim.seq);
        return -1;
    }
    if (*epoch <= self->epoch) {
        snprintf(why, whylen,
                 "its promotion at seq %llu is to epoch %llu, not above epoch %llu "
                 "this agent's log showed",
                 (unsigned long long)*at, (unsigned long long)*epoch,
                 (unsigned long long)self->epoch);
        return -1;
    }
    return 0;
}

int
witness_judge_claim(witness_t *self, const msgpack_object *events, uint64_t since,
                    uint64_t replica_seq, uint64_t *lost_from)
{
    if (!self->has_claim)
        return -1;
    self->has_claim = false;
    char why[256];
    uint64_t at = 0, epoch = 0, old_epoch = self->epoch;
    agent_checkpoint_t kept = self->witness;
    if (s_find_promotion(self, events, since, &at, &epoch, why, sizeof why)) {
        char now_hex[17], ref_hex[17];
        sodium_bin2hex(now_hex, sizeof now_hex, self->claim.head, 8);
        sodium_bin2hex(ref_hex, sizeof ref_hex, kept.head, 8);
        s_refuse(self,
                 "its log went back or forked: its checkpoint at seq %llu (head %s...) "
                 "does not continue the one this agent verified at seq %llu (head "
                 "%s...), and it is no failover this agent can tell: %s",
                 (unsigned long long)self->claim.seq, now_hex,
                 (unsigned long long)kept.seq, ref_hex, why);
        return -1;
    }
    self->epoch = epoch;
    s_keep(self, &self->claim); /* with the epoch (witness_put) */
    *lost_from = at;
    const nmirf_broker_t *signer = s_signer(self, &self->claim);
    log_warnx("FAILOVER: the broker at %s was promoted at seq %llu (epoch %llu, its "
              "signed log): the events %llu..%llu of epoch %llu this agent had are "
              "lost (the old primary's tail its standby never had); the replica "
              "reloads from its snapshot",
              signer ? signer->endpoint : "?", (unsigned long long)at,
              (unsigned long long)epoch, (unsigned long long)at,
              (unsigned long long)replica_seq, (unsigned long long)old_epoch);
    return 0;
}

void
witness_moved(witness_t *self)
{
    if (self->refused || self->has_claim || self->fork_pending)
        log_info("witness: another broker now; it is judged afresh against the "
                 "checkpoint kept at seq %llu",
                 (unsigned long long)self->witness.seq);
    self->refused = false;
    self->has_claim = false;
    self->fork_pending = false;
    self->witness_pending = false;
    self->witness_has_cand = false;
}

uint64_t
witness_seq(const witness_t *self)
{
    return self->witness.seq;
}

const char *
witness_refused(const witness_t *self)
{
    return self->refused ? self->refused_why : NULL;
}
