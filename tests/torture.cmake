# Torture tests (docs/TESTING.md, "Torture"): real nmirfd and nmirf-agent
# processes SIGKILLed, starved of map or disk, or flooded past a slow
# subscriber; the checks they share are in torture_check.c.
add_library(nmirf_torture_check STATIC ${CMAKE_CURRENT_LIST_DIR}/torture_check.c)
target_include_directories(nmirf_torture_check PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nmirf_torture_check PUBLIC nmirf_it_harness PRIVATE nmirf_audit nmirf_digest)

# The CI run of the kill loop: `torture --kills 5000` is the soak.
add_executable(torture ${CMAKE_CURRENT_LIST_DIR}/torture.c)
target_link_libraries(torture PRIVATE nmirf_torture_check nmirf_agent_harness)
add_dependencies(torture nmirfd nmirf-agent)
add_test(NAME torture COMMAND torture --kills 20 --agent-kills 10 $<TARGET_FILE:nmirfd>
                              $<TARGET_FILE:nmirf-agent>)
set_tests_properties(torture PROPERTIES TIMEOUT 300 LABELS torture)

# storage_test (registered with the integration tests) uses the checks too.
target_link_libraries(storage_test PRIVATE nmirf_torture_check)

# The disk full under the store: a tmpfs mounted in a private mount
# namespace (root only; exits 77, a skip, otherwise).
add_executable(diskfull_test ${CMAKE_CURRENT_LIST_DIR}/diskfull_test.c)
target_link_libraries(diskfull_test PRIVATE nmirf_torture_check)
add_dependencies(diskfull_test nmirfd)
add_test(NAME diskfull_test COMMAND diskfull_test $<TARGET_FILE:nmirfd>)
set_tests_properties(diskfull_test PROPERTIES TIMEOUT 120 LABELS torture SKIP_RETURN_CODE 77)

# A subscriber that stops reading, and an agent paused with SIGSTOP.
add_executable(slowsub_test ${CMAKE_CURRENT_LIST_DIR}/slowsub_test.c)
target_link_libraries(slowsub_test PRIVATE nmirf_torture_check nmirf_agent_harness)
add_dependencies(slowsub_test nmirfd nmirf-agent)
add_test(NAME slowsub_test COMMAND slowsub_test $<TARGET_FILE:nmirfd>
                                   $<TARGET_FILE:nmirf-agent>)
set_tests_properties(slowsub_test PROPERTIES TIMEOUT 600 LABELS torture)

# The exactly-once count on synthetic logs (no broker).
add_executable(torture_check_unit ${CMAKE_CURRENT_LIST_DIR}/torture_check_unit.c)
target_link_libraries(torture_check_unit PRIVATE nmirf_torture_check)
add_test(NAME torture_check_unit COMMAND torture_check_unit)
set_tests_properties(torture_check_unit PROPERTIES TIMEOUT 30 LABELS unit)
