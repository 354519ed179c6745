/*  bench_curve - what CurveZMQ costs. Prints figures, asserts nothing.

    usage: bench_curve NMIRFD

    1. 5,000 sequential signed pings to a real nmirfd (CURVE, the only
       mode), mean round trip;
    2. 2,000 events (one rec.import of 2,000 recs) fanned out to 10 SUB
       subscribers, time until every subscriber has them all;
    3. to isolate CURVE's share, 5,000 round trips of a 200-byte message
       over a bare DEALER/ROUTER echo pair in this process, and 2,000
       600-byte messages from a bare PUB to 10 SUBs, each without and with
       CURVE (no ZAP handler here: the crypto alone).
*/
#include "bench_pair.h"
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_util.h"

#define ROUND_TRIPS 5000
#define EVENTS 2000
#define SUBSCRIBERS 10
#define ECHO_BYTES 200

#define EVENT_BYTES 600 /* about an assignment.set event */

/* Time, ms, to fan EVENTS messages of EVENT_BYTES out to SUBSCRIBERS SUB
   sockets over a bare PUB in this process, without or with CURVE (no ZAP
   handler: the crypto alone). Every subscriber must get every message. */
static double
s_bare_fanout(bool curve)
{
    nmirf_key_t server, client;
    H_ASSERT(nmirf_key_generate(&server, "SRV") == 0);
    H_ASSERT(nmirf_key_generate(&client, "CLI") == 0);
    zsock_t *pub = zsock_new(ZMQ_PUB);
    zsock_set_sndhwm(pub, EVENTS * 2);
    if (curve) {
        zsock_set_curve_server(pub, 1);
        zsock_set_curve_secretkey(pub, server.curve_sk);
    }
    int port = zsock_bind(pub, "tcp://127.0.0.1:*");
    H_ASSERT(port > 0);
    zsock_t *subs[SUBSCRIBERS];
    for (int i = 0; i < SUBSCRIBERS; i++) {
        subs[i] = zsock_new(ZMQ_SUB);
        zsock_set_rcvhwm(subs[i], EVENTS * 2);
        zsock_set_rcvtimeo(subs[i], 5000);
        if (curve)
            H_ASSERT(nmirf_client_curve(subs[i], &client, server.curve_pk) == 0);
        zsock_set_subscribe(subs[i], "");
        H_ASSERT(zsock_connect(subs[i], "tcp://127.0.0.1:%d", port) == 0);
    }
    /* Until every subscriber hears a probe: the slow-joiner handshake. */
    for (int i = 0; i < SUBSCRIBERS; i++) {
        zframe_t *f = NULL;
        for (int tries = 0; tries < 500 && !f; tries++) {
            zstr_send(pub, "probe");
            zsock_set_rcvtimeo(subs[i], 10);
            f = zframe_recv(subs[i]);
        }
        H_ASSERT(f);
        zframe_destroy(&f);
        zsock_set_rcvtimeo(subs[i], 5000);
    }
    for (int i = 0; i < SUBSCRIBERS; i++) { /* drain the other probes */
        zsock_set_rcvtimeo(subs[i], 50);
        zframe_t *f;
        while ((f = zframe_recv(subs[i])))
            zframe_destroy(&f);
        zsock_set_rcvtimeo(subs[i], 5000);
    }
    char payload[EVENT_BYTES];
    memset(payload, 'e', sizeof payload);
    uint64_t t0 = nmirf_mono_us();
    for (int e = 0; e < EVENTS; e++) {
        zframe_t *f = zframe_new(payload, sizeof payload);
        zframe_send(&f, pub, 0);
    }
    for (int i = 0; i < SUBSCRIBERS; i++)
        for (int e = 0; e < EVENTS; e++) {
            zframe_t *f = zframe_recv(subs[i]);
            H_ASSERTF(f, "subscriber %d missed event %d", i, e);
            zframe_destroy(&f);
        }
    double ms = (double)(nmirf_mono_us() - t0) / 1000.0;
    for (int i = 0; i < SUBSCRIBERS; i++)
        zsock_destroy(&subs[i]);
    zsock_destroy(&pub);
    nmirf_key_wipe(&server);
    nmirf_key_wipe(&client);
    return ms;
}

/* Mean round trip, µs, of ROUND_TRIPS signed pings to the broker. */
static double
s_pings(h_broker_t *b)
{
    h_entity_t *coord = h_coord(b);
    H_CALL_CHECK("ok", coord, "ping", "{}"); /* warm up: handshake */
    uint64_t t0 = nmirf_mono_us();
    for (int i = 0; i < ROUND_TRIPS; i++) {
        char why[256];
        nmirf_reply_t *r =
            nmirf_client_call(coord->client, "ping", NULL, 0, why, sizeof why);
        H_ASSERTF(r && r->ok, "ping %d: %s", i, why);
        nmirf_reply_destroy(&r);
    }
    return (double)(nmirf_mono_us() - t0) / ROUND_TRIPS;
}

/* Milliseconds until SUBSCRIBERS subscribers each hold the EVENTS events
   of one rec.import. */
static double
s_fanout(h_broker_t *b)
{
    h_entity_t *coord = h_coord(b);
    zsock_t *subs[SUBSCRIBERS];
    zpoller_t *poller = zpoller_new(NULL);
    for (int i = 0; i < SUBSCRIBERS; i++) {
        subs[i] = zsock_new(ZMQ_SUB);
        H_ASSERT(nmirf_client_curve(subs[i], &coord->key, b->server_key) == 0);
        zsock_set_rcvhwm(subs[i], 100000);
        zsock_set_subscribe(subs[i], "ev/");
        H_ASSERT(zsock_connect(subs[i], "%s", b->events_ep) == 0);
        zpoller_add(poller, subs[i]);
    }
    h_sleep_ms(500); /* handshakes and subscriptions reach the PUB */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, "recs");
    msgpack_pack_array(&pk, EVENTS);
    for (int i = 0; i < EVENTS; i++) {
        char id[32];
        snprintf(id, sizeof id, "BENCH/%d", i);
        msgpack_pack_map(&pk, 3);
        nmirf_mp_pack_kv_str(&pk, "id", id);
        nmirf_mp_pack_kv_str(&pk, "mechanism", "CAT");
        nmirf_mp_pack_str(&pk, "text");
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_kv_str(&pk, "en", "benchmark recommendation");
    }
    uint64_t t0 = nmirf_mono_us();
    nmirf_reply_t *r =
        h_call_packed(coord, NULL, "rec.import", (const uint8_t *)sb.data, sb.size);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_destroy(&sb);
    size_t got[SUBSCRIBERS] = {0}, total = 0;
    while (total < (size_t)EVENTS * SUBSCRIBERS) {
        zsock_t *which = zpoller_wait(poller, 10000);
        H_ASSERTF(which, "fan-out stalled at %zu of %d", total, EVENTS * SUBSCRIBERS);
        zmsg_t *msg = zmsg_recv(which);
        zmsg_destroy(&msg);
        for (int i = 0; i < SUBSCRIBERS; i++)
            if (subs[i] == which)
                got[i]++;
        total++;
    }
    double ms = (double)(nmirf_mono_us() - t0) / 1000.0;
    zpoller_destroy(&poller);
    for (int i = 0; i < SUBSCRIBERS; i++)
        zsock_destroy(&subs[i]);
    return ms;
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 600);
    double plain = bench_pair_round_trips(false, ECHO_BYTES, ROUND_TRIPS, NULL),
           curve = bench_pair_round_trips(true, ECHO_BYTES, ROUND_TRIPS, NULL);
    printf("bare DEALER/ROUTER echo, %d B, %d round trips:\n", ECHO_BYTES, ROUND_TRIPS);
    printf("  plaintext  %8.1f us per round trip\n", plain);
    printf("  CURVE      %8.1f us per round trip (+%.1f us, %+.0f%%)\n", curve,
           curve - plain, 100.0 * (curve - plain) / plain);
    double fplain = s_bare_fanout(false), fcurve = s_bare_fanout(true);
    printf("bare PUB to %d SUB, %d messages of %d B:\n", SUBSCRIBERS, EVENTS,
           EVENT_BYTES);
    printf("  plaintext  %8.1f ms\n", fplain);
    printf("  CURVE      %8.1f ms (%+.0f%%)\n", fcurve,
           100.0 * (fcurve - fplain) / fplain);
    h_broker_t *b = h_broker_start(NULL);
    double ping = s_pings(b);
    printf("nmirfd, CURVE: %d sequential signed pings: %.1f us per round trip\n",
           ROUND_TRIPS, ping);
    double fan = s_fanout(b);
    printf("nmirfd, CURVE: %d events to %d subscribers: %.1f ms (%.0f deliveries/s)\n",
           EVENTS, SUBSCRIBERS, fan, EVENTS * SUBSCRIBERS / (fan / 1000.0));
    h_broker_destroy(&b);
    return 0;
}
