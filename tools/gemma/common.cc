#include "common.h"

#ifdef _MSC_VER  // MSVC / clang-cl have no <unistd.h>
#include <io.h>
#define isatty _isatty
#define fileno _fileno
#else
#include <unistd.h>
#endif

#include <cstdio>
#include <utility>

namespace gemma::cli {

void AddModelFlags(CLI::App* cmd, ModelFlags* f) {
  cmd->add_option("-m,--model", f->model_path, "Model file (.gguf)")->required();
  cmd->add_option("-t,--threads", f->threads, "Threads (0 = all cores)");
  cmd->add_option("-c,--ctx", f->context, "Context length (0 = min(model, 4096))");
  cmd->add_option("--kv", f->kv_type, "KV cache type")->check(CLI::IsMember({"f32", "f16"}));
  cmd->add_option("-b,--batch", f->batch, "Max tokens per forward pass (prefill chunk)")
      ->check(CLI::Range(1, 8192));
  cmd->add_flag("--mmap", f->mmap,
                "Map the weights in place (zero-copy, shared page cache) instead of reading them "
                "into huge pages (the default: faster decode)");
}

StatusOr<std::shared_ptr<const Model>> LoadModel(const ModelFlags& flags) {
  const bool tty = isatty(fileno(stderr));
  ProgressCallback progress;
  if (tty) {
    progress = [](float f) {
      const int width = 30, filled = static_cast<int>(f * width);
      std::fprintf(stderr, "\rloading [%.*s%*s] %3d%%", filled, "##############################",
                   width - filled, "", static_cast<int>(f * 100));
      if (f >= 1.0f) std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
    };
  }
  LoadOptions options;
  options.progress = std::move(progress);
  options.mmap = flags.mmap;
  return Model::Load(flags.model_path, options);
}

EngineOptions ToEngineOptions(const ModelFlags& flags) {
  EngineOptions o;
  o.num_threads = flags.threads;
  o.context_length = flags.context;
  o.kv_type = flags.kv_type == "f16" ? KvCacheType::kF16 : KvCacheType::kF32;
  o.max_batch_tokens = flags.batch;
  return o;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "gemma: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace gemma::cli
