#include "model/config.h"

#include <cmath>

#include "io/gguf.h"

namespace gemma {

const char* ArchitectureName(Architecture a) {
  switch (a) {
    case Architecture::kGemma1:
      return "gemma";
    case Architecture::kGemma2:
      return "gemma2";
    case Architecture::kGemma3:
      return "gemma3";
  }
  return "?";
}

bool ModelConfig::IsLocalLayer(size_t layer) const {
  if (sliding_window == 0) return false;
  switch (arch) {
    case Architecture::kGemma1:
      return false;
    // llama.cpp (and Gemma 2's reference code) make even layers local.
    case Architecture::kGemma2:
      return layer % 2 == 0;
    // Gemma 3: 5 local layers then 1 global.
    case Architecture::kGemma3:
      return (layer + 1) % 6 != 0;
  }
  return false;
}

namespace {

// Reads an unsigned key into *out; absent keys keep *out when optional.
Status ReadSize(const GgufFile& g, const std::string& key, size_t* out, bool required) {
  auto v = g.GetUInt(key);
  if (!v.ok()) {
    if (!required && v.status().code() == StatusCode::kNotFound) return Status::Ok();
    return v.status();
  }
  if (*v > (uint64_t{1} << 40))
    return CorruptData(g.path() + ": " + key + " = " + std::to_string(*v) +
                       " is implausibly large");
  *out = static_cast<size_t>(*v);
  return Status::Ok();
}

Status ReadFloat(const GgufFile& g, const std::string& key, float* out, bool required) {
  auto v = g.GetFloat(key);
  if (!v.ok()) {
    if (!required && v.status().code() == StatusCode::kNotFound) return Status::Ok();
    return v.status();
  }
  if (!std::isfinite(*v)) return CorruptData(g.path() + ": " + key + " is not finite");
  *out = static_cast<float>(*v);
  return Status::Ok();
}

}  // namespace

StatusOr<ModelConfig> ConfigFromGguf(const GgufFile& g) {
  GEMMA_ASSIGN_OR_RETURN(std::string arch_name, g.GetString("general.architecture"));
  ModelConfig c;
  if (arch_name == "gemma") {
    c.arch = Architecture::kGemma1;
  } else if (arch_name == "gemma2") {
    c.arch = Architecture::kGemma2;
  } else if (arch_name == "gemma3") {
    c.arch = Architecture::kGemma3;
  } else {
    return Unsupported(g.path() + ": general.architecture '" + arch_name +
                       "' is not a Gemma text model (expected gemma, gemma2 or gemma3)");
  }
  const std::string a = arch_name + ".";
  GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "embedding_length", &c.d_model, true));
  GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "block_count", &c.n_layers, true));
  GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "feed_forward_length", &c.ffn_dim, true));
  GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "attention.head_count", &c.n_heads, true));
  c.n_kv_heads = c.n_heads;
  GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "attention.head_count_kv", &c.n_kv_heads, false));
  c.context_length = 8192;
  GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "context_length", &c.context_length, false));
  GEMMA_RETURN_IF_ERROR(ReadFloat(g, a + "attention.layer_norm_rms_epsilon", &c.rms_eps, true));
  if (c.n_heads != 0) c.head_dim = c.d_model / c.n_heads;
  GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "attention.key_length", &c.head_dim, false));
  size_t value_length = c.head_dim;
  GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "attention.value_length", &value_length, false));
  if (value_length != c.head_dim) {
    return Unsupported(g.path() + ": " + a + "attention.value_length (" +
                       std::to_string(value_length) + ") differs from key_length (" +
                       std::to_string(c.head_dim) + ")");
  }
  GEMMA_RETURN_IF_ERROR(ReadFloat(g, a + "rope.freq_base", &c.rope_base_global, false));
  c.rope_base_local = c.rope_base_global;

  // Vocabulary size comes from the embedding (checked against the tokenizer).
  if (const GgufTensor* emb = g.FindTensor("token_embd.weight"); emb && emb->dims.size() == 2) {
    c.n_vocab = static_cast<size_t>(emb->dims[1]);
  } else {
    return CorruptData(g.path() + ": tensor 'token_embd.weight' is missing or not 2-D");
  }

  // Query scale: 1/sqrt(head_dim), except the 27B models, which scale by
  // 1/sqrt(d_model / n_heads) (query_pre_attn_scalar in the HF configs).
  float query_pre_attn = static_cast<float>(c.head_dim);
  if (c.arch == Architecture::kGemma2) {
    c.post_norms = true;
    c.attn_softcap = 50.0f;
    c.final_softcap = 30.0f;
    c.sliding_window = 4096;
    GEMMA_RETURN_IF_ERROR(ReadFloat(g, a + "attn_logit_softcapping", &c.attn_softcap, false));
    GEMMA_RETURN_IF_ERROR(ReadFloat(g, a + "final_logit_softcapping", &c.final_softcap, false));
    GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "attention.sliding_window", &c.sliding_window, false));
    if (c.n_layers == 46 && c.n_heads != 0)
      query_pre_attn = static_cast<float>(size_t{c.d_model / c.n_heads});  // integer, as llama.cpp
  } else if (c.arch == Architecture::kGemma3) {
    c.post_norms = true;
    c.qk_norm = true;
    c.sliding_window = 1024;
    GEMMA_RETURN_IF_ERROR(ReadSize(g, a + "attention.sliding_window", &c.sliding_window, false));
    // Local layers always use base 10k (hard-coded in Gemma 3's reference
    // and in llama.cpp); rope.freq_base is the global layers' 1M.
    c.rope_base_local = 10000.0f;
    if (g.Find(a + "rope.freq_base") == nullptr) c.rope_base_global = 1000000.0f;
    float factor = 1.0f;
    GEMMA_RETURN_IF_ERROR(ReadFloat(g, a + "rope.scaling.factor", &factor, false));
    if (auto type = g.GetString(a + "rope.scaling.type");
        type.ok() && *type != "linear" && *type != "none") {
      return Unsupported(g.path() + ": " + a + "rope.scaling.type '" + *type + "' (only linear)");
    }
    if (!(factor > 0.0f))
      return CorruptData(g.path() + ": " + a + "rope.scaling.factor must be > 0");
    c.rope_linear_scale = factor;
    if (c.n_layers == 62 && c.n_heads != 0)
      query_pre_attn = static_cast<float>(size_t{c.d_model / c.n_heads});  // integer, as llama.cpp
  }
  c.query_scale = 1.0f / std::sqrt(query_pre_attn);
  GEMMA_RETURN_IF_ERROR(ValidateConfig(c, g.path()));
  return c;
}

Status ValidateConfig(const ModelConfig& c, const std::string& source) {
  auto bad = [&](const std::string& what) {
    return CorruptData(source + ": invalid model config: " + what);
  };
  if (c.d_model == 0 || c.n_layers == 0 || c.n_heads == 0 || c.n_kv_heads == 0 || c.head_dim == 0 ||
      c.ffn_dim == 0 || c.n_vocab == 0) {
    return bad("a dimension is zero (d_model, layers, heads, kv heads, head_dim, ffn, vocab)");
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return bad("head_count " + std::to_string(c.n_heads) + " is not a multiple of head_count_kv " +
               std::to_string(c.n_kv_heads));
  }
  if (c.head_dim % 2 != 0) return bad("head_dim must be even for RoPE");
  if (c.d_model % 32 != 0 || c.ffn_dim % 32 != 0 || c.q_dim() % 32 != 0) {
    return bad("d_model, ffn and n_heads*head_dim must be multiples of 32");
  }
  if (c.n_layers > 1024 || c.n_heads > 1024 || c.head_dim > 4096 || c.d_model > (1u << 20) ||
      c.ffn_dim > (1u << 22) || c.n_vocab > (1u << 24)) {
    return bad("a dimension is implausibly large");
  }
  if (!(c.rms_eps > 0.0f) || !(c.rope_base_global > 0.0f) || !(c.rope_base_local > 0.0f)) {
    return bad("rms epsilon and RoPE bases must be positive");
  }
  if (c.attn_softcap < 0.0f || c.final_softcap < 0.0f) return bad("soft-caps must be >= 0");
  return Status::Ok();
}

}  // namespace gemma
