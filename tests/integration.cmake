# Integration tests: real nmirfd processes, each in a temporary data
# directory on loopback with ephemeral ports, driven from outside through
# nmirf_client and raw ZeroMQ sockets (tests/harness.h). Each test gets the
# broker binary as its argument.
find_package(Threads REQUIRED)

add_library(nmirf_it_harness STATIC
            ${CMAKE_CURRENT_LIST_DIR}/harness.c
            ${CMAKE_CURRENT_LIST_DIR}/harness_call.c
            ${CMAKE_CURRENT_LIST_DIR}/harness_read.c)
target_include_directories(nmirf_it_harness PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nmirf_it_harness PUBLIC nmirf_base nmirf_records Threads::Threads)

# name: the test and its source tests/NAME.c; seconds: its ctest timeout
# (each test also arms its own watchdog a little earlier, which prints the
# broker's log).
foreach(spec broker_test:60 durability_test:90 subscriber_test:60 refusal_test:60
             batch_test:60 storage_test:60 audit_test:90 transport_test:60
             measures_test:60 push_test:120 keyrace_test:120 keys_test:60
             sessions_test:60)
  string(REPLACE ":" ";" spec ${spec})
  list(GET spec 0 name)
  list(GET spec 1 seconds)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.c)
  target_link_libraries(${name} PRIVATE nmirf_it_harness)
  add_dependencies(${name} nmirfd)
  add_test(NAME ${name} COMMAND ${name} $<TARGET_FILE:nmirfd>)
  set_tests_properties(${name} PROPERTIES TIMEOUT ${seconds} LABELS integration)
endforeach()
target_link_libraries(audit_test PRIVATE nmirf_audit) # the offline verifier

# sync_test: nmirfd with tests/syncshim.c preloaded, which logs the store's
# fdatasync calls and its meta page writes through LMDB's O_DSYNC fd; each
# acknowledged write must follow both. The shim is built without the
# sanitizers (it is loaded ahead of their runtime).
add_library(nmirf_syncshim MODULE ${CMAKE_CURRENT_LIST_DIR}/syncshim.c)
target_compile_options(nmirf_syncshim PRIVATE -fno-sanitize=all)
target_link_options(nmirf_syncshim PRIVATE -fno-sanitize=all)
target_link_libraries(nmirf_syncshim PRIVATE ${CMAKE_DL_LIBS} Threads::Threads)
add_executable(sync_test ${CMAKE_CURRENT_LIST_DIR}/sync_test.c)
target_link_libraries(sync_test PRIVATE nmirf_it_harness)
add_dependencies(sync_test nmirfd nmirf_syncshim)
add_test(NAME sync_test COMMAND sync_test $<TARGET_FILE:nmirfd> $<TARGET_FILE:nmirf_syncshim>)
set_tests_properties(sync_test PROPERTIES TIMEOUT 90 LABELS integration)
