#include "kernels/reference.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include "kernels/kquant.h"

namespace gemma::kernels::ref {

void QuantizeRowQ8_0(const float* x, size_t n, BlockQ8_0* out) {
  for (size_t b = 0; b < n / kQuantBlock; ++b) {
    const float* v = x + b * kQuantBlock;
    float amax = 0.0f;
    for (size_t i = 0; i < kQuantBlock; ++i) amax = std::fmax(amax, std::fabs(v[i]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    out[b].d = F32ToF16(d);
    for (size_t i = 0; i < kQuantBlock; ++i) {
      // nearbyint uses the current rounding mode: round to nearest, ties to even.
      out[b].qs[i] = static_cast<int8_t>(std::nearbyint(v[i] * id));
    }
  }
}

void QuantizeRowQ8_K(const float* x, size_t n, BlockQ8_K* out) {
  for (size_t b = 0; b < n / kSuperBlock; ++b) {
    const float* v = x + b * kSuperBlock;
    BlockQ8_K& o = out[b];
    std::memset(&o, 0, sizeof(o));
    float amax = 0.0f, max = 0.0f;
    for (size_t i = 0; i < kSuperBlock; ++i) {
      if (std::fabs(v[i]) > amax) amax = std::fabs(v[i]), max = v[i];
    }
    if (amax == 0.0f) continue;
    const float iscale = -127.0f / max;
    for (size_t i = 0; i < kSuperBlock; ++i) {
      const float q = std::nearbyint(iscale * v[i]);
      o.qs[i] = static_cast<int8_t>(q > 127.0f ? 127.0f : q);
      o.bsums[i / 16] = static_cast<int16_t>(o.bsums[i / 16] + o.qs[i]);
    }
    o.d = 1.0f / iscale;
  }
}

static bool UsesQ8_K(DType t) { return IsKQuant(t) || t == DType::kQ8_K; }

size_t PreparedRowBytes(DType weight_type, size_t cols) {
  if (UsesQ8_K(weight_type)) return cols / kSuperBlock * sizeof(BlockQ8_K);
  if (weight_type == DType::kQ8_0 || weight_type == DType::kQ4_0) {
    return cols / kQuantBlock * sizeof(BlockQ8_0);
  }
  return cols * sizeof(float);
}

void PrepareActivations(DType weight_type, const float* x, size_t n_tokens, size_t cols,
                        size_t x_stride, uint8_t* out) {
  const size_t bytes = PreparedRowBytes(weight_type, cols);
  for (size_t t = 0; t < n_tokens; ++t) {
    if (UsesQ8_K(weight_type)) {
      QuantizeRowQ8_K(x + t * x_stride, cols, reinterpret_cast<BlockQ8_K*>(out + t * bytes));
    } else if (weight_type == DType::kQ8_0 || weight_type == DType::kQ4_0) {
      QuantizeRowQ8_0(x + t * x_stride, cols, reinterpret_cast<BlockQ8_0*>(out + t * bytes));
    } else {
      std::memcpy(out + t * bytes, x + t * x_stride, cols * sizeof(float));
    }
  }
}

static float WeightAt(DType type, const uint8_t* row, size_t i) {
  switch (type) {
    case DType::kF32: {
      float f;
      std::memcpy(&f, row + 4 * i, 4);
      return f;
    }
    case DType::kF16:
    case DType::kBF16: {
      uint16_t h;
      std::memcpy(&h, row + 2 * i, 2);
      return type == DType::kF16 ? F16ToF32(h) : BF16ToF32(h);
    }
    case DType::kQ8_0: {
      BlockQ8_0 blk;
      std::memcpy(&blk, row + (i / 32) * sizeof(BlockQ8_0), sizeof(blk));
      return static_cast<float>(blk.qs[i % 32]) * F16ToF32(blk.d);
    }
    case DType::kQ4_0: {
      BlockQ4_0 blk;
      std::memcpy(&blk, row + (i / 32) * sizeof(BlockQ4_0), sizeof(blk));
      const size_t j = i % 32;
      const int q = j < 16 ? (blk.qs[j] & 0xF) : (blk.qs[j - 16] >> 4);
      return static_cast<float>(q - 8) * F16ToF32(blk.d);
    }
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K: {
      kq::Unpacked u;
      kq::Unpack(type, row + (i / kSuperBlock) * DTypeBlockBytes(type), &u);
      const size_t j = i % kSuperBlock;
      return u.d * static_cast<float>(u.sc[j / 16]) * static_cast<float>(u.q[j]) -
             u.dmin * static_cast<float>(u.m[j / 16]);
    }
    case DType::kQ8_K:
      break;
  }
  return 0.0f;
}

// Integer value of element j of a quantized weight block (Q4_0 already minus 8).
static int QuantAt(DType type, const uint8_t* block, size_t j) {
  if (type == DType::kQ8_0) {
    return static_cast<int8_t>(block[2 + j]);
  }
  const uint8_t byte = block[2 + (j % 16)];
  return (j < 16 ? (byte & 0xF) : (byte >> 4)) - 8;
}

double DotRow(DType type, const uint8_t* w_row, const uint8_t* x, size_t cols, double* abs_sum) {
  double sum = 0.0, asum = 0.0;
  if (IsKQuant(type)) {
    for (size_t b = 0; b < cols / kSuperBlock; ++b) {
      kq::Unpacked u;
      kq::Unpack(type, w_row + b * DTypeBlockBytes(type), &u);
      BlockQ8_K xb;
      std::memcpy(&xb, x + b * sizeof(BlockQ8_K), sizeof(xb));
      int64_t isum = 0, iabs = 0, imin = 0, mabs = 0;
      for (size_t i = 0; i < kSuperBlock; ++i) {
        const int64_t p = static_cast<int64_t>(u.sc[i / 16]) * u.q[i] * xb.qs[i];
        isum += p;
        iabs += p < 0 ? -p : p;
      }
      for (size_t j = 0; j < 16; ++j) {
        const int64_t p = static_cast<int64_t>(u.m[j]) * xb.bsums[j];
        imin += p;
        mabs += p < 0 ? -p : p;
      }
      const float dd = u.d * xb.d, dm = u.dmin * xb.d;
      sum += static_cast<double>(dd) * static_cast<double>(isum) -
             static_cast<double>(dm) * static_cast<double>(imin);
      asum += std::fabs(static_cast<double>(dd)) * static_cast<double>(iabs) +
              std::fabs(static_cast<double>(dm)) * static_cast<double>(mabs);
    }
  } else if (type == DType::kQ8_0 || type == DType::kQ4_0) {
    const size_t wbytes = DTypeBlockBytes(type);
    for (size_t b = 0; b < cols / kQuantBlock; ++b) {
      const uint8_t* wb = w_row + b * wbytes;
      BlockQ8_0 xb;
      std::memcpy(&xb, x + b * sizeof(BlockQ8_0), sizeof(xb));
      uint16_t dw_bits;
      std::memcpy(&dw_bits, wb, 2);
      int32_t isum = 0;  // exact: |terms| <= 32 * 128 * 127
      int32_t iabs = 0;
      for (size_t j = 0; j < kQuantBlock; ++j) {
        const int32_t p = QuantAt(type, wb, j) * static_cast<int32_t>(xb.qs[j]);
        isum += p;
        iabs += p < 0 ? -p : p;
      }
      // Scale product in float, as the kernels (and llama.cpp) do.
      const float scale = F16ToF32(dw_bits) * F16ToF32(xb.d);
      sum += static_cast<double>(scale) * isum;
      asum += std::fabs(static_cast<double>(scale)) * iabs;
    }
  } else {
    for (size_t i = 0; i < cols; ++i) {
      float xv;
      std::memcpy(&xv, x + 4 * i, 4);
      const double p = static_cast<double>(WeightAt(type, w_row, i)) * xv;
      sum += p;
      asum += std::fabs(p);
    }
  }
  if (abs_sum) *abs_sum = asum;
  return sum;
}

void MatMul(const MatView& w, const uint8_t* x, size_t n_tokens, size_t row_begin, size_t row_end,
            float* y, size_t y_stride) {
  const size_t xbytes = PreparedRowBytes(w.type, w.cols);
  for (size_t t = 0; t < n_tokens; ++t) {
    for (size_t r = row_begin; r < row_end; ++r) {
      y[t * y_stride + r] =
          static_cast<float>(DotRow(w.type, w.data + r * w.row_bytes, x + t * xbytes, w.cols));
    }
  }
}

void DequantizeRow(DType type, const uint8_t* row, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = WeightAt(type, row, i);
}

void RMSNorm(const float* x, const float* w, size_t n, float eps, float* out) {
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float s = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * s * w[i];
}

void GeluTanhMul(float* gate, const float* up, size_t n) {
  const double k = std::sqrt(2.0 / std::numbers::pi);  // not M_PI: MinGW/MSVC lack it
  for (size_t i = 0; i < n; ++i) {
    const double x = gate[i];
    const double g = 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
    gate[i] = static_cast<float>(g * up[i]);
  }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__aarch64__)
// GCC 12 for aarch64 crashes (ICE in vect_transform_reduction) vectorizing
// the fmax reduction below; the scalar reference needs no vectorization.
__attribute__((optimize("no-tree-vectorize")))
#endif
void Softmax(float* x, size_t n) {
  if (n == 0) return;
  double mx = x[0];
  for (size_t i = 1; i < n; ++i) mx = std::fmax(mx, static_cast<double>(x[i]));
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(x[i] - mx);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(std::exp(x[i] - mx) / sum);
}

void SoftCap(float* x, size_t n, float cap) {
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(cap * std::tanh(static_cast<double>(x[i]) / cap));
  }
}

void Add(float* acc, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] += x[i];
}
void Scale(float* x, size_t n, float s) {
  for (size_t i = 0; i < n; ++i) x[i] *= s;
}

void RopeNeox(float* x, size_t head_dim, const float* cos, const float* sin) {
  const size_t half = head_dim / 2;
  for (size_t i = 0; i < half; ++i) {
    const double x0 = x[i], x1 = x[i + half];
    x[i] = static_cast<float>(x0 * cos[i] - x1 * sin[i]);
    x[i + half] = static_cast<float>(x0 * sin[i] + x1 * cos[i]);
  }
}

double Dot(const float* a, const float* b, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}
double DotF16(const float* a, const uint16_t* b, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * F16ToF32(b[i]);
  return s;
}
void Axpy(float a, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}
void AxpyF16(float a, const uint16_t* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * F16ToF32(x[i]);
}
void F32ToF16Row(const float* x, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = F32ToF16(x[i]);
}
void F16ToF32Row(const uint16_t* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = F16ToF32(x[i]);
}

}  // namespace gemma::kernels::ref
