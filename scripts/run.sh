#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running model server:
# installs packages, builds gemma-server (release preset) and starts it on
# http://127.0.0.1:8080 (OpenAI-compatible API under /v1).
#   scripts/run.sh                                # the bundled demo model (RANDOM weights!)
#   scripts/run.sh --model gemma-2b-it.gguf       # a real Gemma GGUF
#   scripts/run.sh --config server/server_config.toml --port 9000
# Any gemma-server flag works (gemma-server --help). Ctrl-C stops it cleanly.
# The `gemma` CLI is built by scripts/build.sh: build/release/bin/gemma run ...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
echo "gemma-core: building gemma-server (the first build takes a few minutes)..." >&2
cmake --preset release >/dev/null
cmake --build --preset release --target gemma-server -j "${GEMMA_JOBS:-$(nproc)}" >/dev/null
if [[ " $* " != *" -m "* && " $* " != *" --model "* && " $* " != *" --config "* && " $* " != *" -c "* ]]; then
  echo "gemma-core: no model given; serving the bundled demo model fixtures/models/gemma3-tiny-f32.gguf." >&2
  echo "gemma-core: it has RANDOM weights and a synthetic vocabulary, so its text is gibberish." >&2
fi
exec build/release/bin/gemma-server "$@"
