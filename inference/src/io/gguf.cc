// GGUF v2/v3 reader. Layout (all little endian):
//   "GGUF" u32 version, u64 tensor_count, u64 kv_count,
//   kv_count x { string key, u32 type, value },
//   tensor_count x { string name, u32 n_dims, u64 dims[n_dims], u32 ggml_type, u64 offset },
//   padding to general.alignment (default 32), data section.
// string = u64 length + bytes; array = u32 element type + u64 count + elements.
//
// Every read is bounds-checked against the buffer; every count is checked
// against the bytes that remain before anything is reserved, so memory use is
// bounded by a small multiple of the file size and a parse is linear in it.
#include "io/gguf.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <numeric>
#include <string>
#include <system_error>
#include <utility>

namespace gemma {
namespace {

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
constexpr std::string_view kAlignmentKey = "general.alignment";
// Smallest encodings, used to bound counts before reserving memory:
// a kv is a non-empty key (8 + 1), a type (4) and at least one value byte;
// a tensor info is a non-empty name (8 + 1), n_dims (4), one dim (8), type (4), offset (8).
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

// Counts are checked against the remaining bytes, but an element in memory is
// larger than in the file; reservations are capped and vectors grow as they fill.
constexpr uint64_t kMaxInitialReserve = 1 << 16;
size_t InitialReserve(uint64_t count) {
  return static_cast<size_t>(std::min(count, kMaxInitialReserve));
}

bool IsValidGgufType(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::kF64); }

// GGML type names, for messages about types gemma-core does not handle.
const char* GgmlTypeName(uint32_t id) {
  static constexpr const char* kNames[] = {
      "F32",   "F16",        "Q4_0",       "Q4_1",       "Q4_2",     "Q4_3",     "Q5_0",
      "Q5_1",  "Q8_0",       "Q8_1",       "Q2_K",       "Q3_K",     "Q4_K",     "Q5_K",
      "Q6_K",  "Q8_K",       "IQ2_XXS",    "IQ2_XS",     "IQ3_XXS",  "IQ1_S",    "IQ4_NL",
      "IQ3_S", "IQ2_S",      "IQ4_XS",     "I8",         "I16",      "I32",      "I64",
      "F64",   "IQ1_M",      "BF16",       "Q4_0_4_4",   "Q4_0_4_8", "Q4_0_8_8", "TQ1_0",
      "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4"};
  return id < std::size(kNames) ? kNames[id] : nullptr;
}

// Renders bytes from the file for an error message: printable ASCII as is,
// everything else as \xNN, cut after `max` bytes.
std::string Printable(std::string_view s, size_t max = 96) {
  std::string out;
  const size_t n = std::min(s.size(), max);
  out.reserve(n + 8);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// Built by appending: GCC 12's -Wrestrict misfires on "'" + std::string&&.
std::string Quoted(std::string_view s) {
  std::string out = "'";
  out += Printable(s);
  out += '\'';
  return out;
}

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF), no NUL.
bool IsValidName(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string FormatDouble(double d, bool as_f32) {
  char buf[64];
  std::to_chars_result r = as_f32 ? std::to_chars(buf, buf + sizeof(buf), static_cast<float>(d))
                                  : std::to_chars(buf, buf + sizeof(buf), d);
  if (r.ec != std::errc()) return "?";
  return std::string(buf, r.ptr);
}

std::string DisplayString(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

// Bounds-checked little-endian reader over the file bytes. Error messages
// name the file, the entry being read (`ctx`) and the field.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  void set_context(std::string ctx) { ctx_ = std::move(ctx); }
  const std::string& context() const { return ctx_; }

  // "<file>: <ctx>: <detail>"
  Status Corrupt(const std::string& detail) const {
    return CorruptData(name_ + ": " + (ctx_.empty() ? "" : ctx_ + ": ") + detail);
  }

  // The read functions return false on failure and keep the error, which
  // error() hands out; the success path builds no Status (hot in big vocabularies).
  const Status& error() const { return error_; }
  bool Fail(Status s) {
    error_ = std::move(s);
    return false;
  }

  bool Need(uint64_t n, const char* field) {
    if (n <= remaining()) return true;
    return Fail(Corrupt("file truncated reading " + std::string(field) + " at offset " +
                        std::to_string(pos_) + ": needs " + std::to_string(n) + " bytes, " +
                        std::to_string(remaining()) + " remain (file is " +
                        std::to_string(bytes_.size()) + " bytes)"));
  }

  template <typename T>
  bool ReadUInt(T* out, const char* field) {
    static_assert(std::is_unsigned_v<T>);
    if (sizeof(T) > remaining()) return Need(sizeof(T), field);
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<T>(static_cast<T>(bytes_[pos_ + i]) << (8 * i));
    pos_ += sizeof(T);
    *out = v;
    return true;
  }

  bool ReadString(std::string* out, const char* field) {
    uint64_t len = 0;
    if (!ReadUInt(&len, field)) return false;
    if (len > remaining()) {
      return Fail(Corrupt(std::string(field) + " of " + std::to_string(len) + " bytes at offset " +
                          std::to_string(pos_) + " runs past the end of the file (" +
                          std::to_string(remaining()) + " bytes remain)"));
    }
    out->assign(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
  size_t pos_ = 0;
  std::string ctx_;
  Status error_;
};

// Returns the reader's error from the enclosing function when a read fails.
#define GGUF_READ(r, expr)           \
  do {                               \
    if (!(expr)) return (r).error(); \
  } while (0)

// Reads one scalar of type t (not string/array) as the raw bits widened to 64.
bool ReadScalarBits(Reader& r, GgufType t, uint64_t* bits, const char* field) {
  switch (GgufScalarBytes(t)) {
    case 1: {
      uint8_t v = 0;
      if (!r.ReadUInt(&v, field)) return false;
      *bits = v;
      return true;
    }
    case 2: {
      uint16_t v = 0;
      if (!r.ReadUInt(&v, field)) return false;
      *bits = v;
      return true;
    }
    case 4: {
      uint32_t v = 0;
      if (!r.ReadUInt(&v, field)) return false;
      *bits = v;
      return true;
    }
    case 8:
      return r.ReadUInt(bits, field);
  }
  return r.Fail(Internal("ReadScalarBits: not a scalar type"));
}

int64_t SignExtend(uint64_t bits, GgufType t) {
  switch (t) {
    case GgufType::kI8:
      return static_cast<int8_t>(static_cast<uint8_t>(bits));
    case GgufType::kI16:
      return static_cast<int16_t>(static_cast<uint16_t>(bits));
    case GgufType::kI32:
      return static_cast<int32_t>(static_cast<uint32_t>(bits));
    default:
      return static_cast<int64_t>(bits);
  }
}

double BitsToDouble(uint64_t bits, GgufType t) {
  if (t == GgufType::kF32)
    return static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(bits)));
  return std::bit_cast<double>(bits);
}

bool CheckBool(Reader& r, uint64_t bits) {
  if (bits > 1)
    return r.Fail(r.Corrupt("bool value is " + std::to_string(bits) + ", expected 0 or 1"));
  return true;
}

Status ReadArray(Reader& r, GgufValue* out) {
  uint32_t raw_elem = 0;
  GGUF_READ(r, r.ReadUInt(&raw_elem, "array element type"));
  if (!IsValidGgufType(raw_elem)) {
    return r.Corrupt("invalid array element type " + std::to_string(raw_elem));
  }
  const GgufType et = static_cast<GgufType>(raw_elem);
  if (et == GgufType::kArray) return r.Corrupt("nested arrays are not supported");
  out->elem_type = et;
  uint64_t count = 0;
  GGUF_READ(r, r.ReadUInt(&count, "array length"));
  const uint64_t min_elem = et == GgufType::kString ? 8 : GgufScalarBytes(et);
  if (count > r.remaining() / min_elem) {
    return r.Corrupt("array of " + std::to_string(count) + " " + GgufTypeName(et) +
                     " elements cannot fit in the " + std::to_string(r.remaining()) +
                     " bytes that remain");
  }
  // Reserve at most a modest amount up front: the vectors then grow only with
  // elements actually read, so a corrupt count inside a large file cannot make
  // the reader allocate far more than the bytes it consumed.
  const size_t n = static_cast<size_t>(count);
  const size_t initial = InitialReserve(count);
  if (et == GgufType::kString) {
    std::vector<std::string> v;
    v.reserve(initial);
    for (size_t i = 0; i < n; ++i) {
      v.emplace_back();
      GGUF_READ(r, r.ReadString(&v.back(), "array string"));
    }
    out->v = std::move(v);
  } else if (et == GgufType::kBool) {
    std::vector<bool> v;
    v.reserve(initial);
    for (size_t i = 0; i < n; ++i) {
      uint64_t bits = 0;
      GGUF_READ(r, ReadScalarBits(r, et, &bits, "array element"));
      GGUF_READ(r, CheckBool(r, bits));
      v.push_back(bits != 0);
    }
    out->v = std::move(v);
  } else if (IsUnsignedInt(et)) {
    std::vector<uint64_t> v;
    v.reserve(initial);
    for (size_t i = 0; i < n; ++i) {
      uint64_t bits = 0;
      GGUF_READ(r, ReadScalarBits(r, et, &bits, "array element"));
      v.push_back(bits);
    }
    out->v = std::move(v);
  } else if (IsSignedInt(et)) {
    std::vector<int64_t> v;
    v.reserve(initial);
    for (size_t i = 0; i < n; ++i) {
      uint64_t bits = 0;
      GGUF_READ(r, ReadScalarBits(r, et, &bits, "array element"));
      v.push_back(SignExtend(bits, et));
    }
    out->v = std::move(v);
  } else {  // f32, f64
    std::vector<double> v;
    v.reserve(initial);
    for (size_t i = 0; i < n; ++i) {
      uint64_t bits = 0;
      GGUF_READ(r, ReadScalarBits(r, et, &bits, "array element"));
      v.push_back(BitsToDouble(bits, et));
    }
    out->v = std::move(v);
  }
  return Status::Ok();
}

Status ReadValue(Reader& r, GgufType t, GgufValue* out) {
  out->type = t;
  if (t == GgufType::kArray) return ReadArray(r, out);
  if (t == GgufType::kString) {
    std::string s;
    GGUF_READ(r, r.ReadString(&s, "string value"));
    out->v = std::move(s);
    return Status::Ok();
  }
  uint64_t bits = 0;
  GGUF_READ(r, ReadScalarBits(r, t, &bits, "value"));
  if (t == GgufType::kBool) {
    GGUF_READ(r, CheckBool(r, bits));
    out->v = bits != 0;
  } else if (IsUnsignedInt(t)) {
    out->v = bits;
  } else if (IsSignedInt(t)) {
    out->v = SignExtend(bits, t);
  } else {
    out->v = BitsToDouble(bits, t);
  }
  return Status::Ok();
}

std::string ScalarToString(const GgufValue& v, GgufType t) {
  if (const auto* u = std::get_if<uint64_t>(&v.v)) return std::to_string(*u);
  if (const auto* i = std::get_if<int64_t>(&v.v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v.v)) return FormatDouble(*d, t == GgufType::kF32);
  if (const auto* b = std::get_if<bool>(&v.v)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&v.v)) return DisplayString(*s);
  return "?";
}

template <typename T, typename F>
std::string JoinArray(const std::vector<T>& v, size_t max_items, GgufType et, F&& fmt) {
  std::string out = "[";
  const size_t n = std::min(v.size(), max_items);
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += fmt(v[i]);
  }
  if (v.size() > n) out += n ? ", ..." : "...";
  out += "] (" + std::to_string(v.size()) + " x " + GgufTypeName(et) + ")";
  return out;
}

}  // namespace

size_t GgufScalarBytes(GgufType t) {
  switch (t) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool:
      return 1;
    case GgufType::kU16:
    case GgufType::kI16:
      return 2;
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kF32:
      return 4;
    case GgufType::kU64:
    case GgufType::kI64:
    case GgufType::kF64:
      return 8;
    case GgufType::kString:
    case GgufType::kArray:
      return 0;
  }
  return 0;
}

const char* GgufTypeName(GgufType t) {
  switch (t) {
    case GgufType::kU8:
      return "u8";
    case GgufType::kI8:
      return "i8";
    case GgufType::kU16:
      return "u16";
    case GgufType::kI16:
      return "i16";
    case GgufType::kU32:
      return "u32";
    case GgufType::kI32:
      return "i32";
    case GgufType::kF32:
      return "f32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kU64:
      return "u64";
    case GgufType::kI64:
      return "i64";
    case GgufType::kF64:
      return "f64";
  }
  return "invalid";
}

std::string GgufValue::ToDisplayString(size_t max_array_items) const {
  try {
    if (type != GgufType::kArray) return ScalarToString(*this, type);
    const bool f32 = elem_type == GgufType::kF32;
    if (const auto* a = std::get_if<std::vector<uint64_t>>(&v)) {
      return JoinArray(*a, max_array_items, elem_type,
                       [](uint64_t x) { return std::to_string(x); });
    }
    if (const auto* a = std::get_if<std::vector<int64_t>>(&v)) {
      return JoinArray(*a, max_array_items, elem_type, [](int64_t x) { return std::to_string(x); });
    }
    if (const auto* a = std::get_if<std::vector<double>>(&v)) {
      return JoinArray(*a, max_array_items, elem_type,
                       [f32](double x) { return FormatDouble(x, f32); });
    }
    if (const auto* a = std::get_if<std::vector<bool>>(&v)) {
      return JoinArray(*a, max_array_items, elem_type,
                       [](bool x) { return std::string(x ? "true" : "false"); });
    }
    if (const auto* a = std::get_if<std::vector<std::string>>(&v)) {
      return JoinArray(*a, max_array_items, elem_type,
                       [](const std::string& x) { return DisplayString(x); });
    }
    return "[?]";
  } catch (...) {
    return "?";
  }
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path,
                                                   MappedFile::Residency residency) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> map, MappedFile::Open(path, residency));
  return Build(path, std::move(map), {});
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::FromMemory(std::span<const uint8_t> bytes,
                                                         std::string name) {
  return Build(std::move(name), nullptr, bytes);
}

Status GgufFile::Parse() {
  const std::string& name = path_;
  Reader r(bytes_, name);
  if (bytes_.empty()) return CorruptData(name + ": file is empty (0 bytes)");

  // Header.
  r.set_context("header");
  GGUF_READ(r, r.Need(4, "magic"));
  if (std::memcmp(bytes_.data(), "GGUF", 4) != 0) {
    std::string found;
    for (int i = 0; i < 4; ++i) {
      static constexpr char kHex[] = "0123456789abcdef";
      if (i) found.push_back(' ');
      found.push_back(kHex[bytes_[i] >> 4]);
      found.push_back(kHex[bytes_[i] & 15]);
    }
    return CorruptData(
        name + ": not a GGUF file: bad magic " + found + " ('" +
        Printable(std::string_view(reinterpret_cast<const char*>(bytes_.data()), 4)) +
        "'), expected 'GGUF'");
  }
  uint32_t magic_skip = 0;
  GGUF_READ(r, r.ReadUInt(&magic_skip, "magic"));
  GGUF_READ(r, r.ReadUInt(&version_, "version"));
  if (version_ != 2 && version_ != 3) {
    const uint32_t swapped = ((version_ & 0xffu) << 24) | ((version_ & 0xff00u) << 8) |
                             ((version_ >> 8) & 0xff00u) | (version_ >> 24);
    if (swapped >= 1 && swapped <= 3) {
      return Unsupported(name + ": big-endian GGUF (version " + std::to_string(swapped) +
                         ") is not supported");
    }
    return Unsupported(name + ": unsupported GGUF version " + std::to_string(version_) +
                       " (supported: 2 and 3)");
  }
  uint64_t tensor_count = 0, kv_count = 0;
  GGUF_READ(r, r.ReadUInt(&tensor_count, "tensor count"));
  GGUF_READ(r, r.ReadUInt(&kv_count, "metadata kv count"));
  if (kv_count > r.remaining() / kMinKvBytes) {
    return r.Corrupt("metadata kv count " + std::to_string(kv_count) + " cannot fit in the " +
                     std::to_string(r.remaining()) +
                     " bytes that remain (corrupt count or truncated file)");
  }
  if (tensor_count > r.remaining() / kMinTensorInfoBytes) {
    return r.Corrupt("tensor count " + std::to_string(tensor_count) + " cannot fit in the " +
                     std::to_string(r.remaining()) +
                     " bytes that remain (corrupt count or truncated file)");
  }

  // Metadata.
  metadata_.reserve(InitialReserve(kv_count));
  metadata_index_.reserve(InitialReserve(kv_count));
  for (uint64_t i = 0; i < kv_count; ++i) {
    r.set_context("metadata entry #" + std::to_string(i));
    std::string key;
    GGUF_READ(r, r.ReadString(&key, "key"));
    if (key.empty()) return r.Corrupt("empty key");
    if (!IsValidName(key))
      return r.Corrupt("key " + Quoted(key) + " is not valid UTF-8 (or contains NUL)");
    r.set_context("key " + Quoted(key));
    uint32_t raw_type = 0;
    GGUF_READ(r, r.ReadUInt(&raw_type, "value type"));
    if (!IsValidGgufType(raw_type)) {
      return r.Corrupt("invalid value type " + std::to_string(raw_type));
    }
    GgufValue value;
    GEMMA_RETURN_IF_ERROR(ReadValue(r, static_cast<GgufType>(raw_type), &value));
    const auto [it, inserted] = metadata_index_.emplace(key, metadata_.size());
    if (!inserted) {
      return r.Corrupt("duplicate key (entries #" + std::to_string(it->second) + " and #" +
                       std::to_string(i) + ")");
    }
    metadata_.emplace_back(std::move(key), std::move(value));
  }

  // Alignment.
  alignment_ = kDefaultAlignment;
  if (const GgufValue* a = Find(kAlignmentKey)) {
    const std::string ctx = name + ": key '" + std::string(kAlignmentKey) + "': ";
    if (a->type != GgufType::kU32) {
      return CorruptData(ctx + "must be u32, found " + GgufTypeName(a->type));
    }
    const uint64_t al = std::get<uint64_t>(a->v);
    if (al == 0 || !std::has_single_bit(al)) {
      return CorruptData(ctx + "must be a power of two, found " + std::to_string(al));
    }
    alignment_ = al;
  }

  // Tensor infos.
  if (tensor_count > r.remaining() / kMinTensorInfoBytes) {
    r.set_context("");
    return r.Corrupt("tensor count " + std::to_string(tensor_count) + " cannot fit in the " +
                     std::to_string(r.remaining()) + " bytes left after the metadata");
  }
  tensors_.reserve(InitialReserve(tensor_count));
  tensor_index_.reserve(InitialReserve(tensor_count));
  for (uint64_t i = 0; i < tensor_count; ++i) {
    r.set_context("tensor info #" + std::to_string(i));
    GgufTensor t;
    GGUF_READ(r, r.ReadString(&t.name, "tensor name"));
    if (t.name.empty()) return r.Corrupt("empty tensor name");
    if (!IsValidName(t.name))
      return r.Corrupt("tensor name " + Quoted(t.name) + " is not valid UTF-8 (or contains NUL)");
    r.set_context("tensor " + Quoted(t.name));
    uint32_t n_dims = 0;
    GGUF_READ(r, r.ReadUInt(&n_dims, "n_dims"));
    if (n_dims == 0 || n_dims > kMaxDims) {
      return r.Corrupt("n_dims is " + std::to_string(n_dims) + ", expected 1 to " +
                       std::to_string(kMaxDims));
    }
    t.dims.resize(n_dims);
    uint64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      GGUF_READ(r, r.ReadUInt(&t.dims[d], "dimension"));
      if (t.dims[d] == 0) return r.Corrupt("dimension " + std::to_string(d) + " is 0");
      if (__builtin_mul_overflow(n_elements, t.dims[d], &n_elements)) {
        return r.Corrupt("element count overflows 64 bits (dimension " + std::to_string(d) +
                         " is " + std::to_string(t.dims[d]) + ")");
      }
    }
    t.n_elements = n_elements;
    uint32_t raw_type = 0;
    GGUF_READ(r, r.ReadUInt(&raw_type, "tensor type"));
    if (!IsKnownDType(raw_type)) {
      if (const char* ggml = GgmlTypeName(raw_type)) {
        return Unsupported(name + ": tensor " + Quoted(t.name) + ": type " +
                           std::to_string(raw_type) + " (" + ggml +
                           ") is not supported by gemma-core");
      }
      return r.Corrupt("unknown tensor type " + std::to_string(raw_type));
    }
    t.type = static_cast<DType>(raw_type);
    const uint64_t block = DTypeBlockElems(t.type);
    if (t.dims[0] % block != 0) {
      return r.Corrupt("dimension 0 (" + std::to_string(t.dims[0]) + ") is not a multiple of " +
                       DTypeName(t.type) + "'s block size " + std::to_string(block));
    }
    if (__builtin_mul_overflow(n_elements / block, static_cast<uint64_t>(DTypeBlockBytes(t.type)),
                               &t.n_bytes)) {
      return r.Corrupt("byte size overflows 64 bits");
    }
    GGUF_READ(r, r.ReadUInt(&t.offset, "tensor data offset"));
    if (t.offset % alignment_ != 0) {
      return r.Corrupt("data offset " + std::to_string(t.offset) +
                       " is not a multiple of the alignment " + std::to_string(alignment_));
    }
    const auto [it, inserted] = tensor_index_.emplace(t.name, tensors_.size());
    if (!inserted) {
      return r.Corrupt("duplicate tensor name (tensor infos #" + std::to_string(it->second) +
                       " and #" + std::to_string(i) + ")");
    }
    tensors_.push_back(std::move(t));
  }

  // Data section: starts at the next multiple of the alignment.
  r.set_context("");
  const uint64_t header_end = r.pos();
  const uint64_t data_start = (header_end + alignment_ - 1) / alignment_ * alignment_;
  if (tensors_.empty()) return Status::Ok();
  if (data_start > bytes_.size()) {
    return CorruptData(name + ": file truncated: the data section would start at offset " +
                       std::to_string(data_start) + " but the file is " +
                       std::to_string(bytes_.size()) + " bytes");
  }
  const uint64_t data_size = bytes_.size() - data_start;
  for (GgufTensor& t : tensors_) {
    uint64_t end = 0;
    if (__builtin_add_overflow(t.offset, t.n_bytes, &end) || end > data_size) {
      return CorruptData(
          name + ": tensor " + Quoted(t.name) + ": data [" + std::to_string(t.offset) + ", " +
          (end >= t.offset ? std::to_string(end) : std::string("overflow")) +
          ") of the data section runs past the end of the file (the data section "
          "has " +
          std::to_string(data_size) + " bytes from offset " + std::to_string(data_start) + ")");
    }
    t.data = bytes_.data() + data_start + t.offset;
  }

  // No two tensors may share bytes.
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors_[a].offset != tensors_[b].offset ? tensors_[a].offset < tensors_[b].offset
                                                    : a < b;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const GgufTensor& prev = tensors_[order[k - 1]];
    const GgufTensor& cur = tensors_[order[k]];
    if (prev.offset + prev.n_bytes > cur.offset) {
      return CorruptData(name + ": tensors " + Quoted(prev.name) + " [" +
                         std::to_string(prev.offset) + ", " +
                         std::to_string(prev.offset + prev.n_bytes) + ") and " + Quoted(cur.name) +
                         " [" + std::to_string(cur.offset) + ", " +
                         std::to_string(cur.offset + cur.n_bytes) + ") overlap");
    }
  }
  return Status::Ok();
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  // unordered_map<std::string> has no heterogeneous lookup without a custom
  // hasher; one short string copy per lookup is fine for metadata.
  try {
    const auto it = metadata_index_.find(std::string(key));
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
  } catch (...) {
    return nullptr;
  }
}

const GgufTensor* GgufFile::FindTensor(std::string_view name) const {
  try {
    const auto it = tensor_index_.find(std::string(name));
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
  } catch (...) {
    return nullptr;
  }
}

}  // namespace gemma
