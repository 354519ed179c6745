# The daemons as services: config files, -n, SIGHUP, systemd readiness and
# watchdog, the unit files.

# The config parser's unit test, beside it in common/service/.
add_executable(nmirf_conf_test ${PROJECT_SOURCE_DIR}/common/service/nmirf_conf_test.c)
target_link_libraries(nmirf_conf_test PRIVATE nmirf_service)
add_test(NAME conf_unit COMMAND nmirf_conf_test)
set_tests_properties(conf_unit PROPERTIES TIMEOUT 30 LABELS unit)

# The key file format (PROTOCOL.md section 8), beside it in common/base/.
add_executable(nmirf_keys_test ${PROJECT_SOURCE_DIR}/common/base/nmirf_keys_test.c)
target_link_libraries(nmirf_keys_test PRIVATE nmirf_base)
target_include_directories(nmirf_keys_test PRIVATE ${PROJECT_SOURCE_DIR}/tests) # unit.h
add_test(NAME keys_unit COMMAND nmirf_keys_test)
set_tests_properties(keys_unit PROPERTIES TIMEOUT 30 LABELS unit)

# Readiness, watchdog, SIGHUP and SIGTERM against a real nmirfd, the test
# playing systemd's notification socket.
add_executable(service_test ${CMAKE_CURRENT_LIST_DIR}/service_test.c
                            ${CMAKE_CURRENT_LIST_DIR}/service_notify.c)
target_link_libraries(service_test PRIVATE nmirf_base)
add_dependencies(service_test nmirfd)
add_test(NAME service_test COMMAND service_test $<TARGET_FILE:nmirfd>)
set_tests_properties(service_test PROPERTIES TIMEOUT 120 LABELS integration)

# nmirfd -n and nmirf-agent -n: settings, errors with file:line, exit codes.
add_test(NAME service_conf
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/service_conf_test.sh $<TARGET_FILE:nmirfd>
                 $<TARGET_FILE:nmirf-agent> ${PROJECT_SOURCE_DIR})
set_tests_properties(service_conf PROPERTIES TIMEOUT 60 LABELS cli)

# The unit files: systemd-analyze verify, and the exposure score under 2.0.
add_test(NAME service_units
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/service_units_test.sh ${PROJECT_SOURCE_DIR}
                 $<TARGET_FILE:nmirfd> $<TARGET_FILE:nmirf-agent>)
set_tests_properties(service_units PROPERTIES TIMEOUT 60 LABELS unit SKIP_RETURN_CODE 77)

# SIGTERM under pipelined load: exit 0, "store closed", every acknowledged
# write kept once, unanswered ones at most once and resendable.
add_executable(service_stop_test ${CMAKE_CURRENT_LIST_DIR}/service_stop_test.c)
target_link_libraries(service_stop_test PRIVATE nmirf_it_harness)
add_dependencies(service_stop_test nmirfd nmirf)
add_test(NAME service_stop_test COMMAND service_stop_test $<TARGET_FILE:nmirfd>
                                        $<TARGET_FILE:nmirf>)
set_tests_properties(service_stop_test PROPERTIES TIMEOUT 180 LABELS integration)

# nmirf-agent under the same protocol: READY=1 after its replica store and
# control socket, the watchdog, SIGHUP (log level, hook, notify log
# reopened after a rotation, a broken file refused), STOPPING=1.
add_executable(service_agent_test ${CMAKE_CURRENT_LIST_DIR}/service_agent_test.c
                                  ${CMAKE_CURRENT_LIST_DIR}/service_notify.c)
target_link_libraries(service_agent_test PRIVATE nmirf_agent_harness)
add_dependencies(service_agent_test nmirfd nmirf-agent)
add_test(NAME service_agent_test COMMAND service_agent_test $<TARGET_FILE:nmirfd>
                                         $<TARGET_FILE:nmirf-agent>)
set_tests_properties(service_agent_test PROPERTIES TIMEOUT 120 LABELS agent)

# The sample configs as `cmake --install` (and the package) ship them pass
# -n with the installed units' command lines.
add_test(NAME service_installed
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/service_installed_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(service_installed PROPERTIES TIMEOUT 60 LABELS cli)
