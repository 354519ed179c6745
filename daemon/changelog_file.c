/*  changelog_file - a test hook: every commit record into a file. */
#include "changelog_file.h"
#include "nmirf_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int s_fd = -1; /* the file, or -1 */

/* The store's commit hook: appends the record whole. */
static void
s_append(void *arg, const uint8_t *record, size_t len, uint64_t seq_before,
         uint64_t seq_after)
{
    (void)arg;
    (void)seq_before;
    (void)seq_after;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(s_fd, record + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_warnx("changelog file: %s; a record lost", strerror(errno));
            return;
        }
        done += (size_t)n;
    }
}

int
changelog_file_open(store_t *store, const char *datadir, const uint8_t *sign_sk,
                    char *why, size_t whylen)
{
    const char *on = getenv("NMIRFD_TEST_CHANGELOG");
    if (!on || strcmp(on, "1") != 0)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/changelog.mp", datadir);
    s_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (s_fd < 0) {
        snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    store_set_changelog(store, true, sign_sk);
    store_set_commit_hook(store, s_append, NULL);
    log_info("NMIRFD_TEST_CHANGELOG: every commit record into %s (a test hook)", path);
    return 0;
}

void
changelog_file_close(store_t *store)
{
    if (s_fd < 0)
        return;
    store_set_commit_hook(store, NULL, NULL);
    store_set_changelog(store, false, NULL);
    close(s_fd);
    s_fd = -1;
}
