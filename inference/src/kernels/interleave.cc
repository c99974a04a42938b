// Conversions between the GGUF row layout and the interleaved strip layout
// (interleave.h). Plain C++: they run once per matrix at load, and per strip
// only on targets that do not read strips natively.
#include "kernels/interleave.h"

#include <cstring>
#include <vector>

namespace gemma::kernels {
namespace {

// Q4_0 quant bytes b[0..15] as 4 words W0..W3 (W0 = b[0..3], ...), element k
// = low nibble of b[k] (k < 16) or high nibble of b[k - 16]. The strip chunks
// O0..O3 pair element 8j+i (low nibble) with 8j+4+i (high nibble) in byte i:
//   O0 = lo(W0) | lo(W1) << 4      O2 = hi(W0) >> 4 | hi(W1)
//   O1 = lo(W2) | lo(W3) << 4      O3 = hi(W2) >> 4 | hi(W3)
// Every operation stays within bytes, so this holds for either byte order.
constexpr uint32_t kLo = 0x0F0F0F0Fu;

uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void Store32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

// One GGUF block `in` of row l into strip block `sb`.
void PackBlock(DType type, const uint8_t* in, size_t l, uint8_t* sb) {
  std::memcpy(sb + 2 * l, in, 2);
  uint8_t* q = sb + kStripScaleBytes + 4 * l;
  if (type == DType::kQ4_0) {
    const uint32_t w0 = Load32(in + 2), w1 = Load32(in + 6), w2 = Load32(in + 10),
                   w3 = Load32(in + 14);
    Store32(q, (w0 & kLo) | ((w1 & kLo) << 4));
    Store32(q + kStripChunkBytes, (w2 & kLo) | ((w3 & kLo) << 4));
    Store32(q + 2 * kStripChunkBytes, ((w0 >> 4) & kLo) | (w1 & ~kLo));
    Store32(q + 3 * kStripChunkBytes, ((w2 >> 4) & kLo) | (w3 & ~kLo));
  } else {
    for (size_t j = 0; j < 8; ++j)
      Store32(q + kStripChunkBytes * j, Load32(in + 2 + 4 * j) ^ 0x80808080u);
  }
}

// Row l of strip block `sb` back into a GGUF block `out`.
void UnpackBlock(DType type, const uint8_t* sb, size_t l, uint8_t* out) {
  std::memcpy(out, sb + 2 * l, 2);
  const uint8_t* q = sb + kStripScaleBytes + 4 * l;
  if (type == DType::kQ4_0) {
    const uint32_t o0 = Load32(q), o1 = Load32(q + kStripChunkBytes),
                   o2 = Load32(q + 2 * kStripChunkBytes), o3 = Load32(q + 3 * kStripChunkBytes);
    Store32(out + 2, (o0 & kLo) | ((o2 & kLo) << 4));
    Store32(out + 6, ((o0 >> 4) & kLo) | (o2 & ~kLo));
    Store32(out + 10, (o1 & kLo) | ((o3 & kLo) << 4));
    Store32(out + 14, ((o1 >> 4) & kLo) | (o3 & ~kLo));
  } else {
    for (size_t j = 0; j < 8; ++j)
      Store32(out + 2 + 4 * j, Load32(q + kStripChunkBytes * j) ^ 0x80808080u);
  }
}

}  // namespace

size_t StripBlockBytes(DType type) { return kStripRows * DTypeBlockBytes(type); }

bool CanInterleave(const MatView& w) {
  return (w.type == DType::kQ8_0 || w.type == DType::kQ4_0) && !w.interleaved &&
         w.rows % kStripRows == 0 && w.cols % kQuantBlock == 0 &&
         w.row_bytes == DTypeRowBytes(w.type, w.cols);
}

void InterleaveRows(MatView* w, uint8_t* writable) {
  const size_t bb = DTypeBlockBytes(w->type), sbb = StripBlockBytes(w->type);
  const size_t nb = w->cols / kQuantBlock, strip_bytes = kStripRows * w->row_bytes;
  std::vector<uint8_t> rows(strip_bytes);
  for (size_t s = 0; s < w->rows / kStripRows; ++s) {
    uint8_t* strip = writable + s * strip_bytes;
    std::memcpy(rows.data(), strip, strip_bytes);
    for (size_t l = 0; l < kStripRows; ++l) {
      for (size_t b = 0; b < nb; ++b) {
        PackBlock(w->type, rows.data() + l * w->row_bytes + b * bb, l, strip + b * sbb);
      }
    }
  }
  w->interleaved = true;
}

void DeinterleaveStrip(const MatView& w, size_t strip, uint8_t* out) {
  const size_t bb = DTypeBlockBytes(w.type), sbb = StripBlockBytes(w.type);
  const size_t nb = w.cols / kQuantBlock;
  const uint8_t* in = w.data + strip * kStripRows * w.row_bytes;
  for (size_t l = 0; l < kStripRows; ++l) {
    for (size_t b = 0; b < nb; ++b)
      UnpackBlock(w.type, in + b * sbb, l, out + l * w.row_bytes + b * bb);
  }
}

void CopyRowBlocks(const MatView& w, size_t r, uint8_t* out) {
  if (!w.interleaved) {
    std::memcpy(out, w.data + r * w.row_bytes, w.row_bytes);
    return;
  }
  const size_t bb = DTypeBlockBytes(w.type), sbb = StripBlockBytes(w.type);
  const uint8_t* strip = w.data + r / kStripRows * kStripRows * w.row_bytes;
  for (size_t b = 0; b < w.cols / kQuantBlock; ++b) {
    UnpackBlock(w.type, strip + b * sbb, r % kStripRows, out + b * bb);
  }
}

void DequantizeMatRow(const MatView& w, size_t r, float* out) {
  if (!w.interleaved) return DequantizeRow(w.type, w.data + r * w.row_bytes, w.cols, out);
  // Block by block through a stack buffer: decoding calls this for every
  // token's embedding and must not allocate.
  const size_t sbb = StripBlockBytes(w.type);
  const uint8_t* strip = w.data + r / kStripRows * kStripRows * w.row_bytes;
  uint8_t blk[sizeof(BlockQ8_0)];
  for (size_t b = 0; b < w.cols / kQuantBlock; ++b) {
    UnpackBlock(w.type, strip + b * sbb, r % kStripRows, blk);
    DequantizeRow(w.type, blk, kQuantBlock, out + b * kQuantBlock);
  }
}

}  // namespace gemma::kernels
