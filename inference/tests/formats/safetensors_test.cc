// SafeTensors reader: valid files and every class of corrupt header.
#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

#include "io/xxhash64.h"

namespace gemma {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes File(const std::string& header, size_t data_bytes, bool pad = false) {
  std::string h = header;
  while (pad && h.size() % 8 != 0) h.push_back(' ');
  Bytes b;
  for (int i = 0; i < 8; ++i)
    b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(h.size()) >> (8 * i)));
  for (const char c : h) b.push_back(static_cast<uint8_t>(c));
  for (size_t i = 0; i < data_bytes; ++i) b.push_back(static_cast<uint8_t>(i));
  return b;
}

StatusOr<std::unique_ptr<SafeTensorsFile>> Parse(const Bytes& b) {
  return SafeTensorsFile::FromMemory(std::span<const uint8_t>(b.data(), b.size()),
                                     "bad.safetensors");
}

// Parsing fails with CorruptData and a message naming the file and `part`.
void ExpectCorrupt(const Bytes& b, const std::string& part) {
  auto f = Parse(b);
  ASSERT_FALSE(f.ok()) << "parsed: expected an error about " << part;
  EXPECT_EQ(f.status().code(), StatusCode::kCorruptData) << f.status().ToString();
  EXPECT_NE(f.status().message().find("bad.safetensors"), std::string::npos)
      << f.status().message();
  EXPECT_NE(f.status().message().find(part), std::string::npos) << f.status().message();
}

TEST(SafeTensors, ParsesTensorsAndMetadata) {
  const Bytes b = File(
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,3],"data_offsets":[16,28]},)"
      R"("a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"e":{"dtype":"I8","shape":[0],"data_offsets":[28,28]}})",
      28, true);
  auto f = Parse(b);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ((*f)->tensors().size(), 3u);
  const SafeTensor* t = (*f)->Find("b");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, "BF16");
  EXPECT_EQ(t->shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(t->n_bytes(), 12u);
  EXPECT_EQ(t->data, b.data() + (*f)->data_offset() + 16);
  EXPECT_EQ((*f)->data_offset() % 8, 0u);
  ASSERT_EQ((*f)->metadata().size(), 1u);
  EXPECT_EQ((*f)->metadata()[0].second, "pt");
  EXPECT_EQ((*f)->Find("zz"), nullptr);
}

TEST(SafeTensors, CorruptHeaders) {
  ExpectCorrupt(Bytes{1, 2, 3}, "too short");
  Bytes huge(16, 0);
  huge[7] = 1;  // header length 2^56
  ExpectCorrupt(huge, "runs past the end of the file");
  ExpectCorrupt(File("{\"a\":", 0), "invalid JSON");
  ExpectCorrupt(File("[1, 2]", 0), "does not start with '{'");
  ExpectCorrupt(File(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"
                     "xx",
                     8),
                "unexpected data after");
  ExpectCorrupt(File(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", 8),
                "unknown dtype 'Q4'");
  ExpectCorrupt(File(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})", 12),
                "span 12 bytes, but dtype F32 and shape [2] need 8");
  ExpectCorrupt(File(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8),
                "run past the end of the data");
  ExpectCorrupt(File(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
                "end before they begin");
  ExpectCorrupt(File(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
                "non-negative integers");
  ExpectCorrupt(File(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8), "two integers");
  ExpectCorrupt(File(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8), "\"dtype\"");
  ExpectCorrupt(File(R"({"a":[1]})", 8), "tensor 'a': entry is an array");
  ExpectCorrupt(File(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                     12),
                "overlap");
  ExpectCorrupt(
      File(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
          8),
      "duplicate key \"a\"");
  ExpectCorrupt(File(R"({"__metadata__":{"x":1}})", 0),
                "__metadata__ value of 'x' is not a string");
  ExpectCorrupt(
      File(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
      "overflows");
}

TEST(SafeTensors, TruncationAndBitFlipsNeverCrash) {
  const Bytes good = File(R"({"w":{"dtype":"F16","shape":[4,8],"data_offsets":[0,64]},)"
                          R"("n":{"dtype":"F32","shape":[8],"data_offsets":[64,96]}})",
                          96, true);
  ASSERT_TRUE(Parse(good).ok());
  for (size_t len = 0; len < good.size(); len += 7) {
    EXPECT_FALSE(Parse(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len))).ok())
        << len;
  }
  uint64_t seed = 1;
  for (int trial = 0; trial < 2000; ++trial) {
    Bytes m = good;
    seed = XxHash64(&seed, sizeof(seed));
    m[seed % (good.size() - 96)] ^= static_cast<uint8_t>(1u << (seed >> 32) % 8);
    auto f = Parse(m);  // must not crash; may parse (e.g. a flipped digit in range)
    if (f.ok()) {
      for (const SafeTensor& t : (*f)->tensors())
        EXPECT_LE(t.data + t.n_bytes(), m.data() + m.size());
    }
  }
}

TEST(SafeTensors, OpenNamesMissingFile) {
  auto f = SafeTensorsFile::Open("/nonexistent/model.safetensors");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("/nonexistent/model.safetensors"), std::string::npos);
}

TEST(XxHash64, KnownVectors) {
  EXPECT_EQ(XxHash64("", 0), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(XxHash64("a", 1), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(XxHash64("abc", 3), 0x44BC2CF5AD770999ull);
  const std::string s = "Nobody inspects the spammish repetition";
  EXPECT_EQ(XxHash64(s.data(), s.size()), 0xFBCEA83C8A378BF1ull);
}

}  // namespace
}  // namespace gemma
