// Private state of gemma::Tokenizer, shared by the encoder (tokenizer.cc,
// bpe.cc) and the decoders (decode.cc).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gemma/tokenizer.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/pair_map.h"
#include "tokenizer/piece_index.h"

namespace gemma {

struct Tokenizer::Impl {
  std::vector<std::string> pieces;
  std::vector<float> scores;           // one per piece (0 when the spec had none)
  std::vector<PieceType> types;        // one per piece
  std::vector<int16_t> byte_value;     // per id: 0..255 for <0xXX> byte pieces, else -1
  std::array<int32_t, 256> byte_id{};  // byte -> id of its <0xXX> piece, or -1

  tok::PieceIndex index;
  tok::AddedTokenTrie added;

  // Merge-rank mode (spec.merges non-empty): (left id, right id) -> rank, id.
  bool use_merges = false;
  tok::PairMap merges;
  size_t max_piece_len = 0;  // longest piece a BPE merge may produce

  int32_t bos_id = -1, eos_id = -1, unk_id = -1, pad_id = -1;
  int32_t start_of_turn_id = -1, end_of_turn_id = -1;
  bool add_space_prefix = false;
  bool fuse_unk = false;

  // Pieces a BPE symbol may be or become: Normal and UserDefined (SentencePiece
  // keeps Control/Unknown/Byte pieces out of its merge dictionary and never
  // produces Unused ones; HF merge lists never create them either).
  static bool Mergeable(PieceType t) {
    return t == PieceType::kNormal || t == PieceType::kUserDefined;
  }
  // Removed by Decode(skip_special=true): what HF marks special (Control
  // pieces and the unknown piece); UserDefined / Unused pieces are kept.
  static bool SkippedAsSpecial(PieceType t) {
    return t == PieceType::kControl || t == PieceType::kUnknown;
  }
  int32_t MergeableId(std::string_view s) const {
    int32_t id = index.Find(s);
    return (id >= 0 && Mergeable(types[id])) ? id : -1;
  }

  // MergeableId of single characters without hashing: ASCII in char_id,
  // other BMP code points in bmp_id (built by Create), the rest looked up.
  std::array<int32_t, 128> char_id{};
  std::vector<int32_t> bmp_id;  // 65536 entries, -1 = not a mergeable piece
  int32_t CharId(std::string_view ch) const {
    const auto* b = reinterpret_cast<const uint8_t*>(ch.data());
    if (ch.size() == 2) return bmp_id[((b[0] & 0x1Fu) << 6) | (b[1] & 0x3Fu)];
    if (ch.size() == 3)
      return bmp_id[((b[0] & 0x0Fu) << 12) | ((b[1] & 0x3Fu) << 6) | (b[2] & 0x3Fu)];
    return MergeableId(ch);  // 4-byte characters, lone invalid bytes
  }
  bool HasAllBytePieces(std::string_view symbol) const {
    for (char c : symbol) {
      if (byte_id[static_cast<uint8_t>(c)] < 0) return false;
    }
    return true;
  }
  // Heap key part of a piece score: a higher score gives a smaller key.
  static uint32_t ScoreKey(float score);

  // BPE over one normalized segment (bpe.cc); appends ids.
  void EncodeSegment(std::string_view normalized, std::vector<int32_t>* ids) const;
  // Appends byte-fallback ids for one symbol that is not a vocabulary piece;
  // returns true if it became the unknown piece.
  bool AppendByteFallback(std::string_view symbol, bool after_unk, std::vector<int32_t>* ids) const;
};

}  // namespace gemma
