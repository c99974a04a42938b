// libFuzzer entry point for the ONNX ModelProto walker (initializers, nodes,
// external data references). Built with -DGEMMA_FUZZ=ON and clang.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "io/onnx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  auto m = gemma::OnnxModel::FromMemory(std::span<const uint8_t>(bytes.data(), bytes.size()),
                                        "fuzz", "/nonexistent-onnx-fuzz-dir");
  if (!m.ok()) return 0;
  volatile uint8_t sink = 0;
  for (const gemma::OnnxTensor& t : (*m)->initializers()) {
    if ((*m)->FindInitializer(t.name) != &t) __builtin_trap();
    if (t.data != nullptr && t.n_bytes > 0) sink = sink + t.data[0] + t.data[t.n_bytes - 1];
  }
  for (const gemma::OnnxNode& n : (*m)->nodes())
    sink = sink + static_cast<uint8_t>(n.inputs.size());
  return 0;
}
