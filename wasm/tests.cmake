# gemma-wasm tests (ctest label "wasm"), included by the top-level
# CMakeLists.txt. They build both WebAssembly variants with Emscripten
# (wasm/build.sh, into build/wasm-st and build/wasm-mt), install the npm dev
# dependencies (typescript, playwright-core) and run the Node.js and headless
# Chromium tests against the native `gemma` CLI of this build. Without em++
# every test is skipped (exit 77) with a message saying so; with em++ a
# missing build output is a failure, never a skip.
if(GEMMA_SANITIZE OR NOT TARGET gemma)
  return()  # the wasm build does not use this toolchain; nothing to sanitize
endif()

set(_wasm_dir ${CMAKE_CURRENT_LIST_DIR})
set(_wasm_guard "command -v em++ >/dev/null 2>&1 || { echo 'em++ (Emscripten) not found: gemma-wasm tests skipped (apt-get install emscripten)'; exit 77; }")

add_test(NAME wasm.npm_ci
  COMMAND sh -c "${_wasm_guard}; npm ci --no-audit --no-fund --loglevel=error"
  WORKING_DIRECTORY ${_wasm_dir})
set_tests_properties(wasm.npm_ci PROPERTIES LABELS wasm FIXTURES_SETUP wasm_npm SKIP_RETURN_CODE 77 TIMEOUT 600)

add_test(NAME wasm.build
  COMMAND sh -c "${_wasm_guard}; exec ./build.sh all"
  WORKING_DIRECTORY ${_wasm_dir})
set_tests_properties(wasm.build PROPERTIES LABELS wasm FIXTURES_SETUP wasm_dist SKIP_RETURN_CODE 77
  TIMEOUT 1800 ENVIRONMENT "GEMMA_WASM_BUILD_ROOT=${CMAKE_SOURCE_DIR}/build")

foreach(_t golden api types pack browser)
  add_test(NAME wasm.${_t}
    COMMAND sh -c "${_wasm_guard}; exec node --test --test-reporter=spec tests/${_t}.test.mjs"
    WORKING_DIRECTORY ${_wasm_dir})
  set_tests_properties(wasm.${_t} PROPERTIES LABELS wasm SKIP_RETURN_CODE 77 TIMEOUT 900
    FIXTURES_REQUIRED "wasm_dist;wasm_npm" RESOURCE_LOCK wasm
    ENVIRONMENT "GEMMA_BIN=$<TARGET_FILE:gemma>;GEMMA_WASM_REQUIRE_BUILD=1;GEMMA_WASM_TEST_OUT=${CMAKE_BINARY_DIR}/wasm-test-results")
endforeach()
