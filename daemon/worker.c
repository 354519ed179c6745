/*  worker - starting a broker worker thread. */
#include "worker.h"

#include <signal.h>

int
worker_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    /* The new thread inherits the mask in force here: block the
       asynchronous signals around the create, then restore this thread's
       own. Faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL) stay unblocked: a
       fault in a worker must still reach its handler (a sanitizer's
       report), not kill the process silently. */
    static const int async[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
                                SIGUSR2, SIGPIPE, SIGALRM, SIGCHLD};
    sigset_t set, old;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof async / sizeof async[0]; i++)
        sigaddset(&set, async[i]);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int rc = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
