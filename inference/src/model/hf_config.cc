#include "model/hf_config.h"

#include <cmath>
#include <cstdio>

#include "io/json.h"
#include "io/mapped_file.h"

namespace gemma {
namespace {

// transformers' defaults (GemmaConfig, Gemma2Config, Gemma3TextConfig).
struct Defaults {
  uint64_t vocab, hidden, inter, layers, heads, kv_heads, head_dim, max_pos;
  double eps, rope_theta, rope_local, qpas, sliding, final_cap, attn_cap;
};
constexpr Defaults kGemma1{256000, 3072,  24576, 28, 16, 16, 256, 8192,
                           1e-6,   10000, 10000, 0,  0,  0,  0};
constexpr Defaults kGemma2{256000, 2304,  9216,  26,  8,    4,  256, 8192,
                           1e-6,   10000, 10000, 256, 4096, 30, 50};
constexpr Defaults kGemma3{262208, 2304, 9216,  26,  8,    4, 256, 131072,
                           1e-6,   1e6,  10000, 256, 4096, 0, 0};

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

class Reader {
 public:
  Reader(const JsonValue& obj, std::string where, HfConfig* out)
      : obj_(obj), where_(std::move(where)), out_(out) {}

  Status Bad(const std::string& key, const std::string& what) const {
    return CorruptData(where_ + ": \"" + key + "\" " + what);
  }

  // A positive integer (or `def` when absent or null).
  Status Size(const std::string& key, uint64_t def, size_t* out) {
    const JsonValue* v = obj_.Find(key);
    uint64_t x = def;
    if (v != nullptr && !v->is_null()) {
      if (!v->is_uint()) {
        return Bad(key, std::string("must be a non-negative integer, found ") +
                            JsonValue::KindName(v->kind()));
      }
      x = v->uint_value();
    }
    if (x > (uint64_t{1} << 40))
      return Bad(key, "= " + std::to_string(x) + " is implausibly large");
    *out = static_cast<size_t>(x);
    out_->display.emplace_back(key, std::to_string(x));
    return Status::Ok();
  }

  // A number; null reads as `null_value` (soft-caps: null = off).
  Status Number(const std::string& key, double def, double* out, double null_value = 0) {
    const JsonValue* v = obj_.Find(key);
    double x = def;
    if (v != nullptr) {
      if (v->is_null()) {
        x = null_value;
      } else if (!v->is_number() || !std::isfinite(v->number())) {
        return Bad(key,
                   std::string("must be a finite number, found ") + JsonValue::KindName(v->kind()));
      } else {
        x = v->number();
      }
    }
    *out = x;
    out_->display.emplace_back(key, Fmt(x));
    return Status::Ok();
  }

  const JsonValue* Find(const std::string& key) const { return obj_.Find(key); }
  const std::string& where() const { return where_; }

 private:
  const JsonValue& obj_;
  std::string where_;
  HfConfig* out_;
};

std::string StringOr(const JsonValue* v, const std::string& def) {
  return (v != nullptr && v->is_string()) ? v->str() : def;
}

// rope_scaling: null, or {"rope_type"|"type": "linear"|"default", "factor": f}.
Status ReadRopeScaling(const JsonValue* rs, const std::string& where, double* factor) {
  *factor = 1.0;
  if (rs == nullptr || rs->is_null()) return Status::Ok();
  if (!rs->is_object()) return CorruptData(where + ": \"rope_scaling\" must be an object or null");
  const std::string type = StringOr(rs->Find("rope_type"), StringOr(rs->Find("type"), "linear"));
  if (type == "default") return Status::Ok();
  if (type != "linear") {
    return Unsupported(where + ": rope_scaling type \"" + type +
                       "\" is not supported (only linear)");
  }
  const JsonValue* f = rs->Find("factor");
  if (f == nullptr || !f->is_number() || !(f->number() > 0)) {
    return CorruptData(where + ": \"rope_scaling\".\"factor\" must be a positive number");
  }
  *factor = f->number();
  return Status::Ok();
}

}  // namespace

StatusOr<HfConfig> ParseHfConfigText(std::string_view text, const std::string& where) {
  GEMMA_ASSIGN_OR_RETURN(JsonValue root, ParseJson(text, where));
  if (!root.is_object()) return CorruptData(where + ": not a JSON object");
  HfConfig h;
  if (const JsonValue* a = root.Find("architectures"); a && a->is_array() && !a->items().empty()) {
    h.architecture = StringOr(&a->items()[0], "");
  }
  const std::string top_type = StringOr(root.Find("model_type"), "");
  h.torch_dtype = StringOr(root.Find("torch_dtype"), StringOr(root.Find("dtype"), ""));
  const JsonValue* cfg = &root;
  h.multimodal = h.architecture == "Gemma3ForConditionalGeneration" ||
                 (h.architecture.empty() && top_type == "gemma3");
  if (h.multimodal) {
    cfg = root.Find("text_config");
    if (cfg == nullptr || !cfg->is_object()) {
      return CorruptData(where + ": " + (h.architecture.empty() ? top_type : h.architecture) +
                         " needs a \"text_config\" object");
    }
    h.model_type = StringOr(cfg->Find("model_type"), "gemma3_text");
    if (h.torch_dtype.empty()) h.torch_dtype = StringOr(cfg->Find("torch_dtype"), "");
  } else {
    h.model_type = top_type;
  }

  ModelConfig& c = h.config;
  const Defaults* d = nullptr;
  const std::string& arch = h.architecture;
  if (arch == "GemmaForCausalLM" || (arch.empty() && h.model_type == "gemma")) {
    c.arch = Architecture::kGemma1;
    d = &kGemma1;
  } else if (arch == "Gemma2ForCausalLM" || (arch.empty() && h.model_type == "gemma2")) {
    c.arch = Architecture::kGemma2;
    d = &kGemma2;
  } else if (arch == "Gemma3ForCausalLM" || h.multimodal ||
             (arch.empty() && h.model_type == "gemma3_text")) {
    c.arch = Architecture::kGemma3;
    d = &kGemma3;
  } else {
    return Unsupported(where + ": architecture \"" + (arch.empty() ? h.model_type : arch) +
                       "\" is not a Gemma 1/2/3 text model (expected GemmaForCausalLM, "
                       "Gemma2ForCausalLM, Gemma3ForCausalLM or Gemma3ForConditionalGeneration)");
  }

  Reader r(*cfg, where + (h.multimodal ? ": text_config" : ""), &h);
  size_t vocab = 0;
  GEMMA_RETURN_IF_ERROR(r.Size("vocab_size", d->vocab, &vocab));
  h.vocab_size = vocab;
  GEMMA_RETURN_IF_ERROR(r.Size("hidden_size", d->hidden, &c.d_model));
  GEMMA_RETURN_IF_ERROR(r.Size("intermediate_size", d->inter, &c.ffn_dim));
  GEMMA_RETURN_IF_ERROR(r.Size("num_hidden_layers", d->layers, &c.n_layers));
  GEMMA_RETURN_IF_ERROR(r.Size("num_attention_heads", d->heads, &c.n_heads));
  GEMMA_RETURN_IF_ERROR(r.Size("num_key_value_heads", d->kv_heads, &c.n_kv_heads));
  GEMMA_RETURN_IF_ERROR(r.Size("head_dim", d->head_dim, &c.head_dim));
  GEMMA_RETURN_IF_ERROR(r.Size("max_position_embeddings", d->max_pos, &c.context_length));
  double eps, theta;
  GEMMA_RETURN_IF_ERROR(r.Number("rms_norm_eps", d->eps, &eps));
  GEMMA_RETURN_IF_ERROR(r.Number("rope_theta", d->rope_theta, &theta));
  c.rms_eps = static_cast<float>(eps);
  c.rope_base_global = c.rope_base_local = static_cast<float>(theta);

  for (const char* key : {"hidden_activation", "hidden_act"}) {
    const JsonValue* act = r.Find(key);
    if (act != nullptr && act->is_string() && act->str() != "gelu_pytorch_tanh" &&
        act->str() != "gelu" && act->str() != "gelu_new") {
      return Unsupported(r.where() + ": \"" + key + "\" \"" + act->str() +
                         "\" is not supported (Gemma uses gelu_pytorch_tanh)");
    }
  }
  if (const JsonValue* b = r.Find("attention_bias");
      b != nullptr && b->is_bool() && b->bool_value()) {
    return Unsupported(r.where() + ": \"attention_bias\": true is not supported");
  }
  if (const JsonValue* t = root.Find("tie_word_embeddings");
      t != nullptr && t->is_bool() && !t->bool_value()) {
    return Unsupported(where +
                       ": \"tie_word_embeddings\": false is not supported (Gemma ties the output "
                       "projection to the embedding)");
  }

  double qpas = static_cast<double>(c.head_dim), factor = 1.0;
  if (c.arch == Architecture::kGemma1) {
    GEMMA_RETURN_IF_ERROR(ReadRopeScaling(r.Find("rope_scaling"), r.where(), &factor));
    c.rope_linear_scale = static_cast<float>(factor);
    if (factor != 1.0) {
      return Unsupported(r.where() + ": rope_scaling is not supported for Gemma 1");
    }
  } else {
    double window = 0, attn_cap = 0, final_cap = 0;
    GEMMA_RETURN_IF_ERROR(r.Number("query_pre_attn_scalar", d->qpas, &qpas));
    const JsonValue* sw = r.Find("sliding_window");
    if ((sw == nullptr || sw->is_null()) && r.Find("sliding_window_size") != nullptr) {
      GEMMA_RETURN_IF_ERROR(r.Number("sliding_window_size", d->sliding, &window));
    } else {
      GEMMA_RETURN_IF_ERROR(r.Number("sliding_window", d->sliding, &window));
    }
    if (!(window >= 1) || window > 1e9 || window != std::floor(window)) {
      return CorruptData(r.where() + ": \"sliding_window\" must be a positive integer");
    }
    c.sliding_window = static_cast<size_t>(window);
    GEMMA_RETURN_IF_ERROR(r.Number("attn_logit_softcapping", d->attn_cap, &attn_cap));
    GEMMA_RETURN_IF_ERROR(r.Number("final_logit_softcapping", d->final_cap, &final_cap));
    c.attn_softcap = static_cast<float>(attn_cap);
    c.final_softcap = static_cast<float>(final_cap);
    c.post_norms = true;
    if (c.arch == Architecture::kGemma2) {
      if (const JsonValue* rs = r.Find("rope_scaling"); rs != nullptr && !rs->is_null()) {
        GEMMA_RETURN_IF_ERROR(ReadRopeScaling(rs, r.where(), &factor));
        if (factor != 1.0)
          return Unsupported(r.where() + ": rope_scaling is not supported for Gemma 2");
      }
    } else {
      c.qk_norm = true;
      double local = 0;
      GEMMA_RETURN_IF_ERROR(r.Number("rope_local_base_freq", d->rope_local, &local));
      c.rope_base_local = static_cast<float>(local);
      GEMMA_RETURN_IF_ERROR(ReadRopeScaling(r.Find("rope_scaling"), r.where(), &factor));
      // Newer transformers write RoPE per layer type instead:
      // "rope_parameters": {"full_attention": {rope_theta, rope_type, factor},
      //                     "sliding_attention": {rope_theta, ...}}.
      if (const JsonValue* rp = r.Find("rope_parameters"); rp != nullptr && rp->is_object()) {
        const JsonValue* full = rp->Find("full_attention");
        const JsonValue* sliding = rp->Find("sliding_attention");
        auto theta = [&](const JsonValue* o, float* out) -> Status {
          if (o == nullptr) return Status::Ok();
          const JsonValue* t = o->Find("rope_theta");
          if (t == nullptr) return Status::Ok();
          if (!t->is_number() || !(t->number() > 0)) {
            return CorruptData(r.where() + ": \"rope_parameters\" rope_theta must be positive");
          }
          *out = static_cast<float>(t->number());
          return Status::Ok();
        };
        GEMMA_RETURN_IF_ERROR(theta(full, &c.rope_base_global));
        GEMMA_RETURN_IF_ERROR(theta(sliding, &c.rope_base_local));
        if (full != nullptr) GEMMA_RETURN_IF_ERROR(ReadRopeScaling(full, r.where(), &factor));
        if (sliding != nullptr) {
          double local_factor = 1.0;
          GEMMA_RETURN_IF_ERROR(ReadRopeScaling(sliding, r.where(), &local_factor));
          if (local_factor != 1.0) {
            return Unsupported(r.where() +
                               ": RoPE scaling on sliding-window layers is not supported");
          }
        }
      }
      c.rope_linear_scale = static_cast<float>(factor);
      if (const JsonValue* p = r.Find("sliding_window_pattern"); p != nullptr && !p->is_null()) {
        if (!p->is_uint() || p->uint_value() != 6) {
          return Unsupported(r.where() +
                             ": \"sliding_window_pattern\" other than 6 is not supported");
        }
      }
      if (const JsonValue* lt = r.Find("layer_types"); lt != nullptr && !lt->is_null()) {
        if (!lt->is_array() || lt->items().size() != c.n_layers) {
          return CorruptData(r.where() + ": \"layer_types\" must list num_hidden_layers entries");
        }
        for (size_t il = 0; il < c.n_layers; ++il) {
          const std::string want = c.IsLocalLayer(il) ? "sliding_attention" : "full_attention";
          if (StringOr(&lt->items()[il], "") != want) {
            return Unsupported(r.where() + ": \"layer_types\"[" + std::to_string(il) +
                               "] is not \"" + want +
                               "\" (only Gemma 3's 5 sliding : 1 full pattern "
                               "is supported)");
          }
        }
      }
    }
  }
  if (!(qpas > 0)) return CorruptData(r.where() + ": \"query_pre_attn_scalar\" must be positive");
  h.query_pre_attn_scalar = qpas;
  c.query_scale = static_cast<float>(1.0 / std::sqrt(qpas));
  // ValidateConfig needs a vocabulary size; the caller sets the real one.
  c.n_vocab = vocab ? vocab : 1;
  GEMMA_RETURN_IF_ERROR(ValidateConfig(c, where));
  c.n_vocab = 0;
  return h;
}

StatusOr<HfConfig> ParseHfConfigFile(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> f, MappedFile::Open(path));
  return ParseHfConfigText(std::string_view(reinterpret_cast<const char*>(f->data()), f->size()),
                           path);
}

}  // namespace gemma
