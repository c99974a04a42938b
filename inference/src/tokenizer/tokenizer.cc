// Tokenizer construction, lookups and the encode driver: added tokens are
// split off the raw text first, each remaining segment is normalized
// (U+0020 -> U+2581, optional U+2581 prefix) and BPE-encoded (bpe.cc).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace gemma {
namespace {

// "<0xAB>" -> 0xAB; -1 otherwise.
int ParseBytePiece(std::string_view p) {
  if (p.size() != 6 || p[0] != '<' || p[1] != '0' || p[2] != 'x' || p[5] != '>') return -1;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  int hi = hex(p[3]), lo = hex(p[4]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

bool ValidPieceType(PieceType t) {
  int v = static_cast<int>(t);
  return v >= static_cast<int>(PieceType::kNormal) && v <= static_cast<int>(PieceType::kByte);
}

}  // namespace

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Create(VocabSpec spec) {
  const size_t n = spec.pieces.size();
  if (n == 0) return InvalidArgument("tokenizer: empty vocabulary");
  if (n > static_cast<size_t>(INT32_MAX)) return InvalidArgument("tokenizer: vocabulary too large");
  if (!spec.scores.empty() && spec.scores.size() != n) {
    return InvalidArgument("tokenizer: " + std::to_string(spec.scores.size()) + " scores for " +
                           std::to_string(n) + " pieces");
  }
  if (!spec.types.empty() && spec.types.size() != n) {
    return InvalidArgument("tokenizer: " + std::to_string(spec.types.size()) + " types for " +
                           std::to_string(n) + " pieces");
  }
  auto check_id = [&](int32_t id, const char* what) -> Status {
    if (id < -1 || id >= static_cast<int64_t>(n)) {
      return InvalidArgument(std::string("tokenizer: ") + what + " id " + std::to_string(id) +
                             " outside the vocabulary of " + std::to_string(n));
    }
    return Status::Ok();
  };
  GEMMA_RETURN_IF_ERROR(check_id(spec.bos_id, "bos"));
  GEMMA_RETURN_IF_ERROR(check_id(spec.eos_id, "eos"));
  GEMMA_RETURN_IF_ERROR(check_id(spec.unk_id, "unk"));
  GEMMA_RETURN_IF_ERROR(check_id(spec.pad_id, "pad"));

  std::unique_ptr<Tokenizer> t(new Tokenizer());
  Impl& m = *t->impl_;
  m.pieces = std::move(spec.pieces);
  m.scores = spec.scores.empty() ? std::vector<float>(n, 0.0f) : std::move(spec.scores);
  if (spec.types.empty()) {
    // No types given: <0xXX> pieces are byte pieces, everything else Normal.
    m.types.assign(n, PieceType::kNormal);
    for (size_t i = 0; i < n; ++i) {
      if (ParseBytePiece(m.pieces[i]) >= 0) m.types[i] = PieceType::kByte;
    }
  } else {
    m.types = std::move(spec.types);
  }
  m.byte_value.assign(n, -1);
  m.byte_id.fill(-1);
  for (size_t i = 0; i < n; ++i) {
    if (!ValidPieceType(m.types[i])) {
      return InvalidArgument("tokenizer: piece " + std::to_string(i) + " has invalid type " +
                             std::to_string(static_cast<int>(m.types[i])));
    }
    if (std::isnan(m.scores[i])) {
      return InvalidArgument("tokenizer: piece " + std::to_string(i) + " has a NaN score");
    }
  }

  for (float& score : m.scores) {
    if (score == 0.0f) score = 0.0f;  // -0.0 -> 0.0 (heap keys compare bits)
  }
  m.index.Build(&m.pieces);
  for (size_t i = 0; i < n; ++i) {
    const std::string& p = m.pieces[i];
    const PieceType type = m.types[i];
    const int32_t id = static_cast<int32_t>(i);
    if (type == PieceType::kByte) {
      int b = ParseBytePiece(p);
      if (b < 0) {
        return InvalidArgument("tokenizer: byte piece " + std::to_string(i) + " '" + p +
                               "' is not of the form <0xXX>");
      }
      m.byte_value[i] = static_cast<int16_t>(b);
      if (m.byte_id[b] < 0) m.byte_id[b] = id;
    } else if (type == PieceType::kControl || type == PieceType::kUnknown) {
      m.added.Insert(p, id, /*special=*/true);
    } else if (type == PieceType::kUserDefined) {
      m.added.Insert(p, id, /*special=*/false);
    }
    if (Impl::Mergeable(type)) m.max_piece_len = std::max(m.max_piece_len, p.size());
  }

  if (!spec.merge_ids.empty()) {
    m.use_merges = true;
    m.merges.Reserve(spec.merge_ids.size());
    std::string cat;
    // Backwards, so that a repeated pair keeps its last rank (HF's merge map).
    for (size_t r = spec.merge_ids.size(); r-- > 0;) {
      const auto [left, right] = spec.merge_ids[r];
      if (left < 0 || right < 0 || static_cast<size_t>(left) >= n ||
          static_cast<size_t>(right) >= n) {
        return InvalidArgument(
            "tokenizer: merge " + std::to_string(r) + " refers to piece id " +
            std::to_string(left < 0 || static_cast<size_t>(left) >= n ? left : right) +
            " outside the vocabulary of " + std::to_string(n));
      }
      cat.assign(m.pieces[left]).append(m.pieces[right]);
      const int32_t merged = m.index.Find(cat);
      if (merged < 0) {
        return InvalidArgument("tokenizer: merge " + std::to_string(r) + " '" + m.pieces[left] +
                               "' + '" + m.pieces[right] + "' does not give a vocabulary piece");
      }
      m.merges.Insert(left, right, {static_cast<int32_t>(r), merged});
    }
  } else if (!spec.merges.empty()) {
    m.use_merges = true;
    m.merges.Reserve(spec.merges.size());
    std::string cat;
    for (size_t r = 0; r < spec.merges.size(); ++r) {
      const std::string& line = spec.merges[r];
      // Normally exactly one space; if a piece itself contains spaces, take the
      // first split whose halves and concatenation are all pieces.
      int32_t left = -1, right = -1, merged = -1;
      for (size_t sp = line.find(' '); sp != std::string::npos; sp = line.find(' ', sp + 1)) {
        std::string_view l(line.data(), sp), rr(line.data() + sp + 1, line.size() - sp - 1);
        int32_t a = m.index.Find(l), b = m.index.Find(rr);
        if (a < 0 || b < 0) continue;
        cat.assign(l).append(rr);
        int32_t c = m.index.Find(cat);
        if (c < 0) continue;
        left = a, right = b, merged = c;
        break;
      }
      if (merged < 0) {
        return InvalidArgument("tokenizer: merge " + std::to_string(r) + " '" + line +
                               "' does not join two vocabulary pieces into a third");
      }
      // A repeated pair keeps its first (best) rank.
      m.merges.Insert(left, right, {static_cast<int32_t>(r), merged});
    }
  }

  // Single-character lookup tables for the BPE's first step.
  for (int c = 0; c < 128; ++c) m.char_id[c] = m.MergeableId(std::string(1, static_cast<char>(c)));
  m.bmp_id.assign(0x10000, -1);
  for (size_t i = 0; i < n; ++i) {
    const std::string& p = m.pieces[i];
    if ((p.size() == 2 || p.size() == 3) && tok::Utf8CharLen(p, 0) == p.size()) {
      const auto* b = reinterpret_cast<const uint8_t*>(p.data());
      const uint32_t cp = p.size() == 2
                              ? ((b[0] & 0x1Fu) << 6) | (b[1] & 0x3Fu)
                              : ((b[0] & 0x0Fu) << 12) | ((b[1] & 0x3Fu) << 6) | (b[2] & 0x3Fu);
      m.bmp_id[cp] = m.MergeableId(p);
    }
  }

  m.bos_id = spec.bos_id;
  m.eos_id = spec.eos_id;
  m.unk_id = spec.unk_id;
  m.pad_id = spec.pad_id;
  m.add_space_prefix = spec.add_space_prefix;
  m.fuse_unk = spec.fuse_unk;
  m.start_of_turn_id = m.index.Find("<start_of_turn>");
  m.end_of_turn_id = m.index.Find("<end_of_turn>");
  return t;
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int32_t> ids;
  EncodeInto(text, options, &ids);
  return ids;
}

void Tokenizer::EncodeInto(std::string_view text, const EncodeOptions& options,
                           std::vector<int32_t>* ids) const {
  const Impl& m = *impl_;
  if (options.add_bos && m.bos_id >= 0) ids->push_back(m.bos_id);

  thread_local std::string normalized;  // reused across calls on this thread
  auto encode_segment = [&](std::string_view seg) {
    if (seg.empty()) return;
    normalized.clear();
    normalized.reserve(seg.size() + 2 * std::count(seg.begin(), seg.end(), ' ') +
                       (m.add_space_prefix ? 3 : 0));
    // Like llama.cpp / HF Metaspace(prepend_scheme="always"): every raw
    // segment (text start or after an added token) gets the prefix.
    if (m.add_space_prefix) normalized.append(tok::kMetaspace);
    for (char c : seg) {
      if (c == ' ') {
        normalized.append(tok::kMetaspace);
      } else {
        normalized.push_back(c);
      }
    }
    m.EncodeSegment(normalized, ids);
    if (normalized.capacity() > (size_t{1} << 24)) std::string().swap(normalized);
  };

  size_t seg_start = 0;
  if (!m.added.empty()) {
    for (size_t pos = 0; pos < text.size();) {
      int32_t id = -1;
      bool special = false;
      size_t len = m.added.Match(text, pos, &id, &special);
      if (len == 0) {
        ++pos;
        continue;
      }
      if (special && !options.parse_special) {
        // As HF's split_special_tokens: the leftmost-longest match is found
        // among all added tokens; a special one is then left in the text
        // as plain characters (nothing inside it is matched).
        pos += len;
        continue;
      }
      encode_segment(text.substr(seg_start, pos - seg_start));
      ids->push_back(id);
      pos += len;
      seg_start = pos;
    }
  }
  encode_segment(text.substr(seg_start));
}

size_t Tokenizer::vocab_size() const { return impl_->pieces.size(); }

std::string_view Tokenizer::Piece(int32_t id) const {
  return IsValid(id) ? std::string_view(impl_->pieces[id]) : std::string_view();
}

PieceType Tokenizer::Type(int32_t id) const {
  return IsValid(id) ? impl_->types[id] : PieceType::kUnused;
}

int32_t Tokenizer::PieceToId(std::string_view piece) const { return impl_->index.Find(piece); }
int32_t Tokenizer::bos_id() const { return impl_->bos_id; }
int32_t Tokenizer::eos_id() const { return impl_->eos_id; }
int32_t Tokenizer::start_of_turn_id() const { return impl_->start_of_turn_id; }
int32_t Tokenizer::end_of_turn_id() const { return impl_->end_of_turn_id; }
int Tokenizer::ByteValue(int32_t id) const { return IsValid(id) ? impl_->byte_value[id] : -1; }

}  // namespace gemma
