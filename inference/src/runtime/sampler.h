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
  // implementation-defined members
};

}  // namespace gemma
