/*  audit_test - the event log verifies offline, and every kind of
    tampering is caught (DESIGN.md guarantee 4, PROTOCOL.md section 10).

    A real broker takes a realistic run of writes: enrolments, an import
    (three events from one request), assignments, a report signed with
    MJ's first key, a key rotation, reports signed with MJ's new key. Each
    batch that grows the log commits a checkpoint of its head (writer.c),
    and the broker is stopped and restarted between the writes. Then the export
    and the data directory (and a `cp -a` copy of it) verify, and modified
    copies of the export fail at the first event they broke, each with its
    reason: a changed event byte, a removed event, two events swapped, a
    log cut below a checkpoint, a checkpoint signed by another key, a
    changed request signature, a request by another author (with the
    chain rebuilt after it, as a broker operator rewriting history would),
    and a broker.promoted appended by a ministry, naming a key of its own
    that signs the checkpoint after it (manual and auto: only the
    coordinator, or for auto an entity of role standby, may promote).
    A corrupt file is an error, never a crash. If the nmirf binary sits
    beside nmirfd's build, its exit statuses are checked too.
*/
#include "harness.h"
#include "nmirf_audit.h"
#include "nmirf_checkpoint.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_RECORDS 256 /* records of this test's export */

/* A byte string we own. */
typedef struct {
    uint8_t *p; /* bytes */
    size_t n;   /* length */
} blob_t;

/* The export file, split into its header and records. */
typedef struct {
    blob_t header;            /* the header map */
    blob_t recs[MAX_RECORDS]; /* event and checkpoint records, in order */
    size_t count;             /* how many */
} export_t;

static blob_t
blob_copy(const void *p, size_t n)
{
    blob_t b = {malloc(n ? n : 1), n};
    H_ASSERT(b.p);
    memcpy(b.p, p, n);
    return b;
}

static blob_t
blob_of(msgpack_sbuffer *sb)
{
    return blob_copy(sb->data, sb->size);
}

/* Reads path into x, one blob per msgpack object. */
static void
export_read(export_t *x, const char *path)
{
    size_t len, off = 0, used;
    char *buf = nmirf_read_file(path, &len);
    H_ASSERTF(buf, "cannot read %s", path);
    memset(x, 0, sizeof *x);
    H_ASSERT(nmirf_mp_check_prefix((uint8_t *)buf, len, &used, NULL, 0) == NMIRF_OK);
    x->header = blob_copy(buf, used);
    for (off = used; off < len; off += used) {
        H_ASSERT(x->count < MAX_RECORDS);
        H_ASSERT(nmirf_mp_check_prefix((uint8_t *)buf + off, len - off, &used, NULL, 0) ==
                 NMIRF_OK);
        x->recs[x->count++] = blob_copy(buf + off, used);
    }
    free(buf);
}

static void
export_free(export_t *x)
{
    free(x->header.p);
    for (size_t i = 0; i < x->count; i++)
        free(x->recs[i].p);
    memset(x, 0, sizeof *x);
}

/* A deep copy of x. */
static void
export_dup(export_t *to, const export_t *x)
{
    memset(to, 0, sizeof *to);
    to->header = blob_copy(x->header.p, x->header.n);
    for (size_t i = 0; i < x->count; i++)
        to->recs[to->count++] = blob_copy(x->recs[i].p, x->recs[i].n);
}

static void
export_write(const export_t *x, const char *path)
{
    FILE *f = fopen(path, "wb");
    H_ASSERTF(f, "cannot write %s", path);
    fwrite(x->header.p, 1, x->header.n, f);
    for (size_t i = 0; i < x->count; i++)
        fwrite(x->recs[i].p, 1, x->recs[i].n, f);
    H_ASSERT(fclose(f) == 0);
}

/* Unpacks a record (into zone) and returns its event, or NULL for a
   checkpoint. */
static nmirf_event_t *
record_event(const blob_t *rec, msgpack_zone *zone, msgpack_object *obj)
{
    H_ASSERT(nmirf_mp_unpack(rec->p, rec->n, zone, obj, NULL, 0) == NMIRF_OK);
    const msgpack_object *ev = nmirf_mp_get(obj, "event");
    if (!ev)
        return NULL;
    nmirf_event_t *e =
        nmirf_event_decode((const uint8_t *)ev->via.bin.ptr, ev->via.bin.size, NULL, 0);
    H_ASSERT(e);
    return e;
}

/* The index of the record of event seq. */
static size_t
record_of(const export_t *x, uint64_t seq)
{
    msgpack_zone *zone = msgpack_zone_new(4096);
    for (size_t i = 0; i < x->count; i++) {
        msgpack_object obj;
        nmirf_event_t *e = record_event(&x->recs[i], zone, &obj);
        bool hit = e && e->seq == seq;
        nmirf_event_destroy(&e);
        if (hit) {
            msgpack_zone_free(zone);
            return i;
        }
    }
    h_fail(__FILE__, __LINE__, "no record of event %llu", (unsigned long long)seq);
}

/* Packs map obj with the values under the keys of `keys` replaced by bins
   (NULL-ended; each new value is 32 bytes). */
static blob_t
repack(const msgpack_object *obj, const char *const *keys, const uint8_t *const *vals,
       const size_t *lens)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, obj->via.map.size);
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr[i];
        msgpack_pack_object(&pk, kv->key);
        size_t k = 0;
        while (keys[k] && !nmirf_mp_str_is(&kv->key, keys[k]))
            k++;
        if (keys[k])
            nmirf_mp_pack_bin(&pk, vals[k], lens[k]);
        else
            msgpack_pack_object(&pk, kv->val);
    }
    blob_t b = blob_of(&sb);
    msgpack_sbuffer_destroy(&sb);
    return b;
}

/* Replaces the request of record i with env/sig and its event's req_hash
   with their hash, then chains every later event again (prev), leaving
   the checkpoints as they were: a history rewritten after the fact. */
static void
rewrite_request(export_t *x, size_t i, const uint8_t *env, size_t env_len,
                const uint8_t *sig)
{
    uint8_t prev[NMIRF_HASH_LEN], req_hash[NMIRF_HASH_LEN];
    nmirf_hash2(req_hash, env, env_len, sig, NMIRF_SIG_LEN);
    msgpack_zone *zone = msgpack_zone_new(4096);
    for (size_t r = i; r < x->count; r++) {
        msgpack_object rec;
        nmirf_event_t *e = record_event(&x->recs[r], zone, &rec);
        if (!e)
            break;
        msgpack_object evobj;
        H_ASSERT(nmirf_mp_unpack(e->bytes, e->len, zone, &evobj, NULL, 0) == NMIRF_OK);
        /* The first rewritten event keeps its prev and gets the new
           req_hash; later ones get the new hash of the one before. */
        static const char *const first_keys[] = {"req_hash", NULL};
        static const char *const later_keys[] = {"prev", NULL};
        const uint8_t *vals[] = {r == i ? req_hash : prev};
        const size_t lens[] = {NMIRF_HASH_LEN};
        blob_t evb = repack(&evobj, r == i ? first_keys : later_keys, vals, lens);
        nmirf_hash2(prev, evb.p, evb.n, NULL, 0);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 2);
        nmirf_mp_pack_str(&pk, "event");
        nmirf_mp_pack_bin(&pk, evb.p, evb.n);
        nmirf_mp_pack_str(&pk, "request");
        if (r == i) {
            msgpack_pack_map(&pk, 2);
            nmirf_mp_pack_str(&pk, "envelope");
            nmirf_mp_pack_bin(&pk, env, env_len);
            nmirf_mp_pack_str(&pk, "sig");
            nmirf_mp_pack_bin(&pk, sig, NMIRF_SIG_LEN);
        } else
            msgpack_pack_object(&pk, *nmirf_mp_get(&rec, "request"));
        free(x->recs[r].p);
        x->recs[r] = blob_of(&sb);
        msgpack_sbuffer_destroy(&sb);
        free(evb.p);
        nmirf_event_destroy(&e);
    }
    msgpack_zone_free(zone);
}

/* Verifies x written to path with broker_pk, and fails unless it fails at
   event fail_seq with a reason holding `expect`. */
static void
expect_failure(const char *name, const export_t *x, const char *path,
               const uint8_t *broker_pk, uint64_t fail_seq, const char *expect)
{
    export_write(x, path);
    nmirf_audit_summary_t sum;
    nmirf_audit_rc_t rc = nmirf_audit_verify_file(path, broker_pk, &sum);
    H_ASSERTF(rc == NMIRF_AUDIT_FAILED, "%s: verify gave %d (%s)", name, rc, sum.why);
    H_ASSERTF(strstr(sum.why, expect), "%s: reason '%s' lacks '%s'", name, sum.why,
              expect);
    H_ASSERTF(sum.fail_seq == fail_seq, "%s: failed at %llu, expected %llu (%s)", name,
              (unsigned long long)sum.fail_seq, (unsigned long long)fail_seq, sum.why);
    h_note("%s detected: %s", name, sum.why);
}

/* Runs the nmirf binary with args; returns its exit status. */
static int
run_cli(const char *nmirf, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", nmirf, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 80);
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_entity_t *mi = h_enroll(b, "MI", "ministry");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': 'R1', 'mechanism': 'UPR', 'text': {'en': 'One'}},"
                 "{'id': 'R2', 'mechanism': 'CAT', 'text': {'fr': 'Deux'}},"
                 "{'id': 'R3', 'mechanism': 'CRC', 'text': {'en': 'Three'}}]}");
    H_CALL_CHECK("ok", coord, "rec.assign",
                 "{'rec': 'R1', 'lead': 'MJ', "
                 "'contributors': ['MI']}");
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': 'R2', 'lead': 'MJ'}");
    nmirf_reply_t *r = H_CALL_EXPECT(
        "ok", mj, "report.submit",
        "{'rec': 'R1', 'status': 'in_progress', 'narrative': 'Signed with the old key'}");
    uint64_t report1 = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)report1);
    h_note("writes before the rotation");

    /* MJ makes a new pair; the coordinator rotates MJ to it. */
    h_entity_t *mj2 = h_entity_new(b, "MJ");
    uint8_t curve[32];
    H_ASSERT(nmirf_key_curve_raw(&mj2->key, curve) == 0);
    msgpack_sbuffer rot;
    msgpack_sbuffer_init(&rot);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rot, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", "MJ");
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, mj2->key.sign_pk, 32);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, 32);
    r = h_call_packed(mj, NULL, "entity.rotate", (uint8_t *)rot.data, rot.size);
    H_EXPECT(r, "forbidden"); /* a ministry may not rotate itself */
    nmirf_reply_destroy(&r);
    r = h_call_packed(coord, NULL, "entity.rotate", (uint8_t *)rot.data, rot.size);
    H_EXPECT(r, "ok");
    H_ASSERT(h_bin_is(&r->body, "entity.sign_key", mj2->key.sign_pk, 32));
    H_ASSERT(h_bin_is(&r->body, "entity.previous_keys.0.sign_key", mj->key.sign_pk, 32));
    H_ASSERT(h_u(&r->body, "entity.previous_keys.0.until_seq") == h_seq(b));
    nmirf_reply_destroy(&r);
    r = h_call_packed(coord, NULL, "entity.rotate", (uint8_t *)rot.data, rot.size);
    H_EXPECT(r, "conflict"); /* the same key again */
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_destroy(&rot);
    /* The old keys are dead at once: MJ's session opened with the old
       CURVE key stays open but every request on it is refused
       key_retired, and ZAP refuses a new connection with that key (no
       answer at all). */
    msgpack_sbuffer *old_body =
        h_pack_json("{'rec': 'R2', 'status': 'in_progress', 'narrative': 'old key'}");
    char old_why[256] = "";
    nmirf_reply_t *old =
        nmirf_client_call(mj->client, "report.submit", (const uint8_t *)old_body->data,
                          old_body->size, old_why, sizeof old_why);
    H_EXPECT(old, "key_retired");
    nmirf_reply_destroy(&old);
    nmirf_client_t *fresh = nmirf_client_new(b->request_ep, &mj->key, b->server_key, 800);
    H_ASSERT(fresh);
    old = nmirf_client_call(fresh, "report.submit", (const uint8_t *)old_body->data,
                            old_body->size, old_why, sizeof old_why);
    H_ASSERTF(old == NULL, "a new connection with the old key was answered: %s",
              old ? old->code_name : "");
    nmirf_client_destroy(&fresh);
    msgpack_sbuffer_free(old_body);

    /* Two runs: each stop leaves a checkpoint. The restart also
       reconnects MJ with its new pair: with CurveZMQ, the transport key
       made before the rotation was not yet allowed when it first
       connected. */
    h_broker_stop(b);
    h_broker_restart(b);
    /* A merge and a rename among them: the verifier knows their replies,
       and a byte changed in rec.merged breaks the chain like any other. */
    H_CALL_CHECK("ok", coord, "rec.merge", "{'from': 'R3', 'into': 'R2'}");
    uint64_t merged = h_seq(b); /* R3 links no measure: rec.merged alone */
    H_CALL_CHECK("ok", coord, "entity.update", "{'id': 'MJ', 'contact': 'dajg@x.ma'}");
    H_CALL_CHECK("ok", mj2, "report.submit",
                 "{'rec': 'R2', 'status': 'implemented', 'narrative': 'New key'}");
    h_note("rotation: old key refused, new key accepted, ministry may not rotate");
    r = H_CALL_EXPECT("ok", mj2, "report.submit",
                      "{'rec': 'R1', 'status': 'implemented', 'narrative': 'Done'}");
    uint64_t report3 = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "report.return",
                 "{'report': %llu, 'reason': 'No evidence'}",
                 (unsigned long long)report3);
    uint64_t last = h_seq(b);
    h_broker_stop(b);

    /* The export and the data directory verify. */
    char keypath[PATH_MAX + 32], path[PATH_MAX + 32], bad[PATH_MAX + 32],
        copy[PATH_MAX + 32], cmd[3 * PATH_MAX];
    snprintf(keypath, sizeof keypath, "%s/keys/NMIRFD.pub", b->dir);
    snprintf(path, sizeof path, "%s/audit.nmirf", b->dir);
    snprintf(bad, sizeof bad, "%s/bad.nmirf", b->dir);
    snprintf(copy, sizeof copy, "%s-copy", b->dir);
    nmirf_key_t broker;
    char why[256];
    H_ASSERTF(nmirf_key_load(&broker, keypath, why, sizeof why) == 0, "%s", why);
    nmirf_audit_summary_t sum;
    H_ASSERTF(nmirf_audit_export(b->dir, path, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "export: %s", sum.why);
    H_ASSERT(sum.events == last && sum.checkpoints >= 2);
    H_ASSERTF(nmirf_audit_verify_file(path, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify: %s", sum.why);
    H_ASSERTF(sum.events == last && sum.checkpoints >= 2 && sum.last_checkpoint == last &&
                  sum.authors == 2,
              "events %llu checkpoints %llu last %llu authors %llu",
              (unsigned long long)sum.events, (unsigned long long)sum.checkpoints,
              (unsigned long long)sum.last_checkpoint, (unsigned long long)sum.authors);
    h_note("export verifies: %llu events, %llu requests, %llu checkpoints, %llu authors",
           (unsigned long long)sum.events, (unsigned long long)sum.requests,
           (unsigned long long)sum.checkpoints, (unsigned long long)sum.authors);
    H_ASSERTF(nmirf_audit_verify_dir(b->dir, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify dir: %s", sum.why);
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", b->dir, copy);
    H_ASSERT(system(cmd) == 0);
    H_ASSERTF(nmirf_audit_verify_dir(copy, broker.sign_pk, &sum) == NMIRF_AUDIT_OK,
              "verify copy: %s", sum.why);
    h_note("the data directory and a cp -a copy verify");

    /* Another broker key: the export is not that broker's. */
    nmirf_key_t other;
    H_ASSERT(nmirf_key_generate(&other, "NMIRFD") == 0);
    H_ASSERT(nmirf_audit_verify_file(path, other.sign_pk, &sum) == NMIRF_AUDIT_FAILED);
    H_ASSERT(nmirf_audit_verify_file(path, NULL, &sum) == NMIRF_AUDIT_OK &&
             sum.key_from_file);

    /* The matrix. Seqs: the first report (old key) and the first with the
       new key, found by kind and author. */
    export_t x, m;
    export_read(&x, path);
    uint64_t old_report = 0, new_report = 0;
    msgpack_zone *zone = msgpack_zone_new(4096);
    for (size_t i = 0; i < x.count; i++) {
        msgpack_object obj;
        nmirf_event_t *e = record_event(&x.recs[i], zone, &obj);
        if (e && strcmp(e->kind, "report.submitted") == 0) {
            if (!old_report)
                old_report = e->seq;
            else if (!new_report)
                new_report = e->seq;
        }
        nmirf_event_destroy(&e);
    }
    H_ASSERT(old_report && new_report && new_report > old_report + 1);

    /* A changed byte in an event: the next event's prev no longer holds. */
    export_dup(&m, &x);
    blob_t *rec = &m.recs[record_of(&m, old_report)];
    uint8_t *hit = memmem(rec->p, rec->n, "old key", 7);
    H_ASSERT(hit);
    hit[0] = 'g';
    char msg[128];
    snprintf(msg, sizeof msg, "prev is not the hash of event %llu",
             (unsigned long long)old_report);
    expect_failure("tampered event", &m, bad, broker.sign_pk, old_report + 1, msg);
    export_free(&m);

    /* A changed byte in a rec.merged (FROM's reason, in its data alone). */
    export_dup(&m, &x);
    {
        msgpack_object obj;
        nmirf_event_t *e = record_event(&m.recs[record_of(&m, merged)], zone, &obj);
        H_ASSERTF(e && strcmp(e->kind, "rec.merged") == 0, "event %llu is no rec.merged",
                  (unsigned long long)merged);
        nmirf_event_destroy(&e);
    }
    rec = &m.recs[record_of(&m, merged)];
    hit = memmem(rec->p, rec->n, "merged into R2", 14);
    H_ASSERT(hit);
    hit[0] = 'M';
    snprintf(msg, sizeof msg, "prev is not the hash of event %llu",
             (unsigned long long)merged);
    expect_failure("tampered rec.merged", &m, bad, broker.sign_pk, merged + 1, msg);
    export_free(&m);

    /* A removed event. */
    export_dup(&m, &x);
    size_t i5 = record_of(&m, 5);
    free(m.recs[i5].p);
    memmove(&m.recs[i5], &m.recs[i5 + 1], (m.count - i5 - 1) * sizeof m.recs[0]);
    m.count--;
    expect_failure("removed event", &m, bad, broker.sign_pk, 5, "event 5: missing");
    export_free(&m);

    /* Two events swapped. */
    export_dup(&m, &x);
    size_t i7 = record_of(&m, 7);
    blob_t t = m.recs[i7];
    m.recs[i7] = m.recs[i7 + 1];
    m.recs[i7 + 1] = t;
    expect_failure("swapped events", &m, bad, broker.sign_pk, 7,
                   "event 7: missing, seq 8");
    export_free(&m);

    /* The log cut below the last checkpoints (the checkpoints kept): the
       first checkpoint past the cut names it. */
    export_dup(&m, &x);
    size_t ilast = record_of(&m, last);
    for (size_t k = ilast - 1; k <= ilast; k++)
        free(m.recs[k].p);
    memmove(&m.recs[ilast - 1], &m.recs[ilast + 1],
            (m.count - ilast - 1) * sizeof m.recs[0]);
    m.count -= 2;
    snprintf(msg, sizeof msg,
             "log truncated: checkpoint at %llu but the log ends at %llu",
             (unsigned long long)last - 1, (unsigned long long)last - 2);
    expect_failure("truncated log", &m, bad, broker.sign_pk, last - 1, msg);
    export_free(&m);

    /* A checkpoint signed by another key. */
    export_dup(&m, &x);
    {
        msgpack_object obj;
        blob_t *cp = &m.recs[m.count - 1];
        H_ASSERT(nmirf_mp_unpack(cp->p, cp->n, zone, &obj, NULL, 0) == NMIRF_OK);
        const msgpack_object *c = nmirf_mp_get(&obj, "checkpoint");
        H_ASSERT(c);
        const msgpack_object *head = nmirf_mp_get(c, "head");
        msgpack_sbuffer signed_cp, sb;
        msgpack_sbuffer_init(&signed_cp);
        msgpack_sbuffer_init(&sb);
        nmirf_checkpoint_encode(&signed_cp, last, (const uint8_t *)head->via.bin.ptr,
                                nmirf_now_ms(), other.sign_sk);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_str(&pk, "checkpoint");
        msgpack_sbuffer_write(&sb, signed_cp.data, signed_cp.size);
        free(cp->p);
        *cp = blob_of(&sb);
        msgpack_sbuffer_destroy(&signed_cp);
        msgpack_sbuffer_destroy(&sb);
    }
    snprintf(msg, sizeof msg, "checkpoint at %llu: the signature does not verify",
             (unsigned long long)last);
    expect_failure("forged checkpoint", &m, bad, broker.sign_pk, last, msg);
    export_free(&m);

    /* A changed request signature (the last bytes of the record). */
    export_dup(&m, &x);
    rec = &m.recs[record_of(&m, new_report)];
    rec->p[rec->n - 1] ^= 0x01;
    snprintf(msg, sizeof msg, "event %llu: its request does not hash to req_hash",
             (unsigned long long)new_report);
    expect_failure("tampered request signature", &m, bad, broker.sign_pk, new_report,
                   msg);
    export_free(&m);

    /* A request by another author, well signed by MI, with the chain
       rebuilt after it: the author check catches it. */
    export_dup(&m, &x);
    {
        size_t ri = record_of(&m, old_report);
        msgpack_object obj;
        nmirf_event_t *e = record_event(&m.recs[ri], zone, &obj);
        msgpack_sbuffer *body = h_pack_json("{'rec': 'R1', 'status': 'in_progress', "
                                            "'narrative': 'Signed with the old key'}");
        h_request_t *forged = h_request_make_packed(mi, e->req, "report.submit",
                                                    (uint8_t *)body->data, body->size);
        rewrite_request(&m, ri, forged->env, forged->env_len, forged->sig);
        h_request_free(&forged);
        msgpack_sbuffer_free(body);
        nmirf_event_destroy(&e);
    }
    snprintf(msg, sizeof msg, "event %llu: request author MI but event author MJ",
             (unsigned long long)old_report);
    expect_failure("request by another author", &m, bad, broker.sign_pk, old_report, msg);
    export_free(&m);

    /* A promotion by someone the log does not allow (docs/REPLICATION.md,
       "Automatic failover"): a broker.promoted event appended by MI, its
       request well signed by MI, naming a key of the forger's, and a
       checkpoint signed by that key: refused at the event, manual (not
       the coordinator) or auto (not an entity of role standby). */
    for (int as_auto = 0; as_auto < 2; as_auto++) {
        export_dup(&m, &x);
        size_t il = record_of(&m, last);
        msgpack_object obj;
        nmirf_event_t *le = record_event(&m.recs[il], zone, &obj);
        uint8_t prev[NMIRF_HASH_LEN];
        nmirf_hash2(prev, le->bytes, le->len, NULL, 0);
        nmirf_event_destroy(&le);
        msgpack_sbuffer *body = h_pack_json(as_auto ? "{'auto': true}" : "{}");
        uint8_t id[NMIRF_ID_LEN];
        nmirf_random_id(id, sizeof id);
        h_request_t *req = h_request_make_packed(mi, id, "broker.promote",
                                                 (uint8_t *)body->data, body->size);
        msgpack_sbuffer_free(body);
        uint8_t req_hash[NMIRF_HASH_LEN];
        nmirf_hash2(req_hash, req->env, req->env_len, req->sig, NMIRF_SIG_LEN);
        msgpack_sbuffer data, ev, sb;
        msgpack_sbuffer_init(&data);
        msgpack_sbuffer_init(&ev);
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, as_auto ? 3 : 2);
        nmirf_mp_pack_kv_uint(&pk, "epoch", 2);
        nmirf_mp_pack_str(&pk, "broker");
        nmirf_mp_pack_bin(&pk, other.sign_pk, NMIRF_SIGN_PK_LEN);
        if (as_auto) {
            nmirf_mp_pack_str(&pk, "auto");
            msgpack_pack_true(&pk);
        }
        nmirf_event_fields_t f = {.seq = last + 1,
                                  .ts = nmirf_now_ms(),
                                  .kind = "broker.promoted",
                                  .subject = "2",
                                  .author = "MI",
                                  .req = id,
                                  .req_hash = req_hash,
                                  .prev = prev,
                                  .data = (const uint8_t *)data.data,
                                  .data_len = data.size};
        nmirf_event_encode(&ev, &f);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 2);
        nmirf_mp_pack_str(&pk, "event");
        nmirf_mp_pack_bin(&pk, ev.data, ev.size);
        nmirf_mp_pack_str(&pk, "request");
        msgpack_pack_map(&pk, 2);
        nmirf_mp_pack_str(&pk, "envelope");
        nmirf_mp_pack_bin(&pk, req->env, req->env_len);
        nmirf_mp_pack_str(&pk, "sig");
        nmirf_mp_pack_bin(&pk, req->sig, NMIRF_SIG_LEN);
        H_ASSERT(m.count + 2 <= MAX_RECORDS);
        memmove(&m.recs[il + 2], &m.recs[il + 1], (m.count - il - 1) * sizeof m.recs[0]);
        m.recs[il + 1] = blob_of(&sb);
        m.count++;
        /* The forger's checkpoint of the new head, last. */
        uint8_t head[NMIRF_HASH_LEN];
        nmirf_hash2(head, (const uint8_t *)ev.data, ev.size, NULL, 0);
        msgpack_sbuffer_clear(&sb);
        msgpack_sbuffer signed_cp;
        msgpack_sbuffer_init(&signed_cp);
        nmirf_checkpoint_encode(&signed_cp, last + 1, head, nmirf_now_ms(),
                                other.sign_sk);
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_str(&pk, "checkpoint");
        msgpack_sbuffer_write(&sb, signed_cp.data, signed_cp.size);
        m.recs[m.count++] = blob_of(&sb);
        msgpack_sbuffer_destroy(&signed_cp);
        msgpack_sbuffer_destroy(&sb);
        msgpack_sbuffer_destroy(&ev);
        msgpack_sbuffer_destroy(&data);
        h_request_free(&req);
        snprintf(msg, sizeof msg, "its request is by MI, not by an entity of role %s",
                 as_auto ? "standby" : "coordinator");
        expect_failure(as_auto ? "automatic promotion by a ministry"
                               : "promotion by a ministry",
                       &m, bad, broker.sign_pk, last + 1, msg);
        export_free(&m);
    }

    /* Corrupt files: errors or failures with a reason, never a crash. */
    H_ASSERT(nmirf_audit_verify_file("/nonexistent/audit.nmirf", NULL, &sum) ==
             NMIRF_AUDIT_ERROR);
    nmirf_write_file(bad, "", 0, 0600);
    H_ASSERT(nmirf_audit_verify_file(bad, NULL, &sum) == NMIRF_AUDIT_ERROR);
    nmirf_write_file(bad, "\x93garbage", 8, 0600);
    H_ASSERT(nmirf_audit_verify_file(bad, NULL, &sum) == NMIRF_AUDIT_ERROR);
    size_t flen;
    char *whole = nmirf_read_file(path, &flen);
    H_ASSERT(whole);
    for (size_t cut = 1; cut < flen; cut += flen / 97 + 1) {
        nmirf_write_file(bad, whole, cut, 0600);
        nmirf_audit_rc_t rc = nmirf_audit_verify_file(bad, broker.sign_pk, &sum);
        /* A cut that falls between two records leaves a prefix of the log
           (fewer events, or the last checkpoint gone), which is a valid
           log: only a witness tells it is short (nmirf_audit_check_witness).
           It never verifies as the whole log under its last checkpoint. */
        H_ASSERTF(rc != NMIRF_AUDIT_OK || sum.events < last || sum.last_checkpoint < last,
                  "a file cut at %zu verified with %llu events, checkpoint at %llu", cut,
                  (unsigned long long)sum.events,
                  (unsigned long long)sum.last_checkpoint);
    }
    for (size_t at = 0; at < flen; at += flen / 211 + 1) {
        whole[at] ^= 0x5a;
        nmirf_write_file(bad, whole, flen, 0600);
        nmirf_audit_rc_t rc = nmirf_audit_verify_file(bad, broker.sign_pk, &sum);
        H_ASSERTF(rc != NMIRF_AUDIT_OK, "a file with byte %zu flipped verified", at);
        whole[at] ^= 0x5a;
    }
    h_note("cut and flipped files fail with a reason, never crash");

    /* The command line, when built beside the broker. */
    char nmirf[PATH_MAX + 32], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", argv[1]);
    snprintf(nmirf, sizeof nmirf, "%s/../client/nmirf", dirname(dir));
    if (access(nmirf, X_OK) == 0) {
        char args[3 * PATH_MAX];
        snprintf(args, sizeof args, "audit verify '%s' -S '%s'", path, keypath);
        H_ASSERT(run_cli(nmirf, args) == 0);
        snprintf(args, sizeof args, "audit verify --data '%s'", copy);
        H_ASSERT(run_cli(nmirf, args) == 0);
        export_write(&x, bad);
        rec = &x.recs[record_of(&x, new_report)];
        rec->p[rec->n - 1] ^= 0x01;
        export_write(&x, bad);
        snprintf(args, sizeof args, "audit verify '%s' -S '%s'", bad, keypath);
        H_ASSERT(run_cli(nmirf, args) == 1);
        H_ASSERT(run_cli(nmirf, "audit verify /nonexistent/file") == 4);
        H_ASSERT(run_cli(nmirf, "audit verify") == 2);
        snprintf(args, sizeof args, "audit export --data '%s' --out '%s'", copy, bad);
        H_ASSERT(run_cli(nmirf, args) == 0);
        h_note("nmirf audit verify exits 0, 1, 2 and 4 as documented");
    } else
        h_note("nmirf not found beside nmirfd (%s): command line not checked", nmirf);

    free(whole);
    msgpack_zone_free(zone);
    export_free(&x);
    nmirf_key_wipe(&broker);
    nmirf_key_wipe(&other);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", copy);
    H_ASSERT(system(cmd) == 0);
    h_broker_destroy(&b);
    printf("audit_test: all passed\n");
    return 0;
}
