# nmirf-bench: the figures of docs/PERFORMANCE.md (throughput, latency,
# replication, connected clients) against real nmirfd and nmirf-agent
# processes. ctest runs it once, tiny, to show that it runs and prints its
# BENCH line; it asserts no time.
add_executable(nmirf-bench ${CMAKE_CURRENT_LIST_DIR}/nmirf_bench.c)
target_link_libraries(nmirf-bench PRIVATE nmirf_agent_harness)
add_dependencies(nmirf-bench nmirfd nmirf-agent)
add_test(NAME bench_smoke
         COMMAND nmirf-bench $<TARGET_FILE:nmirfd> $<TARGET_FILE:nmirf-agent>
                 --submitters 2 --inflight 2 --seconds 1 --subscribers 2 --rate 100
                 --replicate 300 --clients 5)
set_tests_properties(bench_smoke PROPERTIES TIMEOUT 120 LABELS bench
                     PASS_REGULAR_EXPRESSION "BENCH {")
