// AVX3_DL only: MatMul on Q8_0 / Q4_0 weights in the interleaved strip
// layout (interleave.h). Included by matmul-inl.h; empty on other targets,
// which de-interleave strips and use their usual kernels instead.
//
// Dword lane l of every register is row l of a 16-row strip. Per strip block
// (16 rows x 32 columns) the weights become 8 registers of unsigned bytes
// (Q4_0: 4 loads, each split into low and high nibbles; Q8_0: 8 loads, the
// XOR 0x80 already applied at interleave time), and per token:
//   s   = -off * sum(x)                  (int32, broadcast: the unsigned offset)
//   s  += vpdpbusd(u_k, x dword k{1to16}) for k < 8   (exact int32 dot products)
//   acc = fma(float(s), d_w * d_x, acc)  (16 rows at once, blocks in order)
// 8 vpdpbusd + 1 multiply + 1 FMA per 512 multiply-adds, where the row layout
// needs 8 + 4 + 4 (matmul_z512-inl.h). Lane l of acc is row l's result: no
// horizontal sums. Every lane's arithmetic is the same whatever the number of
// tokens in the call, so results are bit-identical alone or batched.

#if defined(GEMMA_KERNELS_MATMUL_STRIP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_MATMUL_STRIP_INL_H_
#undef GEMMA_KERNELS_MATMUL_STRIP_INL_H_
#else
#define GEMMA_KERNELS_MATMUL_STRIP_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "hwy/highway.h"
#include "kernels/int8_dot-inl.h"
#include "kernels/interleave.h"
#include "kernels/kernels.h"
#include "kernels/matmul_z512-inl.h"
#include "kernels/types.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {

#if defined(GEMMA_INT8_VNNI)
namespace strip {

// Activations per (token, block): the 32 int8 quants, d as f32, and the
// offset correction -off * sum(quants) as int32.
constexpr size_t kXB = 40;
constexpr size_t kXD = 32;
constexpr size_t kXC = 36;

// The 8 unsigned operand registers of one strip block (quants after the
// 32 bytes of scales).
struct Q4S {
  static constexpr int kShift = 3;  // offset 8
  static constexpr size_t kBlockBytes = kStripRows * sizeof(BlockQ4_0);
  static HWY_INLINE void Unpack(const uint8_t* q, __m512i u[8]) {
    const __m512i m = _mm512_set1_epi8(0x0F);
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) {
      const __m512i c = _mm512_loadu_si512(q + kStripChunkBytes * j);
      u[2 * j] = _mm512_and_si512(c, m);
      u[2 * j + 1] = _mm512_and_si512(_mm512_srli_epi16(c, 4), m);
    }
  }
};
struct Q8S {
  static constexpr int kShift = 7;  // offset 128
  static constexpr size_t kBlockBytes = kStripRows * sizeof(BlockQ8_0);
  static HWY_INLINE void Unpack(const uint8_t* q, __m512i u[8]) {
#pragma GCC unroll 8
    for (size_t k = 0; k < 8; ++k) u[k] = _mm512_loadu_si512(q + kStripChunkBytes * k);
  }
};

// acc += u8 x s8 dot products of u with the 4 bytes at x4 in every lane.
HWY_INLINE __m512i DpB(__m512i acc, __m512i u, const uint8_t* x4) {
  int32_t v;
  std::memcpy(&v, x4, 4);
  asm("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(u), "m"(v));
  return acc;
}

// Q8_0 activation rows (x_bytes apart) -> kXB bytes per (token, block).
template <int kShift>
HWY_NOINLINE void PrepX(const uint8_t* HWY_RESTRICT x, size_t x_bytes, size_t n_tokens, size_t nb,
                        uint8_t* HWY_RESTRICT out) {
  const __m256i k80 = _mm256_set1_epi8(static_cast<char>(0x80));
  for (size_t t = 0; t < n_tokens; ++t) {
    const uint8_t* blk = x + t * x_bytes;
    for (size_t b = 0; b < nb; ++b, blk += sizeof(BlockQ8_0), out += kXB) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
      // sum(q) = sum(q + 128) - 32 * 128, the unsigned sum by psadbw.
      const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(q, k80), _mm256_setzero_si256());
      const __m128i s2 =
          _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
      const int32_t sum =
          static_cast<int32_t>(_mm_cvtsi128_si64(_mm_add_epi64(s2, _mm_unpackhi_epi64(s2, s2)))) -
          32 * 128;
      uint16_t dh;
      std::memcpy(&dh, blk, 2);
      const float d = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(dh)));
      const int32_t corr = -sum * (1 << kShift);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), q);
      std::memcpy(out + kXD, &d, 4);
      std::memcpy(out + kXC, &corr, 4);
    }
  }
}

// Decode reads each strip once from DRAM; prefetch this far ahead.
constexpr size_t kPrefetchBytes = 2048;

// acc[t] += strip (16 rows) x token t over nb blocks, for kT tokens (xs bytes
// apart in the PrepX layout). w and x point at the first block.
template <class S, size_t kT, bool kPrefetch>
HWY_NOINLINE void StripTile(const uint8_t* HWY_RESTRICT w, const uint8_t* HWY_RESTRICT x, size_t xs,
                            size_t nb, __m512* HWY_RESTRICT acc) {
  __m512 a[kT];
#pragma GCC unroll 8
  for (size_t t = 0; t < kT; ++t) a[t] = acc[t];
  for (size_t b = 0; b < nb; ++b, w += S::kBlockBytes, x += kXB) {
    if constexpr (kPrefetch) {
      for (size_t o = 0; o < S::kBlockBytes; o += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(w + kPrefetchBytes + o), _MM_HINT_T0);
      }
    }
    __m512i u[8];
    S::Unpack(w + kStripScaleBytes, u);
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)));
#pragma GCC unroll 8
    for (size_t t = 0; t < kT; ++t) {
      const uint8_t* xp = x + t * xs;
      int32_t corr;
      float dx;
      std::memcpy(&corr, xp + kXC, 4);
      std::memcpy(&dx, xp + kXD, 4);
      __m512i s;
      if constexpr (kT == 1) {
        // One token: two independent chains keep both VNNI pipes busy (the
        // integer sum is exact, so this changes no bit of the result).
        __m512i s0 = _mm512_set1_epi32(corr), s1 = _mm512_setzero_si512();
#pragma GCC unroll 4
        for (size_t k = 0; k < 8; k += 2) {
          s0 = DpB(s0, u[k], xp + 4 * k);
          s1 = DpB(s1, u[k + 1], xp + 4 * k + 4);
        }
        s = _mm512_add_epi32(s0, s1);
      } else {
        s = _mm512_set1_epi32(corr);
#pragma GCC unroll 8
        for (size_t k = 0; k < 8; ++k) s = DpB(s, u[k], xp + 4 * k);
      }
      a[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(dx)), a[t]);
    }
  }
#pragma GCC unroll 8
  for (size_t t = 0; t < kT; ++t) acc[t] = a[t];
}

constexpr size_t kTok = 8;        // tokens per register tile
constexpr size_t kStripsRB = 4;   // strips whose weights are reused from L2 per k-block
constexpr size_t kBlocksKB = 64;  // blocks per k-block: kTok x 64 x 40 B = 20 KB of x

// Per-thread prefill accumulators (grown, never shrunk; freed at thread exit).
HWY_INLINE __m512* AccScratch(size_t n) {
  static thread_local z512::XBuf buf;
  return reinterpret_cast<__m512*>(z512::Grow(buf, n * sizeof(__m512)));
}

template <class S, bool kPrefetch, size_t... kT>
HWY_INLINE void StripTileT(size_t nt, const uint8_t* w, const uint8_t* x, size_t xs, size_t nb,
                           __m512* acc, std::index_sequence<kT...>) {
  using Fn = void (*)(const uint8_t*, const uint8_t*, size_t, size_t, __m512*);
  static constexpr Fn kFns[] = {&StripTile<S, kT + 1, kPrefetch>...};
  kFns[nt - 1](w, x, xs, nb, acc);
}

// Stores rows [row_begin, row_end) of strip s from its accumulator.
HWY_INLINE void StoreStrip(__m512 acc, size_t s, size_t row_begin, size_t row_end, float* y) {
  const size_t r0 = s * kStripRows;
  if (r0 >= row_begin && r0 + kStripRows <= row_end) {
    _mm512_storeu_ps(y + r0, acc);
    return;
  }
  const size_t lo = row_begin > r0 ? row_begin - r0 : 0;
  const size_t hi = HWY_MIN(row_end - r0, kStripRows);
  const __mmask16 m = static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
  _mm512_mask_storeu_ps(y + r0, m, acc);
}

template <class S>
HWY_NOINLINE void MatMulStrip(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin,
                              size_t row_end, float* y, size_t y_stride) {
  const size_t nb = w.cols / kQuantBlock;
  const size_t xs = nb * kXB;
  uint8_t* xr = n_tokens * xs <= z512::kStaticX ? z512::StaticX() : z512::XScratch(n_tokens * xs);
  PrepX<S::kShift>(x, nb * sizeof(BlockQ8_0), n_tokens, nb, xr);
  const size_t strip_bytes = kStripRows * w.row_bytes;
  const size_t s_begin = row_begin / kStripRows;
  const size_t s_end = (row_end + kStripRows - 1) / kStripRows;
  if (n_tokens <= kTok) {
    // Decode and small batches: every strip once, straight from DRAM.
    alignas(64) __m512 acc[kTok];
    for (size_t s = s_begin; s < s_end; ++s) {
      for (size_t t = 0; t < n_tokens; ++t) acc[t] = _mm512_setzero_ps();
      StripTileT<S, true>(n_tokens, w.data + s * strip_bytes, xr, xs, nb, acc,
                          std::make_index_sequence<kTok>());
      for (size_t t = 0; t < n_tokens; ++t)
        StoreStrip(acc[t], s, row_begin, row_end, y + t * y_stride);
    }
    return;
  }
  // Prefill: kStripsRB strips x all tokens of accumulators; per k-block of
  // kBlocksKB blocks, each token tile's activations (in L1) meet every strip
  // of the row block, and each strip's weights (in L2) meet every token tile.
  __m512* acc = AccScratch(kStripsRB * n_tokens);
  for (size_t sb = s_begin; sb < s_end; sb += kStripsRB) {
    const size_t ns = HWY_MIN(kStripsRB, s_end - sb);
    for (size_t i = 0; i < ns * n_tokens; ++i) acc[i] = _mm512_setzero_ps();
    for (size_t b0 = 0; b0 < nb; b0 += kBlocksKB) {
      const size_t nbk = HWY_MIN(kBlocksKB, nb - b0);
      for (size_t t0 = 0; t0 < n_tokens; t0 += kTok) {
        const size_t nt = HWY_MIN(kTok, n_tokens - t0);
        for (size_t i = 0; i < ns; ++i) {
          StripTileT<S, false>(nt, w.data + (sb + i) * strip_bytes + b0 * S::kBlockBytes,
                               xr + t0 * xs + b0 * kXB, xs, nbk, acc + i * n_tokens + t0,
                               std::make_index_sequence<kTok>());
        }
      }
    }
    for (size_t i = 0; i < ns; ++i) {
      for (size_t t = 0; t < n_tokens; ++t) {
        StoreStrip(acc[i * n_tokens + t], sb + i, row_begin, row_end, y + t * y_stride);
      }
    }
  }
}

}  // namespace strip
#endif  // GEMMA_INT8_VNNI

}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
