#!/usr/bin/env bash
# Runs `gemma logits` on the cross-target comparison cases and writes one JSON
# per case to OUTDIR/LABEL/<model>__<prompt>__<kv>.json (compare_logits.py
# reads them). The command is the gemma binary, with its emulator in front
# for cross targets; the environment (QEMU_CPU, GEMMA_TARGET) selects the CPU
# and SIMD target.
#   cross/run-logits.sh LABEL OUTDIR -- [EMULATOR...] GEMMA_BINARY
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="${GEMMA_FIXTURES_DIR:-$here/../fixtures}"
label="$1" outdir="$2"
shift 2
[ "${1:-}" = "--" ] && shift
# model prompt kv: Gemma 1 Q4_0 (integer dot products), Gemma 2 F32
# (soft-capping, sliding window), Gemma 3 F32 with an F16 KV cache.
cases=("gemma-tiny-q4_0 pub_long32 f32" "gemma2-tiny-f32 pub_long32 f32"
       "gemma3-tiny-f32 pub_long32 f16")
mkdir -p "$outdir/$label"
for c in "${cases[@]}"; do
  read -r model prompt kv <<<"$c"
  tokens=$(python3 -c 'import json,sys; print(",".join(map(str, json.load(open(sys.argv[1]))["prompts"][sys.argv[2]])))' \
           "$fixtures/golden/index.json" "$prompt")
  "$@" logits -m "$fixtures/models/$model.gguf" --tokens "$tokens" --generate 16 --kv "$kv" -t 2 \
    >"$outdir/$label/${model}__${prompt}__${kv}.json"
done
