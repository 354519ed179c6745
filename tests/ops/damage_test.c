/*  damage_test - one broker per data directory, and a damaged store named
    as damaged, never a crash (DESIGN.md guarantee 7; docs/OPERATIONS.md,
    A damaged store).

    A real broker makes a real store: a ministry, recommendations and a few
    hundred progress reports, each its own commit, while `nmirf check --data`
    runs in a loop beside it: none of those checks may say damaged (the
    walk's snapshot is newer than the meta it read first; tests/ops/txnshim.c,
    preloaded, starts the walk's read transaction 50 ms late so that
    commits land in between). While it runs, a second
    nmirfd on the same data directory (other ports) is refused with a
    message naming the first one's pid, and the first goes on serving.
    Then the broker is stopped, `nmirf check --data` passes on the intact
    store, and the store is damaged in several ways, each on a fresh copy:
    cut to 0, 100, 8192 bytes (the two meta pages only), half its size,
    one page short; 8 KiB of seeded random bytes over its middle (the seed
    is printed; NMIRF_TEST_SEED sets it); both meta pages zeroed, and each
    one alone; a free-list entry's key made 9 bytes (its value then
    misaligned: a damage, not a crash); the same at 3 seeded random places. For each:
   nmirfd refuses to start with "is damaged ... restore the last backup" and exit status 1
   (never a signal), and `nmirf check --data`, `nmirf audit verify --data` and `nmirf
   backup` each report the damage with exit status 1, and backup writes nothing. The
   random bytes go over a compacted copy of the store (made by `nmirf backup`, restored as
   docs/OPERATIONS.md says): every page of it is in use, so its middle is live data, not a
   free page. Last, the intact store is put back and the broker starts on it and serves.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_common.h"
#include "nmirf_util.h"

#define RECS 50          /* recommendations imported */
#define REPORTS 400      /* progress reports submitted, one commit each */
#define SEEDS 3          /* random damages, each with its own seed */
#define RUN_S 60         /* a refused nmirfd must exit well within this */
#define LIVE_CHECKS 500  /* most checks run beside the growing broker */
#define LIVE_DELAY_MS 50 /* each check's read transaction starts this late */

static const char *s_nmirf;  /* the CLI */
static const char *s_nmirfd; /* the broker */

/* Runs nmirfd on dir with fresh ports, bounded by RUN_S (killed after).
   Returns its exit status (a signal or a kill gives no 1) and its output
   in *out. */
static int
s_run_nmirfd(const char *dir, char **out)
{
    return h_sh(out,
                "timeout -s KILL %d '%s' -d '%s' -r tcp://127.0.0.1:%d -e "
                "tcp://127.0.0.1:%d 2>&1",
                RUN_S, s_nmirfd, dir, h_free_port(), h_free_port());
}

/* Writes len bytes of data as dir/store/data.mdb (and drops the lock
   file, as a restore would). */
static void
s_put_store(const char *dir, const char *data, size_t len)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/store/lock.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/store/data.mdb", dir);
    H_ASSERTF(nmirf_write_file(path, data, len, 0600) == 0, "write %s", path);
}

/* The four commands on the damaged store in dir: each names the damage
   and exits 1. */
static void
s_expect_damaged(const char *dir, const char *what)
{
    char *out;
    int rc = s_run_nmirfd(dir, &out);
    H_ASSERTF(rc == 1 && strstr(out, "is damaged") &&
                  strstr(out, "restore the last backup"),
              "%s: nmirfd exit %d (not 1: a signal, or it served the store), output:\n%s",
              what, rc, out);
    char *said = strstr(out, "is damaged");
    said[strcspn(said, "\n")] = '\0';
    h_note("%s: nmirfd exits 1: ...%s", what, said);
    free(out);
    rc = h_sh(&out, "'%s' check --data '%s' 2>&1", s_nmirf, dir);
    H_ASSERTF(rc == 1 && strstr(out, "damaged: "), "%s: nmirf check exit %d:\n%s", what,
              rc, out);
    free(out);
    rc = h_sh(&out, "'%s' audit verify --data '%s' 2>&1", s_nmirf, dir);
    H_ASSERTF(rc == 1 && strstr(out, "is damaged"), "%s: audit verify exit %d:\n%s", what,
              rc, out);
    free(out);
    char bk[PATH_MAX + 16];
    snprintf(bk, sizeof bk, "%s/bk", dir);
    rc = h_sh(&out, "'%s' backup --data '%s' '%s' 2>&1", s_nmirf, dir, bk);
    H_ASSERTF(rc == 1 && strstr(out, "is damaged") && access(bk, F_OK) != 0,
              "%s: backup exit %d:\n%s", what, rc, out);
    free(out);
}

/* The checks run beside the growing broker (log written by the loop main
   started, stopped by creating stop): none said the store is damaged. */
static void
test_live_checks(const char *log, const char *stop)
{
    char *text = NULL;
    size_t len;
    H_ASSERTF(nmirf_write_file(stop, "", 0, 0600) == 0, "write %s", stop);
    for (int i = 0; i < RUN_S * 10; i++) {
        free(text);
        text = nmirf_read_file(log, &len);
        if (text && strstr(text, "checks done"))
            break;
        h_sleep_ms(100);
    }
    H_ASSERTF(text && strstr(text, "checks done"), "the check loop did not end:\n%s",
              text ? text : "(no log)");
    const char *d = strstr(text, "damaged");
    H_ASSERTF(!d, "a check beside the growing broker said: %.*s", (int)strcspn(d, "\n"),
              d);
    unsigned ok = 0, other = 0;
    for (char *l = text; *l; l += strcspn(l, "\n"), l += *l == '\n') {
        if (strncmp(l, "ok: ", 4) == 0)
            ok++;
        else if (strncmp(l, "checks done", 11) != 0)
            other++;
    }
    H_ASSERTF(ok > 0, "no check passed beside the broker:\n%s", text);
    h_note("%u checks beside the broker growing by %d reports: none damaged (%u other "
           "lines)",
           ok, REPORTS, other);
    free(text);
}

/* Makes the first node of the free list's root page in the store image
   data (len bytes) hold a 9-byte key (LMDB 0.9's layout, as in
   common/audit/nmirf_store_check.c: a 16-byte page header, then the node
   offsets; a node is its data size, flags, key size (u16 each), key,
   value). The root must be a leaf: the intact store's free list is a few
   entries. */
static void
s_misalign_free_list(char *data, size_t len)
{
    uint32_t psize;
    uint64_t txn[2], root[2];
    memcpy(&psize, data + 16 + 24, 4);
    H_ASSERTF(psize >= 512 && psize <= 65536 && len >= 2 * (size_t)psize, "page size %u",
              psize);
    for (int i = 0; i < 2; i++) {
        memcpy(&txn[i], data + (size_t)i * psize + 16 + 128, 8);
        memcpy(&root[i], data + (size_t)i * psize + 16 + 24 + 40, 8);
    }
    uint64_t r = txn[1] > txn[0] ? root[1] : root[0];
    H_ASSERTF(r >= 2 && (r + 1) * psize <= len, "free-list root page %llu",
              (unsigned long long)r);
    char *pg = data + r * psize;
    uint16_t flags, lower, node;
    memcpy(&flags, pg + 10, 2);
    memcpy(&lower, pg + 12, 2);
    memcpy(&node, pg + 16, 2);
    H_ASSERTF((flags & 0x02) && lower > 16 && node >= 16 + 2 && node + 16u <= psize,
              "free-list root page %llu: flags 0x%x lower %u node at %u (not a leaf)",
              (unsigned long long)r, flags, lower, node);
    uint16_t ksize;
    memcpy(&ksize, pg + node + 6, 2);
    H_ASSERTF(ksize == 8, "free-list key of %u bytes", ksize);
    ksize = 9;
    memcpy(pg + node + 6, &ksize, 2);
}

/* A second nmirfd on b's directory is refused, naming b's pid; b serves on. */
static void
test_second_broker(h_broker_t *b)
{
    char *out, pid[32];
    int rc = s_run_nmirfd(b->dir, &out);
    snprintf(pid, sizeof pid, "(pid %d holds", (int)b->pid);
    H_ASSERTF(rc == 1 && strstr(out, "another nmirfd is running") && strstr(out, pid),
              "second nmirfd on %s: exit %d (want 1, naming %s), output:\n%s", b->dir, rc,
              pid, out);
    free(out);
    H_CALL_CHECK("ok", h_coord(b), "ping", "{}");
    h_note("a second nmirfd on the same directory is refused naming pid %d; the first "
           "serves on",
           (int)b->pid);
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 280);
    s_nmirfd = argv[1];
    s_nmirf = ha_nmirf();
    H_ASSERTF(s_nmirf, "usage: damage_test NMIRFD NMIRF-AGENT NMIRF");
    const char *seed_env = getenv("NMIRF_TEST_SEED");
    unsigned seed =
        seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL);
    printf("seed %u (NMIRF_TEST_SEED=%u reproduces it)\n", seed, seed);

    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *mj = ha_setup_ministry(b, "MJ", "REC", RECS);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec': 'REC-0', 'lead': 'MJ'}");
    /* The walk beside the broker while it grows: `nmirf check --data` in a
       loop in the background, bounded in count, stopped by a file. */
    char *out, log[PATH_MAX + 16], stop[PATH_MAX + 16];
    snprintf(log, sizeof log, "%s/checks.log", b->dir);
    snprintf(stop, sizeof stop, "%s/checks.stop", b->dir);
    const char *shim = getenv("NMIRF_TXNSHIM");
    H_ASSERTF(shim && access(shim, R_OK) == 0,
              "NMIRF_TXNSHIM (tests/ops/txnshim.c) not set");
    h_sh(&out,
         "( i=0; while [ $i -lt %d ] && [ ! -e '%s' ]; do LD_PRELOAD='%s' "
         "NMIRF_TXNSHIM_DELAY_MS=%d "
         "ASAN_OPTIONS=\"$ASAN_OPTIONS:verify_asan_link_order=0\" "
         "'%s' check --data '%s' 2>&1; i=$((i+1)); done; echo 'checks done' ) >'%s' 2>&1 "
         "</dev/null &",
         LIVE_CHECKS, stop, shim, LIVE_DELAY_MS, s_nmirf, b->dir, log);
    free(out);
    for (int i = 0; i < REPORTS; i++)
        H_CALL_CHECK("ok", mj, "report.submit",
                     "{'rec': 'REC-0', 'status': 'in_progress', 'narrative': 'step %d'}",
                     i);
    test_live_checks(log, stop);
    test_second_broker(b);
    h_broker_stop(b);

    int rc = h_sh(&out, "'%s' check --data '%s' 2>&1", s_nmirf, b->dir);
    H_ASSERTF(rc == 0 && strncmp(out, "ok: ", 4) == 0, "intact store: check exit %d:\n%s",
              rc, out);
    out[strcspn(out, "\n")] = '\0';
    h_note("intact store: %s", out);
    free(out);

    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/store/data.mdb", b->dir);
    size_t len, clen;
    char *good = nmirf_read_file(path, &len);
    H_ASSERTF(good && len >= 16384, "read %s", path);
    char bk[PATH_MAX + 16];
    snprintf(bk, sizeof bk, "%s/compact", b->dir);
    rc = h_sh(&out, "'%s' backup --data '%s' '%s' 2>&1", s_nmirf, b->dir, bk);
    H_ASSERTF(rc == 0, "backup of the intact store: exit %d:\n%s", rc, out);
    free(out);
    snprintf(path, sizeof path, "%s/store/data.mdb", bk);
    char *compact = nmirf_read_file(path, &clen);
    H_ASSERTF(compact && clen >= 4 * 8192, "read %s", path);
    char *bad = malloc(len > clen ? len : clen);
    H_ASSERT(bad);

    /* Cut short. */
    const size_t cuts[] = {0, 100, 8192, len / 2, len - 4096};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "cut to %zu of %zu bytes", cuts[i], len);
        s_put_store(b->dir, good, cuts[i]);
        s_expect_damaged(b->dir, what);
    }
    /* Meta pages zeroed: both, the first, the second. */
    const struct {
        size_t off, n;
        const char *what;
    } zeros[] = {{0, 8192, "both meta pages zeroed"},
                 {0, 4096, "meta page 0 zeroed"},
                 {4096, 4096, "meta page 1 zeroed"}};
    for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++) {
        memcpy(bad, good, len);
        memset(bad + zeros[i].off, 0, zeros[i].n);
        s_put_store(b->dir, bad, len);
        s_expect_damaged(b->dir, zeros[i].what);
    }
    /* A free-list entry with a 9-byte key: its value starts at an odd
       address (LMDB aligns values to 2 bytes at most). The walk reads it
       and names it, neither crashing nor stopped by UBSan's alignment
       check in the sanitizer build. */
    memcpy(bad, good, len);
    s_misalign_free_list(bad, len);
    s_put_store(b->dir, bad, len);
    s_expect_damaged(b->dir, "a free-list key made 9 bytes");
    rc = h_sh(&out, "'%s' check --data '%s' 2>&1", s_nmirf, b->dir);
    H_ASSERTF(rc == 1 && strstr(out, "(free list): an entry of "),
              "a free-list key made 9 bytes: check exit %d:\n%s", rc, out);
    free(out);

    /* 8 KiB of random bytes over the middle of the compacted store, then
       at random places past the meta pages (which LMDB may crash on: the
       walk's child reports that). */
    for (unsigned k = 0; k < 2 * SEEDS; k++) {
        unsigned s = seed + k;
        srandom(s);
        memcpy(bad, compact, clen);
        size_t mid =
            k < SEEDS ? clen / 2 - 4096 : 8192 + (size_t)random() % (clen - 2 * 8192);
        for (size_t i = 0; i < 8192; i++)
            bad[mid + i] = (char)(random() & 0xff);
        char what[96];
        snprintf(what, sizeof what, "8 KiB random (seed %u) at %zu of %zu bytes", s, mid,
                 clen);
        s_put_store(b->dir, bad, clen);
        s_expect_damaged(b->dir, what);
    }

    /* Put back, the broker starts on it and serves. */
    s_put_store(b->dir, good, len);
    rc = h_sh(&out, "'%s' check --data '%s' 2>&1", s_nmirf, b->dir);
    H_ASSERTF(rc == 0, "restored store: check exit %d:\n%s", rc, out);
    free(out);
    h_broker_restart(b);
    H_CALL_CHECK("ok", h_coord(b), "ping", "{}");
    h_note("the intact store put back passes check, and the broker serves it");
    free(good);
    free(compact);
    free(bad);
    h_broker_destroy(&b);
    return 0;
}
