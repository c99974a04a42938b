// Holds back generated text that might be the start of a stop string, so a
// stream never shows part of a stop string that later completes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gemma {

class StopMatcher {
 public:
  explicit StopMatcher(const std::vector<std::string>& stops) : stops_(stops) {
    size_t longest = 0;
    for (const auto& s : stops_) longest = std::max(longest, s.size());
    pending_.reserve(longest + 64);
  }

  // Adds text; appends what is now safe to show to *out. Returns true when a
  // stop string was found (text from it on is dropped).
  bool Push(std::string_view text, std::string* out) {
    pending_.append(text);
    size_t stop_at = std::string::npos;
    for (const auto& s : stops_) {
      if (s.empty()) continue;
      const size_t at = pending_.find(s);
      if (at != std::string::npos && at < stop_at) stop_at = at;
    }
    if (stop_at != std::string::npos) {
      out->append(pending_, 0, stop_at);
      pending_.clear();
      return true;
    }
    const size_t keep = HeldSuffix();
    out->append(pending_, 0, pending_.size() - keep);
    pending_.erase(0, pending_.size() - keep);
    return false;
  }

  // End of generation: everything held back is released.
  void Flush(std::string* out) {
    out->append(pending_);
    pending_.clear();
  }

 private:
  // Length of the longest suffix of pending_ that is a proper prefix of a stop string.
  size_t HeldSuffix() const {
    size_t best = 0;
    for (const auto& s : stops_) {
      const size_t max_len = std::min(s.size() - (s.empty() ? 0 : 1), pending_.size());
      for (size_t len = max_len; len > best; --len) {
        if (std::string_view(pending_).substr(pending_.size() - len) ==
            std::string_view(s).substr(0, len)) {
          best = len;
          break;
        }
      }
    }
    return best;
  }

  std::vector<std::string> stops_;
  std::string pending_;
};

}  // namespace gemma
