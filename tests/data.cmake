# Recommendation data in and out (docs/DATA.md).
#  csv_unit: the CSV reader and the UHRI mapping, no broker.
#  data: tests/data_test.sh against a real nmirfd: UHRI import field by
#        field, re-import, newer export, bad rows, round trips.
#  nmirf-gen: synthetic recommendations for scale tests (built, used by
#        data_test and by hand for the import figure).
add_executable(csv_unit ${PROJECT_SOURCE_DIR}/common/records/nmirf_csv_test.c)
target_link_libraries(csv_unit PRIVATE nmirf_records)
add_test(NAME csv_unit COMMAND csv_unit)
set_tests_properties(csv_unit PROPERTIES TIMEOUT 30 LABELS unit)

add_executable(nmirf-gen ${CMAKE_CURRENT_SOURCE_DIR}/nmirf_gen.c)
target_link_libraries(nmirf-gen PRIVATE nmirf_records)

find_program(BASH_PROGRAM bash REQUIRED)
add_test(NAME data
         COMMAND ${BASH_PROGRAM} ${CMAKE_CURRENT_LIST_DIR}/data_test.sh
                 $<TARGET_FILE:nmirfd> $<TARGET_FILE:nmirf> $<TARGET_FILE:nmirf-gen>
                 ${CMAKE_CURRENT_LIST_DIR}/fixtures ${PROJECT_SOURCE_DIR}/data/samples)
set_tests_properties(data PROPERTIES TIMEOUT 180 LABELS cli)

# lib_test: tests/lib.sh's own checks (sanitized, on small programs built
# with the C compiler).
add_test(NAME lib_test
         COMMAND ${BASH_PROGRAM} ${CMAKE_CURRENT_LIST_DIR}/lib_test.sh ${CMAKE_C_COMPILER})
set_tests_properties(lib_test PROPERTIES TIMEOUT 60 LABELS unit)
