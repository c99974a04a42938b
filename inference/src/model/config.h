// Model hyper-parameters for Gemma 1, 2 and 3 text models, and the rules that
// differ between them (which layers slide, RoPE bases, soft-caps, norms).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "gemma/status.h"

namespace gemma {

class GgufFile;

enum class Architecture { kGemma1, kGemma2, kGemma3 };
const char* ArchitectureName(Architecture a);  // "gemma", "gemma2", "gemma3"

struct ModelConfig {
  Architecture arch = Architecture::kGemma1;
  size_t n_vocab = 0;
  size_t d_model = 0;
  size_t n_layers = 0;
  size_t n_heads = 0;
  size_t n_kv_heads = 0;
  size_t head_dim = 0;  // may differ from d_model / n_heads (Gemma 2 2B, Gemma 3)
  size_t ffn_dim = 0;
  size_t context_length = 0;  // trained context
  float rms_eps = 1e-6f;

  // RoPE: global layers use rope_base_global with linear scaling (positions
  // divided by rope_linear_scale); local layers use rope_base_local unscaled.
  float rope_base_global = 10000.0f;
  float rope_base_local = 10000.0f;
  float rope_linear_scale = 1.0f;

  size_t sliding_window = 0;   // 0 = every layer is global
  float attn_softcap = 0.0f;   // 0 = off (Gemma 2: 50)
  float final_softcap = 0.0f;  // 0 = off (Gemma 2: 30)
  float query_scale = 1.0f;    // multiplies q before q.k
  bool post_norms = false;     // post_attention_norm / post_ffw_norm (Gemma 2, 3)
  bool qk_norm = false;        // per-head RMSNorm of q and k (Gemma 3)

  // Gemma 2: even layers slide. Gemma 3: every sixth layer is global.
  bool IsLocalLayer(size_t layer) const;
  float RopeBase(size_t layer) const {
    return IsLocalLayer(layer) ? rope_base_local : rope_base_global;
  }
  float RopeScale(size_t layer) const { return IsLocalLayer(layer) ? 1.0f : rope_linear_scale; }

  size_t q_dim() const { return n_heads * head_dim; }
  size_t kv_dim() const { return n_kv_heads * head_dim; }
};

// Reads `{arch}.*` metadata and checks the values are usable together.
StatusOr<ModelConfig> ConfigFromGguf(const GgufFile& gguf);

// Checks internal consistency (non-zero sizes, heads divisible, ...). `source`
// names the file for error messages.
Status ValidateConfig(const ModelConfig& c, const std::string& source);

}  // namespace gemma
