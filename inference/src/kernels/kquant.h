// K-quant super-blocks (Q2_K..Q6_K, 256 elements; layouts in types.h) in a
// common integer form, and their exact dequantization. Plain C++ (no SIMD):
// used by DequantizeRow (embedding rows, conversions) and by the portable dot
// products of kquant_dot-inl.h; the x86 fast paths read the blocks directly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/types.h"

namespace gemma::kernels::kq {

// Every K-quant element is value = (d * sc[j]) * q - (dmin * m[j]) for the
// sub-block j = element / 16, with small integers q, sc, m:
//   Q2_K: q 0..3,  sc 0..15, m 0..15      Q3_K: q -4..3,  sc -32..31, m 0
//   Q4_K: q 0..15, sc, m 0..63 (per 32)   Q5_K: q 0..31,  sc, m 0..63 (per 32)
//   Q6_K: q -32..31, sc -128..127, m 0
// (sub-blocks of 32 repeat their scale and min for both halves of 16).
struct Unpacked {
  int8_t q[kSuperBlock];
  int16_t sc[16];
  int16_t m[16];
  float d, dmin;
};
void Unpack(DType type, const uint8_t* block, Unpacked* out);

// n elements (a multiple of 256) of a K-quant row as f32, bit for bit
// llama.cpp's dequantize_row_q*_K: (d * sc) is rounded to f32, then times q,
// then minus the f32 product dmin * m (no fused multiply-add).
void DequantizeRow(DType type, const uint8_t* row, size_t n, float* out);

}  // namespace gemma::kernels::kq
