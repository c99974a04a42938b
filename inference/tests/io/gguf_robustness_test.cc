// Truncated and bit-flipped GGUF files: FromMemory must return an error or a
// valid file, never crash, hang or read out of bounds. Each input lives in a
// heap buffer of exactly its size, so ASan (build/io-asan) sees any overread.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "io/gguf_test_util.h"

namespace gemma::testing {
namespace {

// Touches everything a successful parse exposes, so sanitizers see any bad
// pointer or size.
void CheckParsed(const GgufFile& g, const Bytes& b) {
  const uint8_t* lo = b.data();
  const uint8_t* hi = b.data() + b.size();
  for (const auto& [key, value] : g.metadata()) {
    ASSERT_FALSE(key.empty());
    ASSERT_EQ(g.Find(key), &value);
    (void)value.ToDisplayString();
  }
  uint64_t checksum = 0;
  for (const GgufTensor& t : g.tensors()) {
    ASSERT_GE(t.dims.size(), 1u);
    ASSERT_LE(t.dims.size(), 4u);
    ASSERT_GT(t.n_bytes, 0u);
    ASSERT_GE(t.data, lo);
    ASSERT_LE(t.n_bytes, static_cast<uint64_t>(hi - t.data));
    ASSERT_EQ(t.offset % g.alignment(), 0u);
    ASSERT_EQ(g.FindTensor(t.name), &t);
    checksum += t.data[0] + t.data[t.n_bytes - 1];
  }
  (void)checksum;
}

// Parses b; returns true when it parsed.
bool ParseAndCheck(const Bytes& b) {
  auto r = ParseBytes(b, "mutant.gguf");
  if (!r.ok()) {
    EXPECT_FALSE(r.status().message().empty());
    EXPECT_NE(r.status().code(), StatusCode::kInternal) << r.status().message();
    return false;
  }
  CheckParsed(**r, b);
  return true;
}

class RobustnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = ReadFileBytes(ModelPath("gemma-tiny-q4_0.gguf"));
    ASSERT_EQ(file_.size(), 414816u);
    auto f = ParseBytes(file_);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    data_start_ = static_cast<size_t>((*f)->FindTensor("token_embd.weight")->data - file_.data());
    ASSERT_EQ(data_start_, 24864u);
  }
  Bytes file_;
  size_t data_start_ = 0;
};

TEST_F(RobustnessTest, EveryTruncationFails) {
  size_t n_checked = 0;
  auto check = [&](size_t n) {
    const Bytes b(file_.begin(), file_.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = ParseBytes(b, "truncated.gguf");
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
    ASSERT_EQ(r.status().code(), StatusCode::kCorruptData) << r.status().ToString();
    ++n_checked;
  };
  // Every length through the header, metadata, tensor infos and padding.
  for (size_t n = 0; n <= data_start_ + 64; ++n) {
    check(n);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Then a stride through the data section, and the last bytes.
  for (size_t n = data_start_ + 65; n < file_.size(); n += 997) check(n);
  for (size_t n = file_.size() - 40; n < file_.size(); ++n) check(n);
  EXPECT_GT(n_checked, 25000u);
}

TEST_F(RobustnessTest, BitFlipsInHeaderRegion) {
  std::mt19937_64 rng(0x6767756675ull);
  Bytes b = file_;  // exact size; mutated in place and restored
  int n_ok = 0, n_err = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    const int flips = 1 + static_cast<int>(rng() % 4);
    std::vector<std::pair<size_t, uint8_t>> saved;
    for (int k = 0; k < flips; ++k) {
      const size_t pos = rng() % data_start_;
      saved.emplace_back(pos, b[pos]);
      b[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    (ParseAndCheck(b) ? n_ok : n_err)++;
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) b[it->first] = it->second;
    if (::testing::Test::HasFailure()) FAIL() << "iteration " << iter;
  }
  ASSERT_EQ(b, file_);
  // Flips in token text keep the file valid; flips in lengths, types and counts break it.
  EXPECT_GT(n_ok, 100);
  EXPECT_GT(n_err, 100);
}

TEST_F(RobustnessTest, InterestingValuesInHeaderRegion) {
  // Overwrite 1, 4 or 8 bytes with values that stress lengths and counts.
  const uint64_t kValues[] = {0,          1,          2,          31,     32,
                              33,         0x7f,       0x80,       0xff,   0xffff,
                              0xffffffff, 1ull << 32, 1ull << 60, ~0ull,  ~0ull - 7,
                              1ull << 63, 24864,      414816,     414817, 0x100000000ull + 1};
  std::mt19937_64 rng(42);
  Bytes b = file_;
  int n_err = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    const int width = (iter % 3 == 0) ? 1 : (iter % 3 == 1) ? 4 : 8;
    const size_t pos = rng() % (data_start_ - static_cast<size_t>(width));
    const uint64_t v = kValues[rng() % std::size(kValues)];
    Bytes saved(b.begin() + static_cast<std::ptrdiff_t>(pos),
                b.begin() + static_cast<std::ptrdiff_t>(pos + static_cast<size_t>(width)));
    for (int i = 0; i < width; ++i)
      b[pos + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
    if (!ParseAndCheck(b)) ++n_err;
    std::copy(saved.begin(), saved.end(), b.begin() + static_cast<std::ptrdiff_t>(pos));
    if (::testing::Test::HasFailure()) FAIL() << "iteration " << iter;
  }
  ASSERT_EQ(b, file_);
  EXPECT_GT(n_err, 500);
}

// The fixture has no bool, 64-bit or float64 values: mutate a built file that
// has every value type too.
TEST(Robustness, MutationsOfAFileWithEveryType) {
  GgufBuilder gb;
  gb.KvU8("u8", 1)
      .KvI8("i8", -1)
      .KvU16("u16", 2)
      .KvI16("i16", -2)
      .KvU32("general.alignment", 64)
      .KvI32("i32", -3)
      .KvU64("u64", 4)
      .KvI64("i64", -4)
      .KvF32("f32", 1.5f)
      .KvF64("f64", 2.5)
      .KvBool("b", true)
      .KvString("s", "str")
      .KvArray("au8", GgufType::kU8, {1, 2})
      .KvArray("ai64", GgufType::kI64, {5})
      .KvArray("ab", GgufType::kBool, {1, 0})
      .KvArrayF64("af64", {1.0})
      .KvArrayString("as", {"x", "yz"})
      .LayoutAlignment(64)
      .Tensor("t0", {32, 2}, DType::kQ4_0)
      .Tensor("t1", {3, 2}, DType::kF16)
      .Tensor("t2", {64}, DType::kQ8_0)
      .Tensor("t3", {2, 2, 2, 2}, DType::kBF16);
  const Bytes full = gb.Build();
  ASSERT_TRUE(ParseAndCheck(full));
  for (size_t n = 0; n < full.size(); ++n) {
    ASSERT_FALSE(ParseAndCheck(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n))))
        << n;
  }
  std::mt19937_64 rng(7);
  Bytes b = full;
  const size_t header = gb.DataStart();
  for (int iter = 0; iter < 3000; ++iter) {
    const size_t pos = rng() % header;
    const uint8_t old = b[pos];
    b[pos] =
        (iter & 1) ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(old ^ (1u << (rng() % 8)));
    ParseAndCheck(b);
    b[pos] = old;
    if (::testing::Test::HasFailure()) FAIL() << "iteration " << iter;
  }
}

}  // namespace
}  // namespace gemma::testing
