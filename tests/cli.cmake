# The nmirf command line.
#  cli_selftest: the pure parts (UTF-8 width and cutting, argument checks).
#  cli: tests/cli_test.sh starts a real nmirfd in a temporary directory and
#       drives every command through the built nmirf, checking output and
#       exit statuses. Needs bash and python3.
add_test(NAME cli_selftest COMMAND cli_selftest)
set_tests_properties(cli_selftest PROPERTIES TIMEOUT 30 LABELS cli)

find_program(BASH_PROGRAM bash REQUIRED)
add_test(NAME cli
         COMMAND ${BASH_PROGRAM} ${CMAKE_CURRENT_LIST_DIR}/cli_test.sh
                 $<TARGET_FILE:nmirfd> $<TARGET_FILE:nmirf> ${CMAKE_CURRENT_LIST_DIR}/fixtures)
set_tests_properties(cli PROPERTIES TIMEOUT 120 LABELS cli)

# stats_test: nmirf stats against counts the test computes itself, CSV,
# and the HTML report rendered by headless chromium.
add_test(NAME stats
         COMMAND ${BASH_PROGRAM} ${CMAKE_CURRENT_LIST_DIR}/stats_test.sh
                 $<TARGET_FILE:nmirfd> $<TARGET_FILE:nmirf>)
set_tests_properties(stats PROPERTIES TIMEOUT 300 LABELS cli)

# cli_synopsis: every command's --help and nmirf(1)'s SYNOPSIS agree with
# the commands' tables (client/cli_spec.h). No broker.
add_test(NAME cli_synopsis
         COMMAND ${BASH_PROGRAM} ${CMAKE_CURRENT_LIST_DIR}/cli_synopsis_test.sh
                 $<TARGET_FILE:nmirf> ${PROJECT_SOURCE_DIR}/man/nmirf.1)
set_tests_properties(cli_synopsis PROPERTIES TIMEOUT 60 LABELS cli)
