// Little-endian byte encoding for the .gcore writer, and a bounds-checked
// reader for its parser: every read fails (returns false) instead of
// running past the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gemma::bytes {

class Writer {
 public:
  void U8(uint8_t v) { b_.push_back(v); }
  void U32(uint32_t v) { LE(v, 4); }
  void U64(uint64_t v) { LE(v, 8); }
  void I32(int32_t v) { LE(static_cast<uint32_t>(v), 4); }
  void F32(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    U32(u);
  }
  void F64(double d) {
    uint64_t u;
    std::memcpy(&u, &d, 8);
    U64(u);
  }
  void Raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
  }
  void Str(std::string_view s) {  // u32 length + bytes
    U32(static_cast<uint32_t>(s.size()));
    Raw(s.data(), s.size());
  }
  void PadTo(size_t alignment) {
    while (b_.size() % alignment != 0) b_.push_back(0);
  }
  void PatchU64(size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) b_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  size_t size() const { return b_.size(); }
  std::vector<uint8_t>& bytes() { return b_; }

 private:
  void LE(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> b_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return b_.size() - pos_; }
  bool done() const { return pos_ == b_.size(); }

  bool U8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = b_[pos_++];
    return true;
  }
  bool U32(uint32_t* v) { return LE(v); }
  bool U64(uint64_t* v) { return LE(v); }
  bool I32(int32_t* v) {
    uint32_t u;
    if (!LE(&u)) return false;
    *v = static_cast<int32_t>(u);
    return true;
  }
  bool F64(double* d) {
    uint64_t u;
    if (!LE(&u)) return false;
    std::memcpy(d, &u, 8);
    return true;
  }
  bool Str(std::string* s) {
    uint32_t n;
    if (!U32(&n) || n > remaining()) return false;
    s->assign(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  // A view of the next n bytes.
  bool Span(size_t n, std::span<const uint8_t>* out) {
    if (n > remaining()) return false;
    *out = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool SkipTo(size_t alignment) {
    const size_t target = (pos_ + alignment - 1) / alignment * alignment;
    if (target > b_.size()) return false;
    pos_ = target;
    return true;
  }

 private:
  template <typename T>
  bool LE(T* v) {
    if (remaining() < sizeof(T)) return false;
    T r = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      r |= static_cast<T>(static_cast<T>(b_[pos_ + i]) << (8 * i));
    pos_ += sizeof(T);
    *v = r;
    return true;
  }
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

}  // namespace gemma::bytes
