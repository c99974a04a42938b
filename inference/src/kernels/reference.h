// Plain scalar reference implementations of every kernel in kernels.h. They
// are deliberately simple (one loop, double accumulation where it matters) and
// exist only to check the SIMD kernels in tests; they are not used by the
// engine. Numerics are commented where they define what "correct" means.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/types.h"

namespace gemma::kernels::ref {

// llama.cpp's x86 quantize_row_q8_0 (the activation side of Q8_0/Q4_0 dot
// products): per block of 32, amax = max|x|, d = amax / 127 stored as fp16,
// id = amax != 0 ? 127 / amax : 0 (float), q = round-half-even(x * id) in
// float. Note that q is computed with the unrounded id, not 1 / fp16(d).
void QuantizeRowQ8_0(const float* x, size_t n, BlockQ8_0* out);

// llama.cpp's quantize_row_q8_K_ref (the activation side of K-quant dot
// products): per 256, max = the x of largest |x| (first on ties), iscale =
// -127 / max, q = min(127, round-half-even(iscale * x)), d = 1 / iscale,
// bsums = sums of 16 quants; an all-zero block is all zero.
void QuantizeRowQ8_K(const float* x, size_t n, BlockQ8_K* out);

size_t PreparedRowBytes(DType weight_type, size_t cols);
void PrepareActivations(DType weight_type, const float* x, size_t n_tokens, size_t cols,
                        size_t x_stride, uint8_t* out);

// Dot product of one weight row (in its block layout) with one prepared
// activation row, accumulated in double:
//   F32/F16/BF16: sum_i w_i * x_i with w widened exactly to f32.
//   Q8_0/Q4_0:    sum_blocks f32(d_w) * f32(d_x) * isum, where isum is the
//                 exact integer dot of the 32 (q_w [- 8 for Q4_0]) * q_x.
//   K-quants:     sum_superblocks f32(d_w * d_x) * isum - f32(dmin_w * d_x) * imin
//                 with isum = sum sc * q_w * q_x, imin = sum m * bsum (kquant.h).
// Also returns in *abs_sum the sum of |terms| (used to scale tolerances).
double DotRow(DType type, const uint8_t* w_row, const uint8_t* x_prepared, size_t cols,
              double* abs_sum = nullptr);
void MatMul(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin, size_t row_end,
            float* y, size_t y_stride);
void DequantizeRow(DType type, const uint8_t* row, size_t n, float* out);

// out = x * (1 / sqrt(mean(x^2) + eps)) * w, mean computed in double.
void RMSNorm(const float* x, const float* w, size_t n, float eps, float* out);
// Exact tanh-approximate GELU in double: 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).
void GeluTanhMul(float* gate, const float* up, size_t n);
void Softmax(float* x, size_t n);  // double exp/sum
void SoftCap(float* x, size_t n, float cap);
void Add(float* acc, const float* x, size_t n);
void Scale(float* x, size_t n, float s);
void RopeNeox(float* x, size_t head_dim, const float* cos, const float* sin);
double Dot(const float* a, const float* b, size_t n);
double DotF16(const float* a, const uint16_t* b, size_t n);
void Axpy(float a, const float* x, float* y, size_t n);
void AxpyF16(float a, const uint16_t* x, float* y, size_t n);
void F32ToF16Row(const float* x, uint16_t* out, size_t n);
void F16ToF32Row(const uint16_t* x, float* out, size_t n);

}  // namespace gemma::kernels::ref
