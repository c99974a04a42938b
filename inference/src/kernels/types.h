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

// True for the ids gemma-core knows; a GGUF with any other type is rejected.
bool IsKnownDType(uint32_t raw);
const char* DTypeName(DType t);
// Elements per block (1 for float types) and bytes per block.
size_t DTypeBlockElems(DType t);
size_t DTypeBlockBytes(DType t);
// Bytes of a row of `n` elements; n must be a multiple of DTypeBlockElems.
inline size_t DTypeRowBytes(DType t, size_t n) { return n / DTypeBlockElems(t) * DTypeBlockBytes(t); }

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
