// libFuzzer entry point for the SafeTensors reader (header length, JSON
// header, dtypes, shapes, offsets). Built with -DGEMMA_FUZZ=ON and clang.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so ASan flags any read past the end.
  std::vector<uint8_t> bytes(data, data + size);
  auto f = gemma::SafeTensorsFile::FromMemory(std::span<const uint8_t>(bytes.data(), bytes.size()),
                                              "fuzz");
  if (!f.ok()) return 0;
  volatile uint8_t sink = 0;
  for (const gemma::SafeTensor& t : (*f)->tensors()) {
    if ((*f)->Find(t.name) != &t) __builtin_trap();
    if (t.n_bytes() > 0) sink = sink + t.data[0] + t.data[t.n_bytes() - 1];
  }
  return 0;
}
