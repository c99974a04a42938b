// ONNX models (initializers with external data, Optimum-style names) written
// from the f32 fixtures load and give the GGUF's logits; broken ones fail
// with errors naming the initializer or file.
#include "io/onnx.h"

#include <gtest/gtest.h>

#include "formats_test_util.h"
#include "model/source.h"
#include "onnx_writer.h"

namespace gemma::test {
namespace {

struct OnnxCase {
  std::string model;
  OnnxWriteOptions options;
  float atol;
  std::string label;
};

OnnxWriteOptions Options(bool optimum_names, const std::string& dtype, bool misalign = false,
                         std::vector<std::string> drop = {}) {
  OnnxWriteOptions o;
  o.optimum_names = optimum_names;
  o.dtype = dtype;
  o.misalign_one = misalign;
  o.drop = std::move(drop);
  return o;
}

OnnxCase Case(const std::string& model, OnnxWriteOptions o, float atol, const std::string& label) {
  OnnxCase c;
  c.model = model;
  c.options = std::move(o);
  c.atol = atol;
  c.label = label;
  return c;
}

std::vector<OnnxCase> Cases() {
  std::vector<OnnxCase> cases;
  for (const char* m : {"gemma-tiny-f32", "gemma2-tiny-f32", "gemma3-tiny-f32"}) {
    cases.push_back(Case(m, Options(true, "F32"), 1e-4f, "optimum"));
    cases.push_back(Case(m, Options(false, "F32"), 1e-4f, "hf_names"));
  }
  cases.push_back(Case("gemma-tiny-f32", Options(true, "F16"), 2e-2f, "optimum_f16"));
  cases.push_back(Case("gemma3-tiny-f32", Options(true, "F32", true), 1e-4f, "misaligned"));
  return cases;
}

class OnnxModelTest : public ::testing::TestWithParam<OnnxCase> {};

TEST_P(OnnxModelTest, SameLogitsAsGguf) {
  const OnnxCase& c = GetParam();
  auto g = OpenFixture(c.model + ".gguf");
  ASSERT_NE(g, nullptr);
  const fs::path dir = TempDir("onnx_" + c.model + "_" + c.label);
  WriteOnnx(*g, dir, c.options);
  for (const std::string& path : {(dir / "model.onnx").string(), dir.string()}) {
    auto m = Model::Load(path);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ((*m)->info().format, "onnx");
    const float diff =
        MaxDiff(ModelLogits(*m), LogitsOf(FixturePath("models/" + c.model + ".gguf")));
    EXPECT_LE(diff, c.atol) << path;
    std::printf("[   info   ] %s %s: max |logit diff| vs GGUF = %.3g\n", c.model.c_str(),
                c.label.c_str(), diff);
  }
  Cleanup(dir);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OnnxModelTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string n = info.param.model + "_" + info.param.label;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

TEST(OnnxModel, ReaderSeesInitializersAndNodes) {
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  const fs::path dir = TempDir("onnx_reader");
  WriteOnnx(*g, dir);
  auto m = OnnxModel::Open((dir / "model.onnx").string());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->ir_version(), 8);
  EXPECT_EQ((*m)->producer(), "pytorch");
  const OnnxTensor* emb = (*m)->FindInitializer("model.embed_tokens.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->dims, (std::vector<uint64_t>{1000, 128}));
  EXPECT_EQ(emb->location, "model.onnx_data");
  EXPECT_EQ(emb->n_bytes, 1000u * 128 * 4);
  const OnnxTensor* norm = (*m)->FindInitializer("model.norm.weight");
  ASSERT_NE(norm, nullptr);  // float_data, copied
  EXPECT_EQ(norm->n_bytes, 128u * 4);
  EXPECT_TRUE(norm->location.empty());
  bool saw_matmul = false;
  for (const OnnxNode& n : (*m)->nodes()) {
    saw_matmul = saw_matmul ||
                 (n.op_type == "MatMul" && n.name == "/model/layers.0/self_attn/q_proj/MatMul");
  }
  EXPECT_TRUE(saw_matmul);
}

TEST(OnnxModelErrors, MissingInitializer) {
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  const fs::path dir = TempDir("onnx_missing_init");
  WriteOnnx(*g, dir, Options(true, "F32", false, {"model.layers.1.self_attn.q_proj.weight"}));
  auto m = Model::Load((dir / "model.onnx").string());
  ASSERT_FALSE(m.ok());
  ExpectError(m.status(), StatusCode::kNotFound,
              {"model.onnx", "'model.layers.1.self_attn.q_proj.weight' is missing"});
  WriteOnnx(*g, dir,
            Options(false, "F32", false, {"model.layers.3.post_attention_layernorm.weight"}));
  m = Model::Load((dir / "model.onnx").string());
  ASSERT_FALSE(m.ok());
  ExpectError(m.status(), StatusCode::kNotFound,
              {"'model.layers.3.post_attention_layernorm.weight' is missing"});
}

TEST(OnnxModelErrors, BrokenExternalData) {
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  const fs::path dir = TempDir("onnx_external");
  WriteOnnx(*g, dir);
  Bytes data = ReadFile(dir / "model.onnx_data");
  data.resize(data.size() / 2);
  WriteFile(dir / "model.onnx_data", data.data(), data.size());
  auto m = Model::Load((dir / "model.onnx").string());
  ASSERT_FALSE(m.ok());
  ExpectError(m.status(), StatusCode::kCorruptData,
              {"model.onnx", "external data", "runs past the end of 'model.onnx_data'"});
  fs::remove(dir / "model.onnx_data");
  m = Model::Load((dir / "model.onnx").string());
  ASSERT_FALSE(m.ok());
  ExpectError(m.status(), StatusCode::kNotFound, {"cannot open 'model.onnx_data'"});
}

TEST(OnnxModelErrors, NotOnnxOrNoConfig) {
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  const fs::path dir = TempDir("onnx_garbage");
  WriteOnnx(*g, dir);
  fs::remove(dir / "config.json");
  auto m = Model::Load((dir / "model.onnx").string());
  ASSERT_FALSE(m.ok());
  ExpectError(m.status(), StatusCode::kNotFound, {"no config.json"});
  WriteOnnx(*g, dir);
  const std::string junk(4096, 'x');
  WriteFile(dir / "model.onnx", junk);
  m = Model::Load((dir / "model.onnx").string());
  ASSERT_FALSE(m.ok());
  ExpectError(m.status(), StatusCode::kCorruptData, {"model.onnx", "not a valid ONNX model"});
  // Truncations of a real file never crash.
  WriteOnnx(*g, dir);
  const Bytes onnx = ReadFile(dir / "model.onnx");
  for (size_t len = 1; len < onnx.size(); len += onnx.size() / 50 + 1) {
    WriteFile(dir / "model.onnx", onnx.data(), len);
    EXPECT_FALSE(Model::Load((dir / "model.onnx").string()).ok()) << len;
  }
}

TEST(OnnxModelErrors, ExternalDataOutsideTheDirectory) {
  auto g = OpenFixture("gemma-tiny-f32.gguf");
  const fs::path dir = TempDir("onnx_escape");
  WriteOnnx(*g, dir);
  Bytes onnx = ReadFile(dir / "model.onnx");
  // Same length as "model.onnx_data": "../odel.onnx_data" would differ, so
  // replace the name with "/tmp/x.onnx_data" padded to 15 bytes.
  const std::string from = "model.onnx_data", to = "/tmp/onnx_data_";
  std::string s(onnx.begin(), onnx.end());
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + 1))
    s.replace(p, from.size(), to);
  WriteFile(dir / "model.onnx", s);
  auto m = Model::Load((dir / "model.onnx").string());
  ASSERT_FALSE(m.ok());
  ExpectError(m.status(), StatusCode::kCorruptData, {"is not a relative path"});
}

}  // namespace
}  // namespace gemma::test
