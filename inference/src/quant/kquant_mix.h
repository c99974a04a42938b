// Which type each tensor gets for a `gemma quantize --type` choice, following
// llama.cpp's llama_tensor_get_type (src/llama-quant.cpp at c392e509) for the
// Gemma architectures (no experts, no output.weight: the embedding is tied).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gemma/status.h"
#include "kernels/types.h"

namespace gemma::quant {

// A parsed `--type`: every matrix `type` (Mixture::kNone), or a llama.cpp
// mixture whose default is `type`.
enum class Mixture { kNone, kQ4_K_M, kQ5_K_M };
struct QuantSpec {
  DType type = DType::kF32;
  Mixture mixture = Mixture::kNone;
  uint32_t llama_ftype = 0;  // general.file_type (enum llama_ftype)
};

// q8_0, q4_0, f16, bf16, f32, q2_k, q3_k, q4_k, q5_k, q6_k, q4_k_m, q5_k_m
// (case-insensitive). Other K-quant names (q4_k_s, q3_k_m, ...) are
// kUnsupported; anything else kInvalidArgument.
StatusOr<QuantSpec> ParseQuantSpec(std::string_view name);

// Per-tensor types for one model. Rules (K-quant specs; others: every matrix
// gets spec.type):
//   * token_embd.weight (tied output, as llama.cpp treats it): Q6_K (Q8_0 if
//     its rows are not a multiple of 256) - except for the "pure" single-type
//     specs q2_k..q6_k, which quantize it like every other matrix.
//   * q4_k_m / q5_k_m: attn_v.weight and ffn_down.weight of the layers where
//     use_more_bits(i, n) (i < n/8, i >= 7n/8, or (i - n/8) % 3 == 2) get Q6_K.
//   * A K-quant tensor whose rows are not a multiple of 256 falls back as in
//     llama.cpp: Q6_K -> Q8_0. llama.cpp's Q4_K -> Q5_0, Q5_K -> Q5_1 and
//     Q2_K/Q3_K -> IQ4_NL have no kernels here: those become Q8_0 (F16 when
//     the rows are not a multiple of 32 either). This is the one place our
//     files can differ from llama-quantize's.
class TensorTypePlanner {
 public:
  TensorTypePlanner(const QuantSpec& spec, const std::vector<std::string>& tensor_names);
  // Type of matrix `name` whose rows hold `cols` elements.
  DType TypeFor(const std::string& name, uint64_t cols) const;

 private:
  QuantSpec spec_;
  int n_attn_v_ = 0, n_ffn_down_ = 0;
  bool has_output_ = false;
};

}  // namespace gemma::quant
