// What a loaded Model holds. Internal: the server and wasm use engine.h only.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gemma/engine.h"
#include "io/gguf.h"
#include "model/config.h"
#include "model/weights.h"

namespace gemma {

struct Model::Impl {
  std::shared_ptr<const void> owner;  // LoadFromMemory: keeps the bytes alive
  std::unique_ptr<GgufFile> gguf;     // GGUF models: owns the map the weights point into
  // Other formats: the maps and buffers the weights point into.
  std::vector<std::shared_ptr<const void>> keep_alive;
  std::vector<std::pair<std::string, std::string>> metadata;  // for Metadata()
  ModelConfig config;
  ModelWeights weights;
  std::unique_ptr<Tokenizer> tokenizer;
  ModelInfo info;
};

}  // namespace gemma
