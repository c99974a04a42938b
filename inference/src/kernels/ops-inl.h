// Element-wise kernels and reductions, written once with Highway and compiled
// for every target by ops.cc (foreach_target.h). Every loop runs full vectors
// and then the remainder one lane at a time with the same code on a 1-lane
// descriptor (CappedTag<float, 1>), so any n works and nothing reads past n.

#if defined(GEMMA_KERNELS_OPS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_OPS_INL_H_
#undef GEMMA_KERNELS_OPS_INL_H_
#else
#define GEMMA_KERNELS_OPS_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/convert-inl.h"
#include "kernels/types.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using D1 = hn::CappedTag<float, 1>;

// Runs body(d, i) over [0, n): full vectors of d, then single lanes.
template <class Body>
HWY_INLINE void ForEach(size_t n, const Body& body) {
  const DF df;
  const D1 d1;
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= n; i += N) body(df, i);
  for (; i < n; ++i) body(d1, i);
}

// Sum of squares in f64 where the target has f64 vectors: the sum of n
// squares grows like n * mean while each addition loses |sum| * 2^-24 in f32;
// for d_model up to 4608 and outliers (Gemma's residual stream has values in
// the thousands) f32 would lose ~1e-5 relative, f64 keeps it exact to f32.
HWY_INLINE double SumOfSquares(const float* HWY_RESTRICT x, size_t n) {
#if HWY_HAVE_FLOAT64
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> dfh;  // half-width float vectors
  const hn::CappedTag<double, 1> dd1;
  const hn::Rebind<float, decltype(dd1)> df1;
  const size_t N = hn::Lanes(dd);
  auto s0 = hn::Zero(dd), s1 = hn::Zero(dd);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto v0 = hn::PromoteTo(dd, hn::LoadU(dfh, x + i));
    const auto v1 = hn::PromoteTo(dd, hn::LoadU(dfh, x + i + N));
    s0 = hn::MulAdd(v0, v0, s0);
    s1 = hn::MulAdd(v1, v1, s1);
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(s0, s1)));
  for (; i < n; ++i) {
    const auto v = hn::PromoteTo(dd1, hn::LoadU(df1, x + i));
    sum += hn::GetLane(hn::Mul(v, v));
  }
  return sum;
#else
  // No f64 vectors (e.g. armv7, WASM): f32 with 4 independent accumulators
  // (shorter addition chains) and a double for the remainder.
  const DF df;
  const size_t N = hn::Lanes(df);
  auto s0 = hn::Zero(df), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const auto v0 = hn::LoadU(df, x + i), v1 = hn::LoadU(df, x + i + N);
    const auto v2 = hn::LoadU(df, x + i + 2 * N), v3 = hn::LoadU(df, x + i + 3 * N);
    s0 = hn::MulAdd(v0, v0, s0);
    s1 = hn::MulAdd(v1, v1, s1);
    s2 = hn::MulAdd(v2, v2, s2);
    s3 = hn::MulAdd(v3, v3, s3);
  }
  double sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
#endif
}

void RMSNorm(const float* x, const float* w, size_t n, float eps, float* out) {
  if (n == 0) return;
  const double ss = SumOfSquares(x, n);
  const float s = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  ForEach(n, [&](auto d, size_t i) {
    hn::StoreU(hn::Mul(hn::Mul(hn::LoadU(d, x + i), hn::Set(d, s)), hn::LoadU(d, w + i)), d,
               out + i);
  });
}

// gelu_tanh(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3).
// Using 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)) avoids the cancellation of
// 1 + tanh(u) for negative x, so the result is accurate to a few ulp
// relative everywhere (Highway's Exp is within 1 ulp). -2u is clamped to
// [-88, 88] so exp stays finite: beyond it the result is x or ~0 anyway.
void GeluTanhMul(float* gate, const float* up, size_t n) {
  ForEach(n, [&](auto d, size_t i) {
    const auto x = hn::LoadU(d, gate + i);
    const auto x2 = hn::Mul(x, x);
    // -2u = x * (-2 sqrt(2/pi) - 2 sqrt(2/pi) 0.044715 x^2)
    const auto c0 = hn::Set(d, -1.5957691216057308f);
    const auto c1 = hn::Set(d, -1.5957691216057308f * 0.044715f);
    auto m2u = hn::Mul(x, hn::MulAdd(c1, x2, c0));
    m2u = hn::Min(hn::Max(m2u, hn::Set(d, -88.0f)), hn::Set(d, 88.0f));
    const auto e = hn::Exp(d, m2u);
    const auto g = hn::Div(x, hn::Add(hn::Set(d, 1.0f), e));
    hn::StoreU(hn::Mul(g, hn::LoadU(d, up + i)), d, gate + i);
  });
}

void Softmax(float* x, size_t n) {
  if (n == 0) return;
  const DF df;
  const size_t N = hn::Lanes(df);
  float mx = x[0];
  {
    size_t i = 0;
    if (n >= N) {
      auto vm = hn::LoadU(df, x);
      for (i = N; i + N <= n; i += N) vm = hn::Max(vm, hn::LoadU(df, x + i));
      mx = hn::GetLane(hn::MaxOfLanes(df, vm));
    }
    for (; i < n; ++i) mx = std::fmax(mx, x[i]);
  }
  double sum = 0.0;
  {
    auto vs = hn::Zero(df);
    const auto vmx = hn::Set(df, mx);
    size_t i = 0;
    for (; i + N <= n; i += N) {
      const auto e = hn::Exp(df, hn::Sub(hn::LoadU(df, x + i), vmx));
      hn::StoreU(e, df, x + i);
      vs = hn::Add(vs, e);
    }
    sum = hn::GetLane(hn::SumOfLanes(df, vs));
    const D1 d1;
    for (; i < n; ++i) {
      const auto e = hn::Exp(d1, hn::Sub(hn::LoadU(d1, x + i), hn::Set(d1, mx)));
      hn::StoreU(e, d1, x + i);
      sum += hn::GetLane(e);
    }
  }
  const float inv = static_cast<float>(1.0 / sum);
  ForEach(n, [&](auto d, size_t i) {
    hn::StoreU(hn::Mul(hn::LoadU(d, x + i), hn::Set(d, inv)), d, x + i);
  });
}

void SoftCap(float* x, size_t n, float cap) {
  const float inv = 1.0f / cap;
  ForEach(n, [&](auto d, size_t i) {
    const auto v = hn::Mul(hn::LoadU(d, x + i), hn::Set(d, inv));
    hn::StoreU(hn::Mul(hn::Tanh(d, v), hn::Set(d, cap)), d, x + i);
  });
}

void Add(float* acc, const float* x, size_t n) {
  ForEach(n, [&](auto d, size_t i) {
    hn::StoreU(hn::Add(hn::LoadU(d, acc + i), hn::LoadU(d, x + i)), d, acc + i);
  });
}

void Scale(float* x, size_t n, float s) {
  ForEach(n, [&](auto d, size_t i) {
    hn::StoreU(hn::Mul(hn::LoadU(d, x + i), hn::Set(d, s)), d, x + i);
  });
}

void RopeNeox(float* x, size_t head_dim, const float* cos, const float* sin) {
  const size_t half = head_dim / 2;
  float* x1p = x + half;
  ForEach(half, [&](auto d, size_t i) {
    const auto x0 = hn::LoadU(d, x + i);
    const auto x1 = hn::LoadU(d, x1p + i);
    const auto c = hn::LoadU(d, cos + i);
    const auto s = hn::LoadU(d, sin + i);
    hn::StoreU(hn::NegMulAdd(x1, s, hn::Mul(x0, c)), d, x + i);  // x0 c - x1 s
    hn::StoreU(hn::MulAdd(x1, c, hn::Mul(x0, s)), d, x1p + i);   // x0 s + x1 c
  });
}

// b widened to f32 (float, or fp16 bits).
template <class D, typename T>
HWY_INLINE hn::Vec<D> LoadF(D d, const T* p) {
  if constexpr (sizeof(T) == 4) {
    return hn::LoadU(d, p);
  } else {
    return LoadF16AsF32(d, p);
  }
}

template <typename T>
HWY_INLINE float DotT(const float* a, const T* b, size_t n) {
  const DF df;
  const size_t N = hn::Lanes(df);
  auto s0 = hn::Zero(df), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::MulAdd(hn::LoadU(df, a + i), LoadF(df, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(df, a + i + N), LoadF(df, b + i + N), s1);
    s2 = hn::MulAdd(hn::LoadU(df, a + i + 2 * N), LoadF(df, b + i + 2 * N), s2);
    s3 = hn::MulAdd(hn::LoadU(df, a + i + 3 * N), LoadF(df, b + i + 3 * N), s3);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(df, a + i), LoadF(df, b + i), s0);
  float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  const D1 d1;
  for (; i < n; ++i) sum += hn::GetLane(hn::Mul(hn::LoadU(d1, a + i), LoadF(d1, b + i)));
  return sum;
}

float Dot(const float* a, const float* b, size_t n) { return DotT(a, b, n); }
float DotF16(const float* a, const uint16_t* b, size_t n) { return DotT(a, b, n); }

template <typename T>
HWY_INLINE void AxpyT(float a, const T* x, float* y, size_t n) {
  ForEach(n, [&](auto d, size_t i) {
    hn::StoreU(hn::MulAdd(hn::Set(d, a), LoadF(d, x + i), hn::LoadU(d, y + i)), d, y + i);
  });
}
void Axpy(float a, const float* x, float* y, size_t n) { AxpyT(a, x, y, n); }
void AxpyF16(float a, const uint16_t* x, float* y, size_t n) { AxpyT(a, x, y, n); }

void F16ToF32Row(const uint16_t* x, float* out, size_t n) {
  ForEach(n, [&](auto d, size_t i) { hn::StoreU(LoadF(d, x + i), d, out + i); });
}

void F32ToF16Row(const float* x, uint16_t* out, size_t n) {
#if (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2) || HWY_ARCH_ARM_A64
  // Hardware conversion (F16C vcvtps2ph / fcvtn): round to nearest even,
  // overflow to inf, subnormals, NaN kept.
  ForEach(n, [&](auto d, size_t i) {
    const hn::Rebind<hwy::float16_t, decltype(d)> dh;
    hn::StoreU(hn::DemoteTo(dh, hn::LoadU(d, x + i)), dh,
               reinterpret_cast<hwy::float16_t*>(out + i));
  });
#else
  // Highway 1.0.3 emulates DemoteTo(f16) by truncation: use the exact scalar.
  for (size_t i = 0; i < n; ++i) out[i] = gemma::F32ToF16(x[i]);
#endif
}

}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
