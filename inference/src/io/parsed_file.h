// Base of the format readers (GgufFile, GcoreFile, SafeTensorsFile,
// OnnxModel): the bytes they parse, from a file map or from the caller's
// memory, and the one way to build and parse a reader without letting an
// exception escape the library.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "gemma/status.h"
#include "io/mapped_file.h"
#include "io/no_throw.h"

namespace gemma {

// File derives from ParsedFile<File>, befriends it, and has a private default
// constructor and `Status Parse()` reading bytes_.
template <class File>
class ParsedFile {
 public:
  // The file's path, or the name given to FromMemory.
  const std::string& path() const { return path_; }
  uint64_t file_size() const { return bytes_.size(); }
  // The file's bytes (null when parsing the caller's memory).
  MappedFile* mapped_file() const { return map_.get(); }

 protected:
  // A File over `map`, or over `bytes` when map is null; `init` sets the
  // File's own fields before Parse. Errors and exceptions become a Status.
  // (`name` is moved into the File inside the lambda.)
  template <class Init>
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  static StatusOr<std::unique_ptr<File>> Build(std::string name, std::unique_ptr<MappedFile> map,
                                               std::span<const uint8_t> bytes, Init&& init) {
    const std::string where = name;
    return NoThrow<std::unique_ptr<File>>(where, [&]() -> StatusOr<std::unique_ptr<File>> {
      std::unique_ptr<File> f(new File());
      f->path_ = std::move(name);
      f->bytes_ = map ? std::span<const uint8_t>(map->data(), map->size()) : bytes;
      f->map_ = std::move(map);
      init(*f);
      GEMMA_RETURN_IF_ERROR(f->Parse());
      return f;
    });
  }
  static StatusOr<std::unique_ptr<File>> Build(std::string name, std::unique_ptr<MappedFile> map,
                                               std::span<const uint8_t> bytes) {
    return Build(std::move(name), std::move(map), bytes, [](File&) {});
  }

  std::string path_;
  std::unique_ptr<MappedFile> map_;
  std::span<const uint8_t> bytes_;
};

}  // namespace gemma
