/*  nmirf_service - sd_notify, the watchdog timer and SIGHUP. */
#include "nmirf_service.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "nmirf_log.h"

/* The SIGHUP reader's state; one per process, as the signal is. */
static struct {
    int fd;                /* signalfd for SIGHUP, -1 none */
    void (*fn)(void *arg); /* what a SIGHUP runs */
    void *arg;             /* its argument */
} s_hup = {.fd = -1};

int
nmirf_service_block_sighup(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}

/* zloop poller: drains the signalfd and runs the reload once for however
   many SIGHUPs were pending. */
static int
s_on_signal(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    struct signalfd_siginfo si;
    bool got = false;
    while (read(s_hup.fd, &si, sizeof si) == (ssize_t)sizeof si)
        got = true;
    if (got && s_hup.fn)
        s_hup.fn(s_hup.arg);
    return 0;
}

int
nmirf_service_on_sighup(zloop_t *loop, void (*fn)(void *arg), void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    if (s_hup.fd < 0)
        s_hup.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s_hup.fd < 0) {
        log_warn("signalfd for SIGHUP");
        return -1;
    }
    s_hup.fn = fn;
    s_hup.arg = arg;
    zmq_pollitem_t item = {.fd = s_hup.fd, .events = ZMQ_POLLIN};
    if (zloop_poller(loop, &item, s_on_signal, NULL) != 0) {
        log_warnx("cannot watch SIGHUP");
        return -1;
    }
    return 0;
}

/* Timer: one watchdog ping. It runs in the daemon's reactor, so it stops
   when the reactor is stuck. */
static int
s_on_watchdog(zloop_t *loop, int timer_id, void *arg)
{
    sd_notify(0, "WATCHDOG=1");
    return 0;
}

unsigned
nmirf_service_watchdog_start(zloop_t *loop)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    /* Half the period, as sd_watchdog_enabled(3) advises: one late ping
       must not be a missed one. At least 1 ms, for zloop. */
    unsigned ms = (unsigned)(usec / 2000);
    if (ms == 0)
        ms = 1;
    if (zloop_timer(loop, ms, 0, s_on_watchdog, NULL) < 0) {
        log_warnx("cannot start the watchdog timer");
        return 0;
    }
    sd_notify(0, "WATCHDOG=1");
    return ms;
}

/* Sends head (NULL: none) and a STATUS= line made from fmt. */
static void
s_notify(const char *head, const char *fmt, va_list ap)
{
    char status[512];
    vsnprintf(status, sizeof status, fmt, ap);
    if (head)
        sd_notifyf(0, "%s\nSTATUS=%s", head, status);
    else
        sd_notifyf(0, "STATUS=%s", status);
}

void
nmirf_service_ready(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_notify("READY=1", fmt, ap);
    va_end(ap);
}

void
nmirf_service_status(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_notify(NULL, fmt, ap);
    va_end(ap);
}

void
nmirf_service_reloading(void)
{
    sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void
nmirf_service_stopping(void)
{
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
