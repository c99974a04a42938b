#!/usr/bin/env bash
# The cross stage of scripts/test.sh (and so of .ci/run), after the native
# tests: builds linux-arm64 and runs its unit + golden tests under
# qemu-aarch64, the kernel tests and logits on NEON / SVE / SVE2 CPUs
# (cross/run-arm64-simd.sh); then compares logits across arm64, the native
# build's SIMD targets (ctest cross_logits_simd_targets of the ci build) and
# wasm32 (the package the native ctest's wasm.build left in wasm/dist, run in
# Node: the wasm tests themselves run in the native ctest, label wasm).
# Windows (wine) joins with GEMMA_CI_WINDOWS=1; it always runs in
# cross/build-all-targets. No packaging here.
#   GEMMA_CROSS_TARGETS=a,b     override the target list (default linux-arm64)
set -euo pipefail
cd "$(dirname "$0")/.."
targets="${GEMMA_CROSS_TARGETS:-linux-arm64}"
[ "${GEMMA_CI_WINDOWS:-0}" = 1 ] && targets+=",windows-x64"
need=(arm64)
[[ $targets == *windows* ]] && need+=(windows)
bash scripts/install-cross-deps.sh "${need[@]}"

extra=build/cross-logits-extra
rm -rf "$extra"
if [[ $targets != *wasm32* ]] && [ -f wasm/dist/gemma-st.wasm ] && command -v node >/dev/null; then
  echo "== wasm32 logits (wasm/dist, Node)"
  bash cross/run-logits.sh wasm32 "$extra" -- node cross/wasm-logits.mjs
fi
# The native SIMD targets' logits: ctest cross_logits_simd_targets of the ci build.
[ -d build/ci/cross-logits ] ||
  echo "ci-stage: no build/ci/cross-logits (run ctest --preset ci first): x86 logits not compared"
export GEMMA_CROSS_EXTRA_LOGITS="${GEMMA_CROSS_EXTRA_LOGITS:-build/ci/cross-logits:$extra}"
exec cross/build-all-targets --targets "$targets" --no-package --no-deps --strict -j "$(nproc)"
