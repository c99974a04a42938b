// Q8_0 / Q4_0 quantization is byte-identical to llama.cpp's reference
// quantizers: the committed fixtures gemma-tiny-q8_0.gguf / -q4_0.gguf and
// gemma2-tiny-q8_0.gguf were made by make_gemma_gguf.py (a bit-exact numpy
// port of quantize_row_q8_0_ref / quantize_row_q4_0_ref) from the very
// weights in the f32 fixtures.
#include "quant/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "formats_test_util.h"
#include "io/gguf.h"
#include "model/export.h"
#include "model/source.h"
#include "writers.h"

namespace gemma::test {
namespace {

// Where the data section starts: every tensor, the last included, is padded
// to the alignment, so it is the file size minus the padded data size.
uint64_t DataStart(const GgufFile& g) {
  const GgufTensor& last = g.tensors().back();
  const uint64_t al = g.alignment();
  return g.file_size() - (last.offset + last.n_bytes + al - 1) / al * al;
}

struct QuantCase {
  std::string from, reference;
  DType type;
};

class QuantizeMatchesReference : public ::testing::TestWithParam<QuantCase> {};

TEST_P(QuantizeMatchesReference, TensorBytesIdentical) {
  const QuantCase& c = GetParam();
  const fs::path dir = TempDir("quantize_" + c.reference);
  const std::string out = (dir / "out.gguf").string();
  auto src = OpenModelSource(FixturePath("models/" + c.from));
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ExportOptions o;
  o.matrix_type = c.type;
  ASSERT_TRUE(WriteGguf(*src, out, o).ok());

  auto got = GgufFile::Open(out);
  auto want = GgufFile::Open(FixturePath("models/" + c.reference));
  ASSERT_TRUE(got.ok() && want.ok());
  const GgufFile &a = **got, &b = **want;
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const GgufTensor &x = a.tensors()[i], &y = b.tensors()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type) << x.name;
    EXPECT_EQ(x.dims, y.dims) << x.name;
    EXPECT_EQ(x.offset, y.offset) << x.name;
    ASSERT_EQ(x.n_bytes, y.n_bytes) << x.name;
    EXPECT_EQ(std::memcmp(x.data, y.data, x.n_bytes), 0) << x.name << " differs";
  }
  // Metadata too, except general.name (the file name make_gemma_gguf.py stores).
  ASSERT_EQ(a.metadata().size(), b.metadata().size());
  for (size_t i = 0; i < a.metadata().size(); ++i) {
    EXPECT_EQ(a.metadata()[i].first, b.metadata()[i].first);
    if (a.metadata()[i].first == "general.name") continue;
    EXPECT_EQ(a.metadata()[i].second.ToDisplayString(1 << 20),
              b.metadata()[i].second.ToDisplayString(1 << 20))
        << a.metadata()[i].first;
  }
  // So the files are identical from the data section on.
  const Bytes fa = ReadFile(out), fb = ReadFile(FixturePath("models/" + c.reference));
  const uint64_t data_a = DataStart(a), data_b = DataStart(b);
  ASSERT_EQ(fa.size() - data_a, fb.size() - data_b);
  EXPECT_EQ(std::memcmp(fa.data() + data_a, fb.data() + data_b, fa.size() - data_a), 0);
  Cleanup(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, QuantizeMatchesReference,
    ::testing::Values(QuantCase{"gemma-tiny-f32.gguf", "gemma-tiny-q8_0.gguf", DType::kQ8_0},
                      QuantCase{"gemma-tiny-f32.gguf", "gemma-tiny-q4_0.gguf", DType::kQ4_0},
                      QuantCase{"gemma2-tiny-f32.gguf", "gemma2-tiny-q8_0.gguf", DType::kQ8_0}),
    [](const auto& info) {
      std::string n = info.param.reference;
      for (char& ch : n) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return n;
    });

TEST(Quantize, ReferenceRoundingRules) {
  // Q8_0: d = amax / 127, q = roundf(x / d): half away from zero.
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // d = 1
  x[1] = 2.5f;    // -> 3 (half away from zero; nearest-even would give 2)
  x[2] = -2.5f;   // -> -3
  x[3] = 0.49f;
  uint8_t q8[34];
  quant::QuantizeRowQ8_0(x.data(), 32, q8);
  BlockQ8_0 b8;
  std::memcpy(&b8, q8, 34);
  EXPECT_EQ(F16ToF32(b8.d), 1.0f);
  EXPECT_EQ(b8.qs[0], 127);
  EXPECT_EQ(b8.qs[1], 3);
  EXPECT_EQ(b8.qs[2], -3);
  EXPECT_EQ(b8.qs[3], 0);
  // Q4_0: d = (signed max by |x|) / -8; q = min(15, trunc(x / d + 8.5)).
  std::vector<float> y(32, 0.0f);
  y[0] = -8.0f;  // max |x|, negative: d = 1
  y[1] = 7.9f;   // 16.4 -> clamped to 15
  y[16] = -3.0f;
  uint8_t q4[18];
  quant::QuantizeRowQ4_0(y.data(), 32, q4);
  BlockQ4_0 b4;
  std::memcpy(&b4, q4, 18);
  EXPECT_EQ(F16ToF32(b4.d), 1.0f);
  EXPECT_EQ(b4.qs[0] & 15, 0);  // -8 / 1 + 8.5 = 0.5 -> 0
  EXPECT_EQ(b4.qs[0] >> 4, 5);  // -3 + 8.5 = 5.5 -> 5
  EXPECT_EQ(b4.qs[1] & 15, 15);
  // All zeros: d = 0, every value encodes as zero.
  std::vector<float> z(64, 0.0f);
  uint8_t qz[2 * sizeof(BlockQ8_0)];
  quant::QuantizeRowQ8_0(z.data(), 64, qz);
  for (uint8_t v : qz) EXPECT_EQ(v, 0);
}

TEST(Quantize, TargetTypes) {
  EXPECT_EQ(*quant::ParseTargetType("Q8_0"), DType::kQ8_0);
  EXPECT_EQ(*quant::ParseTargetType("q4_0"), DType::kQ4_0);
  EXPECT_EQ(*quant::ParseTargetType("bf16"), DType::kBF16);
  // K-quants (kquant_quantize_test.cc): single types and the mixtures'
  // default type; K-quant mixtures other than q4_k_m / q5_k_m are refused.
  EXPECT_EQ(*quant::ParseTargetType("q4_k"), DType::kQ4_K);
  EXPECT_EQ(*quant::ParseTargetType("Q4_K_M"), DType::kQ4_K);
  EXPECT_EQ(*quant::ParseTargetType("q5_k_m"), DType::kQ5_K);
  EXPECT_EQ(*quant::ParseTargetType("q6_k"), DType::kQ6_K);
  EXPECT_EQ(*quant::ParseTargetType("q2_k"), DType::kQ2_K);
  for (const char* k : {"Q3_K_S", "q4_k_s", "q8_k"}) {
    auto t = quant::ParseTargetType(k);
    ASSERT_FALSE(t.ok()) << k;
    EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(t.status().message().find("not supported"), std::string::npos)
        << t.status().message();
  }
  EXPECT_EQ(quant::ParseTargetType("q9_9").status().code(), StatusCode::kInvalidArgument);
}

TEST(Quantize, FromHuggingFaceCheckpointRunsWithinQuantTolerance) {
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  const fs::path dir = TempDir("quantize_hf");
  WriteHfCheckpoint(*g, dir / "hf", HfWriteOptions{});
  auto src = OpenModelSource((dir / "hf").string());
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ExportOptions o;
  o.matrix_type = DType::kQ8_0;
  ASSERT_TRUE(WriteGcore(*src, (dir / "q8.gcore").string(), o).ok());
  ASSERT_TRUE(WriteGguf(*src, (dir / "q8.gguf").string(), o).ok());
  const std::vector<float> a = LogitsOf((dir / "q8.gcore").string());
  const std::vector<float> b = LogitsOf((dir / "q8.gguf").string());
  const std::vector<float> ref = LogitsOf(FixturePath("models/gemma-tiny-q8_0.gguf"));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0);
  // The norms went through 1 + (s - 1), so a few quant blocks may round
  // differently from the fixture; logits stay within float noise of it.
  EXPECT_LE(MaxDiff(a, ref), 1e-3f);
  Cleanup(dir);
}

}  // namespace
}  // namespace gemma::test
