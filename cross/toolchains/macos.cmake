# macOS (arm64 or x86_64): native Apple Clang on a Mac, dependencies from
# Homebrew (brew install cmake ninja highway googletest nlohmann-json cli11
# boost openssl@3 tomlplusplus libjwt). The macos-arm64 / macos-x64 presets set
# CMAKE_OSX_ARCHITECTURES; building x86_64 on an arm64 Mac needs x86_64
# Homebrew libraries (/usr/local), so CI builds each on its own runner.
# Not verifiable on the Linux build machines: see docs/CROSS.md.
set(CMAKE_C_COMPILER clang)
set(CMAKE_CXX_COMPILER clang++)
if(NOT CMAKE_OSX_DEPLOYMENT_TARGET)
  set(CMAKE_OSX_DEPLOYMENT_TARGET 12.0)
endif()
if(CMAKE_OSX_ARCHITECTURES STREQUAL "x86_64")
  list(APPEND CMAKE_PREFIX_PATH /usr/local)
else()
  list(APPEND CMAKE_PREFIX_PATH /opt/homebrew)
endif()
