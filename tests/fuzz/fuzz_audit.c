/*  fuzz_audit - the audit export reader and verifier,
    nmirf_audit_verify_file(), on any file contents.

    An export file travels (mail, USB stick, an auditor's laptop) and is
    read by the one verifier that must never be fooled or crash
    (PROTOCOL.md section 10). Each run writes the input to a memfd (no
    disk I/O; a temporary file where memfd_create is missing) and verifies
    it twice: with the key the file names, and with a fixed key of our own
    (which must then fail at the first checkpoint, or earlier).

    Checks beyond the sanitizers: the result is one of OK, FAILED, ERROR;
    a failure says why (a terminated, non-empty reason); counts are
    consistent (requests and checkpoints never more than the events and
    records read); and a file verified with a key it does not name never
    passes if it holds a checkpoint.

    Seeds: tests/fuzz/make_audit_seeds.sh writes real exports made by a
    real broker (corpus/audit/).
*/
#include "nmirf_audit.h"
#include "nmirf_keys.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[64];                        /* temporary directory, if no memfd */
static char s_path[128];                      /* the file rewritten every run */
static int s_fd = -1;                         /* memfd or the temporary file */
static uint8_t s_other_pk[NMIRF_SIGN_PK_LEN]; /* a broker key no export names */

static void
s_cleanup(void)
{
    if (s_dir[0]) {
        unlink(s_path);
        rmdir(s_dir);
    }
}

static void
s_broken(const char *what, const nmirf_audit_summary_t *sum)
{
    fprintf(stderr, "fuzz_audit: %s (why: %.512s)\n", what, sum ? sum->why : "");
    abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    s_fd = memfd_create("nmirf-fuzz-audit", 0);
    if (s_fd >= 0) {
        snprintf(s_path, sizeof s_path, "/proc/self/fd/%d", s_fd);
    } else {
        snprintf(s_dir, sizeof s_dir, "/tmp/nmirf-fuzz-audit-XXXXXX");
        if (!mkdtemp(s_dir)) {
            perror("fuzz_audit: mkdtemp");
            exit(1);
        }
        snprintf(s_path, sizeof s_path, "%s/export", s_dir);
        s_fd = open(s_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (s_fd < 0) {
            perror("fuzz_audit: open");
            exit(1);
        }
        atexit(s_cleanup);
    }
    nmirf_key_t key;
    if (nmirf_key_generate(&key, "NMIRFD") != 0)
        s_broken("cannot make a key", NULL);
    memcpy(s_other_pk, key.sign_pk, sizeof s_other_pk);
    return 0;
}

/* Verifies the file with key pk (NULL: the file's own) and checks what
   any answer must satisfy. */
static nmirf_audit_rc_t
s_verify(const uint8_t *pk, nmirf_audit_summary_t *sum)
{
    memset(sum, 0xa5, sizeof *sum); /* no field may be left unset */
    nmirf_audit_rc_t rc = nmirf_audit_verify_file(s_path, pk, sum);
    if (rc != NMIRF_AUDIT_OK && rc != NMIRF_AUDIT_FAILED && rc != NMIRF_AUDIT_ERROR)
        s_broken("unknown result", NULL);
    if (!memchr(sum->why, '\0', sizeof sum->why))
        s_broken("reason not terminated", NULL);
    if (rc != NMIRF_AUDIT_OK && sum->why[0] == '\0')
        s_broken("a failure without a reason", sum);
    if (rc == NMIRF_AUDIT_OK && sum->why[0] != '\0')
        s_broken("a success with a reason", sum);
    if (rc == NMIRF_AUDIT_OK &&
        (sum->requests > sum->events || sum->last_checkpoint > sum->events))
        s_broken("counts out of range", sum);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ftruncate(s_fd, 0) != 0 || pwrite(s_fd, data, size, 0) != (ssize_t)size)
        s_broken("cannot write the input", NULL);
    nmirf_audit_summary_t sum;
    s_verify(NULL, &sum);
    nmirf_audit_rc_t rc = s_verify(s_other_pk, &sum);
    if (rc == NMIRF_AUDIT_OK && sum.checkpoints > 0)
        s_broken("checkpoints verified with a key that signed none", &sum);
    return 0;
}
