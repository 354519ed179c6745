# nmirf-agent tests: real nmirfd and nmirf-agent processes in temporary
# directories on loopback and ipc (tests/agent_harness.h). Each gets the
# broker, the agent and the CLI binaries as arguments.
add_library(nmirf_agent_harness STATIC ${CMAKE_CURRENT_LIST_DIR}/agent_harness.c)
target_include_directories(nmirf_agent_harness PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nmirf_agent_harness PUBLIC nmirf_it_harness PRIVATE nmirf_digest)

# name: tests/NAME.c; seconds: its ctest timeout (its own watchdog fires
# a little earlier and prints the agents' and brokers' logs).
foreach(spec agent_notify_test:180 agent_outbox_test:180 agent_recover_test:180
             agent_replica_test:240 deadlines_test:120 agent_mine_test:120
             witness_test:180 revoke_loop_test:300)
  string(REPLACE ":" ";" spec ${spec})
  list(GET spec 0 name)
  list(GET spec 1 seconds)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.c)
  target_link_libraries(${name} PRIVATE nmirf_agent_harness)
  add_dependencies(${name} nmirfd nmirf-agent nmirf)
  add_test(NAME ${name} COMMAND ${name} $<TARGET_FILE:nmirfd> $<TARGET_FILE:nmirf-agent>
                                $<TARGET_FILE:nmirf>)
  set_tests_properties(${name} PROPERTIES TIMEOUT ${seconds} LABELS agent)
endforeach()
target_link_libraries(deadlines_test PRIVATE nmirf_audit) # the offline verifier
target_link_libraries(witness_test PRIVATE nmirf_audit)
target_link_libraries(agent_outbox_test PRIVATE PkgConfig::LMDB) # reads its outbox store
