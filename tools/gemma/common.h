// Shared pieces of the `gemma` subcommands: model loading with a progress
// bar, engine options from flags, error exit.
#pragma once

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "gemma/engine.h"

namespace gemma::cli {

// Flags every command that runs a model accepts.
struct ModelFlags {
  std::string model_path;
  size_t threads = 0;
  size_t context = 0;
  std::string kv_type = "f32";
  bool mmap = false;
  size_t batch = 512;
};
void AddModelFlags(CLI::App* cmd, ModelFlags* flags);

// Loads the model, showing progress on a terminal.
StatusOr<std::shared_ptr<const Model>> LoadModel(const ModelFlags& flags);
EngineOptions ToEngineOptions(const ModelFlags& flags);

// Prints "gemma: <message>" to stderr and returns the exit status 1.
int Fail(const Status& status);

// Each subcommand: registers itself and returns the function that runs it.
using Runner = std::function<int()>;
Runner AddRun(CLI::App& app);
Runner AddChat(CLI::App& app);
Runner AddInfo(CLI::App& app);
Runner AddBench(CLI::App& app);
Runner AddLogits(CLI::App& app);
Runner AddTokenize(CLI::App& app);
Runner AddDetokenize(CLI::App& app);
Runner AddConvert(CLI::App& app);
Runner AddQuantize(CLI::App& app);

// cmd_convert.cc: writes `in` as `out` (GGUF or .gcore, `to` or the
// extension), matrices converted to `type` when given; `gemma convert` and
// `gemma quantize` share it.
int ConvertModel(const std::string& in, const std::string& out, std::string to,
                 const std::string& type, bool verify);

}  // namespace gemma::cli
