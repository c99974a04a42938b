// Shared pieces of the format tests: fixture paths and the logits a model
// gives for a fixed prompt (one batch) followed by a few decode steps.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "gemma/engine.h"
#include "io/gguf.h"
#include "model/model_test_util.h"

namespace gemma::test {

inline std::unique_ptr<GgufFile> OpenFixture(const std::string& rel) {
  auto g = GgufFile::Open(FixturePath("models/" + rel));
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return g.ok() ? std::move(*g) : nullptr;
}

// pub_long32 (longer than every fixture's sliding window) as one batch, then
// 3 one-token decode steps through the KV cache (fixed tokens, so models that
// differ by rounding still see the same sequence): 35 rows of logits.
inline std::vector<float> ModelLogits(const std::shared_ptr<const Model>& model) {
  std::vector<int32_t> prompt = {2};
  for (int i = 0; i < 31; ++i) prompt.push_back(7 + (i * 53 + 5) % 990);
  auto engine = MakeEngine(model, KvCacheType::kF32, 2, 512, 64);
  std::vector<float> out;
  if (engine == nullptr) return out;
  EXPECT_TRUE(RunChunk(*engine, prompt, 0, prompt.size(), &out).ok());
  const size_t nv = model->info().n_vocab;
  for (int step = 0; step < 3; ++step) {
    const int32_t next = 100 + 101 * step;
    const BatchToken one{next, static_cast<int32_t>(prompt.size()), 0, true};
    prompt.push_back(next);
    out.resize(out.size() + nv);
    EXPECT_TRUE(engine->Forward({&one, 1}, out.data() + out.size() - nv).ok());
  }
  return out;
}

inline std::vector<float> LogitsOf(const std::string& path) {
  auto m = Model::Load(path);
  EXPECT_TRUE(m.ok()) << path << ": " << m.status().ToString();
  return m.ok() ? ModelLogits(*m) : std::vector<float>();
}

inline float MaxDiff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return 1e30f;
  return MaxAbsDiff(a.data(), b.data(), a.size());
}

// Expects `s` to fail with `code` and a message containing every part.
inline void ExpectError(const Status& s, StatusCode code,
                        std::initializer_list<std::string> parts) {
  ASSERT_FALSE(s.ok()) << "expected an error";
  EXPECT_EQ(s.code(), code) << s.ToString();
  for (const auto& p : parts)
    EXPECT_NE(s.message().find(p), std::string::npos) << "lacks '" << p << "': " << s.message();
}

}  // namespace gemma::test
