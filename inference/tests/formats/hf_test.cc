// Hugging Face checkpoints written from the f32 fixtures at test time load
// and give the GGUF's logits; broken checkpoints fail with errors naming what
// is wrong.
#include <gtest/gtest.h>

#include "formats_test_util.h"
#include "model/source.h"
#include "writers.h"

namespace gemma::test {
namespace {

struct HfCase {
  std::string model;
  HfWriteOptions options;
  float atol;
  std::string label;
};

HfCase Case(const std::string& model, const std::string& dtype, int shards, bool multimodal,
            float atol, const std::string& label) {
  HfCase c;
  c.model = model;
  c.options.dtype = dtype;
  c.options.shards = shards;
  c.options.multimodal = multimodal;
  c.atol = atol;
  c.label = label;
  return c;
}

std::vector<HfCase> Cases() {
  std::vector<HfCase> cases;
  for (const char* m : {"gemma-tiny-f32", "gemma2-tiny-f32", "gemma3-tiny-f32"}) {
    // f32: only the norms' 1 + (s - 1) rounds (~1e-7 relative).
    cases.push_back(Case(m, "F32", 1, false, 1e-4f, "f32"));
    cases.push_back(Case(m, "F32", 3, false, 1e-4f, "f32_3shards"));
    // Half precision rounds every weight (and the norms' w): compared with
    // the f32 GGUF within the rounding of the type.
    cases.push_back(Case(m, "F16", 2, false, 2e-2f, "f16"));
    cases.push_back(Case(m, "BF16", 1, false, 1e-1f, "bf16"));
  }
  cases.push_back(Case("gemma3-tiny-f32", "F32", 2, true, 1e-4f, "multimodal_f32"));
  cases.push_back(Case("gemma3-tiny-f32", "BF16", 1, true, 1e-1f, "multimodal_bf16"));
  return cases;
}

class HfCheckpointTest : public ::testing::TestWithParam<HfCase> {};

TEST_P(HfCheckpointTest, SameLogitsAsGguf) {
  const HfCase& c = GetParam();
  auto g = OpenFixture(c.model + ".gguf");
  ASSERT_NE(g, nullptr);
  const fs::path dir = TempDir(c.model + "_" + c.label);
  WriteHfCheckpoint(*g, dir, c.options);
  auto hf = Model::Load(dir.string());
  ASSERT_TRUE(hf.ok()) << hf.status().ToString();
  EXPECT_EQ((*hf)->info().format, "safetensors");
  EXPECT_EQ((*hf)->info().n_vocab, 1000u);
  EXPECT_EQ((*hf)->tokenizer().vocab_size(), 1000u);
  const std::vector<float> want = LogitsOf(FixturePath("models/" + c.model + ".gguf"));
  const std::vector<float> got = ModelLogits(*hf);
  const float diff = MaxDiff(got, want);
  EXPECT_LE(diff, c.atol);
  RecordProperty("max_abs_diff", std::to_string(diff));
  std::printf("[   info   ] %s %s: max |logit diff| vs GGUF = %.3g\n", c.model.c_str(),
              c.label.c_str(), diff);
  Cleanup(dir);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HfCheckpointTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string n = info.param.model + "_" + info.param.label;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

// A valid gemma-tiny checkpoint to break in the tests below.
HfWriteOptions Options(const std::string& dtype, int shards) {
  HfWriteOptions o;
  o.dtype = dtype;
  o.shards = shards;
  return o;
}

fs::path GoodCheckpoint(const std::string& name, const HfWriteOptions& o = {}) {
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  fs::path dir = TempDir(name);
  WriteHfCheckpoint(*g, dir, o);
  return dir;
}

Status LoadStatus(const fs::path& dir) {
  auto m = Model::Load(dir.string());
  return m.ok() ? Status::Ok() : m.status();
}

void EditConfig(const fs::path& dir, const std::function<void(nlohmann::ordered_json&)>& edit) {
  const Bytes b = ReadFile(dir / "config.json");
  auto j = nlohmann::ordered_json::parse(b.begin(), b.end());
  edit(j);
  WriteFile(dir / "config.json", j.dump(2));
}

TEST(HfCheckpointErrors, MissingShard) {
  const fs::path dir = GoodCheckpoint("missing_shard", Options("F32", 3));
  fs::remove(dir / "model-00002-of-00003.safetensors");
  ExpectError(
      LoadStatus(dir), StatusCode::kNotFound,
      {"model-00002-of-00003.safetensors", "listed in model.safetensors.index.json", "missing"});
}

TEST(HfCheckpointErrors, IndexNamesTensorNotInShard) {
  const fs::path dir = GoodCheckpoint("bad_index", Options("F32", 2));
  const Bytes b = ReadFile(dir / "model.safetensors.index.json");
  auto j = nlohmann::ordered_json::parse(b.begin(), b.end());
  j["weight_map"]["model.norm.weight"] =
      j["weight_map"]["model.norm.weight"] == "model-00001-of-00002.safetensors"
          ? "model-00002-of-00002.safetensors"
          : "model-00001-of-00002.safetensors";
  WriteFile(dir / "model.safetensors.index.json", j.dump());
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"maps 'model.norm.weight'", "does not contain it"});
}

TEST(HfCheckpointErrors, NoWeights) {
  const fs::path dir = GoodCheckpoint("no_weights");
  fs::remove(dir / "model.safetensors");
  ExpectError(LoadStatus(dir), StatusCode::kNotFound, {"no model.safetensors"});
}

TEST(HfCheckpointErrors, ConfigDisagreesWithTensors) {
  const fs::path dir = GoodCheckpoint("config_disagrees");
  EditConfig(dir, [](auto& j) { j["hidden_size"] = 256; });
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"model.embed_tokens.weight", "[1000, 128]", "hidden_size = 256"});
  EditConfig(dir, [](auto& j) {
    j["hidden_size"] = 128;
    j["intermediate_size"] = 512;
  });
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"model.layers.0.mlp.gate_proj.weight", "has shape [256, 128]",
               "config.json implies [512, 128]"});
  EditConfig(dir, [](auto& j) {
    j["intermediate_size"] = 256;
    j["num_hidden_layers"] = 3;
  });
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"num_hidden_layers = 3", "model.layers.3."});
  EditConfig(dir, [](auto& j) { j["num_hidden_layers"] = 5; });
  ExpectError(LoadStatus(dir), StatusCode::kNotFound,
              {"'model.layers.4.input_layernorm.weight' is missing"});
  EditConfig(dir, [](auto& j) {
    j["num_hidden_layers"] = 4;
    j["vocab_size"] = 1024;
  });
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData, {"vocab_size = 1024", "1000 rows"});
  EditConfig(dir, [](auto& j) {
    j["vocab_size"] = 1000;
    j["num_key_value_heads"] = 2;
  });
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"model.layers.0.self_attn.k_proj.weight", "[32, 128]", "[64, 128]",
               "num_key_value_heads 2"});
}

TEST(HfCheckpointErrors, UnsupportedConfigs) {
  const fs::path dir = GoodCheckpoint("unsupported_config");
  EditConfig(dir, [](auto& j) { j["architectures"] = {"LlamaForCausalLM"}; });
  ExpectError(LoadStatus(dir), StatusCode::kUnsupported, {"LlamaForCausalLM", "not a Gemma"});
  EditConfig(dir, [](auto& j) {
    j["architectures"] = {"GemmaForCausalLM"};
    j["hidden_activation"] = "relu";
  });
  ExpectError(LoadStatus(dir), StatusCode::kUnsupported, {"hidden_activation", "relu"});
  EditConfig(dir, [](auto& j) {
    j["hidden_activation"] = "gelu_pytorch_tanh";
    j["hidden_size"] = "128";
  });
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"\"hidden_size\"", "non-negative integer", "a string"});
  WriteFile(dir / "config.json", "{\"architectures\": [\"GemmaForCausalLM\"], ");
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData, {"config.json", "invalid JSON"});
}

TEST(HfCheckpointErrors, Gemma3LayerPattern) {
  auto g = OpenFixture("gemma3-tiny-f32.gguf");
  const fs::path dir = TempDir("gemma3_pattern");
  WriteHfCheckpoint(*g, dir);
  EditConfig(dir, [](auto& j) {
    std::vector<std::string> types(8, "sliding_attention");
    types[5] = "full_attention";
    j["layer_types"] = types;
  });
  EXPECT_TRUE(LoadStatus(dir).ok());
  EditConfig(dir, [](auto& j) { j["layer_types"][4] = "full_attention"; });
  ExpectError(LoadStatus(dir), StatusCode::kUnsupported, {"layer_types", "[4]"});
  EditConfig(dir, [](auto& j) {
    j.erase("layer_types");
    j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  });
  ExpectError(LoadStatus(dir), StatusCode::kUnsupported, {"rope_scaling type \"yarn\""});
  // transformers 5 style: RoPE per layer type.
  EditConfig(dir, [](auto& j) {
    j.erase("rope_scaling");
    j.erase("rope_theta");
    j.erase("rope_local_base_freq");
    j["rope_parameters"] = {{"full_attention", {{"rope_theta", 1e6}, {"rope_type", "default"}}},
                            {"sliding_attention", {{"rope_theta", 1e4}, {"rope_type", "default"}}}};
  });
  EXPECT_TRUE(LoadStatus(dir).ok());
  EditConfig(dir, [](auto& j) {
    j["rope_parameters"]["sliding_attention"] = {{"rope_type", "linear"}, {"factor", 2.0}};
  });
  ExpectError(LoadStatus(dir), StatusCode::kUnsupported, {"sliding-window layers"});
}

// Rewrites model.safetensors with one tensor changed by `edit`.
void EditTensor(const fs::path& dir, const std::string& name,
                const std::function<void(SafeTensorEntry&)>& edit) {
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  std::vector<SafeTensorEntry> all;
  for (HfParam& p : HfParams(*g)) all.push_back({p.name, "F32", p.shape, Encode(p.values, "F32")});
  for (auto& e : all) {
    if (e.name == name) edit(e);
  }
  const Bytes b = SafeTensorsBytes(all);
  WriteFile(dir / "model.safetensors", b.data(), b.size());
}

TEST(HfCheckpointErrors, DtypeAndShapeMismatches) {
  const fs::path dir = GoodCheckpoint("dtype_shape");
  EditTensor(dir, "model.layers.1.self_attn.q_proj.weight", [](SafeTensorEntry& e) {
    e.dtype = "I32";  // same byte size as F32
  });
  ExpectError(LoadStatus(dir), StatusCode::kUnsupported,
              {"model.layers.1.self_attn.q_proj.weight", "dtype I32", "F32, F16, BF16"});
  EditTensor(dir, "model.layers.1.mlp.down_proj.weight", [](SafeTensorEntry& e) {
    std::swap(e.shape[0], e.shape[1]);  // stored transposed
  });
  ExpectError(
      LoadStatus(dir), StatusCode::kCorruptData,
      {"model.layers.1.mlp.down_proj.weight", "has shape [256, 128]", "implies [128, 256]"});
  EditTensor(dir, "model.norm.weight",
             [](SafeTensorEntry& e) { e.name = "model.final_norm.weight"; });
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"unexpected tensor 'model.final_norm.weight'"});
}

TEST(HfCheckpointErrors, CorruptSafeTensors) {
  const fs::path dir = GoodCheckpoint("corrupt_st");
  Bytes b = ReadFile(dir / "model.safetensors");
  Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(b.size() / 2));
  WriteFile(dir / "model.safetensors", cut.data(), cut.size());
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"model.safetensors", "run past the end of the data"});
  b[8] = '[';  // header JSON no longer an object
  WriteFile(dir / "model.safetensors", b.data(), b.size());
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData,
              {"model.safetensors", "does not start with '{'"});
  b[8] = '{';
  b[0] = 0xff;  // header length far beyond the file
  b[6] = 0x10;
  WriteFile(dir / "model.safetensors", b.data(), b.size());
  ExpectError(LoadStatus(dir), StatusCode::kCorruptData, {"model.safetensors", "header length"});
}

TEST(HfCheckpointErrors, MissingTokenizer) {
  const fs::path dir = GoodCheckpoint("no_tokenizer");
  fs::remove(dir / "tokenizer.model");
  ExpectError(LoadStatus(dir), StatusCode::kNotFound,
              {"tokenizer", "no tokenizer.json or tokenizer.model"});
}

TEST(HfCheckpoint, AFileInsideTheCheckpointOpensIt) {
  const fs::path dir = GoodCheckpoint("by_file", Options("F32", 2));
  for (const char* f :
       {"config.json", "model.safetensors.index.json", "model-00002-of-00002.safetensors"}) {
    auto m = Model::Load((dir / f).string());
    ASSERT_TRUE(m.ok()) << f << ": " << m.status().ToString();
    EXPECT_EQ((*m)->info().format, "safetensors");
  }
  Cleanup(dir);
}

TEST(HfCheckpoint, SourceMetadataAndCanonicalOrder) {
  const fs::path dir = GoodCheckpoint("metadata", Options("BF16", 2));
  auto src = OpenModelSource(dir.string());
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ(src->format, ModelFormat::kHuggingFace);
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  ASSERT_EQ(src->tensors.size(), g->tensors().size());
  for (size_t i = 0; i < src->tensors.size(); ++i) {
    EXPECT_EQ(src->tensors[i].name, g->tensors()[i].name);
    EXPECT_EQ(src->tensors[i].dims, g->tensors()[i].dims);
    // Matrices stay BF16 and point into the map; norms are owned F32 (1 + w).
    EXPECT_EQ(src->tensors[i].type, g->tensors()[i].dims.size() == 2 ? DType::kBF16 : DType::kF32);
  }
  bool has_shards = false;
  for (const auto& [k, v] : src->metadata)
    has_shards = has_shards || (k == "shards" && v.find("00002") != std::string::npos);
  EXPECT_TRUE(has_shards);
}

// Removes TempRoot() after the last test.
class TempRootCleanup : public ::testing::Environment {
 public:
  void TearDown() override { Cleanup(TempRoot()); }
};
::testing::Environment* const kCleanup = ::testing::AddGlobalTestEnvironment(new TempRootCleanup);

}  // namespace
}  // namespace gemma::test

namespace gemma::test {
namespace {

TEST(FitVocab, PadsAndDropsOnlyWhatIsSafe) {
  auto vocab = [](std::vector<PieceType> types) {
    VocabSpec v;
    for (size_t i = 0; i < types.size(); ++i)
      v.pieces.push_back(std::string(1, 'a' + static_cast<char>(i)));
    v.types = std::move(types);
    v.bos_id = 0;
    v.eos_id = 1;
    v.unk_id = 2;
    v.pad_id = 4;
    v.merge_ids = {{0, 1}, {2, 4}};
    return v;
  };
  const auto N = PieceType::kNormal, C = PieceType::kControl;
  VocabSpec a = vocab({N, N, N, N, C});
  ASSERT_TRUE(FitVocabToEmbedding(&a, 4, true, "x").ok());
  EXPECT_EQ(a.pieces.size(), 4u);
  EXPECT_EQ(a.pad_id, -1);
  EXPECT_EQ(a.merge_ids.size(), 1u);
  VocabSpec b = vocab({N, N, N, N, N});
  ExpectError(FitVocabToEmbedding(&b, 4, true, "x"), StatusCode::kCorruptData,
              {"5 tokens", "4 rows"});
  VocabSpec c = vocab({N, N, N, N, C});
  ExpectError(FitVocabToEmbedding(&c, 4, false, "x"), StatusCode::kCorruptData, {"5 tokens"});
  VocabSpec d = vocab({N, N, N});
  ASSERT_TRUE(FitVocabToEmbedding(&d, 6, true, "x").ok());
  EXPECT_EQ(d.pieces.size(), 6u);
  EXPECT_EQ(d.types.back(), PieceType::kUnused);
}

}  // namespace
}  // namespace gemma::test
