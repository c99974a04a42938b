// Small hand-built vocabularies for the tokenizer tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "gemma/tokenizer.h"

namespace gemma::testing {

struct VocabBuilder {
  VocabSpec spec;
  VocabBuilder() { spec.pieces.clear(); }
  int32_t Add(const std::string& piece, float score = 0.0f, PieceType type = PieceType::kNormal) {
    spec.pieces.push_back(piece);
    spec.scores.push_back(score);
    spec.types.push_back(type);
    return static_cast<int32_t>(spec.pieces.size() - 1);
  }
  // Gemma's fixed prefix: 0 <pad>, 1 <eos>, 2 <bos>, 3 <unk>.
  VocabBuilder& Specials() {
    Add("<pad>", 0, PieceType::kControl);
    Add("<eos>", 0, PieceType::kControl);
    Add("<bos>", 0, PieceType::kControl);
    Add("<unk>", 0, PieceType::kUnknown);
    spec.pad_id = 0, spec.eos_id = 1, spec.bos_id = 2, spec.unk_id = 3;
    return *this;
  }
  // <0x00>..<0xFF>; returns the id of <0x00>.
  int32_t Bytes() {
    int32_t first = static_cast<int32_t>(spec.pieces.size());
    for (int b = 0; b < 256; ++b) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
      Add(buf, 0, PieceType::kByte);
    }
    return first;
  }
  std::unique_ptr<Tokenizer> Build() const {
    auto t = Tokenizer::Create(spec);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(t).value() : nullptr;
  }
};

inline std::string Ids(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s.push_back(',');
    s.append(std::to_string(ids[i]));
  }
  s.push_back(']');
  return s;
}

}  // namespace gemma::testing
