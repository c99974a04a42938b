// The public C++ API of gemma-inference.
//
//   Model   - immutable weights + tokenizer, loaded once, shareable between
//             engines and threads.
//   Engine  - the compute state for up to `max_sequences` sequences: thread
//             pool, activation arena, KV cache. Forward() runs one batched
//             pass over tokens of any of its sequences (what a continuous-
//             batching scheduler drives).
//   Session - one conversation on its own Engine: prefill, step, sample,
//             generate with streaming and cancellation (what the CLI and
//             the wasm build use).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gemma/sampling.h"
#include "gemma/status.h"
#include "gemma/tokenizer.h"

namespace gemma {

struct ModelInfo {
  std::string path;
  std::string format;        // "gguf", "gcore", "safetensors" (Hugging Face), "onnx"
  std::string architecture;  // "gemma", "gemma2", "gemma3"
  std::string name;          // general.name
  size_t n_vocab = 0, d_model = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, head_dim = 0;
  size_t ffn_dim = 0, context_length = 0, sliding_window = 0;
  size_t n_local_layers = 0;
  size_t weight_bytes = 0;
  size_t n_params = 0;
  // Where the weights live: "mapped" (the file's pages, zero copy), "copied"
  // (read into the engine's memory, huge pages where the OS gives them) or
  // "memory" (the caller's buffer, LoadFromMemory).
  std::string weights_residency;
  // Matrices rearranged at load into 16-row strips for the kernels
  // (LoadOptions::interleave).
  size_t interleaved_matrices = 0;
  // Tensor type name ("Q4_0", ...) -> number of tensors of that type.
  std::vector<std::pair<std::string, size_t>> tensor_types;
};

// Called with a fraction in [0, 1] while a model loads.
using ProgressCallback = std::function<void(float fraction)>;

struct LoadOptions {
  ProgressCallback progress;
  // false (default): GGUF / .gcore weights are read once into transparent
  // huge pages (Linux), which decodes ~25% faster than 4 KiB page-cache
  // pages. true: the file is mapped in place (zero-copy, pages shared with
  // other processes, faster load). Other platforms always map.
  bool mmap = false;
  // true (default): where the CPU's kernels read Q8_0 / Q4_0 matrices faster
  // with 16 rows interleaved (AVX-512 VNNI), rearrange them so at load, in
  // the engine's own copy of the weights (not with `mmap`). Results differ
  // from the row layout's only by float rounding. false, or the environment
  // variable GEMMA_INTERLEAVE=0: keep the file's layout (A/B measurements).
  bool interleave = true;
};

class Model {
 public:
  // Opens a model: a GGUF or .gcore file, a Hugging Face checkpoint
  // directory (config.json + SafeTensors) or an ONNX model (docs/FORMATS.md);
  // the format is detected. Errors name the file and what is wrong.
  static StatusOr<std::shared_ptr<const Model>> Load(const std::string& path,
                                                     const ProgressCallback& progress = nullptr);
  static StatusOr<std::shared_ptr<const Model>> Load(const std::string& path,
                                                     const LoadOptions& options);
  // Parses a GGUF model held in memory (the wasm build: no file system).
  // The weights are used in place, never copied: `bytes` must stay valid and
  // unchanged until the Model is destroyed. `owner` (optional) is kept alive
  // by the Model and released with it, so the caller can hand over the
  // buffer (e.g. a shared_ptr whose deleter frees it). `name` stands in for a
  // path in error messages and info().path. On error nothing is kept: `owner`
  // is released before returning.
  static StatusOr<std::shared_ptr<const Model>> LoadFromMemory(
      std::span<const uint8_t> bytes, std::string name, std::shared_ptr<const void> owner = nullptr,
      const ProgressCallback& progress = nullptr);
  ~Model();

  const ModelInfo& info() const;
  const Tokenizer& tokenizer() const;
  // File metadata as (key, printable value) pairs, for `gemma info`.
  std::vector<std::pair<std::string, std::string>> Metadata() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

enum class KvCacheType { kF32, kF16 };

struct EngineOptions {
  size_t num_threads = 0;     // 0 = all hardware threads
  size_t context_length = 0;  // per sequence; 0 = min(model's, 4096)
  KvCacheType kv_type = KvCacheType::kF32;
  size_t max_batch_tokens = 512;  // tokens per forward pass (prefill chunk)
  size_t max_sequences = 1;       // KV slots
};

// One token of a forward pass.
struct BatchToken {
  int32_t token = 0;
  int32_t pos = 0;  // position within its sequence
  int32_t seq = 0;  // KV slot, < max_sequences
  bool want_logits = false;
};

class Engine {
 public:
  static StatusOr<std::unique_ptr<Engine>> Create(std::shared_ptr<const Model> model,
                                                  const EngineOptions& options);
  ~Engine();

  // Runs the model over `batch` (at most max_batch_tokens; sequences'
  // positions must continue their cached context). For each token with
  // want_logits, n_vocab logits are written to the next row of `logits`.
  // Allocates nothing.
  Status Forward(std::span<const BatchToken> batch, float* logits);

  // Forgets the cached context of `seq` from position `pos` on. Returns false
  // when the cache cannot keep [0, pos) (a sliding-window layer has already
  // overwritten keys it would need); then the caller must Clear and re-run.
  bool Truncate(int32_t seq, int32_t pos);
  void Clear(int32_t seq);
  // Number of positions cached for `seq`.
  int32_t SequenceLength(int32_t seq) const;

  const Model& model() const;
  const EngineOptions& options() const;  // with defaults resolved
  size_t kv_cache_bytes() const;
  std::string simd_target() const;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

enum class FinishReason { kStop, kLength, kCancelled };
const char* FinishReasonName(FinishReason r);  // "stop", "length", "cancelled"

struct GenerateOptions {
  SamplingParams sampling;
  size_t max_tokens = 256;
  std::vector<std::string> stop;  // stop strings (not included in the text)
  bool stop_at_eos = true;        // <eos> and <end_of_turn>
};

struct GenerateResult {
  std::string text;
  std::vector<int32_t> tokens;
  FinishReason finish_reason = FinishReason::kLength;
  size_t prompt_tokens = 0;  // tokens prefilled in this call (after cache reuse)
  double prefill_seconds = 0, decode_seconds = 0;
};

// Receives text as it becomes final (never half a UTF-8 character, never a
// piece of a stop string). Return false to stop generating.
using StreamCallback = std::function<bool(std::string_view delta)>;

class Session {
 public:
  static StatusOr<std::unique_ptr<Session>> Create(std::shared_ptr<const Model> model,
                                                   const EngineOptions& options);
  ~Session();

  // Makes the context equal to `tokens`, reusing the cached prefix it shares
  // with the current context and prefilling the rest in batches. Afterwards
  // logits() are those of the last token.
  Status SetContext(std::span<const int32_t> tokens);
  // Appends tokens to the context (prefill).
  Status Append(std::span<const int32_t> tokens);
  const float* logits() const;  // n_vocab logits after the last token
  std::span<const int32_t> context() const;

  // Samples from logits() with `sampler` state, appends the token and runs it.
  // Generate: appends `prompt` to the context, then samples until a stop
  // condition, streaming text deltas.
  StatusOr<GenerateResult> Generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                    const StreamCallback& on_text = nullptr);
  // Thread-safe: makes a running Generate finish with kCancelled.
  void Cancel();
  void Reset();

  const Model& model() const;
  Engine& engine();

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gemma
