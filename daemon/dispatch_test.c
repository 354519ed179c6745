/*  dispatch_test - the request window and its stale floor against a
    real store.

    Usage: dispatch_unit

    A store bootstrapped as nmirfd's first start does (coordinator COORD),
    then an event whose ts is an hour ahead of the wall clock, as a broker
    whose clock was ahead leaves it, committed. With a window of 60 s, a
    write signed 90 s ago is `stale`, with no event written; with the
    window at 0 (no bound) the same bytes are still `stale` (the refusal
    raised the stale floor: the sender has signed them again, and they
    must never apply). The same write signed again 30 s ago is applied
    (the event dated ahead is not the window's clock), and a resend of it
    gets its stored reply even past a window of 1 s. Prints "file:line:
    case: what" per failed check, one summary line at the end.
*/
#include "bootstrap.h"
#include "dispatch.h"
#include "nmirf_keys.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "unit.h"

#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Answers frames as COORD in one batch at wall time now, committed if it
   wrote. Returns the decoded reply (caller destroys). */
static nmirf_reply_t *
s_call(store_t *st, broker_stats_t *stats, const nmirf_key_t *key, const uint8_t *env,
       size_t env_len, const uint8_t *sig)
{
    MDB_txn *txn;
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    event_batch_t events;
    memset(&events, 0, sizeof events);
    batch_t batch = {.store = st,
                     .txn = txn,
                     .events = &events,
                     .now = nmirf_now_ms(),
                     .stats = stats};
    const uint8_t *frames[2] = {env, sig};
    size_t sizes[2] = {env_len, NMIRF_SIG_LEN};
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    dispatch_request(&batch, "COORD", key->curve_pk, frames, sizes, 2, &out);
    if (batch.writes || batch.floor_moved)
        CHECK(store_commit(txn) == 0, "commit");
    else
        store_abort(txn);
    event_batch_free(&events);
    char why[256] = "";
    nmirf_reply_t *r =
        nmirf_reply_decode((const uint8_t *)out.data, out.size, why, sizeof why);
    CHECK(r, "reply: %s", why);
    msgpack_sbuffer_destroy(&out);
    return r;
}

int
main(void)
{
    CHECK(sodium_init() >= 0, "libsodium");
    log_init("dispatch_unit", false);
    log_set_level(NMIRF_LOG_WARNING);
    char tmp[] = "/tmp/nmirf_dispatch_test.XXXXXX", dir[600], why[512] = "";
    CHECK(mkdtemp(tmp), "mkdtemp");
    snprintf(dir, sizeof dir, "%s/store", tmp);
    store_t *st = store_open(dir, 16, why, sizeof why);
    CHECK(st, "open: %s", why);
    if (!st)
        return unit_done("dispatch_unit");
    CHECK(bootstrap_if_empty(st, tmp, "COORD", why, sizeof why) == 0, "bootstrap: %s",
          why);
    nmirf_key_t key;
    char path[700];
    snprintf(path, sizeof path, "%s/keys/COORD.key", tmp);
    CHECK(nmirf_key_load(&key, path, why, sizeof why) == 0, "key: %s", why);

    /* An event an hour ahead: a broker whose clock was ahead. */
    unit_case = "clock stepped back";
    uint64_t now = nmirf_now_ms();
    MDB_txn *txn;
    CHECK(store_begin(st, NULL, true, &txn) == 0, "write txn");
    uint8_t data[] = {0x80}, prev[NMIRF_HASH_LEN];
    nmirf_event_fields_t ev = {.ts = now + 3600 * 1000,
                               .kind = "rec.added",
                               .subject = "X-1",
                               .author = "COORD",
                               .data = data,
                               .data_len = sizeof data};
    msgpack_sbuffer evb;
    msgpack_sbuffer_init(&evb);
    CHECK(store_append_event(st, txn, &ev, prev, &evb) == 0, "append");
    CHECK(store_commit(txn) == 0, "commit");
    msgpack_sbuffer_destroy(&evb);

    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, "recs");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", "W-1");
    nmirf_mp_pack_kv_str(&pk, "mechanism", "UPR");
    nmirf_mp_pack_str(&pk, "text");
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "en", "x");
    uint8_t id[NMIRF_ID_LEN], sig[NMIRF_SIG_LEN], *env = NULL;
    size_t env_len = 0;
    nmirf_random_id(id, sizeof id);
    CHECK(nmirf_request_encode("rec.import", id, "COORD", now - 90 * 1000,
                               (const uint8_t *)body.data, body.size, key.sign_sk, &env,
                               &env_len, sig) == 0,
          "encode");
    broker_stats_t stats;
    memset(&stats, 0, sizeof stats);
    atomic_init(&stats.request_window_s, 60);
    nmirf_reply_t *r = s_call(st, &stats, &key, env, env_len, sig);
    CHECK(r && r->code == NMIRF_E_STALE, "90 s old, window 60 s: %s",
          r ? r->code_name : "no reply");
    CHECK(r && r->seq == 2, "seq %llu", r ? (unsigned long long)r->seq : 0ULL);
    nmirf_reply_destroy(&r);

    unit_case = "no bound after a refusal";
    atomic_store(&stats.request_window_s, 0);
    r = s_call(st, &stats, &key, env, env_len, sig);
    CHECK(r && r->code == NMIRF_E_STALE && r->seq == 2, "window 0: %s seq %llu",
          r ? r->code_name : "-", r ? (unsigned long long)r->seq : 0ULL);
    CHECK(r && strstr(r->message, "refused stale before"), "message: %s",
          r ? r->message : "-");
    nmirf_reply_destroy(&r);

    unit_case = "signed again";
    free(env);
    env = NULL;
    CHECK(nmirf_request_encode("rec.import", id, "COORD", now - 30 * 1000,
                               (const uint8_t *)body.data, body.size, key.sign_sk, &env,
                               &env_len, sig) == 0,
          "encode");
    atomic_store(&stats.request_window_s, 60);
    r = s_call(st, &stats, &key, env, env_len, sig);
    CHECK(r && r->ok && r->seq == 3, "30 s old, the last event 1 h ahead: %s seq %llu",
          r ? r->code_name : "-", r ? (unsigned long long)r->seq : 0ULL);
    nmirf_reply_destroy(&r);
    unit_case = "replay after the window";
    atomic_store(&stats.request_window_s, 1);
    r = s_call(st, &stats, &key, env, env_len, sig);
    CHECK(r && r->ok && r->seq == 3, "the resend: %s seq %llu", r ? r->code_name : "-",
          r ? (unsigned long long)r->seq : 0ULL);
    nmirf_reply_destroy(&r);

    free(env);
    msgpack_sbuffer_destroy(&body);
    nmirf_key_wipe(&key);
    store_close(&st);
    nftw(tmp, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return unit_done("dispatch_unit");
}
