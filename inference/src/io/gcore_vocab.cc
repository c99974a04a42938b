// The .gcore VOCA section: a VocabSpec, field by field.
//   u32 encoding version (1), u32 n pieces,
//   u32 flags (1 add_space_prefix, 2 fuse_unk, 4 scores present, 8 types present),
//   i32 bos, eos, unk, pad,
//   u32 piece lengths[n], then the piece bytes back to back,
//   f32 scores[n] (if present), u8 types[n] (if present),
//   u64 m, then m merges as (u32 length, bytes) ("left right"),
//   u64 k, then k merge id pairs as i32 left, i32 right.
#include <cstring>

#include "io/bytes.h"
#include "io/gcore.h"

namespace gemma {
namespace {

constexpr uint32_t kVocabEncoding = 1;
constexpr uint32_t kSpacePrefix = 1, kFuseUnk = 2, kScores = 4, kTypes = 8;

}  // namespace

std::vector<uint8_t> EncodeGcoreVocab(const VocabSpec& v) {
  bytes::Writer w;
  const size_t n = v.pieces.size();
  const bool scores = v.scores.size() == n && n > 0;
  const bool types = v.types.size() == n && n > 0;
  w.U32(kVocabEncoding);
  w.U32(static_cast<uint32_t>(n));
  w.U32((v.add_space_prefix ? kSpacePrefix : 0) | (v.fuse_unk ? kFuseUnk : 0) |
        (scores ? kScores : 0) | (types ? kTypes : 0));
  w.I32(v.bos_id);
  w.I32(v.eos_id);
  w.I32(v.unk_id);
  w.I32(v.pad_id);
  for (const std::string& p : v.pieces) w.U32(static_cast<uint32_t>(p.size()));
  for (const std::string& p : v.pieces) w.Raw(p.data(), p.size());
  if (scores) {
    for (const float s : v.scores) w.F32(s);
  }
  if (types) {
    for (const PieceType t : v.types) w.U8(static_cast<uint8_t>(t));
  }
  w.U64(v.merges.size());
  for (const std::string& m : v.merges) w.Str(m);
  w.U64(v.merge_ids.size());
  for (const auto& [a, b] : v.merge_ids) {
    w.I32(a);
    w.I32(b);
  }
  return std::move(w.bytes());
}

StatusOr<VocabSpec> DecodeGcoreVocab(std::span<const uint8_t> b, const std::string& where) {
  auto corrupt = [&](const std::string& what) {
    return CorruptData(where + ": invalid .gcore vocabulary: " + what);
  };
  bytes::Reader r(b);
  VocabSpec v;
  uint32_t encoding, n, flags;
  if (!r.U32(&encoding) || !r.U32(&n) || !r.U32(&flags)) return corrupt("truncated");
  if (encoding != kVocabEncoding) {
    return Unsupported(where + ": .gcore vocabulary encoding " + std::to_string(encoding) +
                       " is not supported");
  }
  if (!r.I32(&v.bos_id) || !r.I32(&v.eos_id) || !r.I32(&v.unk_id) || !r.I32(&v.pad_id)) {
    return corrupt("truncated");
  }
  v.add_space_prefix = flags & kSpacePrefix;
  v.fuse_unk = flags & kFuseUnk;
  if (n == 0 || n > r.remaining() / 4) return corrupt("bad piece count " + std::to_string(n));
  std::vector<uint32_t> lengths(n);
  uint64_t blob = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (!r.U32(&lengths[i])) return corrupt("truncated piece lengths");
    blob += lengths[i];
  }
  std::span<const uint8_t> bytes;
  if (blob > r.remaining() || !r.Span(static_cast<size_t>(blob), &bytes)) {
    return corrupt("piece bytes run past the section");
  }
  v.pieces.resize(n);
  size_t off = 0;
  for (uint32_t i = 0; i < n; ++i) {
    v.pieces[i].assign(reinterpret_cast<const char*>(bytes.data() + off), lengths[i]);
    off += lengths[i];
  }
  if (flags & kScores) {
    std::span<const uint8_t> s;
    if (!r.Span(size_t{n} * 4, &s)) return corrupt("truncated scores");
    v.scores.resize(n);
    std::memcpy(v.scores.data(), s.data(), size_t{n} * 4);
  }
  if (flags & kTypes) {
    std::span<const uint8_t> t;
    if (!r.Span(n, &t)) return corrupt("truncated piece types");
    v.types.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      if (t[i] < static_cast<uint8_t>(PieceType::kNormal) ||
          t[i] > static_cast<uint8_t>(PieceType::kByte)) {
        return corrupt("piece " + std::to_string(i) + " has unknown type " + std::to_string(t[i]));
      }
      v.types[i] = static_cast<PieceType>(t[i]);
    }
  }
  uint64_t m;
  if (!r.U64(&m) || m > r.remaining() / 4) return corrupt("bad merge count");
  v.merges.resize(static_cast<size_t>(m));
  for (auto& s : v.merges) {
    if (!r.Str(&s)) return corrupt("truncated merges");
  }
  uint64_t k;
  if (!r.U64(&k) || k > r.remaining() / 8) return corrupt("bad merge id count");
  v.merge_ids.resize(static_cast<size_t>(k));
  for (auto& [a, c] : v.merge_ids) {
    if (!r.I32(&a) || !r.I32(&c)) return corrupt("truncated merge ids");
  }
  if (!r.done()) return corrupt("trailing bytes");
  return v;
}

}  // namespace gemma
