#!/usr/bin/env bash
# Style gate: clang-format (the repository's .clang-format) over every C++
# source the project owns. ctest runs it as `lint_clang_format`; run it
# directly to list offenders, or with --fix to reformat them in place.
# clang-tidy (.clang-tidy) is slower (it compiles every file): run it with
# --tidy BUILD_DIR (a build with compile_commands.json, e.g. build/release).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "lint: clang-format not installed (scripts/install-deps.sh)"; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v -e node_modules -e '^third_party/')
else
  mapfile -t files < <(find inference server tools cross wasm -name node_modules -prune -o \( -name '*.cc' -o -name '*.h' \) -print)
fi
case "${1:-}" in
  --fix)
    clang-format -i "${files[@]}"
    ;;
  --tidy)
    build="${2:?usage: scripts/lint.sh --tidy BUILD_DIR}"
    mapfile -t ccs < <(printf '%s\n' "${files[@]}" | grep '\.cc$' | grep -v -e '^wasm/' -e '_fuzz\.cc$')
    clang-tidy -p "$build" --quiet "${ccs[@]}"
    ;;
  *)
    bad=()
    for f in "${files[@]}"; do
      clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
    done
    if [ ${#bad[@]} -gt 0 ]; then
      printf 'lint: not clang-formatted (scripts/lint.sh --fix):\n'; printf '  %s\n' "${bad[@]}"
      exit 1
    fi
    echo "lint: ${#files[@]} files clang-formatted"
    ;;
esac
