# The daemons as services: config files, -n, SIGHUP, systemd readiness and
# watchdog, the unit files.

# The config parser's unit test, beside it in common/.
add_executable(nmirf_conf_test ${PROJECT_SOURCE_DIR}/common/nmirf_conf_test.c)
target_link_libraries(nmirf_conf_test PRIVATE nmirf_common)
add_test(NAME conf_unit COMMAND nmirf_conf_test)
set_tests_properties(conf_unit PROPERTIES TIMEOUT 30 LABELS unit)

# Readiness, watchdog, SIGHUP and SIGTERM against a real nmirfd, the test
# playing systemd's notification socket.
add_executable(service_test ${CMAKE_CURRENT_LIST_DIR}/service_test.c)
target_link_libraries(service_test PRIVATE nmirf_common)
add_dependencies(service_test nmirfd)
add_test(NAME service_test COMMAND service_test $<TARGET_FILE:nmirfd>)
set_tests_properties(service_test PROPERTIES TIMEOUT 120 LABELS integration)
