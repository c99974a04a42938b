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

# The cross stage (arm64 under qemu, wasm32) runs with GEMMA_CROSS=1 until
# its timing inside CI's 90 minutes is verified.
if [ "${GEMMA_CROSS:-0}" = "1" ]; then
  echo "== cross: linux-arm64 under qemu, wasm32 (cross/ci-stage.sh)"
  bash cross/ci-stage.sh
fi
