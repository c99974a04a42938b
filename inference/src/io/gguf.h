// GGUF v3 reader: parses the header, metadata and tensor table of a mapped
// file and validates them strictly; tensor data stays in the map (zero copy).
// Every error message names the file and the key or tensor at fault.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "gemma/status.h"
#include "io/mapped_file.h"
#include "io/parsed_file.h"
#include "kernels/types.h"

namespace gemma {

// GGUF metadata value types (the numbers stored in the file).
enum class GgufType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
const char* GgufTypeName(GgufType t);
// Bytes of one scalar of type t in a GGUF file; 0 for string and array.
size_t GgufScalarBytes(GgufType t);
inline bool IsUnsignedInt(GgufType t) {
  return t == GgufType::kU8 || t == GgufType::kU16 || t == GgufType::kU32 || t == GgufType::kU64;
}
inline bool IsSignedInt(GgufType t) {
  return t == GgufType::kI8 || t == GgufType::kI16 || t == GgufType::kI32 || t == GgufType::kI64;
}
inline bool IsFloat(GgufType t) { return t == GgufType::kF32 || t == GgufType::kF64; }

// One metadata value. Scalars of every integer width are held as int64/uint64,
// floats as double; arrays keep their element type and hold one vector.
struct GgufValue {
  GgufType type = GgufType::kU8;
  GgufType elem_type = GgufType::kU8;  // for kArray only
  std::variant<uint64_t, int64_t, double, bool, std::string, std::vector<uint64_t>,
               std::vector<int64_t>, std::vector<double>, std::vector<bool>,
               std::vector<std::string>>
      v;
  // Human-readable rendering (arrays abbreviated) for `gemma info`.
  std::string ToDisplayString(size_t max_array_items = 8) const;
};

struct GgufTensor {
  std::string name;
  DType type = DType::kF32;
  std::vector<uint64_t> dims;  // GGUF order: dims[0] is the contiguous one
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  uint64_t offset = 0;            // relative to the start of the data section
  const uint8_t* data = nullptr;  // points into the map
};

class GgufFile : public ParsedFile<GgufFile> {
 public:
  // Maps and parses `path`.
  static StatusOr<std::unique_ptr<GgufFile>> Open(
      const std::string& path, MappedFile::Residency residency = MappedFile::Residency::kMap);
  // Parses bytes that the caller keeps alive (tests, fuzzing). `name` is used
  // in error messages in place of a path.
  static StatusOr<std::unique_ptr<GgufFile>> FromMemory(std::span<const uint8_t> bytes,
                                                        std::string name);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* Find(std::string_view key) const;

  // Typed getters. A missing key is NotFound, a value of another type is
  // CorruptData; both messages name the file and the key. Integer getters
  // accept any integer type whose value fits.
  StatusOr<std::string> GetString(std::string_view key) const;
  StatusOr<uint64_t> GetUInt(std::string_view key) const;
  StatusOr<double> GetFloat(std::string_view key) const;  // f32, f64 or an integer
  StatusOr<bool> GetBool(std::string_view key) const;
  StatusOr<std::vector<std::string>> GetStringArray(std::string_view key) const;
  StatusOr<std::vector<double>> GetFloatArray(std::string_view key) const;
  StatusOr<std::vector<int64_t>> GetIntArray(std::string_view key) const;

  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* FindTensor(std::string_view name) const;

 private:
  friend class ParsedFile<GgufFile>;
  GgufFile() = default;
  Status Parse();

  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::unordered_map<std::string, size_t> metadata_index_;
  std::vector<GgufTensor> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace gemma
