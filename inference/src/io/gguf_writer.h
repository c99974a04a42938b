// GGUF v3 writer: metadata in insertion order, tensor infos, then tensor
// data, each tensor aligned to general.alignment (default 32) - the layout
// llama.cpp and GgufFile read. Tensor bytes are pulled one tensor at a time
// from a callback, so converting a model never holds a second copy of it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gemma/status.h"
#include "io/gguf.h"
#include "kernels/types.h"

namespace gemma {

// Metadata value constructors.
GgufValue GgufString(std::string s);
GgufValue GgufU32(uint32_t v);
GgufValue GgufF32(float v);
GgufValue GgufBool(bool v);
GgufValue GgufStringArray(std::vector<std::string> v);
GgufValue GgufF32Array(const std::vector<float>& v);
GgufValue GgufI32Array(const std::vector<int32_t>& v);

class GgufWriter {
 public:
  struct Tensor {
    std::string name;
    DType type = DType::kF32;
    std::vector<uint64_t> dims;  // GGUF order: dims[0] is contiguous
    uint64_t n_bytes = 0;
  };
  // Returns the bytes of tensor `index` (exactly its n_bytes); `scratch` may
  // be used as storage for them.
  using DataFn = std::function<StatusOr<std::span<const uint8_t>>(size_t index,
                                                                  std::vector<uint8_t>* scratch)>;

  // Replaces the value of an existing key in place, else appends the key.
  void Set(const std::string& key, GgufValue value);
  // Inserts (or replaces) `key` right after `after` (appends if absent).
  void SetAfter(const std::string& after, const std::string& key, GgufValue value);
  void Remove(const std::string& key);
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }

  Status AddTensor(std::string name, DType type, std::vector<uint64_t> dims);
  const std::vector<Tensor>& tensors() const { return tensors_; }

  Status Write(const std::string& path, const DataFn& data,
               const std::function<void(float)>& progress = nullptr) const;

 private:
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace gemma
