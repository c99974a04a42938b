// `gemma`: run, chat, info, bench and logits over a Gemma model file.
#include <cstdio>
#include <map>

#include "common.h"
#include "kernels/kernels.h"

int main(int argc, char** argv) {
  CLI::App app{"gemma-core: Gemma inference on the CPU"};
  app.require_subcommand(1);
  // Same syntax on every platform: CLI11 defaults to Windows-style "/opt"
  // options on Windows, which turns positional paths like /data/in.gguf
  // into unknown options.
  app.allow_windows_style_options(false);
  std::map<CLI::App*, gemma::cli::Runner> runners;
  auto add = [&](gemma::cli::Runner r) { runners[app.get_subcommands({}).back()] = std::move(r); };
  add(gemma::cli::AddRun(app));
  add(gemma::cli::AddChat(app));
  add(gemma::cli::AddInfo(app));
  add(gemma::cli::AddBench(app));
  add(gemma::cli::AddLogits(app));
  add(gemma::cli::AddTokenize(app));
  add(gemma::cli::AddDetokenize(app));
  add(gemma::cli::AddConvert(app));
  add(gemma::cli::AddQuantize(app));
  CLI11_PARSE(app, argc, argv);

  // GEMMA_TARGET=AVX2 (etc.) restricts the SIMD target, for comparisons.
  if (const char* t = std::getenv("GEMMA_TARGET"); t && *t) {
    const int64_t target = gemma::kernels::TargetFromName(t);
    if (target == 0) {
      std::fprintf(stderr, "gemma: GEMMA_TARGET=%s is not an available SIMD target\n", t);
      return 1;
    }
    gemma::kernels::ForceTarget(target);
  }
  for (auto& [cmd, run] : runners) {
    if (cmd->parsed()) return run();
  }
  return 1;
}
