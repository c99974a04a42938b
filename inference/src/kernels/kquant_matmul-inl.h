// K-quant matmul (Q2_K..Q6_K weights x Q8_K activations) and the Q8_K
// activation quantizer. Included by matmul-inl.h, which dispatches to
// MatMulK / PrepareQ8_K; compiled for every target by matmul.cc.
//
// Work layout: token blocks that fit L2 outer, then rows; per row, tokens in
// tiles of up to kKT. Each
// super-block of the row is unpacked once (into registers on x86, into an
// int16 buffer elsewhere) and dotted with every token of the tile, so decode
// (one token) streams each weight byte once and prefill reuses the unpacked
// weights kKT times. Results do not depend on the tile a token lands in: each
// (row, token) sum runs over the super-blocks in order, with the same ops.

#if defined(GEMMA_KERNELS_KQUANT_MATMUL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_KQUANT_MATMUL_INL_H_
#undef GEMMA_KERNELS_KQUANT_MATMUL_INL_H_
#else
#define GEMMA_KERNELS_KQUANT_MATMUL_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/kernels.h"
#include "kernels/kquant_dot-inl.h"
#include "kernels/types.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace kq {

constexpr size_t kKT = 4;  // tokens per tile

// Ops with a fused one-token path (x86 Q4_K/Q5_K/Q6_K) use it for decode.
template <class Ops>
constexpr auto HasDotDirect(int) -> decltype(&Ops::DotDirect, bool()) {
  return true;
}
template <class Ops>
constexpr bool HasDotDirect(long) {
  return false;
}

// The tile's kT accumulators. SVE vectors are sizeless (no arrays of them):
// there they live in memory, loaded and stored around each Dot (the same
// arithmetic, so the same results).
#if HWY_HAVE_SCALABLE
template <class Ops, size_t kT>
struct AccTile {
  HWY_ALIGN float v[kT][hn::MaxLanes(DF())];
  HWY_INLINE VF Get(size_t t) const { return hn::Load(DF(), v[t]); }
  HWY_INLINE void Set(size_t t, VF a) { hn::Store(a, DF(), v[t]); }
};
#else
template <class Ops, size_t kT>
struct AccTile {
  using V = decltype(Ops::Zero());
  // User-provided, so it is compiled for this target (the implicit one is not).
  HWY_INLINE AccTile() {}
  V v[kT];
  HWY_INLINE V Get(size_t t) const { return v[t]; }
  HWY_INLINE void Set(size_t t, V a) { v[t] = a; }
};
#endif

template <DType kType, size_t kT>
HWY_NOINLINE void KRowTile(const uint8_t* HWY_RESTRICT w, const uint8_t* const* HWY_RESTRICT x,
                           size_t nsb, float* HWY_RESTRICT y, size_t y_stride) {
  using Ops = typename KOps<kType>::type;
  constexpr size_t kWB = kType == DType::kQ2_K   ? sizeof(BlockQ2_K)
                         : kType == DType::kQ3_K ? sizeof(BlockQ3_K)
                         : kType == DType::kQ4_K ? sizeof(BlockQ4_K)
                         : kType == DType::kQ5_K ? sizeof(BlockQ5_K)
                                                 : sizeof(BlockQ6_K);
  AccTile<Ops, kT> acc;
  float mins[kT];
  for (size_t t = 0; t < kT; ++t) {
    acc.Set(t, Ops::Zero());
    mins[t] = 0.0f;
  }
  typename Ops::W W;
  for (size_t b = 0; b < nsb; ++b) {
    if constexpr (kT == 1) {
      // Decode streams the row from memory: fetch a few blocks ahead.
      hwy::Prefetch(w + (b + 4) * kWB);
      hwy::Prefetch(w + (b + 4) * kWB + 64);
      hwy::Prefetch(w + (b + 4) * kWB + 128);
    }
    if constexpr (kT == 1 && HasDotDirect<Ops>(0)) {
      auto a = acc.Get(0);
      Ops::DotDirect(w + b * kWB, reinterpret_cast<const BlockQ8_K*>(x[0]) + b, a);
      acc.Set(0, a);
      continue;
    }
    Ops::Load(w + b * kWB, &W);
    for (size_t t = 0; t < kT; ++t) {
      const auto* xb = reinterpret_cast<const BlockQ8_K*>(x[t]) + b;
      auto a = acc.Get(t);
      Ops::Dot(W, xb, a, mins[t]);
      acc.Set(t, a);
    }
  }
  for (size_t t = 0; t < kT; ++t) y[t * y_stride] = Ops::Sum(acc.Get(t)) - mins[t];
}

// Activation bytes a token block may hold (about half of a 1 MiB L2): wide
// rows (ffn_down: 16384 inputs = 18 KiB of Q8_K per token) would otherwise
// stream all tokens' activations from L3 once per weight row.
constexpr size_t kTokenBlockBytes = 512 * 1024;

template <DType kType>
HWY_NOINLINE void MatMulK(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin,
                          size_t row_end, float* y, size_t y_stride) {
  const size_t nsb = w.cols / kSuperBlock;
  const size_t xb = nsb * sizeof(BlockQ8_K);
  // Tokens in blocks (a multiple of kKT) whose activations stay in L2; the
  // rows' weights are re-read per block (from L3). Each (row, token) result
  // is still computed by one tile over all super-blocks in order, so the
  // blocking changes no result.
  const size_t tb = HWY_MAX(kKT, kTokenBlockBytes / xb / kKT * kKT);
  for (size_t t0 = 0; t0 < n_tokens; t0 += tb) {
    const size_t t1 = HWY_MIN(n_tokens, t0 + tb);
    for (size_t r = row_begin; r < row_end; ++r) {
      const uint8_t* wr = w.data + r * w.row_bytes;
      for (size_t t = t0; t < t1; t += kKT) {
        const size_t nt = HWY_MIN(kKT, t1 - t);
        const uint8_t* xt[kKT];
        for (size_t i = 0; i < kKT; ++i) xt[i] = x + HWY_MIN(t + i, t1 - 1) * xb;
        float* yt = y + t * y_stride + r;
        switch (nt) {
          case 1:
            KRowTile<kType, 1>(wr, xt, nsb, yt, y_stride);
            break;
          case 2:
            KRowTile<kType, 2>(wr, xt, nsb, yt, y_stride);
            break;
          case 3:
            KRowTile<kType, 3>(wr, xt, nsb, yt, y_stride);
            break;
          default:
            KRowTile<kType, 4>(wr, xt, nsb, yt, y_stride);
            break;
        }
      }
    }
  }
}

// Q8_K exactly as llama.cpp's quantize_row_q8_K (x86: quantize_row_q8_K_ref):
// max = the x of largest |x| (first on ties); iscale = -127 / max (f32);
// q = min(127, round-half-even(iscale * x)) (ggml's nearest_int); d = 1 /
// iscale; bsums = sums of 16 quants. An all-zero block gets d = 0, q = 0.
// |iscale * x| <= 127 up to rounding, so q >= -127 and int8 holds it.
HWY_INLINE void QuantizeBlockQ8_K(const float* HWY_RESTRICT v, BlockQ8_K* HWY_RESTRICT out) {
  float amax = 0.0f, max = 0.0f;
  for (size_t j = 0; j < kSuperBlock; ++j) {
    const float ax = std::fabs(v[j]);
    if (ax > amax) {
      amax = ax;
      max = v[j];
    }
  }
  if (amax == 0.0f) {
    std::memset(out, 0, sizeof(*out));
    return;
  }
  const float iscale = -127.0f / max;
#if HWY_TARGET == HWY_SCALAR
  for (size_t j = 0; j < kSuperBlock; ++j) {
    const float q = std::nearbyint(iscale * v[j]);
    out->qs[j] = static_cast<int8_t>(q > 127.0f ? 127.0f : q);
  }
#else
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const auto vs = hn::Set(df, iscale);
  const auto k127 = hn::Set(di, 127);
  for (size_t j = 0; j < kSuperBlock; j += hn::Lanes(df)) {
    // Round: to nearest, ties to even, as nearest_int's 1.5 * 2^23 trick.
    const auto q = hn::Min(hn::ConvertTo(di, hn::Round(hn::Mul(hn::LoadU(df, v + j), vs))), k127);
    hn::StoreU(hn::DemoteTo(d8, q), d8, out->qs + j);
  }
#endif
  for (size_t j = 0; j < 16; ++j) {
    int s = 0;
    for (size_t i = 0; i < 16; ++i) s += out->qs[16 * j + i];
    out->bsums[j] = static_cast<int16_t>(s);
  }
  out->d = 1.0f / iscale;
}

HWY_INLINE void PrepareQ8_K(const float* x, size_t n_tokens, size_t cols, size_t x_stride,
                            uint8_t* out) {
  const size_t nsb = cols / kSuperBlock;
  for (size_t t = 0; t < n_tokens; ++t) {
    auto* o = reinterpret_cast<BlockQ8_K*>(out + t * nsb * sizeof(BlockQ8_K));
    for (size_t b = 0; b < nsb; ++b) QuantizeBlockQ8_K(x + t * x_stride + b * kSuperBlock, o + b);
  }
}

}  // namespace kq
}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
