# Operator tools: `status` and `agent-status` against a broker and an
# agent, `nmirf backup` under load and its restore, one broker per data
# directory and damaged stores refused and reported (damage_test), and the Debian
# package (tests/package_test.sh). The C tests get the broker, agent and
# CLI binaries as arguments.
foreach(spec status_test:120 backup_test:120 damage_test:300)
  string(REPLACE ":" ";" spec ${spec})
  list(GET spec 0 name)
  list(GET spec 1 seconds)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.c)
  target_link_libraries(${name} PRIVATE nmirf_agent_harness)
  add_dependencies(${name} nmirfd nmirf-agent nmirf)
  add_test(NAME ${name} COMMAND ${name} $<TARGET_FILE:nmirfd> $<TARGET_FILE:nmirf-agent>
                                $<TARGET_FILE:nmirf>)
  set_tests_properties(${name} PROPERTIES TIMEOUT ${seconds} LABELS ops)
endforeach()

# damage_test runs `nmirf check --data` beside a growing broker with
# tests/txnshim.c preloaded, which delays each read transaction's start
# (built without the sanitizers: it is loaded ahead of their runtime).
add_library(nmirf_txnshim MODULE ${CMAKE_CURRENT_LIST_DIR}/txnshim.c)
target_compile_options(nmirf_txnshim PRIVATE -fno-sanitize=all)
target_link_options(nmirf_txnshim PRIVATE -fno-sanitize=all)
target_link_libraries(nmirf_txnshim PRIVATE ${CMAKE_DL_LIBS} PkgConfig::LMDB)
add_dependencies(damage_test nmirf_txnshim)
set_tests_properties(damage_test PROPERTIES ENVIRONMENT
                     NMIRF_TXNSHIM=$<TARGET_FILE:nmirf_txnshim>)

# The Debian package: cpack, dpkg-deb -I, dpkg -x into a temporary root.
add_test(NAME package_test
         COMMAND ${BASH_PROGRAM} ${CMAKE_CURRENT_LIST_DIR}/package_test.sh ${CMAKE_BINARY_DIR}
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(package_test PROPERTIES TIMEOUT 300 LABELS ops)
