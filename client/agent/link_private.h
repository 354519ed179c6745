/*  link_private - what link.c and link_monitor.c share, and no other
    file includes: the link's state and the monitor's entry points. The
    rest of the agent sees the link through link.h only.
*/
#ifndef LINK_PRIVATE_H
#define LINK_PRIVATE_H

#include "link.h"

struct _link_t {
    const agent_conf_t *conf; /* the configuration (borrowed) */
    zloop_t *loop;            /* the reactor (borrowed) */
    link_events_t events;     /* where what is received goes */
    zsock_t *dealer;  /* THE connection to the broker: requests, replies, pushes */
    zlist_t *stash;   /* pushed zmsg_t that came during a read in flight */
    zlist_t *replies; /* nmirf_reply_t read by link_next_push, not delivered */
    bool subscribed;  /* our `subscribe` was answered OK and pushes go on */
    bool sub_pending; /* a `subscribe` is sent, its reply awaited */
    uint8_t sub_id[NMIRF_ID_LEN]; /* its request id */
    int64_t sub_next;             /* monotonic ms before which no subscribe is sent */
    int64_t last_push;    /* monotonic ms of the last pushed message (or OK subscribe) */
    int64_t last_contact; /* monotonic ms of the last sign of the broker, 0 never
                             or not since a failed read */
    int64_t last_heard;   /* as last_contact, but never reset: 0 never */
    int64_t read_next;    /* monotonic ms before which no read is tried */
    int read_backoff_ms;  /* wait after the next failed read */
    bool reading;         /* a read (link_read_start) is in flight */
    uint8_t read_id[NMIRF_ID_LEN]; /* its request id */
    char read_op[32];              /* its operation, for the log */
    int read_timeout_ms;           /* its timeout */
    int read_timer;                /* its zloop timer id, -1 if none */
    bool read_lazy;                /* its reply's body stays packed */
    link_read_fn *read_done;       /* told its end (once) */
    void *read_arg;                /* given back to read_done */
    bool contact_hold;    /* draining after a failed read: messages are not contact */
    int64_t report_next;  /* monotonic ms of the next outbox report (ping) */
    int64_t reported_at;  /* wall-clock ms of the last report sent, 0 never */
    size_t reported_outbox; /* the outbox length it carried */
    zsock_t *monitor;       /* PAIR end of the DEALER's socket monitor */
    bool key_refused;       /* the broker's ZAP refused our key at the last
                               handshake (link_monitor.c) */
    int key_retry_ms;       /* while refused: wait before a new connection */
    int key_retry_timer;    /* its zloop timer id, -1 if none */
    int zap_retry_ms;       /* ZAP 300 (the broker's store unreadable): wait
                               before a new connection, 0 if none pending */
    int zap_retry_timer;    /* its zloop timer id, -1 if none */
    int hs_timer;           /* LINK_HANDSHAKE_WARN_MS after a DEALER is made,
                               -1 once fired, ended or not started */
    bool hs_tcp;            /* this DEALER's TCP connection was made */
    bool hs_done;           /* a handshake succeeded on this DEALER */
    /* Several brokers (a primary and its standbys, conf->brokers): */
    size_t cur;          /* the one the DEALER goes to */
    int64_t opened_at;   /* monotonic ms this DEALER was made */
    bool switch_pending; /* move to switch_to at the next link_failover */
    size_t switch_to;    /* ...this one */
    uint64_t epoch_seen; /* the highest epoch a broker's ping reply gave */
    char epoch_at[NMIRF_BROKER_ENDPOINT_MAX]; /* the primary that gave it */
    uint8_t ping_id[NMIRF_ID_LEN];            /* the last ping's request id */
    bool ping_sent;                           /* ...one was sent */
};

/* The endpoint the DEALER goes to now. */
const char *link_endpoint(const link_t *self);

/* How long after making a connection the agent waits for a CurveZMQ
   handshake before it logs why none came (link_monitor.c). */
#define LINK_HANDSHAKE_WARN_MS 5000

/* Replaces the DEALER (and its monitor) with a new one, connecting
   afresh: libzmq never retries a handshake the broker's ZAP refused
   (link_monitor.c). What was stashed stays. Returns 0 or -1 (then
   self->dealer may be NULL until the next try). */
int link_reopen(link_t *self);

/* Watches the DEALER's handshakes (a socket monitor read on the loop).
   When the broker's ZAP handler refuses our CURVE key (not enrolled,
   revoked, or replaced by a rotation: the agent cannot tell which), the
   key_refused callback hears it, and link_status shows it until a
   handshake succeeds (then the connected callback). Returns 0, or -1
   (logged; the agent runs without it). */
int link_monitor_open(link_t *self);
void link_monitor_close(link_t *self);

/* A handshake succeeded (link_monitor.c): sends the first `subscribe` at
   once when none is on its way (link_subscribe, from the tick, stays the
   fallback). */
void link_on_handshake(link_t *self);

#endif
