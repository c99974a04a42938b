# linux-arm64: Debian's aarch64-linux-gnu GCC 12 with libraries from Debian
# multiarch (libhwy-dev:arm64, libgtest-dev:arm64, ... in
# /usr/lib/aarch64-linux-gnu; scripts/install-cross-deps.sh installs them).
# Tests run under qemu-aarch64 (user mode) through CMAKE_CROSSCOMPILING_EMULATOR
# (-L: see below), so ctest and gtest_discover_tests work unchanged. QEMU_CPU in the
# environment picks the emulated CPU (cross/run-arm64-simd.sh uses it to run
# the kernel tests on NEON, SVE and SVE2).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(GEMMA_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${GEMMA_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${GEMMA_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${GEMMA_CROSS_TRIPLE})

# Multiarch: target libraries live in /usr/lib/aarch64-linux-gnu, headers in
# /usr/include (shared) and /usr/include/aarch64-linux-gnu; the cross GCC
# searches both. CMake finds packages through CMAKE_LIBRARY_ARCHITECTURE;
# programs (python3, bash) are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/${GEMMA_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config (libjwt for the server) must only see arm64 .pc files.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${GEMMA_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# The emulator's library root must match the dynamic loader: Debian multiarch
# (libhwy1:arm64 pulls in libc6:arm64) installs /lib/ld-linux-aarch64.so.1 and
# its libc in /lib/aarch64-linux-gnu. With -L /usr/aarch64-linux-gnu, qemu
# takes the cross toolchain's ld.so (libc6-arm64-cross) but that ld.so reads
# the host's /etc/ld.so.cache and loads the multiarch libc.so.6 - a different
# build of glibc - and pthread_create then spins forever. So: -L / whenever
# the multiarch loader exists, else the cross toolchain's root.
if(EXISTS /lib/ld-linux-aarch64.so.1)
  set(GEMMA_QEMU_LD_PREFIX /)
else()
  set(GEMMA_QEMU_LD_PREFIX /usr/${GEMMA_CROSS_TRIPLE})
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;${GEMMA_QEMU_LD_PREFIX})
