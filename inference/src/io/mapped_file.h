// A read-only memory map of a whole file. Tensor views point into it, so it
// must outlive every view; weights are never copied out of it.
//
// Residency::kHugePages (model weights) reads the file once into anonymous
// memory advised for transparent huge pages (Linux) instead of mapping the
// page cache: decode streams every weight once per token, and with 4 KiB
// page-cache pages the TLB misses cost ~25% of decode speed on a Gemma-2B
// Q4_0 (docs/BENCHMARKS.md). The price is a copy at load (bounded by read
// speed) and no sharing of the pages between processes; Residency::kMap keeps
// the zero-copy mapping (`--mmap`). Where huge pages are unavailable (other
// OSes, or the allocation fails) kHugePages falls back to kMap. Small files
// are copied too (they gain nothing from huge pages, but owning the bytes lets
// the model rearrange them for its kernels, see SetWritable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gemma/status.h"

namespace gemma {

class MappedFile {
 public:
  enum class Residency { kMap, kHugePages };
  static StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path,
                                                    Residency residency = Residency::kMap);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // True when the bytes were read into anonymous huge-page memory.
  bool copied() const { return anon_bytes_ != 0; }
  // Copies only (copied()): makes the bytes writable, or read-only again, for
  // a one-time rearrangement by the owner at load (the model interleaves
  // weight rows for its kernels). Returns false (and changes nothing) for a
  // file map, whose pages are never written.
  bool SetWritable(bool writable);
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size, size_t anon_bytes)
      : path_(std::move(path)), data_(data), size_(size), anon_bytes_(anon_bytes) {}
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t anon_bytes_ = 0;  // length of the anonymous mapping, 0 for a file map
};

}  // namespace gemma
