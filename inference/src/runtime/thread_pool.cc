// Persistent thread pool with low-latency dispatch.
//
// Protocol (one parallel region at a time):
//  * The caller publishes the region (fn, ctx, num_tasks), resets the task
//    counter and `pending` (the number of participating workers), then bumps
//    `state`, a single atomic word holding (epoch << kActiveBits) | active,
//    where `active` is how many workers (indices 1..active) take part. Packing
//    both in one word lets a non-participating worker skip a region without
//    reading any other shared field (which the caller may already be
//    rewriting for the next region).
//  * Workers spin on `state` for a short while (pause instruction), then block
//    on a condition variable. `sleepers` tells the caller whether a notify is
//    needed at all, so dispatch to spinning workers never takes the mutex.
//  * Everyone (caller = thread 0, workers = 1..active) claims task indices
//    from the shared `next_task` counter, so uneven tasks balance.
//  * Each participating worker decrements `pending` when it finds no more
//    tasks and never touches the region afterwards; the caller returns once
//    `pending` reaches 0 (spinning first, then blocking).
// Every ParallelFor is allocation-free: the lambda is passed by pointer.
#include "runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define GEMMA_POOL_SINGLE_THREADED 1
#else
#define GEMMA_POOL_SINGLE_THREADED 0
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#include <immintrin.h>
#define GEMMA_CPU_PAUSE() _mm_pause()
#elif (defined(__aarch64__) || defined(__arm__)) && (defined(__GNUC__) || defined(__clang__))
#define GEMMA_CPU_PAUSE() __asm__ __volatile__("yield" ::: "memory")
#else
#define GEMMA_CPU_PAUSE() \
  do {                    \
  } while (0)
#endif

namespace gemma {

#if GEMMA_POOL_SINGLE_THREADED

// Single-threaded Emscripten build: no pthreads, everything runs inline.
struct ThreadPool::Impl {};

ThreadPool::ThreadPool(size_t /*num_threads*/) : num_threads_(1) {}
ThreadPool::~ThreadPool() = default;

void ThreadPool::Run(size_t num_tasks, TaskFn fn, const void* ctx) {
  for (size_t task = 0; task < num_tasks; ++task) fn(ctx, task, 0);
}

#else  // threads available

namespace {

constexpr size_t kCacheLine = 64;
constexpr unsigned kActiveBits = 24;  // up to 16M workers per pool
constexpr uint64_t kActiveMask = (uint64_t{1} << kActiveBits) - 1;
constexpr uint64_t kEpochOne = uint64_t{1} << kActiveBits;
// How long a worker (or the waiting caller) spins before blocking. Decode runs
// matmuls back to back a few microseconds apart, so this keeps workers hot
// within a token and lets them sleep between tokens / requests. The first
// kPauseTime is pure pause-spinning (lowest latency); after that the spinner
// also yields its core, so an oversubscribed machine (more pool threads than
// free cores) still lets the thread that is needed run.
constexpr auto kPauseTime = std::chrono::microseconds(5);
constexpr auto kSpinTime = std::chrono::microseconds(50);
constexpr int kSpinsPerClockCheck = 32;

// Spins until pred() holds or the spin budget is spent. Returns pred().
template <class Pred>
bool SpinUntil(const Pred& pred) {
  const auto start = std::chrono::steady_clock::now();
  bool yield = false;
  for (;;) {
    for (int i = 0; i < kSpinsPerClockCheck; ++i) {
      if (pred()) return true;
      GEMMA_CPU_PAUSE();
    }
    if (yield) std::this_thread::yield();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed >= kSpinTime) return pred();
    yield = elapsed >= kPauseTime;
  }
}

}  // namespace

struct ThreadPool::Impl {
  // Written by the caller once per region, read by workers: one line, so a
  // worker's wake-up pulls the whole region description in one transfer.
  alignas(kCacheLine) std::atomic<uint64_t> state{0};
  std::atomic<bool> stop{false};
  TaskFn fn = nullptr;
  const void* ctx = nullptr;
  size_t num_tasks = 0;

  // Contended by every thread claiming tasks.
  alignas(kCacheLine) std::atomic<size_t> next_task{0};
  // Decremented by each participating worker when it is done.
  alignas(kCacheLine) std::atomic<size_t> pending{0};

  // Slow path: blocking wake-up and completion.
  alignas(kCacheLine) std::atomic<size_t> sleepers{0};
  std::atomic<bool> caller_waiting{false};
  std::mutex mu;
  std::condition_variable wake_cv;  // workers wait for a new state / stop
  std::condition_variable done_cv;  // the caller waits for pending == 0

  std::vector<std::thread> workers;

  void RunTasks(size_t thread) {
    const TaskFn f = fn;
    const void* c = ctx;
    const size_t n = num_tasks;
    for (;;) {
      const size_t task = next_task.fetch_add(1, std::memory_order_relaxed);
      if (task >= n) break;
      f(c, task, thread);
    }
  }

  void WorkerLoop(size_t index) {
    uint64_t seen = 0;
    for (;;) {
      // Wait for a new region (or stop).
      auto changed = [&] {
        // seq_cst: pairs with the caller's store / sleepers load (Dekker).
        return state.load(std::memory_order_seq_cst) != seen ||
               stop.load(std::memory_order_seq_cst);
      };
      if (!SpinUntil(changed)) {
        std::unique_lock<std::mutex> lock(mu);
        sleepers.fetch_add(1, std::memory_order_seq_cst);
        while (!changed()) wake_cv.wait(lock);
        sleepers.fetch_sub(1, std::memory_order_relaxed);
      }
      if (stop.load(std::memory_order_acquire)) return;
      seen = state.load(std::memory_order_acquire);
      if (index > (seen & kActiveMask)) continue;  // not needed this region

      // Participating: the caller waits for our decrement before it touches
      // the region again, so fn / ctx / num_tasks are stable here.
      RunTasks(index);
      if (pending.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
          caller_waiting.load(std::memory_order_seq_cst)) {
        std::lock_guard<std::mutex> lock(mu);
        done_cv.notify_one();
      }
    }
  }

  void WaitDone() {
    auto done = [&] { return pending.load(std::memory_order_seq_cst) == 0; };
    if (SpinUntil(done)) return;
    std::unique_lock<std::mutex> lock(mu);
    caller_waiting.store(true, std::memory_order_seq_cst);
    while (!done()) done_cv.wait(lock);
    caller_waiting.store(false, std::memory_order_relaxed);
  }
};

ThreadPool::ThreadPool(size_t num_threads) : num_threads_(num_threads == 0 ? 1 : num_threads) {
  if (num_threads_ > kActiveMask) num_threads_ = kActiveMask;
  if (num_threads_ == 1) return;
  impl_ = new Impl;
  Impl* im = impl_;
  im->workers.reserve(num_threads_ - 1);
  for (size_t i = 1; i < num_threads_; ++i) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    try {
      im->workers.emplace_back([im, i] { im->WorkerLoop(i); });
    } catch (const std::exception&) {
      // The OS refused another thread: run with the ones we have.
      num_threads_ = i;
      break;
    }
#else
    im->workers.emplace_back([im, i] { im->WorkerLoop(i); });
#endif
  }
}

ThreadPool::~ThreadPool() {
  if (impl_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop.store(true, std::memory_order_seq_cst);
  }
  impl_->wake_cv.notify_all();
  for (std::thread& t : impl_->workers) t.join();
  delete impl_;
}

void ThreadPool::Run(size_t num_tasks, TaskFn fn, const void* ctx) {
  if (num_tasks == 0) return;
  if (impl_ == nullptr || num_tasks == 1) {
    for (size_t task = 0; task < num_tasks; ++task) fn(ctx, task, 0);
    return;
  }
  Impl& im = *impl_;
  const size_t active = std::min(num_threads_ - 1, num_tasks - 1);

  // Publish the region. No worker reads these: the previous region's
  // participants have all decremented `pending`, and non-participants only
  // read `state`.
  im.fn = fn;
  im.ctx = ctx;
  im.num_tasks = num_tasks;
  im.next_task.store(0, std::memory_order_relaxed);
  im.pending.store(active, std::memory_order_relaxed);
  const uint64_t epoch = (im.state.load(std::memory_order_relaxed) & ~kActiveMask) + kEpochOne;
  // seq_cst pairs with the workers' sleepers increment: either a worker sees
  // the new state before sleeping, or we see it counted and notify it.
  im.state.store(epoch | active, std::memory_order_seq_cst);
  if (im.sleepers.load(std::memory_order_seq_cst) != 0) {
    { std::lock_guard<std::mutex> lock(im.mu); }  // a sleeper is in wait() or sees the state
    im.wake_cv.notify_all();
  }

  // The caller is thread 0. If a task throws, still wait for the workers
  // before unwinding (they use fn / ctx, which live in the caller's frame).
  struct WaitGuard {
    Impl& im;
    ~WaitGuard() { im.WaitDone(); }
  } guard{im};
  im.RunTasks(0);
}

#endif  // GEMMA_POOL_SINGLE_THREADED

}  // namespace gemma
