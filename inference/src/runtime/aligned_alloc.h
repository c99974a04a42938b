// Aligned heap blocks on every platform: std::aligned_alloc (C++17) where the
// C library has it; MinGW-w64 and MSVC have no aligned_alloc (their free()
// cannot release over-aligned blocks), so _aligned_malloc/_aligned_free there.
// Memory from AlignedAlloc must be released with AlignedFree.
#pragma once

#include <cstddef>
#include <cstdlib>
#ifdef _WIN32
#include <malloc.h>
#endif

namespace gemma {

// `bytes` is rounded up to a multiple of `align` (a power of two), as
// std::aligned_alloc requires.
inline void* AlignedAlloc(size_t align, size_t bytes) {
  bytes = (bytes + align - 1) / align * align;
#ifdef _WIN32
  return _aligned_malloc(bytes, align);
#else
  return std::aligned_alloc(align, bytes);
#endif
}

inline void AlignedFree(void* p) {
#ifdef _WIN32
  _aligned_free(p);
#else
  std::free(p);
#endif
}

}  // namespace gemma
