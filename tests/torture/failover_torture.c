/*  failover_torture - failovers under load, many times over (issue 17,
    docs/TESTING.md "Torture", docs/REPLICATION.md).

    failover_torture [--rounds N] [--submitters M] [--synchronous on|off]
                     NMIRFD NMIRF-AGENT NMIRF

    Two brokers on fixed loopback ports, A and B, each with its own keys:
    A the primary, B its standby (`--standby-of A -S A.pub --standby-key
    SB.key`, an entity of role standby enrolled on A; B takes its full
    copy at its first start). M ministries submit reports from threads,
    each request signed once and sent over CurveZMQ to the broker it
    believes the primary; refused `not_primary` or unanswered, the same
    bytes go to the other broker (idempotent: PROTOCOL.md section 3). The
    ids the brokers answered OK are the acknowledged writes. Two
    nmirf-agent processes (`-b A,B -S A.pub,B.pub`) follow the log.

    Each round: the submitters run a seeded 0.5-2 s; the primary is
    SIGKILLed; the standby is promoted with `nmirf promote` (the
    coordinator's key); the old primary is started again `--standby-of
    NEW -S NEW.pub --standby-key ITS-STANDBY.key` (it takes a full copy of
    the new primary's store: its own holds writes the new one may never
    have had), the test waits until it follows at the new primary's seq
    and the submitters get acknowledgements from the new primary. The
    roles swap every round.

    At the end, on the last primary: every acknowledged write is in the
    log exactly once, no request is applied twice, the log has no gap and
    its chain holds, the snapshot is the replay of the log, and `nmirf
    audit verify -S A.pub` (the first primary's key) passes; the standby's
    store equals the primary's in every database; each agent's replica
    digest equals the primary's.

    --synchronous on passes `--synchronous on` to both brokers: a write is
    answered only once the standby has it, so an acknowledged write lost
    at a failover fails the test. Off (asynchronous), acknowledged writes
    after the standby's last applied record CAN be lost: the test counts
    and prints them instead of failing, and an agent that saw a lost tail
    is reported, not failed; everything else is checked the same.
*/
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_common.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "store.h"
#include "torture_check.h"

#define F_SUBMITTERS_MAX 8     /* submitter threads at most */
#define F_AGENTS 2             /* nmirf-agent processes following the log */
#define F_CALL_MS 1000         /* one try of a request at one broker */
#define F_RESEND_MAX_MS 90000  /* a request unanswered this long fails the test */
#define F_ACK_WAIT_MS 60000    /* writes must resume within this after a failover */
#define F_RUN_MIN_MS 500       /* the submitters run 0.5 ... */
#define F_RUN_SPAN_MS 1500     /* ... to 2 s before each kill */
#define F_FOLLOW_WAIT_MS 60000 /* a restarted standby must follow within this */

/* One broker of the pair, with what it needs to start either way. */
typedef struct {
    h_broker_t *b;                    /* the process and its directory */
    char name;                        /* 'A' or 'B' */
    char req[64], ev[64];             /* its fixed endpoints */
    char pub[PATH_MAX + 32];          /* DIR/keys/NMIRFD.pub */
    char standby_key[PATH_MAX + 64];  /* its standby entity's key file */
    const char *args[H_MAX_ARGS + 1]; /* its nmirfd arguments (b->args) */
} f_broker_t;

/* One acknowledged write: what a failure names. */
typedef struct {
    uint8_t id[NMIRF_ID_LEN]; /* its request id */
    char by;                  /* the broker that answered OK: 'A' or 'B' */
    long kills;               /* the primaries killed before its reply was read */
} f_ack_t;

/* A submitter thread: one ministry, a client per broker. */
typedef struct {
    h_entity_t *e;              /* the ministry (borrowed) */
    char rec[32];               /* the recommendation it reports on */
    int index;                  /* thread number */
    nmirf_client_t *clients[2]; /* to A and to B */
    int at;                     /* the broker it sends to first (0 A, 1 B) */
    f_ack_t *acks;              /* acknowledged writes, in order */
    size_t cap;                 /* room in acks */
    atomic_size_t acked;        /* how many; published after the entry */
    size_t moves;               /* sends moved to the other broker */
} f_submitter_t;

static f_broker_t s_br[2];    /* A and B */
static atomic_bool s_stop;    /* submitters: finish and return */
static bool s_sync;           /* --synchronous on */
static const char *s_nmirf;   /* the CLI */
static unsigned s_seed;       /* the run's seed */
static char s_conf[PATH_MAX]; /* A's config file at its first start */
static pthread_mutex_t s_acks_lock = PTHREAD_MUTEX_INITIALIZER; /* acks moves */
static atomic_long s_kills; /* primaries killed so far */

/* Sends req to the brokers until one answers other than not_primary: the
   same bytes each time, to t->at first, moving to the other broker on
   not_primary or silence. */
static nmirf_reply_t *
s_send_until_answered(f_submitter_t *t, const h_request_t *req)
{
    for (int waited = 0; waited < F_RESEND_MAX_MS; waited += F_CALL_MS) {
        char why[256];
        nmirf_reply_t *r =
            nmirf_client_call_signed(t->clients[t->at], req->id, req->env, req->env_len,
                                     req->sig, why, sizeof why);
        if (r && !(r->code == NMIRF_E_NOT_PRIMARY))
            return r;
        nmirf_reply_destroy(&r);
        t->at = 1 - t->at;
        t->moves++;
    }
    h_fail(__FILE__, __LINE__, "seed %u: submitter %d: no broker took a write in %d ms",
           s_seed, t->index, F_RESEND_MAX_MS);
}

/* A submitter: report after report until told to stop, keeping the ids
   a broker acknowledged. Every one must be taken: the recommendation is
   assigned to the ministry. */
static void *
s_submitter_run(void *arg)
{
    f_submitter_t *t = arg;
    for (size_t n = 0; !atomic_load(&s_stop); n++) {
        msgpack_sbuffer *body =
            h_pack_json("{'rec': '%s', 'status': '%s', 'narrative': 'F%d-%zu'}", t->rec,
                        n % 2 ? "in_progress" : "implemented", t->index, n);
        uint8_t id[NMIRF_ID_LEN];
        nmirf_random_id(id, sizeof id);
        h_request_t *req = h_request_make_packed(t->e, id, "report.submit",
                                                 (uint8_t *)body->data, body->size);
        msgpack_sbuffer_free(body);
        nmirf_reply_t *r = s_send_until_answered(t, req);
        h_request_free(&req);
        h_remember("report.submit", r);
        H_ASSERTF(r->ok, "seed %u: submitter %d: report.submit refused: %s %s", s_seed,
                  t->index, r->code_name, r->message);
        nmirf_reply_destroy(&r);
        size_t k = atomic_load(&t->acked);
        if (k == t->cap) {
            /* The main thread reads entries below `acked` under the lock. */
            pthread_mutex_lock(&s_acks_lock);
            t->cap = t->cap ? 2 * t->cap : 1024;
            t->acks = realloc(t->acks, t->cap * sizeof *t->acks);
            pthread_mutex_unlock(&s_acks_lock);
            H_ASSERT(t->acks);
        }
        memcpy(t->acks[k].id, id, NMIRF_ID_LEN);
        t->acks[k].by = (char)('A' + t->at);
        t->acks[k].kills = atomic_load(&s_kills);
        atomic_store(&t->acked, k + 1);
    }
    return NULL;
}

/* Total acknowledged writes of ts[0..n). */
static size_t
s_total_acked(f_submitter_t *ts, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += atomic_load(&ts[i].acked);
    return total;
}

/* Waits until the submitters got `more` acks beyond `from`. */
static void
s_wait_acks(f_submitter_t *ts, int n, size_t from, size_t more, const char *when)
{
    for (int waited = 0; s_total_acked(ts, n) < from + more; waited += 10) {
        HA_ASSERTF(waited < F_ACK_WAIT_MS, "seed %u: %s: no write acknowledged in %d ms",
                   s_seed, when, F_ACK_WAIT_MS);
        h_sleep_ms(10);
    }
}

/* Sets br's arguments: its fixed endpoints, then, if of is not NULL, a
   standby of `of`; and --synchronous on with --synchronous on, unless
   conf (a config file, for A's first start) is given instead. */
static void
s_set_args(f_broker_t *br, const f_broker_t *of, const char *conf)
{
    size_t n = 0;
    br->args[n++] = "-r";
    br->args[n++] = br->req;
    br->args[n++] = "-e";
    br->args[n++] = br->ev;
    if (of) {
        br->args[n++] = "--standby-of";
        br->args[n++] = of->req;
        br->args[n++] = "-S";
        br->args[n++] = of->pub;
        br->args[n++] = "--standby-key";
        br->args[n++] = br->standby_key;
    }
    if (conf) {
        br->args[n++] = "-c";
        br->args[n++] = conf;
    } else if (s_sync) {
        br->args[n++] = "--synchronous";
        br->args[n++] = "on";
    }
    br->args[n] = NULL;
    if (br->b)
        memcpy(br->b->args, br->args, sizeof br->args);
}

/* The `standby` map of br's status, read as the coordinator: its
   applied_seq and whether it follows. Returns false if br says no such
   map (a primary). */
static bool
s_standby_state(f_broker_t *br, uint64_t *applied, bool *following)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(br->b), "status", "{}");
    const msgpack_object *st = nmirf_mp_get(&r->body, "standby");
    bool is = st && st->type == MSGPACK_OBJECT_MAP;
    if (is) {
        *applied = h_u(st, "applied_seq");
        const msgpack_object *f = nmirf_mp_get(st, "following");
        *following = f && f->type == MSGPACK_OBJECT_BOOLEAN && f->via.boolean;
    }
    nmirf_reply_destroy(&r);
    return is;
}

/* Waits until standby sb follows primary p at least at p's seq as read
   now. */
static void
s_wait_following(f_broker_t *sb, f_broker_t *p)
{
    uint64_t want = h_seq(p->b), applied = 0;
    bool following = false;
    for (int waited = 0;; waited += 20) {
        HA_ASSERTF(s_standby_state(sb, &applied, &following), "%c is not a standby",
                   sb->name);
        if (following && applied >= want)
            return;
        HA_ASSERTF(waited < F_FOLLOW_WAIT_MS,
                   "seed %u: %c does not follow %c: applied %llu of %llu, following %d",
                   s_seed, sb->name, p->name, (unsigned long long)applied,
                   (unsigned long long)want, following);
        h_sleep_ms(20);
    }
}

/* Waits until br's status says replication.synchronous (a SIGHUP
   reloaded its config). */
static void
s_wait_synchronous(f_broker_t *br)
{
    for (int waited = 0;; waited += 20) {
        nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(br->b), "status", "{}");
        const msgpack_object *on = h_get(&r->body, "replication.synchronous");
        bool sync = on && on->type == MSGPACK_OBJECT_BOOLEAN && on->via.boolean;
        nmirf_reply_destroy(&r);
        if (sync)
            return;
        HA_ASSERTF(waited < F_FOLLOW_WAIT_MS, "%c never says synchronous after SIGHUP",
                   br->name);
        h_sleep_ms(20);
    }
}

/* `nmirf promote` of br with the coordinator's key (A's DIR/keys/
   COORD.key). */
static void
s_promote(f_broker_t *br)
{
    char *out = NULL;
    int st =
        h_sh(&out,
             "NMIRF_LOCALEDIR=/nonexistent LANG=C '%s' -k '%s/keys/COORD.key' -S '%s' "
             "-b '%s' promote 2>&1",
             s_nmirf, s_br[0].b->dir, br->pub, br->req);
    HA_ASSERTF(st == 0 && strstr(out, "epoch"), "seed %u: nmirf promote %c: %d\n%s",
               s_seed, br->name, st, out);
    free(out);
}

/* A digest of every database of the store in dir (opened beside its
   running broker) and its seq. */
static void
s_store_digest(const char *dir, uint8_t out[NMIRF_HASH_LEN], uint64_t *seq)
{
    char path[PATH_MAX + 16], why[256];
    snprintf(path, sizeof path, "%s/store", dir);
    store_t *st = store_open(path, 64, why, sizeof why);
    HA_ASSERTF(st, "open %s: %s", path, why);
    MDB_txn *txn;
    HA_ASSERT(store_begin(st, NULL, false, &txn) == 0);
    *seq = store_seq(st, txn);
    HA_ASSERT(store_digest(st, txn, out) == 0);
    mdb_txn_abort(txn);
    store_close(&st);
}

/* Waits until standby sb's store equals primary p's, database by
   database (no writes run now). */
static void
s_wait_stores_equal(f_broker_t *sb, f_broker_t *p)
{
    uint8_t dp[NMIRF_HASH_LEN], ds[NMIRF_HASH_LEN];
    uint64_t sp = 0, ss = 0;
    for (int waited = 0;; waited += 50) {
        s_store_digest(p->b->dir, dp, &sp);
        s_store_digest(sb->b->dir, ds, &ss);
        if (sp == ss && memcmp(dp, ds, sizeof dp) == 0)
            return;
        HA_ASSERTF(waited < F_FOLLOW_WAIT_MS,
                   "seed %u: the standby %c's store (seq %llu) never equals the "
                   "primary %c's (seq %llu)",
                   s_seed, sb->name, (unsigned long long)ss, p->name,
                   (unsigned long long)sp);
        h_sleep_ms(50);
    }
}

/* The final checks on primary p: every acknowledged write once (or, in
   asynchronous mode, at most once: the lost ones counted into *lost), no
   request applied twice, the chain, the replay. Returns the log's
   length. */
static size_t
s_check_log(f_broker_t *p, f_submitter_t *ts, int n, size_t *lost)
{
    nmirf_reply_t *snap = H_CALL_EXPECT("ok", h_coord(p->b), "snapshot", "{}");
    tc_log_t *log = tc_log_fetch(h_coord(p->b), snap->seq);
    tc_replay_compare(&snap->body, log);
    nmirf_reply_destroy(&snap);
    *lost = 0;
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < atomic_load(&ts[i].acked); k++) {
            size_t found = tc_log_req_count(log, ts[i].acks[k].id);
            if (found == 0 && !s_sync) {
                (*lost)++;
                continue;
            }
            HA_ASSERTF(found == 1,
                       "seed %u: submitter %d's write %zu, acknowledged by %c after %ld "
                       "kills, is in %c's log %zu times",
                       s_seed, i, k, ts[i].acks[k].by, ts[i].acks[k].kills, p->name,
                       found);
        }
    /* No request applied twice, acknowledged or not. */
    for (void *count = zhashx_first(log->reqs); count; count = zhashx_next(log->reqs))
        HA_ASSERTF((uintptr_t)count == 1, "seed %u: request %s applied %zu times", s_seed,
                   (const char *)zhashx_cursor(log->reqs), (size_t)(uintptr_t)count);
    size_t events = log->n;
    tc_log_destroy(&log);
    return events;
}

/* Fails unless `nmirf audit verify` passes on p's store with the first
   primary's key (A's: each promotion hands the key on). */
static void
s_audit(f_broker_t *p)
{
    char *out = NULL;
    int st = h_sh(&out, "LANG=C '%s' audit verify --data '%s' -S '%s' 2>&1", s_nmirf,
                  p->b->dir, s_br[0].pub);
    HA_ASSERTF(st == 0, "seed %u: nmirf audit verify %c: %d\n%s", s_seed, p->name, st,
               out);
    free(out);
}

/* Whether agent a's replica reached p's seq with p's digest (waiting for
   it as ag_converged does). Fails in synchronous mode if not. */
static bool
s_agent_equal(ha_agent_t *a, f_broker_t *p)
{
    uint8_t bd[NMIRF_HASH_LEN], ad[NMIRF_HASH_LEN];
    uint64_t bseq, aseq = 0;
    ha_broker_digest(h_coord(p->b), bd, &bseq);
    for (int waited = 0; waited < HA_WAIT_MS * 3; waited += 50) {
        nmirf_reply_t *r = ha_ctl(a, 30000, "status", NULL);
        aseq = h_u(&r->body, "seq");
        bool loaded = ag_bool(r, "loaded");
        nmirf_reply_destroy(&r);
        /* An agent whose witness refuses the broker (it kept a checkpoint
           of a tail the failover lost) never moves again. */
        if ((loaded && aseq >= bseq) || ag_file_has(a->log_path, "REFUSING"))
            break;
        h_sleep_ms(50);
    }
    ha_agent_digest(a, ad, &aseq);
    bool same = aseq == bseq && memcmp(ad, bd, sizeof ad) == 0;
    HA_ASSERTF(same || !s_sync,
               "seed %u: agent %s: replica at seq %llu differs from the primary %c (seq "
               "%llu)",
               s_seed, a->id, (unsigned long long)aseq, p->name,
               (unsigned long long)bseq);
    if (!same)
        printf("agent %s: replica at seq %llu differs from the primary %c at seq %llu "
               "(asynchronous: it saw a tail a failover lost%s)\n",
               a->id, (unsigned long long)aseq, p->name, (unsigned long long)bseq,
               ag_file_has(a->log_path, "REFUSING") ? "; its witness refuses the broker"
                                                    : "");
    return same;
}

/* Reads the value of option argv[*i] as a number in 1..max (moving *i
   past it) or exits 2. */
static long
s_number(int argc, char **argv, int *i, long max)
{
    const char *flag = argv[*i];
    const char *value = *i + 1 < argc ? argv[++*i] : NULL;
    char *end;
    long n = value ? strtol(value, &end, 10) : -1;
    if (!value || *end || n < 1 || n > max) {
        fprintf(stderr, "failover_torture: %s needs a number from 1 to %ld\n", flag, max);
        exit(2);
    }
    return n;
}

int
main(int argc, char **argv)
{
    long rounds = 4;
    int submitters = 4;
    char *bins[4] = {argv[0], NULL, NULL, NULL};
    int nbins = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0)
            rounds = s_number(argc, argv, &i, 1000);
        else if (strcmp(argv[i], "--submitters") == 0)
            submitters = (int)s_number(argc, argv, &i, F_SUBMITTERS_MAX);
        else if (strcmp(argv[i], "--synchronous") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "on") == 0 || strcmp(argv[i + 1], "off") == 0))
            s_sync = strcmp(argv[++i], "on") == 0;
        else if (argv[i][0] != '-' && nbins < 4)
            bins[nbins++] = argv[i];
        else {
            fprintf(stderr, "usage: failover_torture [--rounds N] [--submitters M] "
                            "[--synchronous on|off] NMIRFD NMIRF-AGENT NMIRF\n");
            return 2;
        }
    }
    if (nbins != 4) {
        fprintf(stderr, "failover_torture: give NMIRFD NMIRF-AGENT NMIRF\n");
        return 2;
    }
    /* The watchdog: a generous bound per round, never a timing assertion;
       below ctest's TIMEOUT (300 s) for the rounds CI runs, so that it,
       not ctest, ends a stuck run and prints the logs. */
    ha_init(nbins, bins, (unsigned)(60 + 45 * rounds));
    s_nmirf = ha_nmirf();
    s_seed = h_seed("failover_torture");
    unsigned rng = s_seed;
    printf("failover_torture: %ld rounds, %d submitters, %s\n", rounds, submitters,
           s_sync ? "synchronous" : "asynchronous (acknowledged writes may be lost)");

    /* A, the primary, with the standby entities of both brokers (the
       store replicates: enrolled once, they are known to every primary
       after it) and the ministries. */
    for (int i = 0; i < 2; i++) {
        s_br[i].name = (char)('A' + i);
        snprintf(s_br[i].req, sizeof s_br[i].req, "tcp://127.0.0.1:%d", ha_free_port());
        snprintf(s_br[i].ev, sizeof s_br[i].ev, "tcp://127.0.0.1:%d", ha_free_port());
    }
    f_broker_t *a = &s_br[0], *b = &s_br[1];
    /* A starts asynchronous (config synchronous = off): in synchronous
       mode the setup's writes would wait for a standby, and the standby
       needs its entity enrolled first. Once B follows, the config says
       on and SIGHUP reloads it; every later start has the flag. */
    const char *tmp = getenv("TMPDIR");
    snprintf(s_conf, sizeof s_conf, "%s/nmirf-ft-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int conf_fd = mkstemp(s_conf);
    HA_ASSERTF(conf_fd >= 0 && dprintf(conf_fd, "synchronous = off\n") > 0 &&
                   close(conf_fd) == 0,
               "config file %s", s_conf);
    s_set_args(a, NULL, s_conf);
    a->b = h_broker_start_with(NULL, a->args);
    h_entity_t *coord = h_coord(a->b);
    h_entity_t *sby[2] = {h_enroll(a->b, "SA", "standby"),
                          h_enroll(a->b, "SB", "standby")};
    static f_submitter_t ts[F_SUBMITTERS_MAX];
    for (int i = 0; i < submitters; i++) {
        char id[16];
        snprintf(id, sizeof id, "M%d", i + 1);
        ts[i].e = h_enroll(a->b, id, "ministry");
        ts[i].index = i + 1;
        snprintf(ts[i].rec, sizeof ts[i].rec, "R/%d", i + 1);
        H_CALL_CHECK("ok", coord, "rec.import",
                     "{'recs': [{'id': '%s', 'mechanism': 'UPR', 'text': {'en': 'r'}}]}",
                     ts[i].rec);
        H_CALL_CHECK("ok", coord, "rec.assign", "{'rec': '%s', 'lead': '%s'}", ts[i].rec,
                     id);
    }
    h_entity_t *ag_ents[F_AGENTS];
    for (int i = 0; i < F_AGENTS; i++) {
        char id[16];
        snprintf(id, sizeof id, "AG%d", i + 1);
        ag_ents[i] = h_enroll(a->b, id, "ministry");
    }

    /* B: its own keys from a first start, its store removed (it takes
       A's), A's coordinator as its client; each broker's standby key in
       its keys directory. */
    s_set_args(b, NULL, NULL);
    b->b = h_broker_start_with(NULL, b->args);
    h_broker_stop(b->b);
    char *out = NULL;
    HA_ASSERTF(h_sh(&out, "rm -rf '%s/store' 2>&1", b->b->dir) == 0, "rm: %s", out);
    free(out);
    b->b->ents[0].key = coord->key;
    snprintf(b->b->ents[0].id, sizeof b->b->ents[0].id, "%s", coord->id);
    b->b->ent_count = 1;
    for (int i = 0; i < 2; i++) {
        char keydir[PATH_MAX + 16], why[256];
        snprintf(keydir, sizeof keydir, "%s/keys", s_br[i].b->dir);
        HA_ASSERTF(nmirf_key_save(&sby[i]->key, keydir, why, sizeof why) == 0, "%s", why);
        snprintf(s_br[i].standby_key, sizeof s_br[i].standby_key, "%s/%s.key", keydir,
                 sby[i]->id);
        snprintf(s_br[i].pub, sizeof s_br[i].pub, "%s/keys/NMIRFD.pub", s_br[i].b->dir);
    }
    s_set_args(b, a, NULL);
    h_broker_restart(b->b);
    s_wait_following(b, a);
    if (s_sync) {
        FILE *f = fopen(s_conf, "w");
        HA_ASSERTF(f && fputs("synchronous = on\n", f) >= 0 && fclose(f) == 0,
                   "rewrite %s", s_conf);
        HA_ASSERT(kill(a->b->pid, SIGHUP) == 0);
        s_wait_synchronous(a);
    }
    h_note("B took a full copy of A and follows it%s", s_sync ? ", synchronously" : "");

    /* The agents, on A first, and the submitters. */
    char eps[2 * 64 + 2], keys[2 * (PATH_MAX + 32) + 2];
    snprintf(eps, sizeof eps, "%s,%s", a->req, b->req);
    snprintf(keys, sizeof keys, "%s,%s", a->pub, b->pub);
    const char *extra[] = {"-b", eps, "-S", keys, NULL};
    ha_agent_t *agents[F_AGENTS];
    for (int i = 0; i < F_AGENTS; i++)
        agents[i] = ha_agent_start(a->b, ag_ents[i], extra);
    pthread_t threads[F_SUBMITTERS_MAX];
    for (int i = 0; i < submitters; i++) {
        for (int k = 0; k < 2; k++) {
            ts[i].clients[k] = nmirf_client_new(s_br[k].req, &ts[i].e->key,
                                                s_br[k].b->server_key, F_CALL_MS);
            HA_ASSERT(ts[i].clients[k]);
        }
        HA_ASSERT(pthread_create(&threads[i], NULL, s_submitter_run, &ts[i]) == 0);
    }

    /* The rounds: p the primary, s its standby. */
    f_broker_t *p = a, *s = b;
    for (long k = 1; k <= rounds; k++) {
        s_wait_acks(ts, submitters, s_total_acked(ts, submitters), 1, "before the kill");
        h_sleep_ms(F_RUN_MIN_MS + (unsigned)(rand_r(&rng) % F_RUN_SPAN_MS));
        /* What the standby said just before: how far behind it was. */
        nmirf_reply_t *r = H_CALL_EXPECT("ok", h_coord(s->b), "status", "{}");
        const msgpack_object *st = nmirf_mp_get(&r->body, "standby");
        uint64_t applied = st ? h_u(st, "applied_seq") : 0;
        uint64_t behind = st ? h_u(st, "lag_events") : 0;
        nmirf_reply_destroy(&r);
        uint64_t primary_seq = h_seq(p->b);
        h_broker_kill(p->b);
        atomic_store(&s_kills, k);
        size_t at_kill = s_total_acked(ts, submitters);
        s_promote(s);
        /* The old primary back as the new one's standby before the writes
           are waited for: in synchronous mode they wait for a standby. */
        s_set_args(p, s, NULL);
        h_broker_restart(p->b);
        s_wait_following(p, s);
        s_wait_acks(ts, submitters, s_total_acked(ts, submitters), 1,
                    "after the promotion");
        printf("round %ld/%ld: %c killed at seq %llu with %zu writes acknowledged (just "
               "before, %c was at seq %llu and said %llu events behind), %c promoted, %c "
               "follows it\n",
               k, rounds, p->name, (unsigned long long)primary_seq, at_kill, s->name,
               (unsigned long long)applied, (unsigned long long)behind, s->name, p->name);
        f_broker_t *was = p;
        p = s;
        s = was;
    }
    atomic_store(&s_stop, true);
    size_t moves = 0;
    for (int i = 0; i < submitters; i++) {
        HA_ASSERT(pthread_join(threads[i], NULL) == 0);
        for (int k = 0; k < 2; k++)
            nmirf_client_destroy(&ts[i].clients[k]);
        moves += ts[i].moves;
    }

    /* The end: the log on the last primary, its standby, the agents. */
    size_t lost = 0, acked = s_total_acked(ts, submitters);
    size_t events = s_check_log(p, ts, submitters, &lost);
    s_audit(p);
    s_wait_stores_equal(s, p);
    int agents_equal = 0;
    for (int i = 0; i < F_AGENTS; i++)
        agents_equal += s_agent_equal(agents[i], p);
    h_note("%ld failovers: %zu writes acknowledged, %zu lost%s; a %zu-event log on %c "
           "with no request applied twice, chain, replay and audit (first primary's key) "
           "hold; standby %c's store equal to it; %d of %d agents' replicas equal to it "
           "(%zu sends moved between brokers)",
           rounds, acked, lost, s_sync ? "" : " (asynchronous)", events, p->name, s->name,
           agents_equal, F_AGENTS, moves);

    for (int i = 0; i < F_AGENTS; i++) {
        ha_agent_stop(agents[i]);
        ha_agent_destroy(&agents[i]);
    }
    for (int i = 0; i < submitters; i++)
        free(ts[i].acks);
    h_broker_destroy(&b->b);
    h_broker_destroy(&a->b);
    unlink(s_conf);
    printf("failover_torture: all passed (seed %u)\n", s_seed);
    return 0;
}
