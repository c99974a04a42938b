// Decoding a token must not touch the heap: forward pass, sampling and
// streaming detokenization run on buffers sized at load. Counted with
// replacement operator new (runtime/alloc_counter.cc).
#include "model_test_util.h"
#include "runtime/alloc_counter.h"
#include "runtime/sampler.h"

namespace gemma::test {
namespace {

TEST(NoAllocation, DecodeStepsDoNotAllocate) {
  for (const char* path : {"models/gemma2-tiny-q8_0.gguf", "models/gemma3-tiny-f32.gguf",
                           "models/gemma-tiny-q4_0.gguf"}) {
    auto model = LoadOrDie(FixturePath(path));
    ASSERT_NE(model, nullptr);
    for (KvCacheType kv : {KvCacheType::kF32, KvCacheType::kF16}) {
      auto engine = MakeEngine(model, kv, 2, 16);
      const size_t nv = model->info().n_vocab;
      std::vector<float> logits(nv);
      SamplingParams sp;
      sp.temperature = 0.8f;
      sp.top_k = 40;
      sp.top_p = 0.9f;
      sp.repetition_penalty = 1.1f;
      sp.seed = 7;
      auto sampler = Sampler::Create(nv, sp);
      ASSERT_TRUE(sampler.ok());
      StreamingDetokenizer detok(model->tokenizer());
      std::string text;
      text.reserve(4096);
      int32_t token = 2;
      // Warm-up: first calls may size lazily-initialised state (dispatch tables).
      BatchToken one{token, 0, 0, true};
      ASSERT_TRUE(engine->Forward({&one, 1}, logits.data()).ok());
      const size_t before = gemma::testing::AllocationCount();
      for (int32_t pos = 1; pos < 40; ++pos) {  // crosses every window several times
        token = sampler->Sample(logits.data());
        sampler->Accept(token);
        detok.Push(token, &text);
        one = {token, pos, 0, true};
        ASSERT_TRUE(engine->Forward({&one, 1}, logits.data()).ok());
      }
      EXPECT_EQ(gemma::testing::AllocationCount() - before, 0u) << path;
    }
  }
}

// Session::Generate allocates per call (result, sampler), never per token:
// 4 and 40 generated tokens cost the same number of allocations.
TEST(NoAllocation, GenerateAllocationsDoNotGrowWithTokens) {
  auto model = LoadOrDie(FixturePath("models/gemma-tiny-q8_0.gguf"));
  ASSERT_NE(model, nullptr);
  auto count_for = [&](size_t max_tokens) {
    EngineOptions o;
    o.num_threads = 2;
    o.context_length = 128;
    auto session = Session::Create(model, o);
    EXPECT_TRUE(session.ok());
    GenerateOptions g;
    g.max_tokens = max_tokens;
    g.stop_at_eos = false;
    g.sampling.temperature = 0.7f;
    g.sampling.seed = 3;
    const std::vector<int32_t> prompt = {2, 100, 200, 300};
    size_t calls = 0;
    const size_t before = gemma::testing::AllocationCount();
    auto r = (*session)->Generate(prompt, g, [&](std::string_view) { return ++calls > 0; });
    const size_t used = gemma::testing::AllocationCount() - before;
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->tokens.size(), max_tokens);
    return used;
  };
  EXPECT_EQ(count_for(4), count_for(40));
}

}  // namespace
}  // namespace gemma::test
