#include "routes/openai_completions.h"

#include <atomic>
#include <chrono>
#include <mutex>

#include "routes/openai_response.h"

namespace gemma::server {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

class CompletionJob : public Cancellable, public std::enable_shared_from_this<CompletionJob> {
 public:
  CompletionJob(AppState& app, CompletionParams params, std::shared_ptr<ResponseSink> sink)
      : app_(app), tok_(app.model().tokenizer()), p_(std::move(params)), sink_(std::move(sink)) {
    meta_.chat = p_.chat;
    meta_.id = NewResponseId(p_.chat);
    meta_.created = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    meta_.model = app.model_id();
  }

  std::optional<ApiError> Submit(const std::vector<std::vector<int32_t>>& prompts) {
    const size_t max_len = app_.max_sequence_length();
    for (const auto& ids : prompts) {
      if (ids.size() >= max_len) {
        return BadRequest("The prompt is " + std::to_string(ids.size()) +
                              " tokens; this server's context is " + std::to_string(max_len) +
                              " tokens per sequence (prompt + completion)",
                          p_.chat ? "messages" : "prompt", "context_length_exceeded");
      }
      prompt_tokens_ += ids.size();
    }
    const size_t total = prompts.size() * static_cast<size_t>(p_.n);
    choices_.resize(total);
    remaining_.store(total);
    start_ = Clock::now();
    for (size_t pi = 0; pi < prompts.size(); ++pi) {
      for (int j = 0; j < p_.n; ++j) {
        const size_t c = pi * p_.n + j;
        choices_[c].result.want_logprobs = p_.logprobs;
        GenerationRequest req;
        req.prompt = prompts[pi];
        req.options.sampling = p_.sampling;
        req.options.sampling.seed = p_.sampling.seed + static_cast<uint64_t>(j);
        const size_t room = max_len - req.prompt.size();
        req.options.max_tokens =
            std::min(p_.max_tokens.value_or(app_.config().default_max_tokens), room);
        req.options.stop = p_.stop;
        req.options.stop_at_eos = !p_.ignore_eos;
        req.logprobs = p_.logprobs;
        req.top_logprobs = p_.top_logprobs;
        auto self = shared_from_this();
        req.on_token = [self, c](const TokenEvent& ev) { self->OnToken(c, ev); };
        req.on_finish = [self, c](const FinishEvent& ev) { self->OnFinish(c, ev); };
        auto id = app_.scheduler().Submit(std::move(req));
        if (!id.ok()) {
          abandoned_.store(true);
          Cancel();
          return FromStatus(id.status(), p_.chat ? "messages" : "prompt");
        }
        std::lock_guard<std::mutex> lock(ids_mu_);
        ids_.push_back(*id);
      }
    }
    return std::nullopt;
  }

  void Cancel() override {
    std::vector<RequestId> ids;
    {
      std::lock_guard<std::mutex> lock(ids_mu_);
      ids = ids_;
    }
    for (RequestId id : ids) app_.scheduler().Cancel(id);
  }

 private:
  struct Choice {
    bool started = false;
    Clock::time_point last_token;
    size_t text_offset = 0;  // completions logprobs: bytes of token text so far
    size_t completion_tokens = 0;
    ChoiceResult result;
  };

  // Both callbacks run on the scheduler thread only: no locking needed for
  // choices_ and the totals.
  void OnToken(size_t c, const TokenEvent& ev) {
    if (abandoned_.load()) return;
    Choice& ch = choices_[c];
    const auto now = Clock::now();
    if (!ch.started) {
      app_.metrics().ObserveTimeToFirstToken(Seconds(start_, now));
    } else {
      app_.metrics().ObserveInterTokenLatency(Seconds(ch.last_token, now));
    }
    ch.last_token = now;
    ch.completion_tokens++;
    TokenLogprobInfo info;
    if (p_.logprobs) {
      info.token = ev.token;
      info.logprob = ev.logprob;
      for (const TokenLogprob& t : ev.top) info.top.push_back({t.token, t.logprob});
    }
    if (!p_.stream) {
      ch.result.text += ev.text;
      if (p_.logprobs) ch.result.logprobs.push_back(std::move(info));
      ch.started = true;
      return;
    }
    const bool role = p_.chat && !ch.started;
    ch.started = true;
    if (ev.text.empty() && !p_.logprobs && !role) return;
    ojson lp = nullptr;
    if (p_.logprobs) {
      lp = LogprobsJson(tok_, p_.chat, {info}, ch.text_offset);
      ch.text_offset += TokenText(tok_, ev.token).size();
    }
    SendChunk(c, role, ev.text, std::move(lp), "");
  }

  void OnFinish(size_t c, const FinishEvent& ev) {
    Choice& ch = choices_[c];
    const auto now = Clock::now();
    const bool cancelled = ev.reason == FinishReason::kCancelled;
    const bool failed = !ev.error.ok() && ev.error.code() != StatusCode::kCancelled;
    app_.metrics().CountFinish(failed ? "error" : FinishReasonName(ev.reason));
    app_.metrics().AddPromptTokens(ev.prompt_tokens);
    app_.metrics().AddGeneratedTokens(ev.completion_tokens);
    app_.metrics().ObserveRequestDuration(Seconds(start_, now));
    if (abandoned_.load()) return;
    ch.completion_tokens = std::max(ch.completion_tokens, ev.completion_tokens);
    ch.result.finish_reason = FinishReasonName(ev.reason);
    if (failed && !first_error_) first_error_ = ev.error;
    (void)cancelled;
    if (p_.stream) {
      const bool role = p_.chat && !ch.started;
      ch.started = true;
      if (!ev.text.empty() || role) SendChunk(c, role, ev.text, nullptr, "");
      if (failed) {
        sink_->Event(Dump(FromStatus(ev.error).ToJson()));
      } else {
        SendChunk(c, false, std::nullopt, nullptr, ch.result.finish_reason);
      }
    } else {
      ch.result.text += ev.text;
    }
    if (remaining_.fetch_sub(1) == 1) Complete();
  }

  void SendChunk(size_t c, bool role, std::optional<std::string> text, ojson logprobs,
                 const std::string& finish) {
    sink_->Event(Dump(StreamChunk(meta_, static_cast<int>(c), role, std::move(text),
                                  std::move(logprobs), finish, p_.include_usage)));
  }

  void Complete() {
    size_t completion = 0;
    for (const Choice& ch : choices_) completion += ch.completion_tokens;
    if (p_.stream) {
      if (p_.include_usage) sink_->Event(Dump(UsageChunk(meta_, prompt_tokens_, completion)));
      sink_->End();
    } else if (first_error_) {
      sink_->Reply(FromStatus(*first_error_).ToReply());
    } else {
      std::vector<ChoiceResult> results;
      for (Choice& ch : choices_) results.push_back(std::move(ch.result));
      sink_->Reply(JsonReply(200, FullResponse(tok_, meta_, results, prompt_tokens_, completion)));
    }
    sink_.reset();
  }

  AppState& app_;
  const Tokenizer& tok_;
  CompletionParams p_;
  std::shared_ptr<ResponseSink> sink_;
  ResponseMeta meta_;
  std::vector<Choice> choices_;
  size_t prompt_tokens_ = 0;
  std::optional<Status> first_error_;
  Clock::time_point start_;
  std::atomic<size_t> remaining_{0};
  std::atomic<bool> abandoned_{false};
  std::mutex ids_mu_;
  std::vector<RequestId> ids_;
};

}  // namespace

std::variant<std::vector<std::vector<int32_t>>, ApiError> TokenizePrompts(
    const Tokenizer& tok, const CompletionParams& p) {
  std::vector<std::vector<int32_t>> out;
  if (p.chat) {
    auto rendered = RenderChat(p.messages, /*add_generation_prompt=*/true);
    if (!rendered.ok()) return BadRequest(rendered.status().message(), "messages");
    out.push_back(tok.Encode(*rendered, {.add_bos = true}));
    return out;
  }
  for (const std::string& text : p.prompt_texts) out.push_back(tok.Encode(text, {.add_bos = true}));
  for (const auto& ids : p.prompt_tokens) out.push_back(ids);
  return out;
}

std::variant<std::shared_ptr<Cancellable>, ApiError> StartCompletion(
    AppState& app, CompletionParams params, std::shared_ptr<ResponseSink> sink) {
  auto prompts = TokenizePrompts(app.model().tokenizer(), params);
  if (auto* e = std::get_if<ApiError>(&prompts)) return *e;
  auto job = std::make_shared<CompletionJob>(app, std::move(params), std::move(sink));
  if (auto err = job->Submit(std::get<0>(prompts))) return *err;
  return std::shared_ptr<Cancellable>(job);
}

}  // namespace gemma::server
