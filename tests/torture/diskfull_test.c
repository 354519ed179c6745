/*  diskfull_test - the disk itself full (issue 6, DESIGN.md guarantee 7):
    writes refused cleanly, reads served, service back when space returns.

    The broker's store (DATADIR/store) is moved onto a 4 MiB tmpfs the
    test mounts, and the broker runs with a 64 MiB map: the map never
    fills, the file system does. A filler file takes most of the space;
    imports go on until the broker answers `storage` (a failed synced
    commit, ENOSPC). Then: refusals change nothing (seq, snapshot), every
    read is served, the log's chain, the audit verifier and the replay
    hold. The filler is removed; writes resume, the same checks hold, and
    a restart keeps everything.

    Needs root (mount). The mount is made in a private mount namespace of
    this process (unshare), so it disappears with the process on every
    exit path, the watchdog and a crash included; a clean run also unmounts
    it. Without the privilege the test prints why and exits 77 (ctest
    SKIP_RETURN_CODE).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* unshare */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "nmirf_util.h"
#include "torture_check.h"

#define FS_SIZE "4m"            /* the tmpfs under the store */
#define LEAVE_FREE (512 * 1024) /* bytes the filler leaves free */
#define TEXT_LEN 20000          /* one recommendation's text */
#define FILL_MAX 500            /* imports tried before giving up */
#define SKIP 77                 /* ctest's skip code (tests/torture/CMakeLists.txt) */

static const char *const map_args[] = {"--map-size", "64", NULL};

/* Copies file from/name to to/name. */
static void
copy_file(const char *from, const char *to, const char *name)
{
    char src[PATH_MAX + 64], dst[PATH_MAX + 64];
    snprintf(src, sizeof src, "%s/%s", from, name);
    snprintf(dst, sizeof dst, "%s/%s", to, name);
    size_t len;
    char *data = nmirf_read_file(src, &len);
    H_ASSERTF(data, "read %s: %s", src, strerror(errno));
    int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    H_ASSERTF(fd >= 0, "open %s: %s", dst, strerror(errno));
    H_ASSERTF(write(fd, data, len) == (ssize_t)len, "write %s: %s", dst, strerror(errno));
    H_ASSERT(fsync(fd) == 0 && close(fd) == 0);
    free(data);
}

/* Moves the stopped broker's store onto a fresh tmpfs of FS_SIZE mounted
   at DIR/store. Returns false (with the reason printed) if mounting is
   not permitted. */
static bool
store_onto_tmpfs(h_broker_t *b, char *store, size_t len)
{
    char orig[PATH_MAX + 32];
    snprintf(store, len, "%s/store", b->dir);
    snprintf(orig, sizeof orig, "%s/store.orig", b->dir);
    H_ASSERTF(rename(store, orig) == 0, "rename %s: %s", store, strerror(errno));
    H_ASSERT(mkdir(store, 0700) == 0);
    if (mount("nmirf-diskfull", store, "tmpfs", MS_NOSUID | MS_NODEV, "size=" FS_SIZE) !=
        0) {
        printf("SKIP diskfull_test: mount -t tmpfs: %s\n", strerror(errno));
        return false;
    }
    copy_file(orig, store, "data.mdb");
    copy_file(orig, store, "lock.mdb");
    return true;
}

/* Writes DIR/store/filler to leave about LEAVE_FREE bytes free. */
static void
fill_disk(const char *store, char *path, size_t len)
{
    struct statvfs fs;
    H_ASSERT(statvfs(store, &fs) == 0);
    unsigned long long avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
    H_ASSERTF(avail > LEAVE_FREE, "only %llu bytes free on the tmpfs", avail);
    snprintf(path, len, "%s/filler", store);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    H_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
    static char block[64 * 1024];
    memset(block, 'f', sizeof block);
    for (unsigned long long left = avail - LEAVE_FREE; left > 0;) {
        size_t n = left < sizeof block ? (size_t)left : sizeof block;
        H_ASSERTF(write(fd, block, n) == (ssize_t)n, "write filler: %s", strerror(errno));
        left -= n;
    }
    H_ASSERT(close(fd) == 0);
}

/* Every read answered, at seq. */
static void
reads_served(h_broker_t *b, uint64_t seq)
{
    static const char *const reads[][2] = {
        {"ping", "{}"},
        {"rec.list", "{'limit': 5}"},
        {"rec.show", "{'id': 'DF/1'}"},
        {"events.since", "{'since': 0, 'limit': 10}"},
        {"snapshot", "{}"},
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        nmirf_reply_t *r = h_call(h_coord(b), reads[i][0], "%s", reads[i][1]);
        H_EXPECT(r, "ok");
        H_ASSERT(r->seq == seq);
        nmirf_reply_destroy(&r);
    }
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 110);
    if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        printf("SKIP diskfull_test: no private mount namespace (needs root): %s\n",
               geteuid() != 0 ? "not root" : strerror(errno));
        return SKIP;
    }
    h_broker_t *b = h_broker_start_with(NULL, map_args);
    H_CALL_CHECK("ok", h_coord(b), "rec.import",
                 "{'recs': [{'id': 'DF/1', 'mechanism': 'UPR', 'text': {'en': 'a'}}]}");
    h_broker_stop(b);
    char store[PATH_MAX + 16], filler[PATH_MAX + 32];
    if (!store_onto_tmpfs(b, store, sizeof store)) {
        h_broker_destroy(&b);
        return SKIP;
    }
    h_broker_restart(b);
    fill_disk(store, filler, sizeof filler);

    char *text = malloc(TEXT_LEN + 1);
    H_ASSERT(text);
    memset(text, 'x', TEXT_LEN);
    text[TEXT_LEN] = '\0';
    int taken = 0;
    nmirf_reply_t *r = NULL;
    for (; taken < FILL_MAX; taken++) {
        r = h_call(
            h_coord(b), "rec.import",
            "{'recs': [{'id': 'DF/F%d', 'mechanism': 'UPR', 'text': {'en': '%s'}}]}",
            taken, text);
        if (!r->ok)
            break;
        nmirf_reply_destroy(&r);
    }
    H_ASSERTF(r, "%d imports fitted in %s", FILL_MAX, FS_SIZE);
    H_EXPECT(r, "storage");
    nmirf_reply_destroy(&r);
    uint64_t seq = h_seq(b);
    size_t loglen;
    char *logtext = nmirf_read_file(b->log_path, &loglen);
    /* LMDB reports a short write (the file system full) as EIO; the
       broker's line names the disk. */
    H_ASSERTF(logtext && strstr(logtext, "requests failed: ") &&
                  (strstr(logtext, "is the disk full") ||
                   strstr(logtext, "No space left on device")),
              "the broker's log does not say its commit failed for lack of disk");
    free(logtext);
    nmirf_reply_t *before = H_CALL_EXPECT("ok", h_coord(b), "snapshot", "{}");
    for (int i = 0; i < 3; i++) {
        r = h_call(
            h_coord(b), "rec.import",
            "{'recs': [{'id': 'DF/F%d', 'mechanism': 'UPR', 'text': {'en': '%s'}}]}",
            taken, text);
        H_EXPECT(r, "storage");
        nmirf_reply_destroy(&r);
    }
    nmirf_reply_t *after = H_CALL_EXPECT("ok", h_coord(b), "snapshot", "{}");
    H_ASSERTF(h_same(&before->body, &after->body), "refused writes changed the state");
    nmirf_reply_destroy(&before);
    nmirf_reply_destroy(&after);
    reads_served(b, seq);
    tc_log_t *log = tc_check_all(b);
    H_ASSERT(log->n == seq);
    tc_log_destroy(&log);
    h_note("disk full after %d imports: storage refusals, seq stays %llu, reads served, "
           "chain, audit and replay hold",
           taken, (unsigned long long)seq);

    H_ASSERTF(unlink(filler) == 0, "unlink %s: %s", filler, strerror(errno));
    r = h_call(h_coord(b), "rec.import",
               "{'recs': [{'id': 'DF/F%d', 'mechanism': 'UPR', 'text': {'en': '%s'}}]}",
               taken, text);
    H_EXPECT(r, "ok");
    H_ASSERT(r->seq == seq + 1);
    nmirf_reply_destroy(&r);
    log = tc_check_all(b);
    H_ASSERT(log->n == seq + 1);
    tc_log_destroy(&log);
    h_broker_stop(b);
    h_broker_restart(b);
    H_ASSERT(h_seq(b) == seq + 1);
    log = tc_check_all(b);
    tc_log_destroy(&log);
    h_note("space back: writes resume at seq %llu, a restart keeps them, audit and "
           "replay hold",
           (unsigned long long)seq + 1);

    free(text);
    h_broker_stop(b);
    H_ASSERTF(umount(store) == 0, "umount %s: %s", store, strerror(errno));
    h_broker_destroy(&b);
    return 0;
}
