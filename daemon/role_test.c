/*  role_test - a standby's role, its promotion and fencing (role.h)
    through dispatch, against a real store.

    Usage: role_unit

    A store bootstrapped as nmirfd's first start does (coordinator
    COORD). As a standby of tcp://primary:1: a write is `not_primary`
    with the body {primary} and the message naming it, nothing written;
    ping says role standby, epoch 1, primary. Then one batch holds a
    write, `broker.promote` and the same write again under another id:
    the first is refused, the promotion applies (event broker.promoted
    {epoch 2, broker: the broker's key}, meta epoch 2) and the write
    behind it applies in the same commit, since the role is read from
    the store in the batch's transaction. A second promote is `conflict`.
    Then a ping tells of epoch 5 at tcp://new:2: the broker is fenced,
    writes are `not_primary` naming tcp://new:2, ping says fenced 5.
    Without a role (the unit tests' brokers) writes are taken. The rule of
    automatic failover (role_failover_due): off by default and without
    the standby entity's key; due from the delay on, never once promoted
    or told of a higher epoch. Prints
    "file:line: case: what" per failed check, one summary line at the
    end.
*/
#include "bootstrap.h"
#include "dispatch.h"
#include "nmirf_keys.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "role.h"
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

static store_t *s_store;
static broker_stats_t s_stats;
static nmirf_key_t s_key;

/* One request to send: op and its packed body, signed as COORD now. */
typedef struct {
    const char *op;
    msgpack_sbuffer body;
} s_req_t;

/* Makes r a request op with body {k: v} ({} if k is NULL). */
static void
s_body(s_req_t *r, const char *op, const char *k, const char *v)
{
    r->op = op;
    msgpack_sbuffer_init(&r->body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &r->body, msgpack_sbuffer_write);
    if (!k) {
        msgpack_pack_map(&pk, 0);
        return;
    }
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, k, v);
}

/* Answers reqs[0..n) in one batch as COORD, committed if it wrote; the
   replies into out[]. */
static void
s_batch(s_req_t *reqs, size_t n, nmirf_reply_t **out)
{
    MDB_txn *txn;
    CHECK(store_begin(s_store, NULL, true, &txn) == 0, "write txn");
    event_batch_t events;
    memset(&events, 0, sizeof events);
    batch_t batch = {.store = s_store,
                     .txn = txn,
                     .events = &events,
                     .now = nmirf_now_ms(),
                     .stats = &s_stats};
    msgpack_sbuffer replies[8];
    for (size_t i = 0; i < n; i++) {
        uint8_t id[NMIRF_ID_LEN], sig[NMIRF_SIG_LEN], *env = NULL;
        size_t env_len = 0;
        nmirf_random_id(id, sizeof id);
        CHECK(nmirf_request_encode(reqs[i].op, id, "COORD", nmirf_now_ms(),
                                   (const uint8_t *)reqs[i].body.data, reqs[i].body.size,
                                   s_key.sign_sk, &env, &env_len, sig) == 0,
              "encode");
        const uint8_t *frames[2] = {env, sig};
        size_t sizes[2] = {env_len, NMIRF_SIG_LEN};
        msgpack_sbuffer_init(&replies[i]);
        dispatch_request(&batch, "COORD", s_key.curve_pk, frames, sizes, 2, &replies[i]);
        free(env);
    }
    if (batch.writes || batch.floor_moved)
        CHECK(store_commit(txn) == 0, "commit");
    else
        mdb_txn_abort(txn);
    event_batch_free(&events);
    for (size_t i = 0; i < n; i++) {
        char why[256] = "";
        out[i] = nmirf_reply_decode((const uint8_t *)replies[i].data, replies[i].size,
                                    why, sizeof why);
        CHECK(out[i], "reply %zu: %s", i, why);
        msgpack_sbuffer_destroy(&replies[i]);
        msgpack_sbuffer_destroy(&reqs[i].body);
    }
}

/* One request alone in its batch. */
static nmirf_reply_t *
s_one(const char *op, const char *k, const char *v)
{
    s_req_t req;
    nmirf_reply_t *r;
    s_body(&req, op, k, v);
    s_batch(&req, 1, &r);
    return r;
}

/* The store's epoch and seq, read now. */
static void
s_epoch_seq(uint64_t *epoch, uint64_t *seq)
{
    MDB_txn *txn;
    CHECK(store_begin(s_store, NULL, false, &txn) == 0, "read txn");
    *epoch = store_epoch(s_store, txn);
    *seq = store_seq(s_store, txn);
    mdb_txn_abort(txn);
}

static const char *
s_code(const nmirf_reply_t *r)
{
    return r ? r->code_name : "no reply";
}

int
main(void)
{
    CHECK(sodium_init() >= 0, "libsodium");
    log_init("role_unit", false);
    log_set_level(NMIRF_LOG_ERROR);
    char tmp[] = "/tmp/nmirf_role_test.XXXXXX", dir[600], why[512] = "";
    CHECK(mkdtemp(tmp), "mkdtemp");
    snprintf(dir, sizeof dir, "%s/store", tmp);
    s_store = store_open(dir, 16, why, sizeof why);
    CHECK(s_store, "open: %s", why);
    if (!s_store)
        return unit_done("role_unit");
    CHECK(bootstrap_if_empty(s_store, tmp, "COORD", why, sizeof why) == 0,
          "bootstrap: %s", why);
    char path[700];
    snprintf(path, sizeof path, "%s/keys/COORD.key", tmp);
    CHECK(nmirf_key_load(&s_key, path, why, sizeof why) == 0, "key: %s", why);
    uint8_t broker_pk[32];
    memset(broker_pk, 0xb7, sizeof broker_pk);
    uint64_t epoch, seq0, seq;
    s_epoch_seq(&epoch, &seq0);
    CHECK(epoch == 1, "a new store is at epoch 1, not %llu", (unsigned long long)epoch);

    unit_case = "standby";
    role_t *role = role_new("tcp://primary:1", epoch, broker_pk);
    s_stats.role = role;
    nmirf_reply_t *r = s_one("entity.update", "id", "COORD");
    CHECK(r && r->code == NMIRF_E_NOT_PRIMARY, "a write: %s", s_code(r));
    CHECK(r && nmirf_mp_str_is(nmirf_mp_get(&r->body, "primary"), "tcp://primary:1"),
          "body names the primary");
    CHECK(r && strstr(r->message, "standby") && strstr(r->message, "tcp://primary:1"),
          "message: %s", r ? r->message : "-");
    nmirf_reply_destroy(&r);
    r = s_one("ping", NULL, NULL);
    CHECK(r && r->ok && nmirf_mp_str_is(nmirf_mp_get(&r->body, "role"), "standby") &&
              nmirf_mp_str_is(nmirf_mp_get(&r->body, "primary"), "tcp://primary:1"),
          "ping: %s", s_code(r));
    nmirf_reply_destroy(&r);
    s_epoch_seq(&epoch, &seq);
    CHECK(seq == seq0 && epoch == 1, "nothing written");

    unit_case = "promoted in a batch";
    s_req_t reqs[3];
    msgpack_packer pk;
    s_body(&reqs[0], "entity.update", "id", "COORD");
    s_body(&reqs[1], "broker.promote", NULL, NULL);
    reqs[2].op = "entity.update";
    msgpack_sbuffer_init(&reqs[2].body);
    msgpack_packer_init(&pk, &reqs[2].body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "id", "COORD");
    nmirf_mp_pack_kv_str(&pk, "contact", "after@promotion");
    nmirf_reply_t *out[3];
    s_batch(reqs, 3, out);
    CHECK(out[0] && out[0]->code == NMIRF_E_NOT_PRIMARY, "before: %s", s_code(out[0]));
    CHECK(out[1] && out[1]->ok && out[1]->seq == seq0 + 1, "promote: %s", s_code(out[1]));
    const msgpack_object *e = out[1] ? nmirf_mp_get(&out[1]->body, "epoch") : NULL;
    const msgpack_object *k = out[1] ? nmirf_mp_get(&out[1]->body, "broker") : NULL;
    CHECK(e && e->type == MSGPACK_OBJECT_POSITIVE_INTEGER && e->via.u64 == 2, "epoch 2");
    CHECK(k && k->type == MSGPACK_OBJECT_BIN && k->via.bin.size == 32 &&
              memcmp(k->via.bin.ptr, broker_pk, 32) == 0,
          "the broker's key");
    CHECK(out[2] && out[2]->ok && out[2]->seq == seq0 + 2, "the write behind it: %s",
          s_code(out[2]));
    for (int i = 0; i < 3; i++)
        nmirf_reply_destroy(&out[i]);
    s_epoch_seq(&epoch, &seq);
    CHECK(epoch == 2 && seq == seq0 + 2, "epoch %llu seq %llu", (unsigned long long)epoch,
          (unsigned long long)seq);
    r = s_one("broker.promote", NULL, NULL);
    CHECK(r && r->code == NMIRF_E_CONFLICT, "promote again: %s", s_code(r));
    nmirf_reply_destroy(&r);
    r = s_one("ping", NULL, NULL);
    CHECK(r && nmirf_mp_str_is(nmirf_mp_get(&r->body, "role"), "primary"),
          "ping: primary");
    nmirf_reply_destroy(&r);

    unit_case = "fenced";
    s_req_t ping;
    ping.op = "ping";
    msgpack_sbuffer_init(&ping.body);
    msgpack_packer_init(&pk, &ping.body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_uint(&pk, "epoch", 5);
    nmirf_mp_pack_kv_str(&pk, "primary", "tcp://new:2");
    s_batch(&ping, 1, &r);
    const msgpack_object *f = r ? nmirf_mp_get(&r->body, "fenced") : NULL;
    CHECK(f && f->type == MSGPACK_OBJECT_POSITIVE_INTEGER && f->via.u64 == 5,
          "ping says fenced 5");
    nmirf_reply_destroy(&r);
    CHECK(role_heard(role) == 5, "heard 5");
    r = s_one("entity.update", "id", "COORD");
    CHECK(r && r->code == NMIRF_E_NOT_PRIMARY &&
              nmirf_mp_str_is(nmirf_mp_get(&r->body, "primary"), "tcp://new:2"),
          "a fenced write: %s", s_code(r));
    nmirf_reply_destroy(&r);
    s_epoch_seq(&epoch, &seq);
    CHECK(epoch == 2 && seq == seq0 + 2, "nothing written");

    unit_case = "no role";
    s_stats.role = NULL;
    s_body(&ping, "entity.update", "id", "COORD");
    msgpack_sbuffer_clear(&ping.body);
    msgpack_packer_init(&pk, &ping.body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "id", "COORD");
    nmirf_mp_pack_kv_str(&pk, "contact", "without@role");
    s_batch(&ping, 1, &r);
    CHECK(r && r->ok, "a broker without roles takes writes: %s", s_code(r));
    nmirf_reply_destroy(&r);

    unit_case = "failover rule";
    {
        uint8_t zero_pk[32] = {0};
        role_t *fo = role_new("tcp://primary:1", 1, zero_pk);
        CHECK(fo && !role_failover_due(fo, 1, 100000), "off by default");
        role_set_failover(fo, 1500, NULL);
        CHECK(role_failover_after(fo) == 0, "no standby key: off");
        role_set_failover(fo, 1500, &s_key);
        CHECK(role_failover_after(fo) == 1500 && role_failover_key(fo) == &s_key, "on");
        CHECK(!role_failover_due(fo, 1, 1499), "not before the delay");
        CHECK(role_failover_due(fo, 1, 1500), "at the delay");
        CHECK(!role_failover_due(fo, 2, 100000), "promoted: no longer a standby");
        role_hear(fo, 3, "tcp://other:3", 1, "MJ");
        CHECK(!role_failover_due(fo, 1, 100000), "a higher epoch heard: another primary");
        role_destroy(&fo);
    }

    role_destroy(&role);
    nmirf_key_wipe(&s_key);
    store_close(&s_store);
    nftw(tmp, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return unit_done("role_unit");
}
