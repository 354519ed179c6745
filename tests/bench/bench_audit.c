/*  bench_audit - how long `nmirf audit verify` takes on a large log.

    Makes a synthetic but fully valid export, with no broker: a first
    coordinator (event 1), ten ministries enrolled by signed requests, then
    report.submitted events each behind its own Ed25519-signed request,
    chained by prev hashes, with a broker checkpoint every 10,000 events and
    one at the end. Then times nmirf_audit_verify_file() on it: the work of
    `nmirf audit verify FILE -S NMIRFD.pub`. Signature checks dominate (one
    per request); the figure is per 100,000 events.

    usage: bench_audit [N] [FILE]   (default 100000, a temporary file)
    Prints one readable line and one `bench:` key=value line.
*/
#include "nmirf_audit.h"
#include "nmirf_checkpoint.h"
#include "nmirf_keys.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MINISTRIES 10          /* authors of the reports */
#define CHECKPOINT_EVERY 10000 /* events between checkpoints */

/* The file being written and the chain's state. */
typedef struct {
    FILE *f;                      /* the export */
    msgpack_packer pk;            /* packs into f */
    uint64_t seq;                 /* last event written */
    uint8_t head[NMIRF_HASH_LEN]; /* its hash */
    uint64_t ts;                  /* event time */
} s_gen_t;

static int
s_write(void *data, const char *buf, size_t len)
{
    return fwrite(buf, 1, len, data) == len ? 0 : -1;
}

/* Appends one event (and its signed request, if key is not NULL). */
static void
s_event(s_gen_t *g, const char *kind, const char *subject, const char *author,
        const nmirf_key_t *key, const char *op, const msgpack_sbuffer *body,
        const msgpack_sbuffer *data)
{
    uint8_t id[NMIRF_ID_LEN], sig[NMIRF_SIG_LEN], req_hash[NMIRF_HASH_LEN];
    uint8_t *env = NULL;
    size_t env_len = 0;
    if (key) {
        nmirf_random_id(id, sizeof id);
        if (nmirf_request_encode(op, id, author, g->ts, (const uint8_t *)body->data,
                                 body->size, key->sign_sk, &env, &env_len, sig)) {
            fprintf(stderr, "bench_audit: cannot encode a request\n");
            exit(1);
        }
        nmirf_hash2(req_hash, env, env_len, sig, sizeof sig);
    }
    const char *ents[] = {subject};
    nmirf_event_fields_t ev = {.seq = ++g->seq,
                               .ts = g->ts,
                               .kind = kind,
                               .subject = subject,
                               .entities = ents,
                               .entity_count = 1,
                               .author = author,
                               .req = key ? id : NULL,
                               .req_hash = key ? req_hash : NULL,
                               .prev = g->head,
                               .data = (const uint8_t *)data->data,
                               .data_len = data->size};
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    nmirf_event_encode(&out, &ev);
    nmirf_hash2(g->head, (const uint8_t *)out.data, out.size, NULL, 0);
    msgpack_pack_map(&g->pk, 2);
    nmirf_mp_pack_str(&g->pk, "event");
    nmirf_mp_pack_bin(&g->pk, out.data, out.size);
    nmirf_mp_pack_str(&g->pk, "request");
    if (key) {
        msgpack_pack_map(&g->pk, 2);
        nmirf_mp_pack_str(&g->pk, "envelope");
        nmirf_mp_pack_bin(&g->pk, env, env_len);
        nmirf_mp_pack_str(&g->pk, "sig");
        nmirf_mp_pack_bin(&g->pk, sig, sizeof sig);
    } else
        msgpack_pack_nil(&g->pk);
    msgpack_sbuffer_destroy(&out);
    free(env);
}

/* Packs an entity record (used as enrol body and as event data). */
static void
s_entity(msgpack_sbuffer *sb, const nmirf_key_t *key, const char *role)
{
    uint8_t curve[32];
    nmirf_key_curve_raw(key, curve);
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_kv_str(&pk, "id", key->entity);
    nmirf_mp_pack_kv_str(&pk, "role", role);
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, key->sign_pk, NMIRF_SIGN_PK_LEN);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, 32);
}

int
main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    char path[256];
    if (argc > 2)
        snprintf(path, sizeof path, "%s", argv[2]);
    else
        snprintf(path, sizeof path, "/tmp/bench_audit.%d.nmirf", (int)getpid());
    if (sodium_init() < 0 || n < MINISTRIES + 2) {
        fprintf(stderr, "usage: bench_audit [N >= %d] [FILE]\n", MINISTRIES + 2);
        return 2;
    }
    nmirf_key_t broker, coord, min[MINISTRIES];
    nmirf_key_generate(&broker, "NMIRFD");
    nmirf_key_generate(&coord, "COORD");
    for (int i = 0; i < MINISTRIES; i++) {
        char id[16];
        snprintf(id, sizeof id, "M%d", i);
        nmirf_key_generate(&min[i], id);
    }
    s_gen_t g = {.ts = nmirf_now_ms()};
    g.f = fopen(path, "wb");
    if (!g.f) {
        perror(path);
        return 4;
    }
    msgpack_packer_init(&g.pk, g.f, s_write);
    msgpack_pack_map(&g.pk, 3);
    nmirf_mp_pack_kv_str(&g.pk, "format", NMIRF_AUDIT_FORMAT);
    nmirf_mp_pack_kv_uint(&g.pk, "version", NMIRF_AUDIT_VERSION);
    nmirf_mp_pack_str(&g.pk, "broker_sign_key");
    nmirf_mp_pack_bin(&g.pk, broker.sign_pk, NMIRF_SIGN_PK_LEN);

    uint64_t t0 = nmirf_mono_us();
    msgpack_sbuffer body, data, cp;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(&data);
    msgpack_sbuffer_init(&cp);
    /* Checkpoints follow every event in the file: their heads are kept
       until the events are written. */
    size_t ncp = 0, cap = n / CHECKPOINT_EVERY + 2;
    uint64_t *cp_seq = calloc(cap, sizeof *cp_seq);
    uint8_t(*cp_head)[NMIRF_HASH_LEN] = calloc(cap, NMIRF_HASH_LEN);
    if (!cp_seq || !cp_head)
        return 1;
    s_entity(&data, &coord, "coordinator");
    s_event(&g, "entity.enrolled", "COORD", "-", NULL, NULL, NULL, &data);
    for (int i = 0; i < MINISTRIES; i++) {
        s_entity(&body, &min[i], "ministry");
        s_event(&g, "entity.enrolled", min[i].entity, "COORD", &coord, "entity.enroll",
                &body, &body);
    }
    while (g.seq < n) {
        const nmirf_key_t *k = &min[g.seq % MINISTRIES];
        msgpack_sbuffer_clear(&body);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 3);
        nmirf_mp_pack_kv_str(&pk, "rec", "UPR-4-128.12");
        nmirf_mp_pack_kv_str(&pk, "status", "in_progress");
        nmirf_mp_pack_kv_str(&pk, "narrative",
                             "Draft law sent to parliament; training of 300 judges.");
        g.ts++;
        s_event(&g, "report.submitted", k->entity, k->entity, k, "report.submit", &body,
                &body);
        if (g.seq % CHECKPOINT_EVERY == 0 || g.seq == n) {
            cp_seq[ncp] = g.seq;
            memcpy(cp_head[ncp++], g.head, NMIRF_HASH_LEN);
        }
    }
    for (size_t i = 0; i < ncp; i++) {
        nmirf_checkpoint_encode(&cp, cp_seq[i], cp_head[i], g.ts, broker.sign_sk);
        msgpack_pack_map(&g.pk, 1);
        nmirf_mp_pack_str(&g.pk, "checkpoint");
        s_write(g.f, cp.data, cp.size);
    }
    if (fclose(g.f) != 0) {
        perror(path);
        return 4;
    }
    double gen_s = (double)(nmirf_mono_us() - t0) / 1e6;

    nmirf_audit_summary_t sum;
    t0 = nmirf_mono_us();
    nmirf_audit_rc_t rc = nmirf_audit_verify_file(path, broker.sign_pk, &sum);
    double s = (double)(nmirf_mono_us() - t0) / 1e6;
    if (rc != NMIRF_AUDIT_OK) {
        fprintf(stderr, "bench_audit: verification failed: %s\n", sum.why);
        return 1;
    }
    double per100k = s * 100000.0 / (double)n;
    printf("verified %llu events (%llu signed requests, %zu checkpoints) in %.2f s: "
           "%.2f s per 100,000 events (generated in %.2f s)\n",
           (unsigned long long)sum.events, (unsigned long long)sum.requests, ncp, s,
           per100k, gen_s);
    printf("bench: events=%llu verify_s=%.3f per_100k_s=%.3f\n",
           (unsigned long long)sum.events, s, per100k);
    if (argc <= 2)
        unlink(path);
    free(cp_seq);
    free(cp_head);
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_destroy(&data);
    msgpack_sbuffer_destroy(&cp);
    return 0;
}
