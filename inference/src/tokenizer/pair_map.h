// Open-addressing hash map from a pair of piece ids to (merge rank, merged
// id): the merge table of merge-rank BPE. Faster to build and probe than
// std::unordered_map for the ~500k merges of Gemma vocabularies.
#pragma once

#include <cstdint>
#include <vector>

namespace gemma::tok {

class PairMap {
 public:
  struct Value {
    int32_t rank;
    int32_t id;
  };
  void Reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Slot{kEmpty, Value{0, 0}});
    mask_ = cap - 1;
  }
  // Inserts unless the pair is present (the first inserted value is kept).
  void Insert(int32_t a, int32_t b, Value v) {
    if (slots_.empty() || (size_ + 1) * 2 > slots_.size()) Grow();
    const uint64_t k = Key(a, b);
    for (uint64_t h = Hash(k) & mask_;; h = (h + 1) & mask_) {
      Slot& s = slots_[h];
      if (s.key == k) return;
      if (s.key == kEmpty) {
        s.key = k;
        s.value = v;
        ++size_;
        return;
      }
    }
  }
  const Value* Find(int32_t a, int32_t b) const {
    if (size_ == 0) return nullptr;
    const uint64_t k = Key(a, b);
    for (uint64_t h = Hash(k) & mask_;; h = (h + 1) & mask_) {
      const Slot& s = slots_[h];
      if (s.key == k) return &s.value;
      if (s.key == kEmpty) return nullptr;
    }
  }
  // Hints the cache line Find(a, b) will probe first.
  void Prefetch(int32_t a, int32_t b) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Hash(Key(a, b)) & mask_]);
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are >= 0: never a key
  // Key and value side by side: one cache line touched per probe.
  struct Slot {
    uint64_t key;
    Value value;
  };
  static uint64_t Key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  static uint64_t Hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    Reserve(old.empty() ? 8 : old.size());
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key != kEmpty) {
        Insert(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFFu),
               s.value);
      }
    }
  }
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace gemma::tok
