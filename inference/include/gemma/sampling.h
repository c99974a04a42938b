// Sampling parameters shared by the CLI, the server and the wasm build.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gemma {

struct SamplingParams {
  float temperature = 0.0f;         // 0 = greedy (argmax, lowest id wins ties)
  int top_k = 0;                    // 0 = off
  float top_p = 1.0f;               // 1 = off
  float min_p = 0.0f;               // 0 = off; keep tokens with p >= min_p * p_max
  float repetition_penalty = 1.0f;  // 1 = off (CTRL-style: divide positive logits)
  float presence_penalty = 0.0f;    // OpenAI semantics
  float frequency_penalty = 0.0f;   // OpenAI semantics
  int penalty_last_n = 64;          // window the penalties look at; -1 = whole history
  uint64_t seed = 0;                // same seed + same logits -> same tokens
};

}  // namespace gemma
