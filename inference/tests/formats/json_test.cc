#include "io/json.h"

#include <gtest/gtest.h>

namespace gemma {
namespace {

TEST(Json, ParsesValues) {
  auto v = ParseJson(
      R"( {"a": [1, -2.5, 1e3, true, false, null], "s": "x\u00e9\ud83d\ude00\n", "big": 18446744073709551615} )",
      "t");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const JsonValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items().size(), 6u);
  EXPECT_TRUE(a->items()[0].is_uint());
  EXPECT_EQ(a->items()[0].uint_value(), 1u);
  EXPECT_FALSE(a->items()[1].is_uint());
  EXPECT_DOUBLE_EQ(a->items()[1].number(), -2.5);
  EXPECT_FALSE(a->items()[2].is_uint());
  EXPECT_DOUBLE_EQ(a->items()[2].number(), 1000.0);
  EXPECT_TRUE(a->items()[3].bool_value());
  EXPECT_TRUE(a->items()[5].is_null());
  EXPECT_EQ(v->Find("s")->str(), "x\xc3\xa9\xf0\x9f\x98\x80\n");
  EXPECT_EQ(v->Find("big")->uint_value(), 18446744073709551615ull);
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(Json, RejectsBadInputWithOffsets) {
  for (const char* bad :
       {"", "{", "{\"a\":}", "[1,]", "{\"a\":1,\"a\":2}", "01", "\"\\x\"", "\"\x01\"", "\"\xff\"",
        "\"\\ud800\"", "[1] 2", "nul", "{\"a\" 1}", "1.", "-", "1e"}) {
    auto v = ParseJson(bad, "bad.json");
    EXPECT_FALSE(v.ok()) << bad;
    if (!v.ok()) {
      EXPECT_NE(v.status().message().find("bad.json: invalid JSON at byte"), std::string::npos)
          << v.status().message();
    }
  }
  auto dup = ParseJson("{\"k\": 1, \"k\": 2}", "d.json");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("duplicate key \"k\""), std::string::npos);
}

TEST(Json, DuplicateKeysInLargeObjects) {
  std::string s = "{";
  for (int i = 0; i < 100; ++i) s += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",";
  s += "\"k42\": 0}";
  auto v = ParseJson(s, "big.json");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("duplicate key \"k42\""), std::string::npos);
}

TEST(Json, DepthLimit) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_FALSE(ParseJson(deep, "deep", 64).ok());
  EXPECT_TRUE(ParseJson(deep, "deep", 128).ok());
}

}  // namespace
}  // namespace gemma
