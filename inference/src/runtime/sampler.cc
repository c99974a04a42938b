// Token sampler: penalties -> greedy | temperature -> top-k -> softmax ->
// top-p -> min-p -> draw.
//
// Reproducibility: the same seed and logits give the same token on every
// platform (Linux, Windows/MinGW, wasm). Therefore nothing here depends on
// implementation-defined library behaviour:
//  * the RNG is xoshiro256** seeded through splitmix64, and uniform doubles
//    are built from the top 53 bits (no std::uniform_real_distribution);
//  * exp() is our own (range reduction + polynomial in double, ldexp), since
//    libm implementations may differ in the last ulp;
//  * candidates are always visited in a canonical order (token id order, or
//    sorted by (logit desc, id asc) — a strict total order, so std::sort /
//    nth_element / partial_sort produce identical results across standard
//    libraries);
//  * floating-point contraction is disabled for this file (CMake adds
//    -ffp-contract=off; the pragma covers clang), so FMA hardware does not
//    change results.
#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <new>
#include <string>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace gemma {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
// Windows longer than this reserve this much up front and grow in Accept()
// (never in Sample()) only if that many tokens are actually accepted.
constexpr size_t kMaxRingReserve = size_t{1} << 20;

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Deterministic exp for x <= 0 (returns 0 below the double range, incl. -inf
// and NaN). Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, then a degree-13
// Taylor polynomial (truncation error < 1e-17 relative) and an exact ldexp.
double DetExp(double x) {
  if (!(x > -745.0)) return 0.0;
  if (x >= 0.0) x = 0.0;  // callers pass max-subtracted values; clamp -0/rounding
  constexpr double kInvLn2 = 1.4426950408889634074;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // low bits zero: k*kLn2Hi exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double k = std::nearbyint(x * kInvLn2);
  const double hi = x - k * kLn2Hi;
  const double lo = k * kLn2Lo;
  const double r = hi - lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;  // 1/12!
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return std::ldexp(p, static_cast<int>(k));
}

std::string Fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

Status BadField(const char* field, const std::string& rule, double got) {
  return InvalidArgument("SamplingParams." + std::string(field) + " must be " + rule + " (got " +
                         Fmt(got) + ")");
}

Status Validate(size_t vocab_size, const SamplingParams& p) {
  if (vocab_size == 0 || vocab_size > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return InvalidArgument("Sampler vocab_size must be in [1, 2^31-1] (got " +
                           std::to_string(vocab_size) + ")");
  }
  if (!(p.temperature >= 0.0f)) return BadField("temperature", ">= 0", p.temperature);
  if (p.top_k < 0) return BadField("top_k", ">= 0 (0 = off)", p.top_k);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return BadField("top_p", "in (0, 1]", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return BadField("min_p", "in [0, 1]", p.min_p);
  if (!(p.repetition_penalty > 0.0f && std::isfinite(p.repetition_penalty))) {
    return BadField("repetition_penalty", "finite and > 0 (1 = off)", p.repetition_penalty);
  }
  if (!(p.presence_penalty >= -2.0f && p.presence_penalty <= 2.0f)) {
    return BadField("presence_penalty", "in [-2, 2]", p.presence_penalty);
  }
  if (!(p.frequency_penalty >= -2.0f && p.frequency_penalty <= 2.0f)) {
    return BadField("frequency_penalty", "in [-2, 2]", p.frequency_penalty);
  }
  if (p.penalty_last_n < -1) {
    return BadField("penalty_last_n", ">= -1 (-1 = whole history)", p.penalty_last_n);
  }
  return Status::Ok();
}

}  // namespace

Sampler::Sampler(size_t vocab_size, const SamplingParams& params)
    : params_(params),
      vocab_size_(vocab_size),
      candidates_(vocab_size),
      weights_(vocab_size),
      counts_(vocab_size, 0) {
  penalties_on_ = params_.penalty_last_n != 0 &&
                  (params_.repetition_penalty != 1.0f || params_.presence_penalty != 0.0f ||
                   params_.frequency_penalty != 0.0f);
  if (params_.penalty_last_n == -1) {
    history_.reserve(vocab_size);
  } else if (params_.penalty_last_n > 0) {
    history_.reserve(std::min(static_cast<size_t>(params_.penalty_last_n), kMaxRingReserve));
  }
  Reset(params_.seed);
}

StatusOr<Sampler> Sampler::Create(size_t vocab_size, const SamplingParams& params) {
  GEMMA_RETURN_IF_ERROR(Validate(vocab_size, params));
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
    return Sampler(vocab_size, params);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("Sampler: cannot allocate buffers for vocab_size " +
                             std::to_string(vocab_size));
  }
#else
  return Sampler(vocab_size, params);
#endif
}

void Sampler::Reset(uint64_t seed) {
  params_.seed = seed;
  uint64_t s = seed;
  for (uint64_t& word : rng_) word = SplitMix64(s);
  for (int32_t t : history_) counts_[t] = 0;
  history_.clear();  // keeps capacity
  ring_pos_ = 0;
}

uint64_t Sampler::NextRandom() {
  const uint64_t result = Rotl(rng_[1] * 5, 7) * 9;
  const uint64_t t = rng_[1] << 17;
  rng_[2] ^= rng_[0];
  rng_[3] ^= rng_[1];
  rng_[1] ^= rng_[2];
  rng_[0] ^= rng_[3];
  rng_[2] ^= t;
  rng_[3] = Rotl(rng_[3], 45);
  return result;
}

void Sampler::Accept(int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= vocab_size_) return;
  const int n = params_.penalty_last_n;
  if (n == 0) return;
  int32_t& count = counts_[token];
  if (n == -1) {
    if (count == 0) history_.push_back(token);  // capacity vocab_size: no allocation
    if (count < std::numeric_limits<int32_t>::max()) ++count;
    return;
  }
  const size_t window = static_cast<size_t>(n);
  if (history_.size() < window) {
    history_.push_back(token);
  } else {
    --counts_[history_[ring_pos_]];
    history_[ring_pos_] = token;
    ring_pos_ = ring_pos_ + 1 == window ? 0 : ring_pos_ + 1;
  }
  ++count;
}

void Sampler::ApplyPenalties(float* logits) {
  const float rep = params_.repetition_penalty;
  const float presence = params_.presence_penalty;
  const float frequency = params_.frequency_penalty;
  auto apply = [&](int32_t t, int32_t c) {
    float l = logits[t];
    if (rep != 1.0f) l = l > 0.0f ? l / rep : l * rep;
    l -= presence * (c > 0 ? 1.0f : 0.0f) + frequency * static_cast<float>(c);
    logits[t] = l;
  };
  if (params_.penalty_last_n == -1) {
    for (int32_t t : history_) apply(t, counts_[t]);  // distinct tokens
    return;
  }
  // The ring may hold a token several times: penalize it once, marking it
  // done by negating its count, then restore the counts.
  for (int32_t t : history_) {
    if (counts_[t] > 0) {
      apply(t, counts_[t]);
      counts_[t] = -counts_[t];
    }
  }
  for (int32_t t : history_) {
    if (counts_[t] < 0) counts_[t] = -counts_[t];
  }
}

int32_t Sampler::Greedy(const float* logits) const {
  // Strict '>' keeps the lowest id on ties and skips NaN; if every logit is
  // -inf or NaN there is nothing better than token 0.
  int32_t best = 0;
  float best_logit = -kInf;
  for (size_t i = 0; i < vocab_size_; ++i) {
    if (logits[i] > best_logit) {
      best_logit = logits[i];
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

int32_t Sampler::Sample(float* logits) {
  if (penalties_on_) ApplyPenalties(logits);
  if (params_.temperature == 0.0f) return Greedy(logits);

  // Candidates: every token whose logit is not -inf / NaN, in id order.
  int32_t* cand = candidates_.data();
  double* w = weights_.data();
  size_t n = 0;
  float max_logit = -kInf;
  for (size_t i = 0; i < vocab_size_; ++i) {
    const float l = logits[i];
    if (l > -kInf) {  // false for -inf and NaN
      cand[n++] = static_cast<int32_t>(i);
      if (l > max_logit) max_logit = l;
    }
  }
  if (n == 0) return 0;  // nothing samplable; same answer as greedy

  // Strict total order: higher logit first, lower id on ties.
  auto better = [logits](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  bool sorted = false;

  // Top-k: O(V) selection, then sort only the k survivors.
  const size_t k = static_cast<size_t>(params_.top_k);
  if (k > 0 && k < n) {
    std::nth_element(cand, cand + (k - 1), cand + n, better);
    n = k;
    std::sort(cand, cand + n, better);
    sorted = true;
  }

  // Softmax weights relative to the max (the max token has weight exactly 1).
  double sum = 0.0;
  if (max_logit == kInf) {
    for (size_t j = 0; j < n; ++j) {
      w[cand[j]] = logits[cand[j]] == kInf ? 1.0 : 0.0;
      sum += w[cand[j]];
    }
  } else {
    const double max_d = static_cast<double>(max_logit);
    const double temperature = static_cast<double>(params_.temperature);
    for (size_t j = 0; j < n; ++j) {
      const double x = (static_cast<double>(logits[cand[j]]) - max_d) / temperature;
      w[cand[j]] = DetExp(x);
      sum += w[cand[j]];
    }
  }

  // Top-p: smallest prefix (by probability) whose mass reaches top_p. Sort
  // only as much as needed: a growing partially sorted prefix.
  if (params_.top_p < 1.0f) {
    const double threshold = static_cast<double>(params_.top_p) * sum;
    size_t m = sorted ? n : std::min<size_t>(n, 64);
    for (;;) {
      if (!sorted) std::partial_sort(cand, cand + m, cand + n, better);
      double cum = 0.0;
      size_t cut = 0;
      for (size_t j = 0; j < m; ++j) {
        cum += w[cand[j]];
        if (cum >= threshold) {
          cut = j + 1;
          break;
        }
      }
      if (cut != 0) {
        n = cut;
        break;
      }
      if (m == n) break;  // rounding: keep everything
      m = std::min(n, m * 8);
    }
    sorted = true;
  }

  // Min-p: keep p >= min_p * p_max; p_max has weight 1. Stable compaction.
  if (params_.min_p > 0.0f) {
    const double floor_w = static_cast<double>(params_.min_p);
    size_t kept = 0;
    for (size_t j = 0; j < n; ++j) {
      if (w[cand[j]] >= floor_w) cand[kept++] = cand[j];
    }
    n = kept;  // >= 1: the max token (weight 1) always passes
  }

  // Draw.
  double total = 0.0;
  for (size_t j = 0; j < n; ++j) total += w[cand[j]];
  const double u = static_cast<double>(NextRandom() >> 11) * 0x1.0p-53;  // [0, 1)
  const double target = u * total;
  double cum = 0.0;
  int32_t last = cand[0];
  for (size_t j = 0; j < n; ++j) {
    const double wj = w[cand[j]];
    if (wj > 0.0) {
      cum += wj;
      last = cand[j];
      if (cum > target) return cand[j];
    }
  }
  return last;  // rounding at the top end
}

}  // namespace gemma
