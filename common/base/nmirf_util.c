/*  nmirf_util - small helpers shared by every program. */
#include "nmirf_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t
nmirf_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
nmirf_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
nmirf_date_of(uint64_t ms, char buf[11])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 11, "%Y-%m-%d", &tm);
}

int64_t
nmirf_date_days(const char *s)
{
    /* Proleptic Gregorian, H. Hinnant's days_from_civil. Reads exactly
       the ten characters: s may be a string inside a msgpack buffer, with
       no NUL after it. */
    int64_t y =
        (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int64_t m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
nmirf_be64_encode(uint64_t v, uint8_t out[8])
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

uint64_t
nmirf_be64_decode(const void *p)
{
    const uint8_t *b = p;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

void
nmirf_hex(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = 0;
}

static int
s_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
nmirf_unhex(const char *hex, uint8_t *out, size_t len)
{
    if (strlen(hex) != 2 * len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int hi = s_nibble(hex[2 * i]), lo = s_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void
nmirf_random_id(uint8_t *id, size_t len)
{
    randombytes_buf(id, len);
}

bool
nmirf_entity_id_valid(const char *s, size_t len)
{
    if (len < 1 || len > 16)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

bool
nmirf_rec_id_valid(const char *s, size_t len)
{
    if (len < 1 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("._/:-", s[i])) ||
            s[i] == 0)
            return false;
    return true;
}

char *
nmirf_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *bigger = realloc(buf, cap * 2 + 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (!buf || err) {
        free(buf);
        errno = err ? err : ENOMEM;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

FILE *
nmirf_open_regular(const char *path, struct stat *st, char *why, size_t whylen)
{
    struct stat sb;
    if (!st)
        st = &sb;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, st) != 0) {
        /* st was not filled: errno alone says what went wrong. */
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st->st_mode)) {
        if (S_ISDIR(st->st_mode))
            snprintf(why, whylen, "%s: is a directory", path);
        else
            snprintf(why, whylen, "%s: not a regular file (a device, a pipe or a socket)",
                     path);
        close(fd);
        return NULL;
    }
    /* Regular files never block; reads stay plain. */
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

char *
nmirf_read_regular(const char *path, size_t max, size_t *len, struct stat *st, char *why,
                   size_t whylen)
{
    struct stat sb;
    if (!st)
        st = &sb;
    FILE *f = nmirf_open_regular(path, st, why, whylen);
    if (!f)
        return NULL;
    if ((uint64_t)st->st_size > max) {
        snprintf(why, whylen, "%s: %llu bytes, more than the %zu allowed", path,
                 (unsigned long long)st->st_size, max);
        fclose(f);
        return NULL;
    }
    /* The file may grow after fstat: one byte more than its size tells. */
    size_t size = (size_t)st->st_size;
    char *buf = malloc(size + 2);
    if (!buf) {
        snprintf(why, whylen, "%s: out of memory", path);
        fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, size + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || n > size) {
        if (err)
            snprintf(why, whylen, "%s: %s", path, strerror(EIO));
        else
            snprintf(why, whylen, "%s: the file grew while being read", path);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int
nmirf_write_file(const char *path, const void *data, size_t len, int mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, (mode_t)mode) || fsync(fd))
        goto fail;
    if (close(fd)) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path))
        return -1;
    /* The rename is durable only once the directory is synced: a key file
       must not vanish after the store recorded its enrolment. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    else
        strcpy(dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int rc = fsync(dfd);
    close(dfd);
    return rc;
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}
