// The C functions the JavaScript side of gemma-wasm calls (wasm/js/core.js).
// A thin layer over the public API (gemma/engine.h): handles, errors as a
// message per call, results as small JSON strings, text streamed through an
// imported JS function that may suspend the call (Asyncify) so the page or
// worker stays responsive and abort() works while generating.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gemma/engine.h"
#include "gemma/tokenizer.h"

// Implemented in library_gemma.js. on_text returns 0 to stop, 1 to go on, 2
// to go on after yielding to the event loop (gw_js_yield, which suspends).
extern "C" int gw_js_on_text(const char* text, size_t len);
extern "C" void gw_js_yield(void);

namespace {

using gemma::Status;

std::string g_error;
size_t g_count = 0;  // length of the last array / string result

void SetError(const Status& s) { g_error = s.ToString(); }
void SetError(const std::string& s) { g_error = s; }

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendKey(std::string* out, const char* key) {
  if (out->size() > 1) out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
}
void AppendNum(std::string* out, const char* key, double v) {
  AppendKey(out, key);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out->append(buf);
}
void AppendStr(std::string* out, const char* key, std::string_view v) {
  AppendKey(out, key);
  AppendJsonString(out, v);
}

}  // namespace

struct GwModel {
  std::shared_ptr<const gemma::Model> model;
  std::vector<int32_t> ids;   // last tokenize result
  std::string text;           // last string result
  std::vector<float> logits;  // gw_logits rows
  std::vector<int32_t> generated;
};

struct GwSession {
  GwModel* owner = nullptr;
  std::unique_ptr<gemma::Session> session;
  gemma::GenerateResult result;
  size_t reused_tokens = 0;
  std::string json;
};

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* gw_last_error(void) { return g_error.c_str(); }
EMSCRIPTEN_KEEPALIVE size_t gw_last_count(void) { return g_count; }

EMSCRIPTEN_KEEPALIVE int gw_threads_enabled(void) {
#ifdef __EMSCRIPTEN_PTHREADS__
  return 1;
#else
  return 0;
#endif
}

// Bytes aligned to 64 (tensor data must be at least 4-byte aligned). Returns
// 0 when wasm memory cannot grow that far.
EMSCRIPTEN_KEEPALIVE void* gw_alloc(size_t n) {
  const size_t rounded = (std::max<size_t>(n, 1) + 63) / 64 * 64;
  if (rounded < n) return nullptr;
  return std::aligned_alloc(64, rounded);
}
EMSCRIPTEN_KEEPALIVE void gw_free(void* p) { std::free(p); }

// Takes ownership of data (allocated with gw_alloc), also on failure.
EMSCRIPTEN_KEEPALIVE GwModel* gw_model_load(uint8_t* data, size_t n, const char* name) {
  std::shared_ptr<const void> owner(data, [](const void* p) { std::free(const_cast<void*>(p)); });
  auto m = gemma::Model::LoadFromMemory(std::span<const uint8_t>(data, n), name ? name : "model",
                                        std::move(owner));
  if (!m.ok()) {
    SetError(m.status());
    return nullptr;
  }
  auto* h = new (std::nothrow) GwModel;
  if (h == nullptr) {
    SetError("out of memory");
    return nullptr;
  }
  h->model = std::move(*m);
  return h;
}

EMSCRIPTEN_KEEPALIVE void gw_model_free(GwModel* m) { delete m; }

EMSCRIPTEN_KEEPALIVE const char* gw_model_info(GwModel* m) {
  const gemma::ModelInfo& i = m->model->info();
  const gemma::Tokenizer& tok = m->model->tokenizer();
  std::string& o = m->text;
  o = "{";
  AppendStr(&o, "name", i.name);
  AppendStr(&o, "architecture", i.architecture);
  AppendNum(&o, "n_vocab", static_cast<double>(i.n_vocab));
  AppendNum(&o, "d_model", static_cast<double>(i.d_model));
  AppendNum(&o, "n_layers", static_cast<double>(i.n_layers));
  AppendNum(&o, "n_heads", static_cast<double>(i.n_heads));
  AppendNum(&o, "n_kv_heads", static_cast<double>(i.n_kv_heads));
  AppendNum(&o, "head_dim", static_cast<double>(i.head_dim));
  AppendNum(&o, "ffn_dim", static_cast<double>(i.ffn_dim));
  AppendNum(&o, "model_context_length", static_cast<double>(i.context_length));
  AppendNum(&o, "sliding_window", static_cast<double>(i.sliding_window));
  AppendNum(&o, "weight_bytes", static_cast<double>(i.weight_bytes));
  AppendNum(&o, "n_params", static_cast<double>(i.n_params));
  AppendNum(&o, "bos_id", tok.bos_id());
  AppendNum(&o, "eos_id", tok.eos_id());
  AppendNum(&o, "end_of_turn_id", tok.end_of_turn_id());
  o += "}";
  g_count = o.size();
  return o.c_str();
}

EMSCRIPTEN_KEEPALIVE const int32_t* gw_tokenize(GwModel* m, const char* text, size_t len,
                                                int add_bos, int parse_special) {
  m->ids.clear();
  m->model->tokenizer().EncodeInto(std::string_view(text, len),
                                   {.add_bos = add_bos != 0, .parse_special = parse_special != 0},
                                   &m->ids);
  g_count = m->ids.size();
  return m->ids.data();
}

// Ids outside the vocabulary are an error (the JS side reports which).
EMSCRIPTEN_KEEPALIVE const char* gw_detokenize(GwModel* m, const int32_t* ids, size_t n,
                                               int skip_special) {
  const gemma::Tokenizer& tok = m->model->tokenizer();
  for (size_t i = 0; i < n; ++i) {
    if (!tok.IsValid(ids[i])) {
      SetError(gemma::InvalidArgument("token id " + std::to_string(ids[i]) + " at index " +
                                      std::to_string(i) + " is outside the vocabulary [0, " +
                                      std::to_string(tok.vocab_size()) + ")"));
      return nullptr;
    }
  }
  m->text = tok.Decode(std::span<const int32_t>(ids, n), skip_special != 0);
  g_count = m->text.size();
  return m->text.c_str();
}

// roles[i] / contents[i] are NUL-terminated UTF-8. Returns the prompt text
// (without BOS) in a buffer that lives until the next call, or null.
EMSCRIPTEN_KEEPALIVE const char* gw_render_chat(GwModel* m, const char* const* roles,
                                                const char* const* contents, size_t n,
                                                int add_generation_prompt) {
  std::vector<gemma::ChatMessage> msgs(n);
  for (size_t i = 0; i < n; ++i) msgs[i] = {roles[i], contents[i]};
  auto r = gemma::RenderChat(msgs, add_generation_prompt != 0);
  if (!r.ok()) {
    SetError(r.status());
    return nullptr;
  }
  m->text = std::move(*r);
  g_count = m->text.size();
  return m->text.c_str();
}

EMSCRIPTEN_KEEPALIVE GwSession* gw_session_create(GwModel* m, size_t threads, size_t context_length,
                                                  int kv_f16, size_t max_batch_tokens) {
  gemma::EngineOptions o;
  o.num_threads = threads;
  o.context_length = context_length;
  o.kv_type = kv_f16 ? gemma::KvCacheType::kF16 : gemma::KvCacheType::kF32;
  if (max_batch_tokens) o.max_batch_tokens = max_batch_tokens;
  auto s = gemma::Session::Create(m->model, o);
  if (!s.ok()) {
    SetError(s.status());
    return nullptr;
  }
  auto* h = new (std::nothrow) GwSession;
  if (h == nullptr) {
    SetError("out of memory");
    return nullptr;
  }
  h->owner = m;
  h->session = std::move(*s);
  return h;
}

EMSCRIPTEN_KEEPALIVE void gw_session_free(GwSession* s) { delete s; }
EMSCRIPTEN_KEEPALIVE void gw_session_reset(GwSession* s) { s->session->Reset(); }
EMSCRIPTEN_KEEPALIVE void gw_session_cancel(GwSession* s) { s->session->Cancel(); }

EMSCRIPTEN_KEEPALIVE const char* gw_session_info(GwSession* s) {
  gemma::Engine& e = s->session->engine();
  std::string& o = s->json;
  o = "{";
  AppendNum(&o, "threads", static_cast<double>(e.options().num_threads));
  AppendNum(&o, "context_length", static_cast<double>(e.options().context_length));
  AppendNum(&o, "max_batch_tokens", static_cast<double>(e.options().max_batch_tokens));
  AppendNum(&o, "kv_cache_bytes", static_cast<double>(e.kv_cache_bytes()));
  AppendNum(&o, "context_tokens", static_cast<double>(s->session->context().size()));
  AppendStr(&o, "simd_target", e.simd_target());
  o += "}";
  g_count = o.size();
  return o.c_str();
}

// Generates from ids[0, n). With reuse, the KV cache keeps the prefix the
// ids share with the current context (chat turns), when it is longer than
// one token; otherwise the context is cleared first, so a prompt gives
// exactly what a fresh native Session gives. Returns a gemma::StatusCode.
EMSCRIPTEN_KEEPALIVE int gw_generate(GwSession* s, const int32_t* ids, size_t n, int reuse,
                                     float temperature, int top_k, float top_p, float min_p,
                                     float repetition_penalty, float presence_penalty,
                                     float frequency_penalty, int penalty_last_n, uint32_t seed_lo,
                                     uint32_t seed_hi, size_t max_tokens, const char* const* stop,
                                     size_t n_stop, int stop_at_eos) {
  gemma::Session& session = *s->session;
  gemma::GenerateOptions g;
  g.sampling.temperature = temperature;
  g.sampling.top_k = top_k;
  g.sampling.top_p = top_p;
  g.sampling.min_p = min_p;
  g.sampling.repetition_penalty = repetition_penalty;
  g.sampling.presence_penalty = presence_penalty;
  g.sampling.frequency_penalty = frequency_penalty;
  g.sampling.penalty_last_n = penalty_last_n;
  g.sampling.seed = (static_cast<uint64_t>(seed_hi) << 32) | seed_lo;
  g.max_tokens = max_tokens;
  for (size_t i = 0; i < n_stop; ++i) g.stop.emplace_back(stop[i]);
  g.stop_at_eos = stop_at_eos != 0;

  const std::span<const int32_t> all(ids, n);
  const std::span<const int32_t> ctx = session.context();
  size_t common = 0;
  while (reuse && common < n && common < ctx.size() && ctx[common] == ids[common]) ++common;
  if (common == n) --common;  // the last prompt token must run to give logits
  std::span<const int32_t> prompt = all;
  s->reused_tokens = 0;
  if (common > 1) {
    Status st = session.SetContext(all.first(common));
    if (!st.ok()) {
      SetError(st);
      return static_cast<int>(st.code());
    }
    s->reused_tokens = common;
    prompt = all.subspan(common);
  } else {
    session.Reset();
  }
  auto r = session.Generate(prompt, g, [](std::string_view delta) {
    const int go = gw_js_on_text(delta.data(), delta.size());
    if (go == 2) gw_js_yield();  // suspends; abort() may call Cancel meanwhile
    return go != 0;
  });
  if (!r.ok()) {
    SetError(r.status());
    return static_cast<int>(r.status().code());
  }
  s->result = std::move(*r);
  return 0;
}

EMSCRIPTEN_KEEPALIVE const char* gw_result(GwSession* s) {
  const gemma::GenerateResult& r = s->result;
  std::string& o = s->json;
  o = "{";
  AppendStr(&o, "finish_reason", gemma::FinishReasonName(r.finish_reason));
  AppendNum(&o, "prompt_tokens", static_cast<double>(r.prompt_tokens));
  AppendNum(&o, "cached_tokens", static_cast<double>(s->reused_tokens));
  AppendNum(&o, "prefill_seconds", r.prefill_seconds);
  AppendNum(&o, "decode_seconds", r.decode_seconds);
  AppendKey(&o, "tokens");
  o.push_back('[');
  for (size_t i = 0; i < r.tokens.size(); ++i) {
    if (i) o.push_back(',');
    o += std::to_string(r.tokens[i]);
  }
  o += "]}";
  g_count = o.size();
  return o.c_str();
}

// As `gemma logits`: ids as one batch with logits at every position, then
// `generate` greedy tokens one at a time (ties to the lowest id). Returns
// (n + generate) rows of n_vocab floats (prompt rows, then the rows that
// chose each generated token, the first being the last prompt row);
// gw_logits_generated() gives the ids.
EMSCRIPTEN_KEEPALIVE const float* gw_logits(GwModel* m, const int32_t* ids, size_t n,
                                            size_t generate, size_t threads, int kv_f16) {
  if (n == 0) {
    SetError(gemma::InvalidArgument("gw_logits: no tokens"));
    return nullptr;
  }
  gemma::EngineOptions o;
  o.num_threads = threads;
  o.kv_type = kv_f16 ? gemma::KvCacheType::kF16 : gemma::KvCacheType::kF32;
  o.max_batch_tokens = std::max(o.max_batch_tokens, n);
  o.context_length = std::min(m->model->info().context_length, std::max<size_t>(n + generate, 64));
  auto e = gemma::Engine::Create(m->model, o);
  if (!e.ok()) {
    SetError(e.status());
    return nullptr;
  }
  const size_t nv = m->model->info().n_vocab;
  std::vector<gemma::BatchToken> batch;
  for (size_t i = 0; i < n; ++i) batch.push_back({ids[i], static_cast<int32_t>(i), 0, true});
  m->logits.assign((n + generate) * nv, 0.0f);
  m->generated.clear();
  if (Status st = (*e)->Forward(batch, m->logits.data()); !st.ok()) {
    SetError(st);
    return nullptr;
  }
  auto argmax = [nv](const float* row) {
    size_t best = 0;
    for (size_t i = 1; i < nv; ++i) {
      if (row[i] > row[best]) best = i;
    }
    return static_cast<int32_t>(best);
  };
  float* gen = m->logits.data() + n * nv;
  if (generate > 0) {
    std::copy_n(m->logits.data() + (n - 1) * nv, nv, gen);
    m->generated.push_back(argmax(gen));
  }
  for (size_t k = 1; k < generate; ++k) {
    const gemma::BatchToken one{m->generated.back(), static_cast<int32_t>(n + k - 1), 0, true};
    if (Status st = (*e)->Forward({&one, 1}, gen + k * nv); !st.ok()) {
      SetError(st);
      return nullptr;
    }
    m->generated.push_back(argmax(gen + k * nv));
  }
  g_count = m->logits.size();
  return m->logits.data();
}

EMSCRIPTEN_KEEPALIVE const int32_t* gw_logits_generated(GwModel* m) {
  g_count = m->generated.size();
  return m->generated.data();
}

// As `gemma bench`: prefill of n_prompt pseudo-random tokens as one batch and
// decode of n_gen tokens one at a time, each from an empty cache, once to warm
// up and then `reps` times. Returns JSON with tokens/s per repetition.
EMSCRIPTEN_KEEPALIVE const char* gw_bench(GwModel* m, size_t threads, size_t n_prompt, size_t n_gen,
                                          size_t reps) {
  gemma::EngineOptions o;
  o.num_threads = threads;
  o.max_batch_tokens = std::max(o.max_batch_tokens, n_prompt);
  o.context_length = std::min(m->model->info().context_length, std::max(n_prompt, n_gen) + 16);
  auto e = gemma::Engine::Create(m->model, o);
  if (!e.ok()) {
    SetError(e.status());
    return nullptr;
  }
  gemma::Engine& engine = **e;
  const size_t nv = m->model->info().n_vocab;
  std::vector<float> logits(nv);
  auto tokens = [nv](size_t count) {  // the same ids as `gemma bench`
    std::vector<int32_t> t(count);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < count; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      t[i] = i == 0 ? 2 : static_cast<int32_t>((state >> 33) % nv);
    }
    return t;
  };
  using Clock = std::chrono::steady_clock;
  auto pp = [&]() -> double {
    engine.Clear(0);
    const std::vector<int32_t> t = tokens(n_prompt);
    std::vector<gemma::BatchToken> batch;
    for (size_t i = 0; i < t.size(); ++i)
      batch.push_back({t[i], static_cast<int32_t>(i), 0, i + 1 == t.size()});
    const auto t0 = Clock::now();
    if (!engine.Forward(batch, logits.data()).ok()) return -1;
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  auto tg = [&]() -> double {
    engine.Clear(0);
    const std::vector<int32_t> t = tokens(n_gen);
    const auto t0 = Clock::now();
    for (size_t i = 0; i < t.size(); ++i) {
      const gemma::BatchToken one{t[i], static_cast<int32_t>(i), 0, true};
      if (!engine.Forward({&one, 1}, logits.data()).ok()) return -1;
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  std::string& o2 = m->text;
  o2 = "{";
  AppendNum(&o2, "threads", static_cast<double>(engine.options().num_threads));
  AppendStr(&o2, "simd_target", engine.simd_target());
  auto run = [&](const char* key, size_t count, auto&& fn) {
    AppendKey(&o2, key);
    o2.push_back('[');
    if (count > 0) {
      fn();  // warm-up
      for (size_t r = 0; r < reps; ++r) {
        if (r) o2.push_back(',');
        const double secs = fn();
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.6g", secs > 0 ? static_cast<double>(count) / secs : 0.0);
        o2 += buf;
      }
    }
    o2.push_back(']');
  };
  run("pp_tps", n_prompt, pp);
  run("tg_tps", n_gen, tg);
  o2 += "}";
  g_count = o2.size();
  return o2.c_str();
}

}  // extern "C"
