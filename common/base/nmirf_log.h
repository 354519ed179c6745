/*  nmirf_log - the daemons' small logging vocabulary (OpenBSD style).

    Lines go to stderr, which the journal collects; each starts with a
    level the journal understands (<3> err, <4> warning, <6> info, <7>
    debug) when NMIRF_LOG_PREFIX is set by systemd units, and with a plain
    word otherwise.
*/
#ifndef NMIRF_LOG_H
#define NMIRF_LOG_H

#include <stdbool.h>

/* Log levels, as the journal's priorities: a line shows when its level is
   at most the current one. */
#define NMIRF_LOG_ERROR 3   /* fatal errors only */
#define NMIRF_LOG_WARNING 4 /* and warnings */
#define NMIRF_LOG_INFO 6    /* and what an operator follows (the default) */
#define NMIRF_LOG_DEBUG 7   /* and every request */

/* Names the program in log lines and sets whether debug lines show
   (verbose: NMIRF_LOG_DEBUG, else NMIRF_LOG_INFO). */
void log_init(const char *progname, bool verbose);

/* Sets the level (one of NMIRF_LOG_*); SIGHUP may change it at run time. */
void log_set_level(int level);

/* The current level. */
int log_level(void);

/* The level named name ("error", "warning", "info", "debug"), or -1. */
int log_level_from_name(const char *name);

/* The name of level, "?" if it is none. */
const char *log_level_name(int level);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning; log_warn appends strerror(errno). */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs and exits with status 1; fatal appends strerror(errno). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
