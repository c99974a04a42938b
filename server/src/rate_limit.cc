#include "rate_limit.h"

#include <algorithm>
#include <cmath>

namespace gemma::server {

Headers RateDecision::ToHeaders() const {
  Headers h = {
      {"x-ratelimit-limit", std::to_string(limit)},
      {"x-ratelimit-remaining", std::to_string(remaining)},
      {"x-ratelimit-reset", std::to_string(static_cast<int64_t>(std::ceil(reset_seconds)))}};
  if (!allowed) {
    h.emplace_back("Retry-After", std::to_string(std::max<int64_t>(
                                      1, static_cast<int64_t>(std::ceil(retry_after)))));
  }
  return h;
}

RateLimiter::RateLimiter(int per_minute, int burst, size_t max_keys)
    : rate_per_second_(per_minute / 60.0),
      burst_(std::max(1, burst)),
      per_minute_(per_minute),
      max_keys_(std::max<size_t>(max_keys, 1)) {}

void RateLimiter::Refill(Bucket* b, Clock::time_point now) const {
  const double dt = std::chrono::duration<double>(now - b->updated).count();
  if (dt > 0) {
    b->tokens = std::min(burst_, b->tokens + dt * rate_per_second_);
    b->updated = now;
  }
}

void RateLimiter::Prune(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(&it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  // Still too many clients mid-burst: forget the fullest half. Forgetting a
  // bucket only ever favours that client, so this is safe, merely lenient.
  if (buckets_.size() >= max_keys_) {
    std::vector<double> levels;
    for (auto& [k, b] : buckets_) levels.push_back(b.tokens);
    std::nth_element(levels.begin(), levels.begin() + levels.size() / 2, levels.end());
    const double median = levels[levels.size() / 2];
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      it = it->second.tokens >= median ? buckets_.erase(it) : std::next(it);
    }
  }
}

RateDecision RateLimiter::Take(const std::string& key, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) Prune(now);
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  Refill(&b, now);
  RateDecision d;
  d.limit = per_minute_;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after = (1.0 - b.tokens) / rate_per_second_;
  }
  d.remaining = static_cast<int64_t>(std::floor(b.tokens));
  d.reset_seconds = (burst_ - b.tokens) / rate_per_second_;
  return d;
}

size_t RateLimiter::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace gemma::server
