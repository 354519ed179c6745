/*  service_notify - a notification socket, as systemd's (see
    service_notify.h).
*/
#include "service_notify.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nmirf_util.h"

int
sn_open(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return -1;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
sn_recv(int fd, char *buf, size_t buflen, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
        return -1;
    ssize_t n = recv(fd, buf, buflen - 1, 0);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

bool
sn_has(const char *text, const char *assignment)
{
    size_t n = strlen(assignment);
    for (const char *p = text; (p = strstr(p, assignment)); p += n)
        if ((p == text || p[-1] == '\n') && (p[n] == '\0' || p[n] == '\n'))
            return true;
    return false;
}

bool
sn_expect(int fd, const char *assignment, int timeout_ms, char *buf, size_t buflen)
{
    int64_t until = (int64_t)(nmirf_mono_us() / 1000) + timeout_ms;
    for (;;) {
        int64_t left = until - (int64_t)(nmirf_mono_us() / 1000);
        if (left <= 0 || sn_recv(fd, buf, buflen, (int)left) < 0)
            return false;
        if (sn_has(buf, assignment))
            return true;
    }
}

bool
sn_file_has(const char *path, const char *text, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        size_t len;
        char *content = nmirf_read_file(path, &len);
        bool found = content && strstr(content, text);
        free(content);
        if (found)
            return true;
        usleep(20000);
    }
    return false;
}
