// Self-consistency of the forward pass on shapes the goldens don't cover
// (MHA, GQA, head_dim != d_model / n_heads, tiny sliding windows crossed many
// times): one batch, one token at a time and odd chunk sizes must agree; so
// must several sequences sharing a batch, and any thread count.
#include "model_test_util.h"

namespace gemma::test {
namespace {

std::vector<int32_t> Prompt(size_t n) {
  std::vector<int32_t> t{2};
  for (size_t i = 1; i < n; ++i) t.push_back(static_cast<int32_t>(7 + (i * 37 + 11) % 990));
  return t;
}

const char* kModels[] = {
    "models/gemma-tiny-f32.gguf",
    "models/gemma2-tiny-f32.gguf",
    "models/gemma3-tiny-f32.gguf",
    "models/variants/mha-hd48-f32.gguf",
    "models/variants/mha-hd48-q4_0.gguf",
    "models/variants/gemma2-gqa-win4-f32.gguf",
    "models/variants/gemma3-gqa-win5-f32.gguf",
    "models/variants/gemma3-gqa-win5-q8_0.gguf",
    "models/variants/gemma3-tiny-bf16.gguf",
};

class ConsistencyTest : public ::testing::TestWithParam<const char*> {};

// Batched prefill and incremental decode see the same keys: windows of 4-16
// crossed many times, with rings small enough (max_batch 3) to wrap often.
TEST_P(ConsistencyTest, BatchChunksAndSingleTokensAgree) {
  auto model = LoadOrDie(FixturePath(GetParam()));
  ASSERT_NE(model, nullptr);
  const size_t nv = model->info().n_vocab;
  const auto tokens = Prompt(48);
  for (KvCacheType kv : {KvCacheType::kF32, KvCacheType::kF16}) {
    auto whole = MakeEngine(model, kv, 2, 64);
    std::vector<float> ref;
    ASSERT_TRUE(RunChunk(*whole, tokens, 0, tokens.size(), &ref).ok());
    for (size_t chunk : {1, 3, 7}) {
      auto e = MakeEngine(model, kv, 2, chunk);
      std::vector<float> got;
      for (size_t b = 0; b < tokens.size(); b += chunk) {
        ASSERT_TRUE(RunChunk(*e, tokens, b, std::min(tokens.size(), b + chunk), &got).ok());
      }
      ASSERT_EQ(got.size(), ref.size());
      // Different batch shapes may sum in a different order (tiles vs rows).
      for (size_t i = 0; i < tokens.size(); ++i) {
        EXPECT_LE(MaxAbsDiff(got.data() + i * nv, ref.data() + i * nv, nv), 2e-3f)
            << "chunk " << chunk << " row " << i
            << (kv == KvCacheType::kF16 ? " kv f16" : " kv f32");
      }
    }
  }
}

TEST_P(ConsistencyTest, SequencesSharingABatchMatchSeparateRuns) {
  auto model = LoadOrDie(FixturePath(GetParam()));
  ASSERT_NE(model, nullptr);
  const size_t nv = model->info().n_vocab;
  const auto a = Prompt(20);
  std::vector<int32_t> b = Prompt(13);
  for (auto& t : b) t = 7 + (t * 3) % 900;
  std::vector<float> ref_a, ref_b;
  auto solo = MakeEngine(model, KvCacheType::kF32, 2, 64);
  ASSERT_TRUE(RunChunk(*solo, a, 0, a.size(), &ref_a).ok());
  solo->Clear(0);
  ASSERT_TRUE(RunChunk(*solo, b, 0, b.size(), &ref_b).ok());

  // Interleave: a's prompt in chunks of 5 and b one token at a time.
  auto multi = MakeEngine(model, KvCacheType::kF32, 2, 64, 256, 2);
  std::vector<float> got_a(a.size() * nv), got_b(b.size() * nv), out(64 * nv);
  size_t ia = 0, ib = 0;
  while (ia < a.size() || ib < b.size()) {
    std::vector<BatchToken> batch;
    std::vector<std::pair<int, size_t>> where;
    if (ib < b.size()) {
      batch.push_back({b[ib], static_cast<int32_t>(ib), 1, true});
      where.push_back({1, ib++});
    }
    for (int k = 0; k < 5 && ia < a.size(); ++k) {
      batch.push_back({a[ia], static_cast<int32_t>(ia), 0, true});
      where.push_back({0, ia++});
    }
    ASSERT_TRUE(multi->Forward(batch, out.data()).ok());
    for (size_t j = 0; j < where.size(); ++j) {
      float* dst = (where[j].first == 0 ? got_a.data() : got_b.data()) + where[j].second * nv;
      std::copy_n(out.data() + j * nv, nv, dst);
    }
  }
  EXPECT_LE(MaxAbsDiff(got_a.data(), ref_a.data(), ref_a.size()), 2e-3f);
  EXPECT_LE(MaxAbsDiff(got_b.data(), ref_b.data(), ref_b.size()), 2e-3f);
}

// Every output is computed by exactly one thread with the same code, so the
// thread count cannot change a bit.
TEST_P(ConsistencyTest, ThreadCountDoesNotChangeResults) {
  auto model = LoadOrDie(FixturePath(GetParam()));
  ASSERT_NE(model, nullptr);
  const auto tokens = Prompt(24);
  std::vector<float> one, two;
  auto e1 = MakeEngine(model, KvCacheType::kF32, 1, 64);
  auto e3 = MakeEngine(model, KvCacheType::kF32, 3, 64);
  ASSERT_TRUE(RunChunk(*e1, tokens, 0, tokens.size(), &one).ok());
  ASSERT_TRUE(RunChunk(*e3, tokens, 0, tokens.size(), &two).ok());
  EXPECT_EQ(one, two);
}

INSTANTIATE_TEST_SUITE_P(Models, ConsistencyTest, ::testing::ValuesIn(kModels),
                         [](const auto& info) {
                           std::string s = info.param;
                           s = s.substr(s.rfind('/') + 1);
                           for (char& c : s) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

// The same float weights stored as F16 / Q8_0 / Q4_0 give logits that track
// F32. Measured as RMS(diff) / RMS(F32 logits); bounds follow from each type's
// weight rounding (F16 ~5e-4 relative, BF16 ~4e-3, Q8_0 ~0.4%, Q4_0 ~7% per weight, which
// compound through the layers: this random model amplifies weight noise ~10x;
// measured 0.0013 / 0.045 / 0.56).
// Exact agreement with llama.cpp for these types is the golden tests' job.
TEST(WeightTypes, QuantizedSiblingsTrackF32) {
  const auto tokens = Prompt(16);
  auto ref_model = LoadOrDie(FixturePath("models/variants/mha-hd48-f32.gguf"));
  ASSERT_NE(ref_model, nullptr);
  std::vector<float> ref;
  auto re = MakeEngine(ref_model, KvCacheType::kF32);
  ASSERT_TRUE(RunChunk(*re, tokens, 0, tokens.size(), &ref).ok());
  double ref_sq = 0;
  for (float v : ref) ref_sq += static_cast<double>(v) * v;
  const std::pair<const char*, double> siblings[] = {
      {"models/variants/mha-hd48-f16.gguf", 0.01},
      {"models/variants/mha-hd48-bf16.gguf", 0.1},
      {"models/variants/mha-hd48-q8_0.gguf", 0.1},
      {"models/variants/mha-hd48-q4_0.gguf", 0.8},
  };
  for (const auto& [path, bound] : siblings) {
    auto model = LoadOrDie(FixturePath(path));
    ASSERT_NE(model, nullptr);
    auto e = MakeEngine(model, KvCacheType::kF32);
    std::vector<float> got;
    ASSERT_TRUE(RunChunk(*e, tokens, 0, tokens.size(), &got).ok());
    double diff_sq = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      diff_sq += (got[i] - ref[i]) * static_cast<double>(got[i] - ref[i]);
    const double rel = std::sqrt(diff_sq / ref_sq);
    EXPECT_LE(rel, bound) << path;
    EXPECT_GT(rel, 0.0) << path << " is suspiciously identical to F32";
    std::printf("%s: relative RMS difference from F32 %.4f\n", path, rel);
  }
}

}  // namespace
}  // namespace gemma::test
