/*  cli_selftest - runs the self-tests of the command line's pure parts
    (text width and cutting, argument checks, the generic parse and pack
    of the commands' tables). The commands themselves are
    tested end to end against a real broker by tests/cli/cli_test.sh.

    usage: cli_selftest [-v]
*/
#include <string.h>

#include "cli.h"

int
main(int argc, char **argv)
{
    bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    int failures =
        cli_output_test(verbose) + cli_args_test(verbose) + cli_spec_test(verbose);
    printf("cli_selftest: %s (%d failures)\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
