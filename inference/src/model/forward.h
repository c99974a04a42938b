// The Gemma forward pass over a batch of tokens from any sequences: embed,
// per layer (norm, QKV, QK-norm, RoPE, attention over the KV cache, output,
// post-norm, residual, GeGLU FFN, post-norm, residual), final norm, tied
// output projection, soft-cap. Buffers come from an arena sized for
// max_batch_tokens at construction, so Run() never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "gemma/engine.h"
#include "model/config.h"
#include "model/kv_cache.h"
#include "model/weights.h"
#include "runtime/arena.h"
#include "runtime/thread_pool.h"

namespace gemma {

class ForwardPass {
 public:
  static StatusOr<std::unique_ptr<ForwardPass>> Create(const ModelConfig& config,
                                                       const ModelWeights& weights,
                                                       size_t max_batch_tokens, size_t num_threads,
                                                       size_t max_context);

  // Tokens must be validated by the caller (ids, slots, positions).
  void Run(std::span<const BatchToken> batch, KvCache& kv, ThreadPool& pool, float* logits);

  size_t arena_bytes() const { return arena_.capacity(); }

 private:
  ForwardPass(const ModelConfig& c, const ModelWeights& w) : c_(c), w_(w) {}

  struct MatJob {
    const kernels::MatView* w;
    float* y;  // [n_tokens][w->rows]
  };
  // y_j = x W_j^T for up to three matrices sharing the input x [n][cols],
  // split into row chunks across the pool.
  void MatMuls(ThreadPool& pool, const float* x, size_t n, std::initializer_list<MatJob> jobs);
  void Attention(size_t layer, std::span<const BatchToken> batch, KvCache& kv, ThreadPool& pool);
  void ComputeRope(std::span<const BatchToken> batch);

  const ModelConfig& c_;
  const ModelWeights& w_;
  size_t max_batch_ = 0;
  size_t num_threads_ = 1;
  size_t max_context_ = 0;
  Arena arena_;
  // Activations, [max_batch][dim] each.
  float *x_ = nullptr, *xn_ = nullptr, *q_ = nullptr, *k_ = nullptr, *v_ = nullptr;
  float *att_ = nullptr, *o_ = nullptr, *gate_ = nullptr, *up_ = nullptr;
  uint8_t* prepared_ = nullptr;  // activations converted for quantized matmuls
  size_t q8k_offset_ = 0;        // where the Q8_K form (K-quant weights) starts in prepared_
  // RoPE tables per token: cos/sin for local and global layers [max_batch][head_dim/2].
  float *cos_local_ = nullptr, *sin_local_ = nullptr, *cos_global_ = nullptr,
        *sin_global_ = nullptr;
  std::vector<double> inv_freq_local_, inv_freq_global_;
  float* scores_ = nullptr;      // [num_threads][max_context]
  int32_t* out_rows_ = nullptr;  // batch indices that want logits
};

}  // namespace gemma
