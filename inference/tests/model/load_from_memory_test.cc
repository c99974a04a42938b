// Model::LoadFromMemory (what the wasm build uses): the same model as
// Model::Load from the same bytes, the buffer owned by the Model, clear
// errors naming the caller's name.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "model_test_util.h"

namespace gemma::test {
namespace {

std::shared_ptr<std::vector<uint8_t>> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::make_shared<std::vector<uint8_t>>((std::istreambuf_iterator<char>(in)),
                                                std::istreambuf_iterator<char>());
}

std::vector<float> PromptLogits(std::shared_ptr<const Model> model) {
  auto engine = MakeEngine(std::move(model), KvCacheType::kF32, 1, 512, 64);
  std::vector<float> out;
  if (engine == nullptr) return out;
  const std::vector<int32_t> prompt = {2, 410, 411, 12, 13, 900};
  EXPECT_TRUE(RunChunk(*engine, prompt, 0, prompt.size(), &out).ok());
  return out;
}

TEST(LoadFromMemory, SameModelAsLoad) {
  for (const char* name : {"models/gemma-tiny-q8_0.gguf", "models/gemma3-tiny-f32.gguf"}) {
    SCOPED_TRACE(name);
    const std::string path = FixturePath(name);
    // In the file's row layout, as LoadFromMemory keeps it (Load would
    // interleave Q8_0 rows on AVX-512 VNNI CPUs, see load_options_test.cc).
    LoadOptions row_layout;
    row_layout.interleave = false;
    auto loaded = Model::Load(path, row_layout);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    std::shared_ptr<const Model> from_file = *loaded;
    auto bytes = ReadBytes(path);
    ASSERT_GT(bytes->size(), 0u);
    const std::span<const uint8_t> span(bytes->data(), bytes->size());
    auto from_memory = Model::LoadFromMemory(span, "in-memory.gguf", bytes);
    ASSERT_TRUE(from_memory.ok()) << from_memory.status().ToString();

    const ModelInfo& a = from_file->info();
    const ModelInfo& b = (*from_memory)->info();
    EXPECT_EQ(b.path, "in-memory.gguf");
    EXPECT_EQ(b.weights_residency, "memory");
    EXPECT_EQ(b.interleaved_matrices, 0u);
    EXPECT_EQ(a.architecture, b.architecture);
    EXPECT_EQ(a.n_vocab, b.n_vocab);
    EXPECT_EQ(a.n_layers, b.n_layers);
    EXPECT_EQ(a.weight_bytes, b.weight_bytes);
    EXPECT_EQ(a.n_params, b.n_params);
    EXPECT_EQ(from_file->Metadata(), (*from_memory)->Metadata());
    EXPECT_EQ(from_file->tokenizer().Encode("hello world"),
              (*from_memory)->tokenizer().Encode("hello world"));

    // Identical weights and code: bit-identical logits.
    const std::vector<float> la = PromptLogits(from_file);
    const std::vector<float> lb = PromptLogits(*from_memory);
    ASSERT_EQ(la.size(), lb.size());
    ASSERT_FALSE(la.empty());
    EXPECT_EQ(la, lb);
  }
}

TEST(LoadFromMemory, ModelOwnsTheBuffer) {
  auto bytes = ReadBytes(FixturePath("models/gemma-tiny-f32.gguf"));
  std::weak_ptr<std::vector<uint8_t>> weak = bytes;
  const std::span<const uint8_t> span(bytes->data(), bytes->size());
  auto model = Model::LoadFromMemory(span, "owned", std::move(bytes));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_FALSE(weak.expired());  // only the Model holds it now
  EXPECT_EQ(PromptLogits(*model).size(), 6u * 1000u);
  std::shared_ptr<const Model> m = std::move(*model);
  m.reset();
  EXPECT_TRUE(weak.expired());
}

TEST(LoadFromMemory, ErrorsNameTheBufferAndReleaseIt) {
  auto junk =
      std::make_shared<std::vector<uint8_t>>(std::vector<uint8_t>{'N', 'O', 'P', 'E', 0, 0, 0, 0});
  std::weak_ptr<std::vector<uint8_t>> weak = junk;
  const std::span<const uint8_t> span(junk->data(), junk->size());
  auto r = Model::LoadFromMemory(span, "upload.gguf", std::move(junk));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(r.status().message().find("upload.gguf"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("not a GGUF file"), std::string::npos)
      << r.status().ToString();
  EXPECT_TRUE(weak.expired());

  auto empty = Model::LoadFromMemory({}, "empty.gguf");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.gguf"), std::string::npos);

  // A truncated model (header and metadata intact, tensor data cut off).
  auto bytes = ReadBytes(FixturePath("models/gemma-tiny-f32.gguf"));
  const std::span<const uint8_t> cut(bytes->data(), bytes->size() / 2);
  auto truncated = Model::LoadFromMemory(cut, "half.gguf", bytes);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("half.gguf"), std::string::npos)
      << truncated.status().ToString();
}

TEST(LoadFromMemory, ReportsProgress) {
  auto bytes = ReadBytes(FixturePath("models/gemma-tiny-f32.gguf"));
  const std::span<const uint8_t> span(bytes->data(), bytes->size());
  std::vector<float> seen;
  auto model = Model::LoadFromMemory(span, "p", bytes, [&](float f) { seen.push_back(f); });
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 1.0f);
}

}  // namespace
}  // namespace gemma::test
