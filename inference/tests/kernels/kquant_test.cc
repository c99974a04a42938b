// K-quant kernels (Q2_K..Q6_K weights, Q8_K activations) against the scalar
// reference on every Highway target, and against llama.cpp's own outputs
// (fixtures/kquant/README.md): dequantization and Q8_K bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "kernels/types.h"

namespace gemma::kernels {
namespace {

std::string FixturePath(const std::string& rel) {
  return std::string(GEMMA_FIXTURES_DIR) + "/" + rel;
}

std::vector<uint8_t> ReadBytes(const std::string& rel) {
  std::ifstream in(FixturePath(rel), std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}
std::vector<float> ReadF32(const std::string& rel) {
  const std::vector<uint8_t> b = ReadBytes(rel);
  std::vector<float> f(b.size() / 4);
  std::memcpy(f.data(), b.data(), f.size() * 4);
  return f;
}

constexpr DType kKTypes[] = {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
const char* FixtureName(DType t) {
  switch (t) {
    case DType::kQ2_K:
      return "q2_k";
    case DType::kQ3_K:
      return "q3_k";
    case DType::kQ4_K:
      return "q4_k";
    case DType::kQ5_K:
      return "q5_k";
    default:
      return "q6_k";
  }
}

// Offsets of the fp16 super-block scales (d, dmin) in each block; every other
// byte of a K-quant block is valid whatever its value.
void SetScales(DType t, uint8_t* blk, float d, float dmin) {
  size_t od = 0, om = 2;
  bool has_min = true;
  switch (t) {
    case DType::kQ2_K:
      od = 80, om = 82;
      break;
    case DType::kQ3_K:
      od = 108, has_min = false;
      break;
    case DType::kQ6_K:
      od = 208, has_min = false;
      break;
    default:
      break;
  }
  const uint16_t hd = F32ToF16(d), hm = F32ToF16(dmin);
  std::memcpy(blk + od, &hd, 2);
  if (has_min) std::memcpy(blk + om, &hm, 2);
}

struct KWeights {
  std::vector<uint8_t> bytes;
  MatView view;
};
KWeights RandomK(DType t, size_t rows, size_t cols, size_t pad, std::mt19937& rng) {
  KWeights w;
  const size_t row_bytes = DTypeRowBytes(t, cols) + pad;
  w.bytes.resize(rows * row_bytes + 64);
  std::uniform_int_distribution<int> ub(0, 255);
  std::uniform_real_distribution<float> ud(0.0005f, 0.01f);
  for (auto& b : w.bytes) b = static_cast<uint8_t>(ub(rng));
  for (size_t r = 0; r < rows; ++r) {
    for (size_t b = 0; b < cols / kSuperBlock; ++b) {
      SetScales(t, w.bytes.data() + r * row_bytes + b * DTypeBlockBytes(t), ud(rng), ud(rng));
    }
  }
  w.view = MatView{t, w.bytes.data(), rows, cols, row_bytes};
  return w;
}

class KQuantTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override { ForceTarget(GetParam()); }
  void TearDown() override { ForceTarget(0); }
  std::mt19937 rng_{777};
};
std::string TargetParamName(const ::testing::TestParamInfo<int64_t>& info) {
  return TargetName(info.param);
}
INSTANTIATE_TEST_SUITE_P(Targets, KQuantTest, ::testing::ValuesIn(AvailableTargets()),
                         TargetParamName);

// Same tolerance argument as kernels_test.cc's kMatMulRelTol: the integer
// parts are exact, only the f32 accumulation of per-super-block terms rounds.
constexpr double kRelTol = 1e-5;

TEST_P(KQuantTest, MatMulMatchesReference) {
  for (DType type : kKTypes) {
    for (size_t cols : {size_t{256}, size_t{512}, size_t{2304}}) {
      SCOPED_TRACE(std::string(DTypeName(type)) + " cols=" + std::to_string(cols));
      const size_t rows = 37, max_tok = 11, x_stride = cols + 5;
      KWeights w = RandomK(type, rows, cols, cols == 512 ? 6 : 0, rng_);
      std::vector<float> x(max_tok * x_stride);
      std::uniform_real_distribution<float> uf(-2.0f, 2.0f);
      for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 97 == 5) ? 40.0f * uf(rng_) : uf(rng_);
      const size_t pb = PreparedRowBytes(type, cols);
      ASSERT_EQ(pb, ref::PreparedRowBytes(type, cols));
      ASSERT_EQ(pb, cols / kSuperBlock * sizeof(BlockQ8_K));
      std::vector<uint8_t> xp(max_tok * pb), xr(max_tok * pb);
      PrepareActivations(type, x.data(), max_tok, cols, x_stride, xp.data());
      ref::PrepareActivations(type, x.data(), max_tok, cols, x_stride, xr.data());
      ASSERT_EQ(0, std::memcmp(xp.data(), xr.data(), xp.size()));
      for (size_t nt : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, max_tok}) {
        for (auto [rb, re] : {std::pair<size_t, size_t>{0, rows}, {3, 30}}) {
          const size_t ys = rows + 2;
          std::vector<float> y(nt * ys, std::numeric_limits<float>::quiet_NaN());
          MatMul(w.view, xp.data(), nt, rb, re, y.data(), ys);
          for (size_t t = 0; t < nt; ++t) {
            for (size_t r = 0; r < ys; ++r) {
              const float got = y[t * ys + r];
              if (r < rb || r >= re) {
                ASSERT_TRUE(std::isnan(got)) << "wrote outside the range: r=" << r;
                continue;
              }
              double asum = 0.0;
              const double want = ref::DotRow(type, w.view.data + r * w.view.row_bytes,
                                              xp.data() + t * pb, cols, &asum);
              ASSERT_LE(std::fabs(got - want), kRelTol * asum + 1e-30)
                  << "nt=" << nt << " r=" << r << " t=" << t << " got=" << got << " want=" << want;
            }
          }
        }
      }
    }
  }
}

// Batch invariance (continuous batching relies on it): a token's results are
// bit-identical alone or in a batch, including batches split into several
// L2-sized token blocks (16384 inputs: 28 tokens per block) and tiles.
TEST_P(KQuantTest, BatchInvariantAcrossTokenBlocks) {
  for (DType type : {DType::kQ4_K, DType::kQ6_K, DType::kQ3_K}) {
    SCOPED_TRACE(DTypeName(type));
    const size_t rows = 5, cols = 16384, nt = 61;
    KWeights w = RandomK(type, rows, cols, 0, rng_);
    std::vector<float> x(nt * cols);
    std::uniform_real_distribution<float> uf(-2.0f, 2.0f);
    for (auto& v : x) v = uf(rng_);
    const size_t pb = PreparedRowBytes(type, cols);
    std::vector<uint8_t> xp(nt * pb);
    PrepareActivations(type, x.data(), nt, cols, cols, xp.data());
    std::vector<float> batch(nt * rows), one(rows);
    MatMul(w.view, xp.data(), nt, 0, rows, batch.data(), rows);
    for (size_t t = 0; t < nt; ++t) {
      MatMul(w.view, xp.data() + t * pb, 1, 0, rows, one.data(), rows);
      ASSERT_EQ(std::memcmp(one.data(), batch.data() + t * rows, rows * 4), 0) << "token " << t;
    }
  }
}

// Saturation-prone extremes: every quant at its maximum (all bits set) and
// minimum (all clear), activations at +-127, the largest scales.
TEST_P(KQuantTest, MatMulExtremes) {
  for (DType type : kKTypes) {
    SCOPED_TRACE(DTypeName(type));
    const size_t rows = 2, cols = 512, nt = 3;
    KWeights w = RandomK(type, rows, cols, 0, rng_);
    for (size_t r = 0; r < rows; ++r) {
      uint8_t* row = w.bytes.data() + r * w.view.row_bytes;
      std::memset(row, r == 0 ? 0xFF : 0x00, w.view.row_bytes);
      for (size_t b = 0; b < cols / kSuperBlock; ++b) {
        SetScales(type, row + b * DTypeBlockBytes(type), 1.0f, 0.5f);
      }
    }
    std::vector<float> x(nt * cols);
    for (size_t i = 0; i < x.size(); ++i) x[i] = ((i / 3) % 2) ? 1.0f : -1.0f;
    for (size_t i = cols; i < 2 * cols; ++i) x[i] = 1.0f;  // token 1: all +127
    const size_t pb = PreparedRowBytes(type, cols);
    std::vector<uint8_t> xp(nt * pb);
    PrepareActivations(type, x.data(), nt, cols, cols, xp.data());
    std::vector<float> y(nt * rows), yr(nt * rows);
    MatMul(w.view, xp.data(), nt, 0, rows, y.data(), rows);
    ref::MatMul(w.view, xp.data(), nt, 0, rows, yr.data(), rows);
    for (size_t i = 0; i < y.size(); ++i) {
      EXPECT_NEAR(y[i], yr[i], 1e-6 * std::fabs(yr[i]) + 1e-6) << "i=" << i;
    }
  }
}

// Dequantization equals llama.cpp's dequantize_row_q*_K bit for bit.
TEST_P(KQuantTest, DequantizeMatchesLlamaCpp) {
  const size_t n = ReadF32("kquant/rows.f32").size();
  ASSERT_GT(n, 0u);
  for (DType type : kKTypes) {
    const std::string name = FixtureName(type);
    const std::vector<uint8_t> q = ReadBytes("kquant/rows." + name);
    const std::vector<float> want = ReadF32("kquant/rows." + name + ".deq.f32");
    ASSERT_EQ(q.size(), n / kSuperBlock * DTypeBlockBytes(type)) << name;
    ASSERT_EQ(want.size(), n);
    std::vector<float> got(n), got_ref(n);
    DequantizeRow(type, q.data(), n, got.data());
    ref::DequantizeRow(type, q.data(), n, got_ref.data());
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::memcmp(&got[i], &want[i], 4), 0)
          << name << " element " << i << ": " << got[i] << " vs llama.cpp " << want[i];
      ASSERT_EQ(std::memcmp(&got_ref[i], &want[i], 4), 0) << name << " (reference) " << i;
    }
  }
}

// Q8_K activations equal llama.cpp's quantize_row_q8_K bit for bit (bsums
// only where d != 0: llama.cpp leaves them unwritten for an all-zero block).
TEST_P(KQuantTest, PrepareQ8_KMatchesLlamaCpp) {
  const std::vector<float> x = ReadF32("kquant/rows.f32");
  const std::vector<uint8_t> want = ReadBytes("kquant/rows.q8_k");
  const size_t nb = x.size() / kSuperBlock;
  ASSERT_EQ(want.size(), nb * sizeof(BlockQ8_K));
  std::vector<uint8_t> got(want.size());
  PrepareActivations(DType::kQ4_K, x.data(), 1, x.size(), x.size(), got.data());
  for (size_t b = 0; b < nb; ++b) {
    BlockQ8_K g, w;
    std::memcpy(&g, got.data() + b * sizeof(g), sizeof(g));
    std::memcpy(&w, want.data() + b * sizeof(w), sizeof(w));
    ASSERT_EQ(std::memcmp(&g.d, &w.d, 4), 0) << "block " << b;
    ASSERT_EQ(std::memcmp(g.qs, w.qs, sizeof(g.qs)), 0) << "block " << b;
    if (w.d != 0.0f) {
      ASSERT_EQ(std::memcmp(g.bsums, w.bsums, sizeof(g.bsums)), 0) << "block " << b;
    }
  }
  // Ties round to even, as ggml's nearest_int: max = -127 gives iscale = 1.
  std::vector<float> t(kSuperBlock, 0.0f);
  const float ties[] = {-127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 126.5f, 127.0f};
  const int8_t want_q[] = {-127, 0, 2, 2, 0, -2, 126, 127};
  std::memcpy(t.data(), ties, sizeof(ties));
  for (size_t i = 0; i < 8; ++i) t[i] = -t[i];  // iscale = -127 / max with max = 127
  BlockQ8_K q;
  PrepareActivations(DType::kQ8_K, t.data(), 1, kSuperBlock, kSuperBlock,
                     reinterpret_cast<uint8_t*>(&q));
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(q.qs[i], want_q[i]) << i;
  EXPECT_EQ(q.d, -1.0f);
}

}  // namespace
}  // namespace gemma::kernels
