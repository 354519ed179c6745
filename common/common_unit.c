/*  common_unit - unit checks of common/ that need no broker: how
    nmirf_open_regular reports an fstat that fails (fstat is wrapped at
    link time, -Wl,--wrap=fstat, to fail with EIO after scribbling a
    directory's mode into the struct it was given), which LMDB codes
    nmirf_store_mdb_damage takes for a damaged store, and the big-endian
    key form (nmirf_be64_encode/decode).
*/
#include <errno.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nmirf_store_check.h"
#include "nmirf_util.h"
#include "unit.h"

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);

static bool s_fail_fstat; /* the wrapper fails while set */

/* fstat, or while s_fail_fstat is set a failure (EIO) that leaves a
   directory's mode in *st, as a struct never filled may hold anything. */
int
__wrap_fstat(int fd, struct stat *st)
{
    if (!s_fail_fstat)
        return __real_fstat(fd, st);
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFDIR | 0755;
    errno = EIO;
    return -1;
}

static void
test_open_regular_fstat_fails(void)
{
    unit_case = "open_regular";
    char why[256] = "";
    struct stat st;
    s_fail_fstat = true;
    FILE *f = nmirf_open_regular("/dev/null", &st, why, sizeof why);
    s_fail_fstat = false;
    CHECK(f == NULL, "an fstat that fails gives NULL");
    if (f)
        fclose(f);
    CHECK(strstr(why, strerror(EIO)) != NULL,
          "an fstat that fails is reported by its errno, got \"%s\"", why);
    f = nmirf_open_regular("/dev/null", &st, why, sizeof why);
    CHECK(f == NULL && strstr(why, "not a regular file"), "/dev/null: \"%s\"", why);
    if (f)
        fclose(f);
}

static void
test_mdb_damage(void)
{
    unit_case = "mdb_damage";
    const int damage[] = {MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID,
                          MDB_VERSION_MISMATCH};
    const int other[] = {0,
                         ENOENT,
                         EACCES,
                         ENOMEM,
                         MDB_NOTFOUND,
                         MDB_READERS_FULL,
                         MDB_MAP_RESIZED,
                         MDB_BAD_DBI};
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++)
        CHECK(nmirf_store_mdb_damage(damage[i]), "%d (%s) is a damage", damage[i],
              mdb_strerror(damage[i]));
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        CHECK(!nmirf_store_mdb_damage(other[i]), "%d (%s) is not a damage", other[i],
              mdb_strerror(other[i]));
}

/* The big-endian key form: byte order is numeric order. */
static void
test_be64(void)
{
    unit_case = "be64";
    uint8_t key[8], prev[8];
    nmirf_be64_encode(0x0102030405060708ULL, key);
    CHECK(memcmp(key, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0, "not big-endian");
    CHECK(nmirf_be64_decode(key) == 0x0102030405060708ULL, "round trip");
    nmirf_be64_encode(0, key);
    CHECK(memcmp(key, "\0\0\0\0\0\0\0\0", 8) == 0 && nmirf_be64_decode(key) == 0, "0");
    nmirf_be64_encode(UINT64_MAX, key);
    CHECK(memcmp(key, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0 &&
              nmirf_be64_decode(key) == UINT64_MAX,
          "UINT64_MAX");
    /* Unaligned: keys come from LMDB pages at any offset. */
    uint8_t buf[9] = {0xee, 0, 0, 0, 0, 0, 0, 0x01, 0x00};
    CHECK(nmirf_be64_decode(buf + 1) == 0x100, "unaligned read");
    /* Around each byte's carry, memcmp order agrees with numeric order. */
    const uint64_t v[] = {0,
                          1,
                          0xff,
                          0x100,
                          0xffff,
                          0x10000,
                          0xffffffffULL,
                          0x100000000ULL,
                          0x00ffffffffffffffULL,
                          0x0100000000000000ULL,
                          UINT64_MAX - 1,
                          UINT64_MAX};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        nmirf_be64_encode(v[i], key);
        CHECK(nmirf_be64_decode(key) == v[i], "round trip of %llu",
              (unsigned long long)v[i]);
        if (i)
            CHECK(memcmp(prev, key, 8) < 0, "%llu sorts after %llu",
                  (unsigned long long)v[i - 1], (unsigned long long)v[i]);
        memcpy(prev, key, 8);
    }
}

int
main(void)
{
    test_open_regular_fstat_fails();
    test_mdb_damage();
    test_be64();
    return unit_done("common_unit");
}
