#!/usr/bin/env bash
# The cross stage of scripts/test.sh (and so of .ci/run): builds linux-arm64
# and runs its unit + golden tests under qemu-aarch64, the kernel tests and
# logits on NEON / SVE / SVE2 CPUs; builds wasm32 and runs its tests (SIMD128);
# then compares logits across all of them and the native build's SIMD targets.
# Windows (wine) joins with GEMMA_CI_WINDOWS=1; it always runs in
# cross/build-all-targets. No packaging here.
#   GEMMA_SKIP_CROSS=1          scripts/test.sh skips this stage
#   GEMMA_CROSS_TARGETS=a,b     override the target list
set -euo pipefail
cd "$(dirname "$0")/.."
targets="${GEMMA_CROSS_TARGETS:-linux-arm64,wasm32}"
[ "${GEMMA_CI_WINDOWS:-0}" = 1 ] && targets+=",windows-x64"
bash scripts/install-cross-deps.sh arm64 $([[ $targets == *windows* ]] && echo windows)
# The native build's per-target logits (ctest cross_logits_simd_targets) join
# the cross-target comparison.
export GEMMA_CROSS_EXTRA_LOGITS="${GEMMA_CROSS_EXTRA_LOGITS:-build/ci/cross-logits}"
exec cross/build-all-targets --targets "$targets" --no-package --no-deps --strict -j "$(nproc)"
