// libFuzzer: VocabFromTokenizerJsonText on any bytes; a vocabulary that loads
// must also build, encode and decode without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto spec = gemma::VocabFromTokenizerJsonText(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (spec.ok()) gemma::fuzz::Exercise(std::move(spec).value());
  return 0;
}
