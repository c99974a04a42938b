#include "kernels/kquant.h"

#include <cstring>

// Built with -ffp-contract=off (CMakeLists.txt): dequantization must round
// each product as ggml's C does.

namespace gemma::kernels::kq {
namespace {

float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return F16ToF32(h);
}

// Q4_K / Q5_K: 8 pairs of 6-bit (scale, min) in 12 bytes (ggml's
// get_scale_min_k4): j < 4 in the low 6 bits of bytes j / j + 4; j >= 4 split
// into a nibble of byte j + 4 and the top 2 bits of bytes j - 4 / j.
void ScaleMinK4(const uint8_t* s, Unpacked* u) {
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    if (j < 4) {
      sc = s[j] & 63;
      m = s[j + 4] & 63;
    } else {
      sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
      m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
    u->sc[2 * j] = u->sc[2 * j + 1] = static_cast<int16_t>(sc);
    u->m[2 * j] = u->m[2 * j + 1] = static_cast<int16_t>(m);
  }
}

}  // namespace

void Unpack(DType type, const uint8_t* p, Unpacked* u) {
  switch (type) {
    case DType::kQ2_K: {
      BlockQ2_K b;
      std::memcpy(&b, p, sizeof(b));
      u->d = F16ToF32(b.d);
      u->dmin = F16ToF32(b.dmin);
      for (int j = 0; j < 16; ++j) {
        u->sc[j] = b.scales[j] & 0xF;
        u->m[j] = b.scales[j] >> 4;
      }
      // Element 128 h + 32 k + l: bits 2k..2k+1 of qs[32 h + l].
      for (int i = 0; i < 256; ++i) {
        const int h = i / 128, k = (i % 128) / 32, l = i % 32;
        u->q[i] = static_cast<int8_t>((b.qs[32 * h + l] >> (2 * k)) & 3);
      }
      return;
    }
    case DType::kQ3_K: {
      BlockQ3_K b;
      std::memcpy(&b, p, sizeof(b));
      u->d = F16ToF32(b.d);
      u->dmin = 0.0f;
      // Scale j: low nibble from byte j (j < 8) or the high nibble of byte
      // j - 8, top 2 bits from byte 8 + j % 4 at bit 2 (j / 4); minus 32.
      for (int j = 0; j < 16; ++j) {
        const int lo = j < 8 ? (b.scales[j] & 0xF) : (b.scales[j - 8] >> 4);
        const int hi = (b.scales[8 + j % 4] >> (2 * (j / 4))) & 3;
        u->sc[j] = static_cast<int16_t>((lo | (hi << 4)) - 32);
        u->m[j] = 0;
      }
      // Element 128 h + 32 k + l: 2 bits as Q2_K, minus 4 unless bit
      // 4 h + k of hmask[l] is set.
      for (int i = 0; i < 256; ++i) {
        const int h = i / 128, k = (i % 128) / 32, l = i % 32;
        const int lo = (b.qs[32 * h + l] >> (2 * k)) & 3;
        const bool hb = (b.hmask[l] >> (4 * h + k)) & 1;
        u->q[i] = static_cast<int8_t>(lo - (hb ? 0 : 4));
      }
      return;
    }
    case DType::kQ4_K:
    case DType::kQ5_K: {
      const bool five = type == DType::kQ5_K;
      u->d = Half(p);
      u->dmin = Half(p + 2);
      ScaleMinK4(p + 4, u);
      const uint8_t* qh = p + 16;
      const uint8_t* qs = five ? p + 48 : p + 16;
      // Element 64 h + 32 s + l: nibble s of qs[32 h + l]; Q5_K adds bit
      // 2 h + s of qh[l] as 16.
      for (int i = 0; i < 256; ++i) {
        const int h = i / 64, s = (i % 64) / 32, l = i % 32;
        int q = (qs[32 * h + l] >> (4 * s)) & 0xF;
        if (five && ((qh[l] >> (2 * h + s)) & 1)) q += 16;
        u->q[i] = static_cast<int8_t>(q);
      }
      return;
    }
    case DType::kQ6_K: {
      BlockQ6_K b;
      std::memcpy(&b, p, sizeof(b));
      u->d = F16ToF32(b.d);
      u->dmin = 0.0f;
      for (int j = 0; j < 16; ++j) {
        u->sc[j] = b.scales[j];
        u->m[j] = 0;
      }
      // Element 128 h + 32 k + l: nibble (k / 2) of ql[64 h + 32 (k % 2) + l],
      // high 2 bits from bits 2k..2k+1 of qh[32 h + l]; minus 32.
      for (int i = 0; i < 256; ++i) {
        const int h = i / 128, k = (i % 128) / 32, l = i % 32;
        const int lo = (b.ql[64 * h + 32 * (k % 2) + l] >> (4 * (k / 2))) & 0xF;
        const int hi = (b.qh[32 * h + l] >> (2 * k)) & 3;
        u->q[i] = static_cast<int8_t>((lo | (hi << 4)) - 32);
      }
      return;
    }
    default:
      std::memset(u, 0, sizeof(*u));
      return;
  }
}

void DequantizeRow(DType type, const uint8_t* row, size_t n, float* out) {
  const size_t bb = DTypeBlockBytes(type);
  Unpacked u;
  for (size_t b = 0; b < n / kSuperBlock; ++b) {
    Unpack(type, row + b * bb, &u);
    for (int j = 0; j < 16; ++j) {
      const float dl = u.d * static_cast<float>(u.sc[j]);
      const float ml = u.dmin * static_cast<float>(u.m[j]);
      for (int l = 0; l < 16; ++l) {
        out[b * kSuperBlock + 16 * j + l] = dl * static_cast<float>(u.q[16 * j + l]) - ml;
      }
    }
  }
}

}  // namespace gemma::kernels::kq
