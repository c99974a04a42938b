#include "io/gcore.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <numeric>

#include "io/bytes.h"
#include "io/file_writer.h"
#include "io/xxhash64.h"

namespace gemma {
namespace {

constexpr uint8_t kMagic[8] = {'G', 'C', 'O', 'R', 'E', '\r', '\n', 0x1a};
constexpr uint64_t kHeaderSize = 64;
constexpr uint32_t kRequired = 1;

constexpr uint32_t Tag(const char (&s)[5]) {
  return static_cast<uint32_t>(s[0]) | static_cast<uint32_t>(s[1]) << 8 |
         static_cast<uint32_t>(s[2]) << 16 | static_cast<uint32_t>(s[3]) << 24;
}
constexpr uint32_t kTagConfig = Tag("CONF");
constexpr uint32_t kTagInfo = Tag("INFO");
constexpr uint32_t kTagVocab = Tag("VOCA");
constexpr uint32_t kTagTensors = Tag("TENS");

std::string TagName(uint32_t tag) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>(tag >> (8 * i));
    s.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return s;
}

void EncodeKvs(const std::vector<GcoreKv>& kvs, bytes::Writer* w) {
  w->U32(static_cast<uint32_t>(kvs.size()));
  for (const GcoreKv& kv : kvs) {
    w->Str(kv.key);
    w->U8(static_cast<uint8_t>(kv.type));
    switch (kv.type) {
      case GcoreKv::Type::kU64:
        w->U64(kv.u);
        break;
      case GcoreKv::Type::kF64:
        w->F64(kv.f);
        break;
      case GcoreKv::Type::kString:
        w->Str(kv.s);
        break;
    }
  }
}

bool DecodeKvs(std::span<const uint8_t> b, std::vector<GcoreKv>* out) {
  bytes::Reader r(b);
  uint32_t n;
  if (!r.U32(&n) || n > r.remaining() / 6) return false;
  for (uint32_t i = 0; i < n; ++i) {
    GcoreKv kv;
    uint8_t type;
    if (!r.Str(&kv.key) || !r.U8(&type)) return false;
    kv.type = static_cast<GcoreKv::Type>(type);
    bool ok = false;
    switch (kv.type) {
      case GcoreKv::Type::kU64:
        ok = r.U64(&kv.u);
        break;
      case GcoreKv::Type::kF64:
        ok = r.F64(&kv.f);
        break;
      case GcoreKv::Type::kString:
        ok = r.Str(&kv.s);
        break;
    }
    if (!ok) return false;
    out->push_back(std::move(kv));
  }
  return r.done();
}

}  // namespace

bool IsGcoreMagic(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::equal(kMagic, kMagic + 8, bytes.begin());
}

const char* GcoreLayoutName(GcoreLayout l) {
  switch (l) {
    case GcoreLayout::kRowMajor:
      return "row-major";
  }
  return "?";
}

std::string GcoreKv::ToDisplayString() const {
  switch (type) {
    case Type::kU64:
      return std::to_string(u);
    case Type::kF64: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.9g", f);
      return buf;
    }
    case Type::kString:
      return "\"" + s + "\"";
  }
  return "?";
}

// ---- Reader ----------------------------------------------------------------

StatusOr<std::unique_ptr<GcoreFile>> GcoreFile::Open(const std::string& path,
                                                     MappedFile::Residency residency) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> map, MappedFile::Open(path, residency));
  return Build(path, std::move(map), {});
}

StatusOr<std::unique_ptr<GcoreFile>> GcoreFile::FromMemory(std::span<const uint8_t> bytes,
                                                           std::string name) {
  return Build(std::move(name), nullptr, bytes);
}

Status GcoreFile::Parse() {
  auto corrupt = [&](const std::string& what) {
    return CorruptData(path_ + ": invalid .gcore file: " + what);
  };
  if (bytes_.size() < kHeaderSize) {
    return corrupt("file of " + std::to_string(bytes_.size()) +
                   " bytes is shorter than the header");
  }
  if (!IsGcoreMagic(bytes_)) return corrupt("bad magic (not a .gcore file)");
  bytes::Reader h(bytes_.first(kHeaderSize));
  uint64_t skip, file_size, meta_offset, meta_size, data_offset, meta_sum, header_sum;
  uint32_t major;
  (void)h.U64(&skip);
  (void)h.U32(&major);
  (void)h.U32(&minor_);
  (void)h.U64(&file_size);
  (void)h.U64(&meta_offset);
  (void)h.U64(&meta_size);
  (void)h.U64(&data_offset);
  (void)h.U64(&meta_sum);
  (void)h.U64(&header_sum);
  if (XxHash64(bytes_.data(), 56) != header_sum) return corrupt("header checksum mismatch");
  if (major != kGcoreMajor) {
    return Unsupported(path_ + ": .gcore version " + std::to_string(major) + "." +
                       std::to_string(minor_) + " is not supported (this build reads version " +
                       std::to_string(kGcoreMajor) + ".x)");
  }
  if (file_size != bytes_.size()) {
    return corrupt("the header says the file has " + std::to_string(file_size) + " bytes, it has " +
                   std::to_string(bytes_.size()) + " (truncated or appended to?)");
  }
  if (meta_offset != kHeaderSize || meta_size > file_size - kHeaderSize ||
      data_offset < meta_offset + meta_size || data_offset > file_size ||
      data_offset % kGcoreAlignment != 0) {
    return corrupt("inconsistent section offsets (metadata " + std::to_string(meta_offset) + " + " +
                   std::to_string(meta_size) + ", data " + std::to_string(data_offset) + ")");
  }
  const std::span<const uint8_t> meta = bytes_.subspan(meta_offset, meta_size);
  if (XxHash64(meta.data(), meta.size()) != meta_sum) return corrupt("metadata checksum mismatch");

  bytes::Reader r(meta);
  bool have_config = false, have_vocab = false, have_tensors = false;
  while (!r.done()) {
    uint32_t tag, flags;
    uint64_t size;
    std::span<const uint8_t> payload;
    if (!r.U32(&tag) || !r.U32(&flags) || !r.U64(&size) || !r.Span(size, &payload) ||
        !r.SkipTo(8)) {
      return corrupt("truncated metadata section");
    }
    if (tag == kTagConfig) {
      if (!DecodeKvs(payload, &config_)) return corrupt("malformed CONF section");
      have_config = true;
    } else if (tag == kTagInfo) {
      if (!DecodeKvs(payload, &info_)) return corrupt("malformed INFO section");
    } else if (tag == kTagVocab) {
      vocab_ = payload;
      have_vocab = true;
    } else if (tag == kTagTensors) {
      GEMMA_RETURN_IF_ERROR(ParseTensors(payload));
      have_tensors = true;
    } else if (flags & kRequired) {
      return Unsupported(
          path_ + ": .gcore section '" + TagName(tag) +
          "' is required but unknown to this build (written by a newer gemma-core?)");
    }
  }
  if (!have_config || !have_vocab || !have_tensors) {
    return corrupt(std::string("missing section ") + (!have_config  ? "CONF"
                                                      : !have_vocab ? "VOCA"
                                                                    : "TENS"));
  }
  // Tensor data lies in the data area and no two tensors share bytes.
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  uint64_t end = data_offset;
  for (const size_t i : order) {
    GcoreTensor& t = tensors_[i];
    if (t.offset < end || t.offset > file_size || t.offset % kGcoreAlignment != 0 ||
        t.n_bytes > file_size - t.offset) {
      return corrupt("tensor '" + t.name + "': data [" + std::to_string(t.offset) + ", +" +
                     std::to_string(t.n_bytes) +
                     ") is misaligned, overlaps another tensor or runs "
                     "past the end of the file (" +
                     std::to_string(file_size) + " bytes)");
    }
    end = t.offset + t.n_bytes;
    t.data = bytes_.data() + t.offset;
  }
  return Status::Ok();
}

Status GcoreFile::ParseTensors(std::span<const uint8_t> payload) {
  auto corrupt = [&](const std::string& what) {
    return CorruptData(path_ + ": invalid .gcore file: tensor table: " + what);
  };
  bytes::Reader r(payload);
  uint32_t n;
  if (!r.U32(&n) || n > r.remaining() / 40) return corrupt("bad tensor count");
  tensors_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    GcoreTensor t;
    uint32_t type, layout, n_dims;
    if (!r.Str(&t.name) || !r.U32(&type) || !r.U32(&layout) || !r.U32(&n_dims)) {
      return corrupt("truncated entry #" + std::to_string(i));
    }
    if (t.name.empty()) return corrupt("entry #" + std::to_string(i) + " has no name");
    const std::string what = "tensor '" + t.name + "': ";
    if (!IsKnownDType(type)) return corrupt(what + "unknown type " + std::to_string(type));
    t.type = static_cast<DType>(type);
    if (layout != static_cast<uint32_t>(GcoreLayout::kRowMajor)) {
      return Unsupported(path_ + ": " + what + "data layout " + std::to_string(layout) +
                         " is unknown to this build (written by a newer gemma-core?)");
    }
    if (n_dims == 0 || n_dims > 4) return corrupt(what + std::to_string(n_dims) + " dimensions");
    uint64_t elems = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim;
      if (!r.U64(&dim)) return corrupt("truncated entry #" + std::to_string(i));
      if (dim == 0 || __builtin_mul_overflow(elems, dim, &elems))
        return corrupt(what + "bad dimension");
      t.dims.push_back(dim);
    }
    if (!r.U64(&t.offset) || !r.U64(&t.n_bytes) || !r.U64(&t.checksum)) {
      return corrupt("truncated entry #" + std::to_string(i));
    }
    if (t.dims[0] % DTypeBlockElems(t.type) != 0) {
      return corrupt(what + "rows of " + std::to_string(t.dims[0]) + " are not whole " +
                     DTypeName(t.type) + " blocks");
    }
    uint64_t want = 0;
    if (__builtin_mul_overflow(elems / DTypeBlockElems(t.type),
                               static_cast<uint64_t>(DTypeBlockBytes(t.type)), &want) ||
        want != t.n_bytes) {
      return corrupt(what + std::to_string(t.n_bytes) + " bytes do not match its type and shape");
    }
    if (!index_.emplace(t.name, tensors_.size()).second) return corrupt(what + "listed twice");
    tensors_.push_back(std::move(t));
  }
  if (!r.done()) return corrupt("trailing bytes");
  return Status::Ok();
}

const GcoreTensor* GcoreFile::FindTensor(std::string_view name) const {
  const auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const GcoreKv* GcoreFile::FindConfig(std::string_view key) const {
  for (const GcoreKv& kv : config_) {
    if (kv.key == key) return &kv;
  }
  return nullptr;
}

StatusOr<uint64_t> GcoreFile::ConfigU64(std::string_view key) const {
  const GcoreKv* kv = FindConfig(key);
  if (kv == nullptr)
    return CorruptData(path_ + ": .gcore config key '" + std::string(key) + "' is missing");
  if (kv->type != GcoreKv::Type::kU64) {
    return CorruptData(path_ + ": .gcore config key '" + std::string(key) + "' is not an integer");
  }
  return kv->u;
}

StatusOr<double> GcoreFile::ConfigF64(std::string_view key) const {
  const GcoreKv* kv = FindConfig(key);
  if (kv == nullptr)
    return CorruptData(path_ + ": .gcore config key '" + std::string(key) + "' is missing");
  if (kv->type != GcoreKv::Type::kF64) {
    return CorruptData(path_ + ": .gcore config key '" + std::string(key) + "' is not a number");
  }
  return kv->f;
}

StatusOr<std::string> GcoreFile::ConfigString(std::string_view key) const {
  const GcoreKv* kv = FindConfig(key);
  if (kv == nullptr)
    return CorruptData(path_ + ": .gcore config key '" + std::string(key) + "' is missing");
  if (kv->type != GcoreKv::Type::kString) {
    return CorruptData(path_ + ": .gcore config key '" + std::string(key) + "' is not a string");
  }
  return kv->s;
}

StatusOr<VocabSpec> GcoreFile::Vocab() const { return DecodeGcoreVocab(vocab_, path_); }

Status GcoreFile::VerifyTensors(const std::function<void(float)>& progress) const {
  uint64_t total = 0, done = 0;
  for (const GcoreTensor& t : tensors_) total += t.n_bytes;
  for (const GcoreTensor& t : tensors_) {
    if (XxHash64(t.data, t.n_bytes) != t.checksum) {
      return CorruptData(path_ + ": tensor '" + t.name +
                         "' fails its checksum (the data at offset " + std::to_string(t.offset) +
                         " is corrupt)");
    }
    done += t.n_bytes;
    if (progress) progress(total ? static_cast<float>(done) / static_cast<float>(total) : 1.0f);
  }
  return Status::Ok();
}

// ---- Writer ----------------------------------------------------------------

void GcoreWriter::SetVocab(const VocabSpec& vocab) { vocab_ = EncodeGcoreVocab(vocab); }

Status GcoreWriter::AddTensor(std::string name, DType type, std::vector<uint64_t> dims,
                              GcoreLayout layout) {
  if (dims.empty() || dims.size() > 4) {
    return InvalidArgument(".gcore writer: tensor '" + name + "' needs 1 to 4 dims");
  }
  uint64_t n = 1;
  for (const uint64_t d : dims) n *= d;
  if (dims[0] % DTypeBlockElems(type) != 0) {
    return InvalidArgument(".gcore writer: tensor '" + name + "' rows are not whole blocks");
  }
  GcoreTensor t;
  t.name = std::move(name);
  t.type = type;
  t.layout = layout;
  t.dims = std::move(dims);
  t.n_bytes = n / DTypeBlockElems(type) * DTypeBlockBytes(type);
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

std::vector<uint8_t> GcoreWriter::Metadata(const std::vector<uint64_t>& checksums) const {
  bytes::Writer w;
  auto section = [&](uint32_t tag, uint32_t flags, const std::vector<uint8_t>& payload) {
    w.U32(tag);
    w.U32(flags);
    w.U64(payload.size());
    w.Raw(payload.data(), payload.size());
    w.PadTo(8);
  };
  bytes::Writer config, info, table;
  EncodeKvs(config_, &config);
  EncodeKvs(info_, &info);
  section(kTagConfig, kRequired, config.bytes());
  section(kTagInfo, 0, info.bytes());
  section(kTagVocab, kRequired, vocab_);
  table.U32(static_cast<uint32_t>(tensors_.size()));
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const GcoreTensor& t = tensors_[i];
    table.Str(t.name);
    table.U32(static_cast<uint32_t>(t.type));
    table.U32(static_cast<uint32_t>(t.layout));
    table.U32(static_cast<uint32_t>(t.dims.size()));
    for (const uint64_t d : t.dims) table.U64(d);
    table.U64(t.offset);
    table.U64(t.n_bytes);
    table.U64(checksums[i]);
  }
  section(kTagTensors, kRequired, table.bytes());
  return std::move(w.bytes());
}

Status GcoreWriter::Write(const std::string& path, const DataFn& data,
                          const std::function<void(float)>& progress) const {
  // Offsets first (the metadata size does not depend on the checksums).
  GcoreWriter layout = *this;
  std::vector<uint64_t> sums(tensors_.size(), 0);
  const uint64_t meta_size = Metadata(sums).size();
  const auto align = [](uint64_t x) {
    return (x + kGcoreAlignment - 1) / kGcoreAlignment * kGcoreAlignment;
  };
  const uint64_t data_offset = align(kHeaderSize + meta_size);
  uint64_t pos = data_offset, total = 0;
  for (GcoreTensor& t : layout.tensors_) {
    t.offset = pos;
    pos = align(pos + t.n_bytes);
    total += t.n_bytes;
  }
  const uint64_t file_size = layout.tensors_.empty()
                                 ? data_offset
                                 : layout.tensors_.back().offset + layout.tensors_.back().n_bytes;

  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<FileWriter> out, FileWriter::Create(path));
  GEMMA_RETURN_IF_ERROR(out->Write(std::vector<uint8_t>(kHeaderSize, 0)));
  GEMMA_RETURN_IF_ERROR(out->Write(layout.Metadata(sums)));
  GEMMA_RETURN_IF_ERROR(out->Pad(kGcoreAlignment));
  std::vector<uint8_t> scratch;
  uint64_t done = 0;
  for (size_t i = 0; i < layout.tensors_.size(); ++i) {
    const GcoreTensor& t = layout.tensors_[i];
    StatusOr<std::span<const uint8_t>> b = data(i, &scratch);
    if (!b.ok()) return b.status();
    if (b->size() != t.n_bytes) {
      return Internal(path + ": tensor '" + t.name + "' has " + std::to_string(b->size()) +
                      " bytes, expected " + std::to_string(t.n_bytes));
    }
    if (out->position() != t.offset) return Internal(path + ": .gcore writer lost its place");
    sums[i] = XxHash64(b->data(), b->size());
    GEMMA_RETURN_IF_ERROR(out->Write(*b));
    if (i + 1 < layout.tensors_.size()) GEMMA_RETURN_IF_ERROR(out->Pad(kGcoreAlignment));
    done += t.n_bytes;
    if (progress) progress(total ? static_cast<float>(done) / static_cast<float>(total) : 1.0f);
  }
  if (out->position() != file_size) return Internal(path + ": .gcore writer size mismatch");

  const std::vector<uint8_t> meta = layout.Metadata(sums);
  bytes::Writer h;
  h.Raw(kMagic, 8);
  h.U32(kGcoreMajor);
  h.U32(kGcoreMinor);
  h.U64(file_size);
  h.U64(kHeaderSize);
  h.U64(meta.size());
  h.U64(data_offset);
  h.U64(XxHash64(meta.data(), meta.size()));
  h.U64(XxHash64(h.bytes().data(), h.size()));
  GEMMA_RETURN_IF_ERROR(out->Patch(0, h.bytes()));
  GEMMA_RETURN_IF_ERROR(out->Patch(kHeaderSize, meta));
  return out->Commit();
}

}  // namespace gemma
