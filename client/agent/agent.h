/*  agent - what every part of nmirf-agent shares: its configuration and
    its constants. Nothing else: each part has its own header and an
    opaque handle, and agent_main.c alone wires them (docs/AGENT.md draws
    who includes whom).

    nmirf-agent is one thread around one zloop reactor. Its parts: link.h
    (the broker: one DEALER for requests, replies and pushed events, the
    subscription, reachability, the replica's reads; link_monitor.c watches
    its handshakes), replica.h (the LMDB replica kept by snapshot +
    events, and the `mine` view over it), witness.h (the broker's latest
    signed checkpoint, kept; a broker going back refused), outbox.h (the
    durable queue of signed submissions and their resending), notify.h
    (notifications: log, hook, PUB socket, file), control.h (the local
    control socket the CLI talks to), agent_main.c (flags, wiring, start,
    stop).
*/
#ifndef AGENT_H
#define AGENT_H

#include <stdint.h>

#include "nmirf_brokers.h"
#include "nmirf_keys.h"
#include "nmirf_wire.h"

#define AGENT_STALE_MS                                                                   \
    3000 /* broker unreachable after this long without contact, and                      \
           subscribe again after this long with nothing pushed */
#define AGENT_RESYNC_GAP 10000     /* further behind than this: snapshot, not events */
#define AGENT_PAGE 1000            /* events asked per events.since page */
#define AGENT_READ_TIMEOUT_MS 5000 /* one events.since call */
#define AGENT_SNAPSHOT_TIMEOUT_MS 60000 /* one snapshot call */
#define AGENT_RESULTS_MAX 100           /* broker answers kept for `nmirf outbox` */
#define AGENT_REFUSED_MAX 100           /* refused entries kept in the outbox db */
#define AGENT_TICK_MS 100               /* housekeeping timer */
#define AGENT_RETRY_FIRST_MS 1000       /* wait after a failed read...          */
#define AGENT_RETRY_MAX_MS 60000        /* ...doubled each failure up to this */
#define AGENT_REPORT_MS 5000            /* outbox length reported to the broker */
#define AGENT_KEY_RETRY_FIRST_MS 30000  /* a refused key: new connection after... */
#define AGENT_KEY_RETRY_MAX_MS 300000   /* ...doubled each refusal up to this */
#define AGENT_ZAP_RETRY_FIRST_MS 1000   /* ZAP 300 (store unreadable): again after... */
#define AGENT_ZAP_RETRY_MAX_MS 8000     /* ...doubled each time up to this */
#define AGENT_FAILOVER_MS 6000          /* several brokers: the next after this silence */

/* The agent's configuration, filled by agent_main.c before any part is
   made and owned by it; every part borrows it for its whole life. The
   strings point into the settings agent_main.c keeps. hook and
   notify_log change on SIGHUP (agent_main.c, then notify_reopen); the
   rest needs a restart. */
typedef struct {
    const char *dir;        /* data directory */
    const char *request_ep; /* the brokers' request endpoints as given (-b: one,
                               or a primary and its standbys, comma-separated;
                               for the log) */
    const char *events_ep;  /* broker's events endpoint (unused: events come on the
                               request connection; kept for the flag and logs) */
    const char *hook;       /* --hook command, or NULL */
    const char *notify_log; /* --notify-log file, or NULL */
    nmirf_key_t key;        /* our entity's keys (with secret) */
    nmirf_brokers_t brokers; /* each broker's endpoint, CURVE key and checkpoint
                                key (-b, -S); the link talks to one at a time
                                (link.h) */
} agent_conf_t;

#endif
