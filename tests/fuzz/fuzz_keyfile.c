/*  fuzz_keyfile - nmirf_key_load() on any file contents.

    Key files are typed and copied by hand, so the loader meets whatever a
    person or a broken disk can produce. Each run writes the input to one
    file (mode 0600, so secret files are accepted when they are well-formed)
    and loads it: a memfd named by its /proc/self/fd path (no disk I/O), or
    a temporary file where memfd_create is missing. An accepted key must satisfy the
   header: a valid entity id, 40-character Z85 CURVE keys that decode, and a secret
    signing key whose public half matches.
*/
#include "nmirf_keys.h"
#include "nmirf_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[64];   /* private temporary directory, if no memfd */
static char s_path[128]; /* the key file rewritten every run */
static int s_memfd = -1; /* the memfd behind s_path, if any */

static void
s_cleanup(void)
{
    if (s_memfd < 0) {
        unlink(s_path);
        rmdir(s_dir);
    }
}

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_keyfile: %s\n", what);
    abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    s_memfd = memfd_create("nmirf-fuzz-key", 0);
    if (s_memfd >= 0 && fchmod(s_memfd, 0600) == 0) {
        snprintf(s_path, sizeof s_path, "/proc/self/fd/%d", s_memfd);
        return 0;
    }
    if (s_memfd >= 0)
        close(s_memfd);
    s_memfd = -1;
    snprintf(s_dir, sizeof s_dir, "/tmp/nmirf-fuzz-key-XXXXXX");
    if (!mkdtemp(s_dir)) {
        perror("fuzz_keyfile: mkdtemp");
        exit(1);
    }
    snprintf(s_path, sizeof s_path, "%s/ENTITY.key", s_dir);
    atexit(s_cleanup);
    return 0;
}

/* Replaces the key file's contents with data. */
static void
s_write(const uint8_t *data, size_t size)
{
    int fd = s_memfd;
    if (fd >= 0) {
        if (ftruncate(fd, 0) != 0)
            s_broken("cannot truncate the memfd");
    } else if ((fd = open(s_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
        s_broken("cannot write the temporary key file");
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            s_broken("short write to the key file");
        done += (size_t)n;
    }
    if (fd != s_memfd)
        close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_write(data, size);

    nmirf_key_t key;
    char why[512] = "";
    if (nmirf_key_load(&key, s_path, why, sizeof why) != 0) {
        if (why[0] == 0)
            s_broken("refused without a reason");
        return 0;
    }
    if (!nmirf_entity_id_valid(key.entity, strnlen(key.entity, sizeof key.entity)))
        s_broken("accepted an invalid entity id");
    if (strnlen(key.curve_pk, sizeof key.curve_pk) != 40)
        s_broken("curve public key is not 40 characters");
    uint8_t raw[32];
    if (nmirf_key_curve_raw(&key, raw) != 0)
        s_broken("curve public key does not decode");
    if (key.has_secret) {
        if (strnlen(key.curve_sk, sizeof key.curve_sk) != 40)
            s_broken("curve secret key is not 40 characters");
        if (memcmp(key.sign_sk + 32, key.sign_pk, 32) != 0)
            s_broken("secret signing key does not match the public one");
    }
    nmirf_key_wipe(&key);
    return 0;
}
