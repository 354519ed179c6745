# nmirf-agent tests: real nmirfd and nmirf-agent processes in temporary
# directories on loopback and ipc (tests/agent_harness.h). Each gets the
# broker, the agent and the CLI binaries as arguments.
add_library(nmirf_agent_harness STATIC ${CMAKE_CURRENT_LIST_DIR}/agent_harness.c)
target_include_directories(nmirf_agent_harness PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nmirf_agent_harness PUBLIC nmirf_it_harness)

# name: tests/NAME.c; seconds: its ctest timeout (its own watchdog fires
# a little earlier and prints the agents' and brokers' logs).
foreach(spec agent_notify_test:180 agent_outbox_test:180 agent_recover_test:180
             agent_replica_test:240 deadlines_test:120 agent_mine_test:120
             witness_test:180 revoke_loop_test:300 agent_query_test:120)
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

# The replica through its header alone (client/agent/replica_test.c, a
# unit test beside the module): no broker, no other part of the agent.
add_executable(replica_unit
  ${PROJECT_SOURCE_DIR}/client/agent/replica_test.c ${PROJECT_SOURCE_DIR}/client/agent/replica.c
  ${PROJECT_SOURCE_DIR}/client/agent/replica_mine.c ${PROJECT_SOURCE_DIR}/client/agent/replica_query.c
  ${PROJECT_SOURCE_DIR}/client/agent/witness.c
  ${PROJECT_SOURCE_DIR}/client/agent/link.c ${PROJECT_SOURCE_DIR}/client/agent/link_monitor.c)
target_include_directories(replica_unit PRIVATE ${PROJECT_SOURCE_DIR}/client/agent
                                                ${CMAKE_CURRENT_LIST_DIR}) # unit.h
target_link_libraries(replica_unit PRIVATE nmirf_common PkgConfig::LMDB)
add_test(NAME replica_unit COMMAND replica_unit)
set_tests_properties(replica_unit PROPERTIES TIMEOUT 60 LABELS "unit;agent")
