// The interleaved strip layout of Q8_0 / Q4_0 matrices (kernels/interleave.h):
// conversions are lossless, and MatMul on it matches the scalar reference on
// the original rows, bit for bit alone or batched, on every target (AVX3_DL
// reads strips natively; the others de-interleave them).
#include "kernels/interleave.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "kernels/types.h"

namespace gemma::kernels {
namespace {

class InterleaveTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override { ForceTarget(GetParam()); }
  void TearDown() override { ForceTarget(0); }
  std::mt19937 rng_{4242};
};

std::string TargetParamName(const ::testing::TestParamInfo<int64_t>& info) {
  return TargetName(info.param);
}

INSTANTIATE_TEST_SUITE_P(Targets, InterleaveTest, ::testing::ValuesIn(AvailableTargets()),
                         TargetParamName);

// A matrix in the GGUF layout and its interleaved copy.
struct Pair {
  std::vector<uint8_t> rows_bytes, strip_bytes;
  MatView rows, strips;
};

// Random quants over the whole byte range (Q8_0 -128..127, every nibble),
// scales of both signs.
Pair MakePair(DType type, size_t rows, size_t cols, std::mt19937& rng) {
  Pair p;
  const size_t row_bytes = DTypeRowBytes(type, cols), bb = DTypeBlockBytes(type);
  p.rows_bytes.resize(rows * row_bytes);
  std::uniform_int_distribution<int> ub(0, 255);
  std::uniform_real_distribution<float> ud(0.001f, 0.05f);
  for (size_t blk = 0; blk < rows * cols / kQuantBlock; ++blk) {
    uint8_t* b = p.rows_bytes.data() + blk * bb;
    const uint16_t d = F32ToF16(blk % 5 == 2 ? -ud(rng) : ud(rng));
    std::memcpy(b, &d, 2);
    for (size_t j = 2; j < bb; ++j) b[j] = static_cast<uint8_t>(ub(rng));
  }
  p.rows = MatView{type, p.rows_bytes.data(), rows, cols, row_bytes, false};
  p.strip_bytes = p.rows_bytes;
  p.strips = p.rows;
  p.strips.data = p.strip_bytes.data();
  EXPECT_TRUE(CanInterleave(p.strips));
  InterleaveRows(&p.strips, p.strip_bytes.data());
  return p;
}

std::vector<uint8_t> Prepared(DType type, size_t n_tokens, size_t cols, std::mt19937& rng) {
  std::uniform_real_distribution<float> uf(-2.0f, 2.0f);
  std::vector<float> x(n_tokens * cols);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 89 == 7) ? 30.0f * uf(rng) : uf(rng);
  std::vector<uint8_t> xp(n_tokens * PreparedRowBytes(type, cols));
  PrepareActivations(type, x.data(), n_tokens, cols, cols, xp.data());
  return xp;
}

TEST_P(InterleaveTest, WhoCanInterleave) {
  Pair p = MakePair(DType::kQ4_0, 32, 64, rng_);
  EXPECT_TRUE(p.strips.interleaved);
  EXPECT_FALSE(CanInterleave(p.strips));  // already
  MatView v = p.rows;
  v.rows = 17;  // not whole strips
  EXPECT_FALSE(CanInterleave(v));
  v = p.rows;
  v.type = DType::kF16;
  v.row_bytes = 2 * v.cols;
  EXPECT_FALSE(CanInterleave(v));
  v = p.rows;
  v.row_bytes += 2;  // padded rows
  EXPECT_FALSE(CanInterleave(v));
}

// Every row and strip converts back to the same bytes; rows dequantize to the
// same floats from either layout.
TEST_P(InterleaveTest, LosslessRoundTrip) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    SCOPED_TRACE(DTypeName(type));
    Pair p = MakePair(type, 48, 96, rng_);
    const size_t rb = p.rows.row_bytes;
    EXPECT_NE(p.rows_bytes, p.strip_bytes);
    std::vector<uint8_t> row(rb), strip(kStripRows * rb);
    std::vector<float> got(96), want(96);
    for (size_t r = 0; r < p.rows.rows; ++r) {
      CopyRowBlocks(p.strips, r, row.data());
      ASSERT_EQ(0, std::memcmp(row.data(), p.rows.data + r * rb, rb)) << "row " << r;
      DequantizeMatRow(p.strips, r, got.data());
      DequantizeMatRow(p.rows, r, want.data());
      ASSERT_EQ(0, std::memcmp(got.data(), want.data(), 96 * sizeof(float))) << "row " << r;
    }
    for (size_t s = 0; s < p.rows.rows / kStripRows; ++s) {
      DeinterleaveStrip(p.strips, s, strip.data());
      ASSERT_EQ(0, std::memcmp(strip.data(), p.rows.data + s * kStripRows * rb, strip.size()));
    }
  }
}

// Same tolerance argument as kernels_test.cc's kMatMulRelTol: the integer
// part is exact, the f32 accumulation loses ~1e-7 of sum|terms| per step.
constexpr double kRelTol = 1e-5;

TEST_P(InterleaveTest, MatMulMatchesReference) {
  const size_t max_tok = 33;
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    for (size_t cols : {size_t{32}, size_t{96}, size_t{2048}, size_t{4224}}) {
      for (size_t rows : {size_t{16}, size_t{48}, size_t{144}}) {
        SCOPED_TRACE(std::string(DTypeName(type)) + " cols=" + std::to_string(cols) +
                     " rows=" + std::to_string(rows));
        Pair p = MakePair(type, rows, cols, rng_);
        const std::vector<uint8_t> xp = Prepared(type, max_tok, cols, rng_);
        const size_t pb = PreparedRowBytes(type, cols);
        const std::pair<size_t, size_t> ranges[] = {{0, rows}, {5, rows - 7}, {16, 32}};
        for (size_t nt : {size_t{1}, size_t{2}, size_t{3}, size_t{8}, size_t{9}, max_tok}) {
          for (const auto& [rb, re] : ranges) {
            if (re > rows || rb >= re) continue;
            const size_t stride = rows + 3;
            std::vector<float> y(nt * stride, std::numeric_limits<float>::quiet_NaN());
            MatMul(p.strips, xp.data(), nt, rb, re, y.data(), stride);
            for (size_t t = 0; t < nt; ++t) {
              for (size_t r = 0; r < stride; ++r) {
                const float got = y[t * stride + r];
                if (r < rb || r >= re) {
                  ASSERT_TRUE(std::isnan(got))
                      << "wrote outside [" << rb << "," << re << ") r=" << r;
                  continue;
                }
                double asum = 0.0;
                const double want = ref::DotRow(type, p.rows.data + r * p.rows.row_bytes,
                                                xp.data() + t * pb, cols, &asum);
                ASSERT_LE(std::fabs(got - want), kRelTol * asum)
                    << "nt=" << nt << " r=" << r << " t=" << t << " got=" << got
                    << " want=" << want;
              }
            }
          }
        }
      }
    }
  }
}

// Saturation-prone extremes: Q8_0 quants -128 / 127 and nibbles 0 / 15 against
// activations of +-127 stay exact.
TEST_P(InterleaveTest, MatMulExtremes) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    const size_t rows = 32, cols = 256, nt = 5;
    Pair p = MakePair(type, rows, cols, rng_);
    const size_t bb = DTypeBlockBytes(type);
    for (size_t blk = 0; blk < rows * cols / kQuantBlock; ++blk) {
      uint8_t* b = p.rows_bytes.data() + blk * bb;
      const uint16_t one = F32ToF16(1.0f);
      std::memcpy(b, &one, 2);
      const size_t r = blk / (cols / kQuantBlock);
      const uint8_t v = r % 3 == 0   ? (type == DType::kQ4_0 ? 0xFF : 0x80)
                        : r % 3 == 1 ? 0x7F
                                     : 0x00;
      for (size_t j = 2; j < bb; ++j) b[j] = v;
    }
    p.strip_bytes = p.rows_bytes;
    p.strips = p.rows;
    p.strips.data = p.strip_bytes.data();
    InterleaveRows(&p.strips, p.strip_bytes.data());
    std::vector<float> x(nt * cols);
    for (size_t i = 0; i < x.size(); ++i) x[i] = ((i / 7) % 2) ? 1.0f : -1.0f;
    std::vector<uint8_t> xp(nt * PreparedRowBytes(type, cols));
    PrepareActivations(type, x.data(), nt, cols, cols, xp.data());
    std::vector<float> y(nt * rows), yr(nt * rows);
    MatMul(p.strips, xp.data(), nt, 0, rows, y.data(), rows);
    ref::MatMul(p.rows, xp.data(), nt, 0, rows, yr.data(), rows);
    for (size_t i = 0; i < y.size(); ++i) {
      EXPECT_NEAR(y[i], yr[i], 1e-6 * std::fabs(yr[i]) + 1e-6) << DTypeName(type) << " i=" << i;
    }
  }
}

// A token's outputs do not depend on the other tokens of the call (continuous
// batching: the same text alone or batched).
TEST_P(InterleaveTest, MatMulBatchInvariantBitExact) {
  const size_t rows = 48, max_tok = 17;
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    for (size_t cols : {size_t{256}, size_t{2048}, size_t{4224}}) {
      SCOPED_TRACE(std::string(DTypeName(type)) + " cols=" + std::to_string(cols));
      Pair p = MakePair(type, rows, cols, rng_);
      const std::vector<uint8_t> xp = Prepared(type, max_tok, cols, rng_);
      const size_t pb = PreparedRowBytes(type, cols);
      std::vector<float> alone(max_tok * rows);
      for (size_t t = 0; t < max_tok; ++t) {
        MatMul(p.strips, xp.data() + t * pb, 1, 0, rows, alone.data() + t * rows, rows);
      }
      for (size_t nt : {size_t{2}, size_t{3}, size_t{8}, size_t{9}, max_tok}) {
        std::vector<float> y(nt * rows);
        MatMul(p.strips, xp.data(), nt, 0, rows, y.data(), rows);
        ASSERT_EQ(0, std::memcmp(y.data(), alone.data(), nt * rows * sizeof(float))) << "nt=" << nt;
      }
    }
  }
}

}  // namespace
}  // namespace gemma::kernels
