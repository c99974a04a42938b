// MatMul, activation preparation and row dequantization, written once with
// Highway and compiled for every target by matmul.cc (foreach_target.h).
//
// Layout of the work (see MatMulImpl):
//   * rows outer, 4 at a time (kRows): the 4 weight rows of a tile are read
//     once from memory; their blocks stay in L1 while every token reuses them.
//   * tokens inner, kMaxT at a time: a register tile of 4 rows x kMaxT tokens
//     of float accumulators. n_tokens == 1 (decode) streams 4 rows at once,
//     one horizontal reduction per row at the end.
//   * Row / token remainders reuse the same tile: missing rows point at the
//     last valid row (their results are discarded); token tiles exist for
//     1..kMaxT tokens so small batches waste nothing.
//
// Integer dot products per target: int8_dot-inl.h; the AVX3_DL 512-bit path:
// matmul_z512-inl.h; float weights: matmul_float-inl.h.

#if defined(GEMMA_KERNELS_MATMUL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_MATMUL_INL_H_
#undef GEMMA_KERNELS_MATMUL_INL_H_
#else
#define GEMMA_KERNELS_MATMUL_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "hwy/highway.h"
#include "kernels/convert-inl.h"
#include "kernels/int8_dot-inl.h"
#include "kernels/interleave.h"
#include "kernels/kernels.h"
#include "kernels/kquant.h"
#include "kernels/kquant_matmul-inl.h"
#include "kernels/matmul_float-inl.h"
#include "kernels/matmul_strip-inl.h"
#include "kernels/matmul_z512-inl.h"
#include "kernels/types.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class TileFn>
HWY_INLINE void ForEachTile(const MatView& w, const uint8_t* x, size_t x_bytes, size_t n_tokens,
                            size_t row_begin, size_t row_end, const TileFn& tile) {
  for (size_t r = row_begin; r < row_end; r += kRows) {
    const size_t nr = HWY_MIN(kRows, row_end - r);
    const uint8_t* wr[kRows];
    for (size_t i = 0; i < kRows; ++i) {
      wr[i] = w.data + HWY_MIN(r + i, row_end - 1) * w.row_bytes;
    }
    for (size_t t = 0; t < n_tokens; t += kMaxT) {
      const size_t nt = HWY_MIN(kMaxT, n_tokens - t);
      const uint8_t* xt[4];
      for (size_t i = 0; i < 4; ++i) xt[i] = x + HWY_MIN(t + i, n_tokens - 1) * x_bytes;
      tile(wr, xt, nr, nt, t, r);
    }
  }
}

// fn(std::integral_constant<size_t, nt>{}) for a token tile of nt tokens
// (1..kMaxT): the register tiles are templates on their token count.
template <class Fn>
HWY_INLINE void WithTokenCount(size_t nt, const Fn& fn) {
  switch (nt) {
    case 1:
      return fn(std::integral_constant<size_t, 1>{});
    case 2:
      return fn(std::integral_constant<size_t, 2>{});
    case 3:
      if constexpr (kMaxT >= 3) fn(std::integral_constant<size_t, 3>{});
      return;
    default:
      if constexpr (kMaxT >= 4) fn(std::integral_constant<size_t, 4>{});
      return;
  }
}

template <class Q>
HWY_NOINLINE void MatMulQ(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin,
                          size_t row_end, float* y, size_t y_stride) {
  const size_t nb = w.cols / kQuantBlock;
  const size_t xb = nb * sizeof(BlockQ8_0);
  ForEachTile(w, x, xb, n_tokens, row_begin, row_end,
              [&](const uint8_t* const* wr, const uint8_t* const* xt, size_t nr, size_t nt,
                  size_t t, size_t r) {
                WithTokenCount(nt, [&](auto kT) {
                  QTile<Q, decltype(kT)::value>(wr, xt, nb, nr, y + t * y_stride, y_stride, r);
                });
              });
}

template <DType kType>
HWY_NOINLINE void MatMulF(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin,
                          size_t row_end, float* y, size_t y_stride) {
  const size_t cols = w.cols;
  ForEachTile(w, x, cols * sizeof(float), n_tokens, row_begin, row_end,
              [&](const uint8_t* const* wr, const uint8_t* const* xt, size_t nr, size_t nt,
                  size_t t, size_t r) {
                WithTokenCount(nt, [&](auto kT) {
                  FTile<kType, decltype(kT)::value>(wr, xt, cols, nr, y + t * y_stride, y_stride,
                                                    r);
                });
              });
}

void MatMul(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin, size_t row_end,
            float* y, size_t y_stride);

bool PrefersInterleaved() {
#if defined(GEMMA_INT8_VNNI)
  return true;
#else
  return false;
#endif
}

// Interleaved Q8_0 / Q4_0 (interleave.h): read as they are on AVX3_DL. Other
// targets de-interleave one strip at a time and run their usual kernel on it:
// correct everywhere, fast only where PrefersInterleaved (the loader
// interleaves only then; tests switch targets under loaded weights).
HWY_NOINLINE void MatMulInterleaved(const MatView& w, const uint8_t* x, size_t n_tokens,
                                    size_t row_begin, size_t row_end, float* y, size_t y_stride) {
#if defined(GEMMA_INT8_VNNI)
  if (w.type == DType::kQ4_0) {
    return strip::MatMulStrip<strip::Q4S>(w, x, n_tokens, row_begin, row_end, y, y_stride);
  }
  return strip::MatMulStrip<strip::Q8S>(w, x, n_tokens, row_begin, row_end, y, y_stride);
#else
  static thread_local std::vector<uint8_t> rows;
  rows.resize(kStripRows * w.row_bytes);
  const MatView sv{w.type, rows.data(), kStripRows, w.cols, w.row_bytes, false};
  for (size_t s = row_begin / kStripRows; s * kStripRows < row_end; ++s) {
    const size_t r0 = s * kStripRows;
    DeinterleaveStrip(w, s, rows.data());
    HWY_NAMESPACE::MatMul(sv, x, n_tokens, HWY_MAX(row_begin, r0) - r0,
                          HWY_MIN(row_end, r0 + kStripRows) - r0, y + r0, y_stride);
  }
#endif
}

void MatMul(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin, size_t row_end,
            float* y, size_t y_stride) {
  if (n_tokens == 0 || row_begin >= row_end) return;
  if (w.interleaved) return MatMulInterleaved(w, x, n_tokens, row_begin, row_end, y, y_stride);
  switch (w.type) {
    case DType::kQ8_0:
#if defined(GEMMA_INT8_VNNI)
      if (w.cols % (z512::kG * kQuantBlock) == 0) {
        return z512::MatMulZ<z512::Q8Z>(w, x, n_tokens, row_begin, row_end, y, y_stride);
      }
#endif
      return MatMulQ<Q8Ops>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kQ4_0:
#if defined(GEMMA_INT8_VNNI)
      if (w.cols % (z512::kG * kQuantBlock) == 0) {
        return z512::MatMulZ<z512::Q4Z>(w, x, n_tokens, row_begin, row_end, y, y_stride);
      }
#endif
      return MatMulQ<Q4Ops>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kF32:
      return MatMulF<DType::kF32>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kF16:
      return MatMulF<DType::kF16>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kBF16:
      return MatMulF<DType::kBF16>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kQ2_K:
      return kq::MatMulK<DType::kQ2_K>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kQ3_K:
      return kq::MatMulK<DType::kQ3_K>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kQ4_K:
      return kq::MatMulK<DType::kQ4_K>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kQ5_K:
      return kq::MatMulK<DType::kQ5_K>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kQ6_K:
      return kq::MatMulK<DType::kQ6_K>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kQ8_K:
      return;  // not a weight type
  }
}

// ---------------------------------------------------------------------------
// Activation preparation: Q8_0 exactly as llama.cpp's x86 quantize_row_q8_0.

HWY_INLINE void QuantizeBlockQ8_0(const float* HWY_RESTRICT v, uint8_t* HWY_RESTRICT out) {
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const size_t N = hn::Lanes(df);
  auto vmax = hn::Zero(df);
  for (size_t i = 0; i < kQuantBlock; i += N) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, v + i)));
  const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  const uint16_t dh = gemma::F32ToF16(d);
  std::memcpy(out, &dh, 2);
  int8_t* qs = reinterpret_cast<int8_t*>(out + 2);
#if HWY_TARGET == HWY_SCALAR
  // Highway's scalar Round adds 0.5 in float, which can round 0.49999997 up.
  for (size_t i = 0; i < kQuantBlock; ++i) qs[i] = static_cast<int8_t>(std::nearbyint(v[i] * id));
  (void)di, (void)d8;
#else
  const auto vid = hn::Set(df, id);
  for (size_t i = 0; i < kQuantBlock; i += N) {
    // Round: to nearest, ties to even (as _mm256_round_ps(_MM_ROUND_NEAREST)).
    const auto q = hn::ConvertTo(di, hn::Round(hn::Mul(hn::LoadU(df, v + i), vid)));
    hn::StoreU(hn::DemoteTo(d8, q), d8, qs + i);
  }
#endif
}

void PrepareActivations(DType weight_type, const float* x, size_t n_tokens, size_t cols,
                        size_t x_stride, uint8_t* out) {
  if (IsKQuant(weight_type) || weight_type == DType::kQ8_K) {
    return kq::PrepareQ8_K(x, n_tokens, cols, x_stride, out);
  }
  const bool quant = weight_type == DType::kQ8_0 || weight_type == DType::kQ4_0;
  const size_t row_bytes = quant ? cols / kQuantBlock * sizeof(BlockQ8_0) : cols * sizeof(float);
  for (size_t t = 0; t < n_tokens; ++t) {
    const float* xr = x + t * x_stride;
    uint8_t* o = out + t * row_bytes;
    if (quant) {
      for (size_t b = 0; b < cols / kQuantBlock; ++b) {
        QuantizeBlockQ8_0(xr + b * kQuantBlock, o + b * sizeof(BlockQ8_0));
      }
    } else {
      std::memcpy(o, xr, cols * sizeof(float));
    }
  }
}

// ---------------------------------------------------------------------------
// Row dequantization.

template <DType kType>
HWY_INLINE void WidenRow(const uint8_t* row, size_t n, float* out) {
  const DFF df;
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(LoadWidened<kType>(row, i), df, out + i);
  for (; i < n; ++i) {
    uint16_t h;
    if constexpr (kType == DType::kF32) {
      std::memcpy(out + i, row + 4 * i, 4);
    } else {
      std::memcpy(&h, row + 2 * i, 2);
      out[i] = kType == DType::kF16 ? gemma::F16ToF32(h) : gemma::BF16ToF32(h);
    }
  }
}

void DequantizeRow(DType type, const uint8_t* row, size_t n, float* out) {
  switch (type) {
    case DType::kF32:
      return WidenRow<DType::kF32>(row, n, out);
    case DType::kF16:
      return WidenRow<DType::kF16>(row, n, out);
    case DType::kBF16:
      return WidenRow<DType::kBF16>(row, n, out);
    case DType::kQ8_0:
    case DType::kQ4_0:
      break;
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return gemma::kernels::kq::DequantizeRow(type, row, n, out);
    case DType::kQ8_K:
      return;  // not a weight type
  }
  const hn::CappedTag<float, 8> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const hn::Rebind<uint8_t, decltype(df)> du8;
  const size_t N = hn::Lanes(df);
  const size_t bb = DTypeBlockBytes(type);
  const size_t full = n / kQuantBlock;
  for (size_t b = 0; b < full; ++b) {
    const uint8_t* blk = row + b * bb;
    const auto d = hn::Set(df, BlockScale(blk));
    float* o = out + b * kQuantBlock;
    if (type == DType::kQ8_0) {
      const int8_t* qs = reinterpret_cast<const int8_t*>(blk + 2);
      for (size_t i = 0; i < kQuantBlock; i += N) {
        hn::StoreU(hn::Mul(hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(d8, qs + i))), d), df,
                   o + i);
      }
    } else {
      const auto k8 = hn::Set(di, 8);
      for (size_t i = 0; i < kQuantBlock / 2; i += N) {
        const auto q = hn::PromoteTo(di, hn::LoadU(du8, blk + 2 + i));
        const auto lo = hn::Sub(hn::And(q, hn::Set(di, 0xF)), k8);
        const auto hi = hn::Sub(hn::ShiftRight<4>(q), k8);
        hn::StoreU(hn::Mul(hn::ConvertTo(df, lo), d), df, o + i);
        hn::StoreU(hn::Mul(hn::ConvertTo(df, hi), d), df, o + 16 + i);
      }
    }
  }
  // Partial trailing block (n not a multiple of 32): element by element.
  if (full * kQuantBlock < n) {
    const uint8_t* blk = row + full * bb;
    const float d = BlockScale(blk);
    for (size_t j = 0; j < n - full * kQuantBlock; ++j) {
      int q;
      if (type == DType::kQ8_0) {
        q = static_cast<int8_t>(blk[2 + j]);
      } else {
        const uint8_t byte = blk[2 + (j % 16)];
        q = (j < 16 ? (byte & 0xF) : (byte >> 4)) - 8;
      }
      out[full * kQuantBlock + j] = static_cast<float>(q) * d;
    }
  }
}

}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#undef GEMMA_INT8_VNNI
#undef GEMMA_INT8_MADDUBS

#endif  // include guard