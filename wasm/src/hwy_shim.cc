// The few out-of-line symbols of Highway 1.0.3 that gemma's kernels use.
// Debian ships libhwy only as a native shared library, so the wasm build
// compiles Highway's headers (a private copy, see wasm/CMakeLists.txt) and
// provides these here. Under -msimd128 the only compiled target is HWY_WASM
// (plus HWY_SCALAR as the dispatch fallback), so "detection" is static.
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hwy/aligned_allocator.h"
#include "hwy/base.h"
#include "hwy/targets.h"

namespace hwy {
namespace {

std::atomic<int64_t> g_supported_for_test{0};
std::atomic<int64_t> g_disabled{0};

constexpr size_t kAlignment = 64;

}  // namespace

HWY_NORETURN void HWY_FORMAT(3, 4) Abort(const char* file, int line, const char* format, ...) {
  char buf[2000];
  va_list args;
  va_start(args, format);
  vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  fprintf(stderr, "Abort at %s:%d: %s\n", file, line, buf);
  fflush(stderr);
  abort();
}

int64_t SupportedTargets() {
  int64_t targets = g_supported_for_test.load();
  if (targets == 0) targets = HWY_ENABLED_BASELINE | HWY_SCALAR;
  targets &= ~g_disabled.load();
  if (targets == 0) targets = HWY_SCALAR;
  GetChosenTarget().Update(targets);
  return targets;
}

void DisableTargets(int64_t disabled_targets) {
  g_disabled.store(disabled_targets & ~HWY_ENABLED_BASELINE);
  GetChosenTarget().Update(SupportedTargets());
}

void SetSupportedTargetsForTest(int64_t targets) {
  g_supported_for_test.store(targets);
  GetChosenTarget().Update(SupportedTargets());
}

ChosenTarget& GetChosenTarget() {
  static ChosenTarget chosen_target;
  return chosen_target;
}

void* AllocateAlignedBytes(size_t payload_size, AllocPtr alloc_ptr, void* opaque_ptr) {
  if (payload_size == 0) payload_size = 1;
  // Room for the alignment and a header that remembers the original pointer.
  const size_t total = payload_size + kAlignment + sizeof(void*);
  void* raw = alloc_ptr ? alloc_ptr(opaque_ptr, total) : malloc(total);
  if (raw == nullptr) return nullptr;
  uintptr_t p = reinterpret_cast<uintptr_t>(raw) + sizeof(void*);
  p = (p + kAlignment - 1) & ~(uintptr_t{kAlignment} - 1);
  std::memcpy(reinterpret_cast<void**>(p) - 1, &raw, sizeof(raw));
  return reinterpret_cast<void*>(p);
}

void FreeAlignedBytes(const void* aligned_pointer, FreePtr free_ptr, void* opaque_ptr) {
  if (aligned_pointer == nullptr) return;
  void* raw;
  std::memcpy(&raw, reinterpret_cast<void* const*>(aligned_pointer) - 1, sizeof(raw));
  if (free_ptr) {
    free_ptr(opaque_ptr, raw);
  } else {
    free(raw);
  }
}

}  // namespace hwy
