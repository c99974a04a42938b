// SentencePiece-style BPE tokenizer for Gemma vocabularies: added / special
// tokens matched first on the raw text, U+0020 -> U+2581, BPE merges over the
// whole segment (by merge rank, or by piece score when a vocabulary has no
// merge list), byte fallback <0xXX>. Thread-safe for concurrent encodes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gemma/status.h"

namespace gemma {

// SentencePiece piece types (as stored in tokenizer.ggml.token_type).
enum class PieceType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// A format-neutral description of a vocabulary, filled by each loader (GGUF
// metadata, tokenizer.json, tokenizer.model). With a merge list the encoder
// is Hugging Face's BPE (merge ranks; an unknown character becomes its byte
// pieces before merging); without one it is SentencePiece's (piece scores).
// add_space_prefix affects encoding only: Decode keeps the leading space.
struct VocabSpec {
  std::vector<std::string> pieces;
  std::vector<float> scores;        // may be empty when merges are given
  std::vector<PieceType> types;     // empty = all kNormal
  std::vector<std::string> merges;  // "left right"; empty = merge by score
  // Alternative to `merges`, used when non-empty: the merge list as resolved
  // piece ids (left, right); rank = index, the merged piece is the
  // concatenation. A repeated pair keeps its last rank, as in Hugging Face
  // tokenizers (`merges` keeps the first, as llama.cpp).
  std::vector<std::pair<int32_t, int32_t>> merge_ids;
  int32_t bos_id = 2;
  int32_t eos_id = 1;
  int32_t unk_id = 3;
  int32_t pad_id = 0;
  bool add_space_prefix = false;
  // Consecutive characters that end up as the unknown piece become one
  // (Hugging Face BPE `fuse_unk`).
  bool fuse_unk = false;
};

// Vocabulary loaders. Errors name the file and what is wrong; no loader
// aborts or throws on bad input.
//
// Hugging Face tokenizer.json with a BPE model (Gemma's shape: normalizer
// Replace(" " -> U+2581), optionally Prepend(U+2581); no pre-tokenizer or a
// Split on " "; merges as "a b" or ["a", "b"]; added tokens; byte fallback).
// Special added tokens become kControl (the unk token kUnknown), other added
// tokens kUserDefined, <0xXX> pieces kByte. Other model types, normalizers
// and pre-tokenizers are kUnsupported.
StatusOr<VocabSpec> VocabFromTokenizerJson(const std::string& path);
// Same, from the JSON text itself; `name` is used in error messages.
StatusOr<VocabSpec> VocabFromTokenizerJsonText(std::string_view json, const std::string& name);
// SentencePiece tokenizer.model (a serialized ModelProto; BPE models only).
// Converted as Hugging Face transformers converts it (GemmaConverter): the
// merge list is generated from the piece scores, so the result encodes
// exactly as the tokenizer.json published with the model.
StatusOr<VocabSpec> VocabFromSentencePieceModel(const std::string& path);
StatusOr<VocabSpec> VocabFromSentencePieceModelBytes(std::string_view bytes,
                                                     const std::string& name);
// Picks the loader by path: a directory (its tokenizer.json, else
// tokenizer.model), *.json, *.model, *.gguf, else by the file's first bytes.
StatusOr<VocabSpec> LoadVocab(const std::string& path);

struct EncodeOptions {
  bool add_bos = false;
  // false = do not match special (control) token text; "<bos>" in user text
  // is then tokenized as plain characters (HF split_special_tokens=True).
  bool parse_special = true;
};

class Tokenizer {
 public:
  static StatusOr<std::unique_ptr<Tokenizer>> Create(VocabSpec spec);
  ~Tokenizer();

  std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& options = {}) const;
  // Appends to *ids (reuses its capacity).
  void EncodeInto(std::string_view text, const EncodeOptions& options,
                  std::vector<int32_t>* ids) const;
  // Ids outside the vocabulary are skipped. Byte-token runs are UTF-8 decoded
  // as a whole; an invalid run becomes one U+FFFD per byte (as HF tokenizers).
  std::string Decode(std::span<const int32_t> ids, bool skip_special = false) const;
  // Encodes every text, in parallel on `num_threads` threads (0 = all
  // hardware threads); result[i] = Encode(texts[i], options).
  std::vector<std::vector<int32_t>> EncodeBatch(std::span<const std::string_view> texts,
                                                const EncodeOptions& options = {},
                                                size_t num_threads = 0) const;

  size_t vocab_size() const;
  std::string_view Piece(int32_t id) const;  // "" for an out-of-range id
  PieceType Type(int32_t id) const;
  bool IsValid(int32_t id) const { return id >= 0 && static_cast<size_t>(id) < vocab_size(); }
  // Looks a piece up exactly; -1 if absent.
  int32_t PieceToId(std::string_view piece) const;
  int32_t bos_id() const;
  int32_t eos_id() const;
  // <start_of_turn> / <end_of_turn>, or -1 if the vocabulary has none.
  int32_t start_of_turn_id() const;
  int32_t end_of_turn_id() const;
  // If id is a byte piece <0xXX>, its byte value; otherwise -1.
  int ByteValue(int32_t id) const;

 private:
  Tokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  friend class StreamingDetokenizer;
};

// LoadVocab + Tokenizer::Create.
StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& path);

// Turns a stream of ids into text deltas that never end inside a UTF-8
// character; concatenated deltas + Flush() equal Decode() of all ids exactly.
// Because Decode() turns a whole byte-token run into U+FFFD when any part of
// it is invalid, a run is held back until it ends (a non-byte token or
// Flush()), or until it is proven invalid: then its bytes so far, and each
// later byte of the same run, are emitted as U+FFFD at once.
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const Tokenizer& tokenizer, bool skip_special = false);
  // Appends newly complete text for `id` to *out; no allocation once *out has
  // capacity.
  void Push(int32_t id, std::string* out);
  // Appends anything held back (invalid bytes as U+FFFD) and resets.
  void Flush(std::string* out);
  void Reset();

 private:
  void EndRun(std::string* out);

  const Tokenizer* tok_;
  bool skip_special_;
  std::string pending_;      // held-back bytes; capacity reserved at construction
  uint32_t utf8_state_ = 0;  // packed UTF-8 validator state of pending_
  bool poisoned_ = false;    // the current byte run is already invalid
};

// Gemma chat formatting.
struct ChatMessage {
  std::string role;  // "system", "user", "assistant" or "model"
  std::string content;
};
// Renders `<start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n...`,
// exactly as the tokenizer_config.json chat templates of Gemma 1/2/3 do,
// without their leading `<bos>` (add it when encoding: EncodeOptions.add_bos).
// User/model contents are trimmed (Jinja `trim`); a system message is put,
// untrimmed and followed by "\n\n", at the start of the first user turn
// (Gemma 3's rule; Gemma 1/2's template rejects a system role, we fold it the
// same way for every version). Roles must alternate user/model after the
// optional system message; other shapes, and a system message with no user
// turn after it (the template would drop it silently), are InvalidArgument.
StatusOr<std::string> RenderChat(std::span<const ChatMessage> messages, bool add_generation_prompt);

}  // namespace gemma
