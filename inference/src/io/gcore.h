// The .gcore model format: one memory-mappable file holding the model
// config, the tokenizer and the weights already in the kernels' layout, so a
// load is a header parse plus pointers into the map (docs/FORMATS.md).
//
//   0   magic "GCORE\r\n\x1a"
//   8   u32 major version (1; readers refuse other majors)
//   12  u32 minor version (additions older readers may ignore)
//   16  u64 file size (truncation check)
//   24  u64 metadata offset (64)   32  u64 metadata size
//   40  u64 data offset (multiple of 64)
//   48  u64 XXH64 of the metadata   56  u64 XXH64 of bytes [0, 56)
//   64  metadata: sections { u32 tag, u32 flags (1 = required), u64 size,
//       payload, zero padding to 8 }: "CONF" config key/values, "INFO"
//       display key/values, "VOCA" the vocabulary, "TENS" the tensor table
//   data: tensors at 64-byte aligned offsets, each with its XXH64 in TENS.
//
// The header and metadata checksums are verified on every open (metadata is
// small); tensor checksums only by VerifyTensors(), so opening does not read
// the weights.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gemma/status.h"
#include "gemma/tokenizer.h"
#include "io/mapped_file.h"
#include "io/parsed_file.h"
#include "kernels/types.h"

namespace gemma {

inline constexpr uint32_t kGcoreMajor = 1;
inline constexpr uint32_t kGcoreMinor = 0;
inline constexpr uint64_t kGcoreAlignment = 64;
// True if `bytes` starts with the .gcore magic.
bool IsGcoreMagic(std::span<const uint8_t> bytes);

// Tensor data layouts. Readers refuse layouts they do not know, so repacked
// layouts (e.g. rows interleaved for a SIMD kernel) can be added with new ids.
enum class GcoreLayout : uint32_t {
  kRowMajor = 0,  // rows one after another, each row in ggml's block layout (as GGUF)
};
const char* GcoreLayoutName(GcoreLayout l);

struct GcoreKv {
  enum class Type : uint8_t { kU64 = 0, kF64 = 1, kString = 2 };
  std::string key;
  Type type = Type::kU64;
  uint64_t u = 0;
  double f = 0;
  std::string s;
  static GcoreKv U64(std::string k, uint64_t v) { return {std::move(k), Type::kU64, v, 0, {}}; }
  static GcoreKv F64(std::string k, double v) { return {std::move(k), Type::kF64, 0, v, {}}; }
  static GcoreKv Str(std::string k, std::string v) {
    return {std::move(k), Type::kString, 0, 0, std::move(v)};
  }
  std::string ToDisplayString() const;
};

struct GcoreTensor {
  std::string name;
  DType type = DType::kF32;
  GcoreLayout layout = GcoreLayout::kRowMajor;
  std::vector<uint64_t> dims;  // GGUF order: dims[0] is contiguous
  uint64_t offset = 0;         // absolute, multiple of 64
  uint64_t n_bytes = 0;
  uint64_t checksum = 0;  // XXH64 of the data
  const uint8_t* data = nullptr;
};

class GcoreFile : public ParsedFile<GcoreFile> {
 public:
  static StatusOr<std::unique_ptr<GcoreFile>> Open(
      const std::string& path, MappedFile::Residency residency = MappedFile::Residency::kMap);
  static StatusOr<std::unique_ptr<GcoreFile>> FromMemory(std::span<const uint8_t> bytes,
                                                         std::string name);

  uint32_t minor_version() const { return minor_; }
  const std::vector<GcoreKv>& config() const { return config_; }
  const std::vector<GcoreKv>& info() const { return info_; }
  const std::vector<GcoreTensor>& tensors() const { return tensors_; }
  const GcoreTensor* FindTensor(std::string_view name) const;
  const GcoreKv* FindConfig(std::string_view key) const;

  // Typed config lookups; errors name the file and key.
  StatusOr<uint64_t> ConfigU64(std::string_view key) const;
  StatusOr<double> ConfigF64(std::string_view key) const;
  StatusOr<std::string> ConfigString(std::string_view key) const;
  StatusOr<VocabSpec> Vocab() const;

  // Hashes every tensor and compares with the stored checksums; the error
  // names the first tensor that differs. Reads the whole file.
  Status VerifyTensors(const std::function<void(float)>& progress = nullptr) const;

 private:
  friend class ParsedFile<GcoreFile>;
  GcoreFile() = default;
  Status Parse();
  Status ParseTensors(std::span<const uint8_t> payload);

  uint32_t minor_ = 0;
  std::vector<GcoreKv> config_, info_;
  std::span<const uint8_t> vocab_;
  std::vector<GcoreTensor> tensors_;
  std::unordered_map<std::string, size_t> index_;
};

class GcoreWriter {
 public:
  using DataFn = std::function<StatusOr<std::span<const uint8_t>>(size_t index,
                                                                  std::vector<uint8_t>* scratch)>;

  void SetConfig(std::vector<GcoreKv> kv) { config_ = std::move(kv); }
  void SetInfo(std::vector<GcoreKv> kv) { info_ = std::move(kv); }
  void SetVocab(const VocabSpec& vocab);
  Status AddTensor(std::string name, DType type, std::vector<uint64_t> dims,
                   GcoreLayout layout = GcoreLayout::kRowMajor);
  // Writes the file; data(i) returns tensor i's bytes, in order.
  Status Write(const std::string& path, const DataFn& data,
               const std::function<void(float)>& progress = nullptr) const;

 private:
  std::vector<uint8_t> Metadata(const std::vector<uint64_t>& checksums) const;

  std::vector<GcoreKv> config_, info_;
  std::vector<uint8_t> vocab_;
  std::vector<GcoreTensor> tensors_;
};

// The vocabulary section's encoding (gcore_vocab.cc).
std::vector<uint8_t> EncodeGcoreVocab(const VocabSpec& v);
StatusOr<VocabSpec> DecodeGcoreVocab(std::span<const uint8_t> bytes, const std::string& where);

}  // namespace gemma
