// Hugging Face parameter names -> engine tensors, shared by the SafeTensors
// and ONNX loaders. docs/FORMATS.md lists the mapping.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gemma/status.h"
#include "kernels/types.h"
#include "model/config.h"
#include "model/source.h"

namespace gemma {

// One parameter as found in a checkpoint, under its Hugging Face name.
struct HfTensor {
  std::string name;        // "model.layers.0.self_attn.q_proj.weight"
  std::string dtype;       // as written: "BF16", "F32", "FLOAT16", "I8", ...
  bool supported = false;  // dtype is F32, F16 or BF16 (then `type` is set)
  DType type = DType::kF32;
  std::vector<uint64_t> shape;  // row-major (numpy order)
  const uint8_t* data = nullptr;
  uint64_t n_bytes = 0;
  std::string
      where;  // "in model-00001-of-00002.safetensors", "(ONNX initializer 'onnx::MatMul_12')"
  bool transposed = false;         // a matrix stored [in, out] (ONNX MatMul weights)
  bool norm_includes_one = false;  // a norm scale already holding 1 + w (ONNX constant folding)
};

// The engine name of a text-model parameter, with the checkpoint prefix
// ("model.", "language_model.model.", "model.language_model.") removed.
struct HfName {
  enum class Kind { kTensor, kIgnored, kUnknown } kind = Kind::kUnknown;
  std::string engine;  // "blk.0.attn_q.weight"
  bool is_norm = false;
  int64_t layer = -1;
};
HfName MapHfName(std::string_view hf_name, Architecture arch);

// The engine's tensors of a config in canonical order, with GGUF dims.
struct ExpectedTensor {
  std::string name;
  std::vector<uint64_t> dims;  // GGUF order
  bool is_norm = false;
};
std::vector<ExpectedTensor> ExpectedTensors(const ModelConfig& c);

// Fills out->tensors (and out->config.n_vocab from the embedding) from the
// checkpoint's parameters: maps names, checks dtypes and shapes against the
// config (errors name `config_name`, e.g. "config.json"), adds 1 to norm
// scales into owned f32 vectors, transposes transposed matrices and copies
// misaligned ones into owned buffers; everything else stays zero-copy.
// `vocab_size` is config.json's (0 = not given).
Status BuildHfTensors(const std::vector<HfTensor>& tensors, uint64_t vocab_size,
                      const std::string& where, const std::string& config_name, ModelSource* out);

}  // namespace gemma
