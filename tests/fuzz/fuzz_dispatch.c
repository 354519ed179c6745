/*  fuzz_dispatch - the broker's whole request pipeline, dispatch_request(),
    against a real LMDB store.

    LLVMFuzzerInitialize makes a store in a temporary directory, bootstraps
    it the way nmirfd does on first start (coordinator COORD, its key file
    written and loaded back), and then, through dispatch_request itself,
    builds a small world for the handlers to work on: ministries MJ and MS,
    observer OBS, revoked ministry GONE, three recommendations, two
    assignments, reports in every state (1 submitted, 2 validated, 3
    returned), measure 1 with an indicator on UPR-1, and report 4 naming it
    with indicator values (submitted, so validating it merges progress).

    Each run begins a write transaction, answers one request and aborts
    the transaction, so every run sees the same store. The first input
    byte (mod 3) picks how the rest becomes a request:

      0  raw frames: 2 bytes big-endian length of frame 1, frame 1, and
         the rest is frame 2 (the signature). Byte 0 / 3 == 6 (mod 8)
         adds an empty third frame; == 7 sends frame 1 alone.
      1  signed envelope: 1 byte picks the signer (COORD MJ MS OBS GONE,
         mod 5); the rest is frame 1, signed with that key. Reaches
         everything after the signature check with any envelope.
      2  signed body: 1 byte picks the operation (s_ops, mod its size), 1
         byte the author (low 7 bits, mod 5) and whether to reuse a
         committed request id (top bit); the rest is the body, spliced
         as is into an envelope built and signed by nmirf_request_encode.
         This fuzzes the body parsing of every operation.

    Besides the sanitizers it checks the promises of PROTOCOL.md: the reply
    decodes, ok matches the code, a refusal makes no event, every event
    made decodes and follows the sequence, and no request ends `internal`
    (which the spec reserves for bugs). Set NMIRF_FUZZ_LOG=1 to see the
    broker's log lines; they are sent to /dev/null otherwise.
*/
#include "bootstrap.h"
#include "dispatch.h"
#include "nmirf_keys.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "nmirf_wire.h"
#include "stats_agg.h"

#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_NOW 1718000000000ULL /* batch time of every run, ms */

/* Operations a body-mode input picks from: PROTOCOL.md section 6 in
   order, one that does not exist, then the ones added since (appended,
   so the seeds' indexes keep their meaning). The seed generator
   (make_seeds.py) uses the same order. */
static const char *const s_ops[] = {
    "entity.enroll",   "entity.revoke", "rec.import",    "rec.assign",   "report.submit",
    "report.validate", "report.return", "ping",          "entity.list",  "entity.show",
    "rec.list",        "rec.show",      "report.list",   "events.since", "snapshot",
    "stats",           "no.such.op",    "entity.rotate", "measure.add",  "measure.update",
    "measure.list",    "measure.show",  "status",        "subscribe",    "rec.withdraw",
    "rec.merge",       "entity.update"};
#define OP_ROTATE 17 /* index of entity.rotate, a write */
#define OP_MEASURE_ADD                                                                   \
    18 /* index of measure.add, a write (measure.update may                              \
          change nothing and write nothing) */
#define N_OPS (sizeof s_ops / sizeof s_ops[0])

/* Signers and authors, by index. */
enum { COORD, MJ, MS, OBS, GONE, N_KEYS };
static const char *const s_ids[N_KEYS] = {"COORD", "MJ", "MS", "OBS", "GONE"};

static nmirf_key_t s_keys[N_KEYS];      /* their key pairs */
static store_t *s_store;                /* the store every run uses */
static char s_dir[64];                  /* its temporary data directory */
static FILE *s_err;                     /* the real stderr, for our own messages */
static broker_stats_t s_stats;          /* counters ping reports (all zero) */
static uint8_t s_used_id[NMIRF_ID_LEN]; /* a request id committed in setup */
static unsigned s_setup_n;              /* setup requests made, for their ids */

static void
s_broken(const char *what, const char *detail)
{
    fprintf(s_err, "fuzz_dispatch: %s: %s\n", what, detail ? detail : "");
    fflush(s_err);
    abort();
}

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void
s_cleanup(void)
{
    store_close(&s_store);
    nftw(s_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* The author named in an envelope, into out ("" if it does not decode).
   Used as the transport peer, so fuzzed envelopes get past the
   author_mismatch check and reach the author, signature and ops. */
static void
s_author_of(const uint8_t *buf, size_t len, char *out, size_t outlen)
{
    nmirf_envelope_t env;
    bool has_id;
    char why[256];
    memset(&env, 0, sizeof env);
    msgpack_zone *zone = msgpack_zone_new(8192);
    out[0] = 0;
    if (buf &&
        nmirf_envelope_decode(buf, len, zone, &env, &has_id, why, sizeof why) == NMIRF_OK)
        snprintf(out, outlen, "%s", env.author);
    msgpack_zone_free(zone);
}

/* Answers one request in txn, as if it came over a connection
   authenticated as peer (NULL: as the envelope's own author), and checks
   the promises of PROTOCOL.md. Returns the decoded reply (caller
   destroys). */
static nmirf_reply_t *
s_dispatch(MDB_txn *txn, const char *peer, const uint8_t *const *frames,
           const size_t *sizes, size_t count, bool *dirty)
{
    char author[NMIRF_ENTITY_ID_MAX + 1];
    if (!peer) {
        s_author_of(count > 0 ? frames[0] : NULL, count > 0 ? sizes[0] : 0, author,
                    sizeof author);
        peer = author;
    }
    event_batch_t events;
    memset(&events, 0, sizeof events);
    batch_t batch = {.store = s_store,
                     .txn = txn,
                     .events = &events,
                     .now = FUZZ_NOW,
                     .stats = &s_stats};
    uint64_t seq0 = store_seq(s_store, txn);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    /* Connected with the peer's current CURVE key, as ZAP would say. */
    const char *peer_key = NULL;
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(peer, s_ids[i]) == 0)
            peer_key = s_keys[i].curve_pk;
    dispatch_request(&batch, peer, peer_key, frames, sizes, count, &out);

    char why[512] = "";
    nmirf_reply_t *reply =
        nmirf_reply_decode((const uint8_t *)out.data, out.size, why, sizeof why);
    if (!reply)
        s_broken("the reply does not decode", why);
    if (reply->code == NMIRF_CODE_COUNT)
        s_broken("the reply has an unknown code", reply->code_name);
    if (reply->ok != (reply->code == NMIRF_OK))
        s_broken("ok disagrees with the code", reply->code_name);
    if (reply->code == NMIRF_E_INTERNAL)
        s_broken("a request ended 'internal'", reply->message);
    if (!reply->ok && events.count != 0)
        s_broken("a refused request made events", reply->message);
    for (size_t i = 0; i < events.count; i++) {
        nmirf_event_t *ev = nmirf_event_decode(events.items[i].bytes, events.items[i].len,
                                               why, sizeof why);
        if (!ev)
            s_broken("an event made does not decode", why);
        if (ev->seq != seq0 + 1 + i || events.items[i].seq != ev->seq)
            s_broken("events are out of sequence", ev->kind);
        nmirf_event_destroy(&ev);
    }
    *dirty = batch.writes > 0;
    event_batch_free(&events);
    msgpack_sbuffer_destroy(&out);
    return reply;
}

/* Setup: one signed request, committed; aborts unless it succeeds. */
static void
s_setup_call(int who, const char *op, const msgpack_sbuffer *body)
{
    uint8_t id[NMIRF_ID_LEN] = "fuzz-setup-0000";
    id[NMIRF_ID_LEN - 1] = (uint8_t)s_setup_n++;
    uint8_t *env, sig[NMIRF_SIG_LEN];
    size_t env_len;
    if (nmirf_request_encode(op, id, s_ids[who], FUZZ_NOW, (const uint8_t *)body->data,
                             body->size, s_keys[who].sign_sk, &env, &env_len, sig))
        s_broken("setup: cannot encode", op);
    MDB_txn *txn;
    if (store_begin(s_store, NULL, true, &txn))
        s_broken("setup: cannot begin a transaction", op);
    const uint8_t *frames[2] = {env, sig};
    size_t sizes[2] = {env_len, NMIRF_SIG_LEN};
    bool dirty;
    nmirf_reply_t *reply = s_dispatch(txn, s_ids[who], frames, sizes, 2, &dirty);
    if (!reply->ok)
        s_broken(op, reply->message);
    if (store_commit(txn))
        s_broken("setup: cannot commit", op);
    if (s_setup_n == 1)
        memcpy(s_used_id, id, NMIRF_ID_LEN);
    nmirf_reply_destroy(&reply);
    free(env);
}

/* Small packing helpers for the setup bodies. */
static void
s_str(msgpack_packer *pk, const char *s)
{
    nmirf_mp_pack_str(pk, s);
}

static void
s_enroll(msgpack_sbuffer *sb, msgpack_packer *pk, int who, const char *role)
{
    uint8_t curve[32];
    if (nmirf_key_generate(&s_keys[who], s_ids[who]) ||
        nmirf_key_curve_raw(&s_keys[who], curve))
        s_broken("setup: cannot make a key", s_ids[who]);
    msgpack_sbuffer_clear(sb);
    msgpack_pack_map(pk, 5);
    nmirf_mp_pack_kv_str(pk, "id", s_ids[who]);
    nmirf_mp_pack_kv_str(pk, "role", role);
    s_str(pk, "names");
    msgpack_pack_map(pk, 2);
    nmirf_mp_pack_kv_str(pk, "en", "Ministry");
    nmirf_mp_pack_kv_str(pk, "ar", "\xd9\x88\xd8\xb2\xd8\xa7\xd8\xb1\xd8\xa9");
    s_str(pk, "sign_key");
    nmirf_mp_pack_bin(pk, s_keys[who].sign_pk, NMIRF_SIGN_PK_LEN);
    s_str(pk, "curve_key");
    nmirf_mp_pack_bin(pk, curve, sizeof curve);
    s_setup_call(COORD, "entity.enroll", sb);
}

static void
s_report(msgpack_sbuffer *sb, msgpack_packer *pk, int who, const char *rec,
         const char *status)
{
    msgpack_sbuffer_clear(sb);
    msgpack_pack_map(pk, 4);
    nmirf_mp_pack_kv_str(pk, "rec", rec);
    nmirf_mp_pack_kv_str(pk, "status", status);
    nmirf_mp_pack_kv_str(pk, "narrative", "Work began with a draft law.");
    s_str(pk, "evidence");
    msgpack_pack_array(pk, 1);
    s_str(pk, "https://example.org/law.pdf");
    s_setup_call(who, "report.submit", sb);
}

/* Builds the world the runs work on (see the top of the file). */
static void
s_setup_world(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

    s_enroll(&sb, &pk, MJ, "ministry");
    s_enroll(&sb, &pk, MS, "ministry");
    s_enroll(&sb, &pk, OBS, "observer");
    s_enroll(&sb, &pk, GONE, "ministry");

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "id", "GONE");
    s_setup_call(COORD, "entity.revoke", &sb);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    s_str(&pk, "recs");
    msgpack_pack_array(&pk, 3);
    msgpack_pack_map(&pk, 6);
    nmirf_mp_pack_kv_str(&pk, "id", "UPR-1");
    nmirf_mp_pack_kv_str(&pk, "mechanism", "UPR");
    nmirf_mp_pack_kv_str(&pk, "symbol", "A/HRC/52/1");
    nmirf_mp_pack_kv_str(&pk, "date", "2023-03-01");
    s_str(&pk, "text");
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "en", "Adopt a law against torture.");
    nmirf_mp_pack_kv_str(&pk, "fr", "Adopter une loi contre la torture.");
    s_str(&pk, "themes");
    msgpack_pack_array(&pk, 2);
    s_str(&pk, "justice");
    s_str(&pk, "torture");
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_kv_str(&pk, "id", "CRC/C/2");
    nmirf_mp_pack_kv_str(&pk, "mechanism", "CRC");
    nmirf_mp_pack_kv_str(&pk, "response", "supported");
    s_str(&pk, "text");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "fr", "Enregistrer toutes les naissances.");
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", "CAT:3");
    nmirf_mp_pack_kv_str(&pk, "mechanism", "CAT");
    s_str(&pk, "text");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "en", "Visit places of detention.");
    s_setup_call(COORD, "rec.import", &sb);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "rec", "UPR-1");
    nmirf_mp_pack_kv_str(&pk, "lead", "MJ");
    s_str(&pk, "contributors");
    msgpack_pack_array(&pk, 1);
    s_str(&pk, "MS");
    nmirf_mp_pack_kv_str(&pk, "deadline", "2030-12-31");
    nmirf_mp_pack_kv_str(&pk, "note", "Report every quarter.");
    s_setup_call(COORD, "rec.assign", &sb);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "rec", "CRC/C/2");
    nmirf_mp_pack_kv_str(&pk, "lead", "MS");
    s_setup_call(COORD, "rec.assign", &sb);

    s_report(&sb, &pk, MJ, "UPR-1", "in_progress");           /* report 1 */
    s_report(&sb, &pk, MS, "UPR-1", "partially_implemented"); /* report 2 */
    s_report(&sb, &pk, MS, "CRC/C/2", "implemented");         /* report 3 */

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "report", 2);
    s_setup_call(COORD, "report.validate", &sb);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_uint(&pk, "report", 3);
    nmirf_mp_pack_kv_str(&pk, "reason", "Give the decree's number.");
    s_setup_call(COORD, "report.return", &sb);

    /* Added with measures, after the rest so the ids above stay. */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 4);
    s_str(&pk, "recs");
    msgpack_pack_array(&pk, 1);
    s_str(&pk, "UPR-1");
    nmirf_mp_pack_kv_str(&pk, "title", "Draft the law");
    nmirf_mp_pack_kv_str(&pk, "description", "A law against torture.");
    s_str(&pk, "indicator");
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "name", "Cases heard");
    nmirf_mp_pack_kv_str(&pk, "unit", "cases");
    nmirf_mp_pack_kv_uint(&pk, "baseline", 0);
    nmirf_mp_pack_kv_uint(&pk, "target", 120);
    s_str(&pk, "schedule");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "date", "2025-12-31");
    nmirf_mp_pack_kv_uint(&pk, "value", 40);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "date", "2026-12-31");
    s_str(&pk, "value");
    msgpack_pack_double(&pk, 120.5);
    s_setup_call(COORD, "measure.add", &sb); /* measure 1 */

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "rec", "UPR-1");
    nmirf_mp_pack_kv_str(&pk, "status", "in_progress");
    nmirf_mp_pack_kv_str(&pk, "narrative", "Twelve cases heard.");
    nmirf_mp_pack_kv_uint(&pk, "measure", 1);
    s_str(&pk, "indicator_values");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "date", "2024-06-30");
    nmirf_mp_pack_kv_uint(&pk, "value", 12);
    s_setup_call(MJ, "report.submit", &sb); /* report 4 */

    msgpack_sbuffer_destroy(&sb);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    s_err = stderr;
    if (sodium_init() < 0)
        s_broken("sodium_init failed", NULL);
    if (!getenv("NMIRF_FUZZ_LOG")) {
        /* Refusals are logged at info level, one line per run: keep
           them out of libFuzzer's output. Sanitizer reports and
           libFuzzer write to fd 2 directly and still show. */
        FILE *null = fopen("/dev/null", "w");
        if (null)
            stderr = null;
    }
    log_init("fuzz_dispatch", false);

    snprintf(s_dir, sizeof s_dir, "/tmp/nmirf-fuzz-dispatch-XXXXXX");
    if (!mkdtemp(s_dir))
        s_broken("mkdtemp", s_dir);
    atexit(s_cleanup);
    char path[128], why[512];
    snprintf(path, sizeof path, "%s/store", s_dir);
    s_store = store_open(path, 256, why, sizeof why);
    if (!s_store)
        s_broken("store_open", why);
    if (bootstrap_if_empty(s_store, s_dir, s_ids[COORD], why, sizeof why))
        s_broken("bootstrap_if_empty", why);
    /* As nmirfd does: the writes fuzzed move stats' figures too. */
    if (stats_agg_ensure(s_store, why, sizeof why))
        s_broken("stats_agg_ensure", why);
    snprintf(path, sizeof path, "%s/keys/%s.key", s_dir, s_ids[COORD]);
    if (nmirf_key_load(&s_keys[COORD], path, why, sizeof why) ||
        !s_keys[COORD].has_secret)
        s_broken("cannot load the coordinator's key", why);
    s_setup_world();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    data++;
    size--;
    const uint8_t *frames[3] = {NULL, NULL, (const uint8_t *)""};
    size_t sizes[3] = {0, 0, 0}, count = 2;
    uint8_t sig[NMIRF_SIG_LEN];
    uint8_t *env = NULL;
    const char *peer = NULL; /* NULL: the envelope's own author */

    switch (sel % 3) {
    case 0: {
        if (size < 2)
            return 0;
        size_t n = (size_t)data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        frames[0] = data;
        sizes[0] = n;
        frames[1] = data + n;
        sizes[1] = size - n;
        if (sel / 3 % 8 == 6)
            count = 3;
        else if (sel / 3 % 8 == 7)
            count = 1;
        break;
    }
    case 1: {
        if (size < 1)
            return 0;
        int who = data[0] % N_KEYS;
        frames[0] = data + 1;
        sizes[0] = size - 1;
        crypto_sign_detached(sig, NULL, frames[0], sizes[0], s_keys[who].sign_sk);
        /* Connected as the signer: a fuzzed author other than it meets
           author_mismatch, as it would on the wire. */
        peer = s_ids[who];
        frames[1] = sig;
        sizes[1] = NMIRF_SIG_LEN;
        break;
    }
    default: {
        if (size < 2)
            return 0;
        const char *op = s_ops[data[0] % N_OPS];
        int who = (data[1] & 0x7f) % N_KEYS;
        uint8_t id[NMIRF_ID_LEN] = "fuzz-request-id";
        if (data[1] & 0x80)
            memcpy(id, s_used_id, NMIRF_ID_LEN);
        size_t env_len;
        if (nmirf_request_encode(op, id, s_ids[who], FUZZ_NOW, data + 2, size - 2,
                                 s_keys[who].sign_sk, &env, &env_len, sig))
            s_broken("cannot encode a request", op);
        frames[0] = env;
        sizes[0] = env_len;
        frames[1] = sig;
        sizes[1] = NMIRF_SIG_LEN;
        break;
    }
    }

    MDB_txn *txn;
    int rc = store_begin(s_store, NULL, true, &txn);
    if (rc)
        s_broken("cannot begin a transaction", store_strerror(rc));
    bool dirty;
    nmirf_reply_t *reply = s_dispatch(txn, peer, frames, sizes, count, &dirty);
    /* data[0] and data[1] exist only in mode 2 (checked above). */
    if (reply->ok && !dirty && sel % 3 == 2 &&
        (data[0] % N_OPS <= 6 || data[0] % N_OPS == OP_ROTATE ||
         data[0] % N_OPS == OP_MEASURE_ADD) &&
        !(data[1] & 0x80))
        s_broken("a write succeeded but left nothing to commit", s_ops[data[0] % N_OPS]);
    nmirf_reply_destroy(&reply);
    store_abort(txn);
    free(env);
    return 0;
}
