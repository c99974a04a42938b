// Scalar reference quantizers, byte-identical to llama.cpp's
// quantize_row_q8_0_ref / quantize_row_q4_0_ref (ggml-quants.c), and
// conversions between the weight types gemma-core runs. Not a hot path: used
// by `gemma quantize` / `gemma convert`, once per tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gemma/status.h"
#include "kernels/types.h"

namespace gemma::quant {

// Q8_0, per block of 32: amax = max |x|; d = amax / 127; id = d ? 1/d : 0;
// q = roundf(x * id) (half away from zero); d stored as fp16 (nearest even).
void QuantizeRowQ8_0(const float* x, size_t n, uint8_t* out);
// Q4_0, per block of 32: max = the x of largest |x| (first on ties);
// d = max / -8; id = d ? 1/d : 0; q = min(15, (int8_t)(x * id + 8.5f));
// byte j = q[j] | q[j + 16] << 4.
void QuantizeRowQ4_0(const float* x, size_t n, uint8_t* out);

// Writes n f32 values as `type` (F32, F16, BF16, Q8_0, Q4_0 or Q2_K..Q6_K
// (kquant_quantize.h); n a multiple of the type's block). Returns false for a
// type it cannot write.
bool EncodeRow(DType type, const float* x, size_t n, uint8_t* out);

// The matrix type of a `gemma quantize --type` name (ParseQuantSpec in
// kquant_mix.h; for q4_k_m / q5_k_m the mixture's default type, Q4_K / Q5_K).
StatusOr<DType> ParseTargetType(std::string_view name);

// llama.cpp's general.file_type (enum llama_ftype) for a file whose matrices
// are `type`: F32 0, F16 1, Q4_0 2, Q8_0 7, BF16 32, Q2_K 10, Q3_K 11
// (Q3_K_S), Q4_K 14 (Q4_K_S), Q5_K 16 (Q5_K_S), Q6_K 18.
uint32_t LlamaFileType(DType type);

}  // namespace gemma::quant
