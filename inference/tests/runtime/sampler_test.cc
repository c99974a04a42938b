#include "runtime/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "alloc_counter.h"

namespace gemma {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Sampler MakeSampler(size_t vocab, const SamplingParams& p) {
  StatusOr<Sampler> s = Sampler::Create(vocab, p);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

// Deterministic pseudo-random logits for tests (not the sampler's RNG).
std::vector<float> TestLogits(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (float& f : v) {
    x = x * 1664525u + 1013904223u;
    f = static_cast<float>(x >> 8) / static_cast<float>(1u << 24) * 8.0f - 4.0f;
  }
  return v;
}

int32_t Argmax(const std::vector<float>& v) {
  int32_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

TEST(SamplerTest, GreedyPicksArgmax) {
  SamplingParams p;  // temperature 0
  Sampler s = MakeSampler(5, p);
  std::vector<float> l = {0.1f, 3.0f, -2.0f, 2.9f, 1.0f};
  EXPECT_EQ(s.Sample(l.data()), 1);
  for (uint32_t seed = 0; seed < 20; ++seed) {
    std::vector<float> r = TestLogits(1000, seed);
    Sampler g = MakeSampler(r.size(), p);
    EXPECT_EQ(g.Sample(r.data()), Argmax(r));
  }
}

TEST(SamplerTest, GreedyTiesPickLowestId) {
  Sampler s = MakeSampler(6, SamplingParams{});
  std::vector<float> l = {1.0f, 5.0f, 2.0f, 5.0f, 5.0f, -1.0f};
  EXPECT_EQ(s.Sample(l.data()), 1);
  std::vector<float> all_same(6, 0.5f);
  EXPECT_EQ(s.Sample(all_same.data()), 0);
}

std::vector<int32_t> Draw(Sampler& s, const std::vector<float>& logits, int n) {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    std::vector<float> l = logits;
    out.push_back(s.Sample(l.data()));
  }
  return out;
}

TEST(SamplerTest, SameSeedSameSequenceDifferentSeedsDiffer) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 1234;
  const std::vector<float> logits = TestLogits(50, 7);
  Sampler a = MakeSampler(50, p);
  Sampler b = MakeSampler(50, p);
  const std::vector<int32_t> seq_a = Draw(a, logits, 200);
  EXPECT_EQ(seq_a, Draw(b, logits, 200));
  p.seed = 1235;
  Sampler c = MakeSampler(50, p);
  EXPECT_NE(seq_a, Draw(c, logits, 200));
  // Reset(seed) restarts the sequence.
  a.Reset(1234);
  EXPECT_EQ(seq_a, Draw(a, logits, 200));
  EXPECT_EQ(a.params().seed, 1234u);
}

// The same seed gives the same tokens on every platform (Linux, MinGW under
// wine, qemu-aarch64, wasm): the RNG, exp and candidate order are all our own.
// These values are the x86-64 Linux results; other targets must match.
TEST(SamplerTest, GoldenSequenceIsPlatformIndependent) {
  SamplingParams p;
  p.temperature = 0.8f;
  p.top_k = 40;
  p.top_p = 0.95f;
  p.min_p = 0.02f;
  p.repetition_penalty = 1.1f;
  p.presence_penalty = 0.2f;
  p.frequency_penalty = 0.1f;
  p.seed = 42;
  const size_t vocab = 1000;
  Sampler s = MakeSampler(vocab, p);
  std::vector<int32_t> got;
  for (int i = 0; i < 24; ++i) {
    std::vector<float> l = TestLogits(vocab, static_cast<uint32_t>(i % 3));
    const int32_t t = s.Sample(l.data());
    s.Accept(t);
    got.push_back(t);
  }
  const std::vector<int32_t> expected = {533, 458, 863, 284, 987, 305, 113, 948,
                                         590, 753, 370, 536, 415, 784, 632, 512,
                                         760, 721, 966, 101, 662, 357, 291, 818};
  EXPECT_EQ(got, expected);
}

TEST(SamplerTest, TopK1EqualsGreedy) {
  SamplingParams p;
  p.temperature = 1.5f;
  p.top_k = 1;
  for (uint32_t seed = 0; seed < 30; ++seed) {
    std::vector<float> l = TestLogits(2000, seed);
    l[seed * 7] = l[Argmax(l)];  // a tie with a possibly lower id
    const int32_t want = Argmax(l);
    p.seed = seed;
    Sampler s = MakeSampler(l.size(), p);
    for (int i = 0; i < 5; ++i) {
      std::vector<float> c = l;
      EXPECT_EQ(s.Sample(c.data()), want);
    }
  }
}

TEST(SamplerTest, TinyTopPEqualsGreedy) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 1e-6f;
  for (uint32_t seed = 0; seed < 30; ++seed) {
    std::vector<float> l = TestLogits(3000, seed + 100);
    l[seed] = l[Argmax(l)];
    const int32_t want = Argmax(l);
    p.seed = seed;
    Sampler s = MakeSampler(l.size(), p);
    for (int i = 0; i < 5; ++i) {
      std::vector<float> c = l;
      EXPECT_EQ(s.Sample(c.data()), want);
    }
  }
}

std::vector<int> Histogram(Sampler& s, const std::vector<float>& logits, int draws) {
  std::vector<int> h(logits.size(), 0);
  for (int i = 0; i < draws; ++i) {
    std::vector<float> l = logits;
    const int32_t t = s.Sample(l.data());
    EXPECT_GE(t, 0);
    EXPECT_LT(t, static_cast<int32_t>(logits.size()));
    if (t >= 0 && t < static_cast<int32_t>(h.size())) ++h[t];
  }
  return h;
}

// Probabilities 0.5, 0.3, 0.15, 0.05 at temperature 1.
std::vector<float> FourTokenLogits() {
  return {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
}

TEST(SamplerTest, TopKRestrictsToKBest) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 2;
  Sampler s = MakeSampler(4, p);
  const std::vector<int> h = Histogram(s, FourTokenLogits(), 20000);
  EXPECT_EQ(h[2], 0);
  EXPECT_EQ(h[3], 0);
  EXPECT_NEAR(h[0] / 20000.0, 0.5 / 0.8, 0.02);
}

TEST(SamplerTest, TopPKeepsSmallestNucleus) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.7f;  // 0.5 < 0.7 <= 0.8: keeps tokens 0 and 1
  Sampler s = MakeSampler(4, p);
  const std::vector<int> h = Histogram(s, FourTokenLogits(), 20000);
  EXPECT_GT(h[0], 0);
  EXPECT_GT(h[1], 0);
  EXPECT_EQ(h[2], 0);
  EXPECT_EQ(h[3], 0);
  // Nucleus over a large vocab (exercises the incremental partial sort).
  p.top_p = 0.5f;
  std::vector<float> big = TestLogits(5000, 3);
  for (float& f : big) f *= 0.1f;  // flat: the nucleus spans thousands of tokens
  Sampler sb = MakeSampler(big.size(), p);
  std::vector<int> hb = Histogram(sb, big, 2000);
  // Never picks a token whose logit is below the weakest kept one by a margin:
  // every chosen token must be among the top ~60% by logit.
  std::vector<float> sorted = big;
  std::sort(sorted.begin(), sorted.end(), std::greater<float>());
  const float cutoff = sorted[sorted.size() * 6 / 10];
  for (size_t i = 0; i < big.size(); ++i) {
    if (hb[i] > 0) {
      EXPECT_GE(big[i], cutoff) << i;
    }
  }
}

TEST(SamplerTest, MinP) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.min_p = 0.25f;  // keep p >= 0.125: tokens 0, 1, 2
  Sampler s = MakeSampler(4, p);
  std::vector<int> h = Histogram(s, FourTokenLogits(), 20000);
  EXPECT_EQ(h[3], 0);
  EXPECT_NEAR(h[2] / 20000.0, 0.15 / 0.95, 0.02);
  p.min_p = 0.7f;  // keep p >= 0.35: token 0 only
  Sampler s2 = MakeSampler(4, p);
  h = Histogram(s2, FourTokenLogits(), 1000);
  EXPECT_EQ(h[0], 1000);
  p.min_p = 1.0f;  // only the max (all ties of it)
  Sampler s3 = MakeSampler(4, p);
  h = Histogram(s3, {1.0f, 3.0f, 3.0f, 2.9f}, 2000);
  EXPECT_EQ(h[0] + h[3], 0);
  EXPECT_GT(h[1], 0);
  EXPECT_GT(h[2], 0);
}

// Temperature sampling matches softmax(logits / T).
TEST(SamplerTest, FrequenciesMatchSoftmax) {
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f, -1.0f};
  for (float temperature : {0.7f, 1.0f, 2.0f}) {
    SamplingParams p;
    p.temperature = temperature;
    p.seed = 99;
    Sampler s = MakeSampler(4, p);
    constexpr int kDraws = 200000;
    const std::vector<int> h = Histogram(s, logits, kDraws);
    double z = 0;
    std::array<double, 4> e{};
    for (int i = 0; i < 4; ++i) z += e[i] = std::exp(logits[i] / temperature);
    for (int i = 0; i < 4; ++i) {
      // 5 sigma of a binomial with 200k draws is < 0.0056.
      EXPECT_NEAR(h[i] / static_cast<double>(kDraws), e[i] / z, 0.006)
          << "T=" << temperature << " token " << i;
    }
  }
}

TEST(SamplerTest, RepetitionPenalty) {
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  Sampler s = MakeSampler(6, p);
  s.Accept(1);
  s.Accept(2);
  s.Accept(1);  // counted once for the repetition penalty
  s.Accept(3);
  std::vector<float> l = {1.0f, 4.0f, -1.0f, 0.0f, 3.0f, 2.0f};
  EXPECT_EQ(s.Sample(l.data()), 4);  // 4 beat the penalized 1
  EXPECT_EQ(l, (std::vector<float>{1.0f, 2.0f, -2.0f, 0.0f, 3.0f, 2.0f}));
}

TEST(SamplerTest, PresenceAndFrequencyPenalties) {
  SamplingParams p;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  Sampler s = MakeSampler(5, p);
  for (int32_t t : {2, 2, 2, 4}) s.Accept(t);
  std::vector<float> l = {0.0f, 0.0f, 3.0f, 0.0f, -1.0f};
  s.Sample(l.data());
  // token 2: 3 - (0.5 + 3 * 0.25); token 4: -1 - (0.5 + 0.25).
  EXPECT_EQ(l, (std::vector<float>{0.0f, 0.0f, 1.75f, 0.0f, -1.75f}));
}

TEST(SamplerTest, PenaltyWindow) {
  SamplingParams p;
  p.frequency_penalty = 1.0f;
  p.penalty_last_n = 3;
  Sampler s = MakeSampler(5, p);
  for (int32_t t : {0, 1, 1, 2, 3}) s.Accept(t);  // window: 1, 2, 3
  std::vector<float> l(5, 0.0f);
  s.Sample(l.data());
  EXPECT_EQ(l, (std::vector<float>{0.0f, -1.0f, -1.0f, -1.0f, 0.0f}));
  // Penalties are applied once per Sample and the counts survive it.
  std::vector<float> l2(5, 0.0f);
  s.Sample(l2.data());
  EXPECT_EQ(l2, l);
  // Whole history (-1), cumulative counts.
  p.penalty_last_n = -1;
  Sampler all = MakeSampler(5, p);
  for (int32_t t : {0, 1, 1, 2, 3, 1}) all.Accept(t);
  std::vector<float> l3(5, 0.0f);
  all.Sample(l3.data());
  EXPECT_EQ(l3, (std::vector<float>{-1.0f, -3.0f, -1.0f, -1.0f, 0.0f}));
  // Window 0 disables penalties.
  p.penalty_last_n = 0;
  Sampler none = MakeSampler(5, p);
  none.Accept(1);
  std::vector<float> l4(5, 0.0f);
  none.Sample(l4.data());
  EXPECT_EQ(l4, std::vector<float>(5, 0.0f));
}

TEST(SamplerTest, AcceptIgnoresOutOfRangeAndResetForgets) {
  SamplingParams p;
  p.presence_penalty = 1.0f;
  Sampler s = MakeSampler(3, p);
  s.Accept(-1);
  s.Accept(3);
  s.Accept(1000000);
  std::vector<float> l(3, 0.0f);
  s.Sample(l.data());
  EXPECT_EQ(l, std::vector<float>(3, 0.0f));
  s.Accept(2);
  s.Reset(5);
  s.Sample(l.data());
  EXPECT_EQ(l, std::vector<float>(3, 0.0f));
}

TEST(SamplerTest, InvalidParamsNameTheField) {
  struct Case {
    const char* field;
    SamplingParams p;
  };
  std::vector<Case> cases;
  auto add = [&](const char* field, auto mutate) {
    SamplingParams p;
    mutate(p);
    cases.push_back({field, p});
  };
  add("temperature", [](SamplingParams& p) { p.temperature = -0.1f; });
  add("temperature", [](SamplingParams& p) { p.temperature = kNaN; });
  add("top_k", [](SamplingParams& p) { p.top_k = -1; });
  add("top_p", [](SamplingParams& p) { p.top_p = 0.0f; });
  add("top_p", [](SamplingParams& p) { p.top_p = 1.5f; });
  add("top_p", [](SamplingParams& p) { p.top_p = kNaN; });
  add("min_p", [](SamplingParams& p) { p.min_p = -0.1f; });
  add("min_p", [](SamplingParams& p) { p.min_p = 1.01f; });
  add("min_p", [](SamplingParams& p) { p.min_p = kNaN; });
  add("repetition_penalty", [](SamplingParams& p) { p.repetition_penalty = 0.0f; });
  add("repetition_penalty", [](SamplingParams& p) { p.repetition_penalty = -1.0f; });
  add("repetition_penalty", [](SamplingParams& p) { p.repetition_penalty = kNaN; });
  add("presence_penalty", [](SamplingParams& p) { p.presence_penalty = 2.5f; });
  add("presence_penalty", [](SamplingParams& p) { p.presence_penalty = kNaN; });
  add("frequency_penalty", [](SamplingParams& p) { p.frequency_penalty = -2.01f; });
  add("penalty_last_n", [](SamplingParams& p) { p.penalty_last_n = -2; });
  for (const Case& c : cases) {
    StatusOr<Sampler> s = Sampler::Create(10, c.p);
    ASSERT_FALSE(s.ok()) << c.field;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(c.field), std::string::npos) << s.status().message();
  }
  EXPECT_FALSE(Sampler::Create(0, SamplingParams{}).ok());
  // Boundary values are valid.
  SamplingParams ok;
  ok.top_p = 1.0f;
  ok.min_p = 1.0f;
  ok.presence_penalty = -2.0f;
  ok.frequency_penalty = 2.0f;
  ok.penalty_last_n = -1;
  EXPECT_TRUE(Sampler::Create(10, ok).ok());
}

TEST(SamplerTest, NaNAndInfLogits) {
  const std::vector<float> logits = {-kInf, kNaN, 1.0f, -kInf, 0.5f, kNaN, 2.0f, -kInf};
  for (float temperature : {0.0f, 0.5f, 1.0f, 100.0f}) {
    SamplingParams p;
    p.temperature = temperature;
    p.top_p = 0.99f;
    p.min_p = 0.001f;
    p.repetition_penalty = 1.3f;
    p.frequency_penalty = 0.5f;
    Sampler s = MakeSampler(logits.size(), p);
    s.Accept(0);
    s.Accept(1);
    s.Accept(6);
    for (int i = 0; i < 2000; ++i) {
      std::vector<float> l = logits;
      const int32_t t = s.Sample(l.data());
      ASSERT_TRUE(t == 2 || t == 4 || t == 6) << "T=" << temperature << " token " << t;
    }
  }
  // All -inf / NaN: no crash, a valid id.
  SamplingParams p;
  p.temperature = 1.0f;
  Sampler s = MakeSampler(3, p);
  std::vector<float> dead = {-kInf, kNaN, -kInf};
  EXPECT_EQ(s.Sample(dead.data()), 0);
  // +inf dominates; ties among +inf are sampled among themselves.
  std::vector<float> hot = {1.0f, kInf, 3.0f};
  EXPECT_EQ(s.Sample(hot.data()), 1);
  // Tiny temperature overflows logits/T: still the argmax.
  p.temperature = 1e-30f;
  Sampler cold = MakeSampler(3, p);
  std::vector<float> c = {1.0f, 1.5f, -3.0f};
  EXPECT_EQ(cold.Sample(c.data()), 1);
}

TEST(SamplerTest, LargeVocabTopKStaysInTopK) {
  SamplingParams p;
  p.temperature = 5.0f;
  p.top_k = 40;
  const size_t vocab = 256000;
  std::vector<float> l = TestLogits(vocab, 11);
  std::vector<float> sorted = l;
  std::nth_element(sorted.begin(), sorted.begin() + 39, sorted.end(), std::greater<float>());
  const float kth = sorted[39];
  Sampler s = MakeSampler(vocab, p);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> c = l;
    const int32_t t = s.Sample(c.data());
    EXPECT_GE(l[t], kth);
  }
}

TEST(SamplerTest, SampleAndAcceptDoNotAllocate) {
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_k = 50;
  p.top_p = 0.9f;
  p.min_p = 0.05f;
  p.repetition_penalty = 1.2f;
  p.presence_penalty = 0.3f;
  p.frequency_penalty = 0.3f;
  p.penalty_last_n = 64;
  const size_t vocab = 32000;
  std::vector<float> base = TestLogits(vocab, 5);
  std::vector<float> work(vocab);
  for (int window : {64, -1}) {
    for (int top_k : {50, 0}) {
      p.penalty_last_n = window;
      p.top_k = top_k;
      Sampler s = MakeSampler(vocab, p);
      const size_t before = testing::AllocationCount();
      for (int i = 0; i < 200; ++i) {
        std::copy(base.begin(), base.end(), work.begin());
        const int32_t t = s.Sample(work.data());
        s.Accept(t);
        s.Accept(i * 37 % static_cast<int>(vocab));
      }
      s.Reset(3);
      const size_t after = testing::AllocationCount();
      EXPECT_EQ(after - before, 0u) << "window " << window << " top_k " << top_k;
    }
  }
}

}  // namespace
}  // namespace gemma
