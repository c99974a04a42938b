// K-quant weights (Q2_K..Q6_K) times Q8_K activations: the dot product of one
// 256-element super-block, per target. Included by kquant_matmul-inl.h;
// compiled for every target by matmul.cc.
//
// Each super-block gives exact integers, scaled once in f32 as llama.cpp does:
//   dot = (d_w * d_x) * isum - (dmin_w * d_x) * imin
//   isum = sum_i sc[i / 16] * q_i * x_i          (q, sc as in kquant.h)
//   imin = sum_j m[j] * bsum_j                   (bsum_j: sum of x in sub-block j)
// Bounds (|x| <= 127 as Q8_K makes them): |q * sc| <= 32 * 128 = 4096 (Q6_K),
// so |isum| <= 256 * 4096 * 127 = 1.3e8 and |imin| <= 16 * 63 * 2032 = 2e6:
// int32 is exact everywhere, including every partial sum below.
//
// Per target:
//   AVX2, AVX3, AVX3_DL (Q4_K, Q5_K, Q6_K): vpmaddubsw on the unsigned quants
//     (Q4_K 0..15, Q5_K 0..31, Q6_K 0..63: pairs of products <= 2 * 63 * 127
//     = 16002 < 32767, no saturation) x signed activations, then vpmaddwd with
//     the 16-bit sub-block scales. Q6_K's offset of 32 is applied once per
//     super-block through the bsums: isum -= 32 * sum_j sc_j * bsum_j.
//   everything else (and Q2_K, Q3_K on x86): the super-block is unpacked to
//     int8 quants (kq::Unpack), multiplied by its scales into int16 weights,
//     and dotted with Highway's ReorderWidenMulAccumulate into int32 lanes.

#if defined(GEMMA_KERNELS_KQUANT_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_KQUANT_DOT_INL_H_
#undef GEMMA_KERNELS_KQUANT_DOT_INL_H_
#else
#define GEMMA_KERNELS_KQUANT_DOT_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/kquant.h"
#include "kernels/types.h"

#undef GEMMA_KQ_AVX2
#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define GEMMA_KQ_AVX2 1
#endif

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace kq {

HWY_INLINE float HalfAt(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
#if defined(GEMMA_KQ_AVX2)
  return _cvtsh_ss(h);  // F16C (part of Highway's AVX2 target), exact
#else
  return gemma::F16ToF32(h);
#endif
}

// ---------------------------------------------------------------------------
// Portable: unpacked super-block weights w = q * sc (int16) and the min
// coefficients, reused by every token of a tile.
using DI = hn::CappedTag<int32_t, 8>;
#if HWY_TARGET == HWY_SCALAR
using D16 = hn::Rebind<int16_t, DI>;
#else
using D16 = hn::Repartition<int16_t, DI>;
#endif
using D8 = hn::Rebind<int8_t, D16>;
using DF = hn::Rebind<float, DI>;
using VF = hn::Vec<DF>;

struct GenericW {
  HWY_ALIGN int16_t w[kSuperBlock];
  int16_t m[16];
  float d, dmin;
};

template <DType kType>
struct GenericOps {
  using W = GenericW;
  static HWY_INLINE void Load(const uint8_t* blk, W* out) {
    gemma::kernels::kq::Unpacked u;
    gemma::kernels::kq::Unpack(kType, blk, &u);
    for (size_t i = 0; i < kSuperBlock; ++i) {
      out->w[i] = static_cast<int16_t>(u.q[i] * u.sc[i / 16]);  // |.| <= 4096
    }
    std::memcpy(out->m, u.m, sizeof(out->m));
    out->d = u.d;
    out->dmin = u.dmin;
  }
  // acc (f32 lanes) += d_w d_x * isum; *mins += dmin_w d_x * imin.
  static HWY_INLINE void Dot(const W& w, const BlockQ8_K* x, VF& acc, float& mins) {
    const DI di;
    const D16 d16;
    const D8 d8;
    const DF df;
    auto s0 = hn::Zero(di), s1 = hn::Zero(di);
    for (size_t i = 0; i < kSuperBlock; i += hn::Lanes(d16)) {
      const auto xv = hn::PromoteTo(d16, hn::LoadU(d8, x->qs + i));
      s0 = hn::ReorderWidenMulAccumulate(di, hn::Load(d16, w.w + i), xv, s0, s1);
    }
    const float dx = x->d;
    acc = hn::MulAdd(hn::ConvertTo(df, hn::Add(s0, s1)), hn::Set(df, w.d * dx), acc);
    if (kType == DType::kQ2_K || kType == DType::kQ4_K || kType == DType::kQ5_K) {
      int32_t imin = 0;
      for (size_t j = 0; j < 16; ++j) imin += w.m[j] * x->bsums[j];
      mins += (w.dmin * dx) * static_cast<float>(imin);
    }
  }
  static HWY_INLINE VF Zero() { return hn::Zero(DF()); }
  static HWY_INLINE float Sum(VF acc) { return hn::GetLane(hn::SumOfLanes(DF(), acc)); }
};

#if defined(GEMMA_KQ_AVX2)
// ---------------------------------------------------------------------------
// x86 (256-bit): quants stay in registers as unsigned bytes.
HWY_INLINE __m256i Ld256(const void* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
HWY_INLINE float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Q4_K / Q5_K scales and mins (ggml's get_scale_min_k4 for all 8 at once,
// as llama.cpp's AVX2 code does): 12 bytes -> u32 words [sc0-3, sc4-7,
// m0-3, m4-7], widened to int16. sc2: the 8 scales in both 128-bit halves
// (for vpshufb broadcasts); mins16: lane j = min of sub-block j / 2 (so
// vpmaddwd with the 16 bsums gives imin).
struct ScalesK4 {
  __m256i sc2, mins16;
};
HWY_INLINE ScalesK4 UnpackScalesK4(const uint8_t* s) {
  uint32_t u[4];
  std::memcpy(u, s, 12);
  constexpr uint32_t kM1 = 0x3f3f3f3f, kM2 = 0x0f0f0f0f, kM3 = 0x03030303;
  u[3] = ((u[2] >> 4) & kM2) | (((u[1] >> 6) & kM3) << 4);  // mins 4-7
  const uint32_t m03 = u[1] & kM1;                          // mins 0-3
  u[1] = (u[2] & kM2) | (((u[0] >> 6) & kM3) << 4);         // scales 4-7
  u[2] = m03;
  u[0] &= kM1;  // scales 0-3
  const __m128i v = _mm_set_epi32(static_cast<int>(u[3]), static_cast<int>(u[2]),
                                  static_cast<int>(u[1]), static_cast<int>(u[0]));
  ScalesK4 r;
  r.sc2 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(v));
  const __m128i m = _mm_unpackhi_epi8(v, v);  // m0 m0 m1 m1 ... m7 m7
  r.mins16 = _mm256_cvtepu8_epi16(m);
  return r;
}
// vpshufb masks: int16 lane k of sc2 into every lane.
struct ShufK4 {
  alignas(32) uint8_t m[8][32];
};
constexpr ShufK4 MakeShufK4() {
  ShufK4 t{};
  for (int k = 0; k < 8; ++k) {
    for (int b = 0; b < 32; ++b) t.m[k][b] = static_cast<uint8_t>(2 * k + (b & 1));
  }
  return t;
}
alignas(32) static constexpr ShufK4 kShufK4 = MakeShufK4();
HWY_INLINE __m256i ScaleK4(__m256i sc2, int k) {
  return _mm256_shuffle_epi8(sc2,
                             _mm256_load_si256(reinterpret_cast<const __m256i*>(kShufK4.m[k])));
}

// Q4_K / Q5_K: q[2h + s] = elements 64 h + 32 s .. +31 (unsigned).
struct W45 {
  __m256i q[8];
  __m256i sc2, mins16;
  float d, dmin;
};

template <bool kFive>
struct Q45Ops {
  using W = W45;
  static HWY_INLINE void Load(const uint8_t* blk, W* w) {
    w->d = HalfAt(blk);
    w->dmin = HalfAt(blk + 2);
    const ScalesK4 sm = UnpackScalesK4(blk + 4);
    w->sc2 = sm.sc2;
    w->mins16 = sm.mins16;
    const uint8_t* qs = kFive ? blk + 48 : blk + 16;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i qh = kFive ? Ld256(blk + 16) : _mm256_setzero_si256();
    for (int h = 0; h < 4; ++h) {
      const __m256i b = Ld256(qs + 32 * h);
      __m256i lo = _mm256_and_si256(b, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(b, 4), m4);
      if constexpr (kFive) {
        // Bit 2h (2h + 1) of qh[l] adds 16 to element 64 h + l (+ 32).
        const __m256i b0 = _mm256_set1_epi8(static_cast<char>(1 << (2 * h)));
        const __m256i b1 = _mm256_set1_epi8(static_cast<char>(1 << (2 * h + 1)));
        const __m256i k16 = _mm256_set1_epi8(16);
        lo = _mm256_or_si256(
            lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), k16));
        hi = _mm256_or_si256(
            hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), k16));
      }
      w->q[2 * h] = lo;
      w->q[2 * h + 1] = hi;
    }
  }
  static HWY_INLINE void Dot(const W& w, const BlockQ8_K* x, __m256& acc, float& /*mins*/) {
    __m256i s = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i p = _mm256_maddubs_epi16(w.q[k], Ld256(x->qs + 32 * k));
      s = _mm256_add_epi32(s, _mm256_madd_epi16(p, ScaleK4(w.sc2, k)));
    }
    // imin lanes (exact int32) scaled and subtracted in the same f32 lanes:
    // no horizontal work per super-block.
    const __m256i im = _mm256_madd_epi16(Ld256(x->bsums), w.mins16);
    const __m256 dx = _mm256_set1_ps(x->d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_set1_ps(w.d), dx), acc);
    acc = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(im), _mm256_mul_ps(_mm256_set1_ps(w.dmin), dx), acc);
  }
  // One token (decode): unpack and dot 64 elements at a time, so only a few
  // registers are live; the same integer sums and f32 ops as Load + Dot.
  static HWY_INLINE void DotDirect(const uint8_t* blk, const BlockQ8_K* x, __m256& acc) {
    const ScalesK4 sm = UnpackScalesK4(blk + 4);
#if HWY_TARGET <= HWY_AVX3
    if constexpr (!kFive) {
      // 512-bit: one zmm = [low nibbles | high nibbles] of 32 bytes = 64
      // consecutive elements, against 64 consecutive activations. Folding
      // the two 256-bit halves gives each int32 lane the same products as
      // the 256-bit Dot's lane (exact), so the f32 result is identical.
      const __m512i sc4 = _mm512_broadcast_i32x4(_mm256_castsi256_si128(sm.sc2));
      const __m512i sh = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
      const __m512i m4 = _mm512_set1_epi8(0x0F);
      __m512i s = _mm512_setzero_si512();
      for (int h = 0; h < 4; ++h) {
        const __m512i b = _mm512_broadcast_i64x4(Ld256(blk + 16 + 32 * h));
        const __m512i q = _mm512_and_si512(_mm512_srlv_epi64(b, sh), m4);
        const __m512i p = _mm512_maddubs_epi16(q, _mm512_loadu_si512(x->qs + 64 * h));
        const __m512i sc =
            _mm512_inserti64x4(_mm512_castsi256_si512(ScaleK4(_mm512_castsi512_si256(sc4), 2 * h)),
                               ScaleK4(_mm512_castsi512_si256(sc4), 2 * h + 1), 1);
        s = _mm512_add_epi32(s, _mm512_madd_epi16(p, sc));
      }
      const __m256i s8 =
          _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
      const __m256i im = _mm256_madd_epi16(Ld256(x->bsums), sm.mins16);
      const __m256 dx = _mm256_set1_ps(x->d);
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s8), _mm256_mul_ps(_mm256_set1_ps(HalfAt(blk)), dx),
                            acc);
      acc = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(im),
                             _mm256_mul_ps(_mm256_set1_ps(HalfAt(blk + 2)), dx), acc);
      return;
    }
#endif
    const uint8_t* qs = kFive ? blk + 48 : blk + 16;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i qh = kFive ? Ld256(blk + 16) : _mm256_setzero_si256();
    __m256i s = _mm256_setzero_si256();
    for (int h = 0; h < 4; ++h) {
      const __m256i b = Ld256(qs + 32 * h);
      __m256i lo = _mm256_and_si256(b, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(b, 4), m4);
      if constexpr (kFive) {
        const __m256i b0 = _mm256_set1_epi8(static_cast<char>(1 << (2 * h)));
        const __m256i b1 = _mm256_set1_epi8(static_cast<char>(1 << (2 * h + 1)));
        const __m256i k16 = _mm256_set1_epi8(16);
        lo = _mm256_or_si256(
            lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), k16));
        hi = _mm256_or_si256(
            hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), k16));
      }
      const __m256i pl = _mm256_maddubs_epi16(lo, Ld256(x->qs + 64 * h));
      const __m256i ph = _mm256_maddubs_epi16(hi, Ld256(x->qs + 64 * h + 32));
      s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_madd_epi16(pl, ScaleK4(sm.sc2, 2 * h)),
                                               _mm256_madd_epi16(ph, ScaleK4(sm.sc2, 2 * h + 1))));
    }
    const __m256i im = _mm256_madd_epi16(Ld256(x->bsums), sm.mins16);
    const __m256 dx = _mm256_set1_ps(x->d);
    acc =
        _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_set1_ps(HalfAt(blk)), dx), acc);
    acc = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(im),
                           _mm256_mul_ps(_mm256_set1_ps(HalfAt(blk + 2)), dx), acc);
  }
  static HWY_INLINE __m256 Zero() { return _mm256_setzero_ps(); }
  static HWY_INLINE float Sum(__m256 acc) { return HSum(acc); }
};

// Q6_K: q[4 h + k] = elements 128 h + 32 k .. +31 as unsigned 0..63; sc[i]:
// int16 lanes 0-7 = scale 2i, lanes 8-15 = scale 2i + 1 (the two sub-blocks
// of 16 in q[i]); sc16: the 16 scales, for the offset term.
struct W6 {
  __m256i q[8];
  __m256i sc[8];
  __m256i sc16;
  float d;
};
struct Q6Ops {
  using W = W6;
  static HWY_INLINE void Load(const uint8_t* blk, W* w) {
    const uint8_t* ql = blk;
    const uint8_t* qh = blk + 128;
    const __m128i s8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192));
    w->d = HalfAt(blk + 208);
    w->sc16 = _mm256_cvtepi8_epi16(s8);
    for (int i = 0; i < 8; ++i) {
      const __m128i sel =
          _mm_set_epi8(2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1,
                       2 * i + 1, 2 * i, 2 * i, 2 * i, 2 * i, 2 * i, 2 * i, 2 * i, 2 * i);
      w->sc[i] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(s8, sel));
    }
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; ++h) {
      const __m256i l0 = Ld256(ql + 64 * h), l1 = Ld256(ql + 64 * h + 32);
      const __m256i hb = Ld256(qh + 32 * h);
      const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4);
      const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m3), 4);
      const __m256i h2 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m3), 4);
      const __m256i h3 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m3), 4);
      w->q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(l0, m4), h0);
      w->q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(l1, m4), h1);
      w->q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), h2);
      w->q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), h3);
    }
  }
  static HWY_INLINE void Dot(const W& w, const BlockQ8_K* x, __m256& acc, float& /*mins*/) {
    __m256i s = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i p = _mm256_maddubs_epi16(w.q[k], Ld256(x->qs + 32 * k));
      s = _mm256_add_epi32(s, _mm256_madd_epi16(p, w.sc[k]));
    }
    // Offset: isum -= 32 * sum_j sc_j * bsum_j (lane-wise; exact).
    const __m256i off = _mm256_madd_epi16(Ld256(x->bsums), w.sc16);
    s = _mm256_sub_epi32(s, _mm256_slli_epi32(off, 5));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s),
                          _mm256_mul_ps(_mm256_set1_ps(w.d), _mm256_set1_ps(x->d)), acc);
  }
#if HWY_TARGET <= HWY_AVX3
  // One token on AVX-512: per half h, zmm A = ql[64h..64h+63] holds the low
  // nibbles of elements 128h + 0..63 (and, >> 4, of + 64..127); the high 2
  // bits come from qh[32h..] shifted by 0/2 (4/6) in the upper 256 bits.
  // vpermw spreads the 4 sub-block scales of each 64 elements over their
  // int16 lanes. Folding the 256-bit halves gives each int32 lane the same
  // products as Dot's lane (exact), so the f32 result is identical.
  static HWY_INLINE void DotDirect(const uint8_t* blk, const BlockQ8_K* x, __m256& acc) {
    const __m256i sc16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192)));
    const __m512i sc32 = _mm512_castsi256_si512(sc16);
    const __m512i m4 = _mm512_set1_epi8(0x0F), m3 = _mm512_set1_epi8(3);
    const __m512i sh01 = _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0);
    const __m512i sh23 = _mm512_set_epi64(6, 6, 6, 6, 4, 4, 4, 4);
    __m512i s = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m512i a = _mm512_loadu_si512(blk + 64 * h);
      const __m512i hb = _mm512_broadcast_i64x4(Ld256(blk + 128 + 32 * h));
      const __m512i h01 = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi64(hb, sh01), m3), 4);
      const __m512i h23 = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi64(hb, sh23), m3), 4);
      const __m512i q01 = _mm512_or_si512(_mm512_and_si512(a, m4), h01);
      const __m512i q23 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(a, 4), m4), h23);
      const __m512i p01 = _mm512_maddubs_epi16(q01, _mm512_loadu_si512(x->qs + 128 * h));
      const __m512i p23 = _mm512_maddubs_epi16(q23, _mm512_loadu_si512(x->qs + 128 * h + 64));
      // int16 lane L of the 64 elements from 128h + 64g uses scale 8h + 4g + L / 8.
      const __m512i i01 = _mm512_add_epi16(_mm512_srli_epi16(kLane16(), 3),
                                           _mm512_set1_epi16(static_cast<int16_t>(8 * h)));
      const __m512i i23 = _mm512_add_epi16(i01, _mm512_set1_epi16(4));
      s = _mm512_add_epi32(s, _mm512_madd_epi16(p01, _mm512_permutexvar_epi16(i01, sc32)));
      s = _mm512_add_epi32(s, _mm512_madd_epi16(p23, _mm512_permutexvar_epi16(i23, sc32)));
    }
    __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
    const __m256i off = _mm256_madd_epi16(Ld256(x->bsums), sc16);
    s8 = _mm256_sub_epi32(s8, _mm256_slli_epi32(off, 5));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s8),
                          _mm256_mul_ps(_mm256_set1_ps(HalfAt(blk + 208)), _mm256_set1_ps(x->d)),
                          acc);
  }
  // 0, 1, ..., 31 as int16 lanes.
  static HWY_INLINE __m512i kLane16() {
    return _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14,
                            13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  }
#endif
  static HWY_INLINE __m256 Zero() { return _mm256_setzero_ps(); }
  static HWY_INLINE float Sum(__m256 acc) { return HSum(acc); }
};

template <DType kType>
struct KOps;
template <>
struct KOps<DType::kQ2_K> {
  using type = GenericOps<DType::kQ2_K>;
};
template <>
struct KOps<DType::kQ3_K> {
  using type = GenericOps<DType::kQ3_K>;
};
template <>
struct KOps<DType::kQ4_K> {
  using type = Q45Ops<false>;
};
template <>
struct KOps<DType::kQ5_K> {
  using type = Q45Ops<true>;
};
template <>
struct KOps<DType::kQ6_K> {
  using type = Q6Ops;
};
#else
template <DType kType>
struct KOps {
  using type = GenericOps<kType>;
};
#endif

}  // namespace kq
}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
