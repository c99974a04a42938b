// Target selection: which Highway target HWY_DYNAMIC_DISPATCH picks.
//
// Every kernel TU (matmul.cc, ops.cc, this file) is compiled with the same
// HWY_* definitions (see CMakeLists.txt), so they share one set of compiled
// targets. Dispatch reads hwy::GetChosenTarget(), a process-wide mask; forcing
// a target mocks hwy::SupportedTargets() with hwy::SetSupportedTargetsForTest
// and re-initializes the chosen-target mask from it.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/targets.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/targets.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
int64_t CompiledTarget() { return HWY_TARGET; }
}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gemma::kernels {

HWY_EXPORT(CompiledTarget);

namespace {
// What the CPU supports, captured before any ForceTarget mock.
int64_t CpuTargets() {
  static const int64_t targets = hwy::SupportedTargets();
  return targets;
}
}  // namespace

std::string ActiveTargetName() { return hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()); }

std::vector<int64_t> AvailableTargets() {
  std::vector<int64_t> out;
  const int64_t mask = CpuTargets() & HWY_TARGETS;
  for (int bit = 0; bit < 63; ++bit) {  // lower bit = better target
    const int64_t t = int64_t{1} << bit;
    if (mask & t) out.push_back(t);
  }
  return out;
}

std::string TargetName(int64_t target) { return hwy::TargetName(target); }

void ForceTarget(int64_t target) {
  (void)CpuTargets();
  hwy::SetSupportedTargetsForTest(target);  // 0 ends the mock
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

int64_t TargetFromName(const std::string& name) {
  auto upper = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
  };
  const std::string want = upper(name);
  if (want.empty()) return 0;
  for (int bit = 0; bit < 63; ++bit) {
    const int64_t t = int64_t{1} << bit;
    if (upper(hwy::TargetName(t)) == want) return t;
  }
  return 0;
}

}  // namespace gemma::kernels
#endif  // HWY_ONCE
