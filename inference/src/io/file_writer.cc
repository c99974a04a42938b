#include "io/file_writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace gemma {

StatusOr<std::unique_ptr<FileWriter>> FileWriter::Create(const std::string& path) {
  if (path.empty()) return InvalidArgument("output path is empty");
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return IoError(path + ": cannot create '" + tmp + "': " + std::strerror(errno));
  }
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  return std::unique_ptr<FileWriter>(new FileWriter(path, tmp, f));
}

FileWriter::~FileWriter() {
  if (f_ != nullptr) std::fclose(f_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

Status FileWriter::Error(const char* what) {
  return IoError(path_ + ": " + what + " '" + tmp_ + "': " + std::strerror(errno));
}

Status FileWriter::Write(std::span<const uint8_t> bytes) {
  if (f_ == nullptr) return Internal(path_ + ": write after close");
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) {
    return Error("cannot write");
  }
  pos_ += bytes.size();
  return Status::Ok();
}

Status FileWriter::Write(std::string_view bytes) {
  return Write(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

Status FileWriter::Pad(uint64_t alignment) {
  static const std::vector<uint8_t> kZeros(4096, 0);
  uint64_t n = (alignment - pos_ % alignment) % alignment;
  while (n > 0) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, kZeros.size()));
    GEMMA_RETURN_IF_ERROR(Write(std::span<const uint8_t>(kZeros.data(), k)));
    n -= k;
  }
  return Status::Ok();
}

Status FileWriter::Patch(uint64_t offset, std::span<const uint8_t> bytes) {
  if (f_ == nullptr) return Internal(path_ + ": patch after close");
  if (offset + bytes.size() > pos_) return Internal(path_ + ": patch beyond the written bytes");
  if (std::fflush(f_) != 0 || std::fseek(f_, static_cast<long>(offset), SEEK_SET) != 0) {
    return Error("cannot seek in");
  }
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) return Error("cannot write");
  if (std::fflush(f_) != 0 || std::fseek(f_, 0, SEEK_END) != 0) return Error("cannot seek in");
  return Status::Ok();
}

Status FileWriter::Commit() {
  if (f_ == nullptr) return Internal(path_ + ": commit after close");
  const bool flushed = std::fflush(f_) == 0;
  const bool closed = std::fclose(f_) == 0;
  f_ = nullptr;
  if (!flushed || !closed) return Error("cannot finish writing");
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) return IoError(path_ + ": cannot rename '" + tmp_ + "' into place: " + ec.message());
  committed_ = true;
  return Status::Ok();
}

}  // namespace gemma
