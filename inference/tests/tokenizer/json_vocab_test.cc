// VocabFromTokenizerJson on hand-written tokenizer.json files: both merge
// forms, escapes, key order, special / added tokens, and malformed files
// (truncations, wrong types, huge ids, deep nesting) that must fail cleanly.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gemma/tokenizer.h"

namespace gemma {
namespace {

using V = std::vector<int32_t>;

// A Gemma-shaped tokenizer.json: 0 <pad> 1 <eos> 2 <bos> 3 <unk>
// 4 <start_of_turn> 5 "\n" 6 <0x41> 7 ▁ 8 a 9 b 10 ab 11 ▁ab 12 é 13 😀 14 "q\"" 15 ▁▁
// 16 <image_soft_token> (added only).
std::string Json(const std::string& merges = R"(["a b", ["▁", "ab"], "▁ ▁"])",
                 const std::string& extra_model = "",
                 const std::string& normalizer =
                     R"({"type": "Replace", "pattern": {"String": " "}, "content": "▁"})") {
  return R"({
  "version": "1.0",
  "truncation": null,
  "added_tokens": [
    {"id": 0, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "<eos>", "special": true},
    {"id": 2, "content": "<bos>", "special": true},
    {"id": 3, "content": "<unk>", "special": true},
    {"id": 4, "content": "<start_of_turn>", "special": true},
    {"id": 5, "content": "\n", "special": false},
    {"id": 16, "content": "<image_soft_token>", "special": true}
  ],
  "normalizer": )" +
         normalizer + R"(,
  "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": false},
  "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                     "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}}},
  "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]},
  "model": {
    "type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
    "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,)" +
         extra_model + R"(
    "merges": )" +
         merges + R"(,
    "vocab": {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<start_of_turn>": 4, "\n": 5,
              "<0x41>": 6, "▁": 7, "a": 8, "b": 9, "ab": 10, "▁ab": 11, "\u00e9": 12,
              "\ud83d\ude00": 13, "q\"": 14, "▁▁": 15}
  }
})";
}

StatusOr<VocabSpec> Load(const std::string& json) {
  return VocabFromTokenizerJsonText(json, "t.json");
}

TEST(JsonVocab, LoadsGemmaShape) {
  auto spec = Load(Json());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->pieces.size(), 17u);
  EXPECT_EQ(spec->pieces[5], "\n");
  EXPECT_EQ(spec->pieces[12], "\xC3\xA9");
  EXPECT_EQ(spec->pieces[13], "\xF0\x9F\x98\x80");
  EXPECT_EQ(spec->pieces[14], "q\"");
  EXPECT_EQ(spec->pieces[16], "<image_soft_token>");
  EXPECT_EQ(spec->types[0], PieceType::kControl);
  EXPECT_EQ(spec->types[3], PieceType::kUnknown);
  EXPECT_EQ(spec->types[4], PieceType::kControl);
  EXPECT_EQ(spec->types[5], PieceType::kUserDefined);
  EXPECT_EQ(spec->types[6], PieceType::kByte);
  EXPECT_EQ(spec->types[8], PieceType::kNormal);
  EXPECT_EQ(spec->types[16], PieceType::kControl);
  EXPECT_EQ(spec->merge_ids, (std::vector<std::pair<int32_t, int32_t>>{{8, 9}, {7, 10}, {7, 7}}));
  EXPECT_TRUE(spec->merges.empty());
  EXPECT_EQ(spec->bos_id, 2);
  EXPECT_EQ(spec->eos_id, 1);
  EXPECT_EQ(spec->unk_id, 3);
  EXPECT_EQ(spec->pad_id, 0);
  EXPECT_FALSE(spec->add_space_prefix);
  EXPECT_TRUE(spec->fuse_unk);

  auto t = Tokenizer::Create(*std::move(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const Tokenizer& tok = **t;
  EXPECT_EQ(tok.Encode("ab ab"), (V{10, 11}));
  EXPECT_EQ(tok.Encode("  ab"), (V{7, 11}));  // "a b" (rank 0), "▁ ab" (1) before "▁ ▁" (2)
  EXPECT_EQ(tok.Encode("<bos>a\nb", {.add_bos = true}), (V{2, 2, 8, 5, 9}));
  EXPECT_EQ(tok.Encode("A"), (V{6}));   // byte fallback
  EXPECT_EQ(tok.Encode("Z"), (V{3}));   // no <0x5A>: unknown
  EXPECT_EQ(tok.Encode("ZZ"), (V{3}));  // fuse_unk
  EXPECT_EQ(tok.Decode(V{2, 10, 11, 5}), "<bos>ab ab\n");
  EXPECT_EQ(tok.Encode("<image_soft_token>"), (V{16}));
}

TEST(JsonVocab, SplitSpecialSkipsTheWholeSpecialMatch) {
  auto t = Tokenizer::Create(*Load(Json()));
  ASSERT_TRUE(t.ok());
  // Special tokens are left as text; the non-special "\n" is still matched.
  const V ids = (*t)->Encode("<bos>\n", {.add_bos = false, .parse_special = false});
  // '<' unknown, 'b', then "os>" fused into one unknown, then "\n".
  EXPECT_EQ(ids, (V{3, 9, 3, 5}));
}

TEST(JsonVocab, KeyOrderAndUnknownKeysDoNotMatter) {
  const std::string extra =
      R"("zzz": {"a": [1, 2.5e-3, true, null, {"b": "c"}]}, "ignore_merges": false,)";
  auto spec = Load(Json(R"(["a b", ["▁", "ab"], "▁ ▁"])", extra));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->merge_ids.size(), 3u);
}

TEST(JsonVocab, PrependNormalizerSetsSpacePrefix) {
  auto spec = Load(Json(R"(["a b"])", "",
                        R"({"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]})"));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->add_space_prefix);
}

TEST(JsonVocab, VersionLinesInLegacyMergesAreSkipped) {
  auto spec = Load(Json(R"(["#version: 0.2", "a b"])"));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->merge_ids, (std::vector<std::pair<int32_t, int32_t>>{{8, 9}}));
}

void ExpectError(const std::string& json, StatusCode code, const std::string& needle) {
  auto spec = Load(json);
  ASSERT_FALSE(spec.ok()) << "accepted: " << needle;
  EXPECT_EQ(spec.status().code(), code) << spec.status().ToString();
  EXPECT_NE(spec.status().message().find("t.json"), std::string::npos) << spec.status().ToString();
  EXPECT_NE(spec.status().message().find(needle), std::string::npos) << spec.status().ToString();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

TEST(JsonVocab, MalformedFilesGiveClearErrors) {
  const auto kCorrupt = StatusCode::kCorruptData;
  const auto kUnsup = StatusCode::kUnsupported;
  const std::string j = Json();
  ExpectError("", kCorrupt, "expected an object");
  ExpectError("[]", kCorrupt, "expected an object");
  ExpectError("{}", kCorrupt, "no \"model\"");
  ExpectError(j + "x", kCorrupt, "unexpected data after");
  ExpectError(Replace(j, R"("a": 8,)", R"("a": "8",)"), kCorrupt, "expected a number");
  ExpectError(Replace(j, R"("a": 8,)", R"("a": 8.5,)"), kCorrupt, "expected an integer");
  ExpectError(Replace(j, R"("a": 8,)", R"("a": 99999999999,)"), kCorrupt, "beyond");
  ExpectError(Replace(j, R"("a": 8,)", R"("a": 1e300,)"), kCorrupt, "integer");
  ExpectError(Replace(j, R"("a": 8,)", R"("a": -8,)"), kCorrupt, "negative id");
  ExpectError(Replace(j, R"("a": 8,)", R"("a": 9,)"), kCorrupt, "id 9 is given to both");
  ExpectError(Json(R"(["a c"])"), kCorrupt, "\"c\" is not in the vocabulary");
  ExpectError(Json(R"(["a  b"])"), kCorrupt, "not two pieces separated by one space");
  ExpectError(Json(R"(["ab"])"), kCorrupt, "not two pieces separated by one space");
  ExpectError(Json(R"([["a", "b", "c"]])"), kCorrupt, "3 parts");
  ExpectError(Json(R"([["a", 5]])"), kCorrupt, "expected a string");
  ExpectError(Json("5"), kCorrupt, "expected an array");
  ExpectError(Replace(j, R"("type": "BPE")", R"("type": "WordPiece")"), kUnsup, "WordPiece");
  ExpectError(Replace(j, R"("vocab": {)", R"("vocab2": {)"), kCorrupt, "no \"vocab\"");
  ExpectError(Replace(j, R"("ignore_merges": false)", R"("ignore_merges": true)"), kUnsup,
              "ignore_merges");
  ExpectError(Replace(j, R"("dropout": null)", R"("dropout": 0.1)"), kUnsup, "dropout");
  ExpectError(Replace(j, R"("fuse_unk": true)", R"("fuse_unk": "yes")"), kCorrupt,
              "expected a boolean");
  ExpectError(Replace(j, R"("unk_token": "<unk>")", R"("unk_token": "<nope>")"), kCorrupt,
              "unk_token");
  ExpectError(Replace(j, R"("id": 5, "content": "\n", "special": false)",
                      R"("id": 5, "content": "\n", "special": false, "rstrip": true)"),
              kUnsup, "rstrip");
  ExpectError(Replace(j, R"("id": 5, "content": "\n")", R"("id": 7, "content": "\n")"), kCorrupt,
              "which the vocabulary gives to");
  ExpectError(Json(R"(["a b"])", "", R"({"type": "NFKC"})"), kUnsup, "normalizer \"NFKC\"");
  ExpectError(Json(R"(["a b"])", "", "null"), kUnsup, "pre-tokenizer \"Split\"");
  ExpectError(Replace(j, R"("type": "ByteFallback")", R"("type": "Strip")"), kUnsup, "decoder");
  ExpectError(Replace(j, R"("q\"")", R"("q\x")"), kCorrupt, "bad escape");
  ExpectError(Replace(j, R"("\u00e9")", R"("\ud800")"), kCorrupt, "surrogate");
  ExpectError(Replace(j, R"("\u00e9")", R"("\u00g9")"), kCorrupt, "\\u escape");
  ExpectError(Replace(j, R"("q\"")", "\"q\x01\""), kCorrupt, "control character");
  ExpectError(Replace(j, R"("vocab": {"<pad>": 0,)", R"("vocab": [["<pad>", 0.0]], "x": {)"),
              kCorrupt, "Unigram");
  // Deep nesting in a skipped value: an error, not a stack overflow.
  ExpectError(Replace(j, R"("truncation": null)",
                      "\"truncation\": " + std::string(100000, '[') + std::string(100000, ']')),
              kCorrupt, "nesting deeper");
  // Moderate nesting is fine.
  auto ok = Load(Replace(j, R"("truncation": null)",
                         "\"truncation\": " + std::string(500, '[') + std::string(500, ']')));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

// Every truncation of a valid file fails with an error (never a crash), and
// errors carry a line and column.
TEST(JsonVocab, EveryTruncationFailsCleanly) {
  const std::string j = Json();
  for (size_t len = 0; len < j.size(); ++len) {
    auto spec = Load(j.substr(0, len));
    ASSERT_FALSE(spec.ok()) << len;
    ASSERT_NE(spec.status().message().find("line "), std::string::npos)
        << len << ": " << spec.status().ToString();
  }
  // Single-byte corruptions: any result, no crash.
  for (size_t i = 0; i < j.size(); i += 3) {
    for (char c : {'\0', '"', '{', ']', '\\', ',', '\xFF'}) {
      std::string m = j;
      m[i] = c;
      auto spec = Load(m);
      if (spec.ok()) (void)Tokenizer::Create(*std::move(spec));
    }
  }
}

std::string TempDir() {
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("gemma_tok_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  return dir.string();
}

void Write(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
}

TEST(LoadVocab, PicksTheLoaderByPath) {
  const std::string dir = TempDir();
  Write(dir + "/tokenizer.json", Json());
  Write(dir + "/renamed.bin", Json());
  auto a = LoadVocab(dir + "/tokenizer.json");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = LoadVocab(dir);  // directory: its tokenizer.json
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto c = LoadVocab(dir + "/renamed.bin");  // sniffed: starts with '{'
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(a->pieces, b->pieces);
  EXPECT_EQ(a->pieces, c->pieces);
  auto t = LoadTokenizer(dir);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->vocab_size(), 17u);

  auto missing = LoadVocab(dir + "/nope.json");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.json"), std::string::npos);
  Write(dir + "/empty.json", "");
  auto empty = LoadVocab(dir + "/empty.json");
  EXPECT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.json"), std::string::npos);
  const std::string sub = dir + "/sub";
  std::filesystem::create_directories(sub);
  auto nothing = LoadVocab(sub);
  EXPECT_EQ(nothing.status().code(), StatusCode::kNotFound);
  // A merge whose halves exist but whose concatenation does not: Create
  // refuses it and LoadTokenizer names the file.
  Write(dir + "/badmerge.json", Json(R"(["b a"])"));
  auto bad = LoadTokenizer(dir + "/badmerge.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("badmerge.json"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gemma
