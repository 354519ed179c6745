/*  unit - the one CHECK of the tests: the unit tests beside their modules
    (proto/, daemon/, common/, tests/torture/), the command line's
    self-tests (client/cli_args.c, client/cli_output.c) and the service
    tests. A failed CHECK counts and reports instead of stopping, so one
    run lists every failed check.

    Each test is its own program: the counters are its own. It sets
    unit_case to name the group it checks, and ends with
    `return unit_done("name");`.

    A test that cannot go on after a failed check (the service tests: the
    steps that follow need what the check saw) sets unit_stop: a failed
    CHECK then hands it its place and message, and unit_stop does not
    return (it prints the daemons' logs and exits).
*/
#ifndef UNIT_H
#define UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int unit_checks;             /* checks run */
static int unit_failures;           /* checks failed */
static const char *unit_case = "-"; /* group being checked, for messages */
/* If set, called with a failed check's place and message; never returns. */
static void (*unit_stop)(const char *file, int line, const char *what);

/* Counts a failed check at file:line and prints "file:line: case: " and
   the printf-style message, or hands them to unit_stop. */
static inline void __attribute__((format(printf, 3, 4)))
unit_fail(const char *file, int line, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    unit_failures++;
    if (unit_stop) {
        unit_stop(file, line, what);
        abort(); /* unit_stop must not return */
    }
    fprintf(stderr, "%s:%d: %s: %s\n", file, line, unit_case, what);
}

/* Counts a check; if cond is false, counts a failure and reports it with
   the printf-style message after cond, or without one with cond's text
   (the `if (0)` skips that second report when there is a message). */
#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        unit_checks++;                                                                   \
        if (!(cond)) {                                                                   \
            __VA_OPT__(unit_fail(__FILE__, __LINE__, __VA_ARGS__); if (0))               \
            unit_fail(__FILE__, __LINE__, "%s", #cond);                                  \
        }                                                                                \
    } while (0)

/* Prints the summary line and returns the exit status: 0 if every check
   passed. */
static inline int
unit_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
    return unit_failures ? 1 : 0;
}

#endif
