// Session: generation options, determinism, stop conditions, cancellation,
// and cached-prefix reuse.
#include <thread>

#include "model_test_util.h"

namespace gemma::test {
namespace {

std::unique_ptr<Session> MakeSession(const std::shared_ptr<const Model>& model, size_t ctx = 256) {
  EngineOptions o;
  o.num_threads = 2;
  o.context_length = ctx;
  auto s = Session::Create(model, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

const std::vector<int32_t> kPrompt = {2, 410, 411, 12, 13, 900};

TEST(Session, SameSeedSameTextDifferentSeedDifferentText) {
  auto model = LoadOrDie(FixturePath("models/gemma3-tiny-f32.gguf"));
  GenerateOptions g;
  g.max_tokens = 24;
  g.stop_at_eos = false;
  g.sampling.temperature = 1.0f;
  g.sampling.seed = 42;
  auto a = MakeSession(model)->Generate(kPrompt, g);
  auto b = MakeSession(model)->Generate(kPrompt, g);
  g.sampling.seed = 43;
  auto c = MakeSession(model)->Generate(kPrompt, g);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->tokens, b->tokens);
  EXPECT_EQ(a->text, b->text);
  EXPECT_NE(a->tokens, c->tokens);
  EXPECT_EQ(a->finish_reason, FinishReason::kLength);
}

TEST(Session, GreedyMatchesGoldenTokens) {
  // gemma-tiny-f32 / pub_short6: all 16 greedy tokens are robust.
  auto model = LoadOrDie(FixturePath("models/gemma-tiny-f32.gguf"));
  GenerateOptions g;
  g.max_tokens = 16;
  g.stop_at_eos = false;
  auto r = MakeSession(model)->Generate(kPrompt, g);
  ASSERT_TRUE(r.ok());
  const std::vector<int32_t> want = {273, 16,  326, 161, 879, 225, 981, 109,
                                     826, 988, 572, 271, 480, 748, 232, 167};
  EXPECT_EQ(r->tokens, want);
}

TEST(Session, StreamedDeltasConcatenateToText) {
  auto model = LoadOrDie(FixturePath("models/gemma2-tiny-f32.gguf"));
  GenerateOptions g;
  g.max_tokens = 30;
  g.stop_at_eos = false;
  g.sampling.temperature = 0.9f;
  std::string streamed;
  auto r = MakeSession(model)->Generate(kPrompt, g, [&](std::string_view d) {
    streamed += d;
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(streamed, r->text);
  EXPECT_EQ(r->text, model->tokenizer().Decode(r->tokens));
}

TEST(Session, StopStringEndsGenerationAndIsNotShown) {
  auto model = LoadOrDie(FixturePath("models/gemma-tiny-f32.gguf"));
  GenerateOptions g;
  g.max_tokens = 16;
  g.stop_at_eos = false;
  auto full = MakeSession(model)->Generate(kPrompt, g);
  ASSERT_TRUE(full.ok());
  ASSERT_GE(full->text.size(), 6u);
  // Stop at a substring taken from the middle of the greedy text.
  const std::string stop = full->text.substr(full->text.size() / 2, 3);
  g.stop = {stop};
  std::string streamed;
  auto r = MakeSession(model)->Generate(kPrompt, g, [&](std::string_view d) {
    streamed += d;
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, FinishReason::kStop);
  EXPECT_EQ(r->text, full->text.substr(0, full->text.find(stop)));
  EXPECT_EQ(streamed, r->text);
}

TEST(Session, CallbackCanStopAndCancelIsThreadSafe) {
  auto model = LoadOrDie(FixturePath("models/gemma-tiny-f32.gguf"));
  GenerateOptions g;
  g.max_tokens = 100;
  g.stop_at_eos = false;
  int calls = 0;
  auto r = MakeSession(model)->Generate(kPrompt, g, [&](std::string_view) { return ++calls < 3; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, FinishReason::kCancelled);
  EXPECT_LT(r->tokens.size(), 100u);

  auto session = MakeSession(model, 512);
  g.max_tokens = 400;
  std::thread canceller([&] { session->Cancel(); });
  auto c = session->Generate(kPrompt, g, [&](std::string_view) {
    session->Cancel();
    return true;
  });
  canceller.join();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->finish_reason, FinishReason::kCancelled);
}

TEST(Session, SetContextReusesPrefixAndMatchesFreshRun) {
  auto model = LoadOrDie(FixturePath("models/gemma2-tiny-f32.gguf"));
  const size_t nv = model->info().n_vocab;
  std::vector<int32_t> first = kPrompt, second = kPrompt;
  for (int i = 0; i < 30; ++i) first.push_back(20 + i);
  second.insert(second.end(), first.begin() + 6, first.begin() + 20);
  second.push_back(777);
  auto s = MakeSession(model);
  ASSERT_TRUE(s->SetContext(first).ok());
  ASSERT_TRUE(s->SetContext(second).ok());  // shares 20 tokens with `first`
  std::vector<float> reused(s->logits(), s->logits() + nv);
  auto fresh = MakeSession(model);
  ASSERT_TRUE(fresh->SetContext(second).ok());
  EXPECT_LE(MaxAbsDiff(reused.data(), fresh->logits(), nv), 2e-3f);
  EXPECT_EQ(std::vector<int32_t>(s->context().begin(), s->context().end()), second);
}

TEST(Session, ContextOverflowIsAnError) {
  auto model = LoadOrDie(FixturePath("models/gemma-tiny-f32.gguf"));
  auto s = MakeSession(model, 32);
  std::vector<int32_t> long_prompt(40, 100);
  Status st = s->Append(long_prompt);
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange) << st.ToString();
  GenerateOptions g;
  g.max_tokens = 100;
  g.stop_at_eos = false;
  auto r = s->Generate(kPrompt, g);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->finish_reason, FinishReason::kLength);
}

TEST(Engine, RejectsBadBatches) {
  auto model = LoadOrDie(FixturePath("models/gemma-tiny-f32.gguf"));
  auto e = MakeEngine(model, KvCacheType::kF32, 1, 8, 16);
  std::vector<float> logits(model->info().n_vocab * 8);
  BatchToken bad_token{5000, 0, 0, true};
  EXPECT_EQ(e->Forward({&bad_token, 1}, logits.data()).code(), StatusCode::kInvalidArgument);
  BatchToken bad_pos{5, 3, 0, true};
  EXPECT_EQ(e->Forward({&bad_pos, 1}, logits.data()).code(), StatusCode::kInvalidArgument);
  BatchToken bad_seq{5, 0, 1, true};
  EXPECT_EQ(e->Forward({&bad_seq, 1}, logits.data()).code(), StatusCode::kInvalidArgument);
  std::vector<BatchToken> too_many(9);
  for (int i = 0; i < 9; ++i) too_many[i] = {5, i, 0, false};
  EXPECT_EQ(e->Forward(too_many, logits.data()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e->Forward({}, logits.data()).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gemma::test
