#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run:
# installs packages, builds (warnings as errors), runs every test, then runs
# (with GEMMA_ASAN=1) every test again under AddressSanitizer +
# UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== build (ci preset: release, -Werror)"
bash scripts/build.sh ci
echo "== tests"
ctest --preset ci --output-on-failure -j "$(nproc)"

# The sanitizer pass doubles the build time; run it with GEMMA_ASAN=1
# (developers before a release, and on every parser change).
if [ "${GEMMA_ASAN:-0}" = "1" ]; then
  echo "== ASan/UBSan build: every test again, bad inputs included"
  bash scripts/build.sh asan
  ctest --preset asan --output-on-failure -j "$(nproc)" -LE slow
fi

# The cross stage (docs/CROSS.md): linux-arm64 built and its unit + golden
# tests run under qemu-aarch64 (plus the kernel tests on NEON, SVE and SVE2
# CPUs), then logits compared across the native SIMD targets, arm64 and
# wasm32 (the wasm tests themselves ran above, ctest label wasm): about 9
# minutes on 2 cores (docs/CROSS.md). Skip it with GEMMA_SKIP_CROSS=1 (or
# GEMMA_CROSS=0); GEMMA_CI_WINDOWS=1 adds windows-x64 under wine.
if [ "${GEMMA_SKIP_CROSS:-0}" != "1" ] && [ "${GEMMA_CROSS:-1}" != "0" ]; then
  echo "== cross: linux-arm64 under qemu, logits across targets (cross/ci-stage.sh)"
  bash cross/ci-stage.sh
fi
