// The BPE merge loop over one normalized segment.
//
// Symbols start as the segment's UTF-8 characters (an invalid byte is its own
// symbol) in a doubly linked list stored in a vector. Every adjacent pair that
// can merge is a Candidate in a max-heap ordered by (priority, leftmost):
//   * merge-rank mode: priority = -rank of "left right" in the merge list
//     (looked up by the pair of ids), as HF tokenizers' BPE;
//   * score mode (no merge list, e.g. GGUF "llama" vocabularies): priority =
//     score of the piece equal to the concatenation, if that piece is
//     Normal or UserDefined, as SentencePiece / llama.cpp.
// Popping a candidate whose symbols changed since it was pushed (detected by
// liveness, adjacency and the summed length, which can only grow) skips it;
// otherwise the right symbol is folded into the left one and the two new
// neighbour pairs are pushed. Each merge removes one symbol and pushes at most
// two candidates, so there are at most 3n heap operations: O(n log n) time and
// O(n) memory for an n-character segment, whatever the merge order.
#include <cstdint>
#include <limits>
#include <queue>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace gemma {
namespace {

struct Symbol {
  uint32_t start;
  uint32_t len;   // 0 = merged away
  int32_t prev;
  int32_t next;
  int32_t id;     // vocabulary id, or -1 (byte fallback at the end)
};

struct Candidate {
  double priority;
  int32_t left;
  int32_t right;
  uint32_t len;  // left.len + right.len when pushed
  int32_t id;    // the merged piece
};

struct Lower {  // std::priority_queue pops the "largest"
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.left > b.left;  // equal priority: leftmost first
  }
};

}  // namespace

void Tokenizer::Impl::AppendByteFallback(std::string_view symbol,
                                         std::vector<int32_t>* ids) const {
  for (char c : symbol) {
    if (byte_id[static_cast<uint8_t>(c)] < 0) {
      // As HF: a character with any byte piece missing becomes one <unk>.
      if (unk_id >= 0) ids->push_back(unk_id);
      return;
    }
  }
  for (char c : symbol) ids->push_back(byte_id[static_cast<uint8_t>(c)]);
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

  std::vector<Symbol> sym;
  sym.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    size_t n = tok::Utf8CharLen(text, pos);
    int32_t idx = static_cast<int32_t>(sym.size());
    sym.push_back(Symbol{static_cast<uint32_t>(pos), static_cast<uint32_t>(n), idx - 1, idx + 1,
                         MergeableId(text.substr(pos, n))});
    pos += n;
  }
  sym.back().next = -1;

  std::vector<Candidate> storage;
  storage.reserve(sym.size() * 2);
  std::priority_queue<Candidate, std::vector<Candidate>, Lower> heap(Lower{}, std::move(storage));

  auto try_add = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Symbol& a = sym[l];
    const Symbol& b = sym[r];
    uint32_t len = a.len + b.len;
    if (use_merges) {
      if (a.id < 0 || b.id < 0) return;
      const tok::PairMap::Value* m = merges.Find(a.id, b.id);
      if (m == nullptr) return;
      heap.push(Candidate{-static_cast<double>(m->rank), l, r, len, m->id});
    } else {
      if (len > max_piece_len) return;
      int32_t id = MergeableId(text.substr(a.start, len));
      if (id < 0) return;
      heap.push(Candidate{static_cast<double>(scores[id]), l, r, len, id});
    }
  };

  for (int32_t i = 0; i + 1 < static_cast<int32_t>(sym.size()); ++i) try_add(i, i + 1);

  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    Symbol& a = sym[c.left];
    Symbol& b = sym[c.right];
    if (a.len == 0 || b.len == 0 || a.next != c.right || a.len + b.len != c.len) continue;
    a.len = c.len;
    a.id = c.id;
    a.next = b.next;
    if (b.next >= 0) sym[b.next].prev = c.left;
    b.len = 0;
    try_add(a.prev, c.left);
    try_add(c.left, a.next);
  }

  for (int32_t i = 0; i >= 0; i = sym[i].next) {
    const Symbol& s = sym[i];
    if (s.id >= 0) {
      ids->push_back(s.id);
    } else {
      AppendByteFallback(text.substr(s.start, s.len), ids);
    }
  }
}

}  // namespace gemma
