#include "model/kv_cache.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "runtime/aligned_alloc.h"

namespace gemma {

KvCache::~KvCache() = default;

StatusOr<std::unique_ptr<KvCache>> KvCache::Create(const ModelConfig& c, size_t ctx,
                                                   size_t max_batch, size_t n_seq,
                                                   KvCacheType type) {
  if (ctx == 0 || n_seq == 0 || max_batch == 0) {
    return InvalidArgument("KV cache needs context_length, max_sequences and max_batch_tokens > 0");
  }
  std::unique_ptr<KvCache> kv(new KvCache());
  kv->f16_ = type == KvCacheType::kF16;
  kv->n_seq_ = n_seq;
  kv->ctx_ = ctx;
  kv->kv_dim_ = c.kv_dim();
  kv->elem_bytes_ = kv->f16_ ? 2 : 4;
  kv->window_ = c.sliding_window;
  kv->layers_.resize(c.n_layers);
  size_t total = 0;
  for (size_t il = 0; il < c.n_layers; ++il) {
    Layer& l = kv->layers_[il];
    l.local = c.IsLocalLayer(il);
    l.capacity = l.local ? std::min(ctx, c.sliding_window + max_batch - 1) : ctx;
    total += 2 * n_seq * l.capacity * kv->kv_dim_ * kv->elem_bytes_;
  }
  void* mem = AlignedAlloc(64, total);
  if (mem == nullptr) {
    return ResourceExhausted("cannot allocate " + std::to_string(total >> 20) + " MiB of KV cache");
  }
  // Zeroed so that unused slots never hold NaN bit patterns.
  std::memset(mem, 0, total);
  kv->storage_ = {static_cast<uint8_t*>(mem), AlignedFree};
  uint8_t* p = kv->storage_.get();
  for (Layer& l : kv->layers_) {
    const size_t half = n_seq * l.capacity * kv->kv_dim_ * kv->elem_bytes_;
    l.k = p;
    l.v = p + half;
    p += 2 * half;
  }
  kv->bytes_ = total;
  kv->length_.assign(n_seq, 0);
  kv->high_water_.assign(n_seq, 0);
  return kv;
}

bool KvCache::CanTruncate(size_t seq, int32_t pos) const {
  if (pos < 0 || pos > length_[seq]) return false;
  // Positions [pos, high_water) were written after [pos - window, pos) and
  // may have landed on their ring slots.
  const int64_t written_after = static_cast<int64_t>(high_water_[seq]) - pos;
  for (const Layer& l : layers_) {
    if (!l.local) continue;
    if (written_after > static_cast<int64_t>(l.capacity) - static_cast<int64_t>(window_))
      return false;
  }
  return true;
}

}  // namespace gemma
