#!/usr/bin/env bash
# Runs one end-to-end test file against a real gemma-server (ctest calls this).
#   run.sh --install-only                      # npm ci when node_modules is missing
#   run.sh SERVER_BIN FIXTURES_DIR FILE.test.mjs
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/openai ] || [ ! -d node_modules/ws ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "${1:-}" = "--install-only" ]; then
  echo "node_modules ready"
  exit 0
fi
export GEMMA_SERVER_BIN="$1" GEMMA_FIXTURES="$2"
exec node --test --test-concurrency=1 --test-timeout=240000 "$3"
