// Every kernel against the scalar reference (kernels/reference.h), on every
// Highway target this binary and CPU can run. Test names end in the target,
// e.g. Targets/KernelTest.MatMulQ8_0/AVX3_DL.
#include "kernels/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/reference.h"
#include "kernels/types.h"

namespace gemma::kernels {
namespace {

class KernelTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override {
    ForceTarget(GetParam());
    ASSERT_EQ(ActiveTargetName(), TargetName(GetParam()));
  }
  void TearDown() override { ForceTarget(0); }
  std::mt19937 rng_{12345};

  float Uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng_); }
  std::vector<float> RandomVec(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::vector<float> v(n);
    for (auto& x : v) x = Uniform(lo, hi);
    return v;
  }
};

std::string TargetParamName(const ::testing::TestParamInfo<int64_t>& info) {
  return TargetName(info.param);
}

INSTANTIATE_TEST_SUITE_P(Targets, KernelTest, ::testing::ValuesIn(AvailableTargets()),
                         TargetParamName);

// ---- target control -------------------------------------------------------
TEST(KernelTargets, NamesRoundTrip) {
  const auto targets = AvailableTargets();
  ASSERT_FALSE(targets.empty());
  for (int64_t t : targets) {
    EXPECT_EQ(TargetFromName(TargetName(t)), t);
    std::string lower = TargetName(t);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(TargetFromName(lower), t);
  }
  EXPECT_EQ(TargetFromName("no-such-target"), 0);
  EXPECT_EQ(TargetFromName(""), 0);
  // Default dispatch is the best available target.
  ForceTarget(0);
  EXPECT_EQ(ActiveTargetName(), TargetName(targets.front()));
  ForceTarget(targets.back());
  EXPECT_EQ(ActiveTargetName(), TargetName(targets.back()));
  ForceTarget(0);
  EXPECT_EQ(ActiveTargetName(), TargetName(targets.front()));
}

// ---- weights ----------------------------------------------------------------
// A random weight matrix of `rows` x `cols` in `type`, with `pad` extra bytes
// per row (so row_bytes != the packed size is exercised).
struct Weights {
  std::vector<uint8_t> bytes;
  MatView view;
};

Weights MakeWeights(DType type, size_t rows, size_t cols, size_t pad, std::mt19937& rng) {
  Weights w;
  const size_t row_bytes = DTypeRowBytes(type, cols) + pad;
  w.bytes.assign(rows * row_bytes + 64, 0xCD);
  std::uniform_real_distribution<float> uf(-1.0f, 1.0f);
  std::uniform_int_distribution<int> ub(0, 255);
  std::uniform_real_distribution<float> ud(0.001f, 0.05f);
  for (size_t r = 0; r < rows; ++r) {
    uint8_t* row = w.bytes.data() + r * row_bytes;
    for (size_t i = 0; i < cols; ++i) {
      if (type == DType::kF32) {
        const float f = uf(rng);
        std::memcpy(row + 4 * i, &f, 4);
      } else if (type == DType::kF16 || type == DType::kBF16) {
        const float f = uf(rng);
        const uint16_t h = type == DType::kF16 ? F32ToF16(f) : F32ToBF16(f);
        std::memcpy(row + 2 * i, &h, 2);
      }
    }
    if (type == DType::kQ8_0 || type == DType::kQ4_0) {
      const size_t bb = DTypeBlockBytes(type);
      for (size_t b = 0; b < cols / kQuantBlock; ++b) {
        uint8_t* blk = row + b * bb;
        const float d = (b % 7 == 3) ? -ud(rng) : ud(rng);  // negative scales occur too
        const uint16_t dh = F32ToF16(d);
        std::memcpy(blk, &dh, 2);
        // Q8_0 quants cover the full int8 range, including -128.
        for (size_t j = 2; j < bb; ++j) blk[j] = static_cast<uint8_t>(ub(rng));
      }
    }
  }
  w.view = MatView{type, w.bytes.data(), rows, cols, row_bytes};
  return w;
}

// Activations with a few large outliers (as Gemma's residual stream has).
std::vector<float> MakeActivations(size_t n_tokens, size_t stride, std::mt19937& rng) {
  std::vector<float> x(n_tokens * stride);
  std::uniform_real_distribution<float> uf(-2.0f, 2.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 97 == 5) ? 40.0f * uf(rng) : uf(rng);
  return x;
}

// MatMul tolerance: the reference sums in double; the kernels accumulate in
// f32 lanes (per-block scaled int32 dot products for Q8_0/Q4_0, whose integer
// part is exact; FMA of widened weights for F32/F16/BF16). Each f32 addition
// loses at most 2^-24 of the running |sum| <= sum|terms|, and the lane sums
// have at most cols / lanes additions in a chain, so the error is a small
// multiple of 1e-7 * sum|terms|; 1e-5 * sum|terms| leaves ample room but
// still catches any wrong block, scale, nibble or tail (each of which moves
// the result by ~1e-2 of sum|terms| or more).
constexpr double kMatMulRelTol = 1e-5;

void CheckMatMul(DType type, std::mt19937& rng) {
  const size_t kRowsList[] = {1, 3, 4, 5, 17, 64, 131};
  const size_t kTokList[] = {1, 2, 3, 4, 5, 7, 8, 9, 16, 33};
  const size_t kColsList[] = {32, 64, 96, 256, 2048};
  const size_t max_rows = 131, max_tok = 33;
  for (size_t cols : kColsList) {
    SCOPED_TRACE("cols=" + std::to_string(cols));
    const size_t pad = (cols == 96) ? 6 : 0;
    Weights w = MakeWeights(type, max_rows, cols, pad, rng);
    const size_t x_stride = cols + 3;
    std::vector<float> x = MakeActivations(max_tok, x_stride, rng);
    const size_t pbytes = PreparedRowBytes(type, cols);
    ASSERT_EQ(pbytes, ref::PreparedRowBytes(type, cols));
    std::vector<uint8_t> xp(max_tok * pbytes), xp_ref(max_tok * pbytes);
    PrepareActivations(type, x.data(), max_tok, cols, x_stride, xp.data());
    ref::PrepareActivations(type, x.data(), max_tok, cols, x_stride, xp_ref.data());
    ASSERT_EQ(0, std::memcmp(xp.data(), xp_ref.data(), xp.size()));
    // Reference results and tolerances for the whole matrix, once.
    std::vector<double> want(max_tok * max_rows), tol(max_tok * max_rows);
    for (size_t t = 0; t < max_tok; ++t) {
      for (size_t r = 0; r < max_rows; ++r) {
        double asum = 0.0;
        want[t * max_rows + r] = ref::DotRow(type, w.view.data + r * w.view.row_bytes,
                                             xp.data() + t * pbytes, cols, &asum);
        tol[t * max_rows + r] = kMatMulRelTol * asum;
      }
    }
    for (size_t rows : kRowsList) {
      for (size_t nt : kTokList) {
        // Full range, and a sub-range [rb, re) when there is room.
        const size_t ranges[2][2] = {{0, rows}, {rows / 3, rows - rows / 4}};
        for (const auto& range : ranges) {
          const size_t rb = range[0], re = range[1];
          if (rb >= re && !(rb == 0 && re == rows)) continue;
          MatView v = w.view;
          v.rows = rows;
          const size_t y_stride = rows + 5;
          std::vector<float> y(nt * y_stride, std::numeric_limits<float>::quiet_NaN());
          MatMul(v, xp.data(), nt, rb, re, y.data(), y_stride);
          size_t bad = 0;
          for (size_t t = 0; t < nt; ++t) {
            for (size_t r = 0; r < y_stride; ++r) {
              const float got = y[t * y_stride + r];
              if (r < rb || r >= re) {  // must be untouched
                if (!std::isnan(got) && bad++ < 5) {
                  ADD_FAILURE() << "wrote outside range: rows=" << rows << " nt=" << nt
                                << " r=" << r << " t=" << t;
                }
                continue;
              }
              const double e = want[t * max_rows + r];
              if (!(std::fabs(got - e) <= tol[t * max_rows + r]) && bad++ < 5) {
                ADD_FAILURE() << DTypeName(type) << " rows=" << rows << " nt=" << nt
                              << " cols=" << cols << " range=[" << rb << "," << re << ") r=" << r
                              << " t=" << t << " got=" << got << " want=" << e
                              << " tol=" << tol[t * max_rows + r];
              }
            }
          }
          ASSERT_EQ(bad, 0u);
        }
      }
    }
  }
}

TEST_P(KernelTest, MatMulF32) { CheckMatMul(DType::kF32, rng_); }
TEST_P(KernelTest, MatMulF16) { CheckMatMul(DType::kF16, rng_); }
TEST_P(KernelTest, MatMulBF16) { CheckMatMul(DType::kBF16, rng_); }
TEST_P(KernelTest, MatMulQ8_0) { CheckMatMul(DType::kQ8_0, rng_); }
TEST_P(KernelTest, MatMulQ4_0) { CheckMatMul(DType::kQ4_0, rng_); }

// Integer path extremes: all quants at the saturation-prone ends (w = -128 /
// 127, nibbles 0 / 15, x = +-127) must still be exact.
TEST_P(KernelTest, MatMulQuantExtremes) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    const size_t rows = 6, cols = 128, nt = 5;
    Weights w = MakeWeights(type, rows, cols, 0, rng_);
    const size_t bb = DTypeBlockBytes(type);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t b = 0; b < cols / 32; ++b) {
        uint8_t* blk = w.bytes.data() + r * w.view.row_bytes + b * bb;
        const uint16_t one = F32ToF16(1.0f);
        std::memcpy(blk, &one, 2);
        const uint8_t v = (r % 3 == 0) ? 0x80 : (r % 3 == 1) ? 0x7F : 0x00;  // -128, 127 / nibbles
        for (size_t j = 2; j < bb; ++j) blk[j] = (type == DType::kQ4_0 && r % 3 == 0) ? 0xFF : v;
      }
    }
    std::vector<float> x(nt * cols);
    for (size_t i = 0; i < x.size(); ++i) x[i] = ((i / 7) % 2) ? 1.0f : -1.0f;
    const size_t pb = PreparedRowBytes(type, cols);
    std::vector<uint8_t> xp(nt * pb);
    PrepareActivations(type, x.data(), nt, cols, cols, xp.data());
    std::vector<float> y(nt * rows), yr(nt * rows);
    MatMul(w.view, xp.data(), nt, 0, rows, y.data(), rows);
    ref::MatMul(w.view, xp.data(), nt, 0, rows, yr.data(), rows);
    for (size_t i = 0; i < y.size(); ++i) {
      EXPECT_NEAR(y[i], yr[i], 1e-6 * std::fabs(yr[i]) + 1e-6) << DTypeName(type) << " i=" << i;
    }
  }
}

// Wide rows (as ffn_down's 16384 inputs): the AVX3_DL path splits the
// columns into k-blocks of 16 groups of 4 blocks and the rows into blocks of
// 32; 4224 columns give 33 groups (a partial third k-block), 70 rows a partial
// row block, 19 tokens a partial token tile; 1 token is the decode path.
TEST_P(KernelTest, MatMulQuantWideRows) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    SCOPED_TRACE(DTypeName(type));
    const size_t rows = 70, cols = 4224, max_tok = 19;
    Weights w = MakeWeights(type, rows, cols, 2, rng_);
    std::vector<float> x = MakeActivations(max_tok, cols, rng_);
    const size_t pb = PreparedRowBytes(type, cols);
    std::vector<uint8_t> xp(max_tok * pb);
    PrepareActivations(type, x.data(), max_tok, cols, cols, xp.data());
    for (size_t nt : {size_t{1}, size_t{2}, max_tok}) {
      for (const auto& range : {std::pair<size_t, size_t>{0, rows}, {5, 43}}) {
        std::vector<float> y(nt * rows, std::numeric_limits<float>::quiet_NaN());
        MatMul(w.view, xp.data(), nt, range.first, range.second, y.data(), rows);
        for (size_t t = 0; t < nt; ++t) {
          for (size_t r = 0; r < rows; ++r) {
            const float got = y[t * rows + r];
            if (r < range.first || r >= range.second) {
              ASSERT_TRUE(std::isnan(got)) << "wrote outside range r=" << r << " t=" << t;
              continue;
            }
            double asum = 0.0;
            const double want = ref::DotRow(type, w.view.data + r * w.view.row_bytes,
                                            xp.data() + t * pb, cols, &asum);
            ASSERT_LE(std::fabs(got - want), kMatMulRelTol * asum)
                << "nt=" << nt << " r=" << r << " t=" << t << " got=" << got << " want=" << want;
          }
        }
      }
    }
  }
}

// Batch invariance, bit for bit: a token's outputs must not depend on how many
// other tokens share the call (decode = 1 token takes its own loop on
// AVX3_DL). Continuous batching relies on it: a sequence samples the same
// tokens alone or batched with others (server scheduler_tests).
TEST_P(KernelTest, MatMulBatchInvariantBitExact) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0, DType::kF16, DType::kF32}) {
    for (size_t cols : {size_t{256}, size_t{2048}, size_t{4224}}) {
      SCOPED_TRACE(std::string(DTypeName(type)) + " cols=" + std::to_string(cols));
      const size_t rows = 37, max_tok = 17;
      Weights w = MakeWeights(type, rows, cols, 0, rng_);
      std::vector<float> x = MakeActivations(max_tok, cols, rng_);
      const size_t pb = PreparedRowBytes(type, cols);
      std::vector<uint8_t> xp(max_tok * pb);
      PrepareActivations(type, x.data(), max_tok, cols, cols, xp.data());
      std::vector<float> alone(max_tok * rows);
      for (size_t t = 0; t < max_tok; ++t) {
        MatMul(w.view, xp.data() + t * pb, 1, 0, rows, alone.data() + t * rows, rows);
      }
      for (size_t nt : {size_t{2}, size_t{3}, size_t{8}, size_t{9}, max_tok}) {
        std::vector<float> y(nt * rows);
        MatMul(w.view, xp.data(), nt, 0, rows, y.data(), rows);
        for (size_t i = 0; i < nt * rows; ++i) {
          ASSERT_EQ(std::memcmp(&y[i], &alone[i], sizeof(float)), 0)
              << "nt=" << nt << " t=" << i / rows << " r=" << i % rows << " batched=" << y[i]
              << " alone=" << alone[i];
        }
      }
    }
  }
}

// ---- activation preparation ---------------------------------------------------
TEST_P(KernelTest, PrepareQ8_0BitExact) {
  const size_t cols = 256, nt = 9, stride = 300;
  std::vector<float> x(nt * stride);
  for (size_t i = 0; i < x.size(); ++i) {
    const float scale = std::pow(10.0f, Uniform(-6.0f, 3.0f));
    x[i] = Uniform(-1.0f, 1.0f) * scale;
  }
  // Token 0: exact ties. Block 0 has amax 127 (id = 1): x.5 rounds to even.
  // Block 1 has amax 63.5 (id = 2): x.25 * 2 = ties as well. Block 2 is all
  // zeros (d = 0, id = 0). Block 3 has negative amax element.
  const float ties0[] = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, 126.5f, -126.5f};
  const int8_t want0[] = {127, 0, 2, 2, 0, -2, -2, 4, 126, -126};
  for (size_t i = 0; i < 32; ++i) x[i] = i < 10 ? ties0[i] : 0.0f;
  const float ties1[] = {63.5f, 0.25f, 0.75f, -0.25f, -0.75f, 1.25f};
  const int8_t want1[] = {127, 0, 2, 0, -2, 2};
  for (size_t i = 0; i < 32; ++i) x[32 + i] = i < 6 ? ties1[i] : 0.0f;
  for (size_t i = 0; i < 32; ++i) x[64 + i] = 0.0f;
  for (size_t i = 0; i < 32; ++i) x[96 + i] = (i == 17) ? -3.0f : 0.001f * static_cast<float>(i);
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    const size_t pb = PreparedRowBytes(type, cols);
    ASSERT_EQ(pb, cols / 32 * sizeof(BlockQ8_0));
    std::vector<uint8_t> got(nt * pb, 0xAA), want(nt * pb, 0x55);
    PrepareActivations(type, x.data(), nt, cols, stride, got.data());
    ref::PrepareActivations(type, x.data(), nt, cols, stride, want.data());
    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size()));
    BlockQ8_0 b0, b1, b2;
    std::memcpy(&b0, got.data(), sizeof(b0));
    std::memcpy(&b1, got.data() + sizeof(BlockQ8_0), sizeof(b1));
    std::memcpy(&b2, got.data() + 2 * sizeof(BlockQ8_0), sizeof(b2));
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(b0.qs[i], want0[i]) << i;
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(b1.qs[i], want1[i]) << i;
    EXPECT_EQ(b0.d, F32ToF16(1.0f));
    EXPECT_EQ(b2.d, 0);
    for (size_t i = 0; i < 32; ++i) EXPECT_EQ(b2.qs[i], 0);
  }
  // Float weight types take f32 rows unchanged.
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16}) {
    ASSERT_EQ(PreparedRowBytes(type, cols), cols * 4);
    std::vector<uint8_t> got(nt * cols * 4);
    PrepareActivations(type, x.data(), nt, cols, stride, got.data());
    for (size_t t = 0; t < nt; ++t) {
      ASSERT_EQ(0, std::memcmp(got.data() + t * cols * 4, x.data() + t * stride, cols * 4));
    }
  }
}

TEST_P(KernelTest, DequantizeRowAllTypes) {
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0}) {
    Weights w = MakeWeights(type, 1, 256, 0, rng_);
    for (size_t n : {size_t{32}, size_t{64}, size_t{256}}) {
      std::vector<float> got(n + 1, -7.0f), want(n);
      DequantizeRow(type, w.view.data, n, got.data());
      ref::DequantizeRow(type, w.view.data, n, want.data());
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], want[i]) << DTypeName(type) << " i=" << i;
      EXPECT_EQ(got[n], -7.0f);  // nothing written past n
    }
  }
  // Float types: any n (vector remainder).
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16}) {
    Weights w = MakeWeights(type, 1, 64, 0, rng_);
    std::vector<float> got(37), want(37);
    DequantizeRow(type, w.view.data, 37, got.data());
    ref::DequantizeRow(type, w.view.data, 37, want.data());
    EXPECT_EQ(got, want) << DTypeName(type);
  }
}

// ---- fp16 -------------------------------------------------------------------
TEST_P(KernelTest, F16KnownValues) {
  const float in[] = {0.0f,           -0.0f,          1.0f,           -2.0f,
                      65504.0f,       65519.0f,       65520.0f,       1e6f,
                      -1e6f,          6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f,
                      2.9802326e-08f, 1.0f / 3.0f,    1.00048828125f, 1.00146484375f};
  const uint16_t want[] = {0x0000, 0x8000, 0x3C00, 0xC000, 0x7BFF,
                           0x7BFF, 0x7C00, 0x7C00, 0xFC00, 0x0400,
                           0x0001, 0x0000, 0x0001, 0x3555, 0x3C00 /* tie -> even */,
                           0x3C02 /* tie -> even */};
  constexpr size_t n = sizeof(in) / sizeof(in[0]);
  uint16_t got[n];
  F32ToF16Row(in, got, n);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(got[i], want[i]) << "i=" << i << " x=" << in[i];
  float back[n];
  F16ToF32Row(want, back, n);
  EXPECT_EQ(back[2], 1.0f);
  EXPECT_EQ(back[4], 65504.0f);
  EXPECT_TRUE(std::isinf(back[6]));
  EXPECT_EQ(back[9], 6.1035156e-05f);
  EXPECT_EQ(back[10], 5.9604645e-08f);
}

TEST_P(KernelTest, F16RoundTripAllBits) {
  std::vector<uint16_t> h;
  for (uint32_t b = 0; b < 65536; ++b) {
    if ((b & 0x7C00u) == 0x7C00u && (b & 0x3FFu)) continue;  // skip NaNs
    h.push_back(static_cast<uint16_t>(b));
  }
  std::vector<float> f(h.size() + 3), fr(h.size());
  F16ToF32Row(h.data(), f.data(), h.size());
  ref::F16ToF32Row(h.data(), fr.data(), h.size());
  for (size_t i = 0; i < h.size(); ++i) {
    ASSERT_EQ(std::memcmp(&f[i], &fr[i], 4), 0) << std::hex << h[i];
  }
  std::vector<uint16_t> back(h.size());
  F32ToF16Row(f.data(), back.data(), h.size());
  EXPECT_EQ(back, h);
  // Random floats of all magnitudes (incl. subnormal halves and overflow),
  // bit-identical to the exact scalar conversion.
  std::vector<float> x(4099);
  for (auto& v : x) v = Uniform(-1.0f, 1.0f) * std::pow(2.0f, Uniform(-30.0f, 18.0f));
  std::vector<uint16_t> got(x.size()), want(x.size());
  F32ToF16Row(x.data(), got.data(), x.size());
  ref::F32ToF16Row(x.data(), want.data(), x.size());
  EXPECT_EQ(got, want);
}

// ---- element-wise ------------------------------------------------------------
const size_t kSizes[] = {1, 7, 16, 33, 100, 2048, 2051};

TEST_P(KernelTest, RMSNorm) {
  for (size_t n : kSizes) {
    auto x = RandomVec(n, -3.0f, 3.0f);
    x[n / 2] = 2000.0f;  // outlier
    const auto w = RandomVec(n, 0.5f, 1.5f);
    std::vector<float> got(n), want(n);
    RMSNorm(x.data(), w.data(), n, 1e-6f, got.data());
    ref::RMSNorm(x.data(), w.data(), n, 1e-6f, want.data());
    for (size_t i = 0; i < n; ++i) {
      // Same float ops after the scale; the scale itself may differ by an ulp.
      ASSERT_NEAR(got[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-30) << "n=" << n << " i=" << i;
    }
    // In place.
    std::vector<float> inplace = x;
    RMSNorm(inplace.data(), w.data(), n, 1e-6f, inplace.data());
    EXPECT_EQ(inplace, got);
  }
}

TEST_P(KernelTest, GeluTanhMul) {
  for (size_t n : kSizes) {
    auto g = RandomVec(n, -10.0f, 10.0f);
    if (n > 4) g[0] = 0.0f, g[1] = -30.0f, g[2] = 30.0f, g[3] = 1e-20f;
    const auto up = RandomVec(n, -2.0f, 2.0f);
    auto got = g, want = g;
    GeluTanhMul(got.data(), up.data(), n);
    ref::GeluTanhMul(want.data(), up.data(), n);
    for (size_t i = 0; i < n; ++i) {
      // Relative ~1e-6 (a few ulp through exp and the polynomial); the
      // absolute term only matters where gelu < 1e-7 (x < -5.5).
      ASSERT_NEAR(got[i], want[i], 3e-6 * std::fabs(want[i]) + 1e-7 * std::fabs(up[i]))
          << "x=" << g[i];
    }
  }
  // Typical range: relative 1e-6.
  auto g = RandomVec(4096, -4.0f, 4.0f);
  std::vector<float> up(g.size(), 1.0f);
  auto got = g, want = g;
  GeluTanhMul(got.data(), up.data(), g.size());
  ref::GeluTanhMul(want.data(), up.data(), g.size());
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1.5e-6 * std::fabs(want[i]) + 1e-12) << "x=" << g[i];
  }
}

TEST_P(KernelTest, Softmax) {
  for (size_t n : kSizes) {
    auto x = RandomVec(n, -20.0f, 20.0f);
    auto got = x, want = x;
    Softmax(got.data(), n);
    ref::Softmax(want.data(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], want[i], 1e-5 * want[i] + 1e-12);
  }
  std::vector<float> big = {1e4f, 1e4f, -1e4f};  // stability
  Softmax(big.data(), 3);
  EXPECT_NEAR(big[0], 0.5f, 1e-6);
  EXPECT_EQ(big[2], 0.0f);
}

TEST_P(KernelTest, SoftCap) {
  for (size_t n : kSizes) {
    auto x = RandomVec(n, -200.0f, 200.0f);
    auto got = x, want = x;
    SoftCap(got.data(), n, 30.0f);
    ref::SoftCap(want.data(), n, 30.0f);
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], want[i], 2e-6 * std::fabs(want[i]) + 1e-6);
  }
}

TEST_P(KernelTest, AddScale) {
  for (size_t n : kSizes) {
    const auto x = RandomVec(n);
    auto a = RandomVec(n), ar = a;
    Add(a.data(), x.data(), n);
    ref::Add(ar.data(), x.data(), n);
    EXPECT_EQ(a, ar);
    Scale(a.data(), n, 0.37f);
    ref::Scale(ar.data(), n, 0.37f);
    EXPECT_EQ(a, ar);
  }
}

TEST_P(KernelTest, RopeNeox) {
  for (size_t d : {2, 16, 32, 64, 128, 256, 18}) {
    auto x = RandomVec(d, -3.0f, 3.0f);
    std::vector<float> c(d / 2), s(d / 2);
    for (size_t i = 0; i < d / 2; ++i) {
      const float th = Uniform(-100.0f, 100.0f);
      c[i] = std::cos(th), s[i] = std::sin(th);
    }
    auto got = x, want = x;
    RopeNeox(got.data(), d, c.data(), s.data());
    ref::RopeNeox(want.data(), d, c.data(), s.data());
    for (size_t i = 0; i < d; ++i) {
      const size_t j = i % (d / 2);
      ASSERT_NEAR(got[i], want[i], 1e-6 * (std::fabs(x[j]) + std::fabs(x[j + d / 2])))
          << "d=" << d << " i=" << i;
    }
  }
}

TEST_P(KernelTest, DotAxpy) {
  for (size_t n : kSizes) {
    const auto a = RandomVec(n), b = RandomVec(n);
    std::vector<uint16_t> bh(n);
    ref::F32ToF16Row(b.data(), bh.data(), n);
    double asum = 0.0, asum16 = 0.0;
    for (size_t i = 0; i < n; ++i) {
      asum += std::fabs(a[i] * b[i]);
      asum16 += std::fabs(a[i] * F16ToF32(bh[i]));
    }
    EXPECT_NEAR(Dot(a.data(), b.data(), n), ref::Dot(a.data(), b.data(), n), 1e-6 * asum);
    EXPECT_NEAR(DotF16(a.data(), bh.data(), n), ref::DotF16(a.data(), bh.data(), n), 1e-6 * asum16);
    auto y = RandomVec(n), yr = y, y16 = y, y16r = y;
    Axpy(-0.7f, a.data(), y.data(), n);
    ref::Axpy(-0.7f, a.data(), yr.data(), n);
    AxpyF16(1.3f, bh.data(), y16.data(), n);
    ref::AxpyF16(1.3f, bh.data(), y16r.data(), n);
    for (size_t i = 0; i < n; ++i) {
      // FMA (one rounding) vs multiply-then-add (two): within an ulp or two.
      ASSERT_NEAR(y[i], yr[i], 2.5e-7 * (std::fabs(yr[i]) + 0.7 * std::fabs(a[i])));
      ASSERT_NEAR(y16[i], y16r[i], 2.5e-7 * (std::fabs(y16r[i]) + 1.3 * std::fabs(b[i]) + 1e-3));
    }
  }
}

}  // namespace
}  // namespace gemma::kernels
