/*  common_unit - unit checks of common/ that need no broker: how
    nmirf_open_regular reports an fstat that fails (fstat is wrapped at
    link time, -Wl,--wrap=fstat, to fail with EIO after scribbling a
    directory's mode into the struct it was given).
*/
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

int
main(void)
{
    test_open_regular_fstat_fails();
    return unit_done("common_unit");
}
