// The numeric kernels of the forward pass. Each is written once with Google
// Highway (the *-inl.h files) and compiled for every SIMD target; the best
// target the CPU supports is chosen at run time. All functions are pure and
// thread-safe; callers split work (e.g. MatMul row ranges) across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/types.h"

namespace gemma::kernels {

// ---- Target selection -------------------------------------------------------
// Name of the Highway target that dispatched calls use now, e.g. "AVX3_ZEN4".
std::string ActiveTargetName();
// Targets compiled into this binary that this CPU can run, best first.
std::vector<int64_t> AvailableTargets();
std::string TargetName(int64_t target);
// Restricts dispatch to `target` (one of AvailableTargets()); 0 restores the
// default. Tests use this to run every kernel on every target; `gemma` uses it
// for GEMMA_TARGET=avx2 etc. Not thread-safe with concurrent kernel calls.
void ForceTarget(int64_t target);
// Parses a name such as "AVX2" (case-insensitive); returns 0 if unknown.
int64_t TargetFromName(const std::string& name);

// ---- Matrix multiplication ---------------------------------------------------
// A weight matrix of `rows` output features by `cols` inputs, row-major, rows
// `row_bytes` apart, in its GGUF block layout (consumed in place), or for
// Q8_0 / Q4_0 optionally in strips of kStripRows interleaved rows
// (interleave.h), which the AVX3_DL kernels read faster.
struct MatView {
  DType type = DType::kF32;
  const uint8_t* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  size_t row_bytes = 0;
  bool interleaved = false;
};

// Rows per strip of an interleaved matrix.
constexpr size_t kStripRows = 16;
// True when the active target's MatMul is faster on interleaved Q8_0 / Q4_0
// weights than on the GGUF layout (AVX3_DL). Every target computes correct
// results on both layouts.
bool PrefersInterleavedWeights();
// Q8_0 / Q4_0 with rows a multiple of kStripRows, not interleaved yet.
bool CanInterleave(const MatView& w);
// Rewrites w's bytes in place into the interleaved layout and marks w so.
// `writable` must be w.data, in memory the caller may write. Requires
// CanInterleave(*w); the matrix's size does not change.
void InterleaveRows(MatView* w, uint8_t* writable);
// Row r of w (any type and layout) as f32: w.cols elements.
void DequantizeMatRow(const MatView& w, size_t r, float* out);

// Activations are converted once per matmul input into the form the weight
// type's dot product consumes, then shared by every matmul reading that input
// (Q, K and V; gate and up). Q8_0/Q4_0 weights take Q8_0 activations (as
// llama.cpp does: d = amax/127 rounded to fp16, values rounded to nearest
// even), so integer dot products can be used. F32/F16/BF16 weights take f32.
size_t PreparedRowBytes(DType weight_type, size_t cols);
void PrepareActivations(DType weight_type, const float* x, size_t n_tokens, size_t cols,
                        size_t x_stride, uint8_t* out);

// y[t * y_stride + r] = dot(W row r, x_t) for t < n_tokens and
// row_begin <= r < row_end. `x` holds n_tokens prepared rows, each
// PreparedRowBytes(w.type, w.cols) apart. cols is a multiple of 32.
void MatMul(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin, size_t row_end,
            float* y, size_t y_stride);

// Rows of a weight matrix (any DType) as f32: `n` elements starting at `row`.
void DequantizeRow(DType type, const uint8_t* row, size_t n, float* out);

// ---- Element-wise and reductions ----------------------------------------------
// out = x / sqrt(mean(x^2) + eps) * w. out may equal x.
void RMSNorm(const float* x, const float* w, size_t n, float eps, float* out);
// gate[i] = gelu_tanh(gate[i]) * up[i]
void GeluTanhMul(float* gate, const float* up, size_t n);
// In-place numerically stable softmax.
void Softmax(float* x, size_t n);
// x = cap * tanh(x / cap)
void SoftCap(float* x, size_t n, float cap);
void Add(float* acc, const float* x, size_t n);  // acc += x
void Scale(float* x, size_t n, float s);         // x *= s
// NEOX RoPE on one head: pairs (x[i], x[i + d/2]) rotated by (cos[i], sin[i]).
void RopeNeox(float* x, size_t head_dim, const float* cos, const float* sin);

// Attention helpers over a KV cache held as f32 or f16.
float Dot(const float* a, const float* b, size_t n);
float DotF16(const float* a, const uint16_t* b, size_t n);
void Axpy(float a, const float* x, float* y, size_t n);        // y += a * x
void AxpyF16(float a, const uint16_t* x, float* y, size_t n);  // y += a * f32(x)
void F32ToF16Row(const float* x, uint16_t* out, size_t n);
void F16ToF32Row(const uint16_t* x, float* out, size_t n);

}  // namespace gemma::kernels
