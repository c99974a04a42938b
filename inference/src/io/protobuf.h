// Protocol Buffers wire-format reader over a bounded byte range: enough to
// walk messages field by field (ONNX ModelProto) without generated code.
// Every read is bounds-checked; a failed read leaves the reader unusable and
// returns false.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

namespace gemma::pb {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

class Reader {
 public:
  Reader() = default;
  explicit Reader(std::span<const uint8_t> b) : p_(b.data()), end_(b.data() + b.size()) {}

  bool done() const { return p_ >= end_; }
  const uint8_t* pos() const { return p_; }

  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      const uint8_t b = *p_++;
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }
  bool Fixed32(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    std::memcpy(v, p_, 4);
    p_ += 4;
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    std::memcpy(v, p_, 8);
    p_ += 8;
    return true;
  }
  // A length-delimited field's payload (points into the buffer).
  bool Bytes(std::span<const uint8_t>* v) {
    uint64_t len;
    if (!Varint(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
    *v = std::span<const uint8_t>(p_, static_cast<size_t>(len));
    p_ += len;
    return true;
  }
  // A field key; field numbers are 1 .. 2^29 - 1.
  bool Key(uint32_t* field, uint32_t* wire_type) {
    uint64_t k;
    if (!Varint(&k) || (k >> 3) == 0 || (k >> 3) > 0x1fffffff) return false;
    *field = static_cast<uint32_t>(k >> 3);
    *wire_type = static_cast<uint32_t>(k & 7);
    return true;
  }
  // Skips a field of the given wire type (deprecated groups are refused).
  bool Skip(uint32_t wire_type) {
    uint64_t v;
    std::span<const uint8_t> s;
    switch (wire_type) {
      case kVarint:
        return Varint(&v);
      case kFixed64:
        return Fixed64(&v);
      case kLen:
        return Bytes(&s);
      case kFixed32: {
        uint32_t x;
        return Fixed32(&x);
      }
      default:
        return false;
    }
  }

 private:
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
};

}  // namespace gemma::pb
