// The C API: thin wrappers over engine.h that turn Status into codes and a
// per-thread message, and C++ exceptions (allocation failure) into errors.
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "gemma/engine.h"
#include "gemma/gemma_c.h"

struct gemma_model {
  std::shared_ptr<const gemma::Model> model;
};
struct gemma_session {
  std::unique_ptr<gemma::Session> session;
};

namespace {

thread_local std::string g_last_error;

gemma_status Report(const gemma::Status& s) {
  g_last_error = s.ok() ? std::string() : s.ToString();
  return static_cast<gemma_status>(s.code());
}

gemma_status Invalid(const char* what) { return Report(gemma::InvalidArgument(what)); }

char* CopyString(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out != nullptr) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

// Runs fn, mapping an escaping std::bad_alloc to an error code.
template <class F>
gemma_status Guard(F&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return Report(gemma::ResourceExhausted("out of memory"));
  } catch (const std::exception& e) {
    return Report(gemma::Internal(e.what()));
  }
}

}  // namespace

extern "C" {

void gemma_engine_options_default(gemma_engine_options* o) {
  if (o == nullptr) return;
  const gemma::EngineOptions d;
  *o = {d.num_threads, d.context_length, 0, d.max_batch_tokens};
}

void gemma_generate_options_default(gemma_generate_options* o) {
  if (o == nullptr) return;
  const gemma::GenerateOptions d;
  const gemma::SamplingParams& s = d.sampling;
  *o = {s.temperature,
        s.top_k,
        s.top_p,
        s.min_p,
        s.repetition_penalty,
        s.presence_penalty,
        s.frequency_penalty,
        s.penalty_last_n,
        s.seed,
        d.max_tokens,
        nullptr,
        0,
        d.stop_at_eos ? 1 : 0};
}

const char* gemma_last_error(void) { return g_last_error.c_str(); }
void gemma_string_free(char* s) { std::free(s); }

gemma_status gemma_model_load(const char* path, gemma_model** out) {
  if (path == nullptr || out == nullptr) return Invalid("gemma_model_load: null argument");
  *out = nullptr;
  return Guard([&] {
    auto m = gemma::Model::Load(path);
    if (!m.ok()) return Report(m.status());
    *out = new gemma_model{std::move(*m)};
    return Report(gemma::Status::Ok());
  });
}

void gemma_model_free(gemma_model* model) { delete model; }

size_t gemma_model_vocab_size(const gemma_model* model) {
  return model != nullptr ? model->model->info().n_vocab : 0;
}

gemma_status gemma_tokenize(const gemma_model* model, const char* text, size_t text_len,
                            int add_bos, int parse_special, int32_t* ids, size_t capacity,
                            size_t* n_ids) {
  if (model == nullptr || (text == nullptr && text_len > 0) || n_ids == nullptr ||
      (ids == nullptr && capacity > 0)) {
    return Invalid("gemma_tokenize: null argument");
  }
  return Guard([&] {
    const auto tokens = model->model->tokenizer().Encode(
        std::string_view(text ? text : "", text_len),
        {.add_bos = add_bos != 0, .parse_special = parse_special != 0});
    *n_ids = tokens.size();
    std::memcpy(ids, tokens.data(), std::min(capacity, tokens.size()) * sizeof(int32_t));
    return Report(gemma::Status::Ok());
  });
}

gemma_status gemma_detokenize(const gemma_model* model, const int32_t* ids, size_t n_ids,
                              char** text) {
  if (model == nullptr || (ids == nullptr && n_ids > 0) || text == nullptr)
    return Invalid("gemma_detokenize: null argument");
  return Guard([&] {
    *text = CopyString(model->model->tokenizer().Decode({ids, n_ids}));
    return *text ? Report(gemma::Status::Ok()) : Report(gemma::ResourceExhausted("out of memory"));
  });
}

gemma_status gemma_session_create(const gemma_model* model, const gemma_engine_options* options,
                                  gemma_session** out) {
  if (model == nullptr || out == nullptr) return Invalid("gemma_session_create: null argument");
  *out = nullptr;
  return Guard([&] {
    gemma::EngineOptions o;
    if (options != nullptr) {
      o.num_threads = options->num_threads;
      o.context_length = options->context_length;
      o.kv_type = options->kv_f16 ? gemma::KvCacheType::kF16 : gemma::KvCacheType::kF32;
      o.max_batch_tokens = options->max_batch_tokens;
    }
    auto s = gemma::Session::Create(model->model, o);
    if (!s.ok()) return Report(s.status());
    *out = new gemma_session{std::move(*s)};
    return Report(gemma::Status::Ok());
  });
}

void gemma_session_free(gemma_session* session) { delete session; }

gemma_status gemma_session_append(gemma_session* session, const int32_t* ids, size_t n_ids) {
  if (session == nullptr || (ids == nullptr && n_ids > 0))
    return Invalid("gemma_session_append: null argument");
  return Guard([&] { return Report(session->session->Append({ids, n_ids})); });
}

const float* gemma_session_logits(const gemma_session* session) {
  return session != nullptr ? session->session->logits() : nullptr;
}

gemma_status gemma_session_generate(gemma_session* session, const int32_t* prompt, size_t n_prompt,
                                    const gemma_generate_options* options, gemma_stream_fn on_text,
                                    void* user_data, char** text, gemma_finish_reason* finish) {
  if (session == nullptr || (prompt == nullptr && n_prompt > 0))
    return Invalid("gemma_session_generate: null argument");
  return Guard([&] {
    gemma::GenerateOptions g;
    if (options != nullptr) {
      g.sampling = {options->temperature,
                    options->top_k,
                    options->top_p,
                    options->min_p,
                    options->repetition_penalty,
                    options->presence_penalty,
                    options->frequency_penalty,
                    options->penalty_last_n,
                    options->seed};
      g.max_tokens = options->max_tokens;
      g.stop_at_eos = options->stop_at_eos != 0;
      for (size_t i = 0; i < options->n_stop; ++i) {
        if (options->stop[i] != nullptr) g.stop.emplace_back(options->stop[i]);
      }
    }
    gemma::StreamCallback cb;
    if (on_text != nullptr) {
      cb = [&](std::string_view d) { return on_text(d.data(), d.size(), user_data) != 0; };
    }
    auto r = session->session->Generate({prompt, n_prompt}, g, cb);
    if (!r.ok()) return Report(r.status());
    if (finish != nullptr) *finish = static_cast<gemma_finish_reason>(r->finish_reason);
    if (text != nullptr) *text = CopyString(r->text);
    return Report(gemma::Status::Ok());
  });
}

void gemma_session_cancel(gemma_session* session) {
  if (session != nullptr) session->session->Cancel();
}

void gemma_session_reset(gemma_session* session) {
  if (session != nullptr) session->session->Reset();
}

}  // extern "C"
