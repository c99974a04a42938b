// Exact piece -> id lookup with string_view keys and no allocation per lookup:
// an open-addressing table of ids whose keys are the pieces themselves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gemma::tok {

class PieceIndex {
 public:
  // `pieces` must outlive the index. On duplicate pieces the lowest id wins.
  void Build(const std::vector<std::string>* pieces);
  int32_t Find(std::string_view piece) const;

 private:
  static uint64_t Hash(std::string_view s);
  // An id plus 32 bits of its piece's hash, so that most probes of other
  // pieces are rejected without touching the piece's bytes.
  struct Slot {
    int32_t id;  // -1 = empty
    uint32_t tag;
  };
  const std::vector<std::string>* pieces_ = nullptr;
  std::vector<Slot> slots_;  // size is a power of two
  uint64_t mask_ = 0;
};

}  // namespace gemma::tok
