#include "tokenizer/gguf_vocab.h"

#include <cctype>
#include <cmath>
#include <string>
#include <utility>
#include <variant>

namespace gemma {
namespace {

constexpr const char* kModel = "tokenizer.ggml.model";
constexpr const char* kTokens = "tokenizer.ggml.tokens";
constexpr const char* kScores = "tokenizer.ggml.scores";
constexpr const char* kTypes = "tokenizer.ggml.token_type";
constexpr const char* kMerges = "tokenizer.ggml.merges";
constexpr const char* kAddSpacePrefix = "tokenizer.ggml.add_space_prefix";

std::string Where(const GgufFile& g, std::string_view key) {
  return g.path() + ": " + std::string(key) + ": ";
}

// Optional special-token id: absent -> fallback (if in range, else -1).
StatusOr<int32_t> ReadId(const GgufFile& g, const char* key, int32_t fallback, size_t n) {
  if (g.Find(key) == nullptr)
    return (fallback >= 0 && static_cast<size_t>(fallback) < n) ? fallback : -1;
  const GgufValue* raw = g.Find(key);
  // Some converters write -1 (signed) for "no such token".
  if (std::holds_alternative<int64_t>(raw->v) && std::get<int64_t>(raw->v) == -1) return -1;
  StatusOr<uint64_t> v = g.GetUInt(key);
  if (!v.ok()) return v.status();
  if (*v >= n) {
    return CorruptData(Where(g, key) + "token id " + std::to_string(*v) +
                       " is outside the vocabulary of " + std::to_string(n) + " tokens");
  }
  return static_cast<int32_t>(*v);
}

}  // namespace

StatusOr<VocabSpec> VocabFromGguf(const GgufFile& g) {
  GEMMA_ASSIGN_OR_RETURN(std::string model, g.GetString(kModel));
  if (model != "llama") {
    return Unsupported(Where(g, kModel) + "tokenizer model '" + model +
                       "' is not supported (only \"llama\" = SentencePiece)");
  }
  VocabSpec spec;
  GEMMA_ASSIGN_OR_RETURN(spec.pieces, g.GetStringArray(kTokens));
  const size_t n = spec.pieces.size();
  if (n == 0) return CorruptData(Where(g, kTokens) + "empty token list");
  if (n > static_cast<size_t>(INT32_MAX)) return CorruptData(Where(g, kTokens) + "too many tokens");

  if (g.Find(kMerges) != nullptr) {
    GEMMA_ASSIGN_OR_RETURN(spec.merges, g.GetStringArray(kMerges));
  }
  if (g.Find(kScores) != nullptr || spec.merges.empty()) {
    GEMMA_ASSIGN_OR_RETURN(std::vector<double> scores, g.GetFloatArray(kScores));
    if (scores.size() != n) {
      return CorruptData(Where(g, kScores) + std::to_string(scores.size()) + " scores for " +
                         std::to_string(n) + " tokens");
    }
    spec.scores.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(scores[i])) {
        return CorruptData(Where(g, kScores) + "score of token " + std::to_string(i) + " is NaN");
      }
      spec.scores.push_back(static_cast<float>(scores[i]));
    }
  }
  if (g.Find(kTypes) != nullptr) {
    GEMMA_ASSIGN_OR_RETURN(std::vector<int64_t> types, g.GetIntArray(kTypes));
    if (types.size() != n) {
      return CorruptData(Where(g, kTypes) + std::to_string(types.size()) + " types for " +
                         std::to_string(n) + " tokens");
    }
    spec.types.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (types[i] < static_cast<int>(PieceType::kNormal) ||
          types[i] > static_cast<int>(PieceType::kByte)) {
        return CorruptData(Where(g, kTypes) + "token " + std::to_string(i) + " has unknown type " +
                           std::to_string(types[i]));
      }
      spec.types.push_back(static_cast<PieceType>(types[i]));
    }
  }
  GEMMA_ASSIGN_OR_RETURN(spec.bos_id, ReadId(g, "tokenizer.ggml.bos_token_id", 2, n));
  GEMMA_ASSIGN_OR_RETURN(spec.eos_id, ReadId(g, "tokenizer.ggml.eos_token_id", 1, n));
  GEMMA_ASSIGN_OR_RETURN(spec.unk_id, ReadId(g, "tokenizer.ggml.unknown_token_id", 3, n));
  GEMMA_ASSIGN_OR_RETURN(spec.pad_id, ReadId(g, "tokenizer.ggml.padding_token_id", 0, n));
  if (g.Find(kAddSpacePrefix) != nullptr) {
    GEMMA_ASSIGN_OR_RETURN(spec.add_space_prefix, g.GetBool(kAddSpacePrefix));
  } else {
    spec.add_space_prefix = false;
  }
  // Byte pieces must look like <0xXX> (Tokenizer::Create would refuse them
  // later without naming the file).
  if (!spec.types.empty()) {
    for (size_t i = 0; i < n; ++i) {
      const std::string& p = spec.pieces[i];
      if (spec.types[i] == PieceType::kByte &&
          (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>' ||
           !std::isxdigit(static_cast<unsigned char>(p[3])) ||
           !std::isxdigit(static_cast<unsigned char>(p[4])))) {
        return CorruptData(Where(g, kTypes) + "token " + std::to_string(i) + " '" + p +
                           "' has type BYTE but is not of the form <0xXX>");
      }
    }
  }
  return spec;
}

}  // namespace gemma
