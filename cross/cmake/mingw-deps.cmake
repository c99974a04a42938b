# Dependency provider for the windows-x64 (MinGW-w64) build, loaded through
# CMAKE_PROJECT_TOP_LEVEL_INCLUDES by the windows-x64 preset. Debian has no
# MinGW builds of Highway or GoogleTest, so find_package() for them is
# answered here from what Debian does ship:
#   hwy::hwy          Highway 1.0.3 headers (/usr/include/hwy, arch-independent)
#                     + cross/hwy_shim (its few out-of-line functions)
#   GTest::gtest...   GoogleTest built from /usr/src/googletest (package googletest)
#   nlohmann_json, CLI11: header-only, from /usr/include
# Headers are exposed through a private include directory of symlinks, never
# -I/usr/include (that would put glibc's headers in front of MinGW's).
# Every other package falls through to CMake's normal search inside the MinGW
# sysroot (CMAKE_FIND_ROOT_PATH).
set(_gemma_cross_dir "${CMAKE_CURRENT_LIST_DIR}/..")
set(GEMMA_HOST_INCLUDE "/usr/include" CACHE PATH "Host include dir holding hwy/, nlohmann/, CLI/")
set(GEMMA_GTEST_SOURCE "/usr/src/googletest" CACHE PATH "GoogleTest sources (Debian package googletest)")

function(gemma_cross_include_dir out)
  set(dir ${CMAKE_BINARY_DIR}/_cross_include)
  foreach(sub hwy nlohmann CLI)
    if(EXISTS ${GEMMA_HOST_INCLUDE}/${sub} AND NOT EXISTS ${dir}/${sub})
      file(MAKE_DIRECTORY ${dir})
      file(CREATE_LINK ${GEMMA_HOST_INCLUDE}/${sub} ${dir}/${sub} SYMBOLIC)
    endif()
  endforeach()
  set(${out} ${dir} PARENT_SCOPE)
endfunction()

macro(gemma_mingw_provide_dependency method package)
  if("${package}" STREQUAL "hwy")
    if(NOT TARGET hwy::hwy)
      if(NOT EXISTS ${GEMMA_HOST_INCLUDE}/hwy/highway.h)
        message(FATAL_ERROR "windows-x64: Highway headers not found in ${GEMMA_HOST_INCLUDE}/hwy "
                            "(apt-get install libhwy-dev)")
      endif()
      gemma_cross_include_dir(_gemma_inc)
      add_library(gemma_hwy_shim STATIC ${_gemma_cross_dir}/hwy_shim/hwy_shim.cc)
      target_include_directories(gemma_hwy_shim SYSTEM PUBLIC ${_gemma_inc})
      add_library(hwy::hwy ALIAS gemma_hwy_shim)
    endif()
    set(hwy_FOUND TRUE)
    set(hwy_VERSION 1.0.3)
  elseif("${package}" STREQUAL "GTest")
    if(NOT TARGET GTest::gtest)
      if(NOT EXISTS ${GEMMA_GTEST_SOURCE}/CMakeLists.txt)
        message(FATAL_ERROR "windows-x64: GoogleTest sources not found in ${GEMMA_GTEST_SOURCE} "
                            "(apt-get install googletest)")
      endif()
      set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
      set(BUILD_GMOCK ON CACHE BOOL "" FORCE)
      add_subdirectory(${GEMMA_GTEST_SOURCE} ${CMAKE_BINARY_DIR}/_deps/googletest EXCLUDE_FROM_ALL)
    endif()
    set(GTest_FOUND TRUE)
    set(GTEST_FOUND TRUE)
  elseif("${package}" STREQUAL "nlohmann_json" OR "${package}" STREQUAL "CLI11")
    if(NOT TARGET ${package}::${package})
      gemma_cross_include_dir(_gemma_inc)
      add_library(gemma_cross_${package} INTERFACE)
      target_include_directories(gemma_cross_${package} SYSTEM INTERFACE ${_gemma_inc})
      add_library(${package}::${package} ALIAS gemma_cross_${package})
    endif()
    set(${package}_FOUND TRUE)
  else()
    find_package(${package} ${ARGN} BYPASS_PROVIDER)
  endif()
endmacro()

cmake_language(SET_DEPENDENCY_PROVIDER gemma_mingw_provide_dependency
               SUPPORTED_METHODS FIND_PACKAGE)
