// XXH64 (Yann Collet's xxHash, 64-bit variant), a fast non-cryptographic
// checksum: the .gcore format stores it for its metadata and each tensor.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gemma {

uint64_t XxHash64(const void* data, size_t size, uint64_t seed = 0);

}  // namespace gemma
