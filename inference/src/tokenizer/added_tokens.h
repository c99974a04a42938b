// Added-token matcher: the pieces that are matched on the raw text before BPE
// (Control, UserDefined and Unknown pieces, as Hugging Face's added-token
// splitter and llama.cpp's special-token partition do), stored in a byte trie.
// At each text position the longest matching allowed piece is found in
// O(max_token_len); scanning positions left to right gives HF's
// leftmost-longest semantics.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gemma::tok {

class AddedTokenTrie {
 public:
  // `special` = matched only when parse_special is on (Control, Unknown).
  void Insert(std::string_view text, int32_t id, bool special);
  // Longest match starting at text[pos]; returns its length (0 if none) and
  // sets *id and *special.
  size_t Match(std::string_view text, size_t pos, int32_t* id, bool* special) const;
  bool empty() const { return nodes_.size() <= 1; }

 private:
  struct Node {
    int32_t id = -1;
    bool special = false;
  };
  int32_t Child(int32_t node, uint8_t b) const;
  std::vector<Node> nodes_{Node{}};
  std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) -> child
  std::array<bool, 256> first_byte_{};           // quick reject at the root
};

}  // namespace gemma::tok
