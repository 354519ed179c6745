/*  bench_pair - a bare DEALER/ROUTER echo pair, timed. */
#include "bench_pair.h"
#include "harness.h"
#include "nmirf_util.h"

#include <string.h>

/* Echo actor: a ROUTER that sends every message back. args[0] is "1" for
   CURVE (args[1] the server secret key), it binds and reports its port. */
static void
s_echo(zsock_t *pipe, void *arg)
{
    const char *const *args = arg;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    if (args[0][0] == '1') {
        zsock_set_curve_server(router, 1);
        zsock_set_curve_secretkey(router, args[1]);
    }
    int port = zsock_bind(router, "tcp://127.0.0.1:*");
    zsock_signal(pipe, 0);
    zsock_send(pipe, "i", port);
    zpoller_t *poller = zpoller_new(pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait(poller, -1);
        if (which != router)
            break; /* $TERM or interrupted */
        zmsg_t *msg = zmsg_recv(router);
        if (msg)
            zmsg_send(&msg, router);
    }
    zpoller_destroy(&poller);
    zsock_destroy(&router);
}

double
bench_pair_round_trips(bool curve, size_t bytes, int n, uint64_t *took_us)
{
    nmirf_key_t server, client;
    H_ASSERT(bytes <= 4096 && n > 0);
    H_ASSERT(nmirf_key_generate(&server, "SRV") == 0);
    H_ASSERT(nmirf_key_generate(&client, "CLI") == 0);
    const char *args[2] = {curve ? "1" : "0", server.curve_sk};
    zactor_t *echo = zactor_new(s_echo, (void *)args);
    int port = 0;
    zsock_recv(echo, "i", &port);
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    if (curve)
        H_ASSERT(nmirf_client_curve(dealer, &client, server.curve_pk) == 0);
    zsock_set_rcvtimeo(dealer, 5000);
    H_ASSERT(zsock_connect(dealer, "tcp://127.0.0.1:%d", port) == 0);
    char payload[4096];
    memset(payload, 'x', bytes);
    zframe_t *f = zframe_new(payload, bytes); /* warm up: handshake */
    zframe_send(&f, dealer, 0);
    f = zframe_recv(dealer);
    H_ASSERT(f);
    zframe_destroy(&f);
    uint64_t t0 = nmirf_mono_us();
    for (int i = 0; i < n; i++) {
        uint64_t t1 = nmirf_mono_us();
        f = zframe_new(payload, bytes);
        zframe_send(&f, dealer, 0);
        f = zframe_recv(dealer);
        H_ASSERT(f);
        zframe_destroy(&f);
        if (took_us)
            took_us[i] = nmirf_mono_us() - t1;
    }
    double us = (double)(nmirf_mono_us() - t0) / n;
    zsock_destroy(&dealer);
    zactor_destroy(&echo);
    nmirf_key_wipe(&server);
    nmirf_key_wipe(&client);
    return us;
}
