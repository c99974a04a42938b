#include "model/hf_tensors.h"

#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <unordered_map>

namespace gemma {
namespace {

std::string Dims(const std::vector<uint64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

float ToF32(DType t, const uint8_t* p) {
  uint16_t h;
  switch (t) {
    case DType::kF32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::kF16:
      std::memcpy(&h, p, 2);
      return F16ToF32(h);
    case DType::kBF16:
      std::memcpy(&h, p, 2);
      return BF16ToF32(h);
    default:
      return 0;
  }
}

struct Entry {
  std::string_view hf, engine;
  bool norm;
};
static constexpr Entry kCommon[] = {
    {"input_layernorm.weight", "attn_norm", true},     {"self_attn.q_proj.weight", "attn_q", false},
    {"self_attn.k_proj.weight", "attn_k", false},      {"self_attn.v_proj.weight", "attn_v", false},
    {"self_attn.o_proj.weight", "attn_output", false}, {"mlp.gate_proj.weight", "ffn_gate", false},
    {"mlp.up_proj.weight", "ffn_up", false},           {"mlp.down_proj.weight", "ffn_down", false},
};
// Gemma 1's post_attention_layernorm is the pre-FFN norm; Gemma 2/3 have
// separate pre- and post-FFN norms and a post-attention norm.
static constexpr Entry kGemma1[] = {{"post_attention_layernorm.weight", "ffn_norm", true}};
static constexpr Entry kGemma23[] = {
    {"post_attention_layernorm.weight", "post_attention_norm", true},
    {"pre_feedforward_layernorm.weight", "ffn_norm", true},
    {"post_feedforward_layernorm.weight", "post_ffw_norm", true},
};
static constexpr Entry kGemma3[] = {
    {"self_attn.q_norm.weight", "attn_q_norm", true},
    {"self_attn.k_norm.weight", "attn_k_norm", true},
};

std::span<const Entry> ArchTable(Architecture arch) {
  return arch == Architecture::kGemma1 ? std::span<const Entry>(kGemma1)
                                       : std::span<const Entry>(kGemma23);
}

// "blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight".
std::string HfNameFor(const std::string& engine, Architecture arch) {
  if (engine == "token_embd.weight") return "model.embed_tokens.weight";
  if (engine == "output_norm.weight") return "model.norm.weight";
  const size_t dot = engine.find('.', 4);
  if (engine.rfind("blk.", 0) != 0 || dot == std::string::npos) return engine;
  const std::string layer = engine.substr(4, dot - 4);
  const std::string part = engine.substr(dot + 1, engine.size() - dot - 1 - 7);  // drop ".weight"
  for (const auto table :
       {std::span<const Entry>(kCommon), ArchTable(arch), std::span<const Entry>(kGemma3)}) {
    for (const Entry& e : table) {
      if (e.engine == part) return "model.layers." + layer + "." + std::string(e.hf);
    }
  }
  return engine;
}

}  // namespace

HfName MapHfName(std::string_view n, Architecture arch) {
  HfName out;
  for (const std::string_view ignored :
       {"lm_head.", "language_model.lm_head.", "vision_tower.", "multi_modal_projector.",
        "model.vision_tower.", "model.multi_modal_projector."}) {
    if (StartsWith(n, ignored)) {
      out.kind = HfName::Kind::kIgnored;
      return out;
    }
  }
  bool stripped = false;
  for (const std::string_view prefix :
       {"language_model.model.", "model.language_model.", "model."}) {
    if (StartsWith(n, prefix)) {
      n.remove_prefix(prefix.size());
      stripped = true;
      break;
    }
  }
  if (!stripped) return out;
  if (n == "embed_tokens.weight") {
    out.kind = HfName::Kind::kTensor;
    out.engine = "token_embd.weight";
    return out;
  }
  if (n == "norm.weight") {
    out.kind = HfName::Kind::kTensor;
    out.engine = "output_norm.weight";
    out.is_norm = true;
    return out;
  }
  if (!StartsWith(n, "layers.")) return out;
  n.remove_prefix(7);
  size_t i = 0;
  int64_t layer = 0;
  while (i < n.size() && n[i] >= '0' && n[i] <= '9' && i < 6) layer = layer * 10 + (n[i++] - '0');
  if (i == 0 || i >= n.size() || n[i] != '.') return out;
  n.remove_prefix(i + 1);
  auto try_table = [&](std::span<const Entry> table) {
    for (const Entry& e : table) {
      if (n == e.hf) {
        out.kind = HfName::Kind::kTensor;
        out.engine = "blk." + std::to_string(layer) + "." + std::string(e.engine) + ".weight";
        out.is_norm = e.norm;
        out.layer = layer;
        return true;
      }
    }
    return false;
  };
  if (try_table(kCommon)) return out;
  if (try_table(ArchTable(arch))) return out;
  if (arch == Architecture::kGemma3 && try_table(kGemma3)) return out;
  return out;
}

std::vector<ExpectedTensor> ExpectedTensors(const ModelConfig& c) {
  std::vector<ExpectedTensor> e;
  const uint64_t d = c.d_model, q = c.q_dim(), kv = c.kv_dim(), f = c.ffn_dim;
  e.push_back({"token_embd.weight", {d, c.n_vocab}, false});
  for (size_t il = 0; il < c.n_layers; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    e.push_back({p + "attn_norm.weight", {d}, true});
    e.push_back({p + "attn_q.weight", {d, q}, false});
    e.push_back({p + "attn_k.weight", {d, kv}, false});
    e.push_back({p + "attn_v.weight", {d, kv}, false});
    e.push_back({p + "attn_output.weight", {q, d}, false});
    if (c.qk_norm) {
      e.push_back({p + "attn_q_norm.weight", {c.head_dim}, true});
      e.push_back({p + "attn_k_norm.weight", {c.head_dim}, true});
    }
    if (c.post_norms) e.push_back({p + "post_attention_norm.weight", {d}, true});
    e.push_back({p + "ffn_norm.weight", {d}, true});
    e.push_back({p + "ffn_gate.weight", {d, f}, false});
    e.push_back({p + "ffn_up.weight", {d, f}, false});
    e.push_back({p + "ffn_down.weight", {f, d}, false});
    if (c.post_norms) e.push_back({p + "post_ffw_norm.weight", {d}, true});
  }
  e.push_back({"output_norm.weight", {d}, true});
  return e;
}

Status BuildHfTensors(const std::vector<HfTensor>& tensors, uint64_t vocab_size,
                      const std::string& where, const std::string& config_name, ModelSource* out) {
  ModelConfig& c = out->config;
  // Map names; reject duplicates and parameters the text model does not have.
  std::unordered_map<std::string, const HfTensor*> by_engine;
  for (const HfTensor& t : tensors) {
    const HfName m = MapHfName(t.name, c.arch);
    if (m.kind == HfName::Kind::kIgnored) continue;
    if (m.kind == HfName::Kind::kUnknown) {
      return CorruptData(where + ": unexpected tensor '" + t.name + "' " + t.where + " for " +
                         ArchitectureName(c.arch) + " (a different model type?)");
    }
    if (m.layer >= static_cast<int64_t>(c.n_layers)) {
      return CorruptData(where + ": " + config_name +
                         " says num_hidden_layers = " + std::to_string(c.n_layers) +
                         ", but the checkpoint has '" + t.name + "' " + t.where);
    }
    const auto [it, inserted] = by_engine.emplace(m.engine, &t);
    if (!inserted) {
      return CorruptData(where + ": '" + it->second->name + "' " + it->second->where + " and '" +
                         t.name + "' " + t.where + " are the same parameter");
    }
  }
  const auto emb = by_engine.find("token_embd.weight");
  if (emb == by_engine.end())
    return NotFound(where + ": the embedding 'model.embed_tokens.weight' is missing");
  const HfTensor& e = *emb->second;
  if (e.shape.size() != 2 || e.transposed || e.shape[1] != c.d_model) {
    return CorruptData(where + ": '" + e.name + "' has shape " + Dims(e.shape) + ", but " +
                       config_name + " says hidden_size = " + std::to_string(c.d_model));
  }
  c.n_vocab = static_cast<size_t>(e.shape[0]);
  if (vocab_size != 0 && vocab_size != c.n_vocab) {
    return CorruptData(where + ": " + config_name +
                       " says vocab_size = " + std::to_string(vocab_size) + ", but '" + e.name +
                       "' has " + std::to_string(c.n_vocab) + " rows");
  }
  GEMMA_RETURN_IF_ERROR(ValidateConfig(c, where));

  const std::string shape_ctx = " (hidden_size " + std::to_string(c.d_model) +
                                ", num_attention_heads " + std::to_string(c.n_heads) +
                                ", num_key_value_heads " + std::to_string(c.n_kv_heads) +
                                ", head_dim " + std::to_string(c.head_dim) +
                                ", intermediate_size " + std::to_string(c.ffn_dim) + ")";
  out->tensors.clear();
  for (const ExpectedTensor& x : ExpectedTensors(c)) {
    const auto it = by_engine.find(x.name);
    if (it == by_engine.end()) {
      return NotFound(where + ": tensor '" + HfNameFor(x.name, c.arch) +
                      "' is missing (engine name '" + x.name + "'; a missing shard, or " +
                      config_name + " disagrees with the checkpoint?)");
    }
    const HfTensor& t = *it->second;
    // HF order of the expected shape: rows first (or [in, out] when transposed).
    std::vector<uint64_t> want(x.dims.rbegin(), x.dims.rend());
    if (t.transposed) want = x.dims;
    if (t.shape != want) {
      return CorruptData(where + ": '" + t.name + "' " + t.where + " has shape " + Dims(t.shape) +
                         ", but " + config_name + " implies " + Dims(want) + shape_ctx);
    }
    if (!t.supported) {
      return Unsupported(where + ": '" + t.name + "' " + t.where + " has dtype " + t.dtype +
                         " (supported: F32, F16, BF16)");
    }
    const size_t elem = DTypeBlockBytes(t.type);
    uint64_t n = 1;
    for (const uint64_t v : t.shape) n *= v;
    if (t.data == nullptr || t.n_bytes != n * elem) {
      return CorruptData(where + ": '" + t.name + "' " + t.where + " has " +
                         std::to_string(t.n_bytes) + " bytes of data, expected " +
                         std::to_string(n * elem));
    }
    SourceTensor s;
    s.name = x.name;
    s.dims = x.dims;
    s.origin = "'" + t.name + "' " + Dims(t.shape) + " " + t.where;
    if (x.is_norm) {
      // Hugging Face keeps w and computes x * (1 + w); the engine multiplies
      // by the stored scale (the GGUF convention), so add the 1 once here.
      auto buf = std::shared_ptr<float[]>(new float[n]);
      const float one = t.norm_includes_one ? 0.0f : 1.0f;
      for (uint64_t i = 0; i < n; ++i) buf[i] = one + ToF32(t.type, t.data + i * elem);
      s.type = DType::kF32;
      s.data = reinterpret_cast<const uint8_t*>(buf.get());
      s.n_bytes = n * 4;
      out->keep_alive.push_back(std::move(buf));
    } else if (t.transposed || reinterpret_cast<uintptr_t>(t.data) % elem != 0) {
      // [in, out] -> [out, in] (or a misaligned copy): owned, 64-byte aligned.
      const uint64_t rows = x.dims[1], cols = x.dims[0];
      auto buf = std::shared_ptr<uint8_t[]>(
          new (std::align_val_t(64)) uint8_t[t.n_bytes],
          [](uint8_t* p) { ::operator delete[](p, std::align_val_t(64)); });
      if (!t.transposed) {
        std::memcpy(buf.get(), t.data, t.n_bytes);
      } else {
        for (uint64_t i = 0; i < cols; ++i) {  // source row = input feature i
          const uint8_t* src = t.data + i * rows * elem;
          for (uint64_t r = 0; r < rows; ++r)
            std::memcpy(buf.get() + (r * cols + i) * elem, src + r * elem, elem);
        }
      }
      s.type = t.type;
      s.data = buf.get();
      s.n_bytes = t.n_bytes;
      out->keep_alive.push_back(std::move(buf));
    } else {
      s.type = t.type;
      s.data = t.data;
      s.n_bytes = t.n_bytes;
    }
    out->tensors.push_back(std::move(s));
  }
  return Status::Ok();
}

}  // namespace gemma
