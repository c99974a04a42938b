// ONNX model reader: parses the ModelProto protobuf by hand (no protobuf
// library) far enough to list the graph's initializers (TensorProto: name,
// dims, data_type, raw_data / float_data / int32_data, or external data
// location / offset / length) and its nodes (name, op_type, inputs). The
// .onnx file and every external data file are memory-mapped; raw and
// external tensor data stay in the maps (zero copy). Only typed value fields
// (float_data, int32_data) are copied. Errors name the file and initializer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gemma/status.h"
#include "io/mapped_file.h"
#include "io/parsed_file.h"

namespace gemma {

// TensorProto.DataType values gemma-core reads.
enum OnnxDataType : int32_t {
  kOnnxFloat = 1,
  kOnnxUint8 = 2,
  kOnnxInt8 = 3,
  kOnnxInt32 = 6,
  kOnnxInt64 = 7,
  kOnnxFloat16 = 10,
  kOnnxDouble = 11,
  kOnnxBFloat16 = 16,
};
const char* OnnxDataTypeName(int32_t t);  // "FLOAT", "FLOAT16", ... or "type N"
size_t OnnxDataTypeBytes(int32_t t);      // 0 for types without a fixed size

struct OnnxTensor {
  std::string name;
  int32_t data_type = 0;
  std::vector<uint64_t> dims;  // row-major (numpy order)
  uint64_t n_elements = 1;
  const uint8_t* data = nullptr;  // little-endian values; null if the type has no fixed size
  uint64_t n_bytes = 0;
  std::string location;  // external data file ("" = stored in the .onnx)
  uint64_t offset = 0;   // within `location`
};

struct OnnxNode {
  std::string name;
  std::string op_type;
  std::vector<std::string> inputs;
};

class OnnxModel : public ParsedFile<OnnxModel> {
 public:
  // Maps `path` and the external data files it names (relative to its
  // directory; absolute paths and ".." are refused).
  static StatusOr<std::unique_ptr<OnnxModel>> Open(const std::string& path);
  // Parses bytes the caller keeps alive (tests, fuzzing); external data is
  // looked up in `dir`. `name` stands in for a path in messages.
  static StatusOr<std::unique_ptr<OnnxModel>> FromMemory(std::span<const uint8_t> bytes,
                                                         std::string name, std::string dir);

  const std::string& producer() const { return producer_; }
  int64_t ir_version() const { return ir_version_; }
  const std::vector<OnnxTensor>& initializers() const { return initializers_; }
  const std::vector<OnnxNode>& nodes() const { return nodes_; }
  const OnnxTensor* FindInitializer(std::string_view name) const;
  // External data files that were mapped (for `gemma info`).
  std::vector<std::string> external_files() const;

 private:
  friend class ParsedFile<OnnxModel>;
  OnnxModel() = default;
  Status Parse();
  Status ParseGraph(std::span<const uint8_t> graph);
  Status ParseTensor(std::span<const uint8_t> bytes, size_t index, OnnxTensor* t);
  Status ResolveExternal(OnnxTensor* t, const std::map<std::string, std::string>& info);

  std::string dir_;
  std::string producer_;
  int64_t ir_version_ = 0;
  std::map<std::string, std::unique_ptr<MappedFile>> external_;
  std::vector<std::unique_ptr<uint8_t[]>> owned_;
  std::vector<OnnxTensor> initializers_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<OnnxNode> nodes_;
};

}  // namespace gemma
