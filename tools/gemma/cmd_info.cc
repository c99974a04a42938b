// `gemma info`: metadata, tensor types, memory use and the SIMD target.
#include <cstdio>
#include <string>

#include "common.h"
#include "kernels/kernels.h"

namespace gemma::cli {
namespace {

struct InfoFlags {
  ModelFlags model;
  bool all_metadata = false;
};

int RunInfo(const InfoFlags& f) {
  auto model = LoadModel(f.model);
  if (!model.ok()) return Fail(model.status());
  const ModelInfo& i = (*model)->info();
  std::printf("file:          %s\n", i.path.c_str());
  std::printf("name:          %s\n", i.name.c_str());
  std::printf("architecture:  %s\n", i.architecture.c_str());
  std::printf("parameters:    %.3f M\n", static_cast<double>(i.n_params) / 1e6);
  std::printf("vocab:         %zu\n", i.n_vocab);
  std::printf("d_model:       %zu\n", i.d_model);
  std::printf("layers:        %zu (%zu sliding-window, window %zu)\n", i.n_layers, i.n_local_layers,
              i.sliding_window);
  std::printf("heads:         %zu (kv %zu, head_dim %zu)\n", i.n_heads, i.n_kv_heads, i.head_dim);
  std::printf("ffn:           %zu\n", i.ffn_dim);
  std::printf("context:       %zu\n", i.context_length);
  std::printf("tensor types: ");
  for (const auto& [type, count] : i.tensor_types) std::printf(" %s x%zu", type.c_str(), count);
  std::string where = i.weights_residency;
  if (i.interleaved_matrices) {
    where += ", " + std::to_string(i.interleaved_matrices) + " matrices interleaved";
  }
  std::printf("\nweights:       %.2f MiB (%s)\n", static_cast<double>(i.weight_bytes) / (1 << 20),
              where.c_str());
  auto options = ToEngineOptions(f.model);
  auto engine = Engine::Create(*model, options);
  if (engine.ok()) {
    const EngineOptions& o = (*engine)->options();
    std::printf("kv cache:      %.2f MiB (%zu tokens, %s)\n",
                static_cast<double>((*engine)->kv_cache_bytes()) / (1 << 20), o.context_length,
                o.kv_type == KvCacheType::kF16 ? "f16" : "f32");
    std::printf("threads:       %zu\n", o.num_threads);
  }
  std::printf("simd target:   %s (available:", kernels::ActiveTargetName().c_str());
  for (int64_t t : kernels::AvailableTargets()) std::printf(" %s", kernels::TargetName(t).c_str());
  std::printf(")\n");
  std::printf("tokenizer:     %zu pieces, bos %d, eos %d, end_of_turn %d\n",
              (*model)->tokenizer().vocab_size(), (*model)->tokenizer().bos_id(),
              (*model)->tokenizer().eos_id(), (*model)->tokenizer().end_of_turn_id());
  std::printf("metadata:\n");
  for (const auto& [key, value] : (*model)->Metadata()) {
    if (!f.all_metadata && key.rfind("tokenizer.ggml.", 0) == 0 && value.size() > 80) {
      std::printf("  %-40s %.77s...\n", key.c_str(), value.c_str());
    } else {
      std::printf("  %-40s %s\n", key.c_str(), value.c_str());
    }
  }
  return 0;
}

}  // namespace

Runner AddInfo(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("info", "Show model metadata, tensor types, memory use and SIMD target");
  auto f = std::make_shared<InfoFlags>();
  AddModelFlags(cmd, &f->model);
  cmd->add_flag("--all", f->all_metadata, "Print long metadata values in full");
  return [f] { return RunInfo(*f); };
}

}  // namespace gemma::cli
