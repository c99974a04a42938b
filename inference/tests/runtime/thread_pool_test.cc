#include "runtime/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "alloc_counter.h"

namespace gemma {
namespace {

constexpr size_t kMaxThreads = 8;

TEST(ThreadPoolTest, ZeroThreadsMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.num_threads(), 1u);
  int runs = 0;
  pool.ParallelFor(3, [&](size_t, size_t thread) {
    EXPECT_EQ(thread, 0u);
    ++runs;
  });
  EXPECT_EQ(runs, 3);
}

TEST(ThreadPoolTest, SingleThreadRunsInlineOnCaller) {
  ThreadPool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<size_t> order;
  order.reserve(100);
  pool.ParallelFor(100, [&](size_t task, size_t thread) {
    EXPECT_EQ(thread, 0u);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(task);
  });
  ASSERT_EQ(order.size(), 100u);
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
}

// Every task runs exactly once, for many calls with varying task counts.
TEST(ThreadPoolTest, AllTasksRunExactlyOnce) {
  for (size_t threads : {2u, 3u, 4u, 8u}) {
    ThreadPool pool(threads);
    threads = pool.num_threads();  // 1 in single-threaded wasm builds
    const size_t sizes[] = {0, 1, 2, threads - 1, threads, threads + 1, 7, 64, 1000, 10000};
    std::vector<std::atomic<int>> hits(10000);
    for (int rep = 0; rep < 20; ++rep) {
      for (size_t n : sizes) {
        for (size_t i = 0; i < n; ++i) hits[i].store(0, std::memory_order_relaxed);
        std::atomic<size_t> bad_thread{0};
        pool.ParallelFor(n, [&](size_t task, size_t thread) {
          if (thread >= threads) bad_thread.fetch_add(1);
          hits[task].fetch_add(1, std::memory_order_relaxed);
        });
        EXPECT_EQ(bad_thread.load(), 0u);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[i].load(std::memory_order_relaxed), 1)
              << "threads=" << threads << " n=" << n << " task=" << i;
        }
      }
    }
  }
}

// ParallelFor returns only after every task's side effects are complete and
// visible (plain, non-atomic writes).
TEST(ThreadPoolTest, ResultsVisibleAfterReturn) {
  ThreadPool pool(4);
  std::vector<uint64_t> out(4096);
  for (int rep = 0; rep < 200; ++rep) {
    pool.ParallelFor(out.size(), [&](size_t task, size_t) {
      out[task] = task * 3 + static_cast<uint64_t>(rep);
    });
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], i * 3 + static_cast<uint64_t>(rep));
  }
}

// A thread_index is never used by two threads at once, and always maps to the
// same OS thread (index 0 = the caller).
TEST(ThreadPoolTest, ThreadIndexUniqueAndStable) {
  constexpr size_t kThreads = 4;
  ThreadPool pool(kThreads);
  std::atomic<int> in_use[kThreads] = {};
  std::atomic<std::thread::id> owner[kThreads] = {};
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> errors{0};
  for (int rep = 0; rep < 300; ++rep) {
    pool.ParallelFor(64, [&](size_t, size_t thread) {
      if (thread >= kThreads) {
        errors.fetch_add(1);
        return;
      }
      if (in_use[thread].exchange(1) != 0) errors.fetch_add(1);
      const std::thread::id me = std::this_thread::get_id();
      if (thread == 0 && me != caller) errors.fetch_add(1);
      std::thread::id expected{};
      if (!owner[thread].compare_exchange_strong(expected, me) && expected != me) {
        errors.fetch_add(1);
      }
      std::this_thread::yield();  // widen the window for overlap
      in_use[thread].store(0);
    });
  }
  EXPECT_EQ(errors.load(), 0);
}

// Per-thread scratch indexed by thread_index needs no synchronisation.
TEST(ThreadPoolTest, PerThreadScratch) {
  constexpr size_t kThreads = 4;
  ThreadPool pool(kThreads);
  struct alignas(64) Scratch {
    uint64_t sum = 0;
    uint64_t buf[16] = {};
  };
  std::vector<Scratch> scratch(kThreads);
  constexpr size_t kTasks = 5000;
  for (int rep = 0; rep < 10; ++rep) {
    for (Scratch& s : scratch) s.sum = 0;
    pool.ParallelFor(kTasks, [&](size_t task, size_t thread) {
      Scratch& s = scratch[thread];
      for (size_t i = 0; i < 16; ++i) s.buf[i] = task + i;  // non-atomic reuse
      for (size_t i = 0; i < 16; ++i) s.sum += s.buf[i] - i;
    });
    uint64_t total = 0;
    for (const Scratch& s : scratch) total += s.sum;
    EXPECT_EQ(total, 16 * (uint64_t{kTasks} * (kTasks - 1) / 2));
  }
}

// Uneven tasks are balanced dynamically: while one thread is stuck in a slow
// task, the other takes the remaining tasks (static chunking would leave 24
// tasks queued behind the slow one).
TEST(ThreadPoolTest, UnevenTasksBalance) {
  ThreadPool pool(2);
  if (pool.num_threads() < 2) GTEST_SKIP() << "single-threaded build";
  std::atomic<size_t> per_thread[2] = {};
  std::atomic<size_t> slow_thread{0};
  pool.ParallelFor(50, [&](size_t task, size_t thread) {
    if (task == 0) {
      slow_thread.store(thread);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    per_thread[thread].fetch_add(1);
  });
  EXPECT_EQ(per_thread[0].load() + per_thread[1].load(), 50u);
  EXPECT_LT(per_thread[slow_thread.load()].load(), 25u);
}

// Thousands of back-to-back calls with tiny work (the decode pattern), mixed
// with pauses long enough for the workers to go to sleep.
TEST(ThreadPoolTest, ManyBackToBackCalls) {
  ThreadPool pool(3);
  std::atomic<uint64_t> sum{0};
  uint64_t expected = 0;
  for (int call = 0; call < 20000; ++call) {
    const size_t n = static_cast<size_t>(call % 7);
    pool.ParallelFor(n, [&](size_t task, size_t) { sum.fetch_add(task + 1); });
    expected += n * (n + 1) / 2;
    if (call % 5000 == 4999) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(sum.load(), expected);
}

// Exercises the blocking paths: workers asleep when a region starts (pause
// longer than the spin budget) and the caller blocking on completion (tasks
// longer than the spin budget). A lost wake-up would hang here.
TEST(ThreadPoolTest, BlockingWakeAndCompletion) {
  ThreadPool pool(3);
  std::atomic<int> sum{0};
  int expected = 0;
  for (int call = 0; call < 200; ++call) {
    std::this_thread::sleep_for(std::chrono::microseconds(call % 2 == 0 ? 300 : 20));
    const size_t n = 1 + static_cast<size_t>(call % 4);
    pool.ParallelFor(n, [&](size_t task, size_t thread) {
      if (call % 3 == 0 && thread != 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      sum.fetch_add(static_cast<int>(task) + 1);
    });
    expected += static_cast<int>(n * (n + 1) / 2);
    ASSERT_EQ(sum.load(), expected);
  }
}

TEST(ThreadPoolTest, DestructorWhileIdle) {
  { ThreadPool pool(4); }  // never used
  {
    ThreadPool pool(4);
    pool.ParallelFor(10, [](size_t, size_t) {});
  }  // right after a region (workers spinning)
  {
    ThreadPool pool(4);
    pool.ParallelFor(10, [](size_t, size_t) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // workers asleep
  }
  for (int i = 0; i < 50; ++i) {
    ThreadPool pool(1 + static_cast<size_t>(i % kMaxThreads));
    pool.ParallelFor(static_cast<size_t>(i), [](size_t, size_t) {});
  }
}

TEST(ThreadPoolTest, NoAllocationPerCall) {
  ThreadPool pool(4);
  std::atomic<size_t> count{0};
  auto fn = [&](size_t, size_t) { count.fetch_add(1, std::memory_order_relaxed); };
  pool.ParallelFor(100, fn);  // warm-up
  const size_t before = testing::AllocationCount();
  for (int i = 0; i < 1000; ++i) pool.ParallelFor(static_cast<size_t>(i % 50), fn);
  const size_t after = testing::AllocationCount();
  EXPECT_EQ(after - before, 0u);
}

// Reports the dispatch round trip; asserts nothing about time (shared CI).
TEST(ThreadPoolTest, DispatchLatencyReport) {
  for (size_t threads : {2u, 4u}) {
    ThreadPool pool(threads);
    auto fn = [](size_t, size_t) {};
    constexpr int kCalls = 20000;
    for (int i = 0; i < 1000; ++i) pool.ParallelFor(threads, fn);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) pool.ParallelFor(threads, fn);
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "ThreadPool(%zu): ParallelFor(%zu empty tasks) round trip %.0f ns (hw threads %u)\n",
        threads, threads, ns / kCalls, std::thread::hardware_concurrency());
  }
}

}  // namespace
}  // namespace gemma
