/*  nmirf_audit - signed checkpoints, the audit export and the offline
    verifier. */
#include "nmirf_audit.h"
#include "nmirf_checkpoint.h"
#include "nmirf_mp.h"
#include "nmirf_store_ro.h"
#include "nmirf_util.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- the verifier ------------------------------------------------------ */

/* An entity as the log has made it so far. */
typedef struct {
    char id[NMIRF_ENTITY_ID_MAX + 1];   /* entity id */
    uint8_t sign_pk[NMIRF_SIGN_PK_LEN]; /* its signing key as of now */
    char role[16];                      /* its role, as enrolled ("" if unreadable) */
    bool revoked;                       /* revoked by an earlier event */
    bool authored;                      /* signed at least one request */
    uint64_t revoked_seq;               /* the entity.revoked event, 0 if none */
    uint64_t *key_seqs;                 /* the events that set its keys, in order */
    uint8_t *keys;                      /* the signing key each set (32 bytes each) */
    size_t key_count;                   /* used */
} s_entity_t;

/* A measure's record as of one of its events: what an update that
   changed nothing answers (the request walk, s_dir_request). */
typedef struct {
    uint64_t seq;    /* the measure.added or measure.updated event */
    uint64_t id;     /* the measure id (the event's subject) */
    uint8_t *data;   /* the record, packed as the event holds it */
    size_t data_len; /* its size */
} s_measure_t;

/* The stored reply of the request whose events are being read, and what
   its events say the reply must have been (PROTOCOL.md section 10). */
typedef struct {
    bool open;                /* a request is being read */
    uint8_t id[NMIRF_ID_LEN]; /* its id */
    char op[64];              /* its operation */
    uint64_t first_seq;       /* its first event (0 before it is read) */
    uint64_t last_seq;        /* its last event so far: the reply's seq */
    uint64_t added, updated;  /* rec.import: its rec.added and rec.updated events */
    uint64_t total;           /* rec.import: the recommendations it gave */
    msgpack_sbuffer body;     /* the reply body its first event makes */
    msgpack_sbuffer stored;   /* the reply the store kept for it */
} s_reply_t;

/* A verification in progress: the state of the replay. */
typedef struct {
    const uint8_t *broker_pk;          /* checkpoints verify with this (32 bytes)... */
    uint64_t *promo_seqs;              /* ...up to the first broker.promoted event:
                                          the seq of each, in log order */
    uint8_t *promo_keys;               /* and the broker key each names (32 bytes
                                          each): the checkpoints from its seq on
                                          verify with it */
    uint64_t promo_epoch;              /* the epoch of the last one (1 before) */
    size_t promo_count;                /* how many */
    nmirf_audit_summary_t *sum;        /* counts and the failure */
    uint64_t last_seq;                 /* seq of the last event read */
    uint8_t last_hash[NMIRF_HASH_LEN]; /* its hash (zeros before event 1) */
    uint8_t *hashes;                   /* hash of event s at (s-1)*32, for checkpoints */
    size_t hash_cap;                   /* events hashes has room for */
    s_entity_t *ents;                  /* entities, in enrolment order */
    size_t ent_count;                  /* used */
    size_t ent_cap;                    /* allocated */
    bool have_req;                     /* the previous request below is set */
    uint8_t req[NMIRF_ID_LEN];         /* the last verified request's id */
    uint8_t req_hash[NMIRF_HASH_LEN];  /* and its hash */
    bool in_checkpoints;               /* a checkpoint came: no event may follow */
    msgpack_zone *zone;                /* scratch for one envelope */
    bool check_replies;                /* the source holds the stored replies (a data
                                          directory; the export has none) */
    s_reply_t pend;                    /* the request whose events are being read */
    uint8_t *reqs;                     /* hashes of the requests events name (32
                                          bytes each, the events' req_hash; sorted
                                          before the request walk) */
    size_t req_count;                  /* used */
    size_t req_cap;                    /* allocated */
    s_measure_t *measures;             /* measure records, in event order */
    size_t measure_count;              /* used */
    size_t measure_cap;                /* allocated */
    bool reqs_sorted;                  /* reqs is sorted */
} s_verifier_t;

/* Records the first failure (at event seq, 0 if none) and returns -1. */
static int s_fail(s_verifier_t *v, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
s_fail(s_verifier_t *v, uint64_t seq, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->sum->why, sizeof v->sum->why, fmt, ap);
    va_end(ap);
    v->sum->fail_seq = seq;
    return -1;
}

static int
s_verifier_init(s_verifier_t *v, const uint8_t *broker_pk, nmirf_audit_summary_t *sum)
{
    memset(v, 0, sizeof *v);
    v->broker_pk = broker_pk;
    v->sum = sum;
    msgpack_sbuffer_init(&v->pend.body);
    msgpack_sbuffer_init(&v->pend.stored);
    v->zone = msgpack_zone_new(8192);
    return v->zone ? 0 : -1;
}

static void
s_verifier_free(s_verifier_t *v)
{
    msgpack_sbuffer_destroy(&v->pend.body);
    msgpack_sbuffer_destroy(&v->pend.stored);
    free(v->hashes);
    free(v->promo_seqs);
    free(v->promo_keys);
    for (size_t i = 0; i < v->ent_count; i++) {
        free(v->ents[i].key_seqs);
        free(v->ents[i].keys);
    }
    free(v->ents);
    free(v->reqs);
    for (size_t i = 0; i < v->measure_count; i++)
        free(v->measures[i].data);
    free(v->measures);
    if (v->zone)
        msgpack_zone_free(v->zone);
    memset(v, 0, sizeof *v);
}

static s_entity_t *
s_entity(s_verifier_t *v, const char *id)
{
    for (size_t i = 0; i < v->ent_count; i++)
        if (strcmp(v->ents[i].id, id) == 0)
            return &v->ents[i];
    return NULL;
}

/* Applies what an entity event changes about keys: enrolment and rotation
   set the signing key the entity's later requests must verify with;
   revocation ends its right to sign. Returns 0 or -1 (failure set). */
static int
s_apply_entity(s_verifier_t *v, const nmirf_event_t *ev)
{
    bool enrolled = strcmp(ev->kind, "entity.enrolled") == 0;
    bool rotated = strcmp(ev->kind, "entity.rotated") == 0;
    bool revoked = strcmp(ev->kind, "entity.revoked") == 0;
    if (!enrolled && !rotated && !revoked)
        return 0;
    char id[NMIRF_ENTITY_ID_MAX + 1];
    const msgpack_object *pk = nmirf_mp_get(&ev->data, "sign_key");
    if (nmirf_mp_strcpy(nmirf_mp_get(&ev->data, "id"), id, sizeof id) || !pk ||
        pk->type != MSGPACK_OBJECT_BIN || pk->via.bin.size != NMIRF_SIGN_PK_LEN)
        return s_fail(v, ev->seq,
                      "event %llu (%s): the entity record lacks id or sign_key",
                      (unsigned long long)ev->seq, ev->kind);
    s_entity_t *e = s_entity(v, id);
    if (enrolled) {
        if (e)
            return s_fail(v, ev->seq, "event %llu: entity %s is enrolled a second time",
                          (unsigned long long)ev->seq, id);
        if (v->ent_count == v->ent_cap) {
            size_t cap = v->ent_cap ? v->ent_cap * 2 : 16;
            s_entity_t *ents = realloc(v->ents, cap * sizeof *ents);
            if (!ents)
                return s_fail(v, ev->seq, "out of memory");
            v->ents = ents;
            v->ent_cap = cap;
        }
        e = &v->ents[v->ent_count++];
        memset(e, 0, sizeof *e);
        snprintf(e->id, sizeof e->id, "%s", id);
        /* The role decides who may promote a broker (s_apply_promotion);
           it never changes after enrolment. */
        if (nmirf_mp_strcpy(nmirf_mp_get(&ev->data, "role"), e->role, sizeof e->role))
            e->role[0] = 0;
    } else if (!e)
        return s_fail(v, ev->seq, "event %llu: %s of entity %s, which was never enrolled",
                      (unsigned long long)ev->seq, ev->kind, id);
    memcpy(e->sign_pk, pk->via.bin.ptr, NMIRF_SIGN_PK_LEN);
    if (revoked) {
        e->revoked = true;
        e->revoked_seq = ev->seq;
        return 0;
    }
    /* The key history, for the requests no event names (their reply's seq
       says where in the log they were applied). */
    uint64_t *seqs = realloc(e->key_seqs, (e->key_count + 1) * sizeof *seqs);
    if (seqs)
        e->key_seqs = seqs;
    uint8_t *keys =
        seqs ? realloc(e->keys, (e->key_count + 1) * NMIRF_SIGN_PK_LEN) : NULL;
    if (!keys)
        return s_fail(v, ev->seq, "out of memory");
    e->keys = keys;
    e->key_seqs[e->key_count] = ev->seq;
    memcpy(e->keys + e->key_count * NMIRF_SIGN_PK_LEN, pk->via.bin.ptr,
           NMIRF_SIGN_PK_LEN);
    e->key_count++;
    return 0;
}

/* Keeps a measure event's record, for the request walk. Returns 0 or -1. */
static int
s_keep_measure(s_verifier_t *v, const nmirf_event_t *ev)
{
    if (strcmp(ev->kind, "measure.added") != 0 &&
        strcmp(ev->kind, "measure.updated") != 0)
        return 0;
    char *end;
    errno = 0;
    unsigned long long id = strtoull(ev->subject, &end, 10);
    if (errno || *end || end == ev->subject)
        return s_fail(v, ev->seq, "event %llu (%s): its subject is no measure id",
                      (unsigned long long)ev->seq, ev->kind);
    if (v->measure_count == v->measure_cap) {
        size_t cap = v->measure_cap ? v->measure_cap * 2 : 64;
        s_measure_t *m = realloc(v->measures, cap * sizeof *m);
        if (!m)
            return s_fail(v, ev->seq, "out of memory");
        v->measures = m;
        v->measure_cap = cap;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, ev->data);
    s_measure_t *m = &v->measures[v->measure_count++];
    m->seq = ev->seq;
    m->id = id;
    m->data_len = sb.size;
    m->data = (uint8_t *)msgpack_sbuffer_release(&sb);
    return 0;
}

/* A promotion (broker.promoted {epoch, broker, auto?}, docs/REPLICATION.md):
   from its seq on, the broker's checkpoints are signed by the key it
   names. The event is a signed request's like any write (s_check_request),
   and that request's author says whether the key may change: the
   coordinator (a promotion by `nmirf promote`), or, for `auto: true` (an
   automatic failover), an entity of role standby, whose key the
   coordinator enrolled and which signs its own promotion. Anyone else
   could otherwise name a key of their own and sign every checkpoint after
   it. Its epoch must be above the last one. Other kinds: nothing. Returns
   0 or -1. */
static int
s_apply_promotion(s_verifier_t *v, const nmirf_event_t *ev)
{
    if (strcmp(ev->kind, "broker.promoted") != 0)
        return 0;
    const msgpack_object *key = nmirf_mp_get(&ev->data, "broker");
    const msgpack_object *epoch = nmirf_mp_get(&ev->data, "epoch");
    uint64_t last = v->promo_epoch ? v->promo_epoch : 1;
    if (!key || key->type != MSGPACK_OBJECT_BIN ||
        key->via.bin.size != NMIRF_SIGN_PK_LEN || !epoch ||
        epoch->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return s_fail(v, ev->seq, "event %llu (broker.promoted): no epoch or broker key",
                      (unsigned long long)ev->seq);
    const msgpack_object *autop = nmirf_mp_get(&ev->data, "auto");
    bool is_auto = autop && autop->type == MSGPACK_OBJECT_BOOLEAN && autop->via.boolean;
    const char *need = is_auto ? "standby" : "coordinator";
    const s_entity_t *by = ev->has_req ? s_entity(v, ev->author) : NULL;
    if (!by || strcmp(by->role, need) != 0)
        return s_fail(v, ev->seq,
                      "event %llu (broker.promoted%s): its request is by %s, not by an "
                      "entity of role %s: nobody else may name a new broker key",
                      (unsigned long long)ev->seq, is_auto ? ", auto" : "", ev->author,
                      need);
    if (epoch->via.u64 <= last)
        return s_fail(v, ev->seq,
                      "event %llu (broker.promoted): epoch %llu is not above %llu, the "
                      "epoch before it",
                      (unsigned long long)ev->seq, (unsigned long long)epoch->via.u64,
                      (unsigned long long)last);
    uint64_t *seqs = realloc(v->promo_seqs, (v->promo_count + 1) * sizeof *seqs);
    if (seqs)
        v->promo_seqs = seqs;
    uint8_t *keys =
        seqs ? realloc(v->promo_keys, (v->promo_count + 1) * NMIRF_SIGN_PK_LEN) : NULL;
    if (!keys)
        return s_fail(v, ev->seq, "out of memory");
    v->promo_keys = keys;
    v->promo_seqs[v->promo_count] = ev->seq;
    memcpy(keys + v->promo_count * NMIRF_SIGN_PK_LEN, key->via.bin.ptr,
           NMIRF_SIGN_PK_LEN);
    v->promo_count++;
    v->promo_epoch = epoch->via.u64;
    return 0;
}

/* The broker key a checkpoint at seq verifies with: the key of the last
   promotion at or before seq, else the one given. */
static const uint8_t *
s_broker_key_at(const s_verifier_t *v, uint64_t seq)
{
    const uint8_t *key = v->broker_pk;
    for (size_t i = 0; i < v->promo_count && v->promo_seqs[i] <= seq; i++)
        key = v->promo_keys + i * NMIRF_SIGN_PK_LEN;
    return key;
}

/* Remembers that an event names the request hashing to hash. Returns 0
   or -1. */
static int
s_note_request(s_verifier_t *v, uint64_t seq, const uint8_t hash[NMIRF_HASH_LEN])
{
    if (v->req_count == v->req_cap) {
        size_t cap = v->req_cap ? v->req_cap * 2 : 1024;
        uint8_t *r = realloc(v->reqs, cap * NMIRF_HASH_LEN);
        if (!r)
            return s_fail(v, seq, "out of memory");
        v->reqs = r;
        v->req_cap = cap;
    }
    memcpy(v->reqs + v->req_count++ * NMIRF_HASH_LEN, hash, NMIRF_HASH_LEN);
    return 0;
}

/* --- stored replies ---------------------------------------------------- */

/* A write's reply is derivable: {v: 1, id: req, ok: true, code: "ok",
   message: "", seq: its last event, body} with a body its events and
   request fix (PROTOCOL.md sections 6, 10). The broker keeps the reply
   beside the request, outside the chain, and sends it again to a replay
   of the request; so the verifier rebuilds it and refuses a stored reply
   that differs by one byte. */

/* Ends the request being read: its stored reply must be the one its
   events make. Returns 0 or -1 (failure set). */
static int
s_reply_finish(s_verifier_t *v)
{
    s_reply_t *p = &v->pend;
    if (!p->open)
        return 0;
    p->open = false;
    char hex[2 * NMIRF_ID_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, p->id, NMIRF_ID_LEN);
    if (strcmp(p->op, "rec.import") == 0) {
        if (p->added + p->updated > p->total)
            return s_fail(v, p->first_seq,
                          "request %s (rec.import, event %llu): more events than the "
                          "recommendations it gave",
                          hex, (unsigned long long)p->first_seq);
        msgpack_sbuffer_clear(&p->body);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &p->body, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 3);
        nmirf_mp_pack_kv_uint(&pk, "added", p->added);
        nmirf_mp_pack_kv_uint(&pk, "updated", p->updated);
        nmirf_mp_pack_kv_uint(&pk, "unchanged", p->total - p->added - p->updated);
    }
    msgpack_sbuffer want;
    msgpack_sbuffer_init(&want);
    nmirf_reply_encode(&want, p->id, NMIRF_OK, NULL, p->last_seq,
                       (const uint8_t *)p->body.data, p->body.size);
    bool same =
        want.size == p->stored.size && memcmp(want.data, p->stored.data, want.size) == 0;
    msgpack_sbuffer_destroy(&want);
    if (!same)
        return s_fail(v, p->first_seq,
                      "request %s (%s, event %llu): its stored reply is not the reply "
                      "its events make (the reply was changed; a replay of the request "
                      "would send the changed one)",
                      hex, p->op, (unsigned long long)p->first_seq);
    return 0;
}

/* Begins reading request e (verified) with its stored reply (NULL if the
   store kept none). Returns 0 or -1 (failure set). */
static int
s_reply_begin(s_verifier_t *v, const nmirf_event_t *ev, const nmirf_envelope_t *e,
              const uint8_t *reply, size_t reply_len)
{
    s_reply_t *p = &v->pend;
    if (!reply) {
        char hex[2 * NMIRF_ID_LEN + 1];
        sodium_bin2hex(hex, sizeof hex, ev->req, NMIRF_ID_LEN);
        return s_fail(v, ev->seq, "request %s (event %llu): its stored reply is missing",
                      hex, (unsigned long long)ev->seq);
    }
    p->open = true;
    memcpy(p->id, ev->req, NMIRF_ID_LEN);
    snprintf(p->op, sizeof p->op, "%s", e->op);
    p->first_seq = p->last_seq = 0;
    p->added = p->updated = p->total = 0;
    const msgpack_object *recs = nmirf_mp_get(&e->body, "recs");
    if (recs && recs->type == MSGPACK_OBJECT_ARRAY)
        p->total = recs->via.array.size;
    msgpack_sbuffer_clear(&p->body);
    msgpack_sbuffer_clear(&p->stored);
    msgpack_sbuffer_write(&p->stored, (const char *)reply, reply_len);
    return 0;
}

/* Takes the next event of the request being read. The first one fixes the
   reply's body: {entity}, {report}, {assignment} (the event's record
   without `previous`), {measure} or {measure, changed: true}, {rec}
   (rec.withdraw), each the event's data; {rec: into, moved} from a
   rec.merged; rec.import counts its events. Returns 0 or -1. */
static int
s_reply_event(s_verifier_t *v, const nmirf_event_t *ev)
{
    s_reply_t *p = &v->pend;
    p->last_seq = ev->seq;
    if (strcmp(ev->kind, "rec.added") == 0)
        p->added++;
    else if (strcmp(ev->kind, "rec.updated") == 0)
        p->updated++;
    if (p->first_seq)
        return 0;
    p->first_seq = ev->seq;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &p->body, msgpack_sbuffer_write);
    const char *op = p->op, *key = NULL;
    if (strncmp(op, "entity.", 7) == 0)
        key = "entity";
    else if (strncmp(op, "report.", 7) == 0)
        key = "report";
    else if (strcmp(op, "measure.add") == 0 || strcmp(op, "measure.update") == 0)
        key = "measure";
    if (key) {
        bool update = strcmp(op, "measure.update") == 0;
        msgpack_pack_map(&pk, update ? 2 : 1);
        nmirf_mp_pack_str(&pk, key);
        msgpack_pack_object(&pk, ev->data);
        if (update) {
            nmirf_mp_pack_str(&pk, "changed");
            msgpack_pack_true(&pk);
        }
    } else if (strcmp(op, "rec.assign") == 0) {
        const msgpack_object *d = &ev->data;
        uint32_t n = d->type == MSGPACK_OBJECT_MAP ? d->via.map.size : 0;
        if (n == 0 || !nmirf_mp_str_is(&d->via.map.ptr[n - 1].key, "previous"))
            return s_fail(v, ev->seq, "event %llu: assignment.set without previous",
                          (unsigned long long)ev->seq);
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_str(&pk, "assignment");
        msgpack_pack_map(&pk, n - 1);
        for (uint32_t i = 0; i + 1 < n; i++) {
            msgpack_pack_object(&pk, d->via.map.ptr[i].key);
            msgpack_pack_object(&pk, d->via.map.ptr[i].val);
        }
    } else if (strcmp(op, "broker.promote") == 0) {
        /* {epoch, broker}: its broker.promoted event's data. */
        msgpack_pack_object(&pk, ev->data);
    } else if (strcmp(op, "rec.withdraw") == 0) {
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_str(&pk, "rec");
        msgpack_pack_object(&pk, ev->data);
    } else if (strcmp(op, "rec.merge") == 0) {
        /* {rec: INTO's record, moved}: both in its rec.merged event. */
        const msgpack_object *into = nmirf_mp_get(&ev->data, "into"),
                             *moved = nmirf_mp_get(&ev->data, "moved");
        if (strcmp(ev->kind, "rec.merged") != 0 || !into || !moved)
            return s_fail(v, ev->seq,
                          "event %llu: rec.merge's first event is no rec.merged",
                          (unsigned long long)ev->seq);
        msgpack_pack_map(&pk, 2);
        nmirf_mp_pack_str(&pk, "rec");
        msgpack_pack_object(&pk, *into);
        nmirf_mp_pack_str(&pk, "moved");
        msgpack_pack_object(&pk, *moved);
    } else if (strcmp(op, "rec.import") != 0)
        return s_fail(v, ev->seq,
                      "event %llu: operation %s is no write this verifier knows the "
                      "reply of",
                      (unsigned long long)ev->seq, op);
    return 0;
}

/* Checks an event's request: present (or the same request as the event
   before), hashing to req_hash, naming the same id and author, signed with
   the author's key as of this point of the log. env is NULL when the
   source gave no request for this event. */
static int
s_check_request(s_verifier_t *v, const nmirf_event_t *ev, const uint8_t *env,
                size_t env_len, const uint8_t *sig, size_t sig_len, const uint8_t *reply,
                size_t reply_len)
{
    unsigned long long seq = (unsigned long long)ev->seq;
    if (!ev->has_req) {
        if (v->check_replies && s_reply_finish(v))
            return -1;
        /* Only the broker makes a change nobody signed: its first start
           (event 1), and the deadline reminders it derives from its clock
           and the assignments already in the log. Both have author "-",
           which is no entity id; the broker's checkpoints sign them. */
        if (strcmp(ev->author, "-") == 0 &&
            (ev->seq == 1 || strcmp(ev->kind, "deadline.due_soon") == 0 ||
             strcmp(ev->kind, "deadline.overdue") == 0))
            return 0;
        return s_fail(v, ev->seq,
                      "event %llu: no signed request behind it (author %s, %s); only "
                      "event 1 and the broker's deadline events may have none",
                      seq, ev->author, ev->kind);
    }
    if (!env) {
        /* One request may make several events (an import): the request
           travels with the first, the others name the same one. */
        if (v->have_req && memcmp(v->req, ev->req, NMIRF_ID_LEN) == 0 &&
            memcmp(v->req_hash, ev->req_hash, NMIRF_HASH_LEN) == 0)
            return 0;
        return s_fail(v, ev->seq, "event %llu: its signed request is missing", seq);
    }
    uint8_t hash[NMIRF_HASH_LEN];
    nmirf_hash2(hash, env, env_len, sig, sig_len);
    if (sig_len != NMIRF_SIG_LEN || memcmp(hash, ev->req_hash, NMIRF_HASH_LEN) != 0)
        return s_fail(v, ev->seq,
                      "event %llu: its request does not hash to req_hash (the request "
                      "or its signature was changed)",
                      seq);
    nmirf_envelope_t e;
    bool has_id;
    char why[256];
    msgpack_zone_clear(v->zone);
    if (nmirf_envelope_decode(env, env_len, v->zone, &e, &has_id, why, sizeof why) !=
        NMIRF_OK)
        return s_fail(v, ev->seq, "event %llu: its request is not a valid envelope: %s",
                      seq, why);
    if (memcmp(e.id, ev->req, NMIRF_ID_LEN) != 0)
        return s_fail(v, ev->seq, "event %llu: its request's id is not the event's req",
                      seq);
    if (strcmp(e.author, ev->author) != 0)
        return s_fail(v, ev->seq, "event %llu: request author %s but event author %s",
                      seq, e.author, ev->author);
    s_entity_t *a = s_entity(v, e.author);
    if (!a)
        return s_fail(v, ev->seq, "event %llu: author %s is not enrolled at this point",
                      seq, e.author);
    if (a->revoked)
        return s_fail(v, ev->seq, "event %llu: author %s was revoked before it", seq,
                      e.author);
    if (!nmirf_signature_ok(env, env_len, sig, a->sign_pk))
        return s_fail(v, ev->seq,
                      "event %llu: the request signature does not verify with %s's key "
                      "as of this event",
                      seq, e.author);
    if (!a->authored) {
        a->authored = true;
        v->sum->authors++;
    }
    v->sum->requests++;
    if (v->check_replies && s_note_request(v, ev->seq, ev->req_hash))
        return -1;
    v->have_req = true;
    memcpy(v->req, ev->req, NMIRF_ID_LEN);
    memcpy(v->req_hash, ev->req_hash, NMIRF_HASH_LEN);
    if (v->check_replies &&
        (s_reply_finish(v) || s_reply_begin(v, ev, &e, reply, reply_len)))
        return -1;
    return 0;
}

/* Checks the next event of the log (its exact bytes) and its request.
   Returns 0 or -1 (failure set). */
static int
s_verify_event(s_verifier_t *v, const uint8_t *bytes, size_t len, const uint8_t *env,
               size_t env_len, const uint8_t *sig, size_t sig_len, const uint8_t *reply,
               size_t reply_len)
{
    uint64_t expect = v->last_seq + 1;
    if (v->in_checkpoints)
        return s_fail(v, expect,
                      "event record after the checkpoints: records out of order");
    char why[256];
    nmirf_event_t *ev = nmirf_event_decode(bytes, len, why, sizeof why);
    if (!ev)
        return s_fail(v, expect, "event %llu: not a valid event: %s",
                      (unsigned long long)expect, why);
    int rc = -1;
    if (ev->seq != expect) {
        if (ev->seq < expect)
            s_fail(v, expect,
                   "event %llu: found seq %llu instead (events duplicated or reordered)",
                   (unsigned long long)expect, (unsigned long long)ev->seq);
        else
            s_fail(v, expect,
                   "event %llu: missing, seq %llu follows %llu (events removed or "
                   "reordered)",
                   (unsigned long long)expect, (unsigned long long)ev->seq,
                   (unsigned long long)v->last_seq);
        goto done;
    }
    if (memcmp(ev->prev, v->last_hash, NMIRF_HASH_LEN) != 0) {
        if (expect == 1)
            s_fail(v, 1, "event 1: prev is not 32 zero bytes");
        else
            s_fail(v, expect,
                   "event %llu: prev is not the hash of event %llu (event %llu was "
                   "changed)",
                   (unsigned long long)expect, (unsigned long long)v->last_seq,
                   (unsigned long long)v->last_seq);
        goto done;
    }
    if (s_check_request(v, ev, env, env_len, sig, sig_len, reply, reply_len) ||
        s_apply_entity(v, ev) || s_apply_promotion(v, ev))
        goto done;
    if (v->check_replies && ev->has_req && v->pend.open && s_reply_event(v, ev))
        goto done;
    if (v->check_replies && s_keep_measure(v, ev))
        goto done;
    if (expect > v->hash_cap) {
        size_t cap = v->hash_cap ? v->hash_cap * 2 : 4096;
        uint8_t *hashes = realloc(v->hashes, cap * NMIRF_HASH_LEN);
        if (!hashes) {
            s_fail(v, expect, "out of memory");
            goto done;
        }
        v->hashes = hashes;
        v->hash_cap = cap;
    }
    nmirf_hash2(v->last_hash, bytes, len, NULL, 0);
    memcpy(v->hashes + (expect - 1) * NMIRF_HASH_LEN, v->last_hash, NMIRF_HASH_LEN);
    v->last_seq = expect;
    if (!v->sum->events)
        v->sum->first_ts = ev->ts;
    v->sum->last_ts = ev->ts;
    v->sum->events++;
    rc = 0;
done:
    nmirf_event_destroy(&ev);
    return rc;
}

/* The bin of exactly len bytes under key, or NULL. */
static const uint8_t *
s_bin(const msgpack_object *map, const char *key, size_t len)
{
    const msgpack_object *o = nmirf_mp_get(map, key);
    if (!o || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != len)
        return NULL;
    return (const uint8_t *)o->via.bin.ptr;
}

/* Checks one checkpoint (every event has been read by now): the broker's
   signature, its order, and that its head is the hash of the event it
   names. A checkpoint past the last event means the log was cut. */
static int
s_verify_checkpoint(s_verifier_t *v, const msgpack_object *cp)
{
    if (!v->in_checkpoints && s_reply_finish(v))
        return -1;
    v->in_checkpoints = true;
    nmirf_checkpoint_t c;
    if (nmirf_checkpoint_from_obj(cp, &c))
        return s_fail(v, 0, "checkpoint %llu (after seq %llu): not a checkpoint record",
                      (unsigned long long)v->sum->checkpoints + 1,
                      (unsigned long long)v->sum->last_checkpoint);
    uint64_t seq = c.seq;
    if (seq <= v->sum->last_checkpoint)
        return s_fail(
            v, seq, "checkpoint at %llu follows checkpoint at %llu (out of order)",
            (unsigned long long)seq, (unsigned long long)v->sum->last_checkpoint);
    /* No key before the first promotion (nmirf_audit_verify_dir with
       none): the caller takes the log's last key's word for that part. */
    if (s_broker_key_at(v, seq) && !nmirf_checkpoint_verify(&c, s_broker_key_at(v, seq)))
        return s_fail(v, seq,
                      "checkpoint at %llu: the signature does not verify with the broker "
                      "key%s",
                      (unsigned long long)seq,
                      s_broker_key_at(v, seq) != v->broker_pk
                          ? " its last broker.promoted event names"
                          : "");
    if (seq > v->last_seq)
        return s_fail(v, v->last_seq + 1,
                      "log truncated: checkpoint at %llu but the log ends at %llu",
                      (unsigned long long)seq, (unsigned long long)v->last_seq);
    if (memcmp(v->hashes + (seq - 1) * NMIRF_HASH_LEN, c.head, NMIRF_HASH_LEN) != 0)
        return s_fail(
            v, seq,
            "checkpoint at %llu: its head is not the hash of event %llu (the log "
            "differs from the one the broker signed)",
            (unsigned long long)seq, (unsigned long long)seq);
    v->sum->last_checkpoint = seq;
    v->sum->checkpoints++;
    return 0;
}

/* The end of the log: an empty log cannot be right (event 1 is the first
   start). */
static int
s_verify_end(s_verifier_t *v)
{
    const uint8_t *last = s_broker_key_at(v, UINT64_MAX);
    if (last)
        memcpy(v->sum->last_key, last, NMIRF_SIGN_PK_LEN);
    if (v->sum->events == 0)
        return s_fail(v, 1, "the log holds no event");
    return s_reply_finish(v);
}

/* --- reading a data directory ----------------------------------------- */

/* What a store walk hands on: each event with its request (NULL when the
   event names the same request as the one before, or none is stored), then
   each checkpoint's stored bytes. A callback returns 0 to go on, -1 to
   stop. */
typedef struct {
    int (*event)(void *arg, const uint8_t *ev, size_t len, const uint8_t *env,
                 size_t env_len, const uint8_t *sig, size_t sig_len, const uint8_t *reply,
                 size_t reply_len);
    int (*checkpoint)(void *arg, const uint8_t *cp, size_t len);
    /* Then, if set, every stored request record under its key. */
    int (*request)(void *arg, const uint8_t *key, size_t key_len, const uint8_t *rec,
                   size_t rec_len);
    void *arg;
} s_walker_t;

/* The stored requests by the hash of their bytes (the events' req_hash):
   the index is keyed by time (daemon/store.h), which an event does not
   carry, so the walk reads `requests` once into this table. Open
   addressing; the hashes are BLAKE2b, so their first bytes are the slot.
   The pointers are into the read transaction's map: valid while it is. */
typedef struct {
    const uint8_t *hash; /* the stored hash (NULL: an empty slot) */
    const uint8_t *rec;  /* the stored record */
    size_t rec_len;      /* its size */
} s_req_slot_t;

typedef struct {
    s_req_slot_t *slots; /* a power of two of them */
    size_t mask;         /* their count - 1 */
} s_req_table_t;

/* Fills t from every stored request in txn. Returns 0, or an LMDB error
   (ENOMEM: out of memory). An unreadable record is left out: its event
   then finds no request, and says so. */
static int
s_req_table_fill(s_req_table_t *t, MDB_txn *txn, MDB_dbi requests)
{
    MDB_stat st;
    int rc = mdb_stat(txn, requests, &st);
    if (rc)
        return rc;
    size_t n = 64;
    while (n < 2 * st.ms_entries)
        n *= 2;
    t->slots = calloc(n, sizeof *t->slots);
    if (!t->slots)
        return ENOMEM;
    t->mask = n - 1;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, requests, &cur)) != 0)
        return rc;
    msgpack_zone *zone = msgpack_zone_new(1024);
    if (!zone) {
        mdb_cursor_close(cur);
        return ENOMEM;
    }
    MDB_val k, v;
    size_t filled = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && filled < t->mask;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_object obj;
        msgpack_zone_clear(zone);
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &obj, NULL, 0) != NMIRF_OK)
            continue;
        const uint8_t *h = s_bin(&obj, "hash", NMIRF_HASH_LEN);
        if (!h)
            continue;
        size_t i = nmirf_be64_decode(h) & t->mask;
        while (t->slots[i].hash && memcmp(t->slots[i].hash, h, NMIRF_HASH_LEN) != 0)
            i = (i + 1) & t->mask;
        if (t->slots[i].hash)
            continue; /* the same bytes twice: either serves */
        t->slots[i] = (s_req_slot_t){h, v.mv_data, v.mv_size};
        filled++;
    }
    msgpack_zone_free(zone);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The stored request hashing to hash, or NULL. */
static const s_req_slot_t *
s_req_table_find(const s_req_table_t *t, const uint8_t *hash)
{
    for (size_t i = nmirf_be64_decode(hash) & t->mask; t->slots[i].hash;
         i = (i + 1) & t->mask)
        if (memcmp(t->slots[i].hash, hash, NMIRF_HASH_LEN) == 0)
            return &t->slots[i];
    return NULL;
}

/* Walks DATADIR/store in one read-only transaction. Returns OK, FAILED (a
   callback stopped) or ERROR (why set). */
static nmirf_audit_rc_t
s_walk_store(const char *datadir, s_walker_t *w, char *why, size_t whylen)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/store", datadir);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_dbi events, requests, checkpoints;
    s_req_table_t reqs = {NULL, 0};
    bool have_cps = true;
    nmirf_audit_rc_t result = NMIRF_AUDIT_ERROR;
    /* RDONLY: this never writes the store; LMDB's reader table lets it run
       beside the broker, on a snapshot the broker's commits do not move. */
    int rc = nmirf_store_ro_open(dir, &env, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, "events", 0, &events);
    if (!rc)
        rc = mdb_dbi_open(txn, "requests", 0, &requests);
    if (rc) {
        snprintf(why, whylen, "cannot open the store %.300s: %s", dir, mdb_strerror(rc));
        goto done;
    }
    /* A store from before checkpoints has no such database. */
    if (mdb_dbi_open(txn, "checkpoints", 0, &checkpoints) != 0)
        have_cps = false;
    if ((rc = s_req_table_fill(&reqs, txn, requests)) != 0) {
        snprintf(why, whylen, "cannot read the requests: %s", mdb_strerror(rc));
        goto done;
    }

    msgpack_zone *zone = msgpack_zone_new(4096);
    if (!zone || (rc = mdb_cursor_open(txn, events, &cur)) != 0) {
        snprintf(why, whylen, "cannot read the events: %s",
                 zone ? mdb_strerror(rc) : "out of memory");
        if (zone)
            msgpack_zone_free(zone);
        goto done;
    }
    uint8_t last_req[NMIRF_HASH_LEN];
    bool have_last = false;
    MDB_val k, v;
    result = NMIRF_AUDIT_OK;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !result;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *env_p = NULL, *sig_p = NULL, *reply_p = NULL;
        size_t env_len = 0, sig_len = 0, reply_len = 0;
        msgpack_object ev, stored;
        msgpack_zone_clear(zone);
        /* The event's req, read loosely: the verifier judges the event. */
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &ev, NULL, 0) == NMIRF_OK) {
            const uint8_t *req = s_bin(&ev, "req_hash", NMIRF_HASH_LEN);
            if (req && !(have_last && memcmp(req, last_req, NMIRF_HASH_LEN) == 0)) {
                memcpy(last_req, req, NMIRF_HASH_LEN);
                have_last = true;
                const s_req_slot_t *rv = s_req_table_find(&reqs, req);
                if (rv && nmirf_mp_unpack(rv->rec, rv->rec_len, zone, &stored, NULL, 0) ==
                              NMIRF_OK) {
                    const msgpack_object *e = nmirf_mp_get(&stored, "envelope");
                    const msgpack_object *s = nmirf_mp_get(&stored, "sig");
                    const msgpack_object *r = nmirf_mp_get(&stored, "reply");
                    if (r && r->type == MSGPACK_OBJECT_BIN) {
                        reply_p = (const uint8_t *)r->via.bin.ptr;
                        reply_len = r->via.bin.size;
                    }
                    if (e && e->type == MSGPACK_OBJECT_BIN && s &&
                        s->type == MSGPACK_OBJECT_BIN) {
                        env_p = (const uint8_t *)e->via.bin.ptr;
                        env_len = e->via.bin.size;
                        sig_p = (const uint8_t *)s->via.bin.ptr;
                        sig_len = s->via.bin.size;
                    }
                }
            }
        }
        if (w->event(w->arg, v.mv_data, v.mv_size, env_p, env_len, sig_p, sig_len,
                     reply_p, reply_len))
            result = NMIRF_AUDIT_FAILED;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    msgpack_zone_free(zone);
    if (!result && rc != MDB_NOTFOUND) {
        snprintf(why, whylen, "cannot read the events: %s", mdb_strerror(rc));
        result = NMIRF_AUDIT_ERROR;
    }
    if (!result && have_cps && (rc = mdb_cursor_open(txn, checkpoints, &cur)) == 0) {
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !result;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if (w->checkpoint(w->arg, v.mv_data, v.mv_size))
                result = NMIRF_AUDIT_FAILED;
        mdb_cursor_close(cur);
        cur = NULL;
        if (!result && rc != MDB_NOTFOUND) {
            snprintf(why, whylen, "cannot read the checkpoints: %s", mdb_strerror(rc));
            result = NMIRF_AUDIT_ERROR;
        }
    }
    if (!result && w->request) {
        rc = mdb_cursor_open(txn, requests, &cur);
        for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !result;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if (w->request(w->arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size))
                result = NMIRF_AUDIT_FAILED;
        if (cur)
            mdb_cursor_close(cur);
        cur = NULL;
        if (!result && rc != MDB_NOTFOUND) {
            snprintf(why, whylen, "cannot read the requests: %s", mdb_strerror(rc));
            result = NMIRF_AUDIT_ERROR;
        }
    }
done:
    free(reqs.slots);
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    return result;
}

/* Store walk callbacks that verify. */
static int
s_dir_event(void *arg, const uint8_t *ev, size_t len, const uint8_t *env, size_t env_len,
            const uint8_t *sig, size_t sig_len, const uint8_t *reply, size_t reply_len)
{
    return s_verify_event(arg, ev, len, env, env_len, sig, sig_len, reply, reply_len);
}

static int
s_dir_checkpoint(void *arg, const uint8_t *cp, size_t len)
{
    s_verifier_t *v = arg;
    msgpack_object obj;
    msgpack_zone_clear(v->zone);
    if (nmirf_mp_unpack(cp, len, v->zone, &obj, NULL, 0) != NMIRF_OK)
        return s_fail(v, 0, "checkpoint %llu: unreadable",
                      (unsigned long long)v->sum->checkpoints + 1);
    return s_verify_checkpoint(v, &obj);
}

static int
s_hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, NMIRF_HASH_LEN);
}

/* The key entity a signed with at seq (after event seq, before seq + 1),
   or NULL if it was not enrolled then or was revoked. */
static const uint8_t *
s_key_at(const s_entity_t *a, uint64_t seq)
{
    if (a->revoked_seq && a->revoked_seq <= seq)
        return NULL;
    const uint8_t *key = NULL;
    for (size_t i = 0; i < a->key_count && a->key_seqs[i] <= seq; i++)
        key = a->keys + i * NMIRF_SIGN_PK_LEN;
    return key;
}

/* The reply body of a write no event names (one that changed nothing):
   measure.update {measure: the record as of seq, changed: false};
   rec.import {added: 0, updated: 0, unchanged: the recs it gave}. Returns
   0, or -1 with why. */
static int
s_noop_body(s_verifier_t *v, const nmirf_envelope_t *e, uint64_t seq,
            msgpack_sbuffer *body, char *why, size_t whylen)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, body, msgpack_sbuffer_write);
    if (strcmp(e->op, "measure.update") == 0) {
        const msgpack_object *id = nmirf_mp_get(&e->body, "id");
        if (!id || id->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
            snprintf(why, whylen, "its body has no measure id");
            return -1;
        }
        const s_measure_t *m = NULL;
        for (size_t i = v->measure_count; i-- > 0 && !m;)
            if (v->measures[i].id == id->via.u64 && v->measures[i].seq <= seq)
                m = &v->measures[i];
        if (!m) {
            snprintf(why, whylen, "measure %llu did not exist at seq %llu",
                     (unsigned long long)id->via.u64, (unsigned long long)seq);
            return -1;
        }
        msgpack_pack_map(&pk, 2);
        nmirf_mp_pack_str(&pk, "measure");
        msgpack_sbuffer_write(body, (const char *)m->data, m->data_len);
        nmirf_mp_pack_str(&pk, "changed");
        msgpack_pack_false(&pk);
        return 0;
    }
    if (strcmp(e->op, "rec.import") == 0) {
        const msgpack_object *recs = nmirf_mp_get(&e->body, "recs");
        if (!recs || recs->type != MSGPACK_OBJECT_ARRAY) {
            snprintf(why, whylen, "its body has no recs");
            return -1;
        }
        msgpack_pack_map(&pk, 3);
        nmirf_mp_pack_kv_uint(&pk, "added", 0);
        nmirf_mp_pack_kv_uint(&pk, "updated", 0);
        nmirf_mp_pack_kv_uint(&pk, "unchanged", recs->via.array.size);
        return 0;
    }
    snprintf(why, whylen, "%s always makes an event", e->op);
    return -1;
}

/* Store walk callback: a stored request. One an event names was checked
   with its events. Any other is a write that changed nothing (PROTOCOL.md
   section 10): its record must be {hash, envelope, sig, reply} with the
   hash of its envelope and signature, signed by its author with the key
   the author had at the reply's seq (enrolled, not revoked then), and
   its stored reply exactly what such a write answers. */
static int
s_dir_request(void *arg, const uint8_t *key, size_t key_len, const uint8_t *rec,
              size_t rec_len)
{
    s_verifier_t *v = arg;
    if (!v->reqs_sorted) {
        if (v->req_count)
            qsort(v->reqs, v->req_count, NMIRF_HASH_LEN, s_hash_cmp);
        v->reqs_sorted = true;
    }
    /* ts (u64 BE) || id since the index is keyed by time, the id alone
       before (a store from then keeps both: daemon/store.h). */
    if (key_len != NMIRF_ID_LEN && key_len != 8 + NMIRF_ID_LEN)
        return s_fail(v, 0, "a stored request under a key of %zu bytes, not %d or %d",
                      key_len, NMIRF_ID_LEN, 8 + NMIRF_ID_LEN);
    const uint8_t *key_id = key_len == NMIRF_ID_LEN ? key : key + 8;
    char hex[2 * NMIRF_ID_LEN + 1], why[256] = "";
    sodium_bin2hex(hex, sizeof hex, key_id, NMIRF_ID_LEN);
    msgpack_zone zone;
    msgpack_object obj;
    msgpack_zone_init(&zone, 1024);
    nmirf_reply_t *r = NULL;
    msgpack_sbuffer body, want;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(&want);
    int rc = -1;
    const msgpack_object *h = NULL, *env = NULL, *sig = NULL, *reply = NULL;
    if (nmirf_mp_unpack(rec, rec_len, &zone, &obj, NULL, 0) == NMIRF_OK &&
        obj.type == MSGPACK_OBJECT_MAP) {
        h = nmirf_mp_get(&obj, "hash");
        env = nmirf_mp_get(&obj, "envelope");
        sig = nmirf_mp_get(&obj, "sig");
        reply = nmirf_mp_get(&obj, "reply");
    }
    /* Named by an event: checked with its events. */
    if (h && h->type == MSGPACK_OBJECT_BIN && h->via.bin.size == NMIRF_HASH_LEN &&
        v->req_count &&
        bsearch(h->via.bin.ptr, v->reqs, v->req_count, NMIRF_HASH_LEN, s_hash_cmp)) {
        rc = 0;
        goto done;
    }
    if (!h || h->type != MSGPACK_OBJECT_BIN || h->via.bin.size != NMIRF_HASH_LEN ||
        !env || env->type != MSGPACK_OBJECT_BIN || !sig ||
        sig->type != MSGPACK_OBJECT_BIN || sig->via.bin.size != NMIRF_SIG_LEN || !reply ||
        reply->type != MSGPACK_OBJECT_BIN) {
        s_fail(v, 0,
               "request %s (no event): its stored record is not {hash, envelope, sig, "
               "reply}",
               hex);
        goto done;
    }
    const uint8_t *env_p = (const uint8_t *)env->via.bin.ptr;
    const uint8_t *sig_p = (const uint8_t *)sig->via.bin.ptr;
    uint8_t hash[NMIRF_HASH_LEN];
    nmirf_hash2(hash, env_p, env->via.bin.size, sig_p, NMIRF_SIG_LEN);
    if (memcmp(hash, h->via.bin.ptr, NMIRF_HASH_LEN) != 0) {
        s_fail(v, 0,
               "request %s (no event): its stored hash is not that of its envelope and "
               "signature (one of them was changed)",
               hex);
        goto done;
    }
    nmirf_envelope_t e;
    bool has_id;
    msgpack_zone_clear(v->zone);
    if (nmirf_envelope_decode(env_p, env->via.bin.size, v->zone, &e, &has_id, why,
                              sizeof why) != NMIRF_OK ||
        memcmp(e.id, key_id, NMIRF_ID_LEN) != 0 ||
        (key_len > NMIRF_ID_LEN && e.ts != nmirf_be64_decode(key))) {
        s_fail(v, 0,
               "request %s (no event): its envelope is not a valid one with its key's id "
               "and ts%s%s",
               hex, why[0] ? ": " : "", why);
        goto done;
    }
    r = nmirf_reply_decode((const uint8_t *)reply->via.bin.ptr, reply->via.bin.size, why,
                           sizeof why);
    if (!r) {
        s_fail(v, 0, "request %s (%s, no event): its stored reply is not a reply: %s",
               hex, e.op, why);
        goto done;
    }
    uint64_t seq = r->seq;
    if (seq > v->last_seq) {
        s_fail(v, 0,
               "request %s (%s, no event): its stored reply is at seq %llu, past the "
               "log's end at %llu",
               hex, e.op, (unsigned long long)seq, (unsigned long long)v->last_seq);
        goto done;
    }
    s_entity_t *a = s_entity(v, e.author);
    const uint8_t *pk = a ? s_key_at(a, seq) : NULL;
    if (!pk) {
        s_fail(v, 0,
               "request %s (%s, no event): its author %s was not an active entity at "
               "seq %llu",
               hex, e.op, e.author, (unsigned long long)seq);
        goto done;
    }
    if (!nmirf_signature_ok(env_p, env->via.bin.size, sig_p, pk)) {
        s_fail(v, 0,
               "request %s (%s, no event): the request signature does not verify with "
               "%s's key as of seq %llu",
               hex, e.op, e.author, (unsigned long long)seq);
        goto done;
    }
    if (s_noop_body(v, &e, seq, &body, why, sizeof why)) {
        s_fail(v, 0, "request %s (%s, no event, at seq %llu): %s", hex, e.op,
               (unsigned long long)seq, why);
        goto done;
    }
    nmirf_reply_encode(&want, e.id, NMIRF_OK, NULL, seq, (const uint8_t *)body.data,
                       body.size);
    if (want.size != reply->via.bin.size ||
        memcmp(want.data, reply->via.bin.ptr, want.size) != 0) {
        s_fail(v, 0,
               "request %s (%s, no event, at seq %llu): its stored reply is not the "
               "reply of a write that changed nothing (the reply was changed; a replay "
               "of the request would send the changed one)",
               hex, e.op, (unsigned long long)seq);
        goto done;
    }
    if (!a->authored) {
        a->authored = true;
        v->sum->authors++;
    }
    v->sum->requests++;
    rc = 0;
done:
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_destroy(&want);
    msgpack_zone_destroy(&zone);
    return rc;
}

nmirf_audit_rc_t
nmirf_audit_verify_dir(const char *datadir, const uint8_t *broker_pk,
                       nmirf_audit_summary_t *sum)
{
    memset(sum, 0, sizeof *sum);
    s_verifier_t v;
    if (s_verifier_init(&v, broker_pk, sum)) {
        snprintf(sum->why, sizeof sum->why, "out of memory");
        return NMIRF_AUDIT_ERROR;
    }
    v.check_replies = true; /* the store keeps each write's reply */
    s_walker_t w = {s_dir_event, s_dir_checkpoint, s_dir_request, &v};
    nmirf_audit_rc_t rc = s_walk_store(datadir, &w, sum->why, sizeof sum->why);
    if (rc == NMIRF_AUDIT_OK && s_verify_end(&v))
        rc = NMIRF_AUDIT_FAILED;
    s_verifier_free(&v);
    return rc;
}

/* --- witnesses ---------------------------------------------------------- */

nmirf_audit_rc_t
nmirf_audit_check_witness(const char *datadir, const char *agent_dir,
                          const uint8_t broker_pk[NMIRF_SIGN_PK_LEN],
                          nmirf_audit_summary_t *sum)
{
    char dir[4096];
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {10, "checkpoint"}, v;
    uint64_t seq = 0;
    uint8_t head[NMIRF_HASH_LEN];
    sum->witness_seq = 0;
    snprintf(dir, sizeof dir, "%s/replica", agent_dir);
    int rc = nmirf_store_ro_open(dir, &env, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, "meta", 0, &dbi);
    if (rc) {
        snprintf(sum->why, sizeof sum->why, "cannot open the agent's replica %.300s: %s",
                 dir, mdb_strerror(rc));
        if (txn)
            mdb_txn_abort(txn);
        if (env)
            mdb_env_close(env);
        return NMIRF_AUDIT_ERROR;
    }
    nmirf_audit_rc_t result = NMIRF_AUDIT_FAILED;
    rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        result = NMIRF_AUDIT_OK; /* it saw none: it vouches for nothing */
        goto done;
    }
    nmirf_checkpoint_t cp;
    char cwhy[128];
    if (rc != 0 ||
        nmirf_checkpoint_decode(v.mv_data, v.mv_size, &cp, cwhy, sizeof cwhy)) {
        snprintf(sum->why, sizeof sum->why,
                 "the checkpoint the agent at %.300s kept is unreadable", agent_dir);
        goto done;
    }
    seq = cp.seq;
    memcpy(head, cp.head, sizeof head);
    bool ok = nmirf_checkpoint_verify(&cp, broker_pk);
    if (!ok) {
        snprintf(sum->why, sizeof sum->why,
                 "the checkpoint at %llu the agent at %.300s kept is not signed by the "
                 "broker key",
                 (unsigned long long)seq, agent_dir);
        goto done;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    env = NULL;
    txn = NULL;
    /* The broker's store: event seq, and the log's end. */
    snprintf(dir, sizeof dir, "%s/store", datadir);
    uint8_t key[8];
    for (int i = 7; i >= 0; i--)
        key[7 - i] = (uint8_t)(seq >> (8 * i));
    MDB_val ek = {8, key}, ev;
    MDB_cursor *cur = NULL;
    rc = nmirf_store_ro_open(dir, &env, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, "events", 0, &dbi);
    if (!rc)
        rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) {
        snprintf(sum->why, sizeof sum->why, "cannot open the store %.300s: %s", dir,
                 mdb_strerror(rc));
        result = NMIRF_AUDIT_ERROR;
        goto done;
    }
    uint64_t end = 0;
    MDB_val lk, lv;
    int lrc = mdb_cursor_get(cur, &lk, &lv, MDB_LAST);
    if (lrc == 0 && lk.mv_size == 8)
        end = nmirf_be64_decode(lk.mv_data);
    rc = mdb_cursor_get(cur, &ek, &ev, MDB_SET_KEY);
    mdb_cursor_close(cur);
    uint8_t hash[NMIRF_HASH_LEN];
    if (rc == 0)
        nmirf_hash2(hash, ev.mv_data, ev.mv_size, NULL, 0);
    /* Only a missing event is a truncated log: any other refusal
       (MDB_CORRUPTED, an I/O error) says nothing about the log, and is an
       error, not a finding. */
    if ((rc != 0 && rc != MDB_NOTFOUND) || (lrc != 0 && lrc != MDB_NOTFOUND)) {
        snprintf(sum->why, sizeof sum->why, "cannot read the events of %.300s: %s", dir,
                 mdb_strerror(lrc != 0 && lrc != MDB_NOTFOUND ? lrc : rc));
        result = NMIRF_AUDIT_ERROR;
    } else if (rc != 0) {
        sum->fail_seq = end + 1;
        snprintf(sum->why, sizeof sum->why,
                 "log truncated: the agent at %.300s saw the broker sign seq %llu, but "
                 "the log ends at %llu",
                 agent_dir, (unsigned long long)seq, (unsigned long long)end);
    } else if (memcmp(hash, head, NMIRF_HASH_LEN) != 0) {
        sum->fail_seq = seq;
        snprintf(sum->why, sizeof sum->why,
                 "the log forked: event %llu is not the one the agent at %.300s saw the "
                 "broker sign",
                 (unsigned long long)seq, agent_dir);
    } else {
        sum->witness_seq = seq;
        result = NMIRF_AUDIT_OK;
    }
done:
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    return result;
}

/* --- writing the export ------------------------------------------------ */

/* The export file being written. */
typedef struct {
    FILE *f;                    /* the .tmp file */
    bool failed;                /* a write failed */
    msgpack_packer pk;          /* packs into f */
    nmirf_audit_summary_t *sum; /* counts */
} s_export_t;

static int
s_file_write(void *data, const char *buf, size_t len)
{
    s_export_t *x = data;
    if (len && fwrite(buf, 1, len, x->f) != len)
        x->failed = true;
    return x->failed ? -1 : 0;
}

static int
s_export_event(void *arg, const uint8_t *ev, size_t len, const uint8_t *env,
               size_t env_len, const uint8_t *sig, size_t sig_len, const uint8_t *reply,
               size_t reply_len)
{
    (void)reply, (void)reply_len; /* replies are not exported (format 1) */
    s_export_t *x = arg;
    msgpack_pack_map(&x->pk, 2);
    nmirf_mp_pack_str(&x->pk, "event");
    nmirf_mp_pack_bin(&x->pk, ev, len);
    nmirf_mp_pack_str(&x->pk, "request");
    if (env) {
        msgpack_pack_map(&x->pk, 2);
        nmirf_mp_pack_str(&x->pk, "envelope");
        nmirf_mp_pack_bin(&x->pk, env, env_len);
        nmirf_mp_pack_str(&x->pk, "sig");
        nmirf_mp_pack_bin(&x->pk, sig, sig_len);
        x->sum->requests++;
    } else
        msgpack_pack_nil(&x->pk);
    x->sum->events++;
    return x->failed ? -1 : 0;
}

static int
s_export_checkpoint(void *arg, const uint8_t *cp, size_t len)
{
    s_export_t *x = arg;
    /* The stored bytes are the checkpoint map itself: copied as they are. */
    msgpack_pack_map(&x->pk, 1);
    nmirf_mp_pack_str(&x->pk, "checkpoint");
    s_file_write(x, (const char *)cp, len);
    x->sum->checkpoints++;
    return x->failed ? -1 : 0;
}

nmirf_audit_rc_t
nmirf_audit_export(const char *datadir, const char *out_path,
                   const uint8_t broker_pk[NMIRF_SIGN_PK_LEN], nmirf_audit_summary_t *sum)
{
    memset(sum, 0, sizeof *sum);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    s_export_t x = {.sum = sum};
    x.f = fopen(tmp, "wb");
    if (!x.f) {
        snprintf(sum->why, sizeof sum->why, "cannot write %.300s: %s", tmp,
                 strerror(errno));
        return NMIRF_AUDIT_ERROR;
    }
    msgpack_packer_init(&x.pk, &x, s_file_write);
    msgpack_pack_map(&x.pk, 3);
    nmirf_mp_pack_kv_str(&x.pk, "format", NMIRF_AUDIT_FORMAT);
    nmirf_mp_pack_kv_uint(&x.pk, "version", NMIRF_AUDIT_VERSION);
    nmirf_mp_pack_str(&x.pk, "broker_sign_key");
    nmirf_mp_pack_bin(&x.pk, broker_pk, NMIRF_SIGN_PK_LEN);
    s_walker_t w = {s_export_event, s_export_checkpoint, NULL, &x};
    nmirf_audit_rc_t rc = s_walk_store(datadir, &w, sum->why, sizeof sum->why);
    /* Synced before the rename: a crash leaves the old file or the whole
       new one. */
    if (fflush(x.f) != 0 || fsync(fileno(x.f)) != 0)
        x.failed = true;
    if (fclose(x.f) != 0)
        x.failed = true;
    if (rc == NMIRF_AUDIT_OK && x.failed)
        snprintf(sum->why, sizeof sum->why, "cannot write %.300s: %s", tmp,
                 strerror(errno));
    if (rc == NMIRF_AUDIT_OK && !x.failed && rename(tmp, out_path) != 0)
        snprintf(sum->why, sizeof sum->why, "cannot rename %.200s to %.200s: %s", tmp,
                 out_path, strerror(errno));
    else if (rc == NMIRF_AUDIT_OK && !x.failed)
        return NMIRF_AUDIT_OK;
    unlink(tmp);
    return NMIRF_AUDIT_ERROR;
}

/* --- reading an export file -------------------------------------------- */

/* Feeds one record of the file (a map with "event" or "checkpoint") to the
   verifier. */
static int
s_file_record(s_verifier_t *v, const msgpack_object *rec, size_t index, size_t offset)
{
    /* Exactly {event, request} or {checkpoint}: an unknown or missing key
       is a changed file, not something to skip. */
    uint32_t nkeys = rec->type == MSGPACK_OBJECT_MAP ? rec->via.map.size : 0;
    const msgpack_object *ev = nmirf_mp_get(rec, "event");
    const msgpack_object *cp = nmirf_mp_get(rec, "checkpoint");
    const msgpack_object *req = nmirf_mp_get(rec, "request");
    if (ev && ev->type == MSGPACK_OBJECT_BIN && req && nkeys == 2) {
        const msgpack_object *env = NULL, *sig = NULL;
        if (req && req->type != MSGPACK_OBJECT_NIL) {
            env = nmirf_mp_get(req, "envelope");
            sig = nmirf_mp_get(req, "sig");
            if (!env || env->type != MSGPACK_OBJECT_BIN || !sig ||
                sig->type != MSGPACK_OBJECT_BIN)
                return s_fail(v, v->last_seq + 1,
                              "event %llu: its request is not {envelope: bin, sig: bin}",
                              (unsigned long long)v->last_seq + 1);
        }
        return s_verify_event(v, (const uint8_t *)ev->via.bin.ptr, ev->via.bin.size,
                              env ? (const uint8_t *)env->via.bin.ptr : NULL,
                              env ? env->via.bin.size : 0,
                              sig ? (const uint8_t *)sig->via.bin.ptr : NULL,
                              sig ? sig->via.bin.size : 0, NULL, 0);
    }
    if (cp && cp->type == MSGPACK_OBJECT_MAP && nkeys == 1)
        return s_verify_checkpoint(v, cp);
    return s_fail(v, v->in_checkpoints ? 0 : v->last_seq + 1,
                  "record %zu at byte %zu is neither an event nor a checkpoint", index,
                  offset);
}

nmirf_audit_rc_t
nmirf_audit_verify_file(const char *path, const uint8_t *broker_pk,
                        nmirf_audit_summary_t *sum)
{
    memset(sum, 0, sizeof *sum);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(sum->why, sizeof sum->why, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NMIRF_AUDIT_ERROR;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        snprintf(sum->why, sizeof sum->why, "%s: %s", path,
                 S_ISREG(st.st_mode) ? "empty file, not an nmirf audit export"
                                     : "not a regular file");
        close(fd);
        return NMIRF_AUDIT_ERROR;
    }
    size_t size = (size_t)st.st_size;
    /* Mapped, not read: the records are checked and decoded in place. */
    const uint8_t *buf = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (buf == MAP_FAILED) {
        snprintf(sum->why, sizeof sum->why, "cannot map %s: %s", path, strerror(errno));
        return NMIRF_AUDIT_ERROR;
    }
    s_verifier_t v;
    nmirf_audit_rc_t rc = NMIRF_AUDIT_ERROR;
    /* Records unpack into their own zone: the verifier's is cleared for
       each envelope. Strings and bins point into buf, not the zones. */
    msgpack_zone *rec_zone = msgpack_zone_new(8192);
    if (!rec_zone || s_verifier_init(&v, NULL, sum)) {
        snprintf(sum->why, sizeof sum->why, "out of memory");
        if (rec_zone)
            msgpack_zone_free(rec_zone);
        munmap((void *)buf, size);
        return rc;
    }
    char why[256];
    size_t used, off = 0;
    msgpack_object obj;
    const msgpack_object *fmt, *ver;
    const uint8_t *key;
    if (nmirf_mp_check_prefix(buf, size, &used, why, sizeof why) != NMIRF_OK ||
        msgpack_unpack((const char *)buf, used, &off, rec_zone, &obj) !=
            MSGPACK_UNPACK_SUCCESS ||
        !(fmt = nmirf_mp_get(&obj, "format")) ||
        !nmirf_mp_str_is(fmt, NMIRF_AUDIT_FORMAT)) {
        snprintf(sum->why, sizeof sum->why, "%s: not an nmirf audit export", path);
        goto done;
    }
    ver = nmirf_mp_get(&obj, "version");
    if (!ver || ver->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        ver->via.u64 != NMIRF_AUDIT_VERSION) {
        snprintf(
            sum->why, sizeof sum->why, "%s: audit export version %s (this is %d)", path,
            ver && ver->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? "unknown" : "missing",
            NMIRF_AUDIT_VERSION);
        goto done;
    }
    if (!(key = s_bin(&obj, "broker_sign_key", NMIRF_SIGN_PK_LEN))) {
        snprintf(sum->why, sizeof sum->why, "%s: the header has no broker_sign_key",
                 path);
        goto done;
    }
    uint8_t header_key[NMIRF_SIGN_PK_LEN];
    memcpy(header_key, key, sizeof header_key);
    if (!broker_pk) {
        sum->key_from_file = true;
        v.broker_pk = header_key;
    } else
        v.broker_pk = broker_pk;
    rc = NMIRF_AUDIT_FAILED;
    if (broker_pk && memcmp(broker_pk, header_key, NMIRF_SIGN_PK_LEN) != 0) {
        s_fail(&v, 0, "the export names another broker key than the one given");
        goto done;
    }
    off = used;
    for (size_t index = 1; off < size; index++) {
        nmirf_code_t mrc =
            nmirf_mp_check_prefix(buf + off, size - off, &used, why, sizeof why);
        msgpack_zone_clear(rec_zone);
        size_t pos = 0;
        if (mrc != NMIRF_OK || msgpack_unpack((const char *)buf + off, used, &pos,
                                              rec_zone, &obj) != MSGPACK_UNPACK_SUCCESS) {
            s_fail(&v, v.in_checkpoints ? 0 : v.last_seq + 1,
                   "record %zu at byte %zu is corrupt: %s", index, off,
                   mrc != NMIRF_OK ? why : "cannot unpack");
            goto done;
        }
        if (s_file_record(&v, &obj, index, off))
            goto done;
        off += used;
    }
    rc = s_verify_end(&v) ? NMIRF_AUDIT_FAILED : NMIRF_AUDIT_OK;
done:
    s_verifier_free(&v);
    msgpack_zone_free(rec_zone);
    munmap((void *)buf, size);
    return rc;
}
