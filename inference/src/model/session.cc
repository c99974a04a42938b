// Session: one conversation on its own engine (sequence 0).
#include <algorithm>
#include <atomic>
#include <chrono>

#include "gemma/engine.h"
#include "model/model_impl.h"
#include "model/stop_matcher.h"
#include "runtime/sampler.h"

namespace gemma {

const char* FinishReasonName(FinishReason r) {
  switch (r) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kCancelled:
      return "cancelled";
  }
  return "?";
}

struct Session::Impl {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Engine> engine;
  std::vector<int32_t> context;   // tokens whose keys are cached
  std::vector<float> logits;      // after the last context token
  std::vector<BatchToken> batch;  // reused for every forward pass
  bool logits_valid = false;
  std::atomic<bool> cancel{false};
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

StatusOr<std::unique_ptr<Session>> Session::Create(std::shared_ptr<const Model> model,
                                                   const EngineOptions& options) {
  EngineOptions o = options;
  o.max_sequences = 1;
  auto impl = std::make_unique<Impl>();
  GEMMA_ASSIGN_OR_RETURN(impl->engine, Engine::Create(model, o));
  impl->model = std::move(model);
  const EngineOptions& eo = impl->engine->options();
  impl->context.reserve(eo.context_length);
  impl->logits.assign(impl->model->info().n_vocab, 0.0f);
  impl->batch.reserve(eo.max_batch_tokens);
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Status Session::Append(std::span<const int32_t> tokens) {
  Impl& m = *impl_;
  const size_t ctx = m.engine->options().context_length;
  if (m.context.size() + tokens.size() > ctx) {
    return OutOfRange("context would hold " + std::to_string(m.context.size() + tokens.size()) +
                      " tokens; the limit is " + std::to_string(ctx));
  }
  const size_t chunk = m.engine->options().max_batch_tokens;
  for (size_t start = 0; start < tokens.size(); start += chunk) {
    const size_t end = std::min(tokens.size(), start + chunk);
    m.batch.clear();
    for (size_t i = start; i < end; ++i) {
      m.batch.push_back({tokens[i], static_cast<int32_t>(m.context.size() + (i - start)), 0,
                         i + 1 == tokens.size()});
    }
    m.logits_valid = false;
    GEMMA_RETURN_IF_ERROR(m.engine->Forward(m.batch, m.logits.data()));
    m.context.insert(m.context.end(), tokens.begin() + start, tokens.begin() + end);
  }
  if (!tokens.empty()) m.logits_valid = true;
  return Status::Ok();
}

Status Session::SetContext(std::span<const int32_t> tokens) {
  Impl& m = *impl_;
  size_t common = 0;
  while (common < tokens.size() && common < m.context.size() && tokens[common] == m.context[common])
    ++common;
  if (common == tokens.size() && common == m.context.size() && m.logits_valid) return Status::Ok();
  // Re-run at least the last token so its logits are available.
  size_t keep = std::min(common, tokens.empty() ? 0 : tokens.size() - 1);
  if (!m.engine->Truncate(0, static_cast<int32_t>(keep))) {
    m.engine->Clear(0);
    keep = 0;
  }
  m.context.resize(keep);
  m.logits_valid = false;
  return Append(tokens.subspan(keep));
}

const float* Session::logits() const {
  return impl_->logits_valid ? impl_->logits.data() : nullptr;
}
std::span<const int32_t> Session::context() const { return impl_->context; }
void Session::Cancel() { impl_->cancel.store(true, std::memory_order_relaxed); }
void Session::Reset() {
  impl_->engine->Clear(0);
  impl_->context.clear();
  impl_->logits_valid = false;
}
const Model& Session::model() const { return *impl_->model; }
Engine& Session::engine() { return *impl_->engine; }

StatusOr<GenerateResult> Session::Generate(std::span<const int32_t> prompt,
                                           const GenerateOptions& options,
                                           const StreamCallback& on_text) {
  Impl& m = *impl_;
  m.cancel.store(false, std::memory_order_relaxed);
  const Tokenizer& tok = m.model->tokenizer();
  const size_t n_vocab = m.model->info().n_vocab;
  GEMMA_ASSIGN_OR_RETURN(Sampler sampler, Sampler::Create(n_vocab, options.sampling));
  for (int32_t t : m.context) sampler.Accept(t);
  for (int32_t t : prompt) sampler.Accept(t);

  GenerateResult result;
  result.prompt_tokens = prompt.size();
  const size_t room = m.engine->options().context_length;
  result.tokens.reserve(std::min(options.max_tokens, room));
  result.text.reserve(std::min(options.max_tokens, room) * 8);

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  GEMMA_RETURN_IF_ERROR(Append(prompt));
  if (!m.logits_valid) return InvalidArgument("Generate: empty context and empty prompt");
  const auto t1 = Clock::now();

  StreamingDetokenizer detok(tok);
  StopMatcher stops(options.stop);
  std::string piece, shown;
  piece.reserve(256);
  shown.reserve(256);
  const int32_t eos = tok.eos_id(), eot = tok.end_of_turn_id();
  result.finish_reason = FinishReason::kLength;
  bool done = false, hit_stop_string = false;
  auto emit = [&](void) {
    if (shown.empty()) return;
    result.text += shown;
    if (on_text && !on_text(shown)) {
      result.finish_reason = FinishReason::kCancelled;
      done = true;
    }
    shown.clear();
  };
  for (size_t i = 0; i < options.max_tokens && !done; ++i) {
    if (m.cancel.load(std::memory_order_relaxed)) {
      result.finish_reason = FinishReason::kCancelled;
      break;
    }
    const int32_t next = sampler.Sample(m.logits.data());
    m.logits_valid = false;  // Sample may have modified them
    if (options.stop_at_eos && (next == eos || next == eot)) {
      result.finish_reason = FinishReason::kStop;
      break;
    }
    result.tokens.push_back(next);
    sampler.Accept(next);
    piece.clear();
    detok.Push(next, &piece);
    if (stops.Push(piece, &shown)) {
      result.finish_reason = FinishReason::kStop;
      hit_stop_string = done = true;
    }
    emit();
    if (done || i + 1 == options.max_tokens) break;
    if (m.context.size() >= room) break;  // finish_reason stays kLength
    const int32_t one[1] = {next};
    GEMMA_RETURN_IF_ERROR(Append(one));
  }
  // Release what the detokenizer and the stop matcher held back, unless the
  // text ended at a stop string or the caller cancelled.
  if (!hit_stop_string && result.finish_reason != FinishReason::kCancelled) {
    piece.clear();
    detok.Flush(&piece);
    if (stops.Push(piece, &shown)) {
      result.finish_reason = FinishReason::kStop;
    } else {
      stops.Flush(&shown);
    }
    emit();
  }
  const auto t2 = Clock::now();
  result.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();
  result.decode_seconds = std::chrono::duration<double>(t2 - t1).count();
  return result;
}

}  // namespace gemma
