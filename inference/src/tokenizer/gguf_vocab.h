// Builds a VocabSpec from GGUF tokenizer metadata (llama.cpp conventions).
#pragma once

#include "gemma/status.h"
#include "gemma/tokenizer.h"
#include "io/gguf.h"

namespace gemma {

// Reads tokenizer.ggml.{model, tokens, scores, token_type, merges,
// bos_token_id, eos_token_id, unknown_token_id, padding_token_id,
// add_space_prefix}. Only model "llama" (SentencePiece) is supported.
// Required: model, tokens, and scores unless merges are present. Optional:
// token_type (default Normal; <0xXX> pieces become Byte), merges, the special
// ids (default: the VocabSpec defaults when they are in range, else -1) and
// add_space_prefix (default false, as for Gemma). Errors name the file and key.
StatusOr<VocabSpec> VocabFromGguf(const GgufFile& gguf);

}  // namespace gemma
