// Test helpers that turn the f32 fixture GGUFs into the other formats, the
// way their real producers lay them out: Hugging Face checkpoints
// (config.json shaped like the real Gemma configs, HF tensor names, norms
// stored as w = scale - 1, SafeTensors shards + index, tokenizer.model) and
// ONNX models as Optimum exports them (initializers in external data,
// folded MatMul weights named onnx::MatMul_N and transposed, folded norms).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "kernels/kernels.h"
#include "kernels/types.h"
#include "nlohmann/json.hpp"

namespace gemma::test {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

inline void WriteFile(const fs::path& p, const void* data, size_t n) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
}
inline void WriteFile(const fs::path& p, const std::string& s) { WriteFile(p, s.data(), s.size()); }
inline Bytes ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The directory the tests write into: <tmp>/gemma_formats_<pid>.
inline fs::path TempRoot() {
  return fs::temp_directory_path() / ("gemma_formats_" + std::to_string(::getpid()));
}
// A fresh directory under TempRoot().
// Removal is best effort (the error_code overloads).
inline fs::path TempDir(const std::string& name) {
  fs::path d = TempRoot() / name;
  std::error_code ec;
  fs::remove_all(d, ec);
  fs::create_directories(d);
  return d;
}
// Removes a test's directory, unless GEMMA_KEEP_TEMP is set (to inspect
// the written checkpoints: then TempRoot() is kept too). On Windows a file
// that a live model still maps cannot be deleted (and MinGW's remove_all
// then spins), and tests call Cleanup with their models in scope: there the
// directories are removed when the process exits, after every test.
inline void Cleanup(const fs::path& dir) {
  if (std::getenv("GEMMA_KEEP_TEMP") != nullptr) return;
#ifdef _WIN32
  struct AtExit {
    std::vector<fs::path> dirs;
    ~AtExit() {
      std::error_code ec;
      for (const auto& d : dirs) fs::remove_all(d, ec);
    }
  };
  static AtExit at_exit;
  at_exit.dirs.push_back(dir);
#else
  std::error_code ec;
  fs::remove_all(dir, ec);
#endif
}

// One tensor of the fixture, as f32 values in HF (row-major, rows first) order.
struct HfParam {
  std::string name;             // Hugging Face name
  std::vector<uint64_t> shape;  // [rows, cols] or [n]
  std::vector<float> values;
  bool is_norm = false;
};

inline std::string HfNameOf(const std::string& engine, const std::string& arch) {
  if (engine == "token_embd.weight") return "model.embed_tokens.weight";
  if (engine == "output_norm.weight") return "model.norm.weight";
  const size_t dot = engine.find('.', 4);
  const std::string layer = engine.substr(4, dot - 4);
  const std::string part = engine.substr(dot + 1, engine.size() - dot - 8);
  static const std::map<std::string, std::string> common = {
      {"attn_norm", "input_layernorm"},
      {"attn_q", "self_attn.q_proj"},
      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"},
      {"ffn_gate", "mlp.gate_proj"},
      {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"},
      {"attn_q_norm", "self_attn.q_norm"},
      {"attn_k_norm", "self_attn.k_norm"},
      {"post_attention_norm", "post_attention_layernorm"},
      {"post_ffw_norm", "post_feedforward_layernorm"}};
  std::string hf;
  if (part == "ffn_norm") {
    hf = arch == "gemma" ? "post_attention_layernorm" : "pre_feedforward_layernorm";
  } else {
    hf = common.at(part);
  }
  return "model.layers." + layer + "." + hf + ".weight";
}

// The fixture's tensors in HF form: norms as scale - 1.
inline std::vector<HfParam> HfParams(const GgufFile& g) {
  const std::string arch = *g.GetString("general.architecture");
  std::vector<HfParam> out;
  for (const GgufTensor& t : g.tensors()) {
    HfParam p;
    p.name = HfNameOf(t.name, arch);
    p.is_norm = t.dims.size() == 1;
    p.shape =
        p.is_norm ? std::vector<uint64_t>{t.dims[0]} : std::vector<uint64_t>{t.dims[1], t.dims[0]};
    p.values.resize(t.n_elements);
    const uint64_t cols = t.dims[0], rows = t.n_elements / cols;
    const size_t row_bytes = DTypeRowBytes(t.type, cols);
    for (uint64_t r = 0; r < rows; ++r) {
      kernels::DequantizeRow(t.type, t.data + r * row_bytes, cols, p.values.data() + r * cols);
    }
    if (p.is_norm) {
      for (float& v : p.values) v -= 1.0f;
    }
    out.push_back(std::move(p));
  }
  return out;
}

// f32 values encoded as "F32", "F16" or "BF16".
inline Bytes Encode(const std::vector<float>& v, const std::string& dtype) {
  Bytes b;
  if (dtype == "F32") {
    b.resize(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
  }
  b.resize(v.size() * 2);
  for (size_t i = 0; i < v.size(); ++i) {
    const uint16_t h = dtype == "F16" ? F32ToF16(v[i]) : F32ToBF16(v[i]);
    std::memcpy(b.data() + 2 * i, &h, 2);
  }
  return b;
}

struct SafeTensorEntry {
  std::string name, dtype;
  std::vector<uint64_t> shape;
  Bytes data;
};

// A SafeTensors file as the reference writer lays it out: header padded with
// spaces to a multiple of 8, tensors back to back.
inline Bytes SafeTensorsBytes(const std::vector<SafeTensorEntry>& entries) {
  nlohmann::ordered_json h;
  h["__metadata__"] = {{"format", "pt"}};
  uint64_t off = 0;
  for (const auto& e : entries) {
    h[e.name] = {
        {"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {off, off + e.data.size()}}};
    off += e.data.size();
  }
  std::string header = h.dump();
  while (header.size() % 8 != 0) header.push_back(' ');
  Bytes out;
  out.reserve(8 + header.size() + off);
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i)));
  for (const char c : header) out.push_back(static_cast<uint8_t>(c));
  for (const auto& e : entries) out.insert(out.end(), e.data.begin(), e.data.end());
  return out;
}

// ---- Protobuf encoding (tokenizer.model, ONNX) -------------------------------
inline void PbVarint(Bytes& b, uint64_t v) {
  while (v >= 0x80) {
    b.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  b.push_back(static_cast<uint8_t>(v));
}
inline void PbKey(Bytes& b, uint32_t field, uint32_t wt) {
  PbVarint(b, (uint64_t{field} << 3) | wt);
}
inline void PbUint(Bytes& b, uint32_t field, uint64_t v) {
  PbKey(b, field, 0);
  PbVarint(b, v);
}
inline void PbBytes(Bytes& b, uint32_t field, const void* p, size_t n) {
  PbKey(b, field, 2);
  PbVarint(b, n);
  const auto* c = static_cast<const uint8_t*>(p);
  b.insert(b.end(), c, c + n);
}
inline void PbStr(Bytes& b, uint32_t field, const std::string& s) {
  PbBytes(b, field, s.data(), s.size());
}
inline void PbMsg(Bytes& b, uint32_t field, const Bytes& m) {
  PbBytes(b, field, m.data(), m.size());
}

// tokenizer.model (SentencePiece ModelProto, BPE) from the GGUF vocabulary.
inline Bytes SentencePieceModel(const GgufFile& g) {
  const auto pieces = *g.GetStringArray("tokenizer.ggml.tokens");
  const auto scores = *g.GetFloatArray("tokenizer.ggml.scores");
  const auto types = *g.GetIntArray("tokenizer.ggml.token_type");
  Bytes m;
  for (size_t i = 0; i < pieces.size(); ++i) {
    Bytes p;
    PbStr(p, 1, pieces[i]);
    PbKey(p, 2, 5);
    const float s = static_cast<float>(scores[i]);
    uint32_t bits;
    std::memcpy(&bits, &s, 4);
    for (int k = 0; k < 4; ++k) p.push_back(static_cast<uint8_t>(bits >> (8 * k)));
    PbUint(p, 3, static_cast<uint64_t>(types[i]));
    PbMsg(m, 1, p);
  }
  Bytes trainer;
  PbUint(trainer, 3, 2);   // model_type BPE
  PbUint(trainer, 35, 1);  // byte_fallback
  PbUint(trainer, 40, 3);
  PbUint(trainer, 41, 2);
  PbUint(trainer, 42, 1);
  PbUint(trainer, 43, 0);
  PbMsg(m, 2, trainer);
  Bytes norm;
  PbStr(norm, 1, "identity");
  PbUint(norm, 3, 0);  // add_dummy_prefix
  PbUint(norm, 4, 0);  // remove_extra_whitespaces
  PbUint(norm, 5, 1);  // escape_whitespaces
  PbMsg(m, 3, norm);
  return m;
}

// config.json as the real checkpoints write it.
inline nlohmann::ordered_json HfConfigJson(const GgufFile& g, bool multimodal) {
  const std::string a = *g.GetString("general.architecture");
  auto u = [&](const std::string& k) { return *g.GetUInt(a + "." + k); };
  const uint64_t vocab = g.FindTensor("token_embd.weight")->dims[1];
  nlohmann::ordered_json c;
  const char* arch = a == "gemma"    ? "GemmaForCausalLM"
                     : a == "gemma2" ? "Gemma2ForCausalLM"
                                     : "Gemma3ForCausalLM";
  c["architectures"] = {arch};
  c["attention_bias"] = false;
  c["attention_dropout"] = 0.0;
  c["bos_token_id"] = 2;
  c["eos_token_id"] = a == "gemma3" ? nlohmann::ordered_json({1, 6}) : nlohmann::ordered_json(1);
  c["head_dim"] = u("attention.key_length");
  c["hidden_activation"] = "gelu_pytorch_tanh";
  c["hidden_size"] = u("embedding_length");
  c["initializer_range"] = 0.02;
  c["intermediate_size"] = u("feed_forward_length");
  c["max_position_embeddings"] = u("context_length");
  c["model_type"] = a == "gemma3" ? "gemma3_text" : a;
  c["num_attention_heads"] = u("attention.head_count");
  c["num_hidden_layers"] = u("block_count");
  c["num_key_value_heads"] = u("attention.head_count_kv");
  c["pad_token_id"] = 0;
  c["rms_norm_eps"] = *g.GetFloat(a + ".attention.layer_norm_rms_epsilon");
  c["rope_theta"] = *g.GetFloat(a + ".rope.freq_base");
  if (a == "gemma2") {
    c["attn_logit_softcapping"] = *g.GetFloat(a + ".attn_logit_softcapping");
    c["cache_implementation"] = "hybrid";
    c["final_logit_softcapping"] = *g.GetFloat(a + ".final_logit_softcapping");
    c["query_pre_attn_scalar"] = u("attention.key_length");
    c["sliding_window"] = u("attention.sliding_window");
  }
  if (a == "gemma3") {
    c["attn_logit_softcapping"] = nullptr;
    c["final_logit_softcapping"] = nullptr;
    c["query_pre_attn_scalar"] = u("attention.key_length");
    c["rope_local_base_freq"] = 10000.0;
    c["rope_scaling"] = nullptr;
    c["sliding_window"] = u("attention.sliding_window");
    c["sliding_window_pattern"] = 6;
  }
  c["torch_dtype"] = "float32";
  c["transformers_version"] = "4.50.0";
  c["use_cache"] = true;
  c["vocab_size"] = vocab;
  if (!multimodal) return c;
  // Gemma3ForConditionalGeneration: the text config nested, listing only a
  // few keys (the rest take Gemma3TextConfig's defaults, as the real 4B does)
  // - here every key that differs from those defaults.
  nlohmann::ordered_json t;
  for (const char* k : {"head_dim", "hidden_size", "intermediate_size", "num_attention_heads",
                        "num_hidden_layers", "num_key_value_heads", "max_position_embeddings",
                        "vocab_size", "sliding_window", "query_pre_attn_scalar"}) {
    t[k] = c[k];
  }
  t["model_type"] = "gemma3_text";
  t["rope_scaling"] = nullptr;
  nlohmann::ordered_json m;
  m["architectures"] = {"Gemma3ForConditionalGeneration"};
  m["boi_token_index"] = 255999;
  m["eoi_token_index"] = 256000;
  m["image_token_index"] = 262144;
  m["mm_tokens_per_image"] = 256;
  m["model_type"] = "gemma3";
  m["text_config"] = t;
  m["torch_dtype"] = "bfloat16";
  m["vision_config"] = {
      {"hidden_size", 1152}, {"image_size", 896}, {"model_type", "siglip_vision_model"}};
  return m;
}

struct HfWriteOptions {
  std::string dtype = "F32";  // F32, F16, BF16
  int shards = 1;             // > 1: model-0000i-of-0000N.safetensors + index
  bool multimodal = false;    // Gemma3ForConditionalGeneration naming
};

inline HfWriteOptions BF16Sharded() {
  HfWriteOptions o;
  o.dtype = "BF16";
  o.shards = 2;
  return o;
}

inline void WriteTokenizerFiles(const GgufFile& g, const fs::path& dir) {
  const Bytes spm = SentencePieceModel(g);
  WriteFile(dir / "tokenizer.model", spm.data(), spm.size());
  WriteFile(
      dir / "tokenizer_config.json",
      R"({"add_bos_token": true, "add_eos_token": false, "bos_token": "<bos>", "eos_token": "<eos>",)"
      R"( "pad_token": "<pad>", "unk_token": "<unk>", "tokenizer_class": "GemmaTokenizer"})");
}

// Writes the GGUF's model as a Hugging Face checkpoint directory.
inline void WriteHfCheckpoint(const GgufFile& g, const fs::path& dir,
                              const HfWriteOptions& o = {}) {
  fs::create_directories(dir);
  std::vector<SafeTensorEntry> all;
  for (HfParam& p : HfParams(g)) {
    std::string name = p.name;
    if (o.multimodal) name = "language_model." + name;  // language_model.model.layers...
    all.push_back({name, o.dtype, p.shape, Encode(p.values, o.dtype)});
  }
  if (o.multimodal)
    all.push_back({"vision_tower.vision_model.post_layernorm.weight",
                   o.dtype,
                   {32},
                   Encode(std::vector<float>(32, 1.0f), o.dtype)});
  if (o.shards <= 1) {
    const Bytes b = SafeTensorsBytes(all);
    WriteFile(dir / "model.safetensors", b.data(), b.size());
  } else {
    nlohmann::ordered_json index;
    uint64_t total = 0;
    for (int s = 0; s < o.shards; ++s) {
      char name[64];
      std::snprintf(name, sizeof(name), "model-%05d-of-%05d.safetensors", s + 1, o.shards);
      std::vector<SafeTensorEntry> part;
      for (size_t i = s; i < all.size(); i += static_cast<size_t>(o.shards)) {
        part.push_back(all[i]);
        index["weight_map"][all[i].name] = name;
        total += all[i].data.size();
      }
      const Bytes b = SafeTensorsBytes(part);
      WriteFile(dir / name, b.data(), b.size());
    }
    index["metadata"] = {{"total_size", total}};
    WriteFile(dir / "model.safetensors.index.json", index.dump(2));
  }
  WriteFile(dir / "config.json", HfConfigJson(g, o.multimodal).dump(2));
  WriteTokenizerFiles(g, dir);
}

}  // namespace gemma::test
