// Bad model files get clear errors that name the file, never a crash. Run
// under ASan/UBSan by the asan preset.
#include <filesystem>
#include <fstream>
#include <random>

#include "model_test_util.h"

namespace gemma::test {
namespace {

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string WriteTemp(const std::vector<uint8_t>& bytes, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "gemma_model_errors";
  std::filesystem::create_directories(dir);
  std::string path = (dir / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(ModelErrors, MissingFileNamesThePath) {
  auto m = Model::Load("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos)
      << m.status().ToString();
}

TEST(ModelErrors, NotAGgufFile) {
  std::vector<uint8_t> junk(4096, 'x');
  const std::string path = WriteTemp(junk, "junk.gguf");
  auto m = Model::Load(path);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find(path), std::string::npos) << m.status().ToString();
}

TEST(ModelErrors, TruncatedFilesFailCleanly) {
  const auto bytes = ReadAll(FixturePath("models/gemma-tiny-q4_0.gguf"));
  for (size_t len :
       {size_t{0}, size_t{3}, size_t{24}, size_t{1000}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
    const std::string path = WriteTemp(cut, "truncated.gguf");
    auto m = Model::Load(path);
    EXPECT_FALSE(m.ok()) << "length " << len;
    if (!m.ok())
      EXPECT_NE(m.status().message().find(path), std::string::npos) << m.status().ToString();
  }
}

// Random bit flips in the header, metadata and tensor table: every mutant
// either loads (and then runs) or fails with an error.
TEST(ModelErrors, BitFlippedFilesNeverCrash) {
  const auto bytes = ReadAll(FixturePath("models/gemma-tiny-q4_0.gguf"));
  // The tensor data of this file starts after ~26 KB of metadata (the vocab).
  const size_t header_region = std::min<size_t>(bytes.size(), 40000);
  std::mt19937 rng(1234);
  int loaded = 0, failed = 0;
  for (int trial = 0; trial < 150; ++trial) {
    std::vector<uint8_t> mutant = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f)
      mutant[rng() % header_region] ^= static_cast<uint8_t>(1u << (rng() % 8));
    const std::string path = WriteTemp(mutant, "mutant.gguf");
    auto m = Model::Load(path);
    if (!m.ok()) {
      ++failed;
      EXPECT_FALSE(m.status().message().empty());
      continue;
    }
    ++loaded;
    EngineOptions o;
    o.num_threads = 1;
    o.context_length = 16;
    auto s = Session::Create(*m, o);
    if (!s.ok()) continue;
    GenerateOptions g;
    g.max_tokens = 4;
    auto r = (*s)->Generate((*m)->tokenizer().Encode("hello", {.add_bos = true}), g);
    (void)r;
  }
  EXPECT_GT(failed, 0);
  RecordProperty("loaded", loaded);
}

}  // namespace
}  // namespace gemma::test
