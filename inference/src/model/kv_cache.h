// Keys and values of every cached position, per layer and sequence slot.
// Global layers keep the whole context; a sliding-window layer keeps only a
// ring of window + max_batch - 1 positions, which is all a batch of queries
// can see (the oldest query needs `window` keys back, the newest key is
// max_batch - 1 positions later).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "gemma/engine.h"
#include "gemma/status.h"
#include "model/config.h"

namespace gemma {

class KvCache {
 public:
  static StatusOr<std::unique_ptr<KvCache>> Create(const ModelConfig& config, size_t context_length,
                                                   size_t max_batch_tokens, size_t n_seq,
                                                   KvCacheType type);
  ~KvCache();

  bool is_f16() const { return f16_; }
  size_t n_seq() const { return n_seq_; }
  size_t context_length() const { return ctx_; }
  size_t Capacity(size_t layer) const { return layers_[layer].capacity; }
  size_t bytes() const { return bytes_; }

  // The kv_dim-element row of keys / values stored for `pos` of `seq`;
  // element type float or uint16_t (fp16) per is_f16().
  void* K(size_t layer, size_t seq, size_t pos) { return Row(layers_[layer].k, layer, seq, pos); }
  void* V(size_t layer, size_t seq, size_t pos) { return Row(layers_[layer].v, layer, seq, pos); }

  int32_t length(size_t seq) const { return length_[seq]; }
  void set_length(size_t seq, int32_t n) { length_[seq] = n; }
  // Forgets everything cached for `seq`.
  void Reset(size_t seq) {
    length_[seq] = 0;
    high_water_[seq] = 0;
  }
  // The oldest position whose keys are still intact in a ring, per sequence
  // (positions below it were overwritten). Used to decide if truncation keeps
  // what the next query would need.
  bool CanTruncate(size_t seq, int32_t pos) const;

 private:
  struct Layer {
    size_t capacity = 0;  // positions held (ring size)
    uint8_t* k = nullptr;
    uint8_t* v = nullptr;
    bool local = false;
  };
  KvCache() = default;
  void* Row(uint8_t* base, size_t layer, size_t seq, size_t pos) {
    const Layer& l = layers_[layer];
    return base + ((seq * l.capacity + pos % l.capacity) * kv_dim_) * elem_bytes_;
  }

  bool f16_ = false;
  size_t n_seq_ = 0, ctx_ = 0, kv_dim_ = 0, elem_bytes_ = 4, window_ = 0, bytes_ = 0;
  std::vector<Layer> layers_;
  std::vector<int32_t> length_;
  std::vector<int32_t> high_water_;  // furthest position ever written per seq
  std::unique_ptr<uint8_t[], void (*)(void*)> storage_{nullptr, nullptr};
  friend class ForwardPass;
};

}  // namespace gemma
