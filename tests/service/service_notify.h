/*  service_notify - the service manager's end of systemd's notification
    protocol, for the tests that play systemd (service_test,
    service_agent_test): a unix datagram socket a daemon started with
    NOTIFY_SOCKET=PATH sends READY=1, WATCHDOG=1, RELOADING=1, STOPPING=1
    and STATUS= lines to, as sd_notify(3) does. Every wait is bounded;
    the functions report, the caller decides how to fail.
*/
#ifndef NMIRF_SERVICE_NOTIFY_H
#define NMIRF_SERVICE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

/* Binds a datagram socket at path (which must not exist; at most 107
   bytes). Returns its fd, or -1 with errno. */
int sn_open(const char *path);

/* Receives one notification into buf (NUL-ended) within timeout_ms.
   Returns its length, or -1 on timeout or error. */
int sn_recv(int fd, char *buf, size_t buflen, int timeout_ms);

/* True if the notification text holds the line assignment ("READY=1"). */
bool sn_has(const char *text, const char *assignment);

/* Waits up to timeout_ms for a notification holding assignment, skipping
   the others (watchdog pings, status lines). True if it came; the
   notification that held it is left in buf. */
bool sn_expect(int fd, const char *assignment, int timeout_ms, char *buf, size_t buflen);

/* Waits up to timeout_ms, polling every 20 ms, until the file at path
   holds text. True if it does. */
bool sn_file_has(const char *path, const char *text, int timeout_ms);

#endif
