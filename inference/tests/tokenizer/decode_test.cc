#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gemma/tokenizer.h"
#include "test_vocab.h"

namespace gemma {
namespace {

using testing::VocabBuilder;
using V = std::vector<int32_t>;
const std::string kMs = "\xE2\x96\x81";
const std::string kFFFD = "\xEF\xBF\xBD";

std::string Rep(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += kFFFD;
  return s;
}

// Gemma-like layout: specials, turn markers, <mask>, \n, ▁ runs, bytes, words.
struct DecodeVocab {
  VocabBuilder b;
  int32_t sot, eot, mask, nl, nl2, ms, ms2, b0, hello, world, a, unused;
  DecodeVocab() {
    b.Specials();
    sot = b.Add("<start_of_turn>", 0, PieceType::kControl);
    eot = b.Add("<end_of_turn>", 0, PieceType::kControl);
    mask = b.Add("<mask>", 0, PieceType::kUserDefined);
    nl = b.Add("\n", 0, PieceType::kUserDefined);
    nl2 = b.Add("\n\n", 0, PieceType::kUserDefined);
    ms2 = b.Add(kMs + kMs, 0, PieceType::kUserDefined);
    unused = b.Add("<unused0>", 0, PieceType::kUnused);
    b0 = b.Bytes();
    ms = b.Add(kMs, -1);
    hello = b.Add(kMs + "Hello", -2);
    world = b.Add(kMs + "world", -2);
    a = b.Add("a", -1);
    b.Add("Hello", -2);
    b.Add("user", -2);
  }
};

TEST(TokenizerDecode, HfRules) {
  DecodeVocab v;
  auto t = v.b.Build();
  const int32_t b0 = v.b0;
  struct Case {
    V ids;
    std::string expected, expected_skip;
  };
  const int32_t user = t->PieceToId("user"), hello_np = t->PieceToId("Hello");
  std::vector<Case> cases = {
      {{2, hello_np, v.world}, "<bos>Hello world", "Hello world"},
      {{0, 1, 2, 3}, "<pad><eos><bos><unk>", ""},
      {{v.sot, user, v.nl, v.eot}, "<start_of_turn>user\n<end_of_turn>", "user\n"},
      {{b0 + 0xE4, b0 + 0xB8, b0 + 0xAD}, "\xE4\xB8\xAD", "\xE4\xB8\xAD"},
      {{b0 + 0xE4, b0 + 0xB8}, Rep(2), Rep(2)},
      {{b0 + 0x80}, Rep(1), Rep(1)},
      {{b0 + 0xE4, v.a}, Rep(1) + "a", Rep(1) + "a"},
      {{b0 + 0xFF}, Rep(1), Rep(1)},
      {{b0 + 0xC0, b0 + 0x80}, Rep(2), Rep(2)},  // overlong
      {{b0}, std::string(1, '\0'), std::string(1, '\0')},
      {{b0 + 0xE4, v.ms, b0 + 0xB8, b0 + 0xAD}, Rep(1) + " " + Rep(2), Rep(1) + " " + Rep(2)},
      {{v.ms}, " ", " "},
      {{v.ms2, v.ms}, "   ", "   "},
      {{v.hello, v.world}, " Hello world", " Hello world"},
      {{v.nl2, v.nl}, "\n\n\n", "\n\n\n"},
      {{v.unused, v.mask}, "<unused0><mask>", "<unused0><mask>"},
      {{b0 + 0xF0, b0 + 0x9F, b0 + 0x98, b0 + 0x80}, "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
      {{b0 + 0xE4, b0 + 0xB8, b0 + 0xAD, b0 + 0xE4}, Rep(4), Rep(4)},  // valid 中 + lone E4
      {{b0 + 'A', b0 + 0xE4}, Rep(2), Rep(2)},
      {{b0 + 0xF0, b0 + 0x9F, b0 + 0x98}, Rep(3), Rep(3)},
      {{b0 + 0xED, b0 + 0xA0, b0 + 0x80}, Rep(3), Rep(3)},             // surrogate
      {{b0 + 0xF4, b0 + 0x90, b0 + 0x80, b0 + 0x80}, Rep(4), Rep(4)},  // > U+10FFFF
      // A skipped control token does not end a byte run (HF filters first).
      {{b0 + 0xE4, 2, b0 + 0xB8, b0 + 0xAD}, Rep(1) + "<bos>" + Rep(2), "\xE4\xB8\xAD"},
      {{-1, 99999, v.a}, "a", "a"},  // out-of-range ids are skipped
      {{}, "", ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(t->Decode(c.ids), c.expected) << testing::Ids(c.ids);
    EXPECT_EQ(t->Decode(c.ids, true), c.expected_skip) << testing::Ids(c.ids);
  }
}

std::string StreamAll(const Tokenizer& t, const V& ids, bool skip, bool check_deltas) {
  StreamingDetokenizer d(t, skip);
  std::string all, delta;
  for (int32_t id : ids) {
    delta.clear();
    d.Push(id, &delta);
    if (check_deltas) {
      // Every delta is whole characters: valid UTF-8 (U+FFFD included).
      EXPECT_EQ(t.Decode(t.Encode(delta)), delta);
    }
    all += delta;
  }
  delta.clear();
  d.Flush(&delta);
  return all + delta;
}

TEST(StreamingDetokenizer, MatchesDecodeOnCases) {
  DecodeVocab v;
  auto t = v.b.Build();
  const int32_t b0 = v.b0;
  std::vector<V> cases = {
      {b0 + 0xE4, b0 + 0xB8, b0 + 0xAD},
      {b0 + 0xE4, b0 + 0xB8, b0 + 0xAD, b0 + 0xE4},
      {b0 + 0xE4, b0 + 0xB8, b0 + 0xAD, b0 + 0xE4, v.a, b0 + 0x41},
      {b0 + 0x80, b0 + 0x41, b0 + 0x42, v.hello},
      {b0 + 0xE4, 2, b0 + 0xB8, b0 + 0xAD},
      {v.hello, v.world, v.nl},
  };
  for (const V& ids : cases) {
    for (bool skip : {false, true}) {
      EXPECT_EQ(StreamAll(*t, ids, skip, false), t->Decode(ids, skip)) << testing::Ids(ids);
    }
  }
}

TEST(StreamingDetokenizer, HoldsIncompleteCharacters) {
  DecodeVocab v;
  auto t = v.b.Build();
  StreamingDetokenizer d(*t);
  std::string out;
  d.Push(v.b0 + 0xE4, &out);
  d.Push(v.b0 + 0xB8, &out);
  d.Push(v.b0 + 0xAD, &out);
  EXPECT_EQ(out, "");  // complete, but the run may still turn invalid
  d.Push(v.hello, &out);
  EXPECT_EQ(out, "\xE4\xB8\xAD Hello");
  out.clear();
  d.Push(v.b0 + 0x80, &out);  // proven invalid: emitted at once
  EXPECT_EQ(out, kFFFD);
  d.Push(v.b0 + 0x41, &out);  // same run: also U+FFFD
  EXPECT_EQ(out, kFFFD + kFFFD);
  d.Flush(&out);
  EXPECT_EQ(out, kFFFD + kFFFD);
  out.clear();
  d.Push(v.b0 + 0x41, &out);  // a new run after Flush
  d.Flush(&out);
  EXPECT_EQ(out, "A");
  out.clear();
  d.Push(v.b0 + 0xE4, &out);
  d.Reset();
  d.Push(v.a, &out);
  EXPECT_EQ(out, "a");
}

TEST(StreamingDetokenizer, NoAllocationOncePresized) {
  DecodeVocab v;
  auto t = v.b.Build();
  StreamingDetokenizer d(*t);
  std::string out;
  out.reserve(1024);
  const char* data = out.data();
  for (int i = 0; i < 50; ++i) {
    out.clear();
    d.Push(v.hello, &out);
    d.Push(v.b0 + 0xE4, &out);
    d.Push(v.b0 + 0xB8, &out);
    d.Push(v.b0 + 0xAD, &out);
    d.Push(v.nl, &out);
  }
  EXPECT_EQ(out.data(), data);
  EXPECT_EQ(out, " Hello\xE4\xB8\xAD\n");
}

// Property: streaming == Decode for random id sequences rich in byte runs.
TEST(StreamingDetokenizer, RandomSequencesMatchDecode) {
  DecodeVocab v;
  auto t = v.b.Build();
  std::mt19937 rng(1234);
  const std::vector<uint8_t> interesting = {0x41, 0x00, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xA0,
                                            0xE4, 0xB8, 0xAD, 0xED, 0x9F, 0xF0, 0x9F, 0x98,
                                            0xF4, 0x8F, 0x90, 0xFF, 0xC0, 0xF8};
  const int vocab = static_cast<int>(t->vocab_size());
  for (int iter = 0; iter < 3000; ++iter) {
    V ids;
    int len = static_cast<int>(rng() % 24);
    for (int i = 0; i < len; ++i) {
      uint32_t r = rng() % 10;
      if (r < 6) {
        ids.push_back(v.b0 + interesting[rng() % interesting.size()]);
      } else if (r < 7) {
        ids.push_back(v.b0 + static_cast<int32_t>(rng() % 256));
      } else if (r < 9) {
        ids.push_back(static_cast<int32_t>(rng() % vocab));
      } else {
        ids.push_back(static_cast<int32_t>(rng() % 8) - 2);  // incl. invalid ids and specials
      }
    }
    for (bool skip : {false, true}) {
      ASSERT_EQ(StreamAll(*t, ids, skip, iter < 300), t->Decode(ids, skip))
          << testing::Ids(ids) << " skip=" << skip;
    }
  }
}

// Random valid UTF-8 (no U+2581) survives encode -> decode.
TEST(TokenizerRoundTrip, RandomUtf8) {
  DecodeVocab v;
  // More pieces so BPE has real merges to do.
  for (const char* p : {"ab", "abc", "b", "c", "ca", "\xE4\xB8\xAD", "\xE4\xB8\xAD\xE6\x96\x87"})
    v.b.Add(p, -3);
  v.b.Add(kMs + "a", -1.5);
  auto t = v.b.Build();
  std::mt19937 rng(99);
  auto append_cp = [](char32_t c, std::string* s) {
    if (c < 0x80) {
      s->push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (c >> 6)));
      s->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (c >> 12)));
      s->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (c >> 18)));
      s->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  };
  const std::vector<std::string> fragments = {"<bos>", "<start_of_turn>", "\n\n", "<mask>", "abc ",
                                              "  "};
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s;
    int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) {
      uint32_t r = rng() % 10;
      char32_t c;
      if (r < 4) {
        c = "abc \n"[rng() % 5];
      } else if (r < 6) {
        c = rng() % 0x80;
      } else if (r < 8) {
        c = 0x80 + rng() % (0x10000 - 0x80);
      } else if (r < 9) {
        c = 0x10000 + rng() % (0x110000 - 0x10000);
      } else {
        s += fragments[rng() % fragments.size()];
        continue;
      }
      if ((c >= 0xD800 && c <= 0xDFFF) || c == 0x2581) continue;
      append_cp(c, &s);
    }
    for (bool parse_special : {true, false}) {
      V ids = t->Encode(s, {.add_bos = false, .parse_special = parse_special});
      ASSERT_EQ(t->Decode(ids), s) << testing::Ids(ids);
      ASSERT_EQ(StreamAll(*t, ids, false, false), s);
    }
  }
}

}  // namespace
}  // namespace gemma
