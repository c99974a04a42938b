// The BPE merge loop over one normalized segment.
//
// Symbols start as the segment's UTF-8 characters (an invalid byte is its own
// symbol) in a doubly linked list stored in a vector. Every adjacent pair that
// can merge is a Candidate in a min-heap ordered by one 64-bit key, (priority,
// leftmost position):
//   * merge-rank mode: priority = rank of "left right" in the merge list
//     (looked up by the pair of ids), as HF tokenizers' BPE;
//   * score mode (no merge list, e.g. GGUF "llama" vocabularies): priority =
//     score of the piece equal to the concatenation (higher first), if that
//     piece is Normal or UserDefined, as SentencePiece / llama.cpp.
// Popping a candidate whose symbols changed since it was pushed (detected by
// liveness and the summed length, which can only grow) skips it; otherwise
// the right symbol is folded into the left one and the two new neighbour
// pairs are pushed. Each merge removes one symbol and pushes at most two
// candidates, so there are at most 3n heap operations: O(n log n) time and
// O(n) memory for an n-character segment, whatever the merge order.
//
// Speed: characters map to ids through a dense table (no hashing), the
// initial pairs are looked up in one independent pass and heapified in O(n),
// and the symbol / heap buffers are per-thread scratch reused across calls.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace gemma {
namespace {

struct Symbol {
  uint32_t start;
  uint32_t len;  // 0 = merged away
  int32_t prev;
  int32_t next;
  int32_t id;  // vocabulary id, or -1 (byte fallback at the end)
};

struct Candidate {
  uint64_t key;  // (priority << 32) | left symbol index: smaller pops first
  uint32_t len;  // left.len + right.len when pushed
  int32_t id;    // the merged piece
};

struct Greater {  // std::*_heap build max-heaps: invert for a min-heap
  bool operator()(const Candidate& a, const Candidate& b) const { return a.key > b.key; }
};

// Scratch buffers per thread, reused by every encode on that thread; very
// large ones are released after use.
struct Scratch {
  std::vector<Symbol> sym;
  std::vector<Candidate> heap;
  void Trim() {
    constexpr size_t kKeep = size_t{1} << 20;
    if (sym.capacity() > kKeep) std::vector<Symbol>().swap(sym);
    if (heap.capacity() > kKeep) std::vector<Candidate>().swap(heap);
  }
};

}  // namespace

uint32_t Tokenizer::Impl::ScoreKey(float score) {
  // Order-preserving map of a float to uint32 (ascending), then inverted so
  // that a higher score gives a smaller key. -0.0 was normalized to 0.0.
  uint32_t u;
  std::memcpy(&u, &score, 4);
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return ~u;
}

bool Tokenizer::Impl::AppendByteFallback(std::string_view symbol, bool after_unk,
                                         std::vector<int32_t>* ids) const {
  for (char c : symbol) {
    if (byte_id[static_cast<uint8_t>(c)] < 0) {
      // As HF: a character with any byte piece missing becomes one <unk>
      // (fused with a preceding one when fuse_unk is set).
      if (unk_id >= 0 && !(fuse_unk && after_unk)) ids->push_back(unk_id);
      return true;
    }
  }
  for (char c : symbol) ids->push_back(byte_id[static_cast<uint8_t>(c)]);
  return false;
}

void Tokenizer::Impl::EncodeSegment(std::string_view text, std::vector<int32_t>* ids) const {
  if (text.empty()) return;
  // Symbol offsets are 32-bit; split absurdly large segments at characters.
  constexpr size_t kMaxChunk = size_t{1} << 30;
  while (text.size() > kMaxChunk) {
    size_t cut = kMaxChunk;
    while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
    EncodeSegment(text.substr(0, cut), ids);
    text.remove_prefix(cut);
  }

  thread_local Scratch scratch;
  std::vector<Symbol>& sym = scratch.sym;
  std::vector<Candidate>& heap = scratch.heap;
  sym.clear();
  heap.clear();
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t pos = 0; pos < text.size();) {
    const uint8_t b = bytes[pos];
    size_t n = 1;
    int32_t id;
    if (b < 0x80) {
      id = char_id[b];
    } else {
      n = tok::Utf8CharLen(text, pos);
      id = CharId(text.substr(pos, n));
    }
    if (id < 0 && use_merges && HasAllBytePieces(text.substr(pos, n))) {
      // As HF's BPE: an unknown character becomes its byte pieces before the
      // merges run (so a merge list could even join byte pieces).
      for (size_t k = 0; k < n; ++k) {
        const auto idx = static_cast<int32_t>(sym.size());
        sym.push_back(
            Symbol{static_cast<uint32_t>(pos + k), 1, idx - 1, idx + 1, byte_id[bytes[pos + k]]});
      }
      pos += n;
      continue;
    }
    const auto idx = static_cast<int32_t>(sym.size());
    sym.push_back(
        Symbol{static_cast<uint32_t>(pos), static_cast<uint32_t>(n), idx - 1, idx + 1, id});
    pos += n;
  }
  sym.back().next = -1;

  // The candidate for the pair (l, next of l), if they can merge.
  auto candidate = [&](int32_t l, int32_t r, Candidate* c) {
    const Symbol& a = sym[l];
    const Symbol& b = sym[r];
    const uint32_t len = a.len + b.len;
    uint32_t priority;
    int32_t id;
    if (use_merges) {
      if (a.id < 0 || b.id < 0) return false;
      const tok::PairMap::Value* m = merges.Find(a.id, b.id);
      if (m == nullptr) return false;
      priority = static_cast<uint32_t>(m->rank);
      id = m->id;
    } else {
      if (len > max_piece_len) return false;
      id = MergeableId(text.substr(a.start, len));
      if (id < 0) return false;
      priority = ScoreKey(scores[id]);
    }
    *c = Candidate{(static_cast<uint64_t>(priority) << 32) | static_cast<uint32_t>(l), len, id};
    return true;
  };

  Candidate c;
  const auto n_sym = static_cast<int32_t>(sym.size());
  // Merge-table lookups are cache misses: prefetch a few pairs ahead.
  constexpr int32_t kAhead = 8;
  if (use_merges) {
    for (int32_t i = 0; i + 1 < n_sym && i < kAhead; ++i) merges.Prefetch(sym[i].id, sym[i + 1].id);
  }
  for (int32_t i = 0; i + 1 < n_sym; ++i) {
    if (use_merges && i + kAhead + 1 < n_sym) {
      merges.Prefetch(sym[i + kAhead].id, sym[i + kAhead + 1].id);
    }
    if (candidate(i, i + 1, &c)) heap.push_back(c);
  }
  std::make_heap(heap.begin(), heap.end(), Greater{});
  auto push = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0 || !candidate(l, r, &c)) return;
    heap.push_back(c);
    std::push_heap(heap.begin(), heap.end(), Greater{});
  };

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), Greater{});
    const Candidate top = heap.back();
    heap.pop_back();
    const auto left = static_cast<int32_t>(top.key & 0xFFFFFFFFu);
    Symbol& a = sym[left];
    // Stale unless the left symbol and its current right neighbour still
    // span exactly the pushed length (symbols only ever grow).
    if (a.len == 0 || a.next < 0) continue;
    Symbol& b = sym[a.next];
    if (a.len + b.len != top.len) continue;
    a.len = top.len;
    a.id = top.id;
    a.next = b.next;
    if (b.next >= 0) sym[b.next].prev = left;
    b.len = 0;
    if (use_merges) {  // overlap the two lookups' cache misses
      if (a.prev >= 0) merges.Prefetch(sym[a.prev].id, a.id);
      if (a.next >= 0) merges.Prefetch(a.id, sym[a.next].id);
    }
    push(a.prev, left);
    push(left, a.next);
  }

  bool after_unk = false;
  for (int32_t i = 0; i >= 0; i = sym[i].next) {
    const Symbol& s = sym[i];
    if (s.id >= 0) {
      ids->push_back(s.id);
      after_unk = false;
    } else {
      after_unk = AppendByteFallback(text.substr(s.start, s.len), after_unk, ids);
    }
  }
  scratch.Trim();
}

}  // namespace gemma
