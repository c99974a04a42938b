// Model loading: GGUF -> config, weights, tokenizer, and a summary.
#include <map>

#include "model/model_impl.h"
#include "tokenizer/gguf_vocab.h"

namespace gemma {
namespace {

// Touches every page of the weights once, so the first request does not pay
// for page faults and the caller can show real loading progress.
void Prefault(const ModelWeights& w, const GgufFile& g, const ProgressCallback& progress) {
  const auto& tensors = g.tensors();
  uint64_t total = 0;
  for (const GgufTensor& t : tensors) total += t.n_bytes;
  uint64_t done = 0;
  volatile uint8_t sink = 0;
  float last_reported = -1.0f;
  for (const GgufTensor& t : tensors) {
    for (uint64_t off = 0; off < t.n_bytes; off += 4096) sink = sink + t.data[off];
    done += t.n_bytes;
    const float f = total ? static_cast<float>(done) / static_cast<float>(total) : 1.0f;
    if (progress && f - last_reported >= 0.01f) {
      progress(f);
      last_reported = f;
    }
  }
  (void)w;
  if (progress) progress(1.0f);
}

ModelInfo Summarize(const GgufFile& g, const ModelConfig& c, const ModelWeights& w) {
  ModelInfo info;
  info.path = g.path();
  info.architecture = ArchitectureName(c.arch);
  if (auto name = g.GetString("general.name"); name.ok()) info.name = *name;
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
  for (const GgufTensor& t : g.tensors()) {
    info.n_params += t.n_elements;
    ++types[DTypeName(t.type)];
  }
  info.tensor_types.assign(types.begin(), types.end());
  return info;
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

StatusOr<std::shared_ptr<const Model>> Model::Load(const std::string& path, const ProgressCallback& progress) {
  auto impl = std::make_unique<Impl>();
  GEMMA_ASSIGN_OR_RETURN(impl->gguf, GgufFile::Open(path));
  const GgufFile& g = *impl->gguf;
  GEMMA_ASSIGN_OR_RETURN(impl->config, ConfigFromGguf(g));
  GEMMA_ASSIGN_OR_RETURN(impl->weights, BindGgufWeights(g, impl->config));
  GEMMA_ASSIGN_OR_RETURN(VocabSpec vocab, VocabFromGguf(g));
  if (vocab.pieces.size() != impl->config.n_vocab) {
    return CorruptData(path + ": tokenizer.ggml.tokens has " + std::to_string(vocab.pieces.size()) +
                       " pieces but token_embd.weight has " + std::to_string(impl->config.n_vocab) + " rows");
  }
  GEMMA_ASSIGN_OR_RETURN(impl->tokenizer, Tokenizer::Create(std::move(vocab)));
  impl->info = Summarize(g, impl->config, impl->weights);
  Prefault(impl->weights, g, progress);
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

const ModelInfo& Model::info() const { return impl_->info; }
const Tokenizer& Model::tokenizer() const { return *impl_->tokenizer; }

std::vector<std::pair<std::string, std::string>> Model::Metadata() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : impl_->gguf->metadata()) out.emplace_back(key, value.ToDisplayString());
  return out;
}

}  // namespace gemma
