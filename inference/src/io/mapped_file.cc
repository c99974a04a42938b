// Read-only whole-file memory maps: POSIX mmap(PROT_READ, MAP_PRIVATE), or on
// Windows CreateFileMappingW(PAGE_READONLY) + MapViewOfFile(FILE_MAP_READ).
// The platform code is confined to the two OS* helpers below.
#include "io/mapped_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <string>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace gemma {
namespace {

struct Mapping {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t anon_bytes = 0;  // > 0: anonymous memory of this length (huge pages)
};

#ifdef _WIN32

std::string WinErrorString(DWORD err) {
  char* buf = nullptr;
  const DWORD n = FormatMessageA(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, err, 0, reinterpret_cast<LPSTR>(&buf), 0, nullptr);
  std::string s = (n && buf) ? std::string(buf, n) : "error " + std::to_string(err);
  if (buf) LocalFree(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Status WinError(const std::string& path, const char* what, DWORD err) {
  std::string msg = path + ": " + what + ": " + WinErrorString(err);
  if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) return NotFound(std::move(msg));
  return IoError(std::move(msg));
}

std::wstring Widen(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  const int n =
      MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return std::wstring();
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), w.data(), n);
  return w;
}

StatusOr<Mapping> OSMap(const std::string& path, bool /*huge_pages: Linux only*/) {
  const std::wstring wpath = Widen(path);
  if (wpath.empty()) return InvalidArgument("'" + path + "': not a valid UTF-8 file name");
  HANDLE file = CreateFileW(wpath.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return WinError(path, "cannot open", GetLastError());
  LARGE_INTEGER li;
  if (!GetFileSizeEx(file, &li)) {
    const DWORD err = GetLastError();
    CloseHandle(file);
    return WinError(path, "cannot get file size", err);
  }
  if (li.QuadPart <= 0) {
    CloseHandle(file);
    return CorruptData(path + ": file is empty (0 bytes)");
  }
  if (static_cast<unsigned long long>(li.QuadPart) > std::numeric_limits<size_t>::max()) {
    CloseHandle(file);
    return ResourceExhausted(path + ": file of " + std::to_string(li.QuadPart) +
                             " bytes does not fit in the address space");
  }
  HANDLE mapping = CreateFileMappingW(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
  if (mapping == nullptr) {
    const DWORD err = GetLastError();
    CloseHandle(file);
    return WinError(path, "CreateFileMapping failed", err);
  }
  void* view = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0);
  const DWORD err = GetLastError();
  // The view keeps the mapping object (and the file) alive.
  CloseHandle(mapping);
  CloseHandle(file);
  if (view == nullptr) return WinError(path, "MapViewOfFile failed", err);
  return Mapping{static_cast<const uint8_t*>(view), static_cast<size_t>(li.QuadPart)};
}

void OSUnmap(const Mapping& m) {
  if (m.data) UnmapViewOfFile(m.data);
}

#else  // POSIX

Status ErrnoError(const std::string& path, const char* what, int err) {
  std::string msg = path + ": " + what + ": " + std::strerror(err);
  if (err == ENOENT || err == ENOTDIR) return NotFound(std::move(msg));
  return IoError(std::move(msg));
}

#ifdef __linux__
// Reads the whole file into anonymous memory advised for transparent huge
// pages. Returns an empty Mapping (caller falls back to mmap) when the memory
// cannot be had; read errors are errors.
StatusOr<Mapping> ReadIntoHugePages(const std::string& path, int fd, size_t size) {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t bytes = (size + kHuge - 1) / kHuge * kHuge;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return Mapping{};
  ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: failure just means 4 KiB pages
  auto* dst = static_cast<uint8_t*>(p);
  size_t done = 0;
  while (done < size) {
    const size_t want = std::min<size_t>(size - done, size_t{1} << 30);
    const ssize_t n = ::pread(fd, dst + done, want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::munmap(p, bytes);
      return ErrnoError(path, n < 0 ? "read failed" : "file shrank while reading", err);
    }
    done += static_cast<size_t>(n);
  }
  ::mprotect(p, bytes, PROT_READ);  // the weights are read-only from here on
  return Mapping{dst, size, bytes};
}
#endif

StatusOr<Mapping> OSMap(const std::string& path, bool huge_pages) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoError(path, "cannot open", errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(path, "cannot stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return IoError(path + ": not a regular file");
  }
  if (st.st_size <= 0) {
    ::close(fd);
    return CorruptData(path + ": file is empty (0 bytes)");
  }
  if (static_cast<unsigned long long>(st.st_size) > std::numeric_limits<size_t>::max()) {
    ::close(fd);
    return ResourceExhausted(path + ": file of " + std::to_string(st.st_size) +
                             " bytes does not fit in the address space");
  }
  const size_t size = static_cast<size_t>(st.st_size);
#ifdef __linux__
  if (huge_pages) {
    StatusOr<Mapping> copy = ReadIntoHugePages(path, fd, size);
    if (!copy.ok() || copy->data != nullptr) {
      ::close(fd);
      return copy;
    }
  }
#else
  (void)huge_pages;
#endif
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping stays valid without the descriptor
  if (p == MAP_FAILED) return ErrnoError(path, "mmap failed", err);
  return Mapping{static_cast<const uint8_t*>(p), size};
}

void OSUnmap(const Mapping& m) {
  if (m.data) ::munmap(const_cast<uint8_t*>(m.data), m.anon_bytes ? m.anon_bytes : m.size);
}

#endif

}  // namespace

StatusOr<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path,
                                                       Residency residency) {
  if (path.empty()) return InvalidArgument("MappedFile: empty path");
  StatusOr<Mapping> m = OSMap(path, residency == Residency::kHugePages);
  if (!m.ok()) return m.status();
  try {
    return std::unique_ptr<MappedFile>(new MappedFile(path, m->data, m->size, m->anon_bytes));
  } catch (const std::bad_alloc&) {
    OSUnmap(*m);
    return ResourceExhausted(path + ": out of memory");
  }
}

MappedFile::~MappedFile() { OSUnmap(Mapping{data_, size_, anon_bytes_}); }

bool MappedFile::SetWritable(bool writable) {
  if (!copied()) return false;
#if defined(_WIN32)
  return false;  // copies are Linux only
#else
  return ::mprotect(const_cast<uint8_t*>(data_), anon_bytes_,
                    writable ? PROT_READ | PROT_WRITE : PROT_READ) == 0;
#endif
}

}  // namespace gemma
