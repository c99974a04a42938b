// Typed metadata accessors of GgufFile (GetString, GetUInt, ...): each names
// the file and the key when the key is missing or holds another type.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "io/gguf.h"
#include "io/no_throw.h"

namespace gemma {
namespace {

Status KeyNotFound(const std::string& path, std::string_view key) {
  return NotFound(path + ": metadata key '" + std::string(key) + "' not found");
}

std::string TypeDesc(const GgufValue& v) {
  if (v.type == GgufType::kArray) return std::string("array of ") + GgufTypeName(v.elem_type);
  return GgufTypeName(v.type);
}

Status WrongType(const std::string& path, std::string_view key, const GgufValue& v,
                 const char* expected) {
  return CorruptData(path + ": metadata key '" + std::string(key) + "' has type " + TypeDesc(v) +
                     ", expected " + expected);
}

}  // namespace

StatusOr<std::string> GgufFile::GetString(std::string_view key) const {
  return NoThrow<std::string>(path_, [&]() -> StatusOr<std::string> {
    const GgufValue* v = Find(key);
    if (!v) return KeyNotFound(path_, key);
    if (v->type != GgufType::kString) return WrongType(path_, key, *v, "string");
    return std::get<std::string>(v->v);
  });
}

StatusOr<uint64_t> GgufFile::GetUInt(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return KeyNotFound(path_, key);
  if (IsUnsignedInt(v->type)) return std::get<uint64_t>(v->v);
  if (IsSignedInt(v->type)) {
    const int64_t x = std::get<int64_t>(v->v);
    if (x < 0) {
      return CorruptData(path_ + ": metadata key '" + std::string(key) + "' is " +
                         std::to_string(x) + ", expected a non-negative integer");
    }
    return static_cast<uint64_t>(x);
  }
  return WrongType(path_, key, *v, "an unsigned integer");
}

StatusOr<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return KeyNotFound(path_, key);
  if (IsFloat(v->type)) return std::get<double>(v->v);
  if (IsUnsignedInt(v->type)) return static_cast<double>(std::get<uint64_t>(v->v));
  if (IsSignedInt(v->type)) return static_cast<double>(std::get<int64_t>(v->v));
  return WrongType(path_, key, *v, "a number");
}

StatusOr<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return KeyNotFound(path_, key);
  if (v->type != GgufType::kBool) return WrongType(path_, key, *v, "bool");
  return std::get<bool>(v->v);
}

StatusOr<std::vector<std::string>> GgufFile::GetStringArray(std::string_view key) const {
  return NoThrow<std::vector<std::string>>(path_, [&]() -> StatusOr<std::vector<std::string>> {
    const GgufValue* v = Find(key);
    if (!v) return KeyNotFound(path_, key);
    if (v->type != GgufType::kArray || v->elem_type != GgufType::kString) {
      return WrongType(path_, key, *v, "array of string");
    }
    return std::get<std::vector<std::string>>(v->v);
  });
}

StatusOr<std::vector<double>> GgufFile::GetFloatArray(std::string_view key) const {
  return NoThrow<std::vector<double>>(path_, [&]() -> StatusOr<std::vector<double>> {
    const GgufValue* v = Find(key);
    if (!v) return KeyNotFound(path_, key);
    if (v->type == GgufType::kArray) {
      if (IsFloat(v->elem_type)) return std::get<std::vector<double>>(v->v);
      if (IsUnsignedInt(v->elem_type)) {
        const auto& a = std::get<std::vector<uint64_t>>(v->v);
        return std::vector<double>(a.begin(), a.end());
      }
      if (IsSignedInt(v->elem_type)) {
        const auto& a = std::get<std::vector<int64_t>>(v->v);
        return std::vector<double>(a.begin(), a.end());
      }
    }
    return WrongType(path_, key, *v, "array of numbers");
  });
}

StatusOr<std::vector<int64_t>> GgufFile::GetIntArray(std::string_view key) const {
  return NoThrow<std::vector<int64_t>>(path_, [&]() -> StatusOr<std::vector<int64_t>> {
    const GgufValue* v = Find(key);
    if (!v) return KeyNotFound(path_, key);
    if (v->type == GgufType::kArray) {
      if (IsSignedInt(v->elem_type)) return std::get<std::vector<int64_t>>(v->v);
      if (IsUnsignedInt(v->elem_type)) {
        const auto& a = std::get<std::vector<uint64_t>>(v->v);
        std::vector<int64_t> out;
        out.reserve(a.size());
        for (size_t i = 0; i < a.size(); ++i) {
          if (a[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return CorruptData(path_ + ": metadata key '" + std::string(key) + "': element " +
                               std::to_string(i) + " (" + std::to_string(a[i]) +
                               ") does not fit in int64");
          }
          out.push_back(static_cast<int64_t>(a[i]));
        }
        return out;
      }
    }
    return WrongType(path_, key, *v, "array of integers");
  });
}

}  // namespace gemma
