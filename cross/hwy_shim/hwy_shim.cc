// Highway's out-of-line functions for targets where Debian ships no libhwy
// build (windows-x64 with MinGW-w64; usable by any toolchain that has the
// Highway 1.0.3 headers but not the library). Highway itself is header-only
// except for these: target detection (SupportedTargets and friends), the
// dispatch mask (GetChosenTarget), Abort and the aligned allocator. Written
// for this project against the 1.0.3 API in <hwy/targets.h>,
// <hwy/aligned_allocator.h> and <hwy/base.h>.
//
// Target detection: x86 reads CPUID and XCR0 (the OS must save the AVX /
// AVX-512 register state); every other architecture reports the compile-time
// baseline (no run-time dispatch beyond what the compiler flags allow).
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hwy/aligned_allocator.h"
#include "hwy/base.h"
#include "hwy/targets.h"

#if HWY_ARCH_X86 && !HWY_COMPILER_MSVC
#include <cpuid.h>
#elif HWY_ARCH_X86
#include <intrin.h>
#endif

namespace hwy {
namespace {

std::atomic<int64_t> g_mock_targets{0};  // SetSupportedTargetsForTest; 0 = none
std::atomic<int64_t> g_disabled{0};      // DisableTargets

#if HWY_ARCH_X86
void CpuId(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
#if HWY_COMPILER_MSVC
  int v[4];
  __cpuidex(v, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<uint32_t>(v[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

uint32_t Xcr0() {
#if HWY_COMPILER_MSVC
  return static_cast<uint32_t>(_xgetbv(0));
#else
  uint32_t lo, hi;
  asm volatile(".byte 0x0F, 0x01, 0xD0" : "=a"(lo), "=d"(hi) : "c"(0));  // xgetbv
  return lo;
#endif
}

constexpr bool Bit(uint32_t reg, int i) { return (reg >> i) & 1u; }

int64_t DetectX86() {
  uint32_t r[4];
  CpuId(0, 0, r);
  const uint32_t max_leaf = r[0];
  CpuId(1, 0, r);
  const uint32_t c1 = r[2], d1 = r[3];
  const bool sse2 = Bit(d1, 25) && Bit(d1, 26);
  const bool ssse3 = sse2 && Bit(c1, 0) && Bit(c1, 9);
  // Highway's SSE4 target also requires CLMUL and AES (see DESIGN.md's
  // -maes note).
  const bool sse4 = ssse3 && Bit(c1, 19) && Bit(c1, 20) && Bit(c1, 1) && Bit(c1, 25);
  const bool avx = Bit(c1, 28), f16c = Bit(c1, 29), fma = Bit(c1, 12);
  const bool osxsave = Bit(c1, 27);
  CpuId(0x80000001u, 0, r);
  const bool lzcnt = Bit(r[2], 5);
  uint32_t b7 = 0, c7 = 0;
  if (max_leaf >= 7) {
    CpuId(7, 0, r);
    b7 = r[1];
    c7 = r[2];
  }
  const bool avx2 = sse4 && avx && f16c && fma && lzcnt && Bit(b7, 3) /*BMI*/ &&
                    Bit(b7, 5) /*AVX2*/ && Bit(b7, 8) /*BMI2*/;
  const bool avx3 = avx2 && Bit(b7, 16) /*F*/ && Bit(b7, 17) /*DQ*/ && Bit(b7, 28) /*CD*/ &&
                    Bit(b7, 30) /*BW*/ && Bit(b7, 31) /*VL*/;
  const bool avx3_dl = avx3 && Bit(c7, 1) /*VBMI*/ && Bit(c7, 6) /*VBMI2*/ && Bit(c7, 8) /*GFNI*/ &&
                       Bit(c7, 9) /*VAES*/ && Bit(c7, 10) /*VPCLMULQDQ*/ && Bit(c7, 11) /*VNNI*/ &&
                       Bit(c7, 12) /*BITALG*/ && Bit(c7, 14) /*POPCNTDQ*/;
  int64_t bits = 0;
  if (ssse3) bits |= HWY_SSSE3;
  if (sse4) bits |= HWY_SSE4;
  if (avx2) bits |= HWY_AVX2;
  if (avx3) bits |= HWY_AVX3;
  if (avx3_dl) bits |= HWY_AVX3_DL;
  // The OS must save YMM (AVX2) and opmask + ZMM state (AVX-512) on context
  // switches, else those registers are unusable.
  const uint32_t xcr0 = osxsave ? Xcr0() : 0;
  if (!Bit(xcr0, 1) || !Bit(xcr0, 2)) bits &= ~(HWY_AVX2 | HWY_AVX3 | HWY_AVX3_DL);
  if (!Bit(xcr0, 5) || !Bit(xcr0, 6) || !Bit(xcr0, 7)) bits &= ~(HWY_AVX3 | HWY_AVX3_DL);
  return bits;
}
#endif  // HWY_ARCH_X86

int64_t DetectTargets() {
  int64_t bits = HWY_SCALAR | HWY_EMU128 | HWY_ENABLED_BASELINE;
#if HWY_ARCH_X86
  bits |= DetectX86();
#endif
  return bits;
}

// Header stored just below each aligned block.
struct AllocHeader {
  void* allocated;
  size_t payload_size;
};
constexpr size_t kAlign = HWY_ALIGNMENT;
static_assert(sizeof(AllocHeader) <= kAlign, "header must fit in the alignment padding");

AllocHeader* HeaderOf(const void* aligned) {
  return reinterpret_cast<AllocHeader*>(reinterpret_cast<uintptr_t>(aligned)) - 1;
}

}  // namespace

HWY_DLLEXPORT int64_t SupportedTargets() {
  static const int64_t detected = DetectTargets();
  const int64_t mock = g_mock_targets.load();
  int64_t targets = (mock != 0 ? mock : detected) & ~g_disabled.load();
  return targets == 0 ? HWY_STATIC_TARGET : targets;
}

HWY_DLLEXPORT void DisableTargets(int64_t disabled_targets) {
  g_disabled.store(disabled_targets);
  GetChosenTarget().DeInit();  // the next dispatch re-chooses
}

HWY_DLLEXPORT void SetSupportedTargetsForTest(int64_t targets) {
  g_mock_targets.store(targets);
  GetChosenTarget().DeInit();
}

HWY_DLLEXPORT ChosenTarget& GetChosenTarget() {
  static ChosenTarget chosen;
  return chosen;
}

HWY_DLLEXPORT HWY_NORETURN void HWY_FORMAT(3, 4)
    Abort(const char* file, int line, const char* format, ...) {
  char buf[2000];
  va_list args;
  va_start(args, format);
  vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  fprintf(stderr, "Abort at %s:%d: %s\n", file, line, buf);
  fflush(stderr);
  abort();
}

HWY_DLLEXPORT void* AllocateAlignedBytes(size_t payload_size, AllocPtr alloc_ptr,
                                         void* opaque_ptr) {
  if (payload_size > SIZE_MAX - 2 * kAlign) return nullptr;
  const size_t total = payload_size + 2 * kAlign;  // room for the header and alignment
  void* p = alloc_ptr != nullptr ? alloc_ptr(opaque_ptr, total) : malloc(total);
  if (p == nullptr) return nullptr;
  const uintptr_t aligned =
      (reinterpret_cast<uintptr_t>(p) + sizeof(AllocHeader) + kAlign - 1) & ~(kAlign - 1);
  AllocHeader* h = HeaderOf(reinterpret_cast<void*>(aligned));
  h->allocated = p;
  h->payload_size = payload_size;
  return reinterpret_cast<void*>(aligned);
}

HWY_DLLEXPORT void FreeAlignedBytes(const void* aligned_pointer, FreePtr free_ptr,
                                    void* opaque_ptr) {
  if (aligned_pointer == nullptr) return;
  void* p = HeaderOf(aligned_pointer)->allocated;
  if (free_ptr != nullptr) {
    free_ptr(opaque_ptr, p);
  } else {
    free(p);
  }
}

HWY_DLLEXPORT void AlignedDeleter::DeleteAlignedArray(void* aligned_pointer, FreePtr free_ptr,
                                                      void* opaque_ptr, ArrayDeleter deleter) {
  if (aligned_pointer == nullptr) return;
  if (deleter != nullptr) deleter(aligned_pointer, HeaderOf(aligned_pointer)->payload_size);
  FreeAlignedBytes(aligned_pointer, free_ptr, opaque_ptr);
}

}  // namespace hwy
