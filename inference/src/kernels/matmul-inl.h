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
// On AVX3_DL, Q8_0 / Q4_0 rows whose block count is a multiple of 4 take the
// 512-bit path in namespace z512 instead (groups of 4 blocks per zmm, see
// there); the tiles above remain for other targets and odd widths.
// Float weights (F32, F16, BF16) are widened to f32 on the fly and multiplied
// with f32 activations using FMA.

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
#include <utility>

#include "hwy/highway.h"
#include "kernels/convert-inl.h"
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
  const __m128i lo = _mm_and_si128(b, m);                      // elements 0..15
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), m);   // elements 16..31
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
  const __m256i c = DpBusd(_mm256_setzero_si256(),
                                        _mm256_set1_epi8(static_cast<char>(kOffset)), r.x);
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
  static HWY_INLINE VI Dot(const W& w, const X& x) {
    return VI{DpBusd(x.neg_corr, w.u, x.x)};
  }
};
struct Q4Ops {
  static constexpr size_t kBlockBytes = sizeof(BlockQ4_0);
  using X = QX;
  using W = QW;
  static HWY_INLINE X LoadX(const uint8_t* xqs) { return LoadXOff<8>(xqs); }
  static HWY_INLINE W LoadW(const uint8_t* wqs) { return W{UnpackNibbles(wqs)}; }
  static HWY_INLINE VI Dot(const W& w, const X& x) {
    return VI{DpBusd(x.neg_corr, w.u, x.x)};
  }
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
      s0 = hn::ReorderWidenMulAccumulate(di, lo, hn::PromoteTo(d16, hn::LoadU(d8, x.p + i)), s0, s1);
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
#define GEMMA_QROW(R)                                                                        \
  {                                                                                          \
    const auto W = Q::LoadW(w##R + wo + 2);                                                  \
    const VF dw = hn::Set(df, BlockScale(w##R + wo));                                        \
    a##R##0 = hn::MulAdd(hn::ConvertTo(df, Q::Dot(W, X0)), hn::Mul(dw, d0), a##R##0);        \
    if constexpr (kT > 1)                                                                    \
      a##R##1 = hn::MulAdd(hn::ConvertTo(df, Q::Dot(W, X1)), hn::Mul(dw, d1), a##R##1);      \
    if constexpr (kT > 2)                                                                    \
      a##R##2 = hn::MulAdd(hn::ConvertTo(df, Q::Dot(W, X2)), hn::Mul(dw, d2), a##R##2);      \
    if constexpr (kT > 3)                                                                    \
      a##R##3 = hn::MulAdd(hn::ConvertTo(df, Q::Dot(W, X3)), hn::Mul(dw, d3), a##R##3);      \
  }
    GEMMA_QROW(0)
    GEMMA_QROW(1)
    GEMMA_QROW(2)
    GEMMA_QROW(3)
#undef GEMMA_QROW
    (void)X1, (void)X2, (void)X3, (void)d1, (void)d2, (void)d3;
  }
#define GEMMA_STORE(R, T)                                                                  \
  if (kT > T && nr > R) y[T * y_stride + r0 + R] = hn::GetLane(hn::SumOfLanes(df, a##R##T));
#define GEMMA_STORE_ROW(R) GEMMA_STORE(R, 0) GEMMA_STORE(R, 1) GEMMA_STORE(R, 2) GEMMA_STORE(R, 3)
  GEMMA_STORE_ROW(0)
  GEMMA_STORE_ROW(1)
  GEMMA_STORE_ROW(2)
  GEMMA_STORE_ROW(3)
}

#if defined(GEMMA_INT8_VNNI)
// ---------------------------------------------------------------------------
// AVX3_DL: 512-bit VNNI path for Q8_0 / Q4_0 weights (used when the number of
// blocks per row is a multiple of 4; otherwise QTile above).
//
// Work unit: a group of 4 consecutive blocks (128 elements). Dword lane L of a
// zmm belongs to block L % 4 and holds that block's elements 4(L/4)..+3 ("A",
// first 16 elements) or 16 + 4(L/4)..+3 ("B", last 16). The weight bytes of a
// group are brought into this layout with one vpermt2b each (VBMI), so the
// int32 dot product of a whole group is two vpdpbusd with no horizontal work;
// the 4 fp16 weight scales become a zmm (lane L = d of block L % 4) with one
// vpermb + vcvtph2ps. The activations (Q8_0) are rearranged into the same
// layout once per call (ZRepackX), with their scales as 4 floats and the
// unsigned-offset correction -off * sum(x) per block as 4 int32 (lanes 0..3 of
// the dpbusd accumulator input; the other lanes start at 0).
// Per (row, token, group): 2 vpdpbusd + cvt + mul + fma on 16 lanes.
namespace z512 {
constexpr size_t kG = 4;       // blocks per group
constexpr size_t kXG = 160;    // repacked activation bytes per group: A[64] B[64] d[4] corr[4]
constexpr size_t kXD = 128;    // offset of d (4 x f32)
constexpr size_t kXC = 144;    // offset of corr (4 x i32)

struct Tables {
  alignas(64) uint8_t q8a[64];   // window p[0..127]: A quants of a Q8_0 group
  alignas(64) uint8_t q8b[64];   // window p[8..135]: B quants
  alignas(64) uint8_t q8d[64];   // window p[0..127]: fp16 scales, lane L -> block L % 4
  alignas(64) uint8_t q4q[64];   // windows p[0..63], p[8..71]: Q4_0 quant bytes
  alignas(64) uint8_t q4d[64];   // window p[0..63]: fp16 scales
};
constexpr Tables MakeTables() {
  Tables t{};
  for (int k = 0; k < 64; ++k) {
    const int lane = k / 4, blk = lane % 4, e = 4 * (lane / 4) + k % 4;
    t.q8a[k] = static_cast<uint8_t>(34 * blk + 2 + e);
    t.q8b[k] = static_cast<uint8_t>(34 * blk + 2 + 16 + e - 8);
    const int o4 = 18 * blk + 2 + e;
    t.q4q[k] = static_cast<uint8_t>(o4 < 64 ? o4 : o4 + 56);
    const int hl = k / 2, hb = hl % 4, h = k % 2;
    t.q8d[k] = static_cast<uint8_t>(k < 32 ? 34 * hb + h : 0);
    t.q4d[k] = static_cast<uint8_t>(k < 32 ? 18 * hb + h : 0);
  }
  return t;
}
alignas(64) static constexpr Tables kTab = MakeTables();

HWY_INLINE __m512i Ld(const void* p) { return _mm512_loadu_si512(p); }
HWY_INLINE __m512i Tbl(const uint8_t* t) { return _mm512_load_si512(t); }

// acc += u8 x s8 dot products of 4-byte groups. Highway 1.0.3's AVX3_DL target
// lacks "avx512vnni", so the intrinsic is unavailable; zmm forms are EVEX.
HWY_INLINE __m512i Dp(__m512i acc, __m512i u, __m512i s) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
  return acc;
}

struct WG {
  __m512i a, b;  // unsigned quants (Q8: w ^ 0x80; Q4: nibbles)
  __m512 d;      // weight scales
};

struct Q8Z {
  static constexpr int kShift = 7;  // offset 128
  static constexpr size_t kGroupBytes = 4 * sizeof(BlockQ8_0);
  static HWY_INLINE WG Prep(const uint8_t* p) {
    const __m512i l0 = Ld(p), l1 = Ld(p + 64), l0b = Ld(p + 8), l2 = Ld(p + 72);
    const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
    WG w;
    w.a = _mm512_xor_si512(_mm512_permutex2var_epi8(l0, Tbl(kTab.q8a), l1), k80);
    w.b = _mm512_xor_si512(_mm512_permutex2var_epi8(l0b, Tbl(kTab.q8b), l2), k80);
    w.d = _mm512_cvtph_ps(
        _mm512_castsi512_si256(_mm512_permutex2var_epi8(l0, Tbl(kTab.q8d), l1)));
    return w;
  }
};
struct Q4Z {
  static constexpr int kShift = 3;  // offset 8
  static constexpr size_t kGroupBytes = 4 * sizeof(BlockQ4_0);
  static HWY_INLINE WG Prep(const uint8_t* p) {
    const __m512i l0 = Ld(p), l1 = Ld(p + 8);
    const __m512i raw = _mm512_permutex2var_epi8(l0, Tbl(kTab.q4q), l1);
    const __m512i m = _mm512_set1_epi8(0x0F);
    WG w;
    w.a = _mm512_and_si512(raw, m);
    w.b = _mm512_and_si512(_mm512_srli_epi16(raw, 4), m);
    w.d = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi8(Tbl(kTab.q4d), l0)));
    return w;
  }
};

// Rearranges n_tokens prepared Q8_0 rows (ng groups each, x_bytes apart) into
// groups of kXG bytes; token t's groups start at out + t * ng * kXG.
template <int kShift>
HWY_NOINLINE void ZRepackX(const uint8_t* HWY_RESTRICT x, size_t x_bytes, size_t n_tokens,
                           size_t ng, uint8_t* HWY_RESTRICT out) {
  const __m512i ones = _mm512_set1_epi8(1);
  for (size_t t = 0; t < n_tokens; ++t) {
    const uint8_t* xt = x + t * x_bytes;
    uint8_t* o = out + t * ng * kXG;
    for (size_t g = 0; g < ng; ++g, xt += 4 * sizeof(BlockQ8_0), o += kXG) {
      const __m512i l0 = Ld(xt), l1 = Ld(xt + 64), l0b = Ld(xt + 8), l2 = Ld(xt + 72);
      const __m512i a = _mm512_permutex2var_epi8(l0, Tbl(kTab.q8a), l1);
      const __m512i b = _mm512_permutex2var_epi8(l0b, Tbl(kTab.q8b), l2);
      const __m128 d = _mm_cvtph_ps(
          _mm512_castsi512_si128(_mm512_permutex2var_epi8(l0, Tbl(kTab.q8d), l1)));
      __m512i s = Dp(Dp(_mm512_setzero_si512(), ones, a), ones, b);
      s = _mm512_add_epi32(s, _mm512_shuffle_i32x4(s, s, _MM_SHUFFLE(1, 0, 3, 2)));
      s = _mm512_add_epi32(s, _mm512_shuffle_i32x4(s, s, _MM_SHUFFLE(2, 3, 0, 1)));
      const __m128i corr =
          _mm_sub_epi32(_mm_setzero_si128(), _mm_slli_epi32(_mm512_castsi512_si128(s), kShift));
      _mm512_storeu_si512(o, a);
      _mm512_storeu_si512(o + 64, b);
      _mm_storeu_ps(reinterpret_cast<float*>(o + kXD), d);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + kXC), corr);
    }
  }
}

// acc[r * kT + t] += dot(row r, token t) over groups [0, ng) for kR rows
// (row_bytes apart, starting at group 0 = w) and kT tokens (xs apart, repacked).
// Decode streams the weights from DRAM: one row at a time (a single sequential
// stream; interleaving 2-8 rows measured 1.5-2.5x slower on Zen 4), with a
// software prefetch this far ahead.
constexpr size_t kPrefetchBytes = 512;

template <class QZ, size_t kR, size_t kT, bool kPrefetch = (kT == 1)>
HWY_NOINLINE void ZTile(const uint8_t* HWY_RESTRICT w, size_t row_bytes,
                        const uint8_t* HWY_RESTRICT x, size_t xs, size_t ng,
                        __m512* HWY_RESTRICT acc) {
  __m512 a[kR][kT];
#pragma GCC unroll 16
  for (size_t r = 0; r < kR; ++r) {
#pragma GCC unroll 16
    for (size_t t = 0; t < kT; ++t) a[r][t] = acc[r * kT + t];
  }
  for (size_t g = 0; g < ng; ++g, w += QZ::kGroupBytes, x += kXG) {
    WG W[kR];
#pragma GCC unroll 16
    for (size_t r = 0; r < kR; ++r) {
      if constexpr (kPrefetch) {
        for (size_t o = 0; o < QZ::kGroupBytes; o += 64) {
          _mm_prefetch(reinterpret_cast<const char*>(w + r * row_bytes + o + kPrefetchBytes), _MM_HINT_T0);
        }
      }
      W[r] = QZ::Prep(w + r * row_bytes);
    }
#pragma GCC unroll 16
    for (size_t t = 0; t < kT; ++t) {
      const uint8_t* xp = x + t * xs;
      const __m512 dx = _mm512_broadcast_f32x4(_mm_loadu_ps(reinterpret_cast<const float*>(xp + kXD)));
      const __m512i xa = Ld(xp), xb = Ld(xp + 64);
      const __m512i c = _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xp + kXC)));
#pragma GCC unroll 16
      for (size_t r = 0; r < kR; ++r) {
        __m512i s = Dp(c, W[r].a, xa);
        s = Dp(s, W[r].b, xb);
        a[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(W[r].d, dx), a[r][t]);
      }
    }
  }
#pragma GCC unroll 16
  for (size_t r = 0; r < kR; ++r) {
#pragma GCC unroll 16
    for (size_t t = 0; t < kT; ++t) acc[r * kT + t] = a[r][t];
  }
}

// Scratch for repacked activations, per thread (freed when the thread exits).
struct XBuf {
  uint8_t* p = nullptr;
  size_t cap = 0;
  ~XBuf() { ::operator delete[](p, std::align_val_t{64}); }
};
HWY_INLINE uint8_t* XScratch(size_t bytes) {
  static thread_local XBuf buf;
  if (bytes > buf.cap) {
    ::operator delete[](buf.p, std::align_val_t{64});
    buf.p = nullptr;
    buf.cap = bytes + bytes / 4;
    buf.p = static_cast<uint8_t*>(::operator new[](buf.cap, std::align_val_t{64}));
  }
  return buf.p;
}

// Decode (and small batches) use a fixed per-thread buffer, so decoding never
// touches the heap (tests/model/no_alloc_test.cc): 64 KiB holds one token of
// up to 52K columns.
constexpr size_t kStaticX = 64 * 1024;
HWY_INLINE uint8_t* StaticX() {
  alignas(64) static thread_local uint8_t buf[kStaticX];
  return buf;
}

constexpr size_t kTok = 8;         // tokens per tile (prefill)
constexpr size_t kPR = 2;          // rows per tile (prefill)
constexpr size_t kRowBlock = 32;    // rows whose weights are reused from L2 per k-block
constexpr size_t kGroupsKB = 16;   // groups per k-block: kTok x 16 x 160 B = 20 KB of x in L1

template <class QZ, size_t kR, size_t... kT>
HWY_INLINE void ZTileT(size_t nt, const uint8_t* w, size_t row_bytes, const uint8_t* x, size_t xs,
                       size_t ng, __m512* acc, std::index_sequence<kT...>) {
  using Fn = void (*)(const uint8_t*, size_t, const uint8_t*, size_t, size_t, __m512*);
  static constexpr Fn kFns[] = {&ZTile<QZ, kR, kT + 1>...};
  kFns[nt - 1](w, row_bytes, x, xs, ng, acc);
}

template <class QZ>
HWY_NOINLINE void MatMulZ(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin,
                          size_t row_end, float* y, size_t y_stride) {
  const size_t nb = w.cols / kQuantBlock;
  const size_t ng = nb / kG;
  const size_t xs = ng * kXG;
  uint8_t* xr = n_tokens * xs <= kStaticX ? StaticX() : XScratch(n_tokens * xs);
  ZRepackX<QZ::kShift>(x, nb * sizeof(BlockQ8_0), n_tokens, ng, xr);
  const size_t rb = w.row_bytes;
  if (n_tokens == 1) {
    size_t r = row_begin;
    for (; r < row_end; ++r) {
      __m512 acc = _mm512_setzero_ps();
      ZTile<QZ, 1, 1>(w.data + r * rb, rb, xr, xs, ng, &acc);
      y[r] = _mm512_reduce_add_ps(acc);
    }
    return;
  }
  alignas(64) __m512 acc[kRowBlock * kTok];
  for (size_t r0 = row_begin; r0 < row_end; r0 += kRowBlock) {
    const size_t nr = HWY_MIN(kRowBlock, row_end - r0);
    for (size_t t0 = 0; t0 < n_tokens; t0 += kTok) {
      const size_t nt = HWY_MIN(kTok, n_tokens - t0);
      for (size_t i = 0; i < nr * nt; ++i) acc[i] = _mm512_setzero_ps();
      for (size_t g0 = 0; g0 < ng; g0 += kGroupsKB) {
        const size_t ngk = HWY_MIN(kGroupsKB, ng - g0);
        const uint8_t* xg = xr + t0 * xs + g0 * kXG;
        size_t r = 0;
        for (; r + kPR <= nr; r += kPR) {
          ZTileT<QZ, kPR>(nt, w.data + (r0 + r) * rb + g0 * QZ::kGroupBytes, rb, xg, xs, ngk,
                          acc + r * nt, std::make_index_sequence<kTok>());
        }
        for (; r < nr; ++r) {
          ZTileT<QZ, 1>(nt, w.data + (r0 + r) * rb + g0 * QZ::kGroupBytes, rb, xg, xs, ngk,
                        acc + r * nt, std::make_index_sequence<kTok>());
        }
      }
      for (size_t r = 0; r < nr; ++r) {
        for (size_t t = 0; t < nt; ++t) {
          y[(t0 + t) * y_stride + r0 + r] = _mm512_reduce_add_ps(acc[r * nt + t]);
        }
      }
    }
  }
}
}  // namespace z512
#endif  // GEMMA_INT8_VNNI

// ---------------------------------------------------------------------------
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
#define GEMMA_FROW(R)                                                \
  {                                                                  \
    const VF W = LoadWidened<kType>(w##R, i);                        \
    a##R##0 = hn::MulAdd(W, X0, a##R##0);                            \
    if constexpr (kT > 1) a##R##1 = hn::MulAdd(W, X1, a##R##1);      \
    if constexpr (kT > 2) a##R##2 = hn::MulAdd(W, X2, a##R##2);      \
    if constexpr (kT > 3) a##R##3 = hn::MulAdd(W, X3, a##R##3);      \
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

template <class Q>
HWY_NOINLINE void MatMulQ(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin,
                          size_t row_end, float* y, size_t y_stride) {
  const size_t nb = w.cols / kQuantBlock;
  const size_t xb = nb * sizeof(BlockQ8_0);
  ForEachTile(w, x, xb, n_tokens, row_begin, row_end,
              [&](const uint8_t* const* wr, const uint8_t* const* xt, size_t nr, size_t nt,
                  size_t t, size_t r) {
                float* yt = y + t * y_stride;
                switch (nt) {
                  case 1: QTile<Q, 1>(wr, xt, nb, nr, yt, y_stride, r); break;
                  case 2: QTile<Q, 2>(wr, xt, nb, nr, yt, y_stride, r); break;
                  case 3:
                    if constexpr (kMaxT >= 3) QTile<Q, 3>(wr, xt, nb, nr, yt, y_stride, r);
                    break;
                  default:
                    if constexpr (kMaxT >= 4) QTile<Q, 4>(wr, xt, nb, nr, yt, y_stride, r);
                    break;
                }
              });
}

template <DType kType>
HWY_NOINLINE void MatMulF(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin,
                          size_t row_end, float* y, size_t y_stride) {
  const size_t cols = w.cols;
  ForEachTile(w, x, cols * sizeof(float), n_tokens, row_begin, row_end,
              [&](const uint8_t* const* wr, const uint8_t* const* xt, size_t nr, size_t nt,
                  size_t t, size_t r) {
                float* yt = y + t * y_stride;
                switch (nt) {
                  case 1: FTile<kType, 1>(wr, xt, cols, nr, yt, y_stride, r); break;
                  case 2: FTile<kType, 2>(wr, xt, cols, nr, yt, y_stride, r); break;
                  case 3:
                    if constexpr (kMaxT >= 3) FTile<kType, 3>(wr, xt, cols, nr, yt, y_stride, r);
                    break;
                  default:
                    if constexpr (kMaxT >= 4) FTile<kType, 4>(wr, xt, cols, nr, yt, y_stride, r);
                    break;
                }
              });
}

void MatMul(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin, size_t row_end,
            float* y, size_t y_stride) {
  if (n_tokens == 0 || row_begin >= row_end) return;
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
    case DType::kF32: return MatMulF<DType::kF32>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kF16: return MatMulF<DType::kF16>(w, x, n_tokens, row_begin, row_end, y, y_stride);
    case DType::kBF16:
      return MatMulF<DType::kBF16>(w, x, n_tokens, row_begin, row_end, y, y_stride);
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
    case DType::kF32: return WidenRow<DType::kF32>(row, n, out);
    case DType::kF16: return WidenRow<DType::kF16>(row, n, out);
    case DType::kBF16: return WidenRow<DType::kBF16>(row, n, out);
    case DType::kQ8_0:
    case DType::kQ4_0: break;
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
