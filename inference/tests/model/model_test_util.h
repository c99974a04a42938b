// Helpers for tests that run whole models: fixture paths, reading golden
// binaries, running a prompt through an Engine.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gemma/engine.h"
#include "gtest/gtest.h"

namespace gemma::test {

inline std::string FixturePath(const std::string& rel) {
  return std::string(GEMMA_FIXTURES_DIR) + "/" + rel;
}

inline std::vector<float> ReadFloats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

inline std::shared_ptr<const Model> LoadOrDie(const std::string& path) {
  auto m = Model::Load(path);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : nullptr;
}

inline std::unique_ptr<Engine> MakeEngine(std::shared_ptr<const Model> model, KvCacheType kv,
                                          size_t threads = 2, size_t max_batch = 512,
                                          size_t ctx = 256, size_t n_seq = 1) {
  EngineOptions o;
  o.num_threads = threads;
  o.kv_type = kv;
  o.max_batch_tokens = max_batch;
  o.context_length = ctx;
  o.max_sequences = n_seq;
  auto e = Engine::Create(std::move(model), o);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(*e) : nullptr;
}

// Runs tokens[begin, end) of sequence `seq` as one batch, logits for every
// token appended to *out.
inline Status RunChunk(Engine& e, const std::vector<int32_t>& tokens, size_t begin, size_t end,
                       std::vector<float>* out, int32_t seq = 0) {
  const size_t nv = e.model().info().n_vocab;
  std::vector<BatchToken> batch;
  for (size_t i = begin; i < end; ++i)
    batch.push_back({tokens[i], static_cast<int32_t>(i), seq, true});
  const size_t old = out->size();
  out->resize(old + batch.size() * nv);
  return e.Forward(batch, out->data() + old);
}

inline float MaxAbsDiff(const float* a, const float* b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) {
    const float d = std::fabs(a[i] - b[i]);
    if (!(d <= m)) m = d;  // NaN propagates as a failure
  }
  return m;
}

inline int32_t Argmax(const float* row, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (row[i] > row[best]) best = i;
  }
  return static_cast<int32_t>(best);
}

}  // namespace gemma::test
