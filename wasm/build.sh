#!/usr/bin/env bash
# Builds both WebAssembly variants with Emscripten and puts them in wasm/dist/
# (what the npm package ships):
#   gemma-st.mjs/.wasm                      single-threaded
#   gemma-mt.mjs/.wasm + gemma-mt.worker.js multi-threaded (pthreads)
# Usage: wasm/build.sh [st|mt|all] (default all). Build dirs: build/wasm-st,
# build/wasm-mt (override the root with GEMMA_WASM_BUILD_ROOT). Needs em++
# (Debian: apt-get install emscripten). Exit status 77 when em++ is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build_root="${GEMMA_WASM_BUILD_ROOT:-$root/build}"
which="${1:-all}"
jobs="${GEMMA_WASM_JOBS:-$(nproc)}"

if ! command -v em++ >/dev/null 2>&1; then
  echo "wasm/build.sh: em++ not found (apt-get install emscripten)" >&2
  exit 77
fi
# Emscripten 3.1.6 (Debian) runs its JS optimizer with Node and needs acorn
# from Debian's node modules.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)

build_variant() {
  local v="$1" threads=OFF
  [ "$v" = mt ] && threads=ON
  local dir="$build_root/wasm-$v"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    emcmake cmake -S "$here" -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DGEMMA_WASM_THREADS=$threads >/dev/null
  fi
  cmake --build "$dir" --target gemma_wasm -j "$jobs"
  mkdir -p "$here/dist"
  cp "$dir/gemma-$v.mjs" "$dir/gemma-$v.wasm" "$here/dist/"
  if [ "$v" = mt ]; then cp "$dir/gemma-mt.worker.js" "$here/dist/"; fi
}

case "$which" in
  st | mt) build_variant "$which" ;;
  all) build_variant st && build_variant mt ;;
  *) echo "usage: $0 [st|mt|all]" >&2; exit 2 ;;
esac
# Emscripten's pthread worker script is CommonJS; the package is ESM.
printf '{\n  "type": "commonjs"\n}\n' > "$here/dist/package.json"
echo "wasm/build.sh: $(cd "$here/dist" && ls | tr '\n' ' ')"
