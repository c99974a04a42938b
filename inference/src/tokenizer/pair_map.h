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
    keys_.assign(cap, kEmpty);
    values_.assign(cap, Value{0, 0});
    mask_ = cap - 1;
  }
  // Inserts unless the pair is present (the first, best rank is kept).
  void Insert(int32_t a, int32_t b, Value v) {
    if (keys_.empty() || (size_ + 1) * 2 > keys_.size()) Grow();
    const uint64_t k = Key(a, b);
    for (uint64_t h = Hash(k) & mask_;; h = (h + 1) & mask_) {
      if (keys_[h] == k) return;
      if (keys_[h] == kEmpty) {
        keys_[h] = k;
        values_[h] = v;
        ++size_;
        return;
      }
    }
  }
  const Value* Find(int32_t a, int32_t b) const {
    if (size_ == 0) return nullptr;
    const uint64_t k = Key(a, b);
    for (uint64_t h = Hash(k) & mask_;; h = (h + 1) & mask_) {
      if (keys_[h] == k) return &values_[h];
      if (keys_[h] == kEmpty) return nullptr;
    }
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are >= 0: never a key
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
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<Value> old_values = std::move(values_);
    Reserve(old_keys.empty() ? 8 : old_keys.size());
    size_ = 0;
    for (size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] != kEmpty) {
        Insert(static_cast<int32_t>(old_keys[i] >> 32), static_cast<int32_t>(old_keys[i] & 0xFFFFFFFFu),
               old_values[i]);
      }
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<Value> values_;
  uint64_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace gemma::tok
