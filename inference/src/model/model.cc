// Model loading: any format (model/source.h) -> config, weights, tokenizer,
// and a summary.
#include <cstdlib>
#include <exception>
#include <map>
#include <new>

#include "model/model_impl.h"
#include "model/source.h"

namespace gemma {
namespace {

// Touches every page of the weights once, so the first request does not pay
// for page faults and the caller can show real loading progress.
void Prefault(std::span<const SourceTensor> tensors, const ProgressCallback& progress) {
  uint64_t total = 0;
  for (const SourceTensor& t : tensors) total += t.n_bytes;
  uint64_t done = 0;
  volatile uint8_t sink = 0;
  float last_reported = -1.0f;
  for (const SourceTensor& t : tensors) {
    for (uint64_t off = 0; off < t.n_bytes; off += 4096) sink = sink + t.data[off];
    done += t.n_bytes;
    const float f = total ? static_cast<float>(done) / static_cast<float>(total) : 1.0f;
    if (progress && f - last_reported >= 0.01f) {
      progress(f);
      last_reported = f;
    }
  }
  if (progress) progress(1.0f);
}

ModelInfo Summarize(const ModelSource& src, const ModelWeights& w) {
  const ModelConfig& c = src.config;
  ModelInfo info;
  info.path = src.path;
  info.format = ModelFormatName(src.format);
  info.architecture = ArchitectureName(c.arch);
  info.name = src.name;
  info.n_vocab = c.n_vocab;
  info.d_model = c.d_model;
  info.n_layers = c.n_layers;
  info.n_heads = c.n_heads;
  info.n_kv_heads = c.n_kv_heads;
  info.head_dim = c.head_dim;
  info.ffn_dim = c.ffn_dim;
  info.context_length = c.context_length;
  info.sliding_window = c.sliding_window;
  for (size_t il = 0; il < c.n_layers; ++il) info.n_local_layers += c.IsLocalLayer(il) ? 1 : 0;
  info.weight_bytes = w.total_bytes;
  std::map<std::string, size_t> types;
  for (const SourceTensor& t : src.tensors) {
    uint64_t n = 1;
    for (const uint64_t d : t.dims) n *= d;
    info.n_params += n;
    ++types[DTypeName(t.type)];
  }
  info.tensor_types.assign(types.begin(), types.end());
  return info;
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

namespace {

// Binds config, weights and tokenizer from a loaded source; the maps and
// buffers the weights point into move into impl. `interleave`: let the
// weights be rearranged for the kernels (InterleaveWeights).
// `residency_if_unknown`: ModelInfo::weights_residency when the source has no
// single weights file (Hugging Face and ONNX maps, or the caller's memory).
Status Bind(Model::Impl& impl, ModelSource src, const ProgressCallback& progress, bool interleave,
            const char* residency_if_unknown) {
  try {
    impl.config = src.config;
    GEMMA_ASSIGN_OR_RETURN(impl.weights, BindWeights(src.tensors, impl.config, src.path));
    const size_t interleaved = interleave ? InterleaveWeights(&impl.weights, src.weights_file) : 0;
    if (src.vocab.pieces.size() != impl.config.n_vocab) {
      return CorruptData(
          src.path + ": the tokenizer has " + std::to_string(src.vocab.pieces.size()) +
          " pieces but token_embd.weight has " + std::to_string(impl.config.n_vocab) + " rows");
    }
    GEMMA_ASSIGN_OR_RETURN(impl.tokenizer, Tokenizer::Create(std::move(src.vocab)));
    impl.info = Summarize(src, impl.weights);
    impl.info.interleaved_matrices = interleaved;
    impl.info.weights_residency = src.weights_file == nullptr  ? residency_if_unknown
                                  : src.weights_file->copied() ? "copied"
                                                               : "mapped";
    Prefault(src.tensors, progress);
    impl.metadata = std::move(src.metadata);
    impl.gguf = std::move(src.gguf);
    impl.keep_alive = std::move(src.keep_alive);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(src.path + ": out of memory loading the model");
  }
}

}  // namespace

StatusOr<std::shared_ptr<const Model>> Model::Load(const std::string& path,
                                                   const ProgressCallback& progress) {
  LoadOptions options;
  options.progress = progress;
  return Load(path, options);
}

StatusOr<std::shared_ptr<const Model>> Model::Load(const std::string& path,
                                                   const LoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  OpenOptions open;
  open.residency = options.mmap ? MappedFile::Residency::kMap : MappedFile::Residency::kHugePages;
  GEMMA_ASSIGN_OR_RETURN(ModelSource src, OpenModelSource(path, open));
  const char* env = std::getenv("GEMMA_INTERLEAVE");
  const bool interleave = options.interleave && !(env != nullptr && std::string(env) == "0");
  GEMMA_RETURN_IF_ERROR(Bind(*impl, std::move(src), options.progress, interleave, "mapped"));
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

StatusOr<std::shared_ptr<const Model>> Model::LoadFromMemory(std::span<const uint8_t> bytes,
                                                             std::string name,
                                                             std::shared_ptr<const void> owner,
                                                             const ProgressCallback& progress) {
  auto impl = std::make_unique<Impl>();
  impl->owner = std::move(owner);
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> gguf,
                         GgufFile::FromMemory(bytes, std::move(name)));
  GEMMA_ASSIGN_OR_RETURN(ModelSource src, SourceFromGguf(std::move(gguf)));
  GEMMA_RETURN_IF_ERROR(Bind(*impl, std::move(src), progress, /*interleave=*/false, "memory"));
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

const ModelInfo& Model::info() const { return impl_->info; }
const Tokenizer& Model::tokenizer() const { return *impl_->tokenizer; }

std::vector<std::pair<std::string, std::string>> Model::Metadata() const { return impl_->metadata; }

}  // namespace gemma
