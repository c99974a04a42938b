// ONNX ModelProto walker. Field numbers (onnx/onnx.proto3):
//   ModelProto:  ir_version 1, producer_name 2, graph 7
//   GraphProto:  node 1, initializer 5
//   NodeProto:   input 1, output 2, name 3, op_type 4
//   TensorProto: dims 1, data_type 2, segment 3, float_data 4, int32_data 5,
//                name 8, raw_data 9, external_data 13 (key 1, value 2),
//                data_location 14 (1 = EXTERNAL)
#include "io/onnx.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <new>

#include "io/protobuf.h"

namespace gemma {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (const char ch : s.substr(0, 160)) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(c >= 0x20 && c < 0x7f ? ch : '?');
  }
  if (s.size() > 160) out += "...";
  out += '\'';
  return out;
}

std::string AsString(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

const char* OnnxDataTypeName(int32_t t) {
  switch (t) {
    case 1:
      return "FLOAT";
    case 2:
      return "UINT8";
    case 3:
      return "INT8";
    case 4:
      return "UINT16";
    case 5:
      return "INT16";
    case 6:
      return "INT32";
    case 7:
      return "INT64";
    case 8:
      return "STRING";
    case 9:
      return "BOOL";
    case 10:
      return "FLOAT16";
    case 11:
      return "DOUBLE";
    case 12:
      return "UINT32";
    case 13:
      return "UINT64";
    case 16:
      return "BFLOAT16";
  }
  return "an unknown type";
}

size_t OnnxDataTypeBytes(int32_t t) {
  switch (t) {
    case 2:
    case 3:
    case 9:
      return 1;
    case 4:
    case 5:
    case 10:
    case 16:
      return 2;
    case 1:
    case 6:
    case 12:
      return 4;
    case 7:
    case 11:
    case 13:
      return 8;
  }
  return 0;
}

StatusOr<std::unique_ptr<OnnxModel>> OnnxModel::Open(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> map, MappedFile::Open(path));
  return Build(path, std::move(map), {}, [&](OnnxModel& m) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    m.dir_ = parent.empty() ? "." : parent.string();
  });
}

StatusOr<std::unique_ptr<OnnxModel>> OnnxModel::FromMemory(std::span<const uint8_t> bytes,
                                                           std::string name, std::string dir) {
  return Build(std::move(name), nullptr, bytes, [&](OnnxModel& m) { m.dir_ = std::move(dir); });
}

const OnnxTensor* OnnxModel::FindInitializer(std::string_view name) const {
  const auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &initializers_[it->second];
}

std::vector<std::string> OnnxModel::external_files() const {
  std::vector<std::string> out;
  for (const auto& [name, map] : external_) out.push_back(name);
  return out;
}

Status OnnxModel::Parse() {
  auto corrupt = [&](const std::string& what) {
    return CorruptData(path_ + ": not a valid ONNX model: " + what);
  };
  pb::Reader r(bytes_);
  bool have_graph = false;
  std::span<const uint8_t> graph;
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.Key(&field, &wt)) return corrupt("bad field key in ModelProto");
    std::span<const uint8_t> sub;
    uint64_t v;
    if (field == 1 && wt == pb::kVarint) {
      if (!r.Varint(&v)) return corrupt("truncated ir_version");
      ir_version_ = static_cast<int64_t>(v);
    } else if (field == 2 && wt == pb::kLen) {
      if (!r.Bytes(&sub)) return corrupt("truncated producer_name");
      producer_ = AsString(sub);
    } else if (field == 7 && wt == pb::kLen) {
      if (!r.Bytes(&graph)) return corrupt("truncated graph");
      have_graph = true;
    } else if (field == 7 || ((field == 1 || field == 2) && wt != pb::kVarint && wt != pb::kLen)) {
      return corrupt("ModelProto field " + std::to_string(field) + " has wire type " +
                     std::to_string(wt));
    } else if (!r.Skip(wt)) {
      return corrupt("truncated ModelProto field " + std::to_string(field));
    }
  }
  if (!have_graph) return corrupt("no graph (is this an ONNX file?)");
  if (ir_version_ <= 0) return corrupt("missing ir_version (is this an ONNX file?)");
  return ParseGraph(graph);
}

Status OnnxModel::ParseGraph(std::span<const uint8_t> graph) {
  auto corrupt = [&](const std::string& what) {
    return CorruptData(path_ + ": not a valid ONNX model: " + what);
  };
  pb::Reader r(graph);
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.Key(&field, &wt)) return corrupt("bad field key in GraphProto");
    std::span<const uint8_t> sub;
    if ((field == 1 || field == 5) && wt != pb::kLen) {
      return corrupt("GraphProto field " + std::to_string(field) + " has wire type " +
                     std::to_string(wt));
    }
    if (field == 1) {
      if (!r.Bytes(&sub)) return corrupt("truncated node " + std::to_string(nodes_.size()));
      OnnxNode node;
      pb::Reader n(sub);
      while (!n.done()) {
        uint32_t f, t;
        std::span<const uint8_t> s;
        if (!n.Key(&f, &t)) return corrupt("bad key in node " + std::to_string(nodes_.size()));
        if (t == pb::kLen && (f == 1 || f == 3 || f == 4)) {
          if (!n.Bytes(&s)) return corrupt("truncated node " + std::to_string(nodes_.size()));
          if (f == 1) node.inputs.push_back(AsString(s));
          if (f == 3) node.name = AsString(s);
          if (f == 4) node.op_type = AsString(s);
        } else if (!n.Skip(t)) {
          return corrupt("truncated node " + std::to_string(nodes_.size()));
        }
      }
      nodes_.push_back(std::move(node));
    } else if (field == 5) {
      if (!r.Bytes(&sub))
        return corrupt("truncated initializer " + std::to_string(initializers_.size()));
      OnnxTensor t;
      GEMMA_RETURN_IF_ERROR(ParseTensor(sub, initializers_.size(), &t));
      const auto [it, inserted] = index_.emplace(t.name, initializers_.size());
      if (!inserted) return corrupt("two initializers are named " + Quote(t.name));
      initializers_.push_back(std::move(t));
    } else if (!r.Skip(wt)) {
      return corrupt("truncated GraphProto field " + std::to_string(field));
    }
  }
  return Status::Ok();
}

Status OnnxModel::ParseTensor(std::span<const uint8_t> bytes, size_t index, OnnxTensor* t) {
  std::string what = "initializer #" + std::to_string(index);
  auto corrupt = [&](const std::string& detail) {
    return CorruptData(path_ + ": " + what + ": " + detail);
  };
  pb::Reader r(bytes);
  std::span<const uint8_t> raw, float_data;
  bool has_raw = false, has_float = false, external = false, segmented = false;
  std::vector<uint32_t> int32_data;
  std::vector<float> float_values;  // unpacked float_data
  std::map<std::string, std::string> ext;
  while (!r.done()) {
    uint32_t f, wt;
    if (!r.Key(&f, &wt)) return corrupt("bad field key in TensorProto");
    uint64_t v = 0;
    std::span<const uint8_t> s;
    bool ok = true;
    if (f == 1 && wt == pb::kVarint) {
      ok = r.Varint(&v);
      t->dims.push_back(v);
    } else if (f == 1 && wt == pb::kLen) {  // packed dims
      ok = r.Bytes(&s);
      pb::Reader d(s);
      while (ok && !d.done()) {
        ok = d.Varint(&v);
        t->dims.push_back(v);
      }
    } else if (f == 2 && wt == pb::kVarint) {
      ok = r.Varint(&v);
      t->data_type = static_cast<int32_t>(v);
    } else if (f == 3) {
      segmented = true;
      ok = r.Skip(wt);
    } else if (f == 4 && wt == pb::kLen) {
      ok = r.Bytes(&float_data);
      has_float = true;
    } else if (f == 4 && wt == pb::kFixed32) {
      uint32_t bits = 0;
      ok = r.Fixed32(&bits);
      float x;
      std::memcpy(&x, &bits, 4);
      float_values.push_back(x);
      has_float = true;
    } else if (f == 5 && wt == pb::kLen) {
      ok = r.Bytes(&s);
      pb::Reader d(s);
      while (ok && !d.done()) {
        ok = d.Varint(&v);
        int32_data.push_back(static_cast<uint32_t>(v));
      }
    } else if (f == 5 && wt == pb::kVarint) {
      ok = r.Varint(&v);
      int32_data.push_back(static_cast<uint32_t>(v));
    } else if (f == 8 && wt == pb::kLen) {
      ok = r.Bytes(&s);
      t->name = AsString(s);
      what = "initializer " + Quote(t->name);
    } else if (f == 9 && wt == pb::kLen) {
      ok = r.Bytes(&raw);
      has_raw = true;
    } else if (f == 13 && wt == pb::kLen) {
      ok = r.Bytes(&s);
      pb::Reader e(s);
      std::string key, value;
      while (ok && !e.done()) {
        uint32_t ef, et;
        std::span<const uint8_t> es;
        ok = e.Key(&ef, &et);
        if (ok && et == pb::kLen && (ef == 1 || ef == 2)) {
          ok = e.Bytes(&es);
          (ef == 1 ? key : value) = AsString(es);
        } else if (ok) {
          ok = e.Skip(et);
        }
      }
      if (ok) ext[key] = value;
    } else if (f == 14 && wt == pb::kVarint) {
      ok = r.Varint(&v);
      external = v == 1;
    } else {
      ok = r.Skip(wt);
    }
    if (!ok) return corrupt("truncated TensorProto");
  }
  if (t->name.empty()) return corrupt("initializer without a name");
  if (segmented) return Unsupported(path_ + ": " + what + ": segmented tensors are not supported");
  if (t->dims.size() > 8) return corrupt(std::to_string(t->dims.size()) + " dimensions");
  for (const uint64_t d : t->dims) {
    if (d > (uint64_t{1} << 48))
      return corrupt("dimension " + std::to_string(static_cast<int64_t>(d)) + " is out of range");
    if (__builtin_mul_overflow(t->n_elements, d, &t->n_elements))
      return corrupt("element count overflows");
  }
  const size_t elem = OnnxDataTypeBytes(t->data_type);
  uint64_t want = 0;
  if (elem != 0 && __builtin_mul_overflow(t->n_elements, static_cast<uint64_t>(elem), &want)) {
    return corrupt("byte size overflows");
  }
  auto check_size = [&](uint64_t got, const char* where) -> Status {
    if (elem != 0 && got != want) {
      return corrupt(std::string(where) + " holds " + std::to_string(got) + " bytes, but " +
                     OnnxDataTypeName(t->data_type) + " with " + std::to_string(t->n_elements) +
                     " elements needs " + std::to_string(want));
    }
    return Status::Ok();
  };
  if (external) {
    GEMMA_RETURN_IF_ERROR(ResolveExternal(t, ext));
    return check_size(t->n_bytes, "external data");
  }
  if (has_raw) {
    t->data = raw.data();
    t->n_bytes = raw.size();
    return check_size(t->n_bytes, "raw_data");
  }
  if (has_float && t->data_type == kOnnxFloat) {
    const size_t n = float_data.size() + float_values.size() * 4;
    auto buf = std::make_unique<uint8_t[]>(std::max<size_t>(n, 1));
    if (!float_data.empty()) std::memcpy(buf.get(), float_data.data(), float_data.size());
    if (!float_values.empty()) {
      std::memcpy(buf.get() + float_data.size(), float_values.data(), float_values.size() * 4);
    }
    t->data = buf.get();
    t->n_bytes = n;
    owned_.push_back(std::move(buf));
    return check_size(n, "float_data");
  }
  if (!int32_data.empty() && (t->data_type == kOnnxFloat16 || t->data_type == kOnnxBFloat16)) {
    auto buf = std::make_unique<uint8_t[]>(int32_data.size() * 2);
    for (size_t i = 0; i < int32_data.size(); ++i) {
      const auto h = static_cast<uint16_t>(int32_data[i]);
      std::memcpy(buf.get() + 2 * i, &h, 2);
    }
    t->data = buf.get();
    t->n_bytes = int32_data.size() * 2;
    owned_.push_back(std::move(buf));
    return check_size(t->n_bytes, "int32_data");
  }
  return Status::Ok();  // no data we read (e.g. int64 shape constants)
}

Status OnnxModel::ResolveExternal(OnnxTensor* t, const std::map<std::string, std::string>& info) {
  const std::string what = path_ + ": initializer " + Quote(t->name) + ": external data: ";
  const auto loc = info.find("location");
  if (loc == info.end() || loc->second.empty()) return CorruptData(what + "no \"location\"");
  const std::filesystem::path rel(loc->second);
  // has_root_directory: on Windows "/etc/x" is not is_absolute() (no drive)
  // but still leaves the model directory.
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
    return CorruptData(what + "location " + Quote(loc->second) + " is not a relative path");
  }
  for (const auto& part : rel) {
    if (part == "..")
      return CorruptData(what + "location " + Quote(loc->second) + " leaves the model directory");
  }
  auto number = [&](const char* key, uint64_t* out) -> Status {
    const auto it = info.find(key);
    if (it == info.end()) return Status::Ok();
    const std::string& s = it->second;
    uint64_t v = 0;
    if (s.empty() || s.size() > 19)
      return CorruptData(what + key + " " + Quote(s) + " is not a number");
    for (const char c : s) {
      if (c < '0' || c > '9') return CorruptData(what + key + " " + Quote(s) + " is not a number");
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    *out = v;
    return Status::Ok();
  };
  auto it = external_.find(loc->second);
  if (it == external_.end()) {
    const std::string file = (std::filesystem::path(dir_) / rel).string();
    StatusOr<std::unique_ptr<MappedFile>> m = MappedFile::Open(file);
    if (!m.ok()) {
      return Status(m.status().code(),
                    what + "cannot open " + Quote(loc->second) + ": " + m.status().message());
    }
    it = external_.emplace(loc->second, std::move(m).value()).first;
  }
  const MappedFile& f = *it->second;
  uint64_t offset = 0, length = 0;
  GEMMA_RETURN_IF_ERROR(number("offset", &offset));
  if (offset > f.size()) {
    return CorruptData(what + "offset " + std::to_string(offset) + " is past the end of " +
                       Quote(loc->second) + " (" + std::to_string(f.size()) + " bytes)");
  }
  length = f.size() - offset;
  GEMMA_RETURN_IF_ERROR(number("length", &length));
  if (length > f.size() - offset) {
    return CorruptData(what + "[" + std::to_string(offset) + ", " +
                       std::to_string(offset + length) + ") runs past the end of " +
                       Quote(loc->second) + " (" + std::to_string(f.size()) + " bytes)");
  }
  t->location = loc->second;
  t->offset = offset;
  t->data = f.data() + offset;
  t->n_bytes = length;
  return Status::Ok();
}

}  // namespace gemma
