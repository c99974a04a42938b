# Continuous-batching scheduler (scheduler.h). Included by server/CMakeLists.txt;
# kept in its own file so the scheduler builds and tests without the HTTP layer.
add_library(gemma_scheduler STATIC
  ${CMAKE_CURRENT_LIST_DIR}/scheduler.cc
  ${CMAKE_CURRENT_LIST_DIR}/sequence.cc)
target_link_libraries(gemma_scheduler PUBLIC gemma::inference PRIVATE gemma_warnings)
target_include_directories(gemma_scheduler PUBLIC ${CMAKE_CURRENT_LIST_DIR})
