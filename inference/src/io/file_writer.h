// Buffered binary file output for the model writers: writes to "<path>.tmp"
// and renames it over <path> on Commit(), so a failed or interrupted write
// never leaves a half-written model under the final name.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "gemma/status.h"

namespace gemma {

class FileWriter {
 public:
  static StatusOr<std::unique_ptr<FileWriter>> Create(const std::string& path);
  ~FileWriter();  // removes the temporary file unless committed
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  Status Write(std::span<const uint8_t> bytes);
  Status Write(std::string_view bytes);
  // Writes zero bytes up to the next multiple of `alignment`.
  Status Pad(uint64_t alignment);
  // Rewrites bytes already written at `offset` (e.g. a header with sizes and
  // checksums known only at the end); the position stays at the end.
  Status Patch(uint64_t offset, std::span<const uint8_t> bytes);
  uint64_t position() const { return pos_; }
  const std::string& path() const { return path_; }
  // Flushes, closes and renames the file into place.
  Status Commit();

 private:
  FileWriter(std::string path, std::string tmp, std::FILE* f)
      : path_(std::move(path)), tmp_(std::move(tmp)), f_(f) {}
  Status Error(const char* what);

  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  uint64_t pos_ = 0;
  bool committed_ = false;
};

}  // namespace gemma
