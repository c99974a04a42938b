#include "io/safetensors.h"

#include <algorithm>
#include <exception>
#include <new>
#include <numeric>

#include "io/json.h"

namespace gemma {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (const char ch : s.substr(0, 120)) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(c >= 0x20 && c < 0x7f ? ch : '?');
  }
  if (s.size() > 120) out += "...";
  out += '\'';
  return out;
}

}  // namespace

size_t SafeTensorsDTypeBytes(std::string_view d) {
  if (d == "BOOL" || d == "U8" || d == "I8" || d == "F8_E5M2" || d == "F8_E4M3") return 1;
  if (d == "I16" || d == "U16" || d == "F16" || d == "BF16") return 2;
  if (d == "I32" || d == "U32" || d == "F32") return 4;
  if (d == "I64" || d == "U64" || d == "F64") return 8;
  return 0;
}

StatusOr<std::unique_ptr<SafeTensorsFile>> SafeTensorsFile::Open(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> map, MappedFile::Open(path));
  return Build(path, std::move(map), {});
}

StatusOr<std::unique_ptr<SafeTensorsFile>> SafeTensorsFile::FromMemory(
    std::span<const uint8_t> bytes, std::string name) {
  return Build(std::move(name), nullptr, bytes);
}

const SafeTensor* SafeTensorsFile::Find(std::string_view name) const {
  const auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Status SafeTensorsFile::Parse() {
  const std::string& p = path_;
  auto corrupt = [&](const std::string& what) {
    return CorruptData(p + ": invalid SafeTensors file: " + what);
  };
  if (bytes_.size() < 8) {
    return corrupt("file of " + std::to_string(bytes_.size()) +
                   " bytes is too short for the 8-byte header length");
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(bytes_[i]) << (8 * i);
  if (n > bytes_.size() - 8) {
    return corrupt("header length " + std::to_string(n) + " runs past the end of the file (" +
                   std::to_string(bytes_.size()) + " bytes)");
  }
  if (n > kMaxHeaderBytes) {
    return corrupt("header length " + std::to_string(n) + " exceeds the limit of " +
                   std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (n < 2)
    return corrupt("header length " + std::to_string(n) + " is too small for a JSON object");
  data_offset_ = 8 + n;
  const std::string_view text(reinterpret_cast<const char*>(bytes_.data() + 8),
                              static_cast<size_t>(n));
  if (text[0] != '{') return corrupt("header does not start with '{'");
  StatusOr<JsonValue> parsed = ParseJson(text, p + ": SafeTensors header", 16);
  if (!parsed.ok()) return parsed.status();
  const JsonValue& root = *parsed;
  if (!root.is_object()) return corrupt("header is not a JSON object");

  const uint64_t data_size = bytes_.size() - data_offset_;
  tensors_.reserve(root.members().size());
  for (const auto& [name, info] : root.members()) {
    if (name == "__metadata__") {
      if (!info.is_object()) return corrupt("__metadata__ is not an object");
      for (const auto& [k, v] : info.members()) {
        if (!v.is_string())
          return corrupt("__metadata__ value of " + Quote(k) + " is not a string");
        metadata_.emplace_back(k, v.str());
      }
      continue;
    }
    const std::string t = "tensor " + Quote(name) + ": ";
    if (name.empty()) return corrupt("empty tensor name");
    if (!info.is_object())
      return corrupt(t + "entry is " + JsonValue::KindName(info.kind()) + ", expected an object");
    SafeTensor st;
    st.name = name;
    const JsonValue* dtype = info.Find("dtype");
    const JsonValue* shape = info.Find("shape");
    const JsonValue* offsets = info.Find("data_offsets");
    if (dtype == nullptr || !dtype->is_string())
      return corrupt(t + "missing or non-string \"dtype\"");
    if (shape == nullptr || !shape->is_array())
      return corrupt(t + "missing or non-array \"shape\"");
    if (offsets == nullptr || !offsets->is_array() || offsets->items().size() != 2) {
      return corrupt(t + "\"data_offsets\" must be an array of two integers");
    }
    st.dtype = dtype->str();
    st.elem_bytes = SafeTensorsDTypeBytes(st.dtype);
    if (st.elem_bytes == 0) return corrupt(t + "unknown dtype " + Quote(st.dtype));
    if (shape->items().size() > 8) {
      return corrupt(t + "shape has " + std::to_string(shape->items().size()) + " dimensions");
    }
    for (const JsonValue& d : shape->items()) {
      if (!d.is_uint()) return corrupt(t + "shape entries must be non-negative integers");
      st.shape.push_back(d.uint_value());
      if (__builtin_mul_overflow(st.n_elements, d.uint_value(), &st.n_elements)) {
        return corrupt(t + "element count overflows 64 bits");
      }
    }
    for (const JsonValue& o : offsets->items()) {
      if (!o.is_uint()) return corrupt(t + "data_offsets must be non-negative integers");
    }
    st.begin = offsets->items()[0].uint_value();
    st.end = offsets->items()[1].uint_value();
    if (st.end < st.begin) {
      return corrupt(t + "data_offsets [" + std::to_string(st.begin) + ", " +
                     std::to_string(st.end) + "] end before they begin");
    }
    uint64_t want = 0;
    if (__builtin_mul_overflow(st.n_elements, static_cast<uint64_t>(st.elem_bytes), &want)) {
      return corrupt(t + "byte size overflows 64 bits");
    }
    if (st.end - st.begin != want) {
      std::string dims;
      for (size_t i = 0; i < st.shape.size(); ++i)
        dims += (i ? ", " : "") + std::to_string(st.shape[i]);
      return corrupt(t + "data_offsets [" + std::to_string(st.begin) + ", " +
                     std::to_string(st.end) + "] span " + std::to_string(st.end - st.begin) +
                     " bytes, but dtype " + st.dtype + " and shape [" + dims + "] need " +
                     std::to_string(want));
    }
    if (st.end > data_size) {
      return corrupt(t + "data_offsets [" + std::to_string(st.begin) + ", " +
                     std::to_string(st.end) + "] run past the end of the data (" +
                     std::to_string(data_size) + " bytes after the " + std::to_string(n) +
                     "-byte header)");
    }
    st.data = bytes_.data() + data_offset_ + st.begin;
    index_.emplace(st.name, tensors_.size());
    tensors_.push_back(std::move(st));
  }

  // No two tensors may share bytes.
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors_[a].begin != tensors_[b].begin ? tensors_[a].begin < tensors_[b].begin : a < b;
  });
  const SafeTensor* last = nullptr;  // the tensor reaching furthest so far
  for (const size_t k : order) {
    const SafeTensor& cur = tensors_[k];
    if (cur.end == cur.begin) continue;  // empty tensors own no bytes
    if (last != nullptr && last->end > cur.begin) {
      return corrupt("tensors " + Quote(last->name) + " [" + std::to_string(last->begin) + ", " +
                     std::to_string(last->end) + ") and " + Quote(cur.name) + " [" +
                     std::to_string(cur.begin) + ", " + std::to_string(cur.end) + ") overlap");
    }
    if (last == nullptr || cur.end > last->end) last = &cur;
  }
  return Status::Ok();
}

}  // namespace gemma
