// Token sampling from a logits row. Buffers are sized once at construction so
// sampling a token never allocates.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "gemma/sampling.h"
#include "gemma/status.h"

namespace gemma {

class Sampler {
 public:
  // Fails with InvalidArgument naming the field for out-of-range parameters
  // (negative temperature, top_p outside (0, 1], ...).
  static StatusOr<Sampler> Create(size_t vocab_size, const SamplingParams& params);

  // Applies penalties (from tokens passed to Accept), then greedy or
  // temperature / top-k / top-p / min-p sampling. `logits` (vocab_size floats)
  // may be modified.
  int32_t Sample(float* logits);
  // Records a token of the context (prompt or generated) for the penalties.
  void Accept(int32_t token);
  // Forgets history and reseeds.
  void Reset(uint64_t seed);

  const SamplingParams& params() const { return params_; }

 private:
  Sampler(size_t vocab_size, const SamplingParams& params);
  void ApplyPenalties(float* logits);
  int32_t Greedy(const float* logits) const;
  uint64_t NextRandom();  // xoshiro256**

  SamplingParams params_;
  size_t vocab_size_ = 0;
  bool penalties_on_ = false;
  uint64_t rng_[4] = {};
  // Sized vocab_size in Create(); Sample() only writes into them.
  std::vector<int32_t> candidates_;  // candidate token ids
  std::vector<double> weights_;      // softmax weights, indexed by token id
  std::vector<int32_t> counts_;      // occurrences of each token in the penalty window
  // penalty_last_n > 0: ring buffer of the last accepted tokens (grows up to
  // penalty_last_n, then wraps at ring_pos_). penalty_last_n == -1: the
  // distinct tokens seen so far (capacity vocab_size; counts are cumulative).
  std::vector<int32_t> history_;
  size_t ring_pos_ = 0;
};

}  // namespace gemma
