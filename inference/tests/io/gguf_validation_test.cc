// Every validation rule of the GGUF reader, on files made by GgufBuilder, and
// the typed getters.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "io/gguf_test_util.h"

namespace gemma::testing {
namespace {

constexpr uint32_t kF32 = static_cast<uint32_t>(DType::kF32);

GgufBuilder ValidBuilder() {
  GgufBuilder b;
  b.KvString("general.architecture", "gemma")
      .KvU32("gemma.block_count", 2)
      .KvArrayString("tokenizer.ggml.tokens", {"<pad>", "<eos>", "<bos>"})
      .Tensor("token_embd.weight", {64, 3}, DType::kQ8_0)
      .Tensor("output_norm.weight", {64}, DType::kF32)
      .Tensor("blk.0.attn_q.weight", {32, 4}, DType::kQ4_0);
  return b;
}

TEST(GgufValid, MinimalFileParses) {
  const GgufBuilder gb = ValidBuilder();
  const Bytes b = gb.Build();
  auto f = ParseBytes(b, "mem.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.path(), "mem.gguf");
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 32u);
  EXPECT_EQ(g.file_size(), b.size());
  ASSERT_EQ(g.tensors().size(), 3u);
  const std::vector<uint64_t> offs = gb.Offsets();
  for (size_t i = 0; i < 3; ++i) {
    const GgufTensor& t = g.tensors()[i];
    EXPECT_EQ(t.offset, offs[i]);
    EXPECT_EQ(t.data, b.data() + gb.DataStart() + offs[i]) << t.name;  // zero copy
  }
  const GgufTensor* q = g.FindTensor("token_embd.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->type, DType::kQ8_0);
  EXPECT_EQ(q->n_elements, 192u);
  EXPECT_EQ(q->n_bytes, 6u * 34u);
  EXPECT_EQ(g.FindTensor("blk.0.attn_q.weight")->n_bytes, 4u * 18u);
  EXPECT_EQ(g.FindTensor("output_norm.weight")->n_bytes, 256u);
  EXPECT_EQ(g.FindTensor("nope"), nullptr);
  EXPECT_EQ(g.Find("nope"), nullptr);
}

TEST(GgufValid, Version2HasTheSameLayout) {
  const Bytes b = ValidBuilder().Version(2).Build();
  auto f = ParseBytes(b);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->version(), 2u);
  EXPECT_EQ((*f)->tensors().size(), 3u);
}

TEST(GgufValid, NoTensorsNeedsNoDataSection) {
  GgufBuilder gb;
  gb.KvString("general.architecture", "gemma");
  Bytes b = gb.Build();
  // Drop the padding too: a file without tensors may end after the metadata.
  b.resize(24 + 8 + 20 + 4 + 8 + 5);
  auto f = ParseBytes(b);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE((*f)->tensors().empty());
  EXPECT_EQ((*f)->GetString("general.architecture").value(), "gemma");
}

TEST(GgufValid, EveryValueTypeRoundTrips) {
  GgufBuilder gb;
  gb.KvU8("u8", 200)
      .KvI8("i8", -100)
      .KvU16("u16", 60000)
      .KvI16("i16", -30000)
      .KvU32("u32", 4000000000u)
      .KvI32("i32", -2000000000)
      .KvU64("u64", 18000000000000000000ull)
      .KvI64("i64", -9000000000000000000ll)
      .KvF32("f32", 0.25f)
      .KvF64("f64", -1.5e300)
      .KvBool("bool_t", true)
      .KvBool("bool_f", false)
      .KvString("str", "h\xc3\xa9llo \"q\"\n")
      .KvString("empty_str", "")
      .KvArray("a_u8", GgufType::kU8, {1, 2, 255})
      .KvArray("a_i8", GgufType::kI8, {static_cast<uint64_t>(-1), 5})
      .KvArray("a_u16", GgufType::kU16, {65535})
      .KvArray("a_i16", GgufType::kI16, {static_cast<uint64_t>(-2)})
      .KvArray("a_u32", GgufType::kU32, {7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
      .KvArray("a_i32", GgufType::kI32, {static_cast<uint64_t>(-3), 3})
      .KvArray("a_u64", GgufType::kU64, {UINT64_MAX})
      .KvArray("a_i64", GgufType::kI64, {static_cast<uint64_t>(INT64_MIN)})
      .KvArray("a_bool", GgufType::kBool, {1, 0, 1})
      .KvArrayF32("a_f32", {0.5f, -2.0f})
      .KvArrayF64("a_f64", {1e-300})
      .KvArrayString("a_str", {"a", "", "c\td"})
      .KvArray("a_empty", GgufType::kU32, {});
  const Bytes b = gb.Build();
  auto f = ParseBytes(b);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  ASSERT_EQ(g.metadata().size(), 27u);
  EXPECT_EQ(g.metadata()[0].first, "u8");
  EXPECT_EQ(g.metadata()[26].first, "a_empty");

  EXPECT_EQ(g.Find("u8")->type, GgufType::kU8);
  EXPECT_EQ(g.GetUInt("u8").value(), 200u);
  EXPECT_EQ(std::get<int64_t>(g.Find("i8")->v), -100);
  EXPECT_EQ(g.GetUInt("u16").value(), 60000u);
  EXPECT_EQ(std::get<int64_t>(g.Find("i16")->v), -30000);
  EXPECT_EQ(g.GetUInt("u32").value(), 4000000000u);
  EXPECT_EQ(std::get<int64_t>(g.Find("i32")->v), -2000000000);
  EXPECT_EQ(g.GetUInt("u64").value(), 18000000000000000000ull);
  EXPECT_EQ(std::get<int64_t>(g.Find("i64")->v), -9000000000000000000ll);
  EXPECT_EQ(g.GetFloat("f32").value(), 0.25);
  EXPECT_EQ(g.GetFloat("f64").value(), -1.5e300);
  EXPECT_EQ(g.GetFloat("u32").value(), 4e9);
  EXPECT_EQ(g.GetFloat("i8").value(), -100.0);
  EXPECT_TRUE(g.GetBool("bool_t").value());
  EXPECT_FALSE(g.GetBool("bool_f").value());
  EXPECT_EQ(g.GetString("str").value(), "h\xc3\xa9llo \"q\"\n");
  EXPECT_EQ(g.GetString("empty_str").value(), "");

  EXPECT_EQ(g.GetIntArray("a_u8").value(), (std::vector<int64_t>{1, 2, 255}));
  EXPECT_EQ(g.GetIntArray("a_i8").value(), (std::vector<int64_t>{-1, 5}));
  EXPECT_EQ(g.GetIntArray("a_u16").value(), (std::vector<int64_t>{65535}));
  EXPECT_EQ(g.GetIntArray("a_i16").value(), (std::vector<int64_t>{-2}));
  EXPECT_EQ(g.GetIntArray("a_i32").value(), (std::vector<int64_t>{-3, 3}));
  EXPECT_EQ(g.GetIntArray("a_i64").value(), (std::vector<int64_t>{INT64_MIN}));
  EXPECT_EQ(std::get<std::vector<bool>>(g.Find("a_bool")->v),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(g.GetFloatArray("a_f32").value(), (std::vector<double>{0.5, -2.0}));
  EXPECT_EQ(g.GetFloatArray("a_f64").value(), (std::vector<double>{1e-300}));
  EXPECT_EQ(g.GetFloatArray("a_i32").value(), (std::vector<double>{-3.0, 3.0}));
  EXPECT_EQ(g.GetStringArray("a_str").value(), (std::vector<std::string>{"a", "", "c\td"}));
  EXPECT_TRUE(g.GetIntArray("a_empty").value().empty());
  EXPECT_EQ(g.Find("a_u32")->elem_type, GgufType::kU32);

  // Display strings for `gemma info`.
  EXPECT_EQ(g.Find("u8")->ToDisplayString(), "200");
  EXPECT_EQ(g.Find("i64")->ToDisplayString(), "-9000000000000000000");
  EXPECT_EQ(g.Find("f32")->ToDisplayString(), "0.25");
  EXPECT_EQ(g.Find("f64")->ToDisplayString(), "-1.5e+300");
  EXPECT_EQ(g.Find("bool_t")->ToDisplayString(), "true");
  EXPECT_EQ(g.Find("str")->ToDisplayString(), "\"h\xc3\xa9llo \\\"q\\\"\\n\"");
  EXPECT_EQ(g.Find("a_u32")->ToDisplayString(3), "[7, 8, 9, ...] (10 x u32)");
  EXPECT_EQ(g.Find("a_u32")->ToDisplayString(0), "[...] (10 x u32)");
  EXPECT_EQ(g.Find("a_i8")->ToDisplayString(), "[-1, 5] (2 x i8)");
  EXPECT_EQ(g.Find("a_bool")->ToDisplayString(), "[true, false, true] (3 x bool)");
  EXPECT_EQ(g.Find("a_f32")->ToDisplayString(), "[0.5, -2] (2 x f32)");
  EXPECT_EQ(g.Find("a_str")->ToDisplayString(), "[\"a\", \"\", \"c\\td\"] (3 x string)");
  EXPECT_EQ(g.Find("a_empty")->ToDisplayString(), "[] (0 x u32)");
  EXPECT_STREQ(GgufTypeName(GgufType::kF64), "f64");
  EXPECT_STREQ(GgufTypeName(static_cast<GgufType>(99)), "invalid");
}

// ---- Getter errors --------------------------------------------------------

TEST(GgufGetters, ErrorsNameFileAndKey) {
  GgufBuilder gb;
  gb.KvString("s", "x")
      .KvI32("neg", -5)
      .KvF32("f", 1.0f)
      .KvArray("big", GgufType::kU64, {UINT64_MAX})
      .KvArray("ints", GgufType::kU32, {1})
      .KvBool("b", true);
  const Bytes b = gb.Build();
  auto f = ParseBytes(b, "getters.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;

  auto nf = g.GetString("missing.key");
  ASSERT_FALSE(nf.ok());
  EXPECT_EQ(nf.status().code(), StatusCode::kNotFound);
  EXPECT_NE(nf.status().message().find("getters.gguf"), std::string::npos);
  EXPECT_NE(nf.status().message().find("missing.key"), std::string::npos);
  for (const Status& s :
       {g.GetUInt("missing.key").status(), g.GetFloat("missing.key").status(),
        g.GetBool("missing.key").status(), g.GetStringArray("missing.key").status(),
        g.GetFloatArray("missing.key").status(), g.GetIntArray("missing.key").status()}) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound);
    EXPECT_NE(s.message().find("missing.key"), std::string::npos) << s.message();
  }

  auto check_wrong = [&](const Status& s, const std::string& key) {
    EXPECT_EQ(s.code(), StatusCode::kCorruptData) << s.ToString();
    EXPECT_NE(s.message().find("getters.gguf"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("'" + key + "'"), std::string::npos) << s.message();
  };
  check_wrong(g.GetString("f").status(), "f");
  check_wrong(g.GetUInt("s").status(), "s");
  check_wrong(g.GetUInt("f").status(), "f");
  check_wrong(g.GetUInt("neg").status(), "neg");
  check_wrong(g.GetFloat("s").status(), "s");
  check_wrong(g.GetFloat("b").status(), "b");
  check_wrong(g.GetBool("ints").status(), "ints");
  check_wrong(g.GetStringArray("ints").status(), "ints");
  check_wrong(g.GetStringArray("s").status(), "s");
  check_wrong(g.GetFloatArray("s").status(), "s");
  check_wrong(g.GetIntArray("f").status(), "f");
  check_wrong(g.GetIntArray("big").status(), "big");
  EXPECT_NE(g.GetString("f").status().message().find("f32"), std::string::npos);
  EXPECT_NE(g.GetStringArray("ints").status().message().find("array of u32"), std::string::npos);
  // Integer getters accept any integer type whose value fits.
  EXPECT_EQ(g.GetUInt("big").status().code(), StatusCode::kCorruptData);  // array, not scalar
  EXPECT_EQ(g.GetFloatArray("big").value(), (std::vector<double>{1.8446744073709552e19}));
}

// ---- Header ---------------------------------------------------------------

TEST(GgufInvalid, EmptyBuffer) {
  EXPECT_TRUE(FailsWith(Bytes{}, StatusCode::kCorruptData, {"empty"}));
}

TEST(GgufInvalid, BadMagic) {
  EXPECT_TRUE(
      FailsWith(ValidBuilder().Magic("GGML").Build(), StatusCode::kCorruptData, {"magic", "GGML"}));
  EXPECT_TRUE(FailsWith(ValidBuilder().Magic("FUGG").Build(), StatusCode::kCorruptData, {"magic"}));
  EXPECT_TRUE(FailsWith(Bytes{'G', 'G'}, StatusCode::kCorruptData, {"truncated", "magic"}));
}

TEST(GgufInvalid, UnsupportedVersion) {
  for (uint32_t v : {0u, 1u, 4u, 0xffffffffu}) {
    EXPECT_TRUE(FailsWith(ValidBuilder().Version(v).Build(), StatusCode::kUnsupported,
                          {"version " + std::to_string(v)}));
  }
  EXPECT_TRUE(FailsWith(ValidBuilder().Version(0x03000000u).Build(), StatusCode::kUnsupported,
                        {"big-endian"}));
}

TEST(GgufInvalid, TruncatedHeader) {
  const Bytes full = ValidBuilder().Build();
  for (size_t n : {size_t{6}, size_t{8}, size_t{12}, size_t{20}, size_t{23}}) {
    const Bytes b(full.begin(), full.begin() + n);
    EXPECT_TRUE(FailsWith(b, StatusCode::kCorruptData, {"truncated"})) << n;
  }
  EXPECT_TRUE(FailsWith(Bytes(full.begin(), full.begin() + 10), StatusCode::kCorruptData,
                        {"truncated", "tensor count"}));
  EXPECT_TRUE(FailsWith(Bytes(full.begin(), full.begin() + 20), StatusCode::kCorruptData,
                        {"truncated", "kv count"}));
}

TEST(GgufInvalid, EveryProperPrefixFails) {
  const Bytes full = ValidBuilder().Build();
  ASSERT_TRUE(ParseBytes(full).ok());
  for (size_t n = 0; n < full.size(); ++n) {
    const Bytes b(full.begin(), full.begin() + n);
    auto r = ParseBytes(b);
    ASSERT_FALSE(r.ok()) << "prefix " << n << " of " << full.size();
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData) << r.status().ToString();
  }
}

TEST(GgufInvalid, HugeCountsDoNotAllocate) {
  const uint64_t huge = uint64_t{1} << 60;
  EXPECT_TRUE(FailsWith(ValidBuilder().KvCountOverride(huge).Build(), StatusCode::kCorruptData,
                        {"kv count", std::to_string(huge)}));
  EXPECT_TRUE(FailsWith(ValidBuilder().TensorCountOverride(huge).Build(), StatusCode::kCorruptData,
                        {"tensor count", std::to_string(huge)}));
  EXPECT_TRUE(FailsWith(ValidBuilder().KvCountOverride(UINT64_MAX).Build(),
                        StatusCode::kCorruptData, {"kv count"}));
  EXPECT_TRUE(FailsWith(ValidBuilder().TensorCountOverride(UINT64_MAX).Build(),
                        StatusCode::kCorruptData, {"tensor count"}));
  // Plausible counts that still exceed what is there fail as truncation or garbage.
  auto r = ParseBytes(ValidBuilder().KvCountOverride(4).Build());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  // After the metadata only the tensor infos remain: re-checked there.
  GgufBuilder gb;
  gb.KvArrayString("tokenizer.ggml.tokens", std::vector<std::string>(200, "tok"))
      .TensorCountOverride(60);
  EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData,
                        {"tensor count 60", "left after the metadata"}));
}

// ---- Metadata -------------------------------------------------------------

Bytes ArrayHeader(GgufType elem, uint64_t count) {
  Bytes v;
  PutU32(v, static_cast<uint32_t>(elem));
  PutU64(v, count);
  return v;
}

TEST(GgufInvalid, HugeArrayCount) {
  const uint32_t arr = static_cast<uint32_t>(GgufType::kArray);
  for (GgufType et :
       {GgufType::kU8, GgufType::kU32, GgufType::kF64, GgufType::kString, GgufType::kBool}) {
    for (uint64_t n : {uint64_t{1} << 60, UINT64_MAX, uint64_t{1000}}) {
      GgufBuilder gb;
      gb.KvU32("ok", 1).KvRaw("tokenizer.ggml.scores", arr, ArrayHeader(et, n));
      EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData,
                            {"tokenizer.ggml.scores", std::to_string(n)}))
          << GgufTypeName(et) << " " << n;
    }
  }
}

TEST(GgufInvalid, StringLengthBeyondEnd) {
  for (uint64_t len : {uint64_t{1000}, uint64_t{1} << 62, UINT64_MAX, UINT64_MAX - 7}) {
    Bytes v;
    PutU64(v, len);
    v.insert(v.end(), {'a', 'b', 'c'});
    GgufBuilder gb;
    gb.KvRaw("general.name", static_cast<uint32_t>(GgufType::kString), v);
    EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData,
                          {"general.name", std::to_string(len), "past the end"}));
    // The same inside a string array.
    Bytes a = ArrayHeader(GgufType::kString, 2);
    PutStr(a, "fine");
    PutBytes(a, v);
    GgufBuilder gb2;
    gb2.KvRaw("tokenizer.ggml.tokens", static_cast<uint32_t>(GgufType::kArray), a);
    EXPECT_TRUE(FailsWith(gb2.Build(), StatusCode::kCorruptData,
                          {"tokenizer.ggml.tokens", std::to_string(len)}));
  }
  // A key whose length runs past the end.
  Bytes kv;
  PutU64(kv, 1u << 20);
  kv.insert(kv.end(), {'k', 'e', 'y'});
  EXPECT_TRUE(FailsWith(GgufBuilder().KvEncoded(kv).Build(), StatusCode::kCorruptData,
                        {"metadata entry #0", "key", "past the end"}));
  // A tensor name whose length runs past the end.
  Bytes tail;
  PutU64(tail, UINT64_MAX);
  Bytes file = GgufBuilder().TensorCountOverride(1).KvU32("a", 1).Build();
  file.resize(24 + 8 + 1 + 4 + 4);  // drop padding
  PutBytes(file, tail);
  file.resize(file.size() + 40, 'x');
  EXPECT_TRUE(FailsWith(file, StatusCode::kCorruptData, {"tensor info #0", "tensor name"}));
}

TEST(GgufInvalid, InvalidValueType) {
  for (uint32_t t : {13u, 100u, 0xffffffffu}) {
    GgufBuilder gb;
    gb.KvU32("a", 1).KvRaw("weird.key", t, Bytes(16, 0));
    EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData,
                          {"weird.key", "invalid value type " + std::to_string(t)}));
  }
}

TEST(GgufInvalid, InvalidArrayElementType) {
  Bytes v;
  PutU32(v, 13);
  PutU64(v, 1);
  PutU32(v, 0);
  GgufBuilder gb;
  gb.KvRaw("arr.key", static_cast<uint32_t>(GgufType::kArray), v);
  EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData,
                        {"arr.key", "invalid array element type 13"}));
}

TEST(GgufInvalid, NestedArray) {
  Bytes v = ArrayHeader(GgufType::kArray, 1);
  PutBytes(v, ArrayHeader(GgufType::kU8, 1));
  PutU8(v, 7);
  GgufBuilder gb;
  gb.KvRaw("nested.key", static_cast<uint32_t>(GgufType::kArray), v);
  EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData, {"nested.key", "nested"}));
}

TEST(GgufInvalid, DuplicateKey) {
  GgufBuilder gb;
  gb.KvU32("general.alignment", 32).KvString("dup.key", "a").KvU32("x", 1).KvString("dup.key", "b");
  EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData, {"dup.key", "duplicate key"}));
}

TEST(GgufInvalid, BadKeys) {
  EXPECT_TRUE(FailsWith(GgufBuilder().KvU32("a", 1).KvU32("", 1).Build(), StatusCode::kCorruptData,
                        {"metadata entry #1", "empty key"}));
  EXPECT_TRUE(FailsWith(GgufBuilder().KvU32("bad\xff", 1).Build(), StatusCode::kCorruptData,
                        {"bad\\xff", "UTF-8"}));
  EXPECT_TRUE(FailsWith(GgufBuilder().KvU32(std::string("nul\0x", 5), 1).Build(),
                        StatusCode::kCorruptData, {"nul\\x00x"}));
  EXPECT_TRUE(FailsWith(GgufBuilder().KvU32("\xc0\xaf", 1).Build(),  // overlong '/'
                        StatusCode::kCorruptData, {"UTF-8"}));
  EXPECT_TRUE(FailsWith(GgufBuilder().KvU32("\xed\xa0\x80", 1).Build(),  // surrogate
                        StatusCode::kCorruptData, {"UTF-8"}));
  EXPECT_TRUE(
      ParseBytes(GgufBuilder().KvU32("cl\xc3\xa9.\xe2\x96\x81.\xf0\x9f\x98\x80", 1).Build()).ok());
}

TEST(GgufInvalid, BoolOutOfRange) {
  GgufBuilder gb;
  gb.KvScalar("tokenizer.ggml.add_bos_token", GgufType::kBool, 2);
  EXPECT_TRUE(
      FailsWith(gb.Build(), StatusCode::kCorruptData, {"tokenizer.ggml.add_bos_token", "bool"}));
  GgufBuilder ga;
  ga.KvArray("bools", GgufType::kBool, {0, 1, 255});
  EXPECT_TRUE(FailsWith(ga.Build(), StatusCode::kCorruptData, {"bools", "255"}));
}

// ---- Alignment ------------------------------------------------------------

TEST(GgufAlignment, WrongType) {
  EXPECT_TRUE(FailsWith(ValidBuilder().KvU64("general.alignment", 32).Build(),
                        StatusCode::kCorruptData, {"general.alignment", "u32", "u64"}));
  EXPECT_TRUE(FailsWith(ValidBuilder().KvString("general.alignment", "32").Build(),
                        StatusCode::kCorruptData, {"general.alignment", "string"}));
  EXPECT_TRUE(FailsWith(ValidBuilder().KvI32("general.alignment", 32).Build(),
                        StatusCode::kCorruptData, {"general.alignment", "i32"}));
}

TEST(GgufAlignment, NotAPowerOfTwo) {
  for (uint32_t a : {0u, 3u, 48u, 0xffffffffu}) {
    EXPECT_TRUE(FailsWith(ValidBuilder().KvU32("general.alignment", a).Build(),
                          StatusCode::kCorruptData,
                          {"general.alignment", "power of two", std::to_string(a)}));
  }
}

TEST(GgufAlignment, CustomAlignmentIsHonoured) {
  for (uint32_t a : {1u, 8u, 64u, 4096u}) {
    GgufBuilder gb = ValidBuilder();
    gb.KvU32("general.alignment", a).LayoutAlignment(a);
    const Bytes b = gb.Build();
    auto f = ParseBytes(b);
    ASSERT_TRUE(f.ok()) << a << ": " << f.status().ToString();
    EXPECT_EQ((*f)->alignment(), a);
    EXPECT_EQ(gb.DataStart() % a, 0u);
    for (const GgufTensor& t : (*f)->tensors()) {
      EXPECT_EQ(t.data, b.data() + gb.DataStart() + t.offset);
    }
  }
  // A file laid out for 64 that claims 32 puts the data section elsewhere: the
  // tensors then run past the end of the file or land at other bytes; with
  // the default alignment but a 64-byte layout the last tensor runs off the end
  // unless the header happens to end on a 64-byte boundary. Not checked here.
}

TEST(GgufAlignment, OffsetNotAMultiple) {
  GgufBuilder gb;
  gb.Tensor("a.weight", {32}, DType::kF32, 0).Tensor("misaligned.weight", {8}, DType::kF32, 144);
  EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData,
                        {"misaligned.weight", "offset 144", "alignment 32"}));
  GgufBuilder g64;
  g64.KvU32("general.alignment", 64)
      .LayoutAlignment(64)
      .Tensor("a.weight", {8}, DType::kF32, 0)
      .Tensor("b.weight", {8}, DType::kF32, 32);
  EXPECT_TRUE(FailsWith(g64.Build(), StatusCode::kCorruptData, {"b.weight", "alignment 64"}));
}

// ---- Tensor infos ---------------------------------------------------------

TEST(GgufTensors, BadNDims) {
  GgufBuilder g0;
  g0.TensorSpecRaw({"zero.dims", {}, kF32, 0});
  EXPECT_TRUE(FailsWith(g0.Build(), StatusCode::kCorruptData, {"zero.dims", "n_dims is 0"}));
  GgufBuilder g5;
  g5.Tensor("five.dims", {1, 1, 1, 1, 1}, DType::kF32);
  EXPECT_TRUE(FailsWith(g5.Build(), StatusCode::kCorruptData, {"five.dims", "n_dims is 5"}));
  GgufBuilder gbig;
  GgufBuilder::TensorSpec s{"many.dims", {4}, kF32, 0};
  s.n_dims_override = 0xffffffffu;
  gbig.TensorSpecRaw(s);
  EXPECT_TRUE(FailsWith(gbig.Build(), StatusCode::kCorruptData, {"many.dims", "n_dims"}));
  // Four dims are fine.
  EXPECT_TRUE(ParseBytes(GgufBuilder().Tensor("four", {2, 3, 4, 5}, DType::kF16).Build()).ok());
}

TEST(GgufTensors, ZeroDimension) {
  GgufBuilder gb;
  gb.Tensor("ok.weight", {4}, DType::kF32).Tensor("empty.weight", {32, 0, 2}, DType::kF32);
  EXPECT_TRUE(
      FailsWith(gb.Build(), StatusCode::kCorruptData, {"empty.weight", "dimension 1 is 0"}));
}

TEST(GgufTensors, DimensionProductOverflow) {
  GgufBuilder gb;
  gb.Tensor("huge.weight", {uint64_t{1} << 32, uint64_t{1} << 32}, DType::kF32);
  EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData, {"huge.weight", "overflow"}));
  GgufBuilder g3;
  g3.Tensor("huge3.weight", {1u << 22, 1u << 22, 1u << 22}, DType::kF32);
  EXPECT_TRUE(FailsWith(g3.Build(), StatusCode::kCorruptData, {"huge3.weight", "overflow"}));
  // Product fits in u64 but the byte size does not.
  GgufBuilder gbytes;
  gbytes.Tensor("bytes.weight", {uint64_t{1} << 31, uint64_t{1} << 31}, DType::kF32);
  EXPECT_TRUE(FailsWith(gbytes.Build(), StatusCode::kCorruptData, {"bytes.weight"}));
}

TEST(GgufTensors, UnknownType) {
  // A real ggml type gemma-core does not handle: Unsupported, naming it.
  GgufBuilder gk;
  gk.Tensor("blk.0.ffn_up.weight", {256, 2}, 6u);
  EXPECT_TRUE(
      FailsWith(gk.Build(), StatusCode::kUnsupported, {"blk.0.ffn_up.weight", "type 6", "Q5_0"}));
  // An id no ggml has: corrupt.
  for (uint32_t t : {40u, 1000u, 0xffffffffu}) {
    GgufBuilder gb;
    gb.Tensor("bogus.weight", {32}, t);
    EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData,
                          {"bogus.weight", "tensor type " + std::to_string(t)}));
  }
  // Every known type parses (K-quants: rows of 256).
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ2_K,
                  DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    const Bytes b = GgufBuilder().Tensor("t", {256, 2}, t).Build();
    auto f = ParseBytes(b);
    ASSERT_TRUE(f.ok()) << DTypeName(t) << ": " << f.status().ToString();
    EXPECT_EQ((*f)->tensors()[0].type, t);
    EXPECT_EQ((*f)->tensors()[0].n_bytes, DTypeRowBytes(t, 256) * 2);
  }
  // Q8_K is an activation format only: no weight tensor has it.
  EXPECT_TRUE(FailsWith(GgufBuilder().Tensor("k8.weight", {256, 2}, 15u).Build(),
                        StatusCode::kUnsupported, {"k8.weight", "type 15"}));
}

TEST(GgufTensors, FirstDimNotAMultipleOfBlock) {
  EXPECT_TRUE(FailsWith(GgufBuilder().Tensor("q8.weight", {48, 2}, DType::kQ8_0).Build(),
                        StatusCode::kCorruptData, {"q8.weight", "48", "block size 32"}));
  EXPECT_TRUE(FailsWith(GgufBuilder().Tensor("q4k.weight", {128, 2}, DType::kQ4_K).Build(),
                        StatusCode::kCorruptData, {"q4k.weight", "128", "block size 256"}));
  EXPECT_TRUE(FailsWith(GgufBuilder().Tensor("q4.weight", {31}, DType::kQ4_0).Build(),
                        StatusCode::kCorruptData, {"q4.weight", "Q4_0"}));
  // Only dims[0] matters.
  EXPECT_TRUE(ParseBytes(GgufBuilder().Tensor("q4.weight", {32, 3}, DType::kQ4_0).Build()).ok());
}

TEST(GgufTensors, DataBeyondEndOfFile) {
  GgufBuilder gb;
  gb.Tensor("a.weight", {8}, DType::kF32).Tensor("far.weight", {8}, DType::kF32, 1u << 20);
  Bytes b = gb.Build();
  b.resize(gb.DataStart() + 64);
  EXPECT_TRUE(FailsWith(b, StatusCode::kCorruptData, {"far.weight", "past the end"}));
  // Offset + size overflowing u64.
  GgufBuilder go;
  go.Tensor("wrap.weight", {64}, DType::kF32, UINT64_MAX - 31);
  EXPECT_TRUE(FailsWith(go.Build(), StatusCode::kCorruptData, {"wrap.weight", "past the end"}));
  // The last tensor's data one byte short.
  EXPECT_TRUE(FailsWith(ValidBuilder().ExtraDataBytes(-1).Build(), StatusCode::kCorruptData,
                        {"blk.0.attn_q.weight", "past the end"}));
  // Extra bytes after the data are allowed.
  EXPECT_TRUE(ParseBytes(ValidBuilder().ExtraDataBytes(100).Build()).ok());
}

TEST(GgufTensors, DataSectionMissing) {
  GgufBuilder gb;
  gb.Tensor("only.weight", {4}, DType::kF32);
  Bytes b = gb.Build();
  b.resize(24 + 8 + 11 + 4 + 8 + 4 + 8);  // header and tensor info, no padding
  EXPECT_TRUE(FailsWith(b, StatusCode::kCorruptData, {"truncated", "data section"}));
}

TEST(GgufTensors, DuplicateName) {
  GgufBuilder gb;
  gb.Tensor("dup.weight", {8}, DType::kF32)
      .Tensor("other", {8}, DType::kF32)
      .Tensor("dup.weight", {8}, DType::kF32);
  EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData, {"dup.weight", "duplicate tensor"}));
}

TEST(GgufTensors, BadNames) {
  EXPECT_TRUE(FailsWith(GgufBuilder().Tensor("", {8}, DType::kF32).Build(),
                        StatusCode::kCorruptData, {"tensor info #0", "empty tensor name"}));
  EXPECT_TRUE(FailsWith(
      GgufBuilder().Tensor("a", {8}, DType::kF32).Tensor("b\x80", {8}, DType::kF32).Build(),
      StatusCode::kCorruptData, {"tensor info #1", "b\\x80", "UTF-8"}));
}

TEST(GgufTensors, OverlappingData) {
  // b starts inside a (a is 64 floats = 256 bytes).
  GgufBuilder gb;
  gb.Tensor("a.weight", {64}, DType::kF32, 0).Tensor("b.weight", {8}, DType::kF32, 128);
  EXPECT_TRUE(FailsWith(gb.Build(), StatusCode::kCorruptData, {"a.weight", "b.weight", "overlap"}));
  // Same offset, listed out of order.
  GgufBuilder gs;
  gs.Tensor("x", {8}, DType::kF32, 64)
      .Tensor("y", {8}, DType::kF32, 0)
      .Tensor("z", {8}, DType::kF32, 64);
  EXPECT_TRUE(FailsWith(gs.Build(), StatusCode::kCorruptData, {"'x'", "'z'", "overlap"}));
  // Adjacent is fine, in any order.
  GgufBuilder ga;
  ga.Tensor("late", {8}, DType::kF32, 256).Tensor("early", {64}, DType::kF32, 0);
  EXPECT_TRUE(ParseBytes(ga.Build()).ok());
}

TEST(GgufInvalid, MessagesUseTheGivenName) {
  const Bytes b = ValidBuilder().Version(9).Build();
  auto r = GgufFile::FromMemory(b, "my-name-for-it");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("my-name-for-it: ", 0), 0u) << r.status().message();
}

}  // namespace
}  // namespace gemma::testing
