// Conversions between the GGUF row layout and the interleaved strip layout
// (interleave.h). Plain C++: they run once per matrix at load, and per strip
// only on targets that do not read strips natively.
#include "kernels/interleave.h"

#include <cstring>
#include <vector>

namespace gemma::kernels {
namespace {

constexpr size_t kScaleBytes = 2 * kStripRows;  // the 16 fp16 scales of a strip block
constexpr size_t kChunk = 64;                   // 16 rows x 4 bytes

// One GGUF block `in` of row l into strip block `sb`.
void PackBlock(DType type, const uint8_t* in, size_t l, uint8_t* sb) {
  std::memcpy(sb + 2 * l, in, 2);
  uint8_t* q = sb + kScaleBytes + 4 * l;
  if (type == DType::kQ4_0) {
    uint8_t e[kQuantBlock];  // element k's 4-bit value
    for (size_t k = 0; k < 16; ++k) {
      e[k] = in[2 + k] & 0x0F;
      e[k + 16] = in[2 + k] >> 4;
    }
    for (size_t j = 0; j < 4; ++j) {
      for (size_t i = 0; i < 4; ++i) {
        q[kChunk * j + i] = static_cast<uint8_t>(e[8 * j + i] | (e[8 * j + 4 + i] << 4));
      }
    }
  } else {
    for (size_t j = 0; j < 8; ++j) {
      for (size_t i = 0; i < 4; ++i) q[kChunk * j + i] = in[2 + 4 * j + i] ^ 0x80;
    }
  }
}

// Row l of strip block `sb` back into a GGUF block `out`.
void UnpackBlock(DType type, const uint8_t* sb, size_t l, uint8_t* out) {
  std::memcpy(out, sb + 2 * l, 2);
  const uint8_t* q = sb + kScaleBytes + 4 * l;
  if (type == DType::kQ4_0) {
    uint8_t e[kQuantBlock];
    for (size_t j = 0; j < 4; ++j) {
      for (size_t i = 0; i < 4; ++i) {
        const uint8_t byte = q[kChunk * j + i];
        e[8 * j + i] = byte & 0x0F;
        e[8 * j + 4 + i] = byte >> 4;
      }
    }
    for (size_t k = 0; k < 16; ++k) out[2 + k] = static_cast<uint8_t>(e[k] | (e[k + 16] << 4));
  } else {
    for (size_t j = 0; j < 8; ++j) {
      for (size_t i = 0; i < 4; ++i) out[2 + 4 * j + i] = q[kChunk * j + i] ^ 0x80;
    }
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
    for (size_t b = 0; b < nb; ++b) UnpackBlock(w.type, in + b * sbb, l, out + l * w.row_bytes + b * bb);
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
