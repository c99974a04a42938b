// Continuous batching: see scheduler.h for the contract.
//
// Threads. Submit/Cancel/Drain/stats run on any thread and only touch the
// state under `mu` (queue, cancel list, free slots, published stats). The
// scheduler thread owns the Engine and every admitted Sequence; it takes `mu`
// twice per step for microseconds (to collect work, then to publish results)
// and never holds it while running Forward or a callback, so a callback may
// call Cancel() and a slow Forward never blocks Submit.
//
// One step:
//   1. under mu: collect cancels, drop cancelled queued requests, admit queued
//      requests into free KV slots in FIFO order;
//   2. finish cancelled requests (slot cleared), start admitted ones;
//   3. build one batch: a decode token for every decoding sequence first (so
//      streams never stall), then prompt chunks of at most prefill_chunk
//      tokens per sequence, oldest admission first, up to max_batch_tokens;
//   4. Engine::Forward once;
//   5. each sequence whose last prompt token or decode token produced logits
//      samples (the rows of a step in parallel on the engine's number of
//      threads), then emits in row order; finished sequences free their slots;
//   6. under mu: return slots, publish stats, wake Drain when nothing is left.
#include "scheduler.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "runtime/thread_pool.h"
#include "sequence.h"

namespace gemma::server {

using internal::Clock;
using internal::Sequence;

struct Scheduler::Impl {
  std::shared_ptr<const Model> model;
  SchedulerOptions options;  // with max_sequence_length / max_batch_tokens resolved
  std::unique_ptr<Engine> engine;

  // --- Shared with other threads, guarded by mu. ---
  std::mutex mu;
  std::condition_variable wake;  // the scheduler thread sleeps here when idle
  std::condition_variable idle;  // Drain waits here for outstanding == 0
  std::deque<std::unique_ptr<Sequence>> queue;
  std::vector<RequestId> cancels;
  std::vector<int32_t> free_slots;
  RequestId next_id = 1;
  size_t outstanding = 0;   // accepted requests whose on_finish has not returned
  bool accepting = true;    // false once Drain or the destructor started
  bool cancel_all = false;  // Drain timed out: cancel everything at the next step
  bool stop = false;        // destructor: cancel everything, then exit
  SchedulerStats published;

  // --- Scheduler thread only. ---
  internal::StepContext step;
  std::vector<std::unique_ptr<Sequence>> by_slot;            // owner of each admitted sequence
  std::vector<Sequence*> active;                             // admitted, in admission order
  std::vector<std::unique_ptr<Sequence>> admitted, dropped;  // moved out of the queue this step
  std::vector<RequestId> step_cancels;
  std::vector<int32_t> freed;  // slots to return at the end of the step
  std::vector<BatchToken> batch;
  std::vector<Sequence*> row_owner;  // logits row j belongs to row_owner[j]
  std::vector<float> logits;
  // Sampling a 256k vocabulary (top-k selection, softmax) takes milliseconds
  // per row: the rows of a step are sampled on the engine's number of threads
  // (the engine's own pool sleeps meanwhile), each with its scratch row.
  std::unique_ptr<ThreadPool> sample_pool;
  std::vector<float> sample_scratch;  // sample_pool threads x n_vocab
  size_t decode_cursor = 0;           // rotates decode order if the budget is short
  size_t finished_this_step = 0;      // on_finish calls not yet subtracted from outstanding
  bool cancel_everything = false;     // this step cancels every request (stop or Drain timeout)
  uint64_t steps = 0, tokens_generated = 0, prompt_tokens = 0;

  std::thread thread;

  void Loop();
  bool CollectWork();  // step 1; returns false when the thread should exit
  void StartAdmitted();
  void ApplyCancels(bool all);
  void BuildBatch();
  void RunBatch();
  void Retire(Sequence* s);  // after Finish: frees the slot
  void Publish();
};

namespace {

bool Contains(const std::vector<RequestId>& ids, RequestId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(std::shared_ptr<const Model> model,
                                                       const SchedulerOptions& options) {
  if (!model) return InvalidArgument("Scheduler::Create: no model");
  if (options.max_batch_size == 0) return InvalidArgument("max_batch_size must be >= 1");
  if (options.prefill_chunk == 0) return InvalidArgument("prefill_chunk must be >= 1");
  EngineOptions eo;
  eo.num_threads = options.num_threads;
  eo.context_length = options.max_sequence_length;
  eo.kv_type = options.kv_type;
  eo.max_batch_tokens = options.max_batch_tokens;
  eo.max_sequences = options.max_batch_size;
  auto impl = std::make_unique<Impl>();
  GEMMA_ASSIGN_OR_RETURN(impl->engine, Engine::Create(model, eo));
  const EngineOptions& resolved = impl->engine->options();
  impl->options = options;
  impl->options.max_sequence_length = resolved.context_length;
  impl->options.max_batch_tokens = resolved.max_batch_tokens;
  impl->options.num_threads = resolved.num_threads;
  impl->model = std::move(model);

  const size_t n_vocab = impl->model->info().n_vocab;
  const Tokenizer& tok = impl->model->tokenizer();
  internal::StepContext& step = impl->step;
  step.tokenizer = &tok;
  step.n_vocab = n_vocab;
  step.context_length = resolved.context_length;
  step.eos = tok.eos_id();
  step.eot = tok.end_of_turn_id();
  // Everything a step touches is sized here: at most one logits row per
  // sequence per step (only a sequence's last prompt token or its decode
  // token asks for logits).
  const size_t slots = options.max_batch_size;
  const size_t rows = std::min(slots, resolved.max_batch_tokens);
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
#endif
    impl->logits.assign(rows * n_vocab, 0.0f);
    impl->by_slot.resize(slots);
    impl->active.reserve(slots);
    impl->admitted.reserve(slots);
    impl->freed.reserve(slots);
    impl->free_slots.reserve(slots);
    impl->dropped.reserve(options.max_queue + slots);
    impl->batch.reserve(resolved.max_batch_tokens);
    impl->row_owner.reserve(rows);
    const size_t sample_threads = std::max<size_t>(1, std::min(resolved.num_threads, rows));
    impl->sample_pool = std::make_unique<ThreadPool>(sample_threads);
    impl->sample_scratch.assign(sample_threads * n_vocab, 0.0f);
    // Slots are handed out from the back: reversed so the first request gets 0.
    for (size_t i = slots; i-- > 0;) impl->free_slots.push_back(static_cast<int32_t>(i));
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("Scheduler::Create: cannot allocate step buffers");
  }
#endif
  impl->published.kv_tokens_capacity = slots * resolved.context_length;
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(impl)));
}

Scheduler::Scheduler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->accepting = false;
    impl_->stop = true;
  }
  impl_->wake.notify_one();
  if (impl_->thread.joinable()) impl_->thread.join();
}

StatusOr<RequestId> Scheduler::Submit(GenerationRequest request) {
  Impl& m = *impl_;
  const size_t ctx = m.options.max_sequence_length;
  const size_t n_vocab = m.step.n_vocab;
  if (request.prompt.empty()) return InvalidArgument("empty prompt");
  if (request.prompt.size() > ctx) {
    return InvalidArgument("prompt of " + std::to_string(request.prompt.size()) +
                           " tokens exceeds max_sequence_length " + std::to_string(ctx));
  }
  for (int32_t t : request.prompt) {
    if (t < 0 || static_cast<size_t>(t) >= n_vocab) {
      return InvalidArgument("prompt token id " + std::to_string(t) + " outside the vocabulary");
    }
  }
  if (request.top_logprobs < 0 || request.top_logprobs > internal::kMaxTopLogprobs) {
    return InvalidArgument("top_logprobs must be in [0, " +
                           std::to_string(internal::kMaxTopLogprobs) + "] (got " +
                           std::to_string(request.top_logprobs) + ")");
  }
  // Validates the sampling parameters without sizing vocabulary buffers;
  // the real sampler is built at admission, so queued requests stay small.
  if (auto probe = Sampler::Create(1, request.options.sampling); !probe.ok()) return probe.status();

  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(m.mu);
  if (!m.accepting) return Cancelled("scheduler is shutting down");
  // Requests that will get a free slot at the next step are not "waiting".
  const size_t ahead = m.queue.size() + 1;  // this request included
  const size_t waiting = ahead > m.free_slots.size() ? ahead - m.free_slots.size() : 0;
  if (waiting > m.options.max_queue) {
    return ResourceExhausted("request queue is full (" + std::to_string(m.options.max_queue) +
                             " waiting)");
  }
  const RequestId id = m.next_id++;
  m.queue.push_back(std::make_unique<Sequence>(id, std::move(request), now));
  ++m.outstanding;
  m.published.queue_depth = m.queue.size();
  m.wake.notify_one();
  return id;
}

void Scheduler::Cancel(RequestId id) {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (id == 0 || id >= m.next_id) return;  // never issued
    m.cancels.push_back(id);
  }
  m.wake.notify_one();
}

void Scheduler::Drain(double timeout_seconds) {
  Impl& m = *impl_;
  std::unique_lock<std::mutex> lock(m.mu);
  m.accepting = false;
  auto nothing_left = [&] { return m.outstanding == 0; };
  // Clamped so that an infinite or absurd timeout cannot overflow the clock;
  // NaN counts as 0.
  const double seconds = timeout_seconds > 0 ? std::min(timeout_seconds, 1e9) : 0.0;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
  if (m.idle.wait_until(lock, deadline, nothing_left)) return;
  m.cancel_all = true;
  m.wake.notify_one();
  // Cancellation takes effect at the next step: bounded by one forward pass.
  m.idle.wait(lock, nothing_left);
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->published;
}

const Model& Scheduler::model() const { return *impl_->model; }

// ---------------------------------------------------------------------------
// Scheduler thread.

void Scheduler::Impl::Loop() {
  for (;;) {
    const bool keep_running = CollectWork();
    for (auto& s : dropped) {
      s->Finish(FinishReason::kCancelled);
      ++finished_this_step;
    }
    dropped.clear();
    ApplyCancels(cancel_everything);
    StartAdmitted();
    if (!active.empty()) {
      BuildBatch();
      RunBatch();
    }
    Publish();
    if (!keep_running) return;
  }
}

bool Scheduler::Impl::CollectWork() {
  std::unique_lock<std::mutex> lock(mu);
  // cancel_all stays set after a timed-out Drain; it only counts as work while
  // something is left to cancel, or the thread would spin.
  wake.wait(lock, [&] {
    return stop || !cancels.empty() || !active.empty() || (!queue.empty() && !free_slots.empty()) ||
           (cancel_all && !queue.empty());
  });
  step_cancels.clear();
  step_cancels.swap(cancels);  // both keep their capacity
  cancel_everything = stop || cancel_all;
  if (cancel_everything) {
    for (auto& s : queue) dropped.push_back(std::move(s));
    queue.clear();
  } else if (!step_cancels.empty()) {
    for (auto it = queue.begin(); it != queue.end();) {
      if (Contains(step_cancels, (*it)->id)) {
        dropped.push_back(std::move(*it));
        it = queue.erase(it);
      } else {
        ++it;
      }
    }
  }
  // FIFO admission: the oldest waiting request takes the next free slot.
  while (!queue.empty() && !free_slots.empty()) {
    admitted.push_back(std::move(queue.front()));
    queue.pop_front();
    admitted.back()->slot = free_slots.back();
    free_slots.pop_back();
  }
  published.queue_depth = queue.size();
  return !stop;
}

void Scheduler::Impl::ApplyCancels(bool all) {
  if (!all && step_cancels.empty()) return;
  for (size_t i = 0; i < active.size();) {
    Sequence* s = active[i];
    if (all || Contains(step_cancels, s->id)) {
      s->Finish(FinishReason::kCancelled);
      Retire(s);  // erases active[i]
    } else {
      ++i;
    }
  }
}

void Scheduler::Impl::StartAdmitted() {
  for (auto& owned : admitted) {
    Sequence* s = owned.get();
    const int32_t slot = s->slot;
    by_slot[static_cast<size_t>(slot)] = std::move(owned);
    active.push_back(s);
    if (Status st = s->Start(step, slot); !st.ok()) {
      s->Finish(FinishReason::kLength, std::move(st));
      Retire(s);
    } else if (s->req.options.max_tokens == 0) {
      s->Finish(FinishReason::kLength);  // nothing to generate: skip the prefill
      Retire(s);
    }
  }
  admitted.clear();
}

void Scheduler::Impl::BuildBatch() {
  batch.clear();
  row_owner.clear();
  size_t budget = options.max_batch_tokens;
  // Decode tokens first: one per decoding sequence, so a long prompt being
  // prefilled never delays running streams. Only if max_batch_tokens is below
  // the number of decoding sequences does the rotating start matter: then
  // they take turns.
  const size_t n = active.size();
  for (size_t k = 0; k < n && budget > 0; ++k) {
    Sequence* s = active[(decode_cursor + k) % n];
    if (!s->decoding()) continue;
    batch.push_back({s->next_token, s->pos, s->slot, true});
    row_owner.push_back(s);
    ++s->pos;
    s->next_token = -1;
    --budget;
  }
  ++decode_cursor;
  // Prompt chunks in admission order: the oldest request reaches its first
  // token first; prefill_chunk bounds how much one prompt adds to a step's
  // latency for everyone else.
  for (Sequence* s : active) {
    if (budget == 0) break;
    if (!s->prefilling()) continue;
    const std::vector<int32_t>& prompt = s->req.prompt;
    const size_t take = std::min({prompt.size() - s->prefilled, options.prefill_chunk, budget});
    for (size_t i = 0; i < take; ++i) {
      const size_t idx = s->prefilled + i;
      const bool last = idx + 1 == prompt.size();  // only the last prompt token's logits are used
      batch.push_back({prompt[idx], s->pos + static_cast<int32_t>(i), s->slot, last});
      if (last) row_owner.push_back(s);
    }
    s->prefilled += take;
    s->pos += static_cast<int32_t>(take);
    prompt_tokens += take;
    budget -= take;
  }
}

void Scheduler::Impl::RunBatch() {
  if (batch.empty()) return;
  const Status st = engine->Forward(batch, logits.data());
  ++steps;
  if (!st.ok()) {
    // Submit validated every id and BuildBatch every position, so this is a
    // bug; fail the sequences of this batch rather than guess at their state.
    for (const BatchToken& b : batch) {
      Sequence* s = by_slot[static_cast<size_t>(b.seq)].get();
      if (s != nullptr && !s->finished) {
        s->Finish(FinishReason::kLength,
                  Internal("scheduler: forward pass failed: " + st.ToString()));
        Retire(s);
      }
    }
    return;
  }
  // Sample every row (in parallel: each sequence has its own sampler), then
  // emit in row order on this thread.
  const size_t n_vocab = step.n_vocab;
  auto sample_row = [&](size_t j, size_t thread) {
    row_owner[j]->Sample(logits.data() + j * n_vocab, sample_scratch.data() + thread * n_vocab,
                         step);
  };
  if (row_owner.size() > 1 && sample_pool->num_threads() > 1) {
    sample_pool->ParallelFor(row_owner.size(), sample_row);
  } else {
    for (size_t j = 0; j < row_owner.size(); ++j) sample_row(j, 0);
  }
  for (size_t j = 0; j < row_owner.size(); ++j) {
    Sequence* s = row_owner[j];
    const size_t before = s->generated;
    const bool done = s->Emit(step);
    tokens_generated += s->generated - before;
    if (done) Retire(s);
  }
}

void Scheduler::Impl::Retire(Sequence* s) {
  const int32_t slot = s->slot;
  engine->Clear(slot);
  freed.push_back(slot);
  active.erase(std::find(active.begin(), active.end(), s));
  ++finished_this_step;
  by_slot[static_cast<size_t>(slot)].reset();  // destroys s
}

void Scheduler::Impl::Publish() {
  size_t kv_used = 0;
  for (const Sequence* s : active) kv_used += static_cast<size_t>(s->pos);
  bool nothing_left = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    free_slots.insert(free_slots.end(), freed.begin(), freed.end());
    outstanding -= finished_this_step;
    published.queue_depth = queue.size();
    published.active_sequences = active.size();
    published.kv_tokens_used = kv_used;
    published.steps = steps;
    published.tokens_generated = tokens_generated;
    published.prompt_tokens = prompt_tokens;
    nothing_left = outstanding == 0;
  }
  freed.clear();
  finished_this_step = 0;
  if (nothing_left) idle.notify_all();
}

}  // namespace gemma::server
