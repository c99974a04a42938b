// Continuous batching. One scheduler thread owns an Engine with
// max_sequences KV slots and loops: admit queued requests into free slots,
// build one batch (a decode token for every running sequence + chunks of
// pending prompts, up to max_batch_tokens), run Engine::Forward once, sample
// each sequence that produced logits, deliver events, free finished or
// cancelled slots. Inference never runs on the I/O threads; the HTTP layer
// only calls Submit/Cancel and receives events through callbacks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gemma/engine.h"

namespace gemma::server {

struct SchedulerOptions {
  size_t max_batch_size = 8;       // concurrent sequences (KV slots)
  size_t max_sequence_length = 0;  // per sequence; 0 = min(model, 4096)
  size_t max_batch_tokens = 512;   // tokens per forward pass
  size_t prefill_chunk = 128;      // max prompt tokens of one sequence per step,
                                   // so running streams don't stall behind long prompts
  size_t max_queue = 64;           // waiting requests beyond the slots; more -> ResourceExhausted
  size_t num_threads = 0;          // engine threads; 0 = all cores
  KvCacheType kv_type = KvCacheType::kF32;
};

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0;
};

// One sampled token of one request.
struct TokenEvent {
  int32_t token = 0;
  std::string text;  // newly final text (UTF-8 complete, stop strings held back); may be empty
  float logprob =
      0;  // log-softmax of the sampled token (after penalties/temperature: raw model distribution)
  std::vector<TokenLogprob> top;  // top_logprobs alternatives, when requested
};

struct FinishEvent {
  FinishReason reason = FinishReason::kLength;
  std::string text;  // any text released at the end (held-back bytes)
  size_t prompt_tokens = 0;
  size_t completion_tokens = 0;
  double queue_seconds = 0;        // submit -> first scheduled
  double time_to_first_token = 0;  // submit -> first token event
  Status error;                    // non-OK if the request failed (e.g. context overflow)
};

struct GenerationRequest {
  std::vector<int32_t> prompt;  // already tokenized, BOS included
  GenerateOptions options;      // sampling, max_tokens, stop, stop_at_eos
  int top_logprobs = 0;         // 0 = don't compute alternatives
  bool logprobs = false;
  // Called on the scheduler thread, in order; must be fast and must not call
  // back into the scheduler except Cancel().
  std::function<void(const TokenEvent&)> on_token;
  std::function<void(const FinishEvent&)> on_finish;  // exactly once
};

struct SchedulerStats {
  size_t queue_depth = 0;
  size_t active_sequences = 0;
  size_t kv_tokens_used = 0;
  size_t kv_tokens_capacity = 0;
  uint64_t steps = 0;
  uint64_t tokens_generated = 0;
  uint64_t prompt_tokens = 0;
};

using RequestId = uint64_t;

class Scheduler {
 public:
  static StatusOr<std::unique_ptr<Scheduler>> Create(std::shared_ptr<const Model> model,
                                                     const SchedulerOptions& options);
  ~Scheduler();  // cancels everything, joins the thread

  // Queues a request. Errors: InvalidArgument (bad options, prompt longer
  // than max_sequence_length), ResourceExhausted (queue full), Cancelled
  // (shutting down). On success on_finish will be called exactly once.
  StatusOr<RequestId> Submit(GenerationRequest request);
  // Thread-safe; the request finishes with kCancelled at the next step and
  // its KV slot is freed. Unknown ids are ignored.
  void Cancel(RequestId id);
  // Stops admitting new requests; returns when running and queued requests
  // finished or `timeout_seconds` passed (then the rest are cancelled).
  void Drain(double timeout_seconds);

  SchedulerStats stats() const;
  const Model& model() const;

  struct Impl;

 private:
  explicit Scheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gemma::server
