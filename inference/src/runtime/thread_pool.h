// A persistent pool of worker threads. Threads are created once; a parallel
// region wakes them, runs tasks and returns when all are done, without
// allocating (decode runs one region per matmul, dozens per token).
#pragma once

#include <cstddef>
#include <type_traits>

namespace gemma {

class ThreadPool {
 public:
  // num_threads counts the calling thread: ThreadPool(1) runs everything inline.
  explicit ThreadPool(size_t num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t num_threads() const { return num_threads_; }

  // Calls fn(task, thread_index) for every task in [0, num_tasks) and returns
  // when all have finished. thread_index < num_threads() identifies the thread
  // (0 = caller) so tasks can use per-thread scratch. Only one ParallelFor may
  // run at a time per pool.
  template <class F>
  void ParallelFor(size_t num_tasks, const F& fn) {
    Run(
        num_tasks,
        [](const void* ctx, size_t task, size_t thread) {
          (*static_cast<const F*>(ctx))(task, thread);
        },
        &fn);
  }

 private:
  using TaskFn = void (*)(const void* ctx, size_t task, size_t thread);
  void Run(size_t num_tasks, TaskFn fn, const void* ctx);

  size_t num_threads_;
  struct Impl;            // workers, the dispatch word and wake-up primitives
  Impl* impl_ = nullptr;  // null when everything runs inline (1 thread)
};

}  // namespace gemma
