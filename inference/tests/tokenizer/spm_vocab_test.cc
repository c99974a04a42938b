// VocabFromSentencePieceModel on ModelProtos built in the test: piece types,
// trainer/normalizer fields, the merge list generated from scores (both
// tie orders of Hugging Face's converter), Gemma's renames, and malformed
// files (truncations, bad fields, unsupported models) failing cleanly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gemma/tokenizer.h"
#include "support/spm_writer.h"

namespace gemma {
namespace {

using testing::SpmOptions;
using testing::SpmPiece;
using V = std::vector<int32_t>;
using Merges = std::vector<std::pair<int32_t, int32_t>>;

// 0 <pad> 1 <eos> 2 <bos> 3 <unk> 4 <start_of_turn> 5 "\n" 6 <0x41>
// 7 ▁ 8 a 9 b 10 ab 11 ▁a 12 ▁ab 13 <unused0> 14 <0x09> 15 aa
std::vector<SpmPiece> Pieces() {
  return {{"<pad>", 0, 3},
          {"<eos>", 0, 3},
          {"<bos>", 0, 3},
          {"<unk>", 0, 2},
          {"<start_of_turn>", 0, 4},
          {"\n", 0, 4},
          {"<0x41>", 0, 6},
          {"\xE2\x96\x81", -1, 1},
          {"a", -2, 1},
          {"b", -3, 1},
          {"ab", -4, 1},
          {"\xE2\x96\x81"
           "a",
           -5, 1},
          {"\xE2\x96\x81"
           "ab",
           -6, 1},
          {"<unused0>", 0, 5},
          {"<0x09>", 0, 6},
          {"aa", -4, 1}};
}

StatusOr<VocabSpec> Load(const std::vector<SpmPiece>& pieces, const SpmOptions& o = {}) {
  return VocabFromSentencePieceModelBytes(testing::WriteModelProto(pieces, o), "t.model");
}

TEST(SpmVocab, ConvertsLikeHuggingFace) {
  auto spec = Load(Pieces());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->pieces.size(), 16u);
  EXPECT_EQ(spec->types[0], PieceType::kControl);
  EXPECT_EQ(spec->types[3], PieceType::kUnknown);
  EXPECT_EQ(spec->types[4], PieceType::kControl);  // Gemma's chat tokens are special
  EXPECT_EQ(spec->types[5], PieceType::kUserDefined);
  EXPECT_EQ(spec->types[6], PieceType::kByte);
  EXPECT_EQ(spec->types[13], PieceType::kNormal);  // UNUSED: an ordinary piece for HF
  // Gemma 1/2 shape (<start_of_turn>, no "\t"): <0x09> becomes "\t".
  EXPECT_EQ(spec->pieces[14], "\t");
  EXPECT_EQ(spec->types[14], PieceType::kNormal);
  EXPECT_EQ(spec->unk_id, 3);
  EXPECT_EQ(spec->bos_id, 2);
  EXPECT_EQ(spec->eos_id, 1);
  EXPECT_EQ(spec->pad_id, 0);
  EXPECT_FALSE(spec->add_space_prefix);
  EXPECT_TRUE(spec->fuse_unk);
  // Merges ordered by the merged piece's score (stable in piece order), the
  // splits of one piece by (left id, right id): ab(-4), aa(-4), ▁a(-5), ▁ab(-6:
  // ▁+ab, ▁a+b).
  EXPECT_EQ(spec->merge_ids, (Merges{{8, 9}, {8, 8}, {7, 8}, {7, 10}, {11, 9}}));

  auto t = Tokenizer::Create(*std::move(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->Encode(" ab\tA"), (V{12, 14, 6}));
  EXPECT_EQ((*t)->Encode("<start_of_turn>\n", {.add_bos = true}), (V{2, 4, 5}));
}

TEST(SpmVocab, NewerTieOrderForModelsWithATabPiece) {
  // With a "\t" piece (Gemma 3 shape), equal scores order by (left length,
  // right length), longest first: "aab" = aa+b (2,1) before a+ab (1,2).
  auto pieces = Pieces();
  pieces.push_back({"\t", 0, 4});
  pieces.push_back({"aab", -7, 1});
  pieces.push_back({"<start_of_image>", 0, 4});
  auto spec = Load(pieces);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->pieces[14], "<0x09>");  // not renamed
  EXPECT_EQ(spec->types[14], PieceType::kByte);
  EXPECT_EQ(spec->types[18], PieceType::kControl);
  ASSERT_EQ(spec->pieces.size(), 20u);  // <image_soft_token> appended
  EXPECT_EQ(spec->pieces[19], "<image_soft_token>");
  EXPECT_EQ(spec->types[19], PieceType::kControl);
  const Merges& m = spec->merge_ids;
  ASSERT_GE(m.size(), 2u);
  EXPECT_EQ(m[m.size() - 2], (std::pair<int32_t, int32_t>{15, 9}));
  EXPECT_EQ(m[m.size() - 1], (std::pair<int32_t, int32_t>{8, 10}));
}

TEST(SpmVocab, NonGemmaModelsKeepTheirPieces) {
  auto pieces = Pieces();
  pieces[4] = {"<s_o_t>", 0, 4};
  auto spec = Load(pieces);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->pieces[14], "<0x09>");
  EXPECT_EQ(spec->types[4], PieceType::kUserDefined);
  EXPECT_EQ(spec->pieces.size(), 16u);
}

TEST(SpmVocab, TrainerAndNormalizerFields) {
  SpmOptions o;
  o.unk_id = 3, o.bos_id = -1, o.eos_id = 2, o.pad_id = -1;
  o.add_dummy_prefix = true;
  auto spec = Load(Pieces(), o);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->bos_id, -1);
  EXPECT_EQ(spec->eos_id, 2);
  EXPECT_EQ(spec->pad_id, -1);
  EXPECT_TRUE(spec->add_space_prefix);
  auto t = Tokenizer::Create(*std::move(spec));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->Encode("ab"), (V{12}));  // "▁ab" thanks to the dummy prefix
}

void ExpectError(const StatusOr<VocabSpec>& spec, StatusCode code, const std::string& needle) {
  ASSERT_FALSE(spec.ok()) << "accepted: " << needle;
  EXPECT_EQ(spec.status().code(), code) << spec.status().ToString();
  EXPECT_NE(spec.status().message().find("t.model"), std::string::npos) << spec.status().ToString();
  EXPECT_NE(spec.status().message().find(needle), std::string::npos) << spec.status().ToString();
}

TEST(SpmVocab, MalformedAndUnsupportedModels) {
  const auto kCorrupt = StatusCode::kCorruptData;
  const auto kUnsup = StatusCode::kUnsupported;
  SpmOptions o;
  o.model_type = 1;
  ExpectError(Load(Pieces(), o), kUnsup, "Unigram");
  o = {};
  o.precompiled_charsmap = "xyz";
  ExpectError(Load(Pieces(), o), kUnsup, "identity normalizer");
  o = {};
  o.remove_extra_whitespaces = true;
  ExpectError(Load(Pieces(), o), kUnsup, "remove_extra_whitespaces");
  o = {};
  o.byte_fallback = false;
  ExpectError(Load(Pieces(), o), kCorrupt, "without byte_fallback");
  o = {};
  o.bos_id = 99;
  ExpectError(Load(Pieces(), o), kCorrupt, "bos_id 99");
  auto p = Pieces();
  p[3].type = 1;
  ExpectError(Load(p), kCorrupt, "no UNKNOWN");
  p = Pieces();
  p[8].type = 2;
  ExpectError(Load(p), kCorrupt, "more than one UNKNOWN");
  p = Pieces();
  p[9].piece = "a";
  ExpectError(Load(p), kCorrupt, "appears twice");
  p = Pieces();
  p[9].type = 9;
  ExpectError(Load(p), kCorrupt, "unknown type 9");
  p = Pieces();
  p[6].piece = "<0xZZ>";
  ExpectError(Load(p), kCorrupt, "not of the form <0xXX>");
  ExpectError(VocabFromSentencePieceModelBytes("", "t.model"), kCorrupt, "no pieces");
  ExpectError(VocabFromSentencePieceModelBytes("{\"model\": 1}", "t.model"), kCorrupt,
              "not a valid SentencePiece model");
  // Field 1 with wire type 0, a group (wire type 3), a length past the end,
  // a varint that never ends.
  ExpectError(VocabFromSentencePieceModelBytes(std::string("\x08\x01", 2), "t.model"), kCorrupt,
              "wire type");
  ExpectError(VocabFromSentencePieceModelBytes(std::string("\x3B", 1), "t.model"), kCorrupt,
              "truncated field 7");
  ExpectError(
      VocabFromSentencePieceModelBytes(std::string("\x0A\xFF\xFF\xFF\xFF\x0F", 6), "t.model"),
      kCorrupt, "truncated piece");
  ExpectError(VocabFromSentencePieceModelBytes(std::string(12, '\xFF'), "t.model"), kCorrupt,
              "bad field key");
}

TEST(SpmVocab, EveryTruncationAndCorruptionIsHandled) {
  const std::string bytes = testing::WriteModelProto(Pieces(), {});
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto spec = VocabFromSentencePieceModelBytes(bytes.substr(0, len), "t.model");
    if (spec.ok()) (void)Tokenizer::Create(*std::move(spec));  // a prefix can be a valid model
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (char c : {'\0', '\x01', '\x7F', '\x80', '\xFF'}) {
      std::string m = bytes;
      m[i] = c;
      auto spec = VocabFromSentencePieceModelBytes(m, "t.model");
      if (spec.ok()) (void)Tokenizer::Create(*std::move(spec));
    }
  }
}

// The json -> model rebuild used by the parity test and the benchmark
// round-trips on a small vocabulary too (the real ones: real_vocab_test).
TEST(SpmVocab, RebuiltFromJsonVocab) {
  VocabSpec json;
  json.pieces = {"<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>",
                 "\t",    "a",     "b",     "ab",    "aab"};
  json.types = {PieceType::kControl, PieceType::kControl, PieceType::kControl, PieceType::kUnknown,
                PieceType::kControl, PieceType::kNormal,  PieceType::kNormal,  PieceType::kNormal,
                PieceType::kNormal,  PieceType::kNormal};
  json.merge_ids = {{6, 7}, {6, 8}};
  json.fuse_unk = true;
  auto spec =
      VocabFromSentencePieceModelBytes(testing::SentencePieceModelFromJsonVocab(json), "t.model");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->pieces, json.pieces);
  EXPECT_EQ(spec->types, json.types);
  EXPECT_EQ(spec->merge_ids, json.merge_ids);
}

}  // namespace
}  // namespace gemma
