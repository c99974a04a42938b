// K-quant quantization is byte-identical to llama.cpp's (fixtures/kquant/
// README.md): rows against quantize_row_q*_K_ref, and whole models against
// llama_model_quantize's Q4_K_M / Q5_K_M / Q6_K files, mixture rules
// included. Also: K-quant tensors with bad row lengths are refused by name.
#include "quant/kquant_quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "formats_test_util.h"
#include "io/gguf.h"
#include "model/export.h"
#include "model/source.h"
#include "quant/kquant_mix.h"
#include "quant/quantize.h"
#include "writers.h"

namespace gemma::test {
namespace {

std::vector<uint8_t> ReadFixture(const std::string& rel) {
  std::ifstream in(FixturePath(rel), std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

TEST(KQuantQuantize, RowsMatchLlamaCpp) {
  const std::vector<uint8_t> raw = ReadFixture("kquant/rows.f32");
  std::vector<float> x(raw.size() / 4);
  std::memcpy(x.data(), raw.data(), raw.size());
  ASSERT_EQ(x.size() % kSuperBlock, 0u);
  const std::pair<DType, const char*> types[] = {{DType::kQ2_K, "q2_k"},
                                                 {DType::kQ3_K, "q3_k"},
                                                 {DType::kQ4_K, "q4_k"},
                                                 {DType::kQ5_K, "q5_k"},
                                                 {DType::kQ6_K, "q6_k"}};
  for (const auto& [type, name] : types) {
    const std::vector<uint8_t> want = ReadFixture(std::string("kquant/rows.") + name);
    ASSERT_EQ(want.size(), DTypeRowBytes(type, x.size())) << name;
    std::vector<uint8_t> got(want.size(), 0xAB);
    ASSERT_TRUE(quant::EncodeRow(type, x.data(), x.size(), got.data()));
    const size_t bb = DTypeBlockBytes(type);
    for (size_t b = 0; b < got.size() / bb; ++b) {
      ASSERT_EQ(std::memcmp(got.data() + b * bb, want.data() + b * bb, bb), 0)
          << name << ": super-block " << b << " (row " << b / 2 << ") differs from llama.cpp";
    }
  }
}

// gemma-ktiny-f16.gguf quantized with each spec equals the file llama.cpp
// made from it (types and bytes of every tensor).
TEST(KQuantQuantize, ModelsMatchLlamaQuantize) {
  for (const char* spec_name : {"q4_k_m", "q5_k_m", "q6_k"}) {
    SCOPED_TRACE(spec_name);
    auto spec = quant::ParseQuantSpec(spec_name);
    ASSERT_TRUE(spec.ok());
    auto src = OpenModelSource(FixturePath("models/gemma-ktiny-f16.gguf"));
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    std::vector<std::string> names;
    for (const SourceTensor& t : src->tensors) names.push_back(t.name);
    auto planner = std::make_shared<quant::TensorTypePlanner>(*spec, names);
    ExportOptions o;
    o.matrix_type_of = [planner](const SourceTensor& t) {
      return planner->TypeFor(t.name, t.dims[0]);
    };
    o.file_type = spec->llama_ftype;
    const fs::path dir = TempDir(std::string("kquant_") + spec_name);
    const std::string out = (dir / "out.gguf").string();
    ASSERT_TRUE(WriteGguf(*src, out, o).ok());
    auto got = GgufFile::Open(out);
    auto want =
        GgufFile::Open(FixturePath(std::string("models/gemma-ktiny-") + spec_name + ".gguf"));
    ASSERT_TRUE(got.ok() && want.ok());
    ASSERT_EQ((*got)->tensors().size(), (*want)->tensors().size());
    for (const GgufTensor& y : (*want)->tensors()) {
      const GgufTensor* x = nullptr;
      for (const GgufTensor& t : (*got)->tensors()) {
        if (t.name == y.name) x = &t;
      }
      ASSERT_NE(x, nullptr) << y.name;
      EXPECT_EQ(DTypeName(x->type), std::string(DTypeName(y.type))) << y.name;
      ASSERT_EQ(x->n_bytes, y.n_bytes) << y.name;
      EXPECT_EQ(std::memcmp(x->data, y.data, x->n_bytes), 0) << y.name << " differs";
    }
    const GgufValue* ft = (*got)->Find("general.file_type");
    ASSERT_NE(ft, nullptr);
    Cleanup(dir);
  }
}

// The mixture rules on a model whose rows are mostly not a multiple of 256
// (gemma-tiny: d_model 128, ffn 256, 4 layers).
TEST(KQuantQuantize, MixtureRulesAndFallbacks) {
  const std::vector<std::string> names = {
      "token_embd.weight",     "blk.0.attn_v.weight",   "blk.1.attn_v.weight",
      "blk.2.attn_v.weight",   "blk.3.attn_v.weight",   "blk.0.ffn_down.weight",
      "blk.1.ffn_down.weight", "blk.2.ffn_down.weight", "blk.3.ffn_down.weight"};
  auto m = quant::ParseQuantSpec("Q4_K_M");
  ASSERT_TRUE(m.ok());
  quant::TensorTypePlanner p(*m, names);
  EXPECT_EQ(p.TypeFor("token_embd.weight", 2048), DType::kQ6_K);  // tied output
  EXPECT_EQ(p.TypeFor("token_embd.weight", 128), DType::kQ8_0);
  // use_more_bits(i, 4): layers 2 and 3.
  EXPECT_EQ(p.TypeFor("blk.0.ffn_down.weight", 256), DType::kQ4_K);
  EXPECT_EQ(p.TypeFor("blk.1.ffn_down.weight", 256), DType::kQ4_K);
  EXPECT_EQ(p.TypeFor("blk.2.ffn_down.weight", 256), DType::kQ6_K);
  EXPECT_EQ(p.TypeFor("blk.3.attn_v.weight", 256), DType::kQ6_K);
  EXPECT_EQ(p.TypeFor("blk.0.attn_q.weight", 256), DType::kQ4_K);
  // Rows of 128: llama.cpp's Q6_K -> Q8_0; its Q4_K -> Q5_0 is Q8_0 here.
  EXPECT_EQ(p.TypeFor("blk.3.attn_v.weight", 128), DType::kQ8_0);
  EXPECT_EQ(p.TypeFor("blk.0.attn_q.weight", 128), DType::kQ8_0);
  EXPECT_EQ(p.TypeFor("blk.0.attn_q.weight", 80), DType::kF16);
  // Pure single types quantize the embedding like everything else.
  quant::TensorTypePlanner pure(*quant::ParseQuantSpec("q4_k"), names);
  EXPECT_EQ(pure.TypeFor("token_embd.weight", 2048), DType::kQ4_K);
  EXPECT_EQ(pure.TypeFor("blk.2.ffn_down.weight", 2048), DType::kQ4_K);
  // Names.
  EXPECT_EQ(quant::ParseQuantSpec("q5_k_m")->llama_ftype, 17u);
  EXPECT_EQ(quant::ParseQuantSpec("q6_k")->type, DType::kQ6_K);
  EXPECT_EQ(quant::ParseQuantSpec("q4_k_s").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(quant::ParseQuantSpec("q7_k_m").status().code(), StatusCode::kInvalidArgument);
}

// A K-quant tensor whose rows are not a multiple of 256 is an error naming
// the tensor (the GGUF reader checks the block size of every tensor).
TEST(KQuantQuantize, BadRowLengthIsAnErrorNamingTheTensor) {
  std::vector<uint8_t> bytes = ReadFixture("models/gemma-ktiny-q4_k_m.gguf");
  const std::string name = "blk.0.attn_q.weight";
  auto it = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
  ASSERT_NE(it, bytes.end());
  const size_t at = static_cast<size_t>(it - bytes.begin()) + name.size() + 4;  // after n_dims
  uint64_t dim0;
  std::memcpy(&dim0, bytes.data() + at, 8);
  ASSERT_EQ(dim0, 256u);
  dim0 = 128;
  std::memcpy(bytes.data() + at, &dim0, 8);
  const fs::path dir = TempDir("kquant_bad");
  const std::string path = (dir / "bad.gguf").string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  auto model = Model::Load(path);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find(name), std::string::npos) << model.status().ToString();
  EXPECT_NE(model.status().message().find("256"), std::string::npos) << model.status().ToString();
  Cleanup(dir);
}

}  // namespace
}  // namespace gemma::test
