/*  nmirf_log - leveled log lines on stderr. */
#include "nmirf_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *s_progname = "nmirf";
/* Atomic: SIGHUP changes it on the daemon's main thread while its other
   threads log. */
static atomic_int s_level = NMIRF_LOG_INFO;

void
log_init(const char *progname, bool verbose)
{
    s_progname = progname;
    s_level = verbose ? NMIRF_LOG_DEBUG : NMIRF_LOG_INFO;
}

void
log_set_level(int level)
{
    s_level = level;
}

int
log_level(void)
{
    return s_level;
}

static const char *s_level_names[8] = {[NMIRF_LOG_ERROR] = "error",
                                       [NMIRF_LOG_WARNING] = "warning",
                                       [NMIRF_LOG_INFO] = "info",
                                       [NMIRF_LOG_DEBUG] = "debug"};

int
log_level_from_name(const char *name)
{
    for (int i = 0; i < 8; i++)
        if (s_level_names[i] && strcmp(s_level_names[i], name) == 0)
            return i;
    return -1;
}

const char *
log_level_name(int level)
{
    return level >= 0 && level < 8 && s_level_names[level] ? s_level_names[level] : "?";
}

/* One line: "<N>" journal priority prefix when run by systemd (it sets
   JOURNAL_STREAM), a UTC timestamp otherwise. */
static void
s_vlog(int prio, const char *level, int errnum, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* One line at a time: the broker's threads log concurrently. */
    flockfile(stderr);
    if (getenv("JOURNAL_STREAM"))
        fprintf(stderr, "<%d>%s: %s", prio, level, msg);
    else {
        char stamp[32];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(stderr, "%s.%03ldZ %s %s: %s", stamp, ts.tv_nsec / 1000000, s_progname,
                level, msg);
    }
    if (errnum) {
        char err[256];
        /* GNU strerror_r: the message, in err or static (thread-safe). */
        fprintf(stderr, ": %s", strerror_r(errnum, err, sizeof err));
    }
    fputc('\n', stderr);
    fflush(stderr);
    funlockfile(stderr);
}

#define S_LOG(prio, level, errnum)                                                       \
    va_list ap;                                                                          \
    va_start(ap, fmt);                                                                   \
    s_vlog(prio, level, errnum, fmt, ap);                                                \
    va_end(ap)

void
log_debug(const char *fmt, ...)
{
    if (s_level < NMIRF_LOG_DEBUG)
        return;
    S_LOG(7, "debug", 0);
}

void
log_info(const char *fmt, ...)
{
    if (s_level < NMIRF_LOG_INFO)
        return;
    S_LOG(6, "info", 0);
}

void
log_warn(const char *fmt, ...)
{
    int e = errno;
    if (s_level < NMIRF_LOG_WARNING)
        return;
    S_LOG(4, "warning", e);
}

void
log_warnx(const char *fmt, ...)
{
    if (s_level < NMIRF_LOG_WARNING)
        return;
    S_LOG(4, "warning", 0);
}

void
fatal(const char *fmt, ...)
{
    int e = errno;
    S_LOG(3, "fatal", e);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    S_LOG(3, "fatal", 0);
    exit(1);
}
