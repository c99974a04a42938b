// .gcore: converted from every fixture, its logits are bitwise those of the
// source; checksums catch corruption (the header on open, tensors on
// demand); conversions round-trip.
#include "io/gcore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "formats_test_util.h"
#include "io/xxhash64.h"
#include "model/export.h"
#include "model/source.h"
#include "writers.h"

namespace gemma::test {
namespace {

Status Convert(const std::string& in, const std::string& out, const ExportOptions& o = {}) {
  GEMMA_ASSIGN_OR_RETURN(ModelSource src, OpenModelSource(in));
  if (out.size() > 5 && out.substr(out.size() - 5) == ".gguf") return WriteGguf(src, out, o);
  return WriteGcore(src, out, o);
}

class GcoreFromGguf : public ::testing::TestWithParam<std::string> {};

TEST_P(GcoreFromGguf, BitwiseSameLogits) {
  const std::string in = FixturePath("models/" + GetParam());
  const fs::path dir = TempDir("gcore_" + GetParam());
  const std::string out = (dir / "model.gcore").string();
  ASSERT_TRUE(Convert(in, out).ok());
  auto m = Model::Load(out);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->info().format, "gcore");
  const std::vector<float> a = ModelLogits(*m), b = LogitsOf(in);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
      << "max diff " << MaxDiff(a, b);
  // Same tokenizer.
  auto g = Model::Load(in);
  ASSERT_TRUE(g.ok());
  const std::string text = "Hello world, <start_of_turn>user\nthe cat sat\t on 42 mats!";
  EXPECT_EQ((*m)->tokenizer().Encode(text), (*g)->tokenizer().Encode(text));
  EXPECT_EQ((*m)->info().n_params, (*g)->info().n_params);
  // Zero copy: the weights are the file's bytes, 64-byte aligned.
  auto f = GcoreFile::Open(out);
  ASSERT_TRUE(f.ok());
  for (const GcoreTensor& t : (*f)->tensors()) EXPECT_EQ(t.offset % 64, 0u) << t.name;
  EXPECT_TRUE((*f)->VerifyTensors().ok());
  Cleanup(dir);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GcoreFromGguf,
                         ::testing::Values("gemma-tiny-f32.gguf", "gemma-tiny-q8_0.gguf",
                                           "gemma-tiny-q4_0.gguf", "gemma2-tiny-f32.gguf",
                                           "gemma2-tiny-q8_0.gguf", "gemma3-tiny-f32.gguf",
                                           "variants/gemma-tiny-f16.gguf",
                                           "variants/gemma3-tiny-bf16.gguf",
                                           "variants/mha-hd48-q4_0.gguf"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

TEST(Gcore, FromHuggingFaceBitwiseSameAsCheckpoint) {
  auto g = OpenFixture("gemma3-tiny-f32.gguf");
  const fs::path dir = TempDir("gcore_from_hf");
  WriteHfCheckpoint(*g, dir / "hf", BF16Sharded());
  const std::string out = (dir / "m.gcore").string();
  ASSERT_TRUE(Convert((dir / "hf").string(), out).ok());
  const std::vector<float> a = LogitsOf(out), b = LogitsOf((dir / "hf").string());
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
      << "max diff " << MaxDiff(a, b);
  // And HF -> GGUF: F32 norms (1 + w) and BF16 matrices, the same numbers.
  const std::string gguf = (dir / "m.gguf").string();
  ASSERT_TRUE(Convert((dir / "hf").string(), gguf).ok());
  const std::vector<float> c = LogitsOf(gguf);
  ASSERT_EQ(c.size(), b.size());
  EXPECT_EQ(std::memcmp(c.data(), b.data(), c.size() * sizeof(float)), 0)
      << "max diff " << MaxDiff(c, b);
  Cleanup(dir);
}

TEST(Gcore, RoundTripBackToGgufKeepsTensorBytes) {
  const std::string in = FixturePath("models/gemma2-tiny-q8_0.gguf");
  const fs::path dir = TempDir("gcore_roundtrip");
  ASSERT_TRUE(Convert(in, (dir / "a.gcore").string()).ok());
  ASSERT_TRUE(Convert((dir / "a.gcore").string(), (dir / "b.gguf").string()).ok());
  auto x = GgufFile::Open(in);
  auto y = GgufFile::Open((dir / "b.gguf").string());
  ASSERT_TRUE(x.ok() && y.ok());
  ASSERT_EQ((*x)->tensors().size(), (*y)->tensors().size());
  for (size_t i = 0; i < (*x)->tensors().size(); ++i) {
    const GgufTensor &a = (*x)->tensors()[i], &b = (*y)->tensors()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type);
    ASSERT_EQ(a.n_bytes, b.n_bytes);
    EXPECT_EQ(std::memcmp(a.data, b.data, a.n_bytes), 0) << a.name;
  }
  EXPECT_EQ(*(*y)->GetString("general.architecture"), "gemma2");
  Cleanup(dir);
}

class GcoreCorruption : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("gcore_corrupt");
    path_ = (dir_ / "m.gcore").string();
    ASSERT_TRUE(Convert(FixturePath("models/gemma-tiny-q4_0.gguf"), path_).ok());
    bytes_ = ReadFile(path_);
  }
  void TearDown() override { Cleanup(dir_); }
  Status LoadMutant(const Bytes& b, bool verify = false) {
    const std::string p = (dir_ / "mutant.gcore").string();
    WriteFile(p, b.data(), b.size());
    auto s = OpenModelSource(p, {.verify_checksums = verify});
    if (!s.ok()) return s.status();
    auto m = Model::Load(p);
    return m.ok() ? Status::Ok() : m.status();
  }
  fs::path dir_;
  std::string path_;
  Bytes bytes_;
};

TEST_F(GcoreCorruption, HeaderAndMetadataChecksumsOnOpen) {
  Bytes b = bytes_;
  b[20] ^= 1;  // file size field
  ExpectError(LoadMutant(b), StatusCode::kCorruptData,
              {"mutant.gcore", "header checksum mismatch"});
  b = bytes_;
  b[200] ^= 0x10;  // inside the metadata (config / vocab)
  ExpectError(LoadMutant(b), StatusCode::kCorruptData,
              {"mutant.gcore", "metadata checksum mismatch"});
  b = bytes_;
  b.resize(b.size() - 100);
  ExpectError(LoadMutant(b), StatusCode::kCorruptData, {"truncated"});
  b = bytes_;
  b[3] = 'X';
  EXPECT_FALSE(LoadMutant(b).ok());  // no longer a .gcore: parsed (and refused) as GGUF
}

TEST_F(GcoreCorruption, TensorChecksumsOnDemand) {
  Bytes b = bytes_;
  b[b.size() - 10] ^= 0x40;                // inside the last tensor's data
  EXPECT_TRUE(LoadMutant(b, false).ok());  // not read at open
  auto f = GcoreFile::FromMemory(std::span<const uint8_t>(b.data(), b.size()), "mem.gcore");
  ASSERT_TRUE(f.ok());
  ExpectError((*f)->VerifyTensors(), StatusCode::kCorruptData,
              {"output_norm.weight", "fails its checksum"});
  ExpectError(LoadMutant(b, true), StatusCode::kCorruptData, {"fails its checksum"});
}

TEST_F(GcoreCorruption, NewerVersionsAndLayoutsAreRefused) {
  // A file written with a layout id this build does not know.
  auto src = OpenModelSource(FixturePath("models/gemma-tiny-q4_0.gguf"));
  ASSERT_TRUE(src.ok());
  GcoreWriter w;
  w.SetConfig({GcoreKv::Str("arch", "gemma")});
  w.SetVocab(src->vocab);
  ASSERT_TRUE(w.AddTensor("x", DType::kF32, {32}, static_cast<GcoreLayout>(7)).ok());
  const std::string p = (dir_ / "layout.gcore").string();
  std::vector<float> zeros(32, 0.0f);
  ASSERT_TRUE(w.Write(p, [&](size_t, std::vector<uint8_t>*) -> StatusOr<std::span<const uint8_t>> {
                 return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(zeros.data()),
                                                 128);
               }).ok());
  auto f = GcoreFile::Open(p);
  ASSERT_FALSE(f.ok());
  ExpectError(f.status(), StatusCode::kUnsupported, {"data layout 7"});
  // Major version 2 (header checksum recomputed so only the version differs).
  Bytes b = bytes_;
  b[8] = 2;
  const uint64_t sum = XxHash64(b.data(), 56);
  std::memcpy(b.data() + 56, &sum, 8);
  ExpectError(LoadMutant(b), StatusCode::kUnsupported, {".gcore version 2.0"});
}

// Rewrites the first tensor's offset in the TENS table and fixes both
// checksums, as a crafted file would.
TEST_F(GcoreCorruption, CraftedOffsetsWithValidChecksums) {
  for (const uint64_t bad : {uint64_t{1} << 62, uint64_t{64}, uint64_t{bytes_.size() - 64}}) {
    Bytes b = bytes_;
    uint64_t meta_size;
    std::memcpy(&meta_size, b.data() + 32, 8);
    const std::string name = "token_embd.weight";
    const auto it =
        std::search(b.begin() + 64, b.begin() + 64 + static_cast<std::ptrdiff_t>(meta_size),
                    name.begin(), name.end());
    ASSERT_NE(it, b.begin() + 64 + static_cast<std::ptrdiff_t>(meta_size));
    const size_t at = static_cast<size_t>(it - b.begin()) + name.size() + 12 +
                      16;  // type, layout, n_dims, 2 dims
    std::memcpy(b.data() + at, &bad, 8);
    const uint64_t meta_sum = XxHash64(b.data() + 64, meta_size);
    std::memcpy(b.data() + 48, &meta_sum, 8);
    const uint64_t head_sum = XxHash64(b.data(), 56);
    std::memcpy(b.data() + 56, &head_sum, 8);
    ExpectError(LoadMutant(b), StatusCode::kCorruptData,
                {"token_embd.weight", "misaligned, overlaps"});
  }
}

TEST_F(GcoreCorruption, RandomBitFlipsNeverCrash) {
  uint64_t seed = 7;
  for (int trial = 0; trial < 300; ++trial) {
    Bytes b = bytes_;
    seed = XxHash64(&seed, 8);
    b[seed % std::min<size_t>(b.size(), 40000)] ^= static_cast<uint8_t>(1u << ((seed >> 40) % 8));
    (void)LoadMutant(b);
  }
}

}  // namespace
}  // namespace gemma::test
