// VocabFromSentencePieceModel: a SentencePiece tokenizer.model (serialized
// ModelProto, parsed here by hand) -> VocabSpec, converted the way Hugging
// Face transformers converts it (convert_slow_tokenizer.GemmaConverter), so
// that a tokenizer.model encodes exactly as the tokenizer.json published with
// the same model:
//   * CONTROL and UNKNOWN pieces, and Gemma's <start_of_turn>,
//     <end_of_turn>, <start_of_image>, <end_of_image>, <image_soft_token>,
//     are special added tokens; USER_DEFINED pieces are non-special added
//     tokens; UNUSED pieces are ordinary vocabulary pieces.
//   * Gemma models (those with <start_of_turn>): Gemma 1/2 have no "\t"
//     piece, and the converter renames the byte piece <0x09> to "\t" (so TAB
//     encodes to that id); Gemma 3 (with <start_of_image>) gets
//     <image_soft_token> appended, as its tokenizer config adds it.
//   * The merge list is generated from the scores (generate_merges): every
//     split of every piece into two pieces, ordered by the merged piece's
//     score, highest first. Ties: transformers' older converter (which
//     produced the Gemma 1/2 tokenizer.json) keeps the piece order and sorts
//     the splits of one piece by (left id, right id); the newer one (Gemma 3)
//     sorts by (score, left length, right length). Models whose <0x09> was
//     renamed (Gemma 1/2) get the older order, others the newer one.
// Only BPE models with SentencePiece's identity normalization are accepted.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "gemma/tokenizer.h"
#include "io/mapped_file.h"
#include "tokenizer/piece_index.h"
#include "tokenizer/utf8.h"

namespace gemma {
namespace {

// Protobuf wire format reader over a bounded byte range.
class Wire {
 public:
  explicit Wire(std::string_view b) : p_(b.data()), end_(b.data() + b.size()) {}
  bool done() const { return p_ >= end_; }
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      const auto b = static_cast<uint8_t>(*p_++);
      r |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Fixed32(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    std::memcpy(v, p_, 4);
    p_ += 4;
    return true;
  }
  bool Bytes(std::string_view* v) {
    uint64_t len;
    if (!Varint(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
    *v = std::string_view(p_, static_cast<size_t>(len));
    p_ += len;
    return true;
  }
  // Skips a field of the given wire type (groups are refused).
  bool Skip(uint32_t wire_type) {
    uint64_t v;
    std::string_view s;
    switch (wire_type) {
      case 0:
        return Varint(&v);
      case 1:
        if (end_ - p_ < 8) return false;
        p_ += 8;
        return true;
      case 2:
        return Bytes(&s);
      case 5:
        if (end_ - p_ < 4) return false;
        p_ += 4;
        return true;
      default:
        return false;
    }
  }
  // Reads a field key: *field and *wire_type.
  bool Key(uint32_t* field, uint32_t* wire_type) {
    uint64_t k;
    if (!Varint(&k) || (k >> 3) == 0 || (k >> 3) > 0x1FFFFFFF) return false;
    *field = static_cast<uint32_t>(k >> 3);
    *wire_type = static_cast<uint32_t>(k & 7);
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

enum SpType { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct Model {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int> types;
  int model_type = 1;  // UNIGRAM
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  bool add_dummy_prefix = true, remove_extra_whitespaces = true, escape_whitespaces = true;
  size_t charsmap_size = 0;
};

// Parses the message fields we need; `what` names it in errors.
Status ParseModel(std::string_view bytes, const std::string& name, Model* m) {
  auto bad = [&](const std::string& what) {
    return CorruptData(name + ": not a valid SentencePiece model: " + what);
  };
  Wire top(bytes);
  while (!top.done()) {
    uint32_t field, wt;
    if (!top.Key(&field, &wt)) return bad("bad field key in ModelProto");
    if (field >= 1 && field <= 3 && wt != 2) {
      return bad("ModelProto field " + std::to_string(field) + " has wire type " +
                 std::to_string(wt));
    }
    std::string_view sub;
    if (field == 1) {  // SentencePiece
      if (!top.Bytes(&sub)) return bad("truncated piece " + std::to_string(m->pieces.size()));
      std::string_view piece;
      float score = 0;
      uint64_t type = kNormal;
      Wire w(sub);
      while (!w.done()) {
        uint32_t f, t;
        if (!w.Key(&f, &t)) return bad("bad key in piece " + std::to_string(m->pieces.size()));
        bool ok;
        if (f == 1 && t == 2) {
          ok = w.Bytes(&piece);
        } else if (f == 2 && t == 5) {
          uint32_t bits;
          ok = w.Fixed32(&bits);
          std::memcpy(&score, &bits, 4);
        } else if (f == 3 && t == 0) {
          ok = w.Varint(&type);
        } else {
          ok = w.Skip(t);
        }
        if (!ok) return bad("truncated piece " + std::to_string(m->pieces.size()));
      }
      if (type < kNormal || type > kByte) {
        return bad("piece " + std::to_string(m->pieces.size()) + " has unknown type " +
                   std::to_string(type));
      }
      if (score != score)
        return bad("piece " + std::to_string(m->pieces.size()) + " has a NaN score");
      m->pieces.emplace_back(piece);
      m->scores.push_back(score);
      m->types.push_back(static_cast<int>(type));
    } else if (field == 2) {  // TrainerSpec
      if (!top.Bytes(&sub)) return bad("truncated trainer_spec");
      Wire w(sub);
      while (!w.done()) {
        uint32_t f, t;
        if (!w.Key(&f, &t)) return bad("bad key in trainer_spec");
        uint64_t v = 0;
        if (t == 0 && (f == 3 || f == 24 || f == 35 || (f >= 40 && f <= 43))) {
          if (!w.Varint(&v)) return bad("truncated trainer_spec");
          const auto i32 = static_cast<int32_t>(static_cast<uint32_t>(v));
          if (f == 3) m->model_type = i32;
          if (f == 24) m->treat_whitespace_as_suffix = v != 0;
          if (f == 35) m->byte_fallback = v != 0;
          if (f == 40) m->unk_id = i32;
          if (f == 41) m->bos_id = i32;
          if (f == 42) m->eos_id = i32;
          if (f == 43) m->pad_id = i32;
        } else if (!w.Skip(t)) {
          return bad("truncated trainer_spec");
        }
      }
    } else if (field == 3) {  // NormalizerSpec
      if (!top.Bytes(&sub)) return bad("truncated normalizer_spec");
      Wire w(sub);
      while (!w.done()) {
        uint32_t f, t;
        if (!w.Key(&f, &t)) return bad("bad key in normalizer_spec");
        uint64_t v = 0;
        std::string_view s;
        if (t == 0 && f >= 3 && f <= 5) {
          if (!w.Varint(&v)) return bad("truncated normalizer_spec");
          if (f == 3) m->add_dummy_prefix = v != 0;
          if (f == 4) m->remove_extra_whitespaces = v != 0;
          if (f == 5) m->escape_whitespaces = v != 0;
        } else if (t == 2 && f == 2) {
          if (!w.Bytes(&s)) return bad("truncated normalizer_spec");
          m->charsmap_size = s.size();
        } else if (!w.Skip(t)) {
          return bad("truncated normalizer_spec");
        }
      }
    } else if (!top.Skip(wt)) {
      return bad("truncated field " + std::to_string(field));
    }
  }
  return Status::Ok();
}

// Number of UTF-8 characters (Python len() of the decoded string; an
// invalid byte counts as one).
uint32_t CharCount(std::string_view s) {
  uint32_t n = 0;
  for (size_t i = 0; i < s.size(); i += tok::Utf8CharLen(s, i)) ++n;
  return n;
}

struct Merge {
  float score;
  uint32_t left_chars, right_chars;
  int32_t left, right;
};

bool IsGemmaSpecialName(std::string_view p) {
  return p == "<start_of_turn>" || p == "<end_of_turn>" || p == "<start_of_image>" ||
         p == "<end_of_image>" || p == "<image_soft_token>";
}

}  // namespace

StatusOr<VocabSpec> VocabFromSentencePieceModelBytes(std::string_view bytes,
                                                     const std::string& name) {
  Model m;
  GEMMA_RETURN_IF_ERROR(ParseModel(bytes, name, &m));
  const std::string where = name + ": ";
  if (m.pieces.empty()) return CorruptData(where + "no pieces (not a SentencePiece model?)");
  if (m.pieces.size() >= (size_t{1} << 30)) return CorruptData(where + "too many pieces");
  if (m.model_type != 2) {
    return Unsupported(where + "SentencePiece model type " + std::to_string(m.model_type) +
                       (m.model_type == 1 ? " (Unigram)" : "") +
                       " is not supported (only BPE = 2)");
  }
  if (m.charsmap_size != 0 || m.remove_extra_whitespaces || !m.escape_whitespaces ||
      m.treat_whitespace_as_suffix) {
    return Unsupported(where +
                       "only the identity normalizer is supported (no precompiled charsmap, "
                       "remove_extra_whitespaces=false, escape_whitespaces=true, "
                       "treat_whitespace_as_suffix=false)");
  }
  const size_t n0 = m.pieces.size();
  VocabSpec spec;
  spec.pieces = std::move(m.pieces);
  spec.scores = std::move(m.scores);
  spec.types.resize(n0);

  auto has = [&](std::string_view piece) {
    return std::find(spec.pieces.begin(), spec.pieces.end(), piece) != spec.pieces.end();
  };
  const bool is_gemma = has("<start_of_turn>");
  const bool has_tab = has("\t");
  bool renamed_tab = false;
  int32_t unk = -1;
  for (size_t i = 0; i < n0; ++i) {
    const std::string& p = spec.pieces[i];
    PieceType t = PieceType::kNormal;
    switch (m.types[i]) {
      case kNormal:
      case kUnused:
        t = PieceType::kNormal;
        break;
      case kUnknown:
        if (unk >= 0) return CorruptData(where + "more than one UNKNOWN piece");
        unk = static_cast<int32_t>(i);
        t = PieceType::kUnknown;
        break;
      case kControl:
        t = PieceType::kControl;
        break;
      case kUserDefined:
        t = PieceType::kUserDefined;
        break;
      case kByte:
        if (!m.byte_fallback) {
          return CorruptData(where + "byte piece " + std::to_string(i) +
                             " in a model without byte_fallback");
        }
        if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>' ||
            !std::isxdigit(static_cast<unsigned char>(p[3])) ||
            !std::isxdigit(static_cast<unsigned char>(p[4]))) {
          return CorruptData(where + "byte piece " + std::to_string(i) + " '" + p +
                             "' is not of the form <0xXX>");
        }
        t = PieceType::kByte;
        if (p == "<0x09>" && is_gemma && !has_tab) {
          spec.pieces[i] = "\t";  // GemmaConverter
          t = PieceType::kNormal;
          renamed_tab = true;
        }
        break;
      default:
        break;
    }
    if (t == PieceType::kUserDefined && IsGemmaSpecialName(p)) t = PieceType::kControl;
    if (p.empty() && t != PieceType::kNormal) {
      return CorruptData(where + "piece " + std::to_string(i) + " is empty");
    }
    spec.types[i] = t;
  }
  if (unk < 0) return CorruptData(where + "no UNKNOWN (<unk>) piece");
  if (is_gemma && has("<start_of_image>") && !has("<image_soft_token>")) {
    spec.pieces.emplace_back("<image_soft_token>");
    spec.scores.push_back(0.0f);
    spec.types.push_back(PieceType::kControl);
  }
  tok::PieceIndex index;
  index.Build(&spec.pieces);
  for (size_t i = 0; i < n0; ++i) {
    if (!spec.pieces[i].empty() && index.Find(spec.pieces[i]) != static_cast<int32_t>(i)) {
      return CorruptData(where + "piece '" + spec.pieces[i] + "' appears twice (ids " +
                         std::to_string(index.Find(spec.pieces[i])) + " and " + std::to_string(i) +
                         ")");
    }
  }
  auto check_id = [&](int32_t id, const char* what) -> Status {
    if (id < -1 || id >= static_cast<int64_t>(n0)) {
      return CorruptData(where + "trainer_spec " + what + " " + std::to_string(id) +
                         " is outside the " + std::to_string(n0) + " pieces");
    }
    return Status::Ok();
  };
  GEMMA_RETURN_IF_ERROR(check_id(m.bos_id, "bos_id"));
  GEMMA_RETURN_IF_ERROR(check_id(m.eos_id, "eos_id"));
  GEMMA_RETURN_IF_ERROR(check_id(m.pad_id, "pad_id"));
  spec.unk_id = unk;
  spec.bos_id = m.bos_id;
  spec.eos_id = m.eos_id;
  spec.pad_id = m.pad_id;
  spec.add_space_prefix = m.add_dummy_prefix;
  spec.fuse_unk = true;

  // generate_merges: all two-piece splits of every piece (at character
  // boundaries), in piece order, splits of a piece by (left id, right id).
  std::vector<Merge> merges;
  merges.reserve(n0 * 2);
  std::vector<Merge> local;
  for (size_t i = 0; i < n0; ++i) {
    const std::string_view p = spec.pieces[i];
    local.clear();
    uint32_t left_chars = 0;
    const uint32_t total_chars = CharCount(p);
    for (size_t cut = 0; cut < p.size();) {
      cut += tok::Utf8CharLen(p, cut);
      ++left_chars;
      if (cut >= p.size()) break;
      const int32_t l = index.Find(p.substr(0, cut));
      if (l < 0) continue;
      const int32_t r = index.Find(p.substr(cut));
      if (r < 0) continue;
      local.push_back(Merge{spec.scores[i], left_chars, total_chars - left_chars, l, r});
    }
    std::sort(local.begin(), local.end(), [](const Merge& a, const Merge& b) {
      return a.left != b.left ? a.left < b.left : a.right < b.right;
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  if (renamed_tab) {
    std::stable_sort(merges.begin(), merges.end(),
                     [](const Merge& a, const Merge& b) { return a.score > b.score; });
  } else {
    std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
      if (a.score != b.score) return a.score > b.score;
      if (a.left_chars != b.left_chars) return a.left_chars > b.left_chars;
      return a.right_chars > b.right_chars;
    });
  }
  if (merges.empty()) return Unsupported(where + "no piece is a concatenation of two others");
  spec.merge_ids.reserve(merges.size());
  for (const Merge& mg : merges) spec.merge_ids.emplace_back(mg.left, mg.right);
  return spec;
}

StatusOr<VocabSpec> VocabFromSentencePieceModel(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  return VocabFromSentencePieceModelBytes(
      std::string_view(reinterpret_cast<const char*>(file->data()), file->size()), path);
}

}  // namespace gemma
