# Scheduler tests (gtest). Included by server/CMakeLists.txt when tests are on.
include(GoogleTest)
add_executable(scheduler_tests ${CMAKE_CURRENT_LIST_DIR}/scheduler_test.cc)
target_link_libraries(scheduler_tests PRIVATE gemma_scheduler gemma_test_support gemma_warnings)
gtest_discover_tests(scheduler_tests PROPERTIES LABELS server DISCOVERY_TIMEOUT 60)
