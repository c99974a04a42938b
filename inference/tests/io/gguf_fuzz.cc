// libFuzzer entry point for the GGUF reader (built with -DGEMMA_FUZZ=ON, clang).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "io/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so ASan flags any read past the end.
  std::vector<uint8_t> bytes(data, data + size);
  auto f =
      gemma::GgufFile::FromMemory(std::span<const uint8_t>(bytes.data(), bytes.size()), "fuzz");
  if (!f.ok()) return 0;
  const gemma::GgufFile& g = **f;
  for (const auto& [key, value] : g.metadata()) {
    (void)value.ToDisplayString();
    (void)g.GetString(key);
    (void)g.GetUInt(key);
    (void)g.GetFloat(key);
    (void)g.GetBool(key);
    (void)g.GetStringArray(key);
    (void)g.GetFloatArray(key);
    (void)g.GetIntArray(key);
  }
  volatile uint8_t sink = 0;
  for (const gemma::GgufTensor& t : g.tensors()) {
    if (g.FindTensor(t.name) != &t) __builtin_trap();
    sink = sink + t.data[0] + t.data[t.n_bytes - 1];
  }
  return 0;
}
