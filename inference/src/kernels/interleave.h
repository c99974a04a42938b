// Row-interleaved ("strip") layout of Q8_0 / Q4_0 weight matrices.
//
// GGUF stores a quantized matrix row by row. The AVX3_DL kernels
// (matmul_strip-inl.h) instead want 16 rows side by side, so that one
// 512-bit register holds the same 4 columns of 16 rows (dword lane l = row l)
// and a vpdpbusd against 4 broadcast activation bytes adds to 16 row sums at
// once: no per-row shuffles, no horizontal reductions, and the float scaling
// per (16 rows, token, block) is one multiply and one FMA instead of one per
// row. Models interleave their matrices once at load when the active target
// prefers it (PrefersInterleavedWeights) and the weights live in memory the
// engine owns; every other reader goes through the functions below.
//
// A strip is 16 consecutive rows (rows 16s .. 16s + 15) and occupies the same
// 16 * row_bytes bytes as in GGUF. Within it, block b (columns 32b .. 32b+31)
// of all 16 rows is one "strip block" at offset b * 16 * block_bytes:
//   bytes [0, 32):  the 16 fp16 scales d, row l at 2l;
//   then 64-byte chunks, dword lane l (bytes 4l .. 4l+3) belonging to row l:
//   Q4_0 (4 chunks): chunk j byte 4l+i holds element 8j+i in its low nibble
//                    and element 8j+4+i in its high nibble (i < 4), the
//                    nibble values unchanged (value = (q - 8) * d);
//   Q8_0 (8 chunks): chunk j byte 4l+i holds element 4j+i XOR 0x80, i.e. the
//                    quant offset to unsigned (value = (u - 128) * d), the
//                    operand form vpdpbusd needs.
// So Q4_0 chunk j pairs with activation dwords 2j (low) and 2j+1 (high), and
// Q8_0 chunk j with activation dword j: activations keep their natural order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/types.h"

namespace gemma::kernels {

// The strip block's parts: the 16 fp16 scales, then chunks of one dword per row.
constexpr size_t kStripScaleBytes = 2 * kStripRows;
constexpr size_t kStripChunkBytes = 4 * kStripRows;

// Bytes of one strip block: 16 rows x one Q8_0 (544) or Q4_0 (288) block.
size_t StripBlockBytes(DType type);

// Writes strip `strip` of an interleaved matrix as kStripRows rows in the GGUF
// block layout (kStripRows * w.row_bytes bytes at `out`).
void DeinterleaveStrip(const MatView& w, size_t strip, uint8_t* out);

// Row r of w in the GGUF block layout (w.row_bytes bytes), whatever w's layout.
void CopyRowBlocks(const MatView& w, size_t r, uint8_t* out);

}  // namespace gemma::kernels
