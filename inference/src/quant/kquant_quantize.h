// Reference K-quant quantizers, byte-identical to llama.cpp's
// quantize_row_q{2,3,4,5,6}_K_ref (ggml-quants.c at c392e509), which is what
// llama-quantize runs when no importance matrix is given. Not a hot path.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/types.h"

namespace gemma::quant {

// n (a multiple of 256) floats as blocks of `type` (Q2_K..Q6_K). Returns false
// for any other type.
bool QuantizeRowK(DType type, const float* x, size_t n, uint8_t* out);

}  // namespace gemma::quant
