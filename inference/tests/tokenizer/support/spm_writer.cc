#include "support/spm_writer.h"

#include <algorithm>
#include <cstring>
#include <tuple>
#include <unordered_map>

#include "tokenizer/utf8.h"

namespace gemma::testing {
namespace {

void Varint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void Key(uint32_t field, uint32_t wire_type, std::string* out) {
  Varint((field << 3) | wire_type, out);
}
void Bytes(uint32_t field, const std::string& b, std::string* out) {
  Key(field, 2, out);
  Varint(b.size(), out);
  out->append(b);
}
void Int(uint32_t field, int64_t v, std::string* out) {
  Key(field, 0, out);
  Varint(static_cast<uint64_t>(v), out);  // negative int32: 10-byte sign extension
}
void Float(uint32_t field, float f, std::string* out) {
  Key(field, 5, out);
  char b[4];
  std::memcpy(b, &f, 4);
  out->append(b, 4);
}

uint32_t Chars(std::string_view s) {
  uint32_t n = 0;
  for (size_t i = 0; i < s.size(); i += tok::Utf8CharLen(s, i)) ++n;
  return n;
}

}  // namespace

std::string WriteModelProto(const std::vector<SpmPiece>& pieces, const SpmOptions& o) {
  std::string out;
  for (const SpmPiece& p : pieces) {
    std::string sp;
    Bytes(1, p.piece, &sp);
    Float(2, p.score, &sp);
    Int(3, p.type, &sp);
    Bytes(1, sp, &out);
  }
  std::string trainer;
  Int(3, o.model_type, &trainer);
  Int(4, static_cast<int64_t>(pieces.size()), &trainer);
  Int(35, o.byte_fallback ? 1 : 0, &trainer);
  Int(40, o.unk_id, &trainer);
  Int(41, o.bos_id, &trainer);
  Int(42, o.eos_id, &trainer);
  Int(43, o.pad_id, &trainer);
  Bytes(2, trainer, &out);
  std::string norm;
  Bytes(1, o.normalizer_name, &norm);
  if (!o.precompiled_charsmap.empty()) Bytes(2, o.precompiled_charsmap, &norm);
  Int(3, o.add_dummy_prefix ? 1 : 0, &norm);
  Int(4, o.remove_extra_whitespaces ? 1 : 0, &norm);
  Int(5, o.escape_whitespaces ? 1 : 0, &norm);
  Bytes(3, norm, &out);
  return out;
}

std::string SentencePieceModelFromJsonVocab(const VocabSpec& spec) {
  const size_t n_all = spec.pieces.size();
  size_t n = n_all;
  if (n > 0 && spec.pieces[n - 1] == "<image_soft_token>") --n;
  const bool has_byte_tab =
      std::find(spec.pieces.begin(), spec.pieces.end(), "<0x09>") != spec.pieces.end();
  const bool legacy = !has_byte_tab;  // Gemma 1/2: "\t" stands where <0x09> was

  // Rank of the first merge producing each piece.
  std::vector<float> score(n_all, -1e9f);
  std::vector<bool> scored(n_all, false);
  // Piece lookup by string (a map; this is test tooling).
  std::unordered_map<std::string, int32_t> index;
  for (size_t i = 0; i < n_all; ++i) index.emplace(spec.pieces[i], static_cast<int32_t>(i));
  if (legacy) {
    // Older converter: merges sorted by score only (stable), splits of one
    // piece by ids. Added tokens score 0, others -(first rank + 1).
    for (size_t r = 0; r < spec.merge_ids.size(); ++r) {
      const auto [a, b] = spec.merge_ids[r];
      const int32_t c = index.at(spec.pieces[a] + spec.pieces[b]);
      if (scored[c]) continue;
      scored[c] = true;
      const PieceType t = spec.types[c];
      score[c] = (t == PieceType::kNormal) ? -static_cast<float>(r + 1) : 0.0f;
    }
  } else {
    // Newer converter: sorted by (score, left length, right length), stable
    // in piece order. Walk the json's order and open a new score level
    // whenever the order cannot be explained within the current one.
    float level = 0;
    std::tuple<int64_t, int64_t, int32_t, int32_t, int32_t> prev{};
    bool have_prev = false;
    for (size_t r = 0; r < spec.merge_ids.size(); ++r) {
      const auto [a, b] = spec.merge_ids[r];
      const int32_t c = index.at(spec.pieces[a] + spec.pieces[b]);
      const std::tuple<int64_t, int64_t, int32_t, int32_t, int32_t> key{
          -static_cast<int64_t>(Chars(spec.pieces[a])),
          -static_cast<int64_t>(Chars(spec.pieces[b])), c, a, b};
      if (!scored[c] && have_prev && key < prev) level -= 1;
      if (!scored[c]) {
        scored[c] = true;
        score[c] = level;
      }
      prev = key;
      have_prev = true;
    }
  }

  std::vector<SpmPiece> pieces(n);
  for (size_t i = 0; i < n; ++i) {
    SpmPiece& p = pieces[i];
    p.piece = spec.pieces[i];
    p.score = score[i];
    switch (spec.types.empty() ? PieceType::kNormal : spec.types[i]) {
      case PieceType::kNormal:
        p.type = 1;
        break;
      case PieceType::kUnknown:
        p.type = 2;
        break;
      case PieceType::kControl:
        p.type = 3;
        break;
      case PieceType::kUserDefined:
        p.type = 4;
        break;
      case PieceType::kUnused:
        p.type = 5;
        break;
      case PieceType::kByte:
        p.type = 6;
        break;
    }
    if (legacy && p.piece == "\t") {
      p.piece = "<0x09>";
      p.type = 6;
    }
  }
  SpmOptions o;
  o.unk_id = spec.unk_id;
  o.bos_id = spec.bos_id;
  o.eos_id = spec.eos_id;
  o.pad_id = spec.pad_id;
  o.add_dummy_prefix = spec.add_space_prefix;
  return WriteModelProto(pieces, o);
}

}  // namespace gemma::testing
