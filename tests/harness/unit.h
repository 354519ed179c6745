/*  unit - what the unit tests beside the modules share (proto/ and
    daemon/ *_test.c files): a CHECK that counts and reports instead of stopping,
    so one run lists every failed check.

    Each test is its own program: the counters are its own. It sets
    unit_case to name the group it checks, and ends with
    `return unit_done("name");`.
*/
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>

static int unit_checks;             /* checks run */
static int unit_failures;           /* checks failed */
static const char *unit_case = "-"; /* group being checked, for messages */

/* Counts a check; if cond is false, prints "file:line: case: " and the
   printf-style message, and counts a failure. */
#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        unit_checks++;                                                                   \
        if (!(cond)) {                                                                   \
            unit_failures++;                                                             \
            fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, unit_case);               \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
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
