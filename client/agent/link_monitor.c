/*  link_monitor - whether the broker lets this agent's key in.

    The broker's ZAP handler admits a CURVE key only if it is the key of an
    active entity (PROTOCOL.md section 1). A refused client learns nothing
    on the wire but a failed handshake, after which libzmq does not try
    that connection again: the DEALER never gets a peer, every send fails
    (ZMQ_IMMEDIATE), no reply ever comes, and the outbox would just say
    "pending" for ever. A socket monitor on the DEALER sees the refusal
    (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH): it is logged, delivered as a
    `key_refused` notification, and shown by `status` and `outbox`
    (ag->key_refused) until a handshake succeeds. The agent cannot know
    why (not enrolled, revoked, or an old key after a rotation) and keeps
    its entries: they are the ministry's, and a restart with an enrolled
    key sends them.

    An entity revoked while its session stays open is not refused here:
    its requests are answered `revoked`, a final refusal (outbox.c).
*/
#include <string.h>

#include "agent.h"
#include "nmirf_log.h"

/* Reader: one monitor event, [u16 event, u32 value][endpoint]. */
static int
s_on_monitor(zloop_t *loop, zsock_t *mon, void *arg)
{
    agent_t *ag = arg;
    zmsg_t *msg = zmsg_recv(mon);
    zframe_t *f = msg ? zmsg_first(msg) : NULL;
    if (f && zframe_size(f) >= 6) {
        uint16_t event;
        uint32_t value;
        memcpy(&event, zframe_data(f), 2); /* host order, from libzmq itself */
        memcpy(&value, zframe_data(f) + 2, 4);
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && !ag->key_refused) {
            ag->key_refused = true;
            log_warnx("the broker at %s refused this agent's key for %s in the handshake "
                      "(ZAP status %u): the entity is not enrolled, was revoked, or its "
                      "key was rotated; nothing can be sent (%zu outbox entries kept "
                      "pending), restart the agent with an enrolled key",
                      ag->request_ep, ag->key.entity, (unsigned)value,
                      outbox_pending(ag->outbox));
            notify_key_refused(ag, outbox_pending(ag->outbox));
        } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && ag->key_refused) {
            ag->key_refused = false;
            log_info("the broker accepts this agent's key again");
        }
    }
    zmsg_destroy(&msg);
    return 0;
}

int
link_monitor_open(agent_t *ag)
{
    char ep[96];
    snprintf(ep, sizeof ep, "inproc://nmirf-agent-monitor-%p", (void *)ag);
    if (zmq_socket_monitor(zsock_resolve(ag->dealer), ep,
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
        !(ag->monitor = zsock_new_pair(ep)) || /* '>' implied: connects */
        zloop_reader(ag->loop, ag->monitor, s_on_monitor, ag) != 0) {
        log_warnx("cannot monitor the broker connection: %s; a refused key will "
                  "not be reported",
                  zmq_strerror(zmq_errno()));
        link_monitor_close(ag);
        return -1;
    }
    return 0;
}

void
link_monitor_close(agent_t *ag)
{
    if (ag->monitor) {
        if (ag->loop)
            zloop_reader_end(ag->loop, ag->monitor);
        zsock_destroy(&ag->monitor);
    }
    if (ag->dealer)
        zmq_socket_monitor(zsock_resolve(ag->dealer), NULL, 0);
}
