#include "sequence.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

namespace gemma::server::internal {

float LogSoftmaxAndTop(const float* row, size_t n, int32_t token, int k,
                       std::vector<TokenLogprob>* top) {
  // Shift by the maximum so exp() cannot overflow; sum in double so a
  // 256k-entry vocabulary loses no precision.
  float max = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) max = std::max(max, row[i]);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(row[i]) - max);
  const double log_norm = static_cast<double>(max) + std::log(sum);

  const size_t want = std::min(static_cast<size_t>(std::max(k, 0)), n);
  top->resize(want);
  if (want > 0) {
    // Insertion into a small sorted array: k <= kMaxTopLogprobs, and most
    // entries fail the first comparison against the current k-th best. Ids
    // are visited in increasing order and only a strictly larger logit
    // displaces, so ties keep the lower id first (greedy sampling's rule).
    size_t filled = 0;
    for (size_t i = 0; i < n; ++i) {
      const float v = row[i];
      if (filled == want && !(v > (*top)[want - 1].logprob)) continue;
      size_t at = filled < want ? filled++ : want - 1;
      while (at > 0 && v > (*top)[at - 1].logprob) {
        (*top)[at] = (*top)[at - 1];
        --at;
      }
      (*top)[at] = {static_cast<int32_t>(i), v};
    }
    // Entries held raw logits while selecting; turn them into logprobs.
    for (TokenLogprob& t : *top) t.logprob = static_cast<float>(t.logprob - log_norm);
  }
  if (token < 0 || static_cast<size_t>(token) >= n) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(row[token] - log_norm);
}

Status Sequence::Start(const StepContext& ctx, int32_t slot_index) {
  slot = slot_index;
  prefilled = 0;
  pos = 0;
  next_token = -1;
  scheduled = Clock::now();
  auto sampler = Sampler::Create(ctx.n_vocab, req.options.sampling);
  if (!sampler.ok()) return sampler.status();
  sampler_.emplace(std::move(*sampler));
  // The penalties see the prompt as context, as in Session::Generate.
  for (int32_t t : req.prompt) sampler_->Accept(t);
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
#endif
    detok_.emplace(*ctx.tokenizer);
    stops_.emplace(req.options.stop);
    piece_.reserve(256);
    shown_.reserve(256);
    event_.text.reserve(256);
    event_.top.reserve(static_cast<size_t>(std::max(req.top_logprobs, 0)));
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("scheduler: cannot allocate request state");
  }
#endif
  return Status::Ok();
}

void Sequence::Sample(float* row, float* scratch, const StepContext& ctx) {
  const bool want_logprob = req.logprobs || req.top_logprobs > 0;
  // Sample() applies penalties/temperature in place; the reported logprobs
  // are those of the raw model distribution, so sample from a copy then.
  float* sample_from = row;
  if (want_logprob) {
    std::memcpy(scratch, row, ctx.n_vocab * sizeof(float));
    sample_from = scratch;
  }
  sampled_ = sampler_->Sample(sample_from);
  event_.logprob = 0;
  event_.top.clear();
  if (want_logprob) {
    event_.logprob = LogSoftmaxAndTop(row, ctx.n_vocab, sampled_, req.top_logprobs, &event_.top);
  }
}

bool Sequence::Emit(StepContext& ctx) {
  const int32_t next = sampled_;
  if (req.options.stop_at_eos && (next == ctx.eos || next == ctx.eot)) {
    Finish(FinishReason::kStop);
    return true;
  }
  ++generated;
  sampler_->Accept(next);
  piece_.clear();
  detok_->Push(next, &piece_);
  shown_.clear();
  hit_stop_string_ = stops_->Push(piece_, &shown_);

  event_.token = next;
  event_.text.assign(shown_);
  if (generated == 1) {
    time_to_first_token_ = std::chrono::duration<double>(Clock::now() - submitted).count();
  }
  if (req.on_token) req.on_token(event_);

  if (hit_stop_string_) {
    Finish(FinishReason::kStop);
  } else if (generated >= req.options.max_tokens ||
             static_cast<size_t>(pos) >= ctx.context_length) {
    // max_tokens reached, or no position is left to feed the token to.
    Finish(FinishReason::kLength);
  } else {
    next_token = next;
    return false;
  }
  return true;
}

bool Sequence::FlushText() {
  shown_.clear();
  if (!detok_ || !stops_) return false;
  piece_.clear();
  detok_->Flush(&piece_);
  if (stops_->Push(piece_, &shown_)) return true;
  stops_->Flush(&shown_);
  return false;
}

void Sequence::Finish(FinishReason reason, Status error) {
  if (finished) return;
  finished = true;
  FinishEvent ev;
  // As Session::Generate: held-back bytes are released at a natural end, but
  // not after a stop string (they belong to it) or a cancellation.
  if (error.ok() && reason != FinishReason::kCancelled && !hit_stop_string_) {
    if (FlushText()) reason = FinishReason::kStop;
    ev.text = shown_;
  }
  const auto now = Clock::now();
  ev.reason = reason;
  ev.prompt_tokens = req.prompt.size();
  ev.completion_tokens = generated;
  ev.queue_seconds = std::chrono::duration<double>(scheduled.value_or(now) - submitted).count();
  ev.time_to_first_token = time_to_first_token_;
  ev.error = std::move(error);
  if (req.on_finish) req.on_finish(ev);
}

}  // namespace gemma::server::internal
