/*  link_monitor - whether the broker lets this agent's key in.

    The broker's ZAP handler admits a CURVE key only if it is the key of an
    active entity (PROTOCOL.md section 1). A refused client learns nothing
    on the wire but a failed handshake, after which libzmq does not try
    that connection again: the DEALER never gets a peer, every send fails
    (ZMQ_IMMEDIATE), no reply ever comes, and the outbox would just say
    "pending" for ever. A socket monitor on the DEALER sees the refusal
    (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH): it goes to the key_refused callback
    (agent_main.c logs it and delivers a `key_refused` notification), and
    `status` and `outbox` show it (link_status) until a handshake
    succeeds. The agent cannot know
    why (not enrolled, revoked, or an old key after a rotation) and keeps
    its entries: they are the ministry's. libzmq never retries a refused
    handshake, so while refused the agent makes a new DEALER (and
    monitor) after 30 s, then 1, 2, 4 min... up to 5 min
    (AGENT_KEY_RETRY_*; the environment variable NMIRF_AGENT_KEY_RETRY_MS
    sets the first wait, for tests): an entity enrolled after its agent
    started, or a refusal that was temporary, gets through without a
    restart, and a restart with an enrolled key sends them too.

    A broker that never completes the handshake says nothing either: a
    CurveZMQ server that cannot open the client's HELLO (the agent was
    given the wrong broker public key, -S) drops the connection without a
    word, and libzmq reconnects and sends it again for ever; no broker at
    the endpoint is silence too. So each new DEALER starts a timer: if no
    handshake succeeded within LINK_HANDSHAKE_WARN_MS (5 s), a warning
    says which it looks like (a TCP connection was made, so a broker is
    there but does not take our HELLO: is -S its key? or no connection at
    all: is it running at -b?). Once per DEALER; libzmq keeps trying, and
    the first handshake that succeeds after the warning is logged.

    ZAP status 300 (the event's value) is not a refusal of the key: the
    broker could not read its store to judge it. Nothing is said refused
    or notified; the agent makes a new DEALER after 1 s, then 2, 4 s...
    up to AGENT_ZAP_RETRY_MAX_MS while it lasts (a warning logged once a
    series).

    Every successful handshake makes the whole outbox due at once, sent
    oldest first (the connected callback, outbox_on_connected): after an outage the
   entries' own backoffs would otherwise let a newer one overtake an older one.

    An entity revoked while its session stays open is not refused here:
    its requests are answered `revoked`, a final refusal (outbox.c).
*/
#include <stdlib.h>
#include <string.h>

#include "link_private.h"
#include "nmirf_log.h"

/* Timer: the key was refused a while ago; try a new connection. */
static int
s_on_retry(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    link_t *self = arg;
    self->key_retry_timer = -1;
    if (!self->key_refused)
        return 0;
    log_info("the broker refused this agent's key: connecting again");
    if (link_reopen(self) != 0)
        fatalx("cannot make a new connection to the broker");
    return 0;
}

/* Schedules the next new connection while the key is refused. */
static void
s_retry_later(link_t *self)
{
    if (self->key_retry_timer >= 0)
        return;
    if (self->key_retry_ms <= 0) {
        const char *env = getenv("NMIRF_AGENT_KEY_RETRY_MS");
        long first = env ? strtol(env, NULL, 10) : 0;
        self->key_retry_ms = first > 0 && first <= AGENT_KEY_RETRY_MAX_MS
                                 ? (int)first
                                 : AGENT_KEY_RETRY_FIRST_MS;
    }
    self->key_retry_timer =
        zloop_timer(self->loop, (size_t)self->key_retry_ms, 1, s_on_retry, self);
    log_info("a new connection to the broker in %d s", self->key_retry_ms / 1000);
    self->key_retry_ms = self->key_retry_ms * 2 > AGENT_KEY_RETRY_MAX_MS
                             ? AGENT_KEY_RETRY_MAX_MS
                             : self->key_retry_ms * 2;
}

/* Timer: the broker could not read its store at the last handshake. */
static int
s_on_zap_retry(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    link_t *self = arg;
    self->zap_retry_timer = -1;
    if (link_reopen(self) != 0)
        fatalx("cannot make a new connection to the broker");
    return 0;
}

/* ZAP status 300: a new connection soon, on a short bounded backoff. */
static void
s_zap_retry(link_t *self)
{
    if (self->zap_retry_timer >= 0)
        return;
    if (self->zap_retry_ms <= 0) {
        self->zap_retry_ms = AGENT_ZAP_RETRY_FIRST_MS;
        log_warnx("the broker at %s could not read its store to admit this agent's key "
                  "(ZAP status 300): not a refusal; connecting again in %d ms",
                  link_endpoint(self), self->zap_retry_ms);
    }
    self->zap_retry_timer =
        zloop_timer(self->loop, (size_t)self->zap_retry_ms, 1, s_on_zap_retry, self);
    self->zap_retry_ms = self->zap_retry_ms * 2 > AGENT_ZAP_RETRY_MAX_MS
                             ? AGENT_ZAP_RETRY_MAX_MS
                             : self->zap_retry_ms * 2;
}

/* Timer: LINK_HANDSHAKE_WARN_MS after this DEALER was made. */
static int
s_on_handshake_late(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    link_t *self = arg;
    self->hs_timer = -1;
    if (self->hs_done || self->key_refused || self->zap_retry_ms > 0)
        return 0; /* done, or said by the refusal's own warning */
    if (self->hs_tcp)
        log_warnx("no CurveZMQ handshake with the broker at %s within %d s: it takes "
                  "the connection but not this agent's greeting. Is -S "
                  "(server_key_file) the broker's public key, its NMIRFD.pub? The "
                  "agent keeps trying",
                  link_endpoint(self), LINK_HANDSHAKE_WARN_MS / 1000);
    else
        log_warnx("no connection to the broker at %s within %d s: is nmirfd running "
                  "there, is -b its request endpoint, and does the network let it "
                  "through? The agent keeps trying",
                  link_endpoint(self), LINK_HANDSHAKE_WARN_MS / 1000);
    return 0;
}

/* Reader: one monitor event, [u16 event, u32 value][endpoint]. */
static int
s_on_monitor(zloop_t *loop, zsock_t *mon, void *arg)
{
    link_t *self = arg;
    zmsg_t *msg = zmsg_recv(mon);
    zframe_t *f = msg ? zmsg_first(msg) : NULL;
    if (f && zframe_size(f) >= 6) {
        uint16_t event;
        uint32_t value;
        memcpy(&event, zframe_data(f), 2); /* host order, from libzmq itself */
        memcpy(&value, zframe_data(f) + 2, 4);
        if (event == ZMQ_EVENT_CONNECTED)
            self->hs_tcp = true;
        else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 300)
            s_zap_retry(self);
        else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && !self->key_refused) {
            self->key_refused = true;
            self->events.key_refused((unsigned)value, self->events.arg);
            s_retry_later(self);
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            s_retry_later(self); /* refused again: the next try later */
        else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            if (self->key_refused)
                log_info("the broker accepts this agent's key again");
            else if (!self->hs_done && self->hs_timer < 0)
                log_info("handshake with the broker at %s done", link_endpoint(self));
            self->hs_done = true;
            if (self->hs_timer >= 0) {
                zloop_timer_end(self->loop, self->hs_timer);
                self->hs_timer = -1;
            }
            self->key_refused = false;
            self->key_retry_ms = 0;
            self->zap_retry_ms = 0;
            if (self->key_retry_timer >= 0) {
                zloop_timer_end(self->loop, self->key_retry_timer);
                self->key_retry_timer = -1;
            }
            link_on_handshake(self);
            self->events.connected(self->events.arg);
        }
    }
    zmsg_destroy(&msg);
    return 0;
}

int
link_monitor_open(link_t *self)
{
    /* A new name for each DEALER (link_reopen): libzmq may still hold the
       old monitor's endpoint. */
    static unsigned generation;
    char ep[96];
    snprintf(ep, sizeof ep, "inproc://nmirf-agent-monitor-%p-%u", (void *)self,
             ++generation);
    if (zmq_socket_monitor(zsock_resolve(self->dealer), ep,
                           ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
        !(self->monitor = zsock_new_pair(ep)) || /* '>' implied: connects */
        zloop_reader(self->loop, self->monitor, s_on_monitor, self) != 0) {
        log_warnx("cannot monitor the broker connection: %s; a refused key will "
                  "not be reported",
                  zmq_strerror(zmq_errno()));
        link_monitor_close(self);
        return -1;
    }
    self->hs_tcp = self->hs_done = false;
    self->hs_timer =
        zloop_timer(self->loop, LINK_HANDSHAKE_WARN_MS, 1, s_on_handshake_late, self);
    return 0;
}

void
link_monitor_close(link_t *self)
{
    if (self->hs_timer >= 0 && self->loop)
        zloop_timer_end(self->loop, self->hs_timer);
    self->hs_timer = -1;
    if (self->monitor) {
        if (self->loop)
            zloop_reader_end(self->loop, self->monitor);
        zsock_destroy(&self->monitor);
    }
    if (self->dealer)
        zmq_socket_monitor(zsock_resolve(self->dealer), NULL, 0);
}
