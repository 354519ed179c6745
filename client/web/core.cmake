# nmirf-web's core (docs/WEB.md): the program, its HTTP server, accounts,
# sessions, parsers, catalogs and the files built into it.

# Until the API's api.cmake brings the library nmirf_web_api, stand-ins
# (web_stubs.c: every API request answers 503 agent_down).
if(NOT TARGET nmirf_web_api)
  add_library(nmirf_web_api STATIC web_stubs.c)
  target_include_directories(nmirf_web_api PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
endif()

# The pages (static/, any file: CONFIGURE_DEPENDS picks up a new one) and
# the compiled catalogs (po/CMakeLists.txt: NMIRF_MO_FILES, target
# nmirf_mo), each turned into a C table by embed.cmake.
set(web_static_dir ${CMAKE_CURRENT_SOURCE_DIR}/static)
file(GLOB_RECURSE web_static_files CONFIGURE_DEPENDS RELATIVE ${web_static_dir}
     ${web_static_dir}/*)
list(SORT web_static_files)
set(web_static_paths ${web_static_files})
list(TRANSFORM web_static_paths PREPEND ${web_static_dir}/)
set(web_gen ${CMAKE_CURRENT_BINARY_DIR}/gen)
add_custom_command(
  OUTPUT ${web_gen}/web_static_files.c
  COMMAND ${CMAKE_COMMAND} -E make_directory ${web_gen}
  COMMAND ${CMAKE_COMMAND} -DOUT=${web_gen}/web_static_files.c -DVAR=web_static_files
          -DBASE=${web_static_dir} "-DFILES=${web_static_files}"
          -P ${CMAKE_CURRENT_SOURCE_DIR}/embed.cmake
  DEPENDS ${web_static_paths} ${CMAKE_CURRENT_SOURCE_DIR}/embed.cmake
  COMMENT "Embedding nmirf-web's pages" VERBATIM)
set(web_mo_names "")
foreach(mo IN LISTS NMIRF_MO_FILES)
  get_filename_component(name ${mo} NAME)
  list(APPEND web_mo_names ${name})
endforeach()
add_custom_command(
  OUTPUT ${web_gen}/web_catalog_files.c
  COMMAND ${CMAKE_COMMAND} -E make_directory ${web_gen}
  COMMAND ${CMAKE_COMMAND} -DOUT=${web_gen}/web_catalog_files.c -DVAR=web_catalog_files
          -DBASE=${NMIRF_MO_DIR} "-DFILES=${web_mo_names}"
          -P ${CMAKE_CURRENT_SOURCE_DIR}/embed.cmake
  DEPENDS ${NMIRF_MO_FILES} nmirf_mo ${CMAKE_CURRENT_SOURCE_DIR}/embed.cmake
  COMMENT "Embedding nmirf-web's catalogs" VERBATIM)

find_package(Threads REQUIRED)

# The core but main(), a library so that its unit tests link the same code.
# The parsers of untrusted bytes apart (no libmicrohttpd, no sodium), so
# that tests/fuzz/fuzz_web_parse.c links them alone.
add_library(nmirf_web_parse STATIC web_parse.c web_catalog.c)
target_include_directories(nmirf_web_parse PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(nmirf_web_parse PUBLIC PkgConfig::JANSSON)
add_library(nmirf_web_core STATIC web_http.c web_users.c web_session.c
            ${web_gen}/web_static_files.c ${web_gen}/web_catalog_files.c)
target_include_directories(nmirf_web_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(nmirf_web_core PUBLIC nmirf_web_parse nmirf_web_api nmirf_base
                      PkgConfig::JANSSON PkgConfig::MICROHTTPD PkgConfig::SODIUM
                      Threads::Threads)

add_executable(nmirf-web web_main.c)
target_link_libraries(nmirf-web PRIVATE nmirf_web_core nmirf_service)
install(TARGETS nmirf-web DESTINATION bin)

# Unit tests beside their modules; registered by tests/web/CMakeLists.txt.
foreach(t web_parse_test web_catalog_test web_users_test web_session_test)
  add_executable(${t} ${t}.c)
  target_link_libraries(${t} PRIVATE nmirf_web_core nmirf_unit)
endforeach()
# web_catalog_test reads a real msgfmt output of its own catalog.
add_custom_command(OUTPUT ${web_gen}/web_catalog_test.mo
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${web_gen}
                   COMMAND ${MSGFMT_PROGRAM} -o ${web_gen}/web_catalog_test.mo
                           ${CMAKE_CURRENT_SOURCE_DIR}/web_catalog_test.po
                   DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/web_catalog_test.po VERBATIM)
add_custom_target(web_catalog_test_mo DEPENDS ${web_gen}/web_catalog_test.mo)
add_dependencies(web_catalog_test web_catalog_test_mo)
target_compile_definitions(web_catalog_test
                           PRIVATE NMIRF_TEST_MO="${web_gen}/web_catalog_test.mo")
