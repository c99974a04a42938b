// Per-client token buckets: each key (API key, JWT subject or client IP) gets
// `burst` requests at once and `per_minute` more every minute. Thread-safe;
// memory bounded by pruning buckets that have refilled completely.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api_error.h"

namespace gemma::server {

struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;          // x-ratelimit-limit: requests per minute
  int64_t remaining = 0;      // x-ratelimit-remaining: whole tokens left
  double reset_seconds = 0;   // x-ratelimit-reset: until the bucket is full again
  double retry_after = 0;     // when refused: until one token is back
  Headers ToHeaders() const;  // x-ratelimit-* (+ Retry-After when refused)
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(int per_minute, int burst, size_t max_keys = 100000);

  RateDecision Take(const std::string& key, Clock::time_point now = Clock::now());
  size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  void Refill(Bucket* b, Clock::time_point now) const;
  void Prune(Clock::time_point now);

  double rate_per_second_;
  double burst_;
  int64_t per_minute_;
  size_t max_keys_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace gemma::server
