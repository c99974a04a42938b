// Scheduler: equivalence with Session, batch invariance (8 concurrent requests
// == 8 sequential ones), chunked prefill interleaved with decoding, cancel,
// queue limits, finish reasons, logprobs, Drain, shutdown with work in flight.
#include "scheduler.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "kernels/kernels.h"
#include "model/model_test_util.h"

namespace gemma::server {
namespace {

using test::FixturePath;
using test::LoadOrDie;

constexpr char kGemma3F32[] = "models/gemma3-tiny-f32.gguf";
constexpr char kGemmaQ8[] = "models/gemma-tiny-q8_0.gguf";

std::vector<int32_t> Prompt(size_t n, int salt = 0) {
  std::vector<int32_t> t{2};
  for (size_t i = 1; i < n; ++i)
    t.push_back(static_cast<int32_t>(7 + (i * 37 + 11 + salt * 101) % 990));
  return t;
}

SchedulerOptions Options(size_t slots = 8, size_t ctx = 512) {
  SchedulerOptions o;
  o.max_batch_size = slots;
  o.max_sequence_length = ctx;
  o.num_threads = 2;
  return o;
}

std::unique_ptr<Scheduler> MakeScheduler(std::shared_ptr<const Model> model,
                                         const SchedulerOptions& o) {
  auto s = Scheduler::Create(std::move(model), o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// Everything one request produced. Callbacks run on the scheduler thread;
// the future's get() orders them before the test reads the fields.
struct Collector {
  std::vector<int32_t> tokens;
  std::vector<TokenEvent> events;
  std::string text;  // token texts + the finish text
  FinishEvent finish;
  int finish_calls = 0;
  std::promise<void> done_promise;
  std::shared_future<void> done = done_promise.get_future().share();

  void Wait() const {
    ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready)
        << "request never finished";
  }
};

GenerationRequest Request(Collector* c, std::vector<int32_t> prompt, const GenerateOptions& g) {
  GenerationRequest r;
  r.prompt = std::move(prompt);
  r.options = g;
  r.on_token = [c](const TokenEvent& e) {
    c->tokens.push_back(e.token);
    c->text += e.text;
    c->events.push_back(e);
  };
  r.on_finish = [c](const FinishEvent& f) {
    c->finish = f;
    c->text += f.text;
    if (++c->finish_calls == 1) c->done_promise.set_value();
  };
  return r;
}

GenerateOptions Sampling(float temperature, uint64_t seed, size_t max_tokens,
                         bool stop_at_eos = false) {
  GenerateOptions g;
  g.sampling.temperature = temperature;
  g.sampling.seed = seed;
  g.max_tokens = max_tokens;
  g.stop_at_eos = stop_at_eos;
  return g;
}

GenerateResult RunSession(const std::shared_ptr<const Model>& model,
                          const std::vector<int32_t>& prompt, const GenerateOptions& g,
                          size_t ctx = 512) {
  EngineOptions o;
  o.num_threads = 2;
  o.context_length = ctx;
  auto s = Session::Create(model, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  auto r = (*s)->Generate(prompt, g);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : GenerateResult{};
}

// The premise of batch invariance: a token's logits must not depend on what
// else shares its forward pass. A prefill row of sequence 0 (12-token batch
// vs 30 tokens of 5 sequences) and a decode row (1 token vs 5), compared bit
// for bit on every SIMD target this CPU runs. On failure the message names the
// target, the row kind, the first differing element and the magnitude.
void ExpectEngineBatchInvariantAt(const std::string& path) {
  auto model = LoadOrDie(path);
  ASSERT_NE(model, nullptr);
  const size_t nv = model->info().n_vocab;
  const auto a = Prompt(12);
  auto run = [&](bool with_others, std::vector<float>* out) {
    auto e = test::MakeEngine(model, KvCacheType::kF32, 2, 64, 256, 5);
    ASSERT_NE(e, nullptr);
    std::vector<BatchToken> batch;
    for (size_t i = 0; i < a.size(); ++i)
      batch.push_back({a[i], static_cast<int32_t>(i), 0, i + 1 == a.size()});
    if (with_others) {
      for (int32_t s = 1; s < 5; ++s) {
        const auto p = Prompt(3 + s, s);
        for (size_t i = 0; i < p.size(); ++i)
          batch.push_back({p[i], static_cast<int32_t>(i), s, false});
      }
    }
    std::vector<float> logits(nv);
    ASSERT_TRUE(e->Forward(batch, logits.data()).ok());
    batch.clear();
    batch.push_back({417, static_cast<int32_t>(a.size()), 0, true});
    if (with_others) {
      for (int32_t s = 1; s < 5; ++s) batch.push_back({100 + s, e->SequenceLength(s), s, true});
    }
    std::vector<float> rows(batch.size() * nv);
    ASSERT_TRUE(e->Forward(batch, rows.data()).ok());
    out->assign(logits.begin(), logits.end());
    out->insert(out->end(), rows.begin(), rows.begin() + nv);
  };
  for (int64_t target : kernels::AvailableTargets()) {
    kernels::ForceTarget(target);
    std::printf("%s: checking on %s\n", path.c_str(), kernels::TargetName(target).c_str());
    std::vector<float> alone, mixed;
    run(false, &alone);
    run(true, &mixed);
    ASSERT_EQ(alone.size(), mixed.size());
    if (std::memcmp(alone.data(), mixed.data(), alone.size() * sizeof(float)) != 0) {
      size_t first = 0;
      while (alone[first] == mixed[first]) ++first;
      ADD_FAILURE() << path << " on " << kernels::TargetName(target)
                    << ": logits depend on the batch ("
                    << (first < nv ? "prefill row, 12-token batch vs 30"
                                   : "decode row, 1 token vs 5")
                    << "; first difference at vocab " << first % nv << ": " << alone[first]
                    << " vs " << mixed[first] << ", max |diff| "
                    << test::MaxAbsDiff(alone.data(), mixed.data(), alone.size()) << ")";
    }
  }
  kernels::ForceTarget(0);
}
void ExpectEngineBatchInvariant(const char* rel) { ExpectEngineBatchInvariantAt(FixturePath(rel)); }

TEST(SchedulerEngine, LogitsIndependentOfBatchCompositionGemma3F32) {
  ExpectEngineBatchInvariant(kGemma3F32);
}
TEST(SchedulerEngine, LogitsIndependentOfBatchCompositionGemmaQ8) {
  ExpectEngineBatchInvariant(kGemmaQ8);
}
TEST(SchedulerEngine, LogitsIndependentOfBatchCompositionGemmaQ4) {
  ExpectEngineBatchInvariant("models/gemma-tiny-q4_0.gguf");
}
TEST(SchedulerEngine, LogitsIndependentOfBatchCompositionGemma2F32) {
  ExpectEngineBatchInvariant("models/gemma2-tiny-f32.gguf");
}

// The fixtures are small (at most 8 quant blocks per row); kernels may switch
// code paths for wider rows. GEMMA_BATCH_INVARIANCE_MODELS=a.gguf:b.gguf runs
// the same check on bigger models (e.g. make_gemma_gguf.py --preset gemma-2b).
TEST(SchedulerEngine, LogitsIndependentOfBatchCompositionExtraModels) {
  const char* env = std::getenv("GEMMA_BATCH_INVARIANCE_MODELS");
  if (env == nullptr || *env == '\0') GTEST_SKIP() << "GEMMA_BATCH_INVARIANCE_MODELS not set";
  std::string list = env;
  for (size_t start = 0; start <= list.size();) {
    const size_t end = std::min(list.find(':', start), list.size());
    if (end > start) ExpectEngineBatchInvariantAt(list.substr(start, end - start));
    start = end + 1;
  }
}

TEST(Scheduler, SingleRequestMatchesSessionGenerate) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  const auto prompt = Prompt(9);
  GenerateOptions g = Sampling(0.8f, 7, 40);
  g.sampling.top_k = 40;
  g.sampling.repetition_penalty = 1.1f;  // exercises the prompt being in the penalty window
  const GenerateResult want = RunSession(model, prompt, g);
  auto sched = MakeScheduler(model, Options());
  ASSERT_NE(sched, nullptr);
  Collector c;
  ASSERT_TRUE(sched->Submit(Request(&c, prompt, g)).ok());
  c.Wait();
  EXPECT_EQ(c.tokens, want.tokens);
  EXPECT_EQ(c.text, want.text);
  EXPECT_EQ(c.finish.reason, want.finish_reason);
  EXPECT_EQ(c.finish.prompt_tokens, prompt.size());
  EXPECT_EQ(c.finish.completion_tokens, want.tokens.size());
  EXPECT_TRUE(c.finish.error.ok());
  EXPECT_GT(c.finish.time_to_first_token, 0.0);
}

// 8 requests with fixed seeds (temperature > 0) submitted at once must give
// exactly the tokens each gives alone. Different prompt lengths make prefill
// chunks and decode tokens of different sequences share steps.
void ExpectConcurrentEqualsSequential(const char* path) {
  auto model = LoadOrDie(FixturePath(path));
  ASSERT_NE(model, nullptr);
  SchedulerOptions o = Options(8);
  o.prefill_chunk = 16;
  std::vector<std::vector<int32_t>> prompts;
  std::vector<GenerateOptions> gens;
  for (int i = 0; i < 8; ++i) {
    prompts.push_back(Prompt(5 + 9 * i, i));
    GenerateOptions g = Sampling(0.7f + 0.1f * i, 1000 + i, 24 + 3 * i);
    g.sampling.top_p = i % 2 ? 0.9f : 1.0f;
    g.sampling.top_k = i % 3 ? 0 : 50;
    gens.push_back(g);
  }
  std::vector<Collector> alone(8), together(8);
  {
    auto sched = MakeScheduler(model, o);
    ASSERT_NE(sched, nullptr);
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(sched->Submit(Request(&alone[i], prompts[i], gens[i])).ok());
      alone[i].Wait();
    }
  }
  auto sched = MakeScheduler(model, o);
  ASSERT_NE(sched, nullptr);
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(sched->Submit(Request(&together[i], prompts[i], gens[i])).ok());
  for (auto& c : together) c.Wait();
  sched->Drain(60.0);  // stats are published after the last on_finish
  const SchedulerStats st = sched->stats();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(together[i].tokens, alone[i].tokens) << path << " request " << i;
    EXPECT_EQ(together[i].text, alone[i].text) << path << " request " << i;
    EXPECT_EQ(together[i].finish.reason, alone[i].finish.reason) << path << " request " << i;
  }
  uint64_t total = 0;
  for (auto& c : together) total += c.tokens.size();
  EXPECT_EQ(st.tokens_generated, total);
  // They really shared steps: alone, each token would take a step of its own.
  EXPECT_LT(st.steps, total / 2);
}

TEST(Scheduler, EightConcurrentEqualEightSequentialF32) {
  ExpectConcurrentEqualsSequential(kGemma3F32);
}
TEST(Scheduler, EightConcurrentEqualEightSequentialQ8) {
  ExpectConcurrentEqualsSequential(kGemmaQ8);
}

// A 300-token prompt prefilled 32 tokens per step while another request
// decodes: the stream keeps producing a token every step, and both give the
// tokens they give alone.
TEST(Scheduler, ChunkedPrefillInterleavesWithDecoding) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  SchedulerOptions o = Options(2);
  o.prefill_chunk = 32;
  const auto short_prompt = Prompt(6, 3);
  const auto long_prompt = Prompt(300, 5);
  const GenerateOptions gs = Sampling(0.9f, 11, 60), gl = Sampling(0.9f, 12, 20);
  const GenerateResult want_short = RunSession(model, short_prompt, gs);
  const GenerateResult want_long = RunSession(model, long_prompt, gl);

  auto sched = MakeScheduler(model, o);
  ASSERT_NE(sched, nullptr);
  Collector a, b;
  std::atomic<size_t> a_tokens_before_b{0};
  std::atomic<bool> b_started{false};
  GenerationRequest ra = Request(&a, short_prompt, gs);
  auto a_on_token = ra.on_token;
  ra.on_token = [&, a_on_token](const TokenEvent& e) {
    a_on_token(e);
    if (!b_started.load()) a_tokens_before_b.store(a.tokens.size());
  };
  GenerationRequest rb = Request(&b, long_prompt, gl);
  auto b_on_token = rb.on_token;
  rb.on_token = [&, b_on_token](const TokenEvent& e) {
    b_started.store(true);
    b_on_token(e);
  };
  ASSERT_TRUE(sched->Submit(std::move(ra)).ok());
  ASSERT_TRUE(sched->Submit(std::move(rb)).ok());
  a.Wait();
  b.Wait();
  EXPECT_EQ(a.tokens, want_short.tokens);
  EXPECT_EQ(b.tokens, want_long.tokens);
  EXPECT_EQ(b.text, want_long.text);
  // ceil(300 / 32) = 10 prefill steps, each with a decode token of `a`.
  EXPECT_GE(a_tokens_before_b.load(), 9u);
}

// Blocks the scheduler thread inside a callback until released, so tests can
// observe a request "in flight" deterministically.
struct Gate {
  std::promise<void> reached_p, open_p;
  std::future<void> reached = reached_p.get_future();
  std::shared_future<void> open = open_p.get_future().share();
  std::atomic<bool> fired{false};
  void Hit() {
    if (fired.exchange(true)) return;
    reached_p.set_value();
    open.wait();
  }
};

TEST(Scheduler, CancelMidStreamFreesTheSlotForAQueuedRequest) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  auto sched = MakeScheduler(model, Options(1));
  ASSERT_NE(sched, nullptr);
  Collector a, b, queued_cancel;
  Gate gate;
  GenerationRequest ra = Request(&a, Prompt(8), Sampling(1.0f, 1, 400));
  auto a_on_token = ra.on_token;
  ra.on_token = [&, a_on_token](const TokenEvent& e) {
    a_on_token(e);
    if (a.tokens.size() == 3) gate.Hit();
  };
  auto id_a = sched->Submit(std::move(ra));
  ASSERT_TRUE(id_a.ok());
  gate.reached.wait();
  // The only slot is busy: these wait in the queue.
  auto id_b = sched->Submit(Request(&b, Prompt(5, 1), Sampling(0.0f, 0, 8)));
  auto id_q = sched->Submit(Request(&queued_cancel, Prompt(5, 2), Sampling(0.0f, 0, 8)));
  ASSERT_TRUE(id_b.ok() && id_q.ok());
  EXPECT_EQ(sched->stats().queue_depth, 2u);
  sched->Cancel(*id_q);
  sched->Cancel(*id_a);   // from another thread than the scheduler's
  sched->Cancel(987654);  // unknown ids are ignored
  gate.open_p.set_value();
  a.Wait();
  queued_cancel.Wait();
  b.Wait();
  EXPECT_EQ(a.finish.reason, FinishReason::kCancelled);
  EXPECT_EQ(a.tokens.size(), 3u);
  EXPECT_EQ(queued_cancel.finish.reason, FinishReason::kCancelled);
  EXPECT_TRUE(queued_cancel.tokens.empty());
  EXPECT_EQ(b.finish.reason, FinishReason::kLength);
  EXPECT_EQ(b.tokens.size(), 8u);
  EXPECT_EQ(b.tokens, RunSession(model, Prompt(5, 1), Sampling(0.0f, 0, 8)).tokens);
  sched->Cancel(*id_b);  // already finished: ignored
  const SchedulerStats st = sched->stats();
  EXPECT_EQ(st.active_sequences, 0u);
  EXPECT_EQ(st.queue_depth, 0u);
  EXPECT_EQ(st.kv_tokens_used, 0u);
  for (auto* c : {&a, &b, &queued_cancel}) EXPECT_EQ(c->finish_calls, 1);
}

TEST(Scheduler, QueueOverflowIsResourceExhausted) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  SchedulerOptions o = Options(1);
  o.max_queue = 2;
  auto sched = MakeScheduler(model, o);
  ASSERT_NE(sched, nullptr);
  Gate gate;
  Collector running, q1, q2, extra;
  GenerationRequest r = Request(&running, Prompt(6), Sampling(0.0f, 0, 4));
  auto on_token = r.on_token;
  r.on_token = [&, on_token](const TokenEvent& e) {
    on_token(e);
    gate.Hit();
  };
  ASSERT_TRUE(sched->Submit(std::move(r)).ok());
  gate.reached.wait();
  EXPECT_TRUE(sched->Submit(Request(&q1, Prompt(6, 1), Sampling(0.0f, 0, 4))).ok());
  EXPECT_TRUE(sched->Submit(Request(&q2, Prompt(6, 2), Sampling(0.0f, 0, 4))).ok());
  auto rejected = sched->Submit(Request(&extra, Prompt(6, 3), Sampling(0.0f, 0, 4)));
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kResourceExhausted);
  gate.open_p.set_value();
  running.Wait();
  q1.Wait();
  q2.Wait();
  EXPECT_EQ(q2.tokens.size(), 4u);
  EXPECT_EQ(extra.finish_calls, 0);  // a rejected request never gets callbacks
}

TEST(Scheduler, InvalidRequestsAreRejected) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  auto sched = MakeScheduler(model, Options(2, 64));
  ASSERT_NE(sched, nullptr);
  Collector c;
  auto code = [&](GenerationRequest r) {
    auto s = sched->Submit(std::move(r));
    return s.ok() ? StatusCode::kOk : s.status().code();
  };
  EXPECT_EQ(code(Request(&c, {}, Sampling(0, 0, 4))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Request(&c, Prompt(65), Sampling(0, 0, 4))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Request(&c, {2, 5000}, Sampling(0, 0, 4))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Request(&c, {2, -1}, Sampling(0, 0, 4))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Request(&c, Prompt(4), Sampling(-1.0f, 0, 4))), StatusCode::kInvalidArgument);
  GenerationRequest bad_top = Request(&c, Prompt(4), Sampling(0, 0, 4));
  bad_top.options.sampling.top_p = 0.0f;
  EXPECT_EQ(code(std::move(bad_top)), StatusCode::kInvalidArgument);
  GenerationRequest many = Request(&c, Prompt(4), Sampling(0, 0, 4));
  many.top_logprobs = 21;
  EXPECT_EQ(code(std::move(many)), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.finish_calls, 0);

  SchedulerOptions zero = Options();
  zero.max_batch_size = 0;
  EXPECT_FALSE(Scheduler::Create(model, zero).ok());
  zero = Options();
  zero.prefill_chunk = 0;
  EXPECT_FALSE(Scheduler::Create(model, zero).ok());
  EXPECT_FALSE(Scheduler::Create(nullptr, Options()).ok());
  EXPECT_FALSE(Scheduler::Create(model, Options(2, 100000)).ok());  // beyond the trained context
}

TEST(Scheduler, FinishReasonsMatchSession) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  auto sched = MakeScheduler(model, Options(4));
  ASSERT_NE(sched, nullptr);
  const auto prompt = Prompt(7);

  // max_tokens.
  Collector len;
  ASSERT_TRUE(sched->Submit(Request(&len, prompt, Sampling(0.0f, 0, 12))).ok());
  len.Wait();
  EXPECT_EQ(len.finish.reason, FinishReason::kLength);
  EXPECT_EQ(len.finish.completion_tokens, 12u);

  // Stop string from the middle of the greedy text: cut there, not shown.
  ASSERT_GE(len.text.size(), 6u);
  GenerateOptions gs = Sampling(0.0f, 0, 12);
  gs.stop = {len.text.substr(len.text.size() / 2, 3)};
  Collector stop;
  ASSERT_TRUE(sched->Submit(Request(&stop, prompt, gs)).ok());
  stop.Wait();
  const GenerateResult want_stop = RunSession(model, prompt, gs);
  EXPECT_EQ(stop.finish.reason, FinishReason::kStop);
  EXPECT_EQ(stop.text, want_stop.text);
  EXPECT_EQ(stop.text.find(gs.stop[0]), std::string::npos);
  EXPECT_EQ(len.text.substr(0, stop.text.size()), stop.text);

  // EOS / <end_of_turn>: find a seed whose sampled stream hits one (random
  // weights, flat distribution at temperature 2), then expect the same stop.
  bool found = false;
  for (uint64_t seed = 0; seed < 200 && !found; ++seed) {
    const GenerateOptions ge = Sampling(2.0f, seed, 48, /*stop_at_eos=*/true);
    const GenerateResult want = RunSession(model, prompt, ge);
    if (want.finish_reason != FinishReason::kStop) continue;
    found = true;
    Collector eos;
    ASSERT_TRUE(sched->Submit(Request(&eos, prompt, ge)).ok());
    eos.Wait();
    EXPECT_EQ(eos.finish.reason, FinishReason::kStop) << "seed " << seed;
    EXPECT_EQ(eos.tokens, want.tokens);
    EXPECT_EQ(eos.text, want.text);
  }
  EXPECT_TRUE(found) << "no seed produced EOS; widen the search";

  // Context full: 16 positions, 10-token prompt -> 7 tokens (the last is
  // sampled but has no position to be fed), as Session.
  auto small = MakeScheduler(model, Options(2, 16));
  ASSERT_NE(small, nullptr);
  Collector full, exact;
  const GenerateOptions gl = Sampling(0.5f, 3, 100);
  ASSERT_TRUE(small->Submit(Request(&full, Prompt(10), gl)).ok());
  ASSERT_TRUE(small->Submit(Request(&exact, Prompt(16), gl)).ok());  // prompt fills the context
  full.Wait();
  exact.Wait();
  EXPECT_EQ(full.finish.reason, FinishReason::kLength);
  EXPECT_EQ(full.tokens, RunSession(model, Prompt(10), gl, 16).tokens);
  EXPECT_EQ(full.tokens.size(), 7u);
  EXPECT_EQ(exact.tokens.size(), 1u);
  EXPECT_EQ(exact.finish.reason, FinishReason::kLength);

  // max_tokens 0: finishes at once without running.
  Collector none;
  ASSERT_TRUE(sched->Submit(Request(&none, prompt, Sampling(0.0f, 0, 0))).ok());
  none.Wait();
  EXPECT_EQ(none.finish.reason, FinishReason::kLength);
  EXPECT_TRUE(none.tokens.empty());
}

// Streamed text equals Decode of the tokens (UTF-8 held back, nothing lost).
TEST(Scheduler, StreamedTextEqualsDecodedTokens) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  auto sched = MakeScheduler(model, Options(4));
  ASSERT_NE(sched, nullptr);
  std::vector<Collector> cs(4);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(sched->Submit(Request(&cs[i], Prompt(6, i), Sampling(1.5f, 50 + i, 64))).ok());
  }
  for (auto& c : cs) {
    c.Wait();
    EXPECT_EQ(c.text, model->tokenizer().Decode(c.tokens));
  }
}

TEST(Scheduler, LogprobsAreConsistent) {
  auto model = LoadOrDie(FixturePath(kGemmaQ8));
  ASSERT_NE(model, nullptr);
  const size_t nv = model->info().n_vocab;
  auto sched = MakeScheduler(model, Options(2));
  ASSERT_NE(sched, nullptr);
  const auto prompt = Prompt(8);
  Collector greedy, sampled;
  GenerationRequest rg = Request(&greedy, prompt, Sampling(0.0f, 0, 16));
  rg.logprobs = true;
  rg.top_logprobs = 5;
  GenerationRequest rs = Request(&sampled, prompt, Sampling(1.3f, 9, 16));
  rs.logprobs = true;
  rs.top_logprobs = 3;
  ASSERT_TRUE(sched->Submit(std::move(rg)).ok());
  ASSERT_TRUE(sched->Submit(std::move(rs)).ok());
  greedy.Wait();
  sampled.Wait();
  ASSERT_EQ(greedy.events.size(), 16u);
  for (const Collector* c : {&greedy, &sampled}) {
    for (const TokenEvent& e : c->events) {
      EXPECT_LE(e.logprob, 0.0f);
      EXPECT_LE(std::exp(e.logprob), 1.0f);
      ASSERT_EQ(e.top.size(), c == &greedy ? 5u : 3u);
      double mass = 0;
      for (size_t k = 0; k < e.top.size(); ++k) {
        mass += std::exp(static_cast<double>(e.top[k].logprob));
        if (k > 0) {
          EXPECT_GE(e.top[k - 1].logprob, e.top[k].logprob);
        }
        if (e.top[k].token == e.token) {
          EXPECT_EQ(e.top[k].logprob, e.logprob);
        }
      }
      EXPECT_LE(mass, 1.0 + 1e-6);
      EXPECT_LE(e.logprob, e.top[0].logprob);
    }
  }
  for (const TokenEvent& e : greedy.events) {
    EXPECT_EQ(e.top[0].token, e.token);  // temperature 0 picks the top
    EXPECT_EQ(e.top[0].logprob, e.logprob);
  }
  // The first token's logprob is the log-softmax of the prompt's last logits.
  EngineOptions eo;
  eo.num_threads = 2;
  eo.context_length = 512;
  auto session = Session::Create(model, eo);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->SetContext(prompt).ok());
  const float* row = (*session)->logits();
  double max = row[0], sum = 0;
  for (size_t i = 0; i < nv; ++i) max = std::max(max, static_cast<double>(row[i]));
  for (size_t i = 0; i < nv; ++i) sum += std::exp(row[i] - max);
  const double want = row[greedy.tokens[0]] - max - std::log(sum);
  EXPECT_NEAR(greedy.events[0].logprob, want, 1e-5);
  // Without the flags nothing is computed.
  Collector plain;
  ASSERT_TRUE(sched->Submit(Request(&plain, prompt, Sampling(0.0f, 0, 4))).ok());
  plain.Wait();
  for (const TokenEvent& e : plain.events) EXPECT_TRUE(e.top.empty());
}

TEST(Scheduler, StatsTrackWorkAndIdleSchedulerSleeps) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  auto sched = MakeScheduler(model, Options(3, 128));
  ASSERT_NE(sched, nullptr);
  EXPECT_EQ(sched->stats().kv_tokens_capacity, 3u * 128u);
  Gate gate;
  Collector c;
  GenerationRequest r = Request(&c, Prompt(10), Sampling(0.0f, 0, 5));
  auto on_token = r.on_token;
  r.on_token = [&, on_token](const TokenEvent& e) {
    on_token(e);
    if (c.tokens.size() == 2) gate.Hit();
  };
  ASSERT_TRUE(sched->Submit(std::move(r)).ok());
  gate.reached.wait();
  // Published after step 1 (prefill + first token); step 2 is in progress.
  SchedulerStats st = sched->stats();
  EXPECT_EQ(st.active_sequences, 1u);
  EXPECT_EQ(st.kv_tokens_used, 10u);
  EXPECT_EQ(st.steps, 1u);
  EXPECT_EQ(st.prompt_tokens, 10u);
  EXPECT_EQ(st.tokens_generated, 1u);
  gate.open_p.set_value();
  c.Wait();
  // The last Publish runs after on_finish: wait for it briefly.
  for (int i = 0; i < 200 && sched->stats().active_sequences != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  st = sched->stats();
  EXPECT_EQ(st.active_sequences, 0u);
  EXPECT_EQ(st.tokens_generated, 5u);
  EXPECT_EQ(st.steps, 5u);
  // Idle: no steps happen (the thread sleeps on its condition variable).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sched->stats().steps, st.steps);
}

TEST(Scheduler, DrainFinishesInFlightWorkThenRefuses) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  auto sched = MakeScheduler(model, Options(2));
  ASSERT_NE(sched, nullptr);
  std::vector<Collector> cs(4);  // 2 run, 2 queued
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(sched->Submit(Request(&cs[i], Prompt(6, i), Sampling(0.8f, i, 20))).ok());
  }
  sched->Drain(60.0);
  for (auto& c : cs) {
    ASSERT_EQ(c.done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_EQ(c.finish.reason, FinishReason::kLength);
    EXPECT_EQ(c.tokens.size(), 20u);
  }
  Collector late;
  auto refused = sched->Submit(Request(&late, Prompt(6), Sampling(0.0f, 0, 4)));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCancelled);
  sched->Drain(1.0);  // nothing left: returns at once
}

TEST(Scheduler, DrainTimeoutCancelsTheRest) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  auto sched = MakeScheduler(model, Options(1));
  ASSERT_NE(sched, nullptr);
  Collector slow, queued;
  GenerationRequest r = Request(&slow, Prompt(6), Sampling(0.0f, 0, 400));
  auto on_token = r.on_token;
  r.on_token = [on_token](const TokenEvent& e) {
    on_token(e);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a slow stream
  };
  ASSERT_TRUE(sched->Submit(std::move(r)).ok());
  ASSERT_TRUE(sched->Submit(Request(&queued, Prompt(6, 1), Sampling(0.0f, 0, 4))).ok());
  const auto t0 = std::chrono::steady_clock::now();
  sched->Drain(0.05);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  ASSERT_EQ(slow.done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  ASSERT_EQ(queued.done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(slow.finish.reason, FinishReason::kCancelled);
  EXPECT_LT(slow.tokens.size(), 400u);
  EXPECT_EQ(queued.finish.reason, FinishReason::kCancelled);
}

TEST(Scheduler, DestructorWithRequestsInFlightFinishesEachOnce) {
  auto model = LoadOrDie(FixturePath(kGemma3F32));
  ASSERT_NE(model, nullptr);
  std::vector<Collector> cs(12);  // 4 slots, 8 queued
  std::atomic<int> tokens{0};
  {
    SchedulerOptions o = Options(4);
    o.max_queue = 8;
    auto sched = MakeScheduler(model, o);
    ASSERT_NE(sched, nullptr);
    for (int i = 0; i < 12; ++i) {
      GenerationRequest r = Request(&cs[i], Prompt(20 + i, i), Sampling(1.0f, i, 500));
      auto on_token = r.on_token;
      r.on_token = [&tokens, on_token](const TokenEvent& e) {
        on_token(e);
        tokens.fetch_add(1);
      };
      ASSERT_TRUE(sched->Submit(std::move(r)).ok());
    }
    while (tokens.load() < 8) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }  // ~Scheduler
  for (auto& c : cs) {
    ASSERT_EQ(c.done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_EQ(c.finish_calls, 1);
    EXPECT_EQ(c.finish.reason, FinishReason::kCancelled);
  }
}

TEST(Scheduler, ConcurrentSubmitAndCancelFromManyThreads) {
  auto model = LoadOrDie(FixturePath(kGemmaQ8));
  ASSERT_NE(model, nullptr);
  SchedulerOptions o = Options(4);
  o.max_queue = 64;
  auto sched = MakeScheduler(model, o);
  ASSERT_NE(sched, nullptr);
  constexpr int kThreads = 4, kPerThread = 6;
  std::vector<Collector> cs(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int k = t * kPerThread + i;
        auto id =
            sched->Submit(Request(&cs[k], Prompt(4 + k % 7, k), Sampling(0.9f, k, 10 + k % 5)));
        ASSERT_TRUE(id.ok());
        if (k % 3 == 0) sched->Cancel(*id);
        (void)sched->stats();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < kThreads * kPerThread; ++k) {
    cs[k].Wait();
    EXPECT_EQ(cs[k].finish_calls, 1);
    if (k % 3 != 0) {
      EXPECT_EQ(cs[k].finish.reason, FinishReason::kLength);
      EXPECT_EQ(cs[k].tokens.size(), static_cast<size_t>(10 + k % 5));
    }
  }
}

}  // namespace
}  // namespace gemma::server
