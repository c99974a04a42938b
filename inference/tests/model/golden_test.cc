// Golden tests: logits of the fixture models against llama.cpp's (see
// fixtures/README.md). For every case: (1) the prompt as one batch, every
// row; (2) the recorded greedy tokens teacher-forced one at a time through the
// KV cache; (3) free-running greedy equals the reference over the robust
// prefix. Run for both KV cache types and on every SIMD target.
#include <fstream>

#include "kernels/kernels.h"
#include "model_test_util.h"
#include "nlohmann/json.hpp"

namespace gemma::test {
namespace {

struct GoldenCase {
  std::string name;
  std::string model;
  std::vector<int32_t> prompt;
  std::vector<int32_t> greedy;
  size_t robust_prefix = 0;
  float atol = 0;
  std::string logits_bin, gen_logits_bin;
  KvCacheType kv = KvCacheType::kF32;
};

std::vector<GoldenCase> LoadCases() {
  std::ifstream in(FixturePath("golden/index.json"));
  const nlohmann::json index = nlohmann::json::parse(in);
  std::vector<GoldenCase> cases;
  for (const auto& c : index["cases"]) {
    for (KvCacheType kv : {KvCacheType::kF32, KvCacheType::kF16}) {
      GoldenCase g;
      g.model = c["model"];
      g.name = c["model"].get<std::string>() + "__" + c["prompt"].get<std::string>() +
               (kv == KvCacheType::kF32 ? "__kv_f32" : "__kv_f16");
      for (char& ch : g.name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      g.prompt = index["prompts"][c["prompt"].get<std::string>()].get<std::vector<int32_t>>();
      g.greedy = c["greedy_tokens"].get<std::vector<int32_t>>();
      g.robust_prefix = c["greedy_robust_prefix_len"];
      g.atol = index["tolerances"][c["tolerance_key"].get<std::string>()]["atol_logits"];
      g.logits_bin = c["logits_bin"];
      g.gen_logits_bin = c["gen_logits_bin"];
      g.kv = kv;
      cases.push_back(g);
    }
  }
  return cases;
}

// Keeps test names readable in ctest (gtest would print the struct's bytes).
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

void CheckCase(const GoldenCase& g, const std::string& target) {
  SCOPED_TRACE(g.name + " on " + target);
  auto model = LoadOrDie(FixturePath("models/" + g.model + ".gguf"));
  ASSERT_NE(model, nullptr);
  const size_t nv = model->info().n_vocab;
  const std::vector<float> want_prompt = ReadFloats(FixturePath("golden/" + g.logits_bin));
  const std::vector<float> want_gen = ReadFloats(FixturePath("golden/" + g.gen_logits_bin));
  ASSERT_EQ(want_prompt.size(), g.prompt.size() * nv);
  ASSERT_EQ(want_gen.size(), g.greedy.size() * nv);

  // (1) Prompt as one batch.
  auto engine = MakeEngine(model, g.kv);
  ASSERT_NE(engine, nullptr);
  std::vector<float> got;
  ASSERT_TRUE(RunChunk(*engine, g.prompt, 0, g.prompt.size(), &got).ok());
  for (size_t i = 0; i < g.prompt.size(); ++i) {
    EXPECT_LE(MaxAbsDiff(got.data() + i * nv, want_prompt.data() + i * nv, nv), g.atol)
        << "prompt row " << i;
  }

  // (2) Teacher-forced decode along the reference's greedy tokens.
  std::vector<float> row(nv);
  for (size_t k = 1; k < g.greedy.size(); ++k) {
    const BatchToken one{g.greedy[k - 1], static_cast<int32_t>(g.prompt.size() + k - 1), 0, true};
    ASSERT_TRUE(engine->Forward({&one, 1}, row.data()).ok());
    EXPECT_LE(MaxAbsDiff(row.data(), want_gen.data() + k * nv, nv), g.atol)
        << "generated row " << k;
  }

  // (3) Free-running greedy over the robust prefix.
  auto fresh = MakeEngine(model, g.kv);
  std::vector<float> logits;
  ASSERT_TRUE(RunChunk(*fresh, g.prompt, 0, g.prompt.size(), &logits).ok());
  int32_t next = Argmax(logits.data() + (g.prompt.size() - 1) * nv, nv);
  for (size_t k = 0; k < g.robust_prefix; ++k) {
    ASSERT_EQ(next, g.greedy[k]) << "greedy token " << k;
    const BatchToken one{next, static_cast<int32_t>(g.prompt.size() + k), 0, true};
    ASSERT_TRUE(fresh->Forward({&one, 1}, row.data()).ok());
    next = Argmax(row.data(), nv);
  }
}

TEST_P(GoldenTest, MatchesLlamaCpp) { CheckCase(GetParam(), kernels::ActiveTargetName()); }

// The same checks with dispatch forced to each other SIMD target this CPU
// supports (the default run above uses the best one).
TEST_P(GoldenTest, MatchesLlamaCppOnEveryTarget) {
  const auto targets = kernels::AvailableTargets();
  for (size_t i = 1; i < targets.size(); ++i) {
    kernels::ForceTarget(targets[i]);
    CheckCase(GetParam(), kernels::TargetName(targets[i]));
    kernels::ForceTarget(0);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::ValuesIn(LoadCases()),
                         [](const auto& info) { return info.param.name; });

// F16 and BF16 weights (not in llama.cpp's goldens: the same float weights
// rounded) against the F32 goldens. F16 uses fixtures/README.md's F16
// tolerance; BF16 keeps 8 mantissa bits instead of 11, so its weights are
// rounded ~8x more coarsely (measured max diff: see the test output).
struct RoundedCase {
  const char* variant;
  const char* golden_model;
  float atol;
};

void PrintTo(const RoundedCase& c, std::ostream* os) { *os << c.variant; }

class RoundedWeights : public ::testing::TestWithParam<RoundedCase> {};

TEST_P(RoundedWeights, TrackF32Goldens) {
  const RoundedCase& rc = GetParam();
  auto model = LoadOrDie(FixturePath(rc.variant));
  ASSERT_NE(model, nullptr);
  const size_t nv = model->info().n_vocab;
  std::ifstream in(FixturePath("golden/index.json"));
  const nlohmann::json index = nlohmann::json::parse(in);
  for (const char* prompt : {"pub_short6", "pub_long32"}) {
    const auto tokens = index["prompts"][prompt].get<std::vector<int32_t>>();
    const auto want = ReadFloats(
        FixturePath(std::string("golden/") + rc.golden_model + "__" + prompt + ".logits.bin"));
    auto engine = MakeEngine(model, KvCacheType::kF32);
    std::vector<float> got;
    ASSERT_TRUE(RunChunk(*engine, tokens, 0, tokens.size(), &got).ok());
    float worst = 0;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const float d = MaxAbsDiff(got.data() + i * nv, want.data() + i * nv, nv);
      EXPECT_LE(d, rc.atol) << prompt << " row " << i;
      worst = std::max(worst, d);
    }
    std::printf("%s vs %s/%s: max |diff| %.5f\n", rc.variant, rc.golden_model, prompt, worst);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, RoundedWeights,
                         ::testing::Values(RoundedCase{"models/variants/gemma-tiny-f16.gguf",
                                                       "gemma-tiny-f32", 2e-2f},
                                           RoundedCase{"models/variants/gemma3-tiny-bf16.gguf",
                                                       "gemma3-tiny-f32", 0.1f}));

}  // namespace
}  // namespace gemma::test
