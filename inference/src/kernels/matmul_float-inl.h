// Float weights (F32, F16, BF16) times f32 activations: a register tile of
// 4 rows x kT tokens, weights widened to f32 on the fly. Included by
// matmul-inl.h.

#if defined(GEMMA_KERNELS_MATMUL_FLOAT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_MATMUL_FLOAT_INL_H_
#undef GEMMA_KERNELS_MATMUL_FLOAT_INL_H_
#else
#define GEMMA_KERNELS_MATMUL_FLOAT_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/convert-inl.h"
#include "kernels/int8_dot-inl.h"  // kRows, kMaxT
#include "kernels/types.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Float weights: widen to f32 on the fly.
using DFF = hn::CappedTag<float, 16>;

template <DType kType>
HWY_INLINE hn::Vec<DFF> LoadWidened(const uint8_t* p, size_t i) {
  const DFF df;
  if constexpr (kType == DType::kF32) {
    return hn::LoadU(df, reinterpret_cast<const float*>(p) + i);
  } else if constexpr (kType == DType::kF16) {
    return LoadF16AsF32(df, reinterpret_cast<const uint16_t*>(p) + i);
  } else {
    const hn::Rebind<hwy::bfloat16_t, DFF> db;
    return hn::PromoteTo(df, hn::LoadU(db, reinterpret_cast<const hwy::bfloat16_t*>(p) + i));
  }
}

template <DType kType, size_t kT>
HWY_NOINLINE void FTile(const uint8_t* const* HWY_RESTRICT w, const uint8_t* const* HWY_RESTRICT x,
                        size_t cols, size_t nr, float* HWY_RESTRICT y, size_t y_stride, size_t r0) {
  const DFF df;
  using VF = hn::Vec<DFF>;
  VF a00 = hn::Zero(df), a01 = a00, a02 = a00, a03 = a00;
  VF a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  VF a20 = a00, a21 = a00, a22 = a00, a23 = a00;
  VF a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  const uint8_t* w0 = w[0];
  const uint8_t* w1 = w[1];
  const uint8_t* w2 = w[2];
  const uint8_t* w3 = w[3];
  const float* x0 = reinterpret_cast<const float*>(x[0]);
  const float* x1 = reinterpret_cast<const float*>(x[kT > 1 ? 1 : 0]);
  const float* x2 = reinterpret_cast<const float*>(x[kT > 2 ? 2 : 0]);
  const float* x3 = reinterpret_cast<const float*>(x[kT > 3 ? 3 : 0]);
  const size_t N = hn::Lanes(df);
  // cols is a multiple of 32 and N a power of two <= 16: no remainder.
  for (size_t i = 0; i < cols; i += N) {
    const VF X0 = hn::LoadU(df, x0 + i);
    const VF X1 = hn::LoadU(df, x1 + i);
    const VF X2 = hn::LoadU(df, x2 + i);
    const VF X3 = hn::LoadU(df, x3 + i);
#define GEMMA_FROW(R)                                           \
  {                                                             \
    const VF W = LoadWidened<kType>(w##R, i);                   \
    a##R##0 = hn::MulAdd(W, X0, a##R##0);                       \
    if constexpr (kT > 1) a##R##1 = hn::MulAdd(W, X1, a##R##1); \
    if constexpr (kT > 2) a##R##2 = hn::MulAdd(W, X2, a##R##2); \
    if constexpr (kT > 3) a##R##3 = hn::MulAdd(W, X3, a##R##3); \
  }
    GEMMA_FROW(0)
    GEMMA_FROW(1)
    GEMMA_FROW(2)
    GEMMA_FROW(3)
#undef GEMMA_FROW
    (void)X1, (void)X2, (void)X3;
  }
  GEMMA_STORE_ROW(0)
  GEMMA_STORE_ROW(1)
  GEMMA_STORE_ROW(2)
  GEMMA_STORE_ROW(3)
#undef GEMMA_STORE_ROW
#undef GEMMA_STORE
}

// Calls Tile(kT) for each row tile and token tile (rows outer, see top).
}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
