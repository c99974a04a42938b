#include "model/gcore_model.h"

#include <cstdlib>
#include <exception>
#include <new>

#include "model/source.h"

namespace gemma {

std::vector<GcoreKv> GcoreConfigKvs(const ModelConfig& c) {
  return {
      GcoreKv::Str("arch", ArchitectureName(c.arch)),
      GcoreKv::U64("n_vocab", c.n_vocab),
      GcoreKv::U64("d_model", c.d_model),
      GcoreKv::U64("n_layers", c.n_layers),
      GcoreKv::U64("n_heads", c.n_heads),
      GcoreKv::U64("n_kv_heads", c.n_kv_heads),
      GcoreKv::U64("head_dim", c.head_dim),
      GcoreKv::U64("ffn_dim", c.ffn_dim),
      GcoreKv::U64("context_length", c.context_length),
      GcoreKv::F64("rms_eps", c.rms_eps),
      GcoreKv::F64("rope_base_global", c.rope_base_global),
      GcoreKv::F64("rope_base_local", c.rope_base_local),
      GcoreKv::F64("rope_linear_scale", c.rope_linear_scale),
      GcoreKv::U64("sliding_window", c.sliding_window),
      GcoreKv::F64("attn_softcap", c.attn_softcap),
      GcoreKv::F64("final_softcap", c.final_softcap),
      GcoreKv::F64("query_scale", c.query_scale),
      GcoreKv::U64("post_norms", c.post_norms ? 1 : 0),
      GcoreKv::U64("qk_norm", c.qk_norm ? 1 : 0),
  };
}

StatusOr<ModelConfig> ConfigFromGcore(const GcoreFile& f) {
  ModelConfig c;
  GEMMA_ASSIGN_OR_RETURN(const std::string arch, f.ConfigString("arch"));
  if (arch == "gemma") {
    c.arch = Architecture::kGemma1;
  } else if (arch == "gemma2") {
    c.arch = Architecture::kGemma2;
  } else if (arch == "gemma3") {
    c.arch = Architecture::kGemma3;
  } else {
    return Unsupported(f.path() + ": .gcore architecture '" + arch + "' is not supported");
  }
  auto size = [&](const char* key, size_t* out) -> Status {
    GEMMA_ASSIGN_OR_RETURN(const uint64_t v, f.ConfigU64(key));
    if (v > (uint64_t{1} << 40))
      return CorruptData(f.path() + ": .gcore config " + key + " is too large");
    *out = static_cast<size_t>(v);
    return Status::Ok();
  };
  // Floats are stored as f64 holding the f32 value exactly.
  auto real = [&](const char* key, float* out) -> Status {
    GEMMA_ASSIGN_OR_RETURN(const double v, f.ConfigF64(key));
    *out = static_cast<float>(v);
    return Status::Ok();
  };
  size_t post_norms = 0, qk_norm = 0;
  GEMMA_RETURN_IF_ERROR(size("n_vocab", &c.n_vocab));
  GEMMA_RETURN_IF_ERROR(size("d_model", &c.d_model));
  GEMMA_RETURN_IF_ERROR(size("n_layers", &c.n_layers));
  GEMMA_RETURN_IF_ERROR(size("n_heads", &c.n_heads));
  GEMMA_RETURN_IF_ERROR(size("n_kv_heads", &c.n_kv_heads));
  GEMMA_RETURN_IF_ERROR(size("head_dim", &c.head_dim));
  GEMMA_RETURN_IF_ERROR(size("ffn_dim", &c.ffn_dim));
  GEMMA_RETURN_IF_ERROR(size("context_length", &c.context_length));
  GEMMA_RETURN_IF_ERROR(real("rms_eps", &c.rms_eps));
  GEMMA_RETURN_IF_ERROR(real("rope_base_global", &c.rope_base_global));
  GEMMA_RETURN_IF_ERROR(real("rope_base_local", &c.rope_base_local));
  GEMMA_RETURN_IF_ERROR(real("rope_linear_scale", &c.rope_linear_scale));
  GEMMA_RETURN_IF_ERROR(size("sliding_window", &c.sliding_window));
  GEMMA_RETURN_IF_ERROR(real("attn_softcap", &c.attn_softcap));
  GEMMA_RETURN_IF_ERROR(real("final_softcap", &c.final_softcap));
  GEMMA_RETURN_IF_ERROR(real("query_scale", &c.query_scale));
  GEMMA_RETURN_IF_ERROR(size("post_norms", &post_norms));
  GEMMA_RETURN_IF_ERROR(size("qk_norm", &qk_norm));
  c.post_norms = post_norms != 0;
  c.qk_norm = qk_norm != 0;
  if (!(c.query_scale > 0) || !(c.rope_linear_scale > 0)) {
    return CorruptData(f.path() +
                       ": .gcore config: query_scale and rope_linear_scale must be positive");
  }
  GEMMA_RETURN_IF_ERROR(ValidateConfig(c, f.path()));
  return c;
}

namespace {

StatusOr<ModelSource> Open(const std::string& path, const OpenOptions& options) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<GcoreFile> f, GcoreFile::Open(path, options.residency));
  const char* env = std::getenv("GEMMA_VERIFY");
  if (options.verify_checksums || (env != nullptr && env[0] == '1')) {
    GEMMA_RETURN_IF_ERROR(f->VerifyTensors());
  }
  ModelSource s;
  s.path = path;
  s.format = ModelFormat::kGcore;
  GEMMA_ASSIGN_OR_RETURN(s.config, ConfigFromGcore(*f));
  GEMMA_ASSIGN_OR_RETURN(s.vocab, f->Vocab());
  GEMMA_RETURN_IF_ERROR(FitVocabToEmbedding(&s.vocab, s.config.n_vocab, false, path));
  s.tensors.reserve(f->tensors().size());
  for (const GcoreTensor& t : f->tensors())
    s.tensors.push_back({t.name, t.type, t.dims, t.data, t.n_bytes, {}});
  s.metadata.emplace_back(
      "format", "gcore " + std::to_string(kGcoreMajor) + "." + std::to_string(f->minor_version()));
  for (const GcoreKv& kv : f->info()) {
    if (kv.key == "name" && kv.type == GcoreKv::Type::kString) s.name = kv.s;
    s.metadata.emplace_back(kv.key, kv.ToDisplayString());
  }
  for (const GcoreKv& kv : f->config())
    s.metadata.emplace_back("config." + kv.key, kv.ToDisplayString());
  s.weights_file = f->mapped_file();
  s.keep_alive.push_back(std::shared_ptr<const GcoreFile>(std::move(f)));
  return s;
}

}  // namespace

StatusOr<ModelSource> OpenGcoreSource(const std::string& path, const OpenOptions& options) {
  try {
    return Open(path, options);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(path + ": out of memory loading the .gcore model");
  }
}

}  // namespace gemma
