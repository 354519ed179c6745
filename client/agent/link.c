/*  link - the agent's connection to the broker.

    Three sockets, all CurveZMQ clients with the entity's CURVE pair and
    the broker's public key (-S): a SUB for events and heartbeats (the replica's feed), a
    DEALER the outbox sends its queued requests through without waiting,
    and a blocking nmirf_client for the replica's reads (snapshot,
    events.since). Reads block the loop, which is fine: they are asked only
    when the broker was just heard from, and they are bounded in time.

    A failed read (a timeout) is not retried at once: heartbeats may keep
    coming from a broker that cannot answer (or that were queued in the
    SUB while we waited), and each try would hold the loop for its whole
    timeout. So after a failure the broker counts as unreachable, the
    messages already waiting are drained without counting as contact (the
    caller, replica.c, does that with contact_hold), and no read is tried
    for 1 s, then 2, 4 ... up to 60 s, whatever heartbeats say. A read that
    succeeds resets the wait.
*/
#include "agent.h"

#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

/* The SUB keeps what arrives while a snapshot or a catch-up blocks the
   loop; past this ZeroMQ drops, and the gap is fetched again. */
#define SUB_HWM 200000

int
link_open(agent_t *ag)
{
    ag->sub = zsock_new(ZMQ_SUB);
    ag->dealer = zsock_new(ZMQ_DEALER);
    if (!ag->sub || !ag->dealer ||
        nmirf_client_curve(ag->sub, &ag->key, ag->server_key) != 0 ||
        nmirf_client_curve(ag->dealer, &ag->key, ag->server_key) != 0)
        return -1;
    zsock_set_rcvhwm(ag->sub, SUB_HWM);
    /* Subscribe before the first snapshot (Clone pattern): every event
       after the snapshot's sequence is then either queued here or
       fetched with events.since. */
    zsock_set_subscribe(ag->sub, "ev/");
    zsock_set_subscribe(ag->sub, "hb");
    zsock_set_linger(ag->sub, 0);
    if (zsock_connect(ag->sub, "%s", ag->events_ep) != 0) {
        log_warnx("cannot connect to events endpoint %s", ag->events_ep);
        return -1;
    }
    /* immediate: a send with no live connection fails at once instead of
       queueing in ZeroMQ; the outbox keeps it and resends later. */
    zsock_set_immediate(ag->dealer, 1);
    zsock_set_sndtimeo(ag->dealer, 0);
    zsock_set_linger(ag->dealer, 0);
    if (zsock_connect(ag->dealer, "%s", ag->request_ep) != 0) {
        log_warnx("cannot connect to request endpoint %s", ag->request_ep);
        return -1;
    }
    ag->reader =
        nmirf_client_new(ag->request_ep, &ag->key, ag->server_key, AGENT_READ_TIMEOUT_MS);
    if (!ag->reader) {
        log_warnx("cannot connect a reader to %s", ag->request_ep);
        return -1;
    }
    return 0;
}

void
link_close(agent_t *ag)
{
    zsock_destroy(&ag->sub);
    zsock_destroy(&ag->dealer);
    nmirf_client_destroy(&ag->reader);
}

void
link_contact(agent_t *ag)
{
    if (!ag->contact_hold)
        ag->last_contact = zclock_mono();
}

bool
link_may_read(const agent_t *ag)
{
    return link_reachable(ag) && zclock_mono() >= ag->read_next;
}

void
link_read_failed(agent_t *ag)
{
    if (ag->read_backoff_ms < AGENT_RETRY_FIRST_MS)
        ag->read_backoff_ms = AGENT_RETRY_FIRST_MS;
    ag->read_next = zclock_mono() + ag->read_backoff_ms;
    log_info("next read from the broker in %d s", ag->read_backoff_ms / 1000);
    ag->read_backoff_ms = ag->read_backoff_ms * 2 > AGENT_RETRY_MAX_MS
                              ? AGENT_RETRY_MAX_MS
                              : ag->read_backoff_ms * 2;
}

bool
link_reachable(const agent_t *ag)
{
    return ag->last_contact && zclock_mono() - ag->last_contact < AGENT_STALE_MS;
}

nmirf_reply_t *
link_read(agent_t *ag, const char *op, const uint8_t *body, size_t len, int timeout_ms)
{
    char why[256] = "";
    /* nmirf_client has one timeout; a snapshot needs a longer one, so a
       fresh client is made for it (a rare call). */
    nmirf_client_t *client = ag->reader, *own = NULL;
    if (timeout_ms != AGENT_READ_TIMEOUT_MS) {
        own = nmirf_client_new(ag->request_ep, &ag->key, ag->server_key, timeout_ms);
        if (!own)
            return NULL;
        client = own;
    }
    nmirf_reply_t *r = nmirf_client_call(client, op, body, len, why, sizeof why);
    nmirf_client_destroy(&own);
    if (!r) {
        log_warnx("%s: %s", op, why);
        ag->last_contact = 0; /* only what comes after this counts */
        link_read_failed(ag);
        return NULL;
    }
    link_contact(ag);
    if (r->seq > ag->broker_seq)
        ag->broker_seq = r->seq;
    if (!r->ok) {
        log_warnx("%s refused: %s: %s", op, r->code_name, r->message);
        nmirf_reply_destroy(&r);
        link_read_failed(ag); /* asking again at once would be refused again */
    } else
        ag->read_backoff_ms = AGENT_RETRY_FIRST_MS;
    return r;
}

void
link_report(agent_t *ag)
{
    int64_t now = zclock_mono();
    size_t pending = outbox_pending(ag->outbox);
    /* A change is reported within a second (not at once: a burst of
       submissions would make a ping each); otherwise every period. */
    bool changed = pending != ag->reported_outbox && ag->reported_at;
    if (now < ag->report_next &&
        !(changed && now >= ag->report_next - AGENT_REPORT_MS + 1000))
        return;
    ag->report_next = now + AGENT_REPORT_MS;
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "outbox", pending);
    uint8_t id[NMIRF_ID_LEN], sig[NMIRF_SIG_LEN], *env = NULL;
    size_t env_len = 0;
    nmirf_random_id(id, sizeof id);
    uint64_t ts = nmirf_now_ms();
    int rc = nmirf_request_encode("ping", id, ag->key.entity, ts, (uint8_t *)body.data,
                                  body.size, ag->key.sign_sk, &env, &env_len, sig);
    msgpack_sbuffer_destroy(&body);
    if (rc)
        return;
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, env, env_len);
    zmsg_addmem(msg, sig, NMIRF_SIG_LEN);
    free(env);
    /* No connection: dropped, and tried again in a second. */
    if (zmsg_send(&msg, ag->dealer) != 0) {
        zmsg_destroy(&msg);
        ag->report_next = now + 1000;
    } else {
        ag->reported_at = (int64_t)ts;
        ag->reported_outbox = pending;
    }
}
