// Token buckets: burst, refill, per-key independence, headers, memory bound.
#include "rate_limit.h"

#include <gtest/gtest.h>

namespace gemma::server {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Header(const Headers& h, const std::string& name) {
  for (const auto& [k, v] : h) {
    if (k == name) return v;
  }
  return "";
}

TEST(RateLimiter, BurstThenRefuse) {
  RateLimiter rl(60, 3);
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) {
    RateDecision d = rl.Take("a", t0);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 2 - i);
    EXPECT_EQ(d.limit, 60);
  }
  RateDecision d = rl.Take("a", t0);
  EXPECT_FALSE(d.allowed);
  EXPECT_NEAR(d.retry_after, 1.0, 1e-6);  // one token per second at 60/min
  Headers h = d.ToHeaders();
  EXPECT_EQ(Header(h, "Retry-After"), "1");
  EXPECT_EQ(Header(h, "x-ratelimit-limit"), "60");
  EXPECT_EQ(Header(h, "x-ratelimit-remaining"), "0");
  EXPECT_EQ(Header(h, "x-ratelimit-reset"), "3");
}

TEST(RateLimiter, Refills) {
  RateLimiter rl(60, 2);
  const auto t0 = Clock::now();
  EXPECT_TRUE(rl.Take("a", t0).allowed);
  EXPECT_TRUE(rl.Take("a", t0).allowed);
  EXPECT_FALSE(rl.Take("a", t0 + milliseconds(500)).allowed);
  EXPECT_TRUE(rl.Take("a", t0 + milliseconds(1100)).allowed);
  EXPECT_FALSE(rl.Take("a", t0 + milliseconds(1200)).allowed);
  // Never more than the burst, however long the wait.
  EXPECT_TRUE(rl.Take("a", t0 + seconds(3600)).allowed);
  EXPECT_TRUE(rl.Take("a", t0 + seconds(3600)).allowed);
  EXPECT_FALSE(rl.Take("a", t0 + seconds(3600)).allowed);
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter rl(10, 1);
  const auto t0 = Clock::now();
  EXPECT_TRUE(rl.Take("key:1", t0).allowed);
  EXPECT_FALSE(rl.Take("key:1", t0).allowed);
  EXPECT_TRUE(rl.Take("jwt:alice", t0).allowed);
  EXPECT_TRUE(rl.Take("ip:127.0.0.1", t0).allowed);
  EXPECT_FALSE(rl.Take("ip:127.0.0.1", t0).allowed);
  EXPECT_NEAR(rl.Take("key:1", t0).retry_after, 6.0, 1e-6);  // 10/min
}

TEST(RateLimiter, AllowedHeadersHaveNoRetryAfter) {
  RateLimiter rl(60, 5);
  Headers h = rl.Take("a").ToHeaders();
  EXPECT_EQ(Header(h, "Retry-After"), "");
  EXPECT_EQ(Header(h, "x-ratelimit-remaining"), "4");
}

TEST(RateLimiter, MemoryBounded) {
  RateLimiter rl(60, 2, /*max_keys=*/100);
  const auto t0 = Clock::now();
  for (int i = 0; i < 10000; ++i) rl.Take("ip:" + std::to_string(i), t0);
  EXPECT_LE(rl.size(), 100u);
  // Full buckets are forgotten first: an hour later all are full again.
  rl.Take("new", t0 + seconds(3600));
  EXPECT_LE(rl.size(), 2u);
}

}  // namespace
}  // namespace gemma::server
