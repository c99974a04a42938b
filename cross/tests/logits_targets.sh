#!/usr/bin/env bash
# Cross-target logits within one build: runs the comparison cases of
# run-logits.sh on every SIMD target this CPU (or emulated CPU) offers, as
# `gemma info` lists them, and compares them with compare_logits.py (each
# against llama.cpp's goldens, and all against each other).
#   logits_targets.sh OUTDIR LABEL -- [EMULATOR...] GEMMA_BINARY
# ctest runs it as cross_logits_simd_targets; cross/build-all-targets keeps the
# JSON of every target for the comparison across platforms.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
fixtures="${GEMMA_FIXTURES_DIR:-$here/../fixtures}"
outdir="$1" label="$2"
shift 2
[ "${1:-}" = "--" ] && shift
info=$("$@" info -m "$fixtures/models/gemma3-tiny-f32.gguf")
targets=$(sed -n 's/.*(available: \(.*\)).*/\1/p' <<<"$info")
[ -n "$targets" ] || { echo "no 'available:' targets in gemma info:"; echo "$info"; exit 1; }
echo "$label: SIMD targets $targets"
for t in $targets; do
  # Each target in its own directory so a rerun starts clean.
  rm -rf "$outdir/$label.$t"
  GEMMA_TARGET=$t bash "$here/run-logits.sh" "$label.$t" "$outdir" -- "$@"
done
python3 "$here/compare_logits.py" --fixtures "$fixtures" "$outdir"
