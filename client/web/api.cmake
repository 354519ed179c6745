# nmirf-web's API (docs/WEB.md section 2): the control client, every
# /api/ endpoint behind the login, and the hub of live updates, as the
# library nmirf_web_api that the core's program links (web.h).
find_package(Threads REQUIRED) # the HTTP threads call the API; the hub has its own
add_library(nmirf_web_api STATIC
  ${CMAKE_CURRENT_LIST_DIR}/web_agent.c
  ${CMAKE_CURRENT_LIST_DIR}/web_form.c
  ${CMAKE_CURRENT_LIST_DIR}/web_api.c
  ${CMAKE_CURRENT_LIST_DIR}/web_api_reads.c
  ${CMAKE_CURRENT_LIST_DIR}/web_api_writes.c
  ${CMAKE_CURRENT_LIST_DIR}/web_api_import.c
  ${CMAKE_CURRENT_LIST_DIR}/web_api_stats.c
  ${CMAKE_CURRENT_LIST_DIR}/web_hub.c)
target_include_directories(nmirf_web_api PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nmirf_web_api PUBLIC nmirf_proto nmirf_notify nmirf_records nmirf_base
                      nmirf_stats_html Threads::Threads m)
