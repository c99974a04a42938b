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
  return gemma::F16ToF32(h);
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
HWY_INLINE __m256i Ld256(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
HWY_INLINE float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Q4_K / Q5_K: q[2h + s] = elements 64 h + 32 s .. +31 (unsigned); sc16[k]:
// the scale of q[k] in all 16 int16 lanes; mins16: lane j = min of sub-block
// j / 2 (so vpmaddwd with the 16 bsums gives imin).
struct W45 {
  __m256i q[8];
  __m256i sc[8];
  __m256i mins16;
  float d, dmin;
};
HWY_INLINE void ScalesMinsK4(const uint8_t* s, W45* w) {
  alignas(16) int16_t mins[16];
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    if (j < 4) {
      sc = s[j] & 63;
      m = s[j + 4] & 63;
    } else {
      sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
      m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
    w->sc[j] = _mm256_set1_epi16(static_cast<int16_t>(sc));
    mins[2 * j] = mins[2 * j + 1] = static_cast<int16_t>(m);
  }
  w->mins16 = _mm256_load_si256(reinterpret_cast<const __m256i*>(mins));
}

template <bool kFive>
struct Q45Ops {
  using W = W45;
  static HWY_INLINE void Load(const uint8_t* blk, W* w) {
    w->d = HalfAt(blk);
    w->dmin = HalfAt(blk + 2);
    ScalesMinsK4(blk + 4, w);
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
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), k16));
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), k16));
      }
      w->q[2 * h] = lo;
      w->q[2 * h + 1] = hi;
    }
  }
  static HWY_INLINE void Dot(const W& w, const BlockQ8_K* x, __m256& acc, float& mins) {
    __m256i s = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i p = _mm256_maddubs_epi16(w.q[k], Ld256(x->qs + 32 * k));
      s = _mm256_add_epi32(s, _mm256_madd_epi16(p, w.sc[k]));
    }
    const __m256i bs = Ld256(x->bsums);
    const __m256i im = _mm256_madd_epi16(bs, w.mins16);
    const __m256 dx = _mm256_set1_ps(x->d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_set1_ps(w.d), dx), acc);
    // imin as one int32, then scaled in f32 (its lanes are exact integers).
    __m128i m = _mm_add_epi32(_mm256_castsi256_si128(im), _mm256_extracti128_si256(im, 1));
    m = _mm_add_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_add_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    mins += (w.dmin * x->d) * static_cast<float>(_mm_cvtsi128_si32(m));
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
      const __m128i sel = _mm_set_epi8(2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1,
                                       2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i, 2 * i, 2 * i,
                                       2 * i, 2 * i, 2 * i, 2 * i, 2 * i);
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
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_set1_ps(w.d), _mm256_set1_ps(x->d)), acc);
  }
  static HWY_INLINE __m256 Zero() { return _mm256_setzero_ps(); }
  static HWY_INLINE float Sum(__m256 acc) { return HSum(acc); }
};

template <DType kType>
struct KOps;
template <> struct KOps<DType::kQ2_K> { using type = GenericOps<DType::kQ2_K>; };
template <> struct KOps<DType::kQ3_K> { using type = GenericOps<DType::kQ3_K>; };
template <> struct KOps<DType::kQ4_K> { using type = Q45Ops<false>; };
template <> struct KOps<DType::kQ5_K> { using type = Q45Ops<true>; };
template <> struct KOps<DType::kQ6_K> { using type = Q6Ops; };
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
