#!/usr/bin/env bash
# linux-arm64 SIMD coverage under qemu-aarch64: runs the kernel tests (which
# loop over every Highway target the CPU offers: kernels::AvailableTargets /
# ForceTarget) and the cross-target logits cases on several emulated CPUs, so
# NEON, SVE, SVE2 and the fixed-width SVE_256 / SVE2_128 targets all run.
#   cross/run-arm64-simd.sh BUILD_DIR [LOGITS_DIR]
# QEMU_CPU variants (qemu 7.2 user mode):
#   neoverse-n1                      NEON (+AES)         -> NEON
#   a64fx                            SVE, 512-bit        -> SVE, NEON
#   max,sve-default-vector-length=32 SVE2, 256-bit       -> SVE2, SVE_256, SVE, NEON
#   max,sve-default-vector-length=16 SVE2, 128-bit       -> SVE2_128, SVE2, SVE, NEON
set -euo pipefail
build="$1" logits="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
# The same library root as the toolchain file's emulator (see linux-arm64.cmake).
ld_prefix=/usr/aarch64-linux-gnu
[ -e /lib/ld-linux-aarch64.so.1 ] && ld_prefix=/
qemu=(qemu-aarch64 -L "$ld_prefix")
variants=("neon:neoverse-n1" "sve-512:a64fx" "sve2-256:max,sve-default-vector-length=32"
          "sve2-128:max,sve-default-vector-length=16")
if [ -n "${GEMMA_ARM64_CPUS:-}" ]; then read -r -a variants <<<"$GEMMA_ARM64_CPUS"; fi
fail=0
for v in "${variants[@]}"; do
  name="${v%%:*}" cpu="${v#*:}"
  start=$SECONDS
  # --gtest_brief needs GoogleTest 1.11+; the target names are in the test names.
  if out=$(QEMU_CPU="$cpu" "${qemu[@]}" "$build/bin/kernel_tests" --gtest_brief=1 2>&1); then
    status=ok
  else
    status=FAILED fail=1
  fi
  targets=$(QEMU_CPU="$cpu" "${qemu[@]}" "$build/bin/kernel_tests" --gtest_list_tests 2>/dev/null |
            grep -oE '/(NEON|SVE2_128|SVE_256|SVE2|SVE|EMU128|SCALAR)' | sort -u | tr -d / | tr '\n' ' ')
  echo "arm64 kernel tests on QEMU_CPU=$cpu ($name): $status in $((SECONDS - start)) s; targets: $targets"
  [ "$status" = ok ] || echo "$out" | tail -40
  if [ -n "$logits" ]; then
    QEMU_CPU="$cpu" bash "$here/run-logits.sh" "linux-arm64.$name" "$logits" -- "${qemu[@]}" "$build/bin/gemma" ||
      { echo "arm64 logits on $cpu FAILED"; fail=1; }
  fi
done
exit $fail
