/*  bench_failover - failover time: from the primary's death (SIGKILL) to
    the first write acknowledged by the new primary (docs/PERFORMANCE.md,
    "Failover time"; docs/REPLICATION.md).

    Each round starts a primary A (a ministry, a few assignments, a
    standby entity) and a standby B following it (--standby-of A -S A.pub
    --standby-key SB.key), waits until B holds A's seq, has a client write
    a few reports through A, then kills A with SIGKILL. Time 0 is just
    before the kill.

    manual: the driver knows at once that A is dead (it killed it: a
      monitor or a person adds their own detection time), runs `nmirf -b B
      promote` as the coordinator, then sends a signed write to B, the
      same bytes again every RETRY ms until B answers ok. Prints death ->
      promote done and death -> first ack.
    auto: B runs --failover-after F. The client keeps writing as a client
      with -b A,B does: one write in flight, sent to the broker in use;
      no reply within TIMEOUT ms, or `not_primary`, and it sends the same
      bytes to the next broker of the list. Prints death -> first ack
      (B promotes itself on the first write that reaches it once A has
      been silent F ms).

    R rounds; then the median and the max of each figure. Prints a BENCH
    line of JSON at the end. Asserts no time.

    usage: bench_failover NMIRFD NMIRF [--mode manual|auto] [-f F] [-r R]
                          [--retry MS] [--timeout MS]
           (defaults: manual, F 3000, R 5, RETRY 50, TIMEOUT 200)
*/
#include "bench_common.h"
#include "harness.h"
#include "nmirf_util.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS_MAX 100
#define ACK_WAIT_MS 60000 /* a round whose write is not acknowledged by then fails */

/* The strings a standby's arguments point to (h_broker_t.args borrows). */
typedef struct {
    char primary_ep[H_ENDPOINT_MAX];
    char primary_pub[PATH_MAX + 32];
    char key[PATH_MAX + 16 + NMIRF_ENTITY_ID_MAX + 8];
    char failover[24];
} s_standby_args_t;

/* What one round measured, ms from the kill. */
typedef struct {
    double promoted; /* manual: `nmirf promote` returned */
    double acked;    /* the first write acknowledged by B */
    int sends;       /* writes sent after the kill, resends included */
} s_round_t;

/* A standby of a following it as sb, with --failover-after failover_ms
   unless 0; its ents[0] is a's coordinator. Returns once it holds a's
   seq. */
static h_broker_t *
s_standby_start(h_broker_t *a, h_entity_t *sb, unsigned failover_ms, s_standby_args_t *sa)
{
    h_broker_t *b = h_broker_start(NULL);
    h_broker_stop(b);
    char *out = NULL;
    H_ASSERTF(h_sh(&out, "rm -rf '%s/store' 2>&1", b->dir) == 0, "rm: %s", out);
    free(out);
    char why[256], keydir[PATH_MAX + 16];
    snprintf(keydir, sizeof keydir, "%s/keys", b->dir);
    H_ASSERTF(nmirf_key_save(&sb->key, keydir, why, sizeof why) == 0, "%s", why);
    snprintf(sa->key, sizeof sa->key, "%s/%s.key", keydir, sb->id);
    snprintf(sa->primary_ep, sizeof sa->primary_ep, "%s", a->request_ep);
    snprintf(sa->primary_pub, sizeof sa->primary_pub, "%s/keys/NMIRFD.pub", a->dir);
    snprintf(sa->failover, sizeof sa->failover, "%u", failover_ms);
    const char *args[] = {
        "--standby-of", sa->primary_ep, "-S", sa->primary_pub, "--standby-key", sa->key,
        NULL,           NULL,           NULL};
    if (failover_ms) {
        args[6] = "--failover-after";
        args[7] = sa->failover;
    }
    memcpy(b->args, args, sizeof args);
    b->ents[0] = (h_entity_t){.key = h_coord(a)->key};
    snprintf(b->ents[0].id, sizeof b->ents[0].id, "%s", h_coord(a)->id);
    b->ent_count = 1;
    h_broker_restart(b);
    uint64_t want = h_seq(a);
    for (int i = 0; h_seq(b) != want; i++) {
        H_ASSERTF(i < 400, "the standby never reaches the primary's seq");
        h_sleep_ms(50);
    }
    return b;
}

/* Sends req on d and waits at most timeout_ms: the reply's code name, or
   NULL if none came. Replies to earlier sends (late) are skipped. */
static const char *
s_try(zsock_t *d, const h_request_t *req, int timeout_ms)
{
    h_request_post(d, req);
    uint64_t until = nmirf_mono_us() + (uint64_t)timeout_ms * 1000;
    for (;;) {
        int64_t left = (int64_t)(until - nmirf_mono_us()) / 1000;
        if (left <= 0)
            return NULL;
        zsock_set_rcvtimeo(d, (int)left);
        zmsg_t *m = zmsg_recv(d);
        if (!m)
            return NULL;
        zframe_t *f = zmsg_last(m);
        nmirf_reply_t *r = nmirf_reply_decode(zframe_data(f), zframe_size(f), NULL, 0);
        zmsg_destroy(&m);
        if (!r)
            continue;
        bool mine = r->has_id && memcmp(r->id, req->id, NMIRF_ID_LEN) == 0;
        const char *code = nmirf_code_name(r->code);
        nmirf_reply_destroy(&r);
        if (mine)
            return code;
    }
}

static int
s_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* The median and max of n values (sorted in place). */
static void
s_summary(double *v, int n, double *median, double *max)
{
    qsort(v, (size_t)n, sizeof *v, s_cmp);
    *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    *max = v[n - 1];
}

/* One round. */
static s_round_t
s_round(const char *nmirf, bool manual, unsigned failover_ms, int retry_ms,
        int timeout_ms, int round)
{
    h_broker_t *a = h_broker_start(NULL);
    h_entity_t *mj = h_enroll(a, "MJ", "ministry");
    H_CALL_CHECK("ok", h_coord(a), "rec.import",
                 "{'recs': [{'id': 'FO-1', 'mechanism': 'UPR', 'text': {'en': 'r'}}]}");
    H_CALL_CHECK("ok", h_coord(a), "rec.assign", "{'rec': 'FO-1', 'lead': 'MJ'}");
    h_entity_t *sb = h_enroll(a, "SB", "standby");
    s_standby_args_t sa;
    h_broker_t *b = s_standby_start(a, sb, manual ? 0 : failover_ms, &sa);
    /* The client: MJ, one connection to each broker, in list order. */
    zsock_t *to[2] = {h_dealer_new(a, mj), h_dealer_new(b, mj)};
    for (int i = 0; i < 2; i++)
        zsock_set_sndtimeo(to[i], 0); /* a dead peer's queue: drop, move on */
    for (int i = 0; i < 5; i++) {
        h_request_t *w = h_request_make(
            mj, "report.submit",
            "{'rec': 'FO-1', 'status': 'in_progress', 'narrative': 'before %d'}", i);
        const char *code = s_try(to[0], w, 5000);
        H_ASSERTF(code && strcmp(code, "ok") == 0, "a write to A got %s",
                  code ? code : "no reply");
        h_request_free(&w);
    }
    /* B heard A's last commit; the kill falls anywhere in the heartbeat's
       second, as a death does. */
    h_sleep_ms((unsigned)(randombytes_uniform(1000)));
    h_request_t *w = h_request_make(mj, "report.submit",
                                    "{'rec': 'FO-1', 'status': 'in_progress', "
                                    "'narrative': 'after the death'}");
    s_round_t res = {0};
    char coordkey[PATH_MAX + 32], bpub[PATH_MAX + 32];
    snprintf(coordkey, sizeof coordkey, "%s/keys/COORD.key", a->dir);
    snprintf(bpub, sizeof bpub, "%s/keys/NMIRFD.pub", b->dir);
    uint64_t t0 = nmirf_mono_us();
    h_broker_kill(a);
    if (manual) {
        char *out = NULL;
        int st = h_sh(&out,
                      "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s' -S '%s' -b '%s' "
                      "promote 2>&1",
                      nmirf, coordkey, bpub, b->request_ep);
        H_ASSERTF(st == 0, "nmirf promote: %d\n%s", st, out);
        free(out);
        res.promoted = (nmirf_mono_us() - t0) / 1000.0;
    }
    /* manual: B alone, resent every retry_ms; auto: A then B, as -b A,B. */
    int at = manual ? 1 : 0;
    for (;;) {
        H_ASSERTF((nmirf_mono_us() - t0) / 1000 < ACK_WAIT_MS,
                  "round %d: no write acknowledged %d ms after the death", round,
                  ACK_WAIT_MS);
        res.sends++;
        const char *code = s_try(to[at], w, manual ? 5000 : timeout_ms);
        if (code && strcmp(code, "ok") == 0)
            break;
        H_ASSERTF(!code || strcmp(code, "not_primary") == 0, "the write got %s", code);
        if (manual)
            h_sleep_ms((unsigned)retry_ms);
        else
            at = (at + 1) % 2;
    }
    res.acked = (nmirf_mono_us() - t0) / 1000.0;
    H_ASSERTF(at == 1, "acknowledged by B");
    h_request_free(&w);
    for (int i = 0; i < 2; i++)
        zsock_destroy(&to[i]);
    b->ents[0].key = (nmirf_key_t){0}; /* A's coordinator, wiped with A */
    h_broker_destroy(&b);
    h_broker_destroy(&a);
    return res;
}

int
main(int argc, char **argv)
{
    const char *prog = "bench_failover";
    bool manual = true;
    unsigned failover_ms = 3000;
    int rounds = 5, retry_ms = 50, timeout_ms = 200;
    if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        fprintf(stderr, "usage: bench_failover NMIRFD NMIRF [--mode manual|auto] [-f F] "
                        "[-r R] [--retry MS] [--timeout MS]\n");
        return 2;
    }
    for (int i = 3; i < argc; i += 2) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "--mode") && v && (!strcmp(v, "manual") || !strcmp(v, "auto")))
            manual = !strcmp(v, "manual");
        else if (!strcmp(f, "-f"))
            failover_ms = (unsigned)bench_num(prog, f, v, 1000, 3600000);
        else if (!strcmp(f, "-r"))
            rounds = (int)bench_num(prog, f, v, 1, ROUNDS_MAX);
        else if (!strcmp(f, "--retry"))
            retry_ms = (int)bench_num(prog, f, v, 1, 10000);
        else if (!strcmp(f, "--timeout"))
            timeout_ms = (int)bench_num(prog, f, v, 10, 60000);
        else {
            fprintf(stderr, "%s: bad option '%s'%s\n", prog, f,
                    strcmp(f, "--mode") ? "" : " (manual or auto)");
            return 2;
        }
    }
    const char *nmirf = argv[2];
    h_init(2, argv, 3600);
    double promoted[ROUNDS_MAX], acked[ROUNDS_MAX];
    for (int r = 0; r < rounds; r++) {
        s_round_t res = s_round(nmirf, manual, failover_ms, retry_ms, timeout_ms, r + 1);
        promoted[r] = res.promoted;
        acked[r] = res.acked;
        if (manual)
            printf("%s: round %d: death -> promote done %.0f ms, death -> first ack "
                   "%.0f ms\n",
                   prog, r + 1, res.promoted, res.acked);
        else
            printf("%s: round %d: failover_after %u ms: death -> first ack %.0f ms "
                   "(%d sends)\n",
                   prog, r + 1, failover_ms, res.acked, res.sends);
    }
    double pm = 0, px = 0, am, ax;
    if (manual)
        s_summary(promoted, rounds, &pm, &px);
    s_summary(acked, rounds, &am, &ax);
    if (manual)
        printf("%s: manual, %d rounds: death -> promote done median %.0f ms, max %.0f "
               "ms; death -> first ack median %.0f ms, max %.0f ms\n",
               prog, rounds, pm, px, am, ax);
    else
        printf("%s: auto, failover_after %u ms, %d rounds, client timeout %d ms: death "
               "-> first ack median %.0f ms, max %.0f ms\n",
               prog, failover_ms, rounds, timeout_ms, am, ax);
    printf("BENCH {\"mode\": \"%s\", \"failover_after_ms\": %u, \"rounds\": %d, "
           "\"promote_median_ms\": %.0f, \"promote_max_ms\": %.0f, "
           "\"ack_median_ms\": %.0f, \"ack_max_ms\": %.0f}\n",
           manual ? "manual" : "auto", manual ? 0 : failover_ms, rounds, pm, px, am, ax);
    return 0;
}
