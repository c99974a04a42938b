// Batch encoding on the engine's thread pool (the public
// Tokenizer::EncodeBatch makes a pool per call; the engine and the CLI pass
// theirs).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gemma/tokenizer.h"

namespace gemma {
class ThreadPool;
namespace tok {

// result[i] = tokenizer.Encode(texts[i], options), computed in parallel.
std::vector<std::vector<int32_t>> EncodeBatch(const Tokenizer& tokenizer,
                                              std::span<const std::string_view> texts,
                                              const EncodeOptions& options, ThreadPool& pool);

}  // namespace tok
}  // namespace gemma
