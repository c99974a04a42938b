#include "io/gguf_writer.h"

#include <cstring>
#include <variant>

#include "io/file_writer.h"

namespace gemma {
namespace {

void PutLE(std::vector<uint8_t>* b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutStr(std::vector<uint8_t>* b, std::string_view s) {
  PutLE(b, s.size(), 8);
  b->insert(b->end(), s.begin(), s.end());
}

uint64_t DoubleBits(double d, GgufType t) {
  if (t == GgufType::kF32) {
    const float f = static_cast<float>(d);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  }
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

// Encodes the value (without its type id) for a scalar of type t.
template <typename T>
void PutScalar(std::vector<uint8_t>* b, GgufType t, const T& v) {
  if constexpr (std::is_same_v<T, double>) {
    PutLE(b, DoubleBits(v, t), static_cast<int>(GgufScalarBytes(t)));
  } else if constexpr (std::is_same_v<T, bool>) {
    PutLE(b, v ? 1 : 0, 1);
  } else {
    PutLE(b, static_cast<uint64_t>(v), static_cast<int>(GgufScalarBytes(t)));
  }
}

Status EncodeValue(const std::string& key, const GgufValue& v, std::vector<uint8_t>* b) {
  PutLE(b, static_cast<uint32_t>(v.type), 4);
  auto mismatch = [&]() {
    return Internal("GGUF writer: value of '" + key + "' does not match its type");
  };
  if (v.type == GgufType::kString) {
    const auto* s = std::get_if<std::string>(&v.v);
    if (s == nullptr) return mismatch();
    PutStr(b, *s);
    return Status::Ok();
  }
  if (v.type != GgufType::kArray) {
    bool ok = false;
    std::visit(
        [&](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, uint64_t> || std::is_same_v<X, int64_t> ||
                        std::is_same_v<X, double> || std::is_same_v<X, bool>) {
            PutScalar(b, v.type, x);
            ok = true;
          }
        },
        v.v);
    return ok ? Status::Ok() : mismatch();
  }
  PutLE(b, static_cast<uint32_t>(v.elem_type), 4);
  bool ok = false;
  std::visit(
      [&](const auto& arr) {
        using A = std::decay_t<decltype(arr)>;
        if constexpr (std::is_same_v<A, std::vector<std::string>>) {
          PutLE(b, arr.size(), 8);
          for (const auto& s : arr) PutStr(b, s);
          ok = v.elem_type == GgufType::kString;
        } else if constexpr (std::is_same_v<A, std::vector<uint64_t>> ||
                             std::is_same_v<A, std::vector<int64_t>> ||
                             std::is_same_v<A, std::vector<double>> ||
                             std::is_same_v<A, std::vector<bool>>) {
          PutLE(b, arr.size(), 8);
          for (const auto& x : arr)
            PutScalar(b, v.elem_type, static_cast<typename A::value_type>(x));
          ok = v.elem_type != GgufType::kString && v.elem_type != GgufType::kArray;
        }
      },
      v.v);
  return ok ? Status::Ok() : mismatch();
}

}  // namespace

GgufValue GgufString(std::string s) {
  GgufValue v;
  v.type = GgufType::kString;
  v.v = std::move(s);
  return v;
}
GgufValue GgufU32(uint32_t x) {
  GgufValue v;
  v.type = GgufType::kU32;
  v.v = static_cast<uint64_t>(x);
  return v;
}
GgufValue GgufF32(float x) {
  GgufValue v;
  v.type = GgufType::kF32;
  v.v = static_cast<double>(x);
  return v;
}
GgufValue GgufBool(bool x) {
  GgufValue v;
  v.type = GgufType::kBool;
  v.v = x;
  return v;
}
GgufValue GgufStringArray(std::vector<std::string> a) {
  GgufValue v;
  v.type = GgufType::kArray;
  v.elem_type = GgufType::kString;
  v.v = std::move(a);
  return v;
}
GgufValue GgufF32Array(const std::vector<float>& a) {
  GgufValue v;
  v.type = GgufType::kArray;
  v.elem_type = GgufType::kF32;
  v.v = std::vector<double>(a.begin(), a.end());
  return v;
}
GgufValue GgufI32Array(const std::vector<int32_t>& a) {
  GgufValue v;
  v.type = GgufType::kArray;
  v.elem_type = GgufType::kI32;
  v.v = std::vector<int64_t>(a.begin(), a.end());
  return v;
}

void GgufWriter::Set(const std::string& key, GgufValue value) {
  for (auto& [k, v] : kv_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  kv_.emplace_back(key, std::move(value));
}

void GgufWriter::SetAfter(const std::string& after, const std::string& key, GgufValue value) {
  Remove(key);
  for (size_t i = 0; i < kv_.size(); ++i) {
    if (kv_[i].first == after) {
      kv_.insert(kv_.begin() + static_cast<std::ptrdiff_t>(i + 1), {key, std::move(value)});
      return;
    }
  }
  kv_.emplace_back(key, std::move(value));
}

void GgufWriter::Remove(const std::string& key) {
  for (size_t i = 0; i < kv_.size(); ++i) {
    if (kv_[i].first == key) {
      kv_.erase(kv_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

Status GgufWriter::AddTensor(std::string name, DType type, std::vector<uint64_t> dims) {
  if (dims.empty() || dims.size() > 4)
    return InvalidArgument("GGUF writer: tensor '" + name + "' needs 1 to 4 dims");
  uint64_t n = 1;
  for (const uint64_t d : dims) n *= d;
  if (dims[0] % DTypeBlockElems(type) != 0) {
    return InvalidArgument("GGUF writer: tensor '" + name + "': row of " + std::to_string(dims[0]) +
                           " is not a multiple of the " + DTypeName(type) + " block");
  }
  tensors_.push_back(
      {std::move(name), type, std::move(dims), n / DTypeBlockElems(type) * DTypeBlockBytes(type)});
  return Status::Ok();
}

Status GgufWriter::Write(const std::string& path, const DataFn& data,
                         const std::function<void(float)>& progress) const {
  uint64_t alignment = 32;
  for (const auto& [k, v] : kv_) {
    if (k == "general.alignment") {
      const auto* a = std::get_if<uint64_t>(&v.v);
      if (a == nullptr || *a == 0 || (*a & (*a - 1)) != 0) {
        return InvalidArgument(path + ": general.alignment must be a power of two");
      }
      alignment = *a;
    }
  }
  std::vector<uint8_t> head;
  head.insert(head.end(), {'G', 'G', 'U', 'F'});
  PutLE(&head, 3, 4);
  PutLE(&head, tensors_.size(), 8);
  PutLE(&head, kv_.size(), 8);
  for (const auto& [k, v] : kv_) {
    PutStr(&head, k);
    GEMMA_RETURN_IF_ERROR(EncodeValue(k, v, &head));
  }
  uint64_t offset = 0, total = 0;
  for (const Tensor& t : tensors_) {
    PutStr(&head, t.name);
    PutLE(&head, t.dims.size(), 4);
    for (const uint64_t d : t.dims) PutLE(&head, d, 8);
    PutLE(&head, static_cast<uint32_t>(t.type), 4);
    PutLE(&head, offset, 8);
    offset += (t.n_bytes + alignment - 1) / alignment * alignment;
    total += t.n_bytes;
  }
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<FileWriter> out, FileWriter::Create(path));
  GEMMA_RETURN_IF_ERROR(out->Write(head));
  GEMMA_RETURN_IF_ERROR(out->Pad(alignment));
  std::vector<uint8_t> scratch;
  uint64_t done = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    StatusOr<std::span<const uint8_t>> bytes = data(i, &scratch);
    if (!bytes.ok()) return bytes.status();
    if (bytes->size() != tensors_[i].n_bytes) {
      return Internal(path + ": tensor '" + tensors_[i].name + "' has " +
                      std::to_string(bytes->size()) + " bytes, expected " +
                      std::to_string(tensors_[i].n_bytes));
    }
    GEMMA_RETURN_IF_ERROR(out->Write(*bytes));
    GEMMA_RETURN_IF_ERROR(out->Pad(alignment));
    done += tensors_[i].n_bytes;
    if (progress) progress(total ? static_cast<float>(done) / static_cast<float>(total) : 1.0f);
  }
  return out->Commit();
}

}  // namespace gemma
