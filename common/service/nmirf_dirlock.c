/*  nmirf_dirlock - one process per data directory. */
#include "nmirf_dirlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The pid written in the file, 0 if none can be read. */
static pid_t
s_pid_in_file(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long v = strtol(buf, &end, 10);
    return v > 0 && (*end == '\n' || *end == '\0') ? (pid_t)v : 0;
}

int
nmirf_dirlock_take(const char *dir, const char *name, pid_t *holder, char *why,
                   size_t whylen)
{
    char path[4096];
    *holder = 0;
    snprintf(path, sizeof path, "%.4000s/lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int err = errno;
        if (err != EAGAIN && err != EACCES) {
            snprintf(why, whylen, "cannot lock %s: %s", path, strerror(err));
            close(fd);
            return -1;
        }
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK && q.l_pid > 0)
            *holder = q.l_pid;
        else
            *holder = s_pid_in_file(fd);
        close(fd);
        if (*holder)
            snprintf(why, whylen, "another %s is running on %s (pid %ld holds %s)", name,
                     dir, (long)*holder, path);
        else
            snprintf(why, whylen, "another %s is running on %s (%s is locked)", name, dir,
                     path);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    /* The pid is for people: a failure to write it changes nothing. */
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
        (void)0;
    return fd;
}
