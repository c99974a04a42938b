// Element types of weight and cache tensors, in GGML's numbering (the ids GGUF
// stores), and the byte layout of the quantized blocks. The blocks are
// byte-compatible with ggml so GGUF tensor data is consumed in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gemma {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,  // activations of K-quant dot products only; never a weight type
  kBF16 = 30,
};

// Q8_0: 32 signed bytes sharing one fp16 scale. value = qs[i] * d.
struct BlockQ8_0 {
  uint16_t d;  // fp16 bits
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34);

// Q4_0: 32 4-bit values sharing one fp16 scale; byte j holds element j in its
// low nibble and element j + 16 in its high nibble. value = (q - 8) * d.
struct BlockQ4_0 {
  uint16_t d;  // fp16 bits
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18);

constexpr size_t kQuantBlock = 32;  // elements per Q8_0 / Q4_0 block

// K-quants (ggml's block_q*_K): super-blocks of 256 elements.
constexpr size_t kSuperBlock = 256;

// Q2_K: 16 sub-blocks of 16; 4-bit scale (low nibble) and 4-bit min (high
// nibble) per sub-block; value = d * sc * q - dmin * m, q in 0..3. qs byte
// (32 * h + l) holds, in bits 2k..2k+1, element 128 h + 32 k + l.
struct BlockQ2_K {
  uint8_t scales[16];
  uint8_t qs[64];
  uint16_t d, dmin;  // fp16 bits
};
static_assert(sizeof(BlockQ2_K) == 84);

// Q3_K: 16 sub-blocks of 16; 6-bit signed scales (minus 32) packed in 12
// bytes; q = 2 low bits (qs, as Q2_K) + high bit (hmask, set = no -4), so
// value = d * (sc - 32) * (q - 4 * !hbit).
struct BlockQ3_K {
  uint8_t hmask[32];
  uint8_t qs[64];
  uint8_t scales[12];
  uint16_t d;
};
static_assert(sizeof(BlockQ3_K) == 110);

// Q4_K: 8 sub-blocks of 32; 6-bit scale and min per sub-block packed in 12
// bytes (get_scale_min_k4); value = d * sc * q - dmin * m, q in 0..15. qs byte
// (32 * h + l) holds element 64 h + l (low nibble) and 64 h + 32 + l (high).
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ4_K) == 144);

// Q5_K: Q4_K plus a fifth bit per element: qh[l] bit 2h (element 64 h + l)
// and bit 2h + 1 (element 64 h + 32 + l). q in 0..31.
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ5_K) == 176);

// Q6_K: 16 sub-blocks of 16 with int8 scales; q = 4 low bits (ql) + 2 high
// bits (qh), value = d * sc * (q - 32). Per half h (128 elements): ql[64 h +
// l] = element l (low nibble) | element l + 64 (high); ql[64 h + 32 + l] =
// elements l + 32 / l + 96; qh[32 h + l] bits 0-1, 2-3, 4-5, 6-7 = elements
// l, l + 32, l + 64, l + 96 (all + 128 h).
struct BlockQ6_K {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210);

// Q8_K (activations): f32 scale, 256 int8 quants, and the sums of each 16
// quants (|sum| <= 16 * 127 fits int16) for the min / offset terms.
struct BlockQ8_K {
  float d;
  int8_t qs[256];
  int16_t bsums[16];
};
static_assert(sizeof(BlockQ8_K) == 292);

inline bool IsKQuant(DType t) {
  return t == DType::kQ2_K || t == DType::kQ3_K || t == DType::kQ4_K || t == DType::kQ5_K ||
         t == DType::kQ6_K;
}

// True for the ids gemma-core knows; a GGUF with any other type is rejected.
bool IsKnownDType(uint32_t raw);
const char* DTypeName(DType t);
// Elements per block (1 for float types) and bytes per block.
size_t DTypeBlockElems(DType t);
size_t DTypeBlockBytes(DType t);
// Bytes of a row of `n` elements; n must be a multiple of DTypeBlockElems.
inline size_t DTypeRowBytes(DType t, size_t n) {
  return n / DTypeBlockElems(t) * DTypeBlockBytes(t);
}

// IEEE half <-> float, exact (round to nearest even on the way down), as
// ggml's GGML_FP32_TO_FP16 / F16C does.
float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);
// bfloat16: the top 16 bits of a float. Rounding to nearest even, NaN kept.
inline float BF16ToF32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
uint16_t F32ToBF16(float f);

}  // namespace gemma
