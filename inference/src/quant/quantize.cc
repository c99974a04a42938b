#include "quant/quantize.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "quant/kquant_mix.h"
#include "quant/kquant_quantize.h"

// Products must round before the additions that follow them, as in ggml's
// reference C (clang would otherwise fuse them on targets with FMA).
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

namespace gemma::quant {

void QuantizeRowQ8_0(const float* x, size_t n, uint8_t* out) {
  for (size_t b = 0; b < n / kQuantBlock; ++b) {
    const float* v = x + b * kQuantBlock;
    float amax = 0.0f;
    for (size_t j = 0; j < kQuantBlock; ++j) {
      const float a = std::fabs(v[j]);
      amax = amax > a ? amax : a;  // ggml's MAX()
    }
    const float d = amax / ((1 << 7) - 1);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ8_0 blk;
    blk.d = F32ToF16(d);
    for (size_t j = 0; j < kQuantBlock; ++j) {
      const float x0 = v[j] * id;
      blk.qs[j] = static_cast<int8_t>(std::roundf(x0));
    }
    std::memcpy(out + b * sizeof(BlockQ8_0), &blk, sizeof(blk));
  }
}

void QuantizeRowQ4_0(const float* x, size_t n, uint8_t* out) {
  for (size_t b = 0; b < n / kQuantBlock; ++b) {
    const float* v = x + b * kQuantBlock;
    float amax = 0.0f, max = 0.0f;
    for (size_t j = 0; j < kQuantBlock; ++j) {
      if (amax < std::fabs(v[j])) {
        amax = std::fabs(v[j]);
        max = v[j];
      }
    }
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_0 blk;
    blk.d = F32ToF16(d);
    for (size_t j = 0; j < kQuantBlock / 2; ++j) {
      const float x0 = v[j] * id;
      const float x1 = v[kQuantBlock / 2 + j] * id;
      const uint8_t xi0 = static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(x0 + 8.5f)));
      const uint8_t xi1 = static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(x1 + 8.5f)));
      blk.qs[j] = static_cast<uint8_t>(xi0 | (xi1 << 4));
    }
    std::memcpy(out + b * sizeof(BlockQ4_0), &blk, sizeof(blk));
  }
}

bool EncodeRow(DType type, const float* x, size_t n, uint8_t* out) {
  switch (type) {
    case DType::kF32:
      std::memcpy(out, x, n * sizeof(float));
      return true;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = F32ToF16(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return true;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = F32ToBF16(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return true;
    case DType::kQ8_0:
      QuantizeRowQ8_0(x, n, out);
      return true;
    case DType::kQ4_0:
      QuantizeRowQ4_0(x, n, out);
      return true;
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return QuantizeRowK(type, x, n, out);
    case DType::kQ8_K:
      return false;
  }
  return false;
}

StatusOr<DType> ParseTargetType(std::string_view name) {
  GEMMA_ASSIGN_OR_RETURN(const QuantSpec spec, ParseQuantSpec(name));
  return spec.type;
}

uint32_t LlamaFileType(DType type) {
  switch (type) {
    case DType::kF32:
      return 0;
    case DType::kF16:
      return 1;
    case DType::kQ4_0:
      return 2;
    case DType::kQ8_0:
      return 7;
    case DType::kBF16:
      return 32;
    case DType::kQ2_K:
      return 10;
    case DType::kQ3_K:
      return 11;  // Q3_K_S
    case DType::kQ4_K:
      return 14;  // Q4_K_S
    case DType::kQ5_K:
      return 16;  // Q5_K_S
    case DType::kQ6_K:
      return 18;
    case DType::kQ8_K:
      return 0;
  }
  return 0;
}

}  // namespace gemma::quant
