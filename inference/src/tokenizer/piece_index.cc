#include "tokenizer/piece_index.h"

#include <cstring>

namespace gemma::tok {

uint64_t PieceIndex::Hash(std::string_view s) {
  // FNV-1a over 8-byte words, then a final avalanche (pieces are short).
  uint64_t h = 0xcbf29ce484222325ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < s.size(); ++i) h = (h ^ static_cast<uint8_t>(s[i])) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

void PieceIndex::Build(const std::vector<std::string>* pieces) {
  pieces_ = pieces;
  size_t cap = 16;
  while (cap < pieces->size() * 2) cap <<= 1;
  slots_.assign(cap, Slot{-1, 0});
  mask_ = cap - 1;
  for (size_t id = 0; id < pieces->size(); ++id) {
    const std::string& p = (*pieces)[id];
    const uint64_t hash = Hash(p);
    const auto tag = static_cast<uint32_t>(hash >> 32);
    uint64_t h = hash & mask_;
    while (true) {
      const Slot s = slots_[h];
      if (s.id < 0) {
        slots_[h] = Slot{static_cast<int32_t>(id), tag};
        break;
      }
      if (s.tag == tag && (*pieces)[s.id] == p) break;  // duplicate: keep the lower id
      h = (h + 1) & mask_;
    }
  }
}

int32_t PieceIndex::Find(std::string_view piece) const {
  if (slots_.empty()) return -1;
  const uint64_t hash = Hash(piece);
  const auto tag = static_cast<uint32_t>(hash >> 32);
  uint64_t h = hash & mask_;
  while (true) {
    const Slot s = slots_[h];
    if (s.id < 0) return -1;
    if (s.tag == tag && (*pieces_)[s.id] == piece) return s.id;
    h = (h + 1) & mask_;
  }
}

}  // namespace gemma::tok
