/*  nmirf_dirlock - one process per data directory.

    nmirfd and nmirf-agent each own a data directory: a second process on
    the same one would serve or write the same store beside the first. Each
    takes an exclusive lock on DIR/lock before it touches anything else in
    DIR and holds it until it exits; the second is refused with the pid of
    the one that holds it.

    The lock is a POSIX record lock (fcntl F_SETLK) on the whole file: the
    kernel drops it when the holder exits, however it exits, and F_GETLK
    names the holder's pid. The holder also writes its pid into the file,
    for a person who looks (and for the rare moment between two processes
    where F_GETLK finds the lock gone). A record lock belongs to the
    process and is dropped when the process closes any descriptor of the
    file: only this code opens DIR/lock, and it keeps the one descriptor.
*/
#ifndef NMIRF_DIRLOCK_H
#define NMIRF_DIRLOCK_H

#include <stddef.h>
#include <sys/types.h>

/* Locks DIR/lock (created 0600 if absent) for this process and writes its
   pid there. Returns the open descriptor that holds the lock (the caller
   keeps it open while it runs, close() releases it), or -1 with why set:
   "another NAME is running on DIR (pid N holds DIR/lock)" when the lock is
   held (*holder set to that pid, 0 if it could not be read), or the system
   error. name names the program in the message (e.g. "nmirfd"). */
int nmirf_dirlock_take(const char *dir, const char *name, pid_t *holder, char *why,
                       size_t whylen);

#endif
