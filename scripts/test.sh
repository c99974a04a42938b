#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run:
# installs packages, builds (warnings as errors), runs every test, then runs
# the robustness tests (bad model files, fuzz-style mutations) again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== build (ci preset: release, -Werror)"
bash scripts/build.sh ci
echo "== tests"
ctest --preset ci --output-on-failure -j "$(nproc)"

if [ "${GEMMA_SKIP_ASAN:-0}" != "1" ]; then
  echo "== ASan/UBSan build: every test again, bad inputs included"
  bash scripts/build.sh asan
  ctest --preset asan --output-on-failure -j "$(nproc)" -LE slow
fi
