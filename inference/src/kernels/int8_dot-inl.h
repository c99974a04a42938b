// Integer dot products of quantized weight blocks (Q8_0, Q4_0) with Q8_0
// activations, and the register tile (QTile) that applies them to 4 rows x
// kT tokens. Included by matmul-inl.h; compiled for every target by matmul.cc.
//
// Quantized weights (Q8_0, Q4_0) take Q8_0 activations; each 32-element block
// pair gives an exact int32 dot product, scaled by f32(d_w) * f32(d_x) and
// accumulated in f32 vector lanes. Integer dot products per target:
//   AVX3_DL (VNNI):   vpdpbusd (u8 x s8). Q8_0 weights are made unsigned by
//                     w ^ 0x80 (= w + 128) and the term 128 * sum(x) is
//                     subtracted; Q4_0 nibbles (0..15) are already unsigned and
//                     8 * sum(x) is subtracted. The correction is computed once
//                     per token block and used as the dpbusd accumulator input.
//   AVX2 / AVX3:      vpmaddubsw + vpmaddwd. Q8_0 uses |w| x sign(x, w) (no
//                     saturation: 2 * 128 * 127 < 32767); Q4_0 uses nibbles x x
//                     (2 * 15 * 127 < 32767) minus 8 * sum(x).
//   everything else:  Highway PromoteTo(int16) + ReorderWidenMulAccumulate.

#if defined(GEMMA_KERNELS_INT8_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_INT8_DOT_INL_H_
#undef GEMMA_KERNELS_INT8_DOT_INL_H_
#else
#define GEMMA_KERNELS_INT8_DOT_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/kernels.h"
#include "kernels/types.h"

// Which int8 dot-product implementation this target uses (see top comment).
#undef GEMMA_INT8_VNNI
#undef GEMMA_INT8_MADDUBS
#if HWY_TARGET == HWY_AVX3_DL
#define GEMMA_INT8_VNNI 1
#elif HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3
#define GEMMA_INT8_MADDUBS 1
#endif

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr size_t kRows = 4;  // rows per register tile
// Tokens per register tile: 4 where there are 32 vector registers (AVX-512,
// aarch64), else 2 (16 registers: 4x4 accumulators would spill).
#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
constexpr size_t kMaxT = 2;
#else
constexpr size_t kMaxT = 4;
#endif

// fp16 scale of a block (first two bytes) as f32.
HWY_INLINE float BlockScale(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return _cvtsh_ss(h);  // F16C is part of Highway's AVX2 target
#elif HWY_TARGET == HWY_WASM
  // Inline (F16ToF32 is out of line): (h & 0x7fff) << 13 read as f32 and
  // scaled by 2^112 is exact for every finite half, subnormals included.
  if ((h & 0x7c00u) == 0x7c00u) return gemma::F16ToF32(h);  // inf / NaN
  const uint32_t bits = static_cast<uint32_t>(h & 0x7fffu) << 13;
  float f;
  std::memcpy(&f, &bits, 4);
  f *= 5.192296858534828e33f;  // 2^112
  return (h & 0x8000u) ? -f : f;
#else
  return gemma::F16ToF32(h);
#endif
}

// ---------------------------------------------------------------------------
// Integer block dot products. Each weight type Q provides:
//   X LoadX(const uint8_t* xqs)   per token block (32 int8 activations)
//   W LoadW(const uint8_t* wqs)   per weight block (its quants)
//   VI Dot(W, X)                  int32 lanes whose sum is the exact dot.
//   kBlockBytes                   bytes per weight block.

#if defined(GEMMA_INT8_VNNI) || defined(GEMMA_INT8_MADDUBS)
using DI = hn::Full256<int32_t>;
using VI = hn::Vec256<int32_t>;

HWY_INLINE __m256i UnpackNibbles(const uint8_t* qs) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(b, m);                     // elements 0..15
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), m);  // elements 16..31
  return _mm256_set_m128i(hi, lo);
}
#else
using DI = hn::CappedTag<int32_t, 8>;
using VI = hn::Vec<DI>;
// int16 pairs per int32 lane for ReorderWidenMulAccumulate (scalar: 1 lane).
#if HWY_TARGET == HWY_SCALAR
using D16 = hn::Rebind<int16_t, DI>;
#else
using D16 = hn::Repartition<int16_t, DI>;
#endif
#endif
using DF = hn::Rebind<float, DI>;

#if defined(GEMMA_INT8_VNNI)
// acc += u8 x s8 dot products of 4-byte groups (vpdpbusd). Highway 1.0.3's
// AVX3_DL target string enables "avxvnni" instead of "avx512vnni", so the
// _mm256_dpbusd_epi32 intrinsic compiles to the VEX-encoded AVX-VNNI form,
// which Zen 4 and Ice Lake do not have (SIGILL). Emit the EVEX (AVX512-VNNI +
// VL) encoding, which every CPU Highway accepts as AVX3_DL supports.
HWY_INLINE __m256i DpBusd(__m256i acc, __m256i u, __m256i s) {
  asm("%{evex%} vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
  return acc;
}
struct QX {
  __m256i x;
  __m256i neg_corr;  // -(offset * sum(x)) per 4-byte lane group
};
struct QW {
  __m256i u;  // unsigned weights (w + offset)
};
template <int kOffset>
HWY_INLINE QX LoadXOff(const uint8_t* xqs) {
  QX r;
  r.x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xqs));
  const __m256i c =
      DpBusd(_mm256_setzero_si256(), _mm256_set1_epi8(static_cast<char>(kOffset)), r.x);
  r.neg_corr = _mm256_sub_epi32(_mm256_setzero_si256(), c);
  return r;
}
struct Q8Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ8_0);
  using X = QX;
  using W = QW;
  static HWY_INLINE X LoadX(const uint8_t* xqs) { return LoadXOff<0x80>(xqs); }
  static HWY_INLINE W LoadW(const uint8_t* wqs) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wqs));
    return W{_mm256_xor_si256(w, _mm256_set1_epi8(static_cast<char>(0x80)))};
  }
  static HWY_INLINE VI Dot(const W& w, const X& x) { return VI{DpBusd(x.neg_corr, w.u, x.x)}; }
};
struct Q4Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ4_0);
  using X = QX;
  using W = QW;
  static HWY_INLINE X LoadX(const uint8_t* xqs) { return LoadXOff<8>(xqs); }
  static HWY_INLINE W LoadW(const uint8_t* wqs) { return W{UnpackNibbles(wqs)}; }
  static HWY_INLINE VI Dot(const W& w, const X& x) { return VI{DpBusd(x.neg_corr, w.u, x.x)}; }
};

#elif defined(GEMMA_INT8_MADDUBS)
HWY_INLINE __m256i SumPairs16(__m256i v16) { return _mm256_madd_epi16(v16, _mm256_set1_epi16(1)); }
struct Q8Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ8_0);
  struct X {
    __m256i x;
  };
  struct W {
    __m256i w, abs_w;
  };
  static HWY_INLINE X LoadX(const uint8_t* xqs) {
    return X{_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xqs))};
  }
  static HWY_INLINE W LoadW(const uint8_t* wqs) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wqs));
    return W{w, _mm256_abs_epi8(w)};
  }
  // |w| * (x * sign(w)) == w * x; pairs sum to at most 2 * 128 * 127: no saturation.
  static HWY_INLINE VI Dot(const W& w, const X& x) {
    return VI{SumPairs16(_mm256_maddubs_epi16(w.abs_w, _mm256_sign_epi8(x.x, w.w)))};
  }
};
struct Q4Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ4_0);
  struct X {
    __m256i x, corr;  // corr = 8 * sum(x) per 4-byte lane group
  };
  struct W {
    __m256i u;  // nibbles 0..15
  };
  static HWY_INLINE X LoadX(const uint8_t* xqs) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xqs));
    return X{x, SumPairs16(_mm256_maddubs_epi16(_mm256_set1_epi8(8), x))};
  }
  static HWY_INLINE W LoadW(const uint8_t* wqs) { return W{UnpackNibbles(wqs)}; }
  static HWY_INLINE VI Dot(const W& w, const X& x) {
    return VI{_mm256_sub_epi32(SumPairs16(_mm256_maddubs_epi16(w.u, x.x)), x.corr)};
  }
};

#elif HWY_TARGET == HWY_WASM
// WASM SIMD128: i32x4.dot_i16x8_s on sign-extended bytes. The activations of
// a block are widened to int16 once (LoadX) and reused by the 4 rows of a
// tile; weights are loaded 16 bytes at a time and widened in registers.
struct WasmX {
  hn::Vec128<int16_t> a, b, c, d;  // elements 0..7, 8..15, 16..23, 24..31
};
HWY_INLINE WasmX WidenX(const uint8_t* xqs) {
  const hn::Full128<int8_t> d8;
  const hn::Full128<int16_t> d16;
  const hn::Full64<int8_t> h8;
  const auto lo = hn::LoadU(d8, reinterpret_cast<const int8_t*>(xqs));
  const auto hi = hn::LoadU(d8, reinterpret_cast<const int8_t*>(xqs) + 16);
  return WasmX{hn::PromoteTo(d16, hn::LowerHalf(lo)), hn::PromoteTo(d16, hn::UpperHalf(h8, lo)),
               hn::PromoteTo(d16, hn::LowerHalf(hi)), hn::PromoteTo(d16, hn::UpperHalf(h8, hi))};
}
// Sum of the 4 products of 16 int8 weights (as two i16x8 halves) with x.
HWY_INLINE VI WasmDot(hn::Vec128<int16_t> w0, hn::Vec128<int16_t> w1, hn::Vec128<int16_t> w2,
                      hn::Vec128<int16_t> w3, const WasmX& x) {
  const DI di;
  VI s0 = hn::Zero(di), s1 = hn::Zero(di);
  s0 = hn::ReorderWidenMulAccumulate(di, w0, x.a, s0, s1);
  VI t0 = hn::Zero(di);
  t0 = hn::ReorderWidenMulAccumulate(di, w1, x.b, t0, s1);
  s0 = hn::ReorderWidenMulAccumulate(di, w2, x.c, s0, s1);
  t0 = hn::ReorderWidenMulAccumulate(di, w3, x.d, t0, s1);
  return hn::Add(s0, t0);
}
struct Q8Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ8_0);
  using X = WasmX;
  struct W {
    hn::Vec128<int8_t> lo, hi;
  };
  static HWY_INLINE X LoadX(const uint8_t* xqs) { return WidenX(xqs); }
  static HWY_INLINE W LoadW(const uint8_t* wqs) {
    const hn::Full128<int8_t> d8;
    return W{hn::LoadU(d8, reinterpret_cast<const int8_t*>(wqs)),
             hn::LoadU(d8, reinterpret_cast<const int8_t*>(wqs) + 16)};
  }
  static HWY_INLINE VI Dot(const W& w, const X& x) {
    const hn::Full128<int16_t> d16;
    const hn::Full64<int8_t> h8;
    return WasmDot(
        hn::PromoteTo(d16, hn::LowerHalf(w.lo)), hn::PromoteTo(d16, hn::UpperHalf(h8, w.lo)),
        hn::PromoteTo(d16, hn::LowerHalf(w.hi)), hn::PromoteTo(d16, hn::UpperHalf(h8, w.hi)), x);
  }
};
struct Q4Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ4_0);
  using X = WasmX;
  struct W {
    hn::Vec128<int8_t> lo, hi;  // elements 0..15 and 16..31, minus 8
  };
  static HWY_INLINE X LoadX(const uint8_t* xqs) { return WidenX(xqs); }
  static HWY_INLINE W LoadW(const uint8_t* wqs) {
    const hn::Full128<uint8_t> du8;
    const hn::Full128<int8_t> d8;
    const auto q = hn::LoadU(du8, wqs);
    const auto k8 = hn::Set(d8, 8);
    const auto lo = hn::BitCast(d8, hn::And(q, hn::Set(du8, 0x0F)));
    const auto hi = hn::BitCast(d8, hn::ShiftRight<4>(hn::BitCast(hn::Full128<uint16_t>(), q)));
    return W{hn::Sub(lo, k8), hn::Sub(hn::And(hi, hn::Set(d8, 0x0F)), k8)};
  }
  static HWY_INLINE VI Dot(const W& w, const X& x) {
    const hn::Full128<int16_t> d16;
    const hn::Full64<int8_t> h8;
    return WasmDot(
        hn::PromoteTo(d16, hn::LowerHalf(w.lo)), hn::PromoteTo(d16, hn::UpperHalf(h8, w.lo)),
        hn::PromoteTo(d16, hn::LowerHalf(w.hi)), hn::PromoteTo(d16, hn::UpperHalf(h8, w.hi)), x);
  }
};

#else  // portable Highway path
struct Q8Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ8_0);
  struct X {
    const int8_t* p;
  };
  struct W {
    const int8_t* p;
  };
  static HWY_INLINE X LoadX(const uint8_t* xqs) { return X{reinterpret_cast<const int8_t*>(xqs)}; }
  static HWY_INLINE W LoadW(const uint8_t* wqs) { return W{reinterpret_cast<const int8_t*>(wqs)}; }
  static HWY_INLINE VI Dot(const W& w, const X& x) {
    const DI di;
    const D16 d16;
    const hn::Rebind<int8_t, decltype(d16)> d8;
    VI s0 = hn::Zero(di), s1 = hn::Zero(di);
    for (size_t i = 0; i < kQuantBlock; i += hn::Lanes(d16)) {
      const auto w16 = hn::PromoteTo(d16, hn::LoadU(d8, w.p + i));
      const auto x16 = hn::PromoteTo(d16, hn::LoadU(d8, x.p + i));
      s0 = hn::ReorderWidenMulAccumulate(di, w16, x16, s0, s1);
    }
    return hn::Add(s0, s1);
  }
};
struct Q4Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ4_0);
  struct X {
    const int8_t* p;
  };
  struct W {
    const uint8_t* p;
  };
  static HWY_INLINE X LoadX(const uint8_t* xqs) { return X{reinterpret_cast<const int8_t*>(xqs)}; }
  static HWY_INLINE W LoadW(const uint8_t* wqs) { return W{wqs}; }
  static HWY_INLINE VI Dot(const W& w, const X& x) {
    const DI di;
    const D16 d16;
    const hn::RebindToUnsigned<decltype(d16)> du16;
    const hn::Rebind<int8_t, decltype(d16)> d8;
    const hn::Rebind<uint8_t, decltype(d16)> du8;
    const auto k8 = hn::Set(d16, 8);
    VI s0 = hn::Zero(di), s1 = hn::Zero(di);
    for (size_t i = 0; i < kQuantBlock / 2; i += hn::Lanes(d16)) {
      const auto q = hn::PromoteTo(du16, hn::LoadU(du8, w.p + i));
      const auto lo = hn::Sub(hn::BitCast(d16, hn::And(q, hn::Set(du16, 0xF))), k8);
      const auto hi = hn::Sub(hn::BitCast(d16, hn::ShiftRight<4>(q)), k8);
      s0 =
          hn::ReorderWidenMulAccumulate(di, lo, hn::PromoteTo(d16, hn::LoadU(d8, x.p + i)), s0, s1);
      s0 = hn::ReorderWidenMulAccumulate(di, hi, hn::PromoteTo(d16, hn::LoadU(d8, x.p + 16 + i)),
                                         s0, s1);
    }
    return hn::Add(s0, s1);
  }
};
#endif

// One register tile of 4 rows x kT tokens over all blocks of the rows.
// w[r]: weight rows, x[t]: prepared Q8_0 activation rows. Writes the nr x kT
// valid results to y[t * y_stride + r0 + r].
template <class Q, size_t kT>
HWY_NOINLINE void QTile(const uint8_t* const* HWY_RESTRICT w, const uint8_t* const* HWY_RESTRICT x,
                        size_t nb, size_t nr, float* HWY_RESTRICT y, size_t y_stride, size_t r0) {
  const DF df;
  using VF = hn::Vec<DF>;
  VF a00 = hn::Zero(df), a01 = a00, a02 = a00, a03 = a00;
  VF a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  VF a20 = a00, a21 = a00, a22 = a00, a23 = a00;
  VF a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  const uint8_t* w0 = w[0];
  const uint8_t* w1 = w[1];
  const uint8_t* w2 = w[2];
  const uint8_t* w3 = w[3];
  const uint8_t* x0 = x[0];
  const uint8_t* x1 = x[kT > 1 ? 1 : 0];
  const uint8_t* x2 = x[kT > 2 ? 2 : 0];
  const uint8_t* x3 = x[kT > 3 ? 3 : 0];
  constexpr size_t kXB = sizeof(BlockQ8_0);
  constexpr size_t kWB = Q::kBlockBytes;
  for (size_t b = 0; b < nb; ++b, x0 += kXB, x1 += kXB, x2 += kXB, x3 += kXB) {
    const auto X0 = Q::LoadX(x0 + 2);
    const VF d0 = hn::Set(df, BlockScale(x0));
    // Unused for small kT; the compiler drops these dead loads.
    const auto X1 = Q::LoadX(x1 + 2);
    const VF d1 = hn::Set(df, BlockScale(x1));
    const auto X2 = Q::LoadX(x2 + 2);
    const VF d2 = hn::Set(df, BlockScale(x2));
    const auto X3 = Q::LoadX(x3 + 2);
    const VF d3 = hn::Set(df, BlockScale(x3));
    const size_t wo = b * kWB;
#define GEMMA_QROW(R)                                                                   \
  {                                                                                     \
    const auto W = Q::LoadW(w##R + wo + 2);                                             \
    const VF dw = hn::Set(df, BlockScale(w##R + wo));                                   \
    a##R##0 = hn::MulAdd(hn::ConvertTo(df, Q::Dot(W, X0)), hn::Mul(dw, d0), a##R##0);   \
    if constexpr (kT > 1)                                                               \
      a##R##1 = hn::MulAdd(hn::ConvertTo(df, Q::Dot(W, X1)), hn::Mul(dw, d1), a##R##1); \
    if constexpr (kT > 2)                                                               \
      a##R##2 = hn::MulAdd(hn::ConvertTo(df, Q::Dot(W, X2)), hn::Mul(dw, d2), a##R##2); \
    if constexpr (kT > 3)                                                               \
      a##R##3 = hn::MulAdd(hn::ConvertTo(df, Q::Dot(W, X3)), hn::Mul(dw, d3), a##R##3); \
  }
    GEMMA_QROW(0)
    GEMMA_QROW(1)
    GEMMA_QROW(2)
    GEMMA_QROW(3)
#undef GEMMA_QROW
    (void)X1, (void)X2, (void)X3, (void)d1, (void)d2, (void)d3;
  }
#define GEMMA_STORE(R, T) \
  if (kT > (T) && nr > (R)) y[(T)*y_stride + r0 + (R)] = hn::GetLane(hn::SumOfLanes(df, a##R##T));
#define GEMMA_STORE_ROW(R) GEMMA_STORE(R, 0) GEMMA_STORE(R, 1) GEMMA_STORE(R, 2) GEMMA_STORE(R, 3)
  GEMMA_STORE_ROW(0)
  GEMMA_STORE_ROW(1)
  GEMMA_STORE_ROW(2)
  GEMMA_STORE_ROW(3)
}

}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
