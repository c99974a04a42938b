// Dynamic dispatch of the matmul family (matmul-inl.h) to the best target.
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/matmul-inl.h"

#if HWY_ONCE
namespace gemma::kernels {

HWY_EXPORT(MatMul);
HWY_EXPORT(PrepareActivations);
HWY_EXPORT(DequantizeRow);
HWY_EXPORT(PrefersInterleaved);

bool PrefersInterleavedWeights() { return HWY_DYNAMIC_DISPATCH(PrefersInterleaved)(); }

size_t PreparedRowBytes(DType weight_type, size_t cols) {
  if (weight_type == DType::kQ8_0 || weight_type == DType::kQ4_0) {
    return cols / kQuantBlock * sizeof(BlockQ8_0);
  }
  if (IsKQuant(weight_type) || weight_type == DType::kQ8_K) {
    return cols / kSuperBlock * sizeof(BlockQ8_K);
  }
  return cols * sizeof(float);
}

void PrepareActivations(DType weight_type, const float* x, size_t n_tokens, size_t cols,
                        size_t x_stride, uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(PrepareActivations)(weight_type, x, n_tokens, cols, x_stride, out);
}

void MatMul(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin, size_t row_end,
            float* y, size_t y_stride) {
  HWY_DYNAMIC_DISPATCH(MatMul)(w, x, n_tokens, row_begin, row_end, y, y_stride);
}

void DequantizeRow(DType type, const uint8_t* row, size_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(DequantizeRow)(type, row, n, out);
}

}  // namespace gemma::kernels
#endif  // HWY_ONCE
