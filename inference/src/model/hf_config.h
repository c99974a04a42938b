// Hugging Face config.json -> ModelConfig for Gemma 1/2/3 text models
// (GemmaForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM, and the text
// model of Gemma3ForConditionalGeneration under "text_config"). Keys missing
// from the file take transformers' defaults for that model type (Gemma 3's
// text_config usually lists only the keys that differ from them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gemma/status.h"
#include "model/config.h"

namespace gemma {

struct HfConfig {
  ModelConfig config;        // n_vocab is 0: it comes from the embedding
  uint64_t vocab_size = 0;   // config.json's vocab_size (0 = absent)
  std::string architecture;  // "Gemma2ForCausalLM", ...
  std::string model_type;    // "gemma", "gemma2", "gemma3_text", "gemma3"
  bool multimodal = false;   // Gemma3ForConditionalGeneration (config in text_config)
  double query_pre_attn_scalar = 0;
  std::string torch_dtype;
  // (key, value) pairs for `gemma info`.
  std::vector<std::pair<std::string, std::string>> display;
};

// `where` names the file in error messages.
StatusOr<HfConfig> ParseHfConfigText(std::string_view json, const std::string& where);
StatusOr<HfConfig> ParseHfConfigFile(const std::string& path);

}  // namespace gemma
