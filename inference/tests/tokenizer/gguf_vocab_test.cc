// VocabFromGguf on the fixture model and on hand-written GGUF bytes.
#include "tokenizer/gguf_vocab.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gemma/tokenizer.h"
#include "io/gguf.h"
#include "test_vocab.h"

namespace gemma {
namespace {

using V = std::vector<int32_t>;
const std::string kMs = "\xE2\x96\x81";

std::unique_ptr<Tokenizer> LoadFixture() {
  const std::string path = std::string(GEMMA_FIXTURES_DIR) + "/models/gemma-tiny-f32.gguf";
  auto g = GgufFile::Open(path);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  if (!g.ok()) return nullptr;
  auto spec = VocabFromGguf(**g);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  if (!spec.ok()) return nullptr;
  EXPECT_EQ(spec->pieces.size(), 1000u);
  EXPECT_EQ(spec->bos_id, 2);
  EXPECT_EQ(spec->eos_id, 1);
  EXPECT_EQ(spec->unk_id, 3);
  EXPECT_EQ(spec->pad_id, 0);
  EXPECT_FALSE(spec->add_space_prefix);
  EXPECT_TRUE(spec->merges.empty());
  auto t = Tokenizer::Create(std::move(spec).value());
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

TEST(GgufVocab, FixtureLayout) {
  auto t = LoadFixture();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->Piece(4), "<mask>");
  EXPECT_EQ(t->Type(3), PieceType::kUnknown);
  EXPECT_EQ(t->Type(4), PieceType::kUserDefined);
  EXPECT_EQ(t->start_of_turn_id(), 5);
  EXPECT_EQ(t->end_of_turn_id(), 6);
  for (int b = 0; b < 256; ++b) ASSERT_EQ(t->ByteValue(7 + b), b);
  EXPECT_EQ(t->ByteValue(263), -1);
  EXPECT_EQ(t->Type(999), PieceType::kUnused);
}

TEST(GgufVocab, FixtureEncodeDecode) {
  auto t = LoadFixture();
  ASSERT_NE(t, nullptr);
  const int32_t hello = t->PieceToId(kMs + "hello"), world = t->PieceToId(kMs + "world");
  ASSERT_GE(hello, 0);
  ASSERT_GE(world, 0);
  EXPECT_EQ(t->Encode(" hello world"), (V{hello, world}));
  EXPECT_EQ(t->Encode(" hello world", {.add_bos = true}), (V{2, hello, world}));
  V turn = t->Encode("<start_of_turn>user\n hello<end_of_turn>\n");
  ASSERT_GE(turn.size(), 4u);
  EXPECT_EQ(turn.front(), 5);
  EXPECT_EQ(turn[turn.size() - 2], 6);
  EXPECT_EQ(turn.back(), t->PieceToId("\n"));
  V off = t->Encode("<start_of_turn>", {.parse_special = false});
  EXPECT_GT(off.size(), 1u);
  EXPECT_EQ(t->Encode("<mask>", {.parse_special = false}), (V{4}));
  EXPECT_GT(t->Encode("<unused0>").size(), 1u);  // unused pieces are not matched
  // Characters outside the synthetic vocab go to byte pieces.
  EXPECT_EQ(t->Encode("\xE4\xB8\xAD"), (V{7 + 0xE4, 7 + 0xB8, 7 + 0xAD}));
  for (const std::string& s :
       {std::string("Hello, world! The cat and the dog."), std::string(" start the model\n\nend"),
        std::string("caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87"),
        std::string("<bos><start_of_turn>model\n"), std::string("  \t tabs\tand   spaces ")}) {
    V ids = t->Encode(s);
    EXPECT_EQ(t->Decode(ids), s);
    for (int32_t id : ids) EXPECT_TRUE(t->IsValid(id));
  }
  EXPECT_EQ(t->Decode(V{2, hello, world, 1}, true), " hello world");
  EXPECT_EQ(t->Decode(V{2, hello, world, 1}), "<bos> hello world<eos>");
}

// ---- hand-written GGUF metadata --------------------------------------------

struct GgufWriter {
  std::vector<uint8_t> bytes;
  uint64_t n_kv = 0;
  GgufWriter() {
    Raw("GGUF", 4);
    U32(3);
    U64(0);  // tensors
    U64(0);  // kv count, patched in Finish()
  }
  void Raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void Str(const std::string& s) {
    U64(s.size());
    Raw(s.data(), s.size());
  }
  void Key(const std::string& k, uint32_t type) {
    Str(k);
    U32(type);
    ++n_kv;
  }
  void String(const std::string& k, const std::string& v) { Key(k, 8), Str(v); }
  void UInt32(const std::string& k, uint32_t v) { Key(k, 4), U32(v); }
  void Int32(const std::string& k, int32_t v) { Key(k, 5), Raw(&v, 4); }
  void Bool(const std::string& k, bool v) {
    Key(k, 7);
    uint8_t b = v;
    Raw(&b, 1);
  }
  void Strings(const std::string& k, const std::vector<std::string>& v) {
    Key(k, 9), U32(8), U64(v.size());
    for (auto& s : v) Str(s);
  }
  void Floats(const std::string& k, const std::vector<float>& v) {
    Key(k, 9), U32(6), U64(v.size());
    for (float f : v) Raw(&f, 4);
  }
  void Int32s(const std::string& k, const std::vector<int32_t>& v) {
    Key(k, 9), U32(5), U64(v.size());
    for (int32_t x : v) Raw(&x, 4);
  }
  std::vector<uint8_t> Finish() {
    std::vector<uint8_t> out = bytes;
    std::memcpy(out.data() + 16, &n_kv, 8);
    while (out.size() % 32) out.push_back(0);
    return out;
  }
};

const std::vector<std::string> kTokens = {"<pad>",  "<eos>", "<bos>", "<unk>",
                                          "<0x41>", kMs,     "a",     kMs + "a"};
const std::vector<float> kScores = {0, 0, 0, 0, 0, -3, -2, -1};
const std::vector<int32_t> kTypes = {3, 3, 3, 2, 6, 1, 1, 1};

struct Variant {
  std::string model = "llama";
  std::vector<std::string> tokens = kTokens;
  std::vector<float> scores = kScores;
  std::vector<int32_t> types = kTypes;
  bool with_scores = true, with_types = true;
  uint32_t bos = 2;
  int32_t unk = 3;
  bool space_prefix = false;
};

StatusOr<VocabSpec> Load(const Variant& v, std::vector<uint8_t>* storage) {
  GgufWriter w;
  w.String("general.architecture", "gemma");
  w.String("tokenizer.ggml.model", v.model);
  w.Strings("tokenizer.ggml.tokens", v.tokens);
  if (v.with_scores) w.Floats("tokenizer.ggml.scores", v.scores);
  if (v.with_types) w.Int32s("tokenizer.ggml.token_type", v.types);
  w.UInt32("tokenizer.ggml.bos_token_id", v.bos);
  w.UInt32("tokenizer.ggml.eos_token_id", 1);
  w.Int32("tokenizer.ggml.unknown_token_id", v.unk);
  w.Bool("tokenizer.ggml.add_space_prefix", v.space_prefix);
  *storage = w.Finish();
  auto g = GgufFile::FromMemory(*storage, "mem.gguf");
  if (!g.ok()) return g.status();
  return VocabFromGguf(**g);
}

TEST(GgufVocab, HandWritten) {
  std::vector<uint8_t> buf;
  Variant v;
  v.space_prefix = true;
  auto spec = Load(v, &buf);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->pieces, kTokens);
  EXPECT_EQ(spec->pad_id, 0);  // absent key -> default
  EXPECT_TRUE(spec->add_space_prefix);
  auto t = Tokenizer::Create(std::move(spec).value());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->Encode("a aA"), (V{7, 7, 4}));  // prefix: "▁a▁aA"

  Variant none;
  none.unk = -1;  // "no unknown token"
  auto s2 = Load(none, &buf);
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  EXPECT_EQ(s2->unk_id, -1);
}

void ExpectError(const Variant& v, StatusCode code, const std::string& key) {
  std::vector<uint8_t> buf;
  auto spec = Load(v, &buf);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), code) << spec.status().ToString();
  EXPECT_NE(spec.status().message().find("mem.gguf"), std::string::npos)
      << spec.status().ToString();
  EXPECT_NE(spec.status().message().find(key), std::string::npos) << spec.status().ToString();
}

TEST(GgufVocab, Errors) {
  Variant v;
  v.model = "gpt2";
  ExpectError(v, StatusCode::kUnsupported, "tokenizer.ggml.model");
  v = {};
  v.scores.pop_back();
  ExpectError(v, StatusCode::kCorruptData, "tokenizer.ggml.scores");
  v = {};
  v.types.push_back(1);
  ExpectError(v, StatusCode::kCorruptData, "tokenizer.ggml.token_type");
  v = {};
  v.types[6] = 9;
  ExpectError(v, StatusCode::kCorruptData, "tokenizer.ggml.token_type");
  v = {};
  v.types[6] = 6;  // "a" typed BYTE
  ExpectError(v, StatusCode::kCorruptData, "tokenizer.ggml.token_type");
  v = {};
  v.bos = 8;
  ExpectError(v, StatusCode::kCorruptData, "tokenizer.ggml.bos_token_id");
  v = {};
  v.with_scores = false;
  ExpectError(v, StatusCode::kNotFound, "tokenizer.ggml.scores");
  v = {};
  v.tokens.clear();
  v.scores.clear();
  v.types.clear();
  ExpectError(v, StatusCode::kCorruptData, "tokenizer.ggml.tokens");
}

}  // namespace
}  // namespace gemma
