// Per-request state of the scheduler: one Sequence from Submit to on_finish.
// Everything after construction happens on the scheduler thread (except
// Sample, which a step may run on one of its sampling threads, never twice at
// once for one sequence), so nothing here is synchronised. Turning a logits
// row into events (sample, logprobs, detokenize, stop strings, finish
// conditions) lives here, apart from the batching loop, and follows
// Session::Generate step for step: the same seed must give the same tokens
// and text whether a request runs in a Session or in a batch.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/stop_matcher.h"
#include "runtime/sampler.h"
#include "scheduler.h"

namespace gemma::server::internal {

using Clock = std::chrono::steady_clock;

// Read-only facts shared by all sequences of one scheduler.
struct StepContext {
  const Tokenizer* tokenizer = nullptr;
  size_t n_vocab = 0;
  size_t context_length = 0;  // KV positions per sequence
  int32_t eos = -1, eot = -1;
};

// Most alternatives a request may ask for (OpenAI's top_logprobs limit). Bounds
// the per-token work one request can add to every step.
inline constexpr int kMaxTopLogprobs = 20;

// log-softmax of `row` at `token`, and the `k` most likely tokens of the row
// (by logit descending, lower id first on ties, as greedy sampling picks)
// with their log-probabilities. *top keeps its capacity.
float LogSoftmaxAndTop(const float* row, size_t n, int32_t token, int k,
                       std::vector<TokenLogprob>* top);

struct Sequence {
  Sequence(RequestId id, GenerationRequest req, Clock::time_point submitted)
      : id(id), req(std::move(req)), submitted(submitted) {}

  // Takes KV slot `slot` (cleared) and builds the sampler, detokenizer and
  // stop matcher. Fails only when the sampler cannot allocate.
  Status Start(const StepContext& ctx, int32_t slot);

  bool prefilling() const { return prefilled < req.prompt.size(); }
  // The token to feed at `pos` in decode phase (sampled in the last step).
  bool decoding() const { return !prefilling() && next_token >= 0; }

  // Handle the logits produced after the last prompt token or a decode
  // token, in two halves so that a step can sample its sequences in
  // parallel. Sample picks the token (and its logprobs) and touches only this
  // sequence's state, `row` (may be modified) and `scratch` (n_vocab floats,
  // used when logprobs are wanted): different sequences may be sampled on
  // different threads at once. Emit, on the scheduler thread afterwards,
  // emits the TokenEvent and finishes the request when a stop condition
  // holds; returns true when finished.
  void Sample(float* row, float* scratch, const StepContext& ctx);
  bool Emit(StepContext& ctx);

  // Calls on_finish (exactly once; later calls do nothing). Held-back text is
  // released unless the request was cancelled, failed or ended at a stop
  // string.
  void Finish(FinishReason reason, Status error = Status::Ok());

  const RequestId id;
  GenerationRequest req;
  const Clock::time_point submitted;
  std::optional<Clock::time_point> scheduled;  // first admitted into a slot

  int32_t slot = -1;
  size_t prefilled = 0;     // prompt tokens placed into a batch so far
  int32_t pos = 0;          // positions of this slot's KV cache used (incl. the current batch)
  int32_t next_token = -1;  // sampled, waiting to be fed (decode phase)
  size_t generated = 0;     // tokens emitted through on_token
  bool finished = false;

 private:
  // Run the detokenizer's and the stop matcher's held-back text out into
  // shown_. Returns true when that text completes a stop string.
  bool FlushText();

  std::optional<Sampler> sampler_;
  std::optional<StreamingDetokenizer> detok_;
  std::optional<StopMatcher> stops_;
  std::string piece_, shown_;  // reused every token (capacity reserved in Start)
  TokenEvent event_;           // reused every token: no allocation once warm
  bool hit_stop_string_ = false;
  int32_t sampled_ = -1;  // Sample's token, for Emit
  double time_to_first_token_ = 0;
};

}  // namespace gemma::server::internal
