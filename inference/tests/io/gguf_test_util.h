// Shared helpers for the GGUF reader tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "io/gguf_builder.h"

namespace gemma::testing {

inline std::string ModelPath(const std::string& file) {
  return std::string(GEMMA_FIXTURES_DIR) + "/models/" + file;
}

inline Bytes ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamsize n = in.tellg();
  Bytes b(static_cast<size_t>(n > 0 ? n : 0));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(b.data()), n);
  if (!in) return {};
  return b;
}

inline StatusOr<std::unique_ptr<GgufFile>> ParseBytes(const Bytes& b,
                                                      const std::string& name = "test.gguf") {
  return GgufFile::FromMemory(std::span<const uint8_t>(b.data(), b.size()), name);
}

// Expects parsing `b` to fail with `code` and a message containing the file
// name and every one of `parts`.
inline ::testing::AssertionResult FailsWith(const Bytes& b, StatusCode code,
                                            std::initializer_list<std::string> parts) {
  const std::string name = "broken-test.gguf";
  auto r = ParseBytes(b, name);
  if (r.ok()) return ::testing::AssertionFailure() << "parsed successfully";
  const Status s = r.status();
  if (s.code() != code) {
    return ::testing::AssertionFailure() << "code " << StatusCodeName(s.code()) << ", expected "
                                         << StatusCodeName(code) << ": " << s.message();
  }
  if (s.message().find(name) == std::string::npos) {
    return ::testing::AssertionFailure() << "message does not name the file: " << s.message();
  }
  for (const auto& p : parts) {
    if (s.message().find(p) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks '" << p << "': " << s.message();
    }
  }
  return ::testing::AssertionSuccess() << s.message();
}

}  // namespace gemma::testing
