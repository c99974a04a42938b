#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running model: installs
# packages, builds the release preset and generates text.
#   scripts/run.sh                       # the bundled demo model (random weights!)
#   scripts/run.sh -m gemma-2b.gguf -p "Why is the sky blue?"
# Until gemma-server lands this runs the `gemma` CLI; any `gemma run` flag works.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
bash scripts/build.sh release >/dev/null
demo=fixtures/models/gemma3-tiny-f32.gguf
args=("$@")
if [[ " $* " != *" -m "* && " $* " != *" --model "* ]]; then
  echo "gemma-core: no model given; using the bundled demo model $demo." >&2
  echo "gemma-core: it has RANDOM weights and a synthetic vocabulary, so its text is gibberish." >&2
  args=(-m "$demo" "${args[@]}")
fi
if [[ " $* " != *" -p "* && " $* " != *" --prompt "* ]]; then
  args+=(-p "Hello, Gemma!")
fi
exec build/release/bin/gemma run "${args[@]}"
