#include "tokenizer/added_tokens.h"

namespace gemma::tok {

int32_t AddedTokenTrie::Child(int32_t node, uint8_t b) const {
  auto it = edges_.find((static_cast<uint64_t>(node) << 8) | b);
  return it == edges_.end() ? -1 : it->second;
}

void AddedTokenTrie::Insert(std::string_view text, int32_t id, bool special) {
  if (text.empty()) return;
  first_byte_[static_cast<uint8_t>(text[0])] = true;
  int32_t node = 0;
  for (char c : text) {
    uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(c);
    auto it = edges_.find(key);
    if (it == edges_.end()) {
      int32_t child = static_cast<int32_t>(nodes_.size());
      nodes_.push_back(Node{});
      edges_.emplace(key, child);
      node = child;
    } else {
      node = it->second;
    }
  }
  if (nodes_[node].id < 0) {  // duplicate text: the lower id wins
    nodes_[node].id = id;
    nodes_[node].special = special;
  }
}

size_t AddedTokenTrie::Match(std::string_view text, size_t pos, int32_t* id, bool* special) const {
  if (pos >= text.size() || !first_byte_[static_cast<uint8_t>(text[pos])]) return 0;
  size_t best = 0;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    node = Child(node, static_cast<uint8_t>(text[i]));
    if (node < 0) break;
    const Node& n = nodes_[node];
    if (n.id >= 0) {
      best = i - pos + 1;
      *id = n.id;
      *special = n.special;
    }
  }
  return best;
}

}  // namespace gemma::tok
