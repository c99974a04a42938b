# windows-x64: MinGW-w64 GCC 12 with POSIX threads (std::thread needs them),
# linked statically so the .exe files need no MinGW DLLs. Tests run under
# wine through CMAKE_CROSSCOMPILING_EMULATOR (cross/wine-run.sh: a private
# WINEPREFIX, no debug chatter). Highway and GoogleTest come from
# cross/cmake/mingw-deps.cmake (the windows-x64 preset loads it).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(GEMMA_CROSS_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${GEMMA_CROSS_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${GEMMA_CROSS_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${GEMMA_CROSS_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${GEMMA_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# GCC cannot align the stack beyond 16 bytes on Win64 (GCC bug 54412), so a
# spilled AVX/AVX-512 register written with an aligned move (vmovaps) to a
# 32/64-byte stack slot faults. The assembler option turns every aligned
# vector move into its unaligned form (same speed on aligned data).
set(CMAKE_C_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
set(CMAKE_CXX_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/../wine-run.sh)
