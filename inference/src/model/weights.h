// The tensors of a Gemma model, bound to memory that outlives them (a file
// map, or buffers the loader owns). Matrices stay in their file layout (or are
// interleaved in place, see InterleaveWeights); norm vectors that are not F32
// in the file are widened into owned storage.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gemma/status.h"
#include "kernels/kernels.h"
#include "model/config.h"

namespace gemma {

class GgufFile;
class MappedFile;

// One tensor as a format loader found it, under the engine's (GGUF) name.
struct SourceTensor {
  std::string name;  // "blk.0.attn_q.weight"
  DType type = DType::kF32;
  std::vector<uint64_t> dims;  // GGUF order: dims[0] is contiguous
  const uint8_t* data = nullptr;
  uint64_t n_bytes = 0;
  // Where it came from when that is not `name` in the file being loaded
  // (e.g. "'model.layers.0.self_attn.q_proj.weight' [256, 128] in
  // model-00001-of-00002.safetensors"); named in error messages.
  std::string origin;
};

struct LayerWeights {
  kernels::MatView attn_q, attn_k, attn_v, attn_output;
  kernels::MatView ffn_gate, ffn_up, ffn_down;
  // RMSNorm scales, already holding 1 + w (the GGUF convention).
  const float* attn_norm = nullptr;
  const float* ffn_norm = nullptr;
  const float* post_attention_norm = nullptr;  // Gemma 2, 3
  const float* post_ffw_norm = nullptr;        // Gemma 2, 3
  const float* attn_q_norm = nullptr;          // Gemma 3 (head_dim)
  const float* attn_k_norm = nullptr;          // Gemma 3 (head_dim)
};

struct ModelWeights {
  kernels::MatView token_embd;  // [n_vocab][d_model]; also the tied output
  const float* output_norm = nullptr;
  std::vector<LayerWeights> layers;
  // Widened copies of norm vectors stored as F16/BF16 in the file.
  std::vector<std::unique_ptr<float[]>> owned;
  size_t total_bytes = 0;  // bytes of all tensors as stored
};

// Binds every tensor the architecture needs and rejects files with tensors
// missing, extra, of the wrong shape or of an unsupported type. Errors name
// the file (`source`) and the tensor.
StatusOr<ModelWeights> BindWeights(std::span<const SourceTensor> tensors, const ModelConfig& config,
                                   const std::string& source);
// Rewrites the Q8_0 / Q4_0 matrices in place into the row-interleaved layout
// (kernels/interleave.h) when the active kernels prefer it and `file` (which
// holds every tensor) is a private copy that can be made writable; otherwise
// leaves the weights as they are. Returns the number of matrices rewritten.
size_t InterleaveWeights(ModelWeights* w, MappedFile* file);
// The GGUF file's tensors as SourceTensors (zero copy), and BindWeights on them.
std::vector<SourceTensor> GgufSourceTensors(const GgufFile& gguf);
StatusOr<ModelWeights> BindGgufWeights(const GgufFile& gguf, const ModelConfig& config);

}  // namespace gemma
