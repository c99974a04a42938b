// A bump allocator over one aligned block, sized before use. Activations of
// the forward pass live here: computing a token never touches the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "runtime/aligned_alloc.h"

namespace gemma {

class Arena {
 public:
  static constexpr size_t kAlign = 64;  // cache line, and enough for AVX-512 loads

  Arena() = default;
  ~Arena() { AlignedFree(base_); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Reserves `bytes` (rounded up); returns false if memory is short.
  bool Reserve(size_t bytes) {
    AlignedFree(base_);
    capacity_ = RoundUp(bytes);
    used_ = 0;
    base_ = static_cast<uint8_t*>(AlignedAlloc(kAlign, capacity_ ? capacity_ : kAlign));
    return base_ != nullptr;
  }

  // Carves `count` T's; nullptr when the arena is exhausted (a sizing bug).
  template <class T>
  T* Take(size_t count) {
    const size_t bytes = RoundUp(count * sizeof(T));
    if (base_ == nullptr || used_ + bytes > capacity_) return nullptr;
    T* p = reinterpret_cast<T*>(base_ + used_);
    used_ += bytes;
    return p;
  }

  static size_t RoundUp(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
  size_t capacity() const { return capacity_; }
  size_t used() const { return used_; }

 private:
  uint8_t* base_ = nullptr;
  size_t capacity_ = 0;
  size_t used_ = 0;
};

}  // namespace gemma
