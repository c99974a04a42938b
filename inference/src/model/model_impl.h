// What a loaded Model holds. Internal: the server and wasm use engine.h only.
#pragma once

#include <memory>

#include "gemma/engine.h"
#include "io/gguf.h"
#include "model/config.h"
#include "model/weights.h"

namespace gemma {

struct Model::Impl {
  std::unique_ptr<GgufFile> gguf;  // owns the map the weights point into
  ModelConfig config;
  ModelWeights weights;
  std::unique_ptr<Tokenizer> tokenizer;
  ModelInfo info;
};

}  // namespace gemma
