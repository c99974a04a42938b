// AVX3_DL only: the 512-bit VNNI path for Q8_0 / Q4_0 weights. Included by
// matmul-inl.h; empty on every other target.

#if defined(GEMMA_KERNELS_MATMUL_Z512_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_MATMUL_Z512_INL_H_
#undef GEMMA_KERNELS_MATMUL_Z512_INL_H_
#else
#define GEMMA_KERNELS_MATMUL_Z512_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "hwy/highway.h"
#include "kernels/int8_dot-inl.h"
#include "kernels/kernels.h"
#include "kernels/types.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

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
constexpr size_t kG = 4;     // blocks per group
constexpr size_t kXG = 160;  // repacked activation bytes per group: A[64] B[64] d[4] corr[4]
constexpr size_t kXD = 128;  // offset of d (4 x f32)
constexpr size_t kXC = 144;  // offset of corr (4 x i32)

struct Tables {
  alignas(64) uint8_t q8a[64];  // window p[0..127]: A quants of a Q8_0 group
  alignas(64) uint8_t q8b[64];  // window p[8..135]: B quants
  alignas(64) uint8_t q8d[64];  // window p[0..127]: fp16 scales, lane L -> block L % 4
  alignas(64) uint8_t q4q[64];  // windows p[0..63], p[8..71]: Q4_0 quant bytes
  alignas(64) uint8_t q4d[64];  // window p[0..63]: fp16 scales
  // Pairs of Q4_0 groups (144 bytes) read as p[0..63], p[64..127], p[80..143]:
  alignas(64) uint8_t q4q0[64];  // first group's quants from p[0..127]
  alignas(64) uint8_t q4q1[64];  // second group's from p[64..127] : p[80..143]
  alignas(64) uint8_t q4d1[64];  // second group's scales from p[64..127]
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
    t.q4q0[k] = static_cast<uint8_t>(o4);
    const int b1 = 72 + o4;
    t.q4q1[k] = static_cast<uint8_t>(b1 < 128 ? b1 - 64 : b1 - 16);
    t.q4d1[k] = static_cast<uint8_t>(k < 32 ? 8 + 18 * hb + h : 0);
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
    w.d = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutex2var_epi8(l0, Tbl(kTab.q8d), l1)));
    return w;
  }
  static HWY_INLINE void Prep2(const uint8_t* p, WG& w0, WG& w1) {
    w0 = Prep(p);
    w1 = Prep(p + kGroupBytes);
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
  // Two consecutive groups from three loads that stay inside the 144 bytes.
  static HWY_INLINE void Prep2(const uint8_t* p, WG& w0, WG& w1) {
    const __m512i l0 = Ld(p), l1 = Ld(p + 64), l2 = Ld(p + 80);
    const __m512i m = _mm512_set1_epi8(0x0F);
    const __m512i r0 = _mm512_permutex2var_epi8(l0, Tbl(kTab.q4q0), l1);
    const __m512i r1 = _mm512_permutex2var_epi8(l1, Tbl(kTab.q4q1), l2);
    w0.a = _mm512_and_si512(r0, m);
    w0.b = _mm512_and_si512(_mm512_srli_epi16(r0, 4), m);
    w1.a = _mm512_and_si512(r1, m);
    w1.b = _mm512_and_si512(_mm512_srli_epi16(r1, 4), m);
    w0.d = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi8(Tbl(kTab.q4d), l0)));
    w1.d = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi8(Tbl(kTab.q4d1), l1)));
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
      const __m128 d =
          _mm_cvtph_ps(_mm512_castsi512_si128(_mm512_permutex2var_epi8(l0, Tbl(kTab.q8d), l1)));
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
// stream; interleaving 2-8 rows measured 1.5-2.5x slower on Zen 4 from 4 KiB
// pages, and no faster from huge pages with two threads), with a software
// prefetch this far ahead (1024 B: +4% over 512 B on Gemma-2B Q4_0 decode,
// 2 threads, huge pages; equal on Q8_0).
constexpr size_t kPrefetchBytes = 1024;

template <class QZ, size_t kR, size_t kT, bool kPrefetch>
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
        // The next tile's rows at this group: small batches (continuous
        // batching decode steps) read each weight once, straight from DRAM.
        for (size_t o = 0; o < QZ::kGroupBytes; o += 64) {
          _mm_prefetch(reinterpret_cast<const char*>(w + (r + kR) * row_bytes + o), _MM_HINT_T0);
        }
      }
      W[r] = QZ::Prep(w + r * row_bytes);
    }
#pragma GCC unroll 16
    for (size_t t = 0; t < kT; ++t) {
      const uint8_t* xp = x + t * xs;
      const __m512 dx =
          _mm512_broadcast_f32x4(_mm_loadu_ps(reinterpret_cast<const float*>(xp + kXD)));
      const __m512i xa = Ld(xp), xb = Ld(xp + 64);
      const __m512i c =
          _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xp + kXC)));
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

// Decode: dot(row, x) for one token over ng groups, two groups per step,
// prefetching ahead. Q4_0 reads a pair of groups (144 B) with three loads
// instead of four (Prep2). One accumulator, groups in order: the sum is
// bit-identical to ZTile's for the same row and token, so a sequence decodes
// the same tokens alone or in a batch (continuous batching relies on it).
template <class QZ>
HWY_INLINE float ZDecodeRow(const uint8_t* HWY_RESTRICT w, const uint8_t* HWY_RESTRICT x,
                            size_t ng) {
  __m512 a = _mm512_setzero_ps();
  auto step = [&](const WG& W, const uint8_t* xp) {
    const __m512 dx =
        _mm512_broadcast_f32x4(_mm_loadu_ps(reinterpret_cast<const float*>(xp + kXD)));
    const __m512i c =
        _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xp + kXC)));
    __m512i s = Dp(c, W.a, Ld(xp));
    s = Dp(s, W.b, Ld(xp + 64));
    a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(W.d, dx), a);
  };
  size_t g = 0;
  for (; g + 2 <= ng; g += 2, w += 2 * QZ::kGroupBytes, x += 2 * kXG) {
    for (size_t o = 0; o < 2 * QZ::kGroupBytes; o += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(w + o + kPrefetchBytes), _MM_HINT_T0);
    }
    WG W0, W1;
    QZ::Prep2(w, W0, W1);
    step(W0, x);
    step(W1, x + kXG);
  }
  if (g < ng) step(QZ::Prep(w), x);
  return _mm512_reduce_add_ps(a);
}

// Scratch for repacked activations, per thread (freed when the thread exits).
struct XBuf {
  uint8_t* p = nullptr;
  size_t cap = 0;
  ~XBuf() { ::operator delete[](p, std::align_val_t{64}); }
};
HWY_INLINE uint8_t* Grow(XBuf& buf, size_t bytes) {
  if (bytes > buf.cap) {
    ::operator delete[](buf.p, std::align_val_t{64});
    buf.p = nullptr;
    buf.cap = bytes + bytes / 4;
    buf.p = static_cast<uint8_t*>(::operator new[](buf.cap, std::align_val_t{64}));
  }
  return buf.p;
}
HWY_INLINE uint8_t* XScratch(size_t bytes) {
  static thread_local XBuf buf;
  return Grow(buf, bytes);
}

// Decode (and small batches) use a fixed per-thread buffer, so decoding never
// touches the heap (tests/model/no_alloc_test.cc): 64 KiB holds one token of
// up to 52K columns.
constexpr size_t kStaticX = 64 * 1024;
HWY_INLINE uint8_t* StaticX() {
  alignas(64) static thread_local uint8_t buf[kStaticX];
  return buf;
}

constexpr size_t kTok = 8;        // tokens per tile (prefill)
constexpr size_t kPR = 2;         // rows per tile (prefill)
constexpr size_t kRowBlock = 32;  // rows whose weights are reused from L2 per k-block
constexpr size_t kGroupsKB = 16;  // groups per k-block: kTok x 16 x 160 B = 20 KB of x in L1

// kStream: the call has a single token tile, so every weight is read once
// from DRAM and the next tile's rows are prefetched; with more tiles the
// weights of a row block are reused from L2 and need no prefetch.
template <class QZ, size_t kR, bool kStream, size_t... kT>
HWY_INLINE void ZTileT(size_t nt, const uint8_t* w, size_t row_bytes, const uint8_t* x, size_t xs,
                       size_t ng, __m512* acc, std::index_sequence<kT...>) {
  using Fn = void (*)(const uint8_t*, size_t, const uint8_t*, size_t, size_t, __m512*);
  static constexpr Fn kFns[] = {&ZTile<QZ, kR, kT + 1, kStream>...};
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
    for (; r < row_end; ++r) y[r] = ZDecodeRow<QZ>(w.data + r * rb, xr, ng);
    return;
  }
  alignas(64) __m512 acc[kRowBlock * kTok];
  const bool stream = n_tokens <= kTok;
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
          if (stream) {
            ZTileT<QZ, kPR, true>(nt, w.data + (r0 + r) * rb + g0 * QZ::kGroupBytes, rb, xg, xs,
                                  ngk, acc + r * nt, std::make_index_sequence<kTok>());
            continue;
          }
          ZTileT<QZ, kPR, false>(nt, w.data + (r0 + r) * rb + g0 * QZ::kGroupBytes, rb, xg, xs, ngk,
                                 acc + r * nt, std::make_index_sequence<kTok>());
        }
        for (; r < nr; ++r) {
          ZTileT<QZ, 1, false>(nt, w.data + (r0 + r) * rb + g0 * QZ::kGroupBytes, rb, xg, xs, ngk,
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

}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
