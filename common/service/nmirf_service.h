/*  nmirf_service - what the daemons tell their service manager, and the
    signals it sends them.

    systemd's notification protocol through libsystemd's sd_notify():
    READY=1 once a daemon serves, WATCHDOG=1 from a timer in the daemon's
    own reactor (so a stuck loop stops the pings and systemd restarts it),
    RELOADING=1 / READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM,
    and STATUS= lines for `systemctl status`. Without $NOTIFY_SOCKET
    (started by hand, by tests) every call does nothing.

    SIGHUP is taken through a signalfd read by the reactor, so a reload
    runs between two batches, never inside one. nmirf_service_block_sighup()
    must run before any thread starts (zsys_init, libzmq's I/O threads):
    the threads inherit the mask, so no thread takes SIGHUP's default
    action, which is to end the process.
*/
#ifndef NMIRF_SERVICE_H
#define NMIRF_SERVICE_H

#include <czmq.h>

/* Blocks SIGHUP in this thread and every thread made after; call first
   in main. Returns 0 or -1 (errno). */
int nmirf_service_block_sighup(void);

/* Calls fn(arg) in loop each time SIGHUP arrives. Returns 0 or -1 after
   logging why. */
int nmirf_service_on_sighup(zloop_t *loop, void (*fn)(void *arg), void *arg);

/* If the service manager wants watchdog pings (WATCHDOG_USEC), adds a
   timer to loop sending WATCHDOG=1 at half that period and returns the
   period in ms; else returns 0. */
unsigned nmirf_service_watchdog_start(zloop_t *loop);

/* READY=1 with a STATUS= line (printf-style). */
void nmirf_service_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A STATUS= line alone. */
void nmirf_service_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RELOADING=1: a reload begins (nmirf_service_ready ends it). */
void nmirf_service_reloading(void);

/* STOPPING=1: the daemon is shutting down. */
void nmirf_service_stopping(void);

#endif
