/*  agent_common - small waits and checks shared by the agent tests
    (header only). */
#ifndef NMIRF_AGENT_COMMON_H
#define NMIRF_AGENT_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "agent_harness.h"
#include "nmirf_control.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

/* The bool under key of the status reply body. */
static inline bool
ag_bool(const nmirf_reply_t *r, const char *key)
{
    const msgpack_object *o = h_get(&r->body, key);
    return o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

/* Waits until the agent's replica is loaded and at least at seq. The
   agent answers nothing while it applies a catch-up page (one nested
   transaction per event: slow under ASan), so each status may take long. */
static inline void
ag_wait_seq(ha_agent_t *a, uint64_t seq)
{
    for (int waited = 0;; waited += 20) {
        nmirf_reply_t *r = ha_ctl(a, 30000, "status", NULL);
        bool done = h_u(&r->body, "seq") >= seq && ag_bool(r, "loaded");
        uint64_t at = h_u(&r->body, "seq");
        nmirf_reply_destroy(&r);
        if (done)
            return;
        HA_ASSERTF(waited < HA_WAIT_MS * 3, "agent at seq %llu, not %llu",
                   (unsigned long long)at, (unsigned long long)seq);
        h_sleep_ms(20);
    }
}

/* Fails unless the agent's replica digest equals the broker's at the
   same seq (the broker's read through e's connection), once the agent
   has reached that seq; notes it otherwise. */
static inline void
ag_converged(h_entity_t *e, ha_agent_t *a, const char *when)
{
    uint8_t bd[NMIRF_HASH_LEN], ad[NMIRF_HASH_LEN];
    uint64_t bseq, aseq;
    ha_broker_digest(e, bd, &bseq);
    ag_wait_seq(a, bseq);
    ha_agent_digest(a, ad, &aseq);
    char bh[2 * NMIRF_HASH_LEN + 1], ah[2 * NMIRF_HASH_LEN + 1];
    nmirf_hex(bd, sizeof bd, bh);
    nmirf_hex(ad, sizeof ad, ah);
    HA_ASSERTF(aseq == bseq && memcmp(bd, ad, sizeof bd) == 0,
               "%s: broker seq %llu digest %s, agent seq %llu digest %s", when,
               (unsigned long long)bseq, bh, (unsigned long long)aseq, ah);
    h_note("%s: agent digest == broker digest at seq %llu (%.16s...)", when,
           (unsigned long long)bseq, bh);
}

/* Waits until the agent's outbox is empty. */
static inline void
ag_wait_outbox_empty(ha_agent_t *a)
{
    for (int waited = 0;; waited += 20) {
        nmirf_reply_t *r = ha_ctl(a, 15000, "status", NULL);
        uint64_t n = h_u(&r->body, "outbox");
        nmirf_reply_destroy(&r);
        if (n == 0)
            return;
        HA_ASSERTF(waited < HA_WAIT_MS * 3, "outbox still holds %llu",
                   (unsigned long long)n);
        h_sleep_ms(20);
    }
}

/* Waits until the agent's outbox holds n entries (SIZE_MAX: any number),
   each sent at least once (its attempts), and fails otherwise. */
static inline void
ag_wait_all_sent(ha_agent_t *a, size_t n)
{
    for (int waited = 0;; waited += 20) {
        nmirf_reply_t *r = ha_ctl(a, 15000, "outbox", NULL);
        size_t pending = h_len(&r->body, "pending"), sent = 0;
        for (size_t i = 0; pending != SIZE_MAX && i < pending; i++) {
            char path[48];
            snprintf(path, sizeof path, "pending.%zu.attempts", i);
            uint64_t tries = h_u(&r->body, path);
            sent += tries != UINT64_MAX && tries >= 1;
        }
        nmirf_reply_destroy(&r);
        if (pending != SIZE_MAX && (n == SIZE_MAX || pending == n) && sent == pending)
            return;
        HA_ASSERTF(waited < HA_WAIT_MS,
                   "the outbox holds %zu entries, %zu of them sent; "
                   "expected %zu, all sent",
                   pending, sent, n);
        h_sleep_ms(20);
    }
}

/* A control submit of report narrative `narrative` on rec with request
   id `id`, waiting wait_ms; returns the reply (caller destroys). */
static inline nmirf_reply_t *
ag_submit_id(ha_agent_t *a, const uint8_t id[NMIRF_ID_LEN], const char *rec,
             const char *narrative, unsigned wait_ms)
{
    msgpack_sbuffer body, out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "rec", rec);
    nmirf_mp_pack_kv_str(&pk, "status", "in_progress");
    nmirf_mp_pack_kv_str(&pk, "narrative", narrative);
    nmirf_ctl_request_t req = {.op = NMIRF_CTL_SUBMIT};
    snprintf(req.submit.op, sizeof req.submit.op, "report.submit");
    req.submit.body = (const uint8_t *)body.data;
    req.submit.body_len = body.size;
    req.submit.has_id = true;
    memcpy(req.submit.id, id, NMIRF_ID_LEN);
    req.submit.has_wait = true;
    req.submit.wait_ms = wait_ms;
    HA_ASSERT(nmirf_ctl_request_encode(&out, &req) == 0);
    msgpack_sbuffer_destroy(&body);
    nmirf_reply_t *r = ha_ctl_raw(a, (int)wait_ms + 10000, "a control submit",
                                  (const uint8_t *)out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    h_remember("submit", r);
    return r;
}

/* The agent's `status` bool under key, waited for up to HA_WAIT_MS to be
   want. Returns the last value seen. */
static inline bool
ag_wait_status(ha_agent_t *a, const char *key, bool want)
{
    bool v = !want;
    for (int waited = 0; waited < HA_WAIT_MS; waited += 50) {
        nmirf_reply_t *r = ha_ctl(a, 15000, "status", NULL);
        v = ag_bool(r, key);
        nmirf_reply_destroy(&r);
        if (v == want)
            break;
        h_sleep_ms(50);
    }
    return v;
}

/* How many of m's reports at b have this narrative; the id of the last
   one in *id (0 if none; id may be NULL). */
static inline size_t
ag_report_count(h_broker_t *b, h_entity_t *m, const char *narrative, uint64_t *id)
{
    nmirf_reply_t *r =
        h_call(h_coord(b), "report.list", "{'entity':'%s','limit':10000}", m->id);
    H_EXPECT(r, "ok");
    const msgpack_object *reps = h_get(&r->body, "reports");
    HA_ASSERT(reps && reps->type == MSGPACK_OBJECT_ARRAY);
    size_t n = 0;
    if (id)
        *id = 0;
    for (uint32_t i = 0; i < reps->via.array.size; i++)
        if (nmirf_mp_str_is(nmirf_mp_get(&reps->via.array.ptr[i], "narrative"),
                            narrative)) {
            const msgpack_object *o = nmirf_mp_get(&reps->via.array.ptr[i], "id");
            HA_ASSERT(!id || (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER));
            if (id)
                *id = o->via.u64;
            n++;
        }
    nmirf_reply_destroy(&r);
    return n;
}

/* The id of m's report with this narrative at b, 0 if none; fails if
   there are several (each write lands once). */
static inline uint64_t
ag_report_id(h_broker_t *b, h_entity_t *m, const char *narrative)
{
    uint64_t id;
    size_t n = ag_report_count(b, m, narrative, &id);
    HA_ASSERTF(n <= 1, "report '%s' is at the broker %zu times", narrative, n);
    return id;
}

/* True if the file at path (an agent's log) holds needle. */
static inline bool
ag_file_has(const char *path, const char *needle)
{
    size_t len;
    char *text = nmirf_read_file(path, &len);
    bool has = text && strstr(text, needle);
    free(text);
    return has;
}

#endif
