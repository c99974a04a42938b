// libFuzzer: Encode / Decode / StreamingDetokenizer / RenderChat on any bytes
// with two small Gemma-shaped vocabularies (merge-rank and score mode).
// Checks, beyond "no crash": decode(encode(x)) == x for valid UTF-8 without
// U+2581, streaming == batch decode, EncodeBatch == Encode.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gemma/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

using gemma::PieceType;

std::unique_ptr<gemma::Tokenizer> Make(bool merges) {
  gemma::VocabSpec s;
  auto add = [&](std::string p, float score, PieceType t) {
    s.pieces.push_back(std::move(p));
    s.scores.push_back(score);
    s.types.push_back(t);
  };
  add("<pad>", 0, PieceType::kControl);
  add("<eos>", 0, PieceType::kControl);
  add("<bos>", 0, PieceType::kControl);
  add("<unk>", 0, PieceType::kUnknown);
  add("<start_of_turn>", 0, PieceType::kControl);
  add("\n", 0, PieceType::kUserDefined);
  add("\n\n", 0, PieceType::kUserDefined);
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    add(buf, 0, PieceType::kByte);
  }
  const char* normal[] = {"\xE2\x96\x81",
                          "a",
                          "b",
                          "ab",
                          "\xE2\x96\x81"
                          "a",
                          "\xE2\x96\x81"
                          "ab",
                          "\xE2\x96\x81\xE2\x96\x81",
                          "\xE4\xB8\xAD",
                          "aa",
                          "aaa"};
  float score = -1;
  for (const char* p : normal) add(p, score--, PieceType::kNormal);
  if (merges) {
    s.merges = {"a b", "\xE2\x96\x81 a", "\xE2\x96\x81 ab", "\xE2\x96\x81 \xE2\x96\x81", "a a",
                "aa a"};
  }
  auto t = gemma::Tokenizer::Create(std::move(s));
  if (!t.ok()) std::abort();
  return std::move(t).value();
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto merge_tok = Make(true);
  static const auto score_tok = Make(false);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool roundtrip =
      gemma::tok::IsValidUtf8(text) && text.find(gemma::tok::kMetaspace) == std::string_view::npos;
  for (const auto* t : {merge_tok.get(), score_tok.get()}) {
    for (bool special : {true, false}) {
      const auto ids = t->Encode(text, {.add_bos = false, .parse_special = special});
      const std::string back = t->Decode(ids);
      if (roundtrip) Check(back == text, "decode(encode(x)) == x");
      gemma::StreamingDetokenizer sd(*t);
      std::string streamed;
      for (int32_t id : ids) sd.Push(id, &streamed);
      sd.Flush(&streamed);
      Check(streamed == back, "streaming == Decode");
    }
    // The input as ids (any values, invalid ones included).
    std::vector<int32_t> ids(size / 4);
    for (size_t i = 0; i < ids.size(); ++i) {
      ids[i] =
          static_cast<int32_t>(data[4 * i] | (data[4 * i + 1] << 8) | (data[4 * i + 2] << 16)) %
              (static_cast<int32_t>(t->vocab_size()) + 3) -
          1;
    }
    for (bool skip : {false, true}) {
      const std::string d = t->Decode(ids, skip);
      gemma::StreamingDetokenizer sd(*t, skip);
      std::string streamed;
      for (int32_t id : ids) sd.Push(id, &streamed);
      sd.Flush(&streamed);
      Check(streamed == d, "streaming == Decode on ids");
    }
  }
  // Batch encode: the input split at NUL bytes.
  std::vector<std::string_view> parts;
  for (size_t start = 0, i = 0; i <= size; ++i) {
    if (i == size || data[i] == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() <= 64) {
    const auto batch = merge_tok->EncodeBatch(parts, {}, 2);
    for (size_t i = 0; i < parts.size(); ++i)
      Check(batch[i] == merge_tok->Encode(parts[i]), "batch");
  }
  // Chat rendering with the input as message contents.
  std::vector<gemma::ChatMessage> chat;
  const char* roles[] = {"system", "user", "assistant", "user"};
  for (size_t i = 0; i < parts.size() && i < 4; ++i)
    chat.push_back({roles[i], std::string(parts[i])});
  (void)gemma::RenderChat(chat, true);
  return 0;
}
