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

// Writes n f32 values as `type` (F32, F16, BF16, Q8_0 or Q4_0; n a multiple
// of the type's block). Returns false for a type it cannot write.
bool EncodeRow(DType type, const float* x, size_t n, uint8_t* out);

// Parses a `gemma quantize --type` name: q8_0, q4_0, f16, bf16, f32. K-quant
// names (q4_k, q5_k, q6_k, q3_k, q2_k, q4_k_m, q5_k_m, ...) are kUnsupported
// with a message saying they are not supported yet; others kInvalidArgument.
StatusOr<DType> ParseTargetType(std::string_view name);

// llama.cpp's general.file_type (enum llama_ftype) for a file whose matrices
// are `type`: F32 0, F16 1, Q4_0 2, Q8_0 7, BF16 32.
uint32_t LlamaFileType(DType type);

}  // namespace gemma::quant
