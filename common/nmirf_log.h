/*  nmirf_log - the daemons' small logging vocabulary (OpenBSD style).

    Lines go to stderr, which the journal collects; each starts with a
    level the journal understands (<3> err, <4> warning, <6> info, <7>
    debug) when NMIRF_LOG_PREFIX is set by systemd units, and with a plain
    word otherwise.
*/
#ifndef NMIRF_LOG_H
#define NMIRF_LOG_H

#include <stdbool.h>

/* Names the program in log lines and sets whether debug lines show. */
void log_init(const char *progname, bool verbose);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning; log_warn appends strerror(errno). */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs and exits with status 1; fatal appends strerror(errno). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
