#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "gemma/tokenizer.h"
#include "test_vocab.h"

namespace gemma {
namespace {

using testing::VocabBuilder;
using V = std::vector<int32_t>;
const std::string kMs = "\xE2\x96\x81";  // U+2581

TEST(TokenizerCreate, RejectsBadSpecs) {
  VocabSpec empty;
  empty.pieces.clear();
  EXPECT_EQ(Tokenizer::Create(empty).status().code(), StatusCode::kInvalidArgument);

  VocabBuilder b;
  b.Specials();
  b.Add("a");
  VocabSpec s = b.spec;
  s.scores.pop_back();
  EXPECT_EQ(Tokenizer::Create(s).status().code(), StatusCode::kInvalidArgument);
  s = b.spec;
  s.bos_id = 99;
  EXPECT_EQ(Tokenizer::Create(s).status().code(), StatusCode::kInvalidArgument);
  s = b.spec;
  s.types[4] = static_cast<PieceType>(9);
  EXPECT_EQ(Tokenizer::Create(s).status().code(), StatusCode::kInvalidArgument);
  s = b.spec;
  s.types[4] = PieceType::kByte;  // "a" is not <0xXX>
  EXPECT_EQ(Tokenizer::Create(s).status().code(), StatusCode::kInvalidArgument);
  s = b.spec;
  s.merges = {"a b"};  // b is not a piece
  auto r = Tokenizer::Create(s);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("merge 0"), std::string::npos);
}

TEST(TokenizerCreate, Accessors) {
  VocabBuilder b;
  b.Specials();
  int32_t sot = b.Add("<start_of_turn>", 0, PieceType::kControl);
  int32_t eot = b.Add("<end_of_turn>", 0, PieceType::kControl);
  int32_t byte0 = b.Bytes();
  int32_t a = b.Add("a");
  auto t = b.Build();
  EXPECT_EQ(t->vocab_size(), b.spec.pieces.size());
  EXPECT_EQ(t->bos_id(), 2);
  EXPECT_EQ(t->eos_id(), 1);
  EXPECT_EQ(t->start_of_turn_id(), sot);
  EXPECT_EQ(t->end_of_turn_id(), eot);
  EXPECT_EQ(t->PieceToId("a"), a);
  EXPECT_EQ(t->PieceToId("zz"), -1);
  EXPECT_EQ(t->Piece(a), "a");
  EXPECT_EQ(t->Piece(-1), "");
  EXPECT_EQ(t->Piece(100000), "");
  EXPECT_EQ(t->Type(byte0), PieceType::kByte);
  EXPECT_EQ(t->ByteValue(byte0 + 0xAB), 0xAB);
  EXPECT_EQ(t->ByteValue(a), -1);
  EXPECT_EQ(t->ByteValue(-5), -1);
  EXPECT_FALSE(t->IsValid(-1));

  VocabBuilder nb;  // no turn markers
  nb.Specials();
  EXPECT_EQ(nb.Build()->start_of_turn_id(), -1);
}

TEST(TokenizerCreate, TypesInferredWhenAbsent) {
  VocabSpec s;
  s.pieces = {"<pad>", "<eos>", "<bos>", "<unk>", "<0x41>", "b"};
  auto t = Tokenizer::Create(s);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->Type(4), PieceType::kByte);
  EXPECT_EQ((*t)->Type(5), PieceType::kNormal);
  EXPECT_EQ((*t)->Encode("Ab"), (V{4, 5}));  // 'A' is not a piece -> byte 0x41
}

// Score mode: the best-scoring pair merges first, not the leftmost.
TEST(TokenizerEncode, ScoreModeBestFirstNotGreedy) {
  VocabBuilder b;
  b.Specials();
  int32_t a = b.Add("a", -10), bb = b.Add("b", -10), c = b.Add("c", -10);
  int32_t ab = b.Add("ab", -5), bc = b.Add("bc", -1);
  auto t = b.Build();
  // Greedy left-to-right would give [ab, c]; best-first merges "bc" (-1).
  EXPECT_EQ(t->Encode("abc"), (V{a, bc}));
  EXPECT_EQ(t->Encode("ab"), (V{ab}));
  EXPECT_EQ(t->Encode("cab"), (V{c, ab}));
  EXPECT_EQ(t->Encode("b"), (V{bb}));
}

TEST(TokenizerEncode, ScoreModeMultiStep) {
  VocabBuilder b;
  b.Specials();
  int32_t h = b.Add("h", -10), e = b.Add("e", -10), l = b.Add("l", -10), o = b.Add("o", -10);
  b.Add("he", -3);
  int32_t ll = b.Add("ll", -2);
  b.Add("hel", -4);
  int32_t hell = b.Add("hell", -4.5);
  int32_t lo = b.Add("lo", -1);
  auto t = b.Build();
  // lo (-1) first: h e l lo -> he (-3) -> he l lo -> "hel" (-4) -> hel lo.
  int32_t hel = t->PieceToId("hel");
  EXPECT_EQ(t->Encode("hello"), (V{hel, lo}));
  EXPECT_EQ(t->Encode("hell"), (V{hell}));  // ll(-2) > he(-3); he+ll = hell
  (void)h, (void)e, (void)l, (void)o, (void)ll;
}

TEST(TokenizerEncode, ScoreModeTiesGoLeftmost) {
  VocabBuilder b;
  b.Specials();
  int32_t a = b.Add("a", -10), aa = b.Add("aa", -1);
  auto t = b.Build();
  EXPECT_EQ(t->Encode("aaa"), (V{aa, a}));
  EXPECT_EQ(t->Encode("aaaa"), (V{aa, aa}));
  EXPECT_EQ(t->Encode("aaaaa"), (V{aa, aa, a}));
  // x y z with xy and yz scored equally: leftmost wins.
  VocabBuilder b2;
  b2.Specials();
  int32_t x = b2.Add("x"), y = b2.Add("y"), z = b2.Add("z");
  int32_t xy = b2.Add("xy", -2), yz = b2.Add("yz", -2);
  auto t2 = b2.Build();
  EXPECT_EQ(t2->Encode("xyz"), (V{xy, z}));
  (void)x, (void)y, (void)yz;
}

TEST(TokenizerEncode, ScoreModeOnlyNormalAndUserDefinedPiecesMerge) {
  VocabBuilder b;
  b.Specials();
  int32_t lt = b.Add("<"), p = b.Add("p"), gt = b.Add(">");
  b.Add("<unused0>", 0, PieceType::kUnused);
  int32_t u = b.Add("u"), n = b.Add("n");
  b.Add("<p", 5, PieceType::kUnused);  // unused: never produced by merges
  auto t = b.Build();
  EncodeOptions no_special;
  no_special.parse_special = false;
  EXPECT_EQ(t->Encode("<p>", no_special), (V{lt, p, gt}));
  EXPECT_EQ(t->Encode("un"), (V{u, n}));
}

// Merge-rank mode: rank order, not score, and not left-to-right.
TEST(TokenizerEncode, MergeRankMode) {
  VocabBuilder b;
  b.Specials();
  int32_t a = b.Add("a"), bb = b.Add("b"), c = b.Add("c");
  int32_t ab = b.Add("ab", 100), bc = b.Add("bc", -100), abc = b.Add("abc");
  b.spec.merges = {"b c", "a b"};
  auto t = b.Build();
  EXPECT_EQ(t->Encode("abc"), (V{a, bc}));  // "b c" has rank 0; scores ignored
  EXPECT_EQ(t->Encode("ab"), (V{ab}));

  b.spec.merges = {"a b", "b c", "ab c"};
  auto t2 = b.Build();
  EXPECT_EQ(t2->Encode("abc"), (V{abc}));
  EXPECT_EQ(t2->Encode("bcab"), (V{bc, ab}));
  b.spec.merges = {"a b", "b c"};
  auto t3 = b.Build();
  EXPECT_EQ(t3->Encode("abc"), (V{ab, c}));
  (void)bb;
}

TEST(TokenizerEncode, MergeRankTiesGoLeftmost) {
  VocabBuilder b;
  b.Specials();
  int32_t a = b.Add("a"), aa = b.Add("aa"), aaaa = b.Add("aaaa");
  b.spec.merges = {"a a", "aa aa"};
  auto t = b.Build();
  EXPECT_EQ(t->Encode("aaa"), (V{aa, a}));
  EXPECT_EQ(t->Encode("aaaa"), (V{aaaa}));
  EXPECT_EQ(t->Encode("aaaaaaa"), (V{aaaa, aa, a}));
}

TEST(TokenizerEncode, MergeLineWithSpaceInsidePiece) {
  VocabBuilder b;
  b.Specials();
  int32_t x = b.Add("x y"), z = b.Add("z"), xyz = b.Add("x yz");
  b.spec.merges = {"x y z"};  // only the split "x y" + "z" is valid
  auto t = b.Build();
  ASSERT_NE(t, nullptr);
  // Spaces become U+2581 before BPE, so "x y" can only come from the pieces.
  EXPECT_EQ(t->PieceToId("x yz"), xyz);
  (void)x, (void)z;
}

TEST(TokenizerEncode, ByteFallback) {
  VocabBuilder b;
  b.Specials();
  int32_t b0 = b.Bytes();
  int32_t a = b.Add("a");
  auto t = b.Build();
  // 中 = E4 B8 AD, 😀 = F0 9F 98 80.
  EXPECT_EQ(t->Encode("a\xE4\xB8\xAD"), (V{a, b0 + 0xE4, b0 + 0xB8, b0 + 0xAD}));
  EXPECT_EQ(t->Encode("\xF0\x9F\x98\x80"), (V{b0 + 0xF0, b0 + 0x9F, b0 + 0x98, b0 + 0x80}));
  EXPECT_EQ(t->Encode("Z"), (V{b0 + 'Z'}));
  // Invalid UTF-8 input: every invalid byte is its own symbol -> its byte.
  EXPECT_EQ(t->Encode("\xFF"
                      "a\xE4"
                      "a\x80\xC0\xAF"),
            (V{b0 + 0xFF, a, b0 + 0xE4, a, b0 + 0x80, b0 + 0xC0, b0 + 0xAF}));
  EXPECT_EQ(t->Encode("\xE4\xB8"), (V{b0 + 0xE4, b0 + 0xB8}));  // truncated at the end
  EXPECT_EQ(t->Encode("\xED\xA0\x80"), (V{b0 + 0xED, b0 + 0xA0, b0 + 0x80}));  // surrogate
  // NUL bytes are ordinary characters.
  EXPECT_EQ(t->Encode(std::string_view("\0a\0", 3)), (V{b0, a, b0}));
}

TEST(TokenizerEncode, ByteFallbackMergesThroughUnknownCharsInScoreMode) {
  // SentencePiece / llama.cpp: characters need not be pieces to merge.
  VocabBuilder b;
  b.Specials();
  b.Bytes();
  int32_t zh = b.Add("\xE4\xB8\xAD\xE6\x96\x87", -1);  // 中文
  auto t = b.Build();
  EXPECT_EQ(t->Encode("\xE4\xB8\xAD\xE6\x96\x87"), (V{zh}));
}

TEST(TokenizerEncode, UnknownWithoutBytePieces) {
  VocabBuilder b;
  b.Specials();
  int32_t a = b.Add("a");
  b.Add("<0x41>", 0, PieceType::kByte);  // only 'A' has a byte piece
  auto t = b.Build();
  // One <unk> per character whose bytes are not all available.
  EXPECT_EQ(t->Encode("a\xE4\xB8\xAD"
                      "a"),
            (V{a, 3, a}));
  EXPECT_EQ(t->Encode("A"), (V{4 + 1}));
}

TEST(TokenizerEncode, SpacesBecomeMetaspace) {
  VocabBuilder b;
  b.Specials();
  b.Bytes();
  int32_t ms = b.Add(kMs, -1), ms2 = b.Add(kMs + kMs, -0.5), ms3 = b.Add(kMs + kMs + kMs, -0.4);
  int32_t h = b.Add("h", -5), i = b.Add("i", -5), hi = b.Add("hi", -2),
          mshi = b.Add(kMs + "hi", -1.5);
  int32_t nl = b.Add("\n", -3);
  auto t = b.Build();
  EXPECT_EQ(t->Encode("hi"), (V{hi}));  // no dummy prefix
  EXPECT_EQ(t->Encode(" hi"), (V{mshi}));
  EXPECT_EQ(t->Encode("hi hi"), (V{hi, mshi}));
  EXPECT_EQ(t->Encode("   "), (V{ms3}));
  EXPECT_EQ(t->Encode("  hi"), (V{ms2, hi}));  // ▁▁ (-0.5) merges before hi (-2)
  EXPECT_EQ(t->Encode("\n\n \n"), (V{nl, nl, ms, nl}));
  EXPECT_EQ(t->Encode(""), V{});
  EncodeOptions bos;
  bos.add_bos = true;
  EXPECT_EQ(t->Encode("", bos), (V{2}));
  EXPECT_EQ(t->Encode("hi", bos), (V{2, hi}));
  (void)ms, (void)h, (void)i;
}

TEST(TokenizerEncode, AddSpacePrefix) {
  VocabBuilder b;
  b.Specials();
  b.Bytes();
  int32_t sot = b.Add("<start_of_turn>", 0, PieceType::kControl);
  int32_t mshi = b.Add(kMs + "hi", -1);
  b.Add("h", -5);
  b.Add("i", -5);
  b.Add("hi", -2);  // BPE reaches ▁hi only through a pair of pieces
  b.Add(kMs, -5);
  b.spec.add_space_prefix = true;
  auto t = b.Build();
  EXPECT_EQ(t->Encode("hi"), (V{mshi}));
  EXPECT_EQ(t->Encode("hi<start_of_turn>hi"), (V{mshi, sot, mshi}));
  EXPECT_EQ(t->Encode(""), V{});
}

TEST(TokenizerEncode, AddedTokensLeftmostLongest) {
  VocabBuilder b;
  b.Specials();
  b.Bytes();
  int32_t sot = b.Add("<start_of_turn>", 0, PieceType::kControl);
  int32_t nl = b.Add("\n", 0, PieceType::kUserDefined);
  int32_t nl2 = b.Add("\n\n", 0, PieceType::kUserDefined);
  int32_t ab = b.Add("ab", 0, PieceType::kUserDefined);
  int32_t bcd = b.Add("bcd", 0, PieceType::kUserDefined);
  int32_t s = b.Add("<s>", 0, PieceType::kUserDefined);
  int32_t sx = b.Add("<s>x", 0, PieceType::kUserDefined);
  int32_t c = b.Add("c"), d = b.Add("d"), lt = b.Add("<");
  int32_t unused = b.Add("<unused0>", 0, PieceType::kUnused);
  auto t = b.Build();
  EXPECT_EQ(t->Encode("\n\n\n"), (V{nl2, nl}));
  EXPECT_EQ(t->Encode("\n\n\n\n"), (V{nl2, nl2}));
  EXPECT_EQ(t->Encode("abcd"), (V{ab, c, d}));  // leftmost beats the longer "bcd"
  EXPECT_EQ(t->Encode("cbcd"), (V{c, bcd}));
  EXPECT_EQ(t->Encode("<s>x<s>"), (V{sx, s}));
  EXPECT_EQ(t->Encode("<<start_of_turn>"), (V{lt, sot}));
  EXPECT_EQ(t->Encode("<start_of_turn"), t->Encode("<start_of_turn", {.parse_special = false}));
  EXPECT_EQ(t->Encode("<bos><start_of_turn>\n"), (V{2, sot, nl}));
  EXPECT_EQ(t->Encode("<unk>"), (V{3}));  // HF and llama.cpp match <unk> as special
  // Unused and byte pieces are never matched from text.
  EXPECT_NE(t->Encode("<unused0>"), (V{unused}));
  EXPECT_EQ(t->Encode("<0x41>").size(), 6u);
}

TEST(TokenizerEncode, ParseSpecialOff) {
  VocabBuilder b;
  b.Specials();
  int32_t b0 = b.Bytes();
  int32_t sot = b.Add("<start_of_turn>", 0, PieceType::kControl);
  int32_t nl = b.Add("\n", 0, PieceType::kUserDefined);
  int32_t mask = b.Add("<mask>", 0, PieceType::kUserDefined);
  int32_t lt = b.Add("<"), gt = b.Add(">");
  auto t = b.Build();
  EncodeOptions off;
  off.parse_special = false;
  EXPECT_EQ(t->Encode("<start_of_turn>\n<mask>"), (V{sot, nl, mask}));
  V bos_chars = {lt, b0 + 'b', b0 + 'o', b0 + 's', gt};
  EXPECT_EQ(t->Encode("<bos>", off), bos_chars);
  EXPECT_EQ(t->Encode("<unk>", off).size(), 5u);
  V r = t->Encode("<start_of_turn>\n<mask>", off);
  ASSERT_EQ(r.size(), 17u);  // 15 characters, then the user-defined tokens
  EXPECT_EQ(r[15], nl);
  EXPECT_EQ(r[16], mask);
}

TEST(TokenizerEncode, EncodeIntoAppends) {
  VocabBuilder b;
  b.Specials();
  int32_t a = b.Add("a");
  auto t = b.Build();
  V ids = {7};
  t->EncodeInto("aa", {.add_bos = true}, &ids);
  EXPECT_EQ(ids, (V{7, 2, a, a}));
}

// A 1 MB line is one BPE segment: must finish quickly (O(n log n)).
TEST(TokenizerEncode, HugeSingleSegment) {
  VocabBuilder b;
  b.Specials();
  b.Bytes();
  std::vector<std::string> base = {"a", "b", "c", kMs};
  for (auto& p : base) b.Add(p, -10);
  // Pieces of length 2..4 over {a,b,c} with varying scores.
  std::mt19937 rng(42);
  std::vector<std::string> level = {"a", "b", "c"};
  for (int len = 2; len <= 4; ++len) {
    std::vector<std::string> next;
    for (auto& p : level)
      for (const char* c : {"a", "b", "c"}) next.push_back(p + c);
    for (auto& p : next) b.Add(p, -static_cast<float>(rng() % 1000) / 100.0f);
    level = next;
  }
  auto t = b.Build();
  std::string text;
  text.reserve(1 << 20);
  while (text.size() < (1u << 20)) text.push_back("abc "[rng() % 4]);
  V ids = t->Encode(text);
  EXPECT_GT(ids.size(), text.size() / 4);
  EXPECT_EQ(t->Decode(ids), text);
  // Merge-rank mode on a single repeated character (worst case for rescans).
  std::string same(1 << 20, 'a');
  VocabBuilder m;
  m.Specials();
  int32_t a = m.Add("a"), aa = m.Add("aa"), a4 = m.Add("aaaa");
  m.spec.merges = {"a a", "aa aa"};
  auto tm = m.Build();
  ids = tm->Encode(same);
  EXPECT_EQ(ids.size(), same.size() / 4);
  EXPECT_EQ(ids.front(), a4);
  (void)a, (void)aa;
}

}  // namespace
}  // namespace gemma

namespace gemma {
namespace {

// Merge-rank mode follows HF's BPE: an unknown character is split into its
// byte pieces before merging, so merges over byte pieces apply.
TEST(TokenizerEncode, MergeRankModeMergesBytePieces) {
  testing::VocabBuilder b;
  b.Specials();
  const int32_t b0 = b.Bytes();
  const int32_t a = b.Add("a"), e4b8 = b.Add("<0xE4><0xB8>");
  b.spec.merges = {"<0xE4> <0xB8>"};
  auto t = b.Build();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->Encode("a\xE4\xB8\xAD"), (std::vector<int32_t>{a, e4b8, b0 + 0xAD}));
}

}  // namespace
}  // namespace gemma
