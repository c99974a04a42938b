// Shared by the tokenizer fuzz targets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gemma/tokenizer.h"

namespace gemma::fuzz {

// Builds a tokenizer from a loaded vocabulary and runs it on a few texts and
// id sequences; only crashes (and sanitizer reports) matter.
inline void Exercise(VocabSpec spec) {
  if (spec.pieces.size() > (1u << 20)) return;
  auto t = Tokenizer::Create(std::move(spec));
  if (!t.ok()) return;
  const Tokenizer& tok = **t;
  for (const char* text :
       {"", "a", "hello world", "<bos> <start_of_turn>\n", "\xE4\xB8\xAD\xFF  \t"}) {
    for (bool special : {true, false}) {
      const std::vector<int32_t> ids =
          tok.Encode(text, {.add_bos = true, .parse_special = special});
      (void)tok.Decode(ids);
    }
  }
  std::vector<int32_t> ids;
  for (int32_t i = -2; i < static_cast<int32_t>(tok.vocab_size()) + 2 && i < 600; ++i)
    ids.push_back(i);
  (void)tok.Decode(ids, false);
  (void)tok.Decode(ids, true);
  StreamingDetokenizer sd(tok);
  std::string out;
  for (int32_t id : ids) sd.Push(id, &out);
  sd.Flush(&out);
}

}  // namespace gemma::fuzz
