// Test-only GGUF writer: builds GGUF byte buffers in memory, valid or broken
// on purpose (wrong magic/version/counts, raw values of any type id, tensors of
// any type, dims and offset).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/gguf.h"
#include "kernels/types.h"

namespace gemma::testing {

using Bytes = std::vector<uint8_t>;

// Little-endian encoders.
inline void PutU8(Bytes& b, uint8_t v) { b.push_back(v); }
inline void PutLE(Bytes& b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void PutU16(Bytes& b, uint16_t v) { PutLE(b, v, 2); }
inline void PutU32(Bytes& b, uint32_t v) { PutLE(b, v, 4); }
inline void PutU64(Bytes& b, uint64_t v) { PutLE(b, v, 8); }
inline void PutF32(Bytes& b, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  PutU32(b, u);
}
inline void PutF64(Bytes& b, double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  PutU64(b, u);
}
inline void PutStr(Bytes& b, std::string_view s) {
  PutU64(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}
inline void PutBytes(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }

// Encodes one scalar of a GGUF type (integers given as uint64 bits / int64, floats as double).
inline void PutScalar(Bytes& b, GgufType t, uint64_t bits) {
  switch (t) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool:
      PutLE(b, bits, 1);
      break;
    case GgufType::kU16:
    case GgufType::kI16:
      PutLE(b, bits, 2);
      break;
    case GgufType::kU32:
    case GgufType::kI32:
      PutLE(b, bits, 4);
      break;
    default:
      PutLE(b, bits, 8);
      break;
  }
}

class GgufBuilder {
 public:
  struct TensorSpec {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type = 0;
    std::optional<uint64_t> offset;         // auto: next aligned offset after the previous tensor
    uint64_t n_dims_override = UINT64_MAX;  // write this n_dims instead of dims.size()
  };

  // Header fields.
  GgufBuilder& Magic(std::string m) {
    magic_ = std::move(m);
    return *this;
  }
  GgufBuilder& Version(uint32_t v) {
    version_ = v;
    return *this;
  }
  GgufBuilder& TensorCountOverride(uint64_t n) {
    tensor_count_override_ = n;
    return *this;
  }
  GgufBuilder& KvCountOverride(uint64_t n) {
    kv_count_override_ = n;
    return *this;
  }
  // Alignment used to lay out the file (does not write general.alignment).
  GgufBuilder& LayoutAlignment(uint64_t a) {
    layout_alignment_ = a;
    return *this;
  }
  // Bytes of data section to write beyond the last tensor (or fewer: negative).
  GgufBuilder& ExtraDataBytes(int64_t n) {
    extra_data_ = n;
    return *this;
  }

  // Metadata: a whole pre-encoded entry (key, type and value), raw (any type
  // id, any encoded value bytes) and typed helpers.
  GgufBuilder& KvEncoded(Bytes entry) {
    kvs_.push_back(std::move(entry));
    return *this;
  }
  GgufBuilder& KvRaw(std::string_view key, uint32_t type, const Bytes& value) {
    Bytes kv;
    PutStr(kv, key);
    PutU32(kv, type);
    PutBytes(kv, value);
    kvs_.push_back(std::move(kv));
    return *this;
  }
  GgufBuilder& KvScalar(std::string_view key, GgufType t, uint64_t bits) {
    Bytes v;
    PutScalar(v, t, bits);
    return KvRaw(key, static_cast<uint32_t>(t), v);
  }
  GgufBuilder& KvU8(std::string_view k, uint8_t v) { return KvScalar(k, GgufType::kU8, v); }
  GgufBuilder& KvI8(std::string_view k, int8_t v) {
    return KvScalar(k, GgufType::kI8, static_cast<uint8_t>(v));
  }
  GgufBuilder& KvU16(std::string_view k, uint16_t v) { return KvScalar(k, GgufType::kU16, v); }
  GgufBuilder& KvI16(std::string_view k, int16_t v) {
    return KvScalar(k, GgufType::kI16, static_cast<uint16_t>(v));
  }
  GgufBuilder& KvU32(std::string_view k, uint32_t v) { return KvScalar(k, GgufType::kU32, v); }
  GgufBuilder& KvI32(std::string_view k, int32_t v) {
    return KvScalar(k, GgufType::kI32, static_cast<uint32_t>(v));
  }
  GgufBuilder& KvU64(std::string_view k, uint64_t v) { return KvScalar(k, GgufType::kU64, v); }
  GgufBuilder& KvI64(std::string_view k, int64_t v) {
    return KvScalar(k, GgufType::kI64, static_cast<uint64_t>(v));
  }
  GgufBuilder& KvBool(std::string_view k, bool v) {
    return KvScalar(k, GgufType::kBool, v ? 1 : 0);
  }
  GgufBuilder& KvF32(std::string_view k, float f) {
    Bytes v;
    PutF32(v, f);
    return KvRaw(k, static_cast<uint32_t>(GgufType::kF32), v);
  }
  GgufBuilder& KvF64(std::string_view k, double d) {
    Bytes v;
    PutF64(v, d);
    return KvRaw(k, static_cast<uint32_t>(GgufType::kF64), v);
  }
  GgufBuilder& KvString(std::string_view k, std::string_view s) {
    Bytes v;
    PutStr(v, s);
    return KvRaw(k, static_cast<uint32_t>(GgufType::kString), v);
  }
  // Array of scalars given as bits (sign-extended values are cut to the element width).
  GgufBuilder& KvArray(std::string_view k, GgufType elem, const std::vector<uint64_t>& bits) {
    Bytes v;
    PutU32(v, static_cast<uint32_t>(elem));
    PutU64(v, bits.size());
    for (uint64_t x : bits) PutScalar(v, elem, x);
    return KvRaw(k, static_cast<uint32_t>(GgufType::kArray), v);
  }
  GgufBuilder& KvArrayF32(std::string_view k, const std::vector<float>& xs) {
    Bytes v;
    PutU32(v, static_cast<uint32_t>(GgufType::kF32));
    PutU64(v, xs.size());
    for (float x : xs) PutF32(v, x);
    return KvRaw(k, static_cast<uint32_t>(GgufType::kArray), v);
  }
  GgufBuilder& KvArrayF64(std::string_view k, const std::vector<double>& xs) {
    Bytes v;
    PutU32(v, static_cast<uint32_t>(GgufType::kF64));
    PutU64(v, xs.size());
    for (double x : xs) PutF64(v, x);
    return KvRaw(k, static_cast<uint32_t>(GgufType::kArray), v);
  }
  GgufBuilder& KvArrayString(std::string_view k, const std::vector<std::string>& xs) {
    Bytes v;
    PutU32(v, static_cast<uint32_t>(GgufType::kString));
    PutU64(v, xs.size());
    for (const auto& x : xs) PutStr(v, x);
    return KvRaw(k, static_cast<uint32_t>(GgufType::kArray), v);
  }

  // Tensors.
  GgufBuilder& Tensor(std::string name, std::vector<uint64_t> dims, uint32_t type,
                      std::optional<uint64_t> offset = std::nullopt) {
    tensors_.push_back({std::move(name), std::move(dims), type, offset});
    return *this;
  }
  GgufBuilder& Tensor(std::string name, std::vector<uint64_t> dims, DType type,
                      std::optional<uint64_t> offset = std::nullopt) {
    return Tensor(std::move(name), std::move(dims), static_cast<uint32_t>(type), offset);
  }
  GgufBuilder& TensorSpecRaw(TensorSpec spec) {
    tensors_.push_back(std::move(spec));
    return *this;
  }

  // Bytes of a tensor's data: the real size for known types, else one byte per element.
  static uint64_t DataBytes(const TensorSpec& t) {
    uint64_t n = 1;
    for (uint64_t d : t.dims) {
      if (__builtin_mul_overflow(n, d, &n)) return 0;
    }
    if (t.dims.empty()) return 0;
    if (!IsKnownDType(t.type)) return n;
    const DType dt = static_cast<DType>(t.type);
    return n / DTypeBlockElems(dt) * DTypeBlockBytes(dt);
  }

  // Offsets the tensors get (explicit ones as given).
  std::vector<uint64_t> Offsets() const {
    std::vector<uint64_t> out;
    uint64_t next = 0;
    for (const auto& t : tensors_) {
      const uint64_t off = t.offset ? *t.offset : next;
      out.push_back(off);
      const uint64_t bytes = DataBytes(t);
      if (off < (uint64_t{1} << 40) && bytes < (uint64_t{1} << 40)) {
        next = std::max(next, AlignUp(off + bytes));
      }
    }
    return out;
  }

  // Offset of the data section in the built file.
  size_t DataStart() const { return static_cast<size_t>(AlignUp(HeaderBytes().size())); }

  Bytes Build() const {
    Bytes b = HeaderBytes();
    b.resize(static_cast<size_t>(AlignUp(b.size())), 0);
    // Data: cover every tensor that lies at a sane offset; fill with a pattern.
    const std::vector<uint64_t> offs = Offsets();
    uint64_t data_size = 0;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const uint64_t bytes = DataBytes(tensors_[i]);
      if (offs[i] < (uint64_t{1} << 28) && bytes < (uint64_t{1} << 28)) {
        data_size = std::max(data_size, offs[i] + bytes);
      }
    }
    int64_t total = static_cast<int64_t>(data_size) + extra_data_;
    if (total < 0) total = 0;
    const size_t start = b.size();
    b.resize(start + static_cast<size_t>(total));
    for (size_t i = start; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 131 + 7);
    return b;
  }

 private:
  uint64_t AlignUp(uint64_t x) const {
    return (x + layout_alignment_ - 1) / layout_alignment_ * layout_alignment_;
  }

  Bytes HeaderBytes() const {
    Bytes b;
    b.insert(b.end(), magic_.begin(), magic_.end());
    PutU32(b, version_);
    PutU64(b, tensor_count_override_ ? *tensor_count_override_ : tensors_.size());
    PutU64(b, kv_count_override_ ? *kv_count_override_ : kvs_.size());
    for (const auto& kv : kvs_) PutBytes(b, kv);
    const std::vector<uint64_t> offs = Offsets();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const auto& t = tensors_[i];
      PutStr(b, t.name);
      PutU32(b, static_cast<uint32_t>(t.n_dims_override != UINT64_MAX ? t.n_dims_override
                                                                      : t.dims.size()));
      for (uint64_t d : t.dims) PutU64(b, d);
      PutU32(b, t.type);
      PutU64(b, offs[i]);
    }
    return b;
  }

  std::string magic_ = "GGUF";
  uint32_t version_ = 3;
  std::optional<uint64_t> tensor_count_override_, kv_count_override_;
  uint64_t layout_alignment_ = 32;
  int64_t extra_data_ = 0;
  std::vector<Bytes> kvs_;
  std::vector<TensorSpec> tensors_;
};

}  // namespace gemma::testing
