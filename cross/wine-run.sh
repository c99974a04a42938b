#!/usr/bin/env bash
# Runs a Windows program under wine for tests: the CMAKE_CROSSCOMPILING_EMULATOR
# of the windows-x64 build (ctest, gtest discovery, cli_test.py) and of
# cross/build-all-targets.
#  - A private prefix (GEMMA_WINEPREFIX, default ~/.cache/gemma-wine) keeps
#    tests away from ~/.wine; the first run creates it (20-60 s).
#  - wineserver is kept up for 60 s after the last program (-p60), which
#    saves most of each process start.
#  - Wine's helper processes (services.exe, ...) outlive the program and
#    inherit its stdout/stderr; if those were ctest's pipes, ctest would wait
#    for them. So the program writes to temporary files, copied out after it
#    exits. stdin passes through.
set -uo pipefail
export WINEPREFIX="${GEMMA_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/gemma-wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"  # no Mono/Gecko install prompts
export WINEARCH=win64
mkdir -p "$(dirname "$WINEPREFIX")"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  # One initialisation at a time (ctest runs tests in parallel).
  (
    flock 9
    [ -f "$WINEPREFIX/system.reg" ] || wineboot -i </dev/null >/dev/null 2>&1
  ) 9>"$WINEPREFIX.lock"
fi
wineserver -p60 </dev/null >/dev/null 2>&1  # no-op when one is already running

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
wine "$@" >"$out" 2>"$err"
rc=$?
cat "$out"
cat "$err" >&2
exit $rc
