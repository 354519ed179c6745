# libFuzzer harnesses for every parser that takes untrusted bytes
# (tests/fuzz/README.md). Included only with -DNMIRF_FUZZ=ON and clang.
#
# Each harness is built with -fsanitize=fuzzer,address,undefined. The
# project libraries it links are instrumented too (coverage for libFuzzer,
# ASan and UBSan for the bugs), so their code is what the fuzzer explores
# and checks; everything else that links them in this build dir (nmirfd,
# the integration tests) becomes an ASan/UBSan build as a side effect.
#
# ctest runs each harness for NMIRF_FUZZ_SECONDS on a scratch copy of its
# corpus in the build tree (the only directory libFuzzer writes new inputs
# to), then the seed corpus and the regressions in the source tree, which
# it only reads.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "NMIRF_FUZZ needs clang (-DCMAKE_C_COMPILER=clang)")
endif()

set(NMIRF_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzz_* ctest runs its harness")

set(nmirf_fuzz_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)

foreach(lib nmirf_proto nmirf_base nmirf_service nmirf_records nmirf_audit nmirf_digest
           nmirfd_core)
  target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link ${nmirf_fuzz_sanitizers})
  target_link_options(${lib} INTERFACE -fsanitize=address,undefined)
endforeach()

set(nmirf_fuzz_dir ${CMAKE_CURRENT_LIST_DIR}/fuzz)
set(nmirf_fuzz_work ${CMAKE_CURRENT_BINARY_DIR}/fuzz)

# name:the libraries it needs, separated by commas
foreach(spec mp_check:nmirf_proto envelope:nmirf_proto reply:nmirf_proto
             event:nmirf_proto keyfile:nmirf_base dispatch:nmirfd_core
             conf:nmirf_service audit:nmirf_audit,nmirf_base
             replica:nmirf_records,nmirf_audit,nmirf_digest csv:nmirf_records
             json_import:nmirf_records)
  string(REPLACE ":" ";" spec ${spec})
  list(GET spec 0 name)
  list(GET spec 1 lib)
  string(REPLACE "," ";" lib ${lib})
  set(target fuzz_${name})
  add_executable(${target} ${nmirf_fuzz_dir}/${target}.c)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer ${nmirf_fuzz_sanitizers})
  target_link_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${target} PRIVATE ${lib})
  if(name STREQUAL "replica")
    # The agent's replica and notifications, instrumented here (the agent
    # is an executable, not a library); the harness stubs link.c and
    # outbox.c.
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/client/agent/replica.c
                                     ${PROJECT_SOURCE_DIR}/client/agent/notify.c
                                     ${PROJECT_SOURCE_DIR}/client/agent/witness.c)
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/client/agent)
    target_link_libraries(${target} PRIVATE PkgConfig::LMDB)
  endif()

  set(scratch ${nmirf_fuzz_work}/corpus/${name})
  set(artifacts ${nmirf_fuzz_work}/artifacts/${name})
  file(MAKE_DIRECTORY ${scratch} ${artifacts})
  set(regressions "")
  if(IS_DIRECTORY ${nmirf_fuzz_dir}/regressions/${name})
    set(regressions ${nmirf_fuzz_dir}/regressions/${name})
  endif()
  add_test(NAME ${target}
           COMMAND ${target} -max_total_time=${NMIRF_FUZZ_SECONDS} -rss_limit_mb=2048
                   -timeout=30 -print_final_stats=1 -artifact_prefix=${artifacts}/
                   ${scratch} ${nmirf_fuzz_dir}/corpus/${name} ${regressions}
           WORKING_DIRECTORY ${nmirf_fuzz_work})
  math(EXPR timeout "${NMIRF_FUZZ_SECONDS} + 120")
  set_tests_properties(${target} PROPERTIES TIMEOUT ${timeout} LABELS fuzz)
  list(APPEND nmirf_fuzz_targets ${target})
endforeach()

# `cmake --build build-fuzz --target fuzzers` builds just the harnesses.
add_custom_target(fuzzers DEPENDS ${nmirf_fuzz_targets})
