# proto/ and store unit tests. Each test prints "file:line: what" for every
# failed check and exits non-zero; on success it prints one summary line.
#
# codec_wire loads the golden vectors (proto/vectors/vectors.json) and checks
# the codec against every case; vectors_gen wrote that file with the real
# encoders and is built here but never run by the suite (see its header).
set(NMIRF_VECTORS ${PROJECT_SOURCE_DIR}/proto/vectors/vectors.json)

add_executable(vectors_gen ${PROJECT_SOURCE_DIR}/tests/vectors_gen.c)
target_link_libraries(vectors_gen PRIVATE nmirf_proto PkgConfig::JANSSON)

add_executable(codec_wire ${PROJECT_SOURCE_DIR}/proto/nmirf_wire_test.c)
target_link_libraries(codec_wire PRIVATE nmirf_proto PkgConfig::JANSSON)
add_test(NAME codec_wire COMMAND codec_wire ${NMIRF_VECTORS})

add_executable(codec_mp ${PROJECT_SOURCE_DIR}/proto/nmirf_mp_test.c)
target_link_libraries(codec_mp PRIVATE nmirf_proto)
add_test(NAME codec_mp COMMAND codec_mp)

add_executable(store_unit ${PROJECT_SOURCE_DIR}/daemon/store_test.c)
target_link_libraries(store_unit PRIVATE nmirfd_core)
add_test(NAME store_unit COMMAND store_unit)

add_executable(jobq_unit ${PROJECT_SOURCE_DIR}/daemon/jobq_test.c)
target_link_libraries(jobq_unit PRIVATE nmirfd_core)
add_test(NAME jobq_unit COMMAND jobq_unit)

# fstat wrapped at link time: common_unit makes it fail (see its header).
add_executable(common_unit ${PROJECT_SOURCE_DIR}/common/common_unit.c)
target_link_libraries(common_unit PRIVATE nmirf_base nmirf_audit)
target_link_options(common_unit PRIVATE -Wl,--wrap=fstat)
add_test(NAME common_unit COMMAND common_unit)

foreach(t codec_wire codec_mp store_unit jobq_unit common_unit)
    target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests) # unit.h
endforeach()
set_tests_properties(codec_wire codec_mp store_unit jobq_unit common_unit PROPERTIES TIMEOUT 60 LABELS unit)
