// SafeTensors reader (https://github.com/huggingface/safetensors):
//   u64 N (little endian), N bytes of JSON header, then the data buffer.
//   header = { "__metadata__": {str: str}?, name: {"dtype": "BF16",
//              "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ... }
// Offsets are relative to the data buffer. The file is memory-mapped and
// tensor data stays in the map (zero copy). Validation is strict: every error
// names the file and the tensor or header field at fault.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gemma/status.h"
#include "io/mapped_file.h"
#include "io/parsed_file.h"

namespace gemma {

struct SafeTensor {
  std::string name;
  std::string dtype;            // as written: "F32", "BF16", "I8", ...
  size_t elem_bytes = 0;        // bytes per element of dtype
  std::vector<uint64_t> shape;  // row-major (numpy order): shape.back() is contiguous
  uint64_t n_elements = 1;
  uint64_t begin = 0, end = 0;    // data_offsets, relative to the data buffer
  const uint8_t* data = nullptr;  // points into the map (or the caller's bytes)
  uint64_t n_bytes() const { return end - begin; }
};

class SafeTensorsFile : public ParsedFile<SafeTensorsFile> {
 public:
  // The largest header accepted (the reference implementation's limit).
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

  static StatusOr<std::unique_ptr<SafeTensorsFile>> Open(const std::string& path);
  // Parses bytes the caller keeps alive (tests, fuzzing); `name` stands in
  // for a path in messages.
  static StatusOr<std::unique_ptr<SafeTensorsFile>> FromMemory(std::span<const uint8_t> bytes,
                                                               std::string name);

  uint64_t data_offset() const { return data_offset_; }                // 8 + N
  const std::vector<SafeTensor>& tensors() const { return tensors_; }  // header order
  const SafeTensor* Find(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

 private:
  friend class ParsedFile<SafeTensorsFile>;
  SafeTensorsFile() = default;
  Status Parse();

  uint64_t data_offset_ = 0;
  std::vector<SafeTensor> tensors_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

// Bytes per element of a SafeTensors dtype name; 0 if unknown.
size_t SafeTensorsDTypeBytes(std::string_view dtype);

}  // namespace gemma
