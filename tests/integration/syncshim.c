/*  syncshim - an LD_PRELOAD library for sync_test: watches how a process
    makes its LMDB store durable, by wrapping the libc calls liblmdb makes
    (open, pwrite, writev, write, fdatasync, fsync, msync).

    LMDB 0.9 on Linux commits a write transaction durably in two steps:
    the data pages are written, then fdatasync(2) on the data file's fd
    (mdb_env_sync); then the meta page is written with pwrite(2) through a
    second fd on the same file opened O_DSYNC (me_mfd), so the write
    returns only once it is on disk. MDB_NOSYNC skips the fdatasync and
    writes the meta page through the first fd (no O_DSYNC, nothing
    synced); MDB_NOMETASYNC writes it through the first fd too.

    For every fd on a file named data.mdb the shim appends one byte to the
    file named by NMIRF_SYNCSHIM_LOG (one write(2) of one byte with
    O_APPEND: atomic, so the process's threads never mix records):
      o  a data.mdb fd opened without O_DSYNC
      O  a data.mdb fd opened with O_DSYNC (LMDB's meta fd)
      D  fdatasync or fsync of a data.mdb fd returned 0
      S  msync(MS_SYNC) of a data.mdb mapping returned 0 (a MDB_WRITEMAP
         store's data sync)
      M  a write through an O_DSYNC data.mdb fd completed (synced meta)
      m  a write of one page or less at offset below two pages through a
         data.mdb fd without O_DSYNC completed (an unsynced meta page)
    A record is written once the call it stands for has returned, so it
    says the data is on disk. msync counts only on a range of a data.mdb
    mapping (looked up in /proc/self/maps).

    With NMIRF_SYNCSHIM_DELAY_MS (1 to 10000) every call that makes the
    store durable waits that long before it goes to libc: an fdatasync or
    fsync of a data.mdb fd, a write through its O_DSYNC fd, an
    msync(MS_SYNC) of its mapping. A process that answers before its
    commit is durable then sends its answer well before the D and M
    records are written, and a test reading the log on the answer sees
    them missing; one that answers after sees them there.

    Nothing else changes: every call goes on to libc with its arguments and
    its result comes back. Without NMIRF_SYNCSHIM_LOG it only passes calls
    on (and waits, if told to). Built without sanitizers
    (tests/integration/CMakeLists.txt): in the ASan build the child gets
    ASAN_OPTIONS=verify_asan_link_order=0, since this library is loaded
    ahead of the ASan runtime.
*/
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define S_FDS 4096 /* fds tracked: 0 none, 1 data.mdb, 2 data.mdb O_DSYNC */

static unsigned char s_kind[S_FDS];
static int s_log = -2;       /* -2: not opened yet, -1: no log */
static long s_delay_ms = -1; /* NMIRF_SYNCSHIM_DELAY_MS (-1: not read yet) */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

static int (*s_open)(const char *, int, ...);
static ssize_t (*s_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*s_write)(int, const void *, size_t);
static ssize_t (*s_writev)(int, const struct iovec *, int);
static int (*s_fdatasync)(int);
static int (*s_fsync)(int);
static int (*s_msync)(void *, size_t, int);

/* Resolves libc's functions (the next definitions after this library). */
static void
s_resolve(void)
{
    if (s_open)
        return;
    s_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    s_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    s_writev = (ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
    s_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    s_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    s_msync = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "msync");
    s_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
}

/* Waits NMIRF_SYNCSHIM_DELAY_MS before a call that makes the store
   durable (none if unset or not 1 to 10000). */
static void
s_delay(void)
{
    int saved = errno;
    long ms = __atomic_load_n(&s_delay_ms, __ATOMIC_RELAXED);
    if (ms < 0) {
        const char *v = getenv("NMIRF_SYNCSHIM_DELAY_MS");
        char *end = NULL;
        ms = v && *v ? strtol(v, &end, 10) : 0;
        if (!end || *end || ms < 1 || ms > 10000)
            ms = 0;
        __atomic_store_n(&s_delay_ms, ms, __ATOMIC_RELAXED);
    }
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (ms && nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
    errno = saved;
}

/* Appends one record byte to the log, if there is one. */
static void
s_record(char what)
{
    int saved = errno;
    pthread_mutex_lock(&s_lock);
    if (s_log == -2) {
        const char *path = getenv("NMIRF_SYNCSHIM_LOG");
        s_log = path && *path
                    ? s_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)
                    : -1;
    }
    int fd = s_log;
    pthread_mutex_unlock(&s_lock);
    if (fd >= 0)
        (void)s_write(fd, &what, 1);
    errno = saved;
}

/* The kind of fd: 0 not a store file, 1 data.mdb, 2 data.mdb O_DSYNC. */
static int
s_fd_kind(int fd)
{
    return fd >= 0 && fd < S_FDS ? __atomic_load_n(&s_kind[fd], __ATOMIC_RELAXED) : 0;
}

static bool
s_is_store(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    return n >= 8 && strcmp(path + n - 8, "data.mdb") == 0 &&
           (n == 8 || path[n - 9] == '/');
}

int
open(const char *path, int flags, ...)
{
    s_resolve();
    mode_t mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    int fd = s_open(path, flags, mode);
    if (fd >= 0 && fd < S_FDS) {
        int kind = s_is_store(path) ? ((flags & O_DSYNC) == O_DSYNC ? 2 : 1) : 0;
        __atomic_store_n(&s_kind[fd], (unsigned char)kind, __ATOMIC_RELAXED);
        if (kind)
            s_record(kind == 2 ? 'O' : 'o');
    }
    return fd;
}

int
open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return open(path, flags, mode);
}

int
close(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "close");
    if (fd >= 0 && fd < S_FDS)
        __atomic_store_n(&s_kind[fd], 0, __ATOMIC_RELAXED);
    return real(fd);
}

/* Records a completed write of len bytes at off (-1: unknown) on fd. */
static void
s_wrote(int fd, ssize_t done, size_t len, off_t off)
{
    if (done < 0 || (size_t)done != len)
        return;
    long page = sysconf(_SC_PAGESIZE);
    int kind = s_fd_kind(fd);
    if (kind == 2)
        s_record('M');
    else if (kind == 1 && off >= 0 && off < 2 * page && len <= (size_t)page)
        s_record('m');
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
    s_resolve();
    if (s_fd_kind(fd) == 2)
        s_delay();
    ssize_t done = s_pwrite(fd, buf, len, off);
    s_wrote(fd, done, len, off);
    return done;
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    return pwrite(fd, buf, len, off);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
    s_resolve();
    int kind = s_fd_kind(fd);
    off_t off = kind ? lseek(fd, 0, SEEK_CUR) : -1;
    if (kind == 2)
        s_delay();
    ssize_t done = s_write(fd, buf, len);
    if (kind)
        s_wrote(fd, done, len, off);
    return done;
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
    s_resolve();
    if (s_fd_kind(fd) == 2)
        s_delay();
    ssize_t done = s_writev(fd, iov, n);
    if (s_fd_kind(fd) == 2 && done > 0)
        s_record('M');
    return done;
}

int
fdatasync(int fd)
{
    s_resolve();
    if (s_fd_kind(fd))
        s_delay();
    int rc = s_fdatasync(fd);
    if (rc == 0 && s_fd_kind(fd))
        s_record('D');
    return rc;
}

int
fsync(int fd)
{
    s_resolve();
    if (s_fd_kind(fd))
        s_delay();
    int rc = s_fsync(fd);
    if (rc == 0 && s_fd_kind(fd))
        s_record('D');
    return rc;
}

/* True if /proc/self/maps maps addr from a file named data.mdb. */
static bool
s_in_store_map(const void *addr)
{
    int saved = errno;
    int fd = s_open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return false;
    }
    static char buf[8192]; /* under s_lock: one reader at a time */
    char line[1024];
    size_t used = 0;
    bool found = false, skip = false;
    ssize_t got;
    pthread_mutex_lock(&s_lock);
    while (!found && (got = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < got && !found; i++) {
            if (buf[i] != '\n') {
                if (used < sizeof line - 1)
                    line[used++] = buf[i];
                else
                    skip = true; /* a path too long to be ours */
                continue;
            }
            line[used] = '\0';
            uintptr_t lo, hi;
            char *path = strchr(line, '/');
            if (!skip && path && sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2 &&
                (uintptr_t)addr >= lo && (uintptr_t)addr < hi)
                found = s_is_store(path);
            used = 0;
            skip = false;
        }
    pthread_mutex_unlock(&s_lock);
    close(fd);
    errno = saved;
    return found;
}

int
msync(void *addr, size_t len, int flags)
{
    s_resolve();
    bool store = (flags & MS_SYNC) && s_in_store_map(addr);
    if (store)
        s_delay();
    int rc = s_msync(addr, len, flags);
    if (rc == 0 && store)
        s_record('S');
    return rc;
}
