// The six fixture models open and hold the values FIXTURES.md describes;
// MappedFile basics.
#include <gtest/gtest.h>

#ifdef _MSC_VER  // MSVC / clang-cl have no <unistd.h>
#include <process.h>
#define getpid _getpid
#else
#include <unistd.h>
#endif

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/gguf_test_util.h"
#include "io/mapped_file.h"

namespace gemma::testing {
namespace {

struct FixtureModel {
  const char* file;
  const char* arch;
  size_t n_tensors;
  DType type;
  uint64_t block_count;
};

const FixtureModel kModels[] = {
    {"gemma-tiny-f32.gguf", "gemma", 38, DType::kF32, 4},
    {"gemma-tiny-q8_0.gguf", "gemma", 38, DType::kQ8_0, 4},
    {"gemma-tiny-q4_0.gguf", "gemma", 38, DType::kQ4_0, 4},
    {"gemma2-tiny-f32.gguf", "gemma2", 288, DType::kF32, 26},
    {"gemma2-tiny-q8_0.gguf", "gemma2", 288, DType::kQ8_0, 26},
    {"gemma3-tiny-f32.gguf", "gemma3", 106, DType::kF32, 8},
};

class FixtureTest : public ::testing::TestWithParam<FixtureModel> {};

TEST_P(FixtureTest, OpensWithKnownValues) {
  const FixtureModel& m = GetParam();
  const std::string path = ModelPath(m.file);
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.path(), path);
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 32u);
  EXPECT_EQ(g.file_size(), std::filesystem::file_size(path));

  auto arch = g.GetString("general.architecture");
  ASSERT_TRUE(arch.ok()) << arch.status().ToString();
  EXPECT_EQ(*arch, m.arch);
  auto name = g.GetString("general.name");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, m.file);
  const std::string a = m.arch;
  auto blocks = g.GetUInt(a + ".block_count");
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  EXPECT_EQ(*blocks, m.block_count);
  auto emb = g.GetUInt(a + ".embedding_length");
  ASSERT_TRUE(emb.ok());
  EXPECT_EQ(*emb, 128u);
  auto eps = g.GetFloat(a + ".attention.layer_norm_rms_epsilon");
  ASSERT_TRUE(eps.ok());
  EXPECT_FLOAT_EQ(static_cast<float>(*eps), 1e-6f);
  auto add_bos = g.GetBool("tokenizer.ggml.add_bos_token");
  ASSERT_TRUE(add_bos.ok());
  EXPECT_TRUE(*add_bos);

  auto tokens = g.GetStringArray("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), 1000u);
  EXPECT_EQ((*tokens)[0], "<pad>");
  EXPECT_EQ((*tokens)[2], "<bos>");
  EXPECT_EQ((*tokens)[5], "<start_of_turn>");
  EXPECT_EQ((*tokens)[7], "<0x00>");
  auto scores = g.GetFloatArray("tokenizer.ggml.scores");
  ASSERT_TRUE(scores.ok());
  EXPECT_EQ(scores->size(), 1000u);
  auto types = g.GetIntArray("tokenizer.ggml.token_type");
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  ASSERT_EQ(types->size(), 1000u);
  EXPECT_EQ((*types)[0], 3);

  ASSERT_EQ(g.tensors().size(), m.n_tensors);
  const GgufTensor* embd = g.FindTensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->dims, (std::vector<uint64_t>{128, 1000}));
  EXPECT_EQ(embd->type, m.type);
  EXPECT_EQ(embd->n_elements, 128000u);
  EXPECT_EQ(embd->n_bytes, DTypeRowBytes(m.type, 128) * 1000);
  EXPECT_EQ(embd->offset, 0u);
  const GgufTensor* norm = g.FindTensor("output_norm.weight");
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->type, DType::kF32);
  EXPECT_EQ(g.FindTensor("output.weight"), nullptr);  // tied embedding

  // Every tensor lies inside the file, aligned, and the last one ends at the end.
  const uint8_t* lo = g.tensors().front().data - g.tensors().front().offset;
  uint64_t max_end = 0;
  for (const GgufTensor& t : g.tensors()) {
    EXPECT_EQ(t.data, lo + t.offset) << t.name;
    EXPECT_EQ(t.offset % 32, 0u) << t.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 32, 0u) << t.name;
    max_end = std::max(max_end, t.offset + t.n_bytes);
  }
  const uint64_t data_start = g.file_size() - max_end;
  EXPECT_EQ(data_start % 32, 0u);

  // Zero copy: the tensor bytes are the file's bytes at that position.
  const Bytes file = ReadFileBytes(path);
  ASSERT_EQ(file.size(), g.file_size());
  EXPECT_EQ(0, std::memcmp(norm->data, file.data() + data_start + norm->offset, norm->n_bytes));

  // FromMemory on the same bytes gives the same tables, pointing into `file`.
  auto mem = ParseBytes(file, m.file);
  ASSERT_TRUE(mem.ok()) << mem.status().ToString();
  EXPECT_EQ((*mem)->metadata().size(), g.metadata().size());
  EXPECT_EQ((*mem)->FindTensor("token_embd.weight")->data, file.data() + data_start);
}

INSTANTIATE_TEST_SUITE_P(Models, FixtureTest, ::testing::ValuesIn(kModels),
                         [](const ::testing::TestParamInfo<FixtureModel>& info) {
                           std::string s = info.param.file;
                           for (char& c : s) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

TEST(GgufFixtures, MetadataOrderAndDisplay) {
  auto f = GgufFile::Open(ModelPath("gemma-tiny-q4_0.gguf"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto& md = (*f)->metadata();
  ASSERT_EQ(md.size(), 25u);
  EXPECT_EQ(md.front().first, "general.architecture");
  EXPECT_EQ(md.back().first, "tokenizer.ggml.add_space_prefix");
  EXPECT_EQ(md.front().second.ToDisplayString(), "\"gemma\"");
  EXPECT_EQ((*f)->Find("gemma.context_length")->ToDisplayString(), "512");
  EXPECT_EQ((*f)->Find("gemma.attention.layer_norm_rms_epsilon")->ToDisplayString(), "1e-06");
  EXPECT_EQ((*f)->Find("gemma.rope.freq_base")->ToDisplayString(), "10000");
  EXPECT_EQ((*f)->Find("tokenizer.ggml.add_eos_token")->ToDisplayString(), "false");
  EXPECT_EQ((*f)->Find("tokenizer.ggml.tokens")->ToDisplayString(3),
            "[\"<pad>\", \"<eos>\", \"<bos>\", ...] (1000 x string)");
  EXPECT_EQ((*f)->Find("tokenizer.ggml.token_type")->ToDisplayString(2),
            "[3, 3, ...] (1000 x i32)");
  EXPECT_EQ((*f)->GetUInt("general.file_type").value(), 2u);
}

TEST(MappedFile, MapsWholeFileReadOnly) {
  const std::string path = ModelPath("gemma-tiny-q4_0.gguf");
  auto m = MappedFile::Open(path);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->size(), 414816u);
  EXPECT_EQ((*m)->path(), path);
  EXPECT_EQ(0, std::memcmp((*m)->data(), "GGUF", 4));
  const Bytes file = ReadFileBytes(path);
  EXPECT_EQ(0, std::memcmp((*m)->data(), file.data(), file.size()));
}

// Large weight files are read into huge-page memory (Linux) with the same
// bytes; small ones and other platforms keep the plain map.
TEST(MappedFile, HugePageResidencyHoldsTheSameBytes) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("gemma_big_" + std::to_string(::getpid()) + ".bin"))
                               .string();
  const size_t size = (size_t{40} << 20) + 12345;  // not a multiple of the huge page
  {
    std::ofstream out(path, std::ios::binary);
    std::vector<char> buf(size);
    for (size_t i = 0; i < size; ++i) buf[i] = static_cast<char>((i * 2654435761u) >> 13);
    out.write(buf.data(), static_cast<std::streamsize>(size));
  }
  auto big = MappedFile::Open(path, MappedFile::Residency::kHugePages);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  auto mapped = MappedFile::Open(path, MappedFile::Residency::kMap);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  ASSERT_EQ((*big)->size(), size);
  EXPECT_EQ(0, std::memcmp((*big)->data(), (*mapped)->data(), size));
  EXPECT_FALSE((*mapped)->copied());
#ifdef __linux__
  EXPECT_TRUE((*big)->copied());
#endif
  // Small files are copied too (the model may interleave their weights), and
  // only copies can be made writable.
  auto small =
      MappedFile::Open(ModelPath("gemma-tiny-q4_0.gguf"), MappedFile::Residency::kHugePages);
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE((*mapped)->SetWritable(true));
#ifdef __linux__
  EXPECT_TRUE((*small)->copied());
  EXPECT_TRUE((*big)->SetWritable(true));
  EXPECT_TRUE((*big)->SetWritable(false));
#endif
  big->reset();
  mapped->reset();
  std::filesystem::remove(path);
}

TEST(MappedFile, MissingFileIsNotFound) {
  auto m = MappedFile::Open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos);
  auto g = GgufFile::Open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
}

TEST(MappedFile, EmptyFileIsAnError) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("gemma_empty_" + std::to_string(::getpid()) + ".gguf"))
                               .string();
  { std::ofstream out(path, std::ios::binary); }
  auto m = MappedFile::Open(path);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find(path), std::string::npos);
  EXPECT_NE(m.status().message().find("empty"), std::string::npos);
  auto g = GgufFile::Open(path);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("empty"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(MappedFile, DirectoryIsAnError) {
  auto m = MappedFile::Open(std::filesystem::temp_directory_path().string());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kIoError);
  auto e = MappedFile::Open("");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
}

TEST(GgufFile, OpenReportsParseErrorsWithPath) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("gemma_bad_" + std::to_string(::getpid()) + ".gguf"))
                               .string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "GGML not a gguf file";
  }
  auto g = GgufFile::Open(path);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(g.status().message().find(path), std::string::npos) << g.status().message();
  EXPECT_NE(g.status().message().find("magic"), std::string::npos) << g.status().message();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace gemma::testing
